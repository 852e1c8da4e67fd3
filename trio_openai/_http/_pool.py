"""The session's connection pool: httpcore2's connections, our bookkeeping.

Why a pool of our own: httpcore2 2.16.2's ``AsyncConnectionPool`` keeps its
queue in a list and decides who gets which connection in one pass
(``_assign_requests_to_connections``) that it runs on every request and on
every response close. The pass rebuilds the set of reserved connections from
every request in the queue, asks every connection several questions
(closed? connected? expired, which probes the socket? idle? available?) and
removes a finished request from the list by a linear search. With thousands
of streams waiting for a connection that is O(requests + connections) per
pass, O(n²) over a run: at 10,000 concurrent streams it was half of the
client's CPU (docs/benchmarks.md, "Concurrency in one process"). A pool that
keeps its connections alive (as ours does: a stream reads the end of its
body so that its connection is reused) pays the most, because a live
connection answers more of those questions than one still connecting.

`LeanConnectionPool` keeps the same rules and changes only the bookkeeping,
which it maintains as things happen instead of recomputing it:

- the waiting requests are a FIFO (a deque; a request that leaves is marked
  and skipped, and the deque is compacted once most of it is gone), and only
  its head is looked at, only while a connection can be had;
- each connection's count of requests is kept (the "reserved" set of
  httpcore2's pass), so a connection handed to a request that has not sent
  yet is never handed out twice;
- idle connections are indexed by origin, most recently used first, so a
  request for an origin finds one in O(1); the least recently used one is
  the first closed for ``max_keepalive_connections``, for keep-alive expiry
  (checked against the time it went idle, oldest first, at each event), and
  to make room for another origin once ``max_connections`` are open;
- a connection's state is read only when it changes hands: when its request
  ends (back to idle, closed, or dropped if it never connected) and when it
  is picked (``has_expired``); a connection the server closed while it was
  idle is noticed then (httpcore2 2.16: ``has_expired``; 2.17: the
  connection, which closes itself and refuses the request), so no request is
  sent on a dead one.

Same semantics as httpcore2's pool: ``max_connections``,
``max_keepalive_connections``, ``keepalive_expiry``, the ``pool`` timeout
(`httpcore2.PoolTimeout`), FIFO service of waiting requests, a request
cancelled while waiting (or after it was given a connection it had not used
yet) leaves nothing behind, a connection that turns out to be unavailable
(`httpcore2.ConnectionNotAvailable`) sends its request back to the head of
the queue, and HTTP/2 connections (and connections still connecting that may
turn out HTTP/2) take further requests while busy. What differs: an idle
connection the server closed is noticed when it is next picked, or at its
expiry, not at every event; an idle connection is reused most recently used
first (httpcore2: oldest first).

What is httpcore2's: the connections (`create_connection`, which the
proxy pools override, is called as is) and the connection interface
(``is_idle``, ``is_available``, ``has_expired``...). What is overridden:
``handle_async_request`` (public), ``aclose``, ``connections``, the repr,
and, so that nothing can run httpcore2's pass on our state,
``_assign_requests_to_connections``. That is private API of one version:
`direct_transport` installs this pool only under the httpcore2 and httpx2
versions it was written and tested against (`WRITTEN_FOR`) and otherwise
keeps httpx2's own pool. It is installed only where we build the transport
(a session without an ``http_client``, and the direct route of
`ProxyTransport`); proxied routes keep httpx2's pool. It runs under Trio only
(as every session does): it waits and shields with Trio's primitives.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from importlib.metadata import version
from typing import Any, Final, final

import httpcore2
import httpx2
import trio
from httpcore2 import AsyncConnectionInterface, ConnectionNotAvailable

__all__ = ["WRITTEN_FOR", "LeanConnectionPool", "direct_transport", "lean_pool_applies"]

WRITTEN_FOR: Final = {"httpcore2": ("2.16.2", "2.17.0"), "httpx2": ("2.16.2", "2.17.0")}
"""The versions whose pool internals `LeanConnectionPool` was written and tested against.

