"""The ledger's arithmetic and the reading of hours, as pure functions with no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import IdempotencyConflict, InvalidInput, InvalidState, LimitExceeded
from core.ledger import (
    MAX_AMOUNT,
    Account,
    AccountKind,
    Transfer,
    TransferKind,
    apply_pending,
    apply_resolution,
    apply_single,
    check_positive,
    check_same_request,
)
from core.minutes import format_minutes, parse_minutes

CAP = 8 * 60


def member(limit: int | None = 600, **counters: int) -> Account:
    return Account(kind=AccountKind.MEMBER, credit_limit=limit, **counters)


def counters(account: Account) -> tuple[int, int, int, int]:
    return (account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted)


def hold_of(amount: int) -> Transfer:
    return Transfer(key="h", kind=TransferKind.PENDING, debit_account_id=1, credit_account_id=2,
                    amount=amount, id=10)


# --- accounts -----------------------------------------------------------------------------


def test_balance_is_posted_credits_minus_posted_debits_and_ignores_holds():
    account = member(debits_posted=90, credits_posted=30, debits_pending=40, credits_pending=25)
    assert account.balance == -60
    assert account.held == 40
    assert account.available == -100


def test_pending_debits_count_against_the_limit_but_pending_credits_do_not():
    account = member(limit=100, debits_pending=60, credits_pending=500)
    assert account.can_debit(40)
    assert not account.can_debit(41)


def test_an_account_without_a_limit_may_always_be_debited():
    issuer = Account(kind=AccountKind.ISSUER, credit_limit=None, debits_posted=10**15)
    assert issuer.can_debit(10**12)


def test_a_zero_limit_means_never_below_zero():
    campaign = Account(kind=AccountKind.CAMPAIGN, credit_limit=0, credits_posted=30)
    assert campaign.can_debit(30)
    assert not campaign.can_debit(31)


@given(
    limit=st.integers(0, 10_000), posted=st.integers(-5_000, 5_000),
    held=st.integers(0, 5_000), amount=st.integers(1, 20_000),
)
def test_a_debit_is_allowed_exactly_when_available_stays_within_the_limit(limit, posted, held, amount):
    """The one inequality every limit check rests on, over many accounts."""
    account = member(limit=limit, debits_pending=held,
                     credits_posted=max(posted, 0), debits_posted=max(-posted, 0))
    assert account.can_debit(amount) == (account.available - amount >= -limit)


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, -600, True, False, 1.5, 60.0, "60", None])
def test_only_whole_minutes_above_zero_can_move(amount):
    with pytest.raises(InvalidState, match="whole number of minutes"):
        check_positive(amount)


@pytest.mark.parametrize("amount", [2**63, 10**30])
def test_amounts_no_database_can_store_are_refused_before_anything_moves(amount):
    """A grant from the issuer has no limit to stop it, so the amount check must."""
    issuer, payee = Account(kind=AccountKind.ISSUER, credit_limit=None), member()
    with pytest.raises(InvalidState):
        apply_single(issuer, payee, amount)
    assert counters(issuer) == counters(payee) == (0, 0, 0, 0)


def test_the_largest_amount_moves_and_one_minute_more_is_refused():
    issuer, payee = Account(kind=AccountKind.ISSUER, credit_limit=None), member()
    apply_single(issuer, payee, MAX_AMOUNT)
    with pytest.raises(InvalidState, match="at most"):
        apply_single(issuer, payee, MAX_AMOUNT + 1)
    assert payee.credits_posted == MAX_AMOUNT


# --- single transfers and holds -----------------------------------------------------------


def test_a_single_transfer_moves_posted_minutes_at_once():
    payer, payee = member(), member()
    apply_single(payer, payee, 90)
    assert counters(payer) == (0, 90, 0, 0)
    assert counters(payee) == (0, 0, 0, 90)
    assert payer.balance + payee.balance == 0


def test_a_transfer_past_the_limit_is_refused_and_moves_nothing():
    payer, payee = member(limit=60, debits_pending=30), member()
    with pytest.raises(LimitExceeded, match="below its limit of −1 h: −30 min is available"):
        apply_single(payer, payee, 31)
    assert counters(payer) == (30, 0, 0, 0)
    assert counters(payee) == (0, 0, 0, 0)


def test_a_hold_reserves_minutes_without_changing_either_balance():
    payer, payee = member(), member()
    apply_pending(payer, payee, 120)
    assert (payer.balance, payer.available, payee.balance) == (0, -120, 0)
    assert counters(payee) == (0, 0, 120, 0)


def test_a_hold_past_the_limit_is_refused_and_reserves_nothing():
    payer, payee = member(limit=100), member()
    with pytest.raises(LimitExceeded):
        apply_pending(payer, payee, 101)
    assert counters(payer) == counters(payee) == (0, 0, 0, 0)


# --- resolutions ---------------------------------------------------------------------------


def held(amount: int) -> tuple[Account, Account]:
    payer, payee = member(limit=None), member()
    apply_pending(payer, payee, amount)
    return payer, payee


def test_posting_in_full_turns_the_whole_hold_into_posted_minutes():
    payer, payee = held(90)
    apply_resolution(TransferKind.POST, hold_of(90), payer, payee, 90)
    assert counters(payer) == (0, 90, 0, 0)
    assert counters(payee) == (0, 0, 0, 90)


def test_posting_in_part_releases_the_rest_of_the_hold():
    payer, payee = held(90)
    apply_resolution(TransferKind.POST, hold_of(90), payer, payee, 30)
    assert (payer.balance, payer.available, payer.held) == (-30, -30, 0)
    assert counters(payee) == (0, 0, 0, 30)


@pytest.mark.parametrize("kind", [TransferKind.VOID, TransferKind.EXPIRE])
def test_voiding_or_expiring_releases_the_hold_and_moves_nothing(kind):
    payer, payee = held(90)
    apply_resolution(kind, hold_of(90), payer, payee, 0)
    assert counters(payer) == counters(payee) == (0, 0, 0, 0)


def test_posting_more_than_was_held_is_refused_and_changes_nothing():
    """A refusal must leave the counters alone, whatever the caller does next."""
    payer, payee = held(90)
    with pytest.raises(InvalidState, match="Only 1 h 30 min were agreed"):
        apply_resolution(TransferKind.POST, hold_of(90), payer, payee, 91)
    assert counters(payer) == (90, 0, 0, 0)
    assert counters(payee) == (0, 0, 90, 0)


@pytest.mark.parametrize("amount", [0, -30])
def test_posting_nothing_or_less_is_refused_and_changes_nothing(amount):
    payer, payee = held(90)
    with pytest.raises(InvalidState):
        apply_resolution(TransferKind.POST, hold_of(90), payer, payee, amount)
    assert counters(payer) == (90, 0, 0, 0)
    assert counters(payee) == (0, 0, 90, 0)


@given(hold=st.integers(1, 10_000), data=st.data())
def test_any_post_within_the_hold_keeps_the_books_balanced(hold, data):
    amount = data.draw(st.integers(1, hold))
    payer, payee = held(hold)
    apply_resolution(TransferKind.POST, hold_of(hold), payer, payee, amount)
    assert payer.debits_posted == payee.credits_posted == amount
    assert payer.debits_pending == payee.credits_pending == 0
    assert payer.balance + payee.balance == 0


# --- idempotency --------------------------------------------------------------------------


def request(**changes) -> Transfer:
    fields = dict(key="grant:1", kind=TransferKind.SINGLE, debit_account_id=1, credit_account_id=2,
                  amount=60, reason="welcome")
    return Transfer(**(fields | changes))


def test_a_retry_with_the_same_content_returns_the_first_result():
    first = request(id=7)
    assert check_same_request(first, request()) is first


def test_the_first_result_matches_even_when_read_back_with_a_plain_string_kind():
    """Rows read from the database carry `kind` as str, requests carry the enum."""
    assert check_same_request(request(kind="single", id=7), request()).id == 7


@pytest.mark.parametrize(
    "change",
    [{"amount": 61}, {"debit_account_id": 3}, {"credit_account_id": 3}, {"reason": "other"},
     {"kind": TransferKind.PENDING}, {"pending_id": 4}, {"reverses_id": 4}],
)
def test_a_retry_with_different_content_is_a_conflict(change):
    with pytest.raises(IdempotencyConflict, match="different details"):
        check_same_request(request(id=7), request(**change))


def test_expiry_and_creation_time_are_not_part_of_what_a_retry_must_repeat():
    from datetime import UTC, datetime

    first = request(id=7, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    again = request(expires_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert check_same_request(first, again) is first


# --- minutes as people write them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("1.5", 90), ("1,5", 90), ("2", 120), ("2h", 120), ("2 hours", 120), ("1 hour", 60),
     ("1hr", 60), ("90m", 90), ("90 min", 90), ("45 minutes", 45), ("1h30", 90), ("1h 30m", 90),
     ("1 h 30 min", 90), ("1:30", 90), ("0:05", 5), ("  1H30M  ", 90), ("8h", CAP)],
)
def test_hours_are_read_in_every_documented_form(text, minutes):
    assert parse_minutes(text, CAP) == minutes


@pytest.mark.parametrize("text", ["0", "0m", "0:00", "-1", "-30m", "0.001"])
def test_zero_and_negative_hours_are_refused_with_an_example(text):
    with pytest.raises(InvalidInput, match="more than zero. Try 1.5"):
        parse_minutes(text, CAP)


@pytest.mark.parametrize("text", ["", "   ", "soon", "1:75", "1.5.5", "h", "1e3", "+1", None])
def test_unreadable_hours_are_refused_with_an_example(text):
    with pytest.raises(InvalidInput, match="Try 1.5"):
        parse_minutes(text, CAP)


@pytest.mark.parametrize("text", ["8h 1m", "481m", "9", "10:00", "1000000h"])
def test_more_than_the_session_cap_is_refused(text):
    with pytest.raises(InvalidInput, match="at most 8 h"):
        parse_minutes(text, CAP)


@pytest.mark.parametrize("text", ["9" * 400, "9" * 400 + "h", "9" * 5000 + "m", "9" * 5000 + ":00"])
def test_absurdly_long_numbers_are_refused_as_input_not_crashes(text):
    """Whatever a member pastes into a form, the answer is a message, never an exception."""
    with pytest.raises(InvalidInput):
        parse_minutes(text, CAP)


def test_an_unreadable_reply_quotes_the_text_clipped():
    with pytest.raises(InvalidInput) as refused:
        parse_minutes("x" * 100, CAP)
    assert "x" * 39 + "…" in refused.value.message
    assert "x" * 41 not in refused.value.message


@given(st.integers(1, CAP))
def test_what_is_shown_reads_back_as_the_same_minutes(minutes):
    assert parse_minutes(format_minutes(minutes), CAP) == minutes


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0, "0 min"), (5, "5 min"), (60, "1 h"), (90, "1 h 30 min"), (600, "10 h"), (-90, "−1 h 30 min"),
     (-600, "−10 h")],
)
def test_minutes_are_shown_as_hours_and_minutes_with_a_real_minus(minutes, shown):
    assert format_minutes(minutes) == shown
