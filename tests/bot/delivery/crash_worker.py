"""A delivery worker process for the crash test: `deliver_due` in a loop until nothing is pending.

Usage: python crash_worker.py DATABASE_URL SLACK_API_URL OWNER LEASE_SECONDS
"""

import asyncio
import sys

from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.config import load_settings
from bot.conversation import Conversation
from bot.delivery.limits import DeliveryLimits
from bot.delivery.worker import deliver_due
from bot.notify import Dispatcher
from bot.slack.delivery import SlackSender
from bot.slack.installations import Tokens
from core.bank import Bank
from core.clock import SystemClock
from core.outbox import Delivery, OutboxItem
from core.rules import Rules
from storage.database import Database
from tests.bot.slack.fake_slack import TOKEN


async def pending(ctx) -> int:
    query = select(func.count()).select_from(OutboxItem).where(OutboxItem.state == Delivery.PENDING)
    return (await ctx.uow.outbox.session.execute(query)).scalar_one()


async def main(url: str, slack_api: str, owner: str, lease: float) -> None:
    db = Database(url)
    bank = Bank(db.unit_of_work, SystemClock(), Rules())
    limits = DeliveryLimits(slack_workspace_per_second=2000, concurrency=8, lease_seconds=lease)
    notifier = Dispatcher(bank, {"slack": SlackSender(Tokens(slack_api, TOKEN))}, limits=limits)
    services = Services(settings=load_settings(database_url=url), db=db, bank=bank, clock=bank.clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    print("started", flush=True)
    while await bank.read(pending):
        if not await deliver_due(services, owner, 40):
            await asyncio.sleep(0.1)
    print("drained", flush=True)
    await notifier.close()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
