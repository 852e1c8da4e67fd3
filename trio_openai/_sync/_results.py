"""What sync methods return when the async method returns something async.

Each wraps its async counterpart and forwards to it through the sync client's
`Portal`: `SyncPage` (a list's page; iterating it walks every page), `SyncStream`
(an event stream: an iterator that closes its response on ``break``, on error
and at the end of its ``with`` block), `SyncStreamedResponse` (a body not read
yet), `SyncBinaryResponse` (a binary body, written to a file without a loop) and
`SyncContext` (an async context manager, used with ``with``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final, overload

from .._api._response import _Metadata, body_text

if TYPE_CHECKING:
    import httpx2
    from typing_extensions import Self

    from .._api._pagination import Page
    from .._api._response import BinaryResponse, StreamedResponse  # noqa: F401 - in a string base
    from .._api._streaming import Stream
    from ..types.chat import CreateChatCompletionResponse, CreateChatCompletionStreamResponse
    from ..types.responses import Response, ResponseStreamEvent
    from ._portal import Held, Portal

__all__ = [
    "SyncBinaryResponse",
    "SyncContext",
    "SyncPage",
    "SyncStream",
    "SyncStreamedResponse",
]

T = TypeVar("T")
X = TypeVar("X")

# Read ahead on the loop, so that a fast stream costs one thread round trip per
# batch rather than per item (see `Held.iterate`); bounded, so memory stays bounded.
_EVENTS_AHEAD = 64
_BYTES_AHEAD = 8
Y = TypeVar("Y")


@final
class SyncPage(Generic[T]):
    """One page of a list, from the sync client.

    ``page.data`` holds this page's items; iterating the page yields them and then
    those of every following page, fetched as iteration reaches them (as the
    official SDK's sync pages do).

    Attributes:
        data: The items of this page.
        has_more: Whether the server has more items after this page.
        body: The typed list object the server sent.
        next_cursor: The cursor that asks for the next page, if any.
    """

    __slots__ = ("_page", "_portal", "body", "data", "has_more", "next_cursor")

    def __init__(self, portal: Portal, page: Page[T]) -> None:
        self._portal = portal
        self._page = page
        self.data: Sequence[T] = page.data
        self.has_more = page.has_more
        self.body: Any = page.body
        self.next_cursor = page.next_cursor

    def __repr__(self) -> str:
        return f"<SyncPage of {len(self.data)} items, has_more={self.has_more}>"

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    @property
    def _request_id(self) -> str | None:
        """The ``x-request-id`` of the answer this page came from (as the official SDK's)."""
        return self._page._request_id

    def has_next_page(self) -> bool:
        """Whether a following page exists (`next_page` would fetch it)."""
        return self._page.has_next_page()

    def next_page(self) -> SyncPage[T] | None:
        """Fetch the following page, or return ``None`` on the last one."""
        if not self._page.has_next_page():
            return None
        page = self._portal.run(self._page.next_page)
        return None if page is None else SyncPage(self._portal, page)

    def get_next_page(self) -> SyncPage[T]:
        """Fetch the following page, as the official SDK: check `has_next_page` first.

        Raises:
            RuntimeError: This is the last page.
        """
        page = self.next_page()
        if page is None:
            msg = "No next page: check `.has_next_page()` before calling `.get_next_page()`."
            raise RuntimeError(msg)
        return page

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """Yield this page, then each following page in turn."""
        page: SyncPage[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()


class ClosedOnExit:
    """A mixin for things with a ``close()``: ``with`` gives the object and closes it at the end."""

    __slots__ = ()

    def close(self) -> None:
        """Release what the object holds. Idempotent."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _HeldValue(ClosedOnExit, Generic[X]):
    """A wrapper around a value held open on the loop; `close` releases it."""

    __slots__ = ("_held",)

    def __init__(self, held: Held[X]) -> None:
        self._held = held

    def close(self) -> None:
        """Leave the underlying ``async with`` block (closing the response). Idempotent."""
        self._held.release()


@final
class SyncContext(Generic[X, Y]):
    """A context manager that opens an async one on the sync client's loop.

    ``with ... as value:`` enters it; `enter` does the same for code that cannot
    use a ``with`` block (a Jupyter session spread over cells): then call the
    value's ``close()`` when done.
    """

    __slots__ = ("_open", "_portal", "_value", "_wrap")

    def __init__(
        self,
        portal: Portal,
        open_cm: Callable[[], AbstractAsyncContextManager[X]],
        wrap: Callable[[Held[X]], Y],
    ) -> None:
        self._portal = portal
        self._open = open_cm
        self._wrap = wrap
        self._value: list[Y] = []

    def enter(self) -> Y:
        """Open it and return the value; its ``close()`` closes it.

        Raises:
            RuntimeError: This context manager was already entered.
        """
        if self._value:
            msg = "This context manager was already entered; call the method again for another."
            raise RuntimeError(msg)
        value = self._wrap(self._portal.hold(self._open))
        self._value.append(value)
        return value

    def __enter__(self) -> Y:
        return self.enter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._value:
            self._value[0].close()  # type: ignore[attr-defined]


@final
class SyncStreamedResponse(_HeldValue["StreamedResponse"], _Metadata):
    """A response whose body has not been read yet (``with ....with_streaming_response(...)``)."""

    __slots__ = ()

    @property
    def http_response(self) -> httpx2.Response:  # type: ignore[override]
        """The underlying response, open until the ``with`` block ends."""
        return self._held.value.http_response

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the body as it arrives.

        Raises:
            APIConnectionError: The connection dropped mid-body.
        """
        return self._held.iterate(self._held.value.aiter_bytes(), prefetch=_BYTES_AHEAD)

    def read(self) -> bytes:
        """Read the rest of the body into memory."""
        return self._held.portal.run(self._held.value.read)

    def write_to_file(self, path: str | os.PathLike[str]) -> int:
        """Stream the body to *path* chunk by chunk; return the number of bytes written."""
        return self._held.portal.run(self._held.value.write_to_file, path)


@final
class SyncBinaryResponse(_Metadata):
    """A binary body (audio, file content), fully read, from the sync client.

    Attributes:
        content: The body.
        http_response: The underlying response.
    """

    __slots__ = ("content", "http_response")

    def __init__(self, response: BinaryResponse) -> None:
        self.content = response.content
        self.http_response = response.http_response

    def __repr__(self) -> str:
        return f"<SyncBinaryResponse {len(self.content)} bytes {self.content_type!r}>"

    @property
    def content_type(self) -> str | None:
        """The ``content-type`` header."""
        return self.http_response.headers.get("content-type")

    @property
    def text(self) -> str:
        """The body decoded as text (for text files)."""
        return body_text(self.http_response, self.content)

    def write_to_file(self, path: str | os.PathLike[str]) -> None:
        """Write the body to *path*."""
        Path(path).write_bytes(self.content)


@final
class SyncStream(_Metadata, ClosedOnExit, Generic[T]):
    """An event stream from the sync client: iterate it for typed events.

    Use ``with client.chat.completions.stream(...) as stream: for chunk in stream``;
    leaving the block closes the response. A plain ``for chunk in ...stream(...)``
    works too: the response opens on the first ``next()`` and closes when the loop
    ends, raises, or is left by ``break`` (when the iterator is dropped).

    Chat and Responses API streams have the async stream's folds, blocking:
    `get_final_completion`, `get_final_response` and `text_deltas`. After a
    loop that ran to the end they return what it saw; a loop left by ``break``
    has closed the stream, so they raise `StreamInterruptedError` then (unless
    the read-ahead had reached the end).
    """

    __slots__ = ("_held", "_open", "_portal")

    def __init__(
        self, portal: Portal, open_stream: Callable[[], AbstractAsyncContextManager[Stream[T]]]
    ) -> None:
        self._portal = portal
        self._open = open_stream
        self._held: Held[Stream[T]] | None = None

    def _stream(self) -> Held[Stream[T]]:
        if self._held is None:
            self._held = self._portal.hold(self._open)
        return self._held

    @property
    def http_response(self) -> httpx2.Response:  # type: ignore[override]
        """The underlying response (opens the stream if it is not open yet)."""
        return self._stream().value.http_response

    @property
    def completed(self) -> bool:
        """Whether the stream reached its terminal marker."""
        return self._held is not None and self._held.value.completed

    def __enter__(self) -> Self:
        self._stream()
        return self

    def __iter__(self) -> Iterator[T]:
        held = self._stream()
        try:
            yield from held.iterate(held.value.__aiter__(), prefetch=_EVENTS_AHEAD)
        finally:
            self.close()

    def get_final_completion(
        self: SyncStream[CreateChatCompletionStreamResponse],
    ) -> CreateChatCompletionResponse:
        """The `ChatCompletion` the chunks add up to, reading the rest first (see `Stream`).

        Raises:
            StreamInterruptedError: The stream ended, or was closed, before ``[DONE]``.
        """
        return self._portal.run(self._stream().value.get_final_completion)

    def get_final_response(self: SyncStream[ResponseStreamEvent]) -> Response:
        """The `Response` of the terminal event, reading the rest first (see `Stream`).

        Raises:
            StreamInterruptedError: The stream ended, or was closed, before its terminal event.
        """
        return self._portal.run(self._stream().value.get_final_response)

    @overload
    def text_deltas(self: SyncStream[CreateChatCompletionStreamResponse]) -> Iterator[str]: ...
    @overload
    def text_deltas(self: SyncStream[ResponseStreamEvent]) -> Iterator[str]: ...
    def text_deltas(self) -> Iterator[str]:
        """Iterate the text deltas only (see `Stream.text_deltas`); closes as a loop does.

        Raises:
            TypeError: The stream is neither a chat nor a Responses API stream.
        """
        held = self._stream()
        deltas = held.value.text_deltas()  # type: ignore[misc] # the overloads say which
        return self._closing(held.iterate(deltas, prefetch=_EVENTS_AHEAD))

    def _closing(self, items: Iterator[X]) -> Iterator[X]:
        try:
            yield from items
        finally:
            self.close()

    def close(self) -> None:
        """Close the response (releasing its connection). Idempotent."""
        if self._held is not None:
            self._held.release()
