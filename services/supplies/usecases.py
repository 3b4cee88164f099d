"""One function per supplies RPC: keyword-only arguments, the store and clock passed in."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinops.clock import Clock
from services.supplies import domain
from services.supplies.errors import (
    AlreadyDecided,
    InvalidInput,
    NoApproverWithinLimit,
    NotAnApprover,
    NotIdentified,
    UnknownProposal,
)
from services.supplies.model import (
    UNDECIDED,
    Actor,
    Approver,
    Decision,
    Item,
    Proposal,
    ProposalState,
    StockLevel,
    StockRow,
    Unit,
    proposal_reference,
)
from services.supplies.store import (
    AuditEntry,
    IdempotencyKeyUsed,
    NewLine,
    ProposalChanged,
    SuppliesStore,
    normalise_sku,
    normalise_unit_id,
)

MAX_UNIT_ID, MAX_SKU, MAX_REASON, MAX_QUANTITY, MAX_IMPORT_ROWS = 16, 32, 500, 1_000_000, 10_000
SYSTEM = Actor(staff_id="supplies-scan", display_name="scheduled scan")

# The use cases take the real store: its transactions are the rules, so unit tests of the use
# cases run on a SQLite file rather than a fake that could not hold them.
Store = SuppliesStore
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CountResult:
    level: StockLevel
    proposal: Proposal | None


@dataclass(frozen=True)
class ImportRow:
    """One row as a cabinet exported it; the date is (year, month, day) or None, unchecked."""

    unit_id: str
    sku: str
    day: tuple[int, int, int] | None
    counted: int | None
    consumed: int = 0


@dataclass(frozen=True)
class ImportResult:
    rows_written: int
    rejected: tuple[tuple[int, str], ...]
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class UnitBudget:
    unit_id: str
    monthly_budget_cents: int
    month_to_date_spend_cents: int
    month_start: date
    time_zone: str


# ---- input checks ---------------------------------------------------------------------------

def check_unit_id(unit_id: str, *, field: str = "unit_id") -> str:
    """A unit id as stored (upper case), or InvalidInput naming the field."""
    cleaned = unit_id.strip()
    if not cleaned:
        raise InvalidInput({field: "required"})
    if len(cleaned) > MAX_UNIT_ID:
        raise InvalidInput({field: f"at most {MAX_UNIT_ID} characters"})
    if not all(c.isascii() and (c.isalnum() or c in "-_&.") for c in cleaned):
        raise InvalidInput({field: "letters, digits, '-', '_', '&' or '.' only"})
    return normalise_unit_id(cleaned)


def check_sku(sku: str, *, field: str = "sku") -> str:
    cleaned = sku.strip()
    if not cleaned:
        raise InvalidInput({field: "required"})
    if len(cleaned) > MAX_SKU or not all(c.isascii() and (c.isalnum() or c in "-_./")
                                         for c in cleaned):
        raise InvalidInput({field: f"a SKU: up to {MAX_SKU} letters, digits, '-', '_', '.', '/'"})
    return normalise_sku(cleaned)


def check_quantity(value: int, *, field: str) -> int:
    if not 0 <= value <= MAX_QUANTITY:
        raise InvalidInput({field: f"must be 0-{MAX_QUANTITY:,}"})
    return value


def parse_proposal_id(proposal_id: str, *, field: str = "proposal_id") -> int:
    """RP-00012, rp-12 or 12 → 12."""
    text = proposal_id.strip().upper().removeprefix("RP-").removeprefix("RP")
    if not text:
        raise InvalidInput({field: "required"})
    # ASCII only ("²".isdigit() is true) and within the database's integer range.
    # Digits are counted before int(): Python refuses to convert more than 4,300 of them.
    if (not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 10
            or not 1 <= int(text) <= 2**31 - 1):
        raise InvalidInput({field: "a proposal number such as RP-00012"})
    return int(text)


def _identified(caller: Actor) -> Actor:
    if not (caller.slack_team_id and caller.slack_user_id):
        raise NotIdentified("the call carries no Slack team and user; nobody to act for")
    return caller


# ---- reorder evaluation ---------------------------------------------------------------------

def _zone(unit: Unit) -> ZoneInfo:
    return ZoneInfo(unit.time_zone)


def stock_levels(*, store: Store, now: datetime, window_days: int,
                 unit_id: str | None = None, sku: str | None = None,
                 catalogue: Mapping[str, Item] | None = None) -> list[StockLevel]:
    """Every location (of a unit, or all) with its reorder point from the history window."""
    units = {u.unit_id: u for u in store.list_units()}
    levels = []
    # Σq and Σq² per location come from the database, one query per unit (its own last day).
    totals: dict[str, dict[tuple[str, str], domain.UseTotals]] = {}
    for stock, item in store.stock_with_items(unit_id, sku, catalogue=catalogue):
        if stock.unit_id not in totals:
            # History ends yesterday at the facility: today's use is still being counted.
            last_day = domain.facility_today(now, _zone(units[stock.unit_id])) - timedelta(days=1)
            totals[stock.unit_id] = store.use_totals(
                last_day - timedelta(days=window_days - 1), last_day, stock.unit_id, sku)
        used = totals[stock.unit_id].get((stock.unit_id, stock.sku), domain.NO_USE)
        demand = domain.demand_from_totals(used, window_days=window_days)
        figures = domain.reorder_figures(item, demand,
                                         fixed_reorder_point=stock.fixed_reorder_point)
        levels.append(StockLevel(stock, item, figures))
    return levels


def _reconcile(store: Store, levels: Sequence[StockLevel], *, actor: Actor,
               now: datetime) -> list[int]:
    """Propose what fell to ROP; withdraw undecided lines whose stock recovered (re-arm)."""
    touched: list[int] = []
    by_unit: dict[str, list[StockLevel]] = {}
    for level in levels:
        by_unit.setdefault(level.stock.unit_id, []).append(level)
    for unit_id, unit_levels in sorted(by_unit.items()):
        open_lines = store.open_line_skus(unit_id)
        holds = store.rejection_holds(unit_id)
        recovered = [(unit_id, lv.stock.sku) for lv in unit_levels
                     if (unit_id, lv.stock.sku) in open_lines
                     and domain.rearmed(lv.stock, lv.reorder_point)]
        store.withdraw_lines(recovered, at=now, audit_actor=actor)
        wanted = [
            NewLine(sku=lv.stock.sku, quantity=domain.order_quantity(lv.item, lv.stock,
                                                                     lv.figures),
                    unit_cost_cents=lv.item.unit_cost_cents, item_name=lv.item.name,
                    inventory_position=lv.stock.position, par=lv.stock.par, figures=lv.figures)
            for lv in unit_levels
            if (unit_id, lv.stock.sku) not in open_lines
            and domain.needs_reorder(lv.stock, lv.reorder_point)
            and not domain.held(holds.get(lv.stock.sku), lv.stock, now)
        ]
        proposal_id = store.propose(unit_id, wanted, at=now, audit_actor=actor) if wanted \
            else None
        if proposal_id is not None:
            touched.append(proposal_id)
    return touched


def with_budget(proposal: Proposal, *, store: Store, now: datetime) -> Proposal:
    """The proposal with its unit's month-to-date spend, budget and channel, and pack sizes."""
    unit = store.get_unit(proposal.unit_id)
    since = domain.month_start(now, _zone(unit))
    packs = store.pack_sizes(line.sku for line in proposal.lines)
    return dataclasses.replace(
        proposal, month_to_date_spend_cents=store.spend_since(unit.unit_id, since),
        monthly_budget_cents=unit.monthly_budget_cents,
        unit_slack_channel_id=unit.slack_channel_id,
        lines=tuple(dataclasses.replace(line, pack_size=packs.get(line.sku, 1))
                    for line in proposal.lines))


