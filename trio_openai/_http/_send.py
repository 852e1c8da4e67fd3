"""Where a request is sent: the only module that calls httpx2's I/O.

httpx2's exceptions are translated here into ours (`APIConnectionError`,
`APITimeoutError`), so nothing above this boundary needs to know httpx2's
exception tree. ``trio.Cancelled`` passes through untouched; when it arrives
mid-body the response is closed, which closes (rather than pools) its connection.

Three rules a hostile server cannot bend:

- A body read into memory stops at the client's ``max_response_size``,
  counted after decompression as it arrives (`read_body`, `collect`): httpx2
  inflates in pieces of at most 1 MiB, so a compression bomb costs the limit
  plus one piece, never the whole bomb.
- Redirects are never followed by httpx2 itself. A pool the caller made with
  ``follow_redirects=True`` has them followed here (`open_response`), and a hop
  to another origin (scheme, host or port) drops every header not on the
  public allow-list, so no key header (``Authorization``, Azure's ``api-key``,
  a gateway's custom header) is sent to a server the caller did not name.
- A TLS failure says what the certificate problem is.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncGenerator, AsyncIterator

import httpx2

from .._errors import (
    APIConnectionError,
    APITimeoutError,
    ResponseTooLargeError,
    StreamInterruptedError,
)
from .._options import DEFAULT_MAX_RESPONSE_SIZE
from ._auth import strip_credentials

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "READ_ERRORS",
    "aiter_body",
    "collect",
    "event_stream_chunks",
    "open_response",
    "read_body",
    "read_error",
]

READ_ERRORS = (httpx2.TransportError, httpx2.DecodingError)
"""What reading a body may raise from httpx2; `read_error` translates them."""

# Methods that keep their body across a 301/302 redirect (everything else becomes GET,
# as browsers and httpx2 do).
_KEEP_METHOD = frozenset({307, 308})


def _tls_problem(exc: BaseException) -> str | None:
    """The certificate or handshake problem inside *exc*'s chain of causes, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = current.verify_message or current.reason or str(current)
            return (
                f"TLS certificate verification failed: {detail}. The server's certificate is "
                "not trusted by the client's CA bundle (pass http_client= with its own "
                "verify= to trust another CA)"
            )
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed: {current.reason or current}"
        current = current.__cause__ or current.__context__
    return None


def _connection_error(exc: httpx2.HTTPError, request: httpx2.Request) -> APIConnectionError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    if isinstance(exc, httpx2.TimeoutException):
        kind = type(exc).__name__.replace("Timeout", " timeout").strip().lower()
        return APITimeoutError(
            f"Request timed out ({kind}) on {where}. Raise `timeout=` or check the server.",
            request=request,
        )
    if isinstance(exc, httpx2.DecodingError):
        return APIConnectionError(
            f"The response body from {where} could not be decompressed ({exc}).",
            request=request,
        )
    detail = _tls_problem(exc) or str(exc) or type(exc).__name__
    return APIConnectionError(
        f"Connection error on {where}: {detail}. Check base_url and the network; "
        "the call is retried if the retry policy allows.",
        request=request,
    )


async def _send_one(http: httpx2.AsyncClient, request: httpx2.Request) -> httpx2.Response:
    try:
        return await http.send(request, stream=True, follow_redirects=False)
    except httpx2.TransportError as exc:
        raise _connection_error(exc, request) from exc


async def open_response(http: httpx2.AsyncClient, request: httpx2.Request) -> httpx2.Response:
    """Send *request* and return the response with its body not yet read.

    Redirects are followed only when *http* was made with ``follow_redirects=True``
    (ours never is), up to its ``max_redirects``, dropping credential headers on a
    hop to another origin.

    Raises:
        APIConnectionError: The connection failed, or a redirect cannot be
            followed (too many, a non-HTTP target, a body that cannot be replayed).
        APITimeoutError: A timeout expired before the headers arrived.
    """
    # Not through `_send_one`: a request waiting for a connection holds one frame fewer.
    try:
        response = await http.send(request, stream=True, follow_redirects=False)
    except httpx2.TransportError as exc:
        raise _connection_error(exc, request) from exc
    if not http.follow_redirects:
        return response
    hops = 0
    while response.has_redirect_location:
        if hops >= http.max_redirects:
            await response.aclose()
            msg = f"More than {http.max_redirects} redirects from {request.url.path}."
            raise APIConnectionError(msg, request=request)
        try:
            following = _redirected(request, response)
        finally:
            await response.aclose()
        request = following
        response = await _send_one(http, request)
        hops += 1
    return response


