"""One seeded stack of the three services per database, shared by the property modules that
write to it (seeding the demo hospital takes seconds; each property needs only some stack)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.properties.services import Running, running_services, service_urls


@pytest.fixture(scope="package", params=["sqlite", pytest.param("postgresql",
                                                                marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The three services, seeded, on SQLite files or PostgreSQL schemas."""
    postgres = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    # SQLite files in memory-backed /dev/shm where there is one: the seed commits row by row,
    # and on disk each commit waits for its flush.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="clinops-stack-",
                                     dir=shm if shm.is_dir() else None) as where:
        folder = Path(where)
        with running_services(folder, service_urls(request.param, folder, postgres)) as running:
            yield running
