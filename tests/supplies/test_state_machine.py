"""The reorder proposal's state machine, through the use cases, on SQLite and PostgreSQL.

open → approved | rejected | escalated → approved; edit keeps the state; withdrawn when stock
recovers before a decision. A decided proposal is never decided again, a rejection needs a
reason, and only the unit's approvers decide — each refusal names why and changes nothing.
"""

from __future__ import annotations

import pytest

from clinops.clock import fixed_clock
from services.supplies import usecases
from services.supplies.errors import AlreadyDecided, InvalidInput, NotAnApprover
from services.supplies.model import Actor, Decision, Proposal, ProposalState
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import DIRECTOR, MANAGER, NOW, NURSE

CLOCK = fixed_clock(NOW)


def open_proposal(store: SuppliesStore, sku: str = "CHG-CLOTH", quantity: int = 20) -> Proposal:
    """A count at or below the reorder point opens the unit's proposal."""
    result = usecases.record_count(unit_id="ICU", sku=sku, quantity=quantity, caller=MANAGER,
                                   store=store, clock=CLOCK)
    assert result.proposal is not None
    assert result.proposal.state is ProposalState.OPEN
    return result.proposal


def decide(store: SuppliesStore, proposal: Proposal, decision: Decision, *,
           caller: Actor = MANAGER, reason: str = "",
           edits: tuple[tuple[str, int], ...] = ()) -> Proposal:
    return usecases.decide_proposal(proposal_id=proposal.reference, decision=decision,
                                    reason=reason, edits=edits, caller=caller, store=store,
                                    clock=CLOCK)


def state_of(store: SuppliesStore, proposal: Proposal) -> ProposalState:
    return store.get_proposal(proposal.proposal_id).state


# ---- every transition ----------------------------------------------------------------------

def test_an_open_proposal_within_the_managers_limit_is_approved_with_one_order(
    store: SuppliesStore,
) -> None:
    proposal = open_proposal(store)
    approved = decide(store, proposal, Decision.APPROVE)
    assert approved.state is ProposalState.APPROVED
    assert approved.decided_by.display_name == "Denise Okafor"
    assert approved.purchase_order_id
    assert len(store.purchase_orders(proposal.proposal_id)) == 1
    assert state_of(store, proposal) is ProposalState.APPROVED


def test_an_open_proposal_is_rejected_with_its_reason_and_no_order(store: SuppliesStore) -> None:
    proposal = open_proposal(store)
    rejected = decide(store, proposal, Decision.REJECT, reason="par is being lowered")
    assert rejected.state is ProposalState.REJECTED
    assert rejected.rejection_reason == "par is being lowered"
    assert store.purchase_orders(proposal.proposal_id) == []


def test_above_the_managers_limit_it_escalates_to_the_director_who_approves_it(
    store: SuppliesStore,
) -> None:
    # 30 ventilator circuits at $150 = $4,500: above the manager's $2,500, within the director's.
    proposal = open_proposal(store, sku="VENT-CIRCUIT", quantity=0)
    assert proposal.total_cents == 450_000
    escalated = decide(store, proposal, Decision.APPROVE, caller=MANAGER)
    assert escalated.state is ProposalState.ESCALATED
    assert escalated.escalated_to.display_name == "Harold Jimenez"
    assert store.purchase_orders(proposal.proposal_id) == []
    approved = decide(store, proposal, Decision.APPROVE, caller=DIRECTOR)
    assert approved.state is ProposalState.APPROVED
    assert approved.decided_by.display_name == "Harold Jimenez"
    assert len(store.purchase_orders(proposal.proposal_id)) == 1


def test_editing_quantities_keeps_an_open_proposal_open_in_whole_packs(
    store: SuppliesStore,
) -> None:
    proposal = open_proposal(store)
    edited = decide(store, proposal, Decision.EDIT_QUANTITIES, edits=(("CHG-CLOTH", 30),))
    assert edited.state is ProposalState.OPEN
    [line] = [line for line in edited.lines if line.sku == "CHG-CLOTH"]
    assert line.quantity == 48  # two packs of 24
    assert store.purchase_orders(proposal.proposal_id) == []


def test_editing_quantities_keeps_an_escalated_proposal_escalated(store: SuppliesStore) -> None:
    proposal = open_proposal(store, sku="VENT-CIRCUIT", quantity=0)
    decide(store, proposal, Decision.APPROVE, caller=MANAGER)
    edited = decide(store, proposal, Decision.EDIT_QUANTITIES, caller=DIRECTOR,
                    edits=(("VENT-CIRCUIT", 25),))
    assert edited.state is ProposalState.ESCALATED
    assert edited.total_cents == 375_000


