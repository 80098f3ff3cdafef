"""The campaign_channels table, its mapping, and the repository behind `uow.channels`."""

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    select,
)

from core.channels import ChannelLink
from storage.repositories import _Repo
from storage.tables import UTCDateTime, mapper_registry, metadata

campaign_channels = Table(
    "campaign_channels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("channel_id", String(200), nullable=False),
    Column("name", String(80), nullable=False),
    Column("linked_by", ForeignKey("members.id")),
    Column("linked_at", UTCDateTime),
    UniqueConstraint("campaign_id", "platform"),
    Index("ix_campaign_channels_place", "platform", "workspace_id", "channel_id"),
)

mapper_registry.map_imperatively(ChannelLink, campaign_channels)


class ChannelLinkRepo(_Repo):
    """One link per campaign and platform (a unique constraint); a channel may serve several campaigns."""

    model = ChannelLink

    async def of(self, campaign_id: int, platform: str) -> ChannelLink | None:
        query = select(ChannelLink).where(ChannelLink.campaign_id == campaign_id, ChannelLink.platform == platform)
        if self.locking:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_campaign(self, campaign_id: int) -> list[ChannelLink]:
        query = select(ChannelLink).where(ChannelLink.campaign_id == campaign_id)
        return await self._list(query.order_by(ChannelLink.platform))

    async def at(self, platform: str, workspace_id: str, channel_id: str) -> list[ChannelLink]:
        query = select(ChannelLink).where(ChannelLink.platform == platform, ChannelLink.workspace_id == workspace_id,
                                          ChannelLink.channel_id == channel_id)
        return await self._list(query.order_by(ChannelLink.campaign_id))

    async def remove(self, link: ChannelLink) -> None:
        await self.session.execute(delete(campaign_channels).where(campaign_channels.c.id == link.id))
        self.session.expunge(link)
