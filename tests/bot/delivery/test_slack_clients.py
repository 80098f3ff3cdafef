"""The Slack sender reads a workspace's installation once for many sends, and afresh after a token failure."""

import asyncio

import pytest
from sqlalchemy import event

from bot.delivery.errors import DeliveryError
from bot.slack.delivery import SlackSender
from bot.slack.installations import Tokens
from bot.views import Card, Message
from core.members import Identity
from tests.bot.broadcasting.population import CLIENT_ID, install_slack

HELLO = Message(cards=(Card(title="Plant-forward menus from Monday"),))


def member(n: int, workspace: str = "T1") -> Identity:
    return Identity(platform="slack", workspace_id=workspace, user_id=f"U{n}", member_id=n)


def installation_reads(db) -> list[str]:
    reads: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:
        if "slack_bots" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)
    return reads


async def sender_for(db, fake) -> SlackSender:
    fake.tokens |= set((await install_slack(db, ["T1", "T2"])).values())
    return SlackSender(Tokens(fake.url + "/api/", None, CLIENT_ID, "client-secret", db.engine))


async def test_many_sends_at_once_to_a_workspace_read_its_installation_once(db, fake):
    sender = await sender_for(db, fake)
    reads = installation_reads(db)
    sent = await asyncio.gather(*(sender.send(member(n), HELLO) for n in range(20)))
    assert all(sent) and len(fake.of("chat.postMessage")) == 20
    assert len(reads) == 1
    await sender.send(member(1, "T2"), HELLO)
    assert len(reads) == 2  # another workspace, another installation


async def test_after_a_token_failure_or_once_stale_the_installation_is_read_again(db, fake):
    sender = await sender_for(db, fake)
    reads = installation_reads(db)
    await sender.send(member(1), HELLO)
    fake.failures["conversations.open"] = "token_revoked"
    with pytest.raises(DeliveryError):
        await sender.send(member(2), HELLO)
    del fake.failures["conversations.open"]
    await sender.send(member(3), HELLO)
    assert len(reads) == 2
    stale_at_once = SlackSender(sender.tokens, client_seconds=0.0)
    await stale_at_once.send(member(4), HELLO)
    await stale_at_once.send(member(5), HELLO)
    assert len(reads) == 4


async def test_a_workspace_without_an_installation_is_unreachable_and_asked_again_next_time(db, fake):
    sender = await sender_for(db, fake)
    reads = installation_reads(db)
    for _ in range(2):
        with pytest.raises(DeliveryError) as raised:
            await sender.send(member(1, "T9"), HELLO)
        assert raised.value.unreachable
    assert len(reads) == 2 and fake.of("conversations.open") == []


async def test_calls_reuse_kept_alive_connections_until_the_sender_is_closed(db, fake):
    sender = await sender_for(db, fake)
    for n in range(10):
        await sender.send(member(n), HELLO)
    assert len(fake.of("conversations.open")) + len(fake.of("chat.postMessage")) == 20
    assert len(fake.connections) == 1, f"{len(fake.connections)} connections for 20 calls"
    await sender.close()
    await sender.send(member(11), HELLO)
    assert len(fake.connections) == 2
    await sender.close()
