"""Proxies: proxy=, the environment's proxy variables, NO_PROXY, the opt-out, realtime CONNECT."""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import ssl
from pathlib import Path

import attrs
import pytest
import trio

import trio_openai
from tests._hostile import formatted_with_locals, self_signed, serve_untrusted_tls
from trio_openai._http._proxy import Proxies, ProxyURL, resolve_proxies
from trio_openai.testing import FakeOpenAI, FakeRealtime

KEY = "sk-proxy-test-0123456789"
USER = "proxy-user-7731"
PASSWORD = "proxy-SECRET-pass-4242"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRETS = (USER, PASSWORD, BASIC.split()[1])
WRONG = "wrong-password-99"

_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@attrs.define
class Proxy:
    """A forward (absolute-URL) and CONNECT proxy on 127.0.0.1 that records what it saw."""

    # Out of the repr: tests format tracebacks with locals and look for secrets there.
    auth: str | None = attrs.field(default=None, repr=False)
    port: int = 0
    lines: list[str] = attrs.field(factory=list, repr=False)
    authorizations: list[str | None] = attrs.field(factory=list, repr=False)

    def url(self, credentials: str = "") -> str:
        return f"http://{credentials}127.0.0.1:{self.port}"

    async def serve(self, task_status: trio.TaskStatus[Proxy] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, self._handle, listeners)
            task_status.started(self)

    async def _handle(self, client: trio.SocketStream) -> None:
        async with client:
            with contextlib.suppress(trio.BrokenResourceError, ValueError):
                await self._one(client)

    async def _one(self, client: trio.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await client.receive_some(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(h.split(":", 1)) for h in header_lines]
        found = {name.strip().lower(): value.strip() for name, value in headers}
        self.lines.append(line)
        self.authorizations.append(found.get("proxy-authorization"))
        if self.auth is not None and found.get("proxy-authorization") != self.auth:
            await client.send_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                b"Connection: close\r\n\r\n"
            )
            return
        method, target, version = line.split(" ")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await _upstream(client, host, int(port))
            await client.send_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await upstream.send_all(rest) if rest else None
        else:
            url = target.removeprefix("http://")
            authority, _, path = url.partition("/")
            host, _, port = authority.rpartition(":")
            upstream = await _upstream(client, host, int(port))
            kept = [
                f"{name}:{value}"
                for name, value in headers
                if name.strip().lower() not in ("proxy-authorization", "connection")
            ]
            forwarded = [f"{method} /{path} {version}", *kept, "Connection: close"]
            await upstream.send_all(("\r\n".join(forwarded) + "\r\n\r\n").encode("latin-1") + rest)
        async with upstream, trio.open_nursery() as nursery:
            nursery.start_soon(_pipe, client, upstream, nursery.cancel_scope)
            await _pipe(upstream, client, nursery.cancel_scope)


async def _upstream(client: trio.SocketStream, host: str, port: int) -> trio.SocketStream:
    try:
        return await trio.open_tcp_stream(host, port)
    except OSError:
        await client.send_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        raise ValueError from None  # ends this connection (suppressed by _handle)


async def _pipe(source: trio.abc.Stream, sink: trio.abc.Stream, scope: trio.CancelScope) -> None:
    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
        while data := await source.receive_some(65536):
            await sink.send_all(data)
    scope.cancel()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _with_credentials(port: int) -> str:
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_proxy_argument_sends_calls_through_the_proxy(nursery: trio.Nursery) -> None:
    """proxy= sends a call as an absolute-URL request to the proxy, and the fake answers."""
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy().serve)
    async with trio_openai.open_client(api_key=KEY, base_url=base_url, proxy=proxy.url()) as c:
        await c.models.list()
    assert proxy.lines == [f"GET {base_url}/models HTTP/1.1"]
    assert [r.path for r in fake.requests] == ["/models"]


