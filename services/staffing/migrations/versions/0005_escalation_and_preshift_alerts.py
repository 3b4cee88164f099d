"""When an open shift reached its ladder step, and the last alerted gap state per unit shift.

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
    with op.batch_alter_table("open_shifts") as batch:
        # NULL: still on the step it was opened at, since created_at.
        batch.add_column(sa.Column("ladder_step_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "preshift_alerts",
        # One row per unit shift: the key makes a second alert of the same state impossible.
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("shift_date", sa.Date, primary_key=True),
        sa.Column("shift", sa.String(8), primary_key=True),
        sa.Column("gap_state", sa.String(400), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("preshift_alerts")
    with op.batch_alter_table("open_shifts") as batch:
        batch.drop_column("ladder_step_at")
