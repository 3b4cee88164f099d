"""Import files: the free-text cell of a certification CSV (evidence_reference) is guarded as
it is parsed, a row naming a patient rejected with the reason and nothing written; a site file's
names of things (facilities, units, items) are guarded as it is read."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
import yaml

from clinops.clock import fixed_clock
from clinops.site import SiteFileError, read_site
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.setup.test_site_file import SAMPLE
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


def test_a_site_file_naming_a_patient_in_a_unit_or_item_name_is_refused_with_the_place(
        ) -> None:
    document = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    document["units"][1]["name"] = "Overflow for Mr Jones"
    document["items"][0]["name"] = "Pump for bed 12"
    with pytest.raises(SiteFileError) as error:
        read_site(yaml.safe_dump(document).encode(), "site.yml")
    assert error.value.problems == [
        "units[1].name: looks like a person's name after a title (Mr, Mrs, Ms, Miss, Dr); "
        "leave patient details out and say it without them",
        "items[0].name: names a room or bed (such as 'bed 3' or 'rm 2B'), which points to a "
        "patient; leave patient details out and say it without them"]
