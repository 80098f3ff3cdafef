"""Many requests at once against a few hot accounts: nothing lost, nothing doubled, no limit passed."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core import exchange_flow as flow
from core import marketplace, transfers
from core.bank import Bank
from core.clock import ManualClock
from core.errors import DomainError, InvalidState, LimitExceeded
from core.exchanges import State
from core.ledger import Account, AccountKind, Transfer
from core.rules import Rules
from storage import tables
from storage.database import Database
from storage.verify import verify_ledger
from tests.support import join

ROOT = Path(__file__).resolve().parents[2]
MINUTES = 60
PAYERS, PAYEES = 3, 3
GIFTS_PER_PAYER = 8  # of an hour each: with three hours held, only seven fit in the ten-hour limit


@dataclass
class Market:
    """Three requesters who each owe three helpers an hour, logged and waiting to be confirmed."""

    payers: list[int]
    payees: list[int]
    exchanges: list[tuple[int, int]]  # (exchange id, requester id)
    accounts: dict[int, int]  # member id → account id


async def logged_market(bank: Bank) -> Market:
    payers = [(await join(bank, f"payer{i}")).id for i in range(PAYERS)]
    payees = [(await join(bank, f"payee{i}")).id for i in range(PAYEES)]
    exchanges = []
    for payer in payers:
        for payee in payees:
            need = await bank.run(marketplace.post_need, payer, f"Waste audit {payer}-{payee}", "help",
                                  ["recycling"], minutes=MINUTES)
            exchange = await bank.run(flow.propose, payee, need_id=need.id, minutes=MINUTES)
            await bank.run(flow.accept, exchange.id, payer)
            await bank.run(flow.log, exchange.id, payee, MINUTES)
            exchanges.append((exchange.id, payer))
    accounts = {m: (await bank.read(transfers.account_of, AccountKind.MEMBER, m)).id for m in payers + payees}
    return Market(payers, payees, exchanges, accounts)


def plan(market: Market, tag: str) -> list[dict]:
    """The requests of one burst: confirmations twice over, gifts, and gifts repeated with their key."""
    ops = []
    for exchange_id, payer in market.exchanges:
        ops += [{"op": "confirm", "exchange": exchange_id, "actor": payer}] * 2
    for n, payer in enumerate(market.payers):
        for gift in range(GIFTS_PER_PAYER):
            payee = market.payees[(n + gift) % PAYEES]
            ops.append({"op": "gift", "key": f"gift:{tag}:{payer}:{gift}", "debit": market.accounts[payer],
                        "credit": market.accounts[payee]})
    gifts = [op for op in ops if op["op"] == "gift"]
    ops += [dict(op) for op in gifts[::3]]  # the same key, the same content: a client retrying
    return ops


async def perform(bank: Bank, op: dict) -> dict:
    """One request; the outcome as data, so subprocesses can report it too."""
    try:
        if op["op"] == "confirm":
            done = await bank.run(flow.confirm, op["exchange"], op["actor"])
            return {**op, "ok": done.id}
        made = await bank.run(transfers.transfer, op["key"], op["debit"], op["credit"], MINUTES, "thanks")
        return {**op, "ok": made.id}
    except DomainError as refusal:
        return {**op, "refused": type(refusal).__name__}


async def burst(bank: Bank, ops: list[dict]) -> list[dict]:
    return list(await asyncio.gather(*(perform(bank, op) for op in ops)))


# --- what must hold afterwards ----------------------------------------------------------------------


async def check_outcomes(db: Database, bank: Bank, market: Market, results: list[dict], rules: Rules) -> None:
    """Every request answered once; each exchange posted once; each key one transfer; limits kept."""
    assert all(("ok" in r) != ("refused" in r) for r in results)
    refusals = Counter(r["refused"] for r in results if "refused" in r)
    assert set(refusals) <= {"InvalidState", "LimitExceeded"}, refusals

    confirms = [r for r in results if r["op"] == "confirm"]
    for exchange_id, _ in market.exchanges:
        answers = [r for r in confirms if r["exchange"] == exchange_id]
        assert sum("ok" in r for r in answers) == 1, answers
        assert all(r.get("refused") in (None, InvalidState.__name__) for r in answers)
    for exchange_id, _ in market.exchanges:
        exchange = await bank.read(_exchange, exchange_id)
        assert (exchange.state, exchange.posted_minutes) == (State.CONFIRMED, MINUTES)

    rows = await _transfers(db)
    keys = Counter(row.key for row in rows)
    assert max(keys.values()) == 1
    for exchange_id, _ in market.exchanges:
        assert keys[f"post:exchange:{exchange_id}"] == 1
    gifts = [r for r in results if r["op"] == "gift"]
    for key in {g["key"] for g in gifts}:
        made = {g["ok"] for g in gifts if g["key"] == key and "ok" in g}
        assert len(made) <= 1, f"{key} made {made}"
        assert keys[key] == len(made)
        assert all(g.get("refused") in (None, LimitExceeded.__name__) for g in gifts if g["key"] == key)

    accounts = {a.id: a for a in await _accounts(db)}
    for payer in market.payers:
        account = accounts[market.accounts[payer]]
        given = {g["key"] for g in gifts if "ok" in g and g["debit"] == account.id}
        assert len(given) == (rules.credit_limit_minutes - PAYEES * MINUTES) // MINUTES
        assert account.balance == -(PAYEES * MINUTES + len(given) * MINUTES)
        assert account.held == 0
    for account in accounts.values():
        assert account.credit_limit is None or account.available >= -account.credit_limit, account.name
    assert sum(a.balance for a in accounts.values()) == 0
    assert (await verify_ledger(db)).problems == []


async def _exchange(ctx, exchange_id):
    return await ctx.uow.exchanges.get(exchange_id)


async def _transfers(db: Database) -> list[Transfer]:
    async with db.unit_of_work(readonly=True) as uow:
        return list((await uow.session.execute(select(Transfer).order_by(Transfer.id))).scalars())


async def _accounts(db: Database) -> list[Account]:
    async with db.unit_of_work(readonly=True) as uow:
        return await uow.accounts.all()


# --- one process, fifty tasks --------------------------------------------------------------------------


async def test_fifty_concurrent_requests_on_hot_accounts_lose_and_double_nothing(db, bank, rules):
    market = await logged_market(bank)
    ops = plan(market, "one")
    assert len(ops) == 50
    results = await burst(bank, ops)
    assert len(results) == len(ops)
    refusals = Counter(r.get("refused") for r in results if "refused" in r)
    assert refusals[LimitExceeded.__name__] >= PAYERS, "the limit never bit: the burst tested nothing"
    assert sum("ok" in r for r in results) + sum(refusals.values()) == len(ops)
    await check_outcomes(db, bank, market, results, rules)
    assert hexitime_ledger_verify(db.url).returncode == 0


async def test_verify_run_during_a_burst_sees_a_whole_ledger(db, bank):
    """A live `ledger verify` must read one consistent snapshot, never half of a commit."""
    market = await logged_market(bank)
    issuer = await bank.run(transfers.issuer)
    members = list(market.accounts.values())
    done = asyncio.Event()
    seen: list[list[str]] = []

    async def keep_verifying():
        while not done.is_set():
            seen.append((await verify_ledger(db)).problems)

    verifier = asyncio.create_task(keep_verifying())
    try:
        await burst(bank, [op for op in plan(market, "live") if op["op"] == "confirm"])
        for round_ in range(4):
            await asyncio.gather(*(
                bank.run(transfers.transfer, f"grant:{round_}:{n}", issuer.id, members[n % len(members)], 30)
                for n in range(25)
            ))
    finally:
        done.set()
        await verifier
    assert len(seen) > 1
    assert [p for p in seen if p] == []


# --- the real CLI ----------------------------------------------------------------------------------------


def hexitime_ledger_verify(database_url: str) -> subprocess.CompletedProcess:
    """`hexitime ledger verify` exactly as an operator runs it, against the test database."""
    script = Path(sys.executable).with_name("hexitime")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([*command, "ledger", "verify"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


async def test_ledger_verify_cli_passes_a_sound_ledger_and_fails_a_corrupted_counter(db, bank):
    market = await logged_market(bank)
    await burst(bank, plan(market, "cli"))
    sound = hexitime_ledger_verify(db.url)
    assert sound.returncode == 0, sound.stderr
    assert sound.stdout.startswith("ledger OK: ")

    payee = market.accounts[market.payees[0]]
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET credits_posted = credits_posted + 5 WHERE id = :id"),
                           {"id": payee})
    broken = hexitime_ledger_verify(db.url)
    assert broken.returncode == 1
    assert f"account #{payee} (payee0): credits_posted is" in broken.stdout
    assert "balances do not sum to zero" in broken.stdout
    assert "ledger FAILED: 2 problem(s)" in broken.stderr


# --- several processes against one PostgreSQL ------------------------------------------------------------


WORKERS = 4
WORKER_POOL = 3  # up to 3 + 6 overflow connections per process: the server is shared


def worker_main() -> None:
    """Entry point of one subprocess: wait for the common start, run the plan, print the outcomes."""
    url, start_at, ops = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
    print(json.dumps(asyncio.run(_worker(url, start_at, ops))))


async def _worker(url: str, start_at: float, ops: list[dict]) -> list[dict]:
    db = Database(url, pool_size=WORKER_POOL)
    bank = Bank(db.unit_of_work, ManualClock(), Rules())
    try:
        await db.ping()  # connect before the start, so the processes really overlap
        await asyncio.sleep(max(0.0, start_at - time.time()))
        return await burst(bank, ops)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_several_processes_confirming_and_giving_at_once_lose_and_double_nothing(db, bank, rules):
    """Each process confirms every exchange and sends every gift, in its own order: real races."""
    if db.is_sqlite:
        pytest.skip("several processes are the production set-up, which is PostgreSQL")
    market = await logged_market(bank)
    ops = plan(market, "procs")
    start_at = time.time() + 3.0
    code = "from tests.storage.test_concurrency import worker_main; worker_main()"
    processes = []
    for n in range(WORKERS):
        turn = n * len(ops) // WORKERS
        processes.append(await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, db.url, str(start_at), json.dumps(ops[turn:] + ops[:turn]),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        ))
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), timeout=180)
    results = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
        results += json.loads(out.decode().strip().splitlines()[-1])
    assert len(results) == WORKERS * len(ops)
    refused = sum("refused" in r for r in results)
    assert sum("ok" in r for r in results) + refused == len(results)
    assert sum(r.get("refused") == LimitExceeded.__name__ for r in results) >= PAYERS
    await check_outcomes(db, bank, market, results, rules)
    async with db.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(tables.transfers))).scalar_one()
    gifts = {r["key"] for r in results if r["op"] == "gift" and "ok" in r}
    holds_and_posts = 2 * len(market.exchanges)
    assert total == holds_and_posts + len(gifts)
    assert hexitime_ledger_verify(db.url).returncode == 0
