"""Approved purchase orders: handed off once, off the request path, and received into stock."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from clinops.clock import fixed_clock
from services.supplies import receipts, usecases
from services.supplies.errors import AlreadyReceived, InvalidInput, NotAnApprover
from services.supplies.handoff import Backoff, hand_off_orders
from services.supplies.model import Decision, Proposal
from services.supplies.orders import FolderOutlet, OrderOutlet, WebhookOutlet
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import DIRECTOR, MANAGER, NOW, NURSE

CLOCK = fixed_clock(NOW)
LEASE = timedelta(seconds=120)


def approve_chg_order(store: SuppliesStore) -> Proposal:
    """Count CHG cloths at 20 (below its reorder point of 30) and approve the proposal."""
    counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=20, caller=MANAGER,
                                    store=store, clock=CLOCK)
    assert counted.proposal is not None
    return usecases.decide_proposal(proposal_id=counted.proposal.reference,
                                    decision=Decision.APPROVE, caller=MANAGER, store=store,
                                    clock=CLOCK)


def hand_off(store: SuppliesStore, outlet: OrderOutlet, *, at=NOW, claimant: str = "me"):  # noqa: ANN001, ANN201
    return hand_off_orders(store=store, clock=fixed_clock(at), outlet=outlet, claimant=claimant,
                           lease=LEASE, backoff=Backoff(10, 900))


def failures() -> float:
    return REGISTRY.get_sample_value("clinops_order_hand_offs_total",
                                     {"outcome": "failed"}) or 0.0


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
    approved = approve_chg_order(store)
    path = tmp_path / "purchase-orders" / f"{approved.purchase_order_id}.json"
    assert not path.exists()  # the approval itself hands nothing off
    assert hand_off(store, folder).sent == (approved.purchase_order_id,)
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
    # A later pass finds nothing left to hand off: the file is not rewritten.
    path.unlink()
    assert hand_off(store, folder).sent == ()
    assert not path.exists()
    assert store.purchase_orders(approved.proposal_id)[0].handed_off_at == NOW
    entry = store.audit_log()[-1]
    assert (entry.action, entry.subject, entry.outcome) == (
        "hand_off", approved.purchase_order_id, "SENT")


def test_a_failed_hand_off_is_counted_and_retried_only_after_its_backoff(
    store: SuppliesStore, tmp_path: Path,
) -> None:
    failing = FailingOutlet()
    approved = approve_chg_order(store)
    counted = failures()
    assert hand_off(store, failing).failed == (approved.purchase_order_id,)
    assert failures() == counted + 1
    [order] = store.purchase_orders(approved.proposal_id)
    assert order.handed_off_at is None and order.hand_off_attempts == 1
    # Retried 10 s later, not before; the second failure waits 20 s.
    assert hand_off(store, failing, at=NOW + timedelta(seconds=9)) == hand_off(store, failing,
                                                                              at=NOW)
    assert failing.attempts == 1
    hand_off(store, failing, at=NOW + timedelta(seconds=10))
    assert failing.attempts == 2
    folder = FolderOutlet(tmp_path)
    assert hand_off(store, folder, at=NOW + timedelta(seconds=29)).sent == ()
    assert hand_off(store, folder, at=NOW + timedelta(seconds=30)).sent == (
        approved.purchase_order_id,)
    assert (tmp_path / f"{approved.purchase_order_id}.json").exists()


def test_the_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff(10, 60)
    assert [backoff.after(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


def test_a_claim_held_by_another_process_is_left_alone_until_its_lease_expires(
    store: SuppliesStore, tmp_path: Path,
) -> None:
    approved = approve_chg_order(store)
    [order] = store.purchase_orders(approved.proposal_id)
    order_id = int(order.number.removeprefix("PO-"))
    # A process claimed the order and died before handing it off.
    assert store.claim_hand_off(order_id, claimant="dead", now=NOW, until=NOW + LEASE)
    folder = FolderOutlet(tmp_path)
    assert hand_off(store, folder, at=NOW + LEASE - timedelta(seconds=1)).sent == ()
    assert not (tmp_path / f"{order.number}.json").exists()
    # Once the lease has run out another process takes the claim over and hands it off.
    assert hand_off(store, folder, at=NOW + LEASE).sent == (order.number,)
    assert store.purchase_orders(approved.proposal_id)[0].handed_off_at == NOW + LEASE


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict, str]], list[int]]]:
    """A tiny local HTTP server that records each POSTed order and its Idempotency-Key, and
    answers with the status at the head of `answers` (201 once it is empty)."""
    received: list[tuple[dict, str]] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append((json.loads(self.rfile.read(length)),
                             self.headers.get("Idempotency-Key", "")))
            self.send_response(answers.pop(0) if answers else 201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/orders", received, answers
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_an_approved_order_is_posted_once_to_the_configured_webhook_with_its_number_as_key(
    store: SuppliesStore, webhook: tuple[str, list[tuple[dict, str]], list[int]],
) -> None:
    url, received, _ = webhook
    outlet = WebhookOutlet(url, timeout_seconds=5)
    approved = approve_chg_order(store)
    hand_off(store, outlet)
    hand_off(store, outlet, at=NOW + timedelta(hours=1))
    assert [(d["number"], key) for d, key in received] == [
        (approved.purchase_order_id, approved.purchase_order_id)]
    assert received[0][0]["approved_by"] == "Denise Okafor"


def test_a_webhook_failure_is_logged_without_the_url_and_its_token(
    store: SuppliesStore, webhook: tuple[str, list[tuple[dict, str]], list[int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, received, answers = webhook
    outlet = WebhookOutlet(f"{url}?token=s3cr3t-t0ken", timeout_seconds=5)
    approved = approve_chg_order(store)
    answers.append(503)
    with caplog.at_level(logging.INFO):
        assert hand_off(store, outlet).failed == (approved.purchase_order_id,)
        assert hand_off(store, outlet, at=NOW + timedelta(seconds=10)).sent == (
            approved.purchase_order_id,)
    assert len(received) == 2
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert approved.purchase_order_id in warning.getMessage()
    assert "HTTPError 503" in warning.getMessage()
    assert "s3cr3t" not in caplog.text and "127.0.0.1" not in caplog.text
    # The audit log names where it went without the path and query either.
    sent = store.audit_log()[-1]
    assert sent.outcome == "SENT" and "s3cr3t" not in sent.detail
    assert sent.detail.startswith("webhook http://127.0.0.1:")


def test_receiving_an_order_moves_on_order_to_on_hand_and_is_audited(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    ordered = store.purchase_orders(approved.proposal_id)[0].lines[0].quantity
    before = store.get_stock("ICU", "CHG-CLOTH")
    received = receipts.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                               caller=DIRECTOR, store=store, clock=CLOCK)
    after = store.get_stock("ICU", "CHG-CLOTH")
    assert received.order.received_by_name == "Harold Jimenez"
    assert received.moved == {"CHG-CLOTH": ordered}
    assert after.on_hand == before.on_hand + ordered
    assert after.on_order == before.on_order - ordered
    entry = store.audit_log()[-1]
    assert (entry.action, entry.subject, entry.outcome) == (
        "receive", approved.purchase_order_id, "RECEIVED")


def test_an_order_received_twice_is_refused_naming_who_received_it(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    receipts.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                    caller=MANAGER, store=store, clock=CLOCK)
    on_hand = store.get_stock("ICU", "CHG-CLOTH").on_hand
    with pytest.raises(AlreadyReceived, match="already received by Denise Okafor"):
        receipts.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                        caller=DIRECTOR, store=store, clock=CLOCK)
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == on_hand


def test_a_nurse_who_is_neither_approver_nor_receiver_cannot_receive_and_is_audited(
    store: SuppliesStore,
) -> None:
    approved = approve_chg_order(store)
    before = store.get_stock("ICU", "CHG-CLOTH")
    with pytest.raises(NotAnApprover):
        receipts.receive_purchase_order(purchase_order_id=approved.purchase_order_id,
                                        caller=NURSE, store=store, clock=CLOCK)
    assert store.get_stock("ICU", "CHG-CLOTH") == before
    assert store.audit_log()[-1].outcome == "REFUSED"


def test_a_malformed_order_number_is_invalid_naming_the_field(store: SuppliesStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        receipts.receive_purchase_order(purchase_order_id="RP-1", caller=MANAGER, store=store,
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


def test_a_hand_off_lease_no_longer_than_the_webhook_timeout_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from services.supplies.config import SuppliesSettings

    monkeypatch.setenv("CLINOPS_SUPPLIES_ORDER_WEBHOOK_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("CLINOPS_SUPPLIES_ORDER_HAND_OFF_LEASE_SECONDS", "30")
    with pytest.raises(ValidationError, match="LEASE_SECONDS must be longer"):
        SuppliesSettings()
    monkeypatch.setenv("CLINOPS_SUPPLIES_ORDER_HAND_OFF_LEASE_SECONDS", "31")
    assert SuppliesSettings().order_hand_off_lease_seconds == 31
