"""SQLAlchemy implementation of the core's `Broadcasts` port."""

from sqlalchemy import select

from core.broadcasts import Broadcast
from storage import broadcast_tables  # noqa: F401  (maps Broadcast before first use)
from storage.repositories import _Repo


class BroadcastRepo(_Repo):
    """Queued broadcasts; one per (author, client key)."""

    model = Broadcast

    async def by_client_key(self, author_id: int, key: str) -> Broadcast | None:
        query = select(Broadcast).where(Broadcast.author_id == author_id, Broadcast.client_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_campaign(self, campaign_id: int) -> list[Broadcast]:
        query = select(Broadcast).where(Broadcast.campaign_id == campaign_id)
        return await self._list(query.order_by(Broadcast.id))
