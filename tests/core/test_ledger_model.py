"""The real ledger and a small reference model, driven side by side, must agree at every step."""

import asyncio
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from core import transfers
from core.bank import Bank
from core.clock import ManualClock
from core.errors import DomainError, IdempotencyConflict, InvalidState, LimitExceeded, NotFound
from core.ledger import MAX_AMOUNT, Account, AccountKind, Transfer, TransferKind
from core.rules import Rules
from storage.database import Database
from storage.verify import check
from tests.support import BACKENDS, open_database

RULES = Rules(credit_limit_minutes=600, hold_ttl=timedelta(hours=48))
UNKNOWN = 1_000_000
KEYS = st.integers(0, 99).map(lambda n: f"k{n}")
ODD_AMOUNTS = st.sampled_from([0, -1, -90, 599, 600, 601, MAX_AMOUNT, MAX_AMOUNT + 1])
AMOUNTS = st.one_of(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300), ODD_AMOUNTS)
REASONS = st.sampled_from(["", "thanks", "grant"])
HOURS = st.sampled_from([24, 1, 47, 48, 49, 72])
ACTIONS = {  # action: weight
    "hold": 6, "settle_an_open_hold": 6, "settle_a_hold_again": 1, "expire": 2, "let_time_pass": 3,
    "transfer": 3, "grant": 3, "reverse": 1, "open_account": 1, "misuse": 2,
    "retry_with_the_same_key": 2, "retry_with_changed_content": 2,
}


# --- the reference model ----------------------------------------------------------------------


@dataclass
class Row:
    """A transfer as the model keeps it; `id` comes from the real ledger's answer."""

    key: str
    kind: str
    debit: int
    credit: int
    amount: int
    pending_id: int | None = None
    reverses_id: int | None = None
    reason: str = ""
    expires_at: datetime | None = None
    id: int | None = None

    def content(self) -> tuple:
        return (self.kind, self.debit, self.credit, self.amount, self.pending_id, self.reverses_id, self.reason)


@dataclass
class Book:
    """One account's four counters and its limit (None: no limit)."""

    limit: int | None
    counters: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # dp, dP, cp, cP

    @property
    def available(self) -> int:
        return self.counters[3] - self.counters[1] - self.counters[0]


class ReferenceLedger:
    """The ledger's rules written plainly over dictionaries, in the order the design gives them."""

    def __init__(self) -> None:
        self.books: dict[int, Book] = {}
        self.by_key: dict[str, Row] = {}
        self.by_id: dict[int, Row] = {}
        self.resolved: set[int] = set()

    def transfer(self, now, key, debit, credit, amount, reason=""):
        row = Row(key, TransferKind.SINGLE, debit, credit, amount, reason=reason)
        return self._write(row, lambda: self._move(debit, credit, amount, posted=True))

    def hold(self, now, key, debit, credit, amount, reason=""):
        row = Row(key, TransferKind.PENDING, debit, credit, amount, reason=reason,
                  expires_at=now + RULES.hold_ttl)
        return self._write(row, lambda: self._move(debit, credit, amount, posted=False))

    def post(self, now, key, pending_id, amount, reason=""):
        return self._resolve(now, key, TransferKind.POST, pending_id, amount, reason)

    def void(self, now, key, pending_id, reason=""):
        return self._resolve(now, key, TransferKind.VOID, pending_id, 0, reason)

    def expire(self, now, pending_id):
        pending = self._hold(pending_id)
        if now < pending.expires_at:
            raise InvalidState("not expired yet")
        return self._resolve(now, f"expire:{pending_id}", TransferKind.EXPIRE, pending_id, 0, "expired")

    def reverse(self, now, transfer_id, reason):
        original = self.by_id.get(transfer_id)
        if original is None or original.kind not in (TransferKind.SINGLE, TransferKind.POST):
            raise NotFound("no completed transfer")
        if not reason.strip():
            raise InvalidState("a reversal needs a reason")
        row = Row(f"reverse:{transfer_id}", TransferKind.SINGLE, original.credit, original.debit,
                  original.amount, reverses_id=transfer_id, reason=reason.strip())
        return self._write(row, lambda: self._move(row.debit, row.credit, row.amount, posted=True))

    def _hold(self, pending_id) -> Row:
        pending = self.by_id.get(pending_id)
        if pending is None or pending.kind != TransferKind.PENDING:
            raise NotFound("no such hold")
        return pending

    def _resolve(self, now, key, kind, pending_id, amount, reason):
        pending = self._hold(pending_id)
        row = Row(key, kind, pending.debit, pending.credit, amount, pending_id=pending_id, reason=reason)
        if key in self.by_key:
            return self._same(row)
        if kind != TransferKind.EXPIRE and now >= pending.expires_at:
            raise InvalidState("hold expired")

        def settle():
            if pending_id in self.resolved:
                raise InvalidState("already settled")
            if amount > pending.amount:
                raise InvalidState("more than held")
            if kind == TransferKind.POST:
                _positive(amount)
            self.books[pending.debit].counters[0] -= pending.amount
            self.books[pending.credit].counters[2] -= pending.amount
            if kind == TransferKind.POST:
                self.books[pending.debit].counters[1] += amount
                self.books[pending.credit].counters[3] += amount
            self.resolved.add(pending_id)

        return self._write(row, settle)

    def _write(self, row: Row, apply):
        if row.key in self.by_key:
            return self._same(row)
        if row.debit == row.credit:
            raise InvalidState("pays itself")
        if row.debit not in self.books or row.credit not in self.books:
            raise NotFound("no such account")
        apply()
        self.by_key[row.key] = row
        return "new", row

    def _same(self, row: Row):
        first = self.by_key[row.key]
        if first.content() != row.content():
            raise IdempotencyConflict("same key, other content")
        return "same", first

    def _move(self, debit, credit, amount, posted: bool) -> None:
        _positive(amount)
        book = self.books[debit]
        if book.limit is not None and book.available - amount < -book.limit:
            raise LimitExceeded("past the limit")
        book.counters[1 if posted else 0] += amount
        self.books[credit].counters[3 if posted else 2] += amount


