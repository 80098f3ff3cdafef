from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.slack.tables import metadata as slack_tables
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.harness import Slack, start
from tests.support import bank, clock, db, rules  # noqa: F401


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def slack(db, bank, fake) -> AsyncIterator[Slack]:  # noqa: F811
    """The service with Slack on (one workspace), its tables empty, a fake Slack behind it."""
    async with db.engine.begin() as conn:
        for table in reversed(slack_tables.sorted_tables):
            await conn.execute(sa.delete(table))
    harness = await start({"db": db, "bank": bank}, fake)
    yield harness
    await harness.http.close()
    await harness.services.notifier.settle()
