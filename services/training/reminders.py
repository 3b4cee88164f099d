"""Reminder delivery and the managers' digest: one function per RPC, store and clock passed in.

Delivery is two-phase so a reminder is neither doubled nor lost: the scheduler CLAIMS it, sends
the DM, then marks it SENT, or RELEASES it when Slack refused (a later scan retries). A claim
that is neither (its sender died mid-delivery) may be claimed again after CLAIM_LEASE.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from clinops.clock import Clock
from services.training import domain
from services.training.errors import InvalidInput
from services.training.model import (
    AuditEntry,
    CertificationRecord,
    CertificationType,
    DueReminder,
    StaffMember,
    Unit,
)
from services.training.store import ReminderClaim, ReminderKey
from services.training.usecases import Expiring, RecordView, record_reminder_sent

# Long enough for a DM with Slack's retries; short enough that a dead sender's reminder still
# goes out the same morning.
CLAIM_LEASE = timedelta(minutes=15)
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


@dataclass(frozen=True)
class Recorded:
    """RecordReminderSent's answer: `stale_claimed_at` when a CLAIM took over a stale one."""

    recorded: bool
    claim_id: str = ""
    stale_claimed_at: datetime | None = None


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
