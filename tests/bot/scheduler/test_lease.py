"""One scheduler at a time: the lease row, the keeper that renews it, and two schedulers in one process."""

import asyncio
import time
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.scheduler.lease import LeaseKeeper
from bot.scheduler.runner import SchedulerSettings, running_scheduler
from core import marketplace
from core.clock import ManualClock
from core.lease import Lease, may_take, renewed
from storage import scheduler_store
from storage.database import Database
from tests.bot.scheduler.world import messages, services_for, twin
from tests.support import join

TTL = timedelta(seconds=30)
FAST = SchedulerSettings(lease_ttl=1.5, renew_every=0.25, deliver_every=0.1, expire_every=0.1,
                         confirm_every=0.1, nudge_every=60, digest_every=60, stop_grace=1)


def test_the_lease_decision() -> None:
    now = ManualClock().now()
    theirs = Lease("scheduler", "b", now + TTL)
    assert may_take(None, "a", now)
    assert may_take(Lease("scheduler", "a", now + TTL), "a", now)
    assert not may_take(theirs, "a", now)
    assert may_take(theirs, "a", now + TTL)
    assert renewed("scheduler", "a", now, TTL) == Lease("scheduler", "a", now + TTL)
    with pytest.raises(ValueError):
        renewed("scheduler", "a", now, timedelta(0))


async def test_the_lease_goes_to_one_owner_until_it_lapses(db, clock) -> None:
    now = clock.now()
    assert (await scheduler_store.acquire(db, "scheduler", "a", now, TTL)).owner == "a"
    assert (await scheduler_store.acquire(db, "scheduler", "b", now + TTL / 2, TTL)).owner == "a"
    assert (await scheduler_store.acquire(db, "scheduler", "a", now + TTL / 2, TTL)).expires_at == now + TTL * 1.5
    assert (await scheduler_store.acquire(db, "scheduler", "b", now + TTL, TTL)).owner == "a"
    assert (await scheduler_store.acquire(db, "scheduler", "b", now + TTL * 1.5, TTL)).owner == "b"
    assert (await scheduler_store.acquire(db, "scheduler", "a", now + TTL * 1.5, TTL)).owner == "b"
    assert (await scheduler_store.acquire(db, "other-job", "a", now, TTL)).owner == "a"

    assert not await scheduler_store.release(db, "scheduler", "a")
    assert await scheduler_store.release(db, "scheduler", "b")
    assert await scheduler_store.holder(db, "scheduler") is None
    assert (await scheduler_store.acquire(db, "scheduler", "a", now + TTL * 1.5, TTL)).owner == "a"


async def test_racing_for_a_lapsed_lease_exactly_one_wins(db, clock) -> None:
    other = Database(db.url)
    try:
        for round_ in range(15):
            now = clock.now() + TTL * round_
            leases = await asyncio.gather(
                scheduler_store.acquire(db, "scheduler", f"a{round_}", now, TTL),
                scheduler_store.acquire(other, "scheduler", f"b{round_}", now, TTL),
            )
            assert leases[0] == leases[1], leases
            assert leases[0].owner in (f"a{round_}", f"b{round_}")
    finally:
        await other.dispose()


async def test_a_keeper_that_stops_renewing_steps_back_before_another_takes_over(db) -> None:
    ttl, wall = timedelta(seconds=0.9), ManualClock()
    first, second = LeaseKeeper(db, "first", ttl, clock=wall), LeaseKeeper(db, "second", ttl, clock=wall)
    assert await first.renew() and first.held
    assert not await second.renew() and not second.held
    assert second.holder == "first"

    await asyncio.sleep(ttl.total_seconds() * 0.7)  # first died: no more renewals
    assert not first.held, "a keeper trusts its lease for two thirds of the TTL only"
    wall.advance(ttl - timedelta(milliseconds=1))
    assert not await second.renew(), "the lease itself has not lapsed yet"
    wall.advance(timedelta(milliseconds=1))
    assert await second.renew() and second.held
    assert not await first.renew()
    assert first.holder == "second"


async def test_two_schedulers_in_one_process_run_jobs_one_at_a_time(db, bank) -> None:
    services = services_for(db, bank)
    other = twin(services)
    ann = await join(bank, "ann")
    try:
        async with AsyncExitStack() as second, AsyncExitStack() as first:
            one = await first.enter_async_context(running_scheduler(services, "one", FAST))
            two = await second.enter_async_context(running_scheduler(other, "two", FAST))
            assert await overlaps(one, two, seconds=1.2) == 0
            assert one.keeper.held and one.runs["expire-needs"] > 3
            assert sum(two.runs.values()) == 0 and two.keeper.holder == "one"

            await first.aclose()
            await wait_until(lambda: two.keeper.held)
            need = await bank.run(marketplace.post_need, ann.id, "Compost bins")
            bank.clock.advance(bank.rules.need_ttl)
            await wait_until(lambda: two.done["expire-needs"] == 1)
            assert list(await messages(db, f"need:{need.id}:")) == [ann.id]
            assert sum(one.runs.values()) > 0 and one.done["expire-needs"] == 0
        assert await scheduler_store.holder(db, "scheduler") is None, "a clean stop releases the lease"
    finally:
        await other.db.dispose()


async def overlaps(one, two, seconds: float) -> int:
    """How many times both held the lease at once, sampled every 20 ms."""
    overlap, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        overlap += one.keeper.held and two.keeper.held
        await asyncio.sleep(0.02)
    return overlap


async def wait_until(ready, seconds: float = 3) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_scheduler_runs_the_jobs_on_the_injected_clock(db, bank) -> None:
    services = services_for(db, bank)
    ann = await join(bank, "ann")
    need = await bank.run(marketplace.post_need, ann.id, "Seed library")
    async with running_scheduler(services, "solo", FAST) as solo:
        await wait_until(lambda: solo.runs["expire-needs"] >= 2)
        assert solo.done["expire-needs"] == 0
        bank.clock.advance(bank.rules.need_ttl)
        await wait_until(lambda: solo.done["expire-needs"] == 1)
    assert list(await messages(db, f"need:{need.id}:")) == [ann.id]


def test_intervals_are_checked_and_refusals_name_the_variable() -> None:
    with pytest.raises(ValueError, match="HEXITIME_SCHEDULER_RENEW_EVERY must be under two thirds"):
        SchedulerSettings(lease_ttl=3, renew_every=2)
    with pytest.raises(ValueError, match="HEXITIME_SCHEDULER_DELIVER_EVERY must be a positive number"):
        SchedulerSettings(deliver_every=0)


async def test_the_scheduler_runs_at_the_services_intervals(db, bank) -> None:
    settings = Settings(database_url=db.url, scheduler_lease_ttl="4.5", scheduler_renew_every=1)
    services = replace(services_for(db, bank), settings=settings)
    async with running_scheduler(services, owner="solo") as solo:
        assert solo.keeper.ttl == timedelta(seconds=4.5)
        assert (await scheduler_store.holder(db, "scheduler")).owner == "solo"
