"""What every ClinOps gRPC process shares: metadata keys, the actor, standard services, errors.

Services import this module, never each other. Listeners in bot/ send the metadata; servicers
read it with `caller_from(context)`.
"""

import logging
import signal
import threading
from collections.abc import Iterable, Mapping
from concurrent import futures
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

SLACK_TEAM_KEY = "x-clinops-slack-team"
SLACK_USER_KEY = "x-clinops-slack-user"
CORRELATION_ID_KEY = "x-clinops-correlation-id"
IDEMPOTENCY_KEY = "x-clinops-idempotency-key"


@dataclass(frozen=True)
class Caller:
    """The person on whose behalf an RPC runs, as Slack identified them."""

    slack_team_id: str
    slack_user_id: str
    correlation_id: str = ""

    @property
    def known(self) -> bool:
        return bool(self.slack_team_id and self.slack_user_id)


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    """Call metadata that carries the caller to the service that owns the action."""
    pairs = [(SLACK_TEAM_KEY, caller.slack_team_id), (SLACK_USER_KEY, caller.slack_user_id)]
    if caller.correlation_id:
        pairs.append((CORRELATION_ID_KEY, caller.correlation_id))
    return tuple(pairs)


def caller_from(context: grpc.ServicerContext) -> Caller:
    metadata: Mapping[str, str] = dict(context.invocation_metadata() or ())
    return Caller(
        slack_team_id=metadata.get(SLACK_TEAM_KEY, ""),
        slack_user_id=metadata.get(SLACK_USER_KEY, ""),
        correlation_id=metadata.get(CORRELATION_ID_KEY, ""),
    )


def abort_invalid_argument(context: grpc.ServicerContext, violations: Mapping[str, str]) -> None:
    """Reject bad input: INVALID_ARGUMENT with a google.rpc.BadRequest naming each field."""
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
            for field, description in violations.items()
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    message = "; ".join(f"{field}: {description}" for field, description in violations.items())
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail]
    )
    context.abort_with_status(rpc_status.to_status(status))


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    """The BadRequest field violations carried by an INVALID_ARGUMENT error, for clients."""
    status = rpc_status.from_call(error) if hasattr(error, "trailing_metadata") else None
    violations: dict[str, str] = {}
    for detail in status.details if status else ():
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            for violation in bad_request.field_violations:
                violations[violation.field] = violation.description
    return violations


def create_server(
    *,
    register: Iterable,
    service_names: Iterable[str],
    address: str = "127.0.0.1:0",
    max_workers: int = 16,
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A gRPC server with health checking and reflection; returns (server, bound port, health).

    `register` holds callables taking the server (the generated add_*_to_server, bound to a
    servicer). Port 0 in `address` lets the OS choose, as tests do.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
    for add in register:
        add(server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = list(service_names)
    for name in names:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME],
                                        server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"could not bind gRPC server to {address}")
    return server, port, health_servicer


def serve_until_signalled(
    server: grpc.Server,
    health_servicer: health.HealthServicer,
    *,
    name: str,
    port: int,
    grace_seconds: float,
) -> None:
    """Start `server`, block until SIGTERM/SIGINT, report NOT_SERVING, then stop with grace."""
    log = logging.getLogger(f"services.{name}.server")
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("%s: signal %s, draining", name, signum)
        # Load balancers and the bot's health checks see NOT_SERVING before connections close.
        health_servicer.enter_graceful_shutdown()
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    log.info("%s: serving on port %d", name, port)
    try:
        stopping.wait()
        server.stop(grace_seconds).wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
