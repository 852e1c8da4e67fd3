"""Where a response is streamed: Server-Sent Events decoded into typed events.

``async with client.chat.completions.stream(...) as stream: async for chunk in stream``.
Leaving the block (normally, by ``break``, by an exception or by cancellation)
closes the HTTP response, which releases or closes its connection.

A stream must end with its terminal marker: ``data: [DONE]`` for chat and
completions, a ``response.completed`` / ``response.failed`` /
``response.incomplete`` event for responses. A body that ends before it raises
`StreamInterruptedError` rather than ending silently; an ``error`` event or an
``{"error": ...}`` payload raises `APIStreamError`.

Chat and Responses API streams also fold the events they yield (``_accumulate.py``):
``await stream.get_final_completion()`` (chat) or ``get_final_response()``
(responses) returns the whole answer, reading whatever the caller has not
iterated yet, and ``stream.text_deltas()`` yields only the text. Their
``self`` types make them exist, for the type checker, only on those streams.

Reading stops at the terminal marker: nothing after it counts, so the stream
does not wait for the server to end the body (a server that keeps it open
would otherwise hold the iteration until the read timeout) and closes the
response at once. With ``end="event"`` the terminal event does not end the
body (several images each end with one), so reading goes on; but once a
terminal event has arrived the stream is complete, and a connection that then
drops or times out ends the iteration quietly. A completed stream is never
reported as interrupted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final, overload

from .._convert._decode import lend_stack, structure_as
from .._convert._fast import fast_loads
from .._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    StreamInterruptedError,
)
from ._accumulate import RESPONSE_TERMINAL, ChatFold, Fold, ResponseFold, fold_for
from ._response import _Metadata

if TYPE_CHECKING:
    import httpx2

    from .._convert._sse import ServerSentEvent
    from .._http._spec import StreamEnd, StreamSpec
    from ..types.chat import CreateChatCompletionResponse, CreateChatCompletionStreamResponse
    from ..types.responses import Response, ResponseStreamEvent

__all__ = ["Stream"]

T = TypeVar("T")
F = TypeVar("F", bound=Fold)


@final
class Stream(_Metadata, Generic[T]):
    """An open event stream: iterate it for typed events.

    Attributes:
        http_response: The underlying response (headers, request id via the
            properties shared with `APIResponse`).
    """

    __slots__ = (
        "_closed",
        "_done",
        "_end",
        "_envelope",
        "_event_type",
        "_fold",
        "_hook",
        "_iterator",
        "_terminal",
        "http_response",
        "max_event_size",
    )

    def __init__(
        self, response: httpx2.Response, spec: StreamSpec[T], *, max_event_size: int
    ) -> None:
        self.http_response = response
        self._event_type = spec.event
        self._end: StreamEnd = spec.end
        self._terminal = RESPONSE_TERMINAL if spec.end == "response" else spec.terminal
        self._envelope = spec.envelope
        self._done = False
        self._closed = False
        self._fold = fold_for(spec)
        self._hook: Callable[[Any, Any], Any] | None = None
        self.max_event_size = max_event_size
        self._iterator: AsyncIterator[T] | None = None

    def __aiter__(self) -> AsyncIterator[T]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    @property
    def completed(self) -> bool:
        """Whether the terminal marker has been received."""
        return self._done

    async def aclose(self) -> None:
        """Stop reading and close the response (``async with`` does this for you)."""
        self._closed = True
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        await self.http_response.aclose()

    # One generator on purpose: a helper generator would add a hop per event.
    async def _events(self) -> AsyncIterator[T]:  # noqa: PLR0912
        from .._convert._fast import structure_hook
        from .._convert._sse import SSEDecodeError, SSEDecoder
        from .._http._send import READ_ERRORS, event_stream_chunks, read_error

        response = self.http_response
        decoder = SSEDecoder(max_event_size=self.max_event_size)
        feed = decoder.feed
        # Looked up once per stream; `_event` falls back to the detailed path on failure.
        self._hook = structure_hook(self._event_type)
        event = self._event
        # With these ends the marker is the last thing that counts: stop there.
        stops = self._end in ("done", "response")
        # The fewest layers between the socket and the parser: one event often
        # arrives alone, and every async generator in between costs per chunk.
        chunks = event_stream_chunks(response)
        try:
            try:
                async for chunk in chunks:
                    for sse in feed(chunk):
                        if sse.data == "[DONE]":
                            self._done = self._done or self._end == "done"
                        else:
                            yield event(sse)
                        if self._done and stops:
                            break
                    if self._done and stops:
                        await _drain(chunks)
                        break
                else:
                    decoder.close()
            except READ_ERRORS as exc:
                raise read_error(exc, response, stream=True) from exc
            finally:
                # Closed here, not left suspended for the garbage collector, when we stop early.
                close = getattr(chunks, "aclose", None)
                if close is not None:
                    await close()
        except SSEDecodeError as exc:
            raise APIResponseValidationError(
                f"Malformed event stream from {response.request.url.path}: {exc}",
                response=response,
            ) from exc
        except APIConnectionError:
            # A drop or a read timeout after the terminal event (end="event"): the
            # stream is complete, whatever more might have followed.
            if not self._done:
                raise
        # Whatever the drain did not read is never read; at the end of the body
        # the connection goes back to the pool (or is closed) now, not when the
        # caller leaves the block.
        await response.aclose()
        if not self._done and self._end != "none":
            raise self._interrupted()

    def _event(self, sse: ServerSentEvent) -> T:
        """Decode one event (not ``[DONE]``), noting whether it is the terminal one."""
        payload = self._payload(sse.data, sse.event)
        if self._terminal and payload.get("type") in self._terminal:
            self._done = True
        if self._envelope:
            payload = {"event": sse.event, "data": payload}
        hook = self._hook
        if hook is None:
            event: T = payload
        else:
            try:
                event = hook(payload, self._event_type)
            except Exception:  # noqa: BLE001 - the detailed path raises the clear error
                # Walks the data again to name the JSON path of the failure.
                event = structure_as(payload, self._event_type, self.http_response)
        if self._fold is not None:
            self._fold.add(event)
        return event

    async def get_final_completion(
        self: Stream[CreateChatCompletionStreamResponse],
    ) -> CreateChatCompletionResponse:
        """The `ChatCompletion` the stream's chunks add up to (chat completion streams).

        Chunks already iterated count; the rest of the stream is read first (no
        second request). Content, refusal and tool-call arguments are joined per
        choice (tool calls per index), logprobs concatenated, and the usage is
        the usage chunk's.

        Raises:
            StreamInterruptedError: The stream ended, or was closed, before ``[DONE]``.
            APIStreamError: The server reported an error in the stream.
        """
        return (await self._finish(ChatFold)).completion()

    async def get_final_response(self: Stream[ResponseStreamEvent]) -> Response:
        """The `Response` of the stream's terminal event (Responses API streams).

        That is the ``response.completed``, ``response.failed`` or
        ``response.incomplete`` event's (check its ``status``); the rest of the
        stream is read first if the caller has not (no second request).

        Raises:
            StreamInterruptedError: The stream ended, or was closed, before its terminal event.
            APIStreamError: The server reported an error in the stream.
        """
        response = (await self._finish(ResponseFold)).response
        if response is None:  # pragma: no cover - completed means a terminal event came
            raise self._interrupted()
        return response

    @overload
    def text_deltas(self: Stream[CreateChatCompletionStreamResponse]) -> AsyncIterator[str]: ...
    @overload
    def text_deltas(self: Stream[ResponseStreamEvent]) -> AsyncIterator[str]: ...
    def text_deltas(self) -> AsyncIterator[str]:
        """Iterate the text deltas only: choice 0's ``delta.content`` (chat), or the
        ``response.output_text.delta`` events' ``delta`` (responses).

        It reads the same events as iterating the stream (from where that
        left off), so `get_final_completion` / `get_final_response` afterwards
        still see everything.

        Raises:
            TypeError: The stream is neither a chat nor a Responses API stream.
        """
        fold = self._fold
        if fold is None:
            msg = "text_deltas() needs a chat completion or Responses API stream."
            raise TypeError(msg)
        return self._text_deltas(fold)

    async def _text_deltas(self, fold: Fold) -> AsyncIterator[str]:
        async for event in self:
            delta = fold.text_delta(event)
            if delta:
                yield delta

    async def _finish(self, kind: type[F]) -> F:
        """Read the stream to its end and return its fold, which must be a *kind*."""
        fold = self._fold
        if not isinstance(fold, kind):
            msg = f"This stream's events do not fold into a {kind.__name__[:-4].lower()} answer."
            raise TypeError(msg)
        if not self._done:
            async for _ in self:
                pass
        if not self._done:
            # Iteration raised this already, or the stream was closed before its end.
            raise self._interrupted()
        return fold

    def _interrupted(self) -> StreamInterruptedError:
        request = self.http_response.request
        if self._end == "done":
            marker = "data: [DONE]"
        else:
            marker = "a final event (" + ", ".join(sorted(self._terminal)) + ")"
        why = "stream closed" if self._closed else "connection dropped or server stopped"
        return StreamInterruptedError(
            f"The event stream from {request.url.path} ended before {marker}: "
            f"the answer is incomplete ({why}).",
            request=request,
        )

    def _not_json(self, exc: ValueError, data: str) -> APIResponseValidationError:
        response = self.http_response
        return APIResponseValidationError(
            f"An event from {response.request.url.path} is not valid JSON ({exc}): {data[:200]!r}",
            response=response,
            body=data,
        )

    def _payload(self, data: str, event_name: str) -> Any:
        response = self.http_response
        try:
            payload = fast_loads(data)
        except ValueError as exc:
            # Lent stack: a JSONDepthError may come from a deep caller's stack.
            raise lend_stack(partial(self._not_json, exc, data)) from exc
        if not isinstance(payload, dict):
            raise APIResponseValidationError(
                f"An event from {response.request.url.path} is not a JSON object: {data[:200]!r}",
                response=response,
                body=payload,
            )
        if (
            event_name == "error"
            or payload.get("type") == "error"
            or payload.get("error") is not None
        ):
            error = payload.get("error", payload)
            message = error.get("message") if isinstance(error, dict) else None
            raise APIStreamError(
                f"The server reported an error in the stream: {message or error!r}",
                request=response.request,
                body=payload,
            )
        return payload


_DRAIN_GRACE = 0.05
_DRAIN_LIMIT = 64 * 1024


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows the terminal marker for a moment, so the connection can be pooled.

    A server ends the body right after the marker (the end of the chunked body
    usually comes in the same packet); reading it lets the connection go back to
    the pool instead of being closed. One that holds the body open, or keeps
    sending, gets `_DRAIN_GRACE` seconds or `_DRAIN_LIMIT` bytes, then the
    response is closed: nothing after the marker counts either way.
    """
    import trio

    drained = 0
    with trio.move_on_after(_DRAIN_GRACE):
        async for chunk in chunks:
            drained += len(chunk)
            if drained > _DRAIN_LIMIT:
                return