def test_stock_recovering_before_a_decision_withdraws_the_proposal(store: SuppliesStore) -> None:
    proposal = open_proposal(store)
    usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=70, caller=MANAGER,
                          store=store, clock=CLOCK)
    assert state_of(store, proposal) is ProposalState.WITHDRAWN


# ---- every forbidden one -------------------------------------------------------------------

@pytest.mark.parametrize("again", [Decision.APPROVE, Decision.REJECT, Decision.EDIT_QUANTITIES])
def test_an_approved_proposal_cannot_be_decided_or_edited_again(
    store: SuppliesStore, again: Decision,
) -> None:
    proposal = open_proposal(store)
    decide(store, proposal, Decision.APPROVE)
    with pytest.raises(AlreadyDecided, match="was already approved by Denise Okafor"):
        decide(store, proposal, again, caller=DIRECTOR, reason="changed my mind",
               edits=(("CHG-CLOTH", 24),))
    assert state_of(store, proposal) is ProposalState.APPROVED
    assert len(store.purchase_orders(proposal.proposal_id)) == 1


@pytest.mark.parametrize("again", [Decision.APPROVE, Decision.REJECT, Decision.EDIT_QUANTITIES])
def test_a_rejected_proposal_cannot_be_decided_or_edited_again(
    store: SuppliesStore, again: Decision,
) -> None:
    proposal = open_proposal(store)
    decide(store, proposal, Decision.REJECT, reason="duplicate of last week's order")
    with pytest.raises(AlreadyDecided, match="was already rejected by Denise Okafor"):
        decide(store, proposal, again, reason="try again", edits=(("CHG-CLOTH", 24),))
    after = store.get_proposal(proposal.proposal_id)
    assert after.state is ProposalState.REJECTED
    assert after.rejection_reason == "duplicate of last week's order"
    assert store.purchase_orders(proposal.proposal_id) == []


@pytest.mark.parametrize("late", [Decision.APPROVE, Decision.REJECT, Decision.EDIT_QUANTITIES])
def test_a_withdrawn_proposal_cannot_be_decided(store: SuppliesStore, late: Decision) -> None:
    proposal = open_proposal(store)
    usecases.record_count(unit_id="ICU", sku="CHG-CLOTH", quantity=70, caller=MANAGER,
                          store=store, clock=CLOCK)
    with pytest.raises(AlreadyDecided, match="stock recovered before a decision"):
        decide(store, proposal, late, reason="too late", edits=(("CHG-CLOTH", 24),))
    assert state_of(store, proposal) is ProposalState.WITHDRAWN
    assert store.purchase_orders(proposal.proposal_id) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused_and_the_proposal_stays_open(
    store: SuppliesStore, reason: str,
) -> None:
    proposal = open_proposal(store)
    with pytest.raises(InvalidInput) as refused:
        decide(store, proposal, Decision.REJECT, reason=reason)
    assert refused.value.violations == {"reason": "a rejection needs a reason"}
    assert state_of(store, proposal) is ProposalState.OPEN


def test_a_nurse_who_is_not_an_approver_is_refused_and_the_attempt_is_audited(
    store: SuppliesStore,
) -> None:
    proposal = open_proposal(store)
    with pytest.raises(NotAnApprover, match="not an approver for ICU's orders; ask Denise"):
        decide(store, proposal, Decision.APPROVE, caller=NURSE)
    assert state_of(store, proposal) is ProposalState.OPEN
    assert store.purchase_orders(proposal.proposal_id) == []
    refusal = store.audit_log()[-1]
    assert (refusal.actor.slack_user_id, refusal.action, refusal.subject, refusal.outcome) == (
        "U_RN", "APPROVE", proposal.reference, "REFUSED")


def test_an_escalated_proposal_is_still_refused_to_a_non_approver(store: SuppliesStore) -> None:
    proposal = open_proposal(store, sku="VENT-CIRCUIT", quantity=0)
    decide(store, proposal, Decision.APPROVE, caller=MANAGER)
    with pytest.raises(NotAnApprover):
        decide(store, proposal, Decision.APPROVE, caller=NURSE)
    assert state_of(store, proposal) is ProposalState.ESCALATED