Each release is read before it is added: 2.17.0 moved the check for a
connection the server closed while idle from ``has_expired`` into the
connection's ``handle_async_request`` (which then closes it and raises
``ConnectionNotAvailable``: the request goes back to the head of the queue and
the closed connection leaves the pool), and passes more settings to the
connections that ``create_connection`` makes (called as is).
"""

_DEFAULT_PORTS: Final = {b"http": 80, b"https": 443, b"ws": 80, b"wss": 443}

_now = time.monotonic  # httpcore2's connections time keep-alive with the same clock

Key = tuple[bytes, bytes, int]
"""An origin as a dict key (httpcore2's `Origin` is not hashable)."""


def lean_pool_applies() -> bool:
    """Whether the installed httpcore2 and httpx2 are the versions `WRITTEN_FOR` names."""
    try:
        return all(version(name) in known for name, known in WRITTEN_FOR.items())
    except Exception:  # noqa: BLE001 - no metadata: not the versions we know
        return False


def direct_transport(*, verify: Any, limits: httpx2.Limits) -> httpx2.AsyncHTTPTransport:
    """httpx2's transport without a proxy, with a `LeanConnectionPool` when it applies.

    The transport is httpx2's own (``trust_env=False``, HTTP/1.1); its pool is
    replaced by ours, made with the same settings, only under the versions
    `WRITTEN_FOR` names (`lean_pool_applies`); otherwise it keeps httpx2's pool.

    Args:
        verify: The TLS context (or httpx2's ``verify=`` value).
        limits: The pool's limits.
    """
    transport = httpx2.AsyncHTTPTransport(verify=verify, limits=limits, trust_env=False)
    if lean_pool_applies():
        transport._pool = LeanConnectionPool(  # the one attribute we replace
            ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )
    return transport


@final
class _Waiter:
    """One request in the pool: its origin, then its connection once it has one."""

    __slots__ = ("connection", "gone", "key", "task", "url")

    def __init__(self, key: Key, url: httpcore2.URL) -> None:
        self.key = key
        self.url = url  # the request's: its origin is made only for a new connection
        self.connection: AsyncConnectionInterface | None = None
        self.task: trio.lowlevel.Task | None = None  # parked, waiting for a connection
        self.gone = False  # left the queue (the deque still holds it until skipped)

    def abort(self, _: Any) -> trio.lowlevel.Abort:
        """Cancelled while parked: nothing to undo here (`LeanConnectionPool._leave` does)."""
        self.task = None
        return trio.lowlevel.Abort.SUCCEEDED


def _waiter_for(request: httpcore2.Request) -> _Waiter:
    """*request*'s place in the pool.

    No local holds the URL: a traceback formatted with locals would show its
    query, which may carry a key (``default_query``).
    """
    scheme = request.url.scheme
    default = _DEFAULT_PORTS.get(scheme)
    if default is None:
        text = scheme.decode("ascii", "replace")
        msg = (
            f"Request URL has an unsupported protocol '{text}://'."
            if text
            else "Request URL is missing an 'http://' or 'https://' protocol."
        )
        raise httpcore2.UnsupportedProtocol(msg)
    key = (scheme, request.url.host, request.url.port or default)
    return _Waiter(key, request.url)


@final
class _Held:
    """What the pool knows of one of its connections."""

    __slots__ = ("idle_since", "key", "users")

    def __init__(self, key: Key) -> None:
        self.key = key
        self.users = 0  # requests given this connection and not yet finished
        self.idle_since = 0.0


class LeanConnectionPool(httpcore2.AsyncConnectionPool):
    """httpcore2's connection pool with bookkeeping in O(1) per event (see the module).

    Takes httpcore2's ``AsyncConnectionPool`` arguments. Trio only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: dict[AsyncConnectionInterface, _Held] = {}
        # Idle connections given to no request, least recently used first; and per origin.
        self._idle: dict[AsyncConnectionInterface, None] = {}
        self._idle_for: dict[Key, dict[AsyncConnectionInterface, None]] = {}
        # Busy connections that may take more requests (HTTP/2, or maybe HTTP/2 while connecting).
        self._shared: dict[AsyncConnectionInterface, None] = {}
        self._queue: deque[_Waiter] = deque()
        self._queued = 0  # waiters in the deque that have not left
        self._closing: list[AsyncConnectionInterface] = []

    # -- the public interface --------------------------------------------------------------

    @property
    def connections(self) -> list[AsyncConnectionInterface]:
        """The connections in the pool, oldest first."""
        return list(self._held)

    def __repr__(self) -> str:
        busy = sum(1 for held in self._held.values() if held.users)
        return (
            f"<{type(self).__name__} [Requests: {self._queued} queued | "
            f"Connections: {busy} in use, {len(self._idle)} idle, {len(self._held)} in all]>"
        )

    async def handle_async_request(self, request: httpcore2.Request) -> httpcore2.Response:
        """Send *request* on a connection of the pool (waiting for one if need be).

        Raises:
            httpcore2.UnsupportedProtocol: The URL's scheme is not HTTP(S) or WS(S).
            httpcore2.PoolTimeout: No connection within the request's ``pool`` timeout.
        """
        waiter = _waiter_for(request)
        self._queue.append(waiter)
        self._queued += 1
        try:
            while True:
                self._dispatch()
                if self._closing:
                    await self._close_pending()
                connection = waiter.connection
                if connection is None:
                    # Parked without an Event (a waiting request is kept small):
                    # `_assign` reschedules the task, `_Waiter.abort` undoes the parking.
                    timeout = request.extensions.get("timeout", {}).get("pool")
                    waiter.task = trio.lowlevel.current_task()
                    if timeout is None:
                        await trio.lowlevel.wait_task_rescheduled(waiter.abort)
                    else:
                        with trio.move_on_after(timeout):
                            await trio.lowlevel.wait_task_rescheduled(waiter.abort)
                    connection = waiter.connection
                    if connection is None:
                        msg = "Timed out waiting for a connection from the pool."
                        raise httpcore2.PoolTimeout(msg)
                try:
                    response = await connection.handle_async_request(request)
                except ConnectionNotAvailable:
                    # Taken by another request in between (HTTP/2 negotiation, a race):
                    # back to the head of the queue, where it came from.
                    self._unassign(waiter)
                else:
                    break
        except BaseException:
            self._leave(waiter)
            if self._closing:
                await self._close_pending()
            raise
        if connection not in self._shared and connection.can_multiplex():
            # Just found to speak HTTP/2: the requests waiting for its origin may share it.
            self._shared[connection] = None
            self._dispatch()
        assert isinstance(response.stream, AsyncIterable)
        return httpcore2.Response(
            status=response.status,
            headers=response.headers,
            content=_PooledStream(response.stream, self, waiter),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every connection of the pool."""
        closing = list(self._held)
        self._held.clear()
        self._idle.clear()
        self._idle_for.clear()
        self._shared.clear()
        self._closing.extend(closing)
        await self._close_pending()

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        """Our pass (httpcore2's would read state this pool does not keep)."""
        self._dispatch()
        closing, self._closing = self._closing, []
        return closing

    # -- the bookkeeping: every method below is synchronous and O(1) per event -------------

    def _dispatch(self) -> None:
        """Give connections to the waiting requests, oldest first, while there are any."""
        queue = self._queue
        while self._queued:
            if not self._idle and not self._shared and len(self._held) >= self._max_connections:
                break  # no connection to give: the usual case with a long queue
            waiter = queue[0]
            if waiter.gone:
                queue.popleft()
                continue
            connection = self._connection_for(waiter)
            if connection is None:
                if self._shared:
                    self._dispatch_shared()
                break
            queue.popleft()
            self._queued -= 1
            self._assign(waiter, connection)
        if not self._queued and queue:
            queue.clear()  # only waiters that left
        self._trim()

    def _dispatch_shared(self) -> None:
        """Serve waiting requests of other origins that a shared connection can take.

        Only when the head of the queue cannot be served: no budget, no idle
        connection, but HTTP/2 connections for other origins (rare: a scan).
        """
        served = False
        for waiter in self._queue:
            if not waiter.gone and waiter.connection is None:
                connection = self._shared_for(waiter.key)
                if connection is not None:
                    self._queued -= 1
                    self._assign(waiter, connection)
                    served = True
        if served:
            self._queue = deque(w for w in self._queue if not w.gone and w.connection is None)

    def _assign(self, waiter: _Waiter, connection: AsyncConnectionInterface) -> None:
        self._held[connection].users += 1
        waiter.connection = connection
        task = waiter.task
        if task is not None:
            waiter.task = None
            trio.lowlevel.reschedule(task)

    def _connection_for(self, waiter: _Waiter) -> AsyncConnectionInterface | None:
        """A connection for *waiter*'s origin: an idle one, a shared one, a new one, or none."""
        key = waiter.key
        idle = self._idle_for.get(key)
        while idle:
            connection = next(reversed(idle))  # the most recently used
            self._not_idle(connection, key)
            if self._expired(connection):
                self._drop(connection, close=True)
                continue
            return connection
        if self._shared:
            shared = self._shared_for(key)
            if shared is not None:
                return shared
        if len(self._held) >= self._max_connections:
            if not self._idle:
                return None
            # Room for this origin: close the least recently used idle connection.
            victim = next(iter(self._idle))
            self._drop(victim, close=True)
        connection = self.create_connection(waiter.url.origin)
        self._held[connection] = _Held(key)
        if connection.can_multiplex() or (
            not connection.is_connected() and connection.is_available()
        ):
            self._shared[connection] = None  # HTTP/2, or connecting and it may turn out so
        return connection

    def _shared_for(self, key: Key) -> AsyncConnectionInterface | None:
        for connection in list(self._shared):
            if connection.is_closed() or not (
                connection.can_multiplex() or not connection.is_connected()
            ):
                del self._shared[connection]  # closed, or found to speak HTTP/1.1
            elif self._held[connection].key == key and connection.is_available():
                if connection in self._idle:
                    self._not_idle(connection, key)
                return connection
        return None

    def _expired(self, connection: AsyncConnectionInterface) -> bool:
        expiry = self._keepalive_expiry
        held = self._held[connection]
        if expiry is not None and _now() - held.idle_since > expiry:
            return True
        return connection.has_expired()  # 2.16 also: the server closed it while idle

    def _not_idle(self, connection: AsyncConnectionInterface, key: Key) -> None:
        del self._idle[connection]
        idle = self._idle_for[key]
        del idle[connection]
        if not idle:
            del self._idle_for[key]

    def _drop(self, connection: AsyncConnectionInterface, *, close: bool) -> None:
        held = self._held.pop(connection, None)
        if held is None:
            return
        if connection in self._idle:
            self._not_idle(connection, held.key)
        self._shared.pop(connection, None)
        if close:
            self._closing.append(connection)

    def _release(self, connection: AsyncConnectionInterface) -> None:
        """One request fewer on *connection*: it may now be idle, closed or useless."""
        held = self._held.get(connection)
        if held is None:
            return  # already out of the pool (closed with it)
        held.users -= 1
        if connection.is_closed():
            self._drop(connection, close=False)
        elif held.users:
            return
        elif connection.is_idle():
            held.idle_since = _now()
            self._idle[connection] = None
            self._idle_for.setdefault(held.key, {})[connection] = None
        elif not connection.is_connected():
            # Never connected: its request left before using it. No socket to close.
            self._drop(connection, close=False)
        else:
            # Connected, not idle, no request on it: nothing can use it again.
            self._drop(connection, close=True)

    def _trim(self) -> None:
        """Close the idle connections beyond ``max_keepalive_connections``, or expired."""
        idle = self._idle
        surplus = len(idle) - self._max_keepalive_connections
        while surplus > 0:
            self._drop(next(iter(idle)), close=True)
            surplus -= 1
        expiry = self._keepalive_expiry
        if idle and expiry is not None:
            now = _now()
            while idle:
                oldest = next(iter(idle))
                if now - self._held[oldest].idle_since <= expiry:
                    break
                self._drop(oldest, close=True)

    def _unassign(self, waiter: _Waiter) -> None:
        """*waiter*'s connection could not take it: back to the head of the queue."""
        connection, waiter.connection = waiter.connection, None
        waiter.gone = False
        if connection is not None:
            self._release(connection)
        self._queue.appendleft(waiter)
        self._queued += 1

    def _leave(self, waiter: _Waiter) -> None:
        """*waiter*'s request failed or was cancelled: out of the queue, its connection freed."""
        waiter.task = None
        if waiter.connection is None:
            if not waiter.gone:
                waiter.gone = True
                self._queued -= 1
                self._compact()
        else:
            connection, waiter.connection = waiter.connection, None
            self._release(connection)
        self._dispatch()

    def _finished(self, waiter: _Waiter) -> None:
        """*waiter*'s response was closed: its connection goes to the next request."""
        connection, waiter.connection = waiter.connection, None
        if connection is not None:
            self._release(connection)
        self._dispatch()

    def _compact(self) -> None:
        """Let go of the waiters that left, once they are most of the deque."""
        queue = self._queue
        while queue and queue[-1].gone:
            queue.pop()
        while queue and queue[0].gone:
            queue.popleft()
        if len(queue) > 2 * self._queued + 64:
            self._queue = deque(waiter for waiter in queue if not waiter.gone)

    async def _close_pending(self) -> None:
        closing, self._closing = self._closing, []
        with trio.CancelScope(shield=True):
            for connection in closing:
                await connection.aclose()


@final
class _PooledStream:
    """A response body that gives its connection back to the pool when closed."""

    __slots__ = ("_closed", "_pool", "_stream", "_waiter")

    def __init__(
        self, stream: AsyncIterable[bytes], pool: LeanConnectionPool, waiter: _Waiter
    ) -> None:
        self._stream = stream
        self._pool = pool
        self._waiter = waiter
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        iterator = self._stream.__aiter__()
        try:
            async for chunk in iterator:
                yield chunk
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        """Close the body (its connection goes idle or is closed), then free the connection."""
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                with trio.CancelScope(shield=True):
                    await close()
        finally:
            pool = self._pool
            pool._finished(self._waiter)  # the pool's own stream
            if pool._closing:
                await pool._close_pending()
