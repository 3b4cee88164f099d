"""Metrics count real calls by method and status; one command's correlation id is in the logs of
the bot and of the service it asked; no token or secret ever reaches a log line."""

from __future__ import annotations

import json
import urllib.request

import pytest
from prometheus_client import REGISTRY

from bot.clients import ServiceCallError
from clinops import logs, metrics
from clinops.staffing.v1 import staffing_pb2
from tests.observability.stack import BOT_TOKEN, SIGNING_SECRET

STAFFING = "clinops.staffing.v1.StaffingService"
SERVER = "clinops_rpc_server_handled_total"
CLIENT = "clinops_rpc_client_handled_total"


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _method(method: str, code: str) -> dict[str, str]:
    return {"grpc_service": STAFFING, "grpc_method": method, "grpc_code": code}


def _lines(stream) -> list[dict]:  # noqa: ANN001
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_a_real_grpc_call_is_counted_by_method_and_status_on_both_sides(stack) -> None:
    ok, missing = _method("ListUnits", "OK"), _method("GetUnit", "NOT_FOUND")
    server_ok, client_ok = _count(SERVER, **ok), _count(CLIENT, **ok)
    server_missing, client_missing = _count(SERVER, **missing), _count(CLIENT, **missing)
    timed = _count("clinops_rpc_server_handling_seconds_count", grpc_service=STAFFING,
                   grpc_method="ListUnits")

    assert await stack.clients.staffing.list_units()
    with pytest.raises(ServiceCallError):
        await stack.clients.staffing.call(stack.clients.staffing.stub.GetUnit,
                                          staffing_pb2.GetUnitRequest(unit_id="NOWHERE"))

    assert _count(SERVER, **ok) == server_ok + 1
    assert _count(CLIENT, **ok) == client_ok + 1
    assert _count(SERVER, **missing) == server_missing + 1
    assert _count(CLIENT, **missing) == client_missing + 1
    assert _count("clinops_rpc_server_handling_seconds_count", grpc_service=STAFFING,
                  grpc_method="ListUnits") == timed + 1


def test_every_client_names_its_calls_as_the_service_does() -> None:
    """The bot labels a call from its request's name: every RPC's request is <Method>Request."""
    from bot.clients import StaffingClient, SuppliesClient, TrainingClient
    from clinops.supplies.v1 import supplies_pb2
    from clinops.training.v1 import training_pb2

    for client, module in ((StaffingClient, staffing_pb2), (SuppliesClient, supplies_pb2),
                           (TrainingClient, training_pb2)):
        [service] = module.DESCRIPTOR.services_by_name.values()
        assert client.grpc_service == service.full_name
        for method in service.methods:
            assert method.input_type.name == f"{method.name}Request", method.full_name


async def test_the_metrics_endpoint_shows_the_counters_moving_after_a_command(stack) -> None:
    served = metrics.serve_metrics(metrics.MetricsSettings(port=0, address="127.0.0.1"))
    assert served is not None
    server, port = served
    try:
        await stack.command(stack.user("charge"), "/shift-gap", "ICU")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            scrape = answer.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'clinops_slack_requests_handled_total{kind="command",name="/shift-gap"}' in scrape
    assert ('clinops_rpc_server_handled_total{grpc_code="OK",grpc_method="GetShiftGaps",'
            f'grpc_service="{STAFFING}"}}') in scrape
    for exposed in ("clinops_events_total", "clinops_reminders_sent_total",
                    "clinops_outbox_depth"):
        assert f"# TYPE {exposed.removesuffix('_total')}" in scrape


def test_the_metrics_endpoint_is_off_unless_a_port_is_set() -> None:
    assert metrics.serve_metrics(metrics.MetricsSettings()) is None


async def test_one_command_carries_its_correlation_id_into_the_logs_of_the_bot_and_the_service(
        stack, captured_logs) -> None:
    await stack.command(stack.user("charge"), "/shift-gap", "ICU")

    lines = _lines(captured_logs)
    [asked] = [line for line in lines if line["logger"] == "clinops.bot"
               and line["message"] == "slack command /shift-gap"]
    correlation = asked["correlation_id"]
    assert len(correlation) >= 8
    served = [line for line in lines if line["logger"] == "clinops.rpc"
              and line["correlation_id"] == correlation]
    assert any(line["message"].startswith("GetShiftGaps OK") for line in served)
    for line in lines:
        assert set(line) >= {"time", "level", "logger", "message", "correlation_id", "service"}
        assert line["time"].endswith("+00:00")


async def test_no_token_or_secret_reaches_the_logs_of_a_full_command_round_trip(
        stack, captured_logs) -> None:
    charge = stack.user("charge")
    await stack.command(charge, "/shift-gap", "ICU")
    await stack.command(charge, "/certs", "")
    await stack.open_home(charge)

    text = captured_logs.getvalue()
    assert text, "the round trip logged nothing at all"
    assert BOT_TOKEN not in text
    assert BOT_TOKEN.removeprefix("xoxb-") not in text
    assert SIGNING_SECRET not in text


def test_a_token_in_a_log_message_is_masked() -> None:
    assert logs.redact("auth with xoxb-123-abc and Bearer s3cret, xapp-1-A") == \
        "auth with *** and Bearer ***, ***"
