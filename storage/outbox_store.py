"""The outbox table, its mapping, and claiming rows under a lease."""

from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from core.outbox import Delivery, OutboxItem
from storage.repositories import _Repo
from storage.tables import Json, UTCDateTime, mapper_registry, metadata

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("member_id", ForeignKey("members.id"), index=True),
    Column("kind", String(20), nullable=False),
    Column("payload", Json, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime),
    Column("platform", String(20)),
    Column("platform_message_id", String(200)),
    Column("last_error", Text, nullable=False),
    Column("broadcast_id", Integer, index=True),
    Column("channel_link_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_due", "state", "next_attempt_at"),
)

mapper_registry.map_imperatively(OutboxItem, outbox)


class OutboxRepo(_Repo):
    """On PostgreSQL claims skip rows other workers hold (SKIP LOCKED); SQLite writers queue."""

    model = OutboxItem

    async def add_if_new(self, item: OutboxItem) -> bool:
        if await self._by_key(item.dedupe_key) is not None:
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(item)
                await self.session.flush()
        except IntegrityError:
            return False  # a concurrent twin queued it first
        return True

    async def _by_key(self, key: str) -> OutboxItem | None:
        query = select(OutboxItem).where(OutboxItem.dedupe_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def claim(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[OutboxItem]:
        query = (
            select(OutboxItem)
            .where(OutboxItem.state == Delivery.PENDING, OutboxItem.next_attempt_at <= now,
                   or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now))
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
        )
        if self.locking:
            query = query.with_for_update(skip_locked=True)
        rows = await self._list(query.execution_options(populate_existing=True))
        for row in rows:
            row.lease_owner, row.lease_until = owner, now + lease
        await self.session.flush()
        return rows

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        query = (select(OutboxItem.state, func.count()).where(OutboxItem.broadcast_id == broadcast_id)
                 .group_by(OutboxItem.state))
        return {state: count for state, count in await self.session.execute(query)}


async def bulk_insert(session, rows: list[dict]) -> None:
    """For fan-outs of thousands (broadcasts): one statement, duplicates left to the caller."""
    if rows:
        await session.execute(insert(outbox), rows)
