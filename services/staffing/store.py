"""The staffing database: SQLAlchemy 2 ORM over SQLite (default) or PostgreSQL, Alembic schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Dialect, Engine, Select, bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinops import sql
from clinops.outbox import record
from clinops.sql import create_db_engine, upgrade_to_head
from services.staffing.errors import (
    NoRatioRule,
    UnknownFacility,
    UnknownOpenShift,
    UnknownStaff,
    UnknownUnit,
)
from services.staffing.model import (
    Assignment,
    AuditEntry,
    AwardMode,
    Census,
    Duty,
    EmploymentType,
    Facility,
    GridStep,
    LadderStep,
    OpenShift,
    OpenShiftState,
    OvertimePolicy,
    PatientGroup,
    QueuedClaim,
    RatioLimit,
    RatioRule,
    Role,
    Shift,
    StaffMember,
    Unit,
    UnitCategory,
    UnitPolicy,
    parse_enum,
)
from services.staffing.outbox import (
    OUTBOX,
    open_shift_awarded,
    open_shift_cancelled,
    open_shift_posted,
)
from services.staffing.tables import (
    AssignmentRow,
    AuditRow,
    AwardRow,
    CensusRow,
    DutyRow,
    FacilityRow,
    GridStepRow,
    OpenShiftRow,
    OrientationRow,
    PreShiftAlertRow,
    QueuedClaimRow,
    RatioRuleRow,
    StaffRow,
    UnitRow,
)

DEFAULT_DATABASE_URL = "sqlite:///data/staffing.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_unit_id(unit_id: str) -> str:
    """Unit ids are stored upper-case so `/shift-gap icu` finds ICU."""
    return unit_id.strip().upper()



def migrate(database_url: str) -> None:
    """Bring the database at `database_url` to the newest schema (alembic upgrade head)."""
    upgrade_to_head(database_url, MIGRATIONS)


def _unit(row: UnitRow) -> Unit:
    return Unit(
        unit_id=row.unit_id, name=row.name, category=parse_enum(UnitCategory, row.category),
        slack_channel_id=row.slack_channel_id, time_zone=row.facility.time_zone,
        jurisdiction=row.jurisdiction, patients_per_nurse_override=row.patients_per_nurse_override,
        unlicensed_grid=tuple(
            GridStep(Role(s.role), s.census_from, s.census_to, s.count) for s in row.grid
        ),
        facility_id=row.facility_id, beds=row.beds,
    )


def _facility(row: FacilityRow) -> Facility:
    return Facility(facility_id=row.facility_id, name=row.name, time_zone=row.time_zone)


MAIN_FACILITY = "MAIN"


def _staff(row: StaffRow) -> StaffMember:
    return StaffMember(
        staff_id=row.staff_id, display_name=row.display_name, role=Role(row.role),
        employment_type=EmploymentType(row.employment_type), home_unit_id=row.home_unit_id,
        slack_team_id=row.slack_team_id, slack_user_id=row.slack_user_id,
        duties=tuple(sorted((Duty(d.duty) for d in row.duties), key=list(Duty).index)),
        oriented_categories=tuple(sorted(
            (UnitCategory(o.category) for o in row.orientations), key=list(UnitCategory).index
        )),
    )


def _open_shift(row: OpenShiftRow) -> OpenShift:
    return OpenShift(
        open_shift_id=row.open_shift_id, unit_id=row.unit_id, date=row.shift_date,
        shift=Shift(row.shift), role=Role(row.role), slots=row.slots,
        slots_filled=row.slots_filled, reason=row.reason, state=OpenShiftState(row.state),
        ladder_step=LadderStep(row.ladder_step), slack_channel_id=row.slack_channel_id,
        slack_message_ts=row.slack_message_ts,
        awarded=tuple((a.staff_id, a.staff.display_name) for a in row.awards),
        created_at=row.created_at, created_by=row.created_by, ladder_step_at=row.ladder_step_at,
        cancelled_at=row.cancelled_at, cancelled_by=row.cancelled_by or "",
        cancelled_by_slack_user_id=row.cancelled_by_user or "",
    )


class AwardResult(StrEnum):
    """What the database said to an award: done, no slot left, or the person already works then."""

    AWARDED = "AWARDED"
    ALREADY_FILLED = "ALREADY_FILLED"
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED"


# The two reads of every /shift-gap, built once: constructing the expression per call (and
# SQLAlchemy re-adapting its cached result columns to the new one) cost more than the query.
_CENSUS_COLUMNS = (
    CensusRow.patients, CensusRow.critical_care_patients, CensusRow.trauma_patients,
    CensusRow.occupied_rooms, CensusRow.recorded_at, CensusRow.recorded_by,
)
_ON_DUTY_COLUMNS = (
    AssignmentRow.staff_id, AssignmentRow.unit_id, AssignmentRow.shift_date,
    AssignmentRow.shift, AssignmentRow.duty, AssignmentRow.carries_patients,
    StaffRow.role, StaffRow.display_name,
)


def _census_select(*columns: Any) -> Select:
    return select(*columns).where(
        CensusRow.unit_id == bindparam("unit_id"), CensusRow.shift_date == bindparam("day"),
        CensusRow.shift == bindparam("shift"))


def _on_duty_select(*columns: Any) -> Select:
    return select(*columns).join(StaffRow, StaffRow.staff_id == AssignmentRow.staff_id).where(
        AssignmentRow.unit_id == bindparam("unit_id"),
        AssignmentRow.shift_date == bindparam("day"), AssignmentRow.shift == bindparam("shift"))


_CENSUS_OF_SHIFT = _census_select(*_CENSUS_COLUMNS)
_ASSIGNMENTS_OF_SHIFT = _on_duty_select(*_ON_DUTY_COLUMNS).order_by(AssignmentRow.staff_id)
# The same two reads as one row of two JSON arrays, for SQLite (see _OneRowShiftRead).
_SHIFT_AS_ONE_ROW = select(
    _census_select(func.json_array(*_CENSUS_COLUMNS)).scalar_subquery(),
    _on_duty_select(func.json_group_array(func.json_array(*_ON_DUTY_COLUMNS))).scalar_subquery(),
)


class _FixedRead:
    """A fixed SELECT run on a pooled DBAPI connection, its binds and columns converted by the
    statement's own SQLAlchemy types (so SQLite's text dates come back as dates, as they would
    through Core).

    /shift-gap makes these two reads per call under load; Core's execution context, parameter
    and row processing cost more than the queries themselves (BENCHMARKS.md). Compiled once per
    dialect, on first use.
    """

    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                      for name, bind in compiled.binds.items()}
        self.columns = _column_processors(statement.selected_columns, dialect)

    def rows(self, connection: Any, values: dict[str, Any]) -> list[list[Any]]:
        """The statement's rows for `values`, on a DBAPI connection from the engine's pool."""
        converted = {name: (self.binds[name](value) if self.binds.get(name) else value)
                     for name, value in values.items()}
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, [converted[name] for name in self.positions]
                           if self.positions is not None else converted)
            found = [list(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
        for row in found:
            for index, process in self.columns:
                row[index] = process(row[index])
        return found


def _column_processors(columns: Sequence[Any], dialect: Dialect) -> list[tuple[int, Any]]:
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                  for column in columns]
    return [(i, p) for i, p in enumerate(processors) if p is not None]


class _TwoShiftReads:
    """A shift's census and who is on it, as two statements on one connection (PostgreSQL:
    psycopg takes each whole result in one round trip)."""

    def __init__(self, dialect: Dialect) -> None:
        self.census = _FixedRead(_CENSUS_OF_SHIFT, dialect)
        self.on_duty = _FixedRead(_ASSIGNMENTS_OF_SHIFT, dialect)

    def rows(self, connection: Any, where: dict[str, Any]) -> tuple[list[Any] | None,
                                                                    list[list[Any]]]:
        census = self.census.rows(connection, where)
        return (census[0] if census else None), self.on_duty.rows(connection, where)


class _OneRowShiftRead:
    """The same, on SQLite, as one row: the census and the people on duty as two JSON arrays.

    Python's sqlite3 lets go of the GIL for every row it steps through. With sixteen gRPC worker
    threads waiting on it, each of those hand-offs cost a pair of context switches, and
    together they cost the staffing server more CPU than the query itself (BENCHMARKS.md).
    One row is one step. Each value still goes through its column's own SQLAlchemy type, as
    with _FixedRead, and the people come back in staff id order as the Core read gives them.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.read = _FixedRead(_SHIFT_AS_ONE_ROW, dialect)
        self.census_columns = _column_processors(_CENSUS_COLUMNS, dialect)
        self.on_duty_columns = _column_processors(_ON_DUTY_COLUMNS, dialect)

    def rows(self, connection: Any, where: dict[str, Any]) -> tuple[list[Any] | None,
                                                                    list[list[Any]]]:
        [(census_json, on_duty_json)] = self.read.rows(connection, where)
        census = json.loads(census_json) if census_json is not None else None
        if census is not None:
            for index, process in self.census_columns:
                census[index] = process(census[index])
        on_duty = sorted(json.loads(on_duty_json), key=itemgetter(0))
        for row in on_duty:
            for index, process in self.on_duty_columns:
                row[index] = process(row[index])
        return census, on_duty


