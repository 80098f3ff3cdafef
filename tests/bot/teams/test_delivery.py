"""Proactive delivery: short retries with backoff and jitter, Retry-After, unreachable members, new 1:1 chats."""

import pytest
from botbuilder.schema import ErrorResponseException

from bot.delivery.errors import DeliveryError
from bot.teams.delivery import Unreachable
from bot.teams.references import MEMBER
from bot.views import Card, Message
from core.members import Identity
from storage.teams_store import TeamsStore
from tests.bot.teams.harness import TENANT, User

ALICE = User("Alice")
HELLO = Message(cards=(Card(title="Hello from Hexitime"),))


def alice() -> Identity:
    return Identity(platform="teams", workspace_id=TENANT, user_id=ALICE.aad, member_id=1)


@pytest.fixture
async def known(teams):
    await teams.say(ALICE, "hello")
    teams.connector.calls.clear()
    teams.connector.attempts = 0
    return teams


async def test_429_is_retried_honouring_retry_after(known):
    known.connector.fail_next(429, times=2, retry_after="3")
    sent = await known.front.sender.send(alice(), HELLO)
    [call] = known.connector.to(ALICE.chat, "send")
    assert sent == call.activity_id and call.titles == ["Hello from Hexitime"]
    assert known.front.sender.slept == [3.0, 3.0] and known.front.sender.report["retried"] == 2


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_failures_back_off_with_jitter(known, status):
    known.connector.fail_next(status, times=2)
    await known.front.sender.send(alice(), HELLO)
    slept = known.front.sender.slept
    assert len(slept) == 2 and all(0 <= s <= 0.5 * 2 ** i for i, s in enumerate(slept))
    assert len(known.connector.to(ALICE.chat, "send")) == 1


async def test_gives_up_after_the_last_attempt_and_counts_it(known):
    known.connector.fail_next(429, times=10)
    with pytest.raises(DeliveryError) as raised:  # the outbox tries again later
        await known.front.sender.send(alice(), HELLO)
    assert known.connector.attempts == 3 and known.front.sender.report["failed"] == 1
    assert not raised.value.permanent and isinstance(raised.value.__cause__, ErrorResponseException)


async def test_a_long_retry_after_goes_back_to_the_outbox_without_sleeping(known):
    known.connector.fail_next(429, retry_after="60")
    with pytest.raises(DeliveryError) as raised:
        await known.front.sender.send(alice(), HELLO)
    assert raised.value.retry_after == 60 and known.connector.attempts == 1 and known.front.sender.slept == []


async def test_other_errors_are_permanent_and_not_retried(known):
    known.connector.fail_next(400, code="BadArgument")
    with pytest.raises(DeliveryError) as raised:
        await known.front.sender.send(alice(), HELLO)
    assert known.connector.attempts == 1 and raised.value.permanent


async def test_a_sent_message_is_updated_in_place(known):
    sent = await known.front.sender.send(alice(), HELLO)
    await known.front.sender.update(alice(), sent, Message(cards=(Card(title="Broadcast: 3 of 5 sent"),)))
    [update] = known.connector.of("update")
    assert update.activity_id == sent and update.conversation_id == ALICE.chat
    assert update.titles == ["Broadcast: 3 of 5 sent"]


async def test_removed_bot_marks_the_member_unreachable_until_they_come_back(known):
    known.connector.fail_next(403, code="BotNotInConversationRoster")
    with pytest.raises(Unreachable):
        await known.front.sender.send(alice(), HELLO)
    row = await TeamsStore(known.services.db).get(MEMBER, TENANT, ALICE.aad)
    assert row.unreachable_at is not None and row.failures == 1
    with pytest.raises(Unreachable):
        await known.front.sender.send(alice(), HELLO)
    assert known.connector.attempts == 1  # not retried for ever
    assert known.front.sender.report["unreachable"] == 1 and known.front.sender.report["skipped_unreachable"] == 1

    await known.say(ALICE, "hello again")
    await known.front.sender.send(alice(), HELLO)
    assert known.connector.to(ALICE.chat, "send")[-1].titles == ["Hello from Hexitime"]


async def test_unknown_member_is_reported_not_guessed(teams):
    with pytest.raises(Unreachable):
        await teams.front.sender.send(alice(), HELLO)
    assert teams.front.sender.report["no_reference"] == 1 and teams.connector.calls == []


async def test_member_seen_only_in_a_team_gets_a_new_one_to_one_chat_once(teams):
    store = TeamsStore(teams.services.db)
    await store.save(MEMBER, TENANT, ALICE.aad, teams.connector.url, teams.services.clock.now(),
                     user_id=ALICE.bf_id)
    await teams.front.sender.send(alice(), HELLO)
    await teams.front.sender.send(alice(), HELLO)
    [created] = teams.connector.of("create")
    assert len(teams.connector.to(created.conversation_id, "send")) == 2


async def test_long_messages_are_split_into_cards_under_28_kb(known):
    cards = tuple(Card(title=f"Item {n}", text="x" * 3000) for n in range(20))
    await known.front.sender.send(alice(), Message(cards=cards))
    sent = known.connector.to(ALICE.chat, "send")
    assert len(sent) > 1 and sum(len(s.titles) for s in sent) == 20
