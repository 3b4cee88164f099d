"""The weekly unit digest in `clinops demo`, scripted on stdin as a new user would try it:
`/clinops report ICU` shows the digest text and where the charts were saved; `tick` to the
digest's weekly time posts it to every unit's channel, once."""

import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinops.demo.hospital import DEMO_TIME_ZONE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def next_monday() -> str:
    today = datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    return (today + timedelta(days=7 - today.weekday())).isoformat()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Path]:
    cwd = tmp_path_factory.mktemp("demo")
    script = f"/clinops report ICU\ntick {next_monday()}\ntick +2h\n"
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, cwd


def test_report_prints_the_digest_and_the_saved_chart_paths(demo: tuple[str, Path]) -> None:
    out, cwd = demo
    report = out.split("Demo clock:", 1)[0]
    assert "ICU weekly digest (7 days to " in report
    assert "fully compliant" in report
    assert "The 3 charts are in your DM with ClinOps." in report
    paths = re.findall(r"\[file\] ICU [^:]+: (data/demo/charts/ICU-\S+\.png)", report)
    assert len(paths) == 3
    for path in paths:
        assert (cwd / path).read_bytes().startswith(PNG_SIGNATURE)


def test_tick_to_the_weekly_time_posts_the_digest_to_each_unit_channel_once(
        demo: tuple[str, Path]) -> None:
    out, _ = demo
    monday, later = out.split("Demo clock:")[1:3]
    # Each facility's Monday 07:30: Denver's (06:30 in California) for its one unit, then the
    # hospital's six.
    assert "Ran weekly unit digest at FR (due Mon 07:30 MST): 1 sent" in monday
    assert "Ran weekly unit digest (due Mon 07:30): 6 sent" in monday
    assert monday.index("at FR (due Mon 07:30 MST)") < monday.index("digest (due Mon 07:30)")
    assert monday.count("(shared in C") == 7
    assert "(shared in C0ICU0001)" in monday and "(shared in C0SDU0001)" in monday
    assert len(re.findall(r"\[file\] \S+ staffing gap by shift: data/demo/charts/", monday)) == 7
    assert "weekly unit digest" not in later
    assert "files.completeUploadExternal" not in later
