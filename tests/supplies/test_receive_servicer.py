"""ReceivePurchaseOrder and ImportReceipts over real gRPC: stock moves once, partial receipts
keep the order open, and only the unit's charge nurses, manager and approvers may receive."""
# ruff: noqa: F811 — the servicer fixtures are imported from test_servicer and requested by name

from __future__ import annotations

import grpc

from clinops.supplies.v1 import supplies_pb2 as pb
from tests.supplies.supplies_fixtures import (
    CHARGE_NURSE,
    DIRECTOR,
    FOUR_WEST_CHARGE_NURSE,
    MANAGER,
    NURSE,
)
from tests.supplies.test_servicer import (  # noqa: F401 — fixtures
    TIMEOUT,
    channel,
    count,
    decide,
    metadata,
    refused,
    supplies,
)


def receive(stub, number: str, actor, key: str = ""):  # noqa: ANN001, ANN201
    return stub.ReceivePurchaseOrder(pb.ReceivePurchaseOrderRequest(purchase_order_id=number),
                                     timeout=TIMEOUT, metadata=metadata(actor, key))


def approved_order(stub) -> str:  # noqa: ANN001
    proposal_id = count(stub, "CHG-CLOTH", 20).proposal.proposal_id
    return decide(stub, proposal_id, MANAGER, decision=pb.DECISION_APPROVE).purchase_order_id


def test_receiving_an_order_replies_with_what_moved_into_stock(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    received = receive(supplies, number, MANAGER)
    assert received.purchase_order_id == "PO-00001"
    assert received.received_by.display_name == "Denise Okafor"
    [line] = received.lines
    assert (line.sku, line.quantity, line.on_hand, line.on_order) == ("CHG-CLOTH", 72, 92, 0)
    assert (line.ordered, line.outstanding) == (72, 0)


def test_a_retried_receipt_with_the_same_key_answers_the_same_and_moves_stock_once(
    supplies,  # noqa: ANN001
) -> None:
    number = approved_order(supplies)
    first = receive(supplies, number, MANAGER, key="k-receive-1")
    again = receive(supplies, number, MANAGER, key="k-receive-1")
    assert again == first
    assert again.lines[0].on_hand == 92


def test_a_second_receipt_is_refused_naming_who_received_it(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    receive(supplies, number, MANAGER)
    error = refused(lambda: receive(supplies, number, DIRECTOR))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already received by Denise Okafor" in error.details()


def test_a_nurse_cannot_receive_an_order(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    error = refused(lambda: receive(supplies, number, NURSE))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "only ICU's charge nurses, manager and approvers may receive" in error.details()


def test_the_units_charge_nurse_receives_but_another_units_is_refused(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    assert refused(lambda: receive(supplies, number, FOUR_WEST_CHARGE_NURSE)).code() == \
        grpc.StatusCode.PERMISSION_DENIED
    received = receive(supplies, number, CHARGE_NURSE)
    assert received.received_by.display_name == "Maya Castillo"
    assert received.lines[0].on_hand == 92


def test_an_unknown_or_malformed_order_number_is_not_found_or_invalid(supplies) -> None:  # noqa: ANN001
    assert refused(lambda: receive(supplies, "PO-00099", MANAGER)).code() == \
        grpc.StatusCode.NOT_FOUND
    error = refused(lambda: receive(supplies, "soon", MANAGER))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "purchase_order_id" in error.details()


def import_receipts(stub, rows, actor=CHARGE_NURSE, key: str = ""):  # noqa: ANN001, ANN201
    return stub.ImportReceipts(pb.ImportReceiptsRequest(rows=[
        pb.ReceiptRow(purchase_order_id=po, sku=sku, quantity=quantity)
        for po, sku, quantity in rows]), timeout=TIMEOUT, metadata=metadata(actor, key))


def test_a_partial_import_then_receive_takes_in_only_what_is_outstanding(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    answer = import_receipts(supplies, [(number, "CHG-CLOTH", 48)])
    assert answer.rows_written == 1 and not answer.rejected
    [order] = answer.orders
    [line] = order.lines
    assert (line.quantity, line.on_hand, line.on_order, line.ordered, line.outstanding) == (
        48, 68, 24, 72, 24)
    assert order.received_by.display_name == ""  # not received yet: 24 still to come
    rest = receive(supplies, number, CHARGE_NURSE)
    assert (rest.lines[0].quantity, rest.lines[0].on_hand, rest.lines[0].outstanding) == (
        24, 92, 0)
    assert rest.received_by.display_name == "Maya Castillo"


def test_an_import_with_an_over_receipt_or_unknown_order_writes_nothing(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    answer = import_receipts(supplies, [(number, "CHG-CLOTH", 73), ("PO-00099", "CHG-CLOTH", 1),
                                        (number, "CHG-CLOTH", 0)])
    assert answer.rows_written == 0 and not answer.orders
    assert [(r.row_number, r.reason) for r in answer.rejected] == [
        (1, f"over-receipt: {number} CHG-CLOTH expects 72 more (0 of 72 received), this file "
            "brings 73"),
        (2, "no purchase order PO-00099")]
    assert receive(supplies, number, MANAGER).lines[0].quantity == 72  # nothing had moved


def test_a_nurse_without_the_role_is_refused_an_import(supplies) -> None:  # noqa: ANN001
    number = approved_order(supplies)
    error = refused(lambda: import_receipts(supplies, [(number, "CHG-CLOTH", 1)], actor=NURSE))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "nothing was written" in error.details()


def test_a_repeated_import_with_the_same_key_answers_the_same_and_moves_stock_once(
    supplies,  # noqa: ANN001
) -> None:
    number = approved_order(supplies)
    first = import_receipts(supplies, [(number, "CHG-CLOTH", 24)], key="k-dock-1")
    again = import_receipts(supplies, [(number, "CHG-CLOTH", 24)], key="k-dock-1")
    assert again == first
    assert receive(supplies, number, MANAGER).lines[0].quantity == 48


def test_an_empty_import_is_invalid_naming_the_rows(supplies) -> None:  # noqa: ANN001
    error = refused(lambda: import_receipts(supplies, []))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "rows" in error.details()
