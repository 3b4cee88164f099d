"""What the training service talks about: certification types, requirements, people, records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

# Threshold of the first reminder after expiry; later ones come weekly (-8, -15, ...).
DAY_AFTER_EXPIRY = -1


class Problem(StrEnum):
    MISSING = "MISSING"
    EXPIRED = "EXPIRED"
    EXPIRES_BEFORE_SHIFT_END = "EXPIRES_BEFORE_SHIFT_END"


class RecordStatus(StrEnum):
    CURRENT = "CURRENT"
    EXPIRING = "EXPIRING"
    EXPIRED = "EXPIRED"
    PENDING_VERIFICATION = "PENDING_VERIFICATION"


class RenewalState(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class CertificationType:
    """A card or licence that expires, e.g. AHA ACLS valid 24 months, reminded 90/60/30/7 days."""

    code: str
    name: str
    validity_months: int
    reminder_days: tuple[int, ...]


@dataclass(frozen=True)
class Requirement:
    """A role must hold these types: on every unit (no category, no unit), a category or a unit."""

    role: str
    certification_codes: tuple[str, ...]
    unit_category: str = ""
    unit_id: str = ""

    def applies_to(self, role: str, unit: Unit) -> bool:
        if self.role != role:
            return False
        if self.unit_id:
            return self.unit_id == unit.unit_id
        return not self.unit_category or self.unit_category == unit.category


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    category: str
    # The unit's facility and its IANA zone, as staffing keeps them ("": not on file, the
    # service's CLINOPS_TRAINING_TIME_ZONE applies).
    facility_id: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class StaffMember:
    """Training's own copy of who is who (it never imports staffing)."""

    staff_id: str
    display_name: str
    role: str
    home_unit_id: str | None
    slack_team_id: str
    slack_user_id: str
    duties: tuple[str, ...] = ()
    unit_category: str = ""  # the home unit's category, filled in by the store

    @property
    def is_educator(self) -> bool:
        return "EDUCATOR" in self.duties

    def manages(self, unit_id: str | None) -> bool:
        return "MANAGER" in self.duties and unit_id is not None and self.home_unit_id == unit_id


@dataclass(frozen=True)
class CertificationRecord:
    """One person's card or licence; valid through `expires_on`."""

    staff_id: str
    certification_code: str
    issued_on: date | None
    expires_on: date
    expiry_derived: bool = False
    evidence_reference: str = ""
    verified_by: str | None = None  # staff id
    verified_at: datetime | None = None
    record_id: str = ""


@dataclass(frozen=True)
class Finding:
    certification_code: str
    problem: Problem
    expires_on: date | None
    explanation: str


@dataclass(frozen=True)
class DueReminder:
    """A record crossing a reminder threshold: days before expiry, negative after it."""

    record: CertificationRecord
    threshold_days: int


@dataclass(frozen=True)
class Renewal:
    renewal_id: str
    staff_id: str
    certification_code: str
    expires_on: date
    issued_on: date | None
    evidence_reference: str
    state: RenewalState
    submitted_at: datetime
    rejection_reason: str = ""
    decided_by: str | None = None  # staff id
    decided_at: datetime | None = None


@dataclass(frozen=True)
class TypeCompliance:
    certification_code: str
    required_of: int
    current: int


@dataclass(frozen=True)
class ComplianceGap:
    staff_id: str
    display_name: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class UnitCompliance:
    unit_id: str
    on: date
    staff_count: int
    fully_compliant: int
    by_type: tuple[TypeCompliance, ...]
    gaps: tuple[ComplianceGap, ...]

    @property
    def share(self) -> float:
        """Share of the unit's staff holding every required, unexpired certification."""
        return self.fully_compliant / self.staff_count if self.staff_count else 1.0


@dataclass(frozen=True)
class ComplianceRow:
    """One required certification of one person on a unit, with what is on file (None: nothing)."""

    staff: StaffMember
    certification_code: str
    record: CertificationRecord | None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who, what, when (UTC), outcome."""

    at: datetime
    action: str  # IMPORT, RENEWAL_*, REMINDER_SENT, COMPLIANCE_EXPORT
    subject: str
    outcome: str
    actor_staff_id: str = ""
    actor_slack_team_id: str = ""
    actor_slack_user_id: str = ""
