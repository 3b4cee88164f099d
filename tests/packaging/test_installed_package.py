"""The package as `pip install .` makes it, alone (no extras), in a fresh virtual environment:
every `clinops` command starts, `clinops setup` loads the sample hospital, every module imports.

What the image and an operator get is the wheel and its runtime dependencies; a module that
imports something only the dev extra brings (PyYAML once did, for `clinops setup`) fails here.
The dependencies' wheels are fetched once per set of requirements into a cache folder by pip and
installed from there (`--no-index`), so only the first run on a machine pays for the download.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinops import cli

ROOT = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
# What the wheel is built from: the Dockerfile's COPY lines, less the codegen inputs.
SHIPPED = ("pyproject.toml", "README.md", "clinops", "bot", "services")

pytestmark = pytest.mark.slow


def _runtime_requirements() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _wheelhouse(requirements: list[str]) -> Path:
    """The runtime dependencies' wheels, downloaded by pip once per set of requirements."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    house = cache / "clinops-tests" / f"wheelhouse-{key}"
    if house.is_dir():
        return house
    filling = house.with_name(f"{house.name}.{os.getpid()}")
    subprocess.run([*PIP, "download", "--quiet", "--dest", str(filling), *requirements],
                   check=True, timeout=600)
    with contextlib.suppress(OSError):  # another run filled it first: theirs serves
        filling.rename(house)
    shutil.rmtree(filling, ignore_errors=True)
    return house


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ folder of a fresh virtual environment holding the wheel and its runtime deps."""
    work = tmp_path_factory.mktemp("packaged")
    source = work / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(work / "dist"), str(source)], check=True, timeout=300)
    wheel = next((work / "dist").glob("clinops-*.whl"))
    house = _wheelhouse(_runtime_requirements())
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    subprocess.run([*PIP, "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-compile", "--no-index", "--find-links", str(house), str(wheel)],
                   check=True, timeout=600)
    yield venv / "bin"


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    # Outside the repository and without PYTHONPATH, so only the installed package is found.
    clean = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(command, cwd=cwd, env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=120)


def _subcommands() -> list[str]:
    commands = next(action for action in cli.parser()._actions  # noqa: SLF001 - argparse's own
                    if action.dest == "command")
    return sorted(commands.choices)


def test_every_clinops_command_of_the_installed_package_answers_help(
    installed: Path, tmp_path: Path
) -> None:
    for argv in ([], *([command] for command in _subcommands())):
        shown = _run([str(installed / "clinops"), *argv, "--help"], cwd=tmp_path)
        assert shown.returncode == 0, (argv, shown.stderr)
        assert shown.stdout.startswith("usage: clinops"), (argv, shown.stdout)


def test_the_installed_package_sets_up_the_sample_hospital_from_its_site_file(
    installed: Path, tmp_path: Path
) -> None:
    env = {f"CLINOPS_{service.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / service}.db"
           for service in ("staffing", "supplies", "training")}
    loaded = _run([str(installed / "clinops"), "setup", str(ROOT / "docs/samples/site.yml")],
                  cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "staffing units: 3 added, 0 updated, 0 unchanged" in loaded.stdout


IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
for top in ("clinops", "bot", "services"):
    package = importlib.import_module(top)
    for module in pkgutil.walk_packages(package.__path__, f"{top}."):
        if ".migrations" not in module.name:  # Alembic runs those, inside a migration
            importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] in ("yaml", "grpc_tools")))
"""


def test_every_module_of_the_installed_package_imports_without_the_dev_extra(
    installed: Path, tmp_path: Path
) -> None:
    imported = _run([str(installed / "python"), "-c", IMPORT_EVERY_MODULE], cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "grpc_tools" not in imported.stdout  # the generator stays a build-time tool
    missing = _run([str(installed / "python"), "-c", "import grpc_tools"], cwd=tmp_path)
    assert missing.returncode != 0  # and is not installed at all
