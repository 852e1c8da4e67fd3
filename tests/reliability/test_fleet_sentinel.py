"""The shared limiter behind Redis Sentinel (``redis+sentinel://``, `_reliability/_sentinel.py`).

A real group started by the tests on 127.0.0.1: a master, its replica and one
sentinel, all behind a password. The store finds the master through the
sentinel (a dead sentinel listed first is skipped), and when the master dies it
fails open until the sentinel has promoted the replica, then goes on there.
Fake sentinels and nodes (`fake_server`) play the hostile ones: answers that
are not addresses, a named node that is a replica, a master demoted under the
connection (``READONLY``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import trio
from _hosts import Hosts, endpoints, routed_client
from _redis_server import fake_server, free_port, require_binary, store_ok

from trio_openai import RateLimit, RedisStore
from trio_openai._reliability._redis import Connection, parse_redis_url
from trio_openai._reliability._sentinel import Sentinels

PASSWORD = "sentinel-Pa55word-" + "y" * 8
SERVICE = "budget"


def _cli() -> str:
    found = shutil.which("redis-cli") or shutil.which("valkey-cli")
    if found is None:
        msg = "redis-cli (or valkey-cli) is needed: it comes with the server's package"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return found


def _ask(port: int, *words: str) -> str:
    """One command to the node or sentinel on *port*, logged in; its answer as text."""
    command = [_cli(), "-p", str(port), "-a", PASSWORD, "--no-auth-warning", *words]
    done = subprocess.run(command, capture_output=True, check=False, timeout=5)
    return done.stdout.decode()


def _wait(what: str, condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


class Group:
    """A master, its replica and a sentinel monitoring them as `SERVICE`."""

    def __init__(self, folder: Path) -> None:
        self.binary = require_binary()
        self.folder = folder
        self.master, self.replica, self.sentinel = free_port(), free_port(), free_port()
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def _start(self, port: int, *extra: str) -> None:
        common = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        auth = ["--requirepass", PASSWORD, "--masterauth", PASSWORD]
        # No 5 s wait before a replica's first sync (the diskless default).
        auth += ["--repl-diskless-sync-delay", "0"]
        self.processes[port] = subprocess.Popen(
            [self.binary, *common, *auth, "--dir", str(self.folder), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self._start(self.master)
        self._start(self.replica, "--replicaof", "127.0.0.1", str(self.master))
        # The sentinel last: its first look at the master then lists the replica
        # (the next one is 10 s later).
        _wait(
            "the replica in sync",
            lambda: "master_link_status:up" in _ask(self.replica, "INFO", "replication"),
        )
        config = self.folder / "sentinel.conf"
        config.write_text(
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master} 1\n"
            f"sentinel auth-pass {SERVICE} {PASSWORD}\n"
            f"sentinel down-after-milliseconds {SERVICE} 500\n"
            f"sentinel failover-timeout {SERVICE} 2000\n"
        )
        self.processes[self.sentinel] = subprocess.Popen(
            [self.binary, str(config), "--sentinel", "--port", str(self.sentinel),
             "--bind", "127.0.0.1", "--requirepass", PASSWORD, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(
            "the sentinel to see the replica",
            lambda: str(self.replica) in _ask(self.sentinel, "SENTINEL", "REPLICAS", SERVICE),
        )

    def master_port(self) -> int:
        answer = _ask(self.sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return int(answer.split()[-1])

    def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.kill()
        process.wait()

    def stop(self) -> None:
        for port in list(self.processes):
            self.kill(port)


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Group]:
    """A fresh group per test (the failover test changes which node is the master)."""
    group = Group(tmp_path)
    try:
        group.start()
        yield group
    finally:
        group.stop()


async def _exists(port: int, key: str) -> bool:
    node = Connection(parse_redis_url(f"redis://:{PASSWORD}@127.0.0.1:{port}"))
    try:
        return await node.call(b"EXISTS", key) == 1
    finally:
        await node.aclose()


async def test_the_store_admits_through_the_master_the_sentinels_name(group: Group) -> None:
    """A dead sentinel listed first is skipped; the budget lives on the master."""
    dead = free_port()
    url = f"redis+sentinel://:{PASSWORD}@127.0.0.1:{dead},127.0.0.1:{group.sentinel}/{SERVICE}"
    name = f"test-{uuid.uuid4().hex[:12]}"
    hosts = Hosts()
    async with RedisStore(url, prefix=name, failure="closed") as store:
        assert PASSWORD not in repr(store)
        assert PASSWORD not in store.url
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
            for _ in range(3):
                await probe.get("/x")
            assert store_ok(client) is True
        key = store.key("a")
    assert len(hosts.seen) == 3
    assert await _exists(group.master, f"{key}:rq")
    with trio.fail_after(5):  # replication is asynchronous: poll the other process
        while not await _exists(group.replica, f"{key}:rq"):  # noqa: ASYNC110
            await trio.sleep(0.05)


async def test_a_failover_moves_the_store_to_the_new_master(group: Group) -> None:
    """The master killed: calls fail open until the sentinel promotes the replica, then
    the store is back, on the new master."""
    url = f"redis+sentinel://:{PASSWORD}@127.0.0.1:{group.sentinel}/{SERVICE}"
    name = f"test-{uuid.uuid4().hex[:12]}"
    hosts = Hosts()
    seen: list[bool | None] = []
    async with RedisStore(url, prefix=name, timeout=0.5, retry_after=0.2) as store:
        limit = RateLimit(requests_per_minute=6000, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
            await probe.get("/x")
            group.kill(group.master)
            with trio.fail_after(30):
                while True:
                    await probe.get("/x")  # never an error: the store fails open
                    seen.append(store_ok(client))
                    if seen[-1] is False:
                        break
                    await trio.sleep(0.05)
                while not seen[-1]:
                    await trio.sleep(0.1)
                    await probe.get("/x")
                    seen.append(store_ok(client))
        key = store.key("a")
    assert group.master_port() == group.replica
    assert await _exists(group.replica, f"{key}:rq")
    assert False in seen
    assert seen[-1] is True
    assert len(hosts.seen) == len(seen) + 1  # every call was sent


async def test_a_failover_by_hand_is_followed_before_the_old_master_is_demoted(
    group: Group,
) -> None:
    """SENTINEL FAILOVER: the old master still takes writes for a while, but the store's
    subscription (+switch-master) moves it to the new one at its next call, no call failing."""
    url = f"redis+sentinel://:{PASSWORD}@127.0.0.1:{group.sentinel}/{SERVICE}"
    name = f"test-{uuid.uuid4().hex[:12]}"
    hosts = Hosts()
    async with RedisStore(url, prefix=name, failure="closed") as store:
        sentinels = store._sentinels
        assert sentinels is not None
        limit = RateLimit(requests_per_minute=6000, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
            await probe.get("/x")
            assert store._connection.address.port == group.master
            await trio.sleep(0.2)  # (the store's subscription is in place)
            assert "OK" in _ask(group.sentinel, "SENTINEL", "FAILOVER", SERVICE)
            with trio.fail_after(10):
                while sentinels.switches == 0:  # noqa: ASYNC110 (another process decides)
                    await trio.sleep(0.02)
            await probe.get("/x")
            assert store._connection.address.port == group.replica
            assert store_ok(client) is True
        key = store.key("a")
    assert sentinels.switches == 1
    assert len(hosts.seen) == 2
    assert await _exists(group.replica, f"{key}:rq")


async def test_a_sentinel_behind_a_password_gets_the_urls_credentials(group: Group) -> None:
    """NOAUTH from the sentinel: asked again with the URL's login; without one, a clear error."""
    url = f"redis+sentinel://127.0.0.1:{group.sentinel}/{SERVICE}"
    sentinels = Sentinels(parse_redis_url(url))
    with pytest.raises(OSError, match="NOAUTH"):
        await sentinels.locate()
    with_login = Sentinels(parse_redis_url(url.replace("://", f"://:{PASSWORD}@")))
    assert await with_login.locate() == ("127.0.0.1", group.master)
    wrong = "not-" + PASSWORD
    with_wrong = Sentinels(parse_redis_url(url.replace("://", f"://:{wrong}@")))
    with pytest.raises(OSError, match="AUTH failed") as caught:
        await with_wrong.locate()
    text = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "Sentinels" in text  # (the frames' locals are in it)
    for frame in text.split("\n  File ")[1:]:
        assert wrong not in frame or "test_fleet_sentinel.py" in frame.split("\n")[0], frame


