"""Campaign leads: create and edit campaigns, compose and queue broadcasts, read a campaign's report."""

import asyncio
import csv
import io

from bot import charts
from bot.dialogs import campaign_forms as forms
from bot.dialogs.fields import FieldErrors
from bot.handlers import campaigns, channels, router
from bot.handlers.common import ref_id
from bot.turns import Request
from bot.views import Attachment, Button, Card, Field, Image, Message, Reply, problem, say
from core import broadcasts, campaign_flow
from core.campaigns import Campaign
from core.minutes import format_minutes
from core.ports import Context

CAMPAIGN_USAGE = "campaign new | edit <name> | link <name> | unlink <name> | channels"
ALL = "all"  # the report button's reference for every campaign together
INLINE_IMAGES = {"teams"}  # cards there show a data: image; elsewhere the chart comes as a file


@router.command("campaign", "Create, edit or link a campaign (leads)", usage=CAMPAIGN_USAGE, audience="lead",
                details="`campaign new` opens a form: short name, title, description, skills. "
                        "`campaign edit greener-surgery` changes one you lead. "
                        "`campaign link greener-surgery`, typed in a Slack or Teams channel, announces the "
                        "campaign's new needs there (one channel per platform); `campaign unlink "
                        "greener-surgery` stops it; `campaign channels` says what a channel announces.")
async def campaign(req: Request) -> Reply:
    word, _, rest = req.turn.text.strip().partition(" ")
    if word.lower() == "link" and rest.strip():
        return await channels.link(req, rest.strip())
    if word.lower() == "unlink" and rest.strip():
        return await channels.unlink(req, rest.strip())
    if word.lower() == "channels":
        return await channels.here(req)
    if word.lower() == "new":
        await req.bank.read(campaign_flow.require_lead, None, req.member.id)
        return Reply(form=forms.campaign_form(req.bank.rules))
    if word.lower() == "edit" and rest.strip():
        found = await req.bank.read(_led, rest.strip(), req.member.id)
        return Reply(form=forms.campaign_form(req.bank.rules, found))
    if word:
        return await campaigns.show_or_usage(req, req.turn.text.strip(), CAMPAIGN_USAGE)
    return problem(f"Usage: {CAMPAIGN_USAGE}")


async def _led(ctx: Context, ref: str, member_id: int) -> Campaign:
    """A campaign the member may change: they lead it, or they are an admin."""
    found = await campaign_flow.find(ctx, ref)
    await campaign_flow.require_lead(ctx, found.id, member_id)
    return found


@router.form(forms.CREATE)
async def create(req: Request) -> Reply:
    try:
        draft = forms.read_campaign(req.turn.values, req.bank.rules, new=True)
    except FieldErrors as bad:
        return Reply(form=forms.campaign_form(req.bank.rules).with_errors(bad.errors, req.turn.values),
                     close_form=False)
    made = await req.bank.run(_create_once, req.member.id, draft)
    return say(Card(title=f"Campaign created: {made.title}",
                    text=f"You lead it. Members join with `campaigns join {made.slug}`; "
                         f"broadcast with `broadcast {made.slug}`."))


async def _create_once(ctx: Context, actor_id: int, draft: dict) -> Campaign:
    """A double submit finds the campaign it just made instead of refusing the twin."""
    existing = await ctx.uow.campaigns.by_slug(draft["slug"])
    if existing and existing.title == draft["title"] and await campaign_flow.is_lead(ctx, existing.id, actor_id):
        return existing
    return await campaign_flow.create(ctx, actor_id, **draft)


@router.form(forms.EDIT)
async def edit(req: Request) -> Reply:
    campaign_id = ref_id(req.turn.ref, "campaign")
    try:
        draft = forms.read_campaign(req.turn.values, req.bank.rules, new=False)
    except FieldErrors as bad:
        found = await req.bank.read(_led, str(campaign_id), req.member.id)
        return Reply(form=forms.campaign_form(req.bank.rules, found).with_errors(bad.errors, req.turn.values),
                     close_form=False)
    saved = await req.bank.run(campaign_flow.edit, req.member.id, campaign_id, **draft)
    return say(Card(title=f"Saved {saved.title}", text=saved.description,
                    fields=(Field("Skills", ", ".join(saved.skills) or "any"), Field("Status", str(saved.status)))))


@router.command("broadcast", "Send a message to everyone in a campaign you lead", audience="lead",
                usage="broadcast <campaign>",
                details="Write a title, a message and an optional button (see open needs, offer hours); "
                        "you see exactly what participants will get before it's queued.")
async def broadcast(req: Request) -> Reply:
    if not req.turn.text.strip():
        return problem("Which campaign? Usage: broadcast <campaign>, e.g. broadcast biodiversity")
    found = await req.bank.read(_led, req.turn.text.strip(), req.member.id)
    return Reply(form=forms.compose_form(found, req.bank.rules))


