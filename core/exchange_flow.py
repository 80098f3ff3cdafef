"""Exchange use cases: propose, answer, log, confirm — each idempotent and checked."""

from datetime import datetime

from core import transfers
from core.errors import InvalidInput, InvalidState, NotAllowed
from core.exchanges import (
    OPEN_STATES,
    Exchange,
    State,
    confirm_due,
    missing,
    require_counterpart,
    require_party,
    require_state,
)
from core.ledger import AccountKind, Transfer
from core.minutes import format_minutes
from core.ports import Context
from core.posts import NeedStatus, OfferStatus


async def propose(
    ctx: Context, actor_id: int, need_id: int | None = None, offer_id: int | None = None,
    minutes: int | None = None, note: str = "", client_key: str | None = None,
) -> Exchange:
    """The need's owner asks a helper, or a helper says "I can help"; nothing is held yet."""
    if client_key and (found := await ctx.uow.exchanges.by_client_key(actor_id, client_key)):
        return found
    need = await ctx.uow.needs.get(need_id) if need_id is not None else None
    offer = await ctx.uow.offers.get(offer_id) if offer_id is not None else None
    if need_id is not None and need is None:
        raise missing("need")
    if offer_id is not None and offer is None:
        raise missing("offer")
    if need is None and offer is None:
        raise InvalidInput("Say which need or offer this is about.")
    requester_id, helper_id = _sides(actor_id, need, offer)
    if requester_id == helper_id:
        raise NotAllowed("That's your own post; you can't exchange hours with yourself.")
    if need is not None and need.status not in (NeedStatus.OPEN, NeedStatus.MATCHED):
        raise InvalidState(f"That need is {need.status} now, so it can't take new offers of help.")
    if offer is not None and offer.status != OfferStatus.ACTIVE:
        raise InvalidState(f"That offer is {offer.status} at the moment.")
    amount = _amount(ctx, minutes, need, offer)
    if await ctx.uow.exchanges.open_for(need_id, offer_id, helper_id, requester_id):
        raise InvalidState("There is already an open exchange for this between you two. See `exchanges`.")
    exchange = Exchange(
        requester_id=requester_id, helper_id=helper_id, proposed_by=actor_id, minutes=amount,
        need_id=need_id, offer_id=offer_id, note=note.strip()[:500], client_key=client_key,
        campaign_id=need.campaign_id if need else (offer.campaign_ids[0] if offer.campaign_ids else None),
        created_at=ctx.now, updated_at=ctx.now,
    )
    return await ctx.uow.exchanges.add(exchange)


def _sides(actor_id: int, need, offer) -> tuple[int, int]:
    """Who receives help (and pays) and who gives it (and earns)."""
    if need is not None and offer is not None:
        if actor_id not in (need.owner_id, offer.owner_id):
            raise NotAllowed("Only the need's owner or the offer's owner can propose this.")
        return need.owner_id, offer.owner_id
    if need is not None:
        return need.owner_id, actor_id
    return actor_id, offer.owner_id


def _amount(ctx: Context, minutes: int | None, need, offer) -> int:
    amount = minutes if minutes is not None else (need.minutes if need else 60)
    if amount <= 0 or amount > ctx.rules.session_cap_minutes:
        raise InvalidInput(
            f"An exchange can be from 1 minute to {format_minutes(ctx.rules.session_cap_minutes)}."
        )
    if offer is not None and amount > offer.remaining:
        raise InvalidInput(
            f"That offer has {format_minutes(offer.remaining)} left; propose that or less."
        )
    return amount


