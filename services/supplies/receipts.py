"""Receiving deliveries: `/supply receive <PO>` and a receiving dock's CSV of receipts.

Who may receive: a unit's approvers (its manager, the director) and its receivers — the charge
nurses, who sign for deliveries on the unit but do not approve spending. The supplies service
keeps both lists (seeded from the roster, as approvers are).

Partial receipts: a line's on order drops by what arrived and on hand rises by it; the order
stays open until every line has fully arrived, and is then received (by whoever completed it).
More than a line still expects is refused, never clipped: the dock re-counts. `/supply receive`
receives everything still outstanding.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from clinops.clock import Clock
from services.supplies.errors import InvalidInput, NotAnApprover, NotIdentified, UnknownOrder
from services.supplies.model import Actor, PurchaseOrder, order_number
from services.supplies.store import AuditEntry, SuppliesStore, normalise_sku

MAX_RECEIPT_ROWS, MAX_QUANTITY = 10_000, 1_000_000


@dataclass(frozen=True)
class Received:
    """An order after a receipt, and what moved into stock per SKU this time."""

    order: PurchaseOrder
    moved: dict[str, int]


@dataclass(frozen=True)
class ReceiptRow:
    """One row of a receiving dock's export, unchecked."""

    purchase_order_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReceiptImportResult:
    rows_written: int
    rejected: tuple[tuple[int, str], ...]
    received: tuple[Received, ...]


def parse_order_number(number: str, *, field: str = "purchase_order_id") -> int:
    """PO-00012, po-12 or 12 → 12."""
    text = number.strip().upper().removeprefix("PO-").removeprefix("PO")
    if not text:
        raise InvalidInput({field: "required"})
    # Digits are counted before int(): Python refuses to convert more than 4,300 of them.
    if (not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 10
            or not 1 <= int(text) <= 2**31 - 1):
        raise InvalidInput({field: "a purchase order number such as PO-00012"})
    return int(text)


def _identified(caller: Actor) -> Actor:
    if not (caller.slack_team_id and caller.slack_user_id):
        raise NotIdentified("the call carries no Slack team and user; nobody to act for")
    return caller


def receiver_of(unit_id: str, caller: Actor, store: SuppliesStore) -> Actor | None:
    """The caller, named, when they may receive the unit's deliveries; else None."""
    me = (caller.slack_team_id, caller.slack_user_id)
    for person in (*store.approvers(unit_id), *store.receivers(unit_id)):
        if (person.slack_team_id, person.slack_user_id) == me:
            return Actor(*me, person.staff_id, person.display_name)
    return None


def _refusal(unit_id: str) -> str:
    return f"only {unit_id}'s charge nurses, manager and approvers may receive its orders"


def receive_purchase_order(*, purchase_order_id: str, caller: Actor, store: SuppliesStore,
                           clock: Clock) -> Received:
    """Everything still outstanding on the order moves from on order to on hand."""
    number = parse_order_number(purchase_order_id)
    caller = _identified(caller)
    order = store.get_purchase_order(number)
    now = clock()
    actor = receiver_of(order.unit_id, caller, store)
    if actor is None:
        store.audit(AuditEntry(now, store.find_actor(caller.slack_team_id, caller.slack_user_id),
                               "receive", order.number, "REFUSED",
                               f"not a receiver for {order.unit_id}"))
        raise NotAnApprover(f"{_refusal(order.unit_id)}; you cannot receive {order.number}")
    after, moved = store.receive(number, actor=actor, at=now)
    return Received(after, moved)


