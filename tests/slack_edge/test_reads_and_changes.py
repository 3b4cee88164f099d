"""Which RPCs are reads: an unanswered read is "try again", an unanswered change "look first"."""

from __future__ import annotations

import grpc
import pytest

from bot.clients import ServiceCallError
from bot.errors import error_text
from clinops.rpc import READ_METHODS
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2

SERVICES = [service for module in (staffing_pb2, supplies_pb2, training_pb2)
            for service in module.DESCRIPTOR.services_by_name.values()]
READ_VERBS = ("Get", "List", "Check", "Export")


def test_every_rpc_named_as_a_read_is_listed_among_the_reads():
    unlisted = [f"{service.full_name}/{method.name}" for service in SERVICES
                for method in service.methods
                if method.name.startswith(READ_VERBS)
                and method.name not in READ_METHODS.get(service.full_name, ())]
    assert unlisted == []


def _lost(rpc: str, code: grpc.StatusCode = grpc.StatusCode.DEADLINE_EXCEEDED) -> str:
    error = ServiceCallError(service="Supplies", code=code, details="", rpc=rpc)
    return error_text(error, "abc123")


@pytest.mark.parametrize("code", [grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE])
def test_an_unanswered_read_says_try_again_and_an_unanswered_change_where_to_look(code):
    service = "/clinops.supplies.v1.SuppliesService"
    assert _lost(f"{service}/GetUnitBudget", code) == (
        "Supplies is not answering — try again in a minute (ref abc123)")
    assert _lost(f"{service}/RecordCount", code) == (
        "Supplies did not answer in time, so your count may have gone through. Check "
        "`/supply status` for the unit before trying again (ref abc123)")
