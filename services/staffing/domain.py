"""Staffing rules as plain Python: required versus counted per role. No I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from services.staffing.errors import InvalidInput, NoRatioRule
from services.staffing.model import (
    CATEGORY_LABELS,
    LICENSED_ROLES,
    UNLICENSED_LABELS,
    Assignment,
    Census,
    Duty,
    GapLine,
    GridStep,
    PatientGroup,
    RatioRule,
    Role,
    ShiftStaffing,
    Unit,
    UnitCategory,
)


def required_nurses(census: int, patients_per_nurse: int) -> int:
    """Licensed nurses needed so no nurse has more than the limit, at all times (Title 22)."""
    if census < 0:
        raise InvalidInput({"census.patients": "must not be negative"})
    if patients_per_nurse < 1:
        raise InvalidInput({"patients_per_nurse": "must be at least 1"})
    return math.ceil(census / patients_per_nurse)


def counts_toward_ratio(assignment: Assignment) -> bool:
    """Only licensed nurses giving direct care count (CCR §70217(a)); triage never does."""
    return (
        assignment.role in LICENSED_ROLES
        and assignment.carries_patients
        and assignment.duty is not Duty.TRIAGE
    )


def validate_census(census: Census) -> None:
    """Refuse counts that cannot be true: negatives, or acuity groups larger than the census."""
    problems = {
        f"census.{name}": "must not be negative"
        for name in ("patients", "critical_care_patients", "trauma_patients", "occupied_rooms")
        if getattr(census, name) < 0
    }
    if census.critical_care_patients + census.trauma_patients > census.patients:
        problems["census.patients"] = "must include the critical care and trauma patients"
    if problems:
        raise InvalidInput(problems)


# With no bed count given at setup, a census above this is a typing slip, not a unit: the largest
# nursing units run some 60-80 beds, and a whole large hospital about 500.
MOST_PATIENTS_WITHOUT_BEDS = 500


def check_census_fits(census: Census, *, beds: int | None) -> None:
    """Refuse a census the unit cannot hold: more patients than its beds (or than 500 when
    its beds were not given)."""
    most = beds if beds is not None else MOST_PATIENTS_WITHOUT_BEDS
    if census.patients > most:
        why = (f"{census.patients} is more than the unit's {beds} beds" if beds is not None
               else f"{census.patients} is more than {most}; give the unit's beds at setup if "
                    "it really holds more")
        raise InvalidInput({"census.patients": why})


def _effective_limit(rule: RatioRule, group: PatientGroup, override: int | None) -> tuple[int, str]:
    """The limit for `group` and a note; a unit override applies only when at least as strict."""
    limit = rule.per_nurse(group)
    if override is None:
        return limit, ""
    if override <= limit:
        return override, f"unit override 1:{override}"
    # Title 22 is a maximum: a looser facility setting cannot relax it.
    return limit, f"unit override 1:{override} is looser than the law, not applied"


def _applied(note: str) -> bool:
    return note.startswith("unit override") and not note.endswith("not applied")


def licensed_lines(
    *, rule: RatioRule, census: Census, override: int | None, counted: int
) -> tuple[GapLine, ...]:
    """The licensed-nurse line of a shift for the unit's category (not the OR)."""
    label = CATEGORY_LABELS[rule.category]
    if rule.category is UnitCategory.EMERGENCY:
        general, note = _effective_limit(rule, PatientGroup.GENERAL, override)
        groups = (
            ("general", census.patients - census.critical_care_patients - census.trauma_patients,
             general),
            ("critical care", census.critical_care_patients,
             rule.per_nurse(PatientGroup.CRITICAL_CARE)),
            ("trauma", census.trauma_patients, rule.per_nurse(PatientGroup.TRAUMA)),
        )
        # Each acuity group is rounded up on its own: the conservative reading of §70217.
        required = sum(required_nurses(patients, limit) for _, patients, limit in groups)
        parts = " + ".join(f"{name} 1:{limit} ({patients})" for name, patients, limit in groups)
        words = f"{rule.law} {label}: {parts}" + (f"; {note}" if note else "")
        return (GapLine("Licensed nurse", required, counted, words),)
    limit, note = _effective_limit(rule, PatientGroup.ALL, override)
    required = required_nurses(census.patients, limit)
    head = note if _applied(note) else f"{rule.law} {label} 1:{limit}"
    tail = f"; {note}" if note and not _applied(note) else ""
    return (GapLine("Licensed nurse", required, counted,
                    f"{head} (census {census.patients}){tail}"),)


