"""`make demo` (clinops demo, the real Bolt app and services behind the console): a gap report
and a rejection naming a patient are refused with the reason, shown only to who typed them."""

import subprocess
import sys

import pytest

SCRIPT = """\
as Maya
/shift-gap report ICU RN 1 night Pt John Smith MRN 00123456 bed 12
as Karen
/supply count 5T ECG-ELECTRODE 1
click 3
set 1 Pt Jane Doe MRN 7654321
submit
cancel
reply reject Pt Jane Doe MRN 7654321
"""
WHY = ("reason: looks like a medical record number (MRN, MR# or 6+ digits in a row); "
       "leave patient details out and say it without them")


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> str:  # noqa: ANN001
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True, timeout=90,
                            cwd=tmp_path_factory.mktemp("demo"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def posts(transcript: str) -> list[str]:
    """Each message the bot posted or updated in a channel, as the console printed it."""
    return [part.split("\n---", 1)[0] for part in transcript.split("--- chat.")[1:]
            if part.startswith(("postMessage", "update"))]


def test_a_gap_report_naming_a_patient_is_refused_with_the_reason_and_not_posted(
        transcript: str) -> None:
    maya = transcript.split("Now acting as Maya Castillo (U0ICU002).\n", 1)[1]
    assert maya.startswith(WHY + "\n")
    assert "Open shift ICU" not in transcript


def test_a_rejection_naming_a_patient_is_refused_on_the_modal_and_in_the_thread(
        transcript: str) -> None:
    karen = transcript.split("Now acting as Karen Fitzgerald", 1)[1]
    assert "--- the modal stays open, with errors ---" in karen
    assert f"      ✗ {WHY}\n" in karen
    assert karen.rstrip().endswith(f"--- chat.postEphemeral to C05T00001 ---\n{WHY}")
    assert "Rejected by" not in karen


def test_no_post_carries_the_patients_identifiers(transcript: str) -> None:
    assert len(posts(transcript)) == 1  # the proposal itself
    assert not [p for p in posts(transcript) if "00123456" in p or "7654321" in p]
