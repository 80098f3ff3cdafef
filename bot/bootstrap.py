"""The composition root: the one place where the front ends meet storage and the core."""

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.config import Settings
from core.bank import Bank
from core.clock import Clock, SystemClock
from storage.database import Database

Mount = Callable[[web.Application], None]
"""A front end's hook: given the aiohttp application, it adds its routes."""


@dataclass
class Services:
    """Everything a front end or job needs, built once per process."""

    settings: Settings
    db: Database
    bank: Bank
    clock: Clock
    mounts: list[Mount] = field(default_factory=list)


async def bootstrap(settings: Settings, clock: Clock | None = None) -> Services:
    """Open the database, migrate it to the latest schema and build the bank over it."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    except BaseException:
        await db.dispose()
        raise
    bank = Bank(db.unit_of_work, clock, settings.rules())
    return Services(settings=settings, db=db, bank=bank, clock=clock)


async def close(services: Services) -> None:
    """Release what bootstrap opened: the database's connection pool."""
    await services.db.dispose()
