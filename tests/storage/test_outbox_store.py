"""The outbox keeps each message once, leases it to one worker, and schedules retries."""

import asyncio
from datetime import timedelta

from core import outbox
from core.outbox import Delivery, RetryPolicy
from tests.support import join


async def _queue(ctx, member_id, key):
    return await outbox.enqueue(ctx, member_id, "notice", key, {"cards": [{"title": key}]})


async def test_a_key_is_queued_once(bank):
    alice = await join(bank, "alice")
    assert await bank.run(_queue, alice.id, "k1") is True
    assert await bank.run(_queue, alice.id, "k1") is False
    results = await asyncio.gather(*(bank.run(_queue, alice.id, "k2") for _ in range(5)))
    assert results.count(True) == 1


async def _claim(ctx, owner, limit=10):
    return await ctx.uow.outbox.claim(ctx.now, owner, timedelta(minutes=1), limit)


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(bank, clock):
    alice = await join(bank, "alice")
    for n in range(3):
        await bank.run(_queue, alice.id, f"k{n}")
    first = await bank.run(_claim, "w1")
    assert len(first) == 3
    assert await bank.run(_claim, "w2") == []
    clock.advance(timedelta(minutes=2))
    assert len(await bank.run(_claim, "w2")) == 3  # w1 died: its lease ran out


async def test_concurrent_workers_split_the_rows_without_overlap(bank):
    alice = await join(bank, "alice")
    for n in range(40):
        await bank.run(_queue, alice.id, f"k{n}")
    claimed = await asyncio.gather(*(bank.run(_claim, f"w{n}", 7) for n in range(8)))
    ids = [row.id for rows in claimed for row in rows]
    assert len(ids) == len(set(ids)) == 40


async def _fail(ctx, item_id, **how):
    item = await ctx.uow.outbox.get(item_id)
    outbox.failed(item, ctx.now, "boom", RetryPolicy(), **how)
    return item


async def test_failures_back_off_honour_retry_after_and_end_final(bank, clock):
    alice = await join(bank, "alice")
    await bank.run(_queue, alice.id, "k")
    (row,) = await bank.run(_claim, "w")
    later = await bank.run(_fail, row.id, retry_after=30)
    assert later.state == Delivery.PENDING and later.next_attempt_at == clock.now() + timedelta(seconds=30)
    gone = await bank.run(_fail, row.id, unreachable=True)
    assert gone.state == Delivery.UNREACHABLE
    assert await bank.run(_claim, "w") == []


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=60))
    assert policy.delay(1, rng=lambda: 1.0) == timedelta(seconds=2)
    assert policy.delay(3, rng=lambda: 1.0) == timedelta(seconds=8)
    assert policy.delay(20, rng=lambda: 1.0) == timedelta(seconds=60)
    assert policy.delay(20, rng=lambda: 0.0) == timedelta(seconds=30)
