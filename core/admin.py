"""Admin use cases on the ledger: grants and reversals, always with a reason."""

from core import transfers
from core.directory import require_admin
from core.errors import InvalidInput
from core.ledger import AccountKind, Transfer
from core.ports import Context


async def grant(ctx: Context, actor_id: int, member_id: int, minutes: int, reason: str, key: str) -> Transfer:
    """Hours from the issuer account, e.g. a lead's grant to kick-start a campaign."""
    await require_admin(ctx, actor_id)
    if not reason.strip():
        raise InvalidInput("Please give a reason for the grant; it shows in the statement.")
    source = await transfers.issuer(ctx)
    target = await transfers.account_of(ctx, AccountKind.MEMBER, member_id)
    return await transfers.transfer(ctx, key, source.id, target.id, minutes, reason.strip()[:200])


async def reverse(ctx: Context, actor_id: int, transfer_id: int, reason: str) -> Transfer:
    await require_admin(ctx, actor_id)
    return await transfers.reverse(ctx, transfer_id, reason[:200])
