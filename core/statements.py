"""What a member sees of their account: balance, a statement with running balance, CSV."""

import csv
import io
from dataclasses import dataclass

from core import transfers
from core.ledger import Account, AccountKind, Statement, StatementLine
from core.ports import Context


@dataclass(frozen=True)
class Balance:
    """The four numbers of `balance`, in minutes."""

    balance: int
    available: int
    held: int
    credit_limit: int

    @property
    def below_zero(self) -> bool:
        return self.balance < 0


async def balance(ctx: Context, member_id: int) -> Balance:
    account = await transfers.account_of(ctx, AccountKind.MEMBER, member_id)
    return Balance(account.balance, account.available, account.held, account.credit_limit or 0)


async def statement(ctx: Context, member_id: int, page: int = 0, per_page: int = 10) -> Statement:
    """Newest first; running balance is the balance just after each line."""
    account = await transfers.account_of(ctx, AccountKind.MEMBER, member_id)
    lines = await _all_lines(ctx, account)
    start = page * per_page
    return Statement(lines=lines[start : start + per_page], has_more=len(lines) > start + per_page)


async def export_csv(ctx: Context, member_id: int) -> str:
    account = await transfers.account_of(ctx, AccountKind.MEMBER, member_id)
    lines = list(reversed(await _all_lines(ctx, account)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["transfer", "date (UTC)", "minutes", "balance after", "with", "reason"])
    for line in lines:
        writer.writerow([line.transfer_id, line.at.strftime("%Y-%m-%d %H:%M"), line.amount,
                         line.balance_after, _safe(line.counterparty), _safe(line.reason)])
    return out.getvalue()


def _safe(text: str) -> str:
    """Spreadsheets execute cells starting with = + - @; a leading quote keeps them data."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def _all_lines(ctx: Context, account: Account) -> list[StatementLine]:
    rows = await ctx.uow.transfers.posted_for(account.id, limit=100_000, before_id=None)
    names: dict[int, str] = {}
    running = account.balance
    lines = []
    for row in rows:
        signed = row.amount if row.credit_account_id == account.id else -row.amount
        other = row.debit_account_id if signed > 0 else row.credit_account_id
        if other not in names:
            found = await ctx.uow.accounts.get(other)
            names[other] = found.name if found else "?"
        lines.append(StatementLine(row.id, row.created_at, signed, running, names[other], row.reason))
        running -= signed
    return lines