def operating_room_lines(
    *, rule: RatioRule, census: Census, assignments: Iterable[Assignment]
) -> tuple[GapLine, ...]:
    """One RN circulator per occupied room plus one scrub per room (CCR §70217(a))."""
    rooms = census.occupied_rooms
    circulators = required_nurses(rooms, rule.per_nurse(PatientGroup.CIRCULATOR))
    scrubs = required_nurses(rooms, rule.per_nurse(PatientGroup.SCRUB))
    working = [a for a in assignments if a.carries_patients and a.duty is not Duty.TRIAGE]
    rns = sum(1 for a in working if a.role is Role.RN)
    techs = sum(1 for a in working if a.role is Role.SURGICAL_TECH)
    circulating = min(rns, circulators)
    # RNs beyond the circulators can scrub; a surgical tech can scrub but never circulate.
    scrubbing = techs + rns - circulating
    return (
        GapLine("RN circulator", circulators, circulating,
                f"{rule.law} OR: 1 RN circulator per occupied room (rooms {rooms})"),
        GapLine("Scrub", scrubs, scrubbing,
                f"{rule.law} OR: 1 scrub (RN or surgical tech) per occupied room (rooms {rooms})"),
    )


def grid_lines(
    *, grid: Sequence[GridStep], census: int, assignments: Iterable[Assignment]
) -> tuple[GapLine, ...]:
    """Unlicensed staff from the unit's own grid; they never count toward the licensed ratio."""
    present = list(assignments)
    lines = []
    for role in sorted({step.role for step in grid}, key=list(Role).index):
        steps = sorted((s for s in grid if s.role is role), key=lambda s: s.census_from)
        label = UNLICENSED_LABELS.get(role, role.value)
        on_duty = sum(1 for a in present if a.role is role)
        match = next((s for s in steps if s.census_from <= census <= s.census_to), None)
        if census == 0:
            required, rule = 0, "census 0: nothing required"
        elif match is not None:
            required = match.count
            rule = (f"unit grid: census {match.census_from}–{match.census_to} → "
                    f"{match.count} {label}")
        elif census > steps[-1].census_to:
            top = steps[-1]
            required = top.count
            rule = f"unit grid: census {census} above the grid's top {top.census_from}–" \
                   f"{top.census_to} → {top.count} {label}"
        else:
            required, rule = 0, f"unit grid: no {label} step for census {census}"
        lines.append(GapLine(label, required, on_duty, rule))
    return tuple(lines)


def ratio_rule_words(rule: RatioRule, override: int | None) -> str:
    """The unit's rule in one sentence, e.g. 'Title 22 ICU: 1 licensed nurse per 2 patients'."""
    label = CATEGORY_LABELS[rule.category]
    if rule.category is UnitCategory.OPERATING_ROOM:
        return f"{rule.law} {label}: 1 RN circulator and 1 scrub per occupied room"
    group = PatientGroup.GENERAL if rule.category is UnitCategory.EMERGENCY else PatientGroup.ALL
    limit, note = _effective_limit(rule, group, override)
    words = f"{rule.law} {label}: 1 licensed nurse per {limit} patients"
    if rule.category is UnitCategory.EMERGENCY:
        words += (f", per {rule.per_nurse(PatientGroup.CRITICAL_CARE)} critical care, per "
                  f"{rule.per_nurse(PatientGroup.TRAUMA)} trauma; triage nurse not counted")
    return words + (f" ({note})" if note else "")


def shift_staffing(
    *, unit: Unit, rule: RatioRule, census: Census, assignments: Sequence[Assignment]
) -> ShiftStaffing:
    """Required against counted per role for one shift of one unit."""
    if rule.category is not unit.category:
        raise NoRatioRule(rule.jurisdiction, unit.category)
    validate_census(census)
    override = unit.patients_per_nurse_override
    if unit.category is UnitCategory.OPERATING_ROOM:
        licensed = operating_room_lines(rule=rule, census=census, assignments=assignments)
        counted_ids = frozenset(
            a.staff_id for a in assignments
            if a.carries_patients and a.role in (Role.RN, Role.SURGICAL_TECH)
        )
    else:
        counted_ids = frozenset(a.staff_id for a in assignments if counts_toward_ratio(a))
        licensed = licensed_lines(rule=rule, census=census, override=override,
                                  counted=len(counted_ids))
    unlicensed = grid_lines(grid=unit.unlicensed_grid, census=census.patients,
                            assignments=assignments)
    return ShiftStaffing(licensed + unlicensed, counted_ids, ratio_rule_words(rule, override))
