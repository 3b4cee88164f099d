"""The site file: its fields (pydantic models) and every check made before anything is written.

Each problem is named by its place in the file, e.g. "units[2].category: unknown category
'ICUU'; known: ...". docs/setup.md describes the file.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from clinops import phi_guard
from services.staffing.model import (
    AwardMode,
    Duty,
    EmploymentType,
    OvertimePolicy,
    Role,
    UnitCategory,
)

SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
SLACK_TEAM = re.compile(r"[TE][A-Z0-9]{2,}")
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
MAX_FILE_BYTES = 5 * 1024 * 1024

Money = Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=12)]
# Every service keeps a name in 128 characters (ids: facility and unit 16, staff and SKU 32):
# longer is refused here, naming the place, rather than failing half-way through the load on
# PostgreSQL (or being stored whole on SQLite and cut off elsewhere).
Name = Annotated[str, Field(min_length=1, max_length=128)]


class SiteFileError(Exception):
    """The site file cannot be used; each line of the message names a place and a problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _choice(kind: type, noun: str, value: Any) -> Any:
    text = str(value).strip().upper()
    try:
        return kind(text)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise ValueError(f"unknown {noun} {value!r}; known: {known}") from None


def _named(kind: type, noun: str) -> BeforeValidator:
    return BeforeValidator(lambda value: _choice(kind, noun, value))


CategoryName = Annotated[UnitCategory, _named(UnitCategory, "category")]
DutyName = Annotated[Duty, _named(Duty, "duty")]


def _slack(pattern: re.Pattern[str], noun: str, example: str, value: str) -> str:
    value = value.strip()
    if not pattern.fullmatch(value):
        raise ValueError(f"{value!r} is not a Slack {noun} id (like {example})")
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class FacilityIn(_Entry):
    id: str = Field(min_length=1, max_length=16)
    name: Name
    time_zone: str

    @field_validator("id")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (like America/Los_Angeles)"
                             ) from None
        return value


class GridStepIn(_Entry):
    role: Literal["CNA", "UNIT_CLERK"]
    census_from: int = Field(ge=0)
    census_to: int = Field(ge=0)
    count: int = Field(ge=0)


class ApproverIn(_Entry):
    staff: str = Field(min_length=1)
    spending_limit: Money
    order: int = Field(ge=1)


class ParIn(_Entry):
    sku: str = Field(min_length=1)
    par: int = Field(ge=0)
    reorder_point: int | None = Field(default=None, ge=0)

    @field_validator("sku")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class UnitIn(_Entry):
    id: str = Field(min_length=1, max_length=16)
    name: Name
    facility: str = Field(min_length=1)
    category: CategoryName
    slack_channel: str
    jurisdiction: str = "US-CA"
    patients_per_nurse: int | None = Field(default=None, ge=1)
    beds: int | None = Field(default=None, ge=1, le=2000)
    opened: date | None = None
    unlicensed_grid: tuple[GridStepIn, ...] = ()
    award_mode: AwardMode = AwardMode.AUTO
    overtime: OvertimePolicy = OvertimePolicy.ALLOW
    monthly_supply_budget: Money = Decimal(0)
    approvers: tuple[ApproverIn, ...] = ()
    # None: the unit's charge nurses (CHARGE duty, this home unit); [] : nobody but approvers.
    receivers: tuple[str, ...] | None = None
    par_levels: tuple[ParIn, ...] = ()

    @field_validator("id", "facility")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("award_mode", mode="before")
    @classmethod
    def _award(cls, value: Any) -> AwardMode:
        return _choice(AwardMode, "award mode", value)

    @field_validator("overtime", mode="before")
    @classmethod
    def _overtime(cls, value: Any) -> OvertimePolicy:
        return _choice(OvertimePolicy, "overtime policy", value)

    @field_validator("slack_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _slack(SLACK_CHANNEL, "channel", "C0ICU0001", value)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", value.upper()):
            raise ValueError(f"{value!r} is not a jurisdiction like US-CA")
        return value.upper()


