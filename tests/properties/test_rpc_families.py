"""Any request to any method of each service, by anyone, on SQLite and PostgreSQL: OK or a
proper status (never UNKNOWN), and a refused call leaves the service's data as it was.

Requests are generated from the proto descriptors (odd text, 5,001-digit numbers, the first and
last days of the calendar, out-of-range enums); the callers are the ICU manager and charge
nurse, a staff nurse, someone from another Slack team and nobody. The audit log is left out of
the comparison: a refusal is audited by design.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.properties.services import Running
from tests.properties.test_rpc_inputs import CALLERS, METHODS, PROPER, caller_metadata, messages

FAMILIES = ("staffing", "supplies", "training")


def requests_to(family: str) -> st.SearchStrategy:
    """(method, request) pairs for any method of the family."""
    return st.one_of(*[st.tuples(st.just(method), messages(GetMessageClass(method.input_type)))
                       for service, method in METHODS if service == family])


@pytest.mark.parametrize("family", FAMILIES)
def test_any_request_is_answered_properly_and_a_refusal_writes_nothing(
        stack: Running, family: str) -> None:
    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(call=requests_to(family), who=CALLERS)
    def answered_properly(call: tuple, who: str) -> None:
        method, request = call
        invoke = stack.channels[family].unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=type(request).SerializeToString,
            response_deserializer=GetMessageClass(method.output_type).FromString)
        before = stack.snapshot(family)
        try:
            invoke(request, timeout=20, metadata=caller_metadata(stack, who))
        except grpc.RpcError as error:
            assert error.code() in PROPER, (method.name, error.code(), error.details())
            assert stack.snapshot(family) == before, (method.name, error.code(),
                                                      error.details())

    answered_properly()
