"""Prometheus metrics every ClinOps process exposes, and the HTTP /metrics endpoint.

The endpoint is off unless CLINOPS_METRICS_PORT is set (each container of the stack sets its
own). Labels stay few and bounded: gRPC method and status code, Slack request kind and id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import grpc
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import start_http_server
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

RPC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

RPC_SERVER_HANDLED = Counter(
    "clinops_rpc_server_handled", "gRPC calls a service finished, by method and status code",
    ["grpc_service", "grpc_method", "grpc_code"])
RPC_SERVER_SECONDS = Histogram(
    "clinops_rpc_server_handling_seconds", "Time a service took to answer, by method",
    ["grpc_service", "grpc_method"], buckets=RPC_BUCKETS)
RPC_CLIENT_HANDLED = Counter(
    "clinops_rpc_client_handled", "gRPC calls the bot or scheduler made, by method and status",
    ["grpc_service", "grpc_method", "grpc_code"])
RPC_CLIENT_SECONDS = Histogram(
    "clinops_rpc_client_handling_seconds", "Time a call took as its caller saw it, by method",
    ["grpc_service", "grpc_method"], buckets=RPC_BUCKETS)
SLACK_REQUESTS = Counter(
    "clinops_slack_requests_handled",
    "Slack requests the bot handled: kind (command, action, view, event, shortcut) and id",
    ["kind", "name"])
EVENTS = Counter(
    "clinops_events", "Service events for the bot: delivered, failed or dead-lettered",
    ["outcome"])
REMINDERS_SENT = Counter(
    "clinops_reminders_sent", "Certification reminders DMed (Slack took the notifier's post)")
OUTBOX_DEPTH = Gauge(
    "clinops_outbox_depth", "Events written by a service and not yet delivered", ["service"])
ORDER_HAND_OFFS = Counter(
    "clinops_order_hand_offs", "Purchase orders handed to the supplier outlet: sent or failed",
    ["outcome"])


class MetricsSettings(BaseSettings):
    """Where this process serves GET /metrics; unset port = no endpoint."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    port: int | None = Field(default=None, ge=0, le=65535, validation_alias="CLINOPS_METRICS_PORT",
                             description="Port of this process's /metrics (off when unset)")
    address: str = Field(default="0.0.0.0", validation_alias="CLINOPS_METRICS_ADDRESS",
                         description="Address the /metrics endpoint listens on")


def serve_metrics(settings: MetricsSettings | None = None, *,
                  registry: CollectorRegistry = REGISTRY) -> tuple[Any, int] | None:
    """Start the /metrics HTTP server in a daemon thread; (server, port), or None when off."""
    settings = settings or MetricsSettings()
    if settings.port is None:
        return None
    server, _thread = start_http_server(settings.port, addr=settings.address, registry=registry)
    port = server.server_address[1]
    log.info("metrics on port %d at /metrics", port)
    return server, port


def split_method(full_method: str | bytes) -> tuple[str, str]:
    """'/clinops.staffing.v1.StaffingService/ListUnits' -> (service, 'ListUnits')."""
    if isinstance(full_method, bytes):
        full_method = full_method.decode()
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service or "unknown", method or "unknown"


def observe_client_call(full_method: str | bytes, code: grpc.StatusCode, seconds: float) -> None:
    service, method = split_method(full_method)
    RPC_CLIENT_HANDLED.labels(service, method, code.name).inc()
    RPC_CLIENT_SECONDS.labels(service, method).observe(seconds)


class ClientMetricsInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Counts and times every unary call made on a blocking channel (the scheduler)."""

    def intercept_unary_unary(self, continuation, client_call_details, request):  # noqa: ANN001, ANN201
        started = time.perf_counter()
        outcome = continuation(client_call_details, request)
        observe_client_call(client_call_details.method, outcome.code(),
                            time.perf_counter() - started)
        return outcome


def slack_request_kind(body: Mapping[str, Any]) -> tuple[str, str]:
    """What a Slack request is, for the handled-requests counter: (kind, id)."""
    if body.get("command"):
        return "command", str(body["command"])
    kind = body.get("type", "")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return "action", str(actions[0].get("action_id", "unknown"))
    if kind in ("view_submission", "view_closed"):
        return "view", str((body.get("view") or {}).get("callback_id", "unknown"))
    if kind in ("shortcut", "message_action"):
        return "shortcut", str(body.get("callback_id", "unknown"))
    if kind == "event_callback":
        return "event", str((body.get("event") or {}).get("type", "unknown"))
    return "other", str(kind or "unknown")
