"""Broadcasts on their way out: queued ones fanned out to the outbox, and the lead's progress card.

The scheduler calls `fan_out_queued` every few seconds and `refresh_active` after delivery
batches. All state is in the database, so a restart picks up where the last process stopped.
"""

import json
import logging
import time
from typing import Any
from weakref import WeakKeyDictionary

from bot.dialogs.campaign_forms import broadcast_card
from bot.viewcodec import decode, encode
from bot.views import Card, Field, Message
from core import broadcast_delivery as delivery
from core.broadcast_delivery import Progress
from core.broadcasts import Broadcast
from core.campaigns import Campaign
from core.errors import NotFound
from core.members import Identity
from core.outbox import Delivery
from core.ports import Context
from storage.broadcast_fanout import SqlFanout

log = logging.getLogger(__name__)
REDRAW_EVERY = 10.0
_drawn: WeakKeyDictionary = WeakKeyDictionary()
"""Per bank, when this process last redrew each broadcast's card (a pace, not state: losing it costs a redraw)."""


def recipient_payload(broadcast: Broadcast, campaign: Campaign) -> dict:
    """What every participant gets: the card the lead previewed (plain text, no mentions)."""
    return encode(Message(cards=(broadcast_card(broadcast, campaign),)))


def progress_card(broadcast: Broadcast, campaign: Campaign, now: Progress) -> Card:
    fields = (Field("Sent", str(now.sent)), Field("Failed", str(now.failed)),
              Field("Unreachable", str(now.unreachable)), Field("Remaining", str(now.remaining)))
    if now.skipped:
        fields += (Field("Skipped", str(now.skipped)),)
    state = "Finished" if now.done else "Sending"
    return Card(title=f"{state}: {broadcast.title}", fields=fields,
                note=f"Your broadcast to {campaign.title} · {now.total} participants · updates as it goes")


def progress_payload(broadcast: Broadcast, campaign: Campaign, now: Progress) -> dict:
    """As stored (lists, not tuples), so it compares equal to the row's payload when nothing changed."""
    return json.loads(json.dumps(encode(Message(cards=(progress_card(broadcast, campaign, now),)))))


async def fan_out_now(ctx: Context, broadcast_id: int) -> int:
    """The use case: rows for every recipient plus the lead's progress card, in the caller's transaction."""
    return await delivery.fan_out(ctx, broadcast_id, recipient_payload, SqlFanout(ctx.uow), progress_payload)


async def fan_out_queued(services: Any) -> int:
    """Fan out every queued broadcast, each in its own transaction; returns the rows queued."""
    queued = 0
    for broadcast_id in await services.bank.read(_with_status, delivery.QUEUED):
        try:
            queued += await services.bank.run(fan_out_now, broadcast_id)
        except Exception:
            log.exception("could not fan out broadcast %s; it stays queued", broadcast_id)
    return queued


async def refresh_active(services: Any) -> int:
    """Refresh the progress card of every broadcast being sent; returns how many."""
    active = await services.bank.read(_with_status, delivery.SENDING)
    for broadcast_id in active:
        await refresh_progress(services, broadcast_id)
    return len(active)


async def refresh_progress(services: Any, broadcast_id: int) -> Progress:
    """Redraw the lead's card in place if its figures changed; once nothing is pending, the broadcast is sent.

    Redraws spend the lead's workspace or tenant rate like any message, so between the
    first and the last they come at most every `REDRAW_EVERY` seconds, through the limiter.
    A final redraw that fails leaves the broadcast `sending`, so the next refresh tries again.
    """
    now, target, payload = await services.bank.run(_redraw, broadcast_id)
    if target is not None and (now.done or _due(services, broadcast_id)):
        if not await _update(services, broadcast_id, target, payload):
            return now
    if now.done:
        await services.bank.run(delivery.finish, broadcast_id)
    return now


async def _update(services: Any, broadcast_id: int, target: tuple[Identity, str], payload: dict) -> bool:
    identity, message_id = target
    update = getattr(services.notifier.senders.get(identity.platform), "update", None)
    if update is None:
        return True
    try:
        await _paced(services.notifier, identity)
        await update(identity, message_id, decode(payload))
    except Exception:
        log.warning("could not update the progress card of broadcast %s", broadcast_id, exc_info=True)
        return False
    _drawn.setdefault(services.bank, {})[broadcast_id] = time.monotonic()
    await services.bank.run(_shown, broadcast_id, payload)
    return True


def _due(services: Any, broadcast_id: int) -> bool:
    last = _drawn.get(services.bank, {}).get(broadcast_id)
    return last is None or time.monotonic() - last >= REDRAW_EVERY


async def _paced(notifier: Any, identity: Identity) -> None:
    """Wait for a slot under the worker's rate limits for this identity, when the notifier keeps them."""
    limiter, limits = getattr(notifier, "limiter", None), getattr(notifier, "limits", None)
    if limiter is not None and limits is not None:
        await limiter.acquire(limits.rates(identity))


async def _with_status(ctx: Context, status: str) -> list[int]:
    return await SqlFanout(ctx.uow).broadcasts(status)


async def _redraw(ctx: Context, broadcast_id: int) -> tuple[Progress, tuple[Identity, str] | None, dict]:
    """Progress now, and where to redraw the card: nowhere if it is unchanged or not delivered yet."""
    broadcast = await ctx.uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise NotFound("That broadcast doesn't exist.")
    now = await delivery.progress(ctx, broadcast_id)
    campaign = await ctx.uow.campaigns.get(broadcast.campaign_id)
    payload = progress_payload(broadcast, campaign, now)
    row = await SqlFanout(ctx.uow).by_key(delivery.progress_key(broadcast_id))
    if row is None or row.payload == payload:
        return now, None, payload
    if row.state != Delivery.SENT or not row.platform_message_id:
        row.payload = payload  # not out yet: it will go out with today's figures
        return now, None, payload
    identities = [i for i in await ctx.uow.members.identities(row.member_id) if i.platform == row.platform]
    return now, ((identities[-1], row.platform_message_id) if identities else None), payload


async def _shown(ctx: Context, broadcast_id: int, payload: dict) -> None:
    row = await SqlFanout(ctx.uow).by_key(delivery.progress_key(broadcast_id))
    if row is not None:
        row.payload = payload
