"""Small helpers every handler module shares: ids from references, names, dates."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.turns import Request
from core import directory
from core.errors import NotFound
from core.ports import Context


def ref_id(value: str, what: str = "item") -> int:
    """An id from a button reference or typed text (`12`, `#12`); anything else is unknown."""
    cleaned = (value or "").strip().lstrip("#")
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise NotFound(f"I can't find that {what}. Use the number shown, e.g. 12.")
    return int(cleaned)


def first_arg_id(req: Request, what: str, usage: str) -> int:
    args = req.args
    if not args:
        raise NotFound(f"Which {what}? Usage: {usage}")
    return ref_id(args[0], what)


async def names(ctx: Context, member_ids: set[int]) -> dict[int, str]:
    """Display names for a handful of members; forgotten members stay anonymous."""
    found = {}
    for member_id in member_ids:
        member = await ctx.uow.members.get(member_id)
        found[member_id] = member.display_name if member else "a former member"
    return found


async def member_name(ctx: Context, member_id: int) -> str:
    return (await names(ctx, {member_id}))[member_id]


def local_day(moment: datetime | None, timezone: str) -> str:
    """A date as the member reads it, in their own time zone."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except Exception:
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%-d %b %Y")


async def member_ref(ctx: Context, req: Request, text: str) -> int:
    """Someone named in a command: a platform mention, `#12` member number, or a unique name."""
    if req.turn.mentions:
        member = await ctx.uow.members.by_identity(req.turn.platform, req.turn.workspace_id,
                                                   req.turn.mentions[0])
        if member is not None:
            return member.id
    token = text.strip().split(" ")[0] if text.strip() else ""
    if token.startswith("#") and token[1:].isdigit():
        return (await directory.get(ctx, int(token[1:]))).id
    matches = await ctx.uow.members.by_name(text.strip())
    if len(matches) == 1:
        return matches[0].id
    raise NotFound("I can't tell which member you mean. Mention them, or use their number like #12.")
