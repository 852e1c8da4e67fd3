"""Replies as data: bodies, SSE events, scripted entries, and the wire-ready `Reply`.

The handler (`_server.py`) picks a body (scripted or default), this module
applies the faults a script asks for (malformed JSON, truncated stream) and
encodes it into a `Reply`: status, headers and body chunks, plus the timing
and drop instructions that both transports (`_transport.py`, `_http.py`) obey
through one `BodyCursor`, so a fault behaves the same in memory and on a socket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import attrs
import trio

__all__ = [
    "Body",
    "BodyCursor",
    "BodyDropped",
    "JsonBody",
    "RawBody",
    "Reply",
    "Script",
    "SseBody",
    "SseEvent",
    "SseItem",
    "encode_reply",
    "sse_body",
]

SseItem: TypeAlias = Mapping[str, object] | str | tuple[str, Mapping[str, object] | str]
"""One scripted SSE event: a JSON payload, a raw block, or an ``(event name, data)`` pair."""

DONE = "[DONE]"


@attrs.frozen
class SseEvent:
    """One server-sent event.

    Attributes:
        data: The ``data`` field (a JSON text when *is_json*).
        event: The ``event`` field, if any.
        is_json: Whether *data* is JSON (what ``malformed_json`` corrupts).
        raw: A block sent verbatim instead of *event*/*data* (comments, bad lines).
    """

    data: str = ""
    event: str | None = None
    is_json: bool = False
    raw: str | None = None

    def encode(self) -> bytes:
        """Return the event as it goes on the wire, blank line included."""
        if self.raw is not None:
            block = self.raw.rstrip("\n")
            return (block + "\n\n").encode()
        lines = [f"event: {self.event}"] if self.event is not None else []
        lines += [f"data: {line}" for line in self.data.split("\n")]
        return ("\n".join(lines) + "\n\n").encode()


@attrs.frozen
class JsonBody:
    """A JSON body (``application/json``)."""

    value: object


@attrs.frozen
class SseBody:
    """A ``text/event-stream`` body, one event per chunk."""

    events: tuple[SseEvent, ...]


@attrs.frozen
class RawBody:
    """Bytes with a content type (audio, file content, ...)."""

    content: bytes
    content_type: str


Body: TypeAlias = JsonBody | SseBody | RawBody


def dumps(value: object) -> str:
    """Encode *value* as compact JSON, as the API does."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_event(payload: object, event: str | None = None) -> SseEvent:
    """Return an SSE event whose data is *payload* as JSON.

    Args:
        payload: The JSON value.
        event: The event name, if the stream uses named events.
    """
    return SseEvent(data=dumps(payload), event=event, is_json=True)


def sse_body(items: Sequence[SseItem], *, done: bool) -> SseBody:
    """Turn scripted SSE items into an `SseBody`.

    Args:
        items: Dicts (sent as ``data: <json>``), raw strings (sent verbatim as one
            block) or ``(event name, data)`` pairs (data: a dict as JSON, a str as is).
        done: Whether to append ``data: [DONE]``.

    Raises:
        TypeError: An item of another type.
    """
    events: list[SseEvent] = []
    for item in items:
        if isinstance(item, str):
            events.append(SseEvent(raw=item))
        elif isinstance(item, tuple):
            name, data = item
            if isinstance(data, str):
                events.append(SseEvent(data=data, event=name))
            else:
                events.append(json_event(data, event=name))
        elif isinstance(item, Mapping):
            events.append(json_event(item))
        else:
            raise TypeError(f"an SSE item is a dict, a str or an (event, data) pair: {item!r}")
    if done:
        events.append(SseEvent(data=DONE))
    return SseBody(tuple(events))


@attrs.frozen(kw_only=True)
class Script:
    """One queued reply or fault for a route (see `FakeOpenAI.add` / `add_fault`).

    Attributes:
        status: The status to answer with; ``None`` keeps the body's own status.
        headers: Headers added to (or overriding) the reply's headers.
        body: The body; ``None`` means the route's default reply (or an error
            body when *status* is 400 or more).
        delay: Seconds to wait (``trio.sleep``) before answering.
        interval: Seconds to wait between two body chunks (SSE events).
        drop_after: Close the connection after this many body bytes.
        disconnect: Close the connection without answering.
        truncate_stream: Leave out the stream's last event (its terminal marker).
        malformed_json: Corrupt the JSON body (or the first JSON event).
    """

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Body | None = None
    delay: float = 0.0
    interval: float = 0.0
    drop_after: int | None = None
    disconnect: bool = False
    truncate_stream: bool = False
    malformed_json: bool = False


@attrs.frozen(kw_only=True)
class Reply:
    """A reply ready for the wire, shared by both transports.

    Attributes:
        status: The HTTP status.
        headers: Header pairs; ``content-length`` is set unless *chunked*.
        chunks: The body in the pieces it is sent in.
        chunked: Whether the body is streamed (``Transfer-Encoding: chunked``).
        interval: Seconds between two chunks.
        drop_after: Close the connection after this many body bytes.
        disconnect: Close the connection without sending anything.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    chunked: bool
    interval: float = 0.0
    drop_after: int | None = None
    disconnect: bool = False

    def cursor(self) -> BodyCursor:
        """Return a fresh cursor over the body."""
        return BodyCursor(self)


class BodyDropped(Exception):  # noqa: N818 -- an event, not an error of the caller
    """The script asked to drop the connection here (`Reply.drop_after`)."""


@attrs.define(eq=False)
class BodyCursor:
    """Hands out a reply's body chunk by chunk, with its pauses and its drop.

    Attributes:
        reply: The reply being sent.
    """

    reply: Reply
    _index: int = 0
    _sent: int = 0
    _dropped: bool = False

    async def next_chunk(self) -> bytes | None:
        """Return the next piece of body, or ``None`` at the end.

        Raises:
            BodyDropped: The connection must be dropped now (the bytes before
                the drop point were already handed out).
        """
        reply = self.reply
        if self._dropped:
            raise BodyDropped
        if self._index >= len(reply.chunks):
            if reply.drop_after is not None and reply.chunked:
                # All bytes went out but the stream's end did not: still a drop.
                self._dropped = True
                raise BodyDropped
            return None
        if self._index > 0 and reply.interval > 0:
            await trio.sleep(reply.interval)
        chunk = reply.chunks[self._index]
        self._index += 1
        if reply.drop_after is not None and self._sent + len(chunk) > reply.drop_after:
            self._dropped = True
            chunk = chunk[: reply.drop_after - self._sent]
            if not chunk:
                raise BodyDropped
        self._sent += len(chunk)
        return chunk


def _corrupt(text: str) -> str:
    # Any proper prefix of a JSON object or array is invalid JSON.
    return text[: max(1, len(text) // 2)]


def _apply_faults(body: Body, script: Script) -> Body:
    if isinstance(body, JsonBody):
        if script.malformed_json or script.truncate_stream:
            return RawBody(_corrupt(dumps(body.value)).encode(), "application/json")
        return body
    if isinstance(body, SseBody):
        events = list(body.events)
        if script.truncate_stream and events:
            events.pop()
        if script.malformed_json:
            for index, event in enumerate(events):
                if event.is_json:
                    events[index] = attrs.evolve(event, data=_corrupt(event.data))
                    break
        return SseBody(tuple(events))
    if script.truncate_stream:
        return RawBody(body.content[: len(body.content) // 2], body.content_type)
    return body


def _merge_headers(
    base: Sequence[tuple[str, str]], extra: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    override = {name.lower() for name, _ in extra}
    kept = [(name, value) for name, value in base if name.lower() not in override]
    return (*kept, *((name.lower(), value) for name, value in extra))


def encode_reply(
    status: int,
    body: Body,
    *,
    script: Script | None,
    headers: Sequence[tuple[str, str]] = (),
) -> Reply:
    """Apply *script*'s faults to *body* and encode it for the wire.

    Args:
        status: The HTTP status.
        body: The body before faults.
        script: The scripted entry in force, if any.
        headers: Default headers (``x-request-id``, ...); the script's override them.
    """
    script = script or Script()
    body = _apply_faults(body, script)
    if isinstance(body, JsonBody):
        chunks: tuple[bytes, ...] = (dumps(body.value).encode(),)
        content_type = "application/json"
    elif isinstance(body, SseBody):
        chunks = tuple(event.encode() for event in body.events)
        content_type = "text/event-stream; charset=utf-8"
    else:
        chunks = (body.content,) if body.content else ()
        content_type = body.content_type
    chunked = isinstance(body, SseBody)
    base = [("content-type", content_type), *headers]
    if not chunked:
        base.append(("content-length", str(sum(map(len, chunks)))))
    return Reply(
        status=status,
        headers=_merge_headers(base, script.headers),
        chunks=chunks,
        chunked=chunked,
        interval=script.interval,
        drop_after=script.drop_after,
        disconnect=script.disconnect,
    )
