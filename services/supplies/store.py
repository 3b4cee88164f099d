"""The supplies database: SQLAlchemy 2 over SQLite (default) or PostgreSQL, Alembic schema.

Every rule that must survive double clicks and concurrent approvers is a database constraint or a
conditional UPDATE here (see migrations/versions/0001_schema.py), never a read-then-write race.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import BigInteger, Engine, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinops import sql
from clinops.outbox import record
from clinops.sql import create_db_engine, upgrade_to_head, whole_sum
from services.supplies.domain import UseTotals
from services.supplies.errors import (
    AlreadyDecided,
    AlreadyReceived,
    OverReceipt,
    UnknownItem,
    UnknownOrder,
    UnknownProposal,
    UnknownStock,
    UnknownUnit,
)
from services.supplies.model import (
    UNDECIDED,
    Actor,
    Approver,
    Decision,
    Item,
    OrderLine,
    Proposal,
    ProposalLine,
    ProposalState,
    PurchaseOrder,
    Receiver,
    RejectionHold,
    ReorderFigures,
    Stock,
    StockRow,
    Unit,
    order_number,
    proposal_reference,
)
from services.supplies.outbox import OUTBOX, proposal_created, proposal_decided
from services.supplies.tables import (
    ApproverRow,
    AuditRow,
    ConsumptionRow,
    DecisionRow,
    ItemRow,
    ProposalLineRow,
    ProposalRow,
    PurchaseOrderLineRow,
    PurchaseOrderRow,
    ReceiverRow,
    RejectionHoldRow,
    UnitRow,
)
from services.supplies.tables import StockRow as StockTableRow

DEFAULT_DATABASE_URL = "sqlite:///data/supplies.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_UNDECIDED = [state.value for state in UNDECIDED]
LINE_OPEN, LINE_DECIDED, LINE_WITHDRAWN = "OPEN", "DECIDED", "WITHDRAWN"


class IdempotencyKeyUsed(Exception):
    """Another call with the same idempotency key got there first: return its result."""


def normalise_unit_id(unit_id: str) -> str:
    """Unit ids are stored upper-case so `/supply status icu` finds ICU."""
    return unit_id.strip().upper()


def normalise_sku(sku: str) -> str:
    return sku.strip().upper()



def migrate(database_url: str) -> None:
    """Bring the database at `database_url` to the newest schema (alembic upgrade head)."""
    upgrade_to_head(database_url, MIGRATIONS)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who, what, when (UTC), outcome."""

    at: datetime
    actor: Actor
    action: str
    subject: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class NewLine:
    """A line the use case wants on the unit's open proposal."""

    sku: str
    quantity: int
    unit_cost_cents: int
    item_name: str
    inventory_position: int
    par: int
    figures: ReorderFigures


def _unit(row: UnitRow) -> Unit:
    return Unit(row.unit_id, row.name, row.slack_channel_id, row.time_zone,
                row.monthly_budget_cents, row.facility_id, row.opened_on)


def _item(row: ItemRow) -> Item:
    return Item(
        sku=row.sku, name=row.name, unit_of_issue=row.unit_of_issue, pack_size=row.pack_size,
        unit_cost_cents=row.unit_cost_cents, supplier=row.supplier,
        lead_time_days=row.lead_time_days, lead_time_stddev_days=row.lead_time_stddev_days,
        critical=row.critical,
        substitute_skus=tuple(s for s in row.substitute_skus.split(",") if s),
        service_level=row.service_level, use_eoq=row.use_eoq,
        order_cost_cents=row.order_cost_cents,
        holding_cost_cents_per_year=row.holding_cost_cents_per_year,
    )


def _stock(row: StockTableRow) -> Stock:
    return Stock(row.unit_id, row.sku, row.par, row.on_hand, row.on_order,
                 row.fixed_reorder_point, row.counted_at)


def _approver(row: ApproverRow) -> Approver:
    return Approver(row.unit_id, row.staff_id, row.display_name, row.slack_team_id,
                    row.slack_user_id, row.limit_cents, row.rank)


def _line(row: ProposalLineRow) -> ProposalLine:
    figures = ReorderFigures(
        daily_demand_mean=row.daily_demand_mean, daily_demand_stddev=row.daily_demand_stddev,
        lead_time_days=row.lead_time_days, lead_time_stddev_days=row.lead_time_stddev_days,
        z=row.z, safety_stock=row.safety_stock, reorder_point=row.reorder_point,
        fixed=row.fixed, history_days=row.history_days,
    )
    return ProposalLine(row.sku, row.item_name, row.quantity, row.unit_cost_cents, figures,
                        row.inventory_position, row.par)


def _proposal(row: ProposalRow) -> Proposal:
    decided = row.decided_by_user or row.decided_by_staff
    escalated = row.escalated_to_user or row.escalated_to_staff
    # Withdrawn lines left the proposal; decided lines stay on it as the record of the order.
    lines = tuple(_line(r) for r in row.lines if r.status != LINE_WITHDRAWN)
    return Proposal(
        proposal_id=row.proposal_id, unit_id=row.unit_id, state=ProposalState(row.state),
        lines=lines, created_at=row.created_at,
        decided_by=Actor(row.decided_by_team, row.decided_by_user, row.decided_by_staff,
                         row.decided_by_name) if decided else None,
        decided_at=row.decided_at, rejection_reason=row.rejection_reason,
        escalated_to=Actor(row.escalated_to_team, row.escalated_to_user, row.escalated_to_staff,
                           row.escalated_to_name) if escalated else None,
        slack_channel_id=row.slack_channel_id, slack_message_ts=row.slack_message_ts,
        purchase_order_id=order_number(row.order.order_id) if row.order else "",
        held_until=row.held_until,
    )


def _already_decided(row: ProposalRow) -> AlreadyDecided:
    verb = {"APPROVED": "approved", "REJECTED": "rejected", "WITHDRAWN": "withdrawn"}.get(
        row.state, row.state.lower())
    who = row.decided_by_name or row.decided_by_user
    by = f" by {who}" if who else " (stock recovered before a decision)"
    when = f" at {row.decided_at:%Y-%m-%d %H:%M} UTC" if row.decided_at else ""
    return AlreadyDecided(f"{proposal_reference(row.proposal_id)} was already {verb}{by}{when}",
                          state=row.state, decided_by=who)


