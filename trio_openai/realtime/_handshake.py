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

Secrets: every header value may be a credential (a gateway's key is just
another custom header), so from the caller's mapping to the socket the headers
live only in objects whose repr hides every value not on `PUBLIC_HEADERS`
(`SecretHeaders`, then `WireHeaders`, the list trio-websocket is given and keeps
in its frames' locals). A header that could not be sent is refused before
connecting with `InvalidArgumentError` naming the header, never its value:
h11 would otherwise refuse it deep in trio-websocket's reader task, with the
value in its message. Query values other than ours (`PUBLIC_QUERY`) are hidden
the same way (`QuietTarget`): a gateway may take its key as ``?key=...``. A
server's answer that echoes a secret (``Incorrect API key provided: ...``) has it
scrubbed from the error's message and body.

TLS: certificates are checked by the package's one policy, `default_ssl_context`
(the CA bundle httpx2 ships), as for HTTP. The environment (``SSL_CERT_FILE``,
``SSL_CERT_DIR``) is not read, so a variable set by someone else cannot make the
key go to an impostor; a caller who wants another trust store passes ``ssl_context``.

Proxies: without an explicit ``open_stream``, a connection whose URL the client's
proxies apply to (``open_client(proxy=...)`` or the environment's, ``NO_PROXY``
honoured) is opened through a ``CONNECT`` tunnel (`proxy_opener`,
``_http/_proxy.py``); TLS to the target is added over it as over TCP.

trio-websocket's handshake errors are translated here: a refused upgrade with an
HTTP status becomes the `APIStatusError` subclass for it (with the body the
server sent), a network error, a server that closes before answering or that
does not speak HTTP `APIConnectionError`, an expired connect timeout
`APITimeoutError`.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final, final
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import trio

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    status_error,
)
from .._http._auth import (
    REDACTED,
    RedactedHeaders,
    SecretHeaders,
    check_headers,
    client_headers,
    redacted_items,
    scrub,
    secret_values,
)
from .._http._spec import merge_query
from .._http._tls import default_ssl_context

if TYPE_CHECKING:
    from trio_websocket import WebSocketConnection

    from .._options import ClientOptions
    from ._settings import RealtimeLimits

__all__ = [
    "PUBLIC_QUERY",
    "QuietTarget",
    "StreamOpener",
    "Target",
    "WireHeaders",
    "open_websocket",
    "proxy_opener",
    "realtime_target",
    "rejection",
]

_SCHEMES: Final = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}

PUBLIC_QUERY: Final = frozenset({"model", "call_id", "api-version", "deployment"})
"""The query parameters whose values are shown in reprs: the ones set here, never secret."""


@final
class WireHeaders(list[tuple[bytes, bytes]]):
    """The upgrade request's headers as trio-websocket takes them, with a redacted repr.

    trio-websocket keeps this very list (``extra_headers`` in its frames, and in
    the wsproto ``Request`` it builds), so a traceback formatted with locals
    shows ``[secure]`` for every value not on `PUBLIC_HEADERS`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        shown = redacted_items(self.text_items())
        return f"WireHeaders({shown!r})"

    def text_items(self) -> list[tuple[str, str]]:
        """The headers as text pairs (latin-1, as they were encoded)."""
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self]


class Target:
    """Where and how to connect: the ``ws(s)://`` URL and the handshake's headers.

    Attributes:
        url: The WebSocket URL, query included.
        headers: The HTTP headers of the upgrade request (the key among them).
    """

    __slots__ = ("headers", "url")

    def __init__(self, url: str, headers: WireHeaders) -> None:
        self.url = url
        self.headers = headers

    def __repr__(self) -> str:
        # The headers hold the key, and the query may hold a default query's token.
        return f"<Target {_redacted(self.url)}>"

    def secrets(self) -> Scrubber:
        """What to scrub from a server's text that may echo a header (a key, a token)."""
        return Scrubber(secret_values(self.headers.text_items()))


