"""Test helpers: a raw HTTP/1.1 server on 127.0.0.1 that answers however a test scripts it.

Hostile-server tests need answers no well-behaved framework sends (a body that never
ends, a gzip bomb, a redirect to another origin, a socket closed mid-header), so the
server here reads one request head and hands the raw stream to the test's function.
"""

from __future__ import annotations

import contextlib
import shutil
import ssl
import subprocess
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import attrs
import pytest
import trio

RawHandler = Callable[["RawRequest", trio.SocketStream], Awaitable[None]]


def content_length(head: bytes) -> int:
    """The Content-Length of a raw request head (request line and headers), 0 without one."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@attrs.frozen
class RawRequest:
    """One request as the server received it: the request line, headers and body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@attrs.define
class RawServer:
    """A running server: its base URL and every request it received."""

    port: int
    # Out of the repr: tests format tracebacks with locals and look for the key there.
    requests: list[RawRequest] = attrs.field(factory=list, repr=False)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"


async def _read_request(stream: trio.SocketStream) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = await stream.receive_some(65536)
        if not chunk:
            break
        rest += chunk
    return RawRequest(method, target, headers, rest[:length])


@asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[RawServer]:
    """Serve *handler* on 127.0.0.1 port 0 until the block ends (one request per connection)."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    server = RawServer(listeners[0].socket.getsockname()[1])

    async def serve_one(stream: trio.SocketStream) -> None:
        async with stream:
            request = await _read_request(stream)
            if request is None:
                return
            server.requests.append(request)
            # The client going away first is part of the scenarios.
            with contextlib.suppress(trio.BrokenResourceError):
                await handler(request, stream)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, serve_one, listeners)
        yield server
        nursery.cancel_scope.cancel()


def response_bytes(status: int, body: bytes = b"", *, reason: str = "X", **headers: str) -> bytes:
    """An HTTP/1.1 response with a Content-Length (unless *headers* sets the framing)."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    names = {name.replace("_", "-").lower() for name in headers}
    if "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"content-length: {len(body)}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def formatted_with_locals(error: BaseException) -> str:
    """*error*'s traceback as Sentry, rich or loguru print it: every frame's locals shown."""
    exc = traceback.TracebackException.from_exception(error, capture_locals=True)
    return "".join(exc.format())


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 that no CA vouches for (made with openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def serve_untrusted_tls(
    cert: Path, key: Path, *, task_status: trio.TaskStatus[tuple[int, list[bytes]]]
) -> None:
    """A TLS server on 127.0.0.1 with *cert*: reports its port and what it decrypted.

    An impostor: a client that trusts only real CAs must refuse it before sending
    anything, so the list it fills must stay free of the key.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []

    async def handler(stream: trio.SocketStream) -> None:
        tls = trio.SSLStream(stream, context, server_side=True)
        with contextlib.suppress(trio.BrokenResourceError):
            received.append(await tls.receive_some(65536))

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, handler, listeners)
        task_status.started((listeners[0].socket.getsockname()[1], received))
