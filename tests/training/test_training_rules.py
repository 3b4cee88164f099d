"""Training rules at their boundaries: expiry, validity, eligibility, reminders, compliance."""

from __future__ import annotations

from datetime import date

import pytest

from services.training.domain import (
    derived_expiry,
    due_threshold,
    eligibility,
    expiry_of,
    is_current,
    record_status,
    reminders_due,
    required_codes,
    unit_compliance,
)
from services.training.model import (
    CertificationRecord,
    CertificationType,
    Problem,
    RecordStatus,
    Requirement,
    StaffMember,
    Unit,
)

BLS = CertificationType("BLS", "Basic Life Support", 24, (90, 60, 30, 7))
CCRN = CertificationType("CCRN", "CCRN", 36, (120, 90, 60, 30, 7))
TYPES = {"BLS": BLS, "CCRN": CCRN}
ICU = Unit("ICU", "Intensive Care", "ICU")
MED_SURG = Unit("4W", "4 West", "MED_SURG")
REQUIREMENTS = (
    Requirement("RN", ("BLS", "RN-CA")),
    Requirement("CNA", ("BLS",)),
    Requirement("RN", ("ACLS",), unit_category="ICU"),
    Requirement("RN", ("TNCC",), unit_id="4W"),
)


def record(code: str, expires_on: date, staff_id: str = "S1") -> CertificationRecord:
    return CertificationRecord(staff_id, code, None, expires_on)


@pytest.mark.parametrize(("issued", "months", "expires"), [
    (date(2024, 6, 3), 24, date(2026, 6, 30)),
    (date(2024, 1, 31), 24, date(2026, 1, 31)),
    (date(2024, 11, 15), 24, date(2026, 11, 30)),
    (date(2024, 12, 1), 24, date(2026, 12, 31)),
    (date(2023, 12, 31), 48, date(2027, 12, 31)),
])
def test_derived_expiry_is_the_last_day_of_the_month_n_years_on(issued, months, expires) -> None:
    assert derived_expiry(issued, months) == expires


def test_a_card_issued_on_leap_day_expires_on_the_last_day_of_february() -> None:
    assert derived_expiry(date(2024, 2, 29), 24) == date(2026, 2, 28)
    assert derived_expiry(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert derived_expiry(date(2025, 2, 10), 36) == date(2028, 2, 29)


def test_the_printed_expiry_wins_over_the_derived_one() -> None:
    assert expiry_of(date(2024, 6, 3), date(2026, 6, 15), 24) == (date(2026, 6, 15), False)
    assert expiry_of(date(2024, 6, 3), None, 24) == (date(2026, 6, 30), True)


def test_a_certification_is_valid_through_its_expiry_date_and_not_a_day_longer() -> None:
    card = record("BLS", date(2026, 6, 30))
    assert is_current(card, on=date(2026, 6, 30))
    assert not is_current(card, on=date(2026, 7, 1))


def test_status_is_expiring_within_the_first_reminder_and_expired_after_the_date() -> None:
    card = record("BLS", date(2026, 6, 30))
    assert record_status(card, BLS, on=date(2026, 4, 1)) is RecordStatus.EXPIRING  # 90 days
    assert record_status(card, BLS, on=date(2026, 3, 31)) is RecordStatus.CURRENT
    assert record_status(card, BLS, on=date(2026, 6, 30)) is RecordStatus.EXPIRING
    assert record_status(card, BLS, on=date(2026, 7, 1)) is RecordStatus.EXPIRED


def test_requirements_add_up_by_role_category_and_unit() -> None:
    assert required_codes(REQUIREMENTS, role="RN", unit=ICU) == ("BLS", "RN-CA", "ACLS")
    assert required_codes(REQUIREMENTS, role="RN", unit=MED_SURG) == ("BLS", "RN-CA", "TNCC")
    assert required_codes(REQUIREMENTS, role="CNA", unit=ICU) == ("BLS",)
    assert required_codes(REQUIREMENTS, role="UNIT_CLERK", unit=ICU) == ()


def test_an_acls_expiring_on_the_day_the_shift_ends_is_still_valid() -> None:
    findings = eligibility([record("ACLS", date(2026, 7, 2))], ["ACLS"], date(2026, 7, 2),
                           shift_start_date=date(2026, 7, 1))
    assert findings == []


def test_an_acls_expiring_the_day_before_the_shift_ends_is_named_with_both_dates() -> None:
    [finding] = eligibility([record("ACLS", date(2026, 7, 1))], ["ACLS"], date(2026, 7, 2),
                            shift_start_date=date(2026, 7, 1))
    assert finding.problem is Problem.EXPIRES_BEFORE_SHIFT_END
    assert finding.explanation == "ACLS expires 2026-07-01, before this shift ends 2026-07-02"


def test_an_expired_acls_and_a_missing_licence_are_both_named() -> None:
    findings = eligibility([record("ACLS", date(2026, 6, 30)), record("BLS", date(2027, 1, 31))],
                           ["BLS", "RN-CA", "ACLS"], date(2026, 7, 1))
    assert [(f.certification_code, f.problem, f.explanation) for f in findings] == [
        ("RN-CA", Problem.MISSING, "RN-CA missing"),
        ("ACLS", Problem.EXPIRED, "ACLS expired 2026-06-30"),
    ]


def test_the_latest_card_of_a_type_is_the_one_that_counts() -> None:
    cards = [record("BLS", date(2025, 1, 31)), record("BLS", date(2027, 1, 31))]
    assert eligibility(cards, ["BLS"], date(2026, 7, 1)) == []


EXPIRES = date(2026, 6, 30)


@pytest.mark.parametrize(("on", "threshold"), [
    (date(2026, 4, 1), 90), (date(2026, 5, 1), 60), (date(2026, 5, 31), 30),
    (date(2026, 6, 23), 7), (date(2026, 7, 1), -1), (date(2026, 7, 8), -8),
    (date(2026, 7, 15), -15), (date(2026, 9, 30), -92),
])
def test_each_threshold_falls_due_on_its_exact_day(on: date, threshold: int) -> None:
    assert due_threshold(EXPIRES, BLS.reminder_days, on=on) == threshold


@pytest.mark.parametrize("on", [
    date(2026, 3, 31), date(2026, 4, 2), date(2026, 6, 22), date(2026, 6, 24), EXPIRES,
    date(2026, 7, 2), date(2026, 7, 7), date(2026, 7, 9),
])
def test_no_threshold_falls_due_between_thresholds(on: date) -> None:
    assert due_threshold(EXPIRES, BLS.reminder_days, on=on) is None


def test_ccrn_is_reminded_120_days_ahead() -> None:
    assert due_threshold(EXPIRES, CCRN.reminder_days, on=date(2026, 3, 2)) == 120
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 3, 2)) is None


