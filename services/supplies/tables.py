"""ORM rows of the supplies database (the schema itself is owned by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UnitRow(Base):
    __tablename__ = "units"
    unit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    slack_channel_id: Mapped[str] = mapped_column(String(32), default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    monthly_budget_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    facility_id: Mapped[str] = mapped_column(String(16), default="")
    opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ItemRow(Base):
    __tablename__ = "items"
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    unit_of_issue: Mapped[str] = mapped_column(String(16))
    pack_size: Mapped[int]
    unit_cost_cents: Mapped[int] = mapped_column(BigInteger)
    supplier: Mapped[str] = mapped_column(String(64))
    lead_time_days: Mapped[float]
    lead_time_stddev_days: Mapped[float]
    critical: Mapped[bool]
    substitute_skus: Mapped[str] = mapped_column(String(512), default="")
    service_level: Mapped[float]
    use_eoq: Mapped[bool]
    order_cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    holding_cost_cents_per_year: Mapped[int] = mapped_column(BigInteger, default=0)


class StockRow(Base):
    __tablename__ = "stock"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"), primary_key=True)
    par: Mapped[int]
    fixed_reorder_point: Mapped[int | None]
    on_hand: Mapped[int]
    on_order: Mapped[int]
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsumptionRow(Base):
    __tablename__ = "consumption"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    quantity: Mapped[int]


class ApproverRow(Base):
    __tablename__ = "approvers"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    limit_cents: Mapped[int] = mapped_column(BigInteger)
    rank: Mapped[int]


class ProposalRow(Base):
    __tablename__ = "proposals"
    proposal_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_team: Mapped[str] = mapped_column(String(32), default="")
    decided_by_user: Mapped[str] = mapped_column(String(32), default="")
    decided_by_staff: Mapped[str] = mapped_column(String(32), default="")
    decided_by_name: Mapped[str] = mapped_column(String(128), default="")
    rejection_reason: Mapped[str] = mapped_column(String(500), default="")
    escalated_to_team: Mapped[str] = mapped_column(String(32), default="")
    escalated_to_user: Mapped[str] = mapped_column(String(32), default="")
    escalated_to_staff: Mapped[str] = mapped_column(String(32), default="")
    escalated_to_name: Mapped[str] = mapped_column(String(128), default="")
    slack_channel_id: Mapped[str] = mapped_column(String(32), default="")
    slack_message_ts: Mapped[str] = mapped_column(String(32), default="")
    # A rejection's snooze: its items are not proposed again before this (or a position change).
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lines: Mapped[list[ProposalLineRow]] = relationship(
        order_by="ProposalLineRow.line_id", lazy="selectin", back_populates="proposal"
    )
    order: Mapped[PurchaseOrderRow | None] = relationship(lazy="selectin")


class ProposalLineRow(Base):
    __tablename__ = "proposal_lines"
    line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.proposal_id"))
    unit_id: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"))
    # OPEN until the proposal is decided (DECIDED) or stock recovers first (WITHDRAWN).
    status: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    unit_cost_cents: Mapped[int] = mapped_column(BigInteger)
    item_name: Mapped[str] = mapped_column(String(128))
    inventory_position: Mapped[int]
    par: Mapped[int]
    reorder_point: Mapped[int]
    daily_demand_mean: Mapped[float]
    daily_demand_stddev: Mapped[float]
    lead_time_days: Mapped[float]
    lead_time_stddev_days: Mapped[float]
    z: Mapped[float]
    safety_stock: Mapped[float]
    fixed: Mapped[bool]
    history_days: Mapped[int]
    proposal: Mapped[ProposalRow] = relationship(back_populates="lines")


class RejectionHoldRow(Base):
    """A location whose line was rejected: quiet while its position stays put, until a date."""

    __tablename__ = "rejection_holds"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.proposal_id"))
    position: Mapped[int]
    held_until: Mapped[datetime] = mapped_column(UTCDateTime())


class DecisionRow(Base):
    __tablename__ = "decisions"
    decision_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.proposal_id"))
    decision: Mapped[str] = mapped_column(String(24))
    # The proposal's state after the decision: APPROVED/REJECTED are final, at most one each.
    outcome: Mapped[str] = mapped_column(String(16))
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(128))


class PurchaseOrderRow(Base):
    __tablename__ = "purchase_orders"
    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.proposal_id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_by_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    hand_off_claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hand_off_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    hand_off_attempts: Mapped[int] = mapped_column(default=0)
    hand_off_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lines: Mapped[list[PurchaseOrderLineRow]] = relationship(
        order_by="PurchaseOrderLineRow.sku", lazy="selectin"
    )


class PurchaseOrderLineRow(Base):
    __tablename__ = "purchase_order_lines"
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.order_id"), primary_key=True
    )
    sku: Mapped[str] = mapped_column(ForeignKey("items.sku"), primary_key=True)
    supplier: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_cost_cents: Mapped[int] = mapped_column(BigInteger)
    # How much of the line has arrived; the order is received once every line is complete.
    received_quantity: Mapped[int] = mapped_column(default=0)


class ReceiverRow(Base):
    """Someone who may receive a unit's deliveries without approving its orders (charge nurse)."""

    __tablename__ = "receivers"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))


class AuditRow(Base):
    __tablename__ = "audit_log"
    entry_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
