"""client.get/post/patch/put/delete/request and the extended with_options, async and sync."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from tests._hostile import RawRequest, raw_server, response_bytes
from tests._support import mock_client
from trio_openai.types import Model

MODEL = {"id": "m1", "object": "model", "created": 1, "owned_by": "me"}


def _json(status: int = 200, body: object = MODEL, **headers: str) -> httpx2.Response:
    return httpx2.Response(status, json=body, headers={"x-request-id": "req_1", **headers})


class Recorder:
    """A MockTransport handler that records requests and plays canned responses in turn."""

    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses) or [_json()]
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        request.read()
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


@pytest.mark.parametrize("verb", ["get", "post", "patch", "put", "delete"])
async def test_each_verb_sends_its_method_path_params_and_auth(verb: str) -> None:
    """Each verb sends its method to base_url + path with the query, key and default headers."""
    rec = Recorder()
    async with mock_client(rec, default_headers={"X-Team": "a"}) as (client, _):
        result = await getattr(client, verb)(
            "/fine_tuning/alpha/graders", cast_to=Model, params={"limit": 2, "tag": ["a", "b"]}
        )
    assert result == Model(id="m1", object="model", created=1, owned_by="me")
    (request,) = rec.requests
    assert request.method == verb.upper()
    assert str(request.url) == (
        "http://test.invalid/v1/fine_tuning/alpha/graders?limit=2&tag=a&tag=b"
    )
    assert request.headers["authorization"] == "Bearer sk-test-1234"
    assert request.headers["x-team"] == "a"


@pytest.mark.parametrize("verb", ["post", "patch", "put"])
async def test_body_verbs_send_json_with_an_idempotency_key(verb: str) -> None:
    """post/patch/put send *body* as JSON, with an Idempotency-Key like every non-GET call."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await getattr(client, verb)("things/1", body={"a": [1, None]})
    (request,) = rec.requests
    assert json.loads(request.content) == {"a": [1, None]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"].startswith("trio-openai-")
    assert request.url.path == "/v1/things/1"


async def test_post_with_files_is_multipart() -> None:
    """post(files=...) sends multipart/form-data with the body as form fields."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await client.post(
            "/uploads/x", body={"purpose": "batch"}, files={"file": ("a.txt", b"hi", "text/plain")}
        )
    (request,) = rec.requests
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="purpose"' in request.content
    assert b"hi" in request.content


@pytest.mark.parametrize(
    ("cast_to", "expected"),
    [
        (object, MODEL),
        (dict[str, Any], MODEL),
        (str, json.dumps(MODEL)),
        (bytes, json.dumps(MODEL).encode()),
        (None, None),
    ],
)
async def test_cast_to_decides_what_the_answer_becomes(cast_to: Any, expected: object) -> None:
    """cast_to: object/dict give the JSON, str the text, bytes the bytes, None nothing."""
    body = json.dumps(MODEL).encode()
    rec = Recorder(httpx2.Response(200, content=body, headers={"content-type": "application/json"}))
    async with mock_client(rec) as (client, _):
        assert await client.get("/x", cast_to=cast_to) == expected


async def test_cast_to_a_list_of_models_and_the_raw_response() -> None:
    """cast_to=list[Model] structures each item; cast_to=APIResponse gives metadata and parse()."""
    rec = Recorder(_json(body=[MODEL, MODEL]))
    async with mock_client(rec) as (client, _):
        models = await client.get("/x", cast_to=list[Model])
        raw = await client.get("/x", cast_to=trio_openai.APIResponse)
    assert [m.id for m in models] == ["m1", "m1"]
    assert isinstance(raw, trio_openai.APIResponse)
    assert raw.request_id == "req_1"
    assert raw.retries_taken == 0
    assert raw.parse() == [MODEL, MODEL]


async def test_a_bad_answer_for_cast_to_is_a_validation_error() -> None:
    """An answer that does not fit cast_to raises APIResponseValidationError, as methods do."""
    async with mock_client(Recorder(_json(body={"id": 3}))) as (client, _):
        with pytest.raises(trio_openai.APIResponseValidationError):
            await client.get("/x", cast_to=Model)


async def test_escape_hatches_retry_and_raise_status_errors(autojump_clock: object) -> None:
    """Retries (one Idempotency-Key across them) and status errors apply as to any call."""
    rec = Recorder(_json(500, {"error": {"message": "boom"}}), _json())
    async with mock_client(rec) as (client, _):
        assert (await client.post("/x", cast_to=Model)).id == "m1"
        keys = {r.headers["idempotency-key"] for r in rec.requests}
        assert len(rec.requests) == 2
        assert len(keys) == 1
        rec.responses = [_json(404, {"error": {"message": "no such thing"}})]
        with pytest.raises(trio_openai.NotFoundError, match="no such thing"):
            await client.delete("/x")


async def test_escape_hatches_honour_the_size_bound() -> None:
    """max_response_size bounds the answer of an escape-hatch call too."""
    rec = Recorder(httpx2.Response(200, content=b"x" * 1000))
    async with mock_client(rec, max_response_size=100) as (client, _):
        with pytest.raises(trio_openai.ResponseTooLargeError):
            await client.get("/x", cast_to=bytes)


async def test_escape_hatches_go_through_the_layers() -> None:
    """A layer sees the escape hatch's request, as it sees every attempt."""
    seen: list[str] = []

    async def layer(request: httpx2.Request, send: Any) -> httpx2.Response:
        seen.append(request.url.path)
        return await send(request)

    async with mock_client(Recorder(), layers=(layer,)) as (client, _):
        await client.get("/custom/thing")
    assert seen == ["/v1/custom/thing"]


async def test_per_call_headers_and_timeout_are_sent() -> None:
    """headers= adds (or with "" removes) a header; timeout= is the attempt's timeout."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await client.post("/x", headers={"X-One": "1", "Idempotency-Key": ""}, timeout=3.0)
    (request,) = rec.requests
    assert request.headers["x-one"] == "1"
    assert "idempotency-key" not in request.headers
    assert request.extensions["timeout"]["read"] == 3.0


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "..",
        "/files/..",
        "/files/./x",
        "/files/%2e%2E/x",
        "/files//x",
        "/files/",
        "https://evil.example/v1/x",
        "//evil.example/x",
        "/x?key=1",
        "/x#frag",
        "/x\udc80",
    ],
)
async def test_route_changing_paths_are_refused_before_sending(path: str) -> None:
    """Absolute URLs, queries, empty and dot segments (encoded too) never reach the network."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        with pytest.raises(trio_openai.InvalidArgumentError):
            await client.get(path)
    assert rec.requests == []


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("models", "/v1/models"),
        ("/files/..x/a...b", "/v1/files/..x/a...b"),
        ("/a b/é", "/v1/a%20b/%C3%A9"),
        ("/a%2Fb", "/v1/a%2Fb"),
    ],
)
async def test_paths_are_relative_to_the_base_url_and_quoted(path: str, sent: str) -> None:
    """A path is relative to base_url (leading slash or not); unsafe characters are quoted."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await client.get(path)
    assert rec.requests[0].url.raw_path.decode() == sent


# -- with_options ----------------------------------------------------------------------


async def test_with_options_replaces_key_organization_and_project() -> None:
    """with_options(api_key=, organization=, project=) changes what the view sends, only there."""
    rec = Recorder()
    async with mock_client(rec, organization="org-a", project="proj-a") as (client, _):
        view = client.with_options(api_key="sk-other-5678", organization="org-b", project=None)
        await view.get("/x")
        await client.get("/x")
    mine, base = rec.requests
    assert mine.headers["authorization"] == "Bearer sk-other-5678"
    assert mine.headers["openai-organization"] == "org-b"
    assert "openai-project" not in mine.headers
    assert base.headers["authorization"] == "Bearer sk-test-1234"
    assert base.headers["openai-project"] == "proj-a"
    assert "sk-other" not in repr(view.options)


async def test_with_options_key_wins_over_each_endpoints_own() -> None:
    """With several endpoints, a view's api_key is sent to whichever endpoint a call goes to."""
    rec = Recorder(_json(500, {"error": {"message": "down"}}), _json())
    endpoints = [
        trio_openai.Endpoint("http://a.invalid/v1", api_key="sk-endpoint-a1"),
        trio_openai.Endpoint("http://b.invalid/v1", api_key="sk-endpoint-b1"),
    ]
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(rec)) as http:
        async with trio_openai.open_client(http_client=http, endpoints=endpoints) as client:
            await client.with_options(api_key="sk-view-key-1").get("/x")
    assert [r.url.host for r in rec.requests] == ["a.invalid", "b.invalid"]
    assert {r.headers["authorization"] for r in rec.requests} == {"Bearer sk-view-key-1"}


