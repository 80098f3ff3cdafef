"""The scheduler's lease row, and the queries its hold-expiry and auto-confirm jobs need, in Core SQL."""

from datetime import datetime, timedelta

from sqlalchemy import Column, String, Table, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.exchanges import HOLD_MARGIN, State
from core.lease import Lease, may_take, renewed
from storage.database import Database
from storage.tables import UTCDateTime, exchanges, metadata, transfers

scheduler_leases = Table(
    "scheduler_leases", metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)


async def acquire(db: Database, name: str, owner: str, now: datetime, ttl: timedelta) -> Lease | None:
    """Take or renew the lease in one write transaction; returns the lease in force afterwards.

    The write is a compare-and-set on the row as read, so two processes racing
    for a lapsed lease cannot both win, on SQLite or PostgreSQL.
    """
    async with db.engine.begin() as conn:
        current = await _read(conn, name)
        if not may_take(current, owner, now):
            return current
        lease = renewed(name, owner, now, ttl)
        values = {"owner": lease.owner, "expires_at": lease.expires_at}
        if current is None:
            dialect = sqlite if db.is_sqlite else postgresql
            statement = dialect.insert(scheduler_leases).values(name=name, **values).on_conflict_do_nothing(
                index_elements=["name"])
        else:
            statement = update(scheduler_leases).values(**values).where(and_(
                scheduler_leases.c.name == name, scheduler_leases.c.owner == current.owner,
                scheduler_leases.c.expires_at == current.expires_at))
        written = (await conn.execute(statement)).rowcount == 1
        return lease if written else await _read(conn, name)


async def release(db: Database, name: str, owner: str) -> bool:
    """Give the lease up at a clean stop, so another process need not wait for it to lapse."""
    async with db.engine.begin() as conn:
        result = await conn.execute(delete(scheduler_leases).where(
            scheduler_leases.c.name == name, scheduler_leases.c.owner == owner))
        return result.rowcount == 1


async def holder(db: Database, name: str) -> Lease | None:
    async with db.read_engine.connect() as conn:
        return await _read(conn, name)


async def _read(conn, name: str) -> Lease | None:
    row = (await conn.execute(select(scheduler_leases).where(scheduler_leases.c.name == name))).first()
    return Lease(name=row.name, owner=row.owner, expires_at=row.expires_at) if row else None


async def expired_hold_exchanges(db: Database, now: datetime, limit: int) -> list[int]:
    """Accepted exchanges whose hold ran out: the ones `exchange_flow.expire_hold` applies to."""
    query = (
        select(exchanges.c.id)
        .join(transfers, transfers.c.id == exchanges.c.hold_transfer_id)
        .where(exchanges.c.state == State.ACCEPTED, transfers.c.expires_at <= now)
        .order_by(exchanges.c.id)
        .limit(limit)
    )
    return await _ids(db, query)


async def logs_due(db: Database, now: datetime, deadline: timedelta, limit: int) -> list[int]:
    """Logs nobody answered by the deadline or by just before their hold runs out (`exchanges.confirm_due`)."""
    query = (
        select(exchanges.c.id)
        .join(transfers, transfers.c.id == exchanges.c.hold_transfer_id)
        .where(exchanges.c.state == State.LOGGED,
               or_(exchanges.c.logged_at <= now - deadline, transfers.c.expires_at <= now + HOLD_MARGIN))
        .order_by(exchanges.c.id)
        .limit(limit)
    )
    return await _ids(db, query)


async def _ids(db: Database, query) -> list[int]:
    async with db.read_engine.connect() as conn:
        return list((await conn.execute(query)).scalars())
