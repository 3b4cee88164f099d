"""Supplies and training servers on ports the OS picks, seeded with the demo hospital.

The `clinops import` command finds them the way it finds them in production: through
CLINOPS_SUPPLIES_TARGET and CLINOPS_TRAINING_TARGET.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

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
from tests.conftest import Prepare, demo_database

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # 10:00 in California


@dataclass
class Hospital:
    supplies: SuppliesStore
    training: TrainingStore


@pytest.fixture
def hospital(prepared_database: Prepare, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hospital]:
    """The demo hospital's supplies and training services, reachable as configured, on SQLite
    and on PostgreSQL in turn."""
    demo = build_hospital(TODAY)
    supplies = SuppliesStore.open(demo_database(
        prepared_database, "supplies", migrate_supplies, SuppliesStore.open,
        supplies_seed.seed_demo, demo))
    training = TrainingStore.open(demo_database(
        prepared_database, "training", migrate_training, TrainingStore.open,
        training_seed.seed_demo, demo))
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
