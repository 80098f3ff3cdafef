"""Confirmed exchanges per second: the core use cases against the same writes as raw SQL.

    python bench/ledger.py [--backend sqlite postgres] [--clients 1 16] [--exchanges 100] [--repeat 3]
                           [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

For each backend and each number of concurrent clients, the same kind of pre-accepted
exchanges (hold placed, hours not yet logged) are confirmed two ways on the same database:

* core — `exchange_flow.log` then `exchange_flow.confirm`, each through `Bank.run`, so two
  transactions per exchange with every check the product makes;
* raw SQL — one transaction per exchange with only the writes that confirmation leaves
  behind: the post transfer inserted, both accounts' counters updated, the exchange marked
  logged and confirmed, its need closed (on PostgreSQL the two accounts are locked first,
  in id order, as the core does).

The ratio raw/core is what the use-case layer costs. SQLite runs on a temporary file;
PostgreSQL on a scratch database created on the given server and dropped afterwards.
The ledger is verified after each backend. Not part of the test suite.
"""

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from core import directory, marketplace, transfers  # noqa: E402
from core import exchange_flow as flow  # noqa: E402
from core.bank import Bank  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.ledger import AccountKind  # noqa: E402
from core.rules import Rules  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.verify import verify_ledger  # noqa: E402

MEMBERS = 40
GRANT = 1_000 * 60  # minutes each member starts with, so the credit limit never refuses here
BATCH = 50  # exchanges set up per transaction
WARM_UP = 20  # exchanges confirmed before the clock starts, per path


@dataclass(frozen=True)
class Agreed:
    """What confirming one exchange needs to know, read once during set-up."""

    exchange_id: int
    need_id: int
    hold_id: int
    requester: int
    helper: int
    payer_account: int
    payee_account: int
    minutes: int


# --- set-up, through the core ----------------------------------------------------------------------


async def members(bank: Bank) -> list[tuple[int, int]]:
    """(member id, account id) for each member, each funded from the issuer."""
    made = []
    for n in range(MEMBERS):
        member, _ = await bank.run(directory.resolve, "slack", "TBENCH", f"U{n:04d}", f"Member {n}")
        account = await bank.read(transfers.account_of, AccountKind.MEMBER, member.id)
        made.append((member.id, account.id))
    issuer = await bank.run(transfers.issuer)
    for _, account in made:
        await bank.run(transfers.transfer, f"bench:grant:{account}", issuer.id, account, GRANT, "bench")
    return made


async def agree(bank: Bank, people: list[tuple[int, int]], count: int, rng: random.Random) -> list[Agreed]:
    """`count` exchanges proposed and accepted, hold placed; BATCH per transaction."""
    agreed: list[Agreed] = []
    while len(agreed) < count:
        pairs = [rng.sample(people, 2) for _ in range(min(BATCH, count - len(agreed)))]
        agreed += await bank.run(_agree_batch, pairs, rng.randrange(30, 121, 15))
    return agreed


async def _agree_batch(ctx, pairs, minutes: int) -> list[Agreed]:
    made = []
    for (requester, payer), (helper, payee) in pairs:
        need = await marketplace.post_need(ctx, requester, "Theatre waste audit", "bench", ["recycling"],
                                           minutes=minutes)
        exchange = await flow.propose(ctx, helper, need_id=need.id, minutes=minutes)
        exchange = await flow.accept(ctx, exchange.id, requester)
        made.append(Agreed(exchange.id, need.id, exchange.hold_transfer_id, requester, helper, payer, payee,
                           minutes))
    return made


# --- the two ways of confirming --------------------------------------------------------------------


async def confirm_core(bank: Bank, agreed: Agreed) -> None:
    await bank.run(flow.log, agreed.exchange_id, agreed.helper, agreed.minutes)
    await bank.run(flow.confirm, agreed.exchange_id, agreed.requester)


POST = text(
    "INSERT INTO transfers (key, kind, debit_account_id, credit_account_id, amount, pending_id, reason, "
    "created_at) VALUES (:key, 'post', :payer, :payee, :minutes, :hold, :reason, :now)"
)
DEBIT = text(
    "UPDATE accounts SET debits_pending = debits_pending - :minutes, "
    "debits_posted = debits_posted + :minutes WHERE id = :payer"
)
CREDIT = text(
    "UPDATE accounts SET credits_pending = credits_pending - :minutes, "
    "credits_posted = credits_posted + :minutes WHERE id = :payee"
)
EXCHANGE = text(
    "UPDATE exchanges SET state = 'confirmed', logged_minutes = :minutes, logged_by = :helper, "
    "logged_at = :now, posted_minutes = :minutes, updated_at = :now, closed_at = :now "
    "WHERE id = :exchange AND state = 'accepted'"
)
NEED = text("UPDATE needs SET status = 'closed', updated_at = :now WHERE id = :need")
LOCK = text("SELECT id FROM accounts WHERE id IN (:first, :second) ORDER BY id FOR UPDATE")


async def confirm_raw(db: Database, agreed: Agreed, now) -> None:
    """The rows a confirmation writes, and nothing else, in one transaction."""
    values = {
        "key": f"post:exchange:{agreed.exchange_id}", "payer": agreed.payer_account,
        "payee": agreed.payee_account, "minutes": agreed.minutes, "hold": agreed.hold_id,
        "reason": f"exchange #{agreed.exchange_id} confirmed", "now": now, "helper": agreed.helper,
        "exchange": agreed.exchange_id, "need": agreed.need_id,
    }
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            first, second = sorted((agreed.payer_account, agreed.payee_account))
            await conn.execute(LOCK, {"first": first, "second": second})
        for statement in (POST, DEBIT, CREDIT, EXCHANGE, NEED):
            await conn.execute(statement, values)


