"""Two facilities in `clinops demo`: the Denver clinic's unit answers in Denver time, and `tick`
runs each facility's daily jobs at its own 07:00, for its own units."""

import calendar
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinops.demo.hospital import DEMO_TIME_ZONE


@pytest.fixture(scope="module")
def month_end() -> date:
    today = datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


@pytest.fixture(scope="module")
def out(tmp_path_factory, month_end: date) -> str:  # noqa: ANN001
    script = f"/shift-gap SDU\n/shift-gap ICU\ntick {(month_end + timedelta(days=1)).isoformat()}\n"
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True, cwd=tmp_path_factory.mktemp("demo"),
                            timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_clinics_unit_shows_its_shift_in_denver_time(out: str) -> None:
    sdu = out[out.index("Step-Down Unit (SDU)"):out.index("Intensive Care Unit (ICU)")]
    assert "facility time (America/Denver)" in sdu
    icu = out[out.index("Intensive Care Unit (ICU)"):]
    assert "facility time (America/Los_Angeles)" in icu
    # "As of" is each facility's clock: Denver is an hour ahead of California.
    sdu_hour = int(re.search(r"As of \S+ (\d\d):\d\d facility time", sdu).group(1))
    icu_hour = int(re.search(r"As of \S+ (\d\d):\d\d facility time", icu).group(1))
    assert (sdu_hour - icu_hour) % 24 == 1


def test_tick_runs_each_facilitys_reminders_for_its_own_staff(out: str, month_end: date) -> None:
    tick = out.split("Demo clock: ", 1)[1]
    denver = re.search(r"Ran certification reminders at FR \(due \w+ 07:00 MST\): (\d+) queued",
                       tick)
    california = re.search(r"Ran certification reminders \(due \w+ 07:00\): (\d+) queued", tick)
    assert denver and california
    # The clinic nurse whose BLS lapsed at the month's end hears it from Denver's run, once.
    lapsed = f"Your BLS expired {month_end.isoformat()} — 1 day ago."
    dms = re.findall(r"^--- chat\.postMessage to (D\w+) ---\n(.*)$", tick, re.MULTILINE)
    assert [channel for channel, text in dms if text.startswith(lapsed)
            and channel == "DU0SDU004"] == ["DU0SDU004"]
    # Denver's run also offers staff with no home unit (educators, float pool): its morning
    # comes first, and each reminder is queued once.
    assert int(denver.group(1)) >= 1 and int(california.group(1)) >= 1
    # Denver's 07:00 comes an hour before California's: its run is listed first.
    assert tick.index("reminders at FR") < tick.index("Ran certification reminders (due")
