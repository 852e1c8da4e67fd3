"""Serving in memory: an ``httpx2`` transport that hands requests to a `FakeOpenAI`.

No socket, but the response body is still a stream read chunk by chunk, with the
script's pauses, so a client sees streaming, delays, drops and truncation as it
would on a network. The transport also honours the request's *read* timeout
(``httpx2.ReadTimeout``), the only timeout a network-free exchange can hit.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, final

import httpx2
import trio

from ._records import FakeRequest
from ._script import BodyCursor, BodyDropped

if TYPE_CHECKING:
    from ._server import FakeOpenAI

__all__ = ["FakeTransport"]

# The messages httpcore uses for the same events on a real connection.
_DISCONNECTED = "Server disconnected without sending a response."
_INCOMPLETE = "peer closed connection without sending complete message body"


def _read_timeout(request: httpx2.Request) -> float:
    timeouts = request.extensions.get("timeout")
    read = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(read) if isinstance(read, int | float) else math.inf


@final
class _ReplyStream(httpx2.AsyncByteStream):
    """The body of one reply, read through a `BodyCursor`."""

    def __init__(self, cursor: BodyCursor, request: httpx2.Request) -> None:
        self._cursor = cursor
        self._request = request
        self._timeout = _read_timeout(request)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        with trio.move_on_after(self._timeout) as scope:
            try:
                chunk = await self._cursor.next_chunk()
            except BodyDropped:
                raise httpx2.RemoteProtocolError(_INCOMPLETE, request=self._request) from None
        if scope.cancelled_caught:
            raise httpx2.ReadTimeout("timed out while reading the body", request=self._request)
        if chunk is None:
            raise StopAsyncIteration
        return chunk


@final
class FakeTransport(httpx2.AsyncBaseTransport):
    """An ``httpx2`` transport answering every request from a `FakeOpenAI`.

    Use it as ``httpx2.AsyncClient(transport=fake.transport())``; the host of the
    URL does not matter (`FakeOpenAI.base_url` is the conventional one).
    """

    def __init__(self, fake: FakeOpenAI) -> None:
        """Wrap *fake*.

        Args:
            fake: The server that answers.
        """
        self._fake = fake

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send *request* to the fake and return its reply, body not yet read.

        Args:
            request: The request.

        Raises:
            httpx2.ReadTimeout: The reply's ``delay`` outlasted the read timeout.
            httpx2.RemoteProtocolError: The script closes the connection instead of answering.
        """
        body = await request.aread()
        target = request.url.raw_path.decode("ascii")
        record = FakeRequest.build(
            method=request.method, target=target, headers=request.headers.copy(), body=body
        )
        with trio.move_on_after(_read_timeout(request)) as scope:
            reply = await self._fake._handle(record)  # the package-private handler
        if scope.cancelled_caught:
            raise httpx2.ReadTimeout("timed out waiting for the response", request=request)
        if reply.disconnect:
            raise httpx2.RemoteProtocolError(_DISCONNECTED, request=request)
        return httpx2.Response(
            status_code=reply.status,
            headers=list(reply.headers),
            stream=_ReplyStream(reply.cursor(), request),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )
