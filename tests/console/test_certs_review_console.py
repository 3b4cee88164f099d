"""Renew → verify in `clinops demo`, scripted on stdin as a new user would try it: Derek submits
his renewed ACLS, Elaine (educator) verifies it from her DM, Derek's `/certs` shows it current;
then the pediatrics manager asks for the unit's compliance export."""

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinops.demo.hospital import DEMO_TIME_ZONE

# The review DMs go to the ICU manager, then each educator: Elaine's Verify is button [3].
SCRIPT = ("as Derek\n/certs renew ACLS {renewal}\nas Elaine\nclick 3\nclick 3\n"
          "as Derek\n/certs\nas Monica\n/certs PEDS export\nas Maya\n/certs ICU export\n")


def run_demo(stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=stdin,
                          capture_output=True, text=True, cwd=cwd, timeout=60)


@pytest.fixture(scope="module")
def renewal() -> str:
    # Two years ahead, on the first of the month: inside what an ACLS card can run from today.
    today = datetime.now(ZoneInfo(DEMO_TIME_ZONE)).date()
    return today.replace(day=1, year=today.year + 2).isoformat()


@pytest.fixture(scope="module")
def out(tmp_path_factory, renewal: str) -> str:
    result = run_demo(SCRIPT.format(renewal=renewal), tmp_path_factory.mktemp("demo"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def _after(out: str, marker: str) -> str:
    """What the console printed after acting as someone, up to the next `as`."""
    return out.split(marker, 1)[1].split("Now acting as", 1)[0]


def test_the_reviewers_get_dereks_renewal_with_verify_and_reject(out: str, renewal: str) -> None:
    submitted = _after(out, "Now acting as Derek Lindqvist (U0ICU012).")
    assert submitted.count(f"Derek Lindqvist submitted ACLS renewal, expires {renewal}.") == 3
    assert "--- chat.postMessage to DU0EDU001 ---" in submitted
    assert "[3] Verify   [4] Reject" in submitted
    assert "Sent to Denise Okafor, Elaine Brennan and Yolanda Pierce." in submitted


def test_elaine_verifies_from_her_dm_and_derek_is_told(out: str, renewal: str) -> None:
    verified = _after(out, "Now acting as Elaine Brennan (U0EDU001).")
    assert "--- chat.update to DU0EDU001 ---" in verified
    assert "✓ Verified by Elaine Brennan" in verified
    assert "--- chat.postMessage to DU0ICU012 ---" in verified
    assert (f"Your ACLS renewal was verified by Elaine Brennan: your record now runs through "
            f"{renewal}.") in verified
    # Her second click on the same button decides nothing and says so.
    assert "Derek Lindqvist's ACLS renewal was already verified by Elaine Brennan" in verified
    assert verified.count("--- chat.update") == 1


def test_dereks_certs_then_show_acls_current_through_the_new_date(out: str,
                                                                   renewal: str) -> None:
    mine = out.rsplit("Now acting as Derek Lindqvist (U0ICU012).", 1)[1]
    assert re.search(rf"^ACLS · expires {renewal} · \d+ days left · ✓ current$", mine,
                     re.MULTILINE)
    assert "EXPIRED" not in mine.split("Now acting as", 1)[0]


def test_the_pediatrics_manager_gets_the_export_and_the_charge_nurse_does_not(out: str) -> None:
    monica = _after(out, "Now acting as Monica Alvarado")
    assert "--- files.completeUploadExternal ---" in monica
    assert re.search(r"Sent you PEDS-certifications-\d{4}-\d\d-\d\d\.csv by DM: "
                     r"17 required certifications of 7 staff\.", monica)
    maya = out.rsplit("Now acting as Maya Castillo", 1)[1]
    assert "Only ICU's managers and the educators may export its certification compliance" in maya
    assert "files." not in maya