class StaffIn(_Entry):
    id: str = Field(min_length=1, max_length=32)
    name: Name
    role: Role
    employment: EmploymentType = EmploymentType.UNIT_STAFF
    home_unit: str | None = None
    slack_team: str
    slack_user: str
    duties: tuple[DutyName, ...] = ()
    oriented_categories: tuple[CategoryName, ...] = ()

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Role:
        return _choice(Role, "role", value)

    @field_validator("employment", mode="before")
    @classmethod
    def _employment(cls, value: Any) -> EmploymentType:
        return _choice(EmploymentType, "employment type", value)

    @field_validator("home_unit")
    @classmethod
    def _home(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @field_validator("slack_team")
    @classmethod
    def _team(cls, value: str) -> str:
        return _slack(SLACK_TEAM, "team", "T0CLINOPS", value)

    @field_validator("slack_user")
    @classmethod
    def _user(cls, value: str) -> str:
        return _slack(SLACK_USER, "user", "U0ICU001", value)


class ItemIn(_Entry):
    sku: str = Field(min_length=1, max_length=32)
    name: Name
    unit_of_issue: str = Field(default="each", min_length=1, max_length=16)
    pack_size: int = Field(default=1, ge=1)
    unit_cost: Money = Decimal(0)
    supplier: str = Field(default="", max_length=64)
    lead_time_days: float = Field(default=1.0, gt=0)
    lead_time_stddev_days: float = Field(default=0.0, ge=0)
    critical: bool = False
    substitutes: tuple[str, ...] = ()

    @field_validator("sku")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Site(_Entry):
    facilities: tuple[FacilityIn, ...] = Field(min_length=1)
    units: tuple[UnitIn, ...] = Field(min_length=1)
    staff: tuple[StaffIn, ...] = ()
    items: tuple[ItemIn, ...] = ()


def cents(amount: Decimal) -> int:
    return int(amount * 100)


# ---- reading and checking --------------------------------------------------------------------

def _place(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the file"


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        if item.get("type") == "missing":
            message = "is missing"
        elif item.get("type") == "extra_forbidden":
            message = "is not a field of the site file (docs/setup.md lists them)"
        problems.append(f"{_place(item.get('loc', ()))}: {message}")
    return problems


def _duplicates(entries: Iterable[tuple[int, str]], where: str, noun: str) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for index, key in entries:
        if key in seen:
            problems.append(f"{where}[{index}].{noun}: {key!r} is also {where}[{seen[key]}]")
        else:
            seen[key] = index
    return problems


def cross_check(site: Site) -> list[str]:
    """Problems between entries: duplicate ids, and references to what the file does not hold."""
    problems = _duplicates(((i, f.id) for i, f in enumerate(site.facilities)), "facilities", "id")
    problems += _duplicates(((i, u.id) for i, u in enumerate(site.units)), "units", "id")
    problems += _duplicates(((i, s.id) for i, s in enumerate(site.staff)), "staff", "id")
    problems += _duplicates(((i, f"{s.slack_team}:{s.slack_user}") for i, s in
                             enumerate(site.staff)), "staff", "slack_user")
    problems += _duplicates(((i, item.sku) for i, item in enumerate(site.items)), "items", "sku")
    facilities = {f.id for f in site.facilities}
    units = {u.id for u in site.units}
    staff = {s.id: s for s in site.staff}
    skus = {item.sku for item in site.items}

    def unknown(noun: str, value: str, known: Iterable[str]) -> str:
        listed = ", ".join(sorted(known)) or f"no {noun} in the file"
        return f"unknown {noun} {value!r}; known: {listed}"

    for i, unit in enumerate(site.units):
        here = f"units[{i}]"
        if unit.facility not in facilities:
            problems.append(f"{here}.facility: {unknown('facility', unit.facility, facilities)}")
        for j, step in enumerate(unit.unlicensed_grid):
            if step.census_to < step.census_from:
                problems.append(f"{here}.unlicensed_grid[{j}].census_to: {step.census_to} is "
                                f"below census_from {step.census_from}")
        problems += _duplicates(((j, a.staff) for j, a in enumerate(unit.approvers)),
                                f"{here}.approvers", "staff")
        problems += _duplicates(((j, str(a.order)) for j, a in enumerate(unit.approvers)),
                                f"{here}.approvers", "order")
        for j, approver in enumerate(unit.approvers):
            if approver.staff not in staff:
                problems.append(f"{here}.approvers[{j}].staff: "
                                f"{unknown('staff id', approver.staff, staff)}")
        for j, receiver in enumerate(unit.receivers or ()):
            if receiver not in staff:
                problems.append(f"{here}.receivers[{j}]: {unknown('staff id', receiver, staff)}")
        problems += _duplicates(((j, p.sku) for j, p in enumerate(unit.par_levels)),
                                f"{here}.par_levels", "sku")
        for j, par in enumerate(unit.par_levels):
            if par.sku not in skus:
                problems.append(f"{here}.par_levels[{j}].sku: {unknown('sku', par.sku, skus)}")
    for i, member in enumerate(site.staff):
        if member.home_unit and member.home_unit not in units:
            problems.append(f"staff[{i}].home_unit: {unknown('unit', member.home_unit, units)}")
    for i, item in enumerate(site.items):
        for j, substitute in enumerate(item.substitutes):
            if substitute.upper() not in skus:
                problems.append(f"items[{i}].substitutes[{j}]: "
                                f"{unknown('sku', substitute, skus)}")
    return problems


def read_site(content: bytes, name: str = "the site file") -> Site:
    """The site the file describes; SiteFileError names every problem found."""
    if len(content) > MAX_FILE_BYTES:
        raise SiteFileError([f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"])
    try:
        document = yaml.safe_load(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SiteFileError([f"{name} is not UTF-8 text"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SiteFileError([f"{name} is not valid YAML{where}: "
                             f"{getattr(error, 'problem', None) or error}"]) from None
    if not isinstance(document, dict):
        raise SiteFileError([f"{name} is not a YAML mapping with facilities, units, staff "
                             "and items (docs/setup.md)"])
    try:
        site = Site.model_validate(document)
    except ValidationError as error:
        raise SiteFileError(_pydantic_problems(error)) from None
    problems = cross_check(site) + patient_identifiers(site)
    if problems:
        raise SiteFileError(problems)
    return site


def patient_identifiers(site: Site) -> list[str]:
    """Names of things that would be posted and stored, refused when they look like a patient
    identifier (clinops.phi_guard). Staff names are the workforce's own and are not checked."""
    texts = [(f"facilities[{i}].name", f.name) for i, f in enumerate(site.facilities)]
    texts += [(f"units[{i}].name", u.name) for i, u in enumerate(site.units)]
    for i, item in enumerate(site.items):
        texts += [(f"items[{i}].{field}", getattr(item, field))
                  for field in ("name", "unit_of_issue", "supplier")]
    return [f"{place}: {why}" for place, why in phi_guard.violations(dict(texts)).items()]
