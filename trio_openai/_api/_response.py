"""Results that carry their HTTP response: raw responses, binary bodies, streamed bodies.

The one documented way to reach HTTP metadata (request id, ``x-ratelimit-*``
headers, processing time, retries) is the raw variant every API method has::

    raw = await client.chat.completions.create.with_raw_response(model=..., messages=...)
    raw.request_id, raw.ratelimit.remaining_requests, raw.processing_ms
    completion = raw.parse()

Errors carry the same metadata (`APIStatusError.headers`, `.request_id`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Generic, TypeVar, final

import attrs

from .._options import DEFAULT_MAX_RESPONSE_SIZE

if TYPE_CHECKING:
    import httpx2

__all__ = ["APIResponse", "BinaryResponse", "RateLimitInfo", "StreamedResponse", "body_text"]

T = TypeVar("T")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class RateLimitInfo:
    """The ``x-ratelimit-*`` headers of a response (``None`` where absent).

    Attributes:
        limit_requests: Requests allowed per window.
        limit_tokens: Tokens allowed per window.
        remaining_requests: Requests left in the window.
        remaining_tokens: Tokens left in the window.
        reset_requests: When the request budget resets, as the server wrote it (e.g. ``"1s"``).
        reset_tokens: When the token budget resets, as the server wrote it (e.g. ``"6m0s"``).
    """

    limit_requests: int | None
    limit_tokens: int | None
    remaining_requests: int | None
    remaining_tokens: int | None
    reset_requests: str | None
    reset_tokens: str | None

    @classmethod
    def from_headers(cls, headers: httpx2.Headers) -> RateLimitInfo:
        """Read the rate-limit headers of a response."""
        return cls(
            limit_requests=_int(headers.get("x-ratelimit-limit-requests")),
            limit_tokens=_int(headers.get("x-ratelimit-limit-tokens")),
            remaining_requests=_int(headers.get("x-ratelimit-remaining-requests")),
            remaining_tokens=_int(headers.get("x-ratelimit-remaining-tokens")),
            reset_requests=headers.get("x-ratelimit-reset-requests"),
            reset_tokens=headers.get("x-ratelimit-reset-tokens"),
        )


class _Metadata:
    """HTTP metadata shared by every response wrapper."""

    __slots__ = ()

    if TYPE_CHECKING:
        http_response: httpx2.Response

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        """The response headers."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header: quote it to support."""
        return self.http_response.headers.get("x-request-id")

    @property
    def processing_ms(self) -> int | None:
        """The server's processing time (``openai-processing-ms``), in milliseconds."""
        return _int(self.http_response.headers.get("openai-processing-ms"))

    @property
    def ratelimit(self) -> RateLimitInfo:
        """The ``x-ratelimit-*`` headers."""
        return RateLimitInfo.from_headers(self.http_response.headers)

    @property
    def elapsed(self) -> dt.timedelta:
        """Time from sending the request to reading the response (the last attempt)."""
        return self.http_response.elapsed


@final
@attrs.define(eq=False)
class APIResponse(_Metadata, Generic[T]):
    """A finished call with its HTTP metadata; `parse` gives the typed result.

    Attributes:
        http_response: The underlying response; its body has been read.
        retries_taken: How many retries the call needed.
    """

    http_response: httpx2.Response
    retries_taken: int
    content: bytes = attrs.field(repr=False)
    _parse: Callable[[], T] = attrs.field(alias="parse")
    _parsed: list[T] = attrs.field(factory=list, init=False)

    def parse(self) -> T:
        """Decode the body into the method's usual result (once; later calls reuse it)."""
        if not self._parsed:
            self._parsed.append(self._parse())
        return self._parsed[0]

    @property
    def text(self) -> str:
        """The body as text."""
        return body_text(self.http_response, self.content)


@final
@attrs.define(eq=False)
class BinaryResponse(_Metadata):
    """A binary body (audio, file content), fully read.

    Attributes:
        content: The body.
        http_response: The underlying response.
    """

    content: bytes
    http_response: httpx2.Response

    @property
    def content_type(self) -> str | None:
        """The ``content-type`` header."""
        return self.http_response.headers.get("content-type")

    @property
    def text(self) -> str:
        """The body decoded as text (for text files)."""
        return body_text(self.http_response, self.content)

    async def write_to_file(self, path: str | os.PathLike[str]) -> None:
        """Write the body to *path* without blocking the event loop."""
        import trio

        await trio.Path(path).write_bytes(self.content)


@final
@attrs.define(eq=False)
class StreamedResponse(_Metadata):
    """A response whose body has not been read yet (from ``with_streaming_response``).

    Attributes:
        http_response: The underlying response, open until the ``async with`` block ends.
    """

    http_response: httpx2.Response
    max_size: int = DEFAULT_MAX_RESPONSE_SIZE

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives.

        Raises:
            APIConnectionError: The connection dropped mid-body.
        """
        from .._http._send import aiter_body

        async for chunk in aiter_body(self.http_response):
            yield chunk

    async def read(self) -> bytes:
        """Read the rest of the body into memory (at most the client's ``max_response_size``).

        Raises:
            ResponseTooLargeError: The body is larger; iterate `aiter_bytes` or
                use `write_to_file` instead, which hold one chunk at a time.
            APIConnectionError: The connection dropped mid-body.
        """
        from .._http._send import collect

        return await collect(self.http_response, self.max_size)

    async def write_to_file(self, path: str | os.PathLike[str]) -> int:
        """Stream the body to *path* chunk by chunk; return the number of bytes written.

        Memory use stays at one network chunk whatever the body's size.
        """
        import trio

        written = 0
        async with await trio.open_file(path, "wb") as file:
            async for chunk in self.aiter_bytes():
                await file.write(chunk)
                written += len(chunk)
        return written


def body_text(response: httpx2.Response, content: bytes) -> str:
    """*content* decoded with *response*'s charset (UTF-8 by default), bad bytes replaced."""
    try:
        return content.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")
