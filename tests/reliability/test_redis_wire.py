"""The store's own Redis wire (``_reliability/_redis.py``): URLs, secrets, hostile servers.

The real server (Redis or Valkey, started by the tests) checks the protocol, the
login and the database; a fake server on 127.0.0.1 (a trio listener answering
what each test scripts) plays the hostile one: oversized, malformed, truncated,
silent. Every failure must be an ``OSError`` that names the problem, leave no
half-read connection behind, and never show the password.
"""

from __future__ import annotations

import ssl
import traceback
import uuid
from pathlib import Path

import pytest
import trio
from _hostile import self_signed
from _redis_server import RedisServer, fake_server, own_redis_server, redis_server

from trio_openai import RateLimit, RedisStore
from trio_openai._reliability._redis import (
    MAX_BULK,
    MAX_DEPTH,
    Connection,
    RedisProtocolError,
    RedisReplyError,
    bulk_numbers,
    bulk_strings,
    encode,
    parse,
    parse_redis_url,
)
from trio_openai._reliability._store import ADMIT_SHA, Learnt

__all__ = ["own_redis_server", "redis_server"]  # the fixtures this module uses

PASSWORD = "s3cret-Pa55word-" + "x" * 8


def formatted(exc: BaseException) -> str:
    """What Sentry, loguru or rich would print: the chain, with every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1", {"host": "127.0.0.1", "port": 6379, "db": 0, "tls": False}),
        ("redis://h:6380/3", {"host": "h", "port": 6380, "db": 3}),
        ("rediss://h", {"host": "h", "tls": True}),
        ("valkey://h/1", {"host": "h", "db": 1, "tls": False}),
        ("valkeys://h:7000", {"host": "h", "port": 7000, "tls": True}),
        ("redis://h?db=2", {"db": 2}),
        ("redis://alice@h", {"username": "alice", "password": None}),
        ("unix:///run/redis.sock?db=4", {"path": "/run/redis.sock", "db": 4}),
        ("redis://[::1]:6390", {"host": "::1", "port": 6390}),
    ],
)
def test_urls_parse(url: str, expected: dict[str, object]) -> None:
    """Every supported form gives the address it says."""
    address = parse_redis_url(url)
    for name, value in expected.items():
        assert getattr(address, name) == value


def test_a_password_in_the_url_is_a_secret_everywhere() -> None:
    """Percent-decoded for the login, and never in a repr, a url attribute or an error."""
    address = parse_redis_url("redis://bob:p%40ss%3Aword@h:6379/0")
    assert address.username == "bob"
    assert address.password is not None
    assert address.password.get_secret_value() == "p@ss:word"
    assert "p%40ss" not in repr(address)
    assert "p@ss" not in repr(address)
    assert address.display == "redis://bob:<redacted>@h:6379/0"
    store = RedisStore(f"redis://:{PASSWORD}@127.0.0.1:1/0")
    assert PASSWORD not in repr(store)
    assert PASSWORD not in store.url
    assert store.url == "redis://:<redacted>@127.0.0.1:1/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h", "scheme must be"),
        ("redis://h?timeout=3", "unsupported option"),
        ("redis://h/x", "database must be a number"),
        ("redis://h/1?db=2", "given twice"),
        ("redis://h:99999", "port must be a number"),
        ("redis://:6379", "names no host"),
        ("unix://", "needs the socket's path"),
    ],
)
def test_bad_urls_are_refused_without_the_password(url: str, message: str) -> None:
    """A malformed URL is a ValueError that says what is wrong, and hides the password."""
    with_password = url.replace("://", f"://u:{PASSWORD}@", 1)
    with pytest.raises(ValueError, match=message) as caught:
        RedisStore(with_password)
    assert PASSWORD not in str(caught.value)
    assert "<redacted>" in str(caught.value)


# ---------------------------------------------------------------- the protocol


def test_encode_and_parse_round_trip_the_reply_types() -> None:
    """Bulk, status, integer, null, nested arrays; floats are sent exactly."""
    assert encode(b"SET", "k", 5, 0.005) == (
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n$5\r\n0.005\r\n"
    )
    data = bytearray(b"*5\r\n$3\r\nabc\r\n+OK\r\n:-42\r\n$-1\r\n*2\r\n:1\r\n$0\r\n\r\n")
    reply, end = parse(data)
    assert reply == [b"abc", b"OK", -42, None, [1, b""]]
    assert end == len(data)


def test_the_fast_number_encoding_is_the_general_one() -> None:
    """`bulk_numbers` (an admission's arguments) writes what `bulk_strings` writes."""
    numbers = [0, -1, 1_733_250_000_000_000, 0.005, 1e9, -0.0, 2.5e-7, 123456789.125]
    assert bulk_numbers(numbers) == bulk_strings(numbers)
    assert bulk_numbers([0.005]) == b"$5\r\n0.005\r\n"


def test_an_error_inside_an_array_is_the_reply_and_the_whole_reply_is_read() -> None:
    """The connection stays in step: the array is consumed to its end."""
    data = bytearray(b"*3\r\n:1\r\n-ERR bad\r\n:3\r\n+NEXT\r\n")
    reply, end = parse(data)
    assert isinstance(reply, RedisReplyError)
    assert reply.code == "ERR"
    assert data[end:] == b"+NEXT\r\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"$%d\r\n" % (MAX_BULK + 1), "bulk string of"),
        (b"*999999999\r\n", "array of"),
        (b"*1\r\n" * (MAX_DEPTH + 1) + b":1\r\n", "nested deeper"),
        (b"+" + b"x" * 70_000, "line longer"),
        (b"?what\r\n", "unknown type"),
        (b"$abc\r\n", "not a number"),
        (b"$3\r\nabcde\r\n", "not followed by CRLF"),
    ],
)
def test_hostile_replies_are_protocol_errors(data: bytes, message: str) -> None:
    """Every size from the network is bounded, and garbage is named."""
    with pytest.raises(RedisProtocolError, match=message):
        parse(bytearray(data))


