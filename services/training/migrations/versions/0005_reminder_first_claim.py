"""When the first of a chain of unsettled claims on a reminder was made.

A claim taken over after its lease keeps this time, so a scheduler that takes over (however
many senders died before it) looks for a delivered DM from the first claim onwards. NULL for
rows written before this revision: their claimed_at stands in.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as table:
        table.add_column(sa.Column("first_claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders_sent") as table:
        table.drop_column("first_claimed_at")