# ---- one function per RPC -------------------------------------------------------------------

def list_items(*, store: Store) -> list[Item]:
    """The catalogue, by SKU."""
    return store.list_items()


def set_par(*, unit_id: str, sku: str, par: int, fixed_reorder_point: int | None,
            caller: Actor, store: Store, clock: Clock,
            window_days: int = domain.DEFAULT_WINDOW_DAYS) -> StockLevel:
    """Set a location's par (and a fixed reorder point, or None for one from history)."""
    unit_id, sku = check_unit_id(unit_id), check_sku(sku)
    check_quantity(par, field="par")
    if fixed_reorder_point is not None:
        check_quantity(fixed_reorder_point, field="fixed_reorder_point")
    now = clock()
    rop = "from history" if fixed_reorder_point is None else str(fixed_reorder_point)
    store.set_par(unit_id, sku, par, fixed_reorder_point, audit=AuditEntry(
        now, _identified(caller), "SET_PAR", f"{unit_id} {sku}", "SET",
        f"par {par}, reorder point {rop}"))
    [level] = stock_levels(store=store, now=now, window_days=window_days, unit_id=unit_id,
                           sku=sku)
    return level


def record_count(*, unit_id: str, sku: str, quantity: int, caller: Actor, store: Store,
                 clock: Clock, window_days: int = domain.DEFAULT_WINDOW_DAYS) -> CountResult:
    """A physical count sets on hand; at or below ROP it opens or extends the unit's proposal."""
    unit_id, sku = check_unit_id(unit_id), check_sku(sku)
    check_quantity(quantity, field="quantity")
    actor, now = _identified(caller), clock()
    store.record_count(unit_id, sku, quantity, at=now, audit=AuditEntry(
        now, actor, "COUNT", f"{unit_id} {sku}", "RECORDED", f"on hand {quantity}"))
    [level] = stock_levels(store=store, now=now, window_days=window_days, unit_id=unit_id,
                           sku=sku)
    touched = _reconcile(store, [level], actor=actor, now=now)
    proposal = with_budget(store.get_proposal(touched[0]), store=store, now=now) if touched \
        else None
    return CountResult(level, proposal)


