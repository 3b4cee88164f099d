"""`clinops import assignments FILE.csv`: who works which unit's shift, from a scheduling export,
written into staffing's database all or nothing.

There is no ImportAssignments RPC yet: like `clinops setup`, this runs where staffing runs and
writes with staffing's own store on the database its settings name (whoever can run it there
already holds the database). Each rejected row is named with its reason, and with any rejected
row nothing is written. The same file loaded again changes nothing: a person has one assignment
per date and shift, which a later file replaces. docs/setup.md lists the columns.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinops.imports import (
    ImportFileError,
    Outcome,
    Rejected,
    _columns,
    _reader,
    _rejections,
    parse_day,
    read_text,
)

ASSIGNMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_id": ("staff_id", "staff", "employee_id", "employee_number", "employee_no",
                 "person_id", "badge_id"),
    "unit": ("unit", "unit_id", "nursing_unit", "department", "dept"),
    "date": ("date", "shift_date", "day", "work_date"),
    "shift": ("shift", "shift_name"),
    "duty": ("duty", "assignment", "position"),
    "carries_patients": ("carries_patients", "patient_assignment", "has_patients",
                         "takes_patients"),
}
REQUIRED = ("staff_id", "unit", "date", "shift")
YES = {"yes", "y", "true", "t", "1"}
NO = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class AssignmentIn:
    row: int
    staff_id: str
    unit_id: str
    day: date
    shift: str
    duty: str
    carries_patients: bool


def read_assignments_csv(content: bytes, name: str, *, staff_ids: set[str],
                         unit_ids: Sequence[str]) -> tuple[list[AssignmentIn], list[Rejected]]:
    """Rows checked against staffing's directory and units; the rejected ones with why."""
    from services.staffing.model import Duty, Shift

    rows, header = _reader(read_text(content, name), name)
    columns = _columns(header, ASSIGNMENT_COLUMNS, REQUIRED, name)
    units = {u.upper() for u in unit_ids}
    good: list[AssignmentIn] = []
    rejected: list[Rejected] = []
    first_row: dict[tuple[str, date, str], int] = {}
    number = 0
    try:
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            value = {column: cells[index].strip() if index < len(cells) else ""
                     for column, index in columns.items()}
            problems = [f"{column.replace('_', ' ')} is missing" for column in REQUIRED
                        if not value[column]]
            staff_id, unit_id = value["staff_id"], value["unit"].upper()
            if staff_id and staff_id not in staff_ids:
                problems.append(f"no staff member {staff_id!r} in staffing (load the site "
                                "file first)")
            if unit_id and unit_id not in units:
                problems.append(f"unknown unit {value['unit']!r}; known: "
                                f"{', '.join(sorted(units)) or 'none'}")
            day = None
            if value["date"]:
                try:
                    day = parse_day(value["date"])
                except ValueError as error:
                    problems.append(str(error))
            shift = value["shift"].upper()
            if shift and shift not in Shift.__members__:
                problems.append(f"shift {value['shift']!r} is not DAY or NIGHT")
            duty = (value.get("duty") or "STAFF").upper()
            if duty not in Duty.__members__:
                problems.append(f"duty {value['duty']!r} is not one of "
                                f"{', '.join(Duty.__members__)}")
            carries = (value.get("carries_patients") or "").lower()
            if carries and carries not in YES | NO:
                problems.append(f"carries patients {value['carries_patients']!r} is not "
                                "yes or no")
            if day is not None and staff_id and shift:
                earlier = first_row.setdefault((staff_id, day, shift), number)
                if earlier != number:
                    problems.append(f"{staff_id} is already on the {day} {shift} shift "
                                    f"in row {earlier}")
            if problems or day is None:
                rejected.append(Rejected(f"row {number}", "; ".join(problems)))
                continue
            # The charge nurse and the triage nurse carry no patients unless the file says so.
            carries_patients = carries in YES if carries else duty == "STAFF"
            good.append(AssignmentIn(number, staff_id, unit_id, day, shift, duty,
                                     carries_patients))
    except csv.Error as error:
        raise ImportFileError(f"{name} is not valid CSV near row {number + 1}: {error}") from None
    if not good and not rejected:
        raise ImportFileError(f"{name} has a header but no rows")
    return good, rejected


def import_assignments(content: bytes, name: str, store: Any) -> Outcome:
    """Check every row against the store's staff and units; write them all or none."""
    from services.staffing.model import Assignment, Duty, Shift

    try:
        rows, rejected = read_assignments_csv(
            content, name, staff_ids={m.staff_id for m in store.list_staff()},
            unit_ids=[u.unit_id for u in store.list_units()])
    except ImportFileError as error:
        return Outcome(False, [str(error), "nothing was written"])
    if rejected:
        return _rejections(rejected)
    store.add_assignments(Assignment(
        staff_id=r.staff_id, unit_id=r.unit_id, date=r.day, shift=Shift(r.shift),
        duty=Duty(r.duty), carries_patients=r.carries_patients) for r in rows)
    shifts = Counter((r.unit_id, r.day, r.shift) for r in rows)
    lines = [f"{len(rows)} assignment{'' if len(rows) == 1 else 's'} written"]
    lines += [f"  {unit} {day} {shift}: {count} on duty"
              for (unit, day, shift), count in sorted(shifts.items())]
    return Outcome(True, lines)


def run(path: Any) -> Outcome:
    """Read `path` and write it into the staffing database the settings name (migrated)."""
    from services.staffing.config import StaffingSettings
    from services.staffing.store import StaffingStore, migrate

    try:
        content = path.read_bytes()
    except OSError as error:
        return Outcome(False, [f"cannot read {path}: {error.strerror or error}",
                               "nothing was written"])
    url = StaffingSettings().database_url
    migrate(url)
    store = StaffingStore.open(url)
    try:
        return import_assignments(content, path.name, store)
    finally:
        store.close()
