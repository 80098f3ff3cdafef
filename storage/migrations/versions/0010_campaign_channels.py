"""campaign channels: a Slack and/or Teams channel per campaign; outbox rows may go to a channel

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("workspace_id", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_channels_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["linked_by"], ["members.id"], name=op.f("fk_campaign_channels_linked_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_channels")),
        sa.UniqueConstraint("campaign_id", "platform", name=op.f("uq_campaign_channels_campaign_id_platform")),
    )
    op.create_index("ix_campaign_channels_place", "campaign_channels", ["platform", "workspace_id", "channel_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("channel_link_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel_link_id")
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_campaign_channels_place", table_name="campaign_channels")
    op.drop_table("campaign_channels")
