"""Queued claims, overtime shown first and ranked candidates, as a new user tries them in
`clinops demo` (stdin → stdout of the real command)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
as Leticia
/shift-gap report LD RN tomorrow night call-out
as Adriana
click 1
as Sarah Whitman
click 1
as Leticia
click 1
as Gloria
/shift-gap report 4W RN tomorrow day sick call
as Colleen
click 1
click 1
as Maya
/shift-gap report ICU RN tomorrow night extra admissions
/shift-gap fill ICU tomorrow night
click 3
/shift-gap fill ICU today day
as Derek
/shift-gap fill ICU tomorrow night
"""


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> str:
    cwd: Path = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True, cwd=cwd, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def between(out: str, after: str, until: str) -> str:
    start = out.index(after)
    return out[start:out.index(until, start + len(after))]


def test_a_claim_in_labor_and_delivery_waits_for_the_charge_nurse(transcript: str) -> None:
    claimed = between(transcript, "Now acting as Adriana Molina", "Now acting as")
    assert "--- chat.postMessage to C0LD00001 ---" in claimed
    assert "Claim from Adriana Molina — waiting for the charge nurse" in claimed
    assert "[1] Confirm" in claimed
    assert "queued for the charge nurse or manager to confirm" in claimed
    assert "chat.update" not in claimed


def test_a_staff_nurse_cannot_confirm_a_claim(transcript: str) -> None:
    refused = between(transcript, "Now acting as Sarah Whitman", "Now acting as")
    assert "Only the charge nurse or manager of LD can confirm claims" in refused
    assert "Awarded" not in refused


def test_the_ld_charge_nurse_confirms_and_the_shift_is_awarded(transcript: str) -> None:
    confirmed = between(transcript, "Now acting as Leticia Vargas", "Now acting as Gloria")
    confirmed = confirmed[confirmed.index("Claim from Adriana") - 200:]
    assert "--- chat.update to C0LD00001 ---" in confirmed and "✓ Filled" in confirmed
    assert "Awarded to Adriana Molina" in confirmed
    assert "✓ Claim from Adriana Molina — confirmed by @U0LD0002" in confirmed


def test_an_overtime_claim_shows_the_overtime_before_anything_is_awarded(transcript: str) -> None:
    colleen = between(transcript, "Now acting as Colleen Murphy", "Now acting as")
    first, second = colleen.split("[1] Claim with overtime")
    assert re.search(r"This shift would be \d+ h overtime \(\d+ h this week\)\.", first)
    assert "chat.update" not in first and "Awarded" not in first
    assert "Awarded to Colleen Murphy" in second and "The shift is yours" in second
    assert "h of it overtime" in second


def test_fill_ranks_eligible_candidates_cheapest_first_with_offer_buttons(
    transcript: str,
) -> None:
    ranked = between(transcript, "Candidates — ICU", "Cheapest first")
    names = re.findall(r"^(\S.*?) — (unit staff|float pool|per diem|overtime|agency)", ranked,
                       re.MULTILINE)
    assert names[:3] == [("Aisha Rahman", "unit staff"), ("Harold Jimenez", "float pool"),
                         ("Rajesh Iyer", "per diem")]
    assert "Derek Lindqvist" not in ranked  # ACLS expired
    assert "12 h rest before" in ranked and "[3] Offer" in ranked


def test_offer_sends_the_candidate_a_dm_with_the_claim_button(transcript: str) -> None:
    offered = between(transcript, "--- conversations.open ---", "Offered to Rajesh Iyer")
    assert "offers you an open RN shift on ICU" in offered and "[1] Claim" in offered


def test_fill_without_an_open_shift_says_so_and_how_to_report_one(transcript: str) -> None:
    assert ("No open shift on ICU for Day shift" in transcript
            and "To report one: /shift-gap report ICU RN" in transcript)


def test_a_staff_nurse_cannot_see_candidates(transcript: str) -> None:
    derek = transcript[transcript.index("Now acting as Derek"):]
    assert "Only the charge nurse or manager of ICU can see candidates" in derek
