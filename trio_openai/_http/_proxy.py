"""Proxies: which one a URL goes through, for HTTP calls and realtime websockets alike.

``open_client(proxy=...)`` takes:

- ``None`` (the default): the environment's ``HTTP_PROXY``, ``HTTPS_PROXY``,
  ``ALL_PROXY`` and ``NO_PROXY`` (either case, the lower-case one winning, as
  `urllib.request.getproxies_environment` reads them; ``HTTP_PROXY`` is ignored
  in a CGI process). ``ws://`` URLs use the HTTP proxy, ``wss://`` the HTTPS one;
  ``NO_PROXY`` is matched as `urllib.request.proxy_bypass_environment` does
  (host suffixes, ``host:port``, ``*``).
- a URL or an ``httpx2.Proxy``: every URL goes through it; the environment is
  not read (``NO_PROXY`` neither).
- ``False``: no proxy, the environment is not read.

Only the proxy variables are read: the pool keeps ``trust_env=False`` and the one
TLS policy (`default_ssl_context`), also for the TLS to an ``https://`` proxy,
so that ``SSL_CERT_FILE`` cannot weaken it.

Secrets: a proxy URL may carry credentials (``http://user:pass@proxy:3128``).
They are taken out of the URL at once; `ProxyURL` and `Proxies` show only
``scheme://host:port``. Failures through a proxy are re-raised as fresh
exceptions without their chain: httpcore's frames hold the
``Proxy-Authorization`` header in plain lists that a traceback formatted with
locals would show.

Realtime: `tunnel` opens ``CONNECT host:port`` through the proxy (the stream
opener `open_websocket` takes); TLS to the target is added over it for ``wss``.
"""

from __future__ import annotations

import base64
import logging
import ssl
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Final, Literal, TypeAlias, cast, final
from urllib.parse import unquote, urlsplit

import httpx2
import trio

from .._errors import APIConnectionError, ConfigurationError
from .._secrets import Secret
from ._tls import default_ssl_context

__all__ = [
    "ProxySetting",
    "ProxyTransport",
    "ProxyURL",
    "Proxies",
    "resolve_proxies",
    "session_transport",
    "tunnel",
    "tunnel_opener",
]

log = logging.getLogger("trio_openai")

ProxySetting: TypeAlias = "str | httpx2.Proxy | Literal[False] | None"
"""What ``open_client(proxy=...)`` takes."""

_MAX_HEAD: Final = 64 * 1024
"""The largest answer head accepted from a proxy to CONNECT."""


