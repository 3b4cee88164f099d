"""The supplies store's contract, on a SQLite file and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.supplies.errors import AlreadyDecided, UnknownStock, UnknownUnit
from services.supplies.model import Actor, Decision, ProposalState, ReorderFigures
from services.supplies.store import (
    AuditEntry,
    IdempotencyKeyUsed,
    NewLine,
    SuppliesStore,
    migrate,
)
from services.supplies.tables import ProposalLineRow
from tests.supplies.supplies_fixtures import CHG, DIRECTOR, NOW

FIGURES = ReorderFigures(10, 0, 3, 0, 1.645, 0, 30, False, 90)
ACTOR = Actor("T0001", "U_MGR", "S-MGR", "Denise Okafor")


def line(sku: str = "CHG-CLOTH", quantity: int = 72, cost: int = 725) -> NewLine:
    return NewLine(sku, quantity, cost, sku, 20, 80, FIGURES)


def test_migrating_twice_is_harmless(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    store = SuppliesStore.open(database_url)
    assert store.list_units() == [] and store.list_items() == []
    store.close()


def test_catalogue_and_stock_round_trip_whatever_the_letter_case(store: SuppliesStore) -> None:
    assert store.get_item("chg-cloth") == CHG
    assert store.get_stock("icu", "chg-cloth").par == 80
    assert [i.sku for i in store.list_items()] == ["CHG-CLOTH", "GLOVE-NIT-M", "VENT-CIRCUIT"]
    with pytest.raises(UnknownUnit):
        store.get_stock("5E", "CHG-CLOTH")
    with pytest.raises(UnknownStock):
        store.get_stock("4W", "CHG-CLOTH")


def test_consumption_history_keeps_each_day_once(store: SuppliesStore) -> None:
    last = NOW.date() - timedelta(days=1)
    store.record_consumption("ICU", "CHG-CLOTH", last, 14)
    history = store.consumption_history(last - timedelta(days=2), last, "ICU")
    assert history[("ICU", "CHG-CLOTH")] == {
        last - timedelta(days=2): 10, last - timedelta(days=1): 10, last: 14}


def test_a_second_open_line_for_the_same_location_is_refused_by_the_database(
    store: SuppliesStore,
) -> None:
    proposal_id = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    assert proposal_id is not None
    duplicate = ProposalLineRow(
        proposal_id=proposal_id, unit_id="ICU", sku="CHG-CLOTH", status="OPEN", quantity=1,
        unit_cost_cents=1, item_name="x", inventory_position=0, par=0, reorder_point=0,
        daily_demand_mean=0, daily_demand_stddev=0, lead_time_days=0, lead_time_stddev_days=0,
        z=0, safety_stock=0, fixed=False, history_days=0)
    # The partial unique index refuses it, whatever code path tries.
    with sqlalchemy.orm.Session(store.engine) as session, pytest.raises(IntegrityError):
        session.add(duplicate)
        session.commit()


def test_proposing_an_item_with_an_undecided_line_does_not_alert_again(
    store: SuppliesStore,
) -> None:
    first = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    assert store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR) is None
    extended = store.propose("ICU", [line("VENT-CIRCUIT", 30, 15_000)], at=NOW,
                             audit_actor=ACTOR)
    assert extended == first
    proposal = store.get_proposal(first)
    assert [ln.sku for ln in proposal.lines] == ["CHG-CLOTH", "VENT-CIRCUIT"]
    assert proposal.total_cents == 72 * 725 + 30 * 15_000


def test_a_decision_re_arms_the_location_for_the_next_alert(store: SuppliesStore) -> None:
    first = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    store.decide(first, decision=Decision.REJECT, outcome=ProposalState.REJECTED, actor=ACTOR,
                 at=NOW, reason="enough in central supply")
    second = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    assert second is not None and second != first


def test_stock_recovering_withdraws_the_line_and_an_empty_proposal(store: SuppliesStore) -> None:
    first = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    assert store.withdraw_lines([("ICU", "CHG-CLOTH")], at=NOW, audit_actor=ACTOR) == [first]
    assert store.get_proposal(first).state is ProposalState.WITHDRAWN
    assert store.open_line_skus("ICU") == set()
    assert store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR) not in (None, first)


def test_approval_creates_one_order_and_raises_on_order(store: SuppliesStore) -> None:
    pid = store.propose("ICU", [line(), line("VENT-CIRCUIT", 2, 15_000)], at=NOW,
                        audit_actor=ACTOR)
    approved = store.decide(pid, decision=Decision.APPROVE, outcome=ProposalState.APPROVED,
                            actor=ACTOR, at=NOW, idempotency_key="k1")
    assert approved.state is ProposalState.APPROVED
    assert approved.decided_by.display_name == "Denise Okafor"
    [order] = store.purchase_orders(pid)
    assert approved.purchase_order_id == order.number
    assert order.total_cents == 72 * 725 + 2 * 15_000
    assert {(ln.sku, ln.supplier, ln.quantity) for ln in order.lines} == {
        ("CHG-CLOTH", "Medline", 72), ("VENT-CIRCUIT", "Vyaire", 2)}
    assert store.get_stock("ICU", "CHG-CLOTH").on_order == 72
    assert store.spend_since("ICU", NOW - timedelta(days=1)) == order.total_cents
    with pytest.raises(AlreadyDecided, match="already approved by Denise Okafor"):
        store.decide(pid, decision=Decision.APPROVE, outcome=ProposalState.APPROVED,
                     actor=ACTOR, at=NOW)
    assert len(store.purchase_orders()) == 1


def test_an_idempotency_key_is_used_once(store: SuppliesStore) -> None:
    pid = store.propose("ICU", [line()], at=NOW, audit_actor=ACTOR)
    store.decide(pid, decision=Decision.EDIT_QUANTITIES, outcome=None, actor=ACTOR, at=NOW,
                 idempotency_key="same", quantities={"CHG-CLOTH": 48})
    assert store.proposal_for_key("same") == pid
    with pytest.raises(IdempotencyKeyUsed):
        store.decide(pid, decision=Decision.APPROVE, outcome=ProposalState.APPROVED,
                     actor=ACTOR, at=NOW, idempotency_key="same")
    assert store.get_proposal(pid).state is ProposalState.OPEN
    assert store.get_proposal(pid).lines[0].quantity == 48


def test_an_edit_keeps_an_escalated_proposal_escalated(store: SuppliesStore) -> None:
    pid = store.propose("ICU", [line("VENT-CIRCUIT", 30, 15_000)], at=NOW, audit_actor=ACTOR)
    director = store.approvers("ICU")[1]
    store.decide(pid, decision=Decision.APPROVE, outcome=ProposalState.ESCALATED, actor=ACTOR,
                 at=NOW, escalated_to=director)
    edited = store.decide(pid, decision=Decision.EDIT_QUANTITIES, outcome=None, actor=ACTOR,
                          at=NOW, quantities={"VENT-CIRCUIT": 10})
    assert edited.state is ProposalState.ESCALATED
    assert edited.escalated_to.display_name == "Harold Jimenez"
    assert edited.total_cents == 150_000


def test_the_audit_log_is_append_only(store: SuppliesStore) -> None:
    store.audit(AuditEntry(NOW, ACTOR, "COUNT", "ICU CHG-CLOTH", "RECORDED", "on hand 3"))
    [entry] = store.audit_log()
    assert (entry.action, entry.outcome, entry.at) == ("COUNT", "RECORDED", NOW)
    with store.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(sqlalchemy.text("UPDATE audit_log SET outcome = 'FORGED'"))
        connection.commit()
    with store.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(sqlalchemy.text("DELETE FROM audit_log"))
        connection.commit()
    assert len(store.audit_log()) == 1


def test_approvers_form_a_chain_in_rank_order(store: SuppliesStore) -> None:
    chain = store.approvers("icu")
    assert [(a.display_name, a.limit_cents) for a in chain] == [
        ("Denise Okafor", 250_000), ("Harold Jimenez", 2_500_000)]
    assert store.find_actor(*(DIRECTOR.slack_team_id, DIRECTOR.slack_user_id)).staff_id == "S-DIR"
    assert store.find_actor("T0001", "U_NOBODY").staff_id == ""
    assert store.approvers("4W") == []
