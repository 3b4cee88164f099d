"""The staffing vocabulary: unit categories, roles, duties, units, staff, census, assignments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from services.staffing.errors import NoRatioRule, UnknownCategory


class UnitCategory(StrEnum):
    """Unit categories of California Title 22 (CCR §70217), the keys of the ratio table."""

    ICU = "ICU"
    NICU = "NICU"
    BURN = "BURN"
    PACU = "PACU"
    LABOR_DELIVERY = "LABOR_DELIVERY"
    ANTEPARTUM = "ANTEPARTUM"
    POSTPARTUM_COUPLETS = "POSTPARTUM_COUPLETS"
    POSTPARTUM_MOTHERS = "POSTPARTUM_MOTHERS"
    WELL_BABY_NURSERY = "WELL_BABY_NURSERY"
    STEP_DOWN = "STEP_DOWN"
    TELEMETRY = "TELEMETRY"
    MED_SURG = "MED_SURG"
    SPECIALTY_CARE = "SPECIALTY_CARE"
    PEDIATRICS = "PEDIATRICS"
    PSYCHIATRIC = "PSYCHIATRIC"
    EMERGENCY = "EMERGENCY"
    OPERATING_ROOM = "OPERATING_ROOM"


CATEGORY_LABELS: Mapping[UnitCategory, str] = {
    UnitCategory.ICU: "ICU", UnitCategory.NICU: "NICU", UnitCategory.BURN: "burn",
    UnitCategory.PACU: "PACU", UnitCategory.LABOR_DELIVERY: "labor & delivery",
    UnitCategory.ANTEPARTUM: "antepartum", UnitCategory.POSTPARTUM_COUPLETS: "postpartum couplets",
    UnitCategory.POSTPARTUM_MOTHERS: "postpartum mothers", UnitCategory.WELL_BABY_NURSERY:
    "well-baby nursery", UnitCategory.STEP_DOWN: "step-down", UnitCategory.TELEMETRY: "telemetry",
    UnitCategory.MED_SURG: "med-surg", UnitCategory.SPECIALTY_CARE: "specialty care",
    UnitCategory.PEDIATRICS: "pediatrics", UnitCategory.PSYCHIATRIC: "psychiatric",
    UnitCategory.EMERGENCY: "ED", UnitCategory.OPERATING_ROOM: "OR",
}


class Shift(StrEnum):
    DAY = "DAY"
    NIGHT = "NIGHT"


class RelativeDay(StrEnum):
    TODAY = "TODAY"
    TOMORROW = "TOMORROW"


class Role(StrEnum):
    RN = "RN"
    LVN = "LVN"
    CNA = "CNA"
    UNIT_CLERK = "UNIT_CLERK"
    SURGICAL_TECH = "SURGICAL_TECH"


# Title 22 counts licensed nurses only; CNAs and clerks follow the unit's own grid.
LICENSED_ROLES = frozenset({Role.RN, Role.LVN})
UNLICENSED_LABELS: Mapping[Role, str] = {Role.CNA: "CNA", Role.UNIT_CLERK: "Unit clerk"}


class Duty(StrEnum):
    STAFF = "STAFF"
    CHARGE = "CHARGE"
    MANAGER = "MANAGER"
    SUPERVISOR = "SUPERVISOR"
    TRIAGE = "TRIAGE"
    EDUCATOR = "EDUCATOR"


class EmploymentType(StrEnum):
    UNIT_STAFF = "UNIT_STAFF"
    FLOAT_POOL = "FLOAT_POOL"
    PER_DIEM = "PER_DIEM"
    AGENCY = "AGENCY"


E = TypeVar("E", bound=StrEnum)


class PatientGroup(StrEnum):
    """Which patients (or rooms) a row of the ratio table limits."""

    ALL = "ALL"
    GENERAL = "GENERAL"  # ED patients who are neither critical care nor trauma
    CRITICAL_CARE = "CRITICAL_CARE"
    TRAUMA = "TRAUMA"
    CIRCULATOR = "CIRCULATOR"  # OR: occupied rooms per RN circulator
    SCRUB = "SCRUB"  # OR: occupied rooms per scrub (RN or surgical tech)


def parse_enum(kind: type[E], value: str) -> E:
    """The member named `value`; an unknown name raises (UnknownCategory for categories)."""
    try:
        return kind(value.strip().upper())
    except ValueError:
        if kind is UnitCategory:
            raise UnknownCategory(value) from None
        raise ValueError(f"unknown {kind.__name__} {value!r}") from None


@dataclass(frozen=True)
class RatioLimit:
    """One row of a jurisdiction's ratio table: at most `patients_per_nurse` per licensed nurse."""

    jurisdiction: str
    category: UnitCategory
    patient_group: PatientGroup
    patients_per_nurse: int
    law: str
    source: str


@dataclass(frozen=True)
class RatioRule:
    """Every limit a jurisdiction sets for one unit category."""

    jurisdiction: str
    category: UnitCategory
    limits: Mapping[PatientGroup, RatioLimit]

    @property
    def law(self) -> str:
        return next(iter(self.limits.values())).law

    def per_nurse(self, group: PatientGroup) -> int:
        if group not in self.limits:
            raise NoRatioRule(self.jurisdiction, f"{self.category} {group}")
        return self.limits[group].patients_per_nurse


