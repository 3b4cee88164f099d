"""Certification rules as functions of their inputs: expiry, eligibility, reminders, compliance.

Sources: DESIGN.md (training). A card is valid *through* its expiry date; when no expiry is
printed it is the last day of the month N years after the issue month (as AHA course
completion cards are dated).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from services.training.model import (
    DAY_AFTER_EXPIRY,
    CertificationRecord,
    CertificationType,
    ComplianceGap,
    ComplianceRow,
    DueReminder,
    Finding,
    Problem,
    RecordStatus,
    Requirement,
    StaffMember,
    TypeCompliance,
    Unit,
    UnitCompliance,
)

WEEK = 7

# A card on file belongs to someone working today: none was issued before 1950, and none runs
# ten years (AHA BLS/ACLS/PALS and NRP 2 years, CCRN 3, TNCC 4, state licences 2 to 4). A date
# outside that is a typing slip (1924 for 2024, 2205 for 2025), and stored it would show a
# nurse current for centuries.
EARLIEST_ISSUE = date(1950, 1, 1)
LONGEST_CARD_YEARS = 10


def _years_after(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def card_date_problems(
    issued_on: date | None, expires_on: date | None, *, on: date,
    latest_expiry: date | None = None, code: str = "",
) -> dict[str, str]:
    """What makes a card's dates implausible, by field; empty when they could be real.

    `on` is today at the unit; `latest_expiry`, when given, is the latest expiry the card's
    type allows (a renewal's card runs at most its type's validity from today).
    """
    problems: dict[str, str] = {}
    if issued_on is not None:
        if issued_on < EARLIEST_ISSUE:
            problems["issued_on"] = (f"{issued_on.isoformat()} is before "
                                     f"{EARLIEST_ISSUE.year}; check the year")
        elif issued_on > on:
            problems["issued_on"] = f"{issued_on.isoformat()} is in the future"
    if expires_on is None:
        return problems
    start = issued_on if issued_on is not None else on
    if issued_on is not None and expires_on < issued_on:
        problems["expires_on"] = (f"{expires_on.isoformat()} is before issued_on "
                                  f"{issued_on.isoformat()}")
    elif "issued_on" not in problems and expires_on > _years_after(start, LONGEST_CARD_YEARS):
        after = "issued_on" if issued_on is not None else "today"
        problems["expires_on"] = (f"{expires_on.isoformat()} is more than "
                                  f"{LONGEST_CARD_YEARS} years after {after}; check the year")
    elif latest_expiry is not None and expires_on > latest_expiry:
        problems["expires_on"] = (f"{expires_on.isoformat()} is later than a {code} card can "
                                  f"run ({latest_expiry.isoformat()})")
    return problems


def derived_expiry(issued_on: date, validity_months: int) -> date:
    """Last day of the month `validity_months` after the issue month (2024-02 + 24 → 2026-02-28)."""
    index = issued_on.year * 12 + issued_on.month - 1 + validity_months
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def expiry_of(
    issued_on: date | None, printed_expiry: date | None, validity_months: int
) -> tuple[date, bool]:
    """The expiry to store and whether it was derived: the printed date wins when there is one."""
    if printed_expiry is not None:
        return printed_expiry, False
    if issued_on is None:
        raise ValueError("an expiry needs a printed date or an issue date")
    return derived_expiry(issued_on, validity_months), True


def is_current(record: CertificationRecord, *, on: date) -> bool:
    """Valid through the expiry date itself."""
    return on <= record.expires_on


def days_left(record: CertificationRecord, *, on: date) -> int:
    """Days from `on` to the expiry date; 0 on the expiry day, negative once expired."""
    return (record.expires_on - on).days


def record_status(
    record: CertificationRecord, certification_type: CertificationType | None, *, on: date
) -> RecordStatus:
    """Expired after the expiry date; expiring within the type's earliest reminder; else current."""
    left = days_left(record, on=on)
    if left < 0:
        return RecordStatus.EXPIRED
    window = max(certification_type.reminder_days, default=0) if certification_type else 0
    return RecordStatus.EXPIRING if left <= window else RecordStatus.CURRENT


def latest_by_code(records: Iterable[CertificationRecord]) -> dict[str, CertificationRecord]:
    """The record with the latest expiry for each certification code."""
    latest: dict[str, CertificationRecord] = {}
    for record in records:
        held = latest.get(record.certification_code)
        if held is None or record.expires_on > held.expires_on:
            latest[record.certification_code] = record
    return latest


def required_codes(
    requirements: Iterable[Requirement], *, role: str, unit: Unit
) -> tuple[str, ...]:
    """Every certification code the role needs on the unit, each once, in requirement order."""
    codes: dict[str, None] = {}
    for requirement in requirements:
        if requirement.applies_to(role, unit):
            codes.update(dict.fromkeys(requirement.certification_codes))
    return tuple(codes)


