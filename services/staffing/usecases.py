"""One function per staffing RPC: keyword-only arguments, the store and clock passed in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from clinops.clock import Clock
from services.staffing import eligibility
from services.staffing.domain import check_census_fits, shift_staffing, validate_census
from services.staffing.eligibility import (
    CertificationAnswer,
    ClaimRules,
    WorkedShift,
    may_manage,
)
from services.staffing.errors import (
    InvalidInput,
    NoHomeUnit,
    NotCancellable,
    NotQueued,
    PermissionDenied,
    UnknownStaff,
)
from services.staffing.model import (
    Assignment,
    AuditEntry,
    AwardMode,
    Census,
    ClaimOutcome,
    Facility,
    Finding,
    GapLine,
    LadderStep,
    OpenShift,
    OpenShiftState,
    QueuedClaim,
    RatioRule,
    RelativeDay,
    Role,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
    UnitPolicy,
)
from services.staffing.shifts import ShiftWindow, facility_zone, resolve_day, shift_at, shift_window
from services.staffing.store import AwardResult

MAX_UNIT_ID = 16


class Store(Protocol):
    """What the use cases need of a store (StaffingStore, or a fake in unit tests)."""

    def list_units(self, facility_id: str = "") -> list[Unit]: ...
    def list_facilities(self) -> list[Facility]: ...
    def get_unit(self, unit_id: str) -> Unit: ...
    def ratio_rule(self, jurisdiction: str, category: UnitCategory) -> RatioRule: ...
    def get_staff(self, staff_id: str) -> StaffMember: ...
    def find_staff_by_slack(self, slack_team_id: str, slack_user_id: str) -> StaffMember | None: ...
    def get_census(self, unit_id: str, day: date, shift: Shift) -> Census | None: ...
    def assignments_for_shift(self, unit_id: str, day: date, shift: Shift) -> list[Assignment]: ...
    def shift_on_record(self, unit_id: str, day: date,
                        shift: Shift) -> tuple[Census | None, list[Assignment]]: ...
    def record_census(self, unit_id: str, day: date, shift: Shift, census: Census) -> Census: ...
    def unit_policy(self, unit_id: str) -> UnitPolicy: ...
    def add_open_shift(self, shift: OpenShift, *,
                       reported_by: tuple[str, str] = ("", "")) -> OpenShift: ...
    def get_open_shift(self, open_shift_id: str) -> OpenShift: ...
    def list_open_shifts(self, unit_id: str = "") -> list[OpenShift]: ...
    def set_open_shift_message(self, open_shift_id: str, channel_id: str, ts: str) -> OpenShift: ...
    def award(self, open_shift_id: str, staff_id: str, at: datetime) -> AwardResult: ...
    def cancel_open_shift(self, open_shift_id: str, *, by_name: str, by_slack_user_id: str,
                          at: datetime) -> bool: ...
    def queue_claim(self, open_shift_id: str, staff_id: str, at: datetime,
                    overtime_hours: float) -> None: ...
    def queued_claims(self, open_shift_id: str) -> list[str]: ...
    def claims_waiting(self, open_shift_ids: Iterable[str]) -> list[QueuedClaim]: ...
    def assignments_for_staff(self, staff_id: str, first: date, last: date) -> list[Assignment]: ...
    def list_staff(self) -> list[StaffMember]: ...
    def append_audit(self, entry: AuditEntry) -> None: ...
    def advance_ladder(self, open_shift_id: str, from_step: LadderStep, to_step: LadderStep,
                       at: datetime) -> bool: ...
    def record_alert_state(self, unit_id: str, day: date, shift: Shift, gap_state: str,
                           at: datetime) -> bool: ...
    def release_alert_state(self, unit_id: str, day: date, shift: Shift,
                            gap_state: str) -> bool: ...


class CertificationChecker(Protocol):
    """Asks the training service; None when it could not answer (never assume eligible)."""

    def check(self, *, staff_id: str, unit_id: str, role: Role,
              window: ShiftWindow) -> CertificationAnswer | None: ...


@dataclass(frozen=True)
class OnDuty:
    assignment: Assignment
    counted: bool


@dataclass(frozen=True)
class ShiftGaps:
    """Required against counted per role for one unit and shift, as of an instant."""

    unit: Unit
    window: ShiftWindow
    census: Census | None
    gaps: tuple[GapLine, ...]
    on_duty: tuple[OnDuty, ...]
    ratio_rule: str
    as_of: datetime


def check_unit_id(unit_id: str, *, field: str = "unit_id") -> str:
    """Refuse ids no unit could have before asking the store."""
    cleaned = unit_id.strip()
    if len(cleaned) > MAX_UNIT_ID:
        raise InvalidInput({field: f"at most {MAX_UNIT_ID} characters"})
    if not all(c.isascii() and (c.isalnum() or c in "-_&.") for c in cleaned):
        raise InvalidInput({field: "letters, digits, '-', '_', '&' or '.' only"})
    return cleaned


def list_units(*, store: Store, facility_id: str = "") -> list[Unit]:
    """Every unit, or every unit of one facility (UnknownFacility when there is no such)."""
    cleaned = facility_id.strip()
    if len(cleaned) > 16 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in cleaned):
        raise InvalidInput({"facility_id": "a facility id: up to 16 letters, digits, '-', '_'"})
    return store.list_units(cleaned)


def list_facilities(*, store: Store) -> list[Facility]:
    """Every facility with its time zone."""
    return store.list_facilities()


def get_unit(*, unit_id: str, store: Store) -> Unit:
    """One unit by id, in any letter case."""
    cleaned = check_unit_id(unit_id)
    if not cleaned:
        raise InvalidInput({"unit_id": "required"})
    return store.get_unit(cleaned)


def get_staff_member(
    *, staff_id: str = "", slack_team_id: str = "", slack_user_id: str = "", store: Store
) -> StaffMember:
    """A directory entry by staff id, or by Slack team and user id."""
    if staff_id:
        return store.get_staff(staff_id)
    if not (slack_team_id and slack_user_id):
        raise InvalidInput({"staff_id": "give a staff id, or both a Slack team and user id"})
    member = store.find_staff_by_slack(slack_team_id, slack_user_id)
    if member is None:
        raise UnknownStaff(f"no staff member for Slack user {slack_team_id}/{slack_user_id}")
    return member


def _home_unit_id(store: Store, slack_team_id: str, slack_user_id: str) -> str:
    if not (slack_team_id and slack_user_id):
        raise NoHomeUnit("no unit given and the caller is not identified; name a unit")
    member = store.find_staff_by_slack(slack_team_id, slack_user_id)
    if member is None:
        raise NoHomeUnit("no unit given and you are not in the staff directory; name a unit")
    if not member.home_unit_id:
        raise NoHomeUnit(f"no unit given and {member.display_name} has no home unit; name a unit")
    return member.home_unit_id


def get_shift_gaps(
    *,
    unit_id: str,
    day: date | RelativeDay | None,
    shift: Shift | None,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
) -> ShiftGaps:
    """Required versus counted per role for a unit's shift (default: caller's unit, shift now)."""
    cleaned = check_unit_id(unit_id)
    unit = store.get_unit(cleaned or _home_unit_id(store, slack_team_id, slack_user_id))
    zone = facility_zone(unit.time_zone)
    now = clock()
    if day is None and shift is None:
        window = shift_at(now, zone)
    else:
        if day is None or isinstance(day, RelativeDay):
            on = resolve_day(day or RelativeDay.TODAY, now, zone)
        else:
            on = day
        window = shift_window(on, shift or Shift.DAY, zone)
    rule = store.ratio_rule(unit.jurisdiction, unit.category)
    census, assignments = store.shift_on_record(unit.unit_id, window.date, window.shift)
    if census is None:
        staffing = shift_staffing(unit=unit, rule=rule, census=Census(0), assignments=assignments)
        gaps: tuple[GapLine, ...] = ()  # nothing can be required of a census nobody recorded
    else:
        staffing = shift_staffing(unit=unit, rule=rule, census=census, assignments=assignments)
        gaps = staffing.lines
    on_duty = tuple(OnDuty(a, a.staff_id in staffing.counted_staff_ids) for a in assignments)
    return ShiftGaps(unit, window, census, gaps, on_duty, staffing.ratio_rule, now)


# ---- census, open shifts and claims -------------------------------------------------------------

MAX_SLOTS = 20
MAX_REASON = 200


@dataclass(frozen=True)
class Actor:
    """Who is acting, as Slack identified them, and who that is in the directory (if anyone)."""

    slack_team_id: str
    slack_user_id: str
    member: StaffMember | None

    @property
    def staff_id(self) -> str:
        return self.member.staff_id if self.member else ""


def identify(store: Store, slack_team_id: str, slack_user_id: str) -> Actor:
    member = (store.find_staff_by_slack(slack_team_id, slack_user_id)
              if slack_team_id and slack_user_id else None)
    return Actor(slack_team_id, slack_user_id, member)


def audit(store: Store, clock: Clock, actor: Actor, *, action: str, subject: str, outcome: str,
          detail: str = "") -> None:
    """Append one decision to the staffing audit log (UTC, who, what, outcome)."""
    store.append_audit(AuditEntry(
        at=clock(), action=action, subject=subject, outcome=outcome,
        actor_team_id=actor.slack_team_id, actor_user_id=actor.slack_user_id,
        actor_staff_id=actor.staff_id, detail=detail[:1000],
    ))


def _window_for(unit: Unit, day: date | RelativeDay | None, shift: Shift | None,
                now: datetime) -> ShiftWindow:
    zone = facility_zone(unit.time_zone)
    if day is None and shift is None:
        return shift_at(now, zone)
    on = resolve_day(day or RelativeDay.TODAY, now, zone) if (
        day is None or isinstance(day, RelativeDay)) else day
    return shift_window(on, shift or Shift.DAY, zone)


def _require_manager(store: Store, clock: Clock, actor: Actor, unit: Unit, *, action: str,
                     subject: str, what: str) -> None:
    if not may_manage(actor.member, unit):
        audit(store, clock, actor, action=action, subject=subject, outcome="DENIED")
        raise PermissionDenied(
            f"Only the charge nurse or manager of {unit.unit_id} can {what}.")


def record_census(
    *,
    unit_id: str,
    day: date | RelativeDay | None,
    shift: Shift | None,
    census: Census,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
) -> ShiftGaps:
    """A charge nurse or manager of the unit (or a supervisor) records census; the new gaps."""
    cleaned = check_unit_id(unit_id)
    if not cleaned:
        raise InvalidInput({"unit_id": "required"})
    unit = store.get_unit(cleaned)
    actor = identify(store, slack_team_id, slack_user_id)
    window = _window_for(unit, day, shift, clock())
    subject = f"census {unit.unit_id} {window.date.isoformat()} {window.shift.value}"
    _require_manager(store, clock, actor, unit, action="census", subject=subject,
                     what="change its census")
    validate_census(census)
    check_census_fits(census, beds=unit.beds)
    recorded = Census(census.patients, census.critical_care_patients, census.trauma_patients,
                      census.occupied_rooms, recorded_at=clock(), recorded_by=actor.staff_id)
    store.record_census(unit.unit_id, window.date, window.shift, recorded)
    audit(store, clock, actor, action="census", subject=subject, outcome="RECORDED",
          detail=f"patients={census.patients} critical_care={census.critical_care_patients} "
                 f"trauma={census.trauma_patients} rooms={census.occupied_rooms}")
    return get_shift_gaps(unit_id=unit.unit_id, day=window.date, shift=window.shift,
                          slack_team_id=slack_team_id, slack_user_id=slack_user_id,
                          store=store, clock=clock)


def report_gap(
    *,
    unit_id: str,
    role: Role | None,
    slots: int,
    day: date | RelativeDay | None,
    shift: Shift | None,
    reason: str,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> OpenShift:
    """Record a call-out or extra need as an open shift; the bot posts it in the unit's channel
    (its `open_shift.posted` event commits with it)."""
    cleaned = check_unit_id(unit_id)
    problems = {}
    if not cleaned:
        problems["unit_id"] = "required"
    if role is None:
        problems["role"] = "required"
    slots = slots or 1
    if not 1 <= slots <= MAX_SLOTS:
        problems["slots"] = f"must be 1-{MAX_SLOTS}"
    if len(reason) > MAX_REASON:
        problems["reason"] = f"at most {MAX_REASON} characters"
    if problems:
        raise InvalidInput(problems)
    assert role is not None
    unit = store.get_unit(cleaned)
    actor = identify(store, slack_team_id, slack_user_id)
    now = clock()
    window = _window_for(unit, day, shift, now)
    subject = f"open shift {unit.unit_id} {window.date.isoformat()} {window.shift.value}"
    _require_manager(store, clock, actor, unit, action="report", subject=subject,
                     what="report its gaps")
    opened = store.add_open_shift(OpenShift(
        open_shift_id=new_id(), unit_id=unit.unit_id, date=window.date, shift=window.shift,
        role=role, slots=slots, reason=reason.strip(), slack_channel_id=unit.slack_channel_id,
        created_at=now, created_by=actor.staff_id,
    ), reported_by=(slack_team_id, slack_user_id))
    audit(store, clock, actor, action="report", subject=f"open shift {opened.open_shift_id}",
          outcome="OPENED", detail=f"{unit.unit_id} {window.date} {window.shift.value} "
                                   f"{role.value} x{slots}: {opened.reason}")
    return opened


def set_open_shift_message(
    *, open_shift_id: str, slack_channel_id: str, slack_message_ts: str,
    slack_team_id: str, slack_user_id: str, store: Store, clock: Clock,
) -> OpenShift:
    """Remember where the open shift was posted (only its unit's charge nurse or manager)."""
    if not (slack_channel_id and slack_message_ts):
        raise InvalidInput({"slack_message_ts": "channel and ts required"})
    shift = store.get_open_shift(open_shift_id)
    unit = store.get_unit(shift.unit_id)
    actor = identify(store, slack_team_id, slack_user_id)
    _require_manager(store, clock, actor, unit, action="post", subject=f"open shift "
                     f"{open_shift_id}", what="post its open shifts")
    return store.set_open_shift_message(open_shift_id, slack_channel_id, slack_message_ts)


def open_shift_window(store: Store, shift: OpenShift) -> tuple[Unit, ShiftWindow]:
    unit = store.get_unit(shift.unit_id)
    return unit, shift_window(shift.date, shift.shift, facility_zone(unit.time_zone))


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    findings: tuple[Finding, ...]
    overtime_hours: float
    open_shift: OpenShift
    claimant: StaffMember | None
    hours_this_week: float = 0.0


@dataclass(frozen=True)
class Assessment:
    """Every rule for one person and one open shift, with the hours the award would mean."""

    findings: tuple[Finding, ...]
    overtime_hours: float
    hours_this_week: float  # the shift's workweek, this shift included
    rest_hours_before: float | None  # None: no shift in the two days before

    @property
    def eligible(self) -> bool:
        return not eligibility.failing(self.findings)


def eligibility_findings(
    *, shift: OpenShift, unit: Unit, window: ShiftWindow, claimant: StaffMember,
    policy: UnitPolicy, store: Store, certifications: CertificationChecker, rules: ClaimRules,
) -> tuple[list[Finding], float]:
    """Every rule, passed or not, for one claimant; plus the overtime hours the shift would add."""
    found = assess(shift=shift, unit=unit, window=window, claimant=claimant, policy=policy,
                   store=store, certifications=certifications, rules=rules)
    return list(found.findings), found.overtime_hours


def assess(
    *, shift: OpenShift, unit: Unit, window: ShiftWindow, claimant: StaffMember,
    policy: UnitPolicy, store: Store, certifications: CertificationChecker, rules: ClaimRules,
    ask_training: bool = True,
) -> Assessment:
    """Every eligibility rule for one person; training is asked only when `ask_training`."""
    zone = facility_zone(unit.time_zone)
    # Enough around the shift for rest either side and the whole workweek.
    first, last = eligibility.week_of(window.date)
    assignments = store.assignments_for_staff(
        claimant.staff_id, min(first, window.date - timedelta(days=2)),
        max(last, window.date + timedelta(days=2)))
    worked = []
    for a in assignments:
        worked_zone = facility_zone(store.get_unit(a.unit_id).time_zone)
        worked.append(WorkedShift(a.unit_id, shift_window(a.date, a.shift, worked_zone)))
    findings = [
        eligibility.role_finding(shift.role, claimant),
        eligibility.competency_finding(unit, claimant),
        eligibility.overlap_finding(window, worked, zone),
        *eligibility.rest_findings(window, worked, zone, rules),
    ]
    overtime, extra = eligibility.overtime_finding(window, worked, rules, policy.overtime,
                                                   unit.unit_id)
    findings.append(overtime)
    total, _ = eligibility.overtime_hours(window, worked, rules)
    rest = eligibility.rest_hours_before(window, worked)
    if ask_training:
        answer = certifications.check(staff_id=claimant.staff_id, unit_id=unit.unit_id,
                                      role=shift.role, window=window)
        findings += eligibility.certification_findings(answer)
    return Assessment(tuple(findings), extra, total, rest)


def claim_open_shift(
    *,
    open_shift_id: str,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
    certifications: CertificationChecker,
    rules: ClaimRules,
    accept_overtime: bool = False,
) -> ClaimResult:
    """Award, queue or refuse a claim, naming every failing rule; the database settles races.

    Overtime the unit allows is shown before anything is awarded or queued: only a claim that
    accepts it goes further.
    """
    if not open_shift_id:
        raise InvalidInput({"open_shift_id": "required"})
    shift = store.get_open_shift(open_shift_id)
    actor = identify(store, slack_team_id, slack_user_id)
    subject = f"open shift {open_shift_id}"
    if actor.member is None:
        audit(store, clock, actor, action="claim", subject=subject, outcome="DENIED")
        raise PermissionDenied("You are not in the staff directory, so you cannot claim shifts.")
    claimant = actor.member
    if shift.state is OpenShiftState.CANCELLED:
        audit(store, clock, actor, action="claim", subject=subject, outcome="CANCELLED")
        return ClaimResult(ClaimOutcome.CANCELLED, (), 0.0, shift, claimant)
    if shift.state is not OpenShiftState.OPEN or shift.slots_filled >= shift.slots:
        audit(store, clock, actor, action="claim", subject=subject, outcome="ALREADY_FILLED")
        return ClaimResult(ClaimOutcome.ALREADY_FILLED, (), 0.0, shift, claimant)
    unit, window = open_shift_window(store, shift)
    policy = store.unit_policy(unit.unit_id)
    found = assess(shift=shift, unit=unit, window=window, claimant=claimant, policy=policy,
                   store=store, certifications=certifications, rules=rules)
    findings, extra, week = found.findings, found.overtime_hours, found.hours_this_week
    failed = eligibility.failing(findings)
    if failed:
        audit(store, clock, actor, action="claim", subject=subject, outcome="REFUSED",
              detail="; ".join(f.explanation for f in failed))
        return ClaimResult(ClaimOutcome.REFUSED, findings, extra, shift, claimant, week)
    if extra > 0 and not accept_overtime:
        audit(store, clock, actor, action="claim", subject=subject, outcome="OVERTIME_SHOWN",
              detail=f"{extra:g} h overtime, {week:g} h this week")
        return ClaimResult(ClaimOutcome.OVERTIME_NOT_ACCEPTED, findings, extra, shift, claimant,
                           week)
    if policy.award_mode is AwardMode.QUEUE:
        store.queue_claim(open_shift_id, claimant.staff_id, clock(), extra)
        audit(store, clock, actor, action="claim", subject=subject, outcome="QUEUED",
              detail=f"overtime={extra:g}h" if extra else "")
        return ClaimResult(ClaimOutcome.QUEUED, findings, extra,
                           store.get_open_shift(open_shift_id), claimant, week)
    return _award(store, clock, actor, claimant, shift, findings, extra, week)


def confirm_claim(
    *,
    open_shift_id: str,
    staff_id: str,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
    certifications: CertificationChecker,
    rules: ClaimRules,
) -> ClaimResult:
    """The unit's charge nurse or manager awards a queued claim, re-checking eligibility now."""
    problems = {name: "required" for name, value in
                (("open_shift_id", open_shift_id), ("staff_id", staff_id)) if not value.strip()}
    if problems:
        raise InvalidInput(problems)
    shift = store.get_open_shift(open_shift_id)
    unit, window = open_shift_window(store, shift)
    actor = identify(store, slack_team_id, slack_user_id)
    subject = f"open shift {open_shift_id}"
    _require_manager(store, clock, actor, unit, action="confirm", subject=subject,
                     what="confirm claims for its open shifts")
    claimant = store.get_staff(staff_id)
    if any(awarded == staff_id for awarded, _ in shift.awarded):
        # A second click on Confirm: the award stands, nothing more is decided or posted.
        raise NotQueued(f"{claimant.display_name}'s claim is already confirmed.")
    if staff_id not in store.queued_claims(open_shift_id):
        audit(store, clock, actor, action="confirm", subject=subject, outcome="NOT_QUEUED",
              detail=staff_id)
        raise NotQueued(f"{claimant.display_name} has no claim waiting on this shift.")
    if shift.state is OpenShiftState.CANCELLED:
        audit(store, clock, actor, action="confirm", subject=subject, outcome="CANCELLED",
              detail=staff_id)
        return ClaimResult(ClaimOutcome.CANCELLED, (), 0.0, shift, claimant)
    if shift.state is not OpenShiftState.OPEN or shift.slots_filled >= shift.slots:
        audit(store, clock, actor, action="confirm", subject=subject, outcome="ALREADY_FILLED",
              detail=staff_id)
        return ClaimResult(ClaimOutcome.ALREADY_FILLED, (), 0.0, shift, claimant)
    found = assess(shift=shift, unit=unit, window=window, claimant=claimant,
                   policy=store.unit_policy(unit.unit_id), store=store,
                   certifications=certifications, rules=rules)
    failed = eligibility.failing(found.findings)
    if failed:
        audit(store, clock, actor, action="confirm", subject=subject, outcome="REFUSED",
              detail=f"{staff_id}: " + "; ".join(f.explanation for f in failed))
        return ClaimResult(ClaimOutcome.REFUSED, found.findings, found.overtime_hours, shift,
                           claimant, found.hours_this_week)
    return _award(store, clock, actor, claimant, shift, found.findings, found.overtime_hours,
                  found.hours_this_week)


@dataclass(frozen=True)
class CancelResult:
    open_shift: OpenShift
    cancelled: bool  # False: it was cancelled already (a second click), nothing changed


def cancel_open_shift(
    *, open_shift_id: str, slack_team_id: str, slack_user_id: str, store: Store, clock: Clock,
) -> CancelResult:
    """The unit's charge nurse or manager cancels an open shift: claims are answered
    "cancelled" and the ladder stops. Awards already made stand; a filled shift cannot be
    cancelled; cancelling twice changes nothing."""
    if not open_shift_id.strip():
        raise InvalidInput({"open_shift_id": "required"})
    shift = store.get_open_shift(open_shift_id.strip())
    unit = store.get_unit(shift.unit_id)
    actor = identify(store, slack_team_id, slack_user_id)
    subject = f"open shift {shift.open_shift_id}"
    _require_manager(store, clock, actor, unit, action="cancel", subject=subject,
                     what="cancel its open shifts")
    assert actor.member is not None
    if shift.state is OpenShiftState.OPEN and store.cancel_open_shift(
            shift.open_shift_id, by_name=actor.member.display_name,
            by_slack_user_id=slack_user_id, at=clock()):
        audit(store, clock, actor, action="cancel", subject=subject, outcome="CANCELLED",
              detail=f"{shift.slots_filled} of {shift.slots} filled")
        return CancelResult(store.get_open_shift(shift.open_shift_id), True)
    after = store.get_open_shift(shift.open_shift_id)
    if after.state is OpenShiftState.CANCELLED:
        audit(store, clock, actor, action="cancel", subject=subject,
              outcome="ALREADY_CANCELLED")
        return CancelResult(after, False)
    audit(store, clock, actor, action="cancel", subject=subject, outcome="REFUSED",
          detail="filled")
    raise NotCancellable(f"Every slot of this shift is filled "
                         f"({', '.join(name for _, name in after.awarded)}): nothing to cancel.")


def _award(store: Store, clock: Clock, actor: Actor, claimant: StaffMember, shift: OpenShift,
           findings: tuple[Finding, ...], extra: float, week: float = 0.0) -> ClaimResult:
    subject = f"open shift {shift.open_shift_id}"
    result = store.award(shift.open_shift_id, claimant.staff_id, clock())
    after = store.get_open_shift(shift.open_shift_id)
    if result is AwardResult.ALREADY_FILLED:
        audit(store, clock, actor, action="award", subject=subject, outcome="ALREADY_FILLED",
              detail=claimant.staff_id)
        return ClaimResult(ClaimOutcome.ALREADY_FILLED, findings, extra, after, claimant, week)
    if result is AwardResult.ALREADY_ASSIGNED:
        refusal = Finding("no overlap", False, "you are already assigned to a shift then")
        audit(store, clock, actor, action="award", subject=subject, outcome="REFUSED",
              detail=f"{claimant.staff_id}: {refusal.explanation}")
        return ClaimResult(ClaimOutcome.REFUSED, (*findings, refusal), extra, after, claimant,
                           week)
    audit(store, clock, actor, action="award", subject=subject, outcome="AWARDED",
          detail=f"{claimant.staff_id} overtime={extra:g}h")
    return ClaimResult(ClaimOutcome.AWARDED, findings, extra, after, claimant, week)


# ---- scheduled shifts ----------------------------------------------------------------------------

MAX_ASSIGNMENT_SPAN = timedelta(days=366)


@dataclass(frozen=True)
class ScheduledShift:
    """An assignment with its window in the unit's time zone."""

    assignment: Assignment
    window: ShiftWindow


def list_assignments(
    *, staff_id: str, starts_after: datetime | None, starts_before: datetime | None,
    slack_team_id: str, slack_user_id: str, store: Store, clock: Clock,
) -> list[ScheduledShift]:
    """A person's shifts starting inside (starts_after, starts_before): their own, or as manager.

    Default window: from now, for a year. The caller may list their own shifts; someone else's
    only as that person's charge nurse or manager (home unit) or a house supervisor.
    """
    actor = identify(store, slack_team_id, slack_user_id)
    if actor.member is None:
        raise PermissionDenied("You are not in the staff directory; ask your unit manager.")
    person = store.get_staff(staff_id.strip()) if staff_id.strip() else actor.member
    if person.staff_id != actor.staff_id:
        home = store.get_unit(person.home_unit_id) if person.home_unit_id else None
        if home is None or not may_manage(actor.member, home):
            raise PermissionDenied(
                f"Only {person.display_name}, their manager or a house supervisor can see "
                "their shifts.")
    after = starts_after or clock()
    before = starts_before or after + MAX_ASSIGNMENT_SPAN
    if before <= after:
        raise InvalidInput({"starts_before": "must be after starts_after"})
    if before - after > MAX_ASSIGNMENT_SPAN:
        raise InvalidInput({"starts_before": "at most a year after starts_after"})
    # Dates are the facility's: a day of margin either side, then the instants decide.
    found = store.assignments_for_staff(person.staff_id, (after - timedelta(days=1)).date(),
                                        (before + timedelta(days=1)).date())
    units: dict[str, Unit] = {}
    scheduled = []
    for assignment in found:
        unit = units.get(assignment.unit_id) or store.get_unit(assignment.unit_id)
        units[assignment.unit_id] = unit
        window = shift_window(assignment.date, assignment.shift, facility_zone(unit.time_zone))
        if after < window.starts_at < before:
            scheduled.append(ScheduledShift(assignment, window))
    return sorted(scheduled, key=lambda s: s.window.starts_at)


# ---- claims waiting for a confirm ----------------------------------------------------------------


@dataclass(frozen=True)
class PendingClaim:
    """A queued claim as its confirmer sees it: the shift, who claimed it, since when."""

    claim: QueuedClaim
    open_shift: OpenShift
    window: ShiftWindow
    claimant: StaffMember


def list_pending_claims(
    *, slack_team_id: str, slack_user_id: str, store: Store,
) -> list[PendingClaim]:
    """Queued claims the caller may confirm (units they run as charge nurse or manager, every
    unit for a house supervisor), oldest first; nothing for anyone else."""
    actor = identify(store, slack_team_id, slack_user_id)
    if actor.member is None:
        return []
    units: dict[str, Unit] = {}
    shifts: dict[str, OpenShift] = {}
    for shift in store.list_open_shifts():
        unit = units.get(shift.unit_id) or store.get_unit(shift.unit_id)
        units[shift.unit_id] = unit
        if may_manage(actor.member, unit):
            shifts[shift.open_shift_id] = shift
    people: dict[str, StaffMember] = {}
    pending = []
    for claim in store.claims_waiting(shifts):
        shift = shifts[claim.open_shift_id]
        if shift.slots_filled >= shift.slots:
            continue
        claimant = people.get(claim.staff_id) or store.get_staff(claim.staff_id)
        people[claim.staff_id] = claimant
        zone = facility_zone(units[shift.unit_id].time_zone)
        window = shift_window(shift.date, shift.shift, zone)
        pending.append(PendingClaim(claim, shift, window, claimant))
    return pending
