"""The worker's short transactions: claim rows under a lease, and record each outcome."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from core import outbox
from core.outbox import Delivery, OutboxItem
from core.ports import Context


@dataclass(frozen=True)
class Job:
    """A claimed row, copied out of its transaction."""

    id: int
    member_id: int
    key: str
    kind: str
    payload: dict
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What happened to one send: sent (with the platform's id), failed, or skipped."""

    platform: str | None = None
    message_id: str | None = None
    error: str = ""
    retry_after: float | None = None
    permanent: bool = False
    unreachable: bool = False
    skipped: bool = False

    @property
    def sent(self) -> bool:
        return not self.error and not self.skipped


def _jobs(rows: list[OutboxItem]) -> list[Job]:
    return [Job(r.id, r.member_id, r.dedupe_key, r.kind, r.payload, r.attempts) for r in rows]


async def claim_due(ctx: Context, owner: str, lease: timedelta, limit: int) -> list[Job]:
    return _jobs(await ctx.uow.outbox.claim(ctx.now, owner, lease, limit))


async def claim_keys(ctx: Context, keys: list[str], owner: str, lease: timedelta) -> list[Job]:
    """Just these rows (a turn's notices), if due and free: a backlog never delays a turn."""
    repo = ctx.uow.outbox
    query = (select(OutboxItem)
             .where(OutboxItem.dedupe_key.in_(keys), OutboxItem.state == Delivery.PENDING,
                    OutboxItem.next_attempt_at <= ctx.now,
                    or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < ctx.now))
             .order_by(OutboxItem.id))
    if repo.locking:
        query = query.with_for_update(skip_locked=True)
    rows = list((await repo.session.execute(query.execution_options(populate_existing=True))).scalars())
    for row in rows:
        row.lease_owner, row.lease_until = owner, ctx.now + lease
    await repo.session.flush()
    return _jobs(rows)


async def record(ctx: Context, job_id: int, owner: str, result: Outcome, policy: outbox.RetryPolicy) -> None:
    """Mark one row; a row someone else finished meanwhile (our lease ran out) is left alone."""
    item = await ctx.uow.outbox.get(job_id, for_update=True)
    if item is None or item.state != Delivery.PENDING:
        return
    now: datetime = ctx.now
    if result.skipped:
        item.state, item.last_error = Delivery.SKIPPED, result.error[:500]
        item.lease_owner = item.lease_until = None
    elif result.sent:
        outbox.sent(item, now, result.platform or "", result.message_id)
    else:
        outbox.failed(item, now, result.error, policy, retry_after=result.retry_after,
                      permanent=result.permanent, unreachable=result.unreachable)
        item.platform = result.platform
    await ctx.uow.flush()
