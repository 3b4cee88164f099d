"""Unit policies, open shifts, awards (one per slot), queued claims and the audit log.

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
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("award_mode", sa.String(8), nullable=False,
                                   server_default="AUTO"))
        batch.add_column(sa.Column("overtime_policy", sa.String(8), nullable=False,
                                   server_default="ALLOW"))
    op.create_table(
        "open_shifts",
        sa.Column("open_shift_id", sa.String(32), primary_key=True),
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("shift_date", sa.Date, nullable=False),
        sa.Column("shift", sa.String(8), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("slots", sa.Integer, nullable=False),
        sa.Column("slots_filled", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("state", sa.String(12), nullable=False, server_default="OPEN"),
        sa.Column("ladder_step", sa.String(20), nullable=False, server_default="UNIT_STAFF"),
        sa.Column("slack_channel_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("slack_message_ts", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        # The database, not timing, keeps a shift from being over-filled.
        sa.CheckConstraint("slots >= 1", name="ck_open_shifts_slots"),
        sa.CheckConstraint("slots_filled >= 0 AND slots_filled <= slots",
                           name="ck_open_shifts_filled"),
    )
    op.create_index("ix_open_shifts_unit_shift", "open_shifts", ["unit_id", "shift_date", "shift"])
    op.create_table(
        "awards",
        sa.Column("open_shift_id", sa.String(32),
                  sa.ForeignKey("open_shifts.open_shift_id"), primary_key=True),
        sa.Column("slot_number", sa.Integer, primary_key=True),
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("open_shift_id", "staff_id", name="uq_awards_one_per_person"),
    )
    op.create_table(
        "queued_claims",
        sa.Column("open_shift_id", sa.String(32),
                  sa.ForeignKey("open_shifts.open_shift_id"), primary_key=True),
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), primary_key=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overtime_hours", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "staffing_audit",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor_user_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor_staff_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    for table in ("staffing_audit", "queued_claims", "awards", "open_shifts"):
        op.drop_table(table)
    with op.batch_alter_table("units") as batch:
        batch.drop_column("overtime_policy")
        batch.drop_column("award_mode")
