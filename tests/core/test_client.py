"""The session: options, headers, views, closing, Azure addressing, redaction of the key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
import trio
import trio.lowlevel
from _support import Probe, mock_client

import trio_openai

KEY = "sk-test-SECRET-0123456789"


class Recorder:
    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.requests: list[httpx2.Request] = []
        self.status = status
        self.body = {"ok": True} if body is None else body

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(self.status, json=self.body, headers={"x-request-id": "req_42"})


async def test_default_headers_auth_org_project_and_user_agent() -> None:
    """Requests carry the bearer key, organization, project, default headers and user agent."""
    rec = Recorder()
    async with mock_client(
        rec, api_key=KEY, organization="org-1", project="proj-1", default_headers={"X-Team": "a"}
    ) as (_, probe):
        await probe.post("/chat/completions", model="m")
    headers = rec.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert headers["x-team"] == "a"
    assert headers["user-agent"].startswith("trio-openai/")
    assert headers["content-type"] == "application/json"
    assert rec.requests[0].url == "http://test.invalid/v1/chat/completions"


async def test_with_options_is_a_view_sharing_the_pool() -> None:
    """`with_options` is a view on the same pool; its options and headers stay its own."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        view = client.with_options(
            max_retries=0, timeout=3.0, default_headers={"X-A": "1"}, default_query={"q": "v"}
        )
        assert view.http_client is client.http_client
        assert view.options.retry.max_retries == 0
        assert client.options.retry.max_retries == 2
        assert view.options.timeout.read == 3.0
        await Probe(view).get("/models")
        await Probe(client).get("/models")
    assert rec.requests[0].headers["x-a"] == "1"
    assert rec.requests[0].url.params["q"] == "v"
    assert "x-a" not in rec.requests[1].headers


async def test_extra_headers_query_body_and_header_removal() -> None:
    """Extra headers, query and body are merged into the request; an empty header removes it."""
    from trio_openai._api._methods import api_method
    from trio_openai._http._spec import RequestSpec

    class R(Probe):
        __slots__ = ()

        @api_method
        def call(self) -> RequestSpec[Any]:
            return RequestSpec(
                method="POST",
                path="/x",
                result=object,
                body={"a": 1},
                query={"keep": "1"},
                extra_headers={"Idempotency-Key": "", "X-Extra": "yes"},
                extra_query={"q": "2"},
                extra_body={"b": [1, 2]},
            )

    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await R(client).call()
    request = rec.requests[0]
    assert "idempotency-key" not in request.headers
    assert request.headers["x-extra"] == "yes"
    assert dict(request.url.params) == {"keep": "1", "q": "2"}
    assert request.content == b'{"a":1,"b":[1,2]}'


async def test_closed_client_refuses_new_calls() -> None:
    """A call on a closed client raises ClientClosedError and sends nothing."""
    rec = Recorder()
    async with mock_client(rec) as (client, probe):
        pass
    assert client.closed
    with pytest.raises(trio_openai.ClientClosedError, match="open a new client"):
        await probe.get("/models")
    assert rec.requests == []


async def test_session_nursery_tasks_end_with_the_block() -> None:
    """Tasks started in the client's nursery are cancelled when its block ends."""
    ended = trio.Event()

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            ended.set()

    async with mock_client(Recorder()) as (client, _):
        client.nursery.start_soon(forever)
        await trio.lowlevel.checkpoint()
    assert ended.is_set()


async def test_own_pool_is_closed_on_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP pool the client made for itself is closed when its block ends."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with trio_openai.open_client(base_url="http://127.0.0.1:9/v1") as client:
        http = client.http_client
        assert not http.is_closed
    assert http.is_closed


async def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_BASE_URL sets the base URL, its trailing slash dropped."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1/")
    async with trio_openai.open_client() as client:
        assert client.base_url == "http://localhost:8000/v1"


