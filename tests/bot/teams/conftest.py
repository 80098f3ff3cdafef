"""Fixtures for the Teams front end: the real database, a served bot and a fake Bot Connector."""

from tests.bot.teams.harness import teams  # noqa: F401
from tests.support import bank, clock, db, rules  # noqa: F401
