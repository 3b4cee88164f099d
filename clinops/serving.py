"""A service's gRPC server: grpc.aio on the process's serving loop, driven as grpc.Server is.

Servicers are written as for `grpc.server`: plain methods, `context.abort(...)` raising. They
run in a thread pool, as before, except the few methods a service names to run on the loop
itself. Those are quick reads with no waiting of their own: /shift-gap's GetShiftGaps on SQLite
is ~0.1 ms of CPU. Handing each call from gRPC's polling thread to a worker thread cost more
than the call, and so did the GIL hand-offs SQLite's reads make under sixteen worker threads.
On the loop, one thread holds the GIL (BENCHMARKS.md, fourth round). A method that waits, on
PostgreSQL over the network or on another service, must not be named: it would hold up every
call to the server while it waits.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterable
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health


class _Aborted(Exception):  # noqa: N818 - what the call did, carried to the loop
    """A handler run on the loop aborted: the status to end the call with."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: tuple = ()) -> None:
        super().__init__(code, details)
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


class SyncContext:
    """The servicer context a handler written for grpc.server expects, over grpc.aio's.

    It remembers the status the handler set (grpc.aio's context for a handler in the pool does
    not say), and gives `abort_with_status`, which grpc.aio's pool context lacks.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._code: grpc.StatusCode | None = None

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        self._context.abort(code, details)  # raises, ending the call

    def abort_with_status(self, status: Any) -> None:
        self._code = status.code
        self._context.abort(status.code, status.details, status.trailing_metadata)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class _LoopContext(SyncContext):
    """The same for a handler run on the loop, where grpc.aio's abort is a coroutine: an abort
    ends the handler with `_Aborted`, and the loop then ends the call with it."""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        raise _Aborted(code, details)

    def abort_with_status(self, status: Any) -> None:
        self._code = status.code
        raise _Aborted(status.code, status.details, status.trailing_metadata)


def replaced(handler: grpc.RpcMethodHandler, behaviour: Callable) -> grpc.RpcMethodHandler:
    """A unary handler like `handler`, answering with `behaviour` (what an interceptor returns)."""
    return grpc.unary_unary_rpc_method_handler(
        behaviour, request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer)


class Placement(grpc.aio.ServerInterceptor):
    """Outermost: each unary handler gets the context it was written for, and the methods in
    `on_loop` run on the event loop instead of in the pool."""

    def __init__(self, on_loop: Iterable[str] = ()) -> None:
        self.on_loop = frozenset(on_loop)

    async def intercept_service(self, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        behaviour = handler.unary_unary
        if inspect.iscoroutinefunction(behaviour):
            return handler  # written for grpc.aio (health): runs on the loop as it is
        if details.method not in self.on_loop:
            def in_pool(request: Any, context: Any) -> Any:
                return behaviour(request, SyncContext(context))

            return replaced(handler, in_pool)

        async def on_loop(request: Any, context: Any) -> Any:
            try:
                return behaviour(request, _LoopContext(context))
            except _Aborted as aborted:
                await context.abort(aborted.code, aborted.details, aborted.trailing_metadata)

        return replaced(handler, on_loop)


_loop_lock = threading.Lock()
_shared_loop: asyncio.AbstractEventLoop | None = None


def _serving_loop() -> asyncio.AbstractEventLoop:
    """The process's one event loop for gRPC servers, on a daemon thread of its own.

    One loop per process, not per server: where several services share a process (the demo,
    tests, bench/), a second loop made grpc.aio wake both for every call (+0.1 ms per call).
    """
    global _shared_loop  # noqa: PLW0603 - one per process by design
    with _loop_lock:
        if _shared_loop is None:
            _shared_loop = asyncio.new_event_loop()
            threading.Thread(target=_shared_loop.run_forever, name="grpc-aio",
                             daemon=True).start()
        return _shared_loop


class ServerThread:
    """A grpc.aio server on the process's serving loop (its own thread), with grpc.Server's
    blocking methods: `add_insecure_port`, `start`, `stop(grace).wait()`,
    `wait_for_termination`."""

    def __init__(self, *, workers: int, interceptors: Iterable[Any] = (),
                 options: Iterable[tuple[str, Any]] = ()) -> None:
        self.loop = _serving_loop()
        self._pool = futures.ThreadPoolExecutor(max_workers=workers,
                                                thread_name_prefix="grpc-handler")
        chain, settings = list(interceptors), list(options)

        async def create() -> grpc.aio.Server:
            return grpc.aio.server(migration_thread_pool=self._pool, interceptors=chain,
                                   options=settings)

        self.server: grpc.aio.Server = self.run(create())
        self._stopped: futures.Future | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Any, timeout: float | None = None) -> Any:
        """Run `coroutine` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` on the server's loop (registration touches the aio server)."""

        async def run() -> Any:
            return function(*args)

        return self.run(run())

    # What grpc's generated add_*_to_server and our setup call.
    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.call(self.server.add_generic_rpc_handlers, handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        self.call(self.server.add_registered_method_handlers, service, handlers)

    def add_insecure_port(self, address: str) -> int:
        return self.call(self.server.add_insecure_port, address)

    def add_secure_port(self, address: str, credentials: grpc.ServerCredentials) -> int:
        return self.call(self.server.add_secure_port, address, credentials)

    def start(self) -> None:
        self.run(self.server.start())

    def stop(self, grace: float | None) -> _Stopping:
        """Stop taking calls; those in flight get `grace` seconds (None: ended now), then the
        pool is let go. A second stop returns the first's."""
        with self._lock:
            if self._stopped is None:
                self._stopped = asyncio.run_coroutine_threadsafe(self.server.stop(grace),
                                                                 self.loop)
                self._stopped.add_done_callback(lambda _: self._pool.shutdown(wait=False))
            return _Stopping(self._stopped)

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        """Block until the server has been stopped (True), or `timeout` passed (False)."""
        with self._lock:
            stopped = self._stopped
        if stopped is None:
            return self.run(self.server.wait_for_termination(timeout))
        return _Stopping(stopped).wait(timeout)


class _Stopping:
    """What `stop()` returns, as grpc.Server's does: `wait()` until the server has stopped."""

    def __init__(self, stopped: futures.Future) -> None:
        self._stopped = stopped

    def wait(self, timeout: float | None = None) -> bool:
        try:
            self._stopped.result(timeout)
        except futures.TimeoutError:
            return False
        return True

class Health:
    """grpc_health's servicer for grpc.aio, set from any thread (a signal handler, a test)."""

    def __init__(self, server: ServerThread) -> None:
        self.servicer = health.aio.HealthServicer()
        self._server = server

    def set(self, service: str, status: Any) -> None:
        self._server.run(self.servicer.set(service, status))

    def enter_graceful_shutdown(self) -> None:
        """NOT_SERVING for every service from now on, as grpc.health's servicer does."""
        self._server.run(self.servicer.enter_graceful_shutdown())
