"""Reorder alerts are neither lost nor repeated, and decisions say what they covered.

Through the use cases on SQLite and PostgreSQL: a line withdrawn and then due again comes back
on the still-open proposal; a rejection holds until the position changes or its snooze ends;
the audit log names the items and quantities an approval or rejection decided.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clinops.clock import fixed_clock
from services.supplies import usecases
from services.supplies.errors import InvalidInput
from services.supplies.model import Decision, Proposal, ProposalState
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import MANAGER, NOW

CLOCK = fixed_clock(NOW)


def count(store: SuppliesStore, sku: str, quantity: int) -> Proposal | None:
    return usecases.record_count(unit_id="ICU", sku=sku, quantity=quantity, caller=MANAGER,
                                 store=store, clock=CLOCK).proposal


def decide(store: SuppliesStore, proposal: Proposal, decision: Decision,
           reason: str = "") -> Proposal:
    return usecases.decide_proposal(proposal_id=proposal.reference, decision=decision,
                                    reason=reason, caller=MANAGER, store=store, clock=CLOCK)


def test_a_line_withdrawn_and_then_due_again_comes_back_on_the_open_proposal(
    store: SuppliesStore,
) -> None:
    opened = count(store, "CHG-CLOTH", 20)
    assert opened is not None
    assert count(store, "GLOVE-NIT-M", 0) is not None  # the same open proposal, two lines
    assert count(store, "CHG-CLOTH", 70) is None  # recovered above 30: its line is withdrawn
    assert [line.sku for line in store.get_proposal(opened.proposal_id).lines] == [
        "GLOVE-NIT-M"]
    again = count(store, "CHG-CLOTH", 10)  # at or below reorder point again, still undecided
    assert again is not None and again.proposal_id == opened.proposal_id
    lines = {line.sku: line for line in again.lines}
    assert sorted(lines) == ["CHG-CLOTH", "GLOVE-NIT-M"]
    # Fresh figures: from 10 back to par 80 is 70, in whole packs of 24 that is 72.
    assert (lines["CHG-CLOTH"].inventory_position, lines["CHG-CLOTH"].quantity) == (10, 72)
    [short] = [level for level in usecases.get_stock_status(unit_id="ICU", store=store,
                                                            clock=CLOCK)
               if level.stock.sku == "CHG-CLOTH"]
    assert short.at_or_below_reorder_point
    approved = decide(store, again, Decision.APPROVE)
    [order] = store.purchase_orders(approved.proposal_id)
    assert {line.sku: line.quantity for line in order.lines} == {"CHG-CLOTH": 72,
                                                                "GLOVE-NIT-M": 30}


def test_the_approval_audit_row_names_each_item_and_quantity_ordered(
    store: SuppliesStore,
) -> None:
    count(store, "CHG-CLOTH", 20)
    proposal = count(store, "GLOVE-NIT-M", 0)
    assert proposal is not None
    decide(store, proposal, Decision.APPROVE)
    [approval] = [e for e in store.audit_log() if e.action == "APPROVE"]
    assert approval.outcome == "APPROVED"
    assert approval.detail == ("PO-00001: CHG-CLOTH x72 (CHG bathing cloths), "
                               "GLOVE-NIT-M x30 (Nitrile gloves M)")


def test_the_rejection_audit_row_names_each_item_and_quantity_turned_down(
    store: SuppliesStore,
) -> None:
    proposal = count(store, "CHG-CLOTH", 20)
    assert proposal is not None
    rejected = decide(store, proposal, Decision.REJECT, reason="cart coming from central")
    assert rejected.state is ProposalState.REJECTED
    [rejection] = [e for e in store.audit_log() if e.action == "REJECT"]
    assert rejection.detail.startswith(
        "CHG-CLOTH x72 (CHG bathing cloths); reason: cart coming from central")


def scan(store: SuppliesStore, now: datetime = NOW) -> list[str]:
    """The hourly scan: which SKUs it proposed."""
    return [line.sku for proposal in usecases.scan_reorders(store=store, clock=fixed_clock(now))
            for line in proposal.lines]


def test_a_rejection_holds_through_the_hourly_scans_while_stock_is_unchanged(
    store: SuppliesStore,
) -> None:
    proposal = count(store, "CHG-CLOTH", 20)
    assert proposal is not None
    rejected = decide(store, proposal, Decision.REJECT, reason="cart coming from central")
    # The default snooze is a week, and the proposal says until when.
    assert rejected.held_until == NOW + timedelta(days=7)
    for hours in (1, 2, 24, 6 * 24 + 23):
        assert scan(store, NOW + timedelta(hours=hours)) == []
    assert scan(store, NOW + timedelta(days=7)) == ["CHG-CLOTH"]


def test_a_new_count_that_moves_the_position_ends_the_hold(store: SuppliesStore) -> None:
    proposal = count(store, "CHG-CLOTH", 20)
    assert proposal is not None
    decide(store, proposal, Decision.REJECT, reason="cart coming from central")
    assert count(store, "CHG-CLOTH", 20) is None  # counted again, nothing changed: still held
    assert scan(store) == []
    again = count(store, "CHG-CLOTH", 12)  # the cart never came: stock fell further
    assert again is not None and again.proposal_id != proposal.proposal_id
    assert [line.sku for line in again.lines] == ["CHG-CLOTH"]


def test_the_manager_picks_how_long_a_rejection_holds(store: SuppliesStore) -> None:
    proposal = count(store, "CHG-CLOTH", 20)
    assert proposal is not None
    rejected = usecases.decide_proposal(
        proposal_id=proposal.reference, decision=Decision.REJECT, reason="cart on Monday",
        snooze_days=2, caller=MANAGER, store=store, clock=CLOCK)
    assert rejected.held_until == NOW + timedelta(days=2)
    assert scan(store, NOW + timedelta(days=2) - timedelta(minutes=1)) == []
    assert scan(store, NOW + timedelta(days=2)) == ["CHG-CLOTH"]


@pytest.mark.parametrize(("decision", "snooze_days", "why"), [
    (Decision.REJECT, 91, "1-90 days"),
    (Decision.REJECT, -1, "1-90 days"),
    (Decision.APPROVE, 3, "only with a rejection"),
])
def test_a_snooze_out_of_range_or_without_a_rejection_names_the_field(
    store: SuppliesStore, decision: Decision, snooze_days: int, why: str,
) -> None:
    proposal = count(store, "CHG-CLOTH", 20)
    assert proposal is not None
    with pytest.raises(InvalidInput) as refused:
        usecases.decide_proposal(proposal_id=proposal.reference, decision=decision,
                                 reason="no", snooze_days=snooze_days, caller=MANAGER,
                                 store=store, clock=CLOCK)
    assert refused.value.violations == {"snooze_days": why}
    assert store.get_proposal(proposal.proposal_id).state is ProposalState.OPEN
