"""The worker's short transactions: claim rows under a lease, and record outcomes a batch at a time."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from bot.delivery.queue import queue
from bot.views import Notice
from core import outbox
from core.campaigns import Campaign
from core.channels import ChannelLink
from core.members import Identity
from core.outbox import Delivery, OutboxItem
from core.ports import Context


@dataclass(frozen=True)
class Job:
    """A claimed row, copied out of its transaction."""

    id: int
    member_id: int | None
    key: str
    kind: str
    payload: dict
    attempts: int
    channel_link_id: int | None = None


@dataclass(frozen=True)
class Channel:
    """A campaign channel a row is posted to, with the campaign's title for the lead's notice if it fails."""

    link: ChannelLink
    campaign: Campaign


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
    notice: Notice | None = None
    """Someone to tell about this outcome (the lead whose channel can't be posted in), queued as it is recorded."""

    @property
    def sent(self) -> bool:
        return not self.error and not self.skipped


def _jobs(rows: list[OutboxItem]) -> list[Job]:
    return [Job(r.id, r.member_id, r.dedupe_key, r.kind, r.payload, r.attempts, r.channel_link_id) for r in rows]


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


async def identities_of(ctx: Context, member_ids: Sequence[int]) -> dict[int, list[Identity]]:
    """Each member's identities, oldest first, in one query (the worker routes a whole batch at once)."""
    found: dict[int, list[Identity]] = {member_id: [] for member_id in member_ids}
    if found:
        query = select(Identity).where(Identity.member_id.in_(found)).order_by(Identity.id)
        for identity in (await ctx.uow.members.session.execute(query)).scalars():
            found[identity.member_id].append(identity)
    return found


async def channels_of(ctx: Context, link_ids: Sequence[int]) -> dict[int, Channel]:
    """The batch's campaign channels that are still linked (an unlinked one's rows are dropped)."""
    links = await ctx.uow.channels.get_many(link_ids)
    campaigns = await ctx.uow.campaigns.get_many({link.campaign_id for link in links.values()})
    return {link_id: Channel(link, campaigns[link.campaign_id])
            for link_id, link in links.items() if link.campaign_id in campaigns}


async def record_all(ctx: Context, outcomes: Sequence[tuple[int, Outcome]], policy: outbox.RetryPolicy) -> int:
    """Mark a batch of rows in this one transaction; returns how many were still pending.

    A row someone else finished meanwhile (our lease ran out) is left alone.
    """
    found = {id_: result for id_, result in outcomes}
    repo = ctx.uow.outbox
    query = select(OutboxItem).where(OutboxItem.id.in_(found)).order_by(OutboxItem.id)
    if repo.locking:
        query = query.with_for_update()
    rows = (await repo.session.execute(query.execution_options(populate_existing=True))).scalars()
    pending = [row for row in rows if row.state == Delivery.PENDING]
    for item in pending:
        _mark(item, found[item.id], ctx.now, policy)
    await queue(ctx, [found[item.id].notice for item in pending if found[item.id].notice is not None])
    await ctx.uow.flush()
    return len(pending)


def _mark(item: OutboxItem, result: Outcome, now: datetime, policy: outbox.RetryPolicy) -> None:
    if result.skipped:
        item.state, item.last_error = Delivery.SKIPPED, result.error[:500]
        item.lease_owner = item.lease_until = None
    elif result.sent:
        outbox.sent(item, now, result.platform or "", result.message_id)
    else:
        outbox.failed(item, now, result.error, policy, retry_after=result.retry_after,
                      permanent=result.permanent, unreachable=result.unreachable)
        item.platform = result.platform
