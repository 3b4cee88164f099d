"""scripts/make_certs.py: the private key and the service token are readable by their owner only."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _make_certs():  # noqa: ANN202 - the script, loaded as a module
    spec = importlib.util.spec_from_file_location("make_certs", ROOT / "scripts" / "make_certs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """umask 0: whatever the script asks for is what the file gets, nothing is masked away."""
    before = os.umask(0)
    yield
    os.umask(before)


def test_the_key_and_the_token_are_written_0600_and_the_output_says_so(
    tmp_path: Path, permissive_umask: None, capsys: pytest.CaptureFixture[str],
) -> None:
    assert _make_certs().main(["--out", str(tmp_path / "certs"), "--days", "1"]) == 0
    certs = tmp_path / "certs"
    assert mode(certs / "server-key.pem") == 0o600
    assert mode(certs / "service-token") == 0o600
    assert b"PRIVATE KEY" in (certs / "server-key.pem").read_bytes()
    assert len((certs / "service-token").read_text().strip()) >= 40
    # The certificate is public: whoever connects is shown it anyway.
    assert mode(certs / "server.pem") & 0o044
    assert "0600" in capsys.readouterr().out
    # The scheduler credential (clinops.authz) is a secret too.
    assert mode(certs / "scheduler-credential") == 0o600
    assert sorted(p.name for p in certs.iterdir()) == ["scheduler-credential", "server-key.pem",
                                                        "server.pem", "service-token"]


def test_a_token_kept_from_an_earlier_world_readable_run_keeps_its_value_and_becomes_0600(
    tmp_path: Path, permissive_umask: None,
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    old_key, old_token = certs / "server-key.pem", certs / "service-token"
    old_key.write_text("an older key")
    old_token.write_text("the-token-every-service-already-has\n")
    for path in (old_key, old_token):
        path.chmod(0o644)
    assert _make_certs().main(["--out", str(certs), "--days", "1"]) == 0
    assert old_token.read_text() == "the-token-every-service-already-has\n"
    assert mode(old_token) == 0o600 and mode(old_key) == 0o600
    assert b"PRIVATE KEY" in old_key.read_bytes()
