"""The Realtime connection: typed events over trio-websocket, for sessions that last hours.

::

    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(session={"type": "realtime", "instructions": "Be brief."})
        await conn.response.create()
        async for event in conn:
            ...

`open_connection` opens a nursery of its own (inside the caller's task tree)
that runs three tasks: trio-websocket's reader, this module's reader, and the
keepalive. Design decisions, each for long audio sessions:

- **Reading never stalls on the consumer's account.** A reader task takes each
  message from trio-websocket at once (its queue holds one), decodes it into a
  typed event, updates `SessionState`, and puts it in a queue that `recv` and
  ``async for`` read (`EventQueue`, ``_queue.py``), bounded in events
  (`RealtimeLimits.max_queued_events`) and in bytes
  (`RealtimeLimits.max_queued_bytes`, the messages' lengths). When
  either bound is reached the reader waits: backpressure reaches the server
  through TCP, nothing is dropped, and memory stays bounded (by the byte budget
  plus the few messages in flight). While it waits, pongs are not read either,
  so the keepalive does not count that time against the server; the server's
  own pings wait too, as with any client that stops reading.
- **Keepalive.** A ping every `Keepalive.interval` seconds; no pong within
  `Keepalive.timeout` seconds (not counting time when the consumer held the
  reader up, or a message was being written) and the connection is closed
  at once: ``recv``/``send`` raise `RealtimeConnectionClosed` (code 1006).
- **A message is sent whole or not at all.** Cancelling a ``send`` while it
  waits its turn cancels it; once its first byte is written, it is finished
  (shielded) before the cancellation takes effect, so that the stream never
  carries half a frame. A write that takes longer than
  `RealtimeLimits.send_timeout` closes the connection instead.
- **Closing** sends close code 1000 whenever the ``async with`` block ends:
  normally, by an exception or by cancellation (shielded, at most
  `RealtimeLimits.close_timeout` seconds). A connection found dead (keepalive,
  send timeout) is closed without a closing handshake.
- **Errors.** trio-websocket's exceptions never escape: a closed connection is
  `RealtimeConnectionClosed` (code, reason); the handshake's errors are the
  usual `APIStatusError` / `APIConnectionError` / `APITimeoutError`. The block
  raises its own exception as itself, never inside an ``ExceptionGroup``.
- **No reconnection.** A thin client: `SessionState` keeps what is needed to set
  a new connection up the same way (docs/realtime.md, "Reconnecting").
"""

from __future__ import annotations

import importlib
import ssl
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar, final

import trio

from .._http._auth import SecretHeaders
from .._options import with_current_key
from ._errors import RealtimeConnectionClosed
from ._events import EventDecoder, EventIds, event_dict, to_json
from ._namespaces import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
)
from ._queue import EventQueue
from ._state import SentEvent, SentEvents, SessionState

if sys.version_info < (3, 11):  # pragma: no cover - the backport trio depends on
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from trio_websocket import CloseReason, WebSocketConnection

    from .._api._caller import Caller
    from .._api._resource import Async
    from ..types.realtime import (  # noqa: F401 - named in the subclasses' string bases
        RealtimeBetaClientEvent,
        RealtimeBetaServerEvent,
        RealtimeClientEvent,
        RealtimeServerEvent,
    )
    from ._handshake import StreamOpener
    from ._settings import Keepalive, RealtimeLimits

__all__ = ["BetaRealtimeConnection", "RealtimeConnection", "open_connection"]

ServerEventT = TypeVar("ServerEventT")
ClientEventT = TypeVar("ClientEventT")
ConnectionT = TypeVar("ConnectionT", bound="_Connection[Any, Any]")

_CLEAN: Final = frozenset({1000, 1001})
_TYPES: Final = "trio_openai.types.realtime"
_MAX_REASON: Final = 123  # bytes a close frame's reason may hold


