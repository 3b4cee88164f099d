"""May this person work this open shift? Each rule is a function of its inputs; no I/O, no clock.

Certifications are the training service's to judge: staffing only translates its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.staffing.model import (
    Duty,
    EmploymentType,
    Finding,
    OvertimePolicy,
    Role,
    StaffMember,
    Unit,
)
from services.staffing.shifts import ShiftWindow

ROLE_NAMES = {Role.RN: "RN", Role.LVN: "LVN", Role.CNA: "CNA", Role.UNIT_CLERK: "unit clerk",
              Role.SURGICAL_TECH: "surgical tech"}
CERTIFICATIONS_UNCHECKED = "certifications could not be checked — try again"


@dataclass(frozen=True)
class ClaimRules:
    """The configurable limits: rest between shifts and the weekly overtime threshold."""

    min_rest_hours: float = 10.0
    weekly_hours_threshold: float = 40.0


@dataclass(frozen=True)
class WorkedShift:
    """A shift the claimant already works, as a window on the clock, with its unit."""

    unit_id: str
    window: ShiftWindow


@dataclass(frozen=True)
class CertificationProblem:
    """What the training service found wrong with one certification."""

    code: str
    problem: str  # MISSING, EXPIRED or EXPIRES_BEFORE_SHIFT_END
    expires_on: date | None = None
    explanation: str = ""


@dataclass(frozen=True)
class CertificationAnswer:
    """Training's answer to "may this person work this unit through the end of this shift?"."""

    eligible: bool
    problems: tuple[CertificationProblem, ...] = ()


def may_manage(member: StaffMember | None, unit: Unit) -> bool:
    """A charge nurse or manager of the unit, or a house supervisor for any unit."""
    if member is None:
        return False
    if Duty.SUPERVISOR in member.duties:
        return True
    in_charge = Duty.CHARGE in member.duties or Duty.MANAGER in member.duties
    return in_charge and (member.home_unit_id or "").upper() == unit.unit_id.upper()


def role_finding(slot_role: Role, claimant: StaffMember) -> Finding:
    """The slot's role must be the claimant's own: an RN slot needs an RN, an LVN slot an LVN."""
    wanted = ROLE_NAMES[slot_role]
    if claimant.role is slot_role:
        return Finding("role", True, f"{wanted} slot, you are an {wanted}")
    return Finding("role", False,
                   f"this is an {wanted} slot and you are listed as {ROLE_NAMES[claimant.role]}")


def competency_finding(unit: Unit, claimant: StaffMember) -> Finding:
    """Home-unit staff, or anyone (float pool above all) oriented to the unit's category."""
    if (claimant.home_unit_id or "").upper() == unit.unit_id.upper():
        return Finding("unit competency", True, f"{unit.unit_id} is your home unit")
    if unit.category in claimant.oriented_categories:
        return Finding("unit competency", True, f"oriented to {unit.category.value}")
    who = "float pool" if claimant.employment_type is EmploymentType.FLOAT_POOL else "you are"
    return Finding("unit competency", False,
                   f"not oriented to {unit.unit_id} ({unit.category.value}); {who} oriented to "
                   f"{', '.join(c.value for c in claimant.oriented_categories) or 'no unit'}")


def _clock_time(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%H:%M}"


def _shift_words(worked: WorkedShift, zone: ZoneInfo) -> str:
    w = worked.window
    return (f"{worked.unit_id} {w.shift.value.lower()} shift {w.date.isoformat()} "
            f"{_clock_time(w.starts_at, zone)}–{_clock_time(w.ends_at, zone)}")


def overlap_finding(window: ShiftWindow, worked: Iterable[WorkedShift], zone: ZoneInfo) -> Finding:
    """No assignment may overlap the open shift, on any unit."""
    clashes = [w for w in worked
               if w.window.starts_at < window.ends_at and window.starts_at < w.window.ends_at]
    if not clashes:
        return Finding("no overlap", True, "no overlapping assignment")
    return Finding("no overlap", False,
                   "already working " + "; ".join(_shift_words(w, zone) for w in clashes))


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d} min"


def rest_findings(
    window: ShiftWindow, worked: Iterable[WorkedShift], zone: ZoneInfo, rules: ClaimRules
) -> list[Finding]:
    """At least `min_rest_hours` after the previous shift ends and before the next one starts."""
    minimum = timedelta(hours=rules.min_rest_hours)
    shifts = list(worked)
    before = [w.window for w in shifts if w.window.ends_at <= window.starts_at]
    after = [w.window for w in shifts if w.window.starts_at >= window.ends_at]
    findings = []
    if before:
        previous = max(before, key=lambda w: w.ends_at)
        gap = window.starts_at - previous.ends_at
        if gap < minimum:
            findings.append(Finding("rest before", False, f"only {_hours(gap)} rest after your "
                                    f"shift ending {_clock_time(previous.ends_at, zone)}"))
    if after:
        following = min(after, key=lambda w: w.starts_at)
        gap = following.starts_at - window.ends_at
        if gap < minimum:
            findings.append(Finding("rest after", False, f"only {_hours(gap)} rest before your "
                                    f"shift starting {_clock_time(following.starts_at, zone)}"))
    if not findings:
        findings.append(Finding("rest", True, f"at least {rules.min_rest_hours:g} h rest"))
    return findings


