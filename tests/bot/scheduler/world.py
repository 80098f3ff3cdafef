"""A small world for scheduler tests: services over the test database, members, exchanges, outbox rows."""

from dataclasses import replace

from sqlalchemy import select

from bot.bootstrap import Services
from bot.config import Settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from bot.viewcodec import decode
from bot.views import Message
from core import exchange_flow, marketplace
from core.bank import Bank
from core.exchanges import Exchange
from storage.database import Database
from storage.outbox_store import outbox
from tests.support import join


def services_for(db: Database, bank: Bank) -> Services:
    """What `bootstrap` builds, over the fixtures' database, bank and clock."""
    notifier = Dispatcher(bank)
    return Services(settings=Settings(database_url=db.url), db=db, bank=bank, clock=bank.clock,
                    conversation=Conversation(bank, notifier), notifier=notifier)


def twin(services: Services) -> Services:
    """Another process's view of the same database: its own connections, same clock and rules."""
    db = Database(services.db.url)
    bank = Bank(db.unit_of_work, services.clock, services.bank.rules)
    return replace(services, db=db, bank=bank)


async def agreed_exchange(bank: Bank, tag: str = "", minutes: int = 90) -> Exchange:
    """Ann needs help, Bob offers it, Ann accepts: Ann's minutes are held for Bob."""
    ann, bob = await join(bank, f"ann{tag}"), await join(bank, f"bob{tag}")
    need = await bank.run(marketplace.post_need, ann.id, f"Waste audit {tag}", minutes=minutes)
    proposed = await bank.run(exchange_flow.propose, bob.id, need_id=need.id)
    return await bank.run(exchange_flow.accept, proposed.id, ann.id)


async def messages(db: Database, key_prefix: str) -> dict[int, Message]:
    """Outbox rows whose key starts with the prefix, by recipient; a duplicate would fail here."""
    query = select(outbox.c.member_id, outbox.c.payload).where(outbox.c.dedupe_key.startswith(key_prefix))
    async with db.read_engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    found = {row.member_id: decode(row.payload) for row in rows}
    assert len(found) == len(rows), f"two rows for one member under {key_prefix}"
    return found
