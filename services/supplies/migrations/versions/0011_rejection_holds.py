"""A rejection holds: no new proposal for its items until their position moves or a date passes.

`rejection_holds` keeps, per location turned down, the inventory position when it was rejected
and the snooze's end; the proposal keeps the snooze's end to say it. The audit log's detail
becomes unbounded text, since a decision now lists every line it covered.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejection_holds",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("sku", sa.String(32), sa.ForeignKey("items.sku"), primary_key=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.proposal_id"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("proposals") as table:
        table.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        # SQLite never enforced the length; recreating its table would copy the whole log.
        op.alter_column("audit_log", "detail", type_=sa.Text, existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("audit_log", "detail", type_=sa.String(1000), existing_nullable=False)
    with op.batch_alter_table("proposals") as table:
        table.drop_column("held_until")
    op.drop_table("rejection_holds")