def _check_rows(rows: Sequence[ReceiptRow], orders: dict[int, PurchaseOrder]
                ) -> tuple[dict[int, dict[str, int]], list[tuple[int, str]]]:
    """Per order, the quantity per SKU; and each rejected row (1-based) with its reason."""
    wanted: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rejected: list[tuple[int, str]] = []
    for number, row in enumerate(rows, start=1):
        problems = []
        try:
            order_id = parse_order_number(row.purchase_order_id)
        except InvalidInput:
            order_id = None
            problems.append(f"{row.purchase_order_id.strip() or 'purchase order'!r} is not a "
                            "purchase order number such as PO-00012")
        order = orders.get(order_id) if order_id is not None else None
        sku = normalise_sku(row.sku)
        if order_id is not None and order is None:
            problems.append(f"no purchase order {order_number(order_id)}")
        if not sku:
            problems.append("sku is missing")
        elif order is not None and order.line(sku) is None:
            problems.append(f"{sku} is not on {order.number}")
        if not 0 <= row.quantity <= MAX_QUANTITY:
            problems.append(f"quantity {row.quantity} must be 0-{MAX_QUANTITY:,}")
        if order is not None and order.received_at is not None:
            problems.append(f"{order.number} was already received by "
                            f"{order.received_by_name or 'someone'}")
        elif order is not None and not problems:
            line = order.line(sku)
            assert line is not None
            so_far = wanted[order_id][sku]
            if so_far + row.quantity > line.outstanding:
                problems.append(
                    f"over-receipt: {order.number} {sku} expects {line.outstanding} more "
                    f"({line.received_quantity} of {line.quantity} received), this file "
                    f"brings {so_far + row.quantity}")
        if problems:
            rejected.append((number, "; ".join(problems)))
        elif order_id is not None:
            wanted[order_id][sku] += row.quantity
    return {o: dict(q) for o, q in wanted.items()}, rejected


def import_receipts(*, rows: Sequence[ReceiptRow], caller: Actor, store: SuppliesStore,
                    clock: Clock) -> ReceiptImportResult:
    """A receiving dock's receipts: every row valid and the caller a receiver, or nothing moves."""
    if not rows:
        raise InvalidInput({"rows": "no rows to import"})
    if len(rows) > MAX_RECEIPT_ROWS:
        raise InvalidInput({"rows": f"at most {MAX_RECEIPT_ROWS:,} rows per import"})
    caller, now = _identified(caller), clock()
    orders: dict[int, PurchaseOrder] = {}
    for row in rows:
        try:
            order_id = parse_order_number(row.purchase_order_id)
        except InvalidInput:
            continue
        if order_id not in orders:
            with contextlib.suppress(UnknownOrder):  # reported per row below
                orders[order_id] = store.get_purchase_order(order_id)
    subject = f"{len(rows)} receipt rows"
    units = sorted({order.unit_id for order in orders.values()})
    refused = [unit_id for unit_id in units if receiver_of(unit_id, caller, store) is None]
    if refused:
        listed = ", ".join(refused)
        store.audit(AuditEntry(now, store.find_actor(caller.slack_team_id, caller.slack_user_id),
                               "IMPORT_RECEIPTS", subject, "REFUSED",
                               f"not a receiver for {listed}; nothing written"))
        raise NotAnApprover(f"{_refusal(listed)}; nothing was written")
    wanted, rejected = _check_rows(rows, orders)
    if rejected:
        store.audit(AuditEntry(now, store.find_actor(caller.slack_team_id, caller.slack_user_id),
                               "IMPORT_RECEIPTS", subject, "REJECTED",
                               f"{len(rejected)} invalid rows; nothing written"))
        return ReceiptImportResult(0, tuple(rejected), ())
    # Every unit in the file is the caller's to receive (checked above): name them as the first.
    actor = receiver_of(units[0], caller, store) if units else caller
    assert actor is not None
    moved = store.receive_many(wanted, actor=actor, at=now, audit=AuditEntry(
        now, actor, "IMPORT_RECEIPTS", subject, "WRITTEN",
        ", ".join(order_number(o) for o in sorted(wanted))))
    received = tuple(Received(store.get_purchase_order(order_id), moved[order_id])
                     for order_id in sorted(moved))
    return ReceiptImportResult(len(rows), (), received)
