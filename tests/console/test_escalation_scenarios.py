"""The escalation ladder in `clinops demo`: a reported call-out nobody takes climbs one step
each time `tick +30m` passes its wait, each step posted to the unit's channel, then stops."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> str:  # noqa: ANN001
    script = ("/shift-gap report ICU RN 1 tomorrow night call-out\n"
              "tick +29m\ntick +1m\n" + "tick +30m\n" * 4)
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True,
                            cwd=Path(tmp_path_factory.mktemp("demo")), timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def ticks(out: str) -> list[str]:
    return out.split("Demo clock: ")[1:]


def test_an_unclaimed_open_shift_climbs_the_ladder_one_step_per_wait(out: str) -> None:
    steps = [line for line in out.splitlines() if line.startswith("No taker after")]
    assert steps == [
        "No taker after 30 min: offered to the float pool (no float-pool nurse is eligible "
        "for it).",
        "No taker after 30 min: incentive offered — premium pay for whoever claims this shift.",
        "No taker after 30 min: house supervisor @U0SUP001 notified.",
        "No taker after 30 min: agency request raised.",
    ]


def test_nothing_moves_before_the_wait_nor_after_the_agency_step(out: str) -> None:
    first, *_, last = ticks(out)
    assert "No taker" not in first and "No taker" not in last
    # The ladder sends nothing more; other jobs may post elsewhere at this hour (a pre-shift
    # alert for tonight, depending on when the demo starts), but nothing reaches the ICU.
    ladder = [line for line in last.splitlines()
              if line.startswith("Ran open-shift escalation ladder")]
    assert ladder and ": 0 sent," in ladder[0], last
    assert "C0ICU0001" not in last
