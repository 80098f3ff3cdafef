"""Files offered to Teams members, kept in the database until they accept or decline the consent card.

Several web processes share nothing in memory: the one that answers `fileConsent/invoke` may not
be the one that made the offer, so the bytes live here. Offers are claimed with a compare-and-set
so a double accept uploads once; `purge_expired` removes old ones (each new offer also does).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    and_,
    delete,
    or_,
    select,
    update,
)

from storage.database import Database
from storage.tables import UTCDateTime, metadata

teams_file_offers = Table(
    "teams_file_offers", metadata,
    Column("id", String(64), primary_key=True),  # opaque and random: the card's accept/decline context
    Column("tenant_id", String(100), nullable=False),
    Column("member_key", String(200), nullable=False),  # AAD object id, as in teams_references
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("claimed_at", UTCDateTime),  # an upload is under way since then
)
offers = teams_file_offers


@dataclass(frozen=True)
class FileOffer:
    """One file waiting for its member's answer."""

    id: str
    tenant_id: str
    member_key: str
    filename: str
    content_type: str
    content: bytes
    created_at: datetime
    claimed_at: datetime | None = None


class FileOfferStore:
    """Inserts, claims and deletes of `teams_file_offers`, with plain SQLAlchemy Core."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, offer_id: str, tenant_id: str, member_key: str, filename: str, content_type: str,
                  content: bytes, now: datetime, expired_before: datetime) -> None:
        """Keep the offer; offers made before `expired_before` are removed on the way."""
        row = {"id": offer_id, "tenant_id": tenant_id, "member_key": member_key, "filename": filename,
               "content_type": content_type, "content": content, "size": len(content), "created_at": now}
        async with self.db.engine.begin() as conn:
            await conn.execute(delete(offers).where(offers.c.created_at < expired_before))
            await conn.execute(offers.insert().values(**row))

    async def get(self, offer_id: str, tenant_id: str, member_key: str) -> FileOffer | None:
        """The member's own offer, whatever its state; None for anyone else's."""
        async with self.db.read_engine.connect() as conn:
            row = (await conn.execute(select(offers).where(_theirs(offer_id, tenant_id, member_key)))).first()
        return _offer(row) if row else None

    async def claim(self, offer_id: str, tenant_id: str, member_key: str, now: datetime,
                    expired_before: datetime, stale_before: datetime) -> FileOffer | None:
        """Mark the offer as being uploaded; None when it is unknown, someone else's, expired or already claimed.

        A claim older than `stale_before` (its process died mid-upload) may be taken again.
        """
        free = or_(offers.c.claimed_at.is_(None), offers.c.claimed_at < stale_before)
        mine = and_(_theirs(offer_id, tenant_id, member_key), offers.c.created_at >= expired_before, free)
        async with self.db.engine.begin() as conn:
            taken = await conn.execute(update(offers).where(mine).values(claimed_at=now))
            if taken.rowcount != 1:
                return None
            row = (await conn.execute(select(offers).where(offers.c.id == offer_id))).first()
        return _offer(row)

    async def release(self, offer_id: str) -> None:
        """The upload failed: the offer may be accepted again."""
        async with self.db.engine.begin() as conn:
            await conn.execute(update(offers).where(offers.c.id == offer_id).values(claimed_at=None))

    async def remove(self, offer_id: str, tenant_id: str, member_key: str) -> bool:
        """Delete the member's own offer (sent or declined); False when there was none."""
        async with self.db.engine.begin() as conn:
            gone = await conn.execute(delete(offers).where(_theirs(offer_id, tenant_id, member_key)))
        return gone.rowcount == 1


async def purge_expired(db: Database, expired_before: datetime) -> int:
    """Delete offers made before `expired_before`; returns how many. Safe to run from any process."""
    async with db.engine.begin() as conn:
        gone = await conn.execute(delete(offers).where(offers.c.created_at < expired_before))
    return gone.rowcount or 0


def _theirs(offer_id: str, tenant_id: str, member_key: str):
    return and_(offers.c.id == offer_id, offers.c.tenant_id == tenant_id, offers.c.member_key == member_key)


def _offer(row) -> FileOffer:
    return FileOffer(id=row.id, tenant_id=row.tenant_id, member_key=row.member_key, filename=row.filename,
                     content_type=row.content_type, content=bytes(row.content), created_at=row.created_at,
                     claimed_at=row.claimed_at)
