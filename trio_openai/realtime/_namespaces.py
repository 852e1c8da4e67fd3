"""The helper namespaces of a Realtime connection, as in the official SDK.

``conn.session.update(session=...)``, ``conn.input_audio_buffer.append(audio=...)``,
``conn.conversation.item.create(item=...)``, ``conn.response.create()``, ... Each
method sends one client event whose JSON fields are its keyword arguments
(models or plain dicts), with an ``event_id`` (generated unless given), and
returns that ``event_id`` so that a later ``error`` event can be matched to it.
`InputAudioBufferResource.append_pcm16` sends raw PCM16 audio in chunks.

The namespaces serve both the async connection and the sync one
(``_sync.py``): their methods are `blocking` (see ``trio_openai/_api/_bridge.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .._api._bridge import blocking
from .._api._resource import M, Moded
from ._audio import DEFAULT_SAMPLE_RATE, PCM16Chunker, encode_base64

if TYPE_CHECKING:
    from .._sync._portal import Portal
    from ..types.realtime import (
        RealtimeConversationItem,
        RealtimeResponseCreateParams,
        RealtimeSessionCreateRequestGA,
        RealtimeTranscriptionSessionCreateRequestGA,
    )
    from ._events import EventIds

__all__ = [
    "ConversationItemResource",
    "ConversationResource",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ResponseResource",
    "SessionResource",
]

AudioSource = (
    bytes
    | bytearray
    | memoryview
    | Iterable[bytes | bytearray | memoryview]
    | AsyncIterable[bytes | bytearray | memoryview]
)
"""PCM16 audio: one buffer, or frames of any size from a (async) iterable."""


class _Sender(Protocol):
    _ids: EventIds

    async def _send_dict(self, data: dict[str, Any]) -> str: ...

    async def _send_audio(self, audio_b64: str) -> str: ...


async def _send(conn: _Sender, kind: str, event_id: str | None, **fields: Any) -> str:
    from .._convert._converter import unstructure

    data: dict[str, Any] = {"type": kind, "event_id": event_id or conn._ids.next()}
    for key, value in fields.items():
        if value is not None:
            data[key] = value if value.__class__ in (str, int, float, bool) else unstructure(value)
    return await conn._send_dict(data)


class _Namespace(Moded[M]):
    __slots__ = ("_conn", "_portal")

    def __init__(self, conn: _Sender, portal: Portal | None = None) -> None:
        self._conn = conn
        self._portal = portal


class SessionResource(_Namespace[M]):
    """``conn.session``: configure the session."""

    __slots__ = ()

    @blocking
    async def update(
        self,
        *,
        session: RealtimeSessionCreateRequestGA
        | RealtimeTranscriptionSessionCreateRequestGA
        | Mapping[str, Any],
        event_id: str | None = None,
    ) -> str:
        """Send ``session.update``: change any field but ``voice`` (after audio) and ``model``.

        The server answers ``session.updated`` (or ``error``). The merged
        configuration sent so far is in ``conn.state.session_config``.

        Args:
            session: The fields to change, e.g. ``{"type": "realtime", "instructions": "..."}``.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "session.update", event_id, session=session)


