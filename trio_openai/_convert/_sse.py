"""An incremental Server-Sent Events parser, fed with the bytes of a response body.

It follows the WHATWG event-stream rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

- a line ends in LF, CRLF or CR; a CR that ends one chunk and an LF that starts
  the next are one line end;
- a UTF-8 byte order mark at the very start of the stream is dropped, once;
- ``name: value`` sets a field (one space after the colon is stripped); a line
  without a colon is a field name with an empty value; a line starting with
  ``:`` is a comment; unknown fields are ignored;
- ``data`` lines join with ``"\\n"``; ``event`` sets the type (``"message"`` when
  absent or empty); ``id`` sets the last event id, which *persists* across
  events until the server sends another one (an ``id`` containing NUL is
  ignored); ``retry`` is taken when it is ASCII digits only;
- a blank line dispatches the event if it has at least one ``data`` line
  (``data:`` alone dispatches an event whose data is ``""``); otherwise the
  pending event type and retry are dropped;
- at the end of the stream an event without its blank line is *not*
  dispatched; `SSEDecoder.pending` tells the stream layer it was cut short.

Where we are stricter than the spec, on purpose:

- invalid UTF-8 raises `SSEDecodeError` (the spec replaces it with U+FFFD,
  which would silently corrupt JSON payloads);
- one event may buffer at most ``max_event_size`` bytes (the bytes of its
  lines, comments included, without their line ends); past it,
  `SSEDecodeError`. This bounds memory when a server never sends a blank line.

The decoder works on whole chunks (``bytes.split``), not per character, and
decodes each event's data once, when it is dispatched: the common case of many
small ``data: {...}`` events per network chunk costs well under a microsecond
per event. Events parsed before an error in the same chunk are still returned;
the error is raised by the next `SSEDecoder.feed` or `SSEDecoder.close` call.

This module imports neither trio nor httpx2.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Final, NamedTuple, NoReturn, final

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecodeError", "SSEDecoder", "ServerSentEvent", "aiter_sse"]

DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024
"""The default bound on one event's buffered bytes (16 MiB)."""

_BOM: Final = b"\xef\xbb\xbf"


class SSEDecodeError(ValueError):
    """The byte stream is not a valid event stream we are willing to buffer.

    Raised for invalid UTF-8 and for an event larger than the decoder's
    ``max_event_size``. The decoder is unusable afterwards: every later call
    raises the same error.
    """


