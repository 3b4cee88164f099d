"""Load the demo hospital's supplies (clinops.demo.hospital) into a supplies store."""

from __future__ import annotations

from typing import Any

from clinops import sql
from services.supplies.model import Approver, Item, Receiver, Stock, Unit
from services.supplies.store import SuppliesStore

# A unit manager signs for routine restocking; bigger orders go up to the house supervisor, who
# stands in for the director of nursing in the demo. Figures are illustrative, in cents.
MANAGER_LIMIT_CENTS = 250_000
DIRECTOR_LIMIT_CENTS = 2_500_000
MONTHLY_BUDGET_CENTS = 4_000_000


def _seed_demo(store: SuppliesStore, hospital: Any) -> None:
    """Units with budgets, items, stock, 90 days of consumption, approvers and receivers."""
    for unit in hospital.units:
        store.add_unit(Unit(unit.unit_id, unit.name, unit.slack_channel_id, unit.time_zone,
                            MONTHLY_BUDGET_CENTS, getattr(unit, "facility_id", "")))
    for item in hospital.items:
        store.add_item(Item(
            sku=item.sku, name=item.name, unit_of_issue=item.unit_of_issue,
            pack_size=item.pack_size, unit_cost_cents=item.unit_cost_cents,
            supplier=item.supplier, lead_time_days=float(item.lead_time_days),
            lead_time_stddev_days=float(item.lead_time_stddev_days), critical=item.critical,
            substitute_skus=tuple(item.substitute_skus),
        ))
    for stock in hospital.stock:
        store.set_stock(Stock(stock.unit_id, stock.sku, stock.par, stock.on_hand,
                              stock.on_order))
    store.add_consumption((c.unit_id, c.sku, c.date, c.quantity) for c in hospital.consumption)
    director = next((s for s in hospital.staff if "SUPERVISOR" in s.duties), None)
    unit_ids = {unit.unit_id for unit in hospital.units}
    for member in hospital.staff:
        if "MANAGER" in member.duties and member.home_unit_id in unit_ids:
            store.add_approver(Approver(member.home_unit_id, member.staff_id,
                                        member.display_name, member.slack_team_id,
                                        member.slack_user_id, MANAGER_LIMIT_CENTS, 1))
        # Charge nurses sign for the unit's deliveries; they do not approve its spending.
        if "CHARGE" in member.duties and member.home_unit_id in unit_ids:
            store.add_receiver(Receiver(member.home_unit_id, member.staff_id,
                                        member.display_name, member.slack_team_id,
                                        member.slack_user_id, "CHARGE_NURSE"))
    if director is not None:
        for unit_id in sorted(unit_ids):
            store.add_approver(Approver(unit_id, director.staff_id, director.display_name,
                                        director.slack_team_id, director.slack_user_id,
                                        DIRECTOR_LIMIT_CENTS, 2))


def seed_demo(store: SuppliesStore, hospital: Any) -> None:
    """The demo hospital in one transaction: a commit per row made the seed take seconds."""
    with sql.one_transaction(store.engine):
        _seed_demo(store, hospital)
