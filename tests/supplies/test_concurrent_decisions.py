"""Exactly one decision and one purchase order under real concurrency, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from clinops.clock import fixed_clock
from services.supplies import usecases
from services.supplies.errors import AlreadyDecided
from services.supplies.model import Decision, Proposal, ProposalState
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import DIRECTOR, MANAGER, NOW

THREADS = 8
pytestmark = pytest.mark.postgres


def _open_proposal(store: SuppliesStore) -> str:
    result = usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=20, caller=MANAGER,
                                   store=store, clock=fixed_clock(NOW))
    assert result.proposal is not None
    return result.proposal.reference


def _all_at_once(calls: list[Callable[[], Proposal]]) -> list[Proposal | Exception]:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Proposal]) -> Proposal | Exception:
        start.wait()
        try:
            return call()
        except AlreadyDecided as refused:
            return refused

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_approvers_yield_one_decision_and_one_order(pg_store: SuppliesStore) -> None:
    reference = _open_proposal(pg_store)

    def approve(caller, key):  # noqa: ANN001, ANN202
        return lambda: usecases.decide_proposal(
            proposal_id=reference, decision=Decision.APPROVE, caller=caller,
            idempotency_key=key, store=pg_store, clock=fixed_clock(NOW))

    # Double clicks by the manager (each click its own key) and the director at the same time.
    calls = [approve(MANAGER if n % 2 else DIRECTOR, f"click-{n}") for n in range(THREADS)]
    results = _all_at_once(calls)
    approved = [r for r in results if isinstance(r, Proposal)]
    refused = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(approved) == 1 and len(refused) == THREADS - 1
    winner = approved[0].decided_by.display_name
    assert all(f"already approved by {winner}" in str(r) for r in refused)
    [proposal] = pg_store.list_proposals("ICU")
    assert proposal.state is ProposalState.APPROVED
    assert len(pg_store.purchase_orders()) == 1
    finals = [d for d in pg_store.decisions(proposal.proposal_id) if d[1] == "APPROVED"]
    assert len(finals) == 1
    assert pg_store.get_stock("ICU", "CHG-CLOTH").on_order == 72


def test_a_retried_call_with_the_same_key_returns_the_first_result(
    pg_store: SuppliesStore,
) -> None:
    reference = _open_proposal(pg_store)
    calls = [
        lambda: usecases.decide_proposal(
            proposal_id=reference, decision=Decision.APPROVE, caller=MANAGER,
            idempotency_key="slack-action-123", store=pg_store, clock=fixed_clock(NOW))
        for _ in range(THREADS)
    ]
    results = _all_at_once(calls)
    assert all(isinstance(r, Proposal) for r in results), results
    assert {r.purchase_order_id for r in results} == {pg_store.purchase_orders()[0].number}
    assert len(pg_store.purchase_orders()) == 1
    assert len(pg_store.decisions(results[0].proposal_id)) == 1
