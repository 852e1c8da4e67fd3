"""A real Redis (or Valkey) server for the fleet tests, started on 127.0.0.1 by the tests.

`RedisServer` runs ``redis-server`` (or ``valkey-server``) as a child process on
a free port, with no persistence (``--save ""``, no AOF): the tests can kill it
and start it again on the same port, empty, as a crashed store comes back.
The ``redis_server`` fixture starts one per test session.

Outside CI (``CI`` unset) with neither binary on ``PATH``, the tests that need a
server are skipped with a message saying what to install; under ``CI=true`` they
fail instead, so a CI run without the server cannot pass by skipping.

`fake_server` plays a hostile or scripted one: a trio listener on 127.0.0.1
that answers each command as a test's script says.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
import trio

from trio_openai import Client
from trio_openai._reliability._redis import parse

BINARIES = ("redis-server", "valkey-server")


def server_binary() -> str | None:
    """The first of ``redis-server`` and ``valkey-server`` found on ``PATH``."""
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One server process on 127.0.0.1, which can be killed and started again on its port."""

    def __init__(self, binary: str, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL for `RedisStore`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (empty, no persistence) and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"{self.binary} exited with {self.process.returncode}"
                raise RuntimeError(msg)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        msg = f"{self.binary} did not answer on port {self.port}"
        raise RuntimeError(msg)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL: no goodbye to its clients)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def command(self, *words: str) -> bytes:
        """Send one inline command and return the first line of the answer (for checks)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(" ".join(words).encode() + b"\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                data += sock.recv(65536)
            return data


def require_binary() -> str:
    """The server binary; a skip (outside CI) or a failure (under CI) when there is none."""
    binary = server_binary()
    if binary is None:
        msg = (
            "neither redis-server nor valkey-server is on PATH "
            "(apt-get install redis-server; .ci/run installs it)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(msg + ": under CI the fleet tests must run")
        pytest.skip(msg)
    return binary


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One server for the test session, on a free port."""
    server = RedisServer(require_binary())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A server of the test's own, which the test may kill and restart."""
    server = RedisServer(require_binary())
    server.start()
    try:
        yield server
    finally:
        server.kill()


def store_ok(client: Client) -> bool | None:
    """What ``health()`` says of the shared limiter's store, for a one-endpoint client."""
    (status,) = client.health()
    assert status.limiter is not None
    return status.limiter.store_ok


Script = Callable[[trio.SocketStream, bytes], Awaitable[None]]


async def fake_server(
    script: Script, *, task_status: trio.TaskStatus[tuple[int, list[int]]]
) -> None:
    """A RESP server on 127.0.0.1 that runs *script* for each command it reads.

    Reports its port and a list that holds one entry per connection accepted.
    """
    connections: list[int] = []

    async def handler(stream: trio.SocketStream) -> None:
        connections.append(1)
        buffer = bytearray()
        async with stream:
            while True:
                try:
                    data = await stream.receive_some(65536)
                except (trio.ClosedResourceError, trio.BrokenResourceError):
                    return  # (the script closed it)
                if not data:
                    return
                buffer += data
                while buffer:
                    try:
                        command, end = parse(buffer)
                    except Exception:  # (incomplete: read more)
                        break
                    del buffer[:end]
                    assert isinstance(command, list)
                    await script(stream, b" ".join(c for c in command if isinstance(c, bytes)))

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, listeners)
        task_status.started((port, connections))
