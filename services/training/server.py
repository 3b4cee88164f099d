"""The training gRPC server: every RPC answers UNIMPLEMENTED until later issues fill them in."""

from __future__ import annotations

import functools
import logging
import signal
import threading

import grpc

from clinops import rpc
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.training.config import TrainingSettings

SERVICE_NAME = training_pb2.DESCRIPTOR.services_by_name["TrainingService"].full_name
log = logging.getLogger(__name__)


def _create(address: str):  # noqa: ANN202
    # The generated base servicer answers UNIMPLEMENTED for every method.
    servicer = training_pb2_grpc.TrainingServiceServicer()
    add = functools.partial(training_pb2_grpc.add_TrainingServiceServicer_to_server, servicer)
    return rpc.create_server(register=[add], service_names=[SERVICE_NAME], address=address)


def create_server(*, address: str = "127.0.0.1:0") -> tuple[grpc.Server, int]:
    """A training server with health and reflection, bound but not started; port 0 → OS picks."""
    server, port, _ = _create(address)
    return server, port


def serve(settings: TrainingSettings, *, grace_seconds: float = 5.0) -> None:
    """Serve until SIGTERM/SIGINT, then report NOT_SERVING and stop with grace."""
    server, port, health = _create(settings.address)
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        health.enter_graceful_shutdown()
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    log.info("training: serving on port %d", port)
    try:
        stopping.wait()
        server.stop(grace_seconds).wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
