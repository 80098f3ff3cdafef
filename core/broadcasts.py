"""Broadcasts: a campaign lead's message to everyone in the campaign, queued for delivery.

Text is plain and stays plain: renderers make it inert, so no @mention,
`<!channel>` or link can hide in it. Delivery belongs to the scheduler.
"""

from dataclasses import dataclass
from datetime import datetime

from core import campaign_flow
from core.campaigns import Campaign
from core.errors import InvalidInput
from core.members import Member
from core.ports import Context
from core.posts import clean_text

CALLS_TO_ACTION = {"": "None", "needs": "See open needs", "offer": "Offer hours"}


@dataclass(kw_only=True, eq=False)
class Broadcast:
    """One message to a campaign's participants; `client_key` makes queueing idempotent."""

    campaign_id: int
    author_id: int
    title: str
    text: str
    call_to_action: str = ""
    status: str = "queued"
    created_at: datetime | None = None
    client_key: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Draft:
    """A checked broadcast before it is queued: what the preview shows."""

    broadcast: Broadcast
    campaign: Campaign
    audience: int


async def compose(
    ctx: Context, author_id: int, campaign_ref: str | int, title: str, text: str, call_to_action: str = ""
) -> Draft:
    """Check the author may broadcast to this campaign and the message is fit to send."""
    campaign = await campaign_flow.find(ctx, campaign_ref)
    await campaign_flow.require_lead(ctx, campaign.id, author_id)
    if not (text or "").strip():
        raise InvalidInput("Please write the message participants will read.")
    title, text = clean_text(title, text, ctx.rules)
    if call_to_action not in CALLS_TO_ACTION:
        raise InvalidInput("The call to action is none, see open needs, or offer hours.")
    draft = Broadcast(campaign_id=campaign.id, author_id=author_id, title=title, text=text,
                      call_to_action=call_to_action)
    return Draft(draft, campaign, await audience(ctx, campaign.id, author_id))


async def queue(
    ctx: Context, author_id: int, campaign_ref: str | int, title: str, text: str,
    call_to_action: str = "", client_key: str | None = None,
) -> Draft:
    """Store the broadcast as queued; the same `client_key` queues it once."""
    if client_key and (found := await ctx.uow.broadcasts.by_client_key(author_id, client_key)):
        campaign = await campaign_flow.find(ctx, found.campaign_id)
        return Draft(found, campaign, await audience(ctx, campaign.id, author_id))
    draft = await compose(ctx, author_id, campaign_ref, title, text, call_to_action)
    made = draft.broadcast
    made.created_at, made.client_key = ctx.now, client_key
    await ctx.uow.broadcasts.add(made)
    return draft


async def audience(ctx: Context, campaign_id: int, author_id: int) -> int:
    """How many will get it, as the lead is told before and after queueing: the campaign's participants
    but the author, less those who turned broadcasts off."""
    seats = await ctx.uow.campaigns.participants(campaign_id)
    members = await ctx.uow.members.get_many([seat.member_id for seat in seats if seat.member_id != author_id])
    return sum(1 for member in members.values() if receives(member))


def receives(member: Member) -> bool:
    """Broadcasts reach members who kept them on and have not asked to be forgotten."""
    return member.wants("broadcast") and member.forgotten_at is None
