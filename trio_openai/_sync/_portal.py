"""The sync client's engine: a Trio loop in a background thread (`Portal`).

Sync code calls ``portal.run(afn, *args)``: the call runs as a task in the loop's
nursery, inside a cancel scope of its own, while the calling thread waits for
its outcome. A `KeyboardInterrupt` (Ctrl-C) in the waiting thread cancels that
task, waits until it has unwound (its connection is back in the pool), then
propagates. Any number of threads may call at once: each call is its own task.

`Portal.hold` keeps an async context manager open across calls (a stream, a
realtime connection) in a task of its own, until `Held.release`.

The loop is started by `Portal.start`, which enters an async context manager
(``open_client(...)``) in the new thread and returns its value; `Portal.close`
leaves it and joins the thread. Calls still running then end with
`ClientClosedError`. A portal nobody closed is closed by an `atexit` hook, while
the loop thread still runs: the interpreter exits instead of waiting, at
finalization, for a loop that no longer turns.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Literal, TypeVar, final

import trio

from .._errors import ClientClosedError

__all__ = ["Held", "Portal", "TwinKind"]

T = TypeVar("T")
X = TypeVar("X")
X_co = TypeVar("X_co", covariant=True)
Y = TypeVar("Y")

TwinKind = Literal["call", "binary", "list", "stream"]
"""Which API method descriptor a blocking twin is made for (see `Portal.twin`)."""

_POLL = 0.1  # seconds between two checks for Ctrl-C while waiting for a call
_CLOSED = "The sync client is closed; open a new one for new calls."


@final
class Portal:
    """A Trio loop running in a daemon thread, and the way into it from other threads.

    Made by `Portal.start`, never directly.
    """

    __slots__ = (
        "__weakref__",
        "_at_exit",
        "_closing",
        "_finished",
        "_nursery",
        "_stop",
        "_thread",
        "_token",
    )

    def __init__(
        self,
        token: trio.lowlevel.TrioToken,
        nursery: trio.Nursery,
        stop: trio.Event,
        finished: Future[None],
    ) -> None:
        self._token = token
        self._nursery = nursery
        self._stop = stop
        self._finished = finished
        self._thread = threading.current_thread()
        self._closing = False
        self._at_exit: Callable[[], None] | None = None

    @classmethod
    def start(
        cls, open_value: Callable[[], AbstractAsyncContextManager[X]], *, name: str
    ) -> tuple[Portal, X]:
        """Start a loop thread, enter ``open_value()`` there, and return the portal and its value.

        Args:
            open_value: Makes the async context manager the loop lives inside
                (called in the loop thread).
            name: The thread's name.

        Raises:
            Exception: Whatever entering the context manager raised.
        """
        ready: Future[tuple[Portal, X]] = Future()
        finished: Future[None] = Future()
        thread = threading.Thread(
            target=_loop_main, args=(open_value, ready, finished), name=name, daemon=True
        )
        thread.start()
        try:
            portal, value = ready.result()
        except BaseException:
            thread.join()
            raise
        ref = weakref.ref(portal)
        portal._at_exit = lambda: _close_at_exit(ref)
        atexit.register(portal._at_exit)
        return portal, value

    @property
    def closed(self) -> bool:
        """Whether `close` has been called (or the loop has ended)."""
        return self._closing or self._finished.done()

    def run(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await afn(*args)`` on the loop and return its result.

        Raises:
            ClientClosedError: The portal is closed, or closed during the call.
            KeyboardInterrupt: The waiting thread was interrupted; the call was
                cancelled and has unwound.
            RuntimeError: Called from the loop thread itself (it would deadlock).
            Exception: Whatever the call raised.
        """
        future: Future[T] = Future()
        scope = trio.CancelScope()
        self._submit(self._call, future, scope, afn, args)
        try:
            # Short waits in a loop: a KeyboardInterrupt is raised between two of
            # them even where signals do not interrupt a lock wait.
            while True:
                try:
                    return future.result(timeout=_POLL)
                except TimeoutError:  # noqa: PERF203 - one wakeup per 0.1 s of waiting
                    continue
        except KeyboardInterrupt:
            self._soon(scope.cancel)
            future.exception()  # wait until the call has unwound (a second Ctrl-C stops waiting)
            raise

    def twin(self, kind: TwinKind, build: Callable[..., Any], resource: Any) -> Any:
        """The blocking twin of an API method descriptor, bound to a sync *resource*.

        The descriptors in ``_api/_methods.py`` ask the portal their resource holds,
        so that the API wing never imports this one.

        Args:
            kind: Which descriptor: a plain, binary, list or stream method.
            build: The generated spec builder.
            resource: The resource (in the sync tree) it is bound to.
        """
        from ._methods import SyncBinaryMethod, SyncListMethod, SyncMethod, SyncStreamMethod

        twins: dict[str, Callable[..., Any]] = {
            "call": SyncMethod,
            "binary": SyncBinaryMethod,
            "list": SyncListMethod,
            "stream": SyncStreamMethod,
        }
        return twins[kind](build, resource)

    def context(
        self, open_cm: Callable[[], AbstractAsyncContextManager[X]], wrap: Callable[[Held[X]], Y]
    ) -> Any:
        """A `SyncContext` that enters *open_cm* on this loop (hand-written context methods).

        Typed ``Any`` and imported here: ``_results`` imports this module, and the
        caller (``_api/_bridge.py``) states the precise type.
        """
        from ._results import SyncContext

        return SyncContext(self, open_cm, wrap)

    def hold(self, open_cm: Callable[[], AbstractAsyncContextManager[X]]) -> Held[X]:
        """Enter ``open_cm()`` in a task of its own and keep it open until `Held.release`.

        Raises:
            ClientClosedError: The portal is closed.
            Exception: Whatever entering the context manager raised.
        """
        exited: Future[None] = Future()
        value, release = self.run(self._nursery.start, _holder, open_cm, exited)
        return Held(self, value, release, exited)

    def close(self) -> None:
        """Stop the loop (leaving the context manager it was started in) and join its thread.

        Idempotent.

        Raises:
            RuntimeError: Called from the loop thread itself.
            Exception: Whatever leaving the context manager raised (the first time).
        """
        self._check_thread()
        if self._closing:
            self._thread.join()
            return
        self._closing = True
        if self._at_exit is not None:
            atexit.unregister(self._at_exit)
        self._soon(self._stop.set)
        self._thread.join()
        self._finished.result()

    # -- the loop side ------------------------------------------------------------------

    def _check_thread(self) -> None:
        if threading.current_thread() is self._thread:
            msg = (
                "A SyncClient was called from its own loop thread (an event hook, a "
                "progress callback?): it would wait for itself. Use the async API there."
            )
            raise RuntimeError(msg)

    def _soon(self, fn: Callable[..., object], *args: Any) -> bool:
        try:
            self._token.run_sync_soon(fn, *args)
        except trio.RunFinishedError:
            return False
        return True

    def _submit(self, fn: Callable[..., Awaitable[None]], future: Future[Any], *args: Any) -> None:
        self._check_thread()
        if self._closing or not self._soon(self._spawn, fn, future, *args):
            raise ClientClosedError(_CLOSED)

    def _spawn(self, fn: Callable[..., Awaitable[None]], future: Future[Any], *args: Any) -> None:
        # Runs in the loop (run_sync_soon): it must not raise.
        if self._stop.is_set():
            future.set_exception(ClientClosedError(_CLOSED))
            return
        try:
            self._nursery.start_soon(fn, future, *args)
        except RuntimeError:  # the nursery no longer takes tasks: the loop is ending
            future.set_exception(ClientClosedError(_CLOSED))

    @staticmethod
    async def _call(
        future: Future[T],
        scope: trio.CancelScope,
        afn: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
    ) -> None:
        with scope:
            try:
                value = await afn(*args)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread as is
                future.set_exception(exc)
                return
            except BaseException:
                if scope.cancel_called:
                    future.set_exception(KeyboardInterrupt())
                else:
                    future.set_exception(
                        ClientClosedError("The sync client closed during the call.")
                    )
                raise
            future.set_result(value)


