"""One function per training RPC: keyword-only arguments, the store and clock passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from clinops.clock import Clock
from services.training import domain
from services.training.errors import (
    AlreadyDecided,
    InvalidInput,
    NotIdentified,
    NotPermitted,
    UnknownCertificationType,
    UnknownStaff,
    UnknownUnit,
)
from services.training.imports import Candidate, Rejection, read_csv, read_fhir
from services.training.model import (
    AuditEntry,
    CertificationRecord,
    CertificationType,
    ComplianceRow,
    DueReminder,
    Finding,
    RecordStatus,
    Renewal,
    RenewalState,
    Requirement,
    StaffMember,
    Unit,
    UnitCompliance,
)
from services.training.store import ReminderKey

DEFAULT_TIME_ZONE = "America/Los_Angeles"
MAX_ID = 32
IMPORT_FORMATS = ("CSV", "FHIR_JSON")


class Store(Protocol):
    """What the use cases need of a store (TrainingStore, or a fake in unit tests)."""

    def list_types(self) -> list[CertificationType]: ...
    def get_type(self, code: str) -> CertificationType: ...
    def list_requirements(self) -> list[Requirement]: ...
    def get_unit(self, unit_id: str) -> Unit: ...
    def get_staff(self, staff_id: str) -> StaffMember: ...
    def find_staff(self, staff_ids: list[str]) -> dict[str, StaffMember]: ...
    def find_staff_by_slack(self, slack_team_id: str, slack_user_id: str) -> StaffMember | None: ...
    def staff_of_unit(self, unit_id: str) -> list[StaffMember]: ...
    def staff_with_duty(self, duty: str) -> list[StaffMember]: ...
    def records_for(self, staff_id: str) -> list[CertificationRecord]: ...
    def list_records(self, *, unit_id: str = "") -> list[CertificationRecord]: ...
    def records_expiring(self, *, expired_by: date, ranges: list[tuple[date, date]],
                         unit_id: str = "") -> list[CertificationRecord]: ...
    def put_records(self, records: list[CertificationRecord], *,
                    audit: AuditEntry | None = None) -> int: ...
    def add_renewal(self, renewal: Renewal, *, audit: AuditEntry | None = None,
                    reviewers: Sequence[StaffMember] = ()) -> Renewal: ...
    def get_renewal(self, renewal_id: str) -> Renewal: ...
    def pending_renewals(self, staff_id: str) -> list[Renewal]: ...
    def renewals_waiting(self) -> list[Renewal]: ...
    def decide_renewal(self, renewal_id: str, *, state: RenewalState, decided_by: str,
                       decided_at: datetime, reason: str = "",
                       record: CertificationRecord | None = None,
                       audit: AuditEntry | None = None) -> Renewal: ...
    def record_reminder(self, key: ReminderKey, *, sent_at: datetime,
                        audit: AuditEntry | None = None) -> bool: ...
    def reminders_recorded(self, staff_ids: list[str] | None = None, *,
                           stale_claims_before: datetime | None = None,
                           sent_only: bool = False) -> set[ReminderKey]: ...
    def append_audit(self, entry: AuditEntry) -> None: ...


@dataclass(frozen=True)
class RecordView:
    record: CertificationRecord
    status: RecordStatus
    days_left: int


@dataclass(frozen=True)
class Eligibility:
    staff: StaffMember
    unit: Unit
    role: str
    required: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def eligible(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Expiring:
    due: DueReminder
    staff: StaffMember
    view: RecordView


@dataclass(frozen=True)
class ImportResult:
    records_written: int
    rejected: tuple[Rejection, ...]


@dataclass(frozen=True)
class RenewalView:
    """A renewal with the people around it: who submitted, who decided, who may decide."""

    renewal: Renewal
    submitter: StaffMember
    decider: StaffMember | None = None
    reviewers: tuple[StaffMember, ...] = ()


@dataclass(frozen=True)
class ComplianceExport:
    unit: Unit
    on: date
    rows: tuple[tuple[ComplianceRow, RecordView | None], ...]


def today(clock: Clock, time_zone: str = DEFAULT_TIME_ZONE) -> date:
    """The calendar date at the facility now."""
    return clock().astimezone(ZoneInfo(time_zone)).date()


def unit_zone(store: Store, unit_id: str | None, default: str) -> str:
    """The zone of the unit's facility; `default` (the service's setting) when none is on file."""
    if not unit_id:
        return default
    try:
        return store.get_unit(unit_id).time_zone or default
    except UnknownUnit:
        return default


# A scan reads windows of days around `on` (thresholds months before expiry, weekly after it).
# Days this far out are a slip, not a scan; at the edges of the calendar the window would leave
# Python's date range.
EARLIEST_SCAN_DAY, LATEST_SCAN_DAY = date(1900, 1, 1), date(2199, 12, 31)


def check_scan_days(**days: date | None) -> None:
    """InvalidInput naming each given day outside the years a scan can mean."""
    problems = {field: f"{day.isoformat()} is outside {EARLIEST_SCAN_DAY.year} to "
                       f"{LATEST_SCAN_DAY.year}"
                for field, day in days.items()
                if day is not None and not EARLIEST_SCAN_DAY <= day <= LATEST_SCAN_DAY}
    if problems:
        raise InvalidInput(problems)


def _check_id(value: str, field: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_ID:
        raise InvalidInput({field: f"at most {MAX_ID} characters"})
    if not all(c.isascii() and (c.isalnum() or c in "-_&.") for c in cleaned):
        raise InvalidInput({field: "letters, digits, '-', '_', '&' or '.' only"})
    return cleaned


def _caller(store: Store, slack_team_id: str, slack_user_id: str) -> StaffMember:
    if not (slack_team_id and slack_user_id):
        raise NotIdentified("the call does not say who is asking (Slack team and user)")
    member = store.find_staff_by_slack(slack_team_id, slack_user_id)
    if member is None:
        raise NotPermitted("you are not on the training roster; ask your unit manager")
    return member


def _audit(actor: StaffMember | None, at: datetime, action: str, subject: str,
           outcome: str) -> AuditEntry:
    if actor is None:
        return AuditEntry(at, action, subject, outcome)
    return AuditEntry(at, action, subject, outcome, actor.staff_id, actor.slack_team_id,
                      actor.slack_user_id)


def may_see_records_of(caller: StaffMember, person: StaffMember) -> bool:
    """Themselves, their unit's manager, or an educator."""
    return (caller.staff_id == person.staff_id or caller.is_educator
            or caller.manages(person.home_unit_id))


