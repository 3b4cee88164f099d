"""Who could fill an open shift, cheapest first, and offering it to one of them (use cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinops.clock import Clock
from services.staffing import eligibility
from services.staffing.eligibility import ClaimRules
from services.staffing.errors import InvalidInput, NotOfferable
from services.staffing.model import OpenShift, OpenShiftState, RelativeDay, Shift, StaffMember, Unit
from services.staffing.shifts import ShiftWindow
from services.staffing.usecases import (
    CertificationChecker,
    Store,
    _require_manager,
    _window_for,
    assess,
    audit,
    check_unit_id,
    identify,
    open_shift_window,
)


@dataclass(frozen=True)
class Candidate:
    """One eligible person for one open shift, with what calling them in would cost."""

    member: StaffMember
    open_shift_id: str
    cost_tier: int
    hours_this_week: float  # before this shift
    rest_hours_before: float | None
    overtime_hours: float
    findings: tuple


@dataclass(frozen=True)
class Candidates:
    unit: Unit
    window: ShiftWindow
    open_shifts: tuple[OpenShift, ...]
    candidates: tuple[Candidate, ...]


def _has_room(shift: OpenShift) -> bool:
    return shift.state is OpenShiftState.OPEN and shift.slots_filled < shift.slots


def list_candidates(
    *,
    open_shift_id: str,
    unit_id: str,
    day: date | RelativeDay | None,
    shift: Shift | None,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
    certifications: CertificationChecker,
    rules: ClaimRules,
) -> Candidates:
    """Eligible people for one open shift, or for a unit's open shifts in a window; cheapest first.

    Role, competency, overlap, rest and overtime policy are checked here first; only those who
    pass are asked of training, as a claim would be.
    """
    if open_shift_id.strip():
        found = store.get_open_shift(open_shift_id.strip())
        unit, window = open_shift_window(store, found)
        shifts = [found] if _has_room(found) else []
    else:
        cleaned = check_unit_id(unit_id)
        if not cleaned:
            raise InvalidInput({"unit_id": "required (or an open_shift_id)"})
        unit = store.get_unit(cleaned)
        window = _window_for(unit, day, shift, clock())
        shifts = [s for s in store.list_open_shifts(unit.unit_id)
                  if s.date == window.date and s.shift is window.shift and _has_room(s)]
    actor = identify(store, slack_team_id, slack_user_id)
    _require_manager(store, clock, actor, unit, action="candidates",
                     subject=f"candidates {unit.unit_id} {window.date} {window.shift.value}",
                     what="see candidates for its open shifts")
    policy = store.unit_policy(unit.unit_id)
    people = store.list_staff()
    found_candidates: list[Candidate] = []
    for open_shift in shifts:
        awarded = {staff_id for staff_id, _ in open_shift.awarded}
        for member in people:
            if member.staff_id in awarded or member.role is not open_shift.role:
                continue
            if not eligibility.competency_finding(unit, member).passed:
                continue
            local = assess(shift=open_shift, unit=unit, window=window, claimant=member,
                           policy=policy, store=store, certifications=certifications,
                           rules=rules, ask_training=False)
            if not local.eligible:
                continue
            full = assess(shift=open_shift, unit=unit, window=window, claimant=member,
                          policy=policy, store=store, certifications=certifications, rules=rules)
            if not full.eligible:
                continue
            found_candidates.append(Candidate(
                member=member, open_shift_id=open_shift.open_shift_id,
                cost_tier=eligibility.cost_tier(member, unit, full.overtime_hours),
                hours_this_week=full.hours_this_week - eligibility.shift_hours(window),
                rest_hours_before=full.rest_hours_before, overtime_hours=full.overtime_hours,
                findings=full.findings,
            ))
    found_candidates.sort(key=lambda c: (c.cost_tier, c.hours_this_week,
                                         c.member.display_name))
    return Candidates(unit, window, tuple(shifts), tuple(found_candidates))


def offer_open_shift(
    *,
    open_shift_id: str,
    staff_id: str,
    slack_team_id: str,
    slack_user_id: str,
    store: Store,
    clock: Clock,
) -> tuple[OpenShift, StaffMember]:
    """The unit's charge nurse or manager offers a still-open shift to one person by DM."""
    problems = {name: "required" for name, value in
                (("open_shift_id", open_shift_id), ("staff_id", staff_id)) if not value.strip()}
    if problems:
        raise InvalidInput(problems)
    shift = store.get_open_shift(open_shift_id.strip())
    unit, window = open_shift_window(store, shift)
    actor = identify(store, slack_team_id, slack_user_id)
    subject = f"open shift {shift.open_shift_id}"
    _require_manager(store, clock, actor, unit, action="offer", subject=subject,
                     what="offer its open shifts")
    member = store.get_staff(staff_id.strip())
    if not _has_room(shift):
        audit(store, clock, actor, action="offer", subject=subject, outcome="ALREADY_FILLED",
              detail=member.staff_id)
        raise NotOfferable(f"{unit.unit_id} {window.date} {window.shift.value.lower()} shift "
                           "is already filled.")
    if not member.slack_user_id:
        raise NotOfferable(f"{member.display_name} has no Slack account to send the offer to.")
    audit(store, clock, actor, action="offer", subject=subject, outcome="OFFERED",
          detail=member.staff_id)
    return shift, member
