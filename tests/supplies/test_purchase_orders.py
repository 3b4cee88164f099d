"""Approved purchase orders: handed off once after the approval, and received once into stock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from clinops.clock import fixed_clock
from services.supplies import usecases
from services.supplies.errors import AlreadyReceived, InvalidInput, NotAnApprover
from services.supplies.model import Decision, Proposal
from services.supplies.orders import FolderOutlet, OrderOutlet, WebhookOutlet
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import DIRECTOR, MANAGER, NOW, NURSE

CLOCK = fixed_clock(NOW)


def approve_chg_order(store: SuppliesStore, outlet: OrderOutlet | None = None) -> Proposal:
    """Count CHG cloths at 20 (below its reorder point of 30) and approve the proposal."""
    counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=20, caller=MANAGER,
                                    store=store, clock=CLOCK)
    assert counted.proposal is not None
    return usecases.decide_proposal(proposal_id=counted.proposal.reference,
                                    decision=Decision.APPROVE, caller=MANAGER, store=store,
                                    clock=CLOCK, outlet=outlet)


class FailingOutlet:
    def __init__(self) -> None:
        self.attempts = 0

    def hand_off(self, order: object) -> str:
        self.attempts += 1
        raise OSError("supplier portal down")


def test_approval_raises_on_order_by_the_ordered_quantity(store: SuppliesStore) -> None:
    before = store.get_stock("ICU", "CHG-CLOTH")
    approved = approve_chg_order(store)
    order = store.purchase_orders(approved.proposal_id)[0]
    after = store.get_stock("ICU", "CHG-CLOTH")
    assert after.on_order == before.on_order + order.lines[0].quantity
    assert after.on_hand == 20


def test_an_approved_order_is_written_once_as_a_json_file_named_after_its_number(
    store: SuppliesStore, tmp_path: Path,
) -> None:
    folder = FolderOutlet(tmp_path / "purchase-orders")
    approved = approve_chg_order(store, folder)
    path = tmp_path / "purchase-orders" / f"{approved.purchase_order_id}.json"
    document = json.loads(path.read_text())
    line = document["lines"][0]
    assert document["number"] == approved.purchase_order_id
    assert document["unit"] == "ICU"
    assert document["supplier"] == "Medline"
    assert (line["sku"], line["name"], line["pack_size"]) == (
        "CHG-CLOTH", "CHG bathing cloths", 24)
    assert line["unit_cost"] == "7.25"
    assert line["line_cost"] == f"{line['quantity'] * 7.25:.2f}"
    assert document["total"] == line["line_cost"]
    assert document["approved_by"] == "Denise Okafor"
    assert document["approved_at"] == NOW.isoformat()
    # A later scan finds nothing left to hand off: the file is not rewritten.
    path.unlink()
    usecases.scan_reorders(store=store, clock=CLOCK, outlet=folder)
    assert not path.exists()
    assert store.purchase_orders(approved.proposal_id)[0].handed_off_at == NOW


def test_a_failed_hand_off_leaves_the_approval_standing_and_the_next_scan_retries_it(
    store: SuppliesStore, tmp_path: Path,
) -> None:
    failing = FailingOutlet()
    approved = approve_chg_order(store, failing)
    assert failing.attempts == 1
    assert approved.purchase_order_id
    assert store.purchase_orders(approved.proposal_id)[0].handed_off_at is None
    usecases.scan_reorders(store=store, clock=CLOCK, outlet=FolderOutlet(tmp_path))
    assert (tmp_path / f"{approved.purchase_order_id}.json").exists()
    assert store.purchase_orders(approved.proposal_id)[0].handed_off_at == NOW


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A tiny local HTTP server that records each POSTed order."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/orders", received
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_an_approved_order_is_posted_once_to_the_configured_webhook(
    store: SuppliesStore, webhook: tuple[str, list[dict]],
) -> None:
    url, received = webhook
    outlet = WebhookOutlet(url, timeout_seconds=5)
    approved = approve_chg_order(store, outlet)
    usecases.scan_reorders(store=store, clock=CLOCK, outlet=outlet)
    assert [d["number"] for d in received] == [approved.purchase_order_id]
    assert received[0]["approved_by"] == "Denise Okafor"


def test_receiving_an_order_moves_on_order_to_on_hand_and_is_audited(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    ordered = store.purchase_orders(approved.proposal_id)[0].lines[0].quantity
    before = store.get_stock("ICU", "CHG-CLOTH")
    received = usecases.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                               caller=DIRECTOR, store=store, clock=CLOCK)
    after = store.get_stock("ICU", "CHG-CLOTH")
    assert received.received_by_name == "Harold Jimenez"
    assert after.on_hand == before.on_hand + ordered
    assert after.on_order == before.on_order - ordered
    entry = store.audit_log()[-1]
    assert (entry.action, entry.subject, entry.outcome) == (
        "receive", approved.purchase_order_id, "RECEIVED")


def test_an_order_received_twice_is_refused_naming_who_received_it(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    usecases.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                    caller=MANAGER, store=store, clock=CLOCK)
    on_hand = store.get_stock("ICU", "CHG-CLOTH").on_hand
    with pytest.raises(AlreadyReceived, match="already received by Denise Okafor"):
        usecases.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                        caller=DIRECTOR, store=store, clock=CLOCK)
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == on_hand


def test_a_nurse_who_is_not_an_approver_cannot_receive_and_the_attempt_is_audited(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    before = store.get_stock("ICU", "CHG-CLOTH")
    with pytest.raises(NotAnApprover):
        usecases.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                        caller=NURSE, store=store, clock=CLOCK)
    assert store.get_stock("ICU", "CHG-CLOTH") == before
    assert store.audit_log()[-1].outcome == "REFUSED"


def test_a_malformed_order_number_is_invalid_naming_the_field(store: SuppliesStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        usecases.receive_purchase_order(purchase_order_id="RP-1", caller=MANAGER, store=store,
                                        clock=CLOCK)
    assert "purchase_order_id" in refused.value.violations


def test_the_folder_is_the_default_outlet_and_a_webhook_url_replaces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.supplies.config import SuppliesSettings
    from services.supplies.orders import outlet_from_settings

    def outlet() -> OrderOutlet:
        settings = SuppliesSettings()
        return outlet_from_settings(orders_dir=settings.orders_dir,
                                    webhook_url=settings.order_webhook_url,
                                    timeout_seconds=settings.order_webhook_timeout_seconds)

    monkeypatch.delenv("CLINOPS_SUPPLIES_ORDER_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("CLINOPS_SUPPLIES_ORDERS_DIR", raising=False)
    default = outlet()
    assert isinstance(default, FolderOutlet)
    assert default.folder == Path("data/purchase-orders")
    monkeypatch.setenv("CLINOPS_SUPPLIES_ORDER_WEBHOOK_URL", "http://127.0.0.1:9/orders")
    assert isinstance(outlet(), WebhookOutlet)
