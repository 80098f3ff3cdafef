"""The worker against the stand-in Bot Connector: activity id recorded, 429 Retry-After honoured, removed bots final."""

from datetime import timedelta

from bot.delivery.queue import queue
from bot.delivery.worker import deliver_due
from bot.views import Card, Message, Notice
from core.outbox import Delivery
from tests.bot.delivery.test_slack_outcomes import row
from tests.bot.teams.harness import TENANT, User

ALICE = User("Alice")
HELLO = Message(cards=(Card(title="Bob accepted exchange #1"),))


async def known(teams) -> int:
    """Alice has talked to the bot, so her 1:1 conversation is stored; returns her member id."""
    await teams.say(ALICE, "hello")
    teams.connector.calls.clear()
    teams.connector.attempts = 0
    member = await teams.services.bank.read(_member)
    return member.id


async def _member(ctx):
    return await ctx.uow.members.by_identity("teams", TENANT, ALICE.aad)


async def test_sent_with_the_activity_id(teams):
    bank = teams.services.bank
    await bank.run(queue, [Notice(await known(teams), HELLO, "t1")])
    assert await deliver_due(teams.services, "w1") == 1
    [call] = teams.connector.to(ALICE.chat, "send")
    item = await row(bank, "t1")
    assert item.state == Delivery.SENT and item.platform == "teams" and item.platform_message_id == call.activity_id


async def test_a_long_429_goes_back_to_the_outbox_for_retry_after(teams, clock):
    bank = teams.services.bank
    await bank.run(queue, [Notice(await known(teams), HELLO, "t1")])
    teams.connector.fail_next(429, retry_after="45")
    await deliver_due(teams.services, "w1")
    item = await row(bank, "t1")
    assert item.state == Delivery.PENDING and item.next_attempt_at == clock.now() + timedelta(seconds=45)
    assert teams.connector.attempts == 1 and teams.front.sender.slept == []  # nobody sleeps 45 s in a call
    limiter = teams.services.notifier.limiter
    assert limiter.free_at[("teams", TENANT, ALICE.aad)] - limiter.clock() > 40  # this conversation paused
    assert limiter.free_at[("teams", TENANT)] - limiter.clock() < 1  # the tenant is not
    limiter.free_at.clear()
    clock.advance(timedelta(seconds=45))
    await deliver_due(teams.services, "w1")
    assert (await row(bank, "t1")).state == Delivery.SENT and len(teams.connector.to(ALICE.chat, "send")) == 1


async def test_5xx_backs_off_in_the_outbox_after_the_short_in_call_retries(teams, clock):
    bank = teams.services.bank
    await bank.run(queue, [Notice(await known(teams), HELLO, "t1")])
    teams.connector.fail_next(502, times=3)
    await deliver_due(teams.services, "w1")
    item = await row(bank, "t1")
    assert item.state == Delivery.PENDING and item.attempts == 1 and "502" in item.last_error
    assert timedelta(seconds=1) <= item.next_attempt_at - clock.now() <= timedelta(seconds=2)
    clock.advance(timedelta(seconds=2))
    await deliver_due(teams.services, "w1")
    assert (await row(bank, "t1")).state == Delivery.SENT


async def test_bot_not_in_roster_is_unreachable_and_never_retried(teams, clock):
    bank = teams.services.bank
    member_id = await known(teams)
    await bank.run(queue, [Notice(member_id, HELLO, "t1"), Notice(member_id, HELLO, "t2")])
    teams.connector.fail_next(403, code="BotNotInConversationRoster")
    await deliver_due(teams.services, "w1")
    first, second = await row(bank, "t1"), await row(bank, "t2")
    assert first.state == second.state == Delivery.UNREACHABLE
    assert teams.connector.attempts == 1  # the second row learnt from the first without calling
    clock.advance(timedelta(days=2))
    assert await deliver_due(teams.services, "w1") == 0 and teams.connector.attempts == 1
