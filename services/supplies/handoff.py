"""Handing approved purchase orders to the outlet, off the approval's request path.

A thread of the supplies process (`clinops serve supplies`) looks for orders not yet handed off,
claims each in the database, hands it to the outlet (a file, or a webhook POST that may take
seconds) and records it. The approval RPC only wakes the thread: it answers without waiting.

At most one hand-off across processes: the claim is a conditional UPDATE with a lease (works on
SQLite and PostgreSQL alike), so of two supplies processes one wins each order; a claim held by a
process that died expires after the lease and another takes it over. A crash after the supplier
accepted but before `handed_off_at` was recorded sends the order again: the folder rewrites the
same file, and a webhook sees the same Idempotency-Key (the order number).

A failed hand-off is retried with exponential backoff; each failure is logged (the order number
and the error's kind, never the webhook URL, which may carry a token) and counted in
clinops_order_hand_offs_total{outcome="failed"}.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from clinops.clock import Clock
from clinops.metrics import ORDER_HAND_OFFS
from services.supplies.model import Actor
from services.supplies.orders import OrderOutlet
from services.supplies.store import AuditEntry, SuppliesStore

log = logging.getLogger(__name__)
HAND_OFF_ACTOR = Actor(staff_id="supplies-hand-off", display_name="order hand-off")


@dataclass(frozen=True)
class Backoff:
    """Seconds before retry n (1-based): first, doubling, never more than `most`."""

    first_seconds: float = 10.0
    most_seconds: float = 900.0

    def after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.first_seconds * 2 ** max(attempts - 1, 0),
                                     self.most_seconds))


@dataclass(frozen=True)
class HandOffPass:
    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def default_claimant() -> str:
    """This process, recognisably: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hand_off_orders(*, store: SuppliesStore, clock: Clock, outlet: OrderOutlet, claimant: str,
                    lease: timedelta, backoff: Backoff = Backoff(),
                    limit: int = 50) -> HandOffPass:
    """One pass: claim, hand off and record every order that is due; failures wait their turn."""
    sent: list[str] = []
    failed: list[str] = []
    for order_id in store.orders_due_for_hand_off(now=clock(), limit=limit):
        now = clock()
        if not store.claim_hand_off(order_id, claimant=claimant, now=now, until=now + lease):
            continue  # another process has it
        order = store.get_purchase_order(order_id)
        try:
            where = outlet.hand_off(order)
        except Exception as error:  # noqa: BLE001 — any outlet failure is retried later
            attempts = order.hand_off_attempts + 1
            delay = backoff.after(attempts)
            store.release_hand_off(order_id, claimant=claimant, retry_at=clock() + delay)
            ORDER_HAND_OFFS.labels("failed").inc()
            log.warning("purchase order %s not handed off (attempt %d: %s); retried in %ds",
                        order.number, attempts, _kind(error), delay.total_seconds())
            failed.append(order.number)
            continue
        at = clock()
        store.record_hand_off(order_id, at=at, audit=AuditEntry(
            at, HAND_OFF_ACTOR, "hand_off", order.number, "SENT", where))
        ORDER_HAND_OFFS.labels("sent").inc()
        sent.append(order.number)
    return HandOffPass(tuple(sent), tuple(failed))


def _kind(error: BaseException) -> str:
    """The error's kind and, for an HTTP answer, its status: nothing that could hold the URL."""
    status = getattr(error, "code", None)
    return f"{type(error).__name__} {status}" if isinstance(status, int) else \
        type(error).__name__


@dataclass
class OrderHandOff:
    """The supplies process's hand-off thread: a pass every `poll_seconds`, or when woken."""

    store: SuppliesStore
    outlet: OrderOutlet
    clock: Clock
    lease: timedelta = timedelta(seconds=120)
    backoff: Backoff = field(default_factory=Backoff)
    poll_seconds: float = 5.0
    claimant: str = field(default_factory=default_claimant)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def hand_off_pending(self) -> HandOffPass:
        return hand_off_orders(store=self.store, clock=self.clock, outlet=self.outlet,
                               claimant=self.claimant, lease=self.lease, backoff=self.backoff)

    def wake(self) -> None:
        """An order was approved: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> OrderHandOff:
        self._thread = threading.Thread(target=self._run, name="order-hand-off", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.hand_off_pending()
            except Exception:  # noqa: BLE001 — a database blip must not end the thread
                log.exception("order hand-off pass failed; retrying")
            self._wake.wait(self.poll_seconds)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
