"""Where a Realtime connection is opened: its URL, its headers, and the handshake's errors.

The URL follows the official SDK, with one difference: the scheme follows the
base URL's (``http`` -> ``ws``, ``https`` -> ``wss``) instead of always being
``wss``, so that a compatible server on plain HTTP (a local gateway, the fake
server) works without a ``websocket_base_url``.

==============================  ======================================================
client                          URL
==============================  ======================================================
OpenAI / compatible             ``{base_url as ws(s)}/realtime?model=...&call_id=...``
``websocket_base_url=``         ``{websocket_base_url}/realtime?model=...``
Azure with ``api_version``      ``{endpoint}/openai/realtime?api-version=...&deployment=...``
                                (the deployment is ``azure_deployment`` or *model*)
Azure without ``api_version``   ``{endpoint}/openai/v1/realtime?model=...`` (as OpenAI)
==============================  ======================================================

The client's default query parameters come next, then *extra_query*. Headers:
the key (``Authorization: Bearer`` or, for Azure, ``api-key``), organization,
project, the client's default headers, ``OpenAI-Beta: realtime=v1`` for the beta
API, then *extra_headers* (a value of ``""`` removes a header).

trio-websocket's handshake errors are translated here: a refused upgrade with an
HTTP status becomes the `APIStatusError` subclass for it (with the body the
server sent), a network error `APIConnectionError`, an expired connect timeout
`APITimeoutError`.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import trio

from .._auth import client_headers
from .._errors import APIConnectionError, APIError, APITimeoutError, status_error
from .._request import merge_query

if TYPE_CHECKING:
    from trio_websocket import WebSocketConnection

    from .._options import ClientOptions
    from ._settings import RealtimeLimits

__all__ = ["StreamOpener", "Target", "open_websocket", "realtime_target", "rejection"]

_SCHEMES: Final = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


class Target:
    """Where and how to connect: the ``ws(s)://`` URL and the handshake's headers.

    Attributes:
        url: The WebSocket URL, query included.
        headers: The HTTP headers of the upgrade request (the key among them).
    """

    __slots__ = ("headers", "url")

    def __init__(self, url: str, headers: list[tuple[bytes, bytes]]) -> None:
        self.url = url
        self.headers = headers

    def __repr__(self) -> str:
        # The headers hold the key: never shown.
        return f"<Target {self.url}>"


def realtime_target(
    options: ClientOptions,
    *,
    model: str | None,
    call_id: str | None,
    websocket_base_url: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str] | None,
    beta: bool,
) -> Target:
    """The URL and headers of a Realtime connection for a client's options.

    Args:
        options: The client view's options (base URL, key, Azure, defaults).
        model: The model (or Azure deployment) to talk to.
        call_id: The id of an existing call (SIP, WebRTC) to attach to.
        websocket_base_url: A base URL for WebSockets instead of the client's.
        extra_query: Query parameters added last.
        extra_headers: Headers added last (``""`` removes one).
        beta: Whether to speak the beta API (``OpenAI-Beta: realtime=v1``).

    Raises:
        ValueError: Neither *model* nor *call_id* (nor an Azure deployment) is given,
            or the base URL's scheme is not http(s)/ws(s).
    """
    azure = options.azure
    if not model and not call_id and not (azure is not None and azure.deployment):
        msg = "realtime.connect() needs model= (or call_id= to attach to an existing call)"
        raise ValueError(msg)
    base = (websocket_base_url or options.base_url).rstrip("/")
    parts = urlsplit(base)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        msg = f"a Realtime base URL must be http(s) or ws(s), not {base!r}"
        raise ValueError(msg)
    query: dict[str, object] = {}
    if azure is not None and azure.api_version is not None:
        query["api-version"] = azure.api_version
        query["deployment"] = azure.deployment or model
    else:
        query["model"] = model
    query["call_id"] = call_id
    pairs = merge_query(query, options.query, extra_query)
    url = urlunsplit(
        (scheme, parts.netloc, parts.path + "/realtime", urlencode(pairs, quote_via=quote), "")
    )

    headers = client_headers(options)
    if beta:
        headers["openai-beta"] = "realtime=v1"
    headers.update({k.lower(): v for k, v in (extra_headers or {}).items()})
    return Target(
        url, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if v != ""]
    )


StreamOpener = Callable[[str, int], Awaitable[trio.abc.Stream]]
"""Opens a byte stream to ``(host, port)`` instead of a TCP connection (proxies, tests)."""


async def open_websocket(
    nursery: trio.Nursery,
    target: Target,
    limits: RealtimeLimits,
    *,
    connect_timeout: float | None,
    ssl_context: ssl.SSLContext | None,
    open_stream: StreamOpener | None,
) -> WebSocketConnection:
    """Connect to *target*: TCP (or *open_stream*), TLS for ``wss``, then the upgrade.

    The TCP and TLS steps are done here rather than by trio-websocket so that
    their errors are reported as such (trio-websocket waits forever when TLS
    fails during its handshake). trio-websocket's own message queue is kept at
    one message: the connection's reader empties it at once into the bounded
    event queue, and trio-websocket's reader task runs in *nursery*.

    Args:
        nursery: Where trio-websocket runs its reader task.
        target: The URL and headers.
        limits: Message size and socket read size.
        connect_timeout: Seconds for TCP, TLS and the upgrade together (None: no limit).
        ssl_context: The TLS context for ``wss://`` (None: the system's defaults).
        open_stream: Opens the byte stream instead of TCP (TLS still added for ``wss``).

    Raises:
        APIStatusError: The server refused the upgrade with an HTTP status (raised
            by trio-websocket's reader task: see `rejection`).
        APITimeoutError: The handshake took longer than *connect_timeout*.
        APIConnectionError: The network or TLS failed, or the server does not speak
            WebSocket.
    """
    import trio_websocket

    parts = urlsplit(target.url)
    tls = parts.scheme == "wss"
    host = parts.hostname or ""
    port = parts.port or (443 if tls else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.netloc.rpartition("@")[2]
    shown = _redacted(target.url)
    stream: trio.abc.Stream | None = None
    try:
        with trio.fail_after(connect_timeout if connect_timeout is not None else math.inf):
            if open_stream is not None:
                stream = await open_stream(host, port)
            else:
                stream = await trio.open_tcp_stream(host, port)
            if tls:
                context = ssl_context or ssl.create_default_context()
                stream = trio.SSLStream(
                    stream, context, server_hostname=host, https_compatible=True
                )
                await stream.do_handshake()
            return await trio_websocket.wrap_client_stream(
                nursery,
                stream,  # type: ignore[arg-type]  # typed SocketStream, works with any Stream
                host_header,
                resource,
                extra_headers=target.headers,
                message_queue_size=1,
                max_message_size=limits.max_message_size,
                receive_buffer_size=limits.receive_buffer_size,
            )
    except BaseException as exc:
        if stream is not None:
            await trio.aclose_forcefully(stream)
        if isinstance(exc, trio.TooSlowError):
            msg = f"Connecting to {shown} took longer than {connect_timeout} s."
            raise APITimeoutError(msg) from None
        if isinstance(exc, (OSError, trio.BrokenResourceError)):
            cause = exc.__cause__ or exc
            msg = f"Could not connect to {shown}: {cause or type(cause).__name__}."
            raise APIConnectionError(msg) from exc
        if isinstance(exc, trio_websocket.ConnectionClosed):
            reason = exc.reason
            detail = f" (code {reason.code}: {reason.reason})" if reason is not None else ""
            msg = f"{shown} closed the connection during the WebSocket handshake{detail}."
            raise APIConnectionError(msg) from None
        raise


def rejection(exc: BaseException, url: str) -> APIError | None:
    """Our error for a trio-websocket handshake failure raised by its reader task, if any.

    trio-websocket raises ``ConnectionRejected`` (the server answered the upgrade
    with an HTTP status) from its reader task, so it reaches the nursery, not
    the code waiting for the handshake.

    Args:
        exc: An exception from the nursery.
        url: The WebSocket URL, for the message.
    """
    import trio_websocket

    if isinstance(exc, trio_websocket.ConnectionRejected):
        return _rejected(exc, url)
    return None


def _rejected(exc: object, url: str) -> APIError:
    """The `APIStatusError` for a refused upgrade (`trio_websocket.ConnectionRejected`)."""
    import httpx2

    status: int = getattr(exc, "status_code", 0) or 0
    headers = list(getattr(exc, "headers", None) or ())
    body: bytes = getattr(exc, "body", None) or b""
    http_url = url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    if status < 400:
        msg = f"{_redacted(url)} answered the WebSocket upgrade with HTTP {status}."
        return APIConnectionError(msg)
    response = httpx2.Response(
        status, headers=headers, content=body, request=httpx2.Request("GET", http_url)
    )
    return status_error(response, body)


def _redacted(url: str) -> str:
    """The URL without its query (it may hold a client secret or other tokens)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
