"""Two-phase reminder delivery: a reminder is CLAIMED before the DM and SENT after it.

Rows written before this revision were recorded in one step, so they are SENT.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as table:
        table.add_column(sa.Column("state", sa.String(8), nullable=False, server_default="SENT"))
        table.add_column(sa.Column("claim_id", sa.String(32), nullable=False, server_default=""))
        table.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders_sent") as table:
        table.drop_column("claimed_at")
        table.drop_column("claim_id")
        table.drop_column("state")
