"""The demo hospital's supplies, seeded and scanned: the deliberately low rows are proposed."""

from __future__ import annotations

from datetime import date

from clinops.clock import fixed_clock
from clinops.demo.hospital import build_hospital
from services.supplies import usecases
from services.supplies.seed import DIRECTOR_LIMIT_CENTS, MANAGER_LIMIT_CENTS, seed_demo
from services.supplies.store import SuppliesStore, migrate
from tests.supplies.supplies_fixtures import NOW


def test_the_demo_hospital_seeds_approvers_and_its_low_stock_is_proposed(
        database_url: str) -> None:
    migrate(database_url)
    store = SuppliesStore.open(database_url)
    seed_demo(store, build_hospital(date(2026, 11, 26)))
    chain = store.approvers("ICU")
    assert [(a.display_name, a.limit_cents) for a in chain] == [
        ("Denise Okafor", MANAGER_LIMIT_CENTS), ("Harold Jimenez", DIRECTOR_LIMIT_CENTS)]
    proposals = usecases.scan_reorders(store=store, clock=fixed_clock(NOW))
    proposed = {(p.unit_id, line.sku) for p in proposals for line in p.lines}
    # The demo's "low" rows; its "ordered" rows are covered by what is already on order.
    assert proposed == {("ICU", "CHG-CLOTH"), ("5T", "ECG-ELECTRODE"), ("4W", "GLOVE-NIT-M"),
                        ("ED", "IVCATH-20G")}
    assert all(p.monthly_budget_cents > 0 for p in proposals)
    store.close()
