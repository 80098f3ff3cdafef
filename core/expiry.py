"""Needs that outlived their time: taken off the board once, with the reason kept for the owner."""

from dataclasses import dataclass

from core.ports import Context
from core.posts import Need, NeedStatus


@dataclass(frozen=True)
class NeedExpired:
    """What the expiry did, and why, so the owner can be told in words."""

    need: Need
    reason: str


async def expire_need(ctx: Context, need_id: int) -> NeedExpired | None:
    """An open need past `expires_at` is withdrawn; anything else is left alone (None), so reruns are harmless."""
    need = await ctx.uow.needs.get(need_id, for_update=True)
    if need is None or need.status != NeedStatus.OPEN:
        return None
    if need.expires_at is None or need.expires_at > ctx.now:
        return None
    need.status, need.updated_at = NeedStatus.WITHDRAWN, ctx.now
    days = (need.expires_at - need.created_at).days if need.created_at else ctx.rules.need_ttl.days
    return NeedExpired(need, f"it was open for {days} days without an agreed exchange")
