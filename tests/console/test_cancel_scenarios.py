"""Cancelling an open shift in `clinops demo`: a staff nurse is refused, the charge nurse cancels,
a later claim is told it was cancelled, a second cancel changes nothing, and the ladder stays
still when its wait passes."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
/shift-gap report ICU RN 1 tomorrow night call-out
as Jordan
click 2
as Maya
click 2
as Julian
click 1
as Maya
click 2
tick +30m
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> str:  # noqa: ANN001
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True,
                            cwd=Path(tmp_path_factory.mktemp("demo")), timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def acting(out: str, name: str, n: int = 0) -> str:
    """What the console printed after the n-th `as <name>`."""
    part = out.split(f"Now acting as {name}")[n + 1]
    return part.split("Now acting as")[0].split("Demo clock:")[0]


def test_the_open_shift_post_offers_claim_and_cancel(out: str) -> None:
    assert "[1] Claim   [2] Cancel" in out.split("Posting to")[1].split("Now acting as")[0]


def test_a_staff_nurse_may_not_cancel(out: str) -> None:
    assert "Only the charge nurse or manager of ICU can cancel its open shifts." in acting(
        out, "Jordan")


def test_the_charge_nurse_cancels_the_parent_and_thread_say_who(out: str) -> None:
    maya = acting(out, "Maya", 0)
    update = maya.split("--- chat.update to C0ICU0001 ---")[1].split("---")[0]
    assert "Cancelled by @U0ICU002 (Maya Castillo) at " in update and "[1]" not in update
    thread = maya.split("--- chat.postMessage to C0ICU0001 ---")[1]
    assert "Cancelled by @U0ICU002 (Maya Castillo)" in thread
    assert "no more claims, escalation stopped." in thread


def test_a_claim_after_the_cancel_is_answered_cancelled(out: str) -> None:
    assert "was cancelled by the charge nurse; it is no longer open." in acting(out, "Julian")


def test_a_second_cancel_posts_nothing(out: str) -> None:
    again = acting(out, "Maya", 1)
    assert "This shift was already cancelled" in again and "---" not in again


def test_the_ladder_does_not_climb_once_cancelled(out: str) -> None:
    tick = out.split("Demo clock: ")[1]
    [ladder] = [line for line in tick.splitlines() if line.startswith("Ran open-shift escalation")]
    assert ladder.endswith(": 0 sent, 0 already sent, 0 failed.")
    assert "No taker" not in tick