class InputAudioBufferResource(_Namespace[M]):
    """``conn.input_audio_buffer``: send the user's audio."""

    __slots__ = ()

    @blocking
    async def append(self, *, audio: str, event_id: str | None = None) -> str:
        """Send ``input_audio_buffer.append`` with base64 audio (at most 15 MiB per event).

        Args:
            audio: Base64-encoded audio in the session's input format.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "input_audio_buffer.append", event_id, audio=audio)

    @blocking
    async def append_pcm16(
        self,
        audio: AudioSource,
        *,
        chunk_seconds: float = 1.0,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
    ) -> int:
        """Send raw PCM16 audio (mono, little-endian) as ``input_audio_buffer.append`` events.

        The audio is cut into chunks of *chunk_seconds* (whatever the sizes of the
        frames given), each base64-encoded once and sent as one event; sending
        waits for the socket, so a fast source is paced by the network. Returns
        the number of PCM bytes sent. Commit with `commit` (or let server VAD do it).

        Args:
            audio: One buffer, or an iterable or async iterable of frames.
            chunk_seconds: Audio per event (default 1 s; at most ~245 s at 24 kHz,
                the API's 15 MiB per event).
            sample_rate: Samples per second (the GA API's PCM input is 24 kHz).

        Raises:
            ValueError: The chunk size is out of range, or the audio ends in half a sample.
            RealtimeConnectionClosed: The connection is closed.
        """
        chunker = PCM16Chunker(chunk_seconds=chunk_seconds, sample_rate=sample_rate)
        conn = self._conn
        sent = 0

        async def send(chunks: list[bytes | bytearray | memoryview]) -> None:
            nonlocal sent
            for chunk in chunks:
                await conn._send_audio(encode_base64(chunk))
                sent += len(chunk)

        if isinstance(audio, (bytes, bytearray, memoryview)):
            await send(chunker.feed(audio))
        elif isinstance(audio, AsyncIterable):
            async for frame in audio:
                await send(chunker.feed(frame))
        else:
            for frame in audio:
                await send(chunker.feed(frame))
        await send(chunker.flush())
        return sent

    @blocking
    async def commit(self, *, event_id: str | None = None) -> str:
        """Send ``input_audio_buffer.commit``: the buffered audio becomes a user message item.

        Args:
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "input_audio_buffer.commit", event_id)

    @blocking
    async def clear(self, *, event_id: str | None = None) -> str:
        """Send ``input_audio_buffer.clear``: drop the audio buffered so far.

        Args:
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "input_audio_buffer.clear", event_id)


class ConversationItemResource(_Namespace[M]):
    """``conn.conversation.item``: add, remove, fetch and cut conversation items."""

    __slots__ = ()

    @blocking
    async def create(
        self,
        *,
        item: RealtimeConversationItem | Mapping[str, Any],
        previous_item_id: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """Send ``conversation.item.create``: add a message, function call or output.

        Args:
            item: The item, e.g. ``{"type": "message", "role": "user", "content":
                [{"type": "input_text", "text": "Hi"}]}``.
            previous_item_id: Insert after this item (``"root"``: first); default: last.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(
            self._conn,
            "conversation.item.create",
            event_id,
            item=item,
            previous_item_id=previous_item_id,
        )

    @blocking
    async def delete(self, *, item_id: str, event_id: str | None = None) -> str:
        """Send ``conversation.item.delete``.

        Args:
            item_id: The item to remove.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "conversation.item.delete", event_id, item_id=item_id)

    @blocking
    async def retrieve(self, *, item_id: str, event_id: str | None = None) -> str:
        """Send ``conversation.item.retrieve``; the server answers ``conversation.item.retrieved``.

        Args:
            item_id: The item to fetch.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "conversation.item.retrieve", event_id, item_id=item_id)

    @blocking
    async def truncate(
        self,
        *,
        item_id: str,
        content_index: int,
        audio_end_ms: int,
        event_id: str | None = None,
    ) -> str:
        """Send ``conversation.item.truncate``: cut assistant audio the user did not hear.

        Args:
            item_id: The assistant message item.
            content_index: Its audio content part (0).
            audio_end_ms: How much of the audio was played, in milliseconds.
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(
            self._conn,
            "conversation.item.truncate",
            event_id,
            item_id=item_id,
            content_index=content_index,
            audio_end_ms=audio_end_ms,
        )


class ConversationResource(_Namespace[M]):
    """``conn.conversation``: its ``item`` methods."""

    __slots__ = ("item",)

    def __init__(self, conn: _Sender, portal: Portal | None = None) -> None:
        super().__init__(conn, portal)
        self.item: ConversationItemResource[M] = ConversationItemResource(conn, portal)


class ResponseResource(_Namespace[M]):
    """``conn.response``: ask for a model response, or cancel it."""

    __slots__ = ()

    @blocking
    async def create(
        self,
        *,
        response: RealtimeResponseCreateParams | Mapping[str, Any] | None = None,
        event_id: str | None = None,
    ) -> str:
        """Send ``response.create``: the model answers (``response.created`` ... ``response.done``).

        Args:
            response: Settings for this response only (instructions, modalities, ...).
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "response.create", event_id, response=response)

    @blocking
    async def cancel(self, *, response_id: str | None = None, event_id: str | None = None) -> str:
        """Send ``response.cancel``: stop the response in progress.

        Args:
            response_id: The response to cancel (default: the one in progress).
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "response.cancel", event_id, response_id=response_id)


class OutputAudioBufferResource(_Namespace[M]):
    """``conn.output_audio_buffer`` (WebRTC and SIP sessions)."""

    __slots__ = ()

    @blocking
    async def clear(self, *, event_id: str | None = None) -> str:
        """Send ``output_audio_buffer.clear``: stop the audio being played.

        Args:
            event_id: The event's id (generated when None).

        Raises:
            RealtimeConnectionClosed: The connection is closed.
        """
        return await _send(self._conn, "output_audio_buffer.clear", event_id)
