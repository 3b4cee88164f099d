"""Import files: the free-text cell of a certification CSV (evidence_reference) is guarded as
it is parsed; a row naming a patient is rejected with the reason and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from clinops.clock import fixed_clock
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.training.test_training_servicer import CSV_GOOD, MANAGER_ED, call
from tests.training.training_fixtures import NOW, populate


@pytest.fixture
def training(database_url: str) -> Iterator[tuple[training_pb2_grpc.TrainingServiceStub,
                                                   TrainingStore]]:
    migrate(database_url)
    store = TrainingStore.open(database_url)
    populate(store)
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield training_pb2_grpc.TrainingServiceStub(channel), store
    server.stop(None)
    store.close()


def test_a_csv_row_whose_evidence_names_a_patient_is_rejected_and_nothing_is_written(
        training) -> None:  # noqa: ANN001
    stub, _ = training
    content = CSV_GOOD + b"N3,BLS,2026-01-10,,card seen with Pt Jane Doe MRN 7654321\n"
    answer = call(stub, "ImportRecords", MANAGER_ED, format=training_pb2.IMPORT_FORMAT_CSV,
                  content=content)
    assert answer.records_written == 0
    [rejected] = answer.rejected
    assert rejected.position == 3
    assert rejected.reason.startswith("evidence_reference looks like a medical record number")
    assert "7654321" not in rejected.reason
    on_file = call(stub, "ListRecords", MANAGER_ED, staff_id="N3").records
    assert not {r.evidence_reference for r in on_file} & {"HR-1", "HR-2"}
    assert not any("7654321" in r.evidence_reference for r in on_file)
