"""The `clinops` command line: configuration errors are one clear line; services answer health."""

import os
import signal
import socket
import subprocess
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def clinops(*args: str, env: dict[str, str], cwd, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "clinops.cli", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CLINOPS_"))}
    return {**env, **overrides}


def test_the_bot_without_a_token_exits_2_naming_the_missing_settings(tmp_path):
    process = clinops("bot", env=clean_env(), cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.strip() == (
        "configuration error: SLACK_BOT_TOKEN is not set; SLACK_SIGNING_SECRET is not set"
    )


def test_a_malformed_setting_is_named(tmp_path):
    env = clean_env(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s",
                    CLINOPS_RPC_DEADLINE_SECONDS="soon")
    process = clinops("bot", env=env, cwd=tmp_path)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.startswith("configuration error: CLINOPS_RPC_DEADLINE_SECONDS ")
    assert "xoxb-x" not in err


def test_serve_staffing_answers_a_health_check(tmp_path):
    with socket.socket() as probe:  # a free port for the service to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(CLINOPS_STAFFING_ADDRESS=f"127.0.0.1:{port}")
    process = clinops("serve", "staffing", env=env, cwd=tmp_path)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5, wait_for_ready=True)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
