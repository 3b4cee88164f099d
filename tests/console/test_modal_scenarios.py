"""Modals filled and submitted from `clinops demo`, as a new user would try it: a manager edits a
reorder proposal's quantity and approves it in the thread, an edit above her limit escalates to
the director, a rejection needs its reason, and a charge nurse reports a gap from the form."""

import subprocess
import sys
from pathlib import Path

import pytest

# Maya (ICU charge nurse) counts; Derek (staff nurse) tries Approve; Denise (ICU manager) edits
# to 48 in the modal, approves in the thread, then clicks Approve on the same proposal.
EDIT_AND_APPROVE = """\
/supply count ICU CHG-CLOTH 2
as Derek
click 1
as Denise
click 2
set 1 lots
submit
submit 48
reply approve
click 1
"""
# Denise edits to 480 packs' worth ($3,480, above her $2,500 limit): Approve escalates to Harold
# (house supervisor, the director's limit), who clicks Approve twice.
ESCALATE = """\
/supply count ICU CHG-CLOTH 2
as Denise
click 2
submit 480
click 1
as Harold
click 1
click 1
"""
# Karen (5T manager) rejects with the modal: first empty, then with a reason; status lists what
# is short; Maya reports a night call-out from the report form and Derek (ACLS expired) claims.
REJECT_STATUS_REPORT = """\
as Karen
/supply count 5T ECG-ELECTRODE 1
click 3
submit
set 1 No room on the cart this week
submit
/supply status 5T
as Maya
/shift-gap report
set 1 Intensive
set 5 someday
submit - - 1 night - call-out
as Derek
click 1
"""


def demo(tmp_path_factory, script: str) -> str:  # noqa: ANN001
    cwd: Path = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=script,
                            capture_output=True, text=True, cwd=cwd, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> str:
    return demo(tmp_path_factory, EDIT_AND_APPROVE)


@pytest.fixture(scope="module")
def escalated(tmp_path_factory) -> str:
    return demo(tmp_path_factory, ESCALATE)


@pytest.fixture(scope="module")
def rejected(tmp_path_factory) -> str:
    return demo(tmp_path_factory, REJECT_STATUS_REPORT)


def acting(out: str, name: str) -> str:
    """What the console printed while acting as `name`, up to the next `as`."""
    return out.split(f"Now acting as {name}", 1)[1].split("Now acting as", 1)[0]


def test_a_count_below_the_reorder_point_posts_the_proposal_with_costs_and_budget(
        edited: str) -> None:
    posted = edited.split("--- chat.postMessage to C0ICU0001 ---\n", 1)[1]
    assert posted.startswith("Reorder proposal RP-00001 — ICU\n")
    assert "(CHG-CLOTH): 96 (4 × 24) · $696.00" in posted
    assert "Total $696.00 · month to date $0.00 of $40,000.00 budget" in posted
    assert "[1] Approve   [2] Edit quantities   [3] Reject" in posted


def test_a_staff_nurse_clicking_approve_is_refused(edited: str) -> None:
    derek = acting(edited, "Derek Lindqvist")
    assert "You are not an approver for ICU's orders; ask Denise Okafor" in derek
    assert "chat.update" not in derek


def test_the_edit_modal_shows_the_quantity_and_refuses_a_word_before_sending(edited: str) -> None:
    denise = acting(edited, "Denise Okafor")
    assert "--- views.open: Edit RP-00001 ---" in denise
    assert "  (1) Chlorhexidine 2% bathing cloths, pack of 6 (CHG-CLOTH, packs of 24): 96\n" \
           "      Proposed 96 · reorder point 55 · position 2 · par 92" in denise
    assert "lots\n      Proposed 96 · reorder point 55 · position 2 · par 92\n" \
           "      ✗ Enter a number." in denise
    assert denise.count("Quantities edited by") == 1


def test_the_manager_edits_to_48_and_approves_in_the_thread_once(edited: str) -> None:
    denise = acting(edited, "Denise Okafor")
    assert "(modal closed: Edit RP-00001 submitted)" in denise
    assert "Quantities edited by @U0ICU001: CHG-CLOTH 48. New total $348.00." in denise
    assert "(CHG-CLOTH): 48 (2 × 24) · $348.00" in denise
    assert denise.count("✓ Approved by @U0ICU001 (Denise Okafor)") == 1
    assert "$348.00; purchase order PO-00001." in denise
    # Her later click on Approve decides nothing: one order.
    assert denise.rstrip().endswith("RP-00001 was already approved by Denise Okafor")
    assert "PO-00002" not in edited


def test_an_edit_above_the_managers_limit_escalates_to_the_director(escalated: str) -> None:
    denise = acting(escalated, "Denise Okafor")
    assert "Quantities edited by @U0ICU001: CHG-CLOTH 480. New total $3,480.00." in denise
    assert "is above their limit: escalated to @U0SUP001 (Harold Jimenez) to decide." in denise
    assert "Escalated to @U0SUP001 (Harold Jimenez)" in denise
    assert "Approved by" not in denise


def test_the_director_approving_twice_makes_one_order(escalated: str) -> None:
    harold = acting(escalated, "Harold Jimenez")
    assert harold.count("✓ Approved by @U0SUP001 (Harold Jimenez)") == 1
    assert harold.count("purchase order PO-00001") >= 1
    assert "PO-00002" not in escalated
    assert harold.rstrip().endswith("RP-00001 was already approved by Harold Jimenez")


def test_reject_needs_a_reason_and_posts_it_in_the_thread(rejected: str) -> None:
    karen = acting(rejected, "Karen Fitzgerald")
    assert "--- views.open: Reject RP-00001 ---" in karen
    assert "      ✗ Please fill out this field." in karen
    assert karen.count("✗ Rejected by @U05T0001 (Karen Fitzgerald)") == 1
    assert "Reason: No room on the cart this week" in karen


def test_supply_status_lists_what_is_short_critical_first(rejected: str) -> None:
    status = rejected.split("Supplies short — 5T\n", 1)[1].split("\n\n", 1)[0]
    first = status.splitlines()[1]
    assert "ECG electrodes, adult foam, pouch of 5 (ECG-ELECTRODE) · critical" in first
    assert "on hand 1 · on order 0 · reorder point 63 · par 120 — at or below reorder point" \
        in status


def test_the_report_form_submitted_from_the_console_posts_an_open_shift(rejected: str) -> None:
    maya = acting(rejected, "Maya Castillo")
    assert "  (1) Unit: —\n      options: 4W — 4 West Medical-Surgical" in maya
    assert "(1) Unit: ICU — Intensive Care Unit" in maya
    assert "someday is not a date: the date picker takes YYYY-MM-DD." in maya
    posted = maya.split("(modal closed: Report a gap submitted)\n", 1)[1]
    assert posted.startswith("--- chat.postMessage to C0ICU0001 ---\nOpen shift — ICU\n")
    assert "  Role: RN\n  Needed: 1 of 1\n  Why: call-out\n  [1] Claim" in posted
    assert "19:00–07:00" in posted


def test_an_icu_nurse_with_expired_acls_claiming_it_is_told_why(rejected: str) -> None:
    derek = acting(rejected, "Derek Lindqvist")
    assert "ACLS expired" in derek
