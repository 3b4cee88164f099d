"""A small ICU for supplies tests: three items, steady use, a manager and a director."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.supplies.model import Actor, Approver, Item, Receiver, Stock, Unit
from services.supplies.store import SuppliesStore

TEAM = "T0001"
LA = "America/Los_Angeles"
# 10:00 in California on 2026-11-26; consumption history ends the day before.
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
YESTERDAY = date(2026, 11, 25)

MANAGER = Actor(TEAM, "U_MGR")
DIRECTOR = Actor(TEAM, "U_DIR")
NURSE = Actor(TEAM, "U_RN")
CHARGE_NURSE = Actor(TEAM, "U_CN")  # ICU's charge nurse: receives deliveries, approves nothing
FOUR_WEST_CHARGE_NURSE = Actor(TEAM, "U_4W_CN")
MANAGER_LIMIT, DIRECTOR_LIMIT = 250_000, 2_500_000

# Steady use (no spread), so ROP = d·L exactly: CHG 10/day x 3 days = 30; vent 2/day x 5 = 10.
CHG = Item("CHG-CLOTH", "CHG bathing cloths", "pack", 24, 725, "Medline", 3, 0, True)
GLOVE = Item("GLOVE-NIT-M", "Nitrile gloves M", "box", 10, 740, "Medline", 2, 0, False)
VENT = Item("VENT-CIRCUIT", "Ventilator circuit, adult", "each", 1, 15_000, "Vyaire", 5, 0,
            True)
DAILY_USE = {"CHG-CLOTH": 10, "GLOVE-NIT-M": 5, "VENT-CIRCUIT": 2}


def populate(store: SuppliesStore) -> None:
    """ICU stocked above every reorder point; 4W with no stock; approvers for ICU only; a
    charge nurse on each unit who may receive its deliveries."""
    store.add_unit(Unit("ICU", "Intensive Care", "C_ICU", LA, 4_000_000))
    store.add_unit(Unit("4W", "4 West", "C_4W", LA, 1_000_000))
    for item in (CHG, GLOVE, VENT):
        store.add_item(item)
    store.set_stock(Stock("ICU", "CHG-CLOTH", par=80, on_hand=60))
    store.set_stock(Stock("ICU", "GLOVE-NIT-M", par=30, on_hand=25))
    store.set_stock(Stock("ICU", "VENT-CIRCUIT", par=30, on_hand=20))
    store.add_consumption(
        ("ICU", sku, YESTERDAY - timedelta(days=n), quantity)
        for sku, quantity in DAILY_USE.items() for n in range(90)
    )
    store.add_approver(Approver("ICU", "S-MGR", "Denise Okafor", TEAM, "U_MGR", MANAGER_LIMIT, 1))
    store.add_approver(Approver("ICU", "S-DIR", "Harold Jimenez", TEAM, "U_DIR", DIRECTOR_LIMIT,
                                2))
    store.add_receiver(Receiver("ICU", "S-CN", "Maya Castillo", TEAM, "U_CN"))
    store.add_receiver(Receiver("4W", "S-4W-CN", "Gloria Mendoza", TEAM, "U_4W_CN"))
