"""The suite's own safety net: a hang becomes a failure with a stack, even after a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANGING_TEARDOWN = '''
import threading

import pytest


@pytest.fixture
def served_ward():
    yield
    threading.Event().wait()  # as a gRPC server stop that never returns once did


def test_a_census_check_that_fails(served_ward):
    assert False, "the census check failed"
'''


def test_a_teardown_that_hangs_after_a_failed_test_ends_in_a_timeout_with_a_stack(
    tmp_path: Path,
) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_exception_interact  # noqa: F401\n")
    (tmp_path / "test_hangs.py").write_text(HANGING_TEARDOWN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=2",
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    report = finished.stdout + finished.stderr
    assert finished.returncode == 1, report
    assert "the census check failed" in report
    assert "Failed: Timeout" in report
    assert ">       threading.Event().wait()" in report  # the line that hung, with its stack
    assert "1 failed, 1 error" in report
