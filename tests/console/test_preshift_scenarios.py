"""The pre-shift alert in `clinops demo`: with nothing reported, moving the clock to two hours
before the next shift that is short posts that unit's remaining gap once; five minutes later the
job runs again and posts nothing.

The demo starts at the real time of day, so the test works out how far to move from the facility
clock: tonight's 19:00 night shift (4W is one licensed nurse short) when it is not yet 17:00 at
the facility, else tomorrow's 07:00 day shift (L&D is short)."""

import math
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinops.demo.hospital import DEMO_TIME_ZONE

HOURS_BEFORE = timedelta(hours=2)  # SchedulerSettings.preshift_hours


def plan(now: datetime) -> tuple[int, str, str]:
    """Whole hours to tick, and the unit and shift words the alert must name."""
    tonight = datetime.combine(now.date(), time(19), tzinfo=now.tzinfo)
    if now < tonight - HOURS_BEFORE:
        start, unit, words = tonight, "4W", f"Night shift {now.date().isoformat()}"
    else:
        tomorrow = now.date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(7), tzinfo=now.tzinfo)
        unit, words = "LD", f"Day shift {tomorrow.isoformat()}"
    # Whole hours land within [start - 2 h, start - 1 h): inside the alert's window.
    hours = max(1, math.ceil((start - HOURS_BEFORE - now) / timedelta(hours=1)))
    return hours, unit, words


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> tuple[str, str, str]:  # noqa: ANN001
    hours, unit, words = plan(datetime.now(ZoneInfo(DEMO_TIME_ZONE)))
    script = f"tick +{hours}h\ntick +5m\n"
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True,
                            cwd=Path(tmp_path_factory.mktemp("demo")), timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout, unit, words


def alerts(text: str) -> list[str]:
    return [line for line in text.splitlines() if "starts within 2 h and is still short" in line]


def test_two_hours_before_the_shift_its_remaining_gap_is_posted_once(scenario) -> None:  # noqa: ANN001
    out, unit, words = scenario
    first = out.split("Demo clock: ")[1]
    [alert] = [line for line in alerts(first) if line.startswith(f"⚠ {unit} — ")]
    assert words in alert and "Licensed nurse" in alert
    assert len(alerts(first)) == len(set(alerts(first)))


def test_five_minutes_later_the_same_gap_is_not_posted_again(scenario) -> None:  # noqa: ANN001
    out, _, _ = scenario
    again = out.split("Demo clock: ")[2]
    assert "Ran pre-shift gap alert" in again
    assert alerts(again) == []


def test_the_plan_lands_inside_the_alert_window() -> None:
    zone = ZoneInfo(DEMO_TIME_ZONE)
    for clock, unit in ((time(8, 0), "4W"), (time(16, 59), "4W"), (time(17, 30), "LD"),
                        (time(23, 10), "LD")):
        now = datetime.combine(datetime(2026, 11, 26).date(), clock, tzinfo=zone)
        hours, planned, _ = plan(now)
        landed = now + timedelta(hours=hours)
        start = (datetime.combine(now.date(), time(19), tzinfo=zone) if unit == "4W"
                 else datetime.combine(now.date() + timedelta(days=1), time(7), tzinfo=zone))
        assert planned == unit and start - HOURS_BEFORE <= landed < start