@pytest.mark.parametrize(
    ("environment", "through"),
    [
        ({"HTTP_PROXY": "{proxy}"}, True),
        ({"http_proxy": "{proxy}"}, True),
        ({"ALL_PROXY": "{proxy}"}, True),
        ({"HTTPS_PROXY": "{proxy}"}, False),  # an http:// URL: not its business
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"}, False),
        ({"HTTP_PROXY": "{proxy}", "no_proxy": "localhost, 127.0.0.1"}, False),
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "*"}, False),
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "example.com"}, True),
    ],
)
async def test_the_environment_is_honoured_by_default(
    environment: dict[str, str],
    through: bool,
    monkeypatch: pytest.MonkeyPatch,
    nursery: trio.Nursery,
) -> None:
    """HTTP_PROXY/ALL_PROXY (either case) route calls; NO_PROXY and HTTPS_PROXY do not."""
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy().serve)
    for name, value in environment.items():
        monkeypatch.setenv(name, value.format(proxy=proxy.url()))
    async with trio_openai.open_client(api_key=KEY, base_url=base_url) as client:
        await client.models.list()
    assert bool(proxy.lines) is through
    assert len(fake.requests) == 1


async def test_proxy_false_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    """proxy=False is the opt-out: HTTP_PROXY set, the call goes directly."""
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy().serve)
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("ALL_PROXY", proxy.url())
    async with trio_openai.open_client(api_key=KEY, base_url=base_url, proxy=False) as client:
        await client.models.list()
    assert proxy.lines == []
    assert len(fake.requests) == 1


async def test_a_callers_http_client_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    """An http_client= keeps its own configuration: the environment's proxy is not added."""
    import httpx2

    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy().serve)
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    async with (
        httpx2.AsyncClient(trust_env=False) as http,
        trio_openai.open_client(api_key=KEY, base_url=base_url, http_client=http) as client,
    ):
        await client.models.list()
    assert proxy.lines == []


async def test_credentials_are_sent_and_never_shown(
    caplog: pytest.LogCaptureFixture, nursery: trio.Nursery
) -> None:
    """The proxy gets Proxy-Authorization; reprs, errors, logs and locals never show it."""
    caplog.set_level(logging.DEBUG)
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy(auth=BASIC).serve)
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    # The URL is never a local of this frame: its locals are in the traceback checked.
    async with trio_openai.open_client(
        api_key=KEY, base_url=base_url, proxy=proxy.url(f"{USER}:{PASSWORD}@"), max_retries=0
    ) as client:
        await client.models.list()
        assert _leaks(repr(client.options) + repr(client) + repr(client._proxies)) == []
        assert _leaks(repr(client.http_client._transport)) == []
        async with trio_openai.open_client(
            api_key=KEY, base_url=dead, proxy=proxy.url(f"{USER}:{PASSWORD}@"), max_retries=0
        ) as failing:
            with pytest.raises(trio_openai.APIError) as info:
                await failing.models.list()  # the proxy cannot reach it: it hangs up
    assert proxy.authorizations[0] == BASIC
    text = formatted_with_locals(info.value)
    assert _leaks(text) == []
    assert _leaks(caplog.text) == []


