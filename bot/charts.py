"""The weekly unit digest's pictures: numbers in, PNG bytes out (matplotlib, Agg backend).

Pure: no Slack, no services, no clock. Each chart is an aggregate a whole channel may see —
counts and percentages, never a name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# 8 x 4 inches at 100 dpi: readable in a Slack preview, small enough to upload quickly.
SIZE_INCHES = (8.0, 4.0)
DPI = 100
GAP_COLOUR = "#c0392b"
COVERED_COLOUR = "#27ae60"
SPEND_COLOUR = "#2c7fb8"


def _png(figure: Figure) -> bytes:
    # A Figure with its own Agg canvas: no pyplot global state, safe from any thread.
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def staffing_gap_chart(unit_id: str, shifts: Sequence[tuple[str, int | None]]) -> bytes:
    """Bars of the licensed-nurse shortfall per shift (label, gap; None = no census recorded)."""
    figure = Figure(figsize=SIZE_INCHES)
    axes = figure.add_subplot()
    labels = [label for label, _ in shifts]
    gaps = [gap or 0 for _, gap in shifts]
    colours = [GAP_COLOUR if (gap or 0) > 0 else COVERED_COLOUR for _, gap in shifts]
    axes.bar(range(len(labels)), gaps, color=colours)
    for index, (_, gap) in enumerate(shifts):
        if gap is None:
            axes.annotate("no census", (index, 0), ha="center", va="bottom", fontsize=7,
                          rotation=90, color="grey")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("staff short")
    axes.set_ylim(0, max([*gaps, 1]) + 1)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(f"{unit_id} — staffing gap by shift, past 7 days")
    return _png(figure)


def compliance_chart(unit_id: str, weeks: Sequence[tuple[date, float | None]]) -> bytes:
    """The share of staff with every required certification current, at each week's end."""
    figure = Figure(figsize=SIZE_INCHES)
    axes = figure.add_subplot()
    known = [(day, percent) for day, percent in weeks if percent is not None]
    axes.plot([d.isoformat()[5:] for d, _ in known], [p for _, p in known], marker="o",
              color=COVERED_COLOUR)
    axes.axhline(100, color="grey", linewidth=0.8, linestyle="--")
    axes.set_ylim(0, 105)
    axes.set_ylabel("% fully compliant")
    axes.set_title(f"{unit_id} — certification compliance, past 8 weeks")
    return _png(figure)


def spend_chart(unit_id: str, month: str, spent_cents: int, budget_cents: int) -> bytes:
    """One bar: approved spend this month against the unit's monthly budget line."""
    figure = Figure(figsize=SIZE_INCHES)
    axes = figure.add_subplot()
    spent = spent_cents / 100
    budget = budget_cents / 100
    over = budget_cents > 0 and spent_cents > budget_cents
    axes.barh([month], [spent], color=GAP_COLOUR if over else SPEND_COLOUR)
    if budget_cents > 0:
        axes.axvline(budget, color="black", linewidth=1.5)
        axes.annotate(f"budget ${budget:,.0f}", (budget, 0.3), ha="right", fontsize=8)
    axes.set_xlim(0, max(spent, budget, 1) * 1.15)
    axes.set_xlabel("US dollars")
    axes.set_title(f"{unit_id} — supply spend month to date: ${spent:,.0f}")
    return _png(figure)
