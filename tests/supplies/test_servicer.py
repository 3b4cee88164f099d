"""The supplies service over real gRPC on an OS-chosen port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clinops import authz, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.supplies.v1 import supplies_pb2 as pb
from clinops.supplies.v1 import supplies_pb2_grpc
from services.supplies.model import Actor, Approver, Stock
from services.supplies.server import SERVICE_NAME, create_server
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import (
    CHARGE_NURSE,
    DIRECTOR,
    MANAGER,
    NOW,
    NURSE,
    TEAM,
)

TIMEOUT = 5.0
STRANGER = Actor(TEAM, "U_NOBODY")


@pytest.fixture
def channel(store: SuppliesStore) -> Iterator[grpc.Channel]:
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    server.stop(None)


@pytest.fixture
def supplies(channel: grpc.Channel) -> supplies_pb2_grpc.SuppliesServiceStub:
    return supplies_pb2_grpc.SuppliesServiceStub(channel)


def metadata(actor: Actor, key: str = "") -> tuple[tuple[str, str], ...]:
    pairs = rpc.caller_metadata(rpc.Caller(actor.slack_team_id, actor.slack_user_id))
    return (*pairs, (rpc.IDEMPOTENCY_KEY, key)) if key else pairs


def count(stub, sku: str, quantity: int, actor: Actor = CHARGE_NURSE):  # noqa: ANN001, ANN201
    # Counts are the unit's charge nurses' (receivers) and approvers' (supplies' table).
    return stub.RecordCount(pb.RecordCountRequest(unit_id="icu", sku=sku, quantity=quantity),
                            timeout=TIMEOUT, metadata=metadata(actor))


def decide(stub, proposal_id: str, actor: Actor, key: str = "", **request):  # noqa: ANN001, ANN201
    return stub.DecideProposal(
        pb.DecideProposalRequest(proposal_id=proposal_id, **request), timeout=TIMEOUT,
        metadata=metadata(actor, key)).proposal


def refused(call) -> grpc.RpcError:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def test_health_reports_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE_NAME):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_list_items_returns_the_catalogue(supplies) -> None:  # noqa: ANN001
    items = supplies.ListItems(pb.ListItemsRequest(), timeout=TIMEOUT).items
    assert [i.sku for i in items] == ["CHG-CLOTH", "GLOVE-NIT-M", "VENT-CIRCUIT"]
    assert items[0].pack_size == 24 and items[0].critical and items[0].service_level == 0.95


def test_a_count_at_reorder_point_opens_a_proposal_with_its_figures(supplies) -> None:  # noqa: ANN001
    answer = count(supplies, "CHG-CLOTH", 20)
    assert answer.stock_level.on_hand == 20 and answer.stock_level.reorder_point == 30
    assert answer.stock_level.at_or_below_reorder_point
    proposal = answer.proposal
    assert proposal.proposal_id == "RP-00001" and proposal.state == pb.PROPOSAL_STATE_OPEN
    [line] = proposal.lines
    # Back to par 80 from 20 is 60; whole packs of 24 make it 72.
    assert (line.sku, line.quantity, line.line_cost_cents) == ("CHG-CLOTH", 72, 72 * 725)
    assert (line.inventory_position, line.reorder_point, line.par) == (20, 30, 80)
    assert line.figures.daily_demand_mean == 10 and line.figures.lead_time_days == 3
    assert line.figures.history_days == 90
    assert proposal.monthly_budget_cents == 4_000_000 and proposal.month_to_date_spend_cents == 0
    # A second low count of the same item does not alert again.
    assert not count(supplies, "CHG-CLOTH", 10).HasField("proposal")


def test_a_manager_approves_within_limit_and_spend_counts_against_budget(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    approved = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_APPROVE)
    assert approved.state == pb.PROPOSAL_STATE_APPROVED
    assert approved.decided_by.display_name == "Denise Okafor"
    assert approved.decided_by.staff_id == "S-MGR"
    assert approved.purchase_order_id == "PO-00001"
    assert approved.month_to_date_spend_cents == 72 * 725
    error = refused(lambda: decide(supplies, proposal_id, DIRECTOR,
                                   decision=pb.DECISION_APPROVE))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already approved by Denise Okafor" in error.details()


def test_above_the_managers_limit_the_proposal_escalates_to_the_director(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "VENT-CIRCUIT", 0).proposal.proposal_id  # 30 x $150
    escalated = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_APPROVE)
    assert escalated.state == pb.PROPOSAL_STATE_ESCALATED
    assert escalated.escalated_to.display_name == "Harold Jimenez"
    assert escalated.escalated_to.slack_user_id == "U_DIR"
    # Nobody decided yet, but the answer names who clicked, for the thread.
    assert (escalated.decided_by.slack_user_id, escalated.decided_by.display_name) == (
        "U_MGR", "Denise Okafor")
    assert not escalated.purchase_order_id
    approved = decide(supplies, proposal_id, DIRECTOR, decision=pb.DECISION_APPROVE)
    assert approved.state == pb.PROPOSAL_STATE_APPROVED and approved.purchase_order_id


def test_a_nurse_who_is_not_an_approver_is_refused_and_audited(supplies, store) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    error = refused(lambda: decide(supplies, proposal_id, NURSE, decision=pb.DECISION_APPROVE))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "not an approver for ICU" in error.details()
    refusal = store.audit_log()[-1]
    # Refused and audited by supplies' table, before the use case.
    assert (refusal.action, refusal.outcome, refusal.actor.slack_user_id) == (
        "DecideProposal", "REFUSED", "U_RN")
    state = supplies.GetProposal(pb.GetProposalRequest(proposal_id=proposal_id),
                                 timeout=TIMEOUT, metadata=authz.service_metadata()).proposal.state
    assert state == pb.PROPOSAL_STATE_OPEN


def test_a_call_without_a_slack_identity_is_unauthenticated(supplies) -> None:  # noqa: ANN001
    error = refused(lambda: supplies.RecordCount(
        pb.RecordCountRequest(unit_id="ICU", sku="CHG-CLOTH", quantity=1), timeout=TIMEOUT))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_rejection_needs_a_reason_and_keeps_it(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    error = refused(lambda: decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_REJECT,
                                   reason="   "))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc.field_violations(error) == {"reason": "a rejection needs a reason"}
    rejected = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_REJECT,
                      reason="central supply is sending a cart")
    assert rejected.state == pb.PROPOSAL_STATE_REJECTED
    assert rejected.rejection_reason == "central supply is sending a cart"
    error = refused(lambda: decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_APPROVE))
    assert "already rejected by Denise Okafor" in error.details()


def test_a_rejection_says_how_long_it_holds_and_the_scan_keeps_quiet(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    error = refused(lambda: decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_REJECT,
                                   reason="cart coming", snooze_days=120))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc.field_violations(error) == {"snooze_days": "1-90 days"}
    rejected = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_REJECT,
                      reason="cart coming", snooze_days=3)
    assert rejected.held_until.ToDatetime(tzinfo=UTC) == NOW + timedelta(days=3)
    assert not supplies.ScanReorders(pb.ScanReordersRequest(), timeout=TIMEOUT,
                                  metadata=authz.service_metadata()).proposals


def test_editing_quantities_rounds_to_packs_then_approval_uses_them(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    edited = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_EDIT_QUANTITIES,
                    edits=[pb.QuantityEdit(sku="chg-cloth", quantity=40)])
    assert edited.state == pb.PROPOSAL_STATE_OPEN
    assert edited.lines[0].quantity == 48 and edited.total_cents == 48 * 725
    approved = decide(supplies, proposal_id, MANAGER, decision=pb.DECISION_APPROVE)
    assert approved.total_cents == 48 * 725
    error = refused(lambda: decide(supplies, proposal_id, MANAGER,
                                   decision=pb.DECISION_EDIT_QUANTITIES,
                                   edits=[pb.QuantityEdit(sku="CHG-CLOTH", quantity=24)]))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_the_same_idempotency_key_twice_returns_the_first_result(supplies, store) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    first = decide(supplies, proposal_id, MANAGER, key="act-1", decision=pb.DECISION_APPROVE)
    again = decide(supplies, proposal_id, MANAGER, key="act-1", decision=pb.DECISION_APPROVE)
    assert again == first
    assert len(store.purchase_orders()) == 1


def test_invalid_input_names_the_field(supplies) -> None:  # noqa: ANN001
    cases = [
        (lambda: count(supplies, "", 3), {"sku": "required"}),
        (lambda: count(supplies, "CHG-CLOTH", -1), {"quantity": "must be 0-1,000,000"}),
        (lambda: decide(supplies, "banana", MANAGER, decision=pb.DECISION_APPROVE),
         {"proposal_id": "a proposal number such as RP-00012"}),
        (lambda: decide(supplies, "RP-1", MANAGER),
         {"decision": "approve, reject or edit quantities"}),
        (lambda: decide(supplies, "RP-1", MANAGER, decision=pb.DECISION_EDIT_QUANTITIES),
         {"edits": "name at least one SKU and its new quantity"}),
    ]
    for call, violations in cases:
        error = refused(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rpc.field_violations(error) == violations


def test_unknown_unit_item_and_proposal_are_not_found(supplies) -> None:  # noqa: ANN001
    for call in (
        lambda: supplies.GetStockStatus(pb.GetStockStatusRequest(unit_id="5E"), timeout=TIMEOUT),
        lambda: count(supplies, "NO-SUCH-SKU", 1),
        lambda: supplies.GetProposal(pb.GetProposalRequest(proposal_id="RP-99"),
                                     timeout=TIMEOUT, metadata=authz.service_metadata()),
    ):
        assert refused(call).code() == grpc.StatusCode.NOT_FOUND


def _row(sku: str, *, counted: int | None = None, consumed: int = 0, unit: str = "ICU",
         day: tuple[int, int, int] = (2026, 11, 26)) -> pb.StockRow:
    row = pb.StockRow(unit_id=unit, sku=sku, consumed=consumed,
                      date=common_pb2.Date(year=day[0], month=day[1], day=day[2]))
    if counted is not None:
        row.counted, row.has_count = counted, True
    return row


def test_an_import_with_any_bad_row_writes_nothing_and_names_every_bad_row(
    supplies, store,  # noqa: ANN001
) -> None:
    rows = [
        _row("CHG-CLOTH", counted=5),
        _row("NOPE", counted=1),
        _row("GLOVE-NIT-M", consumed=4, day=(2026, 2, 30)),
        _row("VENT-CIRCUIT", counted=3, unit="4W"),
        _row("GLOVE-NIT-M", consumed=4, day=(2026, 12, 25)),
    ]
    store.add_approver(Approver("4W", "S-MGR", "Denise Okafor", TEAM, "U_MGR",
                                       250_000, 1))
    answer = supplies.ImportStock(pb.ImportStockRequest(rows=rows), timeout=TIMEOUT,
                                  metadata=metadata(MANAGER))
    assert answer.rows_written == 0 and not answer.proposals
    assert {r.row_number: r.reason for r in answer.rejected} == {
        2: "unknown SKU 'NOPE'",
        3: "date 2026-02-30 does not exist",
        4: "4W does not stock VENT-CIRCUIT; set a par first",
        5: "date 2026-12-25 is in the future",
    }
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == 60


def test_a_clean_import_writes_every_row_and_proposes_what_fell_low(supplies, store) -> None:  # noqa: ANN001
    rows = [_row("CHG-CLOTH", counted=5), _row("GLOVE-NIT-M", consumed=7, day=(2026, 11, 25))]
    answer = supplies.ImportStock(pb.ImportStockRequest(rows=rows), timeout=TIMEOUT,
                                  metadata=metadata(MANAGER))
    assert answer.rows_written == 2 and not answer.rejected
    assert [line.sku for line in answer.proposals[0].lines] == ["CHG-CLOTH"]
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == 5


def test_a_nurse_who_approves_for_no_unit_may_not_import_and_the_attempt_is_audited(
    supplies, store,  # noqa: ANN001
) -> None:
    rows = [_row("CHG-CLOTH", counted=5)]
    error = refused(lambda: supplies.ImportStock(pb.ImportStockRequest(rows=rows),
                                                 timeout=TIMEOUT, metadata=metadata(NURSE)))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    # Refused by supplies' table before the rows are read: she approves for no unit at all.
    assert "only a unit's approvers may import its stock" in error.details()
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == 60
    refusal = store.audit_log()[-1]
    assert (refusal.action, refusal.outcome) == ("ImportStock", "REFUSED")
    assert refusal.actor.slack_user_id == "U_RN"


def test_an_icu_approver_may_not_import_rows_for_a_unit_they_do_not_approve_for(
    supplies, store,  # noqa: ANN001
) -> None:
    store.set_stock(Stock("4W", "GLOVE-NIT-M", par=30, on_hand=25))
    rows = [_row("CHG-CLOTH", counted=5), _row("GLOVE-NIT-M", counted=2, unit="4w")]
    error = refused(lambda: supplies.ImportStock(pb.ImportStockRequest(rows=rows),
                                                 timeout=TIMEOUT, metadata=metadata(MANAGER)))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "not an approver for 4W" in error.details() and "ICU" not in error.details()
    assert store.get_stock("ICU", "CHG-CLOTH").on_hand == 60
    assert store.get_stock("4W", "GLOVE-NIT-M").on_hand == 25


def test_stock_status_lists_what_is_short_critical_first(supplies) -> None:  # noqa: ANN001
    count(supplies, "GLOVE-NIT-M", 0)
    count(supplies, "VENT-CIRCUIT", 8)
    levels = supplies.GetStockStatus(pb.GetStockStatusRequest(unit_id="icu"),
                                     timeout=TIMEOUT).levels
    # Critical items first; CHG (60 on hand, par 80) is below par but above its ROP of 30.
    assert [lv.sku for lv in levels] == ["VENT-CIRCUIT", "CHG-CLOTH", "GLOVE-NIT-M"]
    vent, chg, glove = levels
    assert vent.at_or_below_reorder_point and not vent.out_of_stock
    assert chg.below_par and not chg.at_or_below_reorder_point
    assert glove.out_of_stock and glove.item.name == "Nitrile gloves M"


def test_set_par_with_a_fixed_reorder_point_shows_it_as_fixed(supplies) -> None:  # noqa: ANN001
    level = supplies.SetPar(pb.SetParRequest(unit_id="ICU", sku="CHG-CLOTH", par=100,
                                             fixed_reorder_point=70),
                            timeout=TIMEOUT, metadata=metadata(MANAGER)).stock_level
    assert (level.par, level.reorder_point, level.figures.fixed) == (100, 70, True)
    assert level.at_or_below_reorder_point


def test_scan_proposes_once_and_re_arms_when_stock_recovers(supplies) -> None:  # noqa: ANN001
    supplies.SetPar(pb.SetParRequest(unit_id="ICU", sku="CHG-CLOTH", par=100,
                                     fixed_reorder_point=70),
                    timeout=TIMEOUT, metadata=metadata(MANAGER))
    scan = supplies.ScanReorders(pb.ScanReordersRequest(), timeout=TIMEOUT,
        metadata=authz.service_metadata()).proposals
    assert [p.lines[0].sku for p in scan] == ["CHG-CLOTH"]
    assert not supplies.ScanReorders(pb.ScanReordersRequest(), timeout=TIMEOUT,
        metadata=authz.service_metadata()).proposals
    count(supplies, "CHG-CLOTH", 90)  # back above 70 before anyone decided: withdrawn
    withdrawn = supplies.GetProposal(pb.GetProposalRequest(proposal_id=scan[0].proposal_id),
                                     timeout=TIMEOUT, metadata=authz.service_metadata()).proposal
    assert withdrawn.state == pb.PROPOSAL_STATE_WITHDRAWN
    assert count(supplies, "CHG-CLOTH", 50).proposal.proposal_id != scan[0].proposal_id
    listed = supplies.ListProposals(pb.ListProposalsRequest(unit_id="ICU",
                                                            state=pb.PROPOSAL_STATE_OPEN),
                                    timeout=TIMEOUT, metadata=authz.service_metadata()).proposals
    assert len(listed) == 1


def test_a_proposal_carries_its_units_channel_and_each_lines_pack_size(supplies) -> None:  # noqa: ANN001
    proposal = count(supplies, "CHG-CLOTH", 20).proposal
    assert proposal.unit_slack_channel_id == "C_ICU"
    assert [line.pack_size for line in proposal.lines] == [24]


def test_set_proposal_message_records_where_the_proposal_was_posted(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    answer = supplies.SetProposalMessage(
        pb.SetProposalMessageRequest(proposal_id=proposal_id, slack_channel_id="C_ICU",
                                     slack_message_ts="1764180000.000100"), timeout=TIMEOUT,
                                         metadata=authz.service_metadata())
    assert (answer.proposal.slack_channel_id, answer.proposal.slack_message_ts) == (
        "C_ICU", "1764180000.000100")
    again = supplies.GetProposal(pb.GetProposalRequest(proposal_id=proposal_id), timeout=TIMEOUT,
        metadata=authz.service_metadata())
    assert again.proposal.slack_message_ts == "1764180000.000100"


def test_set_proposal_message_without_a_timestamp_is_invalid(supplies) -> None:  # noqa: ANN001
    proposal_id = count(supplies, "CHG-CLOTH", 20).proposal.proposal_id
    error = refused(lambda: supplies.SetProposalMessage(
        pb.SetProposalMessageRequest(proposal_id=proposal_id, slack_channel_id="C_ICU"),
        timeout=TIMEOUT, metadata=authz.service_metadata()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc.field_violations(error) == {"slack_message_ts": "required"}
