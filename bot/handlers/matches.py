"""`matches`: who fits my needs and offers, and why; proposing, helping, requesting, passing."""

from bot.handlers import router
from bot.handlers.common import names, ref_id
from bot.handlers.exchanges import told
from bot.turns import Request
from bot.views import PRIMARY, Button, Card, Field, Reply, say, text
from core import exchange_flow, marketplace
from core.exchanges import missing
from core.matching import Suggestion
from core.minutes import format_minutes
from core.ports import Context
from core.posts import Need, NeedStatus, Offer, OfferStatus

TOP_EACH, TOP_ONE, POSTS = 3, 10, 5
NEW_POST = (Button("Post a need", "need.new"), Button("Offer hours", "offer.new"))


@router.command("matches", "Suggestions for your needs and offers, with the reasons",
                usage="matches [need <id> | offer <id>]",
                details="For each open need: offers that fit, with Propose. For each active offer: "
                        "needs you could help with. “Not for me” hides a suggestion for good.",
                aliases=("suggestions",))
async def matches(req: Request) -> Reply:
    word, _, rest = req.turn.text.strip().lower().partition(" ")
    if word == "need":
        return await _one(req, "need", ref_id(rest, "need"))
    if word == "offer":
        return await _one(req, "offer", ref_id(rest, "offer"))
    cards = await req.bank.read(_everything, req.member.id)
    if not cards:
        return say(Card(title="Your matches", text="You have no open needs or active offers yet. "
                        "Post one and I'll suggest who fits.", buttons=NEW_POST))
    return say(*cards)


@router.action("matches.all")
async def matches_button(req: Request) -> Reply:
    return await matches(req)


@router.action("matches.need", "matches.offer")
async def matches_for_one(req: Request) -> Reply:
    kind = req.turn.action.removeprefix("matches.")
    return await _one(req, kind, ref_id(req.turn.ref, kind))


async def _one(req: Request, kind: str, post_id: int) -> Reply:
    reader = _for_need if kind == "need" else _for_offer
    return say(*await req.bank.read(reader, req.member.id, post_id, TOP_ONE))


async def _everything(ctx: Context, member_id: int) -> list[Card]:
    needs = await ctx.uow.needs.search(owner_id=member_id, status=NeedStatus.OPEN, limit=POSTS)
    offers = await ctx.uow.offers.search(owner_id=member_id, status=OfferStatus.ACTIVE, limit=POSTS)
    cards = []
    for need in needs:
        cards += await _for_need(ctx, member_id, need.id, TOP_EACH)
    for offer in offers:
        cards += await _for_offer(ctx, member_id, offer.id, TOP_EACH)
    return cards


async def _for_need(ctx: Context, member_id: int, need_id: int, top: int) -> list[Card]:
    """Offers for one of my needs; the core refuses anyone else's need."""
    found = await marketplace.offers_for_need(ctx, member_id, need_id, top)
    need = await ctx.uow.needs.get(need_id)
    head = Card(title=f"For your need #{need.id}: {need.title}",
                text=_count(found, "offer") if need.status == NeedStatus.OPEN else f"This need is {need.status}.")
    by_id = await ctx.uow.offers.get_many([s.post_id for s in found])
    offers = [by_id[s.post_id] for s in found]
    who = await names(ctx, {o.owner_id for o in offers})
    return [head] + [_offer_card(o, s, who[o.owner_id], need) for o, s in zip(offers, found, strict=True)]


async def _for_offer(ctx: Context, member_id: int, offer_id: int, top: int) -> list[Card]:
    found = await marketplace.needs_for_offer(ctx, member_id, offer_id, top)
    offer = await ctx.uow.offers.get(offer_id)
    head = Card(title=f"For your offer #{offer.id}: {offer.title}",
                text=_count(found, "need") if offer.status == OfferStatus.ACTIVE else f"This offer is {offer.status}.")
    by_id = await ctx.uow.needs.get_many([s.post_id for s in found])
    needs = [by_id[s.post_id] for s in found]
    who = await names(ctx, {n.owner_id for n in needs})
    return [head] + [_need_card(n, s, who[n.owner_id], offer) for n, s in zip(needs, found, strict=True)]


def _count(found: list[Suggestion], kind: str) -> str:
    if not found:
        return f"No {kind}s fit yet. I'll keep looking as new ones are posted."
    return f"{len(found)} {kind}{'s' if len(found) > 1 else ''} that fit, best first."


def _offer_card(offer: Offer, why: Suggestion, owner: str, need: Need) -> Card:
    return Card(
        title=f"Offer #{offer.id}: {offer.title}", text=offer.description[:300],
        fields=(Field("Offered by", owner), Field("Hours left", format_minutes(offer.remaining)),
                Field("Why", why.why)),
        buttons=(Button("Propose", "match.propose", f"{need.id}:{offer.id}", PRIMARY),
                 Button("Not for me", "offer.dismiss", str(offer.id))),
    )


def _need_card(need: Need, why: Suggestion, owner: str, offer: Offer) -> Card:
    """"I can help" here ties the exchange to my offer, so its hours count against it."""
    return Card(
        title=f"Need #{need.id}: {need.title}", text=need.description[:300],
        fields=(Field("Asked by", owner), Field("Estimate", format_minutes(need.minutes)),
                Field("Why", why.why)),
        buttons=(Button("I can help", "match.propose", f"{need.id}:{offer.id}", PRIMARY),
                 Button("Not for me", "need.dismiss", str(need.id))),
    )


@router.action("match.propose")
async def propose_match(req: Request) -> Reply:
    """Either owner proposes the need and the offer to each other."""
    need_ref, _, offer_ref = req.turn.ref.partition(":")
    need_id, offer_id = ref_id(need_ref, "need"), ref_id(offer_ref, "offer")
    minutes = await req.bank.read(_amount, need_id, offer_id)
    return await _propose(req, need_id=need_id, offer_id=offer_id, minutes=minutes)


@router.action("need.help")
async def help_with_need(req: Request) -> Reply:
    """A helper says "I can help": the need's estimate, for its owner to accept."""
    return await _propose(req, need_id=ref_id(req.turn.ref, "need"))


@router.action("offer.request")
async def request_offer(req: Request) -> Reply:
    """Ask an offer's owner for an hour (or what is left of the offer)."""
    offer_id = ref_id(req.turn.ref, "offer")
    return await _propose(req, offer_id=offer_id, minutes=await req.bank.read(_amount, None, offer_id))


async def _amount(ctx: Context, need_id: int | None, offer_id: int) -> int:
    """The need's estimate (or an hour), trimmed to what the offer has left."""
    need = await ctx.uow.needs.get(need_id) if need_id is not None else None
    offer = await ctx.uow.offers.get(offer_id)
    if need_id is not None and need is None:
        raise missing("need")
    if offer is None:
        raise missing("offer")
    wanted = need.minutes if need else 60
    return min(wanted, offer.remaining) if offer.remaining > 0 else wanted


async def _propose(req: Request, **what: int | None) -> Reply:
    return await told(req, "proposed", exchange_flow.propose, req.member.id, client_key=req.turn.request_key, **what)


@router.action("offer.dismiss")
async def dismiss_offer(req: Request) -> Reply:
    offer_id = ref_id(req.turn.ref, "offer")
    await req.bank.read(_exists, offer_id)
    await req.bank.run(marketplace.dismiss, req.member.id, "offer", offer_id)
    return text("Got it: I won't suggest that offer to you again.", replace=True)


async def _exists(ctx: Context, offer_id: int) -> None:
    if await ctx.uow.offers.get(offer_id) is None:
        raise missing("offer")
