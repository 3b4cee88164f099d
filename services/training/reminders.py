"""Reminder delivery and the managers' digest: one function per RPC, store and clock passed in.

The daily scan QUEUES each reminder due: its queued mark and its `reminder.due` event are written
in one transaction, and the bot's notifier DMs it and marks it SENT. A reminder queued longer than
QUEUE_LEASE and never marked sent (its event lost, or dead-lettered after Slack refused it again
and again) is queued again by a later scan, so it is never lost; the notifier looks in the DM for
it first, so it is not doubled either.

Delivery by the scheduler itself (before the events) was two-phase: it CLAIMS a reminder, sends
the DM, then marks it SENT, or RELEASES it when Slack refused. RecordReminderSent still does so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from clinops.clock import Clock
from clinops.outbox import Event
from services.training import domain
from services.training.errors import InvalidInput, UnknownStaff
from services.training.model import (
    AuditEntry,
    CertificationRecord,
    CertificationType,
    DueReminder,
    StaffMember,
    Unit,
)
from services.training.outbox import reminder_due, reminder_event_id
from services.training.store import ReminderClaim, ReminderKey, normalise_unit_id
from services.training.usecases import (
    Expiring,
    RecordView,
    _check_id,
    list_expiring,
    record_reminder_sent,
)

# Long enough for a DM with Slack's retries; short enough that a dead sender's reminder still
# goes out the same morning.
CLAIM_LEASE = timedelta(minutes=15)
# Far longer than the notifier's attempts at a DM (minutes, with back-off) and shorter than a day,
# so a reminder whose event was dead-lettered goes out again at the next morning's scan.
QUEUE_LEASE = timedelta(hours=6)
MAX_DIGEST_DAYS = 366


class Phase(StrEnum):
    ONE_STEP = "ONE_STEP"
    CLAIMED = "CLAIMED"
    SENT = "SENT"
    RELEASED = "RELEASED"


class Store(Protocol):
    """What reminder delivery and the digest need of a store."""

    def get_staff(self, staff_id: str) -> StaffMember: ...
    def get_type(self, code: str) -> CertificationType: ...
    def get_unit(self, unit_id: str) -> Unit: ...
    def list_units(self) -> list[Unit]: ...
    def list_types(self) -> list[CertificationType]: ...
    def staff_of_unit(self, unit_id: str) -> list[StaffMember]: ...
    def records_for_unit(self, unit_id: str) -> list[CertificationRecord]: ...
    def take_reminder_claim(self, key: ReminderKey, *, claim_id: str, at: datetime,
                            stale_before: datetime, audit: AuditEntry | None = None
                            ) -> ReminderClaim | None: ...
    def settle_reminder(self, key: ReminderKey, *, claim_id: str, sent: bool, at: datetime,
                        audit: AuditEntry | None = None) -> bool: ...
    def queue_reminder(self, key: ReminderKey, *, event_for: Callable[[str, datetime | None],
                       Event], at: datetime, stale_before: datetime,
                       audit: AuditEntry | None = None) -> str | None: ...
    def stale_reminders(self, *, stale_before: datetime) -> list[ReminderKey]: ...
    def reminders_recorded(self, staff_ids: list[str] | None = None) -> set[ReminderKey]: ...
    def records_for(self, staff_id: str) -> list[CertificationRecord]: ...


@dataclass(frozen=True)
class Recorded:
    """RecordReminderSent's answer: `stale_claimed_at` when a CLAIM took over a stale one."""

    recorded: bool
    claim_id: str = ""
    stale_claimed_at: datetime | None = None


@dataclass(frozen=True)
class Queued:
    """QueueReminders' answer: how many were queued, queued again, or left as they were."""

    queued: int = 0
    requeued: int = 0
    already_queued: int = 0


@dataclass(frozen=True)
class UnitDigest:
    """What a unit's managers hear about: expired certifications and those expiring soon."""

    unit: Unit
    managers: tuple[StaffMember, ...]
    expired: tuple[Expiring, ...]
    upcoming: tuple[Expiring, ...]


def record_reminder(
    *, phase: Phase, claim_id: str, staff_id: str, certification_code: str, expires_on: date,
    threshold_days: int, store: Store, clock: Clock,
) -> Recorded:
    """Claim, mark sent or release one reminder.

    A claim that took over a stale one (its sender may have died after Slack took the DM) says
    when that claim was made, so the caller can look for the DM before sending it again.
    """
    if phase is Phase.ONE_STEP:
        return Recorded(record_reminder_sent(
            staff_id=staff_id, certification_code=certification_code, expires_on=expires_on,
            threshold_days=threshold_days, store=store, clock=clock))
    problems = {}
    if not staff_id.strip():
        problems["staff_id"] = "required"
    if not certification_code.strip():
        problems["certification_code"] = "required"
    if threshold_days == 0:
        problems["threshold_days"] = "not a threshold: days before expiry, or negative after"
    if phase is not Phase.CLAIMED and not claim_id.strip():
        problems["claim_id"] = "required to mark a claimed reminder sent or released"
    if problems:
        raise InvalidInput(problems)
    person = store.get_staff(staff_id.strip())
    code = store.get_type(certification_code).code
    now = clock()
    key = (person.staff_id, code, expires_on, threshold_days)
    subject = f"{person.staff_id} {code} expiring {expires_on.isoformat()} ({threshold_days:+d})"
    if phase is Phase.CLAIMED:
        new_claim = uuid.uuid4().hex
        claim = store.take_reminder_claim(
            key, claim_id=new_claim, at=now, stale_before=now - CLAIM_LEASE,
            audit=AuditEntry(now, "REMINDER_CLAIMED", subject, "claimed before the DM"))
        if claim is None:
            return Recorded(False)
        return Recorded(True, new_claim, claim.took_over_from)
    sent = phase is Phase.SENT
    audit = (AuditEntry(now, "REMINDER_SENT", subject, "delivered by DM") if sent else
             AuditEntry(now, "REMINDER_RELEASED", subject, "DM failed; a later scan retries"))
    return Recorded(store.settle_reminder(key, claim_id=claim_id.strip(), sent=sent, at=now,
                                          audit=audit), claim_id.strip())


