"""A step and its notification commit together or not at all; a turn's notices are queued once and kicked."""

import pytest
from sqlalchemy import select

from bot import notify
from bot.conversation import Conversation, NoNotifier
from bot.delivery.queue import keyed, queue
from bot.handlers.exchanges import outcome
from bot.turns import Turn
from bot.views import Card, Message, Notice
from core import exchange_flow, marketplace
from core.outbox import Delivery, OutboxItem
from core.ports import Context
from tests.bot.delivery.stand_ins import slack_services
from tests.support import join


async def rows(bank) -> list[OutboxItem]:
    async def everything(ctx: Context) -> list[OutboxItem]:
        return await ctx.uow.outbox._list(select(OutboxItem).order_by(OutboxItem.id))
    return await bank.read(everything)


async def proposal(bank):
    """Alice needs help, Bob says he can help: an exchange waiting for Alice."""
    alice, bob = await join(bank, "alice"), await join(bank, "bob")
    need = await bank.run(marketplace.post_need, alice.id, title="Theatre waste audit", description="",
                          skills=["audit"], campaign_id=1, minutes=60)
    exchange = await bank.run(exchange_flow.propose, bob.id, need_id=need.id)
    return alice, bob, exchange


class StepFailed(Exception):
    pass


async def test_a_notice_queued_in_a_failing_step_is_rolled_back_with_it(bank):
    alice, bob, exchange = await proposal(bank)

    async def tell_then_fail(ctx: Context, accepted) -> None:
        reply = await outcome(ctx, accepted, alice.id, "accepted", "UTC")
        assert await queue(ctx, reply.notices) == 1  # the row was written in this transaction...
        raise StepFailed

    with pytest.raises(StepFailed):
        await bank.run(exchange_flow.accept, exchange.id, alice.id, then=tell_then_fail)
    assert await rows(bank) == []  # ...and went with it
    still = await bank.read(_exchange, exchange.id)
    assert still.state == "proposed"


async def test_a_step_through_the_conversation_queues_its_notice_once_and_kicks_it(db, bank, fake):
    alice, bob, exchange = await proposal(bank)
    services = slack_services(db, bank, fake)
    turn = Turn(platform="slack", workspace_id="T1", user_id="UALICE", action="exchange.accept",
                ref=str(exchange.id), request_key="slack:click-1")
    reply = await services.conversation.handle(turn)
    assert reply.cards[0].title == "Accepted"
    [row] = await rows(bank)
    assert row.dedupe_key == f"exchange:{exchange.id}:accepted" and row.member_id == bob.id
    assert row.state == Delivery.SENT  # the kick sent it before the turn returned
    [post] = fake.of("chat.postMessage")
    assert post["channel"] == "DBOB" and "accepted" in post["text"]

    again = await services.conversation.handle(turn)  # a double click: refused, nothing new queued or sent
    assert "already" in again.cards[0].text.lower()
    assert len(await rows(bank)) == 1 and len(fake.of("chat.postMessage")) == 1


async def test_inside_a_platform_request_the_kick_runs_after_the_reply(db, bank, fake):
    alice, bob, exchange = await proposal(bank)
    services = slack_services(db, bank, fake)
    token = notify.background.set(True)  # as the Slack front end does while a request is answered
    try:
        await services.conversation.handle(Turn(platform="slack", workspace_id="T1", user_id="UALICE",
                                                command="accept", text=str(exchange.id)))
    finally:
        notify.background.reset(token)
    assert fake.of("chat.postMessage") == [] and services.notifier.pending  # the reply did not wait
    await services.notifier.settle()
    [row] = await rows(bank)
    assert row.state == Delivery.SENT and fake.last("chat.postMessage")["channel"] == "DBOB"


async def test_keyless_notices_get_keys_from_the_request_so_a_retry_queues_nothing_new(bank):
    bob = await join(bank, "bob")
    hello = Message(cards=(Card(title="You received hours"),))
    first = keyed([Notice(bob.id, hello), Notice(bob.id, hello, "mine")], "slack:view-9")
    again = keyed([Notice(bob.id, hello)], "slack:view-9")
    assert first[0].key == again[0].key and first[1].key == "mine" and len(first[0].key) < 100
    assert keyed([Notice(bob.id, hello)], None)[0].key != keyed([Notice(bob.id, hello)], None)[0].key
    assert await bank.run(queue, first) == 2 and await bank.run(queue, again) == 0


async def test_the_conversation_queues_notices_even_with_no_sender(bank):
    alice, bob, exchange = await proposal(bank)
    notifier = NoNotifier()
    convo = Conversation(bank, notifier)
    await convo.handle(Turn(platform="slack", workspace_id="T1", user_id="UALICE",
                            command="decline", text=str(exchange.id)))
    [row] = await rows(bank)
    assert row.state == Delivery.PENDING and row.kind == "notice"
    assert [n.key for n in notifier.sent] == [row.dedupe_key]


async def _exchange(ctx: Context, exchange_id: int):
    return await ctx.uow.exchanges.get(exchange_id)
