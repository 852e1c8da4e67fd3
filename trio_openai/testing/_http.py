"""Serving on a real socket: a small HTTP/1.1 server (h11 over ``trio.serve_tcp``).

Keep-alive, ``Content-Length`` for whole bodies, chunked transfer encoding for
event streams, and a dropped connection is a socket closed mid-body. The same
handler and `BodyCursor` as the in-memory transport produce every reply.

h11 comes with httpx2 (its HTTP/1.1 parser); only this module imports it, and
only when a server is started.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

import h11
import httpx2
import trio

from ._error_bodies import error_body
from ._records import FakeRequest
from ._script import BodyDropped, Reply, dumps

if TYPE_CHECKING:
    from ._server import ConnectionCount

__all__ = ["serve_http"]

Handler = Callable[[FakeRequest], Awaitable[Reply]]

_log = logging.getLogger("trio_openai.testing")
_RECEIVE_SIZE = 65_536
_BAD_REQUEST = dumps(error_body("Malformed HTTP request.", type="invalid_request_error").value)


class _Closed(Exception):  # noqa: N818 -- control flow, never escapes this module
    """The peer closed the connection or sent garbage: stop serving it."""


async def _next_event(conn: h11.Connection, stream: trio.SocketStream) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        try:
            data = await stream.receive_some(_RECEIVE_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise _Closed from None
        conn.receive_data(data)


async def _read_request(
    conn: h11.Connection, stream: trio.SocketStream, client: tuple[str, int] | None
) -> FakeRequest | None:
    """Read one whole request; ``None`` when the peer closed the connection between requests."""
    event = await _next_event(conn, stream)
    if isinstance(event, h11.ConnectionClosed):
        return None
    if not isinstance(event, h11.Request):
        raise _Closed
    body = bytearray()
    while True:
        part = await _next_event(conn, stream)
        if isinstance(part, h11.Data):
            body += part.data
        elif isinstance(part, h11.EndOfMessage):
            break
        else:
            raise _Closed
    return FakeRequest.build(
        method=event.method.decode("ascii"),
        target=event.target.decode("ascii"),
        headers=httpx2.Headers(list(event.headers)),
        body=bytes(body),
        client=client,
    )


async def _send(stream: trio.SocketStream, data: bytes | None) -> None:
    if data:
        try:
            await stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise _Closed from None


async def _write_reply(conn: h11.Connection, stream: trio.SocketStream, reply: Reply) -> bool:
    """Send *reply*; return whether the connection may serve another request."""
    headers = [(name.encode(), value.encode()) for name, value in reply.headers]
    await _send(stream, conn.send(h11.Response(status_code=reply.status, headers=headers)))
    cursor = reply.cursor()
    while True:
        try:
            chunk = await cursor.next_chunk()
        except BodyDropped:
            return False
        if chunk is None:
            break
        if chunk:
            await _send(stream, conn.send(h11.Data(data=chunk)))
    await _send(stream, conn.send(h11.EndOfMessage()))
    return conn.our_state is h11.DONE and conn.their_state is h11.DONE


async def _reject(conn: h11.Connection, stream: trio.SocketStream) -> None:
    if conn.our_state is not h11.IDLE and conn.our_state is not h11.SEND_RESPONSE:
        return
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_BAD_REQUEST.encode())).encode()),
        (b"connection", b"close"),
    ]
    try:
        await _send(stream, conn.send(h11.Response(status_code=400, headers=headers)))
        await _send(stream, conn.send(h11.Data(data=_BAD_REQUEST.encode())))
        await _send(stream, conn.send(h11.EndOfMessage()))
    except (_Closed, h11.LocalProtocolError):
        pass


async def _serve_connection(
    handler: Handler, count: ConnectionCount, stream: trio.SocketStream
) -> None:
    count.open += 1
    count.total += 1
    try:
        await _converse(handler, stream)
    finally:
        count.open -= 1


async def _converse(handler: Handler, stream: trio.SocketStream) -> None:
    peer = stream.socket.getpeername()
    client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
    conn = h11.Connection(h11.SERVER)
    async with stream:
        try:
            while True:
                try:
                    request = await _read_request(conn, stream, client)
                except h11.RemoteProtocolError:
                    await _reject(conn, stream)
                    return
                if request is None:
                    return
                reply = await handler(request)
                if reply.disconnect or not await _write_reply(conn, stream, reply):
                    return
                conn.start_next_cycle()
        except _Closed:
            return


async def serve_http(
    handler: Handler,
    *,
    host: str,
    port: int,
    connections: ConnectionCount | None = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve HTTP/1.1 on *host*:*port* until cancelled, answering with *handler*.

    Args:
        handler: Turns each request into a reply.
        host: The address to listen on.
        port: The port; 0 picks a free one.
        connections: Counts the connections served (open now, and in all).
        task_status: Receives the base URL (``http://127.0.0.1:PORT/v1``) once listening.
    """
    from ._server import ConnectionCount

    count = connections if connections is not None else ConnectionCount()
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            partial(trio.serve_tcp, partial(_serve_connection, handler, count), port, host=host)
        )
        bound_port = listeners[0].socket.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        base_url = f"http://{shown}:{bound_port}/v1"
        _log.info("fake OpenAI server listening on %s", base_url)
        task_status.started(base_url)