def reminder_key(key: ReminderKey) -> str:
    """"N3/ACLS/2026-07-15/30": the reminder's name in its events and its DM's metadata."""
    staff_id, code, expires_on, threshold = key
    return f"{staff_id}/{code}/{expires_on.isoformat()}/{threshold}"


def _stale_still_due(key: ReminderKey, person: StaffMember, store: Store,
                     others: set[ReminderKey]) -> bool:
    """A stale reminder still says something: the record still has that expiry (not renewed
    since) and no later threshold of it is queued or sent (that one says more)."""
    staff_id, code, expires_on, threshold = key
    if not any(r.certification_code == code and r.expires_on == expires_on
               for r in store.records_for(person.staff_id)):
        return False
    return not any(k[:3] == key[:3] and k[3] < threshold for k in others)


def queue_reminders(
    *, on: date, since: date | None, unit_ids: Sequence[str], all_units: bool, store: Store,
    clock: Clock,
) -> Queued:
    """Queue every reminder due (ListExpiring's rule) to people of `unit_ids` and people with no
    home unit (everyone with `all_units`), each once; queue again those queued before the lease
    and never sent. Each is its queued mark and its `reminder.due` event, in one transaction."""
    if all_units and unit_ids:
        raise InvalidInput({"unit_ids": "leave empty with all_units"})
    units = {normalise_unit_id(_check_id(u, "unit_ids")) for u in unit_ids}
    types = {t.code: t for t in store.list_types()}
    due = list_expiring(on=on, since=since, unit_id="", store=store)

    def in_scope(person: StaffMember) -> bool:
        return all_units or not person.home_unit_id or person.home_unit_id in units

    now = clock()
    stale_before = now - QUEUE_LEASE
    candidates: dict[ReminderKey, StaffMember] = {}
    for item in due:
        record = item.due.record
        if in_scope(item.staff):
            candidates[(record.staff_id, record.certification_code, record.expires_on,
                        item.due.threshold_days)] = item.staff
    for key in store.stale_reminders(stale_before=stale_before):
        if key in candidates:
            continue
        try:
            person = store.get_staff(key[0])
        except UnknownStaff:
            continue
        others = store.reminders_recorded([person.staff_id]) | candidates.keys()
        if in_scope(person) and _stale_still_due(key, person, store, others):
            candidates[key] = person
    counts = {"queued": 0, "requeued": 0, "already_queued": 0}
    for key, person in candidates.items():
        staff_id, code, expires_on, threshold = key
        name = reminder_key(key)

        def event_for(previous: str, first_queued_at: datetime | None, *, key: ReminderKey = key,
                      name: str = name, person: StaffMember = person) -> Event:
            return reminder_due(event_id=reminder_event_id(name, previous=previous),
                                reminder_key=name, staff=person, certification=types[key[1]],
                                expires_on=key[2], threshold_days=key[3], on=on, at=now,
                                first_queued_at=first_queued_at)

        subject = f"{staff_id} {code} expiring {expires_on.isoformat()} ({threshold:+d})"
        outcome = store.queue_reminder(
            key, event_for=event_for, at=now, stale_before=stale_before,
            audit=AuditEntry(now, "REMINDER_QUEUED", subject, "reminder.due event written"))
        counts[outcome or "already_queued"] += 1
    return Queued(**counts)


def list_certification_digest(
    *, on: date, upcoming_within_days: int, unit_id: str, store: Store,
) -> list[UnitDigest]:
    """Per unit, its managers and the latest record per person and type expired or expiring."""
    if not 0 <= upcoming_within_days <= MAX_DIGEST_DAYS:
        raise InvalidInput({"upcoming_within_days": f"0 to {MAX_DIGEST_DAYS}"})
    units = [store.get_unit(unit_id.strip())] if unit_id.strip() else store.list_units()
    types = {t.code: t for t in store.list_types()}
    digests = []
    for unit in units:
        staff = {m.staff_id: m for m in store.staff_of_unit(unit.unit_id)}
        by_staff: dict[str, list[CertificationRecord]] = {}
        for record in store.records_for_unit(unit.unit_id):
            by_staff.setdefault(record.staff_id, []).append(record)
        expired, upcoming = [], []
        for staff_id, member in staff.items():
            for record in domain.latest_by_code(by_staff.get(staff_id, ())).values():
                left = domain.days_left(record, on=on)
                view = RecordView(record, domain.record_status(
                    record, types.get(record.certification_code), on=on), left)
                item = Expiring(DueReminder(record, 0), member, view)
                if left < 0:
                    expired.append(item)
                elif left <= upcoming_within_days:
                    upcoming.append(item)
        if not (expired or upcoming):
            continue
        managers = tuple(m for m in staff.values() if m.manages(unit.unit_id))
        by_expiry = lambda e: (e.view.record.expires_on, e.staff.display_name)  # noqa: E731
        digests.append(UnitDigest(unit, managers, tuple(sorted(expired, key=by_expiry)),
                                  tuple(sorted(upcoming, key=by_expiry))))
    return digests
