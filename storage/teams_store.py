"""Conversation references for Teams, in our own database (several web processes share them)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import Database
from storage.teams_tables import teams_references as refs

MEMBER, CHANNEL = "member", "channel"


@dataclass(frozen=True)
class StoredReference:
    """A row: how to reach one member (or channel) in one tenant."""

    kind: str
    tenant_id: str
    key: str
    user_id: str | None
    service_url: str
    reference: dict[str, Any] | None
    unreachable_at: datetime | None
    failures: int


class TeamsStore:
    """Upserts and reads of `teams_references`, with plain SQLAlchemy Core."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

    async def save(self, kind: str, tenant_id: str, key: str, service_url: str, now: datetime,
                   user_id: str | None = None, reference: dict[str, Any] | None = None) -> None:
        """Remember a member or channel; a new conversation reference also makes them reachable again."""
        row = {"kind": kind, "tenant_id": tenant_id, "key": key, "service_url": service_url,
               "user_id": user_id, "reference": reference, "updated_at": now, "failures": 0}
        changes = {"service_url": service_url, "updated_at": now}
        if user_id:
            changes["user_id"] = user_id
        if reference is not None:
            changes.update(reference=reference, unreachable_at=None, failures=0)
        statement = self._insert(refs).values(**row).on_conflict_do_update(
            index_elements=["kind", "tenant_id", "key"], set_=changes)
        async with self.db.engine.begin() as conn:
            await conn.execute(statement)

    async def get(self, kind: str, tenant_id: str, key: str) -> StoredReference | None:
        query = select(refs).where(refs.c.kind == kind, refs.c.tenant_id == tenant_id, refs.c.key == key)
        async with self.db.read_engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return _stored(row) if row else None

    async def keys_for(self, tenant_id: str, user_ids: list[str]) -> dict[str, str]:
        """Bot Framework user ids (29:…) → member keys, for the people a message mentions."""
        if not user_ids:
            return {}
        query = select(refs.c.user_id, refs.c.key).where(
            refs.c.kind == MEMBER, refs.c.tenant_id == tenant_id, refs.c.user_id.in_(user_ids))
        async with self.db.read_engine.connect() as conn:
            return {row.user_id: row.key for row in await conn.execute(query)}

    async def mark_unreachable(self, tenant_id: str, key: str, now: datetime) -> None:
        """The bot was removed from the member's chat: stop trying until they talk to us again."""
        await self._update(tenant_id, key, unreachable_at=now, failures=refs.c.failures + 1, updated_at=now)

    async def _update(self, tenant_id: str, key: str, **values: Any) -> None:
        statement = update(refs).where(refs.c.kind == MEMBER, refs.c.tenant_id == tenant_id,
                                       refs.c.key == key).values(**values)
        async with self.db.engine.begin() as conn:
            await conn.execute(statement)


def _stored(row: Any) -> StoredReference:
    return StoredReference(kind=row["kind"], tenant_id=row["tenant_id"], key=row["key"],
                           user_id=row["user_id"], service_url=row["service_url"],
                           reference=row["reference"], unreachable_at=row["unreachable_at"],
                           failures=row["failures"])
