"""Opening a Realtime connection: URL, headers, Azure, handshake errors; the generated wiring."""

from __future__ import annotations

import httpx2
import pytest
import trio

import trio_openai
from trio_openai._options import AzureConfig, ClientOptions
from trio_openai._secrets import Secret
from trio_openai.realtime import RealtimeConnectionClosed
from trio_openai.realtime._connect import BetaRealtimeConnectMixin, RealtimeConnectMixin
from trio_openai.realtime._handshake import realtime_target
from trio_openai.testing import FakeRealtime


def options(base_url: str = "https://api.openai.com/v1", **kwargs: object) -> ClientOptions:
    return ClientOptions(
        base_url=base_url, api_key=Secret("sk-test"), timeout=httpx2.Timeout(5.0), **kwargs
    )


def target(opts: ClientOptions, **kwargs: object) -> tuple[str, dict[str, str]]:
    args: dict[str, object] = {
        "model": "gpt-realtime",
        "call_id": None,
        "websocket_base_url": None,
        "extra_query": None,
        "extra_headers": None,
        "beta": False,
    }
    args.update(kwargs)
    t = realtime_target(opts, **args)  # type: ignore[arg-type]
    assert "sk-test" not in repr(t)
    return t.url, {k.decode(): v.decode() for k, v in t.headers}


@pytest.mark.parametrize(
    ("base_url", "websocket_base_url", "url"),
    [
        ("https://api.openai.com/v1", None, "wss://api.openai.com/v1/realtime?model=gpt-realtime"),
        ("http://localhost:8000/v1/", None, "ws://localhost:8000/v1/realtime?model=gpt-realtime"),
        ("https://x/v1", "wss://gw.example/v1", "wss://gw.example/v1/realtime?model=gpt-realtime"),
    ],
)
def test_the_url_follows_the_base_url(
    base_url: str, websocket_base_url: str | None, url: str
) -> None:
    """The WebSocket URL is the base URL's (or websocket_base_url's) with ws/wss and the model."""
    assert target(options(base_url), websocket_base_url=websocket_base_url)[0] == url


def test_query_and_headers_merge_in_order() -> None:
    """Client, then call query and headers merge in order; an empty header removes one."""
    opts = options(
        organization="org-1",
        project="proj-1",
        headers={"X-Team": "a", "User-Agent": "mine/1"},
        query={"tier": "x"},
    )
    url, headers = target(
        opts,
        call_id="rtc_1",
        extra_query={"tier": "y", "debug": True},
        extra_headers={"X-Team": "b", "openai-project": ""},
    )
    assert url.endswith("/realtime?model=gpt-realtime&call_id=rtc_1&tier=x&tier=y&debug=true")
    assert headers == {
        "user-agent": "mine/1",
        "authorization": "Bearer sk-test",
        "openai-organization": "org-1",
        "x-team": "b",
    }
    assert "openai-beta" not in headers
    assert target(opts, beta=True)[1]["openai-beta"] == "realtime=v1"


def test_a_call_id_alone_is_enough_and_nothing_is_refused() -> None:
    """A call_id alone suffices; neither model nor call_id, or a non-http base URL, is refused."""
    assert target(options(), model=None, call_id="rtc_9")[0].endswith("/realtime?call_id=rtc_9")
    with pytest.raises(ValueError, match="model="):
        target(options(), model=None)
    with pytest.raises(ValueError, match="http"):
        target(options("ftp://x/v1"))


def test_azure_uses_deployment_api_version_and_the_api_key_header() -> None:
    """Azure addresses the deployment with api-version (or v1 by model), the key in `api-key`."""
    versioned = options(
        "https://r.openai.azure.com/openai",
        azure=AzureConfig(api_version="2025-04-01-preview", deployment=None),
    )
    url, headers = target(versioned, model="my-deployment")
    assert url == (
        "wss://r.openai.azure.com/openai/realtime"
        "?api-version=2025-04-01-preview&deployment=my-deployment"
    )
    assert headers["api-key"] == "sk-test"
    assert "authorization" not in headers
    fixed = options(
        "https://r.openai.azure.com/openai", azure=AzureConfig(api_version="v", deployment="dep")
    )
    assert target(fixed, model=None)[0].endswith("?api-version=v&deployment=dep")
    v1 = options("https://r.openai.azure.com/openai/v1", azure=AzureConfig(api_version=None))
    assert target(v1, model="dep")[0] == "wss://r.openai.azure.com/openai/v1/realtime?model=dep"