@pytest.mark.parametrize("kind", ["openai", "azure", "sync"])
async def test_an_unreachable_proxy_is_named_without_its_credentials(kind: str) -> None:
    """A refused proxy connection is an APIConnectionError naming the proxy, not its password."""
    port = _free_port()
    # The URL is never a local of this frame: its locals are in the traceback checked.
    common = {"api_key": KEY, "max_retries": 0}
    if kind == "sync":
        with trio_openai.SyncClient(
            base_url="http://api.test/v1", proxy=_with_credentials(port), **common
        ) as sync:
            with pytest.raises(trio_openai.APIConnectionError) as info:
                await trio.to_thread.run_sync(sync.models.list)
    else:
        opener = (
            trio_openai.open_client(
                base_url="http://api.test/v1", proxy=_with_credentials(port), **common
            )
            if kind == "openai"
            else trio_openai.open_azure_client(
                azure_endpoint="http://api.test", proxy=_with_credentials(port), **common
            )
        )
        with pytest.raises(trio_openai.APIConnectionError) as info:
            async with opener as client:
                await client.models.list()
    assert f"127.0.0.1:{port}" in str(info.value)
    assert _leaks(formatted_with_locals(info.value)) == []


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_a_407_from_the_proxy_is_a_clear_error(scheme: str, nursery: trio.Nursery) -> None:
    """Wrong credentials: the forward (http) or CONNECT (https) 407 says so, naming the proxy."""
    proxy = await nursery.start(Proxy(auth=BASIC).serve)
    async with trio_openai.open_client(
        api_key=KEY,
        base_url=f"{scheme}://127.0.0.1:{_free_port()}/v1",
        proxy=proxy.url(f"{USER}:{WRONG}@"),
        max_retries=0,
    ) as client:
        with pytest.raises(trio_openai.APIConnectionError) as info:
            await client.models.list()
    message = str(info.value)
    assert "407" in message
    assert f"127.0.0.1:{proxy.port}" in message
    text = formatted_with_locals(info.value)  # first: assertions keep their operands as locals
    assert WRONG not in text


