"""A worker killed with SIGKILL mid-run, then restarted: nothing lost, and only rows in flight go twice."""

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.queue import queue
from bot.views import Card, Message, Notice
from core import directory
from core.bank import Bank
from core.clock import SystemClock
from core.outbox import Delivery, OutboxItem
from core.ports import Context
from core.rules import Rules
from storage.database import Database

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("crash_worker.py")
MEMBERS = 300
pytestmark = pytest.mark.slow


async def seed(bank: Bank) -> None:
    async def members(ctx: Context) -> list[int]:
        made = [await directory.resolve(ctx, "slack", "T1", f"U{n}", f"Member {n}") for n in range(MEMBERS)]
        return [member.id for member, _ in made]

    ids = await bank.run(members)
    notices = [Notice(i, Message(cards=(Card(title=f"Campaign news for {i}"),)), f"crash:{i}") for i in ids]
    await bank.run(queue, notices)


async def worker(db_url: str, api: str, owner: str, lease: float) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), db_url, api, owner, str(lease), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def outbox(bank: Bank) -> list[OutboxItem]:
    async def everything(ctx: Context) -> list[OutboxItem]:
        return await ctx.uow.outbox._list(select(OutboxItem))
    return await bank.read(everything)


async def test_sigkill_mid_run_loses_nothing_and_repeats_at_most_the_rows_in_flight(tmp_path, fake):
    url = f"sqlite+aiosqlite:///{tmp_path}/crash.db"
    db = Database(url)
    await db.upgrade()
    bank = Bank(db.unit_of_work, SystemClock(), Rules())
    await seed(bank)
    fake.latency = 0.01
    api = fake.url + "/api/"

    first = await worker(url, api, "first", lease=2.0)
    for _ in range(600):
        if len(fake.posts) >= MEMBERS // 3 or first.returncode is not None:
            break
        await asyncio.sleep(0.02)
    assert first.returncode is None, (await first.stderr.read()).decode()[-2000:]
    first.send_signal(signal.SIGKILL)
    await first.wait()
    before = await outbox(bank)
    in_flight = sum(1 for row in before if row.state == Delivery.PENDING and row.lease_owner == "first")
    posted_at_kill = len(fake.posts)
    assert 0 < posted_at_kill < MEMBERS, "the kill should land mid-run"

    second = await worker(url, api, "second", lease=2.0)
    out, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]

    rows = await outbox(bank)
    per_channel = Counter(channel for channel, _ in fake.posts)
    twice = sum(count - 1 for count in per_channel.values())
    print(f"\ncrash test: {posted_at_kill} posted at the kill, {in_flight} in flight, {twice} sent twice")
    assert all(row.state == Delivery.SENT for row in rows)
    assert len(per_channel) == MEMBERS  # nothing lost: every member got their message
    assert twice <= in_flight
    await db.dispose()