def may_oversee_unit(caller: StaffMember, unit_id: str) -> bool:
    """The unit's managers and the educators (house-wide) see who lacks what."""
    return caller.is_educator or caller.manages(unit_id)


def _view(record: CertificationRecord, types: dict[str, CertificationType], on: date,
          pending: set[str]) -> RecordView:
    status = domain.record_status(record, types.get(record.certification_code), on=on)
    if record.certification_code in pending:
        status = RecordStatus.PENDING_VERIFICATION
    return RecordView(record, status, domain.days_left(record, on=on))


def list_certification_types(*, store: Store) -> list[CertificationType]:
    """Every certification type with its validity and reminder days."""
    return store.list_types()


def list_requirements(*, unit_id: str, store: Store) -> list[Requirement]:
    """Every requirement, or those that apply on one unit (to any role)."""
    cleaned = _check_id(unit_id, "unit_id")
    requirements = store.list_requirements()
    if not cleaned:
        return requirements
    unit = store.get_unit(cleaned)
    return [r for r in requirements if r.applies_to(r.role, unit)]


def list_records(
    *, staff_id: str, slack_team_id: str, slack_user_id: str, store: Store, clock: Clock,
    time_zone: str = DEFAULT_TIME_ZONE, person_slack_user_id: str = "",
) -> tuple[StaffMember, list[RecordView]]:
    """A person's certifications with status and days left (default: the caller's own).

    The person is named by staff id, or by Slack user id in the caller's team (`/certs @derek`).
    """
    cleaned = _check_id(staff_id, "staff_id")
    slack_person = _check_id(person_slack_user_id, "slack_user_id")
    if cleaned and slack_person:
        raise InvalidInput({"slack_user_id": "give staff_id or slack_user_id, not both"})
    caller = _caller(store, slack_team_id, slack_user_id)
    if slack_person:
        found = store.find_staff_by_slack(slack_team_id, slack_person)
        if found is None:
            raise UnknownStaff(f"Slack user {slack_person} is not on the training roster")
        person = found
    else:
        person = store.get_staff(cleaned) if cleaned else caller
    if not may_see_records_of(caller, person):
        raise NotPermitted(f"only {person.display_name}, their unit manager or an educator "
                           "may see their certifications")
    # Days left count from today where the person works: their unit's facility.
    on = today(clock, unit_zone(store, person.home_unit_id, time_zone))
    types = {t.code: t for t in store.list_types()}
    pending = {r.certification_code for r in store.pending_renewals(person.staff_id)}
    return person, [_view(r, types, on, pending) for r in store.records_for(person.staff_id)]


