"""What the scheduled jobs tell members, queued in the outbox in the same transaction as the change."""

from bot.handlers.common import local_day, names
from bot.handlers.exchanges import exchange_card
from bot.viewcodec import encode
from bot.views import PRIMARY, Button, Card, Message
from core import outbox
from core.exchanges import Exchange
from core.expiry import NeedExpired
from core.minutes import format_minutes
from core.ports import Context
from core.statements import balance

NOTICE = "notice"

# wording → (title, text); both parties get the same words and their own exchange card.
EXCHANGE_EVENTS = {
    "auto-confirmed": (
        "Exchange #{id} confirmed automatically",
        "The {logged} logged on {logged_day} wasn't answered within {deadline} days, so it counts as "
        "confirmed: {posted} moved between you and {other}. Your balance is now {bal}.",
    ),
    "auto-confirmed-hold": (
        "Exchange #{id} confirmed automatically",
        "The {logged} logged on {logged_day} wasn't answered, and hours can be held for at most {ttl} days "
        "(these since {held_day}), so it counts as confirmed: {posted} moved between you and {other}. "
        "Your balance is now {bal}.",
    ),
    "hold-expired": (
        "Exchange #{id} expired",
        "The {agreed} held for it since {held_day} was released, because no time was logged within "
        "{ttl} days. If the session with {other} is still on, propose it again.",
    ),
}


async def auto_confirmed(ctx: Context, exchange: Exchange | None) -> None:
    """`then=` for `exchange_flow.auto_confirm`: None means someone else already did it."""
    if exchange is None:
        return
    at_deadline = exchange.logged_at + ctx.rules.confirm_deadline <= ctx.now
    await _tell_both(ctx, exchange, "auto-confirmed", "auto-confirmed" if at_deadline else "auto-confirmed-hold")


async def hold_expired(ctx: Context, exchange: Exchange | None) -> None:
    """`then=` for `exchange_flow.expire_hold`."""
    if exchange is not None:
        await _tell_both(ctx, exchange, "hold-expired")


async def need_expired(ctx: Context, expired: NeedExpired | None) -> None:
    """`then=` for `expiry.expire_need`: the owner hears why, with a way to post again."""
    if expired is None:
        return
    need = expired.need
    card = Card(
        title=f"Your need #{need.id} was taken down",
        text=f"“{need.title}” was withdrawn because {expired.reason}. "
             "If you still need help, post it again.",
        buttons=(Button("Post a need", "need.new", "", PRIMARY),),
    )
    await outbox.enqueue(ctx, need.owner_id, NOTICE, f"need:{need.id}:expired", encode(Message(cards=(card,))))


async def _tell_both(ctx: Context, exchange: Exchange, event: str, wording: str = "") -> None:
    """One notice each, keyed by the event so it is queued once however the words were chosen."""
    who = await names(ctx, {exchange.requester_id, exchange.helper_id})
    for member_id in (exchange.requester_id, exchange.helper_id):
        member = await ctx.uow.members.get(member_id)
        timezone = member.timezone if member else "UTC"
        title, text = EXCHANGE_EVENTS[wording or event]
        words = await _words(ctx, exchange, member_id, who[exchange.other_party(member_id)], timezone)
        message = Message(cards=(Card(title=title.format(**words), text=text.format(**words)),
                                 await exchange_card(ctx, exchange, member_id, timezone)))
        key = f"exchange:{exchange.id}:{event}:{member_id}"
        await outbox.enqueue(ctx, member_id, NOTICE, key, encode(message))


async def _words(ctx: Context, exchange: Exchange, member_id: int, other: str, timezone: str) -> dict:
    hold = await ctx.uow.transfers.get(exchange.hold_transfer_id) if exchange.hold_transfer_id else None
    return dict(
        id=exchange.id, other=other, deadline=ctx.rules.confirm_deadline.days, ttl=ctx.rules.hold_ttl.days,
        agreed=format_minutes(exchange.minutes), logged=format_minutes(exchange.logged_minutes or 0),
        posted=format_minutes(exchange.posted_minutes or 0),
        logged_day=local_day(exchange.logged_at, timezone),
        held_day=local_day(hold.created_at if hold else exchange.created_at, timezone),
        bal=format_minutes((await balance(ctx, member_id)).balance),
    )