class _Connection(Generic[ServerEventT, ClientEventT]):
    """What `RealtimeConnection` and `BetaRealtimeConnection` share (see the module docstring)."""

    _union: ClassVar[str]  # the server event union's name in trio_openai.types.realtime
    beta: ClassVar[bool] = False

    session: SessionResource[Async]
    """``session.update``."""
    input_audio_buffer: InputAudioBufferResource[Async]
    """``input_audio_buffer.append`` / ``commit`` / ``clear``, and `append_pcm16`."""
    conversation: ConversationResource[Async]
    """``conversation.item.create`` / ``delete`` / ``retrieve`` / ``truncate``."""
    response: ResponseResource[Async]
    """``response.create`` / ``cancel``."""
    output_audio_buffer: OutputAudioBufferResource[Async]
    """``output_audio_buffer.clear``."""

    def __init__(
        self,
        ws: WebSocketConnection,
        nursery: trio.Nursery,
        *,
        url: str,
        limits: RealtimeLimits,
        keepalive: Keepalive | None,
        scrub: Callable[[str], str] = str,
    ) -> None:
        from ..types import realtime as types

        self._ws = ws
        self._nursery = nursery
        self._limits = limits
        self._keepalive = keepalive
        self._decode = EventDecoder(getattr(types, self._union))
        self._ids = EventIds()
        self._sent = SentEvents(limits.sent_events_kept)
        self._state = SessionState()
        self._queue = EventQueue[Any](limits.max_queued_events, limits.max_queued_bytes)
        self._send_lock = trio.Lock()
        self._close: tuple[int, str | None, str] | None = None  # code, reason, message
        self._stalls = 0  # times the reader had to wait for the consumer
        self._consumer_behind = False
        self._writing = False
        self.url = url
        self._scrub = scrub  # a close reason may echo the key: it is scrubbed
        self.session = SessionResource(self)
        self.input_audio_buffer = InputAudioBufferResource(self)
        self.conversation = ConversationResource(self)
        self.response = ResponseResource(self)
        self.output_audio_buffer = OutputAudioBufferResource(self)

    def __repr__(self) -> str:
        state = "open" if self._close is None else f"closed ({self._close[0]})"
        return f"<{type(self).__name__} {state} {self.url.split('?', 1)[0]}>"

    # -- what users read ----------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        """The session as this connection saw it (config, items, responses): to resume."""
        return self._state

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (or closing)."""
        return self._close is not None

    @property
    def close_code(self) -> int | None:
        """The close code once closed (1000 normal, 1006 dead, 1009 too big, ...), else None."""
        return None if self._close is None else self._close[0]

    @property
    def close_reason(self) -> str | None:
        """The close reason once closed, if one was given."""
        return None if self._close is None else self._close[1]

    @property
    def queued_events(self) -> int:
        """Events decoded but not yet read by `recv` (at most ``max_queued_events``)."""
        return self._queue.events

    @property
    def queued_bytes(self) -> int:
        """The size of those events' messages (at most ``max_queued_bytes``, or one event)."""
        return self._queue.bytes

    def sent_event(self, event_id: str | None) -> SentEvent | None:
        """The client event sent with this ``event_id`` (among the last ``sent_events_kept``).

        Use it on a server ``error`` event to see what it is about:
        ``conn.sent_event(event.error.event_id)``.

        Args:
            event_id: The id (``None`` gives ``None``, as for an error about no event).
        """
        return self._sent.get(event_id)

    # -- sending --------------------------------------------------------------------------

    async def send(self, event: ClientEventT | Mapping[str, Any]) -> str:
        """Send one client event; returns its ``event_id`` (generated when absent).

        Args:
            event: A mapping (``{"type": "response.create"}``) or a generated client
                event model (``RealtimeClientEventResponseCreate(...)``).

        Raises:
            TypeError: *event* is not a mapping or model with a string ``type``.
            RealtimeConnectionClosed: The connection is closed.
        """
        return await self._send_dict(event_dict(event, self._ids))

    async def _send_dict(self, data: dict[str, Any]) -> str:
        """Send an event dict that has its ``type`` and ``event_id``; return the id."""
        text = to_json(data)
        self._sent.add(data, trio.current_time())
        self._state.sent(data)
        await self._write(text)
        return str(data["event_id"])

    async def _send_audio(self, audio_b64: str) -> str:
        """Send ``input_audio_buffer.append`` built by hand (no JSON pass over the audio)."""
        event_id = self._ids.next()
        self._sent.add_kept(
            event_id,
            "input_audio_buffer.append",
            {
                "type": "input_audio_buffer.append",
                "event_id": event_id,
                "audio": f"<{len(audio_b64)} base64 characters>",
            },
            trio.current_time(),
        )
        self._state.events_sent += 1
        await self._write(
            '{"type":"input_audio_buffer.append","event_id":"'
            + event_id
            + '","audio":"'
            + audio_b64
            + '"}'
        )
        return event_id

    async def _write(self, text: str) -> None:
        from trio_websocket import ConnectionClosed

        if self._close is not None:
            raise self._closed_error()
        async with self._send_lock:  # waiting here is cancellable: nothing written yet
            if self._close is not None:
                raise self._closed_error()
            timeout = self._limits.send_timeout
            peer_closed: ConnectionClosed | None = None
            self._writing = True
            try:
                with trio.CancelScope(shield=True) as scope:
                    if timeout is not None:
                        scope.deadline = trio.current_time() + timeout
                    try:
                        await self._ws.send_message(text)
                    except ConnectionClosed as exc:
                        peer_closed = exc
            finally:
                self._writing = False
        if scope.cancelled_caught:
            # Part of a frame may be out: the stream is unusable.
            await self._abort(
                1006,
                "send timeout",
                f"A message could not be written within {timeout} s (RealtimeLimits."
                "send_timeout): the server is not reading. The connection is closed.",
            )
            await trio.lowlevel.checkpoint_if_cancelled()
            raise self._closed_error()
        if peer_closed is not None:
            self._closed_by_peer(peer_closed.reason)
            raise self._closed_error()

    # -- receiving -----------------------------------------------------------------------

    async def recv(self) -> ServerEventT:
        """The next server event (typed; unknown kinds are `UnknownObject`).

        Raises:
            RealtimeConnectionClosed: The connection is closed and every event
                received before has been read (also after a clean close).
        """
        try:
            event: ServerEventT = await self._queue.get()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise self._closed_error() from None
        return event

    def __aiter__(self) -> AsyncIterator[ServerEventT]:
        return self

    async def __anext__(self) -> ServerEventT:
        """The next server event; the loop ends when the server closes cleanly (1000/1001).

        Raises:
            RealtimeConnectionClosed: The connection ended any other way.
        """
        try:
            event: ServerEventT = await self._queue.get()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            if self._close is not None and self._close[0] in _CLEAN:
                raise StopAsyncIteration from None
            raise self._closed_error() from None
        return event

    # -- closing --------------------------------------------------------------------------

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection with a closing handshake (idempotent).

        Events not yet read are dropped; ``recv`` raises `RealtimeConnectionClosed`
        from now on. The handshake is shielded from cancellation and given at most
        `RealtimeLimits.close_timeout` seconds, after which the TCP connection is
        closed without it.

        Args:
            code: The close code to send (1000: normal; 4000-4999: your own).
            reason: A short reason (at most 123 UTF-8 bytes are sent).
        """
        if self._close is None:
            self._close = (code, reason, f"The client closed the connection (code {code}).")
        self._queue.close()
        short = None if reason is None else reason.encode()[:_MAX_REASON].decode(errors="ignore")
        # trio-websocket closes the TCP connection itself if the handshake is cut short.
        with trio.CancelScope(shield=True), trio.move_on_after(self._limits.close_timeout):
            await self._ws.aclose(code, short)

    async def _abort(self, code: int, reason: str, message: str) -> None:
        """Close at once, without a closing handshake: the stream is dead or unusable."""
        if self._close is None:
            self._close = (code, reason, message)
        self._queue.close_input()
        await self._drop()

    async def _drop(self) -> None:
        # trio-websocket has no public abort: an aclose() in a cancelled scope closes the
        # stream before writing anything (its lock wait is the first checkpoint).
        with trio.CancelScope(shield=True), trio.CancelScope() as scope:
            scope.cancel()
            await self._ws.aclose()

    def _closed_by_peer(self, reason: CloseReason | None) -> None:
        if self._close is not None:
            return
        code = 1006 if reason is None else reason.code
        text = None if reason is None or reason.reason is None else self._scrub(reason.reason)
        error = RealtimeConnectionClosed(code, text)
        message = error.message
        if code == 1009:
            message += (
                f" A message exceeded a size limit; this client accepts "
                f"{self._limits.max_message_size} bytes (RealtimeLimits.max_message_size)."
            )
        elif code == 1006:
            message = (
                "The Realtime connection was lost (code 1006: closed without a closing handshake)."
            )
        self._close = (code, text, message)

    def _closed_error(self) -> RealtimeConnectionClosed:
        code, reason, message = self._close or (1006, None, "The Realtime connection is closed.")
        return RealtimeConnectionClosed(code, reason, message=message)

    # -- background tasks -------------------------------------------------------------------

    def _start(self) -> None:
        self._nursery.start_soon(self._read, name="trio_openai realtime reader")
        if self._keepalive is not None:
            self._nursery.start_soon(self._ping_loop, name="trio_openai realtime keepalive")

    async def _read(self) -> None:
        from trio_websocket import ConnectionClosed

        ws, decode, state, queue = self._ws, self._decode, self._state, self._queue
        try:
            while True:
                message = await ws.get_message()
                size = len(message)
                event = decode(message)
                message = ""  # not kept alive (a second copy) while the event waits for room
                state.received(event)
                try:
                    queue.put_nowait(event, size)
                except trio.WouldBlock:
                    self._stalls += 1
                    self._consumer_behind = True
                    try:
                        await queue.put(event, size)
                    finally:
                        self._consumer_behind = False
        except ConnectionClosed as exc:
            self._closed_by_peer(exc.reason)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass  # the queue was closed: the connection is closing
        finally:
            queue.close_input()

    async def _ping_loop(self) -> None:
        keepalive = self._keepalive
        assert keepalive is not None
        while self._close is None:
            await trio.sleep(keepalive.interval)
            pong = trio.Event()
            # Not cancelled on timeout: a ping frame is never cut in half.
            self._nursery.start_soon(self._ping, pong)
            while not pong.is_set():
                stalls = self._stalls
                with trio.move_on_after(keepalive.timeout):
                    await pong.wait()
                if pong.is_set() or self._close is not None:
                    break
                # Held up on our side, not the server's: the consumer is behind, or a
                # message is being written (then send_timeout decides, if there is one).
                writing = self._writing and self._limits.send_timeout is not None
                if self._consumer_behind or writing or self._stalls != stalls:
                    continue
                await self._abort(
                    1006,
                    "keepalive timeout",
                    f"No pong within {keepalive.timeout} s of a ping (Keepalive.timeout): "
                    "the connection is dead, and was closed.",
                )
                return

    async def _ping(self, pong: trio.Event) -> None:
        from trio_websocket import ConnectionClosed

        try:
            await self._ws.ping()
        except ConnectionClosed:
            return
        pong.set()


@final
class RealtimeConnection(_Connection["RealtimeServerEvent", "RealtimeClientEvent"]):
    """An open Realtime API session over a WebSocket (``client.realtime.connect``).

    Iterate it (``async for event in conn``) or call `recv` for typed server events
    (``RealtimeServerEvent``: tell them apart by ``event.type``); send with `send`
    or the helpers (``conn.session.update(...)``, ``conn.response.create()``, ...).

    Attributes:
        url: The WebSocket URL it connected to (the key is in a header, not here).
    """

    _union = "RealtimeServerEvent"


@final
class BetaRealtimeConnection(_Connection["RealtimeBetaServerEvent", "RealtimeBetaClientEvent"]):
    """A session of the beta Realtime API (``client.beta.realtime.connect``).

    The same as `RealtimeConnection`, with the ``OpenAI-Beta: realtime=v1`` header
    and the beta events (``RealtimeBetaServerEvent``).
    """

    _union = "RealtimeBetaServerEvent"
    beta = True


@asynccontextmanager
async def open_connection(
    client: Caller,
    cls: type[ConnectionT],
    *,
    model: str | None,
    call_id: str | None,
    websocket_base_url: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str] | None,
    keepalive: Keepalive | None,
    limits: RealtimeLimits,
    ssl_context: ssl.SSLContext | None,
    open_stream: StreamOpener | None,
) -> AsyncIterator[ConnectionT]:
    """Open a Realtime connection of *cls* for *client*; close it (code 1000) on exit.

    Args:
        client: The client (view) whose URL, key and headers are used.
        cls: `RealtimeConnection` or `BetaRealtimeConnection`.
        model: See ``client.realtime.connect``.
        call_id: See ``client.realtime.connect``.
        websocket_base_url: See ``client.realtime.connect``.
        extra_query: See ``client.realtime.connect``.
        extra_headers: See ``client.realtime.connect``.
        keepalive: See ``client.realtime.connect``.
        limits: See ``client.realtime.connect``.
        ssl_context: See ``client.realtime.connect``.
        open_stream: See ``client.realtime.connect``.

    Raises:
        ClientClosedError: The client's session has ended.
        ConfigurationError: The client's key provider failed.
        ValueError: No model (nor call id), or a base URL that is not http(s)/ws(s).
        APIStatusError: The server refused the connection (401, 403, 404, 429, ...).
        APIConnectionError: The network, TLS or WebSocket handshake failed.
        APITimeoutError: The handshake took longer than the client's connect timeout.
    """
    from ._handshake import open_websocket, proxy_opener, realtime_target, rejection

    client._check_open()
    # The event types: a few hundred ms the first time in a process (attrs classes), spent
    # before connecting rather than while the server's first events wait. Not in a thread:
    # under a mock clock, time would jump while it runs. Import it at start-up to avoid it.
    importlib.import_module(_TYPES)
    # A key provider is asked once per connect; the key goes in the handshake's headers.
    options = await with_current_key(client.options)
    # Rebound at once: no frame of ours keeps the caller's header values in a plain dict.
    extra_headers = SecretHeaders(extra_headers or {})
    target = realtime_target(
        options,
        model=model,
        call_id=call_id,
        websocket_base_url=websocket_base_url,
        extra_query=extra_query,
        extra_headers=extra_headers,
        beta=cls.beta,
    )
    extra_query = None  # its values may be tokens: only in the target (redacted) from here
    if open_stream is None:
        open_stream = proxy_opener(client, target.url)
    # As in open_client: the block's exception is re-raised outside the nursery,
    # unwrapped; only trio-websocket's reader task raises into the nursery.
    body_error: BaseException | None = None
    failure: BaseException | None = None
    try:
        async with trio.open_nursery() as nursery:
            ws_nursery, ws_scope = await nursery.start(_shielded_nursery)
            try:
                ws = await open_websocket(
                    ws_nursery,
                    target,
                    limits,
                    connect_timeout=options.timeout.connect,
                    ssl_context=ssl_context,
                    open_stream=open_stream,
                )
                conn = cls(
                    ws,
                    nursery,
                    url=target.url,
                    limits=limits,
                    keepalive=keepalive,
                    scrub=target.secrets(),
                )
                conn._start()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                body_error = exc
                ws_scope.cancel()
                nursery.cancel_scope.cancel()
            else:
                try:
                    yield conn
                except BaseException as exc:  # noqa: BLE001 - re-raised below, unwrapped
                    body_error = exc
                finally:
                    try:
                        await conn.close()
                    finally:
                        ws_scope.cancel()  # never left running: it is shielded
                        nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        errors = [e for e in _leaves(group) if not isinstance(e, trio.Cancelled)]
        if len(errors) != 1:
            raise
        failure = rejection(errors[0], target) or errors[0]
    # A failure from the nursery is raised outside its handler, so that the group is not
    # its __context__: the group's frames (trio-websocket's reader) hold the server's raw
    # answer, which may echo a key.
    error = failure or body_error
    if error is not None:
        try:
            raise error
        finally:
            error = failure = body_error = None


async def _shielded_nursery(
    task_status: trio.TaskStatus[tuple[trio.Nursery, trio.CancelScope]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """A nursery that a cancellation of the block does not reach; cancel its scope to end it.

    trio-websocket's reader runs here: the closing handshake needs it to read the
    server's close frame, also when the block was left by a cancellation.
    """
    with trio.CancelScope(shield=True) as scope:
        async with trio.open_nursery() as nursery:
            task_status.started((nursery, scope))
            await trio.sleep_forever()


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out
