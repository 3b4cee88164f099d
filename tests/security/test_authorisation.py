"""Issue 15 §2, line by line, against the demo hospital's services over real gRPC."""

from __future__ import annotations

import grpc
import pytest

from clinops import authz
from clinops.common.v1 import common_pb2
from clinops.rpc import Caller, caller_metadata
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2
from tests.security.conftest import FOREIGN_TEAM, Ward, as_person, as_scheduler


def refusal(ward: Ward, service: str, method: str, request: object, metadata: tuple
            ) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as refused:
        ward.call(service, method, request, metadata=metadata)
    return refused.value.code()


def icu_gloves(ward: Ward) -> tuple[int, int]:
    stock = ward.stores["supplies"].get_stock("ICU", "FLUSH-NS-10")
    return stock.on_hand, stock.par


def test_counts_and_pars_from_no_caller_a_foreign_team_or_another_units_nurse_change_nothing(
        ward: Ward) -> None:
    emily, gloria = ward.person("Emily Sorensen"), ward.person("Gloria Mendoza")
    before = icu_gloves(ward)
    callers = {"no caller": (), "foreign team": as_person(emily, team=FOREIGN_TEAM),
               "4W staff nurse": as_person(emily), "4W charge nurse": as_person(gloria)}
    for metadata in callers.values():
        count = supplies_pb2.RecordCountRequest(unit_id="ICU", sku="FLUSH-NS-10",
                                                quantity=500)
        par = supplies_pb2.SetParRequest(unit_id="ICU", sku="FLUSH-NS-10", par=99999)
        assert refusal(ward, "supplies", "RecordCount", count, metadata) in (
            grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
        assert refusal(ward, "supplies", "SetPar", par, metadata) in (
            grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    assert icu_gloves(ward) == before
    assert ward.call("supplies", "ListProposals", supplies_pb2.ListProposalsRequest(
        unit_id="ICU"), metadata=as_scheduler()).proposals == []
    refused = [e for e in ward.stores["supplies"].audit_log() if e.outcome == "REFUSED"]
    assert [(e.action, e.actor.slack_team_id, e.actor.slack_user_id, e.actor.staff_id)
            for e in refused] == [
        ("RecordCount", "", "", ""), ("SetPar", "", "", ""),
        ("RecordCount", FOREIGN_TEAM, emily.slack_user_id, ""),
        ("SetPar", FOREIGN_TEAM, emily.slack_user_id, ""),
        ("RecordCount", emily.slack_team_id, emily.slack_user_id, ""),
        ("SetPar", emily.slack_team_id, emily.slack_user_id, ""),
        # Gloria receives 4 West's deliveries, so supplies knows her staff id.
        ("RecordCount", gloria.slack_team_id, gloria.slack_user_id, gloria.staff_id),
        ("SetPar", gloria.slack_team_id, gloria.slack_user_id, gloria.staff_id)]
    assert "is not the facility's" in refused[2].detail
    assert refused[6].subject == "ICU"


def test_icus_charge_nurse_counts_icu_stock(ward: Ward) -> None:
    maya = ward.person("Maya Castillo")
    answer = ward.call("supplies", "RecordCount", supplies_pb2.RecordCountRequest(
        unit_id="ICU", sku="FLUSH-NS-10", quantity=500), metadata=as_person(maya))
    assert answer.stock_level.on_hand == 500


def test_a_proposals_thread_cannot_be_repointed_by_no_caller(ward: Ward) -> None:
    [proposal, *_] = ward.call("supplies", "ScanReorders", supplies_pb2.ScanReordersRequest(
        unit_id="ICU"), metadata=as_scheduler()).proposals
    repoint = supplies_pb2.SetProposalMessageRequest(
        proposal_id=proposal.proposal_id, slack_channel_id="C0ATTACKER", slack_message_ts="1.1")
    assert refusal(ward, "supplies", "SetProposalMessage", repoint, ()) == (
        grpc.StatusCode.UNAUTHENTICATED)
    after = ward.stores["supplies"].get_proposal(int(proposal.proposal_id.removeprefix("RP-")))
    assert after.slack_channel_id != "C0ATTACKER"
    # The notifier, presenting the scheduler credential, records where it posted.
    ward.call("supplies", "SetProposalMessage", supplies_pb2.SetProposalMessageRequest(
        proposal_id=proposal.proposal_id, slack_channel_id="C0ICU0001", slack_message_ts="2.2"),
        metadata=as_scheduler())


def _queued_reminders(ward: Ward) -> int:
    """reminder.due events waiting in training's outbox."""
    from clinops.outbox import pending_events
    from services.training.outbox import OUTBOX

    return len([e for e in pending_events(ward.stores["training"].engine, OUTBOX)
                if e.kind == "reminder.due"])


def test_queue_reminders_with_no_caller_or_a_wrong_credential_queues_nothing(ward: Ward) -> None:
    request = training_pb2.QueueRemindersRequest(
        on=common_pb2.Date(year=2026, month=11, day=26), all_units=True)
    before = _queued_reminders(ward)
    assert refusal(ward, "training", "QueueReminders", request, ()) == (
        grpc.StatusCode.UNAUTHENTICATED)
    forged = ((authz.SERVICE_CREDENTIAL_KEY, "not-the-credential"),)
    assert refusal(ward, "training", "QueueReminders", request, forged) == (
        grpc.StatusCode.UNAUTHENTICATED)
    # A person, even the ICU manager, is not the scheduler.
    assert refusal(ward, "training", "QueueReminders", request,
                   as_person(ward.person("Denise Okafor"))) == grpc.StatusCode.PERMISSION_DENIED
    assert _queued_reminders(ward) == before
    queued = ward.call("training", "QueueReminders", request, metadata=as_scheduler())
    assert queued.queued > 0 and _queued_reminders(ward) > before
    refused = [e for e in ward.stores["training"].audit_log() if e.action == "QueueReminders"]
    assert [e.outcome for e in refused] == [
        "REFUSED: Only the scheduler may call this", "REFUSED: Wrong scheduler credential",
        "REFUSED: Only the scheduler may call this"]


def test_a_charge_nurse_cannot_confirm_her_own_queued_claim_and_another_can(ward: Ward) -> None:
    leticia, amara = ward.person("Leticia Vargas"), ward.person("Amara Okonkwo")
    shift = ward.call("staffing", "ReportGap", staffing_pb2.ReportGapRequest(
        unit_id="LD", role=staffing_pb2.STAFF_ROLE_RN, slots=1, reason="call-out",
        day=common_pb2.DaySpec(date=common_pb2.Date(year=2026, month=11, day=28)),
        shift=common_pb2.SHIFT_NIGHT), metadata=as_person(amara)).open_shift
    claim = ward.call("staffing", "ClaimOpenShift", staffing_pb2.ClaimOpenShiftRequest(
        open_shift_id=shift.open_shift_id), metadata=as_person(leticia))
    assert claim.outcome == staffing_pb2.CLAIM_OUTCOME_QUEUED, claim.findings
    own = staffing_pb2.ConfirmClaimRequest(open_shift_id=shift.open_shift_id,
                                           staff_id=leticia.staff_id)
    with pytest.raises(grpc.RpcError) as refused:
        ward.call("staffing", "ConfirmClaim", own, metadata=as_person(leticia))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "No one confirms their own claim" in refused.value.details()
    [audited] = [e for e in ward.stores["staffing"].audit_entries()
                 if e.action == "ConfirmClaim"]
    assert (audited.outcome, audited.actor_staff_id, audited.actor_user_id) == (
        "REFUSED", leticia.staff_id, leticia.slack_user_id)
    confirmed = ward.call("staffing", "ConfirmClaim", own, metadata=as_person(amara))
    assert confirmed.outcome == staffing_pb2.CLAIM_OUTCOME_AWARDED


def test_names_and_certificates_go_only_to_those_entitled_and_refusals_are_audited_everywhere(
        ward: Ward) -> None:
    derek, emily = ward.person("Derek Lindqvist"), ward.person("Emily Sorensen")
    stranger = caller_metadata(Caller(FOREIGN_TEAM, "U0STRANGER"))
    assert refusal(ward, "staffing", "GetStaffMember", staffing_pb2.GetStaffMemberRequest(
        staff_id=derek.staff_id), ()) == grpc.StatusCode.UNAUTHENTICATED
    assert refusal(ward, "staffing", "GetShiftGaps", staffing_pb2.GetShiftGapsRequest(
        unit_id="ICU"), as_person(emily)) == grpc.StatusCode.PERMISSION_DENIED
    assert refusal(ward, "training", "ListCertificationDigest",
                   training_pb2.ListCertificationDigestRequest(), stranger) == (
        grpc.StatusCode.PERMISSION_DENIED)
    assert refusal(ward, "training", "ListExpiring", training_pb2.ListExpiringRequest(
        on=common_pb2.Date(year=2026, month=11, day=26)), ()) == grpc.StatusCode.UNAUTHENTICATED
    assert refusal(ward, "training", "CheckEligibility", training_pb2.CheckEligibilityRequest(
        staff_id=derek.staff_id, unit_id="ICU"), as_person(emily)) == (
        grpc.StatusCode.PERMISSION_DENIED)
    assert refusal(ward, "supplies", "ListProposals", supplies_pb2.ListProposalsRequest(
        unit_id="ICU"), stranger) == grpc.StatusCode.PERMISSION_DENIED
    # ICU's own staff see who is on duty; ICU's manager sees Derek's directory entry.
    gaps = ward.call("staffing", "GetShiftGaps", staffing_pb2.GetShiftGapsRequest(
        unit_id="ICU"), metadata=as_person(derek))
    assert gaps.unit.unit_id == "ICU"
    member = ward.call("staffing", "GetStaffMember", staffing_pb2.GetStaffMemberRequest(
        staff_id=derek.staff_id), metadata=as_person(ward.person("Denise Okafor")))
    assert member.staff_member.display_name == "Derek Lindqvist"

    staffing = [(e.action, e.actor_user_id) for e in ward.stores["staffing"].audit_entries()
                if e.outcome == "REFUSED"]
    assert staffing == [("GetStaffMember", ""), ("GetShiftGaps", emily.slack_user_id)]
    training = [(e.action, e.actor_slack_team_id, e.actor_staff_id)
                for e in ward.stores["training"].audit_log() if e.outcome.startswith("REFUSED")]
    assert training == [("ListCertificationDigest", FOREIGN_TEAM, ""), ("ListExpiring", "", ""),
                        ("CheckEligibility", emily.slack_team_id, emily.staff_id)]
    supplies = [(e.action, e.actor.slack_team_id) for e in ward.stores["supplies"].audit_log()
                if e.outcome == "REFUSED"]
    assert supplies == [("ListProposals", FOREIGN_TEAM)]
