"""The end-to-end servers and bots of tests/e2e, with the services' stores on the
database_url fixture (SQLite and PostgreSQL) instead of a SQLite file only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinops.clock import fixed_clock
from services.staffing.seed import seed_demo as seed_staffing
from services.staffing.server import create_server as staffing_server
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.supplies.seed import seed_demo as seed_supplies
from services.supplies.store import SuppliesStore
from services.supplies.store import migrate as migrate_supplies
from tests.e2e.conftest import NOW, Staffing

# Fixtures shared with tests/e2e (they find `staffing` and `supplies_store` below).
from tests.e2e.conftest import hospital, served_bot, slack  # noqa: F401  isort: skip
from tests.e2e.test_supply_http import supplies_port, supply_bot  # noqa: F401  isort: skip
from tests.e2e.test_supply_thread_and_edit import bot, dedupe  # noqa: F401  isort: skip


@pytest.fixture
def staffing(database_url: str, hospital) -> Iterator[Staffing]:  # noqa: F811
    migrate_staffing(database_url)
    store = StaffingStore.open(database_url)
    seed_staffing(store, hospital)
    server, port = staffing_server(store=store, clock=fixed_clock(NOW))
    server.start()
    yield Staffing(server, port, store)
    server.stop(grace=None)
    store.close()


@pytest.fixture
def supplies_store(database_url: str, hospital) -> Iterator[SuppliesStore]:  # noqa: F811
    migrate_supplies(database_url)
    store = SuppliesStore.open(database_url)
    seed_supplies(store, hospital)
    yield store
    store.close()
