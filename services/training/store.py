"""The training database: SQLAlchemy 2 ORM over SQLite (default) or PostgreSQL, Alembic schema."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clinops import outbox, sql
from clinops.sql import create_db_engine, upgrade_to_head
from services.training.errors import (
    AlreadyDecided,
    UnknownCertificationType,
    UnknownRenewal,
    UnknownStaff,
    UnknownUnit,
)
from services.training.model import (
    AuditEntry,
    CertificationRecord,
    CertificationType,
    Renewal,
    RenewalState,
    Requirement,
    StaffMember,
    Unit,
)
from services.training.outbox import OUTBOX, renewal_decided, renewal_submitted
from services.training.tables import (
    AuditRow,
    CertificationTypeRow,
    RecordRow,
    ReminderSentRow,
    RenewalRow,
    RequirementRow,
    StaffRow,
    UnitRow,
)

DEFAULT_DATABASE_URL = "sqlite:///data/training.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ReminderKey = tuple[str, str, date, int]  # staff, certification code, expires on, threshold


@dataclass(frozen=True)
class ReminderClaim:
    """A claim won; `took_over_from`, when it replaced a stale claim, is when the first of the
    unsettled claims before it was made (any DM they delivered is later); else None."""

    took_over_from: datetime | None
CLAIMED = "CLAIMED"  # a reminder claimed before its DM; SENT once Slack accepted it
QUEUED = "QUEUED"  # a reminder written as a `reminder.due` event; SENT once the notifier DMed it
UNSETTLED = (CLAIMED, QUEUED)


def normalise_unit_id(unit_id: str) -> str:
    """Unit ids are stored upper-case so `/certs icu` finds ICU."""
    return unit_id.strip().upper()


def new_id() -> str:
    return uuid.uuid4().hex



def migrate(database_url: str) -> None:
    """Bring the database at `database_url` to the newest schema (alembic upgrade head)."""
    upgrade_to_head(database_url, MIGRATIONS)


def _type(row: CertificationTypeRow) -> CertificationType:
    return CertificationType(row.code, row.name, row.validity_months,
                             tuple(int(d) for d in row.reminder_days.split()))


def _staff(row: StaffRow) -> StaffMember:
    return StaffMember(
        staff_id=row.staff_id, display_name=row.display_name, role=row.role,
        home_unit_id=row.home_unit_id, slack_team_id=row.slack_team_id,
        slack_user_id=row.slack_user_id, duties=tuple(row.duties.split()),
        unit_category=row.home_unit.category if row.home_unit else "",
    )


def _record(row: RecordRow) -> CertificationRecord:
    return CertificationRecord(
        staff_id=row.staff_id, certification_code=row.certification_code,
        issued_on=row.issued_on, expires_on=row.expires_on, expiry_derived=row.expiry_derived,
        evidence_reference=row.evidence_reference, verified_by=row.verified_by,
        verified_at=row.verified_at, record_id=row.record_id,
    )


def _renewal(row: RenewalRow) -> Renewal:
    return Renewal(
        renewal_id=row.renewal_id, staff_id=row.staff_id,
        certification_code=row.certification_code, expires_on=row.expires_on,
        issued_on=row.issued_on, evidence_reference=row.evidence_reference,
        state=RenewalState(row.state), submitted_at=row.submitted_at,
        rejection_reason=row.rejection_reason, decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def _audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(at=entry.at, action=entry.action, subject=entry.subject,
                    outcome=entry.outcome, actor_staff_id=entry.actor_staff_id,
                    actor_slack_team_id=entry.actor_slack_team_id,
                    actor_slack_user_id=entry.actor_slack_user_id)


def _put_record(session: Session, record: CertificationRecord) -> None:
    row = session.scalar(select(RecordRow).where(
        RecordRow.staff_id == record.staff_id,
        RecordRow.certification_code == record.certification_code,
    )) or RecordRow(record_id=record.record_id or new_id(), staff_id=record.staff_id,
                    certification_code=record.certification_code)
    row.issued_on, row.expires_on = record.issued_on, record.expires_on
    row.expiry_derived, row.evidence_reference = record.expiry_derived, record.evidence_reference
    row.verified_by, row.verified_at = record.verified_by, record.verified_at
    session.add(row)


def _reminder_is(key: ReminderKey) -> tuple:
    staff_id, code, expires_on, threshold = key
    return (ReminderSentRow.staff_id == staff_id, ReminderSentRow.certification_code == code,
            ReminderSentRow.expires_on == expires_on, ReminderSentRow.threshold_days == threshold)


class TrainingStore:
    """Types, requirements, the roster, records, renewals, reminders sent and the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str = DEFAULT_DATABASE_URL) -> TrainingStore:
        """A store on `database_url` (already migrated: see `migrate`)."""
        return cls(create_db_engine(database_url))

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        # Inside a mutating call's transaction (its idempotency claim) when there is one.
        return sql.session_for(self.engine)

    # Reference data
    def list_types(self) -> list[CertificationType]:
        with self._session() as session:
            rows = session.scalars(select(CertificationTypeRow).order_by(CertificationTypeRow.code))
            return [_type(r) for r in rows]

    def get_type(self, code: str) -> CertificationType:
        with self._session() as session:
            row = session.get(CertificationTypeRow, code.strip().upper())
            if row is None:
                raise UnknownCertificationType(f"no certification type {code!r}")
            return _type(row)

    def list_requirements(self) -> list[Requirement]:
        """Requirements grouped by (role, unit category, unit), in the order they were loaded."""
        with self._session() as session:
            rows = session.scalars(select(RequirementRow).order_by(RequirementRow.requirement_id))
            grouped: dict[tuple[str, str, str], list[str]] = {}
            for r in rows:
                grouped.setdefault((r.role, r.unit_category, r.unit_id), []).append(
                    r.certification_code)
        return [Requirement(role, tuple(codes), category, unit_id)
                for (role, category, unit_id), codes in grouped.items()]

    # Units and the roster
    def add_unit(self, unit: Unit) -> Unit:
        with self._session() as session, session.begin():
            unit_id = normalise_unit_id(unit.unit_id)
            row = session.get(UnitRow, unit_id) or UnitRow(unit_id=unit_id)
            row.name, row.category = unit.name, unit.category
            row.facility_id, row.time_zone = unit.facility_id, unit.time_zone
            session.add(row)
        return self.get_unit(unit_id)

    def get_unit(self, unit_id: str) -> Unit:
        with self._session() as session:
            row = session.get(UnitRow, normalise_unit_id(unit_id))
            if row is None:
                known = session.scalars(select(UnitRow.unit_id).order_by(UnitRow.unit_id)).all()
                listed = f"; known units: {', '.join(known)}" if known else ""
                raise UnknownUnit(f"no unit {unit_id!r}{listed}")
            return Unit(row.unit_id, row.name, row.category, row.facility_id, row.time_zone)

    def list_units(self) -> list[Unit]:
        with self._session() as session:
            rows = session.scalars(select(UnitRow).order_by(UnitRow.unit_id))
            return [Unit(r.unit_id, r.name, r.category, r.facility_id, r.time_zone)
                    for r in rows]

    def add_staff(self, member: StaffMember) -> StaffMember:
        """Add a person to the roster or replace their entry."""
        with self._session() as session, session.begin():
            row = session.get(StaffRow, member.staff_id) or StaffRow(staff_id=member.staff_id)
            row.display_name, row.role = member.display_name, member.role
            row.home_unit_id = (
                normalise_unit_id(member.home_unit_id) if member.home_unit_id else None
            )
            row.slack_team_id, row.slack_user_id = member.slack_team_id, member.slack_user_id
            row.duties = " ".join(dict.fromkeys(member.duties))
            session.add(row)
        return self.get_staff(member.staff_id)

    def get_staff(self, staff_id: str) -> StaffMember:
        with self._session() as session:
            row = session.get(StaffRow, staff_id)
            if row is None:
                raise UnknownStaff(f"no staff member {staff_id!r}")
            return _staff(row)

    def find_staff(self, staff_ids: Iterable[str]) -> dict[str, StaffMember]:
        """The roster entries of these staff ids that exist."""
        wanted = list(dict.fromkeys(staff_ids))
        with self._session() as session:
            rows = session.scalars(select(StaffRow).where(StaffRow.staff_id.in_(wanted)))
            return {r.staff_id: _staff(r) for r in rows}

    def find_staff_by_slack(self, slack_team_id: str, slack_user_id: str) -> StaffMember | None:
        with self._session() as session:
            row = session.scalar(select(StaffRow).where(
                StaffRow.slack_team_id == slack_team_id, StaffRow.slack_user_id == slack_user_id
            ))
            return _staff(row) if row else None

    def staff_with_duty(self, duty: str) -> list[StaffMember]:
        """Everyone carrying a duty (e.g. EDUCATOR), by name."""
        with self._session() as session:
            rows = session.scalars(select(StaffRow).where(StaffRow.duties.contains(duty))
                                   .order_by(StaffRow.display_name, StaffRow.staff_id))
            return [m for m in (_staff(r) for r in rows) if duty in m.duties]

    def staff_of_unit(self, unit_id: str) -> list[StaffMember]:
        """Everyone whose home unit this is, by name."""
        with self._session() as session:
            rows = session.scalars(select(StaffRow).where(
                StaffRow.home_unit_id == normalise_unit_id(unit_id)
            ).order_by(StaffRow.display_name, StaffRow.staff_id))
            return [_staff(r) for r in rows]

    # Records
    def records_for(self, staff_id: str) -> list[CertificationRecord]:
        with self._session() as session:
            rows = session.scalars(select(RecordRow).where(RecordRow.staff_id == staff_id)
                                   .order_by(RecordRow.certification_code))
            return [_record(r) for r in rows]

    def records_for_unit(self, unit_id: str) -> list[CertificationRecord]:
        """Records of everyone whose home unit this is."""
        with self._session() as session:
            rows = session.scalars(select(RecordRow).join(StaffRow).where(
                StaffRow.home_unit_id == normalise_unit_id(unit_id)
            ).order_by(RecordRow.staff_id, RecordRow.certification_code))
            return [_record(r) for r in rows]

    def list_records(self, *, unit_id: str = "") -> list[CertificationRecord]:
        """Every record, or those of one unit's staff."""
        if unit_id:
            return self.records_for_unit(unit_id)
        with self._session() as session:
            rows = session.scalars(select(RecordRow).order_by(RecordRow.staff_id,
                                                              RecordRow.certification_code))
            return [_record(r) for r in rows]

    def records_expiring(self, *, expired_by: date, ranges: list[tuple[date, date]],
                         unit_id: str = "") -> list[CertificationRecord]:
        """Records expired on or before `expired_by` or expiring within one of `ranges`."""
        query = select(RecordRow).where(or_(
            RecordRow.expires_on <= expired_by,
            *(RecordRow.expires_on.between(first, last) for first, last in ranges)))
        if unit_id:
            query = query.join(StaffRow).where(
                StaffRow.home_unit_id == normalise_unit_id(unit_id))
        with self._session() as session:
            rows = session.scalars(query.order_by(RecordRow.staff_id,
                                                  RecordRow.certification_code))
            return [_record(r) for r in rows]

    def put_records(
        self, records: Iterable[CertificationRecord], *, audit: AuditEntry | None = None
    ) -> int:
        """Write records in one transaction, replacing each person's record of the same type."""
        written = 0
        with self._session() as session, session.begin():
            for record in records:
                _put_record(session, record)
                session.flush()
                written += 1
            if audit is not None:
                session.add(_audit_row(audit))
        return written

    # Renewals
    def add_renewal(self, renewal: Renewal, *, audit: AuditEntry | None = None,
                    reviewers: Sequence[StaffMember] = ()) -> Renewal:
        """Record a submitted renewal; each reviewer with a Slack id gets a `renewal.submitted`
        event, committed with it (the bot DMs them Verify and Reject)."""
        renewal_id = renewal.renewal_id or new_id()
        with self._session() as session, session.begin():
            session.add(RenewalRow(
                renewal_id=renewal_id, staff_id=renewal.staff_id,
                certification_code=renewal.certification_code, issued_on=renewal.issued_on,
                expires_on=renewal.expires_on, evidence_reference=renewal.evidence_reference,
                state=renewal.state.value, submitted_at=renewal.submitted_at,
                rejection_reason=renewal.rejection_reason,
            ))
            if audit is not None:
                session.add(_audit_row(audit))
            submitter = session.get(StaffRow, renewal.staff_id)
            stored = dataclasses.replace(renewal, renewal_id=renewal_id)
            for reviewer in reviewers:
                if reviewer.slack_user_id:
                    outbox.record(session, OUTBOX, renewal_submitted(
                        stored, submitter_name=submitter.display_name if submitter else "",
                        reviewer_staff_id=reviewer.staff_id,
                        reviewer_slack_user_id=reviewer.slack_user_id, at=renewal.submitted_at))
        return self.get_renewal(renewal_id)

    def get_renewal(self, renewal_id: str) -> Renewal:
        with self._session() as session:
            row = session.get(RenewalRow, renewal_id)
            if row is None:
                raise UnknownRenewal(f"no renewal {renewal_id!r}")
            return _renewal(row)

    def pending_renewals(self, staff_id: str) -> list[Renewal]:
        with self._session() as session:
            rows = session.scalars(select(RenewalRow).where(
                RenewalRow.staff_id == staff_id, RenewalRow.state == RenewalState.PENDING.value
            ).order_by(RenewalRow.submitted_at))
            return [_renewal(r) for r in rows]

    def renewals_waiting(self) -> list[Renewal]:
        """Every renewal still waiting for a decision, oldest first."""
        with self._session() as session:
            rows = session.scalars(select(RenewalRow).where(
                RenewalRow.state == RenewalState.PENDING.value
            ).order_by(RenewalRow.submitted_at, RenewalRow.renewal_id))
            return [_renewal(r) for r in rows]

    def decide_renewal(
        self,
        renewal_id: str,
        *,
        state: RenewalState,
        decided_by: str,
        decided_at: datetime,
        reason: str = "",
        record: CertificationRecord | None = None,
        audit: AuditEntry | None = None,
    ) -> Renewal:
        """Move a PENDING renewal to `state` (writing `record` with it); decided → AlreadyDecided.

        The conditional UPDATE makes the decision final even when two approvers click at once.
        """
        with self._session() as session, session.begin():
            result = session.execute(
                update(RenewalRow)
                .where(RenewalRow.renewal_id == renewal_id,
                       RenewalRow.state == RenewalState.PENDING.value)
                .values(state=state.value, decided_by=decided_by, decided_at=decided_at,
                        rejection_reason=reason)
            )
            if result.rowcount != 1:
                existing = session.get(RenewalRow, renewal_id)
                if existing is None:
                    raise UnknownRenewal(f"no renewal {renewal_id!r}")
                raise AlreadyDecided(
                    f"renewal {renewal_id} was already {existing.state.lower()}"
                    + (f" by {existing.decided_by}" if existing.decided_by else "")
                )
            if record is not None:
                _put_record(session, record)
            if audit is not None:
                session.add(_audit_row(audit))
            # The submitter's DM goes out through the outbox, committed with the decision.
            decided = session.get(RenewalRow, renewal_id)
            assert decided is not None
            submitter = session.get(StaffRow, decided.staff_id)
            decider = session.get(StaffRow, decided_by)
            outbox.record(session, OUTBOX, renewal_decided(
                _renewal(decided), at=decided_at,
                submitter_slack_user_id=submitter.slack_user_id if submitter else "",
                decided_by_name=decider.display_name if decider else decided_by))
        return self.get_renewal(renewal_id)

    # Reminders
    def record_reminder(self, key: ReminderKey, *, sent_at: datetime,
                        audit: AuditEntry | None = None) -> bool:
        """Record a reminder once: True for the first caller, False if it was already recorded.

        INSERT ... ON CONFLICT DO NOTHING on the unique constraint, so two processes racing for
        the same reminder cannot both win.
        """
        staff_id, code, expires_on, threshold = key
        values = {"staff_id": staff_id, "certification_code": code, "expires_on": expires_on,
                  "threshold_days": threshold, "sent_at": sent_at}
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(ReminderSentRow).values(**values).on_conflict_do_nothing(
            index_elements=["staff_id", "certification_code", "expires_on", "threshold_days"]
        ).returning(ReminderSentRow.reminder_id)
        with self._session() as session, session.begin():
            # RETURNING, not rowcount: psycopg reports -1 for an ORM-level insert.
            inserted = session.execute(statement).scalar_one_or_none() is not None
            if inserted and audit is not None:
                session.add(_audit_row(audit))
        return inserted

    def reminders_recorded(self, staff_ids: Iterable[str] | None = None, *,
                           stale_claims_before: datetime | None = None,
                           sent_only: bool = False) -> set[ReminderKey]:
        """Keys of reminders already recorded (for these people, or everyone).

        With `stale_claims_before`, claims made before it and never sent are left out: their
        sender died between claim and DM, so the reminder is due again. With `sent_only`, every
        claim or queued reminder not yet settled as sent is left out.
        """
        query = select(ReminderSentRow)
        if staff_ids is not None:
            query = query.where(ReminderSentRow.staff_id.in_(list(staff_ids)))
        if sent_only:
            query = query.where(ReminderSentRow.state.not_in(UNSETTLED))
        elif stale_claims_before is not None:
            query = query.where(or_(ReminderSentRow.state != CLAIMED,
                                    ReminderSentRow.claimed_at >= stale_claims_before))
        with self._session() as session:
            return {(r.staff_id, r.certification_code, r.expires_on, r.threshold_days)
                    for r in session.scalars(query)}

    def claim_reminder(self, key: ReminderKey, *, claim_id: str, at: datetime,
                       stale_before: datetime, audit: AuditEntry | None = None) -> bool:
        """Claim a reminder before sending it: True for one caller only."""
        return self.take_reminder_claim(key, claim_id=claim_id, at=at, stale_before=stale_before,
                                        audit=audit) is not None

    def take_reminder_claim(self, key: ReminderKey, *, claim_id: str, at: datetime,
                            stale_before: datetime, audit: AuditEntry | None = None
                            ) -> ReminderClaim | None:
        """Claim a reminder before sending it: a ReminderClaim for one caller only, else None.

        A new key is inserted (ON CONFLICT DO NOTHING); an existing claim is taken over only when
        it was never sent and was made before `stale_before` (its sender died mid-delivery, maybe
        after Slack took the DM): the answer then says when the first unsettled claim was made.
        """
        staff_id, code, expires_on, threshold = key
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(ReminderSentRow).values(
            staff_id=staff_id, certification_code=code, expires_on=expires_on,
            threshold_days=threshold, sent_at=at, state=CLAIMED, claim_id=claim_id,
            claimed_at=at, first_claimed_at=at,
        ).on_conflict_do_nothing(
            index_elements=["staff_id", "certification_code", "expires_on", "threshold_days"]
        ).returning(ReminderSentRow.reminder_id)
        with self._session() as session, session.begin():
            claim = (ReminderClaim(None) if session.execute(statement).scalar_one_or_none()
                     is not None else None)
            if claim is None:
                stale = session.execute(select(ReminderSentRow).where(
                    *_reminder_is(key), ReminderSentRow.state == CLAIMED,
                    ReminderSentRow.claimed_at < stale_before)).scalar_one_or_none()
                first = stale and (stale.first_claimed_at or stale.claimed_at)
                # Compare-and-set on the stale claim's id: of two takers, one wins.
                taken_over = stale is not None and session.execute(
                    update(ReminderSentRow).where(
                        *_reminder_is(key), ReminderSentRow.state == CLAIMED,
                        ReminderSentRow.claim_id == stale.claim_id,
                    ).values(claim_id=claim_id, claimed_at=at, sent_at=at, first_claimed_at=first)
                ).rowcount == 1
                if taken_over:
                    claim = ReminderClaim(first)
            if claim is not None and audit is not None:
                session.add(_audit_row(audit))
        return claim

    def queue_reminder(self, key: ReminderKey, *,
                       event_for: Callable[[str, datetime | None], outbox.Event], at: datetime,
                       stale_before: datetime, audit: AuditEntry | None = None) -> str | None:
        """Mark a reminder queued and write its event, in one transaction: "queued" the first
        time, "requeued" when it was queued (or claimed) before `stale_before`, never sent, and
        its last event left the outbox (lost or dead-lettered on the way: not merely waiting for
        Redis); else None and nothing written.

        `event_for(previous_event_id, first_queued_at)` makes the event ("" and None the first
        time); its id becomes the row's claim id, so of two scans queueing it again, one wins.
        """
        staff_id, code, expires_on, threshold = key
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self._session() as session, session.begin():
            event = event_for("", None)
            inserted = session.execute(dialect.insert(ReminderSentRow).values(
                staff_id=staff_id, certification_code=code, expires_on=expires_on,
                threshold_days=threshold, sent_at=at, state=QUEUED, claim_id=event.event_id,
                claimed_at=at, first_claimed_at=at,
            ).on_conflict_do_nothing(
                index_elements=["staff_id", "certification_code", "expires_on", "threshold_days"]
            ).returning(ReminderSentRow.reminder_id)).scalar_one_or_none() is not None
            outcome = "queued" if inserted else None
            if not inserted:
                row = session.execute(select(ReminderSentRow).where(
                    *_reminder_is(key), ReminderSentRow.state.in_(UNSETTLED),
                    ReminderSentRow.claimed_at < stale_before)).scalar_one_or_none()
                if row is None or not self._left_outbox(session, row.claim_id):
                    return None
                first, previous = row.first_claimed_at or row.claimed_at, row.claim_id
                event = event_for(previous, first)
                # Compare-and-set on the previous event id: of two scans, one wins.
                if session.execute(update(ReminderSentRow).where(
                        *_reminder_is(key), ReminderSentRow.state.in_(UNSETTLED),
                        ReminderSentRow.claim_id == row.claim_id,
                ).values(state=QUEUED, claim_id=event.event_id, claimed_at=at, sent_at=at,
                         first_claimed_at=first)).rowcount != 1:
                    return None
                # The new event replaces the lost one: the relay stops publishing the old.
                outbox.supersede(session, OUTBOX, previous, at=at)
                outcome = "requeued"
            outbox.record(session, OUTBOX, event)
            if audit is not None:
                session.add(_audit_row(dataclasses.replace(
                    audit, action="REMINDER_REQUEUED" if outcome == "requeued" else audit.action)))
        return outcome

    @staticmethod
    def _left_outbox(session: Session, event_id: str) -> bool:
        """Whether the event is no longer waiting in the outbox (published, or never there: a
        claim of the scheduler's direct DMs)."""
        published = session.execute(select(OUTBOX.c.published_at).where(
            OUTBOX.c.event_id == event_id)).first()
        return published is None or published.published_at is not None

    def stale_reminders(self, *, stale_before: datetime) -> list[ReminderKey]:
        """Reminders queued (or claimed) before `stale_before` and never recorded sent."""
        with self._session() as session:
            rows = session.scalars(select(ReminderSentRow).where(
                ReminderSentRow.state.in_(UNSETTLED), ReminderSentRow.claimed_at < stale_before
            ).order_by(ReminderSentRow.reminder_id))
            return [(r.staff_id, r.certification_code, r.expires_on, r.threshold_days)
                    for r in rows]

    def settle_reminder(self, key: ReminderKey, *, claim_id: str, sent: bool, at: datetime,
                        audit: AuditEntry | None = None) -> bool:
        """SENT (Slack took the DM) or released (it did not: the row goes, a later scan retries).

        False when the claim is no longer `claim_id`'s (taken over, or already settled). A queued
        reminder is marked sent whichever of its events was DMed: the DM went out either way.
        """
        claimed = (ReminderSentRow.state == CLAIMED) & (ReminderSentRow.claim_id == claim_id)
        mine = (*_reminder_is(key),
                or_(claimed, ReminderSentRow.state == QUEUED) if sent else claimed)
        with self._session() as session, session.begin():
            if sent:
                result = session.execute(update(ReminderSentRow).where(*mine)
                                         .values(state="SENT", sent_at=at))
            else:
                result = session.execute(delete(ReminderSentRow).where(*mine))
            settled = result.rowcount == 1
            if settled and audit is not None:
                session.add(_audit_row(audit))
        return settled

    # Audit
    def append_audit(self, entry: AuditEntry) -> None:
        with self._session() as session, session.begin():
            session.add(_audit_row(entry))

    def audit_log(self) -> list[AuditEntry]:
        with self._session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.entry_id))
            return [AuditEntry(r.at, r.action, r.subject, r.outcome, r.actor_staff_id,
                               r.actor_slack_team_id, r.actor_slack_user_id) for r in rows]
