"""Notices reach Slack members as direct messages; a short 429 is waited out once, the rest is the outbox's."""

import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.delivery.errors import DeliveryError
from bot.slack.delivery import SlackSender
from bot.slack.installations import Tokens
from bot.views import Card, Message
from core.members import Identity
from tests.bot.slack.fake_slack import TOKEN

HELLO = Message(cards=(Card(title="Exchange #1 accepted", text="<!here> 1 h is held"),))
BOB = Identity(platform="slack", workspace_id="T2", user_id="UBOB", member_id=1)


async def test_a_rate_limited_message_is_sent_after_retry_after(fake):
    sender = SlackSender(Tokens(fake.url + "/api/", TOKEN))
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    ts = await sender.send(BOB, HELLO)
    assert ts and time.monotonic() - started >= 1
    posts = fake.of("chat.postMessage")
    assert len(posts) == 2 and posts[-1]["channel"] == "DBOB"
    assert posts[-1]["text"] == "Exchange #1 accepted" and posts[-1]["mrkdwn"] is False
    assert fake.invalid == []


async def test_retries_are_bounded(fake):
    sender = SlackSender(Tokens(fake.url + "/api/", TOKEN), attempts=2)
    fake.rate_limit("conversations.open", times=5, retry_after=0)
    with pytest.raises(DeliveryError) as raised:
        await sender.send(BOB, HELLO)
    assert len(fake.of("conversations.open")) == 2 and raised.value.retry_after == 0
    fake.limited.clear()
    fake.rate_limit("conversations.open", times=1, retry_after=3600)
    with pytest.raises(DeliveryError) as raised:  # a long wait is not slept through: the outbox retries later
        await SlackSender(Tokens(fake.url + "/api/", TOKEN)).send(BOB, HELLO)
    assert raised.value.retry_after == 3600 and not raised.value.permanent
    assert len(fake.of("conversations.open")) == 3


async def test_a_bad_token_is_a_permanent_error_not_a_silent_success(fake):
    with pytest.raises(DeliveryError) as raised:
        await SlackSender(Tokens(fake.url + "/api/", "xoxb-wrong")).send(BOB, HELLO)
    assert raised.value.permanent and isinstance(raised.value.__cause__, SlackApiError)


async def test_a_message_is_updated_in_place_on_the_dm(fake):
    sender = SlackSender(Tokens(fake.url + "/api/", TOKEN))
    ts = await sender.send(BOB, HELLO)
    await sender.update(BOB, ts, Message(cards=(Card(title="Broadcast: 3 of 5 sent"),)))
    update = fake.last("chat.update")
    assert update["ts"] == ts and update["channel"] == "DBOB" and update["text"] == "Broadcast: 3 of 5 sent"
