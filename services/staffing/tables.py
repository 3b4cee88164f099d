"""ORM rows of the staffing database (the schema itself is owned by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class RatioRuleRow(Base):
    __tablename__ = "ratio_rules"
    jurisdiction: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    patients_per_nurse: Mapped[int]
    law: Mapped[str] = mapped_column(String(64))
    source: Mapped[str]


class FacilityRow(Base):
    __tablename__ = "facilities"
    facility_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    time_zone: Mapped[str] = mapped_column(String(64))


class UnitRow(Base):
    __tablename__ = "units"
    unit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    slack_channel_id: Mapped[str] = mapped_column(String(32), default="")
    # The unit's zone is its facility's (migration 0008 moved it there).
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.facility_id"))
    facility: Mapped[FacilityRow] = relationship(lazy="joined")
    jurisdiction: Mapped[str] = mapped_column(String(16), default="US-CA")
    patients_per_nurse_override: Mapped[int | None]
    beds: Mapped[int | None]
    award_mode: Mapped[str] = mapped_column(String(8), default="AUTO")
    overtime_policy: Mapped[str] = mapped_column(String(8), default="ALLOW")
    grid: Mapped[list[GridStepRow]] = relationship(
        cascade="all, delete-orphan", order_by="GridStepRow.census_from", lazy="selectin"
    )


class GridStepRow(Base):
    __tablename__ = "unlicensed_grid_steps"
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("units.unit_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    census_from: Mapped[int] = mapped_column(primary_key=True)
    census_to: Mapped[int]
    count: Mapped[int]


class StaffRow(Base):
    __tablename__ = "staff"
    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    employment_type: Mapped[str] = mapped_column(String(16))
    home_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.unit_id"))
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    duties: Mapped[list[DutyRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    orientations: Mapped[list[OrientationRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class DutyRow(Base):
    __tablename__ = "staff_duties"
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff.staff_id", ondelete="CASCADE"), primary_key=True
    )
    duty: Mapped[str] = mapped_column(String(16), primary_key=True)


class OrientationRow(Base):
    __tablename__ = "staff_orientations"
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff.staff_id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)


class CensusRow(Base):
    __tablename__ = "census"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    shift_date: Mapped[date] = mapped_column(Date, primary_key=True)
    shift: Mapped[str] = mapped_column(String(8), primary_key=True)
    patients: Mapped[int]
    critical_care_patients: Mapped[int] = mapped_column(default=0)
    trauma_patients: Mapped[int] = mapped_column(default=0)
    occupied_rooms: Mapped[int] = mapped_column(default=0)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str | None] = mapped_column(String(32))


class AssignmentRow(Base):
    __tablename__ = "assignments"
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"), primary_key=True)
    shift_date: Mapped[date] = mapped_column(Date, primary_key=True)
    shift: Mapped[str] = mapped_column(String(8), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    duty: Mapped[str] = mapped_column(String(16))
    carries_patients: Mapped[bool]
    staff: Mapped[StaffRow] = relationship(lazy="joined")


class OpenShiftRow(Base):
    __tablename__ = "open_shifts"
    open_shift_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"))
    shift_date: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16))
    slots: Mapped[int]
    slots_filled: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(12), default="OPEN")
    ladder_step: Mapped[str] = mapped_column(String(20), default="UNIT_STAFF")
    ladder_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_channel_id: Mapped[str] = mapped_column(String(32), default="")
    slack_message_ts: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str] = mapped_column(String(80), default="")
    cancelled_by_user: Mapped[str] = mapped_column(String(32), default="")
    awards: Mapped[list[AwardRow]] = relationship(order_by="AwardRow.slot_number",
                                                  lazy="selectin")


class AwardRow(Base):
    __tablename__ = "awards"
    open_shift_id: Mapped[str] = mapped_column(
        ForeignKey("open_shifts.open_shift_id"), primary_key=True)
    slot_number: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    staff: Mapped[StaffRow] = relationship(lazy="joined")


class QueuedClaimRow(Base):
    __tablename__ = "queued_claims"
    open_shift_id: Mapped[str] = mapped_column(
        ForeignKey("open_shifts.open_shift_id"), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    overtime_hours: Mapped[float] = mapped_column(default=0.0)


class PreShiftAlertRow(Base):
    __tablename__ = "preshift_alerts"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.unit_id"), primary_key=True)
    shift_date: Mapped[date] = mapped_column(Date, primary_key=True)
    shift: Mapped[str] = mapped_column(String(8), primary_key=True)
    gap_state: Mapped[str] = mapped_column(String(400))
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    __tablename__ = "staffing_audit"
    entry_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_team_id: Mapped[str] = mapped_column(String(32), default="")
    actor_user_id: Mapped[str] = mapped_column(String(32), default="")
    actor_staff_id: Mapped[str] = mapped_column(String(32), default="")
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(default="")