# ---------------------------------------------------------------- a fake server


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"$9999999999\r\n", "bulk string of"),
        (b"*1\r\n" * 20, "nested deeper"),
        (b"!oops\r\n", "unknown type"),
        (b"$10\r\nabc", "closed the connection"),
    ],
)
async def test_a_hostile_server_fails_the_call_and_the_next_one_reconnects(
    answer: bytes, message: str
) -> None:
    """A bad reply is an OSError naming it; the connection is dropped and made again."""

    async def script(stream: trio.SocketStream, command: bytes) -> None:
        if command == b"PING":
            await stream.send_all(b"+PONG\r\n")
        else:
            await stream.send_all(answer)
            if message == "closed the connection":
                await stream.aclose()

    async with trio.open_nursery() as nursery:
        port, connections = await nursery.start(fake_server, script)
        connection = Connection(parse_redis_url(f"redis://127.0.0.1:{port}"))
        assert await connection.call(b"PING") == b"PONG"
        with pytest.raises(OSError, match=message):
            await connection.call(b"GET", b"k")
        assert await connection.call(b"PING") == b"PONG"
        assert len(connections) == 2
        await connection.aclose()
        nursery.cancel_scope.cancel()


async def test_a_cancelled_call_drops_its_connection() -> None:
    """Cancelled while waiting for a reply, the next call does not read the stale one."""

    async def script(stream: trio.SocketStream, command: bytes) -> None:
        if command == b"SLOW":
            await trio.sleep(0.2)
            await stream.send_all(b"+STALE\r\n")
        else:
            await stream.send_all(b"+PONG\r\n")

    async with trio.open_nursery() as nursery:
        port, connections = await nursery.start(fake_server, script)
        connection = Connection(parse_redis_url(f"redis://127.0.0.1:{port}"))
        with trio.move_on_after(0.05) as scope:
            await connection.call(b"SLOW")
        assert scope.cancelled_caught
        await trio.sleep(0.3)  # the stale reply was sent, to a closed connection
        assert await connection.call(b"PING") == b"PONG"
        assert len(connections) == 2
        await connection.aclose()
        nursery.cancel_scope.cancel()


