"""The `broadcasts` table and its mapping onto `core.broadcasts.Broadcast`."""

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from core.broadcasts import Broadcast
from storage.tables import UTCDateTime, mapper_registry, metadata

broadcasts = Table(
    "broadcasts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("author_id", ForeignKey("members.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("call_to_action", String(20), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="queued", index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("client_key", String(200)),
    UniqueConstraint("author_id", "client_key"),
)

mapper_registry.map_imperatively(Broadcast, broadcasts)
