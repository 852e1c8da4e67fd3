"""Where a request is sent: the only module that calls httpx2's I/O.

httpx2's exceptions are translated here into ours (`APIConnectionError`,
`APITimeoutError`), so nothing above this boundary needs to know httpx2's
exception tree. ``trio.Cancelled`` passes through untouched; when it arrives
mid-body the response is closed, which closes (rather than pools) its connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2

from ._errors import APIConnectionError, APITimeoutError, StreamInterruptedError

__all__ = ["aiter_body", "open_response", "read_body"]


def _connection_error(exc: httpx2.TransportError, request: httpx2.Request) -> APIConnectionError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    if isinstance(exc, httpx2.TimeoutException):
        kind = type(exc).__name__.replace("Timeout", " timeout").strip().lower()
        return APITimeoutError(
            f"Request timed out ({kind}) on {where}. Raise `timeout=` or check the server.",
            request=request,
        )
    detail = str(exc) or type(exc).__name__
    return APIConnectionError(
        f"Connection error on {where}: {detail}. Check base_url and the network; "
        "the call is retried if the retry policy allows.",
        request=request,
    )


async def open_response(http: httpx2.AsyncClient, request: httpx2.Request) -> httpx2.Response:
    """Send *request* and return the response with its body not yet read.

    Raises:
        APIConnectionError: The connection failed.
        APITimeoutError: A timeout expired before the headers arrived.
    """
    try:
        return await http.send(request, stream=True)
    except httpx2.TransportError as exc:
        raise _connection_error(exc, request) from exc


async def read_body(response: httpx2.Response) -> bytes:
    """Read the whole body of *response*, then release its connection.

    Raises:
        APIConnectionError: The connection dropped mid-body.
        APITimeoutError: A read timeout expired mid-body.
    """
    try:
        return await response.aread()
    except httpx2.TransportError as exc:
        raise _connection_error(exc, response.request) from exc
    except httpx2.StreamError as exc:  # e.g. a body read twice: a bug, but name it clearly
        raise APIConnectionError(
            f"Could not read the response body: {exc}", request=response.request
        ) from exc
    finally:
        await response.aclose()


async def aiter_body(response: httpx2.Response, *, stream: bool = False) -> AsyncIterator[bytes]:
    """Yield the body of *response* as it arrives (decompressed).

    Args:
        response: An open response.
        stream: Whether this is an event stream: a drop then raises
            `StreamInterruptedError` (never retried: events were already seen).

    Raises:
        APIConnectionError: The connection dropped mid-body.
    """
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx2.TransportError as exc:
        error = _connection_error(exc, response.request)
        if stream and not isinstance(error, APITimeoutError):
            raise StreamInterruptedError(
                f"The stream was interrupted: {error.message}", request=response.request
            ) from exc
        raise error from exc
