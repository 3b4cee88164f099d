"""The bad and implausible inputs issue 16 §6 names, each refused naming its field, on SQLite and
PostgreSQL: none reaches UNKNOWN, and none is stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import grpc
import pytest

from clinops import authz, rpc
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc
from clinops.supplies.v1 import supplies_pb2, supplies_pb2_grpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from tests.properties.services import Running

MANAGER = rpc.caller_metadata(rpc.Caller("T0CLINOPS", "U0ICU001"))  # Denise Okafor, ICU
NURSE = rpc.caller_metadata(rpc.Caller("T0CLINOPS", "U0ICU005"))  # Jordan Whitfield, ICU
HUGE_DIGITS = "1" * 5001


def day(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def refused(call: Callable[[], object]) -> dict[str, str]:
    """The field violations of a call that must be INVALID_ARGUMENT."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    return rpc.field_violations(caught.value)


@pytest.fixture
def training(stack: Running) -> training_pb2_grpc.TrainingServiceStub:
    return training_pb2_grpc.TrainingServiceStub(stack.channels["training"])


@pytest.fixture
def supplies(stack: Running) -> supplies_pb2_grpc.SuppliesServiceStub:
    return supplies_pb2_grpc.SuppliesServiceStub(stack.channels["supplies"])


@pytest.fixture
def staffing(stack: Running) -> staffing_pb2_grpc.StaffingServiceStub:
    return staffing_pb2_grpc.StaffingServiceStub(stack.channels["staffing"])


@pytest.mark.parametrize("edge", [date.min, date.max], ids=["0001-01-01", "9999-12-31"])
def test_reminder_scans_on_the_first_or_last_day_of_the_calendar_are_refused_naming_on(
        training: training_pb2_grpc.TrainingServiceStub, edge: date) -> None:
    assert "on" in refused(lambda: training.ListExpiring(
        training_pb2.ListExpiringRequest(on=day(edge)), timeout=10,
        metadata=authz.service_metadata()))
    assert "on" in refused(lambda: training.QueueReminders(
        training_pb2.QueueRemindersRequest(on=day(edge), all_units=True), timeout=10,
        metadata=authz.service_metadata()))


def import_records(training: training_pb2_grpc.TrainingServiceStub, content: bytes,
                   kind: int = training_pb2.IMPORT_FORMAT_CSV) -> object:
    return training.ImportRecords(training_pb2.ImportRecordsRequest(format=kind, content=content),
                                  timeout=20, metadata=MANAGER)


@pytest.mark.parametrize(("kind", "content"), [
    (training_pb2.IMPORT_FORMAT_CSV,
     b"staff_id,certification_code,issued_on,evidence_reference\nS1005,BLS,2026-01-05,"
     + b"x" * (128 * 1024 + 1) + b"\n"),
    (training_pb2.IMPORT_FORMAT_FHIR_JSON,
     b'{"resourceType": "Practitioner", "extension": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    (training_pb2.IMPORT_FORMAT_FHIR_JSON,
     b'{"resourceType": "Practitioner", "id": ' + HUGE_DIGITS.encode() + b"}"),
], ids=["csv-cell-over-128-KiB", "json-100000-deep", "json-5001-digit-number"])
def test_an_import_no_export_could_produce_is_refused_naming_content(
        stack: Running, training: training_pb2_grpc.TrainingServiceStub, kind: int,
        content: bytes) -> None:
    before = stack.snapshot("training")
    assert "content" in refused(lambda: import_records(training, content, kind))
    assert stack.snapshot("training") == before


def test_a_5001_digit_proposal_or_order_number_is_refused_naming_it(
        supplies: supplies_pb2_grpc.SuppliesServiceStub) -> None:
    assert "proposal_id" in refused(lambda: supplies.GetProposal(
        supplies_pb2.GetProposalRequest(proposal_id="RP-" + HUGE_DIGITS), timeout=10,
        metadata=MANAGER))
    assert "purchase_order_id" in refused(lambda: supplies.ReceivePurchaseOrder(
        supplies_pb2.ReceivePurchaseOrderRequest(purchase_order_id="PO-" + HUGE_DIGITS),
        timeout=10, metadata=MANAGER))


@pytest.mark.parametrize(("issued", "expires", "named"), [
    ("1949-12-31", "", "issued_on 1949-12-31 is before 1950"),
    ("2024-03-01", "2034-03-02", "expires_on 2034-03-02 is more than 10 years after issued_on"),
    ("2026-01-02", "2099-01-31", "expires_on 2099-01-31 is more than 10 years after issued_on"),
], ids=["issued-before-1950", "eleven-years-after-issue", "expiry-73-years-out"])
def test_an_imported_certificate_with_implausible_dates_is_rejected_and_nothing_is_written(
        stack: Running, training: training_pb2_grpc.TrainingServiceStub, issued: str,
        expires: str, named: str) -> None:
    content = ("staff_id,certification_code,issued_on,expires_on\n"
               f"S1006,ACLS,2026-01-05,\nS1005,BLS,{issued},{expires}\n").encode()
    before = stack.snapshot("training")
    answer = import_records(training, content)
    assert answer.records_written == 0
    assert [(r.position, named in r.reason) for r in answer.rejected] == [(2, True)], \
        answer.rejected
    assert stack.snapshot("training") == before


