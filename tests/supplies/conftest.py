"""Supplies fixtures: a migrated, populated store on SQLite and on PostgreSQL in turn."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from services.supplies.store import SuppliesStore, migrate
from tests.conftest import Prepare
from tests.supplies.supplies_fixtures import populate


def build_icu(url: str) -> None:
    """The small ICU of supplies_fixtures, migrated and populated (once per session)."""
    migrate(url)
    store = SuppliesStore.open(url)
    try:
        populate(store)
    finally:
        store.close()


@pytest.fixture
def store(prepared_database: Prepare) -> Iterator[SuppliesStore]:
    """A migrated, populated store on SQLite and on PostgreSQL in turn."""
    opened = SuppliesStore.open(prepared_database("supplies-icu", build_icu))
    yield opened
    opened.close()


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[SuppliesStore]:
    """The same store on PostgreSQL only, for what SQLite cannot show (row locks, races)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url)
    dsn = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    scoped = f"{postgres_url}?options=-csearch_path%3D{schema}"
    build_icu(scoped)
    opened = SuppliesStore.open(scoped)
    yield opened
    opened.close()
