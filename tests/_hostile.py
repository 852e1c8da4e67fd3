"""Test helpers: a raw HTTP/1.1 server on 127.0.0.1 that answers however a test scripts it.

Hostile-server tests need answers no well-behaved framework sends (a body that never
ends, a gzip bomb, a redirect to another origin, a socket closed mid-header), so the
server here reads one request head and hands the raw stream to the test's function.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import attrs
import trio

RawHandler = Callable[["RawRequest", trio.SocketStream], Awaitable[None]]


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
