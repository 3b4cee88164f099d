"""Staffing fixtures: a migrated SQLite store with a few units, staff, census and assignments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.staffing.store import StaffingStore, migrate
from tests.staffing.staffing_fixtures import populate


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[StaffingStore]:
    """A migrated, populated SQLite store in a file of its own."""
    url = f"sqlite:///{tmp_path / 'staffing.db'}"
    migrate(url)
    store = StaffingStore.open(url)
    populate(store)
    yield store
    store.close()
