"""Empty databases for each service (SQLite files or PostgreSQL schemas), named to `clinops
setup` the way an installation names them: CLINOPS_<SERVICE>_DATABASE_URL."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import POSTGRES_HOST, POSTGRES_PORT

SERVICES = ("staffing", "supplies", "training")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """service → an empty database of its own, configured in the environment."""
    if request.param == "sqlite":
        urls = {s: f"sqlite:///{tmp_path / 'data' / f'{s}.db'}" for s in SERVICES}
    else:
        base = request.getfixturevalue("postgres_url")
        dsn = (f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres "
               f"dbname={base.rsplit('/', 1)[1]}")
        urls = {}
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
            for service in SERVICES:
                schema = f"t_{service[:5]}_{uuid.uuid4().hex[:10]}"
                connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                urls[service] = f"{base}?options=-csearch_path%3D{schema}"
    for service, url in urls.items():
        monkeypatch.setenv(f"CLINOPS_{service.upper()}_DATABASE_URL", url)
    return urls
