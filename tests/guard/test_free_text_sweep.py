"""The sweep: every string field of every request of every service proto is either free text
(and a real gRPC call carrying a patient identifier there is refused, naming the field, with
nothing stored) or declared an identifier; bytes fields are import files guarded by their
parser."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from clinops import authz, rpc
from clinops.clock import system_clock
from clinops.free_text import FreeTextGuard, string_fields
from clinops.staffing.v1 import staffing_pb2_grpc
from clinops.supplies.v1 import supplies_pb2_grpc
from clinops.training.v1 import training_pb2_grpc
from services.staffing import free_text as staffing_text
from services.staffing import seed as staffing_seed
from services.staffing import server as staffing_server
from services.staffing import store as staffing_store
from services.supplies import free_text as supplies_text
from services.supplies import seed as supplies_seed
from services.supplies import server as supplies_server
from services.supplies import store as supplies_store
from services.training import free_text as training_text
from services.training import seed as training_seed
from services.training import server as training_server
from services.training import store as training_store
from tests.conftest import Prepare, demo_database

PATIENT = "Pt John Smith MRN 00123456"
# The demo hospital's house supervisor (Harold Jimenez, of the demo team T0CLINOPS), who holds
# every ward relation on every unit, with the scheduler credential for the scheduler's RPCs:
# the authorisation table, which runs before the guard, lets every call through to the guard.
SUPERVISOR = rpc.Caller("T0CLINOPS", "U0SUP001")


@dataclass(frozen=True)
class Service:
    text: ModuleType  # the service's free_text module: FREE_TEXT, IDENTIFIERS, IMPORT_FILES
    store: type
    migrate: object
    create_server: object
    stub: type
    seed: object


SERVICES = {
    "staffing": Service(staffing_text, staffing_store.StaffingStore, staffing_store.migrate,
                        staffing_server.create_server, staffing_pb2_grpc.StaffingServiceStub,
                        staffing_seed.seed_demo),
    "supplies": Service(supplies_text, supplies_store.SuppliesStore, supplies_store.migrate,
                        supplies_server.create_server, supplies_pb2_grpc.SuppliesServiceStub,
                        supplies_seed.seed_demo),
    "training": Service(training_text, training_store.TrainingStore, training_store.migrate,
                        training_server.create_server, training_pb2_grpc.TrainingServiceStub,
                        training_seed.seed_demo),
}


def _request_with(method_input: type[Message], path: str, text: str) -> tuple[Message, str]:
    """A request with `text` at `path` ("rows[].reason"), and the field name a refusal gives."""
    request = method_input()
    target: Message = request
    *parents, leaf = path.split(".")
    named = []
    for part in parents:
        name = part.removesuffix("[]")
        if part.endswith("[]"):
            target = getattr(target, name).add()
            named.append(f"{name}[0]")
        else:
            target = getattr(target, name)
            named.append(name)
    if target.DESCRIPTOR.fields_by_name[leaf].is_repeated:
        getattr(target, leaf).append(text)
        named.append(f"{leaf}[0]")
    else:
        setattr(target, leaf, text)
        named.append(leaf)
    return request, ".".join(named)


def _stored_text(engine: sa.Engine) -> list[str]:
    """Every text value in every table of a service's database (its outbox included)."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                found += [str(value) for value in row if isinstance(value, str | bytes)]
    return found


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_request_string_field_is_declared_free_text_or_an_identifier(name: str) -> None:
    text = SERVICES[name].text
    fields = {field.full_name for method in text.SERVICE.methods
              for _, field in string_fields(method.input_type)}
    undeclared = fields - text.FREE_TEXT - text.IDENTIFIERS
    assert not undeclared, f"declare each as free text or an identifier: {sorted(undeclared)}"
    assert not text.FREE_TEXT & text.IDENTIFIERS
    assert not (text.FREE_TEXT | text.IDENTIFIERS) - fields, "names no request field"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_bytes_field_of_a_request_is_an_import_file_with_a_guarded_parser(name: str
                                                                               ) -> None:
    text = SERVICES[name].text

    def bytes_fields(message, within=()):  # noqa: ANN001, ANN202
        for field in message.fields:
            if field.type == FieldDescriptor.TYPE_BYTES:
                yield field.full_name
            elif (field.type == FieldDescriptor.TYPE_MESSAGE
                  and field.message_type.full_name not in within):
                yield from bytes_fields(field.message_type, (*within, message.full_name))

    found = {f for method in text.SERVICE.methods for f in bytes_fields(method.input_type)}
    assert found == set(text.IMPORT_FILES)
    for parser in text.IMPORT_FILES.values():
        module = __import__(parser, fromlist=["patient_identifier"])
        assert hasattr(module, "patient_identifier"), f"{parser} does not apply the guard"