async def test_an_answer_that_is_not_the_scripts_is_a_store_failure() -> None:
    """A reply of the wrong shape is an OSError (the guard then applies the failure mode)."""

    async def script(stream: trio.SocketStream, command: bytes) -> None:
        wrong = b"*2\r\n:1\r\n:2\r\n"
        await stream.send_all(wrong if command.startswith(b"EVALSHA") else b"+OK\r\n")

    async with trio.open_nursery() as nursery:
        port, _ = await nursery.start(fake_server, script)
        async with RedisStore(f"redis://127.0.0.1:{port}", failure="closed") as store:
            with pytest.raises(OSError, match="not the admission script's"):
                await store.admit(
                    "k", requests_per_minute=60, tokens_per_minute=0,
                    calls=[(0, None)], learnt=Learnt(), hints=(0, 0),
                )  # fmt: skip
        nursery.cancel_scope.cancel()


# ---------------------------------------------------------------- secrets on the wire


async def test_auth_failures_and_timeouts_never_show_the_password() -> None:
    """Neither the message nor a traceback with locals holds the password."""

    async def refuse(stream: trio.SocketStream, command: bytes) -> None:
        assert command.startswith(b"AUTH")
        await stream.send_all(b"-WRONGPASS invalid username-password pair\r\n")

    async def silent(stream: trio.SocketStream, command: bytes) -> None:
        await trio.sleep_forever()

    for script, expected in [(refuse, "AUTH failed: WRONGPASS"), (silent, "within 0.1 s")]:
        async with trio.open_nursery() as nursery:
            port, _ = await nursery.start(fake_server, script)
            # (No local of this frame holds the password: the traceback starts here.)
            async with RedisStore(
                f"redis://admin:{PASSWORD}@127.0.0.1:{port}/0", failure="closed", timeout=0.1
            ) as store:
                with pytest.raises(OSError, match=expected) as caught:
                    await store.admit(
                        "k", requests_per_minute=60, tokens_per_minute=0,
                        calls=[(0, None)], learnt=Learnt(), hints=(0, 0),
                    )  # fmt: skip
                text = formatted(caught.value)
                assert PASSWORD not in text
                assert PASSWORD.encode().hex() not in text
                assert PASSWORD not in repr(store)
            nursery.cancel_scope.cancel()


async def test_a_real_server_with_a_password_and_an_acl_user(own_redis_server: RedisServer) -> None:
    """``AUTH password`` and ``AUTH user password`` log in; a wrong one is refused."""
    server = own_redis_server
    server.command("CONFIG", "SET", "requirepass", PASSWORD)
    default = Connection(parse_redis_url(f"redis://:{PASSWORD}@127.0.0.1:{server.port}"))
    assert await default.call(b"ACL", b"SETUSER", b"alice", b"on", b">pw-alice", b"~*", b"+@all")
    await default.aclose()
    alice = Connection(parse_redis_url(f"redis://alice:pw-alice@127.0.0.1:{server.port}"))
    assert await alice.call(b"ACL", b"WHOAMI") == b"alice"
    await alice.aclose()
    wrong = Connection(parse_redis_url(f"redis://:not-{PASSWORD}@127.0.0.1:{server.port}"))
    with pytest.raises(OSError, match="AUTH failed") as caught:
        await wrong.call(b"PING")
    assert PASSWORD not in formatted(caught.value)
    nobody = Connection(parse_redis_url(f"redis://127.0.0.1:{server.port}"))
    with pytest.raises(RedisReplyError, match="NOAUTH"):
        await nobody.call(b"GET", b"k")
    await nobody.aclose()


