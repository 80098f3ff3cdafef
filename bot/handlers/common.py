"""Small helpers every handler module shares: ids from references, names, dates."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from bot.dialogs.fields import FieldErrors
from bot.turns import Request
from bot.views import Card, Reply, say
from core import directory
from core.campaigns import Campaign
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


def shortened(text: str, limit: int) -> str:
    """Long user text cut to fit a card, with an ellipsis so the cut shows."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def names(ctx: Context, member_ids: set[int]) -> dict[int, str]:
    """Display names for a handful of members, in one query; unknown ids read as a former member."""
    found = await ctx.uow.members.get_many(member_ids)
    return {mid: found[mid].display_name if mid in found else "a former member" for mid in member_ids}


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


async def all_campaigns(ctx: Context) -> list[Campaign]:
    return await ctx.uow.campaigns.all()


async def submit_post(
    req: Request, dialog: ModuleType, post: Callable[..., Awaitable[Any]],
    card: Callable[..., Awaitable[Card]], headline: Card,
    then: Callable[[Context, Any], Awaitable[None]] | None = None,
) -> Reply:
    """A need or offer form submitted: errors back on the form, or posted once per request key."""
    campaigns = await req.bank.read(all_campaigns)
    values = req.turn.values
    try:
        draft = dialog.read(values, req.bank.rules, {str(c.id) for c in campaigns})
    except FieldErrors as bad:
        return Reply(form=dialog.form(campaigns, req.bank.rules).with_errors(bad.errors, values), close_form=False)
    posted = await req.bank.run(post, req.member.id, client_key=req.turn.request_key, then=then, **draft)
    return say(headline, await req.bank.read(card, posted, req.member.id, req.member.timezone))
