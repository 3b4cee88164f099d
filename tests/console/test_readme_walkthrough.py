"""The README's demo walkthrough, fed to the real `clinops demo` process exactly as printed:
every step answers as the README says it will."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

# What each step of the walkthrough answers, in the order the steps run.
STEPS = [
    ("/shift-gap ICU", "Intensive Care Unit (ICU)"),
    ("/shift-gap 4W tomorrow night", "4 West Medical-Surgical (4W)"),
    ("/census ICU 12 tomorrow night", "Census: 12 patients"),
    ("/shift-gap report ICU RN 1 tomorrow night call-out", "Why: call-out"),
    ("as Rajesh, click 1", "✓ The shift is yours: ICU Night shift"),
    ("", "Awarded to Rajesh Iyer"),
    ("/shift-gap report ICU RN tomorrow night extra admissions", "Why: extra admissions"),
    ("/shift-gap fill ICU tomorrow night", "Candidates — ICU"),
    ("", "[1] Offer"),
    ("/shift-gap report LD RN tomorrow night call-out", "Open shift — LD"),
    ("as Adriana, click 1", "Claim from Adriana Molina — waiting for the charge nurse"),
    ("as Leticia, click 1", "✓ Claim from Adriana Molina — confirmed by @U0LD0002"),
    ("", "Awarded to Adriana Molina"),
    ("/supply count ICU CHG-CLOTH 2", "opened reorder proposal RP-00001"),
    ("as Denise, click 1", "purchase order PO-00001"),
    ("/supply receive PO-00001", "PO-00001 is now fully received."),
    ("/supply status ICU", "Supplies short — ICU"),
    ("/certs @Rajesh", "Rajesh Iyer's certifications"),
    ("/certs ICU", "ICU"),
    ("/clinops report ICU", "The 3 charts are in your DM with ClinOps."),
    ("/clinops help", "• /shift-gap fill <unit>"),
    ("", "• /certs <unit> export"),
    ("", "• /supply receive <PO>"),
]


def walkthrough() -> str:
    """The first code block after the README's "The demo console" heading, as printed."""
    text = README.read_text()
    section = text[text.index("### The demo console"):]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block, "the README has no walkthrough block"
    return block.group(1)


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> str:
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=walkthrough(),
                            capture_output=True, text=True,
                            cwd=tmp_path_factory.mktemp("demo"), timeout=110)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_step_of_the_readme_walkthrough_answers_as_it_says(transcript: str) -> None:
    at = 0
    for step, answer in STEPS:
        found = transcript.find(answer, at)
        after = step or "the step before"
        assert found >= 0, f"after {after!r}: no {answer!r} in {transcript[at:]}"
        at = found + len(answer)


def test_no_step_of_the_walkthrough_is_refused_or_misread(transcript: str) -> None:
    for refusal in ("Usage:", "Not a command", "I don't understand", "Only the", "Nobody called",
                    "No purchase order", "is not answering", "Something went wrong"):
        assert refusal not in transcript, refusal


def test_the_start_banner_says_what_the_readme_says(transcript: str) -> None:
    assert transcript.startswith("ClinOps demo — 7 units, 90 staff")
    assert "7 units, 90 staff" in README.read_text()
