"""Fixtures for broadcast delivery: the real database and bank (SQLite, and PostgreSQL when configured)."""

import pytest

from bot.bootstrap import Services
from bot.config import load_settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from tests.support import bank, clock, db, rules  # noqa: F401


@pytest.fixture
def services(db, bank):  # noqa: F811
    """The process's services with no front end installed; tests add the senders they need."""
    notifier = Dispatcher(bank)
    return Services(settings=load_settings(database_url=db.url), db=db, bank=bank, clock=bank.clock,
                    conversation=Conversation(bank, notifier), notifier=notifier)