@router.form(forms.COMPOSE)
async def preview(req: Request) -> Reply:
    campaign_id = ref_id(req.turn.ref, "campaign")
    try:
        draft = forms.read_broadcast(req.turn.values, req.bank.rules)
    except FieldErrors as bad:
        found = await req.bank.read(_led, str(campaign_id), req.member.id)
        return Reply(form=forms.compose_form(found, req.bank.rules).with_errors(bad.errors, req.turn.values),
                     close_form=False)
    checked = await req.bank.read(broadcasts.compose, req.member.id, campaign_id, **draft)
    card = forms.broadcast_card(checked.broadcast, checked.campaign)
    return Reply(message=Message(cards=(card,)), close_form=False,
                 form=forms.preview_form(draft, checked.campaign, checked.audience))


@router.form(forms.PREVIEW)
async def queue(req: Request) -> Reply:
    campaign_ref, _, key = req.turn.ref.partition(":")
    campaign_id = ref_id(campaign_ref, "campaign")
    key = key if key.isalnum() and len(key) <= 40 else (req.turn.request_key or "")[:120] or None
    values = req.turn.values
    queued = await req.bank.run(
        broadcasts.queue, req.member.id, campaign_id, str(values.get("title") or ""),
        str(values.get("text") or ""), str(values.get("cta") or ""), client_key=key,
    )
    n = queued.audience
    return say(Card(title="Broadcast queued",
                    text=f"Queued for {n} participant{'s' if n != 1 else ''} of {queued.campaign.title}; "
                         "delivery starts when the scheduler runs."),
               forms.broadcast_card(queued.broadcast, queued.campaign))


@router.command("report", "A campaign's impact in numbers (leads)", usage="report [campaign]",
                audience="lead", details="Hours exchanged, exchanges completed, members by sector, "
                                          "needs met and open, median time to match, top skills, a chart "
                                          "and a CSV download. Without a campaign: all of them.")
async def report(req: Request) -> Reply:
    ref = req.turn.text.strip().lower() or None
    numbers = await req.bank.read(campaign_flow.report, req.member.id, ref)
    png = await asyncio.to_thread(charts.report_png, numbers)
    inline = req.turn.platform in INLINE_IMAGES
    card = Card(title=f"Report · {numbers.title}", fields=_report_fields(numbers),
                image=Image(charts.data_uri(png), f"Chart of members by sector and hours for {numbers.title}")
                if inline else None,
                buttons=(Button("Download CSV", "report.csv", ref or ALL),))
    chart = None if inline else Attachment(f"hexitime-report-{ref or ALL}.png", png, "image/png")
    return Reply(message=Message(cards=(card,), attachment=chart))


def _report_fields(numbers: campaign_flow.Report) -> tuple[Field, ...]:
    sectors = " · ".join(f"{name} {count}" for name, count in sorted(numbers.members_by_sector.items()))
    skills = " · ".join(f"{skill} ({count})" for skill, count in numbers.top_skills)
    wait = numbers.median_minutes_to_match
    return (Field("Hours exchanged", format_minutes(numbers.minutes_exchanged)),
            Field("Exchanges completed", str(numbers.exchanges_completed)),
            Field("Members by sector", sectors or "none yet"),
            Field("Needs met", str(numbers.needs_met)), Field("Needs open", str(numbers.needs_open)),
            Field("Median time to match", _waited(wait) if wait is not None else "no matches yet"),
            Field("Top skills", skills or "none yet"))


def _waited(minutes: int) -> str:
    """Days and hours once a wait passes a day; `1 h 30 min` below that."""
    days, rest = divmod(minutes, 24 * 60)
    if not days:
        return format_minutes(rest)
    hours = rest // 60
    return f"{days} d {hours} h" if hours else f"{days} d"


@router.action("report.csv")
async def report_csv(req: Request) -> Reply:
    ref = (req.turn.ref or "").strip().lower()
    if not ref or len(ref) > 80:
        return problem("I can't find that campaign. Try `campaigns` for the list.")
    numbers = await req.bank.read(campaign_flow.report, req.member.id, None if ref == ALL else ref)
    file = Attachment(f"hexitime-report-{ref}.csv", _csv(numbers).encode("utf-8"), "text/csv")
    card = Card(title=f"Report · {numbers.title}", text="Here are the numbers as a CSV file.")
    return Reply(message=Message(cards=(card,), attachment=file))


def _csv(numbers: campaign_flow.Report) -> str:
    """One metric a row; sectors and skills as `sector: x` / `skill: x` rows."""
    wait = numbers.median_minutes_to_match
    rows = [("campaign", numbers.title), ("minutes exchanged", numbers.minutes_exchanged),
            ("hours exchanged", f"{numbers.minutes_exchanged / 60:.2f}"),
            ("exchanges completed", numbers.exchanges_completed), ("needs met", numbers.needs_met),
            ("needs open", numbers.needs_open), ("median minutes to match", "" if wait is None else wait)]
    rows += [(f"sector: {name}", count) for name, count in sorted(numbers.members_by_sector.items())]
    rows += [(f"skill: {skill}", count) for skill, count in numbers.top_skills]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    writer.writerows((_cell(metric), _cell(str(value))) for metric, value in rows)
    return out.getvalue()


def _cell(text: str) -> str:
    """Spreadsheets execute cells starting with = + - @; a leading quote keeps them data."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
