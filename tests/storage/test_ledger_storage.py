"""The ledger on a real database: idempotency, every misuse, append-only rows, and verify."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import transfers
from core.errors import (
    DomainError,
    IdempotencyConflict,
    InvalidState,
    LimitExceeded,
    NotFound,
)
from core.ledger import Account, AccountKind, Transfer, TransferKind
from storage import tables
from storage.verify import check, verify_ledger

UNKNOWN = 987_654


@dataclass
class Books:
    """The issuer and two members, Alice funded with 5 hours."""

    issuer: Account
    alice: Account
    bob: Account


@pytest.fixture
async def books(bank) -> Books:
    issuer = await bank.run(transfers.issuer)
    alice = await bank.run(transfers.open_account, AccountKind.MEMBER, 101, "Alice")
    bob = await bank.run(transfers.open_account, AccountKind.MEMBER, 102, "Bob")
    await bank.run(transfers.transfer, "fund:alice", issuer.id, alice.id, 300, "funding")
    return Books(issuer, alice, bob)


async def snapshot(db) -> tuple[list[tuple], list[tuple]]:
    """Every counter and every transfer row, straight from the tables."""
    a, t = tables.accounts.c, tables.transfers.c
    async with db.engine.connect() as conn:
        accounts = (await conn.execute(
            select(a.id, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
            .order_by(a.id))).all()
        rows = (await conn.execute(select(t.id, t.key, t.kind, t.amount).order_by(t.id))).all()
    return [tuple(r) for r in accounts], [tuple(r) for r in rows]


async def problems(db) -> list[str]:
    return (await verify_ledger(db)).problems


async def refused(bank, db, error: type[DomainError], use_case, *args, match: str | None = None):
    """The call fails with `error` and leaves every counter and row as it was."""
    before = await snapshot(db)
    with pytest.raises(error, match=match):
        await bank.run(use_case, *args)
    assert await snapshot(db) == before


# --- idempotency ----------------------------------------------------------------------------


async def test_a_retried_transfer_returns_the_first_and_moves_hours_once(bank, db, books):
    first = await bank.run(transfers.transfer, "gift:1", books.alice.id, books.bob.id, 60, "thanks")
    state = await snapshot(db)
    again = await bank.run(transfers.transfer, "gift:1", books.alice.id, books.bob.id, 60, "thanks")
    assert again.id == first.id
    assert await snapshot(db) == state
    assert await problems(db) == []


async def test_retried_hold_post_void_and_expire_each_return_the_first(bank, db, clock, rules, books):
    a, b = books.alice.id, books.bob.id
    kept = await bank.run(transfers.hold, "hold:1", a, b, 90)
    dropped = await bank.run(transfers.hold, "hold:2", a, b, 30)
    late = await bank.run(transfers.hold, "hold:3", a, b, 20)
    assert (await bank.run(transfers.hold, "hold:1", a, b, 90)).id == kept.id
    posted = await bank.run(transfers.post, "post:1", kept.id, 60)
    voided = await bank.run(transfers.void, "void:2", dropped.id)
    clock.advance(rules.hold_ttl)
    expired = await bank.run(transfers.expire, late.id)
    state = await snapshot(db)
    assert (await bank.run(transfers.post, "post:1", kept.id, 60)).id == posted.id
    assert (await bank.run(transfers.void, "void:2", dropped.id)).id == voided.id
    assert (await bank.run(transfers.expire, late.id)).id == expired.id
    assert await snapshot(db) == state
    assert await problems(db) == []


@pytest.mark.parametrize(
    "retry",
    [
        pytest.param(lambda bk, h: (transfers.transfer, "gift:1", bk.alice.id, bk.bob.id, 61, "thanks"), id="amount"),
        pytest.param(lambda bk, h: (transfers.transfer, "gift:1", bk.alice.id, bk.bob.id, 60, "other"), id="reason"),
        pytest.param(lambda bk, h: (transfers.transfer, "gift:1", bk.bob.id, bk.alice.id, 60, "thanks"), id="direction"),
        pytest.param(lambda bk, h: (transfers.hold, "gift:1", bk.alice.id, bk.bob.id, 60, "thanks"), id="kind"),
        pytest.param(lambda bk, h: (transfers.hold, "hold:1", bk.alice.id, bk.bob.id, 91), id="hold-amount"),
        pytest.param(lambda bk, h: (transfers.post, "hold:1", h.id, 90), id="post-under-hold-key"),
        pytest.param(lambda bk, h: (transfers.void, "gift:1", h.id), id="void-under-gift-key"),
    ],
)
async def test_the_same_key_with_different_content_is_a_conflict_and_changes_nothing(bank, db, books, retry):
    await bank.run(transfers.transfer, "gift:1", books.alice.id, books.bob.id, 60, "thanks")
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await refused(bank, db, IdempotencyConflict, *retry(books, hold), match="different details")


async def test_a_post_retried_with_other_minutes_is_a_conflict_not_a_second_post(bank, db, books):
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await bank.run(transfers.post, "post:1", hold.id, 60)
    await refused(bank, db, IdempotencyConflict, transfers.post, "post:1", hold.id, 90)


async def test_a_retry_after_the_hold_expired_still_returns_the_first_post(bank, clock, rules, books):
    """Idempotency is checked before the expiry, so a late retry is not an error."""
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    posted = await bank.run(transfers.post, "post:1", hold.id, 90)
    clock.advance(rules.hold_ttl * 2)
    assert (await bank.run(transfers.post, "post:1", hold.id, 90)).id == posted.id


# --- misuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, -1, -60])
async def test_zero_and_negative_minutes_are_refused_everywhere(bank, db, books, minutes):
    a, b = books.alice.id, books.bob.id
    hold = await bank.run(transfers.hold, "hold:1", a, b, 90)
    await refused(bank, db, InvalidState, transfers.transfer, "t", a, b, minutes, match="above zero")
    await refused(bank, db, InvalidState, transfers.transfer, "t", books.issuer.id, b, minutes)
    await refused(bank, db, InvalidState, transfers.hold, "h", a, b, minutes, match="above zero")
    await refused(bank, db, InvalidState, transfers.post, "p", hold.id, minutes, match="above zero")


@pytest.mark.parametrize("minutes", [2**63, 10**30])
async def test_huge_minutes_are_refused_with_a_message_not_a_database_error(bank, db, books, minutes):
    """The issuer has no limit, so nothing but the amount check stands between it and overflow."""
    await refused(bank, db, DomainError, transfers.transfer, "t", books.issuer.id, books.bob.id, minutes)
    await refused(bank, db, DomainError, transfers.hold, "h", books.issuer.id, books.bob.id, minutes)
    await refused(bank, db, DomainError, transfers.transfer, "t", books.alice.id, books.bob.id, minutes)


@pytest.mark.parametrize("field", ["key", "reason"])
async def test_over_long_keys_and_reasons_are_refused_alike_on_every_backend(bank, db, books, field):
    """SQLite would keep them whole and PostgreSQL would fail mid-write: the ledger refuses first."""
    key, reason = ("k" * 201, "thanks") if field == "key" else ("gift:long", "r" * 301)
    await refused(bank, db, DomainError, transfers.transfer, key, books.alice.id, books.bob.id, 10, reason)
    await refused(bank, db, DomainError, transfers.hold, key, books.alice.id, books.bob.id, 10, reason)
    if field == "reason":
        gift = await bank.run(transfers.transfer, "gift:1", books.alice.id, books.bob.id, 10)
        await refused(bank, db, DomainError, transfers.reverse, gift.id, reason)


async def test_a_large_grant_that_fits_is_recorded_exactly(bank, db, books):
    await bank.run(transfers.transfer, "grant:big", books.issuer.id, books.bob.id, 10**9, "grant")
    accounts, _ = await snapshot(db)
    assert dict((r[0], r[4]) for r in accounts)[books.bob.id] == 10**9
    assert await problems(db) == []


async def test_unknown_accounts_are_not_found(bank, db, books):
    a = books.alice.id
    await refused(bank, db, NotFound, transfers.transfer, "t", a, UNKNOWN, 10, match="doesn't exist")
    await refused(bank, db, NotFound, transfers.transfer, "t", UNKNOWN, a, 10)
    await refused(bank, db, NotFound, transfers.hold, "h", a, UNKNOWN, 10)
    await refused(bank, db, NotFound, transfers.hold, "h", UNKNOWN, UNKNOWN + 1, 10)


async def test_an_account_cannot_pay_itself(bank, db, books):
    await refused(bank, db, InvalidState, transfers.transfer, "t", books.alice.id, books.alice.id, 10,
                  match="can't pay itself")
    await refused(bank, db, InvalidState, transfers.hold, "h", books.alice.id, books.alice.id, 10)


async def test_unknown_holds_and_transfers_that_are_not_holds_cannot_be_resolved(bank, db, books):
    single = await bank.run(transfers.transfer, "gift:1", books.alice.id, books.bob.id, 10)
    for pending_id in (UNKNOWN, single.id):
        await refused(bank, db, NotFound, transfers.post, "p", pending_id, 10, match="find that hold")
        await refused(bank, db, NotFound, transfers.void, "v", pending_id)
        await refused(bank, db, NotFound, transfers.expire, pending_id)


async def test_posting_more_than_the_hold_is_refused(bank, db, books):
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await refused(bank, db, InvalidState, transfers.post, "p", hold.id, 91, match="Only 1 h 30 min")
    await refused(bank, db, InvalidState, transfers.post, "p", hold.id, 10**6)


async def test_a_hold_is_settled_once_whatever_comes_second(bank, db, clock, rules, books):
    a, b = books.alice.id, books.bob.id
    posted = await bank.run(transfers.hold, "hold:1", a, b, 90)
    voided = await bank.run(transfers.hold, "hold:2", a, b, 90)
    await bank.run(transfers.post, "post:1", posted.id, 90)
    await bank.run(transfers.void, "void:2", voided.id)
    for hold in (posted, voided):
        await refused(bank, db, InvalidState, transfers.void, "void:again", hold.id, match="already settled")
        await refused(bank, db, InvalidState, transfers.post, "post:again", hold.id, 30, match="already settled")
    clock.advance(rules.hold_ttl)
    await refused(bank, db, InvalidState, transfers.expire, posted.id, match="already settled")


async def test_an_expired_hold_can_be_expired_but_not_posted_or_voided(bank, db, clock, rules, books):
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await refused(bank, db, InvalidState, transfers.expire, hold.id, match="hasn't expired")
    clock.advance(rules.hold_ttl)
    await refused(bank, db, InvalidState, transfers.post, "p", hold.id, 90, match="expired on")
    await refused(bank, db, InvalidState, transfers.void, "v", hold.id, match="expired on")
    await bank.run(transfers.expire, hold.id)
    accounts, _ = await snapshot(db)
    assert dict((r[0], r[1]) for r in accounts)[books.alice.id] == 0


async def test_holds_and_transfers_past_the_limit_are_refused(bank, db, rules, books):
    """Alice has 5 h and may go 10 h below zero: 15 h available, holds included."""
    a, b = books.alice.id, books.bob.id
    await bank.run(transfers.hold, "hold:1", a, b, 600)
    await refused(bank, db, LimitExceeded, transfers.transfer, "t", a, b, 301, match="5 h is available")
    await refused(bank, db, LimitExceeded, transfers.hold, "h", a, b, 301)
    await bank.run(transfers.transfer, "t", a, b, 300)
    await refused(bank, db, LimitExceeded, transfers.transfer, "t2", b, books.issuer.id, 10**4)


async def test_organisation_accounts_may_not_overdraw(bank, db, books):
    org = await bank.run(transfers.open_account, AccountKind.ORGANISATION, 7, "Green Trust")
    await refused(bank, db, LimitExceeded, transfers.transfer, "t", org.id, books.bob.id, 1)


# --- the rows themselves ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["UPDATE transfers SET amount = amount + 1", "UPDATE transfers SET reason = 'edited'",
     "DELETE FROM transfers"],
)
async def test_transfers_cannot_be_updated_or_deleted_even_with_raw_sql(db, bank, books, statement):
    before = await snapshot(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text(statement))
    assert await snapshot(db) == before


async def test_a_second_resolution_of_a_hold_is_refused_by_the_database_itself(bank, db, clock, books):
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await bank.run(transfers.post, "post:1", hold.id, 90)
    with pytest.raises(IntegrityError):
        await insert_transfer(db, key="void:sneaky", kind=TransferKind.VOID, debit=books.alice.id,
                              credit=books.bob.id, amount=0, pending_id=hold.id, at=clock.now())


async def insert_transfer(db, *, key, kind, debit, credit, amount, at, pending_id=None) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(tables.transfers.insert().values(
            key=key, kind=str(kind), debit_account_id=debit, credit_account_id=credit, amount=amount,
            pending_id=pending_id, reason="raw", created_at=at,
        ))


async def execute(db, statement: str, **params) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(statement), params)


# --- verify finds every kind of damage -------------------------------------------------------------


async def test_verify_passes_a_ledger_made_only_by_the_use_cases(bank, db, clock, rules, books):
    a, b = books.alice.id, books.bob.id
    for n, (minutes, settle) in enumerate([(90, 60), (30, 0), (45, None), (20, 20)]):
        hold = await bank.run(transfers.hold, f"hold:{n}", a, b, minutes)
        if settle:
            await bank.run(transfers.post, f"post:{n}", hold.id, settle)
        elif settle == 0:
            await bank.run(transfers.void, f"void:{n}", hold.id)
    result = await verify_ledger(db)
    assert result.problems == []
    assert (result.accounts, result.transfers) == (4 + 3, 1 + 4 + 3)


async def test_verify_reports_a_counter_that_disagrees_with_the_transfers(bank, db, books):
    await execute(db, "UPDATE accounts SET credits_posted = credits_posted + 7 WHERE id = :id", id=books.bob.id)
    found = await problems(db)
    assert f"account #{books.bob.id} (Bob): credits_posted is 7, transfers say 0" in found
    assert "balances do not sum to zero: posted debits 300 ≠ posted credits 307" in found


async def test_verify_reports_pending_counters_that_do_not_balance(bank, db, books):
    await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await execute(db, "UPDATE accounts SET debits_pending = 0 WHERE id = :id", id=books.alice.id)
    found = await problems(db)
    assert f"account #{books.alice.id} (Alice): debits_pending is 0, transfers say 90" in found
    assert "pending debits 0 ≠ pending credits 90" in found


async def test_verify_reports_an_account_past_its_limit(bank, db, books):
    """Counters moved in step, so the sums still balance: only the limit gives it away."""
    await execute(db, "UPDATE accounts SET debits_posted = debits_posted + 1000 WHERE id = :id", id=books.alice.id)
    await execute(db, "UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE id = :id", id=books.bob.id)
    found = await problems(db)
    assert (f"account #{books.alice.id} (Alice) is past its limit: available −11 h 40 min, limit −10 h"
            in found)
    assert not any("sum to zero" in p for p in found)


async def test_verify_reports_a_post_larger_than_its_hold(bank, db, clock, books):
    hold = await bank.run(transfers.hold, "hold:1", books.alice.id, books.bob.id, 90)
    await insert_transfer(db, key="post:raw", kind=TransferKind.POST, debit=books.alice.id,
                          credit=books.bob.id, amount=120, pending_id=hold.id, at=clock.now())
    found = await problems(db)
    assert any(p.endswith(f"posts 120 min, more than hold #{hold.id} (90)") for p in found)


async def test_verify_reports_a_resolution_of_something_that_is_not_a_hold(bank, db, clock, books):
    await insert_transfer(db, key="void:raw", kind=TransferKind.VOID, debit=books.issuer.id,
                          credit=books.alice.id, amount=0, pending_id=1, at=clock.now())
    found = await problems(db)
    assert any(p.endswith("resolves #1, which is not a hold") for p in found)


def test_verify_reports_a_hold_resolved_twice():
    """The database's unique pending_id forbids this, so it is shown on rows in memory."""
    payer = Account(kind=AccountKind.MEMBER, name="Payer", credit_limit=600, id=1)
    payee = Account(kind=AccountKind.MEMBER, name="Payee", credit_limit=600, id=2, credits_posted=0)
    rows = [
        Transfer(key="h", kind=TransferKind.PENDING, debit_account_id=1, credit_account_id=2, amount=60, id=1),
        Transfer(key="p", kind=TransferKind.POST, debit_account_id=1, credit_account_id=2, amount=60,
                 pending_id=1, id=2),
        Transfer(key="v", kind=TransferKind.VOID, debit_account_id=1, credit_account_id=2, amount=0,
                 pending_id=1, id=3),
    ]
    payer.debits_posted, payee.credits_posted = 60, 60
    assert "hold #1 was resolved 2 times" in check([payer, payee], rows).problems


def test_verify_of_an_empty_ledger_finds_nothing():
    assert check([], []).problems == []
