"""`FakeRealtime`: a fake Realtime API WebSocket server for tests, scripted per event type.

::

    fake = FakeRealtime()
    base_url = await nursery.start(fake.serve)              # ws on 127.0.0.1, port 0
    async with trio_openai.open_client(api_key="sk-fake", base_url=base_url) as client:
        async with client.realtime.connect(model="gpt-realtime") as conn:
            ...

    open_stream = await nursery.start(fake.serve_memory)    # or in memory, no socket:
    async with client.realtime.connect(model="m", open_stream=open_stream) as conn: ...

Each connection is a `FakeRealtimeSession` (``fake.sessions``): it records the
handshake (path, query, headers), every client event received and the close
code the client sent, and answers as the API does (`FakeSessionState`, in
``_realtime_replies.py``). Tests change that per client event type, first in
first out, with `FakeRealtime.add_reply` (scripted server events) and
`FakeRealtime.add_fault` (close with a code, drop the TCP connection, stall,
send an oversized message, delay); ``on="connect"`` acts when a connection opens.
A session can also be driven directly: ``await session.send({...})``,
``session.stall()``, ``await session.close(4000)``, ``await session.drop()``.

Why not ``trio_websocket.serve_websocket``: the server wraps each stream itself
(``wrap_server_stream``, the same machinery) so that it can stop reading at will
(`FakeRealtimeSession.stall`): trio-websocket answers pings from its reader task,
so a stalled reader is the only way to withhold pongs, as a hung server does.
Under ``autojump_clock`` that makes keepalive tests exact: with nothing to read,
the clock jumps straight to the client's ping timeout.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, final
from urllib.parse import parse_qsl, urlsplit

import attrs
import trio

from ._realtime_replies import FakeSessionState, error_event

if TYPE_CHECKING:
    from trio_websocket import WebSocketConnection

    from .._client import Client
    from .._sync._client import SyncClient

__all__ = ["FakeRealtime", "FakeRealtimeSession"]

IN_MEMORY_BASE_URL = "http://fake-realtime.test/v1"


class _Valve(trio.abc.Stream):
    """A stream whose reading can be paused: the fake's way to stop answering pings."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self._open = trio.Event()
        self._open.set()

    def pause(self) -> None:
        if self._open.is_set():
            self._open = trio.Event()

    def resume(self) -> None:
        self._open.set()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        await self._open.wait()
        data = await self.stream.receive_some(max_bytes)
        await self._open.wait()  # paused meanwhile: hold the bytes back
        return data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self.stream.aclose()


@attrs.frozen(kw_only=True)
class _Rule:
    on: str
    events: tuple[Mapping[str, Any], ...] = ()
    replace: bool = True
    close: int | None = None
    reason: str | None = None
    drop: bool = False
    stall: bool = False
    oversized: int | None = None
    delay: float | None = None
    reject: int | None = None


@attrs.define(eq=False)
class _Entry:
    rule: _Rule
    remaining: int | None