# ---------------------------------------------------------------- fake sentinels and nodes


def _sentinel_script(answers: list[bytes]) -> Callable[[trio.SocketStream, bytes], Awaitable[None]]:
    """A sentinel that gives the next of *answers* (the last one repeats) to each question."""

    async def script(stream: trio.SocketStream, command: bytes) -> None:
        assert command == f"SENTINEL get-master-addr-by-name {SERVICE}".encode()
        await stream.send_all(answers.pop(0) if len(answers) > 1 else answers[0])

    return script


def _address(port: int) -> bytes:
    return b"*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%d\r\n" % (len(str(port)), port)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"*1\r\n$9\r\n127.0.0.1\r\n", "not an address"),
        (b"*2\r\n$9\r\n127.0.0.1\r\n$5\r\n99999\r\n", "not an address"),
        (b"*2\r\n$1\r\n\xff\r\n$2\r\n80\r\n", "not an address"),
        (b":7\r\n", "not an address"),
        (b"-IDONTKNOW no such command\r\n", "IDONTKNOW"),
        (b"*-1\r\n", "does not monitor it"),
    ],
)
async def test_a_sentinel_that_names_no_master_is_skipped_and_named(
    answer: bytes, message: str
) -> None:
    """Every sentinel's failure is in the error, and a later sentinel that knows is used."""
    async with trio.open_nursery() as nursery:
        bad, _ = await nursery.start(fake_server, _sentinel_script([answer]))
        good, asked = await nursery.start(fake_server, _sentinel_script([_address(6390)]))
        alone = Sentinels(parse_redis_url(f"redis+sentinel://127.0.0.1:{bad}/{SERVICE}"))
        with pytest.raises(OSError, match=message) as caught:
            await alone.locate()
        assert f"127.0.0.1:{bad}" in str(caught.value)
        assert SERVICE in str(caught.value)
        both = f"redis+sentinel://127.0.0.1:{bad},127.0.0.1:{good}/{SERVICE}"
        sentinels = Sentinels(parse_redis_url(both))
        assert await sentinels.locate() == ("127.0.0.1", 6390)
        assert await sentinels.locate() == ("127.0.0.1", 6390)
        assert len(asked) == 2  # the good one is asked first the second time
        nursery.cancel_scope.cancel()


