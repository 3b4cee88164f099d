"""Training fixtures: a migrated, populated SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.training.store import TrainingStore, migrate
from tests.training.training_fixtures import populate


@pytest.fixture
def training_store(tmp_path: Path) -> Iterator[TrainingStore]:
    url = f"sqlite:///{tmp_path / 'training.db'}"
    migrate(url)
    store = TrainingStore.open(url)
    populate(store)
    yield store
    store.close()
