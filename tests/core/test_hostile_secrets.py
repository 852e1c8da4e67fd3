"""Hostile readers of our objects: tracebacks with locals, pickles, reprs, logs never show a key."""

from __future__ import annotations

import logging
import pickle
import socket
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from tests._hostile import RawRequest, formatted_with_locals, raw_server, response_bytes
from tests._support import mock_client

KEY = "sk-hostile-0123456789abcdefABCDEF"
CUSTOM = "gw-token-SECRET-987654"  # a gateway's key in a header we cannot know about
QUERY_KEY = "qk-SECRET-55554444"  # a gateway's key as a default query parameter


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _answer(mode: str, stream: trio.SocketStream) -> None:
    if mode == "401":
        body = b'{"error": {"message": "bad key", "type": "invalid_request_error"}}'
        await stream.send_all(response_bytes(401, body, content_type="application/json"))
    elif mode == "close":
        await stream.aclose()
    elif mode == "hang":
        await trio.sleep_forever()
    elif mode == "validation":
        body = b'{"id": "m", "object": "model", "created": "not-an-int", "owned_by": "o"}'
        await stream.send_all(response_bytes(200, body, content_type="application/json"))


def _open(kind: str, port: int) -> Any:
    common: dict[str, Any] = {
        "api_key": KEY,
        "max_retries": 0,
        "timeout": 0.5,
        "default_headers": {"X-Gateway-Token": CUSTOM},
        "default_query": {"key": QUERY_KEY},
    }
    if kind == "azure":
        return trio_openai.open_azure_client(
            azure_endpoint=f"http://127.0.0.1:{port}", api_version="2024-10-21", **common
        )
    return trio_openai.open_client(base_url=f"http://127.0.0.1:{port}/v1", **common)


@pytest.mark.parametrize("kind", ["openai", "azure"])
@pytest.mark.parametrize("mode", ["401", "close", "hang", "refused", "validation"])
async def test_no_frame_of_a_failed_call_shows_the_key_in_its_locals(kind: str, mode: str) -> None:
    """capture_locals tracebacks (Sentry, rich, loguru) of every failure kind hold no secret."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        await _answer(mode, stream)

    async def call(port: int) -> None:
        async with _open(kind, port) as client:
            if kind == "azure":
                await client.chat.completions.create(
                    model="dep", messages=[{"role": "user", "content": "x"}]
                )
            else:
                await client.models.retrieve("m")

    async with raw_server(handler) as server:
        port = _free_port() if mode == "refused" else server.port
        with pytest.raises(trio_openai.APIError) as info:
            await call(port)
    text = formatted_with_locals(info.value)  # must not crash on a half-built result either
    assert KEY not in text
    assert CUSTOM not in text
    assert QUERY_KEY not in text
    assert "[secure]" in text  # the headers were there, redacted
    if mode != "refused":
        assert server.requests, "the request reached the server"
        sent = server.requests[0]
        assert CUSTOM in sent.headers.values()
        assert QUERY_KEY in sent.target


def _status_error(content: bytes, status: int = 401, **headers: str) -> trio_openai.APIStatusError:
    request = httpx2.Request("GET", "https://api.test/v1/models")
    response = httpx2.Response(status, content=content, request=request, headers=headers)
    return trio_openai._errors.status_error(response, content)


async def test_status_errors_pickle_to_the_same_class_without_secrets() -> None:
    """A pickled error (multiprocessing, a task queue) round-trips without the key."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            401,
            json={"error": {"message": "nope", "code": "invalid_api_key", "param": None}},
            headers={"x-request-id": "req_42"},
        )

    async with mock_client(handler, api_key=KEY, default_headers={"X-Gateway-Token": CUSTOM}) as (
        client,
        _,
    ):
        with pytest.raises(trio_openai.AuthenticationError) as info:
            await client.models.list()
    data = pickle.dumps(info.value)
    assert KEY.encode() not in data
    assert CUSTOM.encode() not in data
    copy = pickle.loads(data)
    assert type(copy) is trio_openai.AuthenticationError
    assert (copy.status_code, copy.request_id, copy.code) == (401, "req_42", "invalid_api_key")
    assert copy.body == info.value.body
    assert str(copy) == str(info.value)
    assert copy.request.headers["authorization"] == "[secure]"
    assert copy.response.status_code == 401


