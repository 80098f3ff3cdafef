"""Notices reach Slack members as direct messages, waiting out 429s a bounded number of times."""

import time

import pytest
from slack_sdk.errors import SlackApiError

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
    with pytest.raises(SlackApiError):
        await sender.send(BOB, HELLO)
    assert len(fake.of("conversations.open")) == 2
    fake.limited.clear()
    fake.rate_limit("conversations.open", times=1, retry_after=3600)
    with pytest.raises(SlackApiError):  # an absurd wait is not honoured: the caller retries later
        await SlackSender(Tokens(fake.url + "/api/", TOKEN)).send(BOB, HELLO)


async def test_a_bad_token_is_an_error_not_a_silent_success(fake):
    with pytest.raises(SlackApiError):
        await SlackSender(Tokens(fake.url + "/api/", "xoxb-wrong")).send(BOB, HELLO)
