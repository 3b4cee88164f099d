"""Reorder arithmetic against figures worked by hand (DESIGN.md, Supplies)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from services.supplies import domain
from services.supplies.domain import Demand
from services.supplies.model import Item, Stock

Z95 = 1.6448536269514722  # the 95th percentile of the standard normal


def item(**overrides) -> Item:  # noqa: ANN003
    fields = dict(sku="X", name="X", pack_size=1, lead_time_days=4, lead_time_stddev_days=0)
    return Item(**{**fields, **overrides})


def test_ninety_five_percent_service_level_gives_z_of_1_645() -> None:
    assert domain.z_score(0.95) == pytest.approx(1.645, abs=5e-4)
    assert domain.z_score(0.99) == pytest.approx(2.326, abs=5e-4)
    with pytest.raises(ValueError):
        domain.z_score(1.0)


def test_days_without_consumption_count_as_zero_in_the_window() -> None:
    last = date(2026, 11, 25)
    history = {last - timedelta(days=3): 10, last - timedelta(days=1): 20,
               last - timedelta(days=9): 500}  # outside the 4-day window
    demand = domain.daily_demand(history, last_day=last, window_days=4)
    # [10, 0, 20, 0]: mean 7.5; squared deviations 6.25 + 56.25 + 156.25 + 56.25 = 275; / 4
    assert demand.mean == pytest.approx(7.5)
    assert demand.stddev == pytest.approx(math.sqrt(68.75))
    assert demand.days == 4


def test_safety_stock_is_z_times_daily_spread_times_root_lead_time() -> None:
    # d = 10/day, σ_d = 3, L = 4 days: SS = 1.6449 × 3 × 2 = 9.869; ROP = 40 + 9.869 → 50
    demand = Demand(10, 3, 90)
    assert domain.safety_stock(demand, 4, 0, Z95) == pytest.approx(9.8691, abs=1e-4)
    figures = domain.reorder_figures(item(), demand)
    assert figures.safety_stock == pytest.approx(9.8691, abs=1e-4)
    assert figures.reorder_point == 50
    assert figures.z == pytest.approx(Z95)
    assert not figures.fixed


def test_variable_lead_time_widens_the_spread_over_the_lead_time() -> None:
    # σ = √(L·σ_d² + d²·σ_L²) = √(4·9 + 100·1) = √136 = 11.662; SS = 19.182; ROP 59.18 → 60
    demand = Demand(10, 3, 90)
    assert domain.demand_during_lead_time_stddev(demand, 4, 1) == pytest.approx(math.sqrt(136))
    figures = domain.reorder_figures(item(lead_time_stddev_days=1), demand)
    assert figures.safety_stock == pytest.approx(19.182, abs=1e-3)
    assert figures.reorder_point == 60


def test_a_fixed_reorder_point_wins_over_history_and_says_so() -> None:
    figures = domain.reorder_figures(item(), Demand(10, 3, 90), fixed_reorder_point=12)
    assert (figures.reorder_point, figures.fixed) == (12, True)


def test_quantities_round_up_to_whole_units_then_whole_packs() -> None:
    assert domain.round_up_to_pack(45, 50) == 50
    assert domain.round_up_to_pack(50, 50) == 50
    assert domain.round_up_to_pack(51, 50) == 100
    assert domain.round_up_to_pack(0.2, 1) == 1
    assert domain.round_up_to_pack(0, 24) == 0
    assert domain.round_up(12.000000000001) == 12  # float noise is not a thirteenth unit


def test_order_brings_position_back_to_par_in_whole_packs() -> None:
    stock = Stock("ICU", "X", par=100, on_hand=20, on_order=10)
    figures = domain.reorder_figures(item(pack_size=25), Demand(10, 0, 90))  # ROP 40
    assert domain.needs_reorder(stock, figures.reorder_point)
    assert domain.order_quantity(item(pack_size=25), stock, figures) == 75  # 70 → 3 packs


def test_eoq_is_root_of_two_d_s_over_h_and_orders_whole_packs() -> None:
    # Textbook: D = 1,000 a year, S = $10 an order, H = $0.50 a unit-year → EOQ 200
    assert domain.economic_order_quantity(1000, 1000, 50) == pytest.approx(200)
    eoq_item = item(pack_size=12, use_eoq=True, order_cost_cents=1000,
                    holding_cost_cents_per_year=50)
    figures = domain.reorder_figures(eoq_item, Demand(1000 / 365, 0, 90))
    stock = Stock("ICU", "X", par=5, on_hand=0)
    assert domain.order_quantity(eoq_item, stock, figures) == 204  # 200 → 17 packs of 12


def test_eoq_is_ignored_unless_both_costs_are_configured() -> None:
    half = item(use_eoq=True, order_cost_cents=1000)
    figures = domain.reorder_figures(half, Demand(1, 0, 90))  # ROP 4
    assert domain.order_quantity(half, Stock("ICU", "X", par=10, on_hand=2), figures) == 8


def test_no_consumption_history_means_reorder_only_when_empty() -> None:
    demand = domain.daily_demand({}, last_day=date(2026, 11, 25), window_days=90)
    assert (demand.mean, demand.stddev) == (0, 0)
    figures = domain.reorder_figures(item(), demand)
    assert figures.reorder_point == 0 and figures.safety_stock == 0
    assert domain.needs_reorder(Stock("ICU", "X", par=5, on_hand=0), 0)
    assert not domain.needs_reorder(Stock("ICU", "X", par=5, on_hand=1), 0)
    assert domain.order_quantity(item(), Stock("ICU", "X", par=5, on_hand=0), figures) == 5


def test_position_at_the_reorder_point_proposes_and_only_above_it_re_arms() -> None:
    at = Stock("ICU", "X", par=80, on_hand=20, on_order=10)
    assert domain.needs_reorder(at, 30) and not domain.rearmed(at, 30)
    above = Stock("ICU", "X", par=80, on_hand=21, on_order=10)
    assert domain.rearmed(above, 30) and not domain.needs_reorder(above, 30)


def test_the_budget_month_starts_at_midnight_at_the_facility() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Los_Angeles")
    # 07:30 UTC on 1 December is still 30 November in California.
    start = domain.month_start(datetime(2026, 12, 1, 7, 30, tzinfo=UTC), zone)
    assert start == datetime(2026, 11, 1, tzinfo=zone)
