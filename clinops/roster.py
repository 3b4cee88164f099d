"""`clinops import assignments FILE.csv`: who works which unit's shift, from a scheduling export,
sent to staffing's ImportAssignments, all or nothing.

The file is read here only far enough to send it (columns, dates, shift and duty names). Staffing
checks the rest — the person and the unit exist, the caller (`--as`) is the unit's charge nurse or
manager or a house supervisor, nobody twice on one shift — and writes every row or none. The same
file loaded again changes nothing: a person has one assignment per date and shift, which a later
file replaces. docs/setup.md lists the columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc

from clinops import rpc
from clinops.imports import (
    DEFAULT_DEADLINE_SECONDS,
    ImportFileError,
    Outcome,
    Rejected,
    _columns,
    _reader,
    _rejections,
    call_import,
    data_rows,
    file_bytes,
    import_key,
    parse_caller,
    parse_day,
    read_text,
    row_rejections,
    row_values,
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
SHIFTS = ("DAY", "NIGHT")
DUTIES = ("STAFF", "CHARGE", "MANAGER", "SUPERVISOR", "TRIAGE", "EDUCATOR")
YES = {"yes", "y", "true", "t", "1"}
NO = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class AssignmentIn:
    row: int
    staff_id: str
    unit_id: str
    day: date
    shift: str
    duty: str  # "": staffing's default (STAFF)
    carries_patients: bool | None  # None: staffing decides from the duty


def read_assignments_csv(content: bytes, name: str = "the file"
                         ) -> tuple[list[AssignmentIn], list[Rejected]]:
    """Roster rows, and the rows that cannot even be sent (with why)."""
    rows, header = _reader(read_text(content, name), name)
    columns = _columns(header, ASSIGNMENT_COLUMNS, REQUIRED, name)
    good: list[AssignmentIn] = []
    rejected: list[Rejected] = []
    for number, cells in data_rows(rows, name):
        value = row_values(cells, columns)
        problems = [f"{column.replace('_', ' ')} is missing" for column in REQUIRED
                    if not value[column]]
        day = None
        if value["date"]:
            try:
                day = parse_day(value["date"])
            except ValueError as error:
                problems.append(str(error))
        shift = value["shift"].upper()
        if shift and shift not in SHIFTS:
            problems.append(f"shift {value['shift']!r} is not DAY or NIGHT")
        duty = (value.get("duty") or "").upper()
        if duty and duty not in DUTIES:
            problems.append(f"duty {value['duty']!r} is not one of {', '.join(DUTIES)}")
        carries = (value.get("carries_patients") or "").lower()
        if carries and carries not in YES | NO:
            problems.append(f"carries patients {value['carries_patients']!r} is not "
                            "yes or no")
        if problems or day is None:
            rejected.append(Rejected(f"row {number}", "; ".join(problems)))
            continue
        good.append(AssignmentIn(number, value["staff_id"], value["unit"], day, shift, duty,
                                 carries in YES if carries else None))
    return good, rejected


def import_assignments(rows: Sequence[AssignmentIn], *, channel: grpc.Channel,
                       caller: rpc.Caller, deadline_seconds: float, target: str = "staffing",
                       idempotency_key: str = "") -> Outcome:
    """Send the rows to ImportAssignments; staffing writes all of them or none."""
    from clinops.common.v1 import common_pb2
    from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc

    request = staffing_pb2.ImportAssignmentsRequest(rows=[
        staffing_pb2.AssignmentRow(
            staff_id=r.staff_id, unit_id=r.unit_id,
            date=common_pb2.Date(year=r.day.year, month=r.day.month, day=r.day.day),
            shift=common_pb2.Shift.Value(f"SHIFT_{r.shift}"),
            duty=staffing_pb2.Duty.Value(f"DUTY_{r.duty}") if r.duty else 0,
            carries_patients=bool(r.carries_patients),
            has_carries_patients=r.carries_patients is not None)
        for r in rows])
    answer = call_import(staffing_pb2_grpc.StaffingServiceStub(channel).ImportAssignments,
                         request, service="staffing", target=target, caller=caller,
                         deadline_seconds=deadline_seconds, idempotency_key=idempotency_key)
    if isinstance(answer, Outcome):
        return answer
    if answer.rejected:
        return row_rejections(rows, answer.rejected)
    shifts = Counter((r.unit_id.strip().upper(), r.day, r.shift) for r in rows)
    lines = [f"{answer.rows_written} assignment{'' if answer.rows_written == 1 else 's'} "
             "written"]
    lines += [f"  {unit} {day} {shift}: {count} on duty"
              for (unit, day, shift), count in sorted(shifts.items())]
    return Outcome(True, lines)


def run(path: Path, *, caller_text: str | None, target: str,
        credentials: grpc.ChannelCredentials | None,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS) -> Outcome:
    """Read `path` and send it to staffing at `target` as the caller."""
    try:
        caller = parse_caller(caller_text)
        content = file_bytes(path)
        rows, rejected = read_assignments_csv(content, path.name)
    except ImportFileError as error:
        return Outcome(False, [str(error), "nothing was written"])
    if rejected:
        return _rejections(rejected)
    with rpc.client_channel(target, credentials) as channel:
        return import_assignments(rows, channel=channel, caller=caller,
                                  deadline_seconds=deadline_seconds, target=target,
                                  idempotency_key=import_key("assignments", path, content, caller))
