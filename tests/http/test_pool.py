"""The session's connection pool (`LeanConnectionPool`), against an in-memory HTTP/1.1 server.

The server is a network backend for httpcore2 (no sockets, so Trio's
``autojump_clock`` drives every wait): each connection answers requests in
order, a request for ``/hold/<name>`` waits until the test opens that gate, and
the server can drop a connection. Every test ends with the pool's bookkeeping
checked empty: nothing queued, no connection reserved.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

import httpcore2
import httpx2
import pytest
import trio
import trio.testing
from _hostile import content_length

import trio_openai
from trio_openai._http import _pool
from trio_openai._http._pool import LeanConnectionPool, direct_transport, lean_pool_applies

ORIGIN = "http://api.test"


def ok(body: bytes) -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)]


class FakeConnection(httpcore2.AsyncNetworkStream):
    """One connection of `FakeServer`: requests in, responses out, in order."""

    def __init__(self, server: FakeServer, number: int) -> None:
        self.server = server
        self.number = number
        self.closed = False  # by the client
        self.dropped = False  # by the server
        self._in = b""
        self._paths: deque[str] = deque()
        self._out: deque[bytes] = deque()

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore2's signature
        await trio.lowlevel.checkpoint()
        self._in += buffer
        while b"\r\n\r\n" in self._in:
            head, _, rest = self._in.partition(b"\r\n\r\n")
            length = content_length(head)
            if len(rest) < length:
                return
            self._in = rest[length:]
            path = head.split(b" ")[1].decode()
            self._paths.append(path)
            self.server.log.append((self.number, path))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        await trio.lowlevel.checkpoint()
        if not self._out and self._paths and not self.dropped:
            path = self._paths.popleft()
            gate = self.server.gates.get(path.rsplit("/", 1)[-1])
            if path.startswith("/hold/") and gate is not None:
                await gate.wait()
            self._out.extend(self.server.respond(path))
        if self.dropped or not self._out:
            return b""
        piece = self._out.popleft()
        if piece == b"DROP":
            self.dropped = True
            return b""
        return piece

    async def aclose(self) -> None:
        self.closed = True

    def get_extra_info(self, info: str) -> Any:
        # An idle connection whose server hung up reads as readable (EOF waiting).
        return self.dropped if info == "is_readable" else None


class FakeServer(httpcore2.AsyncNetworkBackend):
    """An HTTP/1.1 server in memory; ``log`` has (connection number, path) per request."""

    def __init__(self, respond: Callable[[str], list[bytes]] | None = None) -> None:
        self.connections: list[FakeConnection] = []
        self.log: list[tuple[int, str]] = []
        self.gates: dict[str, trio.Event] = {}
        self._respond = respond

    def respond(self, path: str) -> list[bytes]:
        if self._respond is not None:
            return self._respond(path)
        if path.startswith("/cut/"):
            return [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", b"DROP"]
        return ok(path.encode())

    def gate(self, name: str) -> trio.Event:
        self.gates[name] = trio.Event()
        return self.gates[name]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        await trio.lowlevel.checkpoint()
        connection = FakeConnection(self, len(self.connections))
        self.connections.append(connection)
        return connection

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)


def make_pool(server: FakeServer, **limits: Any) -> LeanConnectionPool:
    return LeanConnectionPool(network_backend=server, **limits)


async def get(pool: LeanConnectionPool, path: str, **extensions: Any) -> bytes:
    response = await pool.request("GET", ORIGIN + path, extensions=extensions or None)
    return response.content


def assert_settled(pool: LeanConnectionPool) -> None:
    """Nothing queued, nothing reserved, every connection idle."""
    assert pool._queued == 0
    assert not pool._queue
    assert all(held.users == 0 for held in pool._held.values())
    assert set(pool._idle) == set(pool.connections)
    assert "0 queued" in repr(pool)


async def test_requests_beyond_max_connections_are_served_in_fifo_order() -> None:
    """Requests beyond max_connections wait, then are served in the order they came."""
    server = FakeServer()
    pool = make_pool(server, max_connections=2)
    first = server.gate("a")
    server.gate("b").set()
    done: list[str] = []

    async def call(path: str) -> None:
        done.append((await get(pool, path)).decode())

    async with trio.open_nursery() as nursery:
        for path in ("/hold/a", "/hold/b", *(f"/ok/{i}" for i in range(6))):
            nursery.start_soon(call, path)
            await trio.testing.wait_all_tasks_blocked()
        # b is done; its connection served the queue in order while a held the other.
        assert pool._queued == 0
        first.set()
    assert done[0] == "/hold/b"
    assert [path for path in done if path.startswith("/ok/")] == [f"/ok/{i}" for i in range(6)]
    assert [path for _, path in server.log if path.startswith("/ok/")] == [
        f"/ok/{i}" for i in range(6)
    ]
    assert len(server.connections) == 2
    assert_settled(pool)


async def test_the_queue_waits_in_order_for_one_connection() -> None:
    """With one connection, the waiting requests take it one after another, in order."""
    server = FakeServer()
    pool = make_pool(server, max_connections=1)
    gate = server.gate("a")
    done: list[str] = []

    async def call(path: str) -> None:
        done.append((await get(pool, path)).decode())

    async with trio.open_nursery() as nursery:
        for path in ("/hold/a", "/ok/1", "/ok/2", "/ok/3"):
            nursery.start_soon(call, path)
            await trio.testing.wait_all_tasks_blocked()
        assert pool._queued == 3
        assert "3 queued" in repr(pool)
        gate.set()
    assert done == ["/hold/a", "/ok/1", "/ok/2", "/ok/3"]
    assert [number for number, _ in server.log] == [0, 0, 0, 0]
    assert_settled(pool)


async def test_a_cancelled_waiting_request_leaves_nothing_behind() -> None:
    """A request cancelled while queued is never sent and leaves no entry in the pool."""
    server = FakeServer()
    pool = make_pool(server, max_connections=1)
    gate = server.gate("a")
    done: list[str] = []

    async def call(path: str, scope: trio.CancelScope | None = None) -> None:
        with scope or trio.CancelScope():
            done.append((await get(pool, path)).decode())

    cancelled = trio.CancelScope()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(call, "/hold/a")
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(call, "/ok/cancelled", cancelled)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(call, "/ok/2")
        await trio.testing.wait_all_tasks_blocked()
        assert pool._queued == 2
        cancelled.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert pool._queued == 1
        gate.set()
    assert done == ["/hold/a", "/ok/2"]
    assert "/ok/cancelled" not in [path for _, path in server.log]
    assert len(server.connections) == 1
    assert_settled(pool)


async def test_a_request_cancelled_after_it_was_given_a_connection_passes_it_on() -> None:
    """Cancelled after it was given a connection, a request hands it to the next one unused."""
    server = FakeServer()
    pool = make_pool(server, max_connections=1)
    done: list[str] = []
    cancelled = trio.CancelScope()

    async def call(path: str, scope: trio.CancelScope) -> None:
        with scope:
            done.append((await get(pool, path)).decode())

    async with trio.open_nursery() as nursery:
        async with pool.stream("GET", ORIGIN + "/ok/first") as response:
            nursery.start_soon(call, "/ok/cancelled", cancelled)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(call, "/ok/2", trio.CancelScope())
            await trio.testing.wait_all_tasks_blocked()
            await response.aread()
        # Closing the response gave the connection to the first waiter, not yet running:
        # cancelled now, it must hand the connection on unused.
        assert pool._held[pool.connections[0]].users == 1
        cancelled.cancel()
    assert done == ["/ok/2"]
    assert [path for _, path in server.log] == ["/ok/first", "/ok/2"]
    assert len(server.connections) == 1
    assert_settled(pool)


async def test_the_pool_timeout_raises_and_leaves_the_queue(autojump_clock: Any) -> None:
    """The pool timeout raises PoolTimeout after exactly that long and leaves the queue."""
    server = FakeServer()
    pool = make_pool(server, max_connections=1)
    gate = server.gate("a")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(get, pool, "/hold/a")
        await trio.testing.wait_all_tasks_blocked()
        start = trio.current_time()
        with pytest.raises(httpcore2.PoolTimeout):
            await get(pool, "/ok/late", timeout={"pool": 2.5})
        assert trio.current_time() - start == pytest.approx(2.5)
        assert pool._queued == 0
        gate.set()
    assert await get(pool, "/ok/after") == b"/ok/after"
    assert len(server.connections) == 1
    assert_settled(pool)


async def test_max_keepalive_connections_keeps_the_most_recently_used() -> None:
    """Idle connections beyond max_keepalive_connections are closed, the last used kept."""
    server = FakeServer()
    pool = make_pool(server, max_connections=3, max_keepalive_connections=1)
    gates = [server.gate(name) for name in "abc"]
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(get, pool, f"/hold/{name}")
            await trio.testing.wait_all_tasks_blocked()
        assert len(pool.connections) == 3
        for gate in gates:
            gate.set()
            await trio.testing.wait_all_tasks_blocked()
    # c finished last: its connection is the one kept; the other two were closed.
    assert [c.closed for c in server.connections] == [True, True, False]
    assert pool.connections == [pool.connections[0]]
    assert await get(pool, "/ok/again") == b"/ok/again"
    assert server.log[-1] == (2, "/ok/again")
    assert_settled(pool)


async def test_keepalive_expiry_closes_an_idle_connection(
    autojump_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle connection older than keepalive_expiry is closed, not reused."""
    monkeypatch.setattr(_pool, "_now", trio.current_time)
    server = FakeServer()
    pool = make_pool(server, keepalive_expiry=5.0)
    await get(pool, "/ok/1")
    await trio.sleep(4)
    await get(pool, "/ok/2")  # within the expiry: reused
    assert len(server.connections) == 1
    await trio.sleep(6)
    await get(pool, "/ok/3")  # expired while idle: closed, a new one opened
    assert [number for number, _ in server.log] == [0, 0, 1]
    assert server.connections[0].closed
    assert pool.connections == [pool.connections[0]]
    assert len(pool.connections) == 1
    # Expired idle connections are also closed when any request comes or goes.
    await trio.sleep(6)
    async with pool.stream("GET", "http://other.test/ok/x") as response:
        await response.aread()
        assert server.connections[1].closed
    assert_settled(pool)