def _check_row(row: ImportRow, *, units: Mapping[str, Unit], items: Mapping[str, Item],
               locations: set[tuple[str, str]], now: datetime) -> tuple[StockRow | None, str]:
    problems = []
    unit_id = normalise_unit_id(row.unit_id)
    sku = normalise_sku(row.sku)
    if not unit_id:
        problems.append("unit_id is missing")
    elif unit_id not in units:
        problems.append(f"unknown unit {row.unit_id!r}")
    if not sku:
        problems.append("sku is missing")
    elif sku not in items:
        problems.append(f"unknown SKU {row.sku!r}")
    elif unit_id in units and (unit_id, sku) not in locations:
        problems.append(f"{unit_id} does not stock {sku}; set a par first")
    day = None
    if row.day is None:
        problems.append("date is missing")
    else:
        try:
            day = date(*row.day)
        except ValueError:
            problems.append("date {}-{:02}-{:02} does not exist".format(*row.day))
        else:
            unit = units.get(unit_id)
            zone = _zone(unit) if unit is not None else ZoneInfo("UTC")
            opened = unit.opened_on if unit is not None else None
            if day > domain.facility_today(now, zone):
                problems.append(f"date {day} is in the future")
            elif opened is not None and day < opened:
                problems.append(f"date {day} is before {unit_id} opened ({opened})")
            elif day < domain.EARLIEST_STOCK_DAY:
                problems.append(f"date {day} is before {domain.EARLIEST_STOCK_DAY.year}; "
                                "check the year")
    if row.counted is not None and not 0 <= row.counted <= MAX_QUANTITY:
        problems.append(f"count {row.counted} must be 0-{MAX_QUANTITY:,}")
    if not 0 <= row.consumed <= MAX_QUANTITY:
        problems.append(f"consumed {row.consumed} must be 0-{MAX_QUANTITY:,}")
    if problems:
        return None, "; ".join(problems)
    return StockRow(unit_id, sku, day, row.counted, row.consumed), ""


def _check_import_authority(rows: Sequence[ImportRow], *, units: Mapping[str, Unit],
                            caller: Actor, store: Store, now: datetime) -> None:
    """Only an approver of every (known) unit in the import may write its counts and use."""
    named = sorted({normalise_unit_id(r.unit_id) for r in rows} & units.keys())
    me = (caller.slack_team_id, caller.slack_user_id)
    refused = [unit_id for unit_id in named
               if not any((a.slack_team_id, a.slack_user_id) == me
                          for a in store.approvers(unit_id))]
    if refused:
        listed = ", ".join(refused)
        store.audit(AuditEntry(now, store.find_actor(*me), "IMPORT", f"{len(rows)} rows",
                               "REFUSED", f"not an approver for {listed}; nothing written"))
        raise NotAnApprover(f"you are not an approver for {listed}: only its approvers may "
                            f"import its counts and use; nothing was written")


