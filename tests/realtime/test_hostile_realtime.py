"""Realtime against hostile servers and careless callers: secrets, deep JSON, memory, TLS."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import ssl
import subprocess
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai.testing import FakeRealtime
from trio_openai.types import UnknownObject

# Module constants, not locals: the test's own frames are in the tracebacks it formats.
KEY = "sk-hostile-KEY-3f9a0c6e1b7d42"
DEFAULT_VALUE = "default-header-SECRET-7781"
EXTRA_VALUE = "extra-header-SECRET-5523"
QUERY_VALUE = "default-query-SECRET-6610"  # a gateway's ?key=
SECRETS = (KEY, DEFAULT_VALUE, EXTRA_VALUE, QUERY_VALUE)
API_VERSION = "2025-04-01-preview"


def leaked(exc: BaseException) -> list[str]:
    """The secrets found in *exc* formatted with every frame's locals, across its whole chain.

    The chain is walked by hand (causes, contexts even when suppressed, group members):
    a log collector may print any of them.
    """
    found: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        formatted = traceback.TracebackException.from_exception(current, capture_locals=True)
        text = "".join(formatted.format()) + repr(current) + str(current)
        found += [s for s in SECRETS if s in text]
        todo += [current.__cause__, current.__context__]
        todo += list(getattr(current, "exceptions", ()))
    return sorted(set(found))


# -- raw servers on 127.0.0.1 port 0 --------------------------------------------------------

Answer = Callable[[trio.SocketStream, bytes], Awaitable[None]]


@attrs.define(eq=False)
class RawServer:
    """A TCP server that reads an HTTP request head, records it, and answers with *answer*."""

    answer: Answer
    greeting: bytes = b""  # sent as soon as a connection opens (a plain server to a TLS client)
    received: list[bytes] = attrs.field(factory=list)

    async def serve(self, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        task_status.started(listeners[0].socket.getsockname()[1])
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, stream: trio.SocketStream) -> None:
        data = b""
        with trio.move_on_after(30):
            try:
                if self.greeting:
                    await stream.send_all(self.greeting)
                while b"\r\n\r\n" not in data:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        break
                    data += chunk
                self.received.append(data)
                await self.answer(stream, data)
            except trio.BrokenResourceError:
                pass
        await trio.aclose_forcefully(stream)


def header_value(request: bytes, name: bytes) -> bytes:
    """The value of header *name* in a raw request head (b"" when absent)."""
    for line in request.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return b""


async def refuse_echoing_the_key(stream: trio.SocketStream, request: bytes) -> None:
    """401, echoing every credential back, as a careless gateway does."""
    echoed = b" ".join(
        header_value(request, name)
        for name in (b"authorization", b"api-key", b"x-default", b"x-extra")
    )
    body = b'{"error": {"message": "Incorrect API key provided: ' + echoed + b'"}}'
    await stream.send_all(
        b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )


async def close_at_once(stream: trio.SocketStream, request: bytes) -> None:
    del stream, request


async def close_mid_answer(stream: trio.SocketStream, request: bytes) -> None:
    await stream.send_all(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n")


async def answer_garbage(stream: trio.SocketStream, request: bytes) -> None:
    await stream.send_all(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")


async def answer_200(stream: trio.SocketStream, request: bytes) -> None:
    await stream.send_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")


async def never_answer(stream: trio.SocketStream, request: bytes) -> None:
    await trio.sleep_forever()


@asynccontextmanager
async def flavour_client(flavour: str, port: int, *, tls: bool = False) -> AsyncIterator[Any]:
    """A client of *flavour* (``openai`` or ``azure``) for 127.0.0.1:*port*, custom headers set.

    Its default query holds a token too, as a gateway's ``?key=`` does.
    """
    scheme = "https" if tls else "http"
    defaults: dict[str, Any] = {
        "api_key": KEY,
        "default_headers": {"X-Default": DEFAULT_VALUE},
        "default_query": {"key": QUERY_VALUE},
    }
    if flavour == "azure":
        async with trio_openai.open_azure_client(
            azure_endpoint=f"{scheme}://127.0.0.1:{port}", api_version=API_VERSION, **defaults
        ) as client:
            yield client
    else:
        async with trio_openai.open_client(
            base_url=f"{scheme}://127.0.0.1:{port}/v1", **defaults
        ) as client:
            yield client


async def failed_connect(client: Any) -> BaseException:
    """The exception a Realtime connect of *client* raises (the test fails if it connects)."""
    with pytest.raises(trio_openai.APIError) as info:
        async with client.realtime.connect(
            model="gpt-realtime", extra_headers={"X-Extra": EXTRA_VALUE}
        ):
            pytest.fail("connected")
    return info.value


FLAVOURS = ["openai", "azure"]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (refuse_echoing_the_key, trio_openai.AuthenticationError),
        (close_at_once, trio_openai.APIConnectionError),
        (close_mid_answer, trio_openai.APIConnectionError),
        (answer_garbage, trio_openai.APIConnectionError),
        (answer_200, trio_openai.APIConnectionError),
    ],
    ids=["401-echo", "close-at-once", "close-mid-answer", "garbage", "200"],
)
async def test_a_refused_or_broken_handshake_leaks_no_secret(
    flavour: str, answer: Answer, error: type[Exception], nursery: trio.Nursery
) -> None:
    """The key and custom header values reach the server, but no traceback's locals."""
    server = RawServer(answer)
    port = await nursery.start(server.serve)
    async with flavour_client(flavour, port) as client:
        exc = await failed_connect(client)
    assert isinstance(exc, error), repr(exc)
    assert leaked(exc) == []
    sent = server.received[0]
    assert KEY.encode() in sent  # the secrets did go through trio-websocket's frames
    assert DEFAULT_VALUE.encode() in sent
    assert EXTRA_VALUE.encode() in sent
    assert QUERY_VALUE.encode() in sent


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_timed_out_handshake_leaks_no_secret(
    flavour: str, nursery: trio.Nursery, autojump_clock: trio.abc.Clock
) -> None:
    """A server that reads the upgrade and never answers: the timeout's chain holds no secret."""
    server = RawServer(never_answer)
    port = await nursery.start(server.serve)
    async with flavour_client(flavour, port) as client:
        exc = await failed_connect(client)
    assert isinstance(exc, trio_openai.APITimeoutError), repr(exc)
    assert leaked(exc) == []


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_refused_connections_and_tls_failures_leak_no_secret(
    flavour: str, nursery: trio.Nursery
) -> None:
    """Nothing listening, and a plain-HTTP server behind a wss URL: no secret in the chain."""
    with trio.socket.socket() as sock:  # a port that was free a moment ago
        await sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    async with flavour_client(flavour, free) as client:
        exc = await failed_connect(client)
    assert isinstance(exc, trio_openai.APIConnectionError), repr(exc)
    assert leaked(exc) == []

    server = RawServer(close_at_once, greeting=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    port = await nursery.start(server.serve)
    async with flavour_client(flavour, port, tls=True) as client:
        exc = await failed_connect(client)
    assert isinstance(exc, trio_openai.APIConnectionError), repr(exc)
    assert leaked(exc) == []
    assert all(KEY.encode() not in data for data in server.received)


@pytest.mark.parametrize(
    "suffix",
    ["\n", "\r\nX-Injected: 1", "\x00", " ", "\x0b", "\u2192"],
    ids=["lf", "crlf", "nul", "trailing-space", "vtab", "non-latin-1"],
)
async def test_a_header_that_cannot_be_sent_is_refused_before_connecting(
    suffix: str, nursery: trio.Nursery
) -> None:
    """A bad extra header value is InvalidArgumentError naming the header; nothing is sent."""
    server = RawServer(refuse_echoing_the_key)
    port = await nursery.start(server.serve)
    async with flavour_client("openai", port) as client:
        with pytest.raises(trio_openai.InvalidArgumentError, match=r"(?i)'x-extra'") as info:
            async with client.realtime.connect(
                model="gpt-realtime", extra_headers={"X-Extra": EXTRA_VALUE + suffix}
            ):
                pytest.fail("connected")
        assert "extra_headers" in str(info.value)
        assert leaked(info.value) == []
        with pytest.raises(trio_openai.InvalidArgumentError, match=r"(?i)'x-default'") as info:
            async with client.realtime.connect(
                model="gpt-realtime", extra_headers={"X-Default": DEFAULT_VALUE + suffix}
            ):
                pytest.fail("connected")
        assert leaked(info.value) == []
    assert server.received == []


async def test_a_close_reason_echoing_the_key_is_scrubbed() -> None:
    """A server that closes with the key in its reason: the error shows [secure] instead."""
    fake = FakeRealtime()
    fake.add_fault("connect", close=4001, reason=f"key {KEY} revoked ({EXTRA_VALUE})")
    async with trio.open_nursery() as nursery:
        opener = await nursery.start(fake.serve_memory)
        async with trio_openai.open_client(api_key=KEY, base_url="http://fake.test/v1") as client:
            async with client.realtime.connect(
                model="gpt-realtime", open_stream=opener, extra_headers={"X-Extra": EXTRA_VALUE}
            ) as conn:
                exc = await closed_error(conn)
                assert conn.close_reason == "key [secure] revoked ([secure])"
        nursery.cancel_scope.cancel()
    assert exc.close_code == 4001
    assert exc.close_reason == "key [secure] revoked ([secure])"
    assert leaked(exc) == []


async def closed_error(conn: Any) -> trio_openai.RealtimeConnectionClosed:
    """The error `recv` raises once *conn* is closed (caught here: the test frame is not in it)."""
    try:
        while True:
            await conn.recv()
    except trio_openai.RealtimeConnectionClosed as exc:
        return exc


# -- TLS: one policy, the environment not read -----------------------------------------------


@attrs.frozen
class SelfSigned:
    cert: Path
    key: Path
    cert_dir: Path  # holds the cert under its hash name, as SSL_CERT_DIR expects


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    """A self-signed certificate for 127.0.0.1, made with ``openssl req``.

    ``cryptography`` and ``trustme`` are not dependencies of the test environment; the
    openssl command is the one tool to expect.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [openssl, *request.split(), "-keyout", str(key), "-out", str(cert), *subject],
        check=True,
        capture_output=True,
        timeout=60,
    )
    hashed = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(cert)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    cert_dir = where / "certs"
    cert_dir.mkdir()
    (cert_dir / f"{hashed}.0").write_bytes(cert.read_bytes())
    return SelfSigned(cert, key, cert_dir)


@attrs.define(eq=False)
class TLSFront:
    """A TLS server on 127.0.0.1 that records what it decrypts and forwards it to *upstream*."""

    certificate: SelfSigned
    upstream: int
    received: bytearray = attrs.field(factory=bytearray)

    async def serve(self, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate.cert, self.certificate.key)
        listeners = await trio.open_ssl_over_tcp_listeners(0, context, host="127.0.0.1")
        task_status.started(listeners[0].transport_listener.socket.getsockname()[1])
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, stream: trio.SSLStream[trio.SocketStream]) -> None:
        try:
            await stream.do_handshake()
        except trio.BrokenResourceError:
            return  # the client refused the certificate
        async with stream, await trio.open_tcp_stream("127.0.0.1", self.upstream) as upstream:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._pipe, stream, upstream, True)
                await self._pipe(upstream, stream, False)
                nursery.cancel_scope.cancel()

    async def _pipe(self, source: trio.abc.Stream, sink: trio.abc.Stream, record: bool) -> None:
        try:
            while data := await source.receive_some(65536):
                if record:
                    self.received += data
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # one side left


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
async def test_a_rogue_certificate_in_the_environment_is_not_trusted(
    variable: str,
    self_signed: SelfSigned,
    monkeypatch: pytest.MonkeyPatch,
    nursery: trio.Nursery,
) -> None:
    """SSL_CERT_FILE/DIR naming an impostor's cert: TLS fails, the key never reaches it."""
    monkeypatch.setenv(
        variable, str(self_signed.cert if variable == "SSL_CERT_FILE" else self_signed.cert_dir)
    )
    upstream = int((await nursery.start(FakeRealtime().serve)).rsplit(":", 1)[1].split("/")[0])
    front = TLSFront(self_signed, upstream)
    port = await nursery.start(front.serve)
    async with flavour_client("openai", port, tls=True) as client:
        exc = await failed_connect(client)
        assert type(exc) is trio_openai.APIConnectionError
        assert "CERTIFICATE_VERIFY_FAILED" in str(exc)
        assert bytes(front.received) == b""
        assert leaked(exc) == []

        # Trusting it is the caller's explicit choice.
        trusting = ssl.create_default_context(cafile=self_signed.cert)
        async with client.realtime.connect(model="gpt-realtime", ssl_context=trusting) as conn:
            assert (await conn.recv()).type == "session.created"
    assert KEY.encode() in front.received


# -- deep JSON: one bad frame never ends the session -----------------------------------------

DEEP = 100_000


@pytest.mark.parametrize(
    "message",
    ["[" * DEEP + "]" * DEEP, '{"type": "x", "a": ' * DEEP + "1" + "}" * DEEP],
    ids=["array", "object"],
)
async def test_an_event_nested_too_deeply_is_delivered_raw_and_the_session_goes_on(
    message: str, caplog: pytest.LogCaptureFixture
) -> None:
    """100,000 levels: an UnknownObject holding the raw message, a WARNING, then the next event."""
    fake = FakeRealtime()
    async with trio.open_nursery() as nursery:
        opener = await nursery.start(fake.serve_memory)
        async with (
            trio_openai.open_client(api_key=KEY, base_url="http://fake.test/v1") as client,
            client.realtime.connect(model="gpt-realtime", open_stream=opener) as conn,
        ):
            assert (await conn.recv()).type == "session.created"
            session = fake.last_session
            await session.send_raw(message)
            await session.send({"type": "rate_limits.updated", "rate_limits": []})
            bad = await conn.recv()
            assert isinstance(bad, UnknownObject)
            assert bad.type is None
            assert bad.data == {"raw": message}
            assert (await conn.recv()).type == "rate_limits.updated"
            await conn.session.update(session={"type": "realtime", "instructions": "still here"})
            assert (await conn.recv()).type == "session.updated"
        nursery.cancel_scope.cancel()
    assert "nested too deeply" in caplog.text


async def test_a_deep_but_parseable_event_still_decodes() -> None:
    """500 levels inside a known event's extra field: typed as usual, the session goes on."""
    fake = FakeRealtime()
    deep = '{"a": ' * 500 + "1" + "}" * 500
    async with trio.open_nursery() as nursery:
        opener = await nursery.start(fake.serve_memory)
        async with (
            trio_openai.open_client(api_key=KEY, base_url="http://fake.test/v1") as client,
            client.realtime.connect(model="gpt-realtime", open_stream=opener) as conn,
        ):
            assert (await conn.recv()).type == "session.created"
            await fake.last_session.send_raw(
                '{"type": "rate_limits.updated", "event_id": "e1", "rate_limits": [], '
                f'"extra": {deep}}}'
            )
            event = await conn.recv()
            assert type(event).__name__ == "RealtimeServerEventRateLimitsUpdated"
        nursery.cancel_scope.cancel()


def test_a_recursion_error_while_structuring_gives_an_unknown_object(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """cattrs running out of stack on an event is a misfit (UnknownObject, WARNING), not a crash."""
    from trio_openai._convert import _converter
    from trio_openai.realtime._events import EventDecoder
    from trio_openai.types import realtime as types

    def too_deep(*args: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    decode = EventDecoder(types.RealtimeServerEvent)
    monkeypatch.setattr(decode, "_hook", too_deep)
    monkeypatch.setattr(_converter, "structure", too_deep)
    event = decode('{"type": "rate_limits.updated", "event_id": "e1", "rate_limits": []}')
    assert isinstance(event, UnknownObject)
    assert event.type == "rate_limits.updated"
    assert event.data["event_id"] == "e1"
    assert "too deeply" in caplog.text


# -- the queue bomb: bounded in bytes, in a child process under RLIMIT_AS ------------------


def delta(size: int, n: int) -> str:
    """A ``response.output_audio.delta`` message of exactly *size* characters."""
    head = (
        f'{{"type":"response.output_audio.delta","event_id":"e{n:05d}","response_id":"r",'
        '"item_id":"i","output_index":0,"content_index":0,"delta":"'
    )
    return head + "A" * (size - len(head) - 2) + '"}'


async def test_the_reader_stops_at_the_byte_budget_and_loses_nothing(
    autojump_clock: trio.abc.Clock,
) -> None:
    """Budget 1,000 bytes, 400-byte events: two wait for recv, the rest wait at the server."""
    from trio_openai.realtime import Keepalive, RealtimeLimits

    fake = FakeRealtime()
    limits = RealtimeLimits(max_queued_bytes=1000)
    async with trio.open_nursery() as nursery:
        opener = await nursery.start(fake.serve_memory)
        async with (
            trio_openai.open_client(api_key=KEY, base_url="http://fake.test/v1") as client,
            client.realtime.connect(
                model="gpt-realtime",
                open_stream=opener,
                limits=limits,
                keepalive=Keepalive(interval=5, timeout=5),
            ) as conn,
        ):
            assert (await conn.recv()).type == "session.created"
            session = fake.last_session

            async def send_all() -> None:
                for n in range(10):
                    await session.send_raw(delta(400, n))
                await session.send_raw(delta(5000, 10))  # alone larger than the budget

            nursery.start_soon(send_all)
            await trio.sleep(600)  # asleep: the reader stops at the budget, pongs wait
            assert (conn.queued_events, conn.queued_bytes) == (2, 800)
            assert not conn.closed  # the keepalive knows the hold-up is ours
            ids = [(await conn.recv()).event_id for _ in range(11)]
            assert ids == [f"e{n:05d}" for n in range(11)]
            assert conn.queued_bytes == 0
        nursery.cancel_scope.cancel()


async def test_closing_the_queue_wakes_a_reader_waiting_for_room() -> None:
    """A producer held up by the byte budget gets ClosedResourceError when the queue closes."""
    from trio_openai.realtime._queue import EventQueue

    queue = EventQueue[str](max_events=10, max_bytes=100)
    queue.put_nowait("a", 80)
    with pytest.raises(trio.WouldBlock):
        queue.put_nowait("b", 30)
    async with trio.open_nursery() as nursery:

        async def put() -> None:
            with pytest.raises(trio.ClosedResourceError):
                await queue.put("b", 30)

        nursery.start_soon(put)
        await trio.testing.wait_all_tasks_blocked()
        queue.close()


class _FixedOrder(random.Random):
    """Trio's scheduler RNG, pinned: each batch of runnable tasks runs in one fixed order.

    Trio runs a batch in reverse with probability 1/2 (``random() < 0.5``), or
    shuffles it when deterministic scheduling is on (``shuffle``).
    """

    def __init__(self, *, reverse: bool) -> None:
        super().__init__(0)
        self._reverse = reverse

    def random(self) -> float:
        return 0.0 if self._reverse else 0.99

    def shuffle(self, x: Any) -> None:  # type: ignore[override]
        if self._reverse:
            x.reverse()


def test_the_byte_count_is_exact_whichever_task_runs_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """An event handed straight to a waiting `get` is counted before either task runs on.

    `put` used to add its bytes after the memory channel's checkpoint: when the
    consumer ran first, it subtracted bytes not yet added (``queued_bytes == -5000``,
    half the time: trio runs each batch of tasks in a random order). Both orders
    are forced here, each in its own `trio.run` with the scheduler's RNG pinned.
    """
    from trio_openai.realtime._queue import EventQueue

    async def scenario() -> tuple[str, list[tuple[str, int, int]]]:
        queue = EventQueue[str](max_events=10, max_bytes=1000)
        order: list[str] = []
        seen: list[tuple[str, int, int]] = []
        async with trio.open_nursery() as nursery:

            async def consume() -> None:
                for _ in range(2):
                    event = await queue.get()
                    order.append("consumer")
                    seen.append((event, queue.events, queue.bytes))

            nursery.start_soon(consume)
            for event, size in [("huge", 5000), ("small", 400)]:  # huge: alone over budget
                await trio.testing.wait_all_tasks_blocked()
                await queue.put(event, size)  # the consumer waits: handed straight over
                order.append("producer")
                seen.append(("put", queue.events, queue.bytes))
        assert (queue.events, queue.bytes) == (0, 0)
        return order[0], seen

    firsts = set()
    for reverse in (False, True):
        monkeypatch.setattr(trio._core._run, "_r", _FixedOrder(reverse=reverse))
        first, seen = trio.run(scenario)
        firsts.add(first)
        for event in ("huge", "small"):
            assert (event, 0, 0) in seen
        assert all(n >= 0 and (e == 0) == (n == 0) for _, e, n in seen), seen
    assert firsts == {"consumer", "producer"}  # the pins took effect: both orders ran


async def test_put_waits_for_room_in_count_and_in_bytes() -> None:
    """`put` waits while either bound would be passed, and counts only what is in the queue."""
    from trio_openai.realtime._queue import EventQueue

    queue = EventQueue[str](max_events=2, max_bytes=1000)
    queue.put_nowait("a", 10)
    queue.put_nowait("b", 10)
    with pytest.raises(trio.WouldBlock):
        queue.put_nowait("c", 10)  # the count bound
    async with trio.open_nursery() as nursery:
        nursery.start_soon(queue.put, "c", 980)
        await trio.testing.wait_all_tasks_blocked()
        assert (queue.events, queue.bytes) == (2, 20)  # waiting, not counted
        assert await queue.get() == "a"
        await trio.testing.wait_all_tasks_blocked()
        assert (queue.events, queue.bytes) == (2, 990)
        nursery.start_soon(queue.put, "d", 30)  # now the byte bound
        await trio.testing.wait_all_tasks_blocked()
        assert (queue.events, queue.bytes) == (2, 990)
        assert await queue.get() == "b"
        await trio.testing.wait_all_tasks_blocked()
        assert (queue.events, queue.bytes) == (1, 980)  # c alone: d still waits for bytes
        assert await queue.get() == "c"
        await trio.testing.wait_all_tasks_blocked()
    assert (queue.events, queue.bytes) == (1, 30)
    assert await queue.get() == "d"
    assert (queue.events, queue.bytes) == (0, 0)


def test_the_byte_budget_is_a_positive_setting() -> None:
    """max_queued_bytes: 64 MiB by default, a positive number of bytes."""
    from trio_openai.realtime import DEFAULT_MAX_QUEUED_BYTES, RealtimeLimits

    assert RealtimeLimits().max_queued_bytes == DEFAULT_MAX_QUEUED_BYTES == 64 * 1024 * 1024
    with pytest.raises(ValueError, match="max_queued_bytes"):
        RealtimeLimits(max_queued_bytes=0)


BOMB_EVENTS = 250
BOMB_SIZE = 8_000_000  # characters of audio per event: 2 GB in all
HEADROOM = 512 * 1024 * 1024  # address space the consumer may grow by, past its imports

# The consumer: connects, sleeps until told (stdin) that the server is done or held up,
# then reports its peak RSS and reads every event. Its limits are the defaults.
CONSUMER = """
import json, resource, sys
import trio
import trio_openai
import trio_openai.types.realtime  # imported before the limit: its size is not the bomb's

url, events, headroom = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open("/proc/self/status") as status:
    vm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + headroom, vm + headroom))


def peak_mib():
    # VmHWM: getrusage's ru_maxrss survives exec and would report the parent's peak.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:"))


async def main():
    report = {}
    with trio.fail_after(120):
        async with trio_openai.open_client(api_key="sk-bomb", base_url=url) as client:
            async with client.realtime.connect(model="gpt-realtime") as conn:
                assert (await conn.recv()).type == "session.created"
                await trio.lowlevel.FdStream(0).receive_some()  # asleep until told
                report.update(
                    asleep_peak_rss_mib=peak_mib(),
                    queued_events=conn.queued_events,
                    queued_bytes=conn.queued_bytes,
                )
                received = 0
                while received < events:
                    event = await conn.recv()
                    received += event.type == "response.output_audio.delta"
                report["received"] = received
    report["peak_rss_mib"] = peak_mib()
    print(json.dumps(report))


trio.run(main)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
async def test_a_queue_bomb_is_bounded_in_bytes_not_only_in_events(nursery: trio.Nursery) -> None:
    """250 x 8 MB events to a sleeping consumer: it reads at most 64 MiB ahead, loses none."""
    import trio_websocket

    from trio_openai.realtime import DEFAULT_MAX_QUEUED_BYTES

    fake = FakeRealtime()
    base_url = await nursery.start(fake.serve)
    big = json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": "event_big",
            "response_id": "resp_1",
            "item_id": "item_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "A" * BOMB_SIZE,
        }
    )
    sent = 0

    async def bomb() -> None:
        nonlocal sent
        session = await fake.wait_connected()
        try:
            for _ in range(BOMB_EVENTS):
                await session.send_raw(big)
                sent += 1
        except (trio_websocket.ConnectionClosed, trio.BrokenResourceError):
            pass  # the consumer died

    nursery.start_soon(bomb)
    command = [sys.executable, "-c", CONSUMER, base_url, str(BOMB_EVENTS), str(HEADROOM)]
    out, err = bytearray(), bytearray()
    with trio.fail_after(150):
        process = await trio.lowlevel.open_process(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        async with trio.open_nursery() as readers:
            assert process.stdin
            assert process.stdout
            assert process.stderr
            readers.start_soon(_drain, process.stdout, out)
            readers.start_soon(_drain, process.stderr, err)
            # Wake the consumer once the server has sent everything or is held up by it.
            await fake.wait_connected()
            last, still = -1, 0
            while sent < BOMB_EVENTS and (still < 5 or sent == 0):
                await trio.sleep(0.2)
                still, last = (still + 1 if sent == last else 0), sent
            with contextlib.suppress(trio.BrokenResourceError):  # died: its stderr says why
                await process.stdin.send_all(b"go\n")
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    report = json.loads(out)
    print("queue bomb:", report)  # the figures, for the record (pytest -s)
    assert report["received"] == BOMB_EVENTS
    assert report["queued_bytes"] <= DEFAULT_MAX_QUEUED_BYTES
    assert report["queued_events"] <= DEFAULT_MAX_QUEUED_BYTES // BOMB_SIZE
    assert report["peak_rss_mib"] < 400


async def _drain(stream: trio.abc.ReceiveStream, into: bytearray) -> None:
    while data := await stream.receive_some():
        into += data