def _redirected(request: httpx2.Request, response: httpx2.Response) -> httpx2.Request:
    """The request that follows *response*'s redirect."""
    location = response.headers["location"]
    try:
        url = request.url.join(location)
    except httpx2.InvalidURL as exc:
        msg = f"{request.url.path} redirected to an invalid URL ({exc})."
        raise APIConnectionError(msg, request=request) from None
    if url.scheme not in ("http", "https"):
        msg = f"{request.url.path} redirected to a {url.scheme or 'relative'}: URL; not followed."
        raise APIConnectionError(msg, request=request)
    status = response.status_code
    method = request.method
    # 303 turns anything but HEAD into GET; 301/302 turn POST into GET; 307/308 keep it.
    if (status == 303 and method != "HEAD") or (status not in _KEEP_METHOD and method == "POST"):
        method = "GET"
    headers = httpx2.Headers(request.headers)
    headers.pop("host", None)
    if _origin(url) != _origin(request.url):
        strip_credentials(headers)
    content: bytes | None = None
    if method == request.method:
        try:
            content = request.content
        except httpx2.RequestNotRead:
            msg = f"{request.url.path} redirected a streamed upload ({status}); not followed."
            raise APIConnectionError(msg, request=request) from None
    else:
        for name in ("content-type", "content-length", "transfer-encoding"):
            headers.pop(name, None)
    followed = httpx2.Request(
        method, url, headers=headers, content=content, extensions=request.extensions
    )
    followed.headers = type(request.headers)(followed.headers)  # keeps a redacted repr
    return followed


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _too_large(response: httpx2.Response, limit: int, size: int | None) -> ResponseTooLargeError:
    how = f"declares {size:,} bytes" if size is not None else "grew past it"
    return ResponseTooLargeError(
        f"The response body from {response.request.method} {response.request.url.path} "
        f"is larger than the client's max_response_size ({limit:,} bytes, decompressed): it "
        f"{how}. Stream a large download with .with_streaming_response, or raise "
        "open_client(max_response_size=...).",
        response=response,
        limit=limit,
    )


async def collect(response: httpx2.Response, limit: int) -> bytes:
    """Read the rest of *response*'s body (decompressed) into memory, up to *limit* bytes.

    Raises:
        ResponseTooLargeError: The body declares or reaches more than *limit* bytes.
        APIConnectionError: The connection dropped mid-body.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        raise _too_large(response, limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in aiter_body(response):
        size += len(chunk)
        if size > limit:
            chunks.clear()
            raise _too_large(response, limit, None)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(response: httpx2.Response, limit: int = DEFAULT_MAX_RESPONSE_SIZE) -> bytes:
    """Read the whole body of *response* (at most *limit* bytes), then release its connection.

    Raises:
        ResponseTooLargeError: The body is larger than *limit* (decompressed).
        APIConnectionError: The connection dropped mid-body.
        APITimeoutError: A read timeout expired mid-body.
    """
    try:
        return await collect(response, limit)
    except httpx2.StreamError as exc:  # e.g. a body read twice: a bug, but name it clearly
        raise APIConnectionError(
            f"Could not read the response body: {exc}", request=response.request
        ) from exc
    finally:
        await response.aclose()


async def aiter_body(
    response: httpx2.Response, *, stream: bool = False
) -> AsyncGenerator[bytes, None]:
    """Yield the body of *response* as it arrives (decompressed).

    Args:
        response: An open response.
        stream: Whether this is an event stream: a drop then raises
            `StreamInterruptedError` (never retried: events were already seen).

    Raises:
        APIConnectionError: The connection dropped mid-body, or the body does not
            decompress.
    """
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except READ_ERRORS as exc:
        raise read_error(exc, response, stream=stream) from exc


def read_error(
    exc: httpx2.TransportError | httpx2.DecodingError, response: httpx2.Response, *, stream: bool
) -> APIConnectionError:
    """Our error for *exc*, raised by httpx2 while reading *response*'s body.

    Args:
        exc: What httpx2 raised.
        response: The response being read.
        stream: Whether this is an event stream: a drop is then a
            `StreamInterruptedError` (never retried: events were already seen).
    """
    error = _connection_error(exc, response.request)
    if stream and not isinstance(error, APITimeoutError):
        return StreamInterruptedError(
            f"The stream was interrupted: {error.message}", request=response.request
        )
    return error


def event_stream_chunks(response: httpx2.Response) -> AsyncIterator[bytes]:
    """The body of an event stream as it arrives, through as few layers as possible.

    An event stream is read chunk by chunk, often one event per chunk: every
    async generator between the socket and the parser costs on each one. A body
    without a content encoding is taken straight from the transport's stream
    (the layer under ``aiter_raw``, which only counts bytes, and ``aiter_bytes``,
    which would decode nothing); the response is marked consumed, as
    ``aiter_raw`` does, and the caller must close it (``aiter_raw`` closed it at
    the end of the body); httpx2's ``num_bytes_downloaded`` is not counted on
    this path. Any other body goes through ``aiter_bytes`` (decompression).

    Iterating it raises httpx2's exceptions: translate `READ_ERRORS` with `read_error`.
    """
    stream = response.stream
    if (
        isinstance(stream, httpx2.AsyncByteStream)
        and not response.is_stream_consumed
        and not response.is_closed
        and not hasattr(response, "_content")
        and all(
            value.strip().lower() == "identity"
            for value in response.headers.get_list("content-encoding", split_commas=True)
        )
    ):
        response.is_stream_consumed = True
        return stream.__aiter__()
    return response.aiter_bytes()
