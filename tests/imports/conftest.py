"""Supplies and training servers on ports the OS picks, seeded with the demo hospital.

The `clinops import` command finds them the way it finds them in production: through
CLINOPS_SUPPLIES_TARGET and CLINOPS_TRAINING_TARGET.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clinops.clock import fixed_clock
from clinops.demo.hospital import build_hospital
from services.supplies import seed as supplies_seed
from services.supplies import server as supplies_server
from services.supplies.store import SuppliesStore
from services.supplies.store import migrate as migrate_supplies
from services.training import seed as training_seed
from services.training import server as training_server
from services.training.store import TrainingStore
from services.training.store import migrate as migrate_training

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California


@dataclass
class Hospital:
    supplies: SuppliesStore
    training: TrainingStore


@pytest.fixture(scope="session")
def seeded_databases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated SQLite files holding the demo hospital, made once and copied by each test."""
    folder = tmp_path_factory.mktemp("demo-hospital")
    demo = build_hospital(TODAY)
    for name, migrate, store_class, seed in (
        ("supplies", migrate_supplies, SuppliesStore, supplies_seed),
        ("training", migrate_training, TrainingStore, training_seed),
    ):
        url = f"sqlite:///{folder / f'{name}.db'}"
        migrate(url)
        store = store_class.open(url)
        seed.seed_demo(store, demo)
        store.close()
    return folder


@pytest.fixture
def hospital(seeded_databases: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Hospital]:
    """The demo hospital's supplies and training services, reachable as configured."""
    for name in ("supplies", "training"):
        shutil.copyfile(seeded_databases / f"{name}.db", tmp_path / f"{name}.db")
    supplies = SuppliesStore.open(f"sqlite:///{tmp_path / 'supplies.db'}")
    training = TrainingStore.open(f"sqlite:///{tmp_path / 'training.db'}")
    clock = fixed_clock(NOW)
    servers = []
    for module, store, name in ((supplies_server, supplies, "SUPPLIES"),
                                (training_server, training, "TRAINING")):
        server, port = module.create_server(store=store, clock=clock)
        server.start()
        servers.append(server)
        monkeypatch.setenv(f"CLINOPS_{name}_TARGET", f"127.0.0.1:{port}")
    for name in ("CLINOPS_TLS_ROOT_CERT_FILE", "CLINOPS_SERVICE_TOKEN",
                 "CLINOPS_SERVICE_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield Hospital(supplies, training)
    for server in servers:
        server.stop(None).wait()
    supplies.close()
    training.close()