def import_stock(*, rows: Sequence[ImportRow], caller: Actor, store: Store, clock: Clock,
                 window_days: int = domain.DEFAULT_WINDOW_DAYS) -> ImportResult:
    """Counts and consumption from a cabinet export: every row valid, or nothing is written."""
    if not rows:
        raise InvalidInput({"rows": "no rows to import"})
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput({"rows": f"at most {MAX_IMPORT_ROWS:,} rows per import"})
    actor, now = _identified(caller), clock()
    units = {u.unit_id: u for u in store.list_units()}
    _check_import_authority(rows, units=units, caller=actor, store=store, now=now)
    items = {i.sku: i for i in store.list_items()}
    locations = {(s.unit_id, s.sku) for s, _ in store.stock_with_items()}
    checked, rejected = [], []
    for number, row in enumerate(rows, start=1):
        good, reason = _check_row(row, units=units, items=items, locations=locations, now=now)
        if good is None:
            rejected.append((number, reason))
        else:
            checked.append(good)
    if rejected:
        store.audit(AuditEntry(now, actor, "IMPORT", f"{len(rows)} rows", "REJECTED",
                               f"{len(rejected)} invalid rows; nothing written"))
        return ImportResult(0, tuple(rejected), ())
    written = store.import_rows(checked, at=now, audit=AuditEntry(
        now, actor, "IMPORT", f"{len(rows)} rows", "WRITTEN",
        f"{sum(r.counted is not None for r in checked)} counts"))
    touched_units = sorted({r.unit_id for r in checked})
    levels = [lv for unit_id in touched_units
              for lv in stock_levels(store=store, now=now, window_days=window_days,
                                     unit_id=unit_id)]
    touched = _reconcile(store, levels, actor=actor, now=now)
    proposals = tuple(with_budget(store.get_proposal(p), store=store, now=now) for p in touched)
    return ImportResult(written, (), proposals)


def _status_order(level: StockLevel) -> tuple:
    return (not level.item.critical, not level.out_of_stock,
            not level.at_or_below_reorder_point, level.stock.sku)


def get_stock_status(*, unit_id: str, store: Store, clock: Clock,
                     window_days: int = domain.DEFAULT_WINDOW_DAYS) -> list[StockLevel]:
    """What is short on a unit: at/below ROP, below par or out of stock; critical items first."""
    unit = store.get_unit(check_unit_id(unit_id))
    levels = stock_levels(store=store, now=clock(), window_days=window_days,
                          unit_id=unit.unit_id)
    short = [lv for lv in levels
             if lv.at_or_below_reorder_point or lv.below_par or lv.out_of_stock]
    return sorted(short, key=_status_order)


def get_unit_budget(*, unit_id: str, store: Store, clock: Clock) -> UnitBudget:
    """A unit's monthly budget and its approved spend since the facility's month began."""
    unit = store.get_unit(check_unit_id(unit_id))
    zone = _zone(unit)
    since = domain.month_start(clock(), zone)
    return UnitBudget(unit_id=unit.unit_id, monthly_budget_cents=unit.monthly_budget_cents,
                      month_to_date_spend_cents=store.spend_since(unit.unit_id, since),
                      month_start=since.date(), time_zone=unit.time_zone)


def get_proposal(*, proposal_id: str, store: Store, clock: Clock) -> Proposal:
    """One proposal with its lines, figures, state and the unit's spend against budget."""
    return with_budget(store.get_proposal(parse_proposal_id(proposal_id)), store=store,
                       now=clock())


def list_proposals(*, unit_id: str = "", state: ProposalState | None = None, store: Store,
                   clock: Clock) -> list[Proposal]:
    """Proposals of a unit (or every unit), in a state (or any), newest first."""
    unit = store.get_unit(check_unit_id(unit_id)).unit_id if unit_id.strip() else None
    now = clock()
    return [with_budget(p, store=store, now=now) for p in store.list_proposals(unit, state)]


def scan_reorders(*, unit_id: str = "", store: Store, clock: Clock,
                  window_days: int = domain.DEFAULT_WINDOW_DAYS) -> list[Proposal]:
    """The scheduled scan: propose what is at or below ROP, re-arm what recovered."""
    units = [store.get_unit(check_unit_id(unit_id)).unit_id] if unit_id.strip() \
        else [u.unit_id for u in store.list_units()]
    now = clock()
    touched = []
    catalogue = {item.sku: item for item in store.list_items()}
    # A unit at a time: a health system's 100k locations never sit in memory together.
    for unit in units:
        levels = stock_levels(store=store, now=now, window_days=window_days, unit_id=unit,
                              catalogue=catalogue)
        touched += _reconcile(store, levels, actor=SYSTEM, now=now)
    return [with_budget(store.get_proposal(p), store=store, now=now) for p in touched]


