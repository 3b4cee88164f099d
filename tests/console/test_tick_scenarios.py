"""The demo clock in `clinops demo`: `tick` runs the scheduler's daily jobs for the new date and
each certification reminder goes out once, however often the clock is moved to that date."""

import calendar
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinops.demo.hospital import DEMO_TIME_ZONE


def run_demo(stdin: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=stdin,
                            capture_output=True, text=True, cwd=cwd, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def month_end() -> date:
    # The demo's "expires this month" certifications lapse on its last day (clinops/demo).
    today = datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


@pytest.fixture(scope="module")
def out(tmp_path_factory, month_end: date) -> str:
    day_after = (month_end + timedelta(days=1)).isoformat()
    script = f"tick {day_after}\ntick {day_after}\ntick +1\ntick 2001-01-01\ntick soon\n"
    return run_demo(script, tmp_path_factory.mktemp("demo"))


def ticks(out: str) -> list[str]:
    """What each tick printed, in order."""
    return out.split("Demo clock: ")[1:]


def dms(text: str) -> list[tuple[str, str]]:
    """(DM channel, first line) of every message posted to a DM."""
    return re.findall(r"^--- chat\.postMessage to (D\w+) ---\n(.*)$", text, re.MULTILINE)


def test_moving_to_the_day_after_expiry_dms_the_lapsed_reminder_and_the_managers_digest(
        out: str, month_end: date) -> None:
    first = ticks(out)[0]
    day_after = month_end + timedelta(days=1)
    assert first.startswith(f"{day_after:%a %Y-%m-%d} 08:00")
    assert "Ran certification reminders (due " in first
    assert ("DU0ICU002", f"Your CCRN expired {month_end.isoformat()} — 1 day ago. Shifts that "
            "need it cannot be worked until it is renewed. Renew with /certs renew CCRN "
            "<new expiry YYYY-MM-DD>.") in dms(first)
    # The ICU manager's digest names the ICU nurse whose ACLS lapsed last month.
    digest = first.split("--- chat.postMessage to DU0ICU001 ---\n", 1)[1]
    assert digest.startswith("Certifications — Intensive Care Unit")
    assert "• Derek Lindqvist — ACLS expired" in digest.split("--- ", 1)[0]


def test_ticking_to_the_same_date_again_sends_nothing(out: str) -> None:
    again = ticks(out)[1]
    assert again.split("\n\n", 1)[0].splitlines()[1:] == [
        "No scheduled job fell due.", "Nothing was sent."]


def test_every_reminder_goes_out_once_across_the_following_day(out: str) -> None:
    reminders = [(channel, line) for channel, line in dms(out) if line.startswith("Your ")]
    assert reminders, "no reminder was sent"
    assert len(reminders) == len(set(reminders))
    next_day = ticks(out)[2]
    assert "Ran certification reminders" in next_day
    assert "Ran managers' certification digest" in next_day


def test_the_clock_refuses_to_go_back_and_explains_its_argument(out: str) -> None:
    assert "The demo clock only moves forward: it is " in out
    assert ("tick takes a date, a number of days, or minutes or hours: `tick`, `tick +7`, "
            "`tick 2026-12-31`, `tick +30m`, `tick +2h`.") in out