def submit_renewal(training: training_pb2_grpc.TrainingServiceStub, issued_on: date | None,
                   expires_on: date) -> object:
    return training.SubmitRenewal(training_pb2.SubmitRenewalRequest(
        certification_code="BLS", issued_on=day(issued_on) if issued_on else None,
        expires_on=day(expires_on), evidence_reference="eCard"), timeout=10, metadata=NURSE)


def test_a_renewal_with_implausible_dates_is_refused_naming_the_date_by_the_imports_rule(
        stack: Running, training: training_pb2_grpc.TrainingServiceStub) -> None:
    before = stack.snapshot("training")
    soon = date.today() + timedelta(days=300)
    assert refused(lambda: submit_renewal(training, date(1949, 6, 1), soon))[
        "issued_on"].startswith("1949-06-01 is before 1950")
    assert refused(lambda: submit_renewal(training, None, date(2099, 1, 31)))[
        "expires_on"].startswith("2099-01-31 is more than 10 years after today")
    assert stack.snapshot("training") == before


@pytest.fixture
def icu_with_beds(stack: Running) -> Iterator[int]:
    """ICU given 12 beds, as setup would from the site file; put back as it was afterwards."""
    store = stack.stores["staffing"]
    unit = store.get_unit("ICU")  # type: ignore[attr-defined]
    store.add_unit(dataclasses.replace(unit, beds=12))  # type: ignore[attr-defined]
    yield 12
    store.add_unit(unit)  # type: ignore[attr-defined]


def record_census(staffing: staffing_pb2_grpc.StaffingServiceStub, patients: int) -> object:
    return staffing.RecordCensus(staffing_pb2.RecordCensusRequest(
        unit_id="ICU", day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TOMORROW),
        shift=common_pb2.SHIFT_NIGHT, census=staffing_pb2.Census(patients=patients)),
        timeout=10, metadata=MANAGER)


def test_a_census_above_the_units_beds_is_refused_and_its_beds_are_accepted(
        stack: Running, staffing: staffing_pb2_grpc.StaffingServiceStub,
        icu_with_beds: int) -> None:
    before = stack.snapshot("staffing")
    violations = refused(lambda: record_census(staffing, icu_with_beds + 1))
    assert violations == {"census.patients": "13 is more than the unit's 12 beds"}
    assert stack.snapshot("staffing") == before
    record_census(staffing, icu_with_beds)


def test_a_census_above_500_is_refused_when_the_unit_has_no_bed_count(
        stack: Running, staffing: staffing_pb2_grpc.StaffingServiceStub) -> None:
    before = stack.snapshot("staffing")
    violations = refused(lambda: record_census(staffing, 501))
    assert violations["census.patients"].startswith("501 is more than 500")
    assert stack.snapshot("staffing") == before


@pytest.fixture
def icu_opened(stack: Running) -> Iterator[date]:
    """ICU opened 2025-06-01, as setup would record it from the site file; then as it was."""
    store = stack.stores["supplies"]
    unit = store.get_unit("ICU")  # type: ignore[attr-defined]
    store.add_unit(dataclasses.replace(unit, opened_on=date(2025, 6, 1)))  # type: ignore[attr-defined]
    yield date(2025, 6, 1)
    store.add_unit(unit)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("when", "reason"), [
    (date(2025, 5, 31), "date 2025-05-31 is before ICU opened (2025-06-01)"),
    (date.today() + timedelta(days=2), "is in the future"),
], ids=["before-the-unit-opened", "in-the-future"])
def test_a_stock_row_dated_before_the_unit_opened_or_in_the_future_is_rejected(
        stack: Running, supplies: supplies_pb2_grpc.SuppliesServiceStub, icu_opened: date,
        when: date, reason: str) -> None:
    before = stack.snapshot("supplies")
    answer = supplies.ImportStock(supplies_pb2.ImportStockRequest(rows=[
        supplies_pb2.StockRow(unit_id="ICU", sku="FLUSH-NS-10", date=day(date.today()),
                              counted=400, has_count=True),
        supplies_pb2.StockRow(unit_id="ICU", sku="IVCATH-18G", date=day(when), counted=3,
                              has_count=True)]), timeout=20, metadata=MANAGER)
    assert answer.rows_written == 0
    assert [(r.row_number, reason in r.reason) for r in answer.rejected] == [(2, True)], \
        answer.rejected
    assert stack.snapshot("supplies") == before


def test_a_stock_row_dated_before_1950_is_rejected_when_the_unit_has_no_opening_day(
        stack: Running, supplies: supplies_pb2_grpc.SuppliesServiceStub) -> None:
    before = stack.snapshot("supplies")
    answer = supplies.ImportStock(supplies_pb2.ImportStockRequest(rows=[
        supplies_pb2.StockRow(unit_id="ICU", sku="IVCATH-18G",
                              date=common_pb2.Date(year=1925, month=3, day=2), counted=3,
                              has_count=True)]), timeout=20, metadata=MANAGER)
    assert [r.reason for r in answer.rejected] == ["date 1925-03-02 is before 1950; "
                                                   "check the year"]
    assert stack.snapshot("supplies") == before
