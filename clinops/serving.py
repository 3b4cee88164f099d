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
import logging
import sys
import threading
import time
import traceback
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
    not say), and gives `abort_with_status`, which grpc.aio's pool context lacks. An abort ends
    the handler with `_Aborted`; `Placement`, outermost, then ends the call with that status.
    So the interceptors between (counting, timing) have finished before the caller hears the
    status, in the pool as on the loop: grpc.aio's own abort sends the status at once, before
    they had run.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._code: grpc.StatusCode | None = None

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        raise _Aborted(code, details)

    def abort_with_status(self, status: Any) -> None:
        self._code = status.code
        raise _Aborted(status.code, status.details, status.trailing_metadata)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


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
                try:
                    return behaviour(request, SyncContext(context))
                except _Aborted as aborted:  # grpc.aio's pool context: waits for the loop
                    context.abort(aborted.code, aborted.details, aborted.trailing_metadata)

            return replaced(handler, in_pool)

        async def on_loop(request: Any, context: Any) -> Any:
            try:
                return behaviour(request, SyncContext(context))
            except _Aborted as aborted:
                await context.abort(aborted.code, aborted.details, aborted.trailing_metadata)

        return replaced(handler, on_loop)


_loop_lock = threading.Lock()
_shared_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None

# How long a caller waits for the serving loop to take its turn before calling it stuck. Every
# step a caller hands the loop (create, bind, start, set health) takes well under a millisecond;
# the rest is headroom for a machine under load, so a loop blocked for good becomes an error
# naming what blocks it, never a hang.
LOOP_ANSWER_SECONDS = 30.0
# What `stop(grace).wait()` allows beyond the grace before it gives up waiting and says where
# the loop is: grpc.aio's stop itself takes milliseconds once the grace is over.
STOP_MARGIN_SECONDS = 5.0

_log = logging.getLogger(__name__)


class ServingLoopStuck(RuntimeError):
    """The serving loop did not take its turn in time; the message shows what holds it."""


def _serving_loop() -> asyncio.AbstractEventLoop:
    """The process's one event loop for gRPC servers, on a daemon thread of its own.

    One loop per process, not per server: where several services share a process (the demo,
    tests, bench/), a second loop made grpc.aio wake both for every call (+0.1 ms per call).
    """
    global _shared_loop, _loop_thread  # noqa: PLW0603 - one per process by design
    with _loop_lock:
        if _shared_loop is None:
            _shared_loop = asyncio.new_event_loop()
            _loop_thread = threading.Thread(target=_shared_loop.run_forever, name="grpc-aio",
                                            daemon=True)
            _loop_thread.start()
        return _shared_loop


def loop_stack() -> str:
    """Where the serving loop's thread is now: what holds it, when it does not answer."""
    frame = sys._current_frames().get(_loop_thread.ident) if _loop_thread else None
    return "".join(traceback.format_stack(frame)) if frame else "(no serving loop running)\n"


class ServerThread:
    """A grpc.aio server on the process's serving loop (its own thread), with grpc.Server's
    blocking methods: `add_insecure_port`, `start`, `stop(grace).wait()`,
    `wait_for_termination`. None of them waits on the loop without a bound."""

    def __init__(self, *, workers: int, interceptors: Iterable[Any] = (),
                 options: Iterable[tuple[str, Any]] = ()) -> None:
        self.loop = _serving_loop()
        self.stop_margin = STOP_MARGIN_SECONDS
        self._pool = futures.ThreadPoolExecutor(max_workers=workers,
                                                thread_name_prefix="grpc-handler")
        chain, settings = list(interceptors), list(options)

        async def create() -> grpc.aio.Server:
            return grpc.aio.server(migration_thread_pool=self._pool, interceptors=chain,
                                   options=settings)

        self.server: grpc.aio.Server = self.run(create())
        self._stopping: _Stopping | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Any, timeout: float | None = LOOP_ANSWER_SECONDS) -> Any:
        """Run `coroutine` on the server's loop and wait for its result, at most `timeout`
        seconds (None: as long as it takes); past that, ServingLoopStuck."""
        running = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return running.result(timeout)
        except futures.TimeoutError:
            if running.done():  # the coroutine's own TimeoutError, or done just now
                return running.result()
            running.cancel()
            raise ServingLoopStuck(
                f"the gRPC serving loop did not answer within {timeout} s; it is at:\n"
                f"{loop_stack()}") from None

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
        pool is let go. From any thread, started or not; a second stop returns the first's."""
        with self._lock:
            if self._stopping is None:
                self._stopping = _Stopping(
                    asyncio.run_coroutine_threadsafe(self._stop(grace), self.loop),
                    deadline=time.monotonic() + (grace or 0.0) + self.stop_margin)
            return self._stopping

    async def _stop(self, grace: float | None) -> None:
        try:
            await self.server.stop(grace)
        finally:
            # A handler still running in the pool finishes on its own (Python cannot end a
            # thread); calls queued behind it never start.
            self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        """Block until the server has been stopped (True), or `timeout` passed (False)."""
        with self._lock:
            stopping = self._stopping
        if stopping is not None:
            return stopping.wait(timeout)
        return self.run(self.server.wait_for_termination(timeout),
                        timeout=None if timeout is None else timeout + self.stop_margin)


class _Stopping:
    """What `stop()` returns, as grpc.Server's does: `wait()` until the server has stopped."""

    def __init__(self, stopped: futures.Future, *, deadline: float) -> None:
        self._stopped = stopped
        self._deadline = deadline

    def wait(self, timeout: float | None = None) -> bool:
        """True once stopped; False after `timeout` seconds, or by default past the grace and
        the margin, saying where the serving loop is (a teardown never hangs on it)."""
        bounded = timeout is None
        if bounded:
            timeout = max(0.0, self._deadline - time.monotonic())
        try:
            self._stopped.result(timeout)
        except futures.TimeoutError:
            if self._stopped.done():  # stopped just now, or stop's own TimeoutError
                self._stopped.result()
                return True
            if bounded:
                _log.error("gRPC server not stopped by its deadline; the serving loop is at:\n%s",
                           loop_stack())
            return False
        return True


class Health:
    """grpc_health's servicer for grpc.aio, set from any thread (a signal handler, a test)."""

    def __init__(self, server: ServerThread) -> None:
        self.servicer = health.aio.HealthServicer()
        self._server = server

    def set(self, service: str, status: Any) -> None:
        self._server.run(self.servicer.set(service, status))

    def enter_graceful_shutdown(self, timeout: float = LOOP_ANSWER_SECONDS) -> None:
        """NOT_SERVING for every service from now on, as grpc.health's servicer does."""
        self._server.run(self.servicer.enter_graceful_shutdown(), timeout)