@final
class ProxyURL:
    """A proxy: its address (shown) and its credentials (never shown).

    Made by `resolve_proxies` (which checks the scheme is ``http`` or ``https``).

    Args:
        proxy: The ``httpx2.Proxy`` (its URL already without credentials).
    """

    __slots__ = ("_proxy", "shown")

    def __init__(self, proxy: httpx2.Proxy) -> None:
        if proxy.url.scheme == "https" and proxy.ssl_context is None:
            # httpcore's own context for an https:// proxy would read SSL_CERT_FILE.
            proxy = httpx2.Proxy(
                proxy.url, auth=proxy.auth, headers=proxy.headers, ssl_context=default_ssl_context()
            )
        self._proxy = proxy
        url = proxy.url
        self.shown: str = f"{url.scheme}://{url.netloc.decode('ascii')}"

    @classmethod
    def parse(cls, url: str, where: str = "proxy=") -> ProxyURL | ConfigurationError:
        """The proxy at *url* (``http://[user:pass@]host:port``; no scheme: ``http``).

        A bad URL gives the error, returned rather than raised: the frames of a
        raise would hold the URL for a traceback with locals to show. Its message
        never shows the credentials.
        """
        if "://" not in url:
            url = f"http://{url}"
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:
            return ConfigurationError(f"{where} is not a valid proxy URL")
        if not host:
            return ConfigurationError(f"{where} is not a valid proxy URL (no host)")
        netloc = f"[{host}]" if ":" in host else host
        netloc += f":{port}" if port else ""
        if parts.scheme not in ("http", "https"):
            return ConfigurationError(
                f"{where}: a proxy must be http:// or https://, not {parts.scheme}://{netloc}"
            )
        auth = None
        if parts.username is not None or parts.password is not None:
            auth = (unquote(parts.username or ""), unquote(parts.password or ""))
        return cls(httpx2.Proxy(f"{parts.scheme}://{netloc}{parts.path}", auth=auth))

    def __repr__(self) -> str:
        return f"ProxyURL({self.shown!r})"

    @property
    def httpx(self) -> httpx2.Proxy:
        """The ``httpx2.Proxy`` for a transport (holds the credentials)."""
        return self._proxy

    @property
    def tls(self) -> bool:
        """Whether the connection to the proxy itself is TLS (an ``https://`` proxy)."""
        return self._proxy.url.scheme == "https"

    @property
    def address(self) -> tuple[str, int]:
        """The proxy's host and port."""
        url = self._proxy.url
        return url.host, url.port or (443 if self.tls else 80)

    def connect_headers(self) -> list[tuple[str, Secret]]:
        """The CONNECT request's extra headers (``Proxy-Authorization``), values hidden."""
        out = [(k, Secret(v)) for k, v in self._proxy.headers.items()]
        auth = self._proxy.auth
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            out.append(("Proxy-Authorization", Secret(f"Basic {token}")))
        return out

    def secrets(self) -> tuple[str, ...]:
        """The credential texts, to scrub from messages."""
        auth = self._proxy.auth
        return tuple(value for value in auth or () if len(value) >= 4)


@final
class Proxies:
    """Which proxy a URL goes through (``None``: direct).

    Args:
        http: For ``http://`` and ``ws://`` URLs.
        https: For ``https://`` and ``wss://`` URLs.
        no_proxy: ``NO_PROXY``'s value: hosts reached directly.
    """

    __slots__ = ("http", "https", "no_proxy")

    def __init__(self, http: ProxyURL | None, https: ProxyURL | None, no_proxy: str = "") -> None:
        self.http = http
        self.https = https
        self.no_proxy = no_proxy

    def __repr__(self) -> str:
        return f"Proxies(http={self.http!r}, https={self.https!r}, no_proxy={self.no_proxy!r})"

    @property
    def empty(self) -> bool:
        """Whether no URL goes through a proxy."""
        return self.http is None and self.https is None

    def for_url(self, url: str | httpx2.URL) -> ProxyURL | None:
        """The proxy for *url*, or ``None`` when it is reached directly."""
        parts = urlsplit(str(url))
        proxy = self.https if parts.scheme.lower() in ("https", "wss") else self.http
        if proxy is None or not self.no_proxy:
            return proxy
        host = parts.hostname or ""
        with_port = f"{host}:{parts.port}" if parts.port else host
        return None if _bypassed(host.lower(), with_port.lower(), self.no_proxy) else proxy