def test_a_scan_after_a_missed_day_catches_up_the_threshold_crossed_yesterday() -> None:
    # The 30-day threshold was 2026-05-31; the scan that day did not run.
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 6, 1),
                         since=date(2026, 5, 30)) == 30


def test_catch_up_sends_only_the_most_recent_threshold_not_the_stale_ones() -> None:
    # Down from 2026-04-15 to 2026-06-01: the 60- and 30-day thresholds were both missed.
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 6, 1),
                         since=date(2026, 4, 15)) == 30
    # Down across expiry: only the latest weekly reminder, not the day-after one.
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 7, 10),
                         since=date(2026, 6, 20)) == -8


def test_a_scan_that_already_ran_today_finds_nothing_more() -> None:
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 5, 31),
                         since=date(2026, 5, 31)) is None


def test_a_threshold_crossed_before_the_last_scan_is_not_due_again() -> None:
    assert due_threshold(EXPIRES, BLS.reminder_days, on=date(2026, 6, 5),
                         since=date(2026, 6, 1)) is None


def test_reminders_due_give_one_threshold_per_record() -> None:
    cards = [record("BLS", EXPIRES), record("CCRN", EXPIRES, "S2"), record("BLS", date(2030, 1, 1))]
    due = reminders_due(cards, TYPES, on=date(2026, 4, 1), since=date(2026, 2, 1))
    assert [(d.record.staff_id, d.record.certification_code, d.threshold_days) for d in due] == [
        ("S1", "BLS", 90), ("S2", "CCRN", 90)]


def member(staff_id: str, name: str, role: str = "RN") -> StaffMember:
    return StaffMember(staff_id, name, role, "ICU", "T1", f"U{staff_id}")


def test_unit_compliance_counts_per_type_and_lists_who_lacks_what() -> None:
    staff = [member("S1", "Ana"), member("S2", "Ben"), member("S3", "Cy", role="CNA")]
    cards = [record("BLS", date(2027, 1, 31), "S1"), record("RN-CA", date(2027, 1, 31), "S1"),
             record("ACLS", date(2027, 1, 31), "S1"),
             record("BLS", date(2027, 1, 31), "S2"), record("RN-CA", date(2027, 1, 31), "S2"),
             record("ACLS", date(2026, 6, 30), "S2"),
             record("BLS", date(2026, 7, 1), "S3")]
    compliance = unit_compliance(ICU, staff, cards, REQUIREMENTS, on=date(2026, 7, 1))
    assert (compliance.staff_count, compliance.fully_compliant) == (3, 2)
    assert compliance.share == pytest.approx(2 / 3)
    assert [(t.certification_code, t.required_of, t.current) for t in compliance.by_type] == [
        ("BLS", 3, 3), ("RN-CA", 2, 2), ("ACLS", 2, 1)]
    [gap] = compliance.gaps
    assert (gap.staff_id, [f.explanation for f in gap.findings]) == (
        "S2", ["ACLS expired 2026-06-30"])
