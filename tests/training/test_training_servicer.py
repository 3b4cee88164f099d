"""The training service over real gRPC on an OS-chosen port, with a real SQLite store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clinops import authz, rpc
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.server import create_server
from services.training.store import TrainingStore
from tests.training.training_fixtures import NOW, TEAM

TIMEOUT = 5.0
MANAGER_ICU, MANAGER_ED, EDUCATOR = rpc.Caller(TEAM, "UM1"), rpc.Caller(TEAM, "UM2"), rpc.Caller(
    TEAM, "UE1")
NURSE_1, NURSE_2, STRANGER = rpc.Caller(TEAM, "UN1"), rpc.Caller(TEAM, "UN2"), rpc.Caller(
    TEAM, "UNOBODY")


@pytest.fixture
def training(training_store: TrainingStore) -> Iterator[training_pb2_grpc.TrainingServiceStub]:
    server, port = create_server(store=training_store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield training_pb2_grpc.TrainingServiceStub(channel)
    server.stop(None)


def call(stub, method: str, caller: rpc.Caller | None = None, **request):  # noqa: ANN001, ANN201
    request_type = getattr(training_pb2, f"{method}Request")
    # No person: the scheduler (or staffing) asking as itself, with the scheduler credential.
    metadata = rpc.caller_metadata(caller) if caller else authz.service_metadata()
    return getattr(stub, method)(request_type(**request), timeout=TIMEOUT, metadata=metadata)


def refused(stub, method: str, caller: rpc.Caller | None = None, **request) -> grpc.RpcError:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as error:
        call(stub, method, caller, **request)
    return error.value


def d(year: int, month: int, day: int) -> common_pb2.Date:
    return common_pb2.Date(year=year, month=month, day=day)


def window(year: int, month: int, day: int, shift: int = common_pb2.SHIFT_DAY):  # noqa: ANN201
    return common_pb2.ShiftWindow(date=d(year, month, day), shift=shift)


def test_health_reports_serving(training_store: TrainingStore) -> None:
    server, port = create_server(store=training_store, clock=fixed_clock(NOW))
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", "clinops.training.v1.TrainingService"):
                answer = health.Check(health_pb2.HealthCheckRequest(service=service),
                                      timeout=TIMEOUT)
                assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop(None)


def test_types_and_requirements_come_from_the_data(training) -> None:  # noqa: ANN001
    types = {t.code: t for t in call(training, "ListCertificationTypes").types}
    assert list(types["CCRN"].reminder_days) == [120, 90, 60, 30, 7]
    icu = call(training, "ListRequirements", unit_id="icu").requirements
    assert {(r.role, r.unit_category, tuple(r.certification_codes)) for r in icu} == {
        ("RN", "", ("BLS", "RN-CA")), ("LVN", "", ("BLS", "LVN-CA")), ("CNA", "", ("BLS",)),
        ("RN", "ICU", ("ACLS",))}


def test_an_icu_nurse_with_an_expired_acls_is_not_eligible_and_told_why(training) -> None:  # noqa: ANN001
    answer = call(training, "CheckEligibility", staff_id="N2", unit_id="ICU",
                  window=window(2026, 6, 16))
    assert not answer.eligible
    [finding] = answer.findings
    assert finding.problem == training_pb2.CERTIFICATION_PROBLEM_EXPIRED
    assert finding.explanation == "ACLS expired 2026-05-31"


def test_a_night_shift_needs_certifications_through_the_next_morning(training) -> None:  # noqa: ANN001
    # C1's BLS expires 2026-07-15: a night shift starting that evening ends on the 16th.
    night = call(training, "CheckEligibility", staff_id="C1", unit_id="ICU",
                 window=window(2026, 7, 15, common_pb2.SHIFT_NIGHT))
    assert [f.explanation for f in night.findings] == [
        "BLS expires 2026-07-15, before this shift ends 2026-07-16"]
    day = call(training, "CheckEligibility", staff_id="C1", unit_id="ICU",
               window=window(2026, 7, 15))
    assert day.eligible and list(day.findings) == []


def test_an_ed_nurse_without_emergency_cards_has_each_one_named(training) -> None:  # noqa: ANN001
    answer = call(training, "CheckEligibility", staff_id="N3", unit_id="ED", role="RN",
                  window=window(2026, 6, 16))
    assert [(f.certification_code, f.explanation) for f in answer.findings] == [
        ("ACLS", "ACLS missing"), ("PALS", "PALS missing"), ("TNCC", "TNCC missing")]


def test_eligibility_names_bad_fields(training) -> None:  # noqa: ANN001
    error = refused(training, "CheckEligibility", staff_id="", unit_id="ICU",
                    window=window(2026, 2, 30))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(rpc.field_violations(error)) == {"window.date"}
    error = refused(training, "CheckEligibility", staff_id="", unit_id="",
                    window=window(2026, 6, 16))
    assert rpc.field_violations(error) == {"staff_id": "required", "unit_id": "required"}
    assert refused(training, "CheckEligibility", staff_id="N1", unit_id="5E",
                   window=window(2026, 6, 16)).code() == grpc.StatusCode.NOT_FOUND


def test_my_records_show_days_left_and_status(training) -> None:  # noqa: ANN001
    records = {r.certification_code: r for r in call(training, "ListRecords", NURSE_2).records}
    assert records["ACLS"].status == training_pb2.RECORD_STATUS_EXPIRED
    assert records["ACLS"].days_left == -15
    assert records["BLS"].status == training_pb2.RECORD_STATUS_CURRENT
    assert records["BLS"].days_left == 350


@pytest.mark.parametrize("caller", [NURSE_2, MANAGER_ICU, EDUCATOR])
def test_someone_elses_records_are_for_them_their_manager_or_an_educator(
    training, caller: rpc.Caller,  # noqa: ANN001
) -> None:
    assert len(call(training, "ListRecords", caller, staff_id="N2").records) == 3


@pytest.mark.parametrize("caller", [NURSE_1, MANAGER_ED])
def test_a_colleague_or_another_units_manager_is_refused_someone_elses_records(
    training, caller: rpc.Caller,  # noqa: ANN001
) -> None:
    error = refused(training, "ListRecords", caller, staff_id="N2")
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_records_say_whose_they_are(training) -> None:  # noqa: ANN001
    answer = call(training, "ListRecords", NURSE_2)
    assert (answer.staff_id, answer.display_name) == ("N2", "Nurse N2")


@pytest.mark.parametrize("caller", [NURSE_2, MANAGER_ICU, EDUCATOR])
def test_someone_can_be_named_by_their_slack_user_id_in_the_callers_team(
    training, caller: rpc.Caller,  # noqa: ANN001
) -> None:
    answer = call(training, "ListRecords", caller, slack_user_id="UN2")
    assert (answer.staff_id, answer.display_name) == ("N2", "Nurse N2")
    assert len(answer.records) == 3


def test_a_colleague_naming_someone_by_slack_user_id_is_refused_with_their_name(
    training,  # noqa: ANN001
) -> None:
    error = refused(training, "ListRecords", NURSE_1, slack_user_id="UN2")
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "only Nurse N2, their unit manager or an educator" in error.details()


def test_an_unknown_slack_user_or_both_ways_of_naming_someone_are_refused(training) -> None:  # noqa: ANN001
    error = refused(training, "ListRecords", MANAGER_ICU, slack_user_id="UNOBODY")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    other_team = rpc.Caller("TOTHER", "UM1")
    assert refused(training, "ListRecords", other_team, slack_user_id="UN2").code() == (
        grpc.StatusCode.PERMISSION_DENIED)  # the caller is unknown in that team
    error = refused(training, "ListRecords", MANAGER_ICU, staff_id="N2", slack_user_id="UN2")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_records_need_to_know_who_asks(training) -> None:  # noqa: ANN001
    assert refused(training, "ListRecords").code() == grpc.StatusCode.UNAUTHENTICATED
    assert refused(training, "ListRecords", STRANGER).code() == grpc.StatusCode.PERMISSION_DENIED


def test_unit_compliance_gaps_are_for_the_manager_and_educator_only(training) -> None:  # noqa: ANN001
    for caller in (MANAGER_ICU, EDUCATOR):
        answer = call(training, "GetUnitCompliance", caller, unit_id="ICU", on=d(2026, 6, 15))
        assert (answer.staff_count, answer.fully_compliant) == (4, 3)
        assert [(g.staff_id, [f.explanation for f in g.findings]) for g in answer.gaps] == [
            ("N2", ["ACLS expired 2026-05-31"])]
    for caller in (NURSE_1, MANAGER_ED, None):
        answer = call(training, "GetUnitCompliance", caller, unit_id="ICU", on=d(2026, 6, 15))
        assert (answer.staff_count, answer.fully_compliant) == (4, 3)
        by_type = {t.certification_code: (t.required_of, t.current) for t in answer.by_type}
        assert by_type == {"BLS": (4, 4), "RN-CA": (3, 3), "ACLS": (3, 2)}
        assert list(answer.gaps) == []


def test_expiring_lists_due_thresholds_with_slack_ids_once_claimed_never_again(training) -> None:  # noqa: ANN001
    # C1's BLS expires 2026-07-15: the 30-day reminder is due 2026-06-15; N2's ACLS expired
    # 2026-05-31, so its third weekly reminder (-15) is due the same day.
    expiring = call(training, "ListExpiring", on=d(2026, 6, 15)).expiring
    assert [(e.record.staff_id, e.record.certification_code, e.threshold_days)
            for e in expiring] == [("C1", "BLS", 30), ("N2", "ACLS", -15)]
    due = expiring[0]
    assert (due.slack_team_id, due.slack_user_id, due.unit_id) == (TEAM, "UC1", "ICU")
    claim = {"staff_id": "C1", "certification_code": "BLS", "expires_on": d(2026, 7, 15),
             "threshold_days": 30}
    assert call(training, "RecordReminderSent", **claim).recorded is True
    assert call(training, "RecordReminderSent", **claim).recorded is False
    left = call(training, "ListExpiring", on=d(2026, 6, 15)).expiring
    assert [(e.record.staff_id, e.threshold_days) for e in left] == [("N2", -15)]


def test_a_scan_after_downtime_catches_up_only_the_latest_threshold(training) -> None:  # noqa: ANN001
    # N2's ACLS expired 2026-05-31: day-after (-1) on 06-01, weekly -8 on 06-08, -15 on 06-15.
    expiring = call(training, "ListExpiring", on=d(2026, 6, 15), since=d(2026, 5, 20)).expiring
    assert {(e.record.staff_id, e.threshold_days) for e in expiring} == {("N2", -15), ("C1", 30)}


CSV_GOOD = (b"staff_id,certification_code,issued_on,expires_on,evidence_reference\n"
            b"N3,ACLS,2026-01-10,,HR-1\nN3,PALS,2026-02-01,2028-02-29,HR-2\n")


def test_a_csv_import_writes_every_row_with_derived_expiry(training) -> None:  # noqa: ANN001
    answer = call(training, "ImportRecords", MANAGER_ED, format=training_pb2.IMPORT_FORMAT_CSV,
                  content=CSV_GOOD)
    assert (answer.records_written, list(answer.rejected)) == (2, [])
    records = {r.certification_code: r
               for r in call(training, "ListRecords", MANAGER_ED, staff_id="N3").records}
    assert records["ACLS"].expiry_derived and records["ACLS"].expires_on == d(2028, 1, 31)
    assert not records["PALS"].expiry_derived and records["PALS"].verified_by.staff_id == "M2"


def test_a_csv_import_with_bad_rows_writes_nothing_and_names_each_row(training) -> None:  # noqa: ANN001
    content = CSV_GOOD + (b"GHOST,BLS,2026-01-10,,\nN3,XYZ,2026-01-10,,\nN3,TNCC,2026-13-01,,\n"
                          b"N1,BLS,2026-01-10,,\n")
    answer = call(training, "ImportRecords", MANAGER_ED, format=training_pb2.IMPORT_FORMAT_CSV,
                  content=content)
    assert answer.records_written == 0
    reasons = {r.position: r.reason for r in answer.rejected}
    assert set(reasons) == {3, 4, 5, 6}
    assert "no staff member 'GHOST'" in reasons[3]
    assert "unknown certification code (XYZ)" in reasons[4]
    assert "issued_on '2026-13-01' is not a date" in reasons[5]
    assert "not on a unit you manage" in reasons[6]
    records = call(training, "ListRecords", MANAGER_ED, staff_id="N3").records
    assert {r.certification_code for r in records} == {"BLS", "RN-CA"}


def practitioner(staff_id: str, *qualifications: dict) -> dict:
    return {"resourceType": "Practitioner", "id": f"p-{staff_id}",
            "identifier": [{"system": "urn:clinops:staff", "value": staff_id}],
            "qualification": list(qualifications)}


def qualification(code: str, start: str | None = None, end: str | None = None) -> dict:
    period = {k: v for k, v in (("start", start), ("end", end)) if v}
    return {"code": {"coding": [{"system": "urn:clinops:cert", "code": code}]}, "period": period}


def bundle(*resources: dict) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]}).encode()


def test_a_fhir_bundle_of_practitioners_is_imported(training) -> None:  # noqa: ANN001
    content = bundle(practitioner("N3", qualification("ACLS", "2025-06-03"),
                                  qualification("TNCC", "2025-01-01", "2029-01-31")))
    answer = call(training, "ImportRecords", EDUCATOR,
                  format=training_pb2.IMPORT_FORMAT_FHIR_JSON, content=content)
    assert (answer.records_written, list(answer.rejected)) == (2, [])
    records = {r.certification_code: r
               for r in call(training, "ListRecords", EDUCATOR, staff_id="N3").records}
    assert records["ACLS"].expires_on == d(2027, 6, 30)
    assert records["TNCC"].evidence_reference == "Practitioner/p-N3"


def test_a_fhir_bundle_with_a_bad_resource_writes_nothing_and_says_why(training) -> None:  # noqa: ANN001
    content = bundle(
        practitioner("N3", qualification("ACLS", "2025-06-03")),
        {"resourceType": "Patient", "id": "x"},
        practitioner("N3", {"period": {"start": "2025-01-01"}}),
        practitioner("N1", qualification("PALS")),
    )
    answer = call(training, "ImportRecords", EDUCATOR,
                  format=training_pb2.IMPORT_FORMAT_FHIR_JSON, content=content)
    assert answer.records_written == 0
    reasons = {r.position: r.reason for r in answer.rejected}
    assert set(reasons) == {1, 2, 3}
    assert "expected a Practitioner, got 'Patient'" in reasons[1]
    assert "not a valid FHIR R4 Practitioner" in reasons[2] and "code" in reasons[2]
    assert "no period.end and no period.start" in reasons[3]
    acls = [r for r in call(training, "ListRecords", EDUCATOR, staff_id="N3").records
            if r.certification_code == "ACLS"]
    assert acls == []


def test_imports_are_for_educators_and_managers_and_refuse_bad_requests(training) -> None:  # noqa: ANN001
    error = refused(training, "ImportRecords", NURSE_1, format=training_pb2.IMPORT_FORMAT_CSV,
                    content=CSV_GOOD)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = refused(training, "ImportRecords", EDUCATOR, content=CSV_GOOD)
    assert rpc.field_violations(error) == {"format": "one of CSV, FHIR_JSON"}
    error = refused(training, "ImportRecords", EDUCATOR,
                    format=training_pb2.IMPORT_FORMAT_FHIR_JSON, content=b"{not json")
    assert set(rpc.field_violations(error)) == {"content"}


def test_a_renewal_verified_by_the_educator_updates_the_record(training) -> None:  # noqa: ANN001
    submitted = call(training, "SubmitRenewal", NURSE_2, certification_code="acls",
                     expires_on=d(2028, 6, 30), evidence_reference="ecard 12345").renewal
    assert submitted.state == training_pb2.RENEWAL_STATE_PENDING
    pending = {r.certification_code: r for r in call(training, "ListRecords", NURSE_2).records}
    assert pending["ACLS"].status == training_pb2.RECORD_STATUS_PENDING_VERIFICATION
    assert pending["ACLS"].expires_on == d(2026, 5, 31)  # unchanged until verified
    decided = call(training, "DecideRenewal", EDUCATOR, renewal_id=submitted.renewal_id,
                   verify=True).renewal
    assert decided.state == training_pb2.RENEWAL_STATE_VERIFIED
    assert decided.decided_by.staff_id == "E1"
    acls = {r.certification_code: r for r in call(training, "ListRecords", NURSE_2).records}
    assert acls["ACLS"].expires_on == d(2028, 6, 30)
    assert acls["ACLS"].status == training_pb2.RECORD_STATUS_CURRENT
    eligible = call(training, "CheckEligibility", staff_id="N2", unit_id="ICU",
                    window=window(2026, 6, 16))
    assert eligible.eligible
    again = refused(training, "DecideRenewal", MANAGER_ICU, renewal_id=submitted.renewal_id,
                    verify=False, reason="duplicate")
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_staff_nurse_cannot_verify_a_renewal_and_a_rejection_changes_nothing(training) -> None:  # noqa: ANN001
    submitted = call(training, "SubmitRenewal", NURSE_2, certification_code="ACLS",
                     expires_on=d(2028, 6, 30)).renewal
    for caller in (NURSE_1, NURSE_2, MANAGER_ED):
        error = refused(training, "DecideRenewal", caller, renewal_id=submitted.renewal_id,
                        verify=True)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = refused(training, "DecideRenewal", MANAGER_ICU, renewal_id=submitted.renewal_id,
                    verify=False)
    assert rpc.field_violations(error) == {"reason": "required when rejecting"}
    rejected = call(training, "DecideRenewal", MANAGER_ICU, renewal_id=submitted.renewal_id,
                    verify=False, reason="card is illegible").renewal
    assert rejected.state == training_pb2.RENEWAL_STATE_REJECTED
    assert rejected.rejection_reason == "card is illegible"
    acls = {r.certification_code: r for r in call(training, "ListRecords", NURSE_2).records}
    assert acls["ACLS"].expires_on == d(2026, 5, 31)


def test_a_renewal_names_its_bad_fields(training) -> None:  # noqa: ANN001
    error = refused(training, "SubmitRenewal", NURSE_2, certification_code="")
    assert set(rpc.field_violations(error)) == {"certification_code", "expires_on"}
    error = refused(training, "SubmitRenewal", NURSE_2, certification_code="XYZ",
                    expires_on=d(2028, 6, 30))
    assert set(rpc.field_violations(error)) == {"certification_code"}
    error = refused(training, "SubmitRenewal", NURSE_2, certification_code="ACLS",
                    expires_on=d(2026, 6, 1))
    assert rpc.field_violations(error) == {"expires_on": "2026-06-01 is already past"}
    error = refused(training, "SubmitRenewal", NURSE_2, certification_code="ACLS",
                    expires_on=d(2031, 6, 30))
    assert "later than a ACLS card can run" in rpc.field_violations(error)["expires_on"]
    assert refused(training, "DecideRenewal", EDUCATOR, renewal_id="nope",
                   verify=True).code() == grpc.StatusCode.NOT_FOUND


def test_the_audit_log_records_imports_and_decisions(training, training_store) -> None:  # noqa: ANN001
    call(training, "ImportRecords", MANAGER_ED, format=training_pb2.IMPORT_FORMAT_CSV,
         content=CSV_GOOD)
    submitted = call(training, "SubmitRenewal", NURSE_2, certification_code="ACLS",
                     expires_on=d(2028, 6, 30)).renewal
    call(training, "DecideRenewal", EDUCATOR, renewal_id=submitted.renewal_id, verify=True)
    entries = training_store.audit_log()
    assert [(e.action, e.actor_staff_id) for e in entries] == [
        ("IMPORT", "M2"), ("RENEWAL_SUBMITTED", "N2"), ("RENEWAL_VERIFIED", "E1")]
    assert all(e.at == NOW.astimezone(UTC) for e in entries)
    assert entries[0].actor_slack_user_id == "UM2"