async def test_azure_clients_connect_with_the_api_key_header(nursery: trio.Nursery) -> None:
    """An Azure client connects to `/openai/realtime` with its api-version and deployment."""
    fake = FakeRealtime(api_key="az-key")
    base_url = await nursery.start(fake.serve)
    endpoint = base_url.removesuffix("/v1")
    async with (
        trio_openai.open_azure_client(
            azure_endpoint=endpoint, api_version="2025-04-01-preview", api_key="az-key"
        ) as client,
        client.realtime.connect(model="my-deployment") as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    session = fake.last_session
    assert session.path == "/openai/realtime"
    assert session.query == {"api-version": "2025-04-01-preview", "deployment": "my-deployment"}


async def test_a_refused_key_is_an_authentication_error(nursery: trio.Nursery) -> None:
    """A 401 on the upgrade is an AuthenticationError with the server's code and the path."""
    fake = FakeRealtime(api_key="sk-right")
    base_url = await nursery.start(fake.serve)
    async with trio_openai.open_client(api_key="sk-wrong", base_url=base_url) as client:
        with pytest.raises(trio_openai.AuthenticationError) as info:
            async with client.realtime.connect(model="gpt-realtime"):
                pytest.fail("connected")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert "/v1/realtime" in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, trio_openai.PermissionDeniedError), (429, trio_openai.RateLimitError)],
)
async def test_a_refused_upgrade_is_the_status_error(
    status: int, error: type[trio_openai.APIStatusError], nursery: trio.Nursery
) -> None:
    """A 403 or 429 upgrade raises its status error; a connect fault applies once only."""
    fake = FakeRealtime()
    fake.add_fault("connect", reject=status)
    base_url = await nursery.start(fake.serve)
    async with trio_openai.open_client(api_key="sk-x", base_url=base_url) as client:
        with pytest.raises(error) as info:
            async with client.realtime.connect(model="m"):
                pytest.fail("connected")
        assert info.value.status_code == status
        async with client.realtime.connect(model="m") as conn:  # once only
            assert (await conn.recv()).type == "session.created"
    with pytest.raises(ValueError, match="connect"):
        fake.add_fault("response.create", reject=500)


async def test_nothing_listening_is_a_connection_error() -> None:
    """Connecting to a port with nothing listening is an APIConnectionError."""
    with trio.socket.socket() as sock:  # a port that was free a moment ago
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with trio_openai.open_client(api_key="sk-x", base_url=f"http://127.0.0.1:{port}/v1") as c:
        with pytest.raises(trio_openai.APIConnectionError, match="Could not connect"):
            async with c.realtime.connect(model="m"):
                pytest.fail("connected")


async def test_a_handshake_that_never_ends_times_out(autojump_clock: trio.abc.Clock) -> None:
    """A server that never answers the handshake times out after the connect timeout."""

    async def silent(host: str, port: int) -> trio.abc.Stream:
        from trio.testing import memory_stream_pair

        client_side, _server_side = memory_stream_pair()
        return client_side

    timeout = httpx2.Timeout(60.0, connect=7.0)
    async with trio_openai.open_client(api_key="sk-x", timeout=timeout) as client:
        start = trio.current_time()
        with pytest.raises(trio_openai.APITimeoutError, match=r"7\.0 s"):
            async with client.realtime.connect(model="m", open_stream=silent):
                pytest.fail("connected")
        assert trio.current_time() - start == pytest.approx(7.0)


async def test_tls_failures_are_reported_as_such(nursery: trio.Nursery) -> None:
    """wss to a plain server fails as an APIConnectionError naming TLS."""
    base_url = await nursery.start(FakeRealtime().serve)  # plain ws: TLS cannot succeed
    wss = base_url.replace("http://", "https://")
    async with trio_openai.open_client(api_key="sk-x", base_url=wss) as client:
        with pytest.raises(trio_openai.APIConnectionError, match=r"SSL|TLS|ssl"):
            async with client.realtime.connect(model="m"):
                pytest.fail("connected")


async def test_a_closed_client_cannot_connect() -> None:
    """A closed client refuses to open a Realtime connection."""
    async with trio_openai.open_client(api_key="sk-x") as client:
        pass
    with pytest.raises(trio_openai.ClientClosedError):
        async with client.realtime.connect(model="m"):
            pytest.fail("connected")


async def test_the_generated_resources_carry_the_hand_written_parts() -> None:
    """The generated resources carry the connect, uploads and webhooks mixins and stay slotted."""
    async with trio_openai.open_client(api_key="sk-x") as client:
        assert isinstance(client.realtime, RealtimeConnectMixin)
        assert isinstance(client.beta.realtime, BetaRealtimeConnectMixin)
        assert callable(client.uploads.upload_file)
        assert client.webhooks is client.webhooks
        assert callable(client.webhooks.verify_signature)
        assert not hasattr(client.realtime, "__dict__")  # the mixins keep resources slotted
        assert client.realtime.calls.create  # the generated methods are still there


def test_the_error_pickles_and_names_its_code() -> None:
    """RealtimeConnectionClosed pickles with its close code and reason; 1001 counts as clean."""
    import pickle

    error = RealtimeConnectionClosed(4001, "expired")
    again = pickle.loads(pickle.dumps(error))
    assert (again.close_code, again.close_reason, str(again)) == (4001, "expired", str(error))
    assert "4001" in str(error)
    assert error.code is None  # `code` stays the server error body's, as on every APIError
    assert RealtimeConnectionClosed(1001).clean


def test_settings_refuse_nonsense() -> None:
    """Keepalive and RealtimeLimits refuse zero or negative settings; None disables send_timeout."""
    from trio_openai import Keepalive, RealtimeLimits

    with pytest.raises(ValueError, match="interval"):
        Keepalive(interval=0)
    with pytest.raises(ValueError, match="max_queued_events"):
        RealtimeLimits(max_queued_events=0)
    with pytest.raises(ValueError, match="send_timeout"):
        RealtimeLimits(send_timeout=-1.0)
    assert RealtimeLimits(send_timeout=None).send_timeout is None


def test_the_realtime_namespace_exports_resolve_and_are_sorted() -> None:
    """`trio_openai.realtime.__all__` is sorted, each name resolves, unknown ones raise."""
    from trio_openai import realtime

    assert list(realtime.__all__) == sorted(realtime.__all__)
    for name in realtime.__all__:
        assert getattr(realtime, name) is not None
    with pytest.raises(AttributeError):
        realtime.nothing  # type: ignore[attr-defined]  # noqa: B018
