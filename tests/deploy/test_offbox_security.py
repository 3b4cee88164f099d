"""Off-box, a service speaks TLS only and answers only callers presenting the service token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from pydantic import ValidationError

from bot.clients import ServiceCallError, ServiceClients
from bot.config import BotSettings
from clinops import rpc
from clinops.cli import main as clinops_main
from clinops.clock import fixed_clock
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.config import TrainingSettings
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.deploy.certs import SelfSigned, self_signed
from tests.faults.fault_fixtures import free_port, wait_until

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
TOKEN = "stack-credential-for-tests"


@pytest.fixture
def certificate(tmp_path: Path) -> SelfSigned:
    # TLS checks validity against the real clock, so the certificate is dated from it.
    return self_signed(tmp_path / "tls")


def _secured_settings(tmp_path: Path, certificate: SelfSigned) -> TrainingSettings:
    return TrainingSettings(
        address="127.0.0.1:0", require_tls=True, tls_cert_file=certificate.cert_file,
        tls_key_file=certificate.key_file, service_token=TOKEN,
        database_url=f"sqlite:///{tmp_path / 'training.db'}")


@contextmanager
def _serving(store: TrainingStore, settings: TrainingSettings) -> Iterator[int]:
    """Training served with TLS and the token; stopped, within its bound, on the way out."""
    server, port = create_server(store=store, clock=fixed_clock(NOW), address=settings.address,
                                 security=settings.server_security())
    server.start()
    try:
        yield port
    finally:
        # No timeout given: the stop's own bound (grace + margin) keeps a teardown from hanging.
        assert server.stop(None).wait(), "training did not stop"


@pytest.fixture
def secured_training(tmp_path: Path, certificate: SelfSigned) -> Iterator[int]:
    """The real training service on 127.0.0.1, with TLS forced on by its settings."""
    settings = _secured_settings(tmp_path, certificate)
    migrate(settings.database_url)
    store = TrainingStore.open(settings.database_url)
    try:
        with _serving(store, settings) as port:
            yield port
    finally:
        store.close()


def _list_types(port: int, credentials: grpc.ChannelCredentials) -> object:
    with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
        stub = training_pb2_grpc.TrainingServiceStub(channel)
        return stub.ListCertificationTypes(training_pb2.ListCertificationTypesRequest(), timeout=5)


def test_a_caller_with_tls_and_the_token_is_answered(secured_training, certificate) -> None:
    credentials = rpc.channel_credentials(root_cert=certificate.pem, token=TOKEN)
    assert _list_types(secured_training, credentials) is not None


def test_a_caller_without_the_token_is_refused_as_unauthenticated(
    secured_training, certificate
) -> None:
    tls_only = grpc.ssl_channel_credentials(root_certificates=certificate.pem)
    with pytest.raises(grpc.RpcError) as refused:
        _list_types(secured_training, tls_only)
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_caller_with_a_wrong_token_is_refused_even_for_health(
    secured_training, certificate
) -> None:
    wrong = rpc.channel_credentials(root_cert=certificate.pem, token="guessed")
    with (grpc.secure_channel(f"localhost:{secured_training}", wrong) as channel,
          pytest.raises(grpc.RpcError) as refused):
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


def _token_less_reflection(port: int, certificate: SelfSigned) -> grpc.RpcError:
    """Server reflection (a bidirectional stream) asked over TLS without the token."""
    tls_only = grpc.ssl_channel_credentials(root_certificates=certificate.pem)
    with grpc.secure_channel(f"localhost:{port}", tls_only) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        asked = iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.ServerReflectionInfo(asked, timeout=5))
    return refused.value


def _token_less_watch(port: int, certificate: SelfSigned) -> grpc.RpcError:
    """A health Watch (a server stream) asked over TLS without the token."""
    tls_only = grpc.ssl_channel_credentials(root_certificates=certificate.pem)
    with grpc.secure_channel(f"localhost:{port}", tls_only) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(),
                                                          timeout=5)
        with pytest.raises(grpc.RpcError) as refused:
            next(watch)
    return refused.value


def _authorised_health(port: int, certificate: SelfSigned) -> int:
    credentials = rpc.channel_credentials(root_cert=certificate.pem, token=TOKEN)
    with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                         timeout=5).status


@pytest.mark.parametrize("stream", [_token_less_reflection, _token_less_watch],
                         ids=["reflection", "health-watch"])
def test_a_token_less_stream_is_refused_at_once_and_the_service_keeps_answering(
    secured_training, certificate, stream
) -> None:
    refused = stream(secured_training, certificate)
    assert refused.code() is grpc.StatusCode.UNAUTHENTICATED
    # Not the whole service frozen behind it: a caller with the token is answered.
    assert _authorised_health(secured_training, certificate) == (
        health_pb2.HealthCheckResponse.SERVING)
    assert _list_types(secured_training,
                       rpc.channel_credentials(root_cert=certificate.pem, token=TOKEN))


def test_serving_refusing_token_less_streams_and_stopping_twenty_times_never_hangs(
    tmp_path: Path, certificate: SelfSigned
) -> None:
    settings = _secured_settings(tmp_path, certificate)
    migrate(settings.database_url)
    store = TrainingStore.open(settings.database_url)
    try:
        for _ in range(20):
            with _serving(store, settings) as port:  # its teardown asserts a bounded stop
                assert _token_less_watch(port, certificate).code() is (
                    grpc.StatusCode.UNAUTHENTICATED)
                assert _token_less_reflection(port, certificate).code() is (
                    grpc.StatusCode.UNAUTHENTICATED)
                assert _authorised_health(port, certificate) == (
                    health_pb2.HealthCheckResponse.SERVING)
    finally:
        store.close()


GRACE_SECONDS = 5.0  # what `clinops serve` gives calls in flight (services/*/server.py)


def test_a_service_process_stops_on_sigterm_within_its_grace_after_token_less_streams(
    tmp_path: Path, certificate: SelfSigned
) -> None:
    port = free_port()
    env = {**os.environ, "CLINOPS_TRAINING_ADDRESS": f"127.0.0.1:{port}",
           "CLINOPS_TRAINING_DATABASE_URL": f"sqlite:///{tmp_path / 'training.db'}",
           "CLINOPS_TRAINING_REQUIRE_TLS": "true",
           "CLINOPS_TRAINING_TLS_CERT_FILE": str(certificate.cert_file),
           "CLINOPS_TRAINING_TLS_KEY_FILE": str(certificate.key_file),
           "CLINOPS_TRAINING_SERVICE_TOKEN": TOKEN}
    log = tmp_path / "training.log"  # a file, not a pipe: a full pipe would stall the service
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "clinops.cli", "serve", "training"],
                                   env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        def answering() -> bool:
            try:
                return _authorised_health(port, certificate) == (
                    health_pb2.HealthCheckResponse.SERVING)
            except grpc.RpcError:
                return False

        wait_until(answering, seconds=60, what="training serving with TLS")
        assert _token_less_reflection(port, certificate).code() is (
            grpc.StatusCode.UNAUTHENTICATED)
        assert _token_less_watch(port, certificate).code() is grpc.StatusCode.UNAUTHENTICATED
        assert answering()

        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        try:
            code = process.wait(timeout=GRACE_SECONDS + 10)
        except subprocess.TimeoutExpired:
            pytest.fail("training still running 15 s after SIGTERM")
        # Nothing was in flight, so not even the grace is needed; the bound is the grace.
        assert time.monotonic() - signalled < GRACE_SECONDS
        assert code == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_plaintext_caller_gets_no_answer_from_a_tls_port(secured_training) -> None:
    with (grpc.insecure_channel(f"127.0.0.1:{secured_training}") as channel,
          pytest.raises(grpc.RpcError) as refused):
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_the_bot_presents_tls_and_the_token_and_gets_a_domain_answer(
    secured_training, certificate, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = BotSettings(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret",
        CLINOPS_TRAINING_TARGET=f"localhost:{secured_training}",
        CLINOPS_TLS_ROOT_CERT_FILE=certificate.cert_file,
        CLINOPS_SERVICE_TOKEN_FILE=token_file)
    clients = ServiceClients.from_settings(settings)
    try:
        bound = clients.acting_for(rpc.Caller(slack_team_id="T1", slack_user_id="UNOBODY"))
        # Through TLS and the credential, training itself decides: it does not know this user.
        with pytest.raises(ServiceCallError) as answer:
            await bound["training"].list_records()
        assert answer.value.code not in {grpc.StatusCode.UNAUTHENTICATED,
                                         grpc.StatusCode.UNAVAILABLE}
    finally:
        await clients.close()


def test_a_service_off_loopback_without_tls_refuses_to_start_naming_the_settings() -> None:
    with pytest.raises(ValidationError) as refused:
        TrainingSettings(address="0.0.0.0:50053")
    message = str(refused.value)
    for name in ("CLINOPS_TRAINING_TLS_CERT_FILE", "CLINOPS_TRAINING_TLS_KEY_FILE",
                 "CLINOPS_TRAINING_SERVICE_TOKEN"):
        assert name in message


def test_clinops_serve_off_loopback_without_tls_exits_with_the_settings_named(
    monkeypatch, capsys
) -> None:
    monkeypatch.setenv("CLINOPS_SUPPLIES_ADDRESS", "0.0.0.0:50052")
    assert clinops_main(["serve", "supplies"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("configuration error: CLINOPS_SUPPLIES_ADDRESS=0.0.0.0:50052 is not")
    assert "CLINOPS_SUPPLIES_TLS_CERT_FILE" in error


def test_a_certificate_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        TrainingSettings(require_tls=True, tls_cert_file=tmp_path / "missing.pem")
    assert "CLINOPS_TRAINING_TLS_CERT_FILE" in str(refused.value)


def test_the_bot_refuses_an_off_box_service_without_tls_and_a_token(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("CLINOPS_STAFFING_TARGET", "staffing:50051")
    assert clinops_main(["bot"]) == 2
    error = capsys.readouterr().err
    assert "CLINOPS_STAFFING_TARGET not loopback" in error
    assert "CLINOPS_TLS_ROOT_CERT_FILE" in error


def test_loopback_addresses_are_recognised() -> None:
    assert rpc.is_loopback("127.0.0.1:50051")
    assert rpc.is_loopback("localhost:50051")
    assert rpc.is_loopback("[::1]:50051")
    assert not rpc.is_loopback("0.0.0.0:50051")
    assert not rpc.is_loopback("[::]:50051")
    assert not rpc.is_loopback("training:50053")
