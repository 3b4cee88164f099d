"""`clinops setup SITE.yml`: a hospital's own facilities, units, staff and supplies, loaded into
each service's database with that service's own store.

The file is checked whole before anything is written: every problem is named by its place
("units[2].category: ..."), and with any problem nothing is written. Loading the same file again
changes nothing; what the database holds and the file does not name is left as it is (setup never
deletes). docs/setup.md describes the file.
"""

from __future__ import annotations

import argparse
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
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

from services.staffing import model as staffing_model
from services.staffing.model import (
    AwardMode,
    Duty,
    EmploymentType,
    OvertimePolicy,
    Role,
    UnitCategory,
)

SERVICES = ("staffing", "supplies", "training")
SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")
SLACK_TEAM = re.compile(r"[TE][A-Z0-9]{2,}")
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
MAX_FILE_BYTES = 5 * 1024 * 1024

Money = Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=12)]


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
    id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
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
    id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    facility: str = Field(min_length=1)
    category: CategoryName
    slack_channel: str
    jurisdiction: str = "US-CA"
    patients_per_nurse: int | None = Field(default=None, ge=1)
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
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
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
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    unit_of_issue: str = "each"
    pack_size: int = Field(default=1, ge=1)
    unit_cost: Money = Decimal(0)
    supplier: str = ""
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
    problems = cross_check(site)
    if problems:
        raise SiteFileError(problems)
    return site


# ---- writing: what changes, per kind ---------------------------------------------------------