def week_of(day: date) -> tuple[date, date]:
    """The workweek holding `day`: Sunday through Saturday (a fixed, recurring 168 hours)."""
    start = day - timedelta(days=(day.weekday() + 1) % 7)
    return start, start + timedelta(days=6)


def shift_hours(window: ShiftWindow) -> float:
    return (window.ends_at - window.starts_at).total_seconds() / 3600


def overtime_hours(
    window: ShiftWindow, worked: Sequence[WorkedShift], rules: ClaimRules
) -> tuple[float, float]:
    """(hours this week including the open shift, hours of it beyond the weekly threshold)."""
    first, last = week_of(window.date)
    already = sum(shift_hours(w.window) for w in worked if first <= w.window.date <= last)
    total = already + shift_hours(window)
    beyond = max(0.0, total - rules.weekly_hours_threshold)
    return total, min(beyond, shift_hours(window))


def overtime_finding(
    window: ShiftWindow, worked: Sequence[WorkedShift], rules: ClaimRules,
    policy: OvertimePolicy, unit_id: str,
) -> tuple[Finding, float]:
    """Hours beyond the threshold are overtime: shown, and allowed or blocked by unit policy."""
    total, beyond = overtime_hours(window, worked, rules)
    threshold = f"{rules.weekly_hours_threshold:g}"
    if beyond <= 0:
        return Finding("weekly hours", True, f"{total:g} h this week (overtime after "
                                             f"{threshold} h)"), 0.0
    if policy is OvertimePolicy.BLOCK:
        return Finding("weekly hours", False, f"{total:g} h this week: {beyond:g} h overtime, "
                                              f"and {unit_id} does not allow overtime"), beyond
    return Finding("weekly hours", True, f"{total:g} h this week: {beyond:g} h overtime"), beyond


def rest_hours_before(window: ShiftWindow, worked: Iterable[WorkedShift]) -> float | None:
    """Hours between the end of the latest earlier shift and this one's start; None if none."""
    ends = [w.window.ends_at for w in worked if w.window.ends_at <= window.starts_at]
    if not ends:
        return None
    return (window.starts_at - max(ends)).total_seconds() / 3600


class CostTier:
    """Who is cheapest to call in, per DESIGN.md's ladder; lower is cheaper."""

    UNIT_STAFF = 0
    FLOAT_POOL = 1
    PER_DIEM = 2
    OVERTIME = 3
    AGENCY = 4


def cost_tier(member: StaffMember, unit: Unit, overtime: float) -> int:
    """Unit staff at straight time → float pool → per diem → overtime → agency."""
    if member.employment_type is EmploymentType.AGENCY:
        return CostTier.AGENCY
    if overtime > 0:
        return CostTier.OVERTIME
    if member.employment_type is EmploymentType.PER_DIEM:
        return CostTier.PER_DIEM
    home = (member.home_unit_id or "").upper() == unit.unit_id.upper()
    if member.employment_type is EmploymentType.FLOAT_POOL or not home:
        # Staff of another unit who are oriented here float like the pool does.
        return CostTier.FLOAT_POOL
    return CostTier.UNIT_STAFF


def certification_findings(answer: CertificationAnswer | None) -> list[Finding]:
    """Training's answer as findings; no answer at all refuses, never assumes eligible."""
    if answer is None:
        return [Finding("certifications", False, CERTIFICATIONS_UNCHECKED)]
    findings = [
        Finding(f"certification {p.code}", False, p.explanation or _problem_words(p))
        for p in answer.problems
    ]
    if not answer.eligible and not findings:
        findings.append(Finding("certifications", False,
                                "certifications not current (training gave no detail)"))
    if answer.eligible and not findings:
        findings.append(Finding("certifications", True, "every required certification current"))
    return findings


def _problem_words(problem: CertificationProblem) -> str:
    on = problem.expires_on.isoformat() if problem.expires_on else "an unknown date"
    if problem.problem == "MISSING":
        return f"no {problem.code} on file"
    if problem.problem == "EXPIRED":
        return f"{problem.code} expired {on}"
    if problem.problem == "EXPIRES_BEFORE_SHIFT_END":
        return f"{problem.code} expires {on}, before this shift ends"
    return f"{problem.code}: {problem.problem.lower()}"


def failing(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if not f.passed]