def check_eligibility(
    *, staff_id: str, unit_id: str, role: str, shift_starts_on: date, shift_ends_on: date,
    store: Store,
) -> Eligibility:
    """May this person work this unit in this role through the end of the shift?"""
    problems = {}
    if not staff_id.strip():
        problems["staff_id"] = "required"
    if not unit_id.strip():
        problems["unit_id"] = "required"
    if shift_ends_on < shift_starts_on:
        problems["window.ends_at"] = "before the shift starts"
    if problems:
        raise InvalidInput(problems)
    person = store.get_staff(_check_id(staff_id, "staff_id"))
    unit = store.get_unit(_check_id(unit_id, "unit_id"))
    role = role.strip().upper() or person.role
    required = domain.required_codes(store.list_requirements(), role=role, unit=unit)
    findings = domain.eligibility(store.records_for(person.staff_id), required, shift_ends_on,
                                  shift_start_date=shift_starts_on)
    return Eligibility(person, unit, role, required, tuple(findings))


def list_expiring(
    *, on: date, since: date | None, unit_id: str, store: Store,
) -> list[Expiring]:
    """Records crossing a reminder threshold after `since` up to `on`, not yet recorded as sent.

    A reminder another sender has claimed but not settled is still listed: the scan that meets it
    cannot take the claim, and so knows its day is not complete until that sender settles it (or
    dies, and a later scan takes the claim over) — a dead sender's reminder is never dropped.
    """
    check_scan_days(on=on, since=since)
    if since is not None and since > on:
        raise InvalidInput({"since": "after `on`"})
    cleaned = _check_id(unit_id, "unit_id")
    if cleaned:
        store.get_unit(cleaned)
    types = {t.code: t for t in store.list_types()}
    # Only records whose expiry can cross a threshold in the window: a daily scan reads the
    # lapsed and a few days' expiries per threshold, not every record on file.
    expired_by, ranges = domain.expiries_that_may_be_due(
        [days for t in types.values() for days in t.reminder_days], on=on, since=since)
    records = store.records_expiring(expired_by=expired_by, ranges=ranges, unit_id=cleaned)
    due = domain.reminders_due(records, types, on=on, since=since)
    if not due:
        return []
    staff_ids = sorted({d.record.staff_id for d in due})
    sent = store.reminders_recorded(staff_ids, sent_only=True)
    staff = store.find_staff(staff_ids)
    expiring = []
    for item in due:
        record = item.record
        key = (record.staff_id, record.certification_code, record.expires_on, item.threshold_days)
        if key in sent or record.staff_id not in staff:
            continue
        expiring.append(Expiring(item, staff[record.staff_id], _view(record, types, on, set())))
    return expiring


def record_reminder_sent(
    *, staff_id: str, certification_code: str, expires_on: date, threshold_days: int,
    store: Store, clock: Clock,
) -> bool:
    """Claim a reminder: True exactly once per (staff, type, expiry, threshold), then False."""
    problems = {}
    if not staff_id.strip():
        problems["staff_id"] = "required"
    if not certification_code.strip():
        problems["certification_code"] = "required"
    if threshold_days == 0:
        problems["threshold_days"] = "not a threshold: days before expiry, or negative after"
    if problems:
        raise InvalidInput(problems)
    person = store.get_staff(_check_id(staff_id, "staff_id"))
    code = store.get_type(certification_code).code
    now = clock()
    key = (person.staff_id, code, expires_on, threshold_days)
    subject = f"{person.staff_id} {code} expiring {expires_on.isoformat()} ({threshold_days:+d})"
    return store.record_reminder(key, sent_at=now,
                                 audit=_audit(None, now, "REMINDER_SENT", subject, "recorded"))