async def test_ssl_cert_file_is_still_ignored_through_a_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    """HTTPS through the CONNECT tunnel still verifies with our CA bundle, not SSL_CERT_FILE."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # a rogue trust store: must not be read
    port, received = await nursery.start(serve_untrusted_tls, cert, key)
    proxy = await nursery.start(Proxy().serve)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    async with trio_openai.open_client(
        api_key=KEY, base_url=f"https://127.0.0.1:{port}/v1", max_retries=0
    ) as client:
        with pytest.raises(trio_openai.APIConnectionError) as info:
            await client.models.list()
    assert proxy.lines == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]
    assert "certificate verify failed" in str(info.value).lower()
    assert not any(KEY.encode() in data for data in received)


async def test_realtime_connects_through_the_proxy_with_connect(nursery: trio.Nursery) -> None:
    """realtime.connect tunnels with CONNECT (credentials as Proxy-Authorization) and works."""
    fake = FakeRealtime()
    base_url = await nursery.start(fake.serve)
    port = base_url.rsplit(":", 1)[1].split("/")[0]
    proxy = await nursery.start(Proxy(auth=BASIC).serve)
    async with (
        trio_openai.open_client(
            api_key="sk-fake", base_url=base_url, proxy=proxy.url(f"{USER}:{PASSWORD}@")
        ) as client,
        client.realtime.connect(model="gpt-realtime") as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    assert proxy.lines == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]
    assert proxy.authorizations == [BASIC]


@pytest.mark.parametrize("case", ["407", "refused", "no_proxy"])
async def test_realtime_proxy_failures_and_bypass(
    case: str, monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    """A 407 or refused proxy is an APIConnectionError naming it; NO_PROXY connects directly."""
    fake = FakeRealtime()
    base_url = await nursery.start(fake.serve)
    proxy = await nursery.start(Proxy(auth=BASIC).serve)
    # The URL is never a local of this frame: its locals are in the traceback checked.
    if case == "refused":
        monkeypatch.setenv("HTTP_PROXY", _with_credentials(_free_port()))
    else:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(f"{USER}:{WRONG}@"))
    if case == "no_proxy":
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with trio_openai.open_client(api_key="sk-fake", base_url=base_url) as client:
        if case == "no_proxy":
            async with client.realtime.connect(model="gpt-realtime") as conn:
                assert (await conn.recv()).type == "session.created"
            assert proxy.lines == []
            return
        with pytest.raises(trio_openai.APIConnectionError) as info:
            async with client.realtime.connect(model="gpt-realtime"):
                pass
    message = str(info.value)
    assert "proxy http://127.0.0.1:" in message
    assert ("407" in message) is (case == "407")
    text = formatted_with_locals(info.value)
    assert _leaks(text) == []
    assert WRONG not in text


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ({"https_proxy": "p:1", "HTTPS_PROXY": "q:2"}, "https://a.test/", "http://p:1"),
        ({"ALL_PROXY": "p:1"}, "wss://a.test/", "http://p:1"),
        ({"ALL_PROXY": "p:1", "HTTP_PROXY": "q:2"}, "ws://a.test/", "http://q:2"),
        ({"ALL_PROXY": "socks5://p:1"}, "https://a.test/", None),  # unsupported: ignored
        ({"HTTPS_PROXY": "https://p:1", "NO_PROXY": ".test"}, "https://a.test/", None),
        ({"HTTPS_PROXY": "https://p:1", "NO_PROXY": "test"}, "https://a.test/", None),
        ({"HTTPS_PROXY": "https://p:1", "NO_PROXY": "b.test"}, "https://a.test/", "https://p:1"),
        ({"HTTPS_PROXY": "p:1", "NO_PROXY": "a.test:8443"}, "https://a.test:8443/", None),
    ],
)
def test_environment_rules(
    environment: dict[str, str],
    url: str,
    expected: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lower case wins, ALL_PROXY is the fallback, ws(s) follow http(s), NO_PROXY by suffix."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    proxies = resolve_proxies(None)
    assert isinstance(proxies, Proxies)
    chosen = proxies.for_url(url)
    assert (chosen.shown if chosen else None) == expected


@pytest.mark.parametrize("bad", ["socks5://u:{}@h:1", "http://u:{}@h:notaport", "http://u:{}@"])
async def test_a_bad_proxy_argument_is_refused_without_showing_it(bad: str) -> None:
    """proxy= that is not an http(s) proxy URL: ConfigurationError, credentials not shown."""
    with pytest.raises(trio_openai.ConfigurationError) as info:
        async with trio_openai.open_client(api_key=KEY, proxy=bad.format(WRONG)):
            pass
    text = formatted_with_locals(info.value)  # first: assertions keep their operands as locals
    assert WRONG not in text


def test_reprs_hide_credentials() -> None:
    """ProxyURL and Proxies show scheme, host and port only."""
    one = ProxyURL.parse(f"http://{USER}:{PASSWORD}@proxy.test:3128")
    assert isinstance(one, ProxyURL)
    assert repr(one) == "ProxyURL('http://proxy.test:3128')"
    assert _leaks(repr(Proxies(one, one))) == []
    none = resolve_proxies(False)
    assert isinstance(none, Proxies)
    assert none.empty


async def test_realtime_wss_through_the_proxy_verifies_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nursery: trio.Nursery
) -> None:
    """wss through CONNECT: TLS to the target over the tunnel, SSL_CERT_FILE not trusted."""
    from tests.realtime.test_hostile_realtime import SelfSigned, TLSFront

    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # a rogue trust store: must not be read
    upstream = await nursery.start(FakeRealtime().serve)
    front = TLSFront(SelfSigned(cert, key, tmp_path), int(upstream.rsplit(":", 1)[1].split("/")[0]))
    port = await nursery.start(front.serve)
    proxy = await nursery.start(Proxy().serve)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    async with trio_openai.open_client(
        api_key="sk-fake", base_url=f"https://127.0.0.1:{port}/v1"
    ) as client:
        with pytest.raises(trio_openai.APIConnectionError) as info:
            async with client.realtime.connect(model="gpt-realtime"):
                pass
        assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
        assert bytes(front.received) == b""
        trusting = ssl.create_default_context(cafile=cert)
        async with client.realtime.connect(model="gpt-realtime", ssl_context=trusting) as conn:
            assert (await conn.recv()).type == "session.created"
    assert proxy.lines == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"] * 2
    assert b"GET /v1/realtime?model=gpt-realtime" in front.received