def test_a_guard_naming_a_field_no_request_has_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="ReportGapRequest.reasn"):
        FreeTextGuard(staffing_text.SERVICE, {"clinops.staffing.v1.ReportGapRequest.reasn"})


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_patient_identifier_in_any_free_text_field_is_refused_naming_the_field(
        name: str, prepared_database: Prepare, hospital) -> None:  # noqa: ANN001
    service = SERVICES[name]
    # Seeded with the demo hospital, so the staff directory the authorisation reads has the
    # facility's team and its people.
    store = service.store.open(demo_database(prepared_database, name, service.migrate,
                                             service.store.open, service.seed, hospital))
    server, port = service.create_server(store=store, clock=system_clock)
    server.start()
    channel = rpc.client_channel(f"127.0.0.1:{port}", None)
    stub = service.stub(channel)
    assert hospital.staff_by_slack_user(SUPERVISOR.slack_user_id).display_name == "Harold Jimenez"
    caller = rpc.caller_metadata(SUPERVISOR) + authz.service_metadata()
    swept = []
    try:
        for method in service.text.SERVICE.methods:
            for path, field in string_fields(method.input_type):
                if field.full_name in service.text.IDENTIFIERS:
                    continue
                request, named = _request_with(_input_class(method), path, PATIENT)
                with pytest.raises(grpc.RpcError) as refused:
                    getattr(stub, method.name)(request, timeout=10, metadata=caller)
                assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (
                    method.name, path, refused.value.details())
                violations = rpc.field_violations(refused.value)
                assert named in violations, (method.name, path, violations)
                assert "medical record number" in violations[named]
                assert "00123456" not in refused.value.details()
                swept.append(field.full_name)
        assert "00123456" not in " ".join(_stored_text(store.engine))
    finally:
        channel.close()
        server.stop(None)
        store.close()
    assert set(swept) == service.text.FREE_TEXT


def _input_class(method) -> type[Message]:  # noqa: ANN001
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(method.input_type)


def _service_with_a_new_field() -> tuple[object, type[Message]]:
    """A service whose request gained a string field nobody has classified yet."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FileDescriptorProto(name="ward_notes.proto", package="test.guard.v1",
                                               syntax="proto3")
    request = proto.message_type.add(name="LogHandoverRequest")
    for number, name in enumerate(("unit_id", "handover_note"), start=1):
        request.field.add(name=name, number=number, type=FieldDescriptor.TYPE_STRING,
                          label=FieldDescriptor.LABEL_OPTIONAL)
    proto.message_type.add(name="LogHandoverResponse")
    proto.service.add(name="WardNotesService").method.add(
        name="LogHandover", input_type=".test.guard.v1.LogHandoverRequest",
        output_type=".test.guard.v1.LogHandoverResponse")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    service = pool.FindServiceByName("test.guard.v1.WardNotesService")
    return service, message_factory.GetMessageClass(
        pool.FindMessageTypeByName("test.guard.v1.LogHandoverRequest"))


def test_a_string_field_nobody_classified_is_guarded_by_default() -> None:
    from clinops.free_text import refusals

    service, request_type = _service_with_a_new_field()
    identifiers = {"test.guard.v1.LogHandoverRequest.unit_id"}
    guard = FreeTextGuard(service, identifiers)
    assert "/test.guard.v1.WardNotesService/LogHandover" in guard._guarded  # noqa: SLF001
    found = refusals(request_type(unit_id="ICU", handover_note="Mrs Jones rm 4 DOB 3/2/50"),
                     identifiers)
    assert list(found) == ["handover_note"]
    assert refusals(request_type(unit_id="ICU", handover_note="sick call"), identifiers) == {}
