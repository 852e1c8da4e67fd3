"""Key providers: api_key=callable per attempt, Azure Entra ID tokens, realtime, no leaks."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from tests._hostile import formatted_with_locals
from tests._support import Probe, mock_client
from trio_openai._secrets import KeyProvider, Secret, resolve_api_key
from trio_openai.testing import FakeOpenAI, FakeRealtime

TOKEN = "tok-provider-SECRET-0123456789"


def tokens(prefix: str = TOKEN) -> Callable[[], str]:
    """A sync provider returning a new token per call: ``<prefix>-1``, ``<prefix>-2``..."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


class Server:
    """A MockTransport handler: answers *statuses* in turn (then 200), records auth headers."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.auth: list[tuple[str | None, str | None]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.auth.append((request.headers.get("authorization"), request.headers.get("api-key")))
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx2.Response(status, json={"ok": status == 200})


@asynccontextmanager
async def azure_client(server: Server, **kwargs: Any) -> AsyncIterator[Probe]:
    """An Azure client (v1 API) whose requests go to *server*."""
    async with (
        httpx2.AsyncClient(transport=httpx2.MockTransport(server)) as http,
        trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com", http_client=http, **kwargs
        ) as client,
    ):
        yield Probe(client)


async def test_a_sync_provider_is_called_once_per_attempt(autojump_clock: Any) -> None:
    """A 500 then a 200 with max_retries=1: each attempt carries a fresh token."""
    server = Server(500)
    async with mock_client(server, api_key=tokens(), max_retries=1) as (_, probe):
        assert await probe.post("/things", x=1) == {"ok": True}
    assert server.auth == [(f"Bearer {TOKEN}-1", None), (f"Bearer {TOKEN}-2", None)]


async def test_an_async_provider_is_awaited_once_per_attempt(autojump_clock: Any) -> None:
    """An async provider (awaited in the attempt) gives the retry its refreshed token."""
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        await trio.lowlevel.checkpoint()
        return f"{TOKEN}-{calls}"

    server = Server(503)
    async with mock_client(server, api_key=provider, max_retries=1) as (_, probe):
        await probe.get("/things")
    assert calls == 2
    assert [a for a, _ in server.auth] == [f"Bearer {TOKEN}-1", f"Bearer {TOKEN}-2"]


async def test_a_provider_may_return_a_secret() -> None:
    """A provider's Secret is sent as the bearer token, unwrapped only on the wire."""
    server = Server()
    async with mock_client(server, api_key=lambda: Secret(TOKEN)) as (_, probe):
        await probe.get("/things")
    assert server.auth == [(f"Bearer {TOKEN}", None)]


async def test_a_provider_that_raises_fails_the_call_at_once() -> None:
    """A raising provider: one ConfigurationError, never retried, nothing sent, no token shown."""
    calls = 0

    def provider() -> str:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("token endpoint down")
        return TOKEN

    server = Server(500)
    async with mock_client(server, api_key=provider, max_retries=5) as (_, probe):
        with pytest.raises(trio_openai.ConfigurationError) as info:
            await probe.get("/things")
    assert calls == 2  # the first attempt, then the retry's provider call that failed
    assert len(server.auth) == 1
    message = str(info.value)
    assert "provider" in message
    assert "RuntimeError" in message
    assert "not retried" in message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert TOKEN not in message
    assert TOKEN not in formatted_with_locals(info.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(42, "returned int"), ("", "is empty"), (f" {TOKEN}", "whitespace")],
)
async def test_a_provider_value_is_checked_like_a_key(value: object, problem: str) -> None:
    """A provider's answer that is not a well-formed key is refused without being shown."""
    server = Server()
    async with mock_client(server, api_key=lambda: value) as (_, probe):
        with pytest.raises(trio_openai.ConfigurationError, match=problem) as info:
            await probe.get("/things")
    assert server.auth == []
    assert TOKEN not in str(info.value)


async def test_azure_ad_token_is_a_bearer_without_api_key() -> None:
    """azure_ad_token= sends Authorization: Bearer, and no api-key header."""
    server = Server()
    async with azure_client(server, azure_ad_token=TOKEN) as probe:
        await probe.get("/models")
    assert server.auth == [(f"Bearer {TOKEN}", None)]


async def test_azure_ad_token_provider_is_called_per_attempt(autojump_clock: Any) -> None:
    """azure_ad_token_provider= refreshes the bearer token on a retry; no api-key header."""
    server = Server(500)
    async with azure_client(server, azure_ad_token_provider=tokens(), max_retries=1) as probe:
        await probe.get("/models")
    assert server.auth == [(f"Bearer {TOKEN}-1", None), (f"Bearer {TOKEN}-2", None)]


