"""`need` and `needs`: asking for help, browsing what others need, withdrawing."""

from bot.dialogs import post_need
from bot.handlers import channels, router
from bot.handlers.common import all_campaigns, local_day, names, ref_id, submit_post
from bot.turns import Request
from bot.views import DANGER, PRIMARY, Button, Card, Field, Reply, page_buttons, say, text
from core import campaign_flow, marketplace
from core.minutes import format_minutes
from core.ports import Context
from core.posts import Need, NeedStatus

PER_PAGE = 5


@router.command("need", "Post a need: ask for help", usage="need [title]",
                details="Opens a short form. Helpers are suggested once it's posted.", aliases=("ask",))
async def need(req: Request) -> Reply:
    campaigns = await req.bank.read(all_campaigns)
    return Reply(form=post_need.form(campaigns, req.bank.rules, {"title": req.turn.text[:150]}))


@router.action("need.new")
async def need_button(req: Request) -> Reply:
    return await need(req)


@router.form(post_need.FORM_ID)
async def submit_need(req: Request) -> Reply:
    headline = Card(title="Your need is posted", text="I'll suggest helpers; you can also browse offers.")
    return await submit_post(req, post_need, marketplace.post_need, need_card, headline, then=channels.announce)


async def need_card(ctx: Context, need: Need, viewer_id: int, timezone: str) -> Card:
    """A need as any member sees it, with the buttons that fit the viewer."""
    owner = (await names(ctx, {need.owner_id}))[need.owner_id]
    campaign = await ctx.uow.campaigns.get(need.campaign_id) if need.campaign_id else None
    fields = [Field("Asked by", owner), Field("Estimate", format_minutes(need.minutes)),
              Field("Status", need.status)]
    if campaign:
        fields.append(Field("Campaign", campaign.title))
    if need.skills:
        fields.append(Field("Skills", ", ".join(need.skills)))
    buttons: tuple[Button, ...] = ()
    if need.owner_id == viewer_id and need.status in (NeedStatus.OPEN, NeedStatus.MATCHED):
        buttons = (Button("See matches", "matches.need", str(need.id), PRIMARY),
                   Button("Withdraw", "need.withdraw", str(need.id), DANGER,
                          confirm="Withdraw this need? Helpers will no longer see it."))
    elif need.owner_id != viewer_id and need.status == NeedStatus.OPEN:
        buttons = (Button("I can help", "need.help", str(need.id), PRIMARY),
                   Button("Not for me", "need.dismiss", str(need.id)))
    return Card(title=f"Need #{need.id}: {need.title}", text=need.description, fields=tuple(fields),
                buttons=buttons, note=f"Posted {local_day(need.created_at, timezone)}")


@router.command("needs", "Your needs, or browse and search others'",
                usage="needs [mine | campaign <name> | skill <skill> | search <words> | withdraw <id>]")
async def needs(req: Request) -> Reply:
    args = req.turn.text.strip()
    word, _, rest = args.partition(" ")
    if word == "withdraw":
        return await _withdraw(req, rest)
    return await _browse(req, f"{word} {rest}".strip(), 0)


@router.action("needs.page")
async def needs_page(req: Request) -> Reply:
    page, _, query = req.turn.ref.partition("|")
    return await _browse(req, query, ref_id(page, "page"), replace=True)


async def _browse(req: Request, query: str, page: int, replace: bool = False) -> Reply:
    word, _, rest = query.partition(" ")
    filters: dict = {"limit": PER_PAGE + 1, "offset": page * PER_PAGE}
    title = "Open needs"
    if word in ("", "all"):
        pass
    elif word == "mine":
        filters.update(owner_id=req.member.id, status=[NeedStatus.OPEN, NeedStatus.MATCHED])
        title = "Your needs"
    elif word == "campaign" and rest:
        campaign = await req.bank.read(campaign_flow.find, rest)
        filters["campaign_id"], title = campaign.id, f"Open needs · {campaign.title}"
    elif word == "skill" and rest:
        filters["skill"], title = rest.lower(), f"Open needs · {rest.lower()}"
    elif word == "search" and rest:
        filters["text"], title = rest, f"Open needs matching “{rest[:40]}”"
    else:
        filters["text"], title = query, f"Open needs matching “{query[:40]}”"
    found = await req.bank.read(_search, filters)
    if not found:
        return text("Nothing found. Try `needs`, or post one with `need`.", title=title)
    cards = [await req.bank.read(need_card, n, req.member.id, req.member.timezone) for n in found[:PER_PAGE]]
    more = page_buttons("needs.page", page, len(found) > PER_PAGE, f"|{query}")
    header = Card(title=title, text=f"Page {page + 1}", buttons=more)
    return say(header, *cards, replace=replace)


async def _search(ctx: Context, filters: dict) -> list[Need]:
    return await ctx.uow.needs.search(**filters)


async def _withdraw(req: Request, raw: str) -> Reply:
    need_id = ref_id(raw, "need")
    withdrawn = await req.bank.run(marketplace.withdraw_need, req.member.id, need_id)
    return text(f"Need #{withdrawn.id} “{withdrawn.title}” is withdrawn.", replace=True)


@router.action("need.withdraw")
async def withdraw_button(req: Request) -> Reply:
    return await _withdraw(req, req.turn.ref)


@router.action("need.dismiss")
async def dismiss_button(req: Request) -> Reply:
    await req.bank.run(marketplace.dismiss, req.member.id, "need", ref_id(req.turn.ref, "need"))
    return text("Got it: I won't suggest that need to you again.", replace=True)