async def test_bad_base_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A base URL without a scheme is a ConfigurationError."""
    with pytest.raises(trio_openai.ConfigurationError, match="http"):
        async with trio_openai.open_client(api_key=KEY, base_url="localhost:8000"):
            pass


async def test_status_error_carries_metadata_and_a_useful_message() -> None:
    """A 404 error carries status, request id, code, param and type; its message names them."""
    rec = Recorder(
        404,
        {
            "error": {
                "message": "No such model",
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_found",
            }
        },
    )
    async with mock_client(rec) as (_, probe):
        with pytest.raises(trio_openai.NotFoundError) as info:
            await probe.get("/models/nope")
    error = info.value
    assert error.status_code == 404
    assert error.request_id == "req_42"
    assert error.code == "model_not_found"
    assert error.param == "model"
    assert error.type == "invalid_request_error"
    assert error.headers["x-request-id"] == "req_42"
    assert "No such model" in str(error)
    assert "/models/nope" in str(error)
    assert "req_42" in str(error)


async def test_non_json_error_body_is_kept_as_text() -> None:
    """A non-JSON error body is kept as text on the error and shown in its message."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(502, text="<html>Bad gateway</html>")

    async with mock_client(handler, max_retries=0) as (_, probe):
        with pytest.raises(trio_openai.InternalServerError, match="Bad gateway") as info:
            await probe.get("/x")
    assert info.value.body == "<html>Bad gateway</html>"


async def test_truncated_json_body_is_a_validation_error() -> None:
    """A truncated JSON body on a 200 raises APIResponseValidationError saying so."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=b'{"id": "chatcmpl-1", "choi')

    async with mock_client(handler) as (_, probe):
        with pytest.raises(trio_openai.APIResponseValidationError, match="not valid JSON") as info:
            await probe.get("/x")
    assert info.value.status_code == 200


async def test_azure_addressing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure puts the deployment in the path, api-version in the query and the key in `api-key`."""
    rec = Recorder()
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(rec)) as http:
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com/",
            api_version="2024-10-21",
            api_key=KEY,
            http_client=http,
        ) as client:
            probe = Probe(client)
            await probe.post("/chat/completions", model="my-gpt4o")
            await probe.get("/models")
    chat, models = rec.requests
    assert str(chat.url) == (
        "https://res.openai.azure.com/openai/deployments/my-gpt4o/chat/completions"
        "?api-version=2024-10-21"
    )
    assert chat.headers["api-key"] == KEY
    assert "authorization" not in chat.headers
    assert str(models.url) == "https://res.openai.azure.com/openai/models?api-version=2024-10-21"


async def test_azure_v1_without_api_version() -> None:
    """Without api_version, an Azure client addresses the `/openai/v1` API."""
    rec = Recorder()
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(rec)) as http:
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com", api_key=KEY, http_client=http
        ) as client:
            await Probe(client).post("/chat/completions", model="dep")
    assert str(rec.requests[0].url) == "https://res.openai.azure.com/openai/v1/chat/completions"


@pytest.mark.parametrize("extra", [{"base_url": "https://other/v1"}, {"endpoints": []}])
async def test_open_azure_client_takes_its_address_from_azure_endpoint_only(
    extra: dict[str, Any],
) -> None:
    """`open_azure_client` refuses base_url= and endpoints=: its address is azure_endpoint only."""
    with pytest.raises(trio_openai.ConfigurationError, match="takes azure_endpoint="):
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com", api_key=KEY, **extra
        ):
            pass


@asynccontextmanager
async def _keyed_client(
    kind: str, handler: Recorder
) -> AsyncIterator[tuple[trio_openai.Client, Probe]]:
    """A client that sends KEY the way *kind* does: bearer, Azure ``api-key``, ``x-api-key``."""
    if kind == "openai":
        async with mock_client(handler, api_key=KEY) as opened:
            yield opened
        return
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        if kind == "azure":
            opener = trio_openai.open_azure_client(
                azure_endpoint="https://res.openai.azure.com", api_key=KEY, http_client=http
            )
        else:  # a gateway that wants its own key header besides the bearer token
            opener = trio_openai.open_client(
                api_key="sk-other-1234",
                base_url="http://gateway.invalid/v1",
                default_headers={"X-Api-Key": KEY},
                http_client=http,
            )
        async with opener as client:
            yield client, Probe(client)


