"""broadcasts: a campaign lead's queued messages to participants

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("call_to_action", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_broadcasts_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"],
                                name=op.f("fk_broadcasts_author_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sa.UniqueConstraint("author_id", "client_key", name=op.f("uq_broadcasts_author_id_client_key")),
    )
    op.create_index(op.f("ix_broadcasts_campaign_id"), "broadcasts", ["campaign_id"])
    op.create_index(op.f("ix_broadcasts_status"), "broadcasts", ["status"])


def downgrade() -> None:
    op.drop_table("broadcasts")
