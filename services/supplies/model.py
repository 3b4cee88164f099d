"""What the supplies service talks about: items, stock at a unit, proposals, approvers, orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

DEFAULT_SERVICE_LEVEL = 0.95


class ProposalState(StrEnum):
    OPEN = "OPEN"
    ESCALATED = "ESCALATED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    # Every line was withdrawn because stock recovered above its reorder point before a decision.
    WITHDRAWN = "WITHDRAWN"


UNDECIDED = (ProposalState.OPEN, ProposalState.ESCALATED)


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    EDIT_QUANTITIES = "EDIT_QUANTITIES"


@dataclass(frozen=True)
class Item:
    """A catalogue entry; cost is per unit of issue, pack size in units of issue."""

    sku: str
    name: str
    unit_of_issue: str = "each"
    pack_size: int = 1
    unit_cost_cents: int = 0
    supplier: str = ""
    lead_time_days: float = 1.0
    lead_time_stddev_days: float = 0.0
    critical: bool = False
    substitute_skus: tuple[str, ...] = ()
    service_level: float = DEFAULT_SERVICE_LEVEL
    # EOQ applies when all three are set: ordering cost per order, holding cost per unit-year.
    use_eoq: bool = False
    order_cost_cents: int = 0
    holding_cost_cents_per_year: int = 0


@dataclass(frozen=True)
class Unit:
    """A nursing unit as supplies knows it: where proposals go and what it may spend."""

    unit_id: str
    name: str = ""
    slack_channel_id: str = ""
    time_zone: str = "America/Los_Angeles"
    monthly_budget_cents: int = 0
    # The unit's facility, as staffing keeps it; time_zone is that facility's.
    facility_id: str = ""
    opened_on: date | None = None  # no count or use is dated before it; None: not given


@dataclass(frozen=True)
class Stock:
    """One item at one unit location."""

    unit_id: str
    sku: str
    par: int
    on_hand: int = 0
    on_order: int = 0
    fixed_reorder_point: int | None = None
    counted_at: datetime | None = None

    @property
    def position(self) -> int:
        """Inventory position: what is on the shelf plus what is already on its way."""
        return self.on_hand + self.on_order


@dataclass(frozen=True)
class ReorderFigures:
    """The figures behind a reorder point, kept so a manager can see why."""

    daily_demand_mean: float
    daily_demand_stddev: float
    lead_time_days: float
    lead_time_stddev_days: float
    z: float
    safety_stock: float
    reorder_point: int
    fixed: bool = False
    history_days: int = 0


@dataclass(frozen=True)
class StockLevel:
    """A location's stock with its reorder point and the flags a status report needs."""

    stock: Stock
    item: Item
    figures: ReorderFigures

    @property
    def reorder_point(self) -> int:
        return self.figures.reorder_point

    @property
    def at_or_below_reorder_point(self) -> bool:
        return self.stock.position <= self.figures.reorder_point

    @property
    def below_par(self) -> bool:
        return self.stock.on_hand < self.stock.par

    @property
    def out_of_stock(self) -> bool:
        return self.stock.on_hand <= 0


@dataclass(frozen=True)
class Approver:
    """Someone who may approve a unit's orders up to a limit; rank orders the escalation chain."""

    unit_id: str
    staff_id: str
    display_name: str
    slack_team_id: str
    slack_user_id: str
    limit_cents: int
    rank: int


@dataclass(frozen=True)
class Actor:
    """Who did something, for proposals and the audit log."""

    slack_team_id: str = ""
    slack_user_id: str = ""
    staff_id: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class ProposalLine:
    sku: str
    item_name: str
    quantity: int
    unit_cost_cents: int
    figures: ReorderFigures
    inventory_position: int
    par: int
    # Filled in for display: quantities are already whole packs of this size.
    pack_size: int = 1

    @property
    def line_cost_cents(self) -> int:
        return self.quantity * self.unit_cost_cents


@dataclass(frozen=True)
class Proposal:
    proposal_id: int
    unit_id: str
    state: ProposalState
    lines: tuple[ProposalLine, ...]
    created_at: datetime
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    rejection_reason: str = ""
    escalated_to: Actor | None = None
    slack_channel_id: str = ""
    slack_message_ts: str = ""
    purchase_order_id: str = ""
    month_to_date_spend_cents: int = 0
    monthly_budget_cents: int = 0
    unit_slack_channel_id: str = ""
    # Rejected: its items are not proposed again before this, unless their position changes.
    held_until: datetime | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.line_cost_cents for line in self.lines)

    @property
    def reference(self) -> str:
        return proposal_reference(self.proposal_id)


@dataclass(frozen=True)
class RejectionHold:
    """A rejected location: quiet while its inventory position stays `position`, until then."""

    sku: str
    proposal_id: int
    position: int
    held_until: datetime


@dataclass(frozen=True)
class OrderLine:
    sku: str
    supplier: str
    quantity: int
    unit_cost_cents: int
    name: str = ""
    pack_size: int = 1
    received_quantity: int = 0

    @property
    def line_cost_cents(self) -> int:
        return self.quantity * self.unit_cost_cents

    @property
    def outstanding(self) -> int:
        """Ordered and not yet arrived."""
        return self.quantity - self.received_quantity


@dataclass(frozen=True)
class PurchaseOrder:
    """What an approval sends to suppliers: one order per proposal, a supplier on each line."""

    number: str
    proposal_id: int
    unit_id: str
    lines: tuple[OrderLine, ...]
    total_cents: int
    created_at: datetime
    handed_off_at: datetime | None = None
    received_at: datetime | None = None
    received_by_name: str = ""
    approved_by_name: str = ""
    hand_off_attempts: int = 0

    @property
    def fully_received(self) -> bool:
        return all(line.outstanding == 0 for line in self.lines)

    def line(self, sku: str) -> OrderLine | None:
        return next((x for x in self.lines if x.sku == sku), None)


@dataclass(frozen=True)
class Receiver:
    """Someone who may receive a unit's deliveries (a charge nurse) without approving orders."""

    unit_id: str
    staff_id: str
    display_name: str
    slack_team_id: str
    slack_user_id: str
    role: str = "CHARGE_NURSE"


@dataclass(frozen=True)
class StockRow:
    """One row of a supply cabinet export: a count, a day's consumption, or both."""

    unit_id: str
    sku: str
    date: date | None
    counted: int | None
    consumed: int


def proposal_reference(proposal_id: int) -> str:
    """How people name a proposal: RP-00012."""
    return f"RP-{proposal_id:05d}"


def order_number(order_id: int) -> str:
    """A purchase order number: PO-00012."""
    return f"PO-{order_id:05d}"
