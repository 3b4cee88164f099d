"""Census, report and claim as a new user would try them in `clinops demo` (stdin → stdout)."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
/census ICU 12 tomorrow night
/shift-gap report ICU RN 2 tomorrow night call-out and rising census
as Derek
click 1
as Julian
click 1
as Rajesh
click 1
as Aisha
click 1
as Noor
click 1
/shift-gap ICU tomorrow night
/census ICU 3
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


def test_raising_a_units_census_opens_a_gap(transcript: str) -> None:
    first = section(transcript, "Night shift ", "As of")  # the /census answer, tomorrow night
    assert "Census: 12 patients" in first
    assert "Licensed nurse: required 6 · on duty 4 · ⚠ gap 2" in first


def test_reporting_a_call_out_posts_an_open_shift_with_a_claim_button(transcript: str) -> None:
    # The reporter hears "Posting to…"; the post itself is staffing's open_shift.posted event,
    # delivered by the demo's notifier before the next command.
    posting = transcript[transcript.index("Posting to #C0ICU0001… Open shift ICU: 2 of 2 RN"):]
    post = section(posting, "--- chat.postMessage to C0ICU0001 ---", "Now acting as Derek")
    assert "Open shift — ICU" in post
    assert "Role: RN" in post and "Needed: 2 of 2" in post
    assert "Why: call-out and rising census" in post
    assert "[1] Claim" in post


def test_a_nurse_whose_acls_expired_is_refused_with_that_reason(transcript: str) -> None:
    refusal = section(transcript, "Now acting as Derek", "Now acting as")
    assert "You can't take ICU" in refusal and "ACLS expired" in refusal


def test_a_nurse_without_ten_hours_rest_is_refused_with_the_hours(transcript: str) -> None:
    refusal = section(transcript, "Now acting as Julian", "Now acting as")
    assert "only 0 h rest after your shift ending 19:00" in refusal


def test_eligible_nurses_claim_the_slots_and_the_gap_closes(transcript: str) -> None:
    first = section(transcript, "Now acting as Rajesh", "Now acting as")
    assert "--- chat.update to C0ICU0001 ---" in first and "Needed: 1 of 2" in first
    assert "Awarded to Rajesh Iyer" in first and "The shift is yours" in first
    second = section(transcript, "Now acting as Aisha", "Now acting as")
    assert "✓ Filled" in second and "Awarded to Aisha Rahman" in second
    late = section(transcript, "Now acting as Noor", "Intensive Care Unit")
    assert "already filled" in late
    after = transcript[transcript.index("Now acting as Noor"):]
    assert "Licensed nurse: required 6 · on duty 6 · gap 0" in after


def test_a_staff_nurse_cannot_change_census(transcript: str) -> None:
    assert "Only the charge nurse or manager of ICU can change its census." in transcript