async def test_a_connection_the_server_dropped_is_not_reused() -> None:
    """An idle connection the server hung up is closed when picked; a new one serves."""
    server = FakeServer()
    pool = make_pool(server)
    await get(pool, "/ok/1")
    server.connections[0].dropped = True  # hung up while idle in the pool
    assert await get(pool, "/ok/2") == b"/ok/2"
    assert [number for number, _ in server.log] == [0, 1]
    assert server.connections[0].closed
    assert len(pool.connections) == 1
    assert_settled(pool)


async def test_a_connection_dropped_mid_response_leaves_the_pool() -> None:
    """A connection that drops mid-response leaves the pool; the next request gets a new one."""
    server = FakeServer()
    pool = make_pool(server, max_connections=1)
    with pytest.raises(httpcore2.RemoteProtocolError):
        await get(pool, "/cut/1")
    assert pool.connections == []
    assert await get(pool, "/ok/2") == b"/ok/2"
    assert [number for number, _ in server.log] == [0, 1]
    assert_settled(pool)


async def test_another_origin_takes_the_least_recently_used_idle_connection() -> None:
    """At max_connections, another origin closes the least recently used idle connection."""
    server = FakeServer()
    pool = make_pool(server, max_connections=2)
    gates = [server.gate("a"), server.gate("b")]
    async with trio.open_nursery() as nursery:  # two connections to api.test
        for name in "ab":
            nursery.start_soon(get, pool, f"/hold/{name}")
            await trio.testing.wait_all_tasks_blocked()
        for gate in gates:  # a's connection goes idle first
            gate.set()
            await trio.testing.wait_all_tasks_blocked()
    assert len(pool.connections) == 2
    response = await pool.request("GET", "http://other.test/ok/3")
    assert response.content == b"/ok/3"
    assert [c.closed for c in server.connections] == [True, False, False]
    assert len(pool.connections) == 2
    assert_settled(pool)


