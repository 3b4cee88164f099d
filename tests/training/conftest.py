"""Training fixtures: a migrated, populated store on SQLite and on PostgreSQL in turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.training.store import TrainingStore, migrate
from tests.conftest import Prepare
from tests.training.training_fixtures import populate


def build_training(url: str) -> None:
    """The staff and records of training_fixtures (once per session on SQLite)."""
    migrate(url)
    store = TrainingStore.open(url)
    try:
        populate(store)
    finally:
        store.close()


@pytest.fixture
def training_store(prepared_database: Prepare) -> Iterator[TrainingStore]:
    store = TrainingStore.open(prepared_database("training-staff", build_training))
    yield store
    store.close()
