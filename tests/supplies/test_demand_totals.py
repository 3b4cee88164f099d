"""Daily demand added up by the database equals the Python reference, on SQLite and PostgreSQL.

The reorder scan asks the store for each location's days with use, Σq and Σq² over the window
instead of reading every consumption row; domain.daily_demand over the rows stays the reference.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from services.supplies import domain, usecases
from services.supplies.model import Item, Stock
from services.supplies.store import SuppliesStore
from tests.supplies.supplies_fixtures import NOW, YESTERDAY

WINDOW = 30
FIRST = YESTERDAY - timedelta(days=WINDOW - 1)


def sample_use(store: SuppliesStore) -> None:
    """Three more items on 4W: sparse use, a day of 1,000,000 (q² past 2³¹), none at all."""
    rng = random.Random(30)
    for sku in ("SPARSE", "BULK", "IDLE"):
        store.add_item(Item(sku, sku.title(), "each", 1, 100, "Bench", 2, 0.5, False))
        store.set_stock(Stock("4W", sku, par=50, on_hand=40))
    sparse = [("4W", "SPARSE", YESTERDAY - timedelta(days=n), rng.randint(0, 40))
              for n in range(WINDOW + 10) if rng.random() < 0.3]
    # Use before the window and today (not yet a whole day) must not count.
    edges = [("4W", "BULK", FIRST - timedelta(days=1), 999), ("4W", "BULK", FIRST, 7),
             ("4W", "BULK", YESTERDAY - timedelta(days=3), 1_000_000),
             ("4W", "BULK", YESTERDAY, 3), ("4W", "BULK", YESTERDAY + timedelta(days=1), 500),
             ("4W", "IDLE", FIRST - timedelta(days=5), 12)]
    store.add_consumption(sparse + edges)


def test_sql_totals_equal_the_python_reference_with_days_without_use_as_zeros(
    store: SuppliesStore,
) -> None:
    sample_use(store)
    history = store.consumption_history(FIRST - timedelta(days=30), YESTERDAY + timedelta(1))
    totals = store.use_totals(FIRST, YESTERDAY)
    locations = [(s.unit_id, s.sku) for s, _ in store.stock_with_items()]
    assert len(locations) == 6
    for location in locations:
        reference = domain.use_totals(history.get(location, {}), last_day=YESTERDAY,
                                      window_days=WINDOW)
        assert totals.get(location, domain.NO_USE) == reference, location
        assert domain.demand_from_totals(totals.get(location, domain.NO_USE),
                                         window_days=WINDOW) == domain.daily_demand(
            history.get(location, {}), last_day=YESTERDAY, window_days=WINDOW)
    # Worked by hand: 7 + 1,000,000 + 3 on 3 of 30 days; IDLE used only before the window.
    assert totals[("4W", "BULK")] == domain.UseTotals(3, 1_000_010, 49 + 10**12 + 9)
    assert ("4W", "IDLE") not in totals
    bulk = domain.demand_from_totals(totals[("4W", "BULK")], window_days=WINDOW)
    assert bulk.mean == pytest.approx(1_000_010 / 30)
    assert bulk.stddev == pytest.approx(179_505.4, abs=0.1)  # √(Σq²/30 − mean²)


def test_one_location_is_added_up_alone(store: SuppliesStore) -> None:
    sample_use(store)
    assert store.use_totals(FIRST, YESTERDAY, "4w", "bulk") == {
        ("4W", "BULK"): domain.UseTotals(3, 1_000_010, 49 + 10**12 + 9)}
    assert store.use_totals(FIRST, YESTERDAY, "ICU", "CHG-CLOTH") == {
        ("ICU", "CHG-CLOTH"): domain.UseTotals(30, 300, 3_000)}


def test_the_scan_reads_the_reorder_points_the_rows_give(store: SuppliesStore) -> None:
    sample_use(store)
    history = store.consumption_history(FIRST, YESTERDAY)
    levels = usecases.stock_levels(store=store, now=NOW, window_days=WINDOW)
    assert len(levels) == 6
    for level in levels:
        demand = domain.daily_demand(history.get((level.stock.unit_id, level.stock.sku), {}),
                                     last_day=YESTERDAY, window_days=WINDOW)
        assert level.figures == domain.reorder_figures(level.item, demand)