@final
class Held(Generic[X_co]):
    """An async context manager held open on a portal's loop (see `Portal.hold`).

    Attributes:
        portal: The loop it lives on.
        value: What entering it gave.
    """

    __slots__ = ("_exited", "_release", "portal", "value")

    def __init__(
        self, portal: Portal, value: X_co, release: trio.Event, exited: Future[None]
    ) -> None:
        self.portal = portal
        self.value = value
        self._release = release
        self._exited = exited

    @property
    def released(self) -> bool:
        """Whether the context manager has been left (released, or ended with the loop)."""
        return self._exited.done()

    def release(self) -> None:
        """Leave the context manager and wait until it has exited. Idempotent.

        Raises:
            Exception: Whatever leaving it raised.
        """
        if not self._exited.done():
            if sys.is_finalizing():
                return  # the loop thread no longer runs: nothing would ever answer
            self.portal._check_thread()
            if not self.portal._soon(self._release.set):
                return  # the loop has ended, and the context manager with it
        self._exited.result()

    def iterate(self, iterator: AsyncIterator[T], *, prefetch: int = 0) -> Iterator[T]:
        """Walk an async *iterator* that lives on this loop.

        With no *prefetch*, each item is one round trip between the threads, and
        nothing is read ahead (a realtime connection, whose ``recv`` may be mixed in).
        With *prefetch*, a task on the loop reads up to that many items ahead into a
        buffer, and each round trip takes every item buffered: a fast stream costs
        a round trip per batch, not per item. Closing the iterator early stops the
        task (and waits for it) before anything else touches *iterator*.
        """
        if prefetch <= 0:
            while True:
                try:
                    item = self.portal.run(iterator.__anext__)
                except StopAsyncIteration:
                    return
                yield item
        pump: _Pump[T] = _Pump(iterator, prefetch)
        stopped: Future[None] = Future()
        scope = trio.CancelScope()
        self.portal._submit(_run_pump, stopped, scope, pump)
        try:
            while True:
                batch = self.portal.run(pump.take)
                if not batch:
                    return
                for entry in batch:
                    if isinstance(entry, _Failure):
                        raise entry.error
                    yield entry
        finally:
            if not stopped.done() and not sys.is_finalizing():
                self.portal._soon(scope.cancel)
                stopped.exception()