async def test_a_silent_sentinel_gets_its_share_of_the_time() -> None:
    """One that never answers is given up within its share of the deadline; the next answers."""

    async def silent(stream: trio.SocketStream, command: bytes) -> None:
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        mute, _ = await nursery.start(fake_server, silent)
        good, _ = await nursery.start(fake_server, _sentinel_script([_address(6390)]))
        url = f"redis+sentinel://127.0.0.1:{mute},127.0.0.1:{good}/{SERVICE}"
        start = trio.current_time()
        with trio.fail_after(1):
            assert await Sentinels(parse_redis_url(url)).locate() == ("127.0.0.1", 6390)
        assert 0.4 < trio.current_time() - start < 0.9  # half of the second for the silent one
        nursery.cancel_scope.cancel()


def _node(
    roles: list[bytes], log: list[bytes]
) -> Callable[[trio.SocketStream, bytes], Awaitable[None]]:
    """A data node whose ``ROLE`` is the next of *roles*; ``GET`` answers its port's name."""

    async def script(stream: trio.SocketStream, command: bytes) -> None:
        log.append(command)
        if command == b"ROLE" and roles[0] == b"noperm":
            await stream.send_all(b"-NOPERM this user has no permissions to run 'role'\r\n")
        elif command == b"ROLE":
            await stream.send_all(b"*1\r\n$%d\r\n%s\r\n" % (len(roles[0]), roles[0]))
        elif roles[0] == b"demoted":
            await stream.send_all(b"-READONLY You can't write against a read only replica.\r\n")
        else:
            await stream.send_all(b"+" + roles[0] + b"\r\n")

    return script


def _located(sentinel: int) -> Connection:
    """A connection to the master that the (fake) sentinel on port *sentinel* names."""
    address = parse_redis_url(f"redis+sentinel://127.0.0.1:{sentinel}/{SERVICE}")
    return Connection(address, locate=Sentinels(address).locate)


async def test_a_named_node_that_is_not_a_master_is_refused() -> None:
    """A sentinel naming a replica (a failover under way): a clear error, nothing sent to it."""
    async with trio.open_nursery() as nursery:
        log: list[bytes] = []
        node, _ = await nursery.start(fake_server, _node([b"slave"], log))
        sentinel, _ = await nursery.start(fake_server, _sentinel_script([_address(node)]))
        connection = _located(sentinel)
        with pytest.raises(OSError, match="says its role is 'slave'"):
            await connection.call(b"GET", b"k")
        assert log == [b"ROLE"]
        await connection.aclose()
        nursery.cancel_scope.cancel()


async def test_a_user_not_allowed_role_is_taken_at_the_sentinels_word() -> None:
    """ROLE refused by the ACL (NOPERM): the named node is used."""
    async with trio.open_nursery() as nursery:
        log: list[bytes] = []
        node, _ = await nursery.start(fake_server, _node([b"noperm"], log))
        sentinel, _ = await nursery.start(fake_server, _sentinel_script([_address(node)]))
        connection = _located(sentinel)
        assert await connection.call(b"GET", b"k") == b"noperm"
        assert log == [b"ROLE", b"GET k"]
        await connection.aclose()
        nursery.cancel_scope.cancel()


