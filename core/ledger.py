"""Accounts and two-phase transfers: the arithmetic of the ledger, with no I/O.

Modelled on TigerBeetle: an account keeps four counters; a transfer is never
changed once written. A hold is a *pending* transfer; posting, voiding or
expiring it is a new transfer that names the pending one.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import IdempotencyConflict, InvalidState, LimitExceeded
from core.minutes import format_minutes


class AccountKind(StrEnum):
    """Who an account belongs to."""

    MEMBER = "member"
    ORGANISATION = "organisation"
    CAMPAIGN = "campaign"
    ISSUER = "issuer"


class TransferKind(StrEnum):
    """Single transfers move hours at once; the rest make up the two phases."""

    SINGLE = "single"
    PENDING = "pending"
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"


RESOLUTIONS = (TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE)
MAX_AMOUNT = 10**9  # minutes; far beyond any real exchange, far inside a BIGINT
MAX_KEY_CHARS = 200  # the column sizes, so every backend refuses alike
MAX_REASON_CHARS = 300


@dataclass(kw_only=True, eq=False)
class Account:
    """An account's counters; `credit_limit` None means it may go negative without bound."""

    kind: str
    owner_id: int | None = None
    name: str = ""
    credit_limit: int | None = 0
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    created_at: datetime | None = None
    id: int | None = None

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def held(self) -> int:
        return self.debits_pending

    @property
    def available(self) -> int:
        return self.balance - self.debits_pending

    def can_debit(self, amount: int) -> bool:
        """Pessimistic: pending debits count against the limit, pending credits do not."""
        return self.credit_limit is None or self.available - amount >= -self.credit_limit


@dataclass(kw_only=True, eq=False)
class Transfer:
    """One append-only ledger row; `pending_id` links a resolution to its hold."""

    key: str
    kind: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    pending_id: int | None = None
    reverses_id: int | None = None
    reason: str = ""
    expires_at: datetime | None = None
    created_at: datetime | None = None
    id: int | None = None

    def content(self) -> tuple:
        """What must match for a retried request to count as the same request."""
        return (
            str(self.kind),
            self.debit_account_id,
            self.credit_account_id,
            self.amount,
            self.pending_id,
            self.reverses_id,
            self.reason,
        )


def check_same_request(existing: Transfer, proposed: Transfer) -> Transfer:
    """Idempotency: the same key with the same content is the first result, else an error."""
    if existing.content() != proposed.content():
        raise IdempotencyConflict(
            "This request was already made with different details, so nothing was changed."
        )
    return existing


def check_positive(amount: int) -> None:
    """Whole minutes above zero, and small enough that no database overflows."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidState("A transfer must move a whole number of minutes above zero.")
    if amount > MAX_AMOUNT:
        raise InvalidState(f"A transfer can move at most {format_minutes(MAX_AMOUNT)}.")


def apply_single(debit: Account, credit: Account, amount: int) -> None:
    """Move hours at once, within the debit account's limit."""
    check_positive(amount)
    _check_limit(debit, amount)
    debit.debits_posted += amount
    credit.credits_posted += amount


def apply_pending(debit: Account, credit: Account, amount: int) -> None:
    """Place a hold: reserve the debit's hours now, move them when posted."""
    check_positive(amount)
    _check_limit(debit, amount)
    debit.debits_pending += amount
    credit.credits_pending += amount


def apply_resolution(kind: str, pending: Transfer, debit: Account, credit: Account, amount: int) -> None:
    """Release a hold; a post may move fewer minutes than were held, never more."""
    if kind == TransferKind.POST:
        if amount > pending.amount:
            raise InvalidState(
                f"Only {format_minutes(pending.amount)} were agreed, so at most that can be confirmed."
            )
        check_positive(amount)
    debit.debits_pending -= pending.amount
    credit.credits_pending -= pending.amount
    if kind == TransferKind.POST:
        debit.debits_posted += amount
        credit.credits_posted += amount


def _check_limit(debit: Account, amount: int) -> None:
    if not debit.can_debit(amount):
        limit = debit.credit_limit or 0
        raise LimitExceeded(
            f"That would take the account below its limit of {format_minutes(-limit)}: "
            f"{format_minutes(debit.available)} is available now."
        )


@dataclass
class Statement:
    """A page of an account's posted history, newest first, with the running balance."""

    lines: list["StatementLine"] = field(default_factory=list)
    has_more: bool = False


@dataclass(frozen=True)
class StatementLine:
    """One posted movement as the account holder sees it."""

    transfer_id: int
    at: datetime
    amount: int
    balance_after: int
    counterparty: str
    reason: str