async def test_the_database_of_the_url_is_selected(redis_server: RedisServer) -> None:
    """``/2`` and ``?db=2`` reach database 2, not database 0."""
    key = f"test-{uuid.uuid4().hex}"
    two = Connection(parse_redis_url(f"redis://127.0.0.1:{redis_server.port}/2"))
    zero = Connection(parse_redis_url(f"redis://127.0.0.1:{redis_server.port}"))
    also_two = Connection(parse_redis_url(f"redis://127.0.0.1:{redis_server.port}?db=2"))
    try:
        assert await two.call(b"SET", key, b"v", b"PX", 5000) == b"OK"
        assert await zero.call(b"GET", key) is None
        assert await also_two.call(b"GET", key) == b"v"
    finally:
        for connection in (two, zero, also_two):
            await connection.aclose()


async def test_a_flushed_script_is_loaded_again(redis_server: RedisServer) -> None:
    """A server that lost its scripts (restart, SCRIPT FLUSH) answers NOSCRIPT once, and is
    sent the script itself."""
    limit_prefix = f"test-{uuid.uuid4().hex[:12]}"
    async with RedisStore(redis_server.url, prefix=limit_prefix) as store:
        RateLimit(requests_per_minute=60, store=store)  # (the policy is not needed here)
        first = await store.admit(
            store.key("e"), requests_per_minute=60, tokens_per_minute=0,
            calls=[(0, None)], learnt=Learnt(), hints=(0, 0),
        )  # fmt: skip
        redis_server.command("SCRIPT", "FLUSH")
        second = await store.admit(
            store.key("e"), requests_per_minute=60, tokens_per_minute=0,
            calls=[(0, None)], learnt=Learnt(), hints=(0, 0),
        )  # fmt: skip
        # The script itself was sent (EVAL), which cached it again for EVALSHA.
        assert b":1" in redis_server.command("SCRIPT", "EXISTS", ADMIT_SHA)
    assert first.grants[0][0]
    assert second.grants[0][0]
    assert store.round_trips == 2


async def test_a_unix_socket(tmp_path: Path) -> None:
    """``unix:///path`` talks RESP over a Unix socket."""
    path = tmp_path / "redis.sock"
    sock = trio.socket.socket(trio.socket.AF_UNIX)
    await sock.bind(str(path))
    sock.listen()
    listener = trio.SocketListener(sock)

    async def handler(stream: trio.abc.Stream) -> None:
        async with stream:
            data = await stream.receive_some(1024)
            assert data == encode(b"PING")
            await stream.send_all(b"+PONG\r\n")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, [listener])
        connection = Connection(parse_redis_url(f"unix://{path}"))
        assert await connection.call(b"PING") == b"PONG"
        await connection.aclose()
        nursery.cancel_scope.cancel()


async def test_tls_is_verified_and_a_given_context_is_used(tmp_path: Path) -> None:
    """``rediss://`` refuses an untrusted certificate before sending anything, and works
    with ``ssl_context=`` that trusts it."""
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    received: list[bytes] = []

    async def handler(stream: trio.SocketStream) -> None:
        tls = trio.SSLStream(stream, server_context, server_side=True)
        try:
            data = await tls.receive_some(1024)
            received.append(data)
            await tls.send_all(b"+OK\r\n" if data.startswith(b"*2\r\n$4\r\nAUTH") else b"+PONG\r\n")
            received.append(await tls.receive_some(1024))
            await tls.send_all(b"+PONG\r\n")
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await trio.aclose_forcefully(tls)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, listeners)
        # (No local of this frame holds the password: the traceback starts here.)
        address = parse_redis_url(f"rediss://:{PASSWORD}@127.0.0.1:{port}")
        untrusting = Connection(address)
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED") as caught:
            await untrusting.call(b"PING")
        assert PASSWORD not in formatted(caught.value)
        assert not any(PASSWORD.encode() in data for data in received)
        trusting = Connection(address, ssl.create_default_context(cafile=str(cert)))
        assert await trusting.call(b"PING") == b"PONG"
        assert received[-1] == encode(b"PING")
        await trusting.aclose()
        nursery.cancel_scope.cancel()
