"""`campaigns` and `donate`: find, join and leave campaigns; give hours to a campaign or organisation."""

from dataclasses import dataclass

from bot.dialogs import campaign_forms
from bot.dialogs.fields import Reader
from bot.handlers import channels, router
from bot.handlers.common import names, ref_id, shortened
from bot.turns import Request
from bot.views import PRIMARY, Button, Card, Field, Reply, page_buttons, problem, say
from core import campaign_flow, statements
from core.campaigns import Campaign
from core.errors import NotFound
from core.exchanges import State
from core.minutes import format_minutes, parse_minutes
from core.ports import Context
from core.posts import NeedStatus

PER_PAGE = 5
DONATE_CAP = 100 * 60
USAGE = "campaigns [show | join | leave <name>]"
DONATE_USAGE = "donate <hours> <campaign | org:name> [reason]"


@dataclass(frozen=True)
class Seen:
    """A campaign with the numbers its card shows."""

    campaign: Campaign
    participants: int
    joined: bool


@router.command("campaigns", "The campaigns: list, show, join and leave", usage=USAGE,
                details="`campaigns` lists them; `campaigns show greener-surgery` shows one with its "
                        "numbers; `campaigns join biodiversity` and `campaigns leave biodiversity`.")
async def campaigns(req: Request) -> Reply:
    word, _, rest = req.turn.text.strip().partition(" ")
    steps = {"show": _show, "join": _join, "leave": _leave}
    if word.lower() in steps:
        if not rest.strip():
            return problem(f"Which campaign? Usage: {USAGE}")
        return await steps[word.lower()](req, rest.strip())
    if word and word.lower() not in ("list", "all"):
        return await show_or_usage(req, req.turn.text.strip(), USAGE)
    return await _list(req, 0, replace=False)


@router.action("campaigns.page")
async def page(req: Request) -> Reply:
    return await _list(req, ref_id(req.turn.ref or "0", "page"), replace=True)


@router.action("campaign.show")
async def show_button(req: Request) -> Reply:
    return await _show(req, str(ref_id(req.turn.ref, "campaign")))


@router.action("campaign.join")
async def join_button(req: Request) -> Reply:
    return await _join(req, str(ref_id(req.turn.ref, "campaign")))


@router.action("campaign.leave")
async def leave_button(req: Request) -> Reply:
    return await _leave(req, str(ref_id(req.turn.ref, "campaign")))


async def _list(req: Request, page: int, replace: bool) -> Reply:
    seen = await req.bank.read(_listing, req.member.id)
    shown = seen[page * PER_PAGE:(page + 1) * PER_PAGE]
    if not shown:
        return say(Card(title="Campaigns", text="No campaigns on this page. Type `campaigns`."))
    cards = [Card(title=s.campaign.title, text=shortened(s.campaign.description, 280),
                  fields=(Field("Participants", str(s.participants)), Field("Status", str(s.campaign.status))),
                  buttons=(Button("Show", "campaign.show", str(s.campaign.id)), _seat_button(s)),
                  note=f"campaigns show {s.campaign.slug}" + (" · you're in" if s.joined else ""))
             for s in shown]
    header = Card(title="Campaigns", text="Join one to see its needs and broadcasts.",
                  buttons=page_buttons("campaigns.page", page, len(seen) > (page + 1) * PER_PAGE))
    return say(header, *cards, replace=replace)


def _seat_button(seen: Seen) -> Button:
    ref = str(seen.campaign.id)
    return Button("Leave", "campaign.leave", ref) if seen.joined else Button("Join", "campaign.join", ref, PRIMARY)


async def _listing(ctx: Context, member_id: int) -> list[Seen]:
    mine = {p.campaign_id for p in await ctx.uow.campaigns.of_member(member_id)}
    return [Seen(c, len(await ctx.uow.campaigns.participants(c.id)), c.id in mine)
            for c in await ctx.uow.campaigns.all()]


async def _show(req: Request, ref: str) -> Reply:
    return say(await req.bank.read(_campaign_card, ref, req.member.id))


async def show_or_usage(req: Request, ref: str, usage: str) -> Reply:
    """`campaigns biodiversity` (or `campaign biodiversity`) shows it, as members type it; other words get the usage."""
    try:
        return await _show(req, ref)
    except NotFound:
        return problem(f"I don't know “{ref[:30]}” here. Usage: {usage}")


