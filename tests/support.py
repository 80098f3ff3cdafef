"""Shared test fixtures: a real database (SQLite always, PostgreSQL when configured)."""

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from core import campaign_flow, directory
from core.bank import Bank
from core.clock import ManualClock
from core.members import Member
from core.rules import Rules
from storage.database import Database
from storage.tables import metadata

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[pytest.mark.postgres,
               pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set: PostgreSQL suite off")],
    ),
]


async def open_database(backend: str, tmp_path) -> Database:
    """A migrated, empty database of the given kind."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/test.db")
        await db.upgrade()
        return db
    db = Database(PG_URL)
    await db.upgrade()
    names = ", ".join(t.name for t in metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return db


@pytest.fixture(params=BACKENDS)
async def db(request, tmp_path) -> AsyncIterator[Database]:
    database = await open_database(request.param, tmp_path)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def rules() -> Rules:
    return Rules()


@pytest.fixture
async def bank(db, clock, rules) -> Bank:
    bank = Bank(db.unit_of_work, clock, rules)
    await bank.run(campaign_flow.seed)
    return bank


async def join(bank: Bank, name: str, platform: str = "slack", workspace: str = "T1") -> Member:
    """A member as a front end would create them on first contact."""
    member, _ = await bank.run(directory.resolve, platform, workspace, f"U{name.upper()}", name)
    return member
