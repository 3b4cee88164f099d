"""Off-box, a service speaks TLS only and answers only callers presenting the service token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
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

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
TOKEN = "stack-credential-for-tests"


@pytest.fixture
def certificate(tmp_path: Path) -> SelfSigned:
    # TLS checks validity against the real clock, so the certificate is dated from it.
    return self_signed(tmp_path / "tls")


@pytest.fixture
def secured_training(tmp_path: Path, certificate: SelfSigned) -> Iterator[int]:
    """The real training service on 127.0.0.1, with TLS forced on by its settings."""
    settings = TrainingSettings(
        address="127.0.0.1:0", require_tls=True, tls_cert_file=certificate.cert_file,
        tls_key_file=certificate.key_file, service_token=TOKEN,
        database_url=f"sqlite:///{tmp_path / 'training.db'}")
    migrate(settings.database_url)
    store = TrainingStore.open(settings.database_url)
    server, port = create_server(store=store, clock=fixed_clock(NOW), address=settings.address,
                                 security=settings.server_security())
    server.start()
    try:
        yield port
    finally:
        server.stop(None).wait(5)
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
