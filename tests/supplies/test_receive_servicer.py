"""ReceivePurchaseOrder over real gRPC: stock moves once, by the unit's approvers only."""
# ruff: noqa: F811 — the servicer fixtures are imported from test_servicer and requested by name

from __future__ import annotations

import grpc

from clinops.supplies.v1 import supplies_pb2 as pb
from tests.supplies.supplies_fixtures import DIRECTOR, MANAGER, NURSE
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
    assert refused(lambda: receive(supplies, number, NURSE)).code() == \
        grpc.StatusCode.PERMISSION_DENIED


def test_an_unknown_or_malformed_order_number_is_not_found_or_invalid(supplies) -> None:  # noqa: ANN001
    assert refused(lambda: receive(supplies, "PO-00099", MANAGER)).code() == \
        grpc.StatusCode.NOT_FOUND
    error = refused(lambda: receive(supplies, "soon", MANAGER))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "purchase_order_id" in error.details()
