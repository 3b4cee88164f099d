"""ImportAssignments: a unit's roster from a scheduling export, every row or none.

Who may: for each row, the charge nurse or manager of the row's unit, or a house supervisor
(eligibility.may_manage, the same rule as census). A row naming someone the directory does not
know, a unit that does not exist, a unit the caller does not manage, or a person twice on one
date and shift is rejected with its reason; with any rejected row nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from clinops.clock import Clock
from services.staffing.eligibility import may_manage
from services.staffing.errors import InvalidInput, PermissionDenied
from services.staffing.model import Assignment, Duty, Shift, StaffMember, Unit
from services.staffing.store import normalise_unit_id
from services.staffing.usecases import Store, audit, identify

MAX_ROWS = 10_000


@dataclass(frozen=True)
class RosterRow:
    """One row as sent: `duty` None is STAFF; `carries_patients` None follows the duty."""

    staff_id: str
    unit_id: str
    date: date | None
    shift: Shift | None
    duty: Duty | None = None
    carries_patients: bool | None = None


@dataclass(frozen=True)
class RosterImport:
    written: int
    rejected: tuple[tuple[int, str], ...] = ()  # (1-based row, reason)


class RosterStore(Store, Protocol):
    """What the import needs beyond the use cases' store."""

    def list_staff(self) -> list[StaffMember]: ...
    def list_units(self, facility_id: str = "") -> list[Unit]: ...
    def add_assignments(self, assignments: Iterable[Assignment]) -> None: ...


def carries_patients(duty: Duty, given: bool | None) -> bool:
    """Only a staff nurse carries patients unless the roster says otherwise: a charge nurse,
    triage nurse or supervisor counts toward the ratio only with a patient assignment."""
    return given if given is not None else duty is Duty.STAFF


def import_assignments(*, rows: Sequence[RosterRow], slack_team_id: str, slack_user_id: str,
                       store: RosterStore, clock: Clock) -> RosterImport:
    """Check every row, then write them all in one transaction, or none."""
    if not rows:
        raise InvalidInput({"rows": "no rows to import"})
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"rows": f"at most {MAX_ROWS} rows per import; split the file"})
    actor = identify(store, slack_team_id, slack_user_id)
    if actor.member is None:
        raise PermissionDenied("You are not in the staff directory; ask your unit manager.")
    staff = {m.staff_id for m in store.list_staff()}
    units = {u.unit_id: u for u in store.list_units()}
    first_row: dict[tuple[str, date, Shift], int] = {}
    rejected: list[tuple[int, str]] = []
    assignments: list[Assignment] = []
    for number, row in enumerate(rows, start=1):
        problems = []
        staff_id = row.staff_id.strip()
        unit = units.get(normalise_unit_id(row.unit_id))
        if not staff_id:
            problems.append("staff id is missing")
        elif staff_id not in staff:
            problems.append(f"no staff member {staff_id!r}")
        if not row.unit_id.strip():
            problems.append("unit is missing")
        elif unit is None:
            problems.append(f"unknown unit {row.unit_id.strip()!r}; known: "
                            f"{', '.join(sorted(units)) or 'none'}")
        elif not may_manage(actor.member, unit):
            problems.append(f"only the charge nurse or manager of {unit.unit_id} (or a house "
                            "supervisor) can put people on its shifts")
        if row.date is None:
            problems.append("date is missing")
        if row.shift is None:
            problems.append("shift is missing (DAY or NIGHT)")
        if row.date is not None and row.shift is not None and staff_id:
            earlier = first_row.setdefault((staff_id, row.date, row.shift), number)
            if earlier != number:
                problems.append(f"{staff_id} is already on the {row.date} {row.shift.value} "
                                f"shift in row {earlier}")
        if problems:
            rejected.append((number, "; ".join(problems)))
            continue
        assert unit is not None and row.date is not None and row.shift is not None
        duty = row.duty or Duty.STAFF
        assignments.append(Assignment(staff_id=staff_id, unit_id=unit.unit_id, date=row.date,
                                      shift=row.shift, duty=duty,
                                      carries_patients=carries_patients(duty,
                                                                        row.carries_patients)))
    subject = f"roster of {len(rows)} rows"
    if rejected:
        audit(store, clock, actor, action="import_assignments", subject=subject,
              outcome="REJECTED", detail=f"{len(rejected)} rows rejected")
        return RosterImport(0, tuple(rejected))
    store.add_assignments(assignments)
    audit(store, clock, actor, action="import_assignments", subject=subject, outcome="WRITTEN",
          detail="units " + ", ".join(sorted({a.unit_id for a in assignments})))
    return RosterImport(len(assignments))