@final
class Scrubber:
    """Known secret values, to remove from texts the server sends back; its repr hides them."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[str]) -> None:
        self._values = tuple(values)

    def __repr__(self) -> str:
        return f"<Scrubber of {len(self._values)} values>"

    def __call__(self, text: str) -> str:
        """*text* with every secret replaced by ``[secure]``."""
        return scrub(text, self._values)


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
        options: The client view's options (base URL, key, Azure, defaults); a key
            provider's key is fetched before (`with_current_key`): a provider left
            in them sends no credential header.
        model: The model (or Azure deployment) to talk to.
        call_id: The id of an existing call (SIP, WebRTC) to attach to.
        websocket_base_url: A base URL for WebSockets instead of the client's.
        extra_query: Query parameters added last.
        extra_headers: Headers added last (``""`` removes one).
        beta: Whether to speak the beta API (``OpenAI-Beta: realtime=v1``).

    Raises:
        ValueError: Neither *model* nor *call_id* (nor an Azure deployment) is given,
            or the base URL's scheme is not http(s)/ws(s).
        InvalidArgumentError: A header cannot be sent (see `check_headers`; also a
            value with leading or trailing whitespace, which h11 refuses).
    """
    # Rebound at once: from here on the caller's values are only in redacted objects.
    extra_headers = SecretHeaders(extra_headers or {})
    # Headers first: their checks raise before any local holds the query (a token may be
    # in it, from the client's default query).
    check_headers(extra_headers, "extra_headers")
    headers = client_headers(options)
    check_headers(headers, "default_headers")
    if beta:
        headers["openai-beta"] = "realtime=v1"
    headers.update({k.lower(): v for k, v in extra_headers.items()})
    wire = WireHeaders()
    wire.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if v != "")

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
    return Target(url, wire)


StreamOpener = Callable[[str, int], Awaitable[trio.abc.Stream]]
"""Opens a byte stream to ``(host, port)`` instead of a TCP connection (proxies, tests)."""


