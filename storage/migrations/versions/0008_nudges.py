"""nudges: what each member was nudged about, their snoozes, and when they last answered

Revision ID: 0008
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nudge_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_nudge_log_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_log")),
        sa.UniqueConstraint("member_id", "kind", "subject", "subject_id", "n",
                            name=op.f("uq_nudge_log_member_id_kind_subject_subject_id_n")),
    )
    op.create_index("ix_nudge_log_item", "nudge_log", ["kind", "subject", "subject_id"])
    op.create_index("ix_nudge_log_at", "nudge_log", ["at"])
    op.create_table(
        "nudge_snoozes",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_nudge_snoozes_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "kind", "subject", "subject_id", name=op.f("pk_nudge_snoozes")),
    )
    op.create_table(
        "nudge_acks",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_nudge_acks_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_nudge_acks")),
    )


def downgrade() -> None:
    op.drop_table("nudge_acks")
    op.drop_table("nudge_snoozes")
    op.drop_table("nudge_log")
