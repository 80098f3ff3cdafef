"""The `teams_references` table: where the Teams front end can reach each member and channel."""

from sqlalchemy import JSON, Column, Integer, String, Table, UniqueConstraint

from storage.tables import UTCDateTime, metadata

teams_references = Table(
    "teams_references", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),  # "member" or "channel"
    Column("tenant_id", String(100), nullable=False),
    Column("key", String(200), nullable=False),  # AAD object id (or user id); or the channel id
    Column("user_id", String(200)),  # the Bot Framework id (29:…), to open a 1:1 chat
    Column("service_url", String(500), nullable=False),
    Column("reference", JSON),  # a serialised ConversationReference, when we have a conversation
    Column("unreachable_at", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "tenant_id", "key"),
)
