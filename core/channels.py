"""Campaign channels: a Slack channel and/or a Teams channel per campaign where its new needs are announced.

A lead links the channel they are in; from then on each new need of the campaign
becomes one outbox row addressed to the channel, queued in the transaction that
posts the need, so a need is announced once or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core import campaign_flow
from core.campaigns import Campaign
from core.errors import InvalidInput, InvalidState, NotFound
from core.outbox import enqueue_channel
from core.ports import Context
from core.posts import Need

PLATFORMS = {"slack": "Slack", "teams": "Teams"}
ANNOUNCE = "announce"


@dataclass(kw_only=True, eq=False)
class ChannelLink:
    """Where a campaign's news goes on one platform: at most one channel per platform and campaign."""

    campaign_id: int
    platform: str
    workspace_id: str
    channel_id: str
    name: str = ""
    linked_by: int | None = None
    linked_at: datetime | None = None
    id: int | None = None

    @property
    def label(self) -> str:
        where = f"#{self.name}" if self.name else "a channel"
        return f"{where} in {PLATFORMS.get(self.platform, self.platform)}"


@dataclass(frozen=True)
class Linked:
    """The outcome of a link: the campaign, the new link, and the channel it replaced, if any."""

    campaign: Campaign
    link: ChannelLink
    replaced: ChannelLink | None = None
    unchanged: bool = False


async def link(
    ctx: Context, actor_id: int, ref: str | int, platform: str, workspace_id: str, channel_id: str,
    name: str = "",
) -> Linked:
    """Leads (and admins) link the channel they are in; linking it again is harmless."""
    campaign = await campaign_flow.find(ctx, ref)
    await campaign_flow.require_lead(ctx, campaign.id, actor_id)
    if platform not in PLATFORMS:
        raise InvalidInput("Channels can be linked from Slack or Teams.")
    if not workspace_id or not channel_id:
        raise InvalidInput("Run this in the channel you want to link, not in a direct message.")
    name = name.strip().lstrip("#")[:80]
    current = await ctx.uow.channels.of(campaign.id, platform)
    if current is not None and (current.workspace_id, current.channel_id) == (workspace_id, channel_id):
        if name and current.name != name:
            current.name = name
        return Linked(campaign, current, unchanged=True)
    replaced = None
    if current is not None:
        replaced = ChannelLink(campaign_id=current.campaign_id, platform=current.platform,
                               workspace_id=current.workspace_id, channel_id=current.channel_id,
                               name=current.name, linked_by=current.linked_by, linked_at=current.linked_at)
        await ctx.uow.channels.remove(current)
    made = await ctx.uow.channels.add(ChannelLink(
        campaign_id=campaign.id, platform=platform, workspace_id=workspace_id, channel_id=channel_id,
        name=name, linked_by=actor_id, linked_at=ctx.now))
    return Linked(campaign, made, replaced)


async def unlink(ctx: Context, actor_id: int, ref: str | int, platform: str) -> tuple[Campaign, ChannelLink]:
    """Stop announcing on one platform; announcements already queued there are dropped when their turn comes."""
    campaign = await campaign_flow.find(ctx, ref)
    await campaign_flow.require_lead(ctx, campaign.id, actor_id)
    current = await ctx.uow.channels.of(campaign.id, platform)
    if current is None:
        raise InvalidState(f"{campaign.title} has no linked {PLATFORMS.get(platform, platform)} channel.")
    await ctx.uow.channels.remove(current)
    return campaign, current


async def links_of(ctx: Context, campaign_id: int) -> list[ChannelLink]:
    return await ctx.uow.channels.for_campaign(campaign_id)


async def in_channel(ctx: Context, platform: str, workspace_id: str, channel_id: str) -> list[Campaign]:
    """The campaigns a channel is linked to, for the channel's own `campaign channels` view."""
    found = []
    for link_ in await ctx.uow.channels.at(platform, workspace_id, channel_id):
        campaign = await ctx.uow.campaigns.get(link_.campaign_id)
        if campaign is not None:
            found.append(campaign)
    return found


async def announce_need(ctx: Context, need: Need, render: Callable[[Need, Campaign], dict]) -> int:
    """Queue the need's announcement to each of its campaign's channels, in the caller's transaction.

    Keyed by need and channel, so a retried post announces nothing twice.
    """
    if need.campaign_id is None:
        return 0
    links = await ctx.uow.channels.for_campaign(need.campaign_id)
    if not links:
        return 0
    campaign = await ctx.uow.campaigns.get(need.campaign_id)
    if campaign is None:
        raise NotFound("That campaign no longer exists.")
    payload = render(need, campaign)
    queued = 0
    for each in links:
        queued += await enqueue_channel(ctx, each.id, ANNOUNCE, f"announce:need:{need.id}:{each.id}", payload)
    return queued