class _Unavailable(httpcore2.AsyncConnectionInterface):
    """A connection that is taken before its request can use it."""

    def __init__(self) -> None:
        self.tried = 0

    async def handle_async_request(self, request: httpcore2.Request) -> httpcore2.Response:
        self.tried += 1
        await trio.lowlevel.checkpoint()
        raise httpcore2.ConnectionNotAvailable

    def can_handle_request(self, origin: httpcore2.Origin) -> bool:
        return True

    def is_available(self) -> bool:
        return False

    def has_expired(self) -> bool:
        return False

    def is_idle(self) -> bool:
        return False

    def is_closed(self) -> bool:
        return False

    def is_connected(self) -> bool:
        return False

    def can_multiplex(self) -> bool:
        return False

    async def aclose(self) -> None:
        pass

    def info(self) -> str:
        return "unavailable"


async def test_connection_not_available_sends_the_request_back_to_the_head() -> None:
    """ConnectionNotAvailable sends the request back to the head of the queue, retried."""
    server = FakeServer()
    unavailable = _Unavailable()
    made: list[Any] = []

    class Pool(LeanConnectionPool):
        def create_connection(self, origin: httpcore2.Origin) -> Any:
            connection = unavailable if not made else super().create_connection(origin)
            made.append(connection)
            return connection

    pool = Pool(network_backend=server, max_connections=1)
    done: list[bytes] = []

    async def call(path: str) -> None:
        done.append(await get(pool, path))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call, "/ok/1")
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(call, "/ok/2")
    assert unavailable.tried == 1
    assert done == [b"/ok/1", b"/ok/2"]  # the retried request kept its place
    assert unavailable not in pool.connections
    assert len(server.connections) == 1
    assert_settled(pool)


