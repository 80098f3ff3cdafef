"""The database schema, and the mapping of the core's dataclasses onto it."""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry

from core.campaigns import Campaign, Organisation, Participation
from core.exchanges import Exchange
from core.ledger import Account, Transfer
from core.members import Identity, LinkCode, Member
from core.posts import Need, Offer


class UTCDateTime(TypeDecorator):
    """Aware UTC in Python, whatever the database keeps (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


members = Table(
    "members", metadata, _id(),
    Column("display_name", String(120), nullable=False),
    Column("organisation", String(200), nullable=False, default=""),
    Column("sector", String(20), nullable=False),
    Column("skills", Json, nullable=False),
    Column("bio", Text, nullable=False, default=""),
    Column("timezone", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("preferences", Json, nullable=False),
    Column("onboarded", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("forgotten_at", UTCDateTime),
)

identities = Table(
    "identities", metadata, _id(),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(100), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "workspace_id", "user_id"),
)

link_codes = Table(
    "link_codes", metadata, _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("member_id", ForeignKey("members.id"), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

accounts = Table(
    "accounts", metadata, _id(),
    Column("kind", String(20), nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("credit_limit", BigInteger),
    Column("debits_pending", BigInteger, nullable=False, default=0),
    Column("debits_posted", BigInteger, nullable=False, default=0),
    Column("credits_pending", BigInteger, nullable=False, default=0),
    Column("credits_posted", BigInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "owner_id"),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
        name="counters_not_negative",
    ),
)

transfers = Table(
    "transfers", metadata, _id(),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("debit_account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("credit_account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("pending_id", ForeignKey("transfers.id"), unique=True),
    Column("reverses_id", ForeignKey("transfers.id"), unique=True),
    Column("reason", String(300), nullable=False, default=""),
    Column("expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    Index("ix_transfers_open_holds", "kind", "expires_at"),
)

organisations = Table(
    "organisations", metadata, _id(),
    Column("slug", String(60), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("sector", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

campaigns = Table(
    "campaigns", metadata, _id(),
    Column("slug", String(60), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("skills", Json, nullable=False),
    Column("status", String(20), nullable=False),
    Column("starts_on", Date),
    Column("ends_on", Date),
    Column("created_at", UTCDateTime, nullable=False),
)

participations = Table(
    "participations", metadata, _id(),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=False),
    Column("member_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    UniqueConstraint("campaign_id", "member_id"),
)

needs = Table(
    "needs", metadata, _id(),
    Column("owner_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("skills", Json, nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id"), index=True),
    Column("minutes", Integer, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("client_key", String(200)),
    UniqueConstraint("owner_id", "client_key"),
)

offers = Table(
    "offers", metadata, _id(),
    Column("owner_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("skills", Json, nullable=False),
    Column("campaign_ids", Json, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("minutes_committed", Integer, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("client_key", String(200)),
    UniqueConstraint("owner_id", "client_key"),
)

post_terms = Table(
    "post_terms", metadata,
    Column("kind", String(10), primary_key=True),
    Column("term", String(80), primary_key=True),
    Column("post_id", Integer, primary_key=True),
    Column("weight", Integer, nullable=False),
)

dismissals = Table(
    "dismissals", metadata,
    Column("member_id", ForeignKey("members.id"), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("post_id", Integer, primary_key=True),
)

exchanges = Table(
    "exchanges", metadata, _id(),
    Column("requester_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("helper_id", ForeignKey("members.id"), nullable=False, index=True),
    Column("proposed_by", ForeignKey("members.id"), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("need_id", ForeignKey("needs.id"), index=True),
    Column("offer_id", ForeignKey("offers.id"), index=True),
    Column("campaign_id", ForeignKey("campaigns.id"), index=True),
    Column("state", String(20), nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("hold_transfer_id", ForeignKey("transfers.id")),
    Column("logged_minutes", Integer),
    Column("logged_by", Integer),
    Column("logged_at", UTCDateTime),
    Column("posted_minutes", Integer),
    Column("session_on", UTCDateTime),
    Column("dispute_reason", Text, nullable=False),
    Column("resolved_by", Integer),
    Column("requester_thanks", Text, nullable=False),
    Column("helper_thanks", Text, nullable=False),
    Column("client_key", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    UniqueConstraint("proposed_by", "client_key"),
)

mapper_registry = registry(metadata=metadata)
for cls, table in (
    (Member, members), (Identity, identities), (LinkCode, link_codes), (Account, accounts),
    (Transfer, transfers), (Organisation, organisations), (Campaign, campaigns),
    (Participation, participations), (Need, needs), (Offer, offers), (Exchange, exchanges),
):
    mapper_registry.map_imperatively(cls, table)
