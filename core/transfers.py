"""Ledger use cases: every movement of hours goes through these few functions."""

from core.errors import InvalidState, NotFound
from core.ledger import (
    MAX_KEY_CHARS,
    MAX_REASON_CHARS,
    Account,
    AccountKind,
    Transfer,
    TransferKind,
    apply_pending,
    apply_resolution,
    apply_single,
    check_same_request,
)
from core.minutes import format_minutes
from core.ports import Context

ISSUER_OWNER = 0


async def issuer(ctx: Context) -> Account:
    """The one account grants come from; made on first use."""
    account = await ctx.uow.accounts.of_owner(AccountKind.ISSUER, ISSUER_OWNER)
    if account is None:
        account = Account(kind=AccountKind.ISSUER, owner_id=ISSUER_OWNER, name="Time bank", credit_limit=None, created_at=ctx.now)
        account = await ctx.uow.accounts.add(account)
    return account


async def open_account(ctx: Context, kind: str, owner_id: int, name: str) -> Account:
    """Member accounts get the credit limit; organisations and campaigns may not overdraw."""
    limit = ctx.rules.credit_limit_minutes if kind == AccountKind.MEMBER else 0
    account = Account(kind=kind, owner_id=owner_id, name=name, credit_limit=limit, created_at=ctx.now)
    return await ctx.uow.accounts.add(account)


async def account_of(ctx: Context, kind: str, owner_id: int) -> Account:
    account = await ctx.uow.accounts.of_owner(kind, owner_id)
    if account is None:
        raise NotFound("That account doesn't exist.")
    return account


async def transfer(ctx: Context, key: str, debit_id: int, credit_id: int, amount: int, reason: str = "") -> Transfer:
    """Move hours at once (grants, donations); idempotent on `key`."""
    proposed = Transfer(
        key=key, kind=TransferKind.SINGLE, debit_account_id=debit_id,
        credit_account_id=credit_id, amount=amount, reason=reason,
    )
    return await _write(ctx, proposed, lambda debit, credit: apply_single(debit, credit, amount))


async def hold(ctx: Context, key: str, debit_id: int, credit_id: int, amount: int, reason: str = "") -> Transfer:
    """Reserve hours for an agreed exchange; expires after the hold TTL."""
    proposed = Transfer(
        key=key, kind=TransferKind.PENDING, debit_account_id=debit_id,
        credit_account_id=credit_id, amount=amount, reason=reason,
    )
    proposed.expires_at = ctx.now + ctx.rules.hold_ttl  # not part of the request's content
    return await _write(ctx, proposed, lambda debit, credit: apply_pending(debit, credit, amount))


async def post(ctx: Context, key: str, pending_id: int, amount: int, reason: str = "") -> Transfer:
    """Move held hours, up to the amount held."""
    return await _resolve(ctx, key, TransferKind.POST, pending_id, amount, reason)


async def void(ctx: Context, key: str, pending_id: int, reason: str = "") -> Transfer:
    """Release a hold without moving anything."""
    return await _resolve(ctx, key, TransferKind.VOID, pending_id, 0, reason)


async def expire(ctx: Context, pending_id: int) -> Transfer:
    """Release a hold whose time ran out; only after its expiry."""
    pending = await _pending(ctx, pending_id)
    if pending.expires_at is None or ctx.now < pending.expires_at:
        raise InvalidState("This hold hasn't expired yet.")
    return await _resolve(ctx, f"expire:{pending_id}", TransferKind.EXPIRE, pending_id, 0, "expired")


async def reverse(ctx: Context, transfer_id: int, reason: str) -> Transfer:
    """An admin's correction: a new transfer the other way, never an edit."""
    original = await ctx.uow.transfers.get(transfer_id)
    if original is None or original.kind not in (TransferKind.SINGLE, TransferKind.POST):
        raise NotFound("I can't find a completed transfer with that number.")
    if not reason.strip():
        raise InvalidState("Please give a reason for the reversal; it goes in both statements.")
    amount = original.amount
    proposed = Transfer(
        key=f"reverse:{transfer_id}", kind=TransferKind.SINGLE,
        debit_account_id=original.credit_account_id, credit_account_id=original.debit_account_id,
        amount=amount, reverses_id=transfer_id, reason=reason.strip(),
    )
    return await _write(ctx, proposed, lambda debit, credit: apply_single(debit, credit, amount))


async def _pending(ctx: Context, pending_id: int) -> Transfer:
    pending = await ctx.uow.transfers.get(pending_id)
    if pending is None or pending.kind != TransferKind.PENDING:
        raise NotFound("I can't find that hold.")
    return pending


async def _resolve(ctx: Context, key: str, kind: str, pending_id: int, amount: int, reason: str) -> Transfer:
    pending = await _pending(ctx, pending_id)
    proposed = Transfer(
        key=key, kind=kind, debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id, amount=amount, pending_id=pending_id, reason=reason,
    )
    existing = await ctx.uow.transfers.by_key(key)
    if existing is not None:  # a retry answers as the first time did, even after expiry
        return check_same_request(existing, proposed)
    if kind != TransferKind.EXPIRE and pending.expires_at and ctx.now >= pending.expires_at:
        raise InvalidState(f"This hold expired on {pending.expires_at:%d %b}, so it can't be used.")

    async def guard() -> None:
        if await ctx.uow.transfers.resolution_of(pending_id) is not None:
            raise InvalidState("This hold was already settled.")
        if amount > pending.amount:
            raise InvalidState(
                f"Only {format_minutes(pending.amount)} were agreed, so at most that can be confirmed."
            )

    return await _write(
        ctx, proposed,
        lambda debit, credit: apply_resolution(kind, pending, debit, credit, amount),
        guard, checked=True,
    )


async def _write(ctx: Context, proposed: Transfer, apply, guard=None, checked: bool = False) -> Transfer:
    """Check idempotency (unless the caller just did), lock both accounts in id order, apply, append."""
    if not proposed.key or len(proposed.key) > MAX_KEY_CHARS:
        raise InvalidState(f"An idempotency key is 1 to {MAX_KEY_CHARS} characters.")
    if len(proposed.reason) > MAX_REASON_CHARS:
        raise InvalidState(f"A transfer's reason is at most {MAX_REASON_CHARS} characters.")
    existing = None if checked else await ctx.uow.transfers.by_key(proposed.key)
    if existing is not None:
        return check_same_request(existing, proposed)
    if proposed.debit_account_id == proposed.credit_account_id:
        raise InvalidState("An account can't pay itself.")
    locked = await ctx.uow.accounts.lock([proposed.debit_account_id, proposed.credit_account_id])
    if len(locked) != 2:
        raise NotFound("That account doesn't exist.")
    if guard is not None:
        await guard()
    apply(locked[proposed.debit_account_id], locked[proposed.credit_account_id])
    proposed.created_at = ctx.now
    return await ctx.uow.transfers.add(proposed)