def eligibility(
    records: Iterable[CertificationRecord],
    required_types: Sequence[str],
    shift_end_date: date,
    *,
    shift_start_date: date | None = None,
) -> list[Finding]:
    """Each required type missing, expired by the shift's start, or lapsing before it ends.

    Expiring ON the shift's end date is still valid (valid through the expiry date). No findings
    means eligible.
    """
    start = shift_start_date or shift_end_date
    held = latest_by_code(records)
    findings = []
    for code in required_types:
        record = held.get(code)
        if record is None:
            findings.append(Finding(code, Problem.MISSING, None, f"{code} missing"))
        elif record.expires_on < start:
            findings.append(Finding(code, Problem.EXPIRED, record.expires_on,
                                    f"{code} expired {record.expires_on.isoformat()}"))
        elif record.expires_on < shift_end_date:
            findings.append(Finding(
                code, Problem.EXPIRES_BEFORE_SHIFT_END, record.expires_on,
                f"{code} expires {record.expires_on.isoformat()}, before this shift ends "
                f"{shift_end_date.isoformat()}",
            ))
    return findings


def threshold_date(expires_on: date, threshold_days: int) -> date:
    """The day a threshold is crossed: `threshold_days` before expiry (negative: after it)."""
    return expires_on - timedelta(days=threshold_days)


def due_threshold(
    expires_on: date, reminder_days: Iterable[int], *, on: date, since: date | None = None
) -> int | None:
    """The most recent threshold crossed after `since` and on or before `on`, or None.

    Thresholds: each of `reminder_days` before expiry, the day after expiry (-1), then weekly
    (-8, -15, ...). `since` is the last day a scan ran (default: yesterday). A scan that missed
    days still answers one threshold per record, the latest: a nurse 25 days out is not told
    "30 days left" when the 60-day reminder was missed too, only the 30-day one.
    """
    since = on - timedelta(days=1) if since is None else since
    if since >= on:
        return None
    after_expiry = (on - expires_on).days
    if after_expiry >= 1:
        weeks = (after_expiry + DAY_AFTER_EXPIRY) // WEEK
        latest = DAY_AFTER_EXPIRY - WEEK * weeks
        if threshold_date(expires_on, latest) > since:
            return latest
    crossed = [d for d in reminder_days if d > 0 and since < threshold_date(expires_on, d) <= on]
    return min(crossed) if crossed else None


def expiries_that_may_be_due(
    reminder_days: Iterable[int], *, on: date, since: date | None = None
) -> tuple[date, list[tuple[date, date]]]:
    """Which expiry dates can cross a threshold after `since` up to `on` (see `due_threshold`).

    Returns (expired on or before this day: any may be due weekly, and the inclusive expiry
    ranges, one per threshold, in which a reminder before expiry falls). A store can select
    just these records; `reminders_due` still decides exactly.
    """
    since = on - timedelta(days=1) if since is None else since
    ranges = [(since + timedelta(days=days + 1), on + timedelta(days=days))
              for days in sorted(set(reminder_days)) if days > 0]
    return on - timedelta(days=1), ranges


def reminders_due(
    records: Iterable[CertificationRecord],
    types: Mapping[str, CertificationType],
    *,
    on: date,
    since: date | None = None,
) -> list[DueReminder]:
    """Every record crossing a threshold between the last scan (`since`) and `on`, one each."""
    due = []
    for record in records:
        certification_type = types.get(record.certification_code)
        offsets = certification_type.reminder_days if certification_type else ()
        threshold = due_threshold(record.expires_on, offsets, on=on, since=since)
        if threshold is not None:
            due.append(DueReminder(record, threshold))
    return due


def unit_compliance(
    unit: Unit,
    staff: Iterable[StaffMember],
    records: Iterable[CertificationRecord],
    requirements: Sequence[Requirement],
    *,
    on: date,
) -> UnitCompliance:
    """Share of the unit's staff holding every required, unexpired certification, with gaps."""
    by_staff: dict[str, list[CertificationRecord]] = {}
    for record in records:
        by_staff.setdefault(record.staff_id, []).append(record)
    required_of: dict[str, int] = {}
    current: dict[str, int] = {}
    gaps = []
    members = sorted(staff, key=lambda m: (m.display_name, m.staff_id))
    for member in members:
        codes = required_codes(requirements, role=member.role, unit=unit)
        findings = eligibility(by_staff.get(member.staff_id, ()), codes, on)
        lacking = {f.certification_code for f in findings}
        for code in codes:
            required_of[code] = required_of.get(code, 0) + 1
            current[code] = current.get(code, 0) + (code not in lacking)
        if findings:
            gaps.append(ComplianceGap(member.staff_id, member.display_name, tuple(findings)))
    by_type = tuple(TypeCompliance(code, count, current[code]) for code, count in
                    required_of.items())
    return UnitCompliance(unit.unit_id, on, len(members), len(members) - len(gaps), by_type,
                          tuple(gaps))


def compliance_rows(
    unit: Unit,
    staff: Iterable[StaffMember],
    records: Iterable[CertificationRecord],
    requirements: Sequence[Requirement],
) -> list[ComplianceRow]:
    """Each person's required certifications on the unit with the latest record held (or None),
    by name, then in requirement order: the list a surveyor asks for."""
    by_staff: dict[str, list[CertificationRecord]] = {}
    for record in records:
        by_staff.setdefault(record.staff_id, []).append(record)
    rows = []
    for member in sorted(staff, key=lambda m: (m.display_name, m.staff_id)):
        held = latest_by_code(by_staff.get(member.staff_id, ()))
        rows.extend(ComplianceRow(member, code, held.get(code))
                    for code in required_codes(requirements, role=member.role, unit=unit))
    return rows