# -- through httpx2 and the client ------------------------------------------------------

CHUNK = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
)


def sse(path: str) -> list[bytes]:
    """A chunked event stream; the end of the body comes after [DONE], on its own."""
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    frames = [CHUNK, CHUNK, CHUNK, b"data: [DONE]\n\n"]
    return [head, *(b"%x\r\n%s\r\n" % (len(f), f) for f in frames), b"0\r\n\r\n"]


async def test_a_drained_stream_gives_its_connection_to_the_next_stream() -> None:
    """Streams read to [DONE] and drained reuse one keep-alive connection."""
    server = FakeServer(sse)
    transport = direct_transport(verify=True, limits=httpx2.Limits(max_connections=1))
    pool = transport._pool = make_pool(server, max_connections=1)
    counts: list[int] = []
    async with (
        httpx2.AsyncClient(transport=transport) as http,
        trio_openai.open_client(
            api_key="sk-pool", base_url=ORIGIN + "/v1", http_client=http
        ) as client,
    ):

        async def one() -> None:
            async with client.chat.completions.stream(
                model="m", messages=[{"role": "user", "content": "hi"}]
            ) as stream:
                counts.append(len([chunk async for chunk in stream]))

        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(one)
        assert counts == [3] * 5
        # One connection for all five: each stream read the end of its body after [DONE].
        assert [number for number, _ in server.log] == [0] * 5
        assert not server.connections[0].closed
        assert_settled(pool)
    assert server.connections[0].closed  # with the client


