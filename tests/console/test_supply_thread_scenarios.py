"""Supplies decided in the proposal's thread, as a new user would try it in `clinops demo`."""

import subprocess
import sys
from pathlib import Path

import pytest

# Edit quantities is shown opening its modal here; submitting it from the console is in
# tests/console/test_modal_scenarios.py.
APPROVE_SCRIPT = """\
/supply count ICU CHG-CLOTH 2
as Denise
click 2
as Derek
reply approve
as Denise
reply reject
reply approve
reply approve
"""
REJECT_SCRIPT = """\
/supply count ICU CHG-CLOTH 2
as Denise
reply reject CHG is on the cart today
"""


def demo(tmp_path_factory, script: str) -> str:  # noqa: ANN001
    cwd: Path = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True, cwd=cwd, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def approved(tmp_path_factory) -> str:
    return demo(tmp_path_factory, APPROVE_SCRIPT)


@pytest.fixture(scope="module")
def rejected(tmp_path_factory) -> str:
    return demo(tmp_path_factory, REJECT_SCRIPT)


def after(out: str, marker: str) -> str:
    return out[out.index(marker):]


def test_the_proposal_invites_thread_replies_and_edit_opens_a_modal_per_line(approved) -> None:
    assert "Approvers can also reply in this thread: approve or reject <reason>." in approved
    modal = after(approved, "--- views.open: Edit RP-00001 ---")
    assert "(1) Chlorhexidine 2% bathing cloths, pack of 6 (CHG-CLOTH, packs of 24): 96" in modal


def test_a_staff_nurse_replying_approve_is_refused_privately(approved) -> None:
    derek = after(approved, "Now acting as Derek")
    assert derek.startswith("Now acting as Derek Lindqvist (U0ICU012).\n"
                            "--- chat.postEphemeral to C0ICU0001 ---\n"
                            "You are not an approver for ICU's orders; ask Denise Okafor\n")


def test_reject_without_a_reason_gets_the_usage(approved) -> None:
    denise = after(approved, "Now acting as Denise Okafor (U0ICU001).\n--- chat.postEphemeral")
    assert "To decide in this thread, reply approve, or reject <reason>" in denise


def test_the_manager_approves_in_the_thread_once_and_a_second_reply_is_told(approved) -> None:
    assert approved.count("✓ Approved by @U0ICU001 (Denise Okafor)") == 1
    assert approved.count("--- chat.update to C0ICU0001 ---") == 1
    assert "purchase order PO-00001" in approved
    assert approved.rstrip().endswith("RP-00001 was already approved by Denise Okafor")


def test_the_manager_rejects_in_the_thread_with_the_reason(rejected) -> None:
    assert "✗ Rejected by @U0ICU001 (Denise Okafor)" in rejected
    assert "Reason: CHG is on the cart today" in rejected