def get_unit_compliance(
    *, unit_id: str, on: date | None, slack_team_id: str, slack_user_id: str, store: Store,
    clock: Clock, time_zone: str = DEFAULT_TIME_ZONE,
) -> tuple[UnitCompliance, bool]:
    """A unit's compliance; the gaps only for its managers and the educators (else withheld).

    Returns the compliance and whether gaps were included.
    """
    cleaned = _check_id(unit_id, "unit_id")
    if not cleaned:
        raise InvalidInput({"unit_id": "required"})
    unit = store.get_unit(cleaned)
    caller = (store.find_staff_by_slack(slack_team_id, slack_user_id)
              if slack_team_id and slack_user_id else None)
    compliance = domain.unit_compliance(
        unit, store.staff_of_unit(unit.unit_id), store.list_records(unit_id=unit.unit_id),
        store.list_requirements(), on=on or today(clock, unit.time_zone or time_zone),
    )
    if caller is not None and may_oversee_unit(caller, unit.unit_id):
        return compliance, True
    return replace(compliance, gaps=()), False


def _import_problems(
    candidate: Candidate, *, types: dict[str, CertificationType], staff: dict[str, StaffMember],
    on_file: dict[tuple[str, str], CertificationRecord], importer: StaffMember, on: date,
) -> tuple[list[str], CertificationRecord | None]:
    problems = []
    person = staff.get(candidate.staff_id)
    if not candidate.staff_id:
        problems.append("staff_id missing")
    elif person is None:
        problems.append(f"no staff member {candidate.staff_id!r} on the roster")
    elif not may_see_records_of(importer, person) or importer.staff_id == person.staff_id:
        problems.append(f"{person.display_name} is not on a unit you manage")
    code = next((c for c in candidate.codes if c in types), None)
    if code is None:
        offered = ", ".join(candidate.codes) or "none"
        problems.append(f"unknown certification code ({offered}); known: {', '.join(types)}")
    problems += [f"{field} {why}" for field, why in domain.card_date_problems(
        candidate.issued_on, candidate.expires_on, on=on).items()]
    if problems or code is None:
        return problems, None
    expires, derived = domain.expiry_of(candidate.issued_on, candidate.expires_on,
                                        types[code].validity_months)
    held = on_file.get((candidate.staff_id, code))
    if held is not None and expires < held.expires_on:
        return [f"older than the {code} on file, which expires {held.expires_on.isoformat()}"
                ], None
    return [], CertificationRecord(candidate.staff_id, code, candidate.issued_on, expires,
                                   derived, candidate.evidence_reference[:256])


def import_records(
    *, import_format: str, content: bytes, slack_team_id: str, slack_user_id: str,
    store: Store, clock: Clock, time_zone: str = DEFAULT_TIME_ZONE,
) -> ImportResult:
    """CSV or FHIR records, all or nothing: any rejected entry and nothing is written."""
    if import_format not in IMPORT_FORMATS:
        raise InvalidInput({"format": f"one of {', '.join(IMPORT_FORMATS)}"})
    if not content.strip():
        raise InvalidInput({"content": "empty"})
    importer = _caller(store, slack_team_id, slack_user_id)
    if not (importer.is_educator or "MANAGER" in importer.duties):
        raise NotPermitted("only educators and unit managers may import certification records")
    candidates, rejected = (read_csv if import_format == "CSV" else read_fhir)(content)
    if not candidates and not rejected:
        raise InvalidInput({"content": "no records in the import"})
    now = clock()
    on = today(clock, time_zone)
    types = {t.code: t for t in store.list_types()}
    staff = store.find_staff([c.staff_id for c in candidates if c.staff_id])
    on_file = {(r.staff_id, r.certification_code): r
               for staff_id in staff for r in store.records_for(staff_id)}
    seen: dict[tuple[str, str], str] = {}
    records = []
    for candidate in candidates:
        problems, record = _import_problems(candidate, types=types, staff=staff,
                                            on_file=on_file, importer=importer, on=on)
        if record is not None:
            key = (record.staff_id, record.certification_code)
            if key in seen:
                problems = [f"{record.certification_code} for {record.staff_id} also in "
                            f"{seen[key]}"]
            seen.setdefault(key, candidate.label)
        if problems:
            rejected.append(Rejection(candidate.position, f"{candidate.label}: "
                                      + "; ".join(problems)))
        elif record is not None:
            records.append(replace(record, verified_by=importer.staff_id, verified_at=now))
    rejected.sort(key=lambda r: r.position)
    subject = f"{import_format} import of {len(candidates) + len(rejected)} entries"
    if rejected:
        store.append_audit(_audit(importer, now, "IMPORT", subject,
                                  f"refused: {len(rejected)} rejected, nothing written"))
        return ImportResult(0, tuple(rejected))
    written = store.put_records(records, audit=_audit(importer, now, "IMPORT", subject,
                                                      f"{len(records)} records written"))
    return ImportResult(written, ())


