"""Purchase-order hand-off claims (one process at a time, with a lease and a retry time), how much
of each order line has arrived (partial receipts), and each unit's receivers (charge nurses).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        # Who is handing the order off, and until when the claim holds (a dead claimant's
        # claim expires and another process takes it over).
        batch.add_column(sa.Column("hand_off_claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hand_off_claimed_until", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("hand_off_attempts", sa.Integer, nullable=False,
                                   server_default="0"))
        # After a failed hand-off: not tried again before this (backoff).
        batch.add_column(sa.Column("hand_off_retry_at", sa.DateTime(timezone=True),
                                   nullable=True))
    op.create_index("ix_purchase_orders_pending_hand_off", "purchase_orders",
                    ["handed_off_at", "order_id"])
    with op.batch_alter_table("purchase_order_lines") as batch:
        batch.add_column(sa.Column("received_quantity", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.create_check_constraint(
            "ck_purchase_order_lines_received",
            "received_quantity >= 0 AND received_quantity <= quantity")
    # Orders received before partial receipts existed arrived whole.
    op.execute("UPDATE purchase_order_lines SET received_quantity = quantity WHERE order_id IN "
               "(SELECT order_id FROM purchase_orders WHERE received_at IS NOT NULL)")
    op.create_table(
        "receivers",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("staff_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        # What the person is on the unit, e.g. CHARGE_NURSE: shown when they are refused.
        sa.Column("role", sa.String(32), nullable=False),
        sa.UniqueConstraint("unit_id", "slack_team_id", "slack_user_id",
                            name="uq_receivers_slack"),
    )


def downgrade() -> None:
    op.drop_table("receivers")
    with op.batch_alter_table("purchase_order_lines") as batch:
        batch.drop_constraint("ck_purchase_order_lines_received", type_="check")
        batch.drop_column("received_quantity")
    op.drop_index("ix_purchase_orders_pending_hand_off", table_name="purchase_orders")
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("hand_off_retry_at")
        batch.drop_column("hand_off_attempts")
        batch.drop_column("hand_off_claimed_until")
        batch.drop_column("hand_off_claimed_by")