@pytest.mark.parametrize("kind", ["openai", "azure", "gateway"])
async def test_key_never_in_reprs_logs_or_errors(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The key is sent but appears in no repr, error, or DEBUG log, for every way of sending it."""
    caplog.set_level(logging.DEBUG)
    rec = Recorder(401, {"error": {"message": "Incorrect API key provided"}})
    async with _keyed_client(kind, rec) as (client, probe):
        with pytest.raises(trio_openai.AuthenticationError) as info:
            await probe.get("/models")
        texts = [
            repr(client),
            repr(client.options),
            str(info.value),
            repr(info.value),
            repr(info.value.request),
            repr(info.value.request.headers),
            repr(probe),
        ]
    # The key was sent (and can be read on purpose), only never shown.
    sent = rec.requests[0].headers
    assert any(KEY in sent.get(name, "") for name in ("authorization", "api-key", "x-api-key"))
    assert "[secure]" in repr(info.value.request.headers)
    texts += [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    assert caplog.records, "expected DEBUG logs from the pipeline"
    for text in texts:
        assert KEY not in text
        assert "SECRET" not in text, [line for line in text.splitlines() if "SECRET" in line]


async def test_errors_leave_the_block_unwrapped() -> None:
    """An API error raised inside the client's block comes out as itself, not in a group."""
    rec = Recorder(404, {"error": {"message": "nope"}})
    with pytest.raises(trio_openai.NotFoundError):
        async with mock_client(rec) as (_, probe):
            await probe.get("/models/x")


async def test_outer_cancellation_passes_through_the_block(autojump_clock: Any) -> None:
    """A cancel scope around the client's block cancels it, and the client ends closed."""
    with trio.move_on_after(1) as scope:
        async with mock_client(Recorder()) as (client, _):
            await trio.sleep_forever()
    assert scope.cancelled_caught
    assert client.closed


async def test_malformed_key_error_shows_no_key_even_in_traceback_locals() -> None:
    """A key with whitespace is refused without showing it, even in traceback locals."""
    import traceback

    # The key is built in the call, not kept in a local of this frame, and its source
    # line shows only its parts: any "SECRET" in the text comes from the library.
    with pytest.raises(trio_openai.ConfigurationError) as info:
        async with trio_openai.open_client(api_key="sk-bad key-" + "SEC" + "RET"):
            pass
    text = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert "whitespace" in str(info.value)
    assert "SECRET" not in text, [line for line in text.splitlines() if "SECRET" in line]


async def test_binary_calls_accept_any_content_type() -> None:
    """Binary calls send `Accept: */*`; JSON calls send `application/json`."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await client.audio.speech.create(model="tts", voice="alloy", input="x")
        await client.models.list()
    assert rec.requests[0].headers["accept"] == "*/*"
    assert rec.requests[1].headers["accept"] == "application/json"


async def test_a_supplied_pool_keeps_its_own_params_cookies_and_headers() -> None:
    """A pool passed as http_client keeps its own params, cookies and headers on our requests."""
    rec = Recorder()
    transport = httpx2.MockTransport(rec)
    async with httpx2.AsyncClient(
        transport=transport, params={"tenant": "t1"}, cookies={"sid": "c1"}, headers={"X-Pool": "p"}
    ) as http:
        async with trio_openai.open_client(
            api_key=KEY, base_url="http://test.invalid/v1", http_client=http
        ) as client:
            await Probe(client).list("/files", limit=2)
    request = rec.requests[0]
    assert request.url.params["tenant"] == "t1"
    assert request.url.params["limit"] == "2"
    assert request.headers["cookie"] == "sid=c1"
    assert request.headers["x-pool"] == "p"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_query_values_are_percent_encoded() -> None:
    """Query values with spaces and `&` survive, lists repeat the key, and True is "true"."""
    rec = Recorder()
    async with mock_client(rec) as (_, probe):
        await probe.list("/files", after="a b&c", order=["x", "y"], flag=True)
    params = rec.requests[0].url.params
    assert params["after"] == "a b&c"
    assert params.get_list("order") == ["x", "y"]
    assert params["flag"] == "true"