async def _load(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    return require_party(await ctx.uow.exchanges.get(exchange_id, for_update=True), actor_id)


def _touch(ctx: Context, exchange: Exchange, state: State) -> Exchange:
    exchange.state = state
    exchange.updated_at = ctx.now
    if state not in OPEN_STATES:
        exchange.closed_at = ctx.now
    return exchange


async def accept(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    """The other side agrees: the requester's hours are held for the helper."""
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.PROPOSED)
    require_counterpart(exchange, actor_id, exchange.proposed_by, "accept")
    offer = await ctx.uow.offers.get(exchange.offer_id, for_update=True) if exchange.offer_id else None
    if offer is not None and exchange.minutes > offer.remaining:
        raise InvalidState(f"The offer has only {format_minutes(offer.remaining)} left now.")
    payer = await transfers.account_of(ctx, AccountKind.MEMBER, exchange.requester_id)
    payee = await transfers.account_of(ctx, AccountKind.MEMBER, exchange.helper_id)
    held = await transfers.hold(
        ctx, f"hold:exchange:{exchange.id}", payer.id, payee.id, exchange.minutes,
        f"exchange #{exchange.id}",
    )
    exchange.hold_transfer_id = held.id
    if offer is not None:
        offer.minutes_committed += exchange.minutes
        offer.updated_at = ctx.now
    await _set_need(ctx, exchange, NeedStatus.MATCHED)
    return _touch(ctx, exchange, State.ACCEPTED)


async def decline(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.PROPOSED)
    require_counterpart(exchange, actor_id, exchange.proposed_by, "decline")
    return _touch(ctx, exchange, State.DECLINED)


async def cancel(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    """Either party may call it off before hours are logged; any hold is released."""
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.PROPOSED, State.ACCEPTED)
    if exchange.state == State.ACCEPTED:
        await _require_live_hold(ctx, exchange)  # the hold-expiry job tells both what happened
        await _release(ctx, exchange, "cancelled")
    return _touch(ctx, exchange, State.CANCELLED)


async def log(ctx: Context, exchange_id: int, actor_id: int, minutes: int) -> Exchange:
    """Either party records the time given; the other then confirms."""
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.ACCEPTED, State.LOGGED)
    if exchange.state == State.LOGGED and exchange.logged_by != actor_id:
        raise InvalidState("Hours are already logged; confirm, adjust or dispute them instead.")
    _check_logged(ctx, exchange, minutes)
    await _require_live_hold(ctx, exchange)
    exchange.logged_minutes, exchange.logged_by, exchange.logged_at = minutes, actor_id, ctx.now
    return _touch(ctx, exchange, State.LOGGED)


async def confirm(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.LOGGED)
    require_counterpart(exchange, actor_id, exchange.logged_by, "confirm")
    return await _settle(ctx, exchange, exchange.logged_minutes, "confirmed")


async def adjust(ctx: Context, exchange_id: int, actor_id: int, minutes: int) -> Exchange:
    """The other party corrects the minutes; the first logger now confirms."""
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.LOGGED)
    require_counterpart(exchange, actor_id, exchange.logged_by, "adjust")
    _check_logged(ctx, exchange, minutes)
    await _require_live_hold(ctx, exchange)
    exchange.logged_minutes, exchange.logged_by, exchange.logged_at = minutes, actor_id, ctx.now
    return _touch(ctx, exchange, State.LOGGED)


async def dispute(ctx: Context, exchange_id: int, actor_id: int, reason: str) -> Exchange:
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.LOGGED)
    require_counterpart(exchange, actor_id, exchange.logged_by, "dispute")
    if not reason.strip():
        raise InvalidInput("Please say briefly what's wrong, so whoever resolves it can help.")
    exchange.dispute_reason = reason.strip()[:1000]
    return _touch(ctx, exchange, State.DISPUTED)


async def resolve(ctx: Context, exchange_id: int, actor_id: int, minutes: int) -> Exchange:
    """A campaign lead or admin settles a dispute; zero minutes releases the hold."""
    exchange = await ctx.uow.exchanges.get(exchange_id, for_update=True)
    if exchange is None:
        raise missing("exchange")
    await require_resolver(ctx, exchange, actor_id)
    require_state(exchange, State.DISPUTED)
    exchange.resolved_by = actor_id
    if minutes == 0:
        await _release(ctx, exchange, "dispute resolved")
        return _touch(ctx, exchange, State.CANCELLED)
    _check_logged(ctx, exchange, minutes)
    return await _settle(ctx, exchange, minutes, "dispute resolved")


async def require_resolver(ctx: Context, exchange: Exchange, actor_id: int) -> None:
    actor = await ctx.uow.members.get(actor_id)
    if actor is not None and actor.is_admin:
        return
    if exchange.campaign_id is not None:
        seat = await ctx.uow.campaigns.participation(exchange.campaign_id, actor_id)
        if seat is not None and seat.role == "lead" and not exchange.is_party(actor_id):
            return
    raise NotAllowed("Only an admin, or a lead of the exchange's campaign, can resolve disputes.")


async def auto_confirm(ctx: Context, exchange_id: int) -> Exchange | None:
    """A log nobody answered counts as confirmed at the deadline, or just before its hold would run out."""
    exchange = await ctx.uow.exchanges.get(exchange_id, for_update=True)
    if exchange is None or exchange.state != State.LOGGED:
        return None
    hold = await _hold(ctx, exchange)
    if confirm_due(exchange, ctx.rules.confirm_deadline, hold.expires_at) > ctx.now:
        return None
    return await _settle(ctx, exchange, exchange.logged_minutes, "confirmed automatically")


async def confirms_on(ctx: Context, exchange: Exchange) -> datetime | None:
    """When a log nobody answers will count as confirmed, so the card can warn the member who must answer."""
    if exchange.state != State.LOGGED or exchange.logged_at is None:
        return None
    hold = await ctx.uow.transfers.get(exchange.hold_transfer_id) if exchange.hold_transfer_id else None
    return confirm_due(exchange, ctx.rules.confirm_deadline, hold.expires_at if hold else None)