async def test_with_options_base_url_shares_the_pool_and_ends_with_the_session() -> None:
    """A base_url view sends there through the same pool, and is closed with its session."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        view = client.with_options(base_url="http://other.invalid/api/")
        twice = view.with_options(max_retries=0)
        assert view.http_client is client.http_client
        assert view.base_url == "http://other.invalid/api"
        await twice.get("/x")
        await client.get("/x")
        assert [s.name for s in view.health()] == ["other.invalid"]
    assert [str(r.url) for r in rec.requests] == [
        "http://other.invalid/api/x",
        "http://test.invalid/v1/x",
    ]
    assert rec.requests[0].headers["authorization"] == "Bearer sk-test-1234"
    assert view.closed
    assert twice.closed
    with pytest.raises(trio_openai.ClientClosedError):
        await twice.get("/x")


@pytest.mark.parametrize(
    "options",
    [{"base_url": "ftp://x"}, {"base_url": "https://user:pw@x"}, {"api_key": ""}],
)
async def test_with_options_refuses_a_bad_base_url_or_key(options: dict[str, str]) -> None:
    """A malformed base_url or key is a ConfigurationError when the view is made."""
    async with mock_client(Recorder()) as (client, _):
        with pytest.raises(trio_openai.ConfigurationError):
            client.with_options(**options)  # type: ignore[arg-type]


# -- the sync client -------------------------------------------------------------------


@asynccontextmanager
async def _opener(rec: Recorder, **kwargs: Any) -> AsyncIterator[trio_openai.Client]:
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(rec)) as http:
        async with trio_openai.open_client(
            http_client=http, api_key="sk-test-1234", base_url="http://test.invalid/v1", **kwargs
        ) as client:
            yield client


def test_sync_client_has_the_escape_hatches_and_with_options() -> None:
    """SyncClient.get/post/patch/put/delete block and decode; with_options takes the new ones."""
    rec = Recorder()
    with trio_openai.SyncClient.from_opener(lambda: _opener(rec)) as client:
        assert client.get("/x", cast_to=Model).id == "m1"
        assert client.post("/x", body={"a": 1}) == MODEL
        assert json.loads(client.patch("/x", cast_to=str)) == MODEL
        assert client.put("/x", cast_to=None) is None
        assert client.delete("/x", cast_to=Model)._request_id == "req_1"
        view = client.with_options(api_key="sk-sync-view1", base_url="http://s.invalid/v2")
        view.get("/y")
        with pytest.raises(trio_openai.InvalidArgumentError):
            client.get("/a/../b")
    assert [r.method for r in rec.requests] == ["GET", "POST", "PATCH", "PUT", "DELETE", "GET"]
    assert str(rec.requests[-1].url) == "http://s.invalid/v2/y"
    assert rec.requests[-1].headers["authorization"] == "Bearer sk-sync-view1"


async def test_escape_hatch_cancellation_releases_the_call(autojump_clock: object) -> None:
    """A cancel scope around an escape-hatch call cancels it, and the client stays usable."""
    gate = trio.Event()

    async def slow(request: httpx2.Request, send: Any) -> httpx2.Response:
        if request.url.path.endswith("/slow"):
            await gate.wait()
        return await send(request)

    async with mock_client(Recorder(), layers=(slow,)) as (client, _):
        with trio.move_on_after(5) as scope:
            await client.get("/slow")
        assert scope.cancelled_caught
        assert (await client.get("/fast", cast_to=Model)).id == "m1"


async def test_the_wire_gets_the_path_as_checked() -> None:
    """Over a real socket, the request target is base path + the quoted path, nothing resolved."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        await stream.send_all(response_bytes(200, b"{}", content_type="application/json"))

    async with raw_server(handler) as server:
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=server.url + "/v1", max_retries=0
        ) as client:
            await client.get("/files/..x/a%2Fb/c d", params={"q": "1"})
            with pytest.raises(trio_openai.InvalidArgumentError):
                await client.get("/files/%2E%2E/admin")
    assert [r.target for r in server.requests] == ["/v1/files/..x/a%2Fb/c%20d?q=1"]
    assert server.requests[0].headers["authorization"] == "Bearer sk-test-1234"
