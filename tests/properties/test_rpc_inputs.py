"""Any field values sent to any service method get OK or a proper status, never UNKNOWN/INTERNAL.

Requests are generated from the proto descriptors, so a method added later is covered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinops import rpc
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2
from tests.properties.services import Running, running_services

PROPER = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.OUT_OF_RANGE,
}
MODULES = {"staffing": staffing_pb2, "supplies": supplies_pb2, "training": training_pb2}
METHODS = [(name, method) for name, module in MODULES.items()
           for service in module.DESCRIPTOR.services_by_name.values()
           for method in service.methods]
ODD_TEXT = st.one_of(
    st.sampled_from(["", " ", "ICU", "icu", "4W", "S001", "ACLS", "0", "-1", "9" * 30,
                     "9" * 5001, "PO-" + "1" * 5001, "RP-" + "1" * 5001,
                     "'; DROP TABLE units;--", "=HYPERLINK(\"x\")", "\u202e", "é", "\x00"]),
    st.text(max_size=40),
)
INTS = st.one_of(st.sampled_from([0, 1, -1, 2**31 - 1, -(2**31), 31, 13, 2026, 99999]),
                 st.integers(-(2**31), 2**31 - 1))


# The first and last days a proto Date can name, and days near them: date arithmetic on these
# (a reminder window, the day after a shift) leaves Python's date range.
EDGE_DATES = st.sampled_from([(1, 1, 1), (1, 1, 2), (9999, 12, 31), (9999, 12, 1), (1949, 12, 31),
                              (2200, 1, 1)]).map(lambda ymd: common_pb2.Date(
                                  year=ymd[0], month=ymd[1], day=ymd[2]))


def values(field: FieldDescriptor, depth: int) -> st.SearchStrategy:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if depth > 2:
            return st.none()
        generic = messages(GetMessageClass(field.message_type), depth + 1)
        if field.message_type.full_name == common_pb2.Date.DESCRIPTOR.full_name:
            return st.one_of(EDGE_DATES, generic)
        return generic
    if field.type == FieldDescriptor.TYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), INTS)
    if field.type == FieldDescriptor.TYPE_STRING:
        return ODD_TEXT
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=200)
    if field.type in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64,
                      FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**32 - 1)
    if field.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64,
                      FieldDescriptor.TYPE_SFIXED64):
        return st.one_of(INTS, st.integers(-(2**63), 2**63 - 1))
    return INTS


def messages(cls: type[Message], depth: int = 0) -> st.SearchStrategy:
    """Instances of `cls` with any subset of fields set to odd values."""
    fields = {}
    for field in cls.DESCRIPTOR.fields:
        strategy = values(field, depth)
        if field.is_repeated:
            strategy = st.lists(strategy, max_size=3)
        fields[field.name] = st.one_of(st.none(), strategy)

    def build(chosen: dict) -> Message:
        message = cls()
        for name, value in chosen.items():
            if value is None or (isinstance(value, list) and None in value):
                continue
            field = cls.DESCRIPTOR.fields_by_name[name]
            if field.is_repeated:
                getattr(message, name).extend(value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return st.fixed_dictionaries(fields).map(build)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_services(Path(tmp_path_factory.mktemp("rpc-properties"))) as running:
        yield running


CALLERS = st.sampled_from(["manager", "charge", "nurse", "stranger", "nobody"])


def caller_metadata(services: Running, who: str) -> tuple:
    staff = {s.display_name: s for s in services.hospital.staff}
    names = {"manager": "Denise Okafor", "charge": "Maya Castillo", "nurse": "Derek Lindqvist"}
    if who == "nobody":
        return ()
    if who == "stranger":
        return rpc.caller_metadata(rpc.Caller(slack_team_id="T_ELSEWHERE", slack_user_id="U0"))
    member = staff[names[who]]
    return rpc.caller_metadata(rpc.Caller(slack_team_id=member.slack_team_id,
                                          slack_user_id=member.slack_user_id))


@pytest.mark.parametrize(("service", "method"), METHODS,
                         ids=[f"{s}.{m.name}" for s, m in METHODS])
def test_any_request_gets_ok_or_a_proper_status(services: Running, service: str,
                                                method) -> None:  # noqa: ANN001
    request_type = GetMessageClass(method.input_type)
    response_type = GetMessageClass(method.output_type)
    call = services.channels[service].unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=request_type.SerializeToString,
        response_deserializer=response_type.FromString)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(request=messages(request_type), who=CALLERS)
    def answers_properly(request: Message, who: str) -> None:
        try:
            call(request, timeout=10, metadata=caller_metadata(services, who))
        except grpc.RpcError as error:
            assert error.code() in PROPER, (method.name, error.code(), error.details(), request)
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                assert rpc.field_violations(error), (method.name, error.details())

    answers_properly()


def date_paths(descriptor, prefix: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple]:  # noqa: ANN001
    """Every path to a Date field of a request, nested messages included."""
    for field in descriptor.fields:
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.is_repeated:
            continue
        if field.message_type.full_name == common_pb2.Date.DESCRIPTOR.full_name:
            yield (*prefix, field.name)
        elif depth < 2:
            yield from date_paths(field.message_type, (*prefix, field.name), depth + 1)


DATED = [(service, method, path) for service, method in METHODS
         for path in date_paths(method.input_type)]


@pytest.mark.parametrize(("service", "method", "path"), DATED,
                         ids=[f"{s}.{m.name}.{'.'.join(p)}" for s, m, p in DATED])
@pytest.mark.parametrize("edge", [(1, 1, 1), (9999, 12, 31)], ids=["first-day", "last-day"])
def test_the_first_and_last_days_of_the_calendar_get_a_proper_status_in_every_date_field(
        services: Running, service: str, method, path: tuple, edge: tuple) -> None:  # noqa: ANN001
    request_type = GetMessageClass(method.input_type)
    call = services.channels[service].unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=request_type.SerializeToString,
        response_deserializer=GetMessageClass(method.output_type).FromString)
    for shift in (common_pb2.SHIFT_DAY, common_pb2.SHIFT_NIGHT):
        request = request_type()
        holder = request
        for name in path[:-1]:
            holder = getattr(holder, name)
            if "shift" in holder.DESCRIPTOR.fields_by_name:
                holder.shift = shift
        getattr(holder, path[-1]).CopyFrom(
            common_pb2.Date(year=edge[0], month=edge[1], day=edge[2]))
        if "shift" in request.DESCRIPTOR.fields_by_name:
            request.shift = shift
        unit_field = request.DESCRIPTOR.fields_by_name.get("unit_id")
        if unit_field is not None and not unit_field.is_repeated:
            request.unit_id = "ICU"  # a known unit, so the date is what is judged
        try:
            call(request, timeout=10, metadata=caller_metadata(services, "manager"))
        except grpc.RpcError as error:
            assert error.code() in PROPER, (method.name, path, error.code(), error.details())