def _is_key_conflict(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "idempotency_key" in text or "uq_decisions_idempotency_key" in text


class SuppliesStore:
    """Catalogue, stock, consumption, approvers, proposals, decisions, orders and the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str = DEFAULT_DATABASE_URL) -> SuppliesStore:
        """A store on `database_url` (already migrated: see `migrate`)."""
        return cls(create_db_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        # Inside a mutating call's transaction (its idempotency claim) when there is one.
        return sql.session_for(self.engine)

    # ---- units and their budgets ---------------------------------------------------------
    def add_unit(self, unit: Unit) -> Unit:
        """Add a unit or replace its name, channel, time zone and monthly budget."""
        unit_id = normalise_unit_id(unit.unit_id)
        with self._session() as session, session.begin():
            row = session.get(UnitRow, unit_id) or UnitRow(unit_id=unit_id)
            row.name, row.slack_channel_id = unit.name, unit.slack_channel_id
            row.time_zone, row.monthly_budget_cents = unit.time_zone, unit.monthly_budget_cents
            row.facility_id = unit.facility_id
            row.opened_on = unit.opened_on
            session.add(row)
        return self.get_unit(unit_id)

    def get_unit(self, unit_id: str) -> Unit:
        with self._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            if row is None:
                known = session.scalars(select(UnitRow.unit_id).order_by(UnitRow.unit_id)).all()
                raise UnknownUnit(unit_id, known)
            return _unit(row)

    def list_units(self) -> list[Unit]:
        with self._session() as session:
            return [_unit(r) for r in session.scalars(select(UnitRow).order_by(UnitRow.unit_id))]

    # ---- the catalogue -------------------------------------------------------------------
    def add_item(self, item: Item) -> Item:
        """Add a catalogue item or replace it."""
        sku = normalise_sku(item.sku)
        with self._session() as session, session.begin():
            row = session.get(ItemRow, sku) or ItemRow(sku=sku)
            row.name, row.unit_of_issue, row.pack_size = item.name, item.unit_of_issue, \
                item.pack_size
            row.unit_cost_cents, row.supplier = item.unit_cost_cents, item.supplier
            row.lead_time_days = item.lead_time_days
            row.lead_time_stddev_days = item.lead_time_stddev_days
            row.critical = item.critical
            row.substitute_skus = ",".join(normalise_sku(s) for s in item.substitute_skus)
            row.service_level, row.use_eoq = item.service_level, item.use_eoq
            row.order_cost_cents = item.order_cost_cents
            row.holding_cost_cents_per_year = item.holding_cost_cents_per_year
            session.add(row)
        return self.get_item(sku)

    def get_item(self, sku: str) -> Item:
        with self._session() as session:
            row = session.get(ItemRow, normalise_sku(sku))
            if row is None:
                raise UnknownItem(sku)
            return _item(row)

    def list_items(self) -> list[Item]:
        with self._session() as session:
            return [_item(r) for r in session.scalars(select(ItemRow).order_by(ItemRow.sku))]

    def pack_sizes(self, skus: Iterable[str]) -> dict[str, int]:
        """The pack size of each of these SKUs (those in the catalogue)."""
        with self._session() as session:
            return dict(session.execute(select(ItemRow.sku, ItemRow.pack_size).where(
                ItemRow.sku.in_({normalise_sku(s) for s in skus}))).all())

    # ---- stock and consumption -----------------------------------------------------------
    def set_stock(self, stock: Stock) -> Stock:
        """Add a location (unit, sku) or replace its par, fixed ROP, on hand and on order."""
        key = (normalise_unit_id(stock.unit_id), normalise_sku(stock.sku))
        with self._session() as session, session.begin():
            self._check_unit_and_item(session, *key)
            row = session.get(StockTableRow, key) or StockTableRow(unit_id=key[0], sku=key[1])
            row.par, row.fixed_reorder_point = stock.par, stock.fixed_reorder_point
            row.on_hand, row.on_order = stock.on_hand, stock.on_order
            row.counted_at = stock.counted_at
            session.add(row)
        return self.get_stock(*key)

    def set_par(self, unit_id: str, sku: str, par: int, fixed_reorder_point: int | None,
                *, audit: AuditEntry) -> Stock:
        """Set a location's par and fixed ROP (None: from history); a new location starts empty."""
        key = (normalise_unit_id(unit_id), normalise_sku(sku))
        with self._session() as session, session.begin():
            self._check_unit_and_item(session, *key)
            row = session.get(StockTableRow, key) or StockTableRow(
                unit_id=key[0], sku=key[1], on_hand=0, on_order=0)
            row.par, row.fixed_reorder_point = par, fixed_reorder_point
            session.add(row)
            session.add(_audit_row(audit))
        return self.get_stock(*key)

    def _check_unit_and_item(self, session: Session, unit_id: str, sku: str) -> None:
        if session.get(UnitRow, unit_id) is None:
            known = session.scalars(select(UnitRow.unit_id).order_by(UnitRow.unit_id)).all()
            raise UnknownUnit(unit_id, known)
        if session.get(ItemRow, sku) is None:
            raise UnknownItem(sku)

    def get_stock(self, unit_id: str, sku: str) -> Stock:
        key = (normalise_unit_id(unit_id), normalise_sku(sku))
        with self._session() as session:
            row = session.get(StockTableRow, key)
            if row is None:
                self._check_unit_and_item(session, *key)
                raise UnknownStock(*key)
            return _stock(row)

    def stock_with_items(self, unit_id: str | None = None, sku: str | None = None, *,
                         catalogue: Mapping[str, Item] | None = None
                         ) -> list[tuple[Stock, Item]]:
        """Every location (of one unit and/or SKU, or all), with its catalogue item, by unit, SKU.

        `catalogue` (every item by SKU, read just before) saves reading the items again.
        """
        # Plain rows, and each item built once: a scan reads 100k locations of a 2k-item catalogue.
        stock = StockTableRow.__table__
        where = []
        if unit_id is not None:
            where.append(stock.c.unit_id == normalise_unit_id(unit_id))
        if sku is not None:
            where.append(stock.c.sku == normalise_sku(sku))
        stocked = select(stock.c.sku).where(*where)
        with self._session() as session:
            items = catalogue if catalogue is not None else {
                row.sku: _item(row) for row in session.execute(
                    select(ItemRow.__table__).where(ItemRow.sku.in_(stocked)))}
            rows = session.execute(select(stock).where(*where).order_by(stock.c.unit_id,
                                                                         stock.c.sku))
            return [(_stock(row), items[row.sku]) for row in rows]

    def record_count(self, unit_id: str, sku: str, quantity: int, *, at: datetime,
                     audit: AuditEntry) -> Stock:
        """A physical count sets on hand; the count and its audit entry commit together."""
        key = (normalise_unit_id(unit_id), normalise_sku(sku))
        with self._session() as session, session.begin():
            row = session.get(StockTableRow, key)
            if row is None:
                self._check_unit_and_item(session, *key)
                raise UnknownStock(*key)
            row.on_hand, row.counted_at = quantity, at
            session.add(_audit_row(audit))
        return self.get_stock(*key)

    def record_consumption(self, unit_id: str, sku: str, day: date, quantity: int) -> None:
        """A day's use of an item at a unit (replacing an earlier figure for that day)."""
        key = (normalise_unit_id(unit_id), normalise_sku(sku), day)
        with self._session() as session, session.begin():
            row = session.get(ConsumptionRow, key) or ConsumptionRow(
                unit_id=key[0], sku=key[1], day=day)
            row.quantity = quantity
            session.add(row)

    def add_consumption(self, rows: Iterable[tuple[str, str, date, int]]) -> None:
        """Many days of use in one transaction (seeding); each (unit, sku, day) once."""
        with self._session() as session, session.begin():
            session.add_all(
                ConsumptionRow(unit_id=normalise_unit_id(u), sku=normalise_sku(s), day=d,
                               quantity=q)
                for u, s, d, q in rows
            )

    def import_rows(self, rows: Iterable[StockRow], *, at: datetime, audit: AuditEntry) -> int:
        """Write validated import rows in one transaction: counts set on hand, use sets the day.

        Several counts of one location: the latest date wins (then the later row).
        """
        rows = list(rows)
        with self._session() as session, session.begin():
            latest: dict[tuple[str, str], StockRow] = {}
            used: dict[tuple[str, str, date], int] = defaultdict(int)
            for row in rows:
                key = (normalise_unit_id(row.unit_id), normalise_sku(row.sku))
                if row.counted is not None:
                    earlier = latest.get(key)
                    if earlier is None or (row.date or date.min) >= (earlier.date or date.min):
                        latest[key] = row
                if row.date is not None and (row.consumed or row.counted is None):
                    used[(*key, row.date)] += row.consumed
            for key, row in latest.items():
                stock = session.get(StockTableRow, key)
                if stock is None:
                    raise UnknownStock(*key)
                stock.on_hand, stock.counted_at = row.counted or 0, at
            for (unit_id, sku, day), quantity in used.items():
                consumption = session.get(ConsumptionRow, (unit_id, sku, day)) or ConsumptionRow(
                    unit_id=unit_id, sku=sku, day=day)
                consumption.quantity = quantity
                session.add(consumption)
            session.add(_audit_row(audit))
        return len(rows)

    def consumption_history(
        self, first_day: date, last_day: date, unit_id: str | None = None
    ) -> dict[tuple[str, str], dict[date, int]]:
        """Use per (unit, sku) and day between two dates inclusive; missing days are absent."""
        # Plain rows, not entities: a scan reads millions and only needs the four values.
        query = select(ConsumptionRow.unit_id, ConsumptionRow.sku, ConsumptionRow.day,
                       ConsumptionRow.quantity).where(ConsumptionRow.day >= first_day,
                                                      ConsumptionRow.day <= last_day)
        if unit_id is not None:
            query = query.where(ConsumptionRow.unit_id == normalise_unit_id(unit_id))
        history: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
        with self._session() as session:
            for row_unit, row_sku, day, quantity in session.execute(query):
                history[(row_unit, row_sku)][day] = quantity
        return dict(history)

    def use_totals(self, first_day: date, last_day: date, unit_id: str | None = None,
                   sku: str | None = None) -> dict[tuple[str, str], UseTotals]:
        """Per (unit, sku) with use between two dates inclusive: days with use, Σq and Σq²."""
        # Added up by the database: a scan of 100k locations would otherwise carry ~1.8M rows
        # into Python. BIGINT because one large day's q² passes 2³¹ on PostgreSQL.
        quantity = cast(ConsumptionRow.quantity, BigInteger)
        query = select(ConsumptionRow.unit_id, ConsumptionRow.sku, func.count(),
                       whole_sum(quantity), whole_sum(quantity * quantity)).where(
            ConsumptionRow.day >= first_day, ConsumptionRow.day <= last_day)
        if unit_id is not None:
            query = query.where(ConsumptionRow.unit_id == normalise_unit_id(unit_id))
        if sku is not None:
            query = query.where(ConsumptionRow.sku == normalise_sku(sku))
        query = query.group_by(ConsumptionRow.unit_id, ConsumptionRow.sku)
        with self._session() as session:
            return {(row_unit, row_sku): UseTotals(days, total, squares)
                    for row_unit, row_sku, days, total, squares in session.execute(query)}

    # ---- approvers -----------------------------------------------------------------------
    def add_approver(self, approver: Approver) -> Approver:
        """Give someone authority over a unit's orders (replacing their limit and rank)."""
        key = (normalise_unit_id(approver.unit_id), approver.staff_id)
        with self._session() as session, session.begin():
            if session.get(UnitRow, key[0]) is None:
                raise UnknownUnit(approver.unit_id)
            row = session.get(ApproverRow, key) or ApproverRow(unit_id=key[0], staff_id=key[1])
            row.display_name = approver.display_name
            row.slack_team_id, row.slack_user_id = approver.slack_team_id, approver.slack_user_id
            row.limit_cents, row.rank = approver.limit_cents, approver.rank
            session.add(row)
        return _approver_copy(approver, key[0])

    def approvers(self, unit_id: str) -> list[Approver]:
        """A unit's escalation chain, first approver first."""
        with self._session() as session:
            rows = session.scalars(select(ApproverRow).where(
                ApproverRow.unit_id == normalise_unit_id(unit_id)).order_by(ApproverRow.rank))
            return [_approver(r) for r in rows]

    def find_actor(self, slack_team_id: str, slack_user_id: str) -> Actor:
        """The caller as an Actor, with staff id and name when they approve for any unit."""
        with self._session() as session:
            row = session.scalars(select(ApproverRow).where(
                ApproverRow.slack_team_id == slack_team_id,
                ApproverRow.slack_user_id == slack_user_id).limit(1)).first() or \
                session.scalars(select(ReceiverRow).where(
                    ReceiverRow.slack_team_id == slack_team_id,
                    ReceiverRow.slack_user_id == slack_user_id).limit(1)).first()
        if row is None:
            return Actor(slack_team_id, slack_user_id)
        return Actor(slack_team_id, slack_user_id, row.staff_id, row.display_name)

    # ---- receivers -----------------------------------------------------------------------
    def add_receiver(self, receiver: Receiver) -> Receiver:
        """Let someone receive a unit's deliveries (replacing their name and role)."""
        key = (normalise_unit_id(receiver.unit_id), receiver.staff_id)
        with self._session() as session, session.begin():
            if session.get(UnitRow, key[0]) is None:
                raise UnknownUnit(receiver.unit_id)
            row = session.get(ReceiverRow, key) or ReceiverRow(unit_id=key[0], staff_id=key[1])
            row.display_name, row.role = receiver.display_name, receiver.role
            row.slack_team_id, row.slack_user_id = receiver.slack_team_id, receiver.slack_user_id
            session.add(row)
        return Receiver(key[0], receiver.staff_id, receiver.display_name,
                        receiver.slack_team_id, receiver.slack_user_id, receiver.role)

    def receivers(self, unit_id: str) -> list[Receiver]:
        """Who may receive a unit's deliveries besides its approvers, by name."""
        with self._session() as session:
            rows = session.scalars(select(ReceiverRow).where(
                ReceiverRow.unit_id == normalise_unit_id(unit_id)).order_by(
                ReceiverRow.display_name))
            return [Receiver(r.unit_id, r.staff_id, r.display_name, r.slack_team_id,
                             r.slack_user_id, r.role) for r in rows]

    # ---- proposals -----------------------------------------------------------------------
    def get_proposal(self, proposal_id: int) -> Proposal:
        with self._session() as session:
            row = session.get(ProposalRow, proposal_id)
            if row is None:
                raise UnknownProposal(proposal_reference(proposal_id))
            return _proposal(row)

    def list_proposals(self, unit_id: str | None = None,
                       state: ProposalState | None = None) -> list[Proposal]:
        """Proposals, newest first."""
        query = select(ProposalRow)
        if unit_id is not None:
            query = query.where(ProposalRow.unit_id == normalise_unit_id(unit_id))
        if state is not None:
            query = query.where(ProposalRow.state == state.value)
        with self._session() as session:
            rows = session.scalars(query.order_by(ProposalRow.proposal_id.desc()))
            return [_proposal(r) for r in rows]

    def open_line_skus(self, unit_id: str | None = None) -> set[tuple[str, str]]:
        """(unit, sku) of every undecided line: those locations do not alert again."""
        query = select(ProposalLineRow.unit_id, ProposalLineRow.sku).where(
            ProposalLineRow.status == LINE_OPEN)
        if unit_id is not None:
            query = query.where(ProposalLineRow.unit_id == normalise_unit_id(unit_id))
        with self._session() as session:
            return {(u, s) for u, s in session.execute(query)}

    def rejection_holds(self, unit_id: str) -> dict[str, RejectionHold]:
        """Per SKU, the unit's rejected locations not proposed again since."""
        with self._session() as session:
            rows = session.scalars(select(RejectionHoldRow).where(
                RejectionHoldRow.unit_id == normalise_unit_id(unit_id)))
            return {r.sku: RejectionHold(r.sku, r.proposal_id, r.position, r.held_until)
                    for r in rows}

    def propose(self, unit_id: str, lines: Iterable[NewLine], *, at: datetime,
                audit_actor: Actor) -> int | None:
        """Put lines on the unit's open proposal (opening one if needed); returns its id.

        A location that already has an undecided line is skipped: the partial unique index on
        proposal_lines makes that hold across processes. None when no line was new.
        """
        unit_id = normalise_unit_id(unit_id)
        wanted = list(lines)
        for _attempt in range(3):
            try:
                return self._propose_once(unit_id, wanted, at, audit_actor)
            except IntegrityError as error:
                # Someone opened the unit's proposal at the same moment: join theirs.
                if "uq_proposals_one_open_per_unit" not in str(error.orig) and \
                        "proposals.unit_id" not in str(error.orig):
                    raise
        raise RuntimeError(f"could not open a proposal for {unit_id}")

    def _propose_once(self, unit_id: str, wanted: list[NewLine], at: datetime,
                      actor: Actor) -> int | None:
        with self._session() as session, session.begin():
            taken = set(session.scalars(select(ProposalLineRow.sku).where(
                ProposalLineRow.unit_id == unit_id, ProposalLineRow.status == LINE_OPEN)))
            new = [line for line in wanted if normalise_sku(line.sku) not in taken]
            if not new:
                return None
            proposal = session.scalars(select(ProposalRow).where(
                ProposalRow.unit_id == unit_id, ProposalRow.state == ProposalState.OPEN.value,
            ).with_for_update()).first()
            opened = proposal is None
            if proposal is None:
                proposal = ProposalRow(unit_id=unit_id, state=ProposalState.OPEN.value,
                                       created_at=at)
                session.add(proposal)
                session.flush()
            added = [] if opened else self._rearm_withdrawn(session, proposal.proposal_id,
                                                            unit_id, new)
            new = [line for line in new if normalise_sku(line.sku) not in added]
            try:
                # All lines at once (a scan adds hundreds); one by one only after a clash.
                with session.begin_nested():
                    if new:
                        session.execute(insert(ProposalLineRow), [
                            _line_values(proposal.proposal_id, unit_id, line) for line in new])
                added += [normalise_sku(line.sku) for line in new]
                new = []
            except IntegrityError:
                pass
            for line in new:
                try:
                    with session.begin_nested():
                        session.execute(insert(ProposalLineRow),
                                        _line_values(proposal.proposal_id, unit_id, line))
                    added.append(normalise_sku(line.sku))
                except IntegrityError:
                    continue  # a concurrent count proposed this location first
            if not added:
                if opened:
                    session.delete(proposal)
                return None
            # Proposed again (the hold lapsed): an old rejection no longer speaks for them.
            session.execute(delete(RejectionHoldRow).where(
                RejectionHoldRow.unit_id == unit_id, RejectionHoldRow.sku.in_(added)))
            session.add(_audit_row(AuditEntry(
                at, actor, "PROPOSE", proposal_reference(proposal.proposal_id),
                "OPENED" if opened else "EXTENDED", "lines: " + ", ".join(added))))
            unit = session.get(UnitRow, unit_id)
            if opened and unit is not None and unit.slack_channel_id:
                # Its post in the unit channel commits (or rolls back) with the proposal.
                record(session, OUTBOX, proposal_created(
                    reference=proposal_reference(proposal.proposal_id), unit_id=unit_id,
                    slack_channel_id=unit.slack_channel_id, at=at))
            return proposal.proposal_id

    @staticmethod
    def _rearm_withdrawn(session: Session, proposal_id: int, unit_id: str,
                         lines: list[NewLine]) -> list[str]:
        """Lines due again on a still-open proposal that withdrew them: open their rows again.

        The proposal keeps one row per SKU (uq_proposal_lines_sku), so a fresh insert would
        collide with the withdrawn row and the item would silently go unproposed.
        """
        wanted = {normalise_sku(line.sku): line for line in lines}
        withdrawn = session.scalars(select(ProposalLineRow).where(
            ProposalLineRow.proposal_id == proposal_id, ProposalLineRow.sku.in_(wanted),
            ProposalLineRow.status == LINE_WITHDRAWN).with_for_update()).all()
        rearmed = []
        for row in withdrawn:
            try:
                with session.begin_nested():
                    # Fresh figures and quantity: the position has moved since it was withdrawn.
                    for name, value in _line_values(proposal_id, unit_id,
                                                    wanted[row.sku]).items():
                        setattr(row, name, value)
                    session.flush()
                rearmed.append(row.sku)
            except IntegrityError:
                continue  # a concurrent count proposed this location first
        return rearmed

    def withdraw_lines(self, locations: Iterable[tuple[str, str]], *, at: datetime,
                       audit_actor: Actor) -> list[int]:
        """Stock recovered above ROP before a decision: withdraw those undecided lines (re-arm).

        A proposal left with no line is WITHDRAWN. Returns the proposals that changed.
        """
        keys = {(normalise_unit_id(u), normalise_sku(s)) for u, s in locations}
        changed: list[int] = []
        if not keys:
            return changed
        with self._session() as session, session.begin():
            for unit_id, sku in sorted(keys):
                line = session.scalars(select(ProposalLineRow).where(
                    ProposalLineRow.unit_id == unit_id, ProposalLineRow.sku == sku,
                    ProposalLineRow.status == LINE_OPEN).with_for_update()).first()
                if line is None:
                    continue
                line.status = LINE_WITHDRAWN
                session.flush()
                remaining = session.scalar(select(func.count()).select_from(
                    ProposalLineRow).where(ProposalLineRow.proposal_id == line.proposal_id,
                                           ProposalLineRow.status == LINE_OPEN))
                if not remaining:
                    session.execute(update(ProposalRow).where(
                        ProposalRow.proposal_id == line.proposal_id,
                        ProposalRow.state.in_(_UNDECIDED),
                    ).values(state=ProposalState.WITHDRAWN.value, decided_at=at))
                session.add(_audit_row(AuditEntry(
                    at, audit_actor, "WITHDRAW_LINE", proposal_reference(line.proposal_id),
                    "WITHDRAWN", f"{unit_id} {sku}: stock back above reorder point")))
                changed.append(line.proposal_id)
        return changed

    def set_proposal_message(self, proposal_id: int, channel_id: str, message_ts: str) -> None:
        """Where the bot posted the proposal, so decisions can update it and reply in thread."""
        with self._session() as session, session.begin():
            row = session.get(ProposalRow, proposal_id)
            if row is None:
                raise UnknownProposal(proposal_reference(proposal_id))
            row.slack_channel_id, row.slack_message_ts = channel_id, message_ts

    def proposal_at_message(self, channel_id: str, message_ts: str) -> int | None:
        """The proposal posted at this channel and message ts, or None."""
        if not (channel_id and message_ts):
            return None
        with self._session() as session:
            return session.scalar(select(ProposalRow.proposal_id).where(
                ProposalRow.slack_channel_id == channel_id,
                ProposalRow.slack_message_ts == message_ts))

    # ---- decisions -----------------------------------------------------------------------
    def proposal_for_key(self, idempotency_key: str) -> int | None:
        """The proposal a decision with this idempotency key was about, or None."""
        if not idempotency_key:
            return None
        with self._session() as session:
            return session.scalar(select(DecisionRow.proposal_id).where(
                DecisionRow.idempotency_key == idempotency_key))

    def decide(
        self,
        proposal_id: int,
        *,
        decision: Decision,
        outcome: ProposalState | None,
        actor: Actor,
        at: datetime,
        idempotency_key: str = "",
        reason: str = "",
        escalated_to: Approver | None = None,
        quantities: Mapping[str, int] | None = None,
        expected_total_cents: int | None = None,
        held_until: datetime | None = None,
    ) -> Proposal:
        """Apply one decision atomically; AlreadyDecided when the proposal is no longer open.

        The conditional UPDATE (state still OPEN or ESCALATED) is what serialises concurrent
        approvers: exactly one sees a row change. The decision row's unique idempotency key and
        the one-final-decision and one-order-per-proposal indexes back it up.
        """
        try:
            with self._session() as session, session.begin():
                # An edit leaves the state alone; SET state = state still takes the row lock.
                values: dict[str, object] = {
                    "state": outcome.value if outcome is not None else ProposalRow.state}
                if outcome in (ProposalState.APPROVED, ProposalState.REJECTED):
                    values.update(decided_at=at, decided_by_team=actor.slack_team_id,
                                  decided_by_user=actor.slack_user_id,
                                  decided_by_staff=actor.staff_id,
                                  decided_by_name=actor.display_name, rejection_reason=reason)
                if outcome is ProposalState.REJECTED:
                    values.update(held_until=held_until)
                if escalated_to is not None:
                    values.update(escalated_to_team=escalated_to.slack_team_id,
                                  escalated_to_user=escalated_to.slack_user_id,
                                  escalated_to_staff=escalated_to.staff_id,
                                  escalated_to_name=escalated_to.display_name)
                changed = session.execute(update(ProposalRow).where(
                    ProposalRow.proposal_id == proposal_id,
                    ProposalRow.state.in_(_UNDECIDED),
                ).values(**values).execution_options(synchronize_session=False)).rowcount
                if changed != 1:
                    raise _NotOpen()
                row = session.get(ProposalRow, proposal_id)
                assert row is not None
                session.refresh(row)
                open_lines = [line for line in row.lines if line.status == LINE_OPEN]
                if quantities:
                    for line in open_lines:
                        if line.sku in quantities:
                            line.quantity = quantities[line.sku]
                total = sum(line.quantity * line.unit_cost_cents for line in open_lines)
                if expected_total_cents is not None and total != expected_total_cents:
                    # The lines moved between the authority check and now: decide again.
                    raise ProposalChanged()
                session.add(DecisionRow(
                    proposal_id=proposal_id, decision=decision.value, outcome=row.state,
                    slack_team_id=actor.slack_team_id, slack_user_id=actor.slack_user_id,
                    staff_id=actor.staff_id, display_name=actor.display_name, decided_at=at,
                    reason=reason, idempotency_key=idempotency_key or None,
                ))
                if outcome in (ProposalState.APPROVED, ProposalState.REJECTED):
                    for line in open_lines:
                        line.status = LINE_DECIDED
                detail = reason
                order_id = ""
                if outcome is ProposalState.APPROVED:
                    order_id = self._order(session, row, open_lines, at)
                    detail = f"{order_id}: {_lines_decided(open_lines)}"
                elif outcome is ProposalState.REJECTED:
                    detail = f"{_lines_decided(open_lines)}; reason: {reason}"
                    if held_until is not None:
                        _hold(session, row, open_lines, held_until)
                        detail += f"; held until {held_until.isoformat()}"
                elif outcome is ProposalState.ESCALATED and escalated_to is not None:
                    detail = f"to {escalated_to.display_name}"
                elif quantities:
                    detail = ", ".join(f"{sku}={qty}" for sku, qty in sorted(quantities.items()))
                session.add(_audit_row(AuditEntry(
                    at, actor, decision.value, proposal_reference(proposal_id), row.state,
                    detail)))
                # The thread's line goes out through the outbox, committed with the decision.
                record(session, OUTBOX, proposal_decided(
                    reference=proposal_reference(proposal_id), unit_id=row.unit_id,
                    decision=decision.value, state=row.state, actor=actor, at=at,
                    total_cents=total,
                    # Not posted yet: the unit's channel, where its proposal.created goes.
                    slack_channel_id=row.slack_channel_id or _unit_channel(session, row.unit_id),
                    slack_message_ts=row.slack_message_ts or "",
                    purchase_order_id=order_id,
                    reason=reason if outcome is ProposalState.REJECTED else "",
                    escalated_to=escalated_to, edited=quantities,
                    held_until=held_until if outcome is ProposalState.REJECTED else None))
        except _NotOpen:
            raise self._not_open(proposal_id) from None
        except IntegrityError as error:
            if _is_key_conflict(error):
                raise IdempotencyKeyUsed(idempotency_key) from None
            # The final-decision or one-order index fired: another approver won.
            raise self._not_open(proposal_id) from None
        return self.get_proposal(proposal_id)

    def _order(self, session: Session, row: ProposalRow, lines: list[ProposalLineRow],
               at: datetime) -> str:
        ordered = [line for line in lines if line.quantity > 0]
        order = PurchaseOrderRow(
            proposal_id=row.proposal_id, unit_id=row.unit_id, created_at=at,
            total_cents=sum(line.quantity * line.unit_cost_cents for line in ordered))
        session.add(order)
        session.flush()
        suppliers = dict(session.execute(select(ItemRow.sku, ItemRow.supplier).where(
            ItemRow.sku.in_([line.sku for line in ordered]))).all())
        for line in ordered:
            session.add(PurchaseOrderLineRow(
                order_id=order.order_id, sku=line.sku, supplier=suppliers.get(line.sku, ""),
                quantity=line.quantity, unit_cost_cents=line.unit_cost_cents))
            # On order rises in the same transaction: the next scan already sees the position.
            session.execute(update(StockTableRow).where(
                StockTableRow.unit_id == row.unit_id, StockTableRow.sku == line.sku,
            ).values(on_order=StockTableRow.on_order + line.quantity))
        return order_number(order.order_id)

    def _not_open(self, proposal_id: int) -> Exception:
        with self._session() as session:
            row = session.get(ProposalRow, proposal_id)
            if row is None:
                return UnknownProposal(proposal_reference(proposal_id))
            return _already_decided(row)

    # ---- orders and spend ----------------------------------------------------------------
    def purchase_orders(self, proposal_id: int | None = None, *,
                        pending_hand_off: bool = False) -> list[PurchaseOrder]:
        """Orders, oldest first: of one proposal, or only those not yet handed off."""
        query = select(PurchaseOrderRow).order_by(PurchaseOrderRow.order_id)
        if proposal_id is not None:
            query = query.where(PurchaseOrderRow.proposal_id == proposal_id)
        if pending_hand_off:
            query = query.where(PurchaseOrderRow.handed_off_at.is_(None))
        with self._session() as session:
            return [self._purchase_order(session, r) for r in session.scalars(query)]

    def get_purchase_order(self, order_id: int) -> PurchaseOrder:
        with self._session() as session:
            row = session.get(PurchaseOrderRow, order_id)
            if row is None:
                raise UnknownOrder(order_number(order_id))
            return self._purchase_order(session, row)

    def _purchase_order(self, session: Session, r: PurchaseOrderRow) -> PurchaseOrder:
        items = {i.sku: i for i in session.scalars(select(ItemRow).where(
            ItemRow.sku.in_([x.sku for x in r.lines])))}
        approver = session.scalar(select(ProposalRow.decided_by_name).where(
            ProposalRow.proposal_id == r.proposal_id)) or ""
        return PurchaseOrder(
            number=order_number(r.order_id), proposal_id=r.proposal_id,
            unit_id=r.unit_id, total_cents=r.total_cents, created_at=r.created_at,
            lines=tuple(OrderLine(x.sku, x.supplier, x.quantity, x.unit_cost_cents,
                                  name=items[x.sku].name if x.sku in items else "",
                                  pack_size=items[x.sku].pack_size if x.sku in items else 1,
                                  received_quantity=x.received_quantity)
                        for x in r.lines),
            handed_off_at=r.handed_off_at, received_at=r.received_at,
            received_by_name=r.received_by_name or "", approved_by_name=approver,
            hand_off_attempts=r.hand_off_attempts or 0)

    # ---- hand-off claims: one process hands each order off -------------------------------
    def orders_due_for_hand_off(self, *, now: datetime, limit: int = 50) -> list[int]:
        """Orders not yet handed off whose claim is free or expired and whose retry is due."""
        with self._session() as session:
            return list(session.scalars(select(PurchaseOrderRow.order_id).where(
                *_hand_off_due(now)).order_by(PurchaseOrderRow.order_id).limit(limit)))

    def claim_hand_off(self, order_id: int, *, claimant: str, now: datetime,
                       until: datetime) -> bool:
        """Take the order's hand-off until `until`; False when another claimant holds it.

        A conditional UPDATE, so of two processes one wins (on PostgreSQL the second waits for
        the first's row lock and then no longer matches); an expired claim is taken over.
        """
        with self._session() as session, session.begin():
            return session.execute(update(PurchaseOrderRow).where(
                PurchaseOrderRow.order_id == order_id, *_hand_off_due(now),
            ).values(hand_off_claimed_by=claimant, hand_off_claimed_until=until)
             .execution_options(synchronize_session=False)).rowcount == 1

    def record_hand_off(self, order_id: int, *, at: datetime, audit: AuditEntry) -> bool:
        """The outlet accepted the order: record it once, with its audit entry."""
        with self._session() as session, session.begin():
            changed = session.execute(update(PurchaseOrderRow).where(
                PurchaseOrderRow.order_id == order_id,
                PurchaseOrderRow.handed_off_at.is_(None),
            ).values(handed_off_at=at, hand_off_claimed_by=None, hand_off_claimed_until=None,
                     hand_off_retry_at=None)
             .execution_options(synchronize_session=False)).rowcount == 1
            if changed:
                session.add(_audit_row(audit))
            return changed

    def release_hand_off(self, order_id: int, *, claimant: str, retry_at: datetime) -> int:
        """A failed hand-off: free the claim, count the attempt, wait until `retry_at`.

        Returns the attempts so far (0 when the claim was no longer `claimant`'s).
        """
        with self._session() as session, session.begin():
            changed = session.execute(update(PurchaseOrderRow).where(
                PurchaseOrderRow.order_id == order_id,
                PurchaseOrderRow.handed_off_at.is_(None),
                PurchaseOrderRow.hand_off_claimed_by == claimant,
            ).values(hand_off_claimed_by=None, hand_off_claimed_until=None,
                     hand_off_retry_at=retry_at,
                     hand_off_attempts=PurchaseOrderRow.hand_off_attempts + 1)
             .execution_options(synchronize_session=False)).rowcount
            if changed != 1:
                return 0
            return session.scalar(select(PurchaseOrderRow.hand_off_attempts).where(
                PurchaseOrderRow.order_id == order_id)) or 0

    # ---- receipts ------------------------------------------------------------------------
    def receive(self, order_id: int, *, actor: Actor, at: datetime,
                quantities: Mapping[str, int] | None = None) -> tuple[PurchaseOrder,
                                                                      dict[str, int]]:
        """Move what arrived from on order to on hand; (the order after, what moved per SKU).

        `quantities` None receives everything outstanding. The order is received (received_at)
        once every line has fully arrived; AlreadyReceived after that, OverReceipt when a
        quantity is more than its line still expects.
        """
        with self._session() as session, session.begin():
            moved = self._receive_in(session, order_id, quantities, actor, at)
        return self.get_purchase_order(order_id), moved

    def receive_many(self, receipts: Mapping[int, Mapping[str, int]], *, actor: Actor,
                     at: datetime, audit: AuditEntry) -> dict[int, dict[str, int]]:
        """An import's receipts in one transaction: every order's quantities, or none of them."""
        with self._session() as session, session.begin():
            moved = {order_id: self._receive_in(session, order_id, quantities, actor, at)
                     for order_id, quantities in sorted(receipts.items())}
            session.add(_audit_row(audit))
        return moved

    def _receive_in(self, session: Session, order_id: int,
                    quantities: Mapping[str, int] | None, actor: Actor,
                    at: datetime) -> dict[str, int]:
        # Touching the open order first takes its row lock: receipts of one order serialise.
        open_order = session.execute(update(PurchaseOrderRow).where(
            PurchaseOrderRow.order_id == order_id, PurchaseOrderRow.received_at.is_(None),
        ).values(received_by_name=PurchaseOrderRow.received_by_name)
         .execution_options(synchronize_session=False)).rowcount
        row = session.get(PurchaseOrderRow, order_id, populate_existing=True)
        if row is None:
            raise UnknownOrder(order_number(order_id))
        if open_order != 1:
            raise AlreadyReceived(
                f"{order_number(order_id)} was already received by "
                f"{row.received_by_name or 'someone'} on {row.received_at:%Y-%m-%d %H:%M} UTC")
        lines = {line.sku: line for line in row.lines}
        wanted = dict(quantities) if quantities is not None else {
            sku: line.quantity - line.received_quantity for sku, line in lines.items()}
        moved: dict[str, int] = {}
        for sku, quantity in sorted(wanted.items()):
            line = lines.get(sku)
            if line is None:
                raise OverReceipt(f"{sku} is not on {order_number(order_id)}")
            outstanding = line.quantity - line.received_quantity
            if quantity > outstanding:
                raise OverReceipt(
                    f"{order_number(order_id)} {sku}: {quantity} received but only "
                    f"{outstanding} of {line.quantity} still expected")
            if quantity <= 0:
                continue
            line.received_quantity += quantity
            moved[sku] = quantity
            # Never below zero: a count may already have corrected on order by hand.
            session.execute(update(StockTableRow).where(
                StockTableRow.unit_id == row.unit_id, StockTableRow.sku == sku,
            ).values(on_hand=StockTableRow.on_hand + quantity,
                     on_order=func.max(StockTableRow.on_order - quantity, 0)
                     if session.bind.dialect.name == "sqlite"
                     else func.greatest(StockTableRow.on_order - quantity, 0)))
        complete = all(line.received_quantity >= line.quantity for line in lines.values())
        if complete:
            row.received_at, row.received_by_name = at, actor.display_name or actor.slack_user_id
        session.flush()
        detail = ", ".join(f"{sku}+{q} ({lines[sku].received_quantity} of {lines[sku].quantity})"
                           for sku, q in moved.items())
        session.add(_audit_row(AuditEntry(
            at, actor, "receive", order_number(order_id),
            "RECEIVED" if complete else "PARTIAL", detail or "nothing arrived")))
        return moved

    def spend_since(self, unit_id: str, since: datetime) -> int:
        """What a unit's approved orders since `since` cost, in cents."""
        with self._session() as session:
            return session.scalar(select(whole_sum(PurchaseOrderRow.total_cents)).where(
                PurchaseOrderRow.unit_id == normalise_unit_id(unit_id),
                PurchaseOrderRow.created_at >= since))

    def decisions(self, proposal_id: int) -> list[tuple[str, str, str]]:
        """(decision, outcome, display name) of every decision on a proposal, in order."""
        with self._session() as session:
            rows = session.scalars(select(DecisionRow).where(
                DecisionRow.proposal_id == proposal_id).order_by(DecisionRow.decision_id))
            return [(r.decision, r.outcome, r.display_name or r.slack_user_id) for r in rows]

    # ---- the audit log -------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        """Append one entry on its own (refusals, which change nothing else)."""
        with self._session() as session, session.begin():
            session.add(_audit_row(entry))

    def audit_log(self) -> list[AuditEntry]:
        with self._session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.entry_id))
            return [AuditEntry(r.at, Actor(r.slack_team_id, r.slack_user_id, r.staff_id),
                               r.action, r.subject, r.outcome, r.detail) for r in rows]