def _positive(amount: int) -> None:
    if amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidState("not above zero, or more than any transfer may move")


# --- the machine ---------------------------------------------------------------------------------


class LedgerAgainstModel(RuleBasedStateMachine):
    """Each step makes the same request of both; results, errors and counters must match.

    One rule picks a weighted action, so that holds and their settlement come up often
    enough in 25 steps; each action draws its own arguments, labelled, from `data`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, databases: "FreshDatabases") -> None:
        super().__init__()
        self.loop = loop
        self.databases = databases
        self.db = databases.fresh()
        self.clock = ManualClock()
        self.bank = Bank(self.db.unit_of_work, self.clock, RULES)
        self.model = ReferenceLedger()
        self.owners = itertools.count(1)
        self.requests: list[tuple] = []

    def wait(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.databases.release(self.db)

    def act(self, name: str, *args) -> Transfer | None:
        """Make one request of the model and of the ledger; returns the real transfer or None."""
        try:
            expected = getattr(self.model, name)(self.clock.now(), *args)
        except DomainError as error:
            expected = error
        try:
            actual = self.wait(self.bank.run(getattr(transfers, name), *args))
        except DomainError as error:
            actual = error
        if isinstance(expected, DomainError):
            assert type(actual) is type(expected), f"{name}{args}: model {expected!r}, ledger {actual!r}"
            return None
        assert isinstance(actual, Transfer), f"{name}{args}: model succeeded, ledger {actual!r}"
        how, row = expected
        assert _content(actual) == row.content(), f"{name}{args}"
        if how == "same":
            assert actual.id == row.id, f"{name}{args}: a retry made a new transfer"
        else:
            assert actual.id not in self.model.by_id
            row.id = actual.id
            self.model.by_id[actual.id] = row
        return actual

    def remember(self, name: str, *args) -> None:
        """Act, and keep the request so a later step can retry it."""
        self.act(name, *args)
        self.requests.append((name, *args))

    @initialize()
    def open_issuer_and_two_members(self):
        self.issuer = self.wait(self.bank.run(transfers.issuer)).id
        self.model.books[self.issuer] = Book(limit=None)
        self.open(AccountKind.MEMBER)
        self.open(AccountKind.MEMBER)

    @rule(action=st.sampled_from([name for name, weight in ACTIONS.items() for _ in range(weight)]),
          data=st.data())
    def step(self, action, data):
        getattr(self, action)(data)

    # what is drawn

    def account(self, data, label: str, other_than: int | None = None) -> int:
        return data.draw(st.sampled_from([a for a in self.model.books if a != other_than]), label=label)

    def rows(self, *kinds: str, open_only: bool = False) -> list[int]:
        return [r.id for r in self.model.by_id.values() if r.kind in kinds
                and not (open_only and r.id in self.model.resolved)]

    # the actions

    def open_account(self, data):
        self.open(data.draw(st.sampled_from([AccountKind.MEMBER, AccountKind.ORGANISATION]), label="kind"))

    def open(self, kind: str) -> None:
        account = self.wait(self.bank.run(transfers.open_account, kind, next(self.owners), str(kind)))
        assert account.credit_limit == (600 if kind == AccountKind.MEMBER else 0)
        self.model.books[account.id] = Book(limit=account.credit_limit)

    def grant(self, data):
        to = self.account(data, "to", other_than=self.issuer)
        self.remember("transfer", data.draw(KEYS, label="key"), self.issuer, to,
                      data.draw(AMOUNTS, label="amount"), "grant")

    def transfer(self, data):
        self.move("transfer", data)

    def hold(self, data):
        self.move("hold", data)

    def move(self, name: str, data) -> None:
        debit = self.account(data, "debit")
        credit = self.account(data, "credit", other_than=debit)
        self.remember(name, data.draw(KEYS, label="key"), debit, credit, data.draw(AMOUNTS, label="amount"),
                      data.draw(REASONS, label="reason"))

    def settle_an_open_hold(self, data):
        """Post in full, in part, over the hold or nothing, or void, a hold still open."""
        holds = self.rows(TransferKind.PENDING, open_only=True)
        if not holds:
            return self.hold(data)
        how = data.draw(st.sampled_from(["full", "part", "over", "zero", "void"]), label="how")
        self.settle(data.draw(st.sampled_from(holds), label="hold"), how, data.draw(KEYS, label="key"))

    def settle_a_hold_again(self, data):
        """Any hold, settled or not: a second settlement must be refused."""
        holds = self.rows(TransferKind.PENDING)
        if not holds:
            return self.hold(data)
        how = data.draw(st.sampled_from(["full", "part", "void"]), label="how")
        self.settle(data.draw(st.sampled_from(holds), label="hold"), how, data.draw(KEYS, label="key"))

    def settle(self, hold: int, how: str, key: str) -> None:
        if how == "void":
            return self.remember("void", key, hold, "cancelled")
        held = self.model.by_id[hold].amount
        amount = {"full": held, "part": max(held // 2, 1), "over": held + 1, "zero": 0}[how]
        self.remember("post", key, hold, amount, "confirmed")

    def expire(self, data):
        """Refused before the hold's time is up or after it was settled; a release otherwise."""
        holds = self.rows(TransferKind.PENDING)
        if not holds:
            return self.hold(data)
        self.act("expire", data.draw(st.sampled_from(holds), label="hold"))

    def let_time_pass(self, data):
        self.clock.advance(timedelta(hours=data.draw(HOURS, label="hours")))

    def reverse(self, data):
        """An admin's correction of a completed transfer; holds and blank reasons are refused."""
        targets = self.rows(TransferKind.SINGLE, TransferKind.POST, TransferKind.PENDING) or [UNKNOWN]
        original = data.draw(st.sampled_from(targets), label="original")
        self.remember("reverse", original, data.draw(st.sampled_from(["mistake", "  "]), label="reason"))

    def misuse(self, data):
        """The mistakes the other actions reach only by chance."""
        misuse = data.draw(st.sampled_from(
            ["unknown debit", "unknown credit", "resolve a single", "resolve unknown", "expire a single",
             "expire unknown", "pay itself"]), label="misuse")
        name = data.draw(st.sampled_from(["transfer", "hold"]), label="name")
        account, key = self.account(data, "account"), data.draw(KEYS, label="key")
        singles = self.rows(TransferKind.SINGLE, TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE)
        target = data.draw(st.sampled_from(singles), label="single") if singles and "single" in misuse else UNKNOWN
        if misuse == "pay itself":
            self.remember(name, key, account, account, 30, "")
        elif misuse.startswith("unknown"):
            debit, credit = (UNKNOWN, account) if misuse == "unknown debit" else (account, UNKNOWN)
            self.remember(name, key, debit, credit, 30, "")
        elif misuse.startswith("expire"):
            self.act("expire", target)
        else:
            self.remember("post", key, target, 30, "")

    def retry_with_the_same_key(self, data):
        if self.requests:
            self.act(*data.draw(st.sampled_from(self.requests), label="request"))

    def retry_with_changed_content(self, data):
        if not self.requests:
            return
        name, *args = data.draw(st.sampled_from(self.requests), label="request")
        if name in ("transfer", "hold"):
            changed = data.draw(st.sampled_from(["amount", "reason", "direction"]), label="change")
            key, debit, credit, amount, reason = args
            if changed == "amount":
                amount += 1
            elif changed == "reason":
                reason += "!"
            else:
                debit, credit = credit, debit
            self.act(name, key, debit, credit, amount, reason)
        elif name == "post":
            key, pending_id, amount, reason = args
            self.act(name, key, pending_id, amount - 1, reason)
        elif name == "void":
            key, pending_id, reason = args
            self.act(name, key, pending_id, reason + "!")
        else:
            original, reason = args
            self.act(name, original, reason + " indeed")

    # invariants

    @invariant()
    def counters_match_the_model_and_every_invariant_holds(self):
        accounts, rows = self.wait(_everything(self.db))
        assert {a.id: _counters(a) for a in accounts} == {
            account_id: tuple(book.counters) for account_id, book in self.model.books.items()
        }
        checked = check(accounts, rows)
        assert checked.problems == []
        assert checked.transfers == len(self.model.by_id)
        for account_id, book in self.model.books.items():
            assert book.limit is None or book.available >= -book.limit, account_id
        assert sum(b.counters[3] - b.counters[1] for b in self.model.books.values()) == 0


