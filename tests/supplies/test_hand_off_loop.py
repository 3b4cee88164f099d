"""The order hand-off thread: the approval answers while a slow webhook is still busy, and two
supplies processes on one PostgreSQL database hand each order off exactly once."""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

from clinops.clock import fixed_clock
from clinops.supplies.v1 import supplies_pb2 as pb
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies import receipts, usecases
from services.supplies.handoff import OrderHandOff
from services.supplies.model import Decision
from services.supplies.orders import WebhookOutlet
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import CHARGE_NURSE, MANAGER, NOW
from tests.supplies.test_servicer import metadata

CLOCK = fixed_clock(NOW)
BOT_DEADLINE_SECONDS = 2.0  # CLINOPS_RPC_DEADLINE_SECONDS: what the bot gives every call
WAIT_SECONDS = 10.0


@dataclass
class Webhook:
    """A supplier endpoint on loopback: records (order number, Idempotency-Key) of each POST and
    runs `on_post` (which may block) before answering 201."""

    url: str = ""
    posts: list[tuple[str, str]] = field(default_factory=list)
    on_post: Callable[[int], None] = lambda n: None
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            order = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                hook.posts.append((order["number"], self.headers.get("Idempotency-Key", "")))
                n = len(hook.posts)
            hook.arrived.set()
            hook.on_post(n)
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/orders"
    yield hook
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def until(condition: Callable[[], bool]) -> bool:
    """Wait (bounded) for something another thread does."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_approval_answers_within_the_bots_deadline_while_the_webhook_is_still_busy(
    store: SuppliesStore, webhook: Webhook,
) -> None:
    release = threading.Event()
    webhook.on_post = lambda n: release.wait(WAIT_SECONDS)  # a supplier taking its time
    # The webhook may take up to 30 s, far beyond the bot's 2 s deadline.
    hand_off = OrderHandOff(store=store, outlet=WebhookOutlet(webhook.url,
                                                                      timeout_seconds=30),
                            clock=CLOCK, poll_seconds=60).start()
    server, port = create_server(store=store, clock=CLOCK, hand_off=hand_off)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = supplies_pb2_grpc.SuppliesServiceStub(channel)
            counted = stub.RecordCount(pb.RecordCountRequest(unit_id="ICU", sku="CHG-CLOTH",
                                                             quantity=20),
                                       timeout=BOT_DEADLINE_SECONDS,
                                       metadata=metadata(CHARGE_NURSE))
            approved = stub.DecideProposal(
                pb.DecideProposalRequest(proposal_id=counted.proposal.proposal_id,
                                         decision=pb.DECISION_APPROVE),
                timeout=BOT_DEADLINE_SECONDS, metadata=metadata(MANAGER)).proposal
        assert approved.state == pb.PROPOSAL_STATE_APPROVED
        assert not release.is_set()
        # The approval woke the hand-off thread (no poll for 60 s): the POST is under way...
        assert webhook.arrived.wait(WAIT_SECONDS)
        [order] = store.purchase_orders(pending_hand_off=True)
        assert order.number == approved.purchase_order_id
        # ...and recorded once the supplier answers.
        release.set()
        assert until(lambda: not store.purchase_orders(pending_hand_off=True))
        assert webhook.posts == [(approved.purchase_order_id, approved.purchase_order_id)]
    finally:
        release.set()
        server.stop(None)
        hand_off.stop()


def approve_orders(store: SuppliesStore, count: int) -> list[str]:
    """`count` approved CHG orders (each received, so the next count proposes again)."""
    numbers = []
    for _ in range(count):
        counted = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=20,
                                        caller=MANAGER, store=store, clock=CLOCK)
        assert counted.proposal is not None
        number = usecases.decide_proposal(proposal_id=counted.proposal.reference,
                                          decision=Decision.APPROVE, caller=MANAGER,
                                          store=store, clock=CLOCK).purchase_order_id
        receipts.receive_purchase_order(purchase_order_id=number, caller=MANAGER, store=store,
                                        clock=CLOCK)
        numbers.append(number)
    return numbers


@pytest.mark.postgres
def test_two_supplies_processes_on_one_postgresql_hand_each_order_off_exactly_once(
    pg_store: SuppliesStore, webhook: Webhook,
) -> None:
    numbers = approve_orders(pg_store, 8)
    both_busy = threading.Event()
    # The first POST waits for a second one: both processes are handing off at the same time.
    webhook.on_post = lambda n: both_busy.wait(WAIT_SECONDS) if n == 1 else both_busy.set()
    url = pg_store.engine.url.render_as_string(hide_password=False)
    other_store = SuppliesStore.open(url)  # the second process's own connection pool
    loops = [OrderHandOff(store=store, outlet=WebhookOutlet(webhook.url, timeout_seconds=30),
                          clock=CLOCK, lease=timedelta(seconds=120), claimant=name)
             for store, name in ((pg_store, "process-a"), (other_store, "process-b"))]
    start = threading.Barrier(2)
    sent: dict[str, list[str]] = {}

    def run(loop: OrderHandOff) -> None:
        start.wait()
        mine: list[str] = []
        for _ in range(20):
            mine += loop.hand_off_pending().sent
        sent[loop.claimant] = mine

    try:
        threads = [threading.Thread(target=run, args=(loop,)) for loop in loops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        other_store.close()
    assert both_busy.is_set()
    posted = collections.Counter(number for number, _ in webhook.posts)
    assert posted == collections.Counter(numbers)  # every order once, none twice
    assert all(key == number for number, key in webhook.posts)
    assert sorted(sent["process-a"] + sent["process-b"]) == sorted(numbers)
    assert sent["process-a"] and sent["process-b"]
    assert not pg_store.purchase_orders(pending_hand_off=True)
    hand_offs = [e for e in pg_store.audit_log() if e.action == "hand_off"]
    assert sorted(e.subject for e in hand_offs) == sorted(numbers)
