"""Supplies fixtures: a migrated, populated store on SQLite (and on PostgreSQL where asked)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from services.supplies.store import SuppliesStore, migrate
from tests.supplies.supplies_fixtures import populate


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


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[SuppliesStore]:
    """A populated store in a fresh schema of the session's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url)
    dsn = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    scoped = f"{postgres_url}?options=-csearch_path%3D{schema}"
    migrate(scoped)
    store = SuppliesStore.open(scoped)
    populate(store)
    yield store
    store.close()
