"""Use cases of the escalation ladder and pre-shift alerts, called by the scheduler.

The service decides what is due and records it once (audit log, conditional UPDATE, unique
key); the scheduler only calls these every few minutes and posts what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from clinops.clock import Clock
from services.staffing import ladder
from services.staffing.eligibility import ClaimRules
from services.staffing.errors import InvalidInput
from services.staffing.model import (
    Duty,
    EmploymentType,
    GapLine,
    LadderStep,
    OpenShift,
    OpenShiftState,
    Shift,
    StaffMember,
    Unit,
)
from services.staffing.shifts import ShiftWindow, facility_zone
from services.staffing.usecases import (
    Actor,
    CertificationChecker,
    Store,
    assess,
    audit,
    check_unit_id,
    get_shift_gaps,
    open_shift_window,
)

# The scheduler acts for nobody: its decisions are logged as the system's.
SYSTEM = Actor("", "", None)
MAX_PRESHIFT_HOURS = 24.0


@dataclass(frozen=True)
class Escalation:
    """One open shift moved one step up the ladder, and whom that step reaches."""

    open_shift: OpenShift  # after the step
    from_step: LadderStep
    waited: timedelta
    notify: tuple[StaffMember, ...]


def _float_pool(store: Store, shift: OpenShift, unit: Unit, window: ShiftWindow, *,
                certifications: CertificationChecker, rules: ClaimRules) -> list[StaffMember]:
    """Float-pool nurses who could claim the shift now (every rule a claim would check)."""
    policy = store.unit_policy(unit.unit_id)
    awarded = {staff_id for staff_id, _ in shift.awarded}
    found = []
    for member in store.list_staff():
        if (member.employment_type is not EmploymentType.FLOAT_POOL
                or member.role is not shift.role or member.staff_id in awarded
                or not member.slack_user_id):
            continue
        common = {"shift": shift, "unit": unit, "window": window, "claimant": member,
                  "policy": policy, "store": store, "certifications": certifications,
                  "rules": rules}
        if assess(**common, ask_training=False).eligible and assess(**common).eligible:
            found.append(member)
    return found


def _supervisors(store: Store) -> list[StaffMember]:
    return [m for m in store.list_staff() if Duty.SUPERVISOR in m.duties and m.slack_user_id]


def advance_escalations(
    *, wait: timedelta, store: Store, clock: Clock, certifications: CertificationChecker,
    rules: ClaimRules,
) -> list[Escalation]:
    """Move each open shift that waited `wait` on its step without a taker one step up, once.

    Two schedulers calling at once (or one calling twice) move a shift once: only the caller
    whose conditional UPDATE matched the old step records, audits and returns the step.
    """
    if wait <= timedelta(0):
        raise InvalidInput({"escalation_wait": "must be positive"})
    now = clock()
    moved: list[Escalation] = []
    for shift in store.list_open_shifts():
        unit, window = open_shift_window(store, shift)
        if not ladder.escalation_due(shift, now=now, wait=wait, shift_ends_at=window.ends_at):
            continue
        entered = ladder.step_entered_at(shift)
        assert entered is not None
        to_step = ladder.next_step(shift.ladder_step)
        assert to_step is not None
        if not store.advance_ladder(shift.open_shift_id, shift.ladder_step, to_step, now):
            continue  # another call moved it (or it was filled) in the meantime
        after = store.get_open_shift(shift.open_shift_id)
        notify: list[StaffMember] = []
        if to_step is LadderStep.FLOAT_POOL:
            notify = _float_pool(store, after, unit, window, certifications=certifications,
                                 rules=rules)
        elif to_step is LadderStep.HOUSE_SUPERVISOR:
            notify = _supervisors(store)
        waited = now - entered
        audit(store, clock, SYSTEM, action="escalate", subject=f"open shift {shift.open_shift_id}",
              outcome=to_step.value,
              detail=f"from {shift.ladder_step.value} after {int(waited.total_seconds() // 60)}"
                     f" min; notified: {', '.join(m.staff_id for m in notify) or 'nobody'}")
        moved.append(Escalation(after, shift.ladder_step, waited, tuple(notify)))
    return moved


@dataclass(frozen=True)
class PreShiftAlert:
    """A unit's remaining gap on a shift about to start: counts only, never names."""

    unit: Unit
    window: ShiftWindow
    gaps: tuple[GapLine, ...]  # roles still short
    open_shifts: tuple[OpenShift, ...]  # with slots unfilled
    gap_state: str


def _has_room(shift: OpenShift) -> bool:
    return shift.state is OpenShiftState.OPEN and shift.slots_filled < shift.slots


def claim_preshift_alerts(*, hours_before: float, store: Store, clock: Clock
                          ) -> list[PreShiftAlert]:
    """Gaps of shifts starting within `hours_before`, each handed out once per gap state.

    Every state is recorded, a fully staffed one too, so a gap that closes and opens again
    alerts again; only states with something short are returned.
    """
    if not 0 < hours_before <= MAX_PRESHIFT_HOURS:
        raise InvalidInput({"hours_before": f"must be more than 0 and at most "
                                            f"{MAX_PRESHIFT_HOURS:g}"})
    now = clock()
    alerts: list[PreShiftAlert] = []
    for unit in store.list_units():
        zone = facility_zone(unit.time_zone)
        for window in ladder.preshift_windows(now, zone, hours_before):
            gaps = get_shift_gaps(unit_id=unit.unit_id, day=window.date, shift=window.shift,
                                  slack_team_id="", slack_user_id="", store=store, clock=clock)
            short = tuple(g for g in gaps.gaps if g.gap > 0)
            open_shifts = tuple(s for s in store.list_open_shifts(unit.unit_id)
                                if s.date == window.date and s.shift is window.shift
                                and _has_room(s))
            state = ladder.gap_state(short, [(s.role.value, s.slots - s.slots_filled)
                                             for s in open_shifts])
            recorded = store.record_alert_state(unit.unit_id, window.date, window.shift, state,
                                                now)
            if not (recorded and state):
                continue  # alerted in this state already, or nothing short: nothing to post
            subject = f"preshift {unit.unit_id} {window.date.isoformat()} {window.shift.value}"
            audit(store, clock, SYSTEM, action="preshift", subject=subject, outcome="ALERTED",
                  detail=state)
            alerts.append(PreShiftAlert(unit, window, short, open_shifts, state))
    return alerts


def release_preshift_alert(*, unit_id: str, day: date | None, shift: Shift | None,
                           gap_state: str, store: Store, clock: Clock) -> bool:
    """Forget an alert the scheduler could not post, so its next run hands it out again."""
    cleaned = check_unit_id(unit_id)
    problems = {name: "required" for name, value in
                (("unit_id", cleaned), ("date", day), ("shift", shift), ("gap_state", gap_state))
                if not value}
    if problems:
        raise InvalidInput(problems)
    assert day is not None and shift is not None
    unit = store.get_unit(cleaned)
    released = store.release_alert_state(unit.unit_id, day, shift, gap_state)
    audit(store, clock, SYSTEM, action="preshift",
          subject=f"preshift {unit.unit_id} {day.isoformat()} {shift.value}",
          outcome="RELEASED" if released else "NOT_RELEASED", detail=gap_state)
    return released
