"""Engines and sessions for SQLite (the default) and PostgreSQL (production)."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from storage.uow import SqlUnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 30_000


class Database:
    """Owns the engines; hands out units of work.

    On SQLite every write transaction starts with `BEGIN IMMEDIATE`, so writers
    queue on the busy timeout instead of failing with "database is locked";
    reads use a second engine whose transactions start deferred.
    """

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = self._engine(immediate=True, pool_size=pool_size)
        self.read_engine = self._engine(immediate=False, pool_size=pool_size) if self.is_sqlite else self.engine
        self._writes = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._reads = async_sessionmaker(self.read_engine, expire_on_commit=False, autoflush=True)

    def _engine(self, immediate: bool, pool_size: int) -> AsyncEngine:
        if not self.is_sqlite:
            return create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size * 2,
                                       pool_pre_ping=True)
        engine = create_async_engine(self.url, connect_args={"timeout": SQLITE_BUSY_MS / 1000},
                                     poolclass=NullPool if ":memory:" in self.url else None)
        _sqlite_pragmas(engine, "BEGIN IMMEDIATE" if immediate else "BEGIN")
        return engine

    def unit_of_work(self, readonly: bool = False) -> SqlUnitOfWork:
        session = (self._reads if readonly else self._writes)()
        return SqlUnitOfWork(session, locking=not self.is_sqlite)

    async def upgrade(self) -> str:
        """Bring the schema to every newest migration (all heads); returns the revisions."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)
            return await conn.run_sync(_current)

    async def revision(self) -> str:
        async with self.read_engine.connect() as conn:
            return await conn.run_sync(_current)

    async def ping(self) -> bool:
        try:
            async with self.read_engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection) -> None:
    command.upgrade(alembic_config(connection), "heads")


def _current(connection) -> str:
    """The applied revisions; several when independent branches are merged later."""
    return ",".join(sorted(MigrationContext.configure(connection).get_current_heads()))


def _sqlite_pragmas(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={SQLITE_BUSY_MS}",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql(begin)