async def _campaign_card(ctx: Context, ref: str, member_id: int) -> Card:
    campaign = await campaign_flow.find(ctx, ref)
    seats = await ctx.uow.campaigns.participants(campaign.id)
    leads = await names(ctx, {s.member_id for s in seats if s.role == "lead"})
    open_needs = await ctx.uow.needs.search(campaign_id=campaign.id, status=[NeedStatus.OPEN], limit=100_000)
    done = [x for x in await ctx.uow.exchanges.for_campaign(campaign.id) if x.state == State.CONFIRMED]
    joined = any(s.member_id == member_id for s in seats)
    fields = (Field("Skills", ", ".join(campaign.skills) or "any"), Field("Participants", str(len(seats))),
              Field("Leads", ", ".join(sorted(leads.values())) or "none yet"),
              Field("Open needs", str(len(open_needs))),
              Field("Helpers", str(len({x.helper_id for x in done}))),
              Field("Hours exchanged", format_minutes(sum(x.posted_minutes or 0 for x in done))),
              Field("New needs announced in", channels.described(await ctx.uow.channels.for_campaign(campaign.id))),
              Field("Status", str(campaign.status)))
    seen = Seen(campaign, len(seats), joined)
    return Card(title=campaign.title, text=campaign.description, fields=fields,
                buttons=(_seat_button(seen),
                         Button("Open needs", "needs.page", f"0|campaign {campaign.slug}")),
                note=f"Short name: {campaign.slug}")


async def _join(req: Request, ref: str) -> Reply:
    campaign = await req.bank.run(campaign_flow.join, req.member.id, ref)
    return say(Card(title=f"You joined {campaign.title}",
                    text="You'll get its broadcasts, and its needs show up in your matches.",
                    buttons=(Button("Open needs", "needs.page", f"0|campaign {campaign.slug}"),)))


async def _leave(req: Request, ref: str) -> Reply:
    campaign = await req.bank.run(campaign_flow.leave, req.member.id, ref)
    return say(Card(text=f"You left {campaign.title}. Rejoin any time with `campaigns join {campaign.slug}`."))


@router.command("donate", "Give some of your hours to a campaign or organisation", usage=DONATE_USAGE,
                details="e.g. `donate 2h biodiversity for the pond` or `donate 1h org:st-elsewhere`. "
                        "You confirm before anything moves; a donation can't be undone.")
async def donate(req: Request) -> Reply:
    parts = req.turn.text.split(None, 2)
    if len(parts) < 2:
        return problem(f"Say how many hours and to whom. Usage: {DONATE_USAGE}")
    minutes = parse_minutes(parts[0], DONATE_CAP)
    target, reason = parts[1].lower(), (parts[2] if len(parts) > 2 else "")[:200]
    name = await req.bank.read(_recipient, target)
    return Reply(form=campaign_forms.donate_form(minutes, target, name, reason))


async def _recipient(ctx: Context, target: str) -> str:
    if target.startswith("org:"):
        org = await ctx.uow.organisations.by_slug(target[4:])
        if org is None:
            raise NotFound("I can't find that organisation. Use its short name, e.g. org:st-elsewhere.")
        return org.name
    return (await campaign_flow.find(ctx, target)).title


@router.form(campaign_forms.DONATE)
async def donate_confirmed(req: Request) -> Reply:
    reader = Reader(req.turn.values, req.bank.rules)
    minutes = reader.minutes("hours", cap=DONATE_CAP)
    target = reader.text("target", required=True, limit=100, what="a campaign or organisation").lower()
    if reader.errors:
        return problem("That donation form was incomplete, so nothing moved. Start again with `donate`.")
    reason = reader.text("reason", limit=200)
    key = _donation_key(req)
    name = await req.bank.run(campaign_flow.donate, req.member.id, target, minutes, key, reason)
    left = await req.bank.read(statements.balance, req.member.id)
    return say(Card(title="Thank you", text=f"You gave {format_minutes(minutes)} to {name}.",
                    fields=(Field("Your balance", format_minutes(left.balance)),),
                    buttons=(Button("History", "history.page", "0"),)))


def _donation_key(req: Request) -> str:
    """The confirmation's own reference: submitting the same confirmation twice donates once."""
    ref = req.turn.ref.strip()
    if ref.isalnum() and 0 < len(ref) <= 40:
        return f"donate:{req.member.id}:{ref}"
    if req.turn.request_key:
        return f"donate:{req.member.id}:rk:{req.turn.request_key[:120]}"
    raise NotFound("That confirmation has expired, so nothing moved. Start again with `donate`.")
