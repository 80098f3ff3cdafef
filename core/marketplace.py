"""Needs and offers: posting, changing and finding them, and suggesting matches."""

from core import matching
from core.errors import InvalidInput, InvalidState, NotAllowed
from core.exchanges import missing
from core.matching import Profile, Suggestion
from core.ports import Context
from core.posts import Need, NeedStatus, Offer, OfferStatus, clean_skills, clean_text

CANDIDATE_POOL = 200


async def post_need(
    ctx: Context, owner_id: int, title: str, description: str = "", skills: list[str] = (),
    campaign_id: int | None = None, minutes: int = 60, client_key: str | None = None,
) -> Need:
    """Idempotent on `client_key`, so a retried form submission posts once."""
    if client_key and (found := await ctx.uow.needs.by_client_key(owner_id, client_key)):
        return found
    title, description = clean_text(title, description, ctx.rules)
    _check_minutes(ctx, minutes)
    await _check_campaign(ctx, campaign_id)
    need = Need(
        owner_id=owner_id, title=title, description=description,
        skills=clean_skills(list(skills), ctx.rules), campaign_id=campaign_id, minutes=minutes,
        expires_at=ctx.now + ctx.rules.need_ttl, created_at=ctx.now, updated_at=ctx.now,
        client_key=client_key,
    )
    need = await ctx.uow.needs.add(need)
    await ctx.uow.needs.index_terms(need, _need_terms(need))
    return need


async def post_offer(
    ctx: Context, owner_id: int, title: str, description: str = "", skills: list[str] = (),
    campaign_ids: list[int] = (), minutes: int = 120, client_key: str | None = None,
) -> Offer:
    if client_key and (found := await ctx.uow.offers.by_client_key(owner_id, client_key)):
        return found
    title, description = clean_text(title, description, ctx.rules)
    if minutes <= 0 or minutes > 200 * 60:
        raise InvalidInput("Offer between 1 minute and 200 hours in total, e.g. 4h.")
    for campaign_id in campaign_ids:
        await _check_campaign(ctx, campaign_id)
    offer = Offer(
        owner_id=owner_id, title=title, description=description,
        skills=clean_skills(list(skills), ctx.rules), campaign_ids=list(dict.fromkeys(campaign_ids)),
        minutes=minutes, created_at=ctx.now, updated_at=ctx.now, client_key=client_key,
    )
    offer = await ctx.uow.offers.add(offer)
    await ctx.uow.offers.index_terms(offer, _offer_terms(offer))
    return offer


async def withdraw_need(ctx: Context, actor_id: int, need_id: int) -> Need:
    need = await own_need(ctx, actor_id, need_id)
    if need.status in (NeedStatus.CLOSED, NeedStatus.WITHDRAWN):
        raise InvalidState(f"That need is already {need.status}.")
    need.status, need.updated_at = NeedStatus.WITHDRAWN, ctx.now
    await ctx.uow.needs.index_terms(need, [])  # out of matching for good
    return need


async def set_offer_status(ctx: Context, actor_id: int, offer_id: int, status: str) -> Offer:
    """Pause, resume or close an offer; closed is final."""
    offer = await own_offer(ctx, actor_id, offer_id)
    if offer.status == OfferStatus.CLOSED:
        raise InvalidState("That offer is closed; post a new one if you have more hours.")
    if offer.status == status:
        raise InvalidState(f"That offer is already {status}.")
    offer.status, offer.updated_at = status, ctx.now
    if status == OfferStatus.CLOSED:
        await ctx.uow.offers.index_terms(offer, [])  # out of matching for good
    return offer


async def own_need(ctx: Context, actor_id: int, need_id: int, for_update: bool = True) -> Need:
    need = await ctx.uow.needs.get(need_id, for_update=for_update)
    if need is None:
        raise missing("need")
    if need.owner_id != actor_id:
        raise NotAllowed("That need belongs to someone else, so only they can change it.")
    return need


async def own_offer(ctx: Context, actor_id: int, offer_id: int, for_update: bool = True) -> Offer:
    offer = await ctx.uow.offers.get(offer_id, for_update=for_update)
    if offer is None:
        raise missing("offer")
    if offer.owner_id != actor_id:
        raise NotAllowed("That offer belongs to someone else, so only they can change it.")
    return offer


async def offers_for_need(ctx: Context, actor_id: int, need_id: int, top: int = 10) -> list[Suggestion]:
    """Active offers with capacity that fit the need, best first."""
    need = await own_need(ctx, actor_id, need_id, for_update=False)
    target = need_profile(need)
    pool = await ctx.uow.offers.candidates(_need_terms(need), actor_id, CANDIDATE_POOL)
    skip = await ctx.uow.dismissals.of_member(actor_id, "offer")
    return matching.rank(target, map(offer_profile, pool), ctx.now, await _titles(ctx), skip, top)


async def needs_for_offer(ctx: Context, actor_id: int, offer_id: int, top: int = 10) -> list[Suggestion]:
    offer = await own_offer(ctx, actor_id, offer_id, for_update=False)
    target = offer_profile(offer)
    pool = await ctx.uow.needs.candidates(_offer_terms(offer), actor_id, CANDIDATE_POOL)
    skip = await ctx.uow.dismissals.of_member(actor_id, "need")
    return matching.rank(target, map(need_profile, pool), ctx.now, await _titles(ctx), skip, top,
                        target_is_need=False)


async def dismiss(ctx: Context, actor_id: int, kind: str, post_id: int) -> None:
    """"Not for me": the post is not suggested to this member again."""
    if kind not in ("need", "offer"):
        raise InvalidInput("Only needs and offers can be dismissed.")
    await ctx.uow.dismissals.add(actor_id, kind, post_id)


def need_profile(need: Need) -> Profile:
    campaigns = [need.campaign_id] if need.campaign_id else []
    return Profile(need.id, need.owner_id, need.title, need.description, need.skills,
                   campaigns, need.minutes, need.created_at)


def offer_profile(offer: Offer) -> Profile:
    return Profile(offer.id, offer.owner_id, offer.title, offer.description, offer.skills,
                   offer.campaign_ids, offer.remaining, offer.created_at)


def _need_terms(need: Need) -> list[str]:
    campaigns = [need.campaign_id] if need.campaign_id else []
    return matching.terms(need.title, need.description, need.skills, campaigns)


def _offer_terms(offer: Offer) -> list[str]:
    return matching.terms(offer.title, offer.description, offer.skills, offer.campaign_ids)


async def _titles(ctx: Context) -> dict[int, str]:
    return {c.id: c.title for c in await ctx.uow.campaigns.all()}


def _check_minutes(ctx: Context, minutes: int) -> None:
    if minutes <= 0 or minutes > ctx.rules.session_cap_minutes:
        raise InvalidInput("Estimate between 1 minute and the session cap, e.g. 2h.")


async def _check_campaign(ctx: Context, campaign_id: int | None) -> None:
    if campaign_id is not None and await ctx.uow.campaigns.get(campaign_id) is None:
        raise missing("campaign")
