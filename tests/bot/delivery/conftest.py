from collections.abc import AsyncIterator

import pytest

from tests.bot.delivery.stand_ins import TimedSlack
from tests.bot.teams.harness import teams  # noqa: F401
from tests.support import bank, clock, db, rules  # noqa: F401


@pytest.fixture
async def fake() -> AsyncIterator[TimedSlack]:
    slack = TimedSlack()
    await slack.start()
    yield slack
    await slack.stop()
