"""`/certs` in `clinops demo`, scripted on stdin as a new user would try it."""

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

SCRIPT = "/certs\n/certs ICU\nas Derek\n/certs\n/certs renew ACLS {renewal}\n/certs\n"


def run_demo(stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=stdin,
                          capture_output=True, text=True, cwd=cwd, timeout=60)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> str:
    # A card can run at most two years from today; a year ahead is accepted whatever the date.
    renewal = date.today().replace(day=1).replace(year=date.today().year + 1).isoformat()
    result = run_demo(SCRIPT.format(renewal=renewal), tmp_path_factory.mktemp("demo"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def _sections(out: str, title: str) -> list[str]:
    return [part for part in out.split("\n\n") if title in part]


def test_certs_shows_the_charge_nurses_certifications_with_days_left(out: str) -> None:
    mine = _sections(out, "My certifications\n=================")[0]
    lines = [x for x in mine.splitlines() if " · expires " in x]
    assert {x.split(" · ")[0] for x in lines} >= {"BLS", "ACLS", "RN-CA"}
    assert all(re.search(r" · (\d+ days? left|last valid day today|expired \d+ days? ago) · ",
                         line) for line in lines)


def test_the_charge_nurse_sees_the_icu_aggregate_without_names(out: str) -> None:
    [icu] = _sections(out, "ICU certification compliance")
    assert re.search(r"\d+% fully compliant — \d+ of \d+ staff", icu)
    assert re.search(r"ACLS: \d+% — \d+ of \d+ current", icu)
    assert "Derek" not in icu
    assert "Names are shown only to the unit's managers and the educators." in icu


def test_derek_sees_his_expired_acls_flagged_then_his_renewal_pending(out: str) -> None:
    assert "Now acting as Derek Lindqvist" in out
    first, after = _sections(out, "My certifications")[1:3]
    assert re.search(r"^ACLS · expires \d{4}-\d\d-\d\d · expired \d+ days? ago · ✗ EXPIRED$",
                     first, re.MULTILINE)
    assert "✗ 1 expired" in first
    assert "renewal (expires" in out and "is submitted for verification" in out
    assert "✗ EXPIRED · renewal awaiting verification" in after
