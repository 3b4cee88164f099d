"""Supplies fixtures: a migrated, populated store on SQLite (and on PostgreSQL where asked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from supplies_fixtures import populate

from services.supplies.store import SuppliesStore, migrate


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SuppliesStore]:
    """A migrated, populated SQLite store in a file of its own."""
    url = f"sqlite:///{tmp_path / 'supplies.db'}"
    migrate(url)
    store = SuppliesStore.open(url)
    populate(store)
    yield store
    store.close()


@pytest.fixture
def store(database_url: str) -> Iterator[SuppliesStore]:
    """A migrated, populated store on SQLite and on PostgreSQL in turn."""
    migrate(database_url)
    opened = SuppliesStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()