def _census_of(row: Sequence[Any] | None) -> Census | None:
    if row is None:
        return None
    return Census(*row)


# Enum members by value: Enum.__call__ per column per row was a fifth of building the rows.
_SHIFTS = {member.value: member for member in Shift}
_DUTIES = {member.value: member for member in Duty}
_ROLES = {member.value: member for member in Role}


def _assignment_of(row: Sequence[Any]) -> Assignment:
    staff_id, unit_id, shift_date, shift, duty, carries_patients, role, display_name = row
    return Assignment(staff_id=staff_id, unit_id=unit_id, date=shift_date,
                      shift=_SHIFTS[shift], duty=_DUTIES[duty],
                      carries_patients=bool(carries_patients), role=_ROLES[role],
                      display_name=display_name)


class StaffingStore:
    """Units, the ratio table, the staff directory, census and assignments in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The ratio table is reference data written only by migrations: read once per process.
        self._ratio_rules: dict[tuple[str, UnitCategory], RatioRule] = {}
        # Units change only through this store (add_unit, the override), which clears this; every
        # /shift-gap reads one, so it is kept instead of re-read with its grid on each call.
        self._units: dict[str, Unit] = {}
        self._units_written = 0  # a read that began before a unit write is not cached
        self._shift_read: _TwoShiftReads | _OneRowShiftRead | None = None

    @classmethod
    def open(cls, database_url: str = DEFAULT_DATABASE_URL) -> StaffingStore:
        """A store on `database_url` (already migrated: see `migrate`)."""
        return cls(create_db_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        # Inside a mutating call's transaction (its idempotency claim) when there is one.
        return sql.session_for(self.engine)

    # Units and the ratio table
    def list_units(self, facility_id: str = "") -> list[Unit]:
        """Every unit (of one facility, when named), by id."""
        with self._session() as session:
            query = select(UnitRow).order_by(UnitRow.unit_id)
            if facility_id:
                self._facility_row(session, facility_id)
                query = query.where(UnitRow.facility_id == facility_id.strip().upper())
            return [_unit(r) for r in session.scalars(query)]

    def list_facilities(self) -> list[Facility]:
        """Every facility, by id."""
        with self._session() as session:
            return [_facility(r) for r in session.scalars(
                select(FacilityRow).order_by(FacilityRow.facility_id))]

    def add_facility(self, facility: Facility) -> Facility:
        """Add a facility or rename it; its zone may change only while no unit belongs to it."""
        facility_id = facility.facility_id.strip().upper()
        with self._session() as session, session.begin():
            row = session.get(FacilityRow, facility_id)
            if row is not None and row.time_zone != facility.time_zone and session.scalar(
                    select(func.count()).select_from(UnitRow).where(
                        UnitRow.facility_id == facility_id)):
                raise ValueError(f"facility {facility_id} has units; its time zone stays "
                                 f"{row.time_zone}")
            row = row or FacilityRow(facility_id=facility_id)
            row.name, row.time_zone = facility.name, facility.time_zone
            session.add(row)
        self._units_changed()
        return Facility(facility_id, facility.name, facility.time_zone)

    @staticmethod
    def _facility_row(session: Session, facility_id: str) -> FacilityRow:
        row = session.get(FacilityRow, facility_id.strip().upper())
        if row is None:
            known = session.scalars(select(FacilityRow.facility_id).order_by(
                FacilityRow.facility_id)).all()
            raise UnknownFacility(facility_id, known)
        return row

    @staticmethod
    def _facility_of(session: Session, unit: Unit) -> FacilityRow:
        """The unit's facility: named, or the one in its zone (MAIN is created for the first)."""
        if unit.facility_id:
            row = StaffingStore._facility_row(session, unit.facility_id)
        else:
            row = session.scalars(select(FacilityRow).where(
                FacilityRow.time_zone == unit.time_zone).order_by(FacilityRow.facility_id)).first()
            if row is None:
                if session.get(FacilityRow, MAIN_FACILITY) is not None:
                    raise ValueError(f"unit {unit.unit_id} is in {unit.time_zone}, which no "
                                     "facility is; add the facility and name it on the unit")
                row = FacilityRow(facility_id=MAIN_FACILITY, name="Main facility",
                                  time_zone=unit.time_zone)
                session.add(row)
        if unit.time_zone and unit.time_zone != row.time_zone:
            raise ValueError(f"unit {unit.unit_id} says {unit.time_zone}, but its facility "
                             f"{row.facility_id} keeps {row.time_zone}")
        return row

    def get_unit(self, unit_id: str) -> Unit:
        """The unit with this id, in any letter case; UnknownUnit lists the known ones."""
        key = normalise_unit_id(unit_id)
        cached = self._units.get(key)
        if cached is not None:
            return cached
        written = self._units_written
        with self._session() as session:
            row = session.get(UnitRow, key)
            if row is None:
                known = session.scalars(select(UnitRow.unit_id).order_by(UnitRow.unit_id)).all()
                raise UnknownUnit(unit_id, known)
            unit = _unit(row)
        if written == self._units_written:
            self._units[key] = unit
        return unit

    def _units_changed(self) -> None:
        self._units_written += 1
        self._units.clear()

    def add_unit(self, unit: Unit) -> Unit:
        """Add a unit or replace it (with its grid); returns it as stored."""
        with self._session() as session, session.begin():
            unit_id = normalise_unit_id(unit.unit_id)
            row = session.get(UnitRow, unit_id) or UnitRow(unit_id=unit_id)
            row.name, row.category = unit.name, unit.category.value
            row.slack_channel_id = unit.slack_channel_id
            row.facility = self._facility_of(session, unit)
            row.jurisdiction = unit.jurisdiction
            row.patients_per_nurse_override = unit.patients_per_nurse_override
            row.beds = unit.beds
            row.grid = [
                GridStepRow(role=s.role.value, census_from=s.census_from, census_to=s.census_to,
                            count=s.count)
                for s in unit.unlicensed_grid
            ]
            session.add(row)
        self._units_changed()
        return self.get_unit(unit_id)

    def set_patients_per_nurse_override(self, unit_id: str, patients: int | None) -> Unit:
        """Set (or clear with None) the facility's per-unit override of the ratio table."""
        with self._session() as session, session.begin():
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            if row is None:
                raise UnknownUnit(unit_id)
            row.patients_per_nurse_override = patients
        self._units_changed()
        return self.get_unit(unit_id)

    def ratio_rule(self, jurisdiction: str, category: UnitCategory) -> RatioRule:
        """Every limit the jurisdiction's table sets for the category; none is an error."""
        cached = self._ratio_rules.get((jurisdiction, category))
        if cached is None:
            cached = self._ratio_rules[(jurisdiction, category)] = self._read_ratio_rule(
                jurisdiction, category)
        return cached

    def _read_ratio_rule(self, jurisdiction: str, category: UnitCategory) -> RatioRule:
        with self._session() as session:
            rows = session.scalars(select(RatioRuleRow).where(
                RatioRuleRow.jurisdiction == jurisdiction, RatioRuleRow.category == category.value
            )).all()
        if not rows:
            raise NoRatioRule(jurisdiction, category.value)
        limits = {
            PatientGroup(r.patient_group): RatioLimit(jurisdiction, category,
                                                      PatientGroup(r.patient_group),
                                                      r.patients_per_nurse, r.law, r.source)
            for r in rows
        }
        return RatioRule(jurisdiction, category, limits)

    # The staff directory
    def add_staff(self, member: StaffMember) -> StaffMember:
        """Add a person to the directory or replace their entry."""
        with self._session() as session, session.begin():
            row = session.get(StaffRow, member.staff_id) or StaffRow(staff_id=member.staff_id)
            row.display_name, row.role = member.display_name, member.role.value
            row.employment_type = member.employment_type.value
            row.home_unit_id = (
                normalise_unit_id(member.home_unit_id) if member.home_unit_id else None
            )
            row.slack_team_id, row.slack_user_id = member.slack_team_id, member.slack_user_id
            row.duties = [DutyRow(duty=d.value) for d in dict.fromkeys(member.duties)]
            row.orientations = [
                OrientationRow(category=c.value) for c in dict.fromkeys(member.oriented_categories)
            ]
            session.add(row)
        return self.get_staff(member.staff_id)

    def get_staff(self, staff_id: str) -> StaffMember:
        """The directory entry for `staff_id`; UnknownStaff if there is none."""
        with self._session() as session:
            row = session.get(StaffRow, staff_id)
            if row is None:
                raise UnknownStaff(f"no staff member {staff_id!r}")
            return _staff(row)

    def find_staff_by_slack(self, slack_team_id: str, slack_user_id: str) -> StaffMember | None:
        """The person Slack knows as team + user, or None."""
        with self._session() as session:
            row = session.scalar(select(StaffRow).where(
                StaffRow.slack_team_id == slack_team_id, StaffRow.slack_user_id == slack_user_id
            ))
            return _staff(row) if row else None

    def list_staff(self) -> list[StaffMember]:
        """The whole directory, by display name."""
        with self._session() as session:
            rows = session.scalars(select(StaffRow).order_by(StaffRow.display_name)).all()
            return [_staff(r) for r in rows]

    def count_staff(self) -> int:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(StaffRow)) or 0

    # Census and assignments
    def record_census(self, unit_id: str, day: date, shift: Shift, census: Census) -> Census:
        """Record the census of a unit's shift, replacing an earlier figure for the same shift."""
        key = (normalise_unit_id(unit_id), day, shift.value)
        with self._session() as session, session.begin():
            if session.get(UnitRow, key[0]) is None:
                raise UnknownUnit(unit_id)
            row = session.get(CensusRow, key) or CensusRow(
                unit_id=key[0], shift_date=day, shift=shift.value
            )
            row.patients, row.occupied_rooms = census.patients, census.occupied_rooms
            row.critical_care_patients = census.critical_care_patients
            row.trauma_patients = census.trauma_patients
            row.recorded_at, row.recorded_by = census.recorded_at, census.recorded_by
            session.add(row)
        found = self.get_census(unit_id, day, shift)
        assert found is not None
        return found

    def get_census(self, unit_id: str, day: date, shift: Shift) -> Census | None:
        """The census recorded for a unit's shift, or None."""
        # A Core read on a pooled connection: no ORM session or identity map for one row.
        with sql.connection_for(self.engine) as connection:
            row = connection.execute(_CENSUS_OF_SHIFT, {
                "unit_id": normalise_unit_id(unit_id), "day": day, "shift": shift.value,
            }).first()
        return _census_of(row)

    def add_assignment(self, assignment: Assignment) -> None:
        """Put a person on a unit's shift (replacing their assignment for that shift)."""
        self.add_assignments([assignment])

    def add_assignments(self, assignments: Iterable[Assignment]) -> None:
        """Put each person on their shift (replacing what they had), all in one transaction."""
        with self._session() as session, session.begin():
            for assignment in assignments:
                key = (assignment.staff_id, assignment.date, assignment.shift.value)
                row = session.get(AssignmentRow, key) or AssignmentRow(
                    staff_id=key[0], shift_date=key[1], shift=key[2]
                )
                row.unit_id = normalise_unit_id(assignment.unit_id)
                row.duty = assignment.duty.value
                row.carries_patients = assignment.carries_patients
                session.add(row)
                session.flush()  # a second row for the same shift finds this one

    def remove_assignments(self, unit_id: str, day: date, shift: Shift) -> None:
        with self._session() as session, session.begin():
            session.execute(delete(AssignmentRow).where(
                AssignmentRow.unit_id == normalise_unit_id(unit_id),
                AssignmentRow.shift_date == day, AssignmentRow.shift == shift.value,
            ))

    def assignments_for_shift(self, unit_id: str, day: date, shift: Shift) -> list[Assignment]:
        """Who is on a unit's shift, with their role and name from the directory."""
        # Columns, not entities: loading StaffRow would also fetch its duties and orientations;
        # a Core connection, not an ORM session, since nothing here is an entity.
        with sql.connection_for(self.engine) as connection:
            rows = connection.execute(_ASSIGNMENTS_OF_SHIFT, {
                "unit_id": normalise_unit_id(unit_id), "day": day, "shift": shift.value,
            }).all()
            return [_assignment_of(r) for r in rows]

    def shift_on_record(self, unit_id: str, day: date,
                        shift: Shift) -> tuple[Census | None, list[Assignment]]:
        """A unit's shift as /shift-gap reads it: its census (or None) and who is on it."""
        # Both reads on one pooled connection: each checkout (and its reset) cost as much as a
        # query, and under 16 concurrent calls every extra GIL hand-off counts (BENCHMARKS.md).
        where = {"unit_id": normalise_unit_id(unit_id), "day": day, "shift": shift.value}
        if self._shift_read is None:
            dialect = self.engine.dialect
            self._shift_read = (_OneRowShiftRead(dialect) if dialect.name == "sqlite"
                                else _TwoShiftReads(dialect))
        with sql.dbapi_connection_for(self.engine) as connection:
            census, on_duty = self._shift_read.rows(connection, where)
        return _census_of(census), [_assignment_of(r) for r in on_duty]


    # Unit policy for open shifts
    def unit_policy(self, unit_id: str) -> UnitPolicy:
        with self._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            if row is None:
                raise UnknownUnit(unit_id)
            return UnitPolicy(AwardMode(row.award_mode), OvertimePolicy(row.overtime_policy))

    def set_unit_policy(self, unit_id: str, policy: UnitPolicy) -> None:
        with self._session() as session, session.begin():
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            if row is None:
                raise UnknownUnit(unit_id)
            row.award_mode, row.overtime_policy = policy.award_mode.value, policy.overtime.value

    # Open shifts and awards
    def add_open_shift(self, shift: OpenShift, *,
                       reported_by: tuple[str, str] = ("", "")) -> OpenShift:
        """Record a new open shift; one with a channel and no post yet is announced (the
        `open_shift.posted` event commits with it). `reported_by`: the reporter's Slack team
        and user, for whom the bot records the post."""
        with self._session() as session, session.begin():
            if shift.slack_channel_id and not shift.slack_message_ts:
                record(session, OUTBOX, open_shift_posted(
                    shift, reported_by_team=reported_by[0], reported_by_user=reported_by[1],
                    at=shift.created_at))
            session.add(OpenShiftRow(
                open_shift_id=shift.open_shift_id, unit_id=normalise_unit_id(shift.unit_id),
                shift_date=shift.date, shift=shift.shift.value, role=shift.role.value,
                slots=shift.slots, slots_filled=0, reason=shift.reason,
                state=shift.state.value, ladder_step=shift.ladder_step.value,
                slack_channel_id=shift.slack_channel_id, slack_message_ts=shift.slack_message_ts,
                created_at=shift.created_at, created_by=shift.created_by,
            ))
        return self.get_open_shift(shift.open_shift_id)

    def get_open_shift(self, open_shift_id: str) -> OpenShift:
        with self._session() as session:
            row = session.get(OpenShiftRow, open_shift_id)
            if row is None:
                raise UnknownOpenShift(open_shift_id)
            return _open_shift(row)

    def list_open_shifts(self, unit_id: str = "") -> list[OpenShift]:
        """Shifts still open, oldest first; every unit when `unit_id` is empty."""
        query = select(OpenShiftRow).where(OpenShiftRow.state == OpenShiftState.OPEN.value)
        if unit_id:
            query = query.where(OpenShiftRow.unit_id == normalise_unit_id(unit_id))
        with self._session() as session:
            rows = session.scalars(query.order_by(OpenShiftRow.created_at)).all()
            return [_open_shift(r) for r in rows]

    def set_open_shift_message(self, open_shift_id: str, channel_id: str, ts: str) -> OpenShift:
        with self._session() as session, session.begin():
            row = session.get(OpenShiftRow, open_shift_id)
            if row is None:
                raise UnknownOpenShift(open_shift_id)
            row.slack_channel_id, row.slack_message_ts = channel_id, ts
        return self.get_open_shift(open_shift_id)

    def cancel_open_shift(self, open_shift_id: str, *, by_name: str, by_slack_user_id: str,
                          at: datetime) -> bool:
        """OPEN → CANCELLED, once; False when it was not open (filled or cancelled already).

        The conditional UPDATE settles a cancel racing the last award: only one of them sees
        the row still OPEN.
        """
        with self._session() as session, session.begin():
            changed = session.execute(
                update(OpenShiftRow)
                .where(OpenShiftRow.open_shift_id == open_shift_id,
                       OpenShiftRow.state == OpenShiftState.OPEN.value)
                .values(state=OpenShiftState.CANCELLED.value, cancelled_at=at,
                        cancelled_by=by_name[:80], cancelled_by_user=by_slack_user_id[:32])
                .execution_options(synchronize_session=False))
            if changed.rowcount != 1:
                return False
            # The line in the shift's thread commits (or rolls back) with the cancel.
            row = session.get(OpenShiftRow, open_shift_id, populate_existing=True)
            assert row is not None
            record(session, OUTBOX, open_shift_cancelled(_open_shift(row), at=at))
            return True

    def award(self, open_shift_id: str, staff_id: str, at: datetime) -> AwardResult:
        """Give the claimant the next slot, or say why not; the database decides races.

        The conditional UPDATE is the first statement of the transaction, so PostgreSQL
        re-checks `slots_filled < slots` after a concurrent winner commits and SQLite holds its
        write lock from the start; awards(open_shift_id, slot_number) and the assignments key
        (staff, date, shift) are unique besides.
        """
        shift = self.get_open_shift(open_shift_id)
        filled = OpenShiftRow.slots_filled
        try:
            with self._session() as session, session.begin():
                taken = session.execute(
                    update(OpenShiftRow)
                    .where(OpenShiftRow.open_shift_id == open_shift_id,
                           OpenShiftRow.state == OpenShiftState.OPEN.value,
                           filled < OpenShiftRow.slots)
                    .values(slots_filled=filled + 1, state=case(
                        (filled + 1 >= OpenShiftRow.slots, OpenShiftState.FILLED.value),
                        else_=OpenShiftRow.state))
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:
                    return AwardResult.ALREADY_FILLED
                slot = session.scalar(select(filled).where(
                    OpenShiftRow.open_shift_id == open_shift_id))
                session.add(AwardRow(open_shift_id=open_shift_id, slot_number=slot,
                                     staff_id=staff_id, awarded_at=at))
                session.add(AssignmentRow(staff_id=staff_id, shift_date=shift.date,
                                          shift=shift.shift.value, unit_id=shift.unit_id,
                                          duty=Duty.STAFF.value, carries_patients=True))
                session.execute(delete(QueuedClaimRow).where(
                    QueuedClaimRow.open_shift_id == open_shift_id,
                    QueuedClaimRow.staff_id == staff_id))
                # The announcement commits (or rolls back) with the award itself.
                nurse = session.get(StaffRow, staff_id)
                record(session, OUTBOX, open_shift_awarded(
                    shift, staff_id=staff_id, display_name=nurse.display_name if nurse else "",
                    slack_user_id=nurse.slack_user_id if nurse else "", slots_filled=slot,
                    at=at))
        except IntegrityError:
            return AwardResult.ALREADY_ASSIGNED
        return AwardResult.AWARDED

    def queue_claim(self, open_shift_id: str, staff_id: str, at: datetime,
                    overtime_hours: float) -> None:
        """Hold an eligible claim for the charge nurse or manager to confirm (once per person)."""
        with self._session() as session, session.begin():
            if session.get(QueuedClaimRow, (open_shift_id, staff_id)) is None:
                session.add(QueuedClaimRow(open_shift_id=open_shift_id, staff_id=staff_id,
                                           claimed_at=at, overtime_hours=overtime_hours))

    def queued_claims(self, open_shift_id: str) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(QueuedClaimRow.staff_id).where(
                QueuedClaimRow.open_shift_id == open_shift_id
            ).order_by(QueuedClaimRow.claimed_at)).all())

    def claims_waiting(self, open_shift_ids: Iterable[str]) -> list[QueuedClaim]:
        """The queued claims on these open shifts, oldest first."""
        wanted = list(dict.fromkeys(open_shift_ids))
        if not wanted:
            return []
        with sql.connection_for(self.engine) as connection:
            rows = connection.execute(select(
                QueuedClaimRow.open_shift_id, QueuedClaimRow.staff_id, QueuedClaimRow.claimed_at,
                QueuedClaimRow.overtime_hours,
            ).where(QueuedClaimRow.open_shift_id.in_(wanted))
             .order_by(QueuedClaimRow.claimed_at, QueuedClaimRow.staff_id)).all()
        return [QueuedClaim(row.open_shift_id, row.staff_id, row.claimed_at, row.overtime_hours)
                for row in rows]

    def assignments_for_staff(self, staff_id: str, first: date, last: date) -> list[Assignment]:
        """A person's assignments on shifts starting from `first` through `last`."""
        with self._session() as session:
            rows = session.scalars(select(AssignmentRow).where(
                AssignmentRow.staff_id == staff_id,
                AssignmentRow.shift_date >= first, AssignmentRow.shift_date <= last,
            ).order_by(AssignmentRow.shift_date)).all()
            return [
                Assignment(staff_id=r.staff_id, unit_id=r.unit_id, date=r.shift_date,
                           shift=Shift(r.shift), duty=Duty(r.duty),
                           carries_patients=r.carries_patients, role=Role(r.staff.role),
                           display_name=r.staff.display_name)
                for r in rows
            ]

    # The escalation ladder and pre-shift alerts
    def advance_ladder(self, open_shift_id: str, from_step: LadderStep, to_step: LadderStep,
                       at: datetime) -> bool:
        """Move an open shift still on `from_step` to `to_step`; False if it moved already.

        The conditional UPDATE on (open_shift_id, ladder_step) lets exactly one of two
        concurrent advances win: the loser's WHERE no longer matches once the winner commits.
        """
        with self._session() as session, session.begin():
            moved = session.execute(
                update(OpenShiftRow)
                .where(OpenShiftRow.open_shift_id == open_shift_id,
                       OpenShiftRow.ladder_step == from_step.value,
                       OpenShiftRow.state == OpenShiftState.OPEN.value,
                       OpenShiftRow.slots_filled < OpenShiftRow.slots)
                .values(ladder_step=to_step.value, ladder_step_at=at)
                .execution_options(synchronize_session=False))
            return moved.rowcount == 1

    def record_alert_state(self, unit_id: str, day: date, shift: Shift, gap_state: str,
                           at: datetime) -> bool:
        """Remember `gap_state` as alerted for the unit's shift; False if it already was."""
        key = (normalise_unit_id(unit_id), day, shift.value)
        try:
            with self._session() as session, session.begin():
                session.add(PreShiftAlertRow(unit_id=key[0], shift_date=day, shift=key[2],
                                             gap_state=gap_state, alerted_at=at))
            return True
        except IntegrityError:
            pass  # a state is on record already: only a different one replaces it
        with self._session() as session, session.begin():
            changed = session.execute(
                update(PreShiftAlertRow)
                .where(PreShiftAlertRow.unit_id == key[0], PreShiftAlertRow.shift_date == day,
                       PreShiftAlertRow.shift == key[2],
                       PreShiftAlertRow.gap_state != gap_state)
                .values(gap_state=gap_state, alerted_at=at)
                .execution_options(synchronize_session=False))
            return changed.rowcount == 1

    def release_alert_state(self, unit_id: str, day: date, shift: Shift, gap_state: str) -> bool:
        """Forget an alerted state that was never posted (only if it is still the one on record)."""
        with self._session() as session, session.begin():
            gone = session.execute(delete(PreShiftAlertRow).where(
                PreShiftAlertRow.unit_id == normalise_unit_id(unit_id),
                PreShiftAlertRow.shift_date == day, PreShiftAlertRow.shift == shift.value,
                PreShiftAlertRow.gap_state == gap_state))
            return gone.rowcount == 1

    # The audit log: appended to, never updated
    def append_audit(self, entry: AuditEntry) -> None:
        with self._session() as session, session.begin():
            session.add(AuditRow(
                at=entry.at, actor_team_id=entry.actor_team_id, actor_user_id=entry.actor_user_id,
                actor_staff_id=entry.actor_staff_id, action=entry.action,
                subject=entry.subject[:128], outcome=entry.outcome, detail=entry.detail,
            ))

    def audit_entries(self) -> list[AuditEntry]:
        with self._session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.entry_id)).all()
            return [AuditEntry(at=r.at, action=r.action, subject=r.subject, outcome=r.outcome,
                               actor_team_id=r.actor_team_id, actor_user_id=r.actor_user_id,
                               actor_staff_id=r.actor_staff_id, detail=r.detail)
                    for r in rows]


def add_units(store: StaffingStore, units: Iterable[Unit]) -> None:
    """Add several units (seeding)."""
    for unit in units:
        store.add_unit(unit)