async def _everything(db: Database) -> tuple[list[Account], list[Transfer]]:
    """All accounts and transfers in one read transaction, as `verify_ledger` reads them."""
    async with db.unit_of_work(readonly=True) as uow:
        accounts = await uow.accounts.all()
        rows = list((await uow.session.execute(select(Transfer).order_by(Transfer.id))).scalars())
    return accounts, rows


def _counters(account: Account) -> tuple[int, int, int, int]:
    return (account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted)


def _content(transfer: Transfer) -> tuple:
    return (str(transfer.kind), transfer.debit_account_id, transfer.credit_account_id, transfer.amount,
            transfer.pending_id, transfer.reverses_id, transfer.reason)


class FreshDatabases:
    """An empty, migrated database per example, cheaply: a copied SQLite file, or truncation."""

    def __init__(self, backend: str, root: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.backend, self.root, self.loop = backend, root, loop
        self.examples = itertools.count()
        self.shared: Database | None = None
        template = loop.run_until_complete(open_database(backend, root))
        if backend == "sqlite":
            loop.run_until_complete(template.dispose())
        else:
            self.shared = template

    def fresh(self) -> Database:
        if self.shared is not None:
            self.loop.run_until_complete(_truncate_ledger(self.shared))
            return self.shared
        copy = self.root / f"example-{next(self.examples)}.db"
        shutil.copyfile(self.root / "test.db", copy)
        return Database(f"sqlite+aiosqlite:///{copy}")

    def release(self, db: Database) -> None:
        """The shared PostgreSQL database stays open; an example's SQLite file goes."""
        if db is self.shared:
            return
        self.loop.run_until_complete(db.dispose())
        for suffix in ("", "-wal", "-shm"):
            Path(db.url.removeprefix("sqlite+aiosqlite:///") + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self.shared is not None:
            self.loop.run_until_complete(self.shared.dispose())


async def _truncate_ledger(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE transfers, accounts RESTART IDENTITY CASCADE"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_ledger_behaves_like_its_reference_model(backend, tmp_path):
    """Synchronous on purpose: the machine owns its event loop and gets a fresh database per example."""
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(dir=_fast_disk(tmp_path)) as folder:
        databases = None
        try:
            databases = FreshDatabases(backend, Path(folder), loop)
            run_state_machine_as_test(
                lambda: LedgerAgainstModel(loop, databases),
                settings=settings(max_examples=40, stateful_step_count=25, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow]),
            )
        finally:
            if databases is not None:
                databases.close()
            loop.close()


def _fast_disk(fallback: Path) -> Path:
    """SQLite files in memory-backed /dev/shm when there is one: a failure shrinks in seconds, not minutes."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else fallback
