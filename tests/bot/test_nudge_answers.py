"""Any turn a member takes answers their nudges: the back-off ends; turns with nothing to answer write nothing."""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from bot.conversation import Conversation
from bot.scheduler import nudges as jobs
from bot.turns import Turn
from core import marketplace
from core.nudge_policy import NudgeLimits
from core.nudges import NudgeSettings
from storage.nudge_store import nudge_acks
from storage.outbox_store import outbox
from tests.support import join

BACK_OFF_AFTER_3 = NudgeSettings(limits=NudgeLimits(weekly_cap=99, ignored_before_backoff=3,
                                                    backoff=timedelta(days=14)))


def says(user: str, command: str) -> Turn:
    return Turn(platform="slack", workspace_id="T1", user_id=f"U{user.upper()}", command=command)


async def scan(bank) -> int:
    return await jobs.scan(SimpleNamespace(bank=bank, settings=SimpleNamespace(nudges=BACK_OFF_AFTER_3)))


async def members_with_stale_needs(bank, clock, *names):
    members = [await join(bank, name) for name in names]
    for member in members:
        for title in ("Compost", "Recycling", "Menus", "Hedges"):
            await bank.run(marketplace.post_need, member.id, title)
    clock.advance(timedelta(days=7))
    return members


async def acks(db) -> dict[int, object]:
    async with db.engine.connect() as conn:
        return {row.member_id: row.acted_at for row in await conn.execute(select(nudge_acks))}


async def last_nudged(db) -> int:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(outbox.c.member_id).where(outbox.c.kind == "nudge")
                                   .order_by(outbox.c.id.desc()).limit(1))).scalar_one()


async def test_any_turn_ends_the_back_off_and_silence_keeps_it(bank, db, clock):
    ada, bob = await members_with_stale_needs(bank, clock, "ada", "bob")
    assert [await scan(bank) for _ in range(4)] == [2, 2, 2, 0]  # three ignored each: both back off
    clock.advance(timedelta(days=1))
    assert await scan(bank) == 0
    reply = await Conversation(bank).handle(says("ada", "balance"))
    assert reply.cards  # an ordinary turn, answered as usual
    assert await scan(bank) == 1
    assert await last_nudged(db) == ada.id  # bob said nothing and is still left alone
    clock.advance(BACK_OFF_AFTER_3.reminder_after)  # reminders are due for both; bob is still backing off
    assert await scan(bank) == 1 and await last_nudged(db) == ada.id


async def test_only_a_turn_with_nudges_to_answer_writes_the_answer(bank, db, clock):
    convo = Conversation(bank)
    ada, = await members_with_stale_needs(bank, clock, "ada")
    await convo.handle(says("ada", "balance"))
    assert await acks(db) == {}  # nothing was waiting for an answer
    assert await scan(bank) == 1
    clock.advance(timedelta(minutes=3))
    await convo.handle(says("ada", "balance"))
    answered = clock.now()
    assert await acks(db) == {ada.id: answered}
    clock.advance(timedelta(minutes=3))
    await convo.handle(says("ada", "help"))
    assert await acks(db) == {ada.id: answered}  # already answered: this turn wrote nothing
    clock.advance(timedelta(minutes=5))
    assert await scan(bank) == 1
    clock.advance(timedelta(minutes=1))
    await convo.handle(says("ada", "help"))
    assert await acks(db) == {ada.id: clock.now()}
