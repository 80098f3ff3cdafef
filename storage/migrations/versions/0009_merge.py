"""merge the parallel branches (broadcasts, Slack, Teams, outbox, scheduler, nudges) into one head

Revision ID: 0009
Revises: 0003, 0004, 0005, 0006, 0007, 0008
"""

revision = "0009"
down_revision = ("0003", "0004", "0005", "0006", "0007", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables."""


def downgrade() -> None:
    """Nothing to undo."""