def submit_renewal(
    *, certification_code: str, expires_on: date | None, issued_on: date | None,
    evidence_reference: str, slack_team_id: str, slack_user_id: str, store: Store,
    clock: Clock, time_zone: str = DEFAULT_TIME_ZONE,
) -> RenewalView:
    """The caller submits a renewed card; it changes nothing until verified."""
    problems = {}
    if not certification_code.strip():
        problems["certification_code"] = "required"
    if expires_on is None:
        problems["expires_on"] = "required (the expiry printed on the new card)"
    if len(evidence_reference) > 256:
        problems["evidence_reference"] = "at most 256 characters"
    if problems:
        raise InvalidInput(problems)
    caller = _caller(store, slack_team_id, slack_user_id)
    try:
        certification_type = store.get_type(certification_code)
    except UnknownCertificationType:
        known = ", ".join(t.code for t in store.list_types())
        raise InvalidInput({"certification_code": f"unknown; one of {known}"}) from None
    on = today(clock, unit_zone(store, caller.home_unit_id, time_zone))
    expires = expires_on
    assert expires is not None
    if expires < on:
        raise InvalidInput({"expires_on": f"{expires.isoformat()} is already past"})
    # A card cannot run longer than its type's validity from today (plus the month's end), nor
    # have dates no real card has (the import's rule too).
    implausible = domain.card_date_problems(
        issued_on, expires, on=on, code=certification_type.code,
        latest_expiry=domain.derived_expiry(on, certification_type.validity_months))
    if implausible:
        raise InvalidInput(implausible)
    now = clock()
    renewal = Renewal("", caller.staff_id, certification_type.code, expires, issued_on,
                      evidence_reference.strip(), RenewalState.PENDING, now)
    subject = f"{caller.staff_id} {certification_type.code} expiring {expires.isoformat()}"
    reviewers = tuple(renewal_reviewers(caller, store))
    # Each reviewer's DM is a renewal.submitted event, committed with the submission.
    added = store.add_renewal(renewal, audit=_audit(caller, now, "RENEWAL_SUBMITTED", subject,
                                                    "pending"), reviewers=reviewers)
    return RenewalView(added, caller, reviewers=reviewers)


def renewal_reviewers(person: StaffMember, store: Store) -> list[StaffMember]:
    """Who may verify a person's renewal: their unit's managers, then the educators."""
    managers = [m for m in store.staff_of_unit(person.home_unit_id or "")
                if m.manages(person.home_unit_id)] if person.home_unit_id else []
    reviewers = {m.staff_id: m for m in [*managers, *store.staff_with_duty("EDUCATOR")]
                 if m.staff_id != person.staff_id}
    return list(reviewers.values())


def _already_decided(renewal: Renewal, person: StaffMember, store: Store) -> AlreadyDecided:
    decider = store.find_staff([renewal.decided_by]).get(renewal.decided_by or "")
    by = f" by {decider.display_name}" if decider else ""
    return AlreadyDecided(f"{person.display_name}'s {renewal.certification_code} renewal was "
                          f"already {renewal.state.value.lower()}{by}")