class ProposalChanged(Exception):
    """The proposal's total changed between the authority check and the decision: decide again."""


class _NotOpen(Exception):
    """The conditional UPDATE matched nothing: the proposal is no longer undecided."""


def _hand_off_due(now: datetime) -> tuple:
    """Not handed off, claim free or expired, retry due."""
    return (PurchaseOrderRow.handed_off_at.is_(None),
            PurchaseOrderRow.hand_off_claimed_until.is_(None)
            | (PurchaseOrderRow.hand_off_claimed_until <= now),
            PurchaseOrderRow.hand_off_retry_at.is_(None)
            | (PurchaseOrderRow.hand_off_retry_at <= now))


def _unit_channel(session: Session, unit_id: str) -> str:
    unit = session.get(UnitRow, unit_id)
    return unit.slack_channel_id if unit is not None else ""


def _approver_copy(approver: Approver, unit_id: str) -> Approver:
    return Approver(unit_id, approver.staff_id, approver.display_name, approver.slack_team_id,
                    approver.slack_user_id, approver.limit_cents, approver.rank)


def _line_values(proposal_id: int, unit_id: str, line: NewLine) -> dict[str, object]:
    f = line.figures
    return dict(
        proposal_id=proposal_id, unit_id=unit_id, sku=normalise_sku(line.sku), status=LINE_OPEN,
        quantity=line.quantity, unit_cost_cents=line.unit_cost_cents, item_name=line.item_name,
        inventory_position=line.inventory_position, par=line.par, reorder_point=f.reorder_point,
        daily_demand_mean=f.daily_demand_mean, daily_demand_stddev=f.daily_demand_stddev,
        lead_time_days=f.lead_time_days, lead_time_stddev_days=f.lead_time_stddev_days, z=f.z,
        safety_stock=f.safety_stock, fixed=f.fixed, history_days=f.history_days,
    )


