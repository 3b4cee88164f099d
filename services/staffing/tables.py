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


class UnitRow(Base):
    __tablename__ = "units"
    unit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    slack_channel_id: Mapped[str] = mapped_column(String(32), default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(16), default="US-CA")
    patients_per_nurse_override: Mapped[int | None]
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