@dataclass
class Tally:
    """What loading did to one kind of thing in one service."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    left: list[str] = field(default_factory=list)  # in the database, not in the file

    def count(self, before: object, after: object) -> bool:
        """Count one entry; True when it must be written."""
        if before is None:
            self.added += 1
        elif before != after:
            self.updated += 1
        else:
            self.unchanged += 1
            return False
        return True

    def line(self, service: str, kind: str) -> str:
        text = (f"{service} {kind}: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged")
        if self.left:
            text += f"; left as is (not in the file): {', '.join(self.left)}"
        return text


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def add(self, service: str, tallies: dict[str, Tally]) -> None:
        self.lines += [tally.line(service, kind) for kind, tally in tallies.items()]


def _zone_of(site: Site) -> dict[str, str]:
    return {f.id: f.time_zone for f in site.facilities}


def staffing_units(site: Site) -> list[staffing_model.Unit]:
    zones = _zone_of(site)
    return [staffing_model.Unit(
        unit_id=u.id, name=u.name, category=u.category, slack_channel_id=u.slack_channel,
        time_zone=zones[u.facility], jurisdiction=u.jurisdiction,
        patients_per_nurse_override=u.patients_per_nurse,
        unlicensed_grid=tuple(staffing_model.GridStep(Role(s.role), s.census_from, s.census_to,
                                                      s.count) for s in u.unlicensed_grid),
        facility_id=u.facility) for u in site.units]


def staffing_staff(site: Site) -> list[staffing_model.StaffMember]:
    # Stored duties and orientations come back in the enums' order, without repeats.
    return [staffing_model.StaffMember(
        staff_id=s.id, display_name=s.name, role=s.role, employment_type=s.employment,
        home_unit_id=s.home_unit, slack_team_id=s.slack_team, slack_user_id=s.slack_user,
        duties=tuple(sorted(set(s.duties), key=list(Duty).index)),
        oriented_categories=tuple(sorted(set(s.oriented_categories),
                                         key=list(UnitCategory).index)),
    ) for s in site.staff]


def load_staffing(site: Site, store: Any) -> dict[str, Tally]:
    """Facilities, units (with their open-shift policy) and the staff directory."""
    from services.staffing.errors import NoRatioRule
    from services.staffing.model import Facility, UnitPolicy

    problems = []
    for i, unit in enumerate(site.units):
        try:
            store.ratio_rule(unit.jurisdiction, unit.category)
        except NoRatioRule:
            problems.append(f"units[{i}].jurisdiction: the ratio table has no "
                            f"{unit.jurisdiction} rule for {unit.category.value}")
    existing = {f.facility_id: f for f in store.list_facilities()}
    units_before = {u.unit_id: u for u in store.list_units()}
    for i, facility in enumerate(site.facilities):
        before = existing.get(facility.id)
        if before is not None and before.time_zone != facility.time_zone and any(
                u.facility_id == facility.id for u in units_before.values()):
            problems.append(f"facilities[{i}].time_zone: facility {facility.id} already has "
                            f"units in {before.time_zone}; its zone cannot change")
    if problems:
        raise SiteFileError(problems)
    tallies = {kind: Tally() for kind in ("facilities", "units", "staff")}
    for facility in site.facilities:
        wanted = Facility(facility.id, facility.name, facility.time_zone)
        if tallies["facilities"].count(existing.get(facility.id), wanted):
            store.add_facility(wanted)
    for unit, wanted in zip(site.units, staffing_units(site), strict=True):
        policy = UnitPolicy(unit.award_mode, unit.overtime)
        before = units_before.get(unit.id)
        before_policy = store.unit_policy(unit.id) if before is not None else None
        if tallies["units"].count(before and (before, before_policy), (wanted, policy)):
            store.add_unit(wanted)
            store.set_unit_policy(unit.id, policy)
    staff_before = {m.staff_id: m for m in store.list_staff()}
    for wanted in staffing_staff(site):
        if tallies["staff"].count(staff_before.get(wanted.staff_id), wanted):
            store.add_staff(wanted)
    tallies["facilities"].left = sorted(set(existing) - {f.id for f in site.facilities})
    tallies["units"].left = sorted(set(units_before) - {u.id for u in site.units})
    tallies["staff"].left = sorted(set(staff_before) - {s.id for s in site.staff})
    return tallies


def load_supplies(site: Site, store: Any, *, now: datetime) -> dict[str, Tally]:
    """Units with budgets, the catalogue, par levels, approvers and receivers."""
    from services.supplies.model import Actor, Approver, Item, Receiver, Unit
    from services.supplies.store import AuditEntry

    zones = _zone_of(site)
    staff = {s.id: s for s in site.staff}
    tallies = {kind: Tally() for kind in
               ("units", "items", "par levels", "approvers", "receivers")}
    units_before = {u.unit_id: u for u in store.list_units()}
    for unit in site.units:
        wanted = Unit(unit.id, unit.name, unit.slack_channel, zones[unit.facility],
                      cents(unit.monthly_supply_budget), unit.facility)
        if tallies["units"].count(units_before.get(unit.id), wanted):
            store.add_unit(wanted)
    items_before = {i.sku: i for i in store.list_items()}
    for item in site.items:
        wanted_item = Item(
            sku=item.sku, name=item.name, unit_of_issue=item.unit_of_issue,
            pack_size=item.pack_size, unit_cost_cents=cents(item.unit_cost),
            supplier=item.supplier, lead_time_days=item.lead_time_days,
            lead_time_stddev_days=item.lead_time_stddev_days, critical=item.critical,
            substitute_skus=tuple(s.upper() for s in item.substitutes))
        before_item = items_before.get(item.sku)
        # Service level and EOQ settings are not in the file: keep what the catalogue has.
        if before_item is not None:
            wanted_item = Item(**{**wanted_item.__dict__, **{
                k: getattr(before_item, k) for k in ("service_level", "use_eoq",
                                                     "order_cost_cents",
                                                     "holding_cost_cents_per_year")}})
        if tallies["items"].count(before_item, wanted_item):
            store.add_item(wanted_item)
    actor = Actor(staff_id="", display_name="clinops setup")
    in_file = {(u.id, p.sku) for u in site.units for p in u.par_levels}
    stock_before = {(s.unit_id, s.sku): s for s, _ in store.stock_with_items()}
    for unit in site.units:
        for par in unit.par_levels:
            before_stock = stock_before.get((unit.id, par.sku))
            if tallies["par levels"].count(
                    before_stock and (before_stock.par, before_stock.fixed_reorder_point),
                    (par.par, par.reorder_point)):
                store.set_par(unit.id, par.sku, par.par, par.reorder_point, audit=AuditEntry(
                    now, actor, "SET_PAR", f"{unit.id} {par.sku}", "SET",
                    f"par {par.par}, reorder point {par.reorder_point or 'from use'}"))
        before_approvers = {a.staff_id: a for a in store.approvers(unit.id)}
        for approver in unit.approvers:
            person = staff[approver.staff]
            wanted_approver = Approver(unit.id, person.id, person.name, person.slack_team,
                                       person.slack_user, cents(approver.spending_limit),
                                       approver.order)
            if tallies["approvers"].count(before_approvers.get(person.id), wanted_approver):
                store.add_approver(wanted_approver)
        tallies["approvers"].left += [f"{unit.id} {a}" for a in sorted(
            set(before_approvers) - {a.staff for a in unit.approvers})]
        before_receivers = {r.staff_id: r for r in store.receivers(unit.id)}
        for person in receivers_of(site, unit):
            wanted_receiver = Receiver(unit.id, person.id, person.name, person.slack_team,
                                       person.slack_user, "CHARGE_NURSE")
            if tallies["receivers"].count(before_receivers.get(person.id), wanted_receiver):
                store.add_receiver(wanted_receiver)
        tallies["receivers"].left += [f"{unit.id} {r}" for r in sorted(
            set(before_receivers) - {p.id for p in receivers_of(site, unit)})]
    tallies["units"].left = sorted(set(units_before) - {u.id for u in site.units})
    tallies["items"].left = sorted(set(items_before) - {i.sku for i in site.items})
    tallies["par levels"].left = [f"{u} {s}" for u, s in sorted(set(stock_before) - in_file)]
    return tallies


def receivers_of(site: Site, unit: UnitIn) -> list[StaffIn]:
    """Who signs for the unit's deliveries: those named, else its charge nurses."""
    if unit.receivers is not None:
        staff = {s.id: s for s in site.staff}
        return [staff[r] for r in dict.fromkeys(unit.receivers)]
    return [s for s in site.staff if s.home_unit == unit.id and Duty.CHARGE in s.duties]


