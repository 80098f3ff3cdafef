"""Bulk reads and writes for broadcasts of thousands: a few statements instead of one per recipient."""

from collections.abc import Sequence
from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.broadcasts import Broadcast
from core.members import Member
from core.outbox import OutboxItem
from storage.outbox_store import outbox

CHUNK = 500  # rows per statement: well under SQLite's and asyncpg's bound-parameter limits
COLUMNS = [f.name for f in fields(OutboxItem) if f.name != "id"]


class SqlFanout:
    """`core.broadcast_delivery.FanoutStore` over the unit of work's session."""

    def __init__(self, uow) -> None:
        self.session = uow.session
        self._insert = pg_insert if uow.outbox.locking else sqlite_insert

    async def members(self, member_ids: Sequence[int]) -> dict[int, Member]:
        found: dict[int, Member] = {}
        for start in range(0, len(member_ids), CHUNK):
            query = select(Member).where(Member.id.in_(member_ids[start:start + CHUNK]))
            found.update((m.id, m) for m in (await self.session.execute(query)).scalars())
        return found

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        """Insert every row whose key is new; a key queued already is left as it was."""
        added = 0
        for start in range(0, len(items), CHUNK):
            rows = [{name: getattr(item, name) for name in COLUMNS} for item in items[start:start + CHUNK]]
            statement = self._insert(outbox).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
            added += (await self.session.execute(statement)).rowcount or 0
        return added

    async def by_key(self, key: str) -> OutboxItem | None:
        query = select(OutboxItem).where(OutboxItem.dedupe_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def broadcasts(self, status: str, limit: int = 50) -> list[int]:
        query = select(Broadcast.id).where(Broadcast.status == status).order_by(Broadcast.id).limit(limit)
        return list((await self.session.execute(query)).scalars())
