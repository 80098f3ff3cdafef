"""The worker against a stand-in Slack: sent with its ts, 429 Retry-After honoured, 5xx backed off, the gone marked."""

from datetime import timedelta

from bot import viewcodec
from bot.delivery.queue import queue
from bot.delivery.worker import deliver_due
from bot.views import Card, Message, Notice
from core import outbox
from core.outbox import Delivery, OutboxItem
from core.ports import Context
from tests.bot.delivery.stand_ins import slack_services
from tests.support import join

HELLO = Message(cards=(Card(title="Alice accepted exchange #1", text="1 h is held"),))


async def row(bank, key: str) -> OutboxItem:
    async def by_key(ctx: Context) -> OutboxItem:
        return await ctx.uow.outbox._by_key(key)
    return await bank.read(by_key)


async def queued(bank, name: str, key: str = "k1") -> int:
    member = await join(bank, name)
    await bank.run(queue, [Notice(member.id, HELLO, key)])
    return member.id


async def test_a_due_row_is_sent_once_with_the_platform_message_id(db, bank, fake):
    services = slack_services(db, bank, fake)
    await queued(bank, "bob")
    assert await deliver_due(services, "w1") == 1
    [post] = fake.of("chat.postMessage")
    assert post["channel"] == "DBOB" and post["text"] == "Alice accepted exchange #1"
    sent = await row(bank, "k1")
    assert sent.state == Delivery.SENT and sent.platform == "slack" and sent.attempts == 1
    assert sent.platform_message_id and sent.platform_message_id.startswith("1700000000.")
    assert sent.lease_owner is None
    assert await deliver_due(services, "w1") == 0 and len(fake.of("chat.postMessage")) == 1


async def test_429_retry_after_is_honoured_then_sent(db, bank, clock, fake):
    services = slack_services(db, bank, fake)
    await queued(bank, "bob")
    fake.rate_limit("chat.postMessage", times=2, retry_after=30)
    assert await deliver_due(services, "w1") == 1
    waiting = await row(bank, "k1")
    assert waiting.state == Delivery.PENDING and waiting.attempts == 1 and "429" in waiting.last_error
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=30)
    limiter = services.notifier.limiter
    assert limiter.free_at[("slack", "T1")] - limiter.clock() > 25  # the workspace is paused, not hammered
    limiter.free_at.clear()  # don't wait 30 real seconds here

    clock.advance(timedelta(seconds=29))
    assert await deliver_due(services, "w1") == 0  # not before Retry-After
    clock.advance(timedelta(seconds=1))
    fake.limited.clear()
    assert await deliver_due(services, "w1") == 1
    assert (await row(bank, "k1")).state == Delivery.SENT
    assert len([c for c in fake.calls if c.method == "chat.postMessage"]) == 2  # one 429, one success


async def test_5xx_is_retried_with_capped_exponential_backoff(db, bank, clock, fake):
    services = slack_services(db, bank, fake)
    policy = services.notifier.retry
    await queued(bank, "bob")
    fake.break_next("chat.postMessage", 503, times=3)
    for attempt in (1, 2, 3):
        await deliver_due(services, "w1")
        item = await row(bank, "k1")
        wait = item.next_attempt_at - clock.now()
        ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
        assert item.state == Delivery.PENDING and item.attempts == attempt
        assert ceiling / 2 <= wait <= ceiling and "503" in item.last_error
        clock.advance(wait)
    await deliver_due(services, "w1")
    assert (await row(bank, "k1")).state == Delivery.SENT and len(fake.posts) == 1


async def test_a_member_gone_from_slack_is_marked_unreachable_and_not_retried(db, bank, clock, fake):
    services = slack_services(db, bank, fake)
    await queued(bank, "bob", "gone")
    fake.failures["conversations.open"] = "user_not_found"
    await deliver_due(services, "w1")
    item = await row(bank, "gone")
    assert item.state == Delivery.UNREACHABLE and "user_not_found" in item.last_error
    calls = len(fake.calls)
    clock.advance(timedelta(days=1))
    assert await deliver_due(services, "w1") == 0 and len(fake.calls) == calls


async def test_an_inactive_account_and_a_rejected_message_are_final(db, bank, fake):
    services = slack_services(db, bank, fake)
    await queued(bank, "bob", "inactive")
    fake.failures["chat.postMessage"] = "account_inactive"
    await deliver_due(services, "w1")
    assert (await row(bank, "inactive")).state == Delivery.UNREACHABLE
    await queued(bank, "carol", "rejected")
    fake.failures["chat.postMessage"] = "invalid_blocks"
    assert await deliver_due(services, "w1") == 1  # only Carol's row: Bob's is final
    rejected = await row(bank, "rejected")
    assert rejected.state == Delivery.FAILED and rejected.attempts == 1 and "invalid_blocks" in rejected.last_error


async def test_a_member_with_no_reachable_identity_is_skipped(db, bank, fake):
    services = slack_services(db, bank, fake)
    member = await join(bank, "tess", platform="teams")  # no Teams sender in this process
    await bank.run(queue, [Notice(member.id, HELLO, "nowhere")])
    assert await deliver_due(services, "w1") == 1
    item = await row(bank, "nowhere")
    assert item.state == Delivery.SKIPPED and fake.calls == []


async def test_only_a_notice_redraws_the_members_home_not_a_broadcast_digest_or_nudge(db, bank, fake):
    services = slack_services(db, bank, fake, home=True)
    bob = await queued(bank, "bob", "notice:1")
    for kind in ("broadcast", "digest", "nudge"):
        await bank.run(outbox.enqueue, bob, kind, f"{kind}:1", viewcodec.encode(HELLO))
    assert await deliver_due(services, "w1") == 4
    assert len(fake.of("chat.postMessage")) == 4
    [home] = fake.of("views.publish")
    assert home["user_id"] == "UBOB" and home["view"]["type"] == "home"


async def test_a_row_to_a_channel_in_the_batch_does_not_stop_members_being_routed(db, bank, fake):
    services = slack_services(db, bank, fake)
    await bank.run(outbox.enqueue_channel, 1, "channel", "channel:1", viewcodec.encode(HELLO))
    await queued(bank, "bob")
    assert await deliver_due(services, "w1") == 2
    assert (await row(bank, "k1")).state == Delivery.SENT and fake.of("chat.postMessage")[0]["channel"] == "DBOB"