def set_proposal_message(*, proposal_id: str, slack_channel_id: str, slack_message_ts: str,
                         store: Store, clock: Clock) -> Proposal:
    """Record where the bot posted a proposal: decisions reply in its thread and update it."""
    number = parse_proposal_id(proposal_id)
    violations = {name: "required" for name, value in (
        ("slack_channel_id", slack_channel_id), ("slack_message_ts", slack_message_ts))
        if not value.strip()}
    if violations:
        raise InvalidInput(violations)
    store.set_proposal_message(number, slack_channel_id.strip(), slack_message_ts.strip())
    return with_budget(store.get_proposal(number), store=store, now=clock())


def _already(proposal: Proposal) -> AlreadyDecided:
    verb = proposal.state.value.lower()
    who = proposal.decided_by.display_name or proposal.decided_by.slack_user_id \
        if proposal.decided_by else ""
    by = f" by {who}" if who else " (stock recovered before a decision)"
    return AlreadyDecided(f"{proposal.reference} was already {verb}{by}",
                          state=proposal.state.value, decided_by=who)


def check_snooze_days(decision: Decision, snooze_days: int) -> int:
    """Days a rejection holds (0: the default week); only a rejection is snoozed."""
    if not snooze_days:
        return domain.DEFAULT_SNOOZE_DAYS
    if decision is not Decision.REJECT:
        raise InvalidInput({"snooze_days": "only with a rejection"})
    if not 1 <= snooze_days <= domain.MAX_SNOOZE_DAYS:
        raise InvalidInput({"snooze_days": f"1-{domain.MAX_SNOOZE_DAYS} days"})
    return snooze_days


def _check_decision(decision: Decision | None, reason: str,
                    edits: Sequence[tuple[str, int]]) -> tuple[Decision, str, dict[str, int]]:
    if decision is None:
        raise InvalidInput({"decision": "approve, reject or edit quantities"})
    reason = reason.strip()
    if decision is Decision.REJECT and not reason:
        raise InvalidInput({"reason": "a rejection needs a reason"})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": f"at most {MAX_REASON} characters"})
    quantities: dict[str, int] = {}
    if decision is Decision.EDIT_QUANTITIES:
        if not edits:
            raise InvalidInput({"edits": "name at least one SKU and its new quantity"})
        for n, (sku, quantity) in enumerate(edits):
            cleaned = check_sku(sku, field=f"edits[{n}].sku")
            if cleaned in quantities:
                raise InvalidInput({f"edits[{n}].sku": f"{cleaned} is edited twice"})
            quantities[cleaned] = check_quantity(quantity, field=f"edits[{n}].quantity")
    return decision, reason, quantities


def _proposal_number(proposal_id: str, slack_channel_id: str, slack_message_ts: str,
                     store: Store) -> int:
    """The proposal named by id, or else by the channel and ts where it was posted."""
    if proposal_id.strip() or not (slack_channel_id.strip() or slack_message_ts.strip()):
        return parse_proposal_id(proposal_id)
    violations = {name: "required with the other, to name a proposal by its message"
                  for name, value in (("slack_channel_id", slack_channel_id),
                                      ("slack_message_ts", slack_message_ts))
                  if not value.strip()}
    if violations:
        raise InvalidInput(violations)
    number = store.proposal_at_message(slack_channel_id.strip(), slack_message_ts.strip())
    if number is None:
        raise UnknownProposal(f"no reorder proposal was posted at {slack_channel_id.strip()} "
                              f"{slack_message_ts.strip()}")
    return number


