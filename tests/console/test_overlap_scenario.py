"""Issue 3's last refusal as a new user would see it: a nurse already working that shift."""

import subprocess
import sys

SCRIPT = """\
/shift-gap report ICU RN 1 tomorrow day call-out
as Alicia
click 1
"""


def test_a_float_nurse_already_working_another_unit_that_shift_is_refused(tmp_path) -> None:
    # Alicia Fernandez (float pool, oriented to ICU) works 5T tomorrow's day shift in the demo.
    result = subprocess.run([sys.executable, "-m", "clinops.cli", "demo"], input=SCRIPT,
                            capture_output=True, text=True, cwd=tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr
    refusal = result.stdout[result.stdout.index("Now acting as Alicia"):]
    assert "You can't take ICU Day shift" in refusal
    assert "already working 5T day shift" in refusal
    assert "The shift is yours" not in refusal
