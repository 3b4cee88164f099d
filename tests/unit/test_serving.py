"""clinops.serving: handlers written for grpc.server, served by grpc.aio, in pool or on loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from clinops import rpc
from clinops.serving import Health, ServerThread

SERVICE = "clinops.test.Probe"
ON_LOOP = f"/{SERVICE}/OnLoop"


def _probe(request: bytes, context: grpc.ServicerContext) -> bytes:
    """Answers with the name of the thread it ran on; `refuse` aborts, `invalid` names a field."""
    if request == b"refuse":
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, "not now")
    if request == b"invalid":
        rpc.abort_invalid_argument(context, {"unit_id": "no such unit"})
    return threading.current_thread().name.encode()


def _register(server: ServerThread) -> None:
    handler = grpc.unary_unary_rpc_method_handler(_probe)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        SERVICE, {"OnLoop": handler, "InPool": handler}),))


@pytest.fixture
def served() -> Iterator[tuple[ServerThread, Health, grpc.Channel]]:
    server, port, health = rpc.create_server(register=[_register], service_names=[SERVICE],
                                             on_loop={ON_LOOP})
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield server, health, channel
    channel.close()
    server.stop(None).wait(5)


def _call(channel: grpc.Channel, method: str, request: bytes) -> bytes:
    return channel.unary_unary(f"/{SERVICE}/{method}")(request, timeout=5)


def test_a_method_named_on_loop_runs_on_the_loop_and_the_others_in_the_pool(served) -> None:
    _, _, channel = served
    assert _call(channel, "OnLoop", b"") == b"grpc-aio"
    assert _call(channel, "InPool", b"").startswith(b"grpc-handler")


@pytest.mark.parametrize("method", ["OnLoop", "InPool"])
def test_an_abort_ends_the_call_with_its_status_wherever_the_handler_ran(served, method) -> None:
    _, _, channel = served
    labels = {"grpc_service": SERVICE, "grpc_method": method, "grpc_code": "FAILED_PRECONDITION"}
    counted = REGISTRY.get_sample_value("clinops_rpc_server_handled_total", labels) or 0
    with pytest.raises(grpc.RpcError) as refused:
        _call(channel, method, b"refuse")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.value.details() == "not now"
    # Counted under the status the handler gave, on the loop as in the pool.
    assert REGISTRY.get_sample_value("clinops_rpc_server_handled_total", labels) == counted + 1
    with pytest.raises(grpc.RpcError) as invalid:
        _call(channel, method, b"invalid")
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc.field_violations(invalid.value) == {"unit_id": "no such unit"}


def test_health_answers_and_goes_not_serving_when_told_from_another_thread(served) -> None:
    _, health, channel = served
    check = health_pb2_grpc.HealthStub(channel).Check
    assert check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5).status == (
        health_pb2.HealthCheckResponse.SERVING)
    health.enter_graceful_shutdown()
    assert check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5).status == (
        health_pb2.HealthCheckResponse.NOT_SERVING)


def test_stopping_twice_is_harmless_and_the_port_stops_answering(served) -> None:
    server, _, channel = served
    assert server.stop(None).wait(5)
    assert server.stop(None).wait(5)
    assert server.wait_for_termination(1)
    with pytest.raises(grpc.RpcError) as gone:
        _call(channel, "InPool", b"")
    assert gone.value.code() == grpc.StatusCode.UNAVAILABLE


def test_stopping_a_server_never_started_returns_at_once() -> None:
    server, _, _ = rpc.create_server(register=[_register], service_names=[SERVICE])
    assert server.stop(None).wait(5)
    assert server.wait_for_termination(1)


def test_stopping_from_two_threads_at_once_stops_it_once_for_both(served) -> None:
    server, _, channel = served
    answers: list[bool] = []
    stoppers = [threading.Thread(target=lambda: answers.append(server.stop(0.5).wait(5)))
                for _ in range(2)]
    for stopper in stoppers:
        stopper.start()
    for stopper in stoppers:
        stopper.join(10)
    assert answers == [True, True]
    with pytest.raises(grpc.RpcError) as gone:
        _call(channel, "InPool", b"")
    assert gone.value.code() == grpc.StatusCode.UNAVAILABLE


def test_stopping_with_a_call_in_flight_ends_it_after_the_grace_and_stops_in_time() -> None:
    started, release = threading.Event(), threading.Event()

    def slow_census(_request: bytes, _context: grpc.ServicerContext) -> bytes:
        started.set()
        release.wait(10)
        return b"late"

    def register(server: ServerThread) -> None:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            SERVICE, {"Slow": grpc.unary_unary_rpc_method_handler(slow_census)}),))

    server, port, _ = rpc.create_server(register=[register], service_names=[SERVICE])
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            in_flight = channel.unary_unary(f"/{SERVICE}/Slow").future(b"", timeout=10)
            assert started.wait(5)
            # Bounded without a timeout of its own: the grace (0.2 s) and the stop margin.
            assert server.stop(0.2).wait()
            with pytest.raises(grpc.RpcError) as ended:
                in_flight.result(timeout=5)
            assert ended.value.code() != grpc.StatusCode.OK
    finally:
        release.set()
        server.stop(None).wait(5)


def _hold_the_loop(released: threading.Event) -> None:
    """Blocks the serving loop, as a handler waiting on the loop from the loop once did."""
    released.wait(10)


def test_a_stop_while_the_serving_loop_is_held_gives_up_naming_what_holds_it(
    served, caplog
) -> None:
    server, _, _ = served
    server.stop_margin = 0.2
    released = threading.Event()
    server.loop.call_soon_threadsafe(_hold_the_loop, released)
    try:
        stopping = server.stop(None)
        assert stopping.wait() is False  # a teardown returns instead of hanging
        assert "_hold_the_loop" in caplog.text
    finally:
        released.set()
    assert stopping.wait(5)
