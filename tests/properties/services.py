"""The three services over real gRPC, seeded with the demo hospital, for property tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import grpc
import psycopg
import sqlalchemy as sa
from psycopg import sql as psycopg_sql

from clinops import rpc
from clinops.clock import system_clock
from clinops.demo.hospital import build_hospital
from services.staffing import seed as staffing_seed
from services.staffing import server as staffing_server
from services.staffing import store as staffing_store
from services.supplies import seed as supplies_seed
from services.supplies import server as supplies_server
from services.supplies import store as supplies_store
from services.training import seed as training_seed
from services.training import server as training_server
from services.training import store as training_store

SERVICES = {
    "staffing": (staffing_store.StaffingStore, staffing_store.migrate, staffing_seed.seed_demo,
                 staffing_server.create_server),
    "supplies": (supplies_store.SuppliesStore, supplies_store.migrate, supplies_seed.seed_demo,
                 supplies_server.create_server),
    "training": (training_store.TrainingStore, training_store.migrate, training_seed.seed_demo,
                 training_server.create_server),
}


LARGE_TABLES = frozenset({"consumption"})


@dataclass
class Running:
    hospital: object
    targets: dict[str, str]
    channels: dict[str, grpc.Channel]
    stores: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[sa.Table]] = field(default_factory=dict)

    def snapshot(self, service: str) -> dict[str, list[tuple]]:
        """Every row of the service's tables but its audit log and idempotency memos (a refusal
        is audited by design), so a refused call can be shown to have written nothing."""
        engine = self.stores[service].engine  # type: ignore[attr-defined]
        if service not in self.tables:  # reflecting PostgreSQL takes dozens of queries
            metadata = sa.MetaData()
            metadata.reflect(engine)
            self.tables[service] = [t for t in metadata.sorted_tables
                                    if "audit" not in t.name and "idempot" not in t.name
                                    and t.name != "alembic_version"]
        kept = self.tables[service]
        snapshot = {}
        with engine.connect() as connection:
            for table in kept:
                if table.name in LARGE_TABLES:
                    # Ninety days of use per location: its row count and column sums show a
                    # change at a fraction of the cost of reading every row, every example.
                    sums = [sa.func.sum(c) for c in table.columns
                            if isinstance(c.type, (sa.Integer, sa.Numeric, sa.Float))]
                    snapshot[table.name] = [tuple(map(repr, connection.execute(
                        sa.select(sa.func.count(), *sums).select_from(table)).one()))]
                else:
                    snapshot[table.name] = sorted(
                        (tuple(map(repr, row)) for row in connection.execute(sa.select(table))),
                        key=repr)
        return snapshot


def service_urls(database: str, folder: Path, postgres_url: str = "") -> dict[str, str]:
    """A database per service: SQLite files, or a fresh schema each in `postgres_url`."""
    if database == "sqlite":
        return {name: f"sqlite:///{folder / f'{name}.db'}" for name in SERVICES}
    urls = {}
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
        for name in SERVICES:
            schema = f"p_{name}_{uuid.uuid4().hex[:10]}"
            connection.execute(psycopg_sql.SQL("CREATE SCHEMA {}").format(
                psycopg_sql.Identifier(schema)))
            # The seed commits row by row; not waiting for each commit's flush to disk (this
            # session only) makes seeding seconds faster and changes nothing a test observes.
            urls[name] = (f"{postgres_url}?options=-csearch_path%3D{schema}"
                          "%20-csynchronous_commit%3Doff")
    return urls


@contextmanager
def running_services(folder: Path, urls: dict[str, str] | None = None) -> Iterator[Running]:
    """The three services seeded with the demo hospital, on `urls` (SQLite files by default)."""
    hospital = build_hospital(date.today())
    urls = urls or service_urls("sqlite", folder)
    servers, stores, targets, channels = [], [], {}, {}
    by_name = {}
    try:
        for name, (store_type, migrate, seed, create) in SERVICES.items():
            url = urls[name]
            migrate(url)
            store = store_type.open(url)
            stores.append(store)
            by_name[name] = store
            seed(store, hospital)
            server, port = create(store=store, clock=system_clock)
            server.start()
            servers.append(server)
            targets[name] = f"127.0.0.1:{port}"
            channels[name] = rpc.client_channel(targets[name], None)
        yield Running(hospital, targets, channels, by_name)
    finally:
        for channel in channels.values():
            channel.close()
        for server in servers:
            server.stop(None)
        for store in stores:
            store.close()
