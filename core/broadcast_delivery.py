"""Broadcast delivery: a queued broadcast becomes one outbox row per participant, then its progress.

Fan-out and the status change share one transaction, so a broadcast is fanned out
once or not at all; everything after that lives in outbox rows and survives restarts.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.broadcasts import Broadcast, receives
from core.campaigns import Campaign
from core.errors import NotFound
from core.members import Member
from core.outbox import Delivery, OutboxItem, enqueue
from core.ports import Context

QUEUED, SENDING, SENT = "queued", "sending", "sent"
KIND, PROGRESS_KIND = "broadcast", "notice"

PayloadFor = Callable[[Broadcast, Campaign], dict]
ProgressFor = Callable[[Broadcast, Campaign, "Progress"], dict]


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands; `remaining` is what is still pending."""

    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    remaining: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.unreachable + self.skipped + self.remaining

    @property
    def done(self) -> bool:
        return self.remaining == 0


class FanoutStore(Protocol):
    """Bulk reads and writes for fan-outs of thousands; storage provides a fast one."""

    async def members(self, member_ids: Sequence[int]) -> dict[int, Member]: ...

    async def add_many(self, items: Sequence[OutboxItem]) -> int: ...


class RowByRow:
    """The plain ports, one row at a time: correct everywhere, slow for thousands."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def members(self, member_ids: Sequence[int]) -> dict[int, Member]:
        found = {i: await self.ctx.uow.members.get(i) for i in member_ids}
        return {i: m for i, m in found.items() if m is not None}

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        return sum([await self.ctx.uow.outbox.add_if_new(item) for item in items])


def recipient_key(broadcast_id: int, member_id: int) -> str:
    return f"broadcast:{broadcast_id}:{member_id}"


def progress_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:progress"


async def fan_out(ctx: Context, broadcast_id: int, payload_for: PayloadFor,
                  store: FanoutStore | None = None, progress_for: ProgressFor | None = None) -> int:
    """Queue the broadcast for every participant but its author; returns how many rows are pending.

    Members who turned broadcasts off get a `skipped` row (never claimed), so progress counts them.
    A broadcast that is not `queued` any more was fanned out already: nothing happens.
    """
    broadcast = await ctx.uow.broadcasts.get(broadcast_id, for_update=True)
    if broadcast is None:
        raise NotFound("That broadcast doesn't exist.")
    if broadcast.status != QUEUED:
        return 0
    campaign = await ctx.uow.campaigns.get(broadcast.campaign_id)
    store = store or RowByRow(ctx)
    seats = await ctx.uow.campaigns.participants(broadcast.campaign_id)
    members = await store.members(sorted({s.member_id for s in seats if s.member_id != broadcast.author_id}))
    payload = payload_for(broadcast, campaign)
    rows = [_row(ctx, broadcast_id, member, payload) for member in members.values()]
    random.Random(broadcast_id).shuffle(rows)  # each claimed batch spans workspaces and tenants alike
    pending = sum(1 for row in rows if row.state == Delivery.PENDING)
    if progress_for is not None:  # queued first, so the lead sees it before the crowd is served
        start = Progress(skipped=len(rows) - pending, remaining=pending)
        await enqueue(ctx, broadcast.author_id, PROGRESS_KIND, progress_key(broadcast_id),
                      progress_for(broadcast, campaign, start))
    await store.add_many(rows)
    broadcast.status = SENDING
    await ctx.uow.flush()
    return pending


def _row(ctx: Context, broadcast_id: int, member: Member, payload: dict) -> OutboxItem:
    wanted = receives(member)
    return OutboxItem(
        dedupe_key=recipient_key(broadcast_id, member.id), member_id=member.id, kind=KIND, payload=payload,
        state=Delivery.PENDING if wanted else Delivery.SKIPPED, next_attempt_at=ctx.now,
        broadcast_id=broadcast_id, created_at=ctx.now,
        last_error="" if wanted else "broadcasts turned off",
    )


async def progress(ctx: Context, broadcast_id: int) -> Progress:
    """Counts of the broadcast's rows by state."""
    counts = await ctx.uow.outbox.counts(broadcast_id)
    return Progress(sent=counts.get(Delivery.SENT, 0), failed=counts.get(Delivery.FAILED, 0),
                    unreachable=counts.get(Delivery.UNREACHABLE, 0), skipped=counts.get(Delivery.SKIPPED, 0),
                    remaining=counts.get(Delivery.PENDING, 0))


async def finish(ctx: Context, broadcast_id: int) -> tuple[Broadcast, Progress]:
    """The broadcast is `sent` once no row is pending; returns it with its progress."""
    broadcast = await ctx.uow.broadcasts.get(broadcast_id, for_update=True)
    if broadcast is None:
        raise NotFound("That broadcast doesn't exist.")
    now = await progress(ctx, broadcast_id)
    if broadcast.status == SENDING and now.done:
        broadcast.status = SENT
        await ctx.uow.flush()
    return broadcast, now

