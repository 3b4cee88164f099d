"""Certification types, requirements, roster, records, renewals, reminders sent, audit log.

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
        "certification_types",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("validity_months", sa.Integer, nullable=False),
        sa.Column("reminder_days", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("validity_months >= 1", name="ck_certification_types_validity"),
    )
    op.create_table(
        "requirements",
        sa.Column("requirement_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit_category", sa.String(32), nullable=False, server_default=""),
        sa.Column("unit_id", sa.String(16), nullable=False, server_default=""),
        sa.Column("certification_code", sa.String(16),
                  sa.ForeignKey("certification_types.code"), nullable=False),
        sa.UniqueConstraint("role", "unit_category", "unit_id", "certification_code",
                            name="uq_requirements"),
    )
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("home_unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=True),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("duties", sa.String(128), nullable=False, server_default=""),
        sa.UniqueConstraint("slack_team_id", "slack_user_id", name="uq_staff_slack"),
    )
    op.create_table(
        "certification_records",
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), nullable=False),
        sa.Column("certification_code", sa.String(16),
                  sa.ForeignKey("certification_types.code"), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=True),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("expiry_derived", sa.Boolean, nullable=False),
        sa.Column("evidence_reference", sa.String(256), nullable=False, server_default=""),
        sa.Column("verified_by", sa.String(32), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        # One current record per person and type: a verified renewal replaces it.
        sa.UniqueConstraint("staff_id", "certification_code", name="uq_records_staff_type"),
    )
    op.create_table(
        "renewals",
        sa.Column("renewal_id", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), nullable=False),
        sa.Column("certification_code", sa.String(16),
                  sa.ForeignKey("certification_types.code"), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=True),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("evidence_reference", sa.String(256), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rejection_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('PENDING', 'VERIFIED', 'REJECTED')",
                           name="ck_renewals_state"),
    )
    op.create_index("ix_renewals_staff", "renewals", ["staff_id", "state"])
    op.create_table(
        "reminders_sent",
        sa.Column("reminder_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("certification_code", sa.String(16), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("threshold_days", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        # Each reminder exactly once, whichever process or replica records it first.
        sa.UniqueConstraint("staff_id", "certification_code", "expires_on", "threshold_days",
                            name="uq_reminders_sent_once"),
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_staff_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor_slack_team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor_slack_user_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    for table in ("audit_log", "reminders_sent", "renewals", "certification_records", "staff",
                  "units", "requirements", "certification_types"):
        op.drop_table(table)