@final
@attrs.define(eq=False)
class FakeRealtimeSession:
    """One connection to the fake server, as the server saw it.

    Attributes:
        path: The request path (``/v1/realtime``).
        query: The query parameters (``model``, ``call_id``, ...).
        headers: The handshake's headers, names in lower case.
        received: Every client event received (parsed JSON), oldest first.
        close_code: The close code the client sent (1006 if it vanished), once closed.
        close_reason: The reason the client gave, if any.
        state: The session's configuration, items and audio buffer.
        ended: Set once the connection is over.
    """

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    state: FakeSessionState
    received: list[dict[str, Any]] = attrs.field(factory=list)
    close_code: int | None = None
    close_reason: str | None = None
    ended: trio.Event = attrs.field(factory=trio.Event)
    _ws: WebSocketConnection | None = None
    _valve: _Valve | None = None
    _event_ids: int = 0

    def received_types(self) -> list[str]:
        """The ``type`` of every client event received, in order."""
        return [str(e.get("type")) for e in self.received]

    async def send(self, event: Mapping[str, Any]) -> None:
        """Send a server event (an ``event_id`` is added when missing).

        Args:
            event: The event, e.g. ``{"type": "rate_limits.updated", "rate_limits": []}``.

        Raises:
            trio_websocket.ConnectionClosed: The connection is closed.
        """
        data = dict(event)
        if "event_id" not in data:
            self._event_ids += 1
            data["event_id"] = f"event_fake_{self._event_ids}"
        await self.send_raw(json.dumps(data))

    async def send_raw(self, message: str | bytes) -> None:
        """Send one WebSocket message as is (text or binary).

        Raises:
            trio_websocket.ConnectionClosed: The connection is closed.
        """
        assert self._ws is not None
        await self._ws.send_message(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection with a closing handshake and *code*."""
        assert self._ws is not None
        await self._ws.aclose(code, reason)

    async def drop(self) -> None:
        """Close the TCP connection without a closing handshake (the client sees 1006)."""
        assert self._valve is not None
        await self._valve.aclose()

    def stall(self) -> None:
        """Stop reading: no pongs, no replies, the client's writes back up (until `resume`)."""
        assert self._valve is not None
        self._valve.pause()

    def resume(self) -> None:
        """Read again after `stall`."""
        assert self._valve is not None
        self._valve.resume()


@final
@attrs.define(eq=False)
class FakeRealtime:
    """An in-process fake of the Realtime API's WebSocket endpoint (``/realtime``).

    Attributes:
        api_key: When set, the handshake must carry ``Authorization: Bearer <api_key>``
            or ``api-key: <api_key>`` (else HTTP 401 with OpenAI's error body).
        max_message_size: The largest client message accepted (else close 1009).
        audio_chunk_ms: The duration of each ``response.output_audio.delta``.
    """

    api_key: str | None = attrs.field(default=None, kw_only=True)
    max_message_size: int = attrs.field(default=32 * 1024 * 1024, kw_only=True)
    audio_chunk_ms: int = attrs.field(default=100, kw_only=True)
    _rules: deque[_Entry] = attrs.field(init=False, factory=deque)
    _sessions: list[FakeRealtimeSession] = attrs.field(init=False, factory=list)
    _connected: trio.Event = attrs.field(init=False, factory=trio.Event)

    @property
    def sessions(self) -> list[FakeRealtimeSession]:
        """Every connection accepted so far, oldest first (a copy)."""
        return list(self._sessions)

    @property
    def last_session(self) -> FakeRealtimeSession:
        """The most recent connection.

        Raises:
            LookupError: No connection was accepted yet.
        """
        if not self._sessions:
            raise LookupError("no Realtime connection was accepted yet")
        return self._sessions[-1]

    async def wait_connected(self) -> FakeRealtimeSession:
        """Wait for the first connection (if none yet) and return the latest."""
        await self._connected.wait()
        return self._sessions[-1]

    # -- scripting ------------------------------------------------------------------------

    def add_reply(
        self,
        on: str,
        events: Sequence[Mapping[str, Any]],
        *,
        replace: bool = True,
        times: int | None = 1,
    ) -> None:
        """Answer the next client event of type *on* with *events*.

        Args:
            on: A client event type (``"response.create"``), ``"connect"`` (when a
                connection opens) or ``"*"`` (any client event).
            events: The server events to send (``event_id`` added when missing).
            replace: Send them instead of the default reply (else before it).
            times: How many events of that type this answers (``None``: all).

        Raises:
            ValueError: *times* is below 1.
        """
        self._add(_Rule(on=on, events=tuple(events), replace=replace), times)

    def add_fault(
        self,
        on: str,
        *,
        close: int | None = None,
        reason: str | None = None,
        drop: bool = False,
        stall: bool = False,
        oversized: int | None = None,
        delay: float | None = None,
        reject: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Misbehave on the next client event of type *on* (or ``"connect"``, ``"*"``).

        Args:
            on: When: a client event type, ``"connect"`` or ``"*"``.
            reject: With ``on="connect"``: refuse the WebSocket upgrade with this HTTP
                status (and OpenAI's error body for it), e.g. 403, 429, 500.
            close: Close the connection with this code (a closing handshake).
            reason: The close reason, with *close*.
            drop: Close the TCP connection without a closing handshake.
            stall: Stop reading (no pongs, no replies) for the rest of the connection.
            oversized: Send a ``response.output_audio.delta`` of this many bytes first.
            delay: Wait this long (``trio.sleep``) before the default reply.
            times: How many events of that type this applies to (``None``: all).

        Raises:
            ValueError: *times* is below 1, or *reject* without ``on="connect"``.
        """
        if reject is not None and on != "connect":
            raise ValueError('reject= refuses the handshake: it needs on="connect"')
        rule = _Rule(
            on=on,
            close=close,
            reason=reason,
            drop=drop,
            stall=stall,
            oversized=oversized,
            delay=delay,
            reject=reject,
            replace=False,
        )
        self._add(rule, times)

    def _add(self, rule: _Rule, times: int | None) -> None:
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None for always), not {times}")
        self._rules.append(_Entry(rule, times))

    def _take(self, on: str) -> _Rule | None:
        for entry in self._rules:
            if entry.rule.on in (on, "*") and not (entry.rule.on == "*" and on == "connect"):
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._rules.remove(entry)
                return entry.rule
        return None

    # -- serving --------------------------------------------------------------------------

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve WebSocket connections on *host*:*port* until cancelled.

        Start it with ``base_url = await nursery.start(fake.serve)``; a client opened
        with that base URL connects to ``ws://host:port/v1/realtime``.

        Args:
            host: The interface to listen on.
            port: The port (0: a free one).
            task_status: Receives the base URL, ``http://127.0.0.1:PORT/v1``.
        """
        async with trio.open_nursery() as nursery:
            listeners: list[trio.SocketListener] = await nursery.start(
                partial(trio.serve_tcp, self._handle, port, host=host, handler_nursery=nursery)
            )
            bound = listeners[0].socket.getsockname()[1]
            task_status.started(f"http://{host}:{bound}/v1")

    async def serve_memory(
        self,
        *,
        task_status: trio.TaskStatus[Callable[[str, int], Any]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve connections made in memory (no socket) until cancelled.

        ``open_stream = await nursery.start(fake.serve_memory)`` gives a stream opener
        for ``client.realtime.connect(..., open_stream=open_stream)``; any base URL works.

        Args:
            task_status: Receives the opener.
        """
        from trio.testing import memory_stream_pair

        async with trio.open_nursery() as nursery:

            async def open_stream(host: str, port: int) -> trio.abc.Stream:
                del host, port
                client_side, server_side = memory_stream_pair()
                nursery.start_soon(self._handle, server_side)
                return client_side

            task_status.started(open_stream)
            await trio.sleep_forever()

    @asynccontextmanager
    async def client(self, **kwargs: Any) -> AsyncIterator[Client]:
        """Serve on a free port and open a client for it: ``async with fake.client() as c:``.

        Args:
            **kwargs: More `open_client` arguments (``api_key`` defaults to ``"sk-fake"``).
        """
        from .._client import open_client

        async with trio.open_nursery() as nursery:
            base_url = await nursery.start(self.serve)
            kwargs.setdefault("api_key", "sk-fake")
            async with open_client(base_url=base_url, **kwargs) as client:
                yield client
            nursery.cancel_scope.cancel()

    def sync_client(self, **kwargs: Any) -> SyncClient:
        """A `trio_openai.SyncClient` of this fake (served on a free port in its loop).

        ``with fake.sync_client() as c: with c.realtime.connect(model=...) as conn:``.

        Args:
            **kwargs: More `open_client` arguments.
        """
        from .._sync._client import SyncClient

        return SyncClient.from_opener(lambda: self.client(**kwargs))

    # -- one connection -------------------------------------------------------------------

    async def _handle(self, stream: trio.abc.Stream) -> None:
        import trio_websocket

        valve = _Valve(stream)
        try:
            async with trio.open_nursery() as nursery:
                request = await trio_websocket.wrap_server_stream(
                    nursery, valve, message_queue_size=64, max_message_size=self.max_message_size
                )
                await self._session(request, valve)
                nursery.cancel_scope.cancel()
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio_websocket.HandshakeError):
            pass
        finally:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(valve)

    async def _session(self, request: Any, valve: _Valve) -> None:
        import trio_websocket

        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        refusal = self._refusal(parts.path, query, headers)
        rule = self._take("connect") if refusal is None else None
        if rule is not None and rule.reject is not None:
            from ._error_bodies import status_error_body

            refusal = rule.reject, json.dumps(status_error_body(rule.reject).value).encode()
        if refusal is not None:
            status, body = refusal
            await request.reject(
                status, extra_headers=[(b"content-type", b"application/json")], body=body
            )
            return
        beta = headers.get("openai-beta", "").startswith("realtime")
        model = query.get("model") or query.get("deployment") or "gpt-realtime"
        state = FakeSessionState(model, beta=beta, audio_chunk_ms=self.audio_chunk_ms)
        session = FakeRealtimeSession(
            path=parts.path, query=query, headers=headers, state=state, valve=valve
        )
        ws = await request.accept()
        session._ws = ws
        self._sessions.append(session)
        self._connected.set()
        try:
            if await self._act(session, rule, state.created()):
                while True:
                    message = await ws.get_message()
                    if not await self._on_message(session, message):
                        break
            await ws.aclose()
        except trio_websocket.ConnectionClosed as exc:
            reason = exc.reason
            session.close_code = 1006 if reason is None else reason.code
            session.close_reason = None if reason is None else reason.reason
        finally:
            session.ended.set()

    def _refusal(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, bytes] | None:
        def body(message: str, code: str, kind: str = "invalid_request_error") -> bytes:
            error = {"message": message, "type": kind, "param": None, "code": code}
            return json.dumps({"error": error}).encode()

        if not path.rstrip("/").endswith("/realtime"):
            return 404, body(f"Invalid URL (GET {path})", "unknown_url")
        if self.api_key is not None:
            bearer = headers.get("authorization", "")
            if bearer != f"Bearer {self.api_key}" and headers.get("api-key") != self.api_key:
                return 401, body("Incorrect API key provided.", "invalid_api_key")
        if not (query.get("model") or query.get("call_id") or query.get("deployment")):
            return 400, body("Missing required parameter: 'model'.", "missing_required_parameter")
        return None

    async def _on_message(self, session: FakeRealtimeSession, message: str | bytes) -> bool:
        """Answer one client message; False once the connection is to end."""
        try:
            event = json.loads(message)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            await session.send(
                error_event("The message is not a JSON object.", code="invalid_json")
            )
            return True
        session.received.append(event)
        return await self._act(session, self._take(str(event.get("type"))), None, event)

    async def _act(
        self,
        session: FakeRealtimeSession,
        rule: _Rule | None,
        default: list[dict[str, Any]] | None,
        event: Mapping[str, Any] | None = None,
    ) -> bool:
        """Apply *rule* (if any), then the default reply; False once the connection is to end."""
        import trio_websocket

        if rule is not None:
            if rule.delay is not None:
                await trio.sleep(rule.delay)
            if rule.oversized is not None:
                await session.send(
                    {
                        "type": "response.output_audio.delta",
                        "response_id": "resp_oversized",
                        "item_id": "item_oversized",
                        "output_index": 0,
                        "content_index": 0,
                        "delta": "A" * rule.oversized,
                    }
                )
            for scripted in rule.events:
                await session.send(scripted)
            if rule.stall:
                session.stall()
                await trio.sleep_forever()
            if rule.drop:
                await session.drop()
                return False
            if rule.close is not None:
                await session.close(rule.close, rule.reason)
                return False
            if rule.replace:
                return True
        replies = default if event is None else session.state.reply(event)
        try:
            for reply in replies or ():
                await session.send(reply)
        except trio_websocket.ConnectionClosed:
            pass  # the client left: keep reading what it sent before its close frame
        return True