def decide_renewal(
    *, renewal_id: str, verify: bool, reason: str, slack_team_id: str, slack_user_id: str,
    store: Store, clock: Clock,
) -> RenewalView:
    """The unit's educator or manager verifies (the record changes) or rejects with a reason."""
    problems = {}
    if not renewal_id.strip():
        problems["renewal_id"] = "required"
    if not verify and not reason.strip():
        problems["reason"] = "required when rejecting"
    if problems:
        raise InvalidInput(problems)
    caller = _caller(store, slack_team_id, slack_user_id)
    renewal = store.get_renewal(_check_id(renewal_id, "renewal_id"))
    person = store.get_staff(renewal.staff_id)
    if caller.staff_id == person.staff_id:
        raise NotPermitted("nobody verifies their own renewal; your educator or manager will")
    if not (caller.is_educator or caller.manages(person.home_unit_id)):
        raise NotPermitted(f"only an educator or {person.display_name}'s unit manager may "
                           "verify or reject this renewal")
    if renewal.state != RenewalState.PENDING:
        raise _already_decided(renewal, person, store)
    now = clock()
    state = RenewalState.VERIFIED if verify else RenewalState.REJECTED
    record = None
    if verify:
        record = CertificationRecord(
            renewal.staff_id, renewal.certification_code, renewal.issued_on, renewal.expires_on,
            expiry_derived=False, evidence_reference=renewal.evidence_reference,
            verified_by=caller.staff_id, verified_at=now,
        )
    subject = (f"renewal {renewal.renewal_id}: {person.staff_id} {renewal.certification_code} "
               f"expiring {renewal.expires_on.isoformat()}")
    try:
        decided = store.decide_renewal(
            renewal.renewal_id, state=state, decided_by=caller.staff_id, decided_at=now,
            reason=reason.strip(), record=record,
            audit=_audit(caller, now, f"RENEWAL_{state.value}", subject, reason.strip() or "ok"),
        )
    except AlreadyDecided:
        # Another reviewer decided between our read and our conditional update.
        raise _already_decided(store.get_renewal(renewal.renewal_id), person, store) from None
    return RenewalView(decided, person, decider=caller)


def list_pending_renewals(
    *, slack_team_id: str, slack_user_id: str, store: Store,
) -> list[RenewalView]:
    """Renewals the caller may verify, oldest first: all for an educator, their unit's staff's
    for a manager, never their own; nothing for anyone else."""
    caller = _caller(store, slack_team_id, slack_user_id)
    if not (caller.is_educator or "MANAGER" in caller.duties):
        return []
    waiting = [r for r in store.renewals_waiting() if r.staff_id != caller.staff_id]
    people = store.find_staff(r.staff_id for r in waiting)
    return [RenewalView(renewal, people[renewal.staff_id]) for renewal in waiting
            if renewal.staff_id in people and (
                caller.is_educator or caller.manages(people[renewal.staff_id].home_unit_id))]


def export_unit_compliance(
    *, unit_id: str, on: date | None, slack_team_id: str, slack_user_id: str, store: Store,
    clock: Clock, time_zone: str = DEFAULT_TIME_ZONE,
) -> ComplianceExport:
    """Every person's required certifications on a unit with status: managers and educators."""
    cleaned = _check_id(unit_id, "unit_id")
    if not cleaned:
        raise InvalidInput({"unit_id": "required"})
    unit = store.get_unit(cleaned)
    caller = _caller(store, slack_team_id, slack_user_id)
    now = clock()
    day = on or today(clock, unit.time_zone or time_zone)
    subject = f"{unit.unit_id} compliance export as of {day.isoformat()}"
    if not may_oversee_unit(caller, unit.unit_id):
        store.append_audit(_audit(caller, now, "COMPLIANCE_EXPORT", subject, "refused"))
        raise NotPermitted(f"only {unit.unit_id}'s managers and the educators may export its "
                           "certification compliance")
    types = {t.code: t for t in store.list_types()}
    rows = domain.compliance_rows(unit, store.staff_of_unit(unit.unit_id),
                                  store.list_records(unit_id=unit.unit_id),
                                  store.list_requirements())
    # The export shows the record as it stands: a renewal awaiting verification changes nothing.
    views = tuple((row, _view(row.record, types, day, set()) if row.record else None)
                  for row in rows)
    store.append_audit(_audit(caller, now, "COMPLIANCE_EXPORT", subject,
                              f"{len(rows)} rows exported"))
    return ComplianceExport(unit, day, views)
