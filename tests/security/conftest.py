"""The three services over real gRPC with the demo hospital, each on its own database (SQLite
files, or a PostgreSQL schema each), and callers to knock on their doors with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import grpc
import psycopg
import pytest
from psycopg import sql

from clinops import authz
from clinops.clock import fixed_clock
from clinops.demo.hospital import DemoHospital, DemoStaff, build_hospital
from clinops.rpc import Caller, caller_metadata
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2
from services.staffing import seed as staffing_seed
from services.staffing import server as staffing_server
from services.staffing import store as staffing_store
from services.supplies import seed as supplies_seed
from services.supplies import server as supplies_server
from services.supplies import store as supplies_store
from services.training import seed as training_seed
from services.training import server as training_server
from services.training import store as training_store

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)
FOREIGN_TEAM = "T0ELSEWHERE"


def service_url(database_url: str, name: str) -> str:
    """One database per service: a SQLite file beside the test's, or a PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        return database_url.replace("test.db", f"{name}.db")
    base, _, options = database_url.partition("?")
    schema = f"{options.rsplit('%3D', 1)[1]}_{name}"
    database = base.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}",
                         autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{base}?options=-csearch_path%3D{schema}"


@dataclass
class Ward:
    """The demo hospital's three services, serving, with their stores."""

    hospital: DemoHospital
    channels: dict[str, grpc.Channel]
    stores: dict[str, Any]

    def person(self, name: str) -> DemoStaff:
        return next(s for s in self.hospital.staff if s.display_name == name)

    def call(self, service: str, method: str, request: Any, *, metadata: tuple = ()) -> Any:
        """One unary call by full method name, answering the response or raising RpcError."""
        full = f"/{SERVICES[service].full_name}/{method}"
        output = type(response_of(service, method))
        stub = self.channels[service].unary_unary(
            full, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=output.FromString)
        return stub(request, timeout=10, metadata=metadata)


SERVICES = {
    "staffing": staffing_pb2.DESCRIPTOR.services_by_name["StaffingService"],
    "supplies": supplies_pb2.DESCRIPTOR.services_by_name["SuppliesService"],
    "training": training_pb2.DESCRIPTOR.services_by_name["TrainingService"],
}
_MODULES = {"staffing": staffing_pb2, "supplies": supplies_pb2, "training": training_pb2}


def message_class(service: str, full_name: str) -> type:
    return getattr(_MODULES[service], full_name.rsplit(".", 1)[1])


def request_of(service: str, method: str) -> Any:
    descriptor = SERVICES[service].methods_by_name[method]
    return message_class(service, descriptor.input_type.full_name)()


def response_of(service: str, method: str) -> Any:
    descriptor = SERVICES[service].methods_by_name[method]
    return message_class(service, descriptor.output_type.full_name)()


def as_person(person: DemoStaff | None, team: str | None = None) -> tuple:
    """Metadata of the bot acting for `person` (None: no caller), optionally in another team."""
    if person is None:
        return ()
    return caller_metadata(Caller(team or person.slack_team_id, person.slack_user_id, "sweep"))


def as_scheduler() -> tuple:
    return authz.service_metadata()


@pytest.fixture
def ward(database_url: str) -> Iterator[Ward]:
    hospital = build_hospital(TODAY)
    clock = fixed_clock(NOW)
    stores: dict[str, Any] = {}
    servers = []
    for name, module, store_module, store_class, seed in (
            ("training", training_server, training_store, training_store.TrainingStore,
             training_seed),
            ("supplies", supplies_server, supplies_store, supplies_store.SuppliesStore,
             supplies_seed),
            ("staffing", staffing_server, staffing_store, staffing_store.StaffingStore,
             staffing_seed)):
        url = service_url(database_url, name)
        store_module.migrate(url)
        store = store_class.open(url)
        seed.seed_demo(store, hospital)
        stores[name] = store
        extra = ({"training_target": f"127.0.0.1:{servers[0][1]}"} if name == "staffing" else {})
        server, port = module.create_server(store=store, clock=clock, **extra)
        server.start()
        servers.append((server, port))
    ports = {"training": servers[0][1], "supplies": servers[1][1], "staffing": servers[2][1]}
    channels = {name: grpc.insecure_channel(f"127.0.0.1:{port}") for name, port in ports.items()}
    try:
        yield Ward(hospital, channels, stores)
    finally:
        for channel in channels.values():
            channel.close()
        for server, _ in servers:
            server.stop(grace=None).wait(5)
        for store in stores.values():
            store.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
