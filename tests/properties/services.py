"""The three services over real gRPC, seeded with the demo hospital, for property tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc

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


@dataclass
class Running:
    hospital: object
    targets: dict[str, str]
    channels: dict[str, grpc.Channel]


@contextmanager
def running_services(folder: Path) -> Iterator[Running]:
    hospital = build_hospital(date.today())
    servers, stores, targets, channels = [], [], {}, {}
    try:
        for name, (store_type, migrate, seed, create) in SERVICES.items():
            url = f"sqlite:///{folder / f'{name}.db'}"
            migrate(url)
            store = store_type.open(url)
            stores.append(store)
            seed(store, hospital)
            server, port = create(store=store, clock=system_clock)
            server.start()
            servers.append(server)
            targets[name] = f"127.0.0.1:{port}"
            channels[name] = rpc.client_channel(targets[name], None)
        yield Running(hospital, targets, channels)
    finally:
        for channel in channels.values():
            channel.close()
        for server in servers:
            server.stop(None)
        for store in stores:
            store.close()