async def test_azure_api_key_still_uses_the_api_key_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain Azure key (or a provider of one) keeps the api-key header."""
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    server = Server()
    async with azure_client(server, api_key=lambda: TOKEN) as probe:
        await probe.get("/models")
    assert server.auth == [(None, TOKEN)]


@pytest.mark.parametrize(
    "credentials",
    [
        {"api_key": "az-key-0123456789", "azure_ad_token": TOKEN},
        {"api_key": "az-key-0123456789", "azure_ad_token_provider": tokens()},
        {"azure_ad_token": TOKEN, "azure_ad_token_provider": tokens()},
    ],
)
async def test_a_key_and_a_token_together_are_refused(credentials: dict[str, Any]) -> None:
    """Two Azure credentials at once is a ConfigurationError that shows neither."""
    with pytest.raises(trio_openai.ConfigurationError, match="one credential") as info:
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com", **credentials
        ):
            pytest.fail("opened")
    credentials.clear()  # this test's own frame is in the traceback too
    text = formatted_with_locals(info.value)
    assert TOKEN not in text
    assert "az-key-0123456789" not in text


def test_an_endpoint_with_a_key_and_a_token_is_refused() -> None:
    """Endpoint(kind="azure") with both api_key and azure_ad_token fails to resolve."""
    endpoint = trio_openai.Endpoint(
        "https://res.openai.azure.com", kind="azure", api_key="k" * 20, azure_ad_token=TOKEN
    )
    with pytest.raises(trio_openai.ConfigurationError, match="not both"):
        trio.run(_open_with, endpoint)


async def _open_with(endpoint: trio_openai.Endpoint) -> None:
    async with trio_openai.open_client(endpoints=[endpoint]):
        pass


def test_resolve_api_key_takes_a_callable_without_looking_elsewhere(tmp_path: Any) -> None:
    """A callable is wrapped in a KeyProvider; the environment and .env are not read."""
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv-0123456789\n")
    provider = resolve_api_key(tokens(), env={"OPENAI_API_KEY": "sk-env"}, cwd=tmp_path)
    assert isinstance(provider, KeyProvider)
    assert resolve_api_key(provider, env={}, cwd=tmp_path) is provider


async def test_the_realtime_handshake_asks_the_provider_once(nursery: trio.Nursery) -> None:
    """A realtime connect sends the provider's token as Authorization: Bearer."""
    fake = FakeRealtime(api_key=f"{TOKEN}-1")
    open_stream = await nursery.start(fake.serve_memory)
    async with (
        trio_openai.open_client(api_key=tokens(), base_url="http://x.invalid/v1") as client,
        client.realtime.connect(model="gpt-realtime", open_stream=open_stream) as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    assert fake.last_session.headers["authorization"] == f"Bearer {TOKEN}-1"


async def test_the_realtime_handshake_of_an_entra_client_is_a_bearer(
    nursery: trio.Nursery,
) -> None:
    """An Azure client with an Entra ID provider connects with the bearer, not api-key."""
    fake = FakeRealtime(api_key=f"{TOKEN}-1")
    open_stream = await nursery.start(fake.serve_memory)
    async with (
        trio_openai.open_azure_client(
            azure_endpoint="http://res.openai.azure.com",
            api_version="2025-04-01-preview",
            azure_ad_token_provider=tokens(),
        ) as client,
        client.realtime.connect(model="dep", open_stream=open_stream) as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    headers = fake.last_session.headers
    assert headers["authorization"] == f"Bearer {TOKEN}-1"
    assert "api-key" not in headers


async def test_a_realtime_provider_that_raises_is_a_configuration_error() -> None:
    """The handshake is not attempted when the provider fails; the error names it."""

    def broken() -> str:
        raise OSError("no token")

    async with trio_openai.open_client(api_key=broken, base_url="https://x.invalid/v1") as client:
        with pytest.raises(trio_openai.ConfigurationError, match="broken raised OSError"):
            async with client.realtime.connect(model="gpt-realtime"):
                pytest.fail("connected")


async def test_no_token_in_reprs_or_tracebacks_with_locals() -> None:
    """Options, builders and a failed call's locals never show a provider's token."""

    def provider() -> Secret:
        return Secret(TOKEN)

    server = Server(401)
    async with mock_client(server, api_key=provider, max_retries=0) as (client, probe):
        assert TOKEN not in repr(client.options)
        assert "provider" in repr(client.options.api_key)
        with pytest.raises(trio_openai.AuthenticationError) as info:
            await probe.get("/things")
        assert TOKEN not in repr(client._route.builder(0))
    assert TOKEN not in formatted_with_locals(info.value)
    assert TOKEN not in repr(info.value)
    assert server.auth == [(f"Bearer {TOKEN}", None)]


def test_a_provider_repr_names_the_function_not_its_arguments() -> None:
    """The repr of a functools.partial holding a secret shows only the function's name."""
    provider = KeyProvider(functools.partial(str, TOKEN))
    assert TOKEN not in repr(provider)
    assert repr(provider) == "KeyProvider(partial)"


async def test_a_default_authorization_header_replaces_the_provider() -> None:
    """As with a plain key, a caller's own Authorization header wins; the provider is unused."""
    called = False

    def provider() -> str:
        nonlocal called
        called = True
        return TOKEN

    server = Server()
    headers = {"Authorization": "Bearer gw-0123456789"}
    async with mock_client(server, api_key=provider, default_headers=headers) as (_, probe):
        await probe.get("/things")
    assert server.auth == [("Bearer gw-0123456789", None)]
    assert not called


def test_the_sync_client_takes_a_provider() -> None:
    """SyncClient(api_key=callable) calls the provider in its loop thread for each call."""
    fake = FakeOpenAI(api_key=TOKEN)
    calls = 0

    def provider() -> str:
        nonlocal calls
        calls += 1
        return TOKEN

    with fake.sync_client(api_key=provider, max_retries=0) as client:
        client.models.list()
        client.models.list()
    assert calls == 2
    with trio_openai.SyncClient(api_key=provider, base_url="http://127.0.0.1:9/v1") as client:
        assert TOKEN not in repr(client.options)