@dataclass(frozen=True)
class GridStep:
    """A row of a unit's unlicensed staffing grid: census in [census_from, census_to] → count."""

    role: Role
    census_from: int
    census_to: int
    count: int


@dataclass(frozen=True)
class Facility:
    """A hospital or clinic with its own time zone; every unit belongs to one."""

    facility_id: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class Unit:
    # time_zone is the facility's. Added without facility_id, a unit joins the facility in its
    # zone (the first one is created as MAIN); a zone that contradicts the facility is refused.
    unit_id: str
    name: str
    category: UnitCategory
    slack_channel_id: str
    time_zone: str
    jurisdiction: str = "US-CA"
    patients_per_nurse_override: int | None = None
    unlicensed_grid: tuple[GridStep, ...] = ()
    facility_id: str = ""
    beds: int | None = None  # None: not given at setup


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    display_name: str
    role: Role
    employment_type: EmploymentType
    home_unit_id: str | None
    slack_team_id: str
    slack_user_id: str
    duties: tuple[Duty, ...] = ()
    oriented_categories: tuple[UnitCategory, ...] = ()


@dataclass(frozen=True)
class Census:
    """Patients on a unit for one shift; a number, never a patient."""

    patients: int
    critical_care_patients: int = 0
    trauma_patients: int = 0
    occupied_rooms: int = 0
    recorded_at: datetime | None = None
    recorded_by: str | None = None  # staff id of whoever recorded it


@dataclass(frozen=True)
class Assignment:
    staff_id: str
    unit_id: str
    date: date
    shift: Shift
    duty: Duty
    carries_patients: bool
    role: Role = Role.RN
    display_name: str = ""


@dataclass(frozen=True)
class GapLine:
    """Required against counted for one role, with the rule in words."""

    role: str
    required: int
    counted: int
    rule: str

    @property
    def gap(self) -> int:
        return max(self.required - self.counted, 0)


@dataclass(frozen=True)
class ShiftStaffing:
    lines: tuple[GapLine, ...]
    counted_staff_ids: frozenset[str] = field(default_factory=frozenset)
    ratio_rule: str = ""


# ---- Open shifts, claims and the audit log ------------------------------------------------------


class AwardMode(StrEnum):
    """Unit policy: the first eligible claimant is awarded at once, or claims wait for Confirm."""

    AUTO = "AUTO"
    QUEUE = "QUEUE"


class OvertimePolicy(StrEnum):
    ALLOW = "ALLOW"
    BLOCK = "BLOCK"


class OpenShiftState(StrEnum):
    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"


class LadderStep(StrEnum):
    UNIT_STAFF = "UNIT_STAFF"
    FLOAT_POOL = "FLOAT_POOL"
    INCENTIVE = "INCENTIVE"
    HOUSE_SUPERVISOR = "HOUSE_SUPERVISOR"
    AGENCY = "AGENCY"


class ClaimOutcome(StrEnum):
    AWARDED = "AWARDED"
    QUEUED = "QUEUED"
    REFUSED = "REFUSED"
    ALREADY_FILLED = "ALREADY_FILLED"
    # Eligible, but overtime: shown to the claimant first, awarded only once accepted.
    OVERTIME_NOT_ACCEPTED = "OVERTIME_NOT_ACCEPTED"
    # The charge nurse or manager cancelled the open shift.
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class UnitPolicy:
    """How a unit fills open shifts; defaults: award at once, overtime allowed."""

    award_mode: AwardMode = AwardMode.AUTO
    overtime: OvertimePolicy = OvertimePolicy.ALLOW


@dataclass(frozen=True)
class OpenShift:
    """A call-out or extra need on a unit's shift, open for claiming."""

    open_shift_id: str
    unit_id: str
    date: date
    shift: Shift
    role: Role
    slots: int
    slots_filled: int = 0
    reason: str = ""
    state: OpenShiftState = OpenShiftState.OPEN
    ladder_step: LadderStep = LadderStep.UNIT_STAFF
    slack_channel_id: str = ""
    slack_message_ts: str = ""
    awarded: tuple[tuple[str, str], ...] = ()  # (staff id, display name) in award order
    created_at: datetime | None = None
    created_by: str | None = None
    # When the shift reached its ladder step; None: still on the first step, since created_at.
    ladder_step_at: datetime | None = None
    # Who cancelled it (display name, Slack user) and when; set only in state CANCELLED.
    cancelled_at: datetime | None = None
    cancelled_by: str = ""
    cancelled_by_slack_user_id: str = ""


@dataclass(frozen=True)
class Finding:
    """One eligibility rule and whether the claimant passes it, in words a nurse understands."""

    rule: str
    passed: bool
    explanation: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only staffing audit log."""

    at: datetime
    action: str
    subject: str
    outcome: str
    actor_team_id: str = ""
    actor_user_id: str = ""
    actor_staff_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class QueuedClaim:
    """An eligible claim held for the charge nurse or manager to confirm, since `claimed_at`."""

    open_shift_id: str
    staff_id: str
    claimed_at: datetime
    overtime_hours: float = 0.0