def load_training(site: Site, store: Any) -> dict[str, Tally]:
    """Units (for requirements by category) and training's own copy of the roster."""
    from services.training.model import StaffMember, Unit

    zones = _zone_of(site)
    tallies = {kind: Tally() for kind in ("units", "staff")}
    units_before = {u.unit_id: u for u in store.list_units()}
    for unit in site.units:
        wanted = Unit(unit.id, unit.name, unit.category.value, unit.facility,
                      zones[unit.facility])
        if tallies["units"].count(units_before.get(unit.id), wanted):
            store.add_unit(wanted)
    staff_before = store.find_staff(s.id for s in site.staff)
    for member in site.staff:
        wanted_member = StaffMember(
            staff_id=member.id, display_name=member.name, role=member.role.value,
            home_unit_id=member.home_unit, slack_team_id=member.slack_team,
            slack_user_id=member.slack_user,
            duties=tuple(dict.fromkeys(d.value for d in member.duties)))
        before = staff_before.get(member.id)
        comparable = before and StaffMember(**{**before.__dict__, "unit_category": ""})
        if tallies["staff"].count(comparable, wanted_member):
            store.add_staff(wanted_member)
    tallies["units"].left = sorted(set(units_before) - {u.id for u in site.units})
    return tallies


# ---- the command -----------------------------------------------------------------------------

def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _open_store(service: str) -> tuple[Any, str]:
    """The service's store on the database its settings name (migrated first), and that name."""
    if service == "staffing":
        from services.staffing.config import StaffingSettings
        from services.staffing.store import StaffingStore, migrate

        url = StaffingSettings().database_url
        migrate(url)
        return StaffingStore.open(url), _shown(url)
    if service == "supplies":
        from services.supplies.config import SuppliesSettings
        from services.supplies.store import SuppliesStore
        from services.supplies.store import migrate as migrate_supplies

        url = SuppliesSettings().database_url
        migrate_supplies(url)
        return SuppliesStore.open(url), _shown(url)
    from services.training.config import TrainingSettings
    from services.training.store import TrainingStore
    from services.training.store import migrate as migrate_training

    url = TrainingSettings().database_url
    migrate_training(url)
    return TrainingStore.open(url), _shown(url)


def load(site: Site, service: str, store: Any, *, now: datetime) -> dict[str, Tally]:
    """Write the service's part of the site with its store; the counts per kind."""
    if service == "staffing":
        return load_staffing(site, store)
    if service == "supplies":
        return load_supplies(site, store, now=now)
    return load_training(site, store)


def run(path: Path, services: Sequence[str], *,
        now: datetime | None = None) -> tuple[bool, list[str]]:
    """Check the file, then load each service's part; (written, lines to print)."""
    try:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise SiteFileError([f"cannot read {path}: {error.strerror or error}"]) from None
        site = read_site(content, path.name)
    except SiteFileError as error:
        return False, [*error.problems, "nothing was written"]
    report = Report()
    # Staffing first: its checks against the database (ratio table, facility zones) come
    # before the other services are written.
    for service in [s for s in SERVICES if s in services]:
        store, database = _open_store(service)
        report.lines.append(f"{service} database: {database}")
        try:
            report.add(service, load(site, service, store, now=now or datetime.now(UTC)))
        except SiteFileError as error:
            return False, [*report.lines, *(f"{service}: {p}" for p in error.problems),
                           f"nothing was written to {service}"]
        finally:
            store.close()
    return True, report.lines


def main(args: argparse.Namespace, *, out: Callable[[str], None] = print) -> int:
    """Print what loading did; 0 when loaded, 1 when the file was refused."""
    ok, lines = run(args.file, args.service or SERVICES)
    for line in lines:
        out(line)
    return 0 if ok else 1