@final
class ServerSentEvent(NamedTuple):
    """One dispatched event.

    It is an immutable, slotted named tuple rather than an attrs class because
    a stream creates one per chunk and a tuple is about four times cheaper to
    build; it therefore also compares equal to a plain tuple of its fields.

    Attributes:
        event: The event type; ``"message"`` when the server sent none.
        data: The ``data`` lines joined with ``"\\n"``.
        id: The last event id the server set (it persists across events), or
            ``None`` if it never set one.
        retry: The reconnection time in milliseconds sent within this event, or
            ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


# Calling tuple.__new__ directly skips NamedTuple's Python-level __new__: it
# halves the cost of building an event on the hot path.
_new_event: Final = tuple.__new__


@final
class SSEDecoder:
    """Turn the chunks of an event stream into `ServerSentEvent` objects.

    Feed it the body's chunks as they arrive, in order, then call `close` once
    at the end of the body. Not thread-safe; one decoder per stream.

    Args:
        max_event_size: The most bytes one pending event (its lines so far plus
            an incomplete line) may hold before `SSEDecodeError`.

    Raises:
        ValueError: *max_event_size* is not positive.
    """

    __slots__ = (
        "_closed",
        "_data",
        "_dirty",
        "_error",
        "_event",
        "_last_id",
        "_max",
        "_partial",
        "_partial_len",
        "_retry",
        "_size",
        "_skip_lf",
        "_started",
    )

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size <= 0:
            msg = f"max_event_size must be a positive number of bytes, got {max_event_size!r}"
            raise ValueError(msg)
        self._max = max_event_size
        # Bytes after the last line end, kept as a list so that one long line
        # arriving in many small chunks is joined once, not once per chunk.
        self._partial: list[bytes] = []
        self._partial_len = 0
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._started = False  # the BOM check is done
        self._closed = False
        self._error: SSEDecodeError | None = None
        # The pending event: raw data lines (decoded at dispatch), its type,
        # retry, and the bytes of its lines so far.
        self._data: list[bytes] = []
        self._event: str = ""
        self._retry: int | None = None
        self._size = 0
        self._dirty = False  # a non-data field line was seen since the last blank line
        self._last_id: str | None = None

    @property
    def max_event_size(self) -> int:
        """The bound on one event's buffered bytes."""
        return self._max

    @property
    def pending(self) -> bool:
        """Whether the stream so far stops in the middle of an event.

        True when there is an incomplete line, or field lines not yet followed
        by their blank line. After `close`, it says whether the stream was
        truncated; such an event is never dispatched.
        """
        return bool(self._partial or self._data or self._dirty)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Parse the next chunk of the stream.

        Args:
            chunk: The next bytes of the body; it may split a line, an event or
                a UTF-8 character anywhere.

        Returns:
            The events completed by this chunk, in order (often none).

        Raises:
            SSEDecodeError: Invalid UTF-8, or an event over ``max_event_size``
                (raised on the next call when this chunk completed events first).
            RuntimeError: The decoder was closed.
        """
        if self._error is not None or self._closed:
            self._refuse()
        if self._skip_lf or not self._started:
            chunk = self._prepare(chunk)
        if b"\n" not in chunk and b"\r" not in chunk:
            self._hold(chunk)
            return []
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
            self._partial = []
            self._partial_len = 0
        if b"\r" in chunk:
            if chunk[-1] == 0x0D:
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        events: list[ServerSentEvent] = []
        try:
            self._feed_blocks(chunk, events)
            if self._size + self._partial_len > self._max:
                raise self._too_large()
        except UnicodeDecodeError as exc:
            self._error = SSEDecodeError(
                f"the event stream is not valid UTF-8 ({exc.reason} at byte {exc.start} of "
                "an event's data or field)"
            )
            if not events:
                raise self._error from None
        except SSEDecodeError as exc:
            self._error = exc
            if not events:
                raise
        return events

    def close(self) -> list[ServerSentEvent]:
        """Mark the end of the stream.

        An event without its blank line, or an incomplete last line, is not
        dispatched (the spec's rule); `pending` then stays true so the caller
        can report a truncated stream. Calling it again does nothing.

        Returns:
            The events the end of the stream completes: always empty, kept so
            that callers treat `feed` and `close` alike.

        Raises:
            SSEDecodeError: An error found while parsing the last chunk.
        """
        if self._error is not None:
            raise self._error
        self._closed = True
        return []

    def _refuse(self) -> NoReturn:
        if self._error is not None:
            raise self._error
        msg = "SSEDecoder.feed() called after close()"
        raise RuntimeError(msg)

    def _prepare(self, chunk: bytes) -> bytes:
        """Drop a leading BOM (which may arrive split), or an LF that ends a CRLF."""
        if not self._started:
            if self._partial:
                chunk = b"".join((*self._partial, chunk))
                self._partial = []
                self._partial_len = 0
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                # Too short to decide. Held like an incomplete line, but not
                # counted against the size bound: it may be the BOM.
                if chunk:
                    self._partial.append(chunk)
                    self._partial_len = len(chunk)
                return b""
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        elif chunk:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        return chunk

    def _hold(self, piece: bytes) -> None:
        """Keep bytes of an incomplete line, without copying what is already held."""
        if piece:
            self._partial.append(piece)
            self._partial_len += len(piece)
            if self._size + self._partial_len > self._max:
                self._error = self._too_large()
                raise self._error

    def _feed_blocks(self, chunk: bytes, events: list[ServerSentEvent]) -> None:
        """Parse a chunk with LF line ends, keeping what follows its last line end.

        The chunk is cut at blank lines (``b"\\n\\n"``), so that the usual event,
        one ``data: ...`` line, is recognised and built with a handful of
        operations; any other block goes through the line-by-line path.
        """
        blocks = chunk.split(b"\n\n")
        head, newline, tail = blocks.pop().rpartition(b"\n")
        if tail:
            self._partial.append(tail)
            self._partial_len = len(tail)
        # Locals: attribute access per event is a large share of the cost.
        size = self._size
        max_size = self._max
        last_id = self._last_id
        append_event = events.append
        for block in blocks:
            # size == 0: no line of the pending event yet, so its type and retry
            # are unset and the block alone is the event. Two shapes are common
            # enough for a fast path: `data: ...` (chat completions) and
            # `event: ...\ndata: ...` (the Responses API).
            if size == 0 and block[:6] == b"data: " and b"\n" not in block:
                if len(block) > max_size:
                    raise self._too_large()
                append_event(
                    _new_event(ServerSentEvent, ("message", block[6:].decode(), last_id, None))
                )
            elif (
                size == 0
                and block[:7] == b"event: "
                and (newline_at := block.find(b"\n")) > 0
                and block[newline_at + 1 : newline_at + 7] == b"data: "
                and block.find(b"\n", newline_at + 1) < 0
            ):
                if len(block) - 1 > max_size:
                    raise self._too_large()
                append_event(
                    _new_event(
                        ServerSentEvent,
                        (
                            block[7:newline_at].decode() or "message",
                            block[newline_at + 7 :].decode(),
                            last_id,
                            None,
                        ),
                    )
                )
            else:
                self._size = size
                lines = block.split(b"\n")
                lines.append(b"")
                self._feed_lines(lines, events)
                size = self._size
                last_id = self._last_id
        self._size = size
        if newline:
            self._feed_lines(head.split(b"\n"), events)

    def _feed_lines(self, lines: list[bytes], events: list[ServerSentEvent]) -> None:
        """Apply complete lines (without their line ends) to the pending event."""
        data = self._data
        size = self._size
        max_size = self._max
        try:
            for line in lines:
                if line:
                    size += len(line)
                    if line.startswith(b"data:"):
                        data.append(line[6:] if line[5:6] == b" " else line[5:])
                    else:
                        self._field(line)
                elif size > max_size:
                    raise self._too_large()
                else:
                    if data:
                        events.append(
                            _new_event(
                                ServerSentEvent,
                                (
                                    self._event or "message",
                                    b"\n".join(data).decode(),
                                    self._last_id,
                                    self._retry,
                                ),
                            )
                        )
                        data.clear()
                    # Dispatched or not, a blank line ends the pending event.
                    self._event = ""
                    self._retry = None
                    self._dirty = False
                    size = 0
        finally:
            self._size = size

    def _field(self, line: bytes) -> None:
        """Apply one non-blank line that is not a ``data:`` line (the slow path)."""
        if line[0] == 0x3A:  # ":" starts a comment
            line.decode()  # still refuse invalid UTF-8, wherever it is
            return
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode()
            self._dirty = True
        elif name == b"id":
            if b"\0" not in value:
                self._last_id = value.decode()
            else:
                value.decode()
            self._dirty = True
        elif name == b"retry":
            if value.isdigit():  # bytes.isdigit() is ASCII digits only
                self._retry = int(value)
                self._dirty = True
            else:
                value.decode()
        else:
            line.decode()

    def _too_large(self) -> SSEDecodeError:
        return SSEDecodeError(
            f"an event in the stream is larger than max_event_size={self._max} bytes "
            "(the limit on one event's buffered lines); raise max_event_size if the "
            "server really sends events this large"
        )


async def aiter_sse(
    byte_chunks: AsyncIterable[bytes], *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """Yield the events of an event stream given as an async iterable of byte chunks.

    An event cut off by the end of the stream is dropped, as the spec says; use
    `SSEDecoder` directly (and its `SSEDecoder.pending`) to detect truncation.

    Args:
        byte_chunks: The body's chunks, e.g. ``response.aiter_bytes()``.
        max_event_size: The bound on one event's buffered bytes.

    Raises:
        SSEDecodeError: Invalid UTF-8, or an event over *max_event_size*.
    """
    decoder = SSEDecoder(max_event_size=max_event_size)
    async for chunk in byte_chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
