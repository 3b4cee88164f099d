"""Receiving deliveries: partial and full receipts, over-receipt, who may receive, and the
receiving dock's import (all or nothing), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from clinops.clock import fixed_clock
from services.supplies import receipts, usecases
from services.supplies.errors import AlreadyReceived, InvalidInput, NotAnApprover, OverReceipt
from services.supplies.model import Decision
from services.supplies.receipts import ReceiptRow
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import (
    CHARGE_NURSE,
    FOUR_WEST_CHARGE_NURSE,
    MANAGER,
    NOW,
    NURSE,
)

CLOCK = fixed_clock(NOW)


def approved_chg_order(store: SuppliesStore) -> str:
    """CHG cloths counted at 20 and 72 of them (3 packs of 24) ordered; on order 72."""
    counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=20, caller=MANAGER,
                                    store=store, clock=CLOCK)
    assert counted.proposal is not None
    return usecases.decide_proposal(proposal_id=counted.proposal.reference,
                                    decision=Decision.APPROVE, caller=MANAGER, store=store,
                                    clock=CLOCK).purchase_order_id


def import_rows(store: SuppliesStore, *rows: tuple[str, str, int],
                caller=CHARGE_NURSE) -> receipts.ReceiptImportResult:  # noqa: ANN001
    return receipts.import_receipts(rows=[ReceiptRow(*row) for row in rows], caller=caller,
                                    store=store, clock=CLOCK)


def stock(store: SuppliesStore) -> tuple[int, int]:
    level = store.get_stock("ICU", "CHG-CLOTH")
    return level.on_hand, level.on_order


def test_a_partial_receipt_moves_what_arrived_and_keeps_the_order_open(
    store: SuppliesStore,
) -> None:
    number = approved_chg_order(store)
    result = import_rows(store, (number, "CHG-CLOTH", 48))
    assert result.rejected == () and result.rows_written == 1
    [received] = result.received
    assert received.moved == {"CHG-CLOTH": 48}
    assert received.order.received_at is None and not received.order.fully_received
    assert received.order.lines[0].outstanding == 24
    assert stock(store) == (68, 24)
    entry = store.audit_log()[-2]
    assert (entry.action, entry.subject, entry.outcome, entry.detail) == (
        "receive", number, "PARTIAL", "CHG-CLOTH+48 (48 of 72)")
    assert store.audit_log()[-1].action == "IMPORT_RECEIPTS"
    # `/supply receive` then takes in the rest, and the order is received.
    rest = receipts.receive_purchase_order(purchase_order_id=number, caller=CHARGE_NURSE,
                                           store=store, clock=CLOCK)
    assert rest.moved == {"CHG-CLOTH": 24}
    assert rest.order.received_at == NOW and rest.order.received_by_name == "Maya Castillo"
    assert stock(store) == (92, 0)
    assert store.audit_log()[-1].outcome == "RECEIVED"


def test_a_full_receipt_by_import_receives_the_order(store: SuppliesStore) -> None:
    number = approved_chg_order(store)
    [received] = import_rows(store, (number, "CHG-CLOTH", 50), (number, "chg-cloth", 22)).received
    assert received.order.fully_received and received.order.received_at == NOW
    assert stock(store) == (92, 0)
    with pytest.raises(AlreadyReceived, match="already received by Maya Castillo"):
        receipts.receive_purchase_order(purchase_order_id=number, caller=MANAGER, store=store,
                                        clock=CLOCK)


def test_an_over_receipt_is_rejected_with_its_reason_and_nothing_moves(
    store: SuppliesStore,
) -> None:
    number = approved_chg_order(store)
    import_rows(store, (number, "CHG-CLOTH", 60))
    result = import_rows(store, (number, "CHG-CLOTH", 10), (number, "CHG-CLOTH", 5))
    assert result.rows_written == 0 and result.received == ()
    assert result.rejected == ((2, f"over-receipt: {number} CHG-CLOTH expects 12 more "
                                   "(60 of 72 received), this file brings 15"),)
    assert stock(store) == (80, 12)
    assert store.audit_log()[-1].outcome == "REJECTED"


def test_one_bad_row_rejects_the_whole_import_each_bad_row_named(store: SuppliesStore) -> None:
    number = approved_chg_order(store)
    result = import_rows(store, (number, "CHG-CLOTH", 10), ("PO-00099", "CHG-CLOTH", 1),
                         (number, "VENT-CIRCUIT", 1), ("soon", "CHG-CLOTH", 1),
                         (number, "CHG-CLOTH", -3))
    assert result.rows_written == 0
    assert result.rejected == (
        (2, "no purchase order PO-00099"),
        (3, f"VENT-CIRCUIT is not on {number}"),
        (4, "'soon' is not a purchase order number such as PO-00012"),
        (5, "quantity -3 must be 0-1,000,000"),
    )
    assert stock(store) == (20, 72)


def test_an_empty_import_is_invalid(store: SuppliesStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        import_rows(store)
    assert "rows" in refused.value.violations


def test_a_unit_charge_nurse_receives_but_another_units_charge_nurse_is_refused_and_audited(
    store: SuppliesStore,
) -> None:
    number = approved_chg_order(store)
    with pytest.raises(NotAnApprover, match="only ICU's charge nurses, manager and approvers"):
        receipts.receive_purchase_order(purchase_order_id=number,
                                        caller=FOUR_WEST_CHARGE_NURSE, store=store, clock=CLOCK)
    refusal = store.audit_log()[-1]
    assert (refusal.action, refusal.subject, refusal.outcome) == ("receive", number, "REFUSED")
    assert refusal.actor.slack_user_id == "U_4W_CN"
    assert stock(store) == (20, 72)
    received = receipts.receive_purchase_order(purchase_order_id=number, caller=CHARGE_NURSE,
                                               store=store, clock=CLOCK)
    assert received.order.received_by_name == "Maya Castillo"


def test_a_nurse_without_the_role_may_not_import_receipts_and_nothing_moves(
    store: SuppliesStore,
) -> None:
    number = approved_chg_order(store)
    with pytest.raises(NotAnApprover, match="nothing was written"):
        import_rows(store, (number, "CHG-CLOTH", 72), caller=NURSE)
    assert stock(store) == (20, 72)
    refusal = store.audit_log()[-1]
    assert (refusal.action, refusal.outcome) == ("IMPORT_RECEIPTS", "REFUSED")


def test_the_store_refuses_more_than_a_line_still_expects(store: SuppliesStore) -> None:
    number = approved_chg_order(store)
    order_id = receipts.parse_order_number(number)
    actor = receipts.receiver_of("ICU", CHARGE_NURSE, store)
    assert actor is not None
    with pytest.raises(OverReceipt, match="73 received but only 72 of 72 still expected"):
        store.receive(order_id, actor=actor, at=NOW, quantities={"CHG-CLOTH": 73})
    assert stock(store) == (20, 72)


@pytest.mark.postgres
def test_two_people_receiving_one_order_at_once_move_its_stock_once(
    pg_store: SuppliesStore,
) -> None:
    number = approved_chg_order(pg_store)
    start = threading.Barrier(2)

    def receive(caller) -> object:  # noqa: ANN001
        start.wait()
        try:
            return receipts.receive_purchase_order(purchase_order_id=number, caller=caller,
                                                   store=pg_store, clock=CLOCK)
        except AlreadyReceived as refused:
            return refused

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(receive, (CHARGE_NURSE, MANAGER)))
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyReceived", "Received"]
    assert stock(pg_store) == (92, 0)