@final
class _Failure:
    """What the iterator raised, in the pump's buffer after the last good item."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


@final
class _Pump(Generic[T]):
    """Reads an async iterator ahead into a bounded buffer, on the loop (see `Held.iterate`)."""

    __slots__ = ("_iterator", "_receive", "_send")

    def __init__(self, iterator: AsyncIterator[T], size: int) -> None:
        self._iterator = iterator
        self._send, self._receive = trio.open_memory_channel[T | _Failure](size)

    async def fill(self) -> None:
        async with self._send:
            try:
                async for item in self._iterator:
                    await self._send.send(item)
            except Exception as exc:  # noqa: BLE001 - delivered in order, then raised
                await self._send.send(_Failure(exc))

    async def take(self) -> list[T | _Failure]:
        """Wait for one item, then take every item already buffered; ``[]`` at the end."""
        try:
            batch = [await self._receive.receive()]
        except trio.EndOfChannel:
            return []
        while True:
            try:
                batch.append(self._receive.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel):  # noqa: PERF203 - once per batch
                return batch


async def _run_pump(stopped: Future[None], scope: trio.CancelScope, pump: _Pump[Any]) -> None:
    try:
        with scope:
            await pump.fill()
    finally:
        stopped.set_result(None)


async def _holder(
    open_cm: Callable[[], AbstractAsyncContextManager[X]],
    exited: Future[None],
    *,
    task_status: trio.TaskStatus[tuple[X, trio.Event]],
) -> None:
    started = False
    try:
        async with open_cm() as value:
            release = trio.Event()
            task_status.started((value, release))
            started = True
            await release.wait()
    except Exception as exc:
        if not started:
            raise
        exited.set_exception(exc)
    except BaseException:
        if started:
            exited.set_result(None)  # ended with the loop: there is nothing more to report
        raise
    else:
        exited.set_result(None)


def _close_at_exit(ref: weakref.ref[Portal]) -> None:
    # atexit runs before finalization, while daemon threads still run.
    portal = ref()
    if portal is not None and not portal.closed:
        # The program is ending: nobody is left to tell about a failure to close.
        with contextlib.suppress(Exception):
            portal.close()


def _loop_main(
    open_value: Callable[[], AbstractAsyncContextManager[X]],
    ready: Future[tuple[Portal, X]],
    finished: Future[None],
) -> None:
    async def main() -> None:
        async with open_value() as value, trio.open_nursery() as nursery:
            stop = trio.Event()
            portal = Portal(trio.lowlevel.current_trio_token(), nursery, stop, finished)
            ready.set_result((portal, value))
            await stop.wait()
            # Calls other threads still wait for end now, with ClientClosedError.
            nursery.cancel_scope.cancel()

    try:
        trio.run(main)
    except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits for it
        if ready.done():
            finished.set_exception(exc)
        else:
            ready.set_exception(exc)
    else:
        finished.set_result(None)
