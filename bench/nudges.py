"""Benchmark: the nudge scan over 100,000 campaign participants (goal <= 2 s).

Seeds a fresh database in bulk (members in eight time zones, each in a campaign;
needs, offers with skill terms, exchanges in every state, holds), then times the
scan the scheduler runs (`bot.scheduler.nudges.scan`: candidates found per kind in
one query each, the policy per member, cards rendered, outbox rows written in
bulk) six times, five minutes apart: the first ones drain the backlog of a
database where everything is due at once (at most `--max-per-scan` each), later
ones ask helpers and find little new. Then the Monday digest. Each line gives the
machine's one-minute load average, as the figures depend on it (2 vCPUs, shared).

    .venv/bin/python -m bench.nudges                      # SQLite in a temp folder
    .venv/bin/python -m bench.nudges --backend postgres   # wipes hexitime_bench_nudges
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.scheduler import nudges as jobs
from core import campaign_flow
from core.bank import Bank
from core.clock import ManualClock
from core.nudges import NudgeSettings
from core.rules import Rules
from storage import tables
from storage.database import Database
from storage.outbox_store import outbox

GOAL_S = 2.0
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hexitime_bench_nudges"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
ZONES = ("Europe/London", "Europe/London", "Europe/London", "Europe/Paris", "Asia/Kolkata",
         "America/New_York", "Africa/Lagos", "Australia/Sydney")
SKILLS = ("theatre waste", "recycling", "procurement", "gardening", "nutrition", "energy", "composting",
          "catering", "ecology", "plastics", "menu planning", "reusables")
CHUNK = 5_000


async def bulk(db: Database, table, rows: list[dict]) -> None:
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[start:start + CHUNK])


async def seed(db: Database, participants: int, rng: random.Random) -> dict:
    """Members, participations, needs, offers, exchanges and holds, in bulk."""
    clock = ManualClock(NOW - timedelta(days=30))
    await Bank(db.unit_of_work, clock, Rules()).run(campaign_flow.seed)
    campaign_ids = [1, 2, 3, 4]
    old, fresh = NOW - timedelta(days=10), NOW - timedelta(days=1)
    await bulk(db, tables.members, [
        dict(id=i, display_name=f"Member {i}", organisation="", sector="nhs", skills=[], bio="",
             timezone=ZONES[i % len(ZONES)], role="member", preferences={}, onboarded=True, created_at=old)
        for i in range(1, participants + 1)])
    await bulk(db, tables.participations, [
        dict(campaign_id=campaign_ids[i % 4], member_id=i, role="participant", joined_at=old)
        for i in range(1, participants + 1)])
    n_needs, n_offers, n_exchanges = participants // 5, participants // 10, participants // 5
    needs, terms = [], []
    for i in range(1, n_needs + 1):
        skill = rng.choice(SKILLS)
        owner = rng.randint(1, participants)
        needs.append(dict(id=i, owner_id=owner, title=f"Help with {skill}", description="", skills=[skill],
                          campaign_id=campaign_ids[owner % 4], minutes=60, status="open",
                          expires_at=NOW + timedelta(days=60), created_at=old if i % 2 else fresh,
                          updated_at=old if i % 2 else fresh, client_key=None))
        terms.append(dict(kind="need", term=f"s:{skill}", post_id=i, weight=3))
    offers = []
    for i in range(1, n_offers + 1):
        skill = rng.choice(SKILLS)
        offers.append(dict(id=i, owner_id=rng.randint(1, participants), title=f"I know {skill}", description="",
                           skills=[skill], campaign_ids=[], minutes=600, minutes_committed=0, status="active",
                           created_at=old, updated_at=old, client_key=None))
        terms.append(dict(kind="offer", term=f"s:{skill}", post_id=i, weight=3))
    await bulk(db, tables.needs, needs)
    await bulk(db, tables.offers, offers)
    await bulk(db, tables.post_terms, terms)
    await bulk(db, tables.accounts, [
        dict(id=900_000 + i, kind="member", owner_id=i, name=f"a{i}", credit_limit=None, debits_pending=0, debits_posted=0,
             credits_pending=0, credits_posted=0, created_at=old) for i in (1, 2)])
    exchanges, holds = [], []
    states = ("proposed", "accepted", "logged", "confirmed")
    for i in range(1, n_exchanges + 1):
        state = states[i % 4]
        requester, helper = rng.randint(1, participants), rng.randint(1, participants)
        if requester == helper:
            continue
        hold_id = None
        if state == "accepted":
            hold_id = len(holds) + 1
            holds.append(dict(id=hold_id, key=f"hold:{i}", kind="pending", debit_account_id=900_001,
                              credit_account_id=900_002, amount=60, pending_id=None, reverses_id=None, reason="",
                              expires_at=NOW + timedelta(days=rng.randint(1, 60)), created_at=old))
        exchanges.append(dict(
            id=i, requester_id=requester, helper_id=helper, proposed_by=rng.choice((requester, helper)),
            minutes=60, need_id=None, offer_id=None, campaign_id=campaign_ids[requester % 4], state=state, note="",
            hold_transfer_id=hold_id, logged_minutes=60 if state in ("logged", "confirmed") else None,
            logged_by=helper if state in ("logged", "confirmed") else None,
            logged_at=old if state in ("logged", "confirmed") else None, posted_minutes=60 if state == "confirmed"
            else None, session_on=None, dispute_reason="", resolved_by=None, requester_thanks="",
            helper_thanks="thanks!" if i % 8 == 0 else "", client_key=None, created_at=old,
            updated_at=old, closed_at=fresh if state == "confirmed" else None))
    await bulk(db, tables.transfers, holds)
    await bulk(db, tables.exchanges, exchanges)
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            for name in ("members", "needs", "offers", "exchanges", "transfers", "accounts"):
                await conn.execute(text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"))
            await conn.execute(text("ANALYZE"))
    return dict(needs=n_needs, offers=n_offers, exchanges=len(exchanges))


async def timed(label: str, job, services, goal: float | None) -> float:
    started = time.perf_counter()
    queued = await job(services)
    took = time.perf_counter() - started
    goal_text = f"goal <= {goal:.1f} s, ratio {took / goal:.2f}" if goal else "no goal"
    print(f"{label}: {took:.2f} s, {queued} queued ({goal_text}; load average {os.getloadavg()[0]:.2f})")
    return took


async def ensure_database(url: str) -> None:
    """Create the bench's PostgreSQL database if the server lacks it (it is emptied either way)."""
    base, _, name = url.rpartition("/")
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            found = await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if found.first() is None:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", default=PG_URL)
    parser.add_argument("--max-per-scan", type=int, default=NudgeSettings.max_per_scan,
                        help="nudges queued per scan at most (0: no limit, the whole backlog at once)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}" if args.backend == "sqlite" else args.database_url
        if args.backend == "postgres":
            await ensure_database(url)
        db = Database(url)
        if not db.is_sqlite:
            async with db.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await db.upgrade()
        started = time.perf_counter()
        sizes = await seed(db, args.participants, random.Random(6))
        print(f"seeded {args.participants:,} participants, {sizes['needs']:,} needs, {sizes['offers']:,} offers, "
              f"{sizes['exchanges']:,} exchanges in {time.perf_counter() - started:.1f} s ({args.backend})")
        clock = ManualClock(NOW)
        settings = SimpleNamespace(nudges=NudgeSettings(max_per_scan=args.max_per_scan))
        services = SimpleNamespace(bank=Bank(db.unit_of_work, clock, Rules()), settings=settings)
        slowest = 0.0
        for number in range(1, 7):  # the scheduler's cadence: a scan every five minutes
            slowest = max(slowest, await timed(f"nudge scan {number}", jobs.scan, services, GOAL_S))
            clock.advance(timedelta(minutes=5))
        print(f"slowest scan: {slowest:.2f} s (goal <= {GOAL_S:.1f} s, ratio {slowest / GOAL_S:.2f})")
        await timed("Monday digest", jobs.digest, services, None)
        async with db.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
            distinct = (await conn.execute(select(func.count(outbox.c.dedupe_key.distinct())))).scalar_one()
        print(f"outbox rows: {total:,}, distinct keys: {distinct:,}")
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