async def thank(ctx: Context, exchange_id: int, actor_id: int, note: str) -> Exchange:
    exchange = await _load(ctx, exchange_id, actor_id)
    require_state(exchange, State.CONFIRMED)
    note = note.strip()
    if not note or len(note) > 500:
        raise InvalidInput("A thank-you note is 1 to 500 characters.")
    if actor_id == exchange.requester_id:
        exchange.requester_thanks = note
    else:
        exchange.helper_thanks = note
    exchange.updated_at = ctx.now
    return exchange


def _check_logged(ctx: Context, exchange: Exchange, minutes: int) -> None:
    if minutes <= 0:
        raise InvalidInput("Log more than zero minutes, e.g. 1h30.")
    if minutes > exchange.minutes:
        raise InvalidInput(
            f"You agreed {format_minutes(exchange.minutes)}; log at most that, "
            "or agree a new exchange for the rest."
        )


async def _hold(ctx: Context, exchange: Exchange) -> Transfer:
    hold = await ctx.uow.transfers.get(exchange.hold_transfer_id)
    if hold is None:
        raise InvalidState("This exchange has no hours held.")
    return hold


def _ran_out(ctx: Context, hold: Transfer) -> bool:
    return hold.expires_at is not None and ctx.now >= hold.expires_at


async def _require_live_hold(ctx: Context, exchange: Exchange) -> None:
    """New steps need a live hold; only decisions on time already logged may come after it ran out."""
    hold = await _hold(ctx, exchange)
    if _ran_out(ctx, hold):
        raise InvalidState(f"The hours held for this exchange expired on {hold.expires_at.day} "
                           f"{hold.expires_at:%b}. If the session is still on, propose it again.")


async def _settle(ctx: Context, exchange: Exchange, minutes: int, reason: str) -> Exchange:
    """Post the hold; one that ran out meanwhile (a late decision) is marked expired and the minutes move directly."""
    hold, key, why = await _hold(ctx, exchange), f"post:exchange:{exchange.id}", f"exchange #{exchange.id} {reason}"
    if _ran_out(ctx, hold):
        await transfers.expire(ctx, hold.id)
        await transfers.transfer(ctx, key, hold.debit_account_id, hold.credit_account_id, minutes, why)
    else:
        await transfers.post(ctx, key, hold.id, minutes, why)
    exchange.posted_minutes = minutes
    await _give_back_capacity(ctx, exchange, exchange.minutes - minutes)
    await _set_need(ctx, exchange, NeedStatus.CLOSED)
    return _touch(ctx, exchange, State.CONFIRMED)


async def _release(ctx: Context, exchange: Exchange, reason: str) -> None:
    """Void the hold; one that ran out meanwhile is marked expired instead."""
    hold = await _hold(ctx, exchange)
    if _ran_out(ctx, hold):
        await transfers.expire(ctx, hold.id)
    else:
        await transfers.void(ctx, f"void:exchange:{exchange.id}", hold.id, reason)
    await _give_back_capacity(ctx, exchange, exchange.minutes)
    await _set_need(ctx, exchange, NeedStatus.OPEN)


async def _give_back_capacity(ctx: Context, exchange: Exchange, minutes: int) -> None:
    if exchange.offer_id is None or minutes <= 0:
        return
    offer = await ctx.uow.offers.get(exchange.offer_id, for_update=True)
    offer.minutes_committed = max(0, offer.minutes_committed - minutes)
    offer.updated_at = ctx.now


async def _set_need(ctx: Context, exchange: Exchange, status: NeedStatus) -> None:
    if exchange.need_id is None:
        return
    need = await ctx.uow.needs.get(exchange.need_id, for_update=True)
    if need.status in (NeedStatus.WITHDRAWN,) or (need.status == NeedStatus.CLOSED and status != NeedStatus.CLOSED):
        return
    need.status = status
    need.updated_at = ctx.now
    if status == NeedStatus.CLOSED:
        await ctx.uow.needs.index_terms(need, [])  # met: no longer a match for anyone


async def expire_hold(ctx: Context, exchange_id: int) -> Exchange | None:
    """An accepted exchange whose hold ran out: the hold expires, capacity returns."""
    exchange = await ctx.uow.exchanges.get(exchange_id, for_update=True)
    if exchange is None or exchange.state != State.ACCEPTED:
        return None
    await transfers.expire(ctx, exchange.hold_transfer_id)
    await _give_back_capacity(ctx, exchange, exchange.minutes)
    await _set_need(ctx, exchange, NeedStatus.OPEN)
    return _touch(ctx, exchange, State.EXPIRED)
