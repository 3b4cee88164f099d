"""Units, the ratio table, the staff directory, census and assignments.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratio_rules",
        sa.Column("jurisdiction", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("patient_group", sa.String(16), primary_key=True),
        sa.Column("patients_per_nurse", sa.Integer, nullable=False),
        sa.Column("law", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.CheckConstraint("patients_per_nurse >= 1", name="ck_ratio_rules_positive"),
    )
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("slack_channel_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False, server_default="US-CA"),
        sa.Column("patients_per_nurse_override", sa.Integer, nullable=True),
        sa.CheckConstraint(
            "patients_per_nurse_override IS NULL OR patients_per_nurse_override >= 1",
            name="ck_units_override_positive",
        ),
    )
    op.create_table(
        "unlicensed_grid_steps",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("census_from", sa.Integer, primary_key=True),
        sa.Column("census_to", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.CheckConstraint("census_from <= census_to", name="ck_grid_range"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("employment_type", sa.String(16), nullable=False),
        sa.Column("home_unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=True),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.UniqueConstraint("slack_team_id", "slack_user_id", name="uq_staff_slack"),
    )
    op.create_table(
        "staff_duties",
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("duty", sa.String(16), primary_key=True),
    )
    op.create_table(
        "staff_orientations",
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
    )
    op.create_table(
        "census",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("shift_date", sa.Date, primary_key=True),
        sa.Column("shift", sa.String(8), primary_key=True),
        sa.Column("patients", sa.Integer, nullable=False),
        sa.Column("critical_care_patients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("trauma_patients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("occupied_rooms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(32), nullable=True),
    )
    op.create_table(
        "assignments",
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), primary_key=True),
        sa.Column("shift_date", sa.Date, primary_key=True),
        sa.Column("shift", sa.String(8), primary_key=True),
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("duty", sa.String(16), nullable=False),
        sa.Column("carries_patients", sa.Boolean, nullable=False),
    )
    op.create_index("ix_assignments_unit_shift", "assignments", ["unit_id", "shift_date", "shift"])


def downgrade() -> None:
    for table in ("assignments", "census", "staff_orientations", "staff_duties", "staff",
                  "unlicensed_grid_steps", "units", "ratio_rules"):
        op.drop_table(table)