async def rate(db: Database, clients: int, work: list[Agreed], confirm) -> tuple[float, float]:
    """Exchanges confirmed per second by `clients` tasks sharing one queue of work,
    and the SQL statements (BEGIN and COMMIT included) each exchange took."""
    queue = list(reversed(work))
    statements = 0

    def count(*_) -> None:
        nonlocal statements
        statements += 1

    async def client() -> None:
        while queue:
            await confirm(queue.pop())

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    event.listen(db.engine.sync_engine, "commit", count)
    try:
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        event.remove(db.engine.sync_engine, "commit", count)
    return len(work) / elapsed, statements / len(work)


# --- one backend -----------------------------------------------------------------------------------


async def run_backend(url: str, clients_list: list[int], count: int, repeat: int, seed: int) -> list[tuple]:
    """Per client count: `repeat` rounds of core then raw, `count` exchanges each; medians."""
    db = Database(url, pool_size=max(clients_list))
    await db.upgrade()
    clock = ManualClock()
    bank = Bank(db.unit_of_work, clock, Rules())
    rng = random.Random(seed)
    rows = []

    def core_path(agreed):
        return confirm_core(bank, agreed)

    def raw_path(agreed):
        return confirm_raw(db, agreed, clock.now())

    try:
        people = await members(bank)
        for clients in clients_list:
            core_work = await agree(bank, people, WARM_UP + count * repeat, rng)
            raw_work = await agree(bank, people, WARM_UP + count * repeat, rng)
            await rate(db, clients, core_work[:WARM_UP], core_path)
            await rate(db, clients, raw_work[:WARM_UP], raw_path)
            cores, raws = [], []
            for r in range(repeat):  # interleaved, so a burst of other load hits both paths alike
                part = slice(WARM_UP + r * count, WARM_UP + (r + 1) * count)
                cores.append(await rate(db, clients, core_work[part], core_path))
                raws.append(await rate(db, clients, raw_work[part], raw_path))
            rows.append((clients, statistics.median(c for c, _ in cores), statistics.median(r for r, _ in raws),
                         cores[0][1], raws[0][1]))
        problems = (await verify_ledger(db)).problems
        if problems:
            raise SystemExit("ledger verify FAILED after the benchmark:\n" + "\n".join(problems[:10]))
    finally:
        await db.dispose()
    return rows


async def sqlite_run(clients_list, count, repeat, seed):
    with tempfile.TemporaryDirectory() as folder:
        return await run_backend(f"sqlite+aiosqlite:///{folder}/bench.db", clients_list, count, repeat, seed)


async def postgres_run(server_url: str, clients_list, count, repeat, seed):
    """A scratch database on the server, dropped afterwards, so nothing of yours is touched."""
    name = f"hexitime_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        base, _, _ = server_url.rpartition("/")
        try:
            return await run_backend(f"{base}/{name}", clients_list, count, repeat, seed)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        await admin.dispose()


async def server_version(server_url: str) -> str:
    engine = create_async_engine(server_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SHOW server_version"))).scalar_one()
    finally:
        await engine.dispose()


def postgres_url(given: str | None) -> str | None:
    url = given or os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgres", "postgresql") else url


def _load() -> str:
    """Other work on the machine skews the figures; say how busy it was."""
    return " ".join(f"{n:.1f}" for n in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--exchanges", type=int, default=100, help="timed per path, client count and round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per cell; the median is shown")
    parser.add_argument("--postgres-url", help="a server to make a scratch database on "
                        "(default BENCH_POSTGRES_URL or TEST_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    pg = postgres_url(args.postgres_url)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()}; "
          f"Python {platform.python_version()}; load average {_load()}")
    print(f"core path: log + confirm via Bank.run (2 transactions); raw path: 1 transaction; "
          f"median of {args.repeat} rounds of {args.exchanges} exchanges per cell, after {WARM_UP} warm-up")
    table = []
    started = time.perf_counter()
    for backend in args.backend:
        if backend == "sqlite":
            print(f"sqlite {sqlite3.sqlite_version} (WAL, BEGIN IMMEDIATE)", flush=True)
            rows = asyncio.run(sqlite_run(args.clients, args.exchanges, args.repeat, args.seed))
        elif pg is None:
            print("postgres skipped: give --postgres-url or set BENCH_POSTGRES_URL", flush=True)
            continue
        else:
            print(f"postgres {asyncio.run(server_version(pg))}", flush=True)
            rows = asyncio.run(postgres_run(pg, args.clients, args.exchanges, args.repeat, args.seed))
        table += [(backend, *row) for row in rows]
    print()
    print(f"{'backend':<9} {'clients':>7} {'core ex/s':>10} {'raw SQL ex/s':>13} {'raw/core':>9} "
          f"{'SQL per exchange (core / raw)':>30}")
    for backend, clients, core, raw, core_sql, raw_sql in table:
        print(f"{backend:<9} {clients:>7} {core:>10.0f} {raw:>13.0f} {raw / core:>8.1f}x "
              f"{core_sql:>22.1f} / {raw_sql:.1f}")
    print(f"\nledger verified after each backend; whole run {time.perf_counter() - started:.0f} s; "
          f"load average {_load()}")



if __name__ == "__main__":
    main()
