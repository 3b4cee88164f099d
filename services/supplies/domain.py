"""Reorder arithmetic (DESIGN.md, Supplies): demand from history, safety stock, ROP, EOQ, packs.

Pure functions of their inputs: dates are passed in, nothing reads a clock or a database.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.supplies.model import Item, RejectionHold, ReorderFigures, Stock

DEFAULT_WINDOW_DAYS = 90
# A unit set up without its opening day: a count or use dated before this is a slip of the year
# (1925 for 2025), not history of a unit that uses ClinOps.
EARLIEST_STOCK_DAY = date(1950, 1, 1)
# A rejection holds this long unless the manager picks otherwise (issue 16 §5): long enough that
# the hourly scan does not ask again, short enough that a real shortage comes back within a week.
DEFAULT_SNOOZE_DAYS, MAX_SNOOZE_DAYS = 7, 90
DAYS_PER_YEAR = 365
# Float noise must not turn 12.000000001 into 13 when rounding up to whole units.
_ROUNDING_SLACK = 1e-9


@dataclass(frozen=True)
class Demand:
    """Daily demand over a history window: mean and (population) standard deviation per day."""

    mean: float
    stddev: float
    days: int


@dataclass(frozen=True)
class UseTotals:
    """A location's use over a window as the database adds it up: days with use, Σq and Σq²."""

    days_used: int
    total: int
    total_squares: int


NO_USE = UseTotals(0, 0, 0)


def demand_from_totals(totals: UseTotals, *, window_days: int) -> Demand:
    """Mean and population spread of use per day from Σq and Σq² over `window_days` days.

    Days without use are zeros: they add nothing to either sum but count in the window. With
    whole quantities N·Σq² − (Σq)² is an exact integer, so the variance has no cancellation.
    """
    if window_days < 1:
        raise ValueError("the demand window needs at least one day")
    mean = totals.total / window_days
    variance = (window_days * totals.total_squares - totals.total**2) / window_days**2
    return Demand(mean, math.sqrt(max(variance, 0.0)), window_days)


def use_totals(history: Mapping[date, int], *, last_day: date, window_days: int) -> UseTotals:
    """The use inside the `window_days` days ending `last_day`, added up (the SQL's reference)."""
    first_day = last_day - timedelta(days=window_days - 1)
    used = [q for day, q in history.items() if first_day <= day <= last_day]
    return UseTotals(len(used), sum(used), sum(q * q for q in used))


def daily_demand(history: Mapping[date, int], *, last_day: date, window_days: int) -> Demand:
    """Mean and spread of use per day over the `window_days` days ending `last_day`.

    A day without a consumption record counts as zero: the cabinet records use, not idleness.
    The population deviation is used because the window is the whole period being described.
    """
    if window_days < 1:
        raise ValueError("the demand window needs at least one day")
    return demand_from_totals(use_totals(history, last_day=last_day, window_days=window_days),
                              window_days=window_days)


def z_score(service_level: float) -> float:
    """The standard normal quantile for a cycle service level (0.95 → 1.645)."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service level must be at least 0.5 and below 1")
    return statistics.NormalDist().inv_cdf(service_level)


def demand_during_lead_time_stddev(
    demand: Demand, lead_time_days: float, lead_time_stddev_days: float
) -> float:
    """σ = √(L·σ_d² + d²·σ_L²); with a fixed lead time (σ_L = 0) it is σ_d·√L."""
    return math.sqrt(
        lead_time_days * demand.stddev**2 + demand.mean**2 * lead_time_stddev_days**2
    )


def safety_stock(demand: Demand, lead_time_days: float, lead_time_stddev_days: float,
                 z: float) -> float:
    """SS = z·σ over the lead time (z·σ_d·√L when the lead time does not vary)."""
    return z * demand_during_lead_time_stddev(demand, lead_time_days, lead_time_stddev_days)


def round_up(quantity: float) -> int:
    """Up to a whole unit of issue, ignoring float noise."""
    return max(0, math.ceil(quantity - _ROUNDING_SLACK))


def round_up_to_pack(quantity: float, pack_size: int) -> int:
    """Up to whole units and then up to whole packs: nobody orders half a box."""
    if pack_size < 1:
        raise ValueError("pack size must be at least 1")
    units = round_up(quantity)
    return math.ceil(units / pack_size) * pack_size


def reorder_figures(
    item: Item, demand: Demand, *, fixed_reorder_point: int | None = None
) -> ReorderFigures:
    """ROP = d·L + SS, rounded up to whole units; a location's fixed ROP wins when set."""
    z = z_score(item.service_level)
    ss = safety_stock(demand, item.lead_time_days, item.lead_time_stddev_days, z)
    computed = round_up(demand.mean * item.lead_time_days + ss)
    return ReorderFigures(
        daily_demand_mean=demand.mean, daily_demand_stddev=demand.stddev,
        lead_time_days=item.lead_time_days, lead_time_stddev_days=item.lead_time_stddev_days,
        z=z, safety_stock=ss,
        reorder_point=computed if fixed_reorder_point is None else fixed_reorder_point,
        fixed=fixed_reorder_point is not None, history_days=demand.days,
    )


def economic_order_quantity(annual_demand: float, order_cost: float, holding_cost: float) -> float:
    """EOQ = √(2DS/H): D units a year, S per order, H per unit held for a year."""
    if holding_cost <= 0:
        raise ValueError("holding cost must be positive")
    if annual_demand <= 0 or order_cost <= 0:
        return 0.0
    return math.sqrt(2 * annual_demand * order_cost / holding_cost)


def eoq_applies(item: Item) -> bool:
    return item.use_eoq and item.order_cost_cents > 0 and item.holding_cost_cents_per_year > 0


def needs_reorder(stock: Stock, reorder_point: int) -> bool:
    """A reorder is proposed when inventory position (on hand + on order) ≤ ROP."""
    return stock.position <= reorder_point


def rearmed(stock: Stock, reorder_point: int) -> bool:
    """Stock back above ROP: an undecided line for it is withdrawn and the next dip alerts again."""
    return stock.position > reorder_point


def held(hold: RejectionHold | None, stock: Stock, now: datetime) -> bool:
    """A rejected location stays quiet until a count or receipt moves its position, or its
    snooze ends: the manager said no to this position, not to the item forever."""
    return hold is not None and stock.position == hold.position and now < hold.held_until


def order_quantity(item: Item, stock: Stock, figures: ReorderFigures) -> int:
    """How much to order: back up to par, or EOQ where configured; whole packs, never zero.

    With EOQ the order is at least what lifts the position above the reorder point, so one order
    always clears the alert.
    """
    if eoq_applies(item):
        eoq = economic_order_quantity(
            figures.daily_demand_mean * DAYS_PER_YEAR, item.order_cost_cents,
            item.holding_cost_cents_per_year,
        )
        wanted = max(eoq, figures.reorder_point + 1 - stock.position)
    else:
        wanted = max(stock.par - stock.position, figures.reorder_point + 1 - stock.position)
    return max(round_up_to_pack(wanted, item.pack_size), item.pack_size)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The instant the current month began at the facility (budgets are per calendar month)."""
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def facility_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()
