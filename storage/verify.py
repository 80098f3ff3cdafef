"""`hexitime ledger verify`: every ledger invariant, recomputed from the transfers."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select, text

from core.ledger import Account, Transfer, TransferKind
from core.minutes import format_minutes
from storage.database import Database


@dataclass
class LedgerCheck:
    """What verify found; `problems` is empty when every invariant holds."""

    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)


async def verify_ledger(db: Database) -> LedgerCheck:
    """Read everything in one snapshot and recompute the counters from scratch."""
    async with db.unit_of_work(readonly=True) as uow:
        if not db.is_sqlite:  # one snapshot for both reads, even while others write
            await uow.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        accounts = list((await uow.session.execute(select(Account).order_by(Account.id))).scalars())
        rows = list((await uow.session.execute(select(Transfer).order_by(Transfer.id))).scalars())
    return check(accounts, rows)


def check(accounts: list[Account], rows: list[Transfer]) -> LedgerCheck:
    result = LedgerCheck(accounts=len(accounts), transfers=len(rows))
    by_id = {t.id: t for t in rows}
    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    resolutions: dict[int, int] = defaultdict(int)
    for t in rows:
        _replay(t, by_id, expected, resolutions, result.problems)
    for pending_id, count in resolutions.items():
        if count > 1:
            result.problems.append(f"hold #{pending_id} was resolved {count} times")
    for account in accounts:
        _check_account(account, expected[account.id], result.problems)
    totals = [sum(getattr(a, f) for a in accounts) for f in ("debits_posted", "credits_posted")]
    if totals[0] != totals[1]:
        result.problems.append(
            f"balances do not sum to zero: posted debits {totals[0]} ≠ posted credits {totals[1]}"
        )
    pend = [sum(getattr(a, f) for a in accounts) for f in ("debits_pending", "credits_pending")]
    if pend[0] != pend[1]:
        result.problems.append(f"pending debits {pend[0]} ≠ pending credits {pend[1]}")
    return result


def _replay(t: Transfer, by_id, expected, resolutions, problems: list[str]) -> None:
    debit, credit = expected[t.debit_account_id], expected[t.credit_account_id]
    if t.kind == TransferKind.SINGLE:
        debit[1] += t.amount
        credit[3] += t.amount
    elif t.kind == TransferKind.PENDING:
        debit[0] += t.amount
        credit[2] += t.amount
    else:
        pending = by_id.get(t.pending_id)
        if pending is None or pending.kind != TransferKind.PENDING:
            problems.append(f"transfer #{t.id} resolves #{t.pending_id}, which is not a hold")
            return
        resolutions[pending.id] += 1
        debit[0] -= pending.amount
        credit[2] -= pending.amount
        if t.kind == TransferKind.POST:
            if t.amount > pending.amount:
                problems.append(f"transfer #{t.id} posts {t.amount} min, more than hold #{pending.id} ({pending.amount})")
            debit[1] += t.amount
            credit[3] += t.amount


def _check_account(account: Account, want: list[int], problems: list[str]) -> None:
    have = [account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted]
    names = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
    for name, h, w in zip(names, have, want, strict=True):
        if h != w:
            problems.append(f"account #{account.id} ({account.name}): {name} is {h}, transfers say {w}")
    if account.credit_limit is not None and account.available < -account.credit_limit:
        problems.append(
            f"account #{account.id} ({account.name}) is past its limit: available "
            f"{format_minutes(account.available)}, limit {format_minutes(-account.credit_limit)}"
        )