def _hold(session: Session, row: ProposalRow, lines: list[ProposalLineRow],
          held_until: datetime) -> None:
    """Remember each rejected location's position now: the scan stays quiet while it holds."""
    positions = dict(session.execute(select(
        StockTableRow.sku, StockTableRow.on_hand + StockTableRow.on_order).where(
        StockTableRow.unit_id == row.unit_id,
        StockTableRow.sku.in_([line.sku for line in lines]))).all())
    for line in lines:
        session.merge(RejectionHoldRow(
            unit_id=row.unit_id, sku=line.sku, proposal_id=row.proposal_id,
            position=positions.get(line.sku, line.inventory_position), held_until=held_until))


def _lines_decided(lines: Iterable[ProposalLineRow]) -> str:
    """What a decision covered, for the audit log: each item and its quantity."""
    # A surveyor asks what was ordered or turned down, not only which proposal number.
    return ", ".join(f"{line.sku} x{line.quantity} ({line.item_name})"
                     for line in sorted(lines, key=lambda line: line.sku)) or "no lines"


def _audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(at=entry.at, slack_team_id=entry.actor.slack_team_id,
                    slack_user_id=entry.actor.slack_user_id, staff_id=entry.actor.staff_id,
                    action=entry.action, subject=entry.subject[:128], outcome=entry.outcome,
                    detail=entry.detail)
