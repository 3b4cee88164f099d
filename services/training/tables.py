"""ORM rows of the training database (the schema itself is owned by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, TypeDecorator, UniqueConstraint
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


class CertificationTypeRow(Base):
    __tablename__ = "certification_types"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    validity_months: Mapped[int]
    reminder_days: Mapped[str] = mapped_column(String(64))  # "90 60 30 7"
    source: Mapped[str] = mapped_column(Text, default="")


class RequirementRow(Base):
    __tablename__ = "requirements"
    requirement_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_category: Mapped[str] = mapped_column(String(32), default="")
    unit_id: Mapped[str] = mapped_column(String(16), default="")
    certification_code: Mapped[str] = mapped_column(ForeignKey("certification_types.code"))


class UnitRow(Base):
    __tablename__ = "units"
    unit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    facility_id: Mapped[str] = mapped_column(String(16), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")


class StaffRow(Base):
    __tablename__ = "staff"
    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    home_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.unit_id"))
    slack_team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    duties: Mapped[str] = mapped_column(String(128), default="")  # "MANAGER EDUCATOR"
    home_unit: Mapped[UnitRow | None] = relationship(lazy="joined")


class RecordRow(Base):
    __tablename__ = "certification_records"
    __table_args__ = (UniqueConstraint("staff_id", "certification_code"),)
    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    certification_code: Mapped[str] = mapped_column(ForeignKey("certification_types.code"))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    expiry_derived: Mapped[bool]
    evidence_reference: Mapped[str] = mapped_column(String(256), default="")
    verified_by: Mapped[str | None] = mapped_column(String(32))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RenewalRow(Base):
    __tablename__ = "renewals"
    renewal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    certification_code: Mapped[str] = mapped_column(ForeignKey("certification_types.code"))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    evidence_reference: Mapped[str] = mapped_column(String(256), default="")
    state: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderSentRow(Base):
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("staff_id", "certification_code", "expires_on",
                                       "threshold_days", name="uq_reminders_sent_once"),)
    reminder_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(String(32))
    certification_code: Mapped[str] = mapped_column(String(16))
    expires_on: Mapped[date] = mapped_column(Date)
    threshold_days: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # CLAIMED before the DM goes out, SENT once Slack accepted it (one-step records: SENT).
    state: Mapped[str] = mapped_column(String(8), default="SENT")
    claim_id: Mapped[str] = mapped_column(String(32), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first claim of a chain of claims taken over unsettled (NULL before migration 0005).
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditRow(Base):
    __tablename__ = "audit_log"
    entry_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_staff_id: Mapped[str] = mapped_column(String(32), default="")
    actor_slack_team_id: Mapped[str] = mapped_column(String(32), default="")
    actor_slack_user_id: Mapped[str] = mapped_column(String(32), default="")
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
