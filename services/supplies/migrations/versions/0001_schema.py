"""Units, items, stock, consumption, approvers, proposals, decisions, orders, audit log.

The rules that must hold under concurrency live here, in the database, not in timing:
one undecided proposal line per (unit, sku); one open proposal per unit; one final decision and
one purchase order per proposal; an idempotency key used once; the audit log append-only.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION supplies_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the supplies audit log is append-only';
END;
$$ LANGUAGE plpgsql
"""


def _actor(prefix: str) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}_team", sa.String(32), nullable=False, server_default=""),
        sa.Column(f"{prefix}_user", sa.String(32), nullable=False, server_default=""),
        sa.Column(f"{prefix}_staff", sa.String(32), nullable=False, server_default=""),
        sa.Column(f"{prefix}_name", sa.String(128), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, server_default=""),
        sa.Column("slack_channel_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("monthly_budget_cents", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("monthly_budget_cents >= 0", name="ck_units_budget"),
    )
    op.create_table(
        "items",
        sa.Column("sku", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("unit_of_issue", sa.String(16), nullable=False),
        sa.Column("pack_size", sa.Integer, nullable=False),
        sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
        sa.Column("supplier", sa.String(64), nullable=False),
        sa.Column("lead_time_days", sa.Float, nullable=False),
        sa.Column("lead_time_stddev_days", sa.Float, nullable=False),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("substitute_skus", sa.String(512), nullable=False, server_default=""),
        sa.Column("service_level", sa.Float, nullable=False),
        sa.Column("use_eoq", sa.Boolean, nullable=False),
        sa.Column("order_cost_cents", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("holding_cost_cents_per_year", sa.BigInteger, nullable=False,
                  server_default="0"),
        sa.CheckConstraint("pack_size >= 1", name="ck_items_pack"),
        sa.CheckConstraint("unit_cost_cents >= 0", name="ck_items_cost"),
        sa.CheckConstraint("lead_time_days >= 0 AND lead_time_stddev_days >= 0",
                           name="ck_items_lead_time"),
        sa.CheckConstraint("service_level >= 0.5 AND service_level < 1",
                           name="ck_items_service_level"),
    )
    op.create_table(
        "stock",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("sku", sa.String(32), sa.ForeignKey("items.sku"), primary_key=True),
        sa.Column("par", sa.Integer, nullable=False),
        sa.Column("fixed_reorder_point", sa.Integer, nullable=True),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("on_order", sa.Integer, nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("par >= 0 AND on_hand >= 0 AND on_order >= 0", name="ck_stock_counts"),
        sa.CheckConstraint("fixed_reorder_point IS NULL OR fixed_reorder_point >= 0",
                           name="ck_stock_fixed_rop"),
    )
    op.create_table(
        "consumption",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("sku", sa.String(32), sa.ForeignKey("items.sku"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_consumption_quantity"),
    )
    op.create_table(
        "approvers",
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("staff_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("limit_cents", sa.BigInteger, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.UniqueConstraint("unit_id", "slack_team_id", "slack_user_id",
                            name="uq_approvers_slack"),
        sa.UniqueConstraint("unit_id", "rank", name="uq_approvers_rank"),
        sa.CheckConstraint("limit_cents >= 0", name="ck_approvers_limit"),
    )
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        *_actor("decided_by"),
        sa.Column("rejection_reason", sa.String(500), nullable=False, server_default=""),
        *_actor("escalated_to"),
        sa.Column("slack_channel_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("slack_message_ts", sa.String(32), nullable=False, server_default=""),
        sa.CheckConstraint(
            "state IN ('OPEN', 'ESCALATED', 'APPROVED', 'REJECTED', 'WITHDRAWN')",
            name="ck_proposals_state",
        ),
    )
    # A count extends the unit's open proposal rather than starting a second one.
    op.create_index("uq_proposals_one_open_per_unit", "proposals", ["unit_id"], unique=True,
                    sqlite_where=sa.text("state = 'OPEN'"),
                    postgresql_where=sa.text("state = 'OPEN'"))
    op.create_table(
        "proposal_lines",
        sa.Column("line_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.proposal_id"),
                  nullable=False),
        sa.Column("unit_id", sa.String(16), nullable=False),
        sa.Column("sku", sa.String(32), sa.ForeignKey("items.sku"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
        sa.Column("item_name", sa.String(128), nullable=False),
        sa.Column("inventory_position", sa.Integer, nullable=False),
        sa.Column("par", sa.Integer, nullable=False),
        sa.Column("reorder_point", sa.Integer, nullable=False),
        sa.Column("daily_demand_mean", sa.Float, nullable=False),
        sa.Column("daily_demand_stddev", sa.Float, nullable=False),
        sa.Column("lead_time_days", sa.Float, nullable=False),
        sa.Column("lead_time_stddev_days", sa.Float, nullable=False),
        sa.Column("z", sa.Float, nullable=False),
        sa.Column("safety_stock", sa.Float, nullable=False),
        sa.Column("fixed", sa.Boolean, nullable=False),
        sa.Column("history_days", sa.Integer, nullable=False),
        sa.UniqueConstraint("proposal_id", "sku", name="uq_proposal_lines_sku"),
        sa.CheckConstraint("status IN ('OPEN', 'DECIDED', 'WITHDRAWN')",
                           name="ck_proposal_lines_status"),
        sa.CheckConstraint("quantity >= 0", name="ck_proposal_lines_quantity"),
    )
    # The re-arm rule: no second alert for an item at a location while its line is undecided.
    op.create_index("uq_proposal_lines_one_open_per_location", "proposal_lines",
                    ["unit_id", "sku"], unique=True,
                    sqlite_where=sa.text("status = 'OPEN'"),
                    postgresql_where=sa.text("status = 'OPEN'"))
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.proposal_id"),
                  nullable=False),
        sa.Column("decision", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_decisions_idempotency_key"),
    )
    op.create_index("uq_decisions_one_final_per_proposal", "decisions", ["proposal_id"],
                    unique=True,
                    sqlite_where=sa.text("outcome IN ('APPROVED', 'REJECTED')"),
                    postgresql_where=sa.text("outcome IN ('APPROVED', 'REJECTED')"))
    op.create_table(
        "purchase_orders",
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.proposal_id"),
                  nullable=False),
        sa.Column("unit_id", sa.String(16), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("proposal_id", name="uq_purchase_orders_proposal"),
    )
    op.create_index("ix_purchase_orders_unit_created", "purchase_orders",
                    ["unit_id", "created_at"])
    op.create_table(
        "purchase_order_lines",
        sa.Column("order_id", sa.Integer, sa.ForeignKey("purchase_orders.order_id"),
                  primary_key=True),
        sa.Column("sku", sa.String(32), sa.ForeignKey("items.sku"), primary_key=True),
        sa.Column("supplier", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False, server_default=""),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_PG)
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION supplies_audit_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'the supplies audit log is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS supplies_audit_append_only()")
    for table in ("audit_log", "purchase_order_lines", "purchase_orders", "decisions",
                  "proposal_lines", "proposals", "approvers", "consumption", "stock", "items",
                  "units"):
        op.drop_table(table)