def _bypassed(host: str, with_port: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names *host* (urllib's rules: ``*``, suffixes, ``host:port``)."""
    if no_proxy.strip() == "*":
        return True
    for entry in no_proxy.split(","):
        name = entry.strip().lstrip(".").lower()
        if not name:
            continue
        if name in (host, with_port):
            return True
        if host.endswith(f".{name}") or with_port.endswith(f".{name}"):
            return True
    return False


def resolve_proxies(setting: ProxySetting | Proxies) -> Proxies | ConfigurationError:
    """The proxies of a session: *setting*, or the environment's when it is ``None``.

    A bad *setting* gives a `ConfigurationError` to raise, returned rather than raised
    here (see `ProxyURL.parse`): the caller drops its own reference to the URL first.

    Args:
        setting: ``open_client``'s ``proxy=`` (a `Proxies` is returned as is).
    """
    if isinstance(setting, Proxies):
        return setting
    if setting is False:
        return Proxies(None, None)
    one: ProxyURL | ConfigurationError
    if isinstance(setting, str):
        one = ProxyURL.parse(setting)
    elif isinstance(setting, httpx2.Proxy):
        scheme = setting.url.scheme
        one = (
            ProxyURL(setting)
            if scheme in ("http", "https")
            else ConfigurationError(f"proxy=: a proxy must be http:// or https://, not {scheme}://")
        )
    elif cast("object", setting) is not None:
        kind = type(setting).__name__
        return ConfigurationError(f"proxy= takes a URL, an httpx2.Proxy or False, not {kind}")
    else:
        found = urllib.request.getproxies_environment()
        return Proxies(
            _from_env(found.get("http") or found.get("all"), "HTTP_PROXY/ALL_PROXY"),
            _from_env(found.get("https") or found.get("all"), "HTTPS_PROXY/ALL_PROXY"),
            found.get("no", ""),
        )
    return one if isinstance(one, ConfigurationError) else Proxies(one, one)


def _from_env(url: str | None, where: str) -> ProxyURL | None:
    if not url:
        return None
    proxy = ProxyURL.parse(url, where)
    if isinstance(proxy, ConfigurationError):
        # Another program's variable (a socks5:// ALL_PROXY) must not stop the client.
        log.warning("Ignoring %s: %s", where, proxy)
        return None
    return proxy


@final
class ProxyTransport(httpx2.AsyncBaseTransport):
    """Sends each request directly or through its proxy (`Proxies.for_url`).

    Every transport verifies TLS with `default_ssl_context` and reads nothing from the
    environment; the direct one has our pool (`direct_transport`), the proxied ones
    httpx2's. A failure through a proxy is re-raised as a fresh exception of the same
    type naming the proxy (without credentials) and without its chain (see the module
    docstring); a 407 from a forward proxy becomes ``httpx2.ProxyError``.

    Args:
        proxies: The session's proxies.
        limits: The pool limits of each transport.
    """

    def __init__(self, proxies: Proxies, *, limits: httpx2.Limits) -> None:
        from ._pool import direct_transport

        verify = default_ssl_context()
        self._proxies = proxies
        self._direct = direct_transport(verify=verify, limits=limits)
        self._via: dict[int, httpx2.AsyncHTTPTransport] = {}
        for proxy in {id(p): p for p in (proxies.http, proxies.https) if p is not None}.values():
            self._via[id(proxy)] = httpx2.AsyncHTTPTransport(
                verify=verify, limits=limits, trust_env=False, proxy=proxy.httpx
            )

    def __repr__(self) -> str:
        return f"<ProxyTransport {self._proxies!r}>"

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send *request* directly or through its proxy."""
        proxy = self._proxies.for_url(request.url)
        if proxy is None:
            return await self._direct.handle_async_request(request)
        try:
            response = await self._via[id(proxy)].handle_async_request(request)
        except httpx2.TransportError as exc:
            error: httpx2.TransportError = _through(exc, proxy, request)
        else:
            if response.status_code != 407:
                return response
            await response.aclose()
            msg = (
                f"the proxy {proxy.shown} answered 407 Proxy Authentication Required "
                "(check the proxy's user and password)"
            )
            error = httpx2.ProxyError(msg, request=request)
        # Raised outside the handler: the original is not even the context.
        raise error

    async def aclose(self) -> None:
        """Close every pool."""
        await self._direct.aclose()
        for transport in self._via.values():
            await transport.aclose()


def session_transport(proxies: Proxies, *, limits: httpx2.Limits) -> httpx2.AsyncBaseTransport:
    """The transport of a session that made its own pool: direct, or per URL through *proxies*.

    Direct is httpx2's transport with our pool (`direct_transport`); with a proxy,
    a `ProxyTransport`.
    """
    if proxies.empty:
        from ._pool import direct_transport

        return direct_transport(verify=default_ssl_context(), limits=limits)
    return ProxyTransport(proxies, limits=limits)


def _through(
    exc: httpx2.TransportError, proxy: ProxyURL, request: httpx2.Request
) -> httpx2.TransportError:
    detail = str(exc) or type(exc).__name__
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLError):
            detail = f"{detail} (TLS: {current})"
            break
        current = current.__cause__ or current.__context__
    for value in proxy.secrets():
        detail = detail.replace(value, "[secure]")
    msg = f"{detail} (through the proxy {proxy.shown})"
    try:
        return type(exc)(msg, request=request)
    except TypeError:
        return httpx2.ProxyError(msg, request=request)


StreamOpener: TypeAlias = "Callable[[str, int], Awaitable[trio.abc.Stream]]"


def tunnel_opener(proxy: ProxyURL) -> StreamOpener:
    """A stream opener (``realtime.connect(open_stream=...)``) that tunnels through *proxy*."""

    async def open_stream(host: str, port: int) -> trio.abc.Stream:
        return await tunnel(proxy, host, port)

    return open_stream


async def tunnel(proxy: ProxyURL, host: str, port: int) -> trio.abc.Stream:
    """A byte stream to *host*:*port* through *proxy* (``CONNECT``); TLS to the proxy if https.

    Raises:
        APIConnectionError: The proxy cannot be reached, refuses the tunnel (407,
            502, ...) or does not answer HTTP; the message names the proxy, never
            its credentials.
    """
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    proxy_host, proxy_port = proxy.address
    stream: trio.abc.Stream | None = None
    error: APIConnectionError | None = None
    try:
        stream = await trio.open_tcp_stream(proxy_host, proxy_port)
        if proxy.tls:
            stream = trio.SSLStream(
                stream, proxy.httpx.ssl_context or default_ssl_context(),
                server_hostname=proxy_host, https_compatible=True,
            )  # fmt: skip
            await stream.do_handshake()
        await stream.send_all(_connect_request(proxy, authority))
        status, reason, rest = await _read_head(stream)
    except (OSError, trio.BrokenResourceError, ValueError) as exc:
        error = APIConnectionError(
            f"Could not open a tunnel to {authority} through the proxy {proxy.shown}: "
            f"{exc or type(exc).__name__}."
        )
    except BaseException:
        if stream is not None:
            await trio.aclose_forcefully(stream)
        raise
    else:
        if 200 <= status < 300:
            return _Prefixed(stream, rest) if rest else stream
        hint = " (check the proxy's user and password)" if status == 407 else ""
        error = APIConnectionError(
            f"The proxy {proxy.shown} refused to open a tunnel to {authority}: "
            f"HTTP {status} {reason}{hint}."
        )
    if stream is not None:
        await trio.aclose_forcefully(stream)
    # Raised outside the handler, so that the trio frames (holding the request's bytes,
    # its Proxy-Authorization among them) are not in the context.
    raise error


def _connect_request(proxy: ProxyURL, authority: str) -> bytes:
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    lines += [f"{name}: {value.get_secret_value()}" for name, value in proxy.connect_headers()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_head(stream: trio.abc.Stream) -> tuple[int, str, bytes]:
    """The status and reason of the proxy's answer, and any bytes after its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > _MAX_HEAD:
            msg = "the proxy's answer head is too large"
            raise ValueError(msg)
        chunk = await stream.receive_some(65536)
        if not chunk:
            msg = "the proxy closed the connection before answering CONNECT"
            raise ValueError(msg)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, tail = line.partition(" ")
    code, _, reason = tail.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        msg = f"the proxy did not answer HTTP ({line[:80]!r})"
        raise ValueError(msg)
    return int(code), reason.strip(), rest


@final
class _Prefixed(trio.abc.Stream):
    """*stream*, with bytes already read from it given back first."""

    __slots__ = ("_buffer", "_stream")

    def __init__(self, stream: trio.abc.Stream, buffer: bytes) -> None:
        self._stream = stream
        self._buffer = buffer

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._buffer:
            size = len(self._buffer) if max_bytes is None else max_bytes
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data
        return await self._stream.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self._stream.aclose()
