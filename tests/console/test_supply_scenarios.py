"""Supplies as a new user would try them in `clinops demo` (stdin → stdout)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
/supply status ICU
/supply count ICU CHG-CLOTH 2
as Derek
click 1
as Denise
click 1
click 1
/supply count ICU bandages
"""


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> str:
    cwd: Path = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True, cwd=cwd, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def section(out: str, after: str, until: str) -> str:
    start = out.index(after)
    return out[start:out.index(until, start + len(after))]


def test_supply_status_lists_what_is_short_in_the_icu_critical_first(transcript: str) -> None:
    status = section(transcript, "Supplies short — ICU", "\n\n")
    assert "(CHG-CLOTH) · critical\non hand " in status
    assert "at or below reorder point, below par" in status
    assert status.index("· critical") < status.index("(GAUZE-4X4)\n")


def test_a_low_count_posts_a_proposal_with_costs_budget_and_buttons_to_the_icu_channel(
    transcript: str,
) -> None:
    # The counter's answer comes first; the post is supplies' proposal.created event, delivered
    # by the demo's notifier right after.
    counted = transcript[transcript.index("Counted Chlorhexidine"):]
    post = section(counted, "--- chat.postMessage to C0ICU0001 ---", "Now acting as Derek")
    assert "Reorder proposal RP-00001 — ICU" in post
    # The demo hospital is built for today, so its history (and the figures) follow the date.
    assert re.search(r"\(CHG-CLOTH\): \d+ \(\d+ × 24\) · \$[\d,.]+\n", post)
    assert re.search(r"d [\d.]+/day · σ [\d.]+ · L \d+ d \(σ 1 d\) · z 1\.645 · SS [\d.]+ · "
                     r"ROP \d+ · position 2 · par \d+", post)
    assert re.search(r"Total \$[\d,.]+ · month to date \$0\.00 of \$40,000\.00 budget", post)
    assert "[1] Approve   [2] Edit quantities   [3] Reject" in post
    assert re.search(r"opened reorder proposal RP-00001 \(\$[\d,.]+\) in #C0ICU0001\.",
                     transcript)


def test_a_staff_nurse_who_clicks_approve_is_refused(transcript: str) -> None:
    derek = section(transcript, "Now acting as Derek", "Now acting as")
    assert "You are not an approver for ICU's orders; ask Denise Okafor" in derek
    assert "chat.update" not in derek


def test_the_manager_approves_and_the_thread_and_parent_show_it_once(transcript: str) -> None:
    denise = transcript[transcript.index("Now acting as Denise"):]
    assert denise.count("✓ Approved by @U0ICU001 (Denise Okafor)") == 1
    assert "purchase order PO-00001" in denise
    update = section(denise, "--- chat.update to C0ICU0001 ---", "\n\n")
    assert "Approved by @U0ICU001 (Denise Okafor)" in update and "[1]" not in update
    assert "RP-00001 was already approved by Denise Okafor" in denise


def test_a_count_without_a_quantity_gets_the_usage(transcript: str) -> None:
    assert "Give the unit, the SKU and the quantity counted" in transcript
