"""What every ClinOps gRPC process shares: metadata keys, the actor, standard services, errors.

Services import this module, never each other. Listeners in bot/ send the metadata; servicers
read it with `caller_from(context)`.
"""

import hashlib
import hmac
import inspect
import ipaddress
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from clinops import idempotency, logs, metrics
from clinops.serving import Health, Placement, ServerThread, ServingLoopStuck, replaced

SLACK_TEAM_KEY = "x-clinops-slack-team"
SLACK_USER_KEY = "x-clinops-slack-user"
CORRELATION_ID_KEY = "x-clinops-correlation-id"
IDEMPOTENCY_KEY = "x-clinops-idempotency-key"

_rpc_log = logging.getLogger("clinops.rpc")


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


@contextmanager
def domain_errors(context: grpc.ServicerContext, *,
                  status_of: Mapping[type[Exception], grpc.StatusCode],
                  base_error: type[Exception], invalid_input: type[Exception],
                  ) -> Iterator[None]:
    """A service's refusals as gRPC statuses: `invalid_input` (with its `violations`) →
    INVALID_ARGUMENT naming each field; any other `base_error` → its status in `status_of`
    (INTERNAL for one not listed), with the refusal's words as the message."""
    try:
        yield
    except invalid_input as error:
        abort_invalid_argument(context, error.violations)  # type: ignore[attr-defined]
    except base_error as error:
        context.abort(status_of.get(type(error), grpc.StatusCode.INTERNAL), str(error))


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


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every unary call by method and status; logs it with its correlation id.

    Outermost of a server's interceptors, so refused calls (UNAUTHENTICATED) are counted too.
    The correlation id from the caller's metadata is set for the call's log records.
    """

    async def intercept_service(self, continuation: Any,
                                details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        service, method = metrics.split_method(details.method)
        correlation = str(dict(details.invocation_metadata or ()).get(CORRELATION_ID_KEY, ""))
        behaviour = handler.unary_unary

        @contextmanager
        def observing(context: Any) -> Iterator[None]:
            started = time.perf_counter()
            code = grpc.StatusCode.UNKNOWN
            with logs.correlated(correlation):
                try:
                    yield
                    code = context.code() or grpc.StatusCode.OK
                except Exception:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                finally:
                    seconds = time.perf_counter() - started
                    name = code.name
                    metrics.RPC_SERVER_HANDLED.labels(service, method, name).inc()
                    metrics.RPC_SERVER_SECONDS.labels(service, method).observe(seconds)
                    _rpc_log.info("%s %s in %.1f ms", method, name, seconds * 1000)

        if inspect.iscoroutinefunction(behaviour):  # grpc.aio's own (health)
            async def observed_on_loop(request: Any, context: Any) -> Any:
                with observing(context):
                    return await behaviour(request, context)

            return replaced(handler, observed_on_loop)

        def observed(request: Any, context: grpc.ServicerContext) -> Any:
            with observing(context):
                return behaviour(request, context)

        return replaced(handler, observed)


def create_server(
    *,
    register: Iterable,
    service_names: Iterable[str],
    address: str = "127.0.0.1:0",
    max_workers: int = 16,
    security: "ServerSecurity | None" = None,
    interceptors: Iterable[grpc.aio.ServerInterceptor] = (),
    on_loop: Iterable[str] = (),
) -> tuple[ServerThread, int, Health]:
    """A gRPC server with health checking and reflection; returns (server, bound port, health).

    `register` holds callables taking the server (the generated add_*_to_server, bound to a
    servicer). Port 0 in `address` lets the OS choose, as tests do. With `security`, the port
    speaks TLS only and every call must carry the service credential. Handlers run in a pool of
    `max_workers` threads, except the methods (full names) in `on_loop`: see clinops.serving.
    """
    # The credential check runs first, so an unauthenticated call never reaches a memo.
    chain = [BearerTokenInterceptor(security.token)] if security else []
    server = ServerThread(workers=max_workers, interceptors=[
        Placement(on_loop), ObservabilityInterceptor(), *chain, *interceptors])
    for add in register:
        add(server)
    health_servicer = Health(server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer.servicer, server)
    names = list(service_names)
    for name in names:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    server.call(reflection.enable_server_reflection,
                [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server.server)
    if security:
        credentials = grpc.ssl_server_credentials([(security.private_key, security.cert_chain)])
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"could not bind gRPC server to {address}")
    return server, port, health_servicer


def serve_until_signalled(
    server: ServerThread,
    health_servicer: Health,
    *,
    name: str,
    port: int,
    grace_seconds: float,
) -> None:
    """Start `server`, block until SIGTERM/SIGINT, report NOT_SERVING, then stop with grace."""
    logs.configure(service=name)
    metrics.serve_metrics()
    log = logging.getLogger(f"services.{name}.server")
    signalled: list[int] = []
    stopping = threading.Event()

    # The handler only notes the signal: the main thread drains, each step bounded by the
    # grace, so a signal never waits inside a handler on a loop that may be busy.
    def _stop(signum: int, _frame: object) -> None:
        signalled.append(signum)
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    log.info("%s: serving on port %d", name, port)
    try:
        stopping.wait()
        log.info("%s: signal %s, draining", name, signalled[0])
        # Load balancers and the bot's health checks see NOT_SERVING before connections close.
        try:
            health_servicer.enter_graceful_shutdown(timeout=grace_seconds)
        except ServingLoopStuck:
            log.exception("%s: could not report NOT_SERVING", name)
        if not server.stop(grace_seconds).wait():
            log.error("%s: not stopped within %.1f s of grace; exiting", name, grace_seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# Off-box security (DESIGN.md: services listen on loopback by default; anywhere else they need
# TLS and a service credential). One bearer token is shared by the processes of one stack.

AUTHORIZATION_KEY = "authorization"


def is_loopback(address: str) -> bool:
    """True for a listen address or target on this machine only (127.0.0.0/8, ::1, localhost)."""
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.strip("[]").removeprefix("ipv4:").removeprefix("ipv6:")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerSecurity:
    """What a server needs off-box: its certificate chain and key (PEM) and the expected token."""

    cert_chain: bytes
    private_key: bytes
    token: str


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Rejects, as UNAUTHENTICATED, every call that lacks `authorization: Bearer <token>`."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(self, continuation: Any,
                                details: grpc.HandlerCallDetails) -> Any:
        supplied = dict(details.invocation_metadata or ()).get(AUTHORIZATION_KEY, "")
        handler = await continuation(details)
        if handler is None or hmac.compare_digest(str(supplied).encode(), self._expected):
            return handler

        # A coroutine, answered on the serving loop. grpc.aio calls a plain function given as a
        # response-streaming handler (reflection, health Watch) on the loop itself, and a plain
        # abort there waits for the loop it is blocking: one token-less stream froze the whole
        # service, SIGTERM included. The request is never deserialised for a stranger.
        async def deny(_request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                "missing or wrong service credential")

        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(deny)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(deny)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(deny)
        return grpc.unary_unary_rpc_method_handler(deny)


def channel_credentials(*, root_cert: bytes, token: str) -> grpc.ChannelCredentials:
    """TLS trusting `root_cert` (PEM), with the service token on every call."""
    return grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(root_certificates=root_cert),
        grpc.access_token_call_credentials(token),
    )


def client_channel(target: str, credentials: grpc.ChannelCredentials | None) -> grpc.Channel:
    """A blocking channel: TLS + token when `credentials` are given, plaintext otherwise."""
    if credentials is None:
        return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    return grpc.secure_channel(target, credentials, options=CHANNEL_OPTIONS)


def _read(path: Path | None) -> bytes:
    return path.read_bytes() if path else b""


class ServiceSecuritySettings(BaseSettings):
    """TLS and service-credential settings shared by the three services (with their prefix).

    Subclasses define `address`. Off loopback (or with require_tls) the certificate, key and
    token must all be set, and the process refuses to start naming what is missing.
    """

    address: str
    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate chain the service presents (TLS on when set)")
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key of that certificate")
    tls_root_cert_file: Path | None = Field(
        default=None, description="PEM CA certificate this service trusts when it calls another")
    service_token: SecretStr | None = Field(
        default=None, description="The stack's shared service credential (bearer token)")
    service_token_file: Path | None = Field(
        default=None, description="File holding the service credential (instead of the token)")
    require_tls: bool = Field(
        default=False, description="Demand TLS and the credential even on loopback")

    def _env(self, name: str) -> str:
        return f"{self.model_config.get('env_prefix', '')}{name}".upper()

    @model_validator(mode="after")
    def _off_box_needs_tls_and_a_credential(self) -> Self:
        for name in ("tls_cert_file", "tls_key_file", "tls_root_cert_file", "service_token_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{self._env(name)} names {path}, which is not a readable file")
        configured = {
            "tls_cert_file": self.tls_cert_file is not None,
            "tls_key_file": self.tls_key_file is not None,
            "service_token": bool(self.token()),
        }
        if self.require_tls or not is_loopback(self.address) or any(configured.values()):
            missing = [self._env(name) for name, present in configured.items() if not present]
            if missing:
                why = ("REQUIRE_TLS is on" if self.require_tls
                       else f"{self._env('address')}={self.address} is not loopback"
                       if not is_loopback(self.address) else "TLS is partly configured")
                missing = [f"{name} (or {name}_FILE)" if name.endswith("SERVICE_TOKEN") else name
                           for name in missing]
                raise ValueError(f"{why}: set {', '.join(missing)}")
        return self

    def token(self) -> str:
        """The service credential, from the variable or the file it names; empty when unset."""
        if self.service_token is not None and self.service_token.get_secret_value():
            return self.service_token.get_secret_value()
        return _read(self.service_token_file).decode().strip()

    def server_security(self) -> ServerSecurity | None:
        """TLS + token for the listening port, or None for plaintext on loopback."""
        if self.tls_cert_file is None or self.tls_key_file is None:
            return None
        return ServerSecurity(cert_chain=_read(self.tls_cert_file),
                              private_key=_read(self.tls_key_file), token=self.token())

    def client_credentials(self) -> grpc.ChannelCredentials | None:
        """What this service presents when it calls another: TLS (root cert) and its token."""
        if self.tls_root_cert_file is None or not self.token():
            return None
        return channel_credentials(root_cert=_read(self.tls_root_cert_file), token=self.token())


# Retries (issue 6): only a read may be sent twice, and only when the service did not answer
# at all (UNAVAILABLE). A mutating call is never retried by the channel: the caller's
# idempotency key lets the person retry it instead, with the first result coming back.

# Every read of every service: the bot also tells by it whether an unanswered call may have
# changed something (bot/errors.py). tests/slack_edge checks no Get/List/Check/Export is missing.
READ_METHODS: dict[str, tuple[str, ...]] = {
    "clinops.staffing.v1.StaffingService": (
        "ListUnits", "GetUnit", "GetShiftGaps", "GetStaffMember", "ListOpenShifts",
        "ListCandidates", "ListAssignments", "ListFacilities", "ListPendingClaims",
        "GetEventDelivery"),
    "clinops.supplies.v1.SuppliesService": (
        "ListItems", "GetStockStatus", "GetProposal", "ListProposals", "GetUnitBudget",
        "GetEventDelivery"),
    "clinops.training.v1.TrainingService": (
        "ListCertificationTypes", "ListRequirements", "ListRecords", "CheckEligibility",
        "ListExpiring", "GetUnitCompliance", "ListCertificationDigest", "ExportUnitCompliance",
        "ListPendingRenewals", "GetEventDelivery"),
}


def retry_service_config(read_methods: Mapping[str, Iterable[str]] = READ_METHODS) -> str:
    """grpc.service_config JSON: retry `read_methods` on UNAVAILABLE only, within the deadline."""
    names = [{"service": service, "method": method}
             for service, methods in read_methods.items() for method in methods]
    return json.dumps({"methodConfig": [{
        "name": names,
        "retryPolicy": {
            "maxAttempts": 3,
            "initialBackoff": "0.1s",
            "maxBackoff": "0.5s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }]})


CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.enable_retries", 1),
    ("grpc.service_config", retry_service_config()),
    # A restarted service is found again within about a second, not after gRPC's default
    # backoff of up to two minutes; the nurse's "try again" then works.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def idempotency_metadata(key: str) -> tuple[tuple[str, str], ...]:
    """Metadata that makes a mutating call safe to repeat: the service answers it only once."""
    return ((IDEMPOTENCY_KEY, key),) if key else ()


class ResponseMemo(Protocol):
    """Where a service keeps the first response to each idempotency key (its own database)."""

    def answer_once(self, key_digest: str, request_hash: str,
                    run: Callable[["idempotency.Claim"], bytes]) -> "idempotency.Answer":
        """`run(claim)`'s answer committed with its changes, or the first one kept for the key;
        raises idempotency.KeyReused when another request claimed the key."""
        ...


class _ReleasingContext:
    """A handler's context whose abort first gives the key back and commits what the refused
    call wrote: grpc sends an abort's status at once, before the handler's thread unwinds."""

    def __init__(self, context: grpc.ServicerContext, claim: "idempotency.Claim") -> None:
        self._context, self._claim = context, claim

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._claim.release()
        self._context.abort(code, details)

    def abort_with_status(self, status: Any) -> None:
        self._claim.release()
        self._context.abort_with_status(status)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


# Test-only fault (tests/idempotency): the process dies right after a call of the method named
# here committed, before its reply is sent, as a crash or an OOM kill would leave it.
FAULT_EXIT_AFTER_COMMIT = "CLINOPS_FAULT_EXIT_AFTER_COMMIT"


class IdempotencyInterceptor(grpc.aio.ServerInterceptor):
    """Answers a repeated idempotency key on a mutating method with the first response.

    The key is scoped by method and by the caller's Slack identity, so one person's key never
    replays another's answer. It is claimed in the change's own transaction (clinops.idempotency)
    with a hash of the request: the same key with a different request is ALREADY_EXISTS. Only
    successful answers are kept: a refusal is decided afresh.
    """

    def __init__(self, memo: ResponseMemo, methods: Iterable[str]) -> None:
        self.memo = memo
        self.methods = frozenset(methods)
        self._exit_after = os.environ.get(FAULT_EXIT_AFTER_COMMIT, "")

    async def intercept_service(self, continuation: Any,
                                details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or details.method not in self.methods or handler.unary_unary is None:
            return handler
        metadata = dict(details.invocation_metadata or ())
        key = str(metadata.get(IDEMPOTENCY_KEY, "")).strip()
        if not key:
            return handler
        scope = "|".join((details.method, str(metadata.get(SLACK_TEAM_KEY, "")),
                          str(metadata.get(SLACK_USER_KEY, "")), key))
        digest = hashlib.sha256(scope.encode()).hexdigest()
        behaviour, serialize = handler.unary_unary, handler.response_serializer
        crash = bool(self._exit_after) and details.method.endswith(f"/{self._exit_after}")

        def once(request: Any, context: grpc.ServicerContext) -> bytes:
            # Deterministic: the same request always hashes the same (map fields in key order).
            request_hash = hashlib.sha256(
                request.SerializeToString(deterministic=True)).hexdigest()
            try:
                answer = self.memo.answer_once(digest, request_hash, lambda claim: serialize(
                    behaviour(request, _ReleasingContext(context, claim))))
            except idempotency.KeyReused:
                context.abort(grpc.StatusCode.ALREADY_EXISTS,
                              f"idempotency key {key!r} was already used for a different "
                              "request; send this one with a new key")
            if crash and answer.fresh:
                os._exit(70)
            return answer.response

        return grpc.unary_unary_rpc_method_handler(
            once, request_deserializer=handler.request_deserializer,
            response_serializer=lambda answer: answer)