async def test_a_demoted_master_sends_the_command_to_the_next_one() -> None:
    """READONLY: the connection is dropped, the sentinels asked again, the command resent."""
    async with trio.open_nursery() as nursery:
        old_roles = [b"master"]
        old_log: list[bytes] = []
        new_log: list[bytes] = []
        old, _ = await nursery.start(fake_server, _node(old_roles, old_log))
        new, _ = await nursery.start(fake_server, _node([b"master"], new_log))
        answers = [_address(old), _address(new)]
        sentinel, asked = await nursery.start(fake_server, _sentinel_script(answers))
        connection = _located(sentinel)
        assert await connection.call(b"GET", b"k") == b"master"
        old_roles[0] = b"demoted"
        assert await connection.call(b"GET", b"k") == b"master"
        assert old_log == [b"ROLE", b"GET k", b"GET k"]
        assert new_log == [b"ROLE", b"GET k"]
        assert len(asked) == 2
        assert (connection.address.host, connection.address.port) == ("127.0.0.1", new)
        await connection.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("url", "sentinels", "tls", "db"),
    [
        ("redis+sentinel://h/svc", (("h", 26379),), False, 0),
        ("rediss+sentinel://a:1,b,[::1]:3/svc/2", (("a", 1), ("b", 26379), ("::1", 3)), True, 2),
        ("valkey+sentinel://[fe80::1]/svc?db=4", (("fe80::1", 26379),), False, 4),
        ("valkeys+sentinel://h:7/svc", (("h", 7),), True, 0),
    ],
)
def test_sentinel_urls_parse(
    url: str, sentinels: tuple[tuple[str, int], ...], tls: bool, db: int
) -> None:
    """Sentinels in order (port 26379 by default), the service, TLS and the database."""
    address = parse_redis_url(url)
    assert address.sentinels == sentinels
    assert address.service == "svc"
    assert (address.tls, address.db) == (tls, db)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+sentinel://h", "names the master's service"),
        ("redis+sentinel://h/", "names the master's service"),
        ("redis+sentinel://h:x/svc", "port of sentinel"),
        ("redis+sentinel://h:0/svc", "port of sentinel"),
        ("redis+sentinel://a,,b/svc", "sentinel with no host"),
        ("redis+sentinel://[::1]x/svc", "is not \\[address\\]:port"),
        ("redis+sentinel://[::1/svc", "malformed \\(Invalid IPv6 URL\\)"),
        ("redis+sentinel://h/svc/1?db=2", "given twice"),
        ("redis+sentinel://h/svc/x", "database must be a number"),
        ("sentinel://h/svc", "scheme must be"),
    ],
)
def test_bad_sentinel_urls_are_refused_without_the_password(url: str, message: str) -> None:
    """A malformed sentinel URL is a ValueError that says what is wrong, password hidden."""
    with_password = url.replace("://", f"://u:{PASSWORD}@", 1)
    with pytest.raises(ValueError, match=message) as caught:
        RedisStore(with_password)
    assert PASSWORD not in str(caught.value)


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def _push(*items: bytes) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(_bulk(item) for item in items)


async def test_the_watcher_acts_on_its_service_only_and_moves_on_when_a_sentinel_goes() -> None:
    """Other services' switches and garbage are ignored; a closed subscription goes on at
    the next sentinel; a switch of the service makes the connection relocate."""

    async def first(stream: trio.SocketStream, command: bytes) -> None:
        assert command == b"SUBSCRIBE +switch-master"
        await stream.send_all(
            _push(b"subscribe", b"+switch-master")
            + _push(b"message", b"+switch-master", b"other 127.0.0.1 1 127.0.0.1 2")
            + b":5\r\n"
            + _push(b"message", b"+switch-master")
        )
        await stream.aclose()

    async def second(stream: trio.SocketStream, command: bytes) -> None:
        await stream.send_all(
            _push(b"subscribe", b"+switch-master")
            + _push(b"message", b"+switch-master", SERVICE.encode() + b" 127.0.0.1 1 127.0.0.1 2")
        )

    async with trio.open_nursery() as nursery:
        one, _ = await nursery.start(fake_server, first)
        two, connections = await nursery.start(fake_server, second)
        address = parse_redis_url(f"redis+sentinel://127.0.0.1:{one},127.0.0.1:{two}/{SERVICE}")
        sentinels = Sentinels(address)
        connection = Connection(address, locate=sentinels.locate)
        nursery.start_soon(partial(sentinels.watch, connection, answer_within=1.0, retry_after=0.1))
        with trio.fail_after(2):
            while sentinels.switches == 0:  # noqa: ASYNC110 (the fake server's task decides)
                await trio.sleep(0.01)
        assert sentinels.switches == 1
        assert len(connections) == 1
        assert connection._relocate
        nursery.cancel_scope.cancel()
