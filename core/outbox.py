"""The outbox: every message that leaves the bank is first a row, written with its cause.

A delivery worker claims rows under a lease, sends them, and records the
outcome; a crash loses nothing, and only rows in flight at the crash may go twice.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.ports import Context


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"


FINAL = (Delivery.SENT, Delivery.FAILED, Delivery.UNREACHABLE, Delivery.SKIPPED)


@dataclass(kw_only=True, eq=False)
class OutboxItem:
    """One message to one member, or to one linked campaign channel; `dedupe_key` is unique, so nothing is queued twice."""

    dedupe_key: str
    member_id: int | None
    kind: str
    payload: dict = field(default_factory=dict)
    state: str = Delivery.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    platform: str | None = None
    platform_message_id: str | None = None
    last_error: str = ""
    broadcast_id: int | None = None
    channel_link_id: int | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with full jitter, capped; permanent after `max_attempts`."""

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 12

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=ceiling * (0.5 + 0.5 * rng()))


async def enqueue(
    ctx: Context, member_id: int, kind: str, key: str, payload: dict,
    not_before: datetime | None = None, broadcast_id: int | None = None,
) -> bool:
    """Queue one message in the caller's transaction; False when the key was queued already."""
    item = OutboxItem(
        dedupe_key=key[:200], member_id=member_id, kind=kind, payload=payload,
        next_attempt_at=not_before or ctx.now, broadcast_id=broadcast_id, created_at=ctx.now,
    )
    return await ctx.uow.outbox.add_if_new(item)


async def enqueue_channel(ctx: Context, link_id: int, kind: str, key: str, payload: dict) -> bool:
    """Queue one message to a linked channel (core.channels) in the caller's transaction."""
    item = OutboxItem(dedupe_key=key[:200], member_id=None, channel_link_id=link_id, kind=kind,
                      payload=payload, next_attempt_at=ctx.now, created_at=ctx.now)
    return await ctx.uow.outbox.add_if_new(item)


def sent(item: OutboxItem, now: datetime, platform: str, message_id: str | None) -> None:
    item.state, item.sent_at, item.platform, item.platform_message_id = Delivery.SENT, now, platform, message_id
    item.attempts += 1
    item.lease_owner = item.lease_until = None


def failed(item: OutboxItem, now: datetime, error: str, policy: RetryPolicy,
           retry_after: float | None = None, permanent: bool = False, unreachable: bool = False) -> None:
    """Schedule the next try (honouring Retry-After), or mark the row final."""
    item.attempts += 1
    item.last_error = error[:500]
    item.lease_owner = item.lease_until = None
    if unreachable:
        item.state = Delivery.UNREACHABLE
    elif permanent or item.attempts >= policy.max_attempts:
        item.state = Delivery.FAILED
    else:
        wait = timedelta(seconds=retry_after) if retry_after is not None else policy.delay(item.attempts)
        item.next_attempt_at = now + wait