@pytest.mark.parametrize(
    "error",
    [
        trio_openai.APIConnectionError("down", request=httpx2.Request("GET", "https://x/v1")),
        trio_openai.APITimeoutError("slow", request=httpx2.Request("GET", "https://x/v1")),
        trio_openai.StreamInterruptedError("cut"),
        trio_openai.CircuitOpenError("open", endpoint="a", retry_at=5.0, retry_in=2.0),
        trio_openai.RateLimitWaitError("wait", endpoint="a", wait=3.0),
        trio_openai.APIStreamError("boom", body={"error": {"code": "x"}}),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_api_error_pickles(error: trio_openai.APIError) -> None:
    """Errors with keyword-only constructors unpickle (they raised TypeError in __init__)."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert vars(copy).keys() == vars(error).keys()
    assert str(copy) == str(error)
    for name in ("endpoint", "retry_at", "retry_in", "wait", "code"):
        assert getattr(copy, name, None) == getattr(error, name, None)


def test_an_echoed_key_is_scrubbed_from_the_error() -> None:
    """A server echoing the request's key or a custom header value does not put it in the error."""
    request = httpx2.Request(
        "GET",
        "https://api.test/v1/models",
        headers={"Authorization": f"Bearer {KEY}", "X-Gateway-Token": CUSTOM},
    )
    content = (
        b'{"error": {"message": "Incorrect API key provided: ' + KEY.encode() + b" and "
        b"" + CUSTOM.encode() + b'", "code": "invalid_api_key"}}'
    )
    response = httpx2.Response(401, content=content, request=request)
    error = trio_openai._errors.status_error(response, content)
    for text in (str(error), repr(error), repr(error.body)):
        assert KEY not in text
        assert CUSTOM not in text
    assert "Incorrect API key provided: [secure] and [secure]" in str(error)
    assert error.code == "invalid_api_key"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"https://user:{KEY}@api.test/v1", "credentials"),
        (f"https://{KEY}@api.test/v1", "credentials"),
        (f"https://api.test/v1?api-key={KEY}", "default_query="),
        (f"https://api.test/v1#{KEY}", "default_query="),
        (KEY, "no scheme"),
        (f"ftp://{KEY}", "ftp"),
    ],
)
async def test_a_base_url_that_would_show_a_key_is_refused_without_showing_it(
    url: str, says: str
) -> None:
    """Userinfo, a query or a fragment in base_url (or a key passed as base_url) is refused."""
    with pytest.raises(trio_openai.ConfigurationError) as info:
        async with trio_openai.open_client(api_key="sk-other-key-123", base_url=url):
            pass
    assert says in str(info.value)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


async def test_endpoint_base_url_with_credentials_is_refused() -> None:
    """The same rule for endpoints= (their URL names the endpoint in health())."""
    endpoint = trio_openai.Endpoint(f"https://u:{KEY}@gw.test/v1", api_key="sk-other-key-123")
    with pytest.raises(trio_openai.ConfigurationError) as info:
        async with trio_openai.open_client(endpoints=[endpoint]):
            pass
    assert KEY not in str(info.value)


async def test_default_query_and_custom_headers_never_print(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Configured query values and custom header values stay out of reprs and every log line."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(404, json={"error": {"message": "no such model"}})

    caplog.set_level(logging.DEBUG)
    async with mock_client(
        handler,
        api_key=KEY,
        default_query={"key": QUERY_KEY, "api-version": "2024-10-21"},
        default_headers={"X-Gateway-Token": CUSTOM, "OpenAI-Beta": "assistants=v2"},
    ) as (client, _):
        with pytest.raises(trio_openai.NotFoundError) as info:
            await client.models.retrieve("m", extra_headers={"X-Per-Call": CUSTOM})
        shown = [
            repr(client),
            repr(client.options),
            repr(client.health()),
            str(info.value),
            repr(info.value.request),
            repr(info.value.request.headers),
            str(info.value.request.url),
            caplog.text,
        ]
    for text in shown:
        assert KEY not in text
        assert CUSTOM not in text
        assert QUERY_KEY not in text
    assert "HTTP Request: GET" in caplog.text  # httpx2's INFO line was captured
    assert "api-version='2024-10-21'" in repr(client.options) or "2024-10-21" in repr(
        client.options
    )
    assert "assistants=v2" in repr(info.value.request.headers)  # on the allow-list
    # ... and the wire still carries every value.
    sent = seen[0]
    assert sent.headers["x-gateway-token"] == CUSTOM
    assert sent.headers["x-per-call"] == CUSTOM
    assert sent.url.params["key"] == QUERY_KEY
    assert sent.url == httpx2.URL(str(httpx2.URL(sent.url)))  # equality uses the real URL


async def test_per_call_headers_stay_out_of_traceback_locals() -> None:
    """extra_headers passed to one call are not in any frame of ours (the method's kwargs)."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(500, json={"error": {"message": "boom"}})

    async with mock_client(handler, api_key=KEY, max_retries=0) as (client, _):
        headers = {"X-Per-Call": CUSTOM}
        with pytest.raises(trio_openai.InternalServerError) as info:
            await client.models.retrieve("m", extra_headers=headers)
        del headers  # the test's own frame is the caller's business
    text = formatted_with_locals(info.value)
    assert CUSTOM not in text
    assert KEY not in text


def test_sync_client_calls_keep_secrets_out_of_traceback_locals() -> None:
    """The blocking tree (REST and realtime connect) crosses threads without a revealing repr."""
    port = _free_port()
    with trio_openai.SyncClient(
        api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    ) as client:
        with pytest.raises(trio_openai.APIConnectionError) as rest:
            client.models.retrieve("m", extra_headers={"X-Per-Call": CUSTOM})
        with pytest.raises(trio_openai.APIConnectionError) as realtime:
            with client.realtime.connect(model="m", extra_headers={"X-Per-Call": CUSTOM}):
                pass
    for error in (rest.value, realtime.value):
        text = formatted_with_locals(error)
        assert CUSTOM not in text
        assert KEY not in text
