"""Writing each service's part of a site with that service's own store: insert or update, never
delete, and what changed counted per kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clinops.site.file import Site, SiteFileError, StaffIn, UnitIn, cents
from services.staffing import model as staffing_model
from services.staffing.model import Duty, Role, UnitCategory


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
        facility_id=u.facility, beds=u.beds) for u in site.units]


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
                      cents(unit.monthly_supply_budget), unit.facility, unit.opened)
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