def proxy_opener(client: object, url: str) -> StreamOpener | None:
    """The CONNECT tunnel opener for *url* when the client's proxies apply to it, else ``None``.

    The proxies are the session's (``open_client(proxy=...)`` or the environment's
    ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``, ``NO_PROXY`` honoured): ``ws://``
    goes through the HTTP proxy, ``wss://`` through the HTTPS one, TLS to the
    target being added over the tunnel.
    """
    from .._http._proxy import Proxies, tunnel_opener

    # Not on the Caller protocol (kept small): a client without them connects directly.
    proxies = getattr(client, "_proxies", None)
    if not isinstance(proxies, Proxies):
        return None
    proxy = proxies.for_url(url)
    return None if proxy is None else tunnel_opener(proxy)


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
        ssl_context: The TLS context for ``wss://`` (None: `default_ssl_context`, which
            does not read ``SSL_CERT_FILE``/``SSL_CERT_DIR``).
        open_stream: Opens the byte stream instead of TCP (TLS still added for ``wss``).

    Raises:
        APIStatusError: The server refused the upgrade with an HTTP status (raised
            by trio-websocket's reader task: see `rejection`).
        APITimeoutError: The handshake took longer than *connect_timeout*.
        APIConnectionError: The network or TLS failed, or the server does not speak
            WebSocket.
    """
    import trio_websocket

    tls, host, port, host_header, resource = _address(target.url)
    shown = _redacted(target.url)
    stream: trio.abc.Stream | None = None
    try:
        with trio.fail_after(connect_timeout if connect_timeout is not None else math.inf):
            if open_stream is not None:
                stream = await open_stream(host, port)
            else:
                stream = await trio.open_tcp_stream(host, port)
            if tls:
                context = ssl_context or default_ssl_context()
                stream = trio.SSLStream(
                    stream, context, server_hostname=host, https_compatible=True
                )
                await stream.do_handshake()
            # trio-websocket waits forever for an answer when the server closes the
            # connection first: the stream tells, by cancelling this scope.
            with trio.CancelScope() as upgrade:
                watched = _Watched(stream, upgrade)
                stream = watched
                ws = await trio_websocket.wrap_client_stream(
                    nursery,
                    watched,  # type: ignore[arg-type]  # typed SocketStream, works with any Stream
                    host_header,
                    resource,
                    extra_headers=target.headers,
                    message_queue_size=1,
                    max_message_size=limits.max_message_size,
                    receive_buffer_size=limits.receive_buffer_size,
                )
                watched.upgraded()
                return ws
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
    # Only reached when the server closed the connection before answering the upgrade.
    await trio.aclose_forcefully(stream)
    msg = f"{shown} closed the connection during the WebSocket handshake."
    raise APIConnectionError(msg)


class _Watched(trio.abc.Stream):
    """The connection's byte stream, which cancels *upgrade* if it ends before the upgrade.

    Args:
        stream: The TCP or TLS stream.
        upgrade: The scope of the wait for the server's answer to the upgrade.
    """

    __slots__ = ("_stream", "_upgrade")

    def __init__(self, stream: trio.abc.Stream, upgrade: trio.CancelScope) -> None:
        self._stream = stream
        self._upgrade: trio.CancelScope | None = upgrade

    def upgraded(self) -> None:
        """The server answered: from now on the stream's end is trio-websocket's business."""
        self._upgrade = None

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        try:
            data = await self._stream.receive_some(max_bytes)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self._ended()
            raise
        if not data:
            self._ended()
        return data

    def _ended(self) -> None:
        if self._upgrade is not None:
            self._upgrade.cancel()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self._stream.aclose()


def rejection(exc: BaseException, target: Target) -> APIError | None:
    """Our error for a failure raised by trio-websocket's reader task, if it is one of its own.

    trio-websocket raises ``ConnectionRejected`` (the server answered the upgrade
    with an HTTP status) from its reader task, so it reaches the nursery, not
    the code waiting for the handshake. An answer that is not HTTP at all makes
    it raise h11's or wsproto's protocol error there too (it tries to answer a
    server as if it were one); that becomes `APIConnectionError`.

    Args:
        exc: An exception from the nursery.
        target: Where it connected: the URL for the message, the headers for the
            secrets to scrub from a server's answer.
    """
    import h11
    import trio_websocket
    import wsproto.utilities

    if isinstance(exc, trio_websocket.ConnectionRejected):
        return _rejected(exc, target)
    if isinstance(exc, (h11.ProtocolError, wsproto.utilities.ProtocolError)):
        # The text may quote what the server sent: scrubbed, in case it echoed a header.
        detail = target.secrets()(str(exc))
        msg = (
            f"{_redacted(target.url)} broke the WebSocket protocol ({type(exc).__name__}: "
            f"{detail}); it may not be a WebSocket server."
        )
        return APIConnectionError(msg)
    return None


def _rejected(exc: object, target: Target) -> APIError:
    """The `APIStatusError` for a refused upgrade (`trio_websocket.ConnectionRejected`)."""
    import httpx2

    status: int = getattr(exc, "status_code", 0) or 0
    headers = list(getattr(exc, "headers", None) or ())
    body: bytes = getattr(exc, "body", None) or b""
    url = _redacted(target.url)
    if status < 400:
        msg = f"{url} answered the WebSocket upgrade with HTTP {status}."
        return APIConnectionError(msg)
    # The request as sent (its query left out: it may hold a default query's token), so
    # that status_error scrubs its secrets from the body, as for any HTTP answer.
    http_url = url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    request = httpx2.Request("GET", http_url)
    request.headers = RedactedHeaders(target.headers)
    response = httpx2.Response(status, headers=headers, content=body, request=request)
    return status_error(response, body)


def _address(url: str) -> tuple[bool, str, int, str, QuietTarget]:
    """Whether *url* is ``wss``, its host, port, ``Host`` header and request target.

    A function of its own so that no local of `open_websocket` holds the query.
    """
    parts = urlsplit(url)
    tls = parts.scheme == "wss"
    port = parts.port or (443 if tls else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return tls, parts.hostname or "", port, parts.netloc.rpartition("@")[2], QuietTarget(resource)


@final
class QuietTarget(str):
    """The upgrade request's target (path and query) whose repr hides the query's values.

    Only the values of the parameters this module sets itself (`PUBLIC_QUERY`) are
    shown: a gateway may take its key as ``?key=...`` in the client's default query.
    trio-websocket keeps this very string (its ``resource`` local, the wsproto
    ``Request``), so its frames' locals show ``[secure]`` too.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        path, sep, query = self.partition("?")
        if not sep:
            return str.__repr__(self)
        pairs = [pair.partition("=") for pair in query.split("&")]
        shown = "&".join(
            name + eq + (value if unquote(name) in PUBLIC_QUERY else REDACTED)
            for name, eq, value in pairs
        )
        return repr(f"{path}?{shown}")


def _redacted(url: str) -> str:
    """The URL without its query (it may hold a client secret or other tokens)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