def decide_proposal(
    *,
    proposal_id: str,
    decision: Decision | None,
    reason: str = "",
    edits: Sequence[tuple[str, int]] = (),
    slack_channel_id: str = "",
    slack_message_ts: str = "",
    snooze_days: int = 0,
    caller: Actor,
    idempotency_key: str = "",
    store: Store,
    clock: Clock,
) -> Proposal:
    """Approve (within the caller's limit, else escalate), reject with a reason, or edit.

    The proposal is named by its id or, for a reply in its thread, by the channel and ts where
    it was posted (looked up first, so a reply in any other thread is NOT_FOUND, not a usage
    error). Exactly one decision wins: the store's conditional UPDATE and unique keys decide, so
    double clicks, concurrent approvers and a retried call with the same idempotency key all end
    in one decision and one purchase order; the others get AlreadyDecided or the first result.
    A rejection holds its items for `snooze_days` (0: a week) unless their position changes.
    """
    number = _proposal_number(proposal_id, slack_channel_id, slack_message_ts, store)
    decision, reason, quantities = _check_decision(decision, reason, edits)
    snooze = check_snooze_days(decision, snooze_days)
    caller = _identified(caller)
    key = idempotency_key.strip()[:128]
    if key and (first := store.proposal_for_key(key)) is not None:
        return with_budget(store.get_proposal(first), store=store, now=clock())
    for _attempt in range(3):
        try:
            return _decide_once(number, decision, reason, quantities, caller, key, store,
                                clock(), snooze)
        except ProposalChanged:
            continue  # a count changed the lines under us: check authority again
        except (AlreadyDecided, IdempotencyKeyUsed):
            if key and (first := store.proposal_for_key(key)) is not None:
                return with_budget(store.get_proposal(first), store=store, now=clock())
            raise
    raise AlreadyDecided(f"{proposal_reference(number)} keeps changing; look again and decide")


def _decide_once(number: int, decision: Decision, reason: str, quantities: dict[str, int],
                 caller: Actor, key: str, store: Store, now: datetime,
                 snooze_days: int = domain.DEFAULT_SNOOZE_DAYS) -> Proposal:
    proposal = store.get_proposal(number)
    subject = proposal.reference
    chain = store.approvers(proposal.unit_id)
    me = next((a for a in chain if (a.slack_team_id, a.slack_user_id)
               == (caller.slack_team_id, caller.slack_user_id)), None)
    if me is None:
        actor = store.find_actor(caller.slack_team_id, caller.slack_user_id)
        store.audit(AuditEntry(now, actor, decision.value, subject, "REFUSED",
                               f"not an approver for {proposal.unit_id}"))
        ask = f"; ask {chain[0].display_name}" if chain else ""
        raise NotAnApprover(f"you are not an approver for {proposal.unit_id}'s orders{ask}")
    actor = Actor(caller.slack_team_id, caller.slack_user_id, me.staff_id, me.display_name)
    if proposal.state not in UNDECIDED:
        error = _already(proposal)
        store.audit(AuditEntry(now, actor, decision.value, subject, "REFUSED", str(error)))
        raise error
    line_skus = {line.sku for line in proposal.lines}
    unknown = [sku for sku in quantities if sku not in line_skus]
    if unknown:
        n = list(quantities).index(unknown[0])
        raise InvalidInput({f"edits[{n}].sku": f"{unknown[0]} is not on {subject}"})
    if decision is Decision.REJECT:
        return _store_decision(store, number, decision, ProposalState.REJECTED, actor, now,
                               key, reason=reason,
                               held_until=now + timedelta(days=snooze_days))
    if decision is Decision.EDIT_QUANTITIES:
        packs = {line.sku: store.get_item(line.sku).pack_size for line in proposal.lines}
        rounded = {sku: domain.round_up_to_pack(q, packs[sku]) for sku, q in quantities.items()}
        return _store_decision(store, number, decision, None, actor, now, key,
                               quantities=rounded)
    total = proposal.total_cents
    if total <= me.limit_cents:
        return _store_decision(store, number, decision, ProposalState.APPROVED, actor, now, key,
                               expected_total_cents=total)
    above = _next_approver(chain, me, total)
    if above is None:
        raise NoApproverWithinLimit(
            f"{subject} totals ${total / 100:,.2f}: above your limit and every other approver's "
            f"for {proposal.unit_id}; edit quantities down or reject it")
    escalated = _store_decision(store, number, decision, ProposalState.ESCALATED, actor, now,
                                key, escalated_to=above, expected_total_cents=total)
    # Nobody has decided yet, but the thread names who approved it up the chain.
    return dataclasses.replace(escalated, decided_by=actor)


def _next_approver(chain: Sequence[Approver], me: Approver, total: int) -> Approver | None:
    """The next approver up the unit's chain whose limit covers the total."""
    return next((a for a in chain if a.rank > me.rank and a.limit_cents >= total), None)


def _store_decision(store: Store, number: int, decision: Decision,
                    outcome: ProposalState | None, actor: Actor, now: datetime, key: str,
                    **details: object) -> Proposal:
    decided = store.decide(number, decision=decision, outcome=outcome, actor=actor, at=now,
                           idempotency_key=key, **details)  # type: ignore[arg-type]
    return with_budget(decided, store=store, now=now)