def test_the_pool_is_used_only_under_the_versions_it_was_written_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Other httpcore2/httpx2 versions keep httpx2's pool; ours gets the same limits."""
    limits = httpx2.Limits(max_connections=7, max_keepalive_connections=3, keepalive_expiry=9.0)
    # Pretend the installed versions are the known ones (a release after ours must
    # not turn CI red: it falls back, which the end of this test checks).
    for name in list(_pool.WRITTEN_FOR):
        monkeypatch.setitem(_pool.WRITTEN_FOR, name, (version(name),))
    assert lean_pool_applies()
    pool = direct_transport(verify=True, limits=limits)._pool
    assert isinstance(pool, LeanConnectionPool)
    assert (pool._max_connections, pool._max_keepalive_connections) == (7, 3)
    assert pool._keepalive_expiry == 9.0
    monkeypatch.setitem(_pool.WRITTEN_FOR, "httpcore2", ("0.0.1",))
    assert not lean_pool_applies()
    assert type(direct_transport(verify=True, limits=limits)._pool) is httpcore2.AsyncConnectionPool


async def test_a_session_without_http_client_uses_the_pool() -> None:
    """open_client() without http_client= sends through our pool, with its limits.

    Under the versions the pool was written for (those of the bench and of CI so
    far); under any other, httpx2's own pool, with the same limits.
    """
    known = all(version(name) in _pool.WRITTEN_FOR[name] for name in ("httpcore2", "httpx2"))
    async with trio_openai.open_client(api_key="sk-pool", proxy=False) as client:
        transport = client._session.http._transport
        assert isinstance(transport._pool, LeanConnectionPool) is known
        assert transport._pool._max_connections == 1000
        assert transport._pool._max_keepalive_connections == 100


class _Multiplexed(httpcore2.AsyncConnectionInterface):
    """An HTTP/2-like connection: many requests at once; each waits for the test's gate."""

    def __init__(self, gate: trio.Event) -> None:
        self.gate = gate
        self.active = 0
        self.most = 0
        self.closed = False

    async def handle_async_request(self, request: httpcore2.Request) -> httpcore2.Response:
        self.active += 1
        self.most = max(self.most, self.active)
        await self.gate.wait()
        connection = self

        class Body:
            async def __aiter__(self) -> Any:
                yield b"shared"

            async def aclose(self) -> None:
                connection.active -= 1

        return httpcore2.Response(200, content=Body())

    def can_handle_request(self, origin: httpcore2.Origin) -> bool:
        return origin.host == b"api.test"

    def is_available(self) -> bool:
        return not self.closed

    def has_expired(self) -> bool:
        return False

    def is_idle(self) -> bool:
        return self.active == 0

    def is_closed(self) -> bool:
        return self.closed

    def is_connected(self) -> bool:
        return not self.closed

    def can_multiplex(self) -> bool:
        return True

    async def aclose(self) -> None:
        self.closed = True

    def info(self) -> str:
        return "multiplexed"


async def test_a_multiplexing_connection_takes_every_request_of_its_origin() -> None:
    """A multiplexing (HTTP/2) connection takes every request of its origin at once."""
    gate = trio.Event()
    made: list[_Multiplexed] = []

    class Pool(LeanConnectionPool):
        def create_connection(self, origin: httpcore2.Origin) -> Any:
            made.append(_Multiplexed(gate))
            return made[-1]

    pool = Pool(max_connections=1)
    done: list[bytes] = []

    async def call() -> None:
        done.append(await get(pool, "/ok/x"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call)
        await trio.testing.wait_all_tasks_blocked()
        for _ in range(4):
            nursery.start_soon(call)
        await trio.testing.wait_all_tasks_blocked()
        assert pool._queued == 0
        gate.set()
    assert done == [b"shared"] * 5
    assert len(made) == 1
    assert made[0].most == 5
    assert_settled(pool)
