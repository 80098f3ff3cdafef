"""`offer` and `offers`: offering hours, browsing others' offers, pausing, resuming, closing."""

from bot.dialogs import post_offer
from bot.handlers import router
from bot.handlers.common import all_campaigns, local_day, names, ref_id, submit_post
from bot.turns import Request
from bot.views import DANGER, PRIMARY, Button, Card, Field, Reply, page_buttons, say
from core import campaign_flow, marketplace
from core.campaigns import Campaign
from core.errors import NotFound
from core.minutes import format_minutes
from core.ports import Context
from core.posts import Offer, OfferStatus

PER_PAGE = 5
STATUS_WORDS = {"pause": OfferStatus.PAUSED, "resume": OfferStatus.ACTIVE, "close": OfferStatus.CLOSED}
DONE = {OfferStatus.PAUSED: ("paused", "Nobody is matched with it until you resume it."),
        OfferStatus.ACTIVE: ("active again", "It's suggested for needs that fit again."),
        OfferStatus.CLOSED: ("closed", "Agreed exchanges go on; offer again whenever you have hours.")}


@router.command("offer", "Offer hours: say what you can help with", usage="offer [title]",
                details="Opens a short form: title, details, skills, campaigns and the total hours you "
                        "can give. Members whose needs fit are suggested to you in `matches`.",
                aliases=("give",))
async def offer(req: Request) -> Reply:
    campaigns = await req.bank.read(all_campaigns)
    return Reply(form=post_offer.form(campaigns, req.bank.rules, {"title": req.turn.text[:150]}))


@router.action("offer.new")
async def offer_button(req: Request) -> Reply:
    return await offer(req)


@router.form(post_offer.FORM_ID)
async def submit_offer(req: Request) -> Reply:
    headline = Card(title="Your offer is posted", text="I'll suggest needs that fit; see them with `matches`.")
    return await submit_post(req, post_offer, marketplace.post_offer, offer_card, headline)


async def offer_card(ctx: Context, offer: Offer, viewer_id: int, timezone: str) -> Card:
    """An offer as any member sees it, with the buttons that fit the viewer."""
    owner = (await names(ctx, {offer.owner_id}))[offer.owner_id]
    titles = {c.id: c.title for c in await ctx.uow.campaigns.all()}
    fields = [Field("Offered by", owner),
              Field("Hours left", f"{format_minutes(offer.remaining)} of {format_minutes(offer.minutes)}"),
              Field("Status", str(offer.status))]
    if offer.campaign_ids:
        fields.append(Field("Campaigns", ", ".join(titles.get(c, "?") for c in offer.campaign_ids)))
    if offer.skills:
        fields.append(Field("Skills", ", ".join(offer.skills)))
    return Card(title=f"Offer #{offer.id}: {offer.title}", text=offer.description, fields=tuple(fields),
                buttons=_buttons(offer, viewer_id), note=f"Posted {local_day(offer.created_at, timezone)}")


def _buttons(offer: Offer, viewer_id: int) -> tuple[Button, ...]:
    ref = str(offer.id)
    close = Button("Close", "offer.close", ref, DANGER, confirm="Close this offer for good? Agreed exchanges go on.")
    if offer.owner_id == viewer_id and offer.status == OfferStatus.ACTIVE:
        return (Button("See matches", "matches.offer", ref, PRIMARY), Button("Pause", "offer.pause", ref), close)
    if offer.owner_id == viewer_id and offer.status == OfferStatus.PAUSED:
        return Button("Resume", "offer.resume", ref, PRIMARY), close
    if offer.owner_id != viewer_id and offer.status == OfferStatus.ACTIVE and offer.remaining > 0:
        return (Button("Request", "offer.request", ref, PRIMARY), Button("Not for me", "offer.dismiss", ref))
    return ()


@router.command("offers", "Your offers, or browse and search others'",
                usage="offers [mine | campaign <name> | skill <skill> | search <words> | pause|resume|close <id>]",
                details="With no words: every active offer, newest first. `offers pause 12` stops "
                        "suggestions for a while, `offers resume 12` starts them again, "
                        "`offers close 12` ends the offer.")
async def offers(req: Request) -> Reply:
    word, _, rest = req.turn.text.strip().partition(" ")
    if word.lower() in STATUS_WORDS:
        return await _set_status(req, STATUS_WORDS[word.lower()], rest)
    return await _browse(req, req.turn.text.strip(), 0)


@router.action("offers.page")
async def offers_page(req: Request) -> Reply:
    page, _, query = req.turn.ref.partition("|")
    return await _browse(req, query, ref_id(page, "page"), replace=True)


@router.action("offer.pause", "offer.resume", "offer.close")
async def status_button(req: Request) -> Reply:
    word = req.turn.action.removeprefix("offer.")
    return await _set_status(req, STATUS_WORDS[word], req.turn.ref, replace=True)


async def _set_status(req: Request, status: str, raw: str, replace: bool = False) -> Reply:
    offer_id = ref_id(raw, "offer")
    changed = await req.bank.run(marketplace.set_offer_status, req.member.id, offer_id, status)
    card = await req.bank.read(offer_card, changed, req.member.id, req.member.timezone)
    word, more = DONE[OfferStatus(changed.status)]
    done = Card(title=f"Your offer is {word}", text=more)
    return say(done, card, replace=replace)


async def _browse(req: Request, query: str, page: int, replace: bool = False) -> Reply:
    filters, title = await req.bank.read(_filters, req.member.id, query)
    filters.update(limit=PER_PAGE + 1, offset=page * PER_PAGE)
    found = await req.bank.read(_search, filters)
    if not found:
        return say(Card(title=title, text="Nothing found. Try `offers`, or offer your own hours.",
                        buttons=(Button("Offer hours", "offer.new", style=PRIMARY),)), replace=replace)
    cards = [await req.bank.read(offer_card, o, req.member.id, req.member.timezone) for o in found[:PER_PAGE]]
    more = page_buttons("offers.page", page, len(found) > PER_PAGE, f"|{query}")
    return say(Card(title=title, text=f"Page {page + 1}", buttons=more), *cards, replace=replace)


async def _filters(ctx: Context, member_id: int, query: str) -> tuple[dict, str]:
    """What `offers <words>` asks for, and a title that says so."""
    word, _, rest = query.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("", "all"):
        return {}, "Active offers"
    if word == "mine":
        return {"owner_id": member_id, "status": [OfferStatus.ACTIVE, OfferStatus.PAUSED]}, "Your offers"
    if word == "campaign" and rest:
        campaign = await _campaign(ctx, rest)
        return {"campaign_id": campaign.id}, f"Active offers · {campaign.title}"
    if word == "skill" and rest:
        return {"skill": rest.lower()}, f"Active offers · {rest.lower()[:40]}"
    words = rest if word == "search" and rest else query.strip()
    return {"text": words}, f"Active offers matching “{words[:40]}”"


async def _campaign(ctx: Context, ref: str) -> Campaign:
    """By number, slug or title, as members type any of them."""
    try:
        return await campaign_flow.find(ctx, ref)
    except NotFound:
        wanted = ref.strip().lower()
        for campaign in await ctx.uow.campaigns.all():
            if campaign.title.lower() == wanted or campaign.slug.startswith(wanted.replace(" ", "-")):
                return campaign
        raise


async def _search(ctx: Context, filters: dict) -> list[Offer]:
    return await ctx.uow.offers.search(**filters)
