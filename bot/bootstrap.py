"""The composition root: the one place where the front ends meet storage and the core."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.config import Settings
from bot.conversation import Conversation
from bot.delivery.limits import DeliveryLimits
from bot.notify import Dispatcher
from core import campaign_flow, directory
from core.bank import Bank
from core.clock import Clock, SystemClock
from core.members import parse_identity
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
    conversation: Conversation
    notifier: Dispatcher
    mounts: list[Mount] = field(default_factory=list)


async def bootstrap(settings: Settings, clock: Clock | None = None, front_ends: bool = True) -> Services:
    """Open the database, migrate it to the latest schema and build the bank over it."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    except BaseException:
        await db.dispose()
        raise
    bank = Bank(db.unit_of_work, clock, settings.rules())
    await bank.run(campaign_flow.seed)
    for label in settings.admins:
        await bank.run(directory.bootstrap_admin, *parse_identity(label))
    notifier = Dispatcher(bank, limits=DeliveryLimits.from_settings(settings))
    services = Services(settings=settings, db=db, bank=bank, clock=clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    if front_ends:
        install_front_ends(services)
    return services


FRONT_ENDS = ("bot.slack.frontend", "bot.teams.frontend")


def install_front_ends(services: Services) -> None:
    """Each front end adds its routes to `mounts` and its sender to the notifier, or says why not."""
    for name in FRONT_ENDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if not (missing.name or "").startswith(name.rsplit(".", 1)[0]):
                raise
            continue
        module.install(services)


async def close(services: Services) -> None:
    """Release what bootstrap opened: the database's connection pool."""
    await services.db.dispose()
