"""Staffing fixtures: a migrated store with a few units, staff, census and assignments, on
SQLite and on PostgreSQL in turn (tests/conftest.py `database_backend`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.staffing.store import StaffingStore, migrate
from tests.conftest import Prepare
from tests.staffing.staffing_fixtures import populate


def build_units(url: str) -> None:
    """The units, staff, census and assignments of staffing_fixtures (once per session)."""
    migrate(url)
    store = StaffingStore.open(url)
    try:
        populate(store)
    finally:
        store.close()


@pytest.fixture
def store(prepared_database: Prepare) -> Iterator[StaffingStore]:
    """A migrated, populated store; a test file may define its own `store` instead."""
    opened = StaffingStore.open(prepared_database("staffing-units", build_units))
    yield opened
    opened.close()
