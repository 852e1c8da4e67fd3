"""Tests of the fake OpenAI server (`trio_openai.testing`), in memory and on a real socket."""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trio
import trio.testing

import trio_openai.testing
from tests._spec_support import spec_schemas, violations
from trio_openai.testing import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
TRANSPORTS = ["memory", "socket"]


@asynccontextmanager
async def http_client(fake: FakeOpenAI, transport: str) -> AsyncIterator[httpx2.AsyncClient]:
    """A plain httpx2 client talking to *fake* in memory or over 127.0.0.1."""
    if transport == "memory":
        async with httpx2.AsyncClient(transport=fake.transport(), base_url=fake.base_url) as c:
            yield c
        return
    async with trio.open_nursery() as nursery:
        base_url = await nursery.start(fake.serve)
        async with httpx2.AsyncClient(base_url=base_url) as c:
            yield c
        nursery.cancel_scope.cancel()


def sse_payloads(raw: bytes) -> list[tuple[str | None, str]]:
    """Split an event stream into ``(event name, data)`` pairs (enough for these tests)."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        name = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        events.append((name, "\n".join(data)))
    return events


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there, fake!"}]}


# --- the package ----------------------------------------------------------------------


def test_public_names_are_sorted_and_resolve() -> None:
    """`__all__` is sorted, and every name in it loads from its private module."""
    names = trio_openai.testing.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(trio_openai.testing, name) is not None
    assert set(names) <= set(dir(trio_openai.testing))
    with pytest.raises(AttributeError):
        _ = trio_openai.testing.nothing_here


def test_plugin_import_does_not_import_trio_or_httpx2() -> None:
    """Importing the pytest plugin (done on every pytest run) pulls in neither trio nor httpx2."""
    code = (
        "import sys, trio_openai\n"
        "before = set(sys.modules)\n"
        "import trio_openai.testing.pytest_plugin\n"
        "new = set(sys.modules) - before\n"
        "heavy = sorted(m for m in new if m.split('.')[0] in {'trio', 'httpx2', 'h11', 'attrs'})\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "[]"


# --- scripted replies -----------------------------------------------------------------


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_scripted_json_reply_then_default(transport: str) -> None:
    """A scripted JSON reply answers once, with its status and headers; then the default."""
    fake = FakeOpenAI()
    fake.add(
        "POST", "/v1/chat/completions", json={"hello": "world"}, status=201, headers={"X-A": "1"}
    )
    async with http_client(fake, transport) as c:
        first = await c.post("/chat/completions", json=CHAT)
        second = await c.post("/chat/completions", json=CHAT)
    assert (first.status_code, first.json(), first.headers["x-a"]) == (201, {"hello": "world"}, "1")
    assert first.headers["content-type"] == "application/json"
    assert second.status_code == 200
    assert second.json()["object"] == "chat.completion"
    fake.assert_all_used()


@pytest.mark.trio
async def test_times_and_forever() -> None:
    """`times=2` answers two requests; `times=None` answers all later ones."""
    fake = FakeOpenAI()
    fake.add("GET", "/models", json={"n": 1}, times=2)
    fake.add("GET", "/models", json={"n": 2}, times=None)
    async with http_client(fake, "memory") as c:
        seen = [(await c.get("/models")).json()["n"] for _ in range(4)]
    assert seen == [1, 1, 2, 2]
    fake.assert_all_used()


def test_assert_all_used_lists_leftovers() -> None:
    """An unused scripted entry makes `assert_all_used` fail, naming the route."""
    fake = FakeOpenAI()
    fake.add_fault("POST", "/embeddings", status=429)
    with pytest.raises(AssertionError, match="POST /embeddings"):
        fake.assert_all_used()


def test_bad_scripts_are_rejected() -> None:
    """Two bodies, zero times, or a fault without a fault are errors at scripting time."""
    fake = FakeOpenAI()
    with pytest.raises(ValueError, match="at most one"):
        fake.add("GET", "/models", json={}, content=b"x")
    with pytest.raises(ValueError, match="times"):
        fake.add("GET", "/models", json={}, times=0)
    with pytest.raises(ValueError, match="needs a fault"):
        fake.add_fault("GET", "/models")


@pytest.mark.trio
async def test_path_parameters_and_raw_content() -> None:
    """A `{param}` route matches any one segment; `content=` sends bytes with its type."""
    fake = FakeOpenAI()
    fake.add("GET", "/files/{file_id}/content", content=b"\x00\x01", content_type="image/png")
    async with http_client(fake, "memory") as c:
        response = await c.get("/files/file-xyz/content")
    assert response.content == b"\x00\x01"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == "2"


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_sse_reply_arrives_event_by_event(transport: str, autojump_clock: Any) -> None:
    """A scripted stream is sent one event per chunk, `interval` apart: streamed, not buffered."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/chat/completions",
        sse=[{"n": 1}, ("named", {"n": 2}), ("text", "plain\nlines"), ": keep-alive"],
        interval=1.0,
    )
    arrivals: list[tuple[float, bytes]] = []
    async with (
        http_client(fake, transport) as c,
        c.stream("POST", "/chat/completions", json=CHAT) as response,
    ):
        start = trio.current_time()
        arrivals += [(trio.current_time() - start, chunk) async for chunk in response.aiter_raw()]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in response.headers
    assert [chunk for _, chunk in arrivals] == [
        b'data: {"n":1}\n\n',
        b'event: named\ndata: {"n":2}\n\n',
        b"event: text\ndata: plain\ndata: lines\n\n",
        b": keep-alive\n\n",
        b"data: [DONE]\n\n",
    ]
    assert [round(t, 3) for t, _ in arrivals] == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.trio
async def test_sse_without_done() -> None:
    """`done=False` leaves out the `data: [DONE]` marker."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=[("response.completed", {"x": 1})], done=False)
    async with http_client(fake, "memory") as c:
        response = await c.post("/responses", json={"model": "m", "stream": True})
    assert sse_payloads(response.content) == [("response.completed", '{"x":1}')]


# --- default replies ------------------------------------------------------------------


@pytest.mark.trio
async def test_chat_default_echoes_last_user_message() -> None:
    """The default chat completion echoes the last user message and counts words as tokens."""
    fake = FakeOpenAI()
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "two words"}]},
        ],
    }
    async with http_client(fake, "memory") as c:
        chat = (await c.post("/chat/completions", json=body)).json()
    assert chat["model"] == "gpt-4o"
    assert chat["choices"][0]["message"]["content"] == "two words"
    assert chat["usage"] == chat["usage"] | {
        "prompt_tokens": 4,
        "completion_tokens": 2,
        "total_tokens": 6,
    }


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_chat_stream_default(transport: str) -> None:
    """With `stream: true` the deltas join back into the echoed text, then `[DONE]`."""
    fake = FakeOpenAI()
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    async with http_client(fake, transport) as c:
        response = await c.post("/chat/completions", json=body)
    events = sse_payloads(response.content)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Hello there, fake!"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3


@pytest.mark.trio
async def test_responses_stream_default_event_sequence() -> None:
    """The default responses stream is the typed event sequence, numbered, ending in completed."""
    fake = FakeOpenAI()
    body = {"model": "gpt-4o-mini", "input": "stream me please", "stream": True}
    async with http_client(fake, "memory") as c:
        response = await c.post("/responses", json=body)
    events = sse_payloads(response.content)
    names = [name for name, _ in events]
    payloads = [json.loads(data) for _, data in events]
    assert names[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert names[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [p["type"] for p in payloads] == names
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    deltas = [p["delta"] for p in payloads if p["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "stream me please"
    final = payloads[-1]["response"]
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0] == {
        "type": "output_text",
        "text": "stream me please",
        "annotations": [],
        "logprobs": [],
    }


@pytest.mark.trio
async def test_embeddings_are_deterministic_and_base64_encodable() -> None:
    """One unit vector per input, the same for the same text; base64 is packed float32."""
    fake = FakeOpenAI()
    body: dict[str, Any] = {"model": "text-embedding-3-small", "input": ["a", "b", "a"]}
    async with http_client(fake, "memory") as c:
        floats = (await c.post("/embeddings", json=body)).json()
        packed = (await c.post("/embeddings", json={**body, "encoding_format": "base64"})).json()
        wide = (await c.post("/embeddings", json={**body, "dimensions": 100})).json()
    vectors = [item["embedding"] for item in floats["data"]]
    assert len(vectors) == 3
    assert len(vectors[0]) == 8
    assert vectors[0] == vectors[2] != vectors[1]
    assert abs(sum(v * v for v in vectors[0]) - 1) < 1e-4
    decoded = struct.unpack("<8f", base64.b64decode(packed["data"][1]["embedding"]))
    assert decoded == pytest.approx(vectors[1], abs=1e-6)
    assert len(wide["data"][0]["embedding"]) == 100


@pytest.mark.trio
async def test_speech_returns_audio_bytes() -> None:
    """`/audio/speech` answers `audio/mpeg` bytes by default, another type per format."""
    fake = FakeOpenAI()
    body = {"model": "tts-1", "input": "say this", "voice": "alloy"}
    async with http_client(fake, "memory") as c:
        mp3 = await c.post("/audio/speech", json=body)
        wav = await c.post("/audio/speech", json={**body, "response_format": "wav"})
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert mp3.content.startswith(b"ID3")
    assert b"say this" in mp3.content
    assert wav.headers["content-type"] == "audio/wav"


@pytest.mark.trio
async def test_files_lifecycle_and_cursor_pagination() -> None:
    """Upload (multipart), list page by page, get, download, delete; the upload is recorded."""
    fake = FakeOpenAI()
    async with http_client(fake, "memory") as c:
        ids = []
        for n in range(3):
            upload = await c.post(
                "/files",
                data={"purpose": "batch"},
                files={"file": (f"f{n}.jsonl", b"line\r\n\x00binary" + bytes([n]), "text/plain")},
            )
            ids.append(upload.json()["id"])
        form = fake.last_request.multipart()
        page1 = (await c.get("/files", params={"limit": 2})).json()
        page2 = (await c.get("/files", params={"limit": 2, "after": page1["last_id"]})).json()
        ascending = (await c.get("/files", params={"order": "asc"})).json()
        got = (await c.get(f"/files/{ids[0]}")).json()
        content = await c.get(f"/files/{ids[0]}/content")
        deleted = (await c.delete(f"/files/{ids[0]}")).json()
        missing = await c.get(f"/files/{ids[0]}")
        empty = (await c.get("/files", params={"purpose": "vision"})).json()
        too_many = await c.get("/files", params={"limit": 10_001})
        unknown_after = await c.get("/files", params={"after": "file-nope"})
    assert (empty["data"], empty["first_id"], empty["last_id"]) == ([], None, None)
    assert too_many.json()["error"]["message"] == "'limit' must be between 1 and 10000."
    assert unknown_after.status_code == 404
    assert unknown_after.json()["error"]["message"] == "No such File object: file-nope"
    assert form.fields == {"purpose": "batch"}
    assert form.files["file"].filename == "f2.jsonl"
    assert form.files["file"].content_type == "text/plain"
    assert form.files["file"].content == b"line\r\n\x00binary\x02"
    assert [f["id"] for f in page1["data"]] == [ids[2], ids[1]]
    assert (page1["first_id"], page1["last_id"], page1["has_more"]) == (ids[2], ids[1], True)
    assert [f["id"] for f in page2["data"]] == [ids[0]]
    assert page2["has_more"] is False
    assert [f["id"] for f in ascending["data"]] == ids
    assert got == got | {"id": ids[0], "bytes": 14, "filename": "f0.jsonl", "purpose": "batch"}
    assert content.content == b"line\r\n\x00binary\x00"
    assert deleted == {"id": ids[0], "object": "file", "deleted": True}
    assert missing.status_code == 404
    assert list(fake.files) == ids[1:]


@pytest.mark.trio
async def test_models_list_and_retrieve() -> None:
    """`GET /models` lists the configured models; an unknown id is a 404 `model_not_found`."""
    fake = FakeOpenAI(models=["m-1", "m-2"])
    async with http_client(fake, "memory") as c:
        listed = (await c.get("/models")).json()
        one = (await c.get("/models/m-2")).json()
        unknown = await c.get("/models/m-3")
    assert [m["id"] for m in listed["data"]] == ["m-1", "m-2"]
    assert one["id"] == "m-2"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_unknown_route_is_a_404_in_openai_shape(transport: str) -> None:
    """An unknown path, or a known path with the wrong method, gets OpenAI's 404 error body."""
    fake = FakeOpenAI()
    async with http_client(fake, transport) as c:
        unknown = await c.post("/nothing/here", json={})
        wrong_method = await c.get("/chat/completions")
    for response in (unknown, wrong_method):
        assert response.status_code == 404
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert unknown.json()["error"]["message"] == "Invalid URL (POST /v1/nothing/here)"


@pytest.mark.trio
async def test_missing_parameter_and_bad_json_are_400s() -> None:
    """A missing required parameter or an unparsable body gets a 400 in OpenAI's shape."""
    fake = FakeOpenAI()
    async with http_client(fake, "memory") as c:
        missing = await c.post("/chat/completions", json={"model": "m"})
        garbage = await c.post("/embeddings", content=b"{not json")
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "messages"
    assert missing.json()["error"]["code"] == "missing_required_parameter"
    assert garbage.status_code == 400


@pytest.mark.trio
async def test_api_key_is_checked_when_configured() -> None:
    """With `api_key` set, a wrong or missing bearer token gets 401 `invalid_api_key`."""
    fake = FakeOpenAI(api_key="sk-right")
    async with http_client(fake, "memory") as c:
        wrong = await c.get("/models", headers={"Authorization": "Bearer sk-wrong"})
        right = await c.get("/models", headers={"Authorization": "Bearer sk-right"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert right.status_code == 200


# --- conformance of the default replies to the OpenAPI spec -----------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    """The spec's component schemas (the spec is in ../shared/openapi)."""
    return spec_schemas()


CONFORMANCE = [
    ("POST", "/chat/completions", CHAT, "CreateChatCompletionResponse"),
    (
        "POST",
        "/chat/completions",
        {**CHAT, "stream": True, "n": 2},
        "CreateChatCompletionStreamResponse",
    ),
    (
        "POST",
        "/chat/completions",
        {**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        "CreateChatCompletionStreamResponse",
    ),
    ("POST", "/completions", {"model": "m", "prompt": "say hi"}, "CreateCompletionResponse"),
    (
        "POST",
        "/completions",
        {"model": "m", "prompt": ["a b", "c"], "stream": True},
        "CreateCompletionResponse",
    ),
    ("POST", "/responses", {"model": "m", "input": "hi"}, "Response"),
    (
        "POST",
        "/responses",
        {"model": "m", "input": [{"role": "user", "content": "hi"}], "stream": True},
        "ResponseStreamEvent",
    ),
    ("POST", "/embeddings", {"model": "m", "input": "hi"}, "CreateEmbeddingResponse"),
    ("POST", "/moderations", {"input": ["a", "b"]}, "CreateModerationResponse"),
    ("GET", "/models", None, "ListModelsResponse"),
    ("GET", "/models/gpt-4o-mini", None, "Model"),
    ("GET", "/files/{id}", None, "OpenAIFile"),
    ("GET", "/files", None, "ListFilesResponse"),
    ("GET", "/files?purpose=evals", None, "ListFilesResponse"),
    ("DELETE", "/files/{id}", None, "DeleteFileResponse"),
    ("GET", "/nowhere", None, "ErrorResponse"),
    ("POST", "/embeddings", {"model": "m"}, "ErrorResponse"),
]


@pytest.mark.trio
@pytest.mark.parametrize(("method", "path", "body", "schema"), CONFORMANCE)
async def test_default_replies_fit_the_spec(
    method: str, path: str, body: object, schema: str, schemas: dict[str, Any]
) -> None:
    """Each default reply (each event of a default stream) validates against its spec schema."""
    fake = FakeOpenAI()
    stored = fake.add_file(b"{}\n", filename="a.jsonl", purpose="batch")
    async with http_client(fake, "memory") as c:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        response = await c.request(method, path.replace("{id}", stored.id), **kwargs)
    if response.headers["content-type"].startswith("text/event-stream"):
        events = sse_payloads(response.content)
        assert events
        values = [json.loads(data) for _, data in events if data != "[DONE]"]
    else:
        values = [response.json()]
    for value in values:
        assert violations(schemas, {"$ref": f"#/components/schemas/{schema}"}, value, schema) == []


# --- faults ---------------------------------------------------------------------------


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_fault_queue_runs_in_order(transport: str) -> None:
    """Two scripted 500s (with Retry-After), then the default success: 500, 500, 200."""
    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", status=500, headers={"retry-after": "1"}, times=2)
    async with http_client(fake, transport) as c:
        responses = [await c.post("/chat/completions", json=CHAT) for _ in range(3)]
    assert [r.status_code for r in responses] == [500, 500, 200]
    assert responses[0].headers["retry-after"] == "1"
    assert responses[0].json()["error"]["type"] == "server_error"
    assert responses[2].json()["choices"][0]["message"]["content"] == "Hello there, fake!"
    assert len({r.headers["x-request-id"] for r in responses}) == 3
    fake.assert_all_used()


@pytest.mark.trio
async def test_fault_with_own_error_body() -> None:
    """A fault may carry its own body, e.g. a 429 `insufficient_quota`."""
    fake = FakeOpenAI()
    error = {
        "error": {
            "message": "quota",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    fake.add_fault("POST", "/embeddings", status=429, json=error)
    async with http_client(fake, "memory") as c:
        response = await c.post("/embeddings", json={"model": "m", "input": "x"})
    assert (response.status_code, response.json()) == (429, error)


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_drop_mid_body(transport: str) -> None:
    """`drop_after=N` sends N body bytes then closes the connection: the client gets an error."""
    fake = FakeOpenAI()
    fake.add_fault("GET", "/models", drop_after=10)
    fake.add_fault("POST", "/chat/completions", drop_after=30)
    received = b""
    async with http_client(fake, transport) as c:
        with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):
            await c.get("/models")
        with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):  # noqa: PT012
            async with c.stream("POST", "/chat/completions", json={**CHAT, "stream": True}) as r:
                async for chunk in r.aiter_raw():
                    received += chunk
        after = await c.get("/models")
    assert received == b'data: {"id":"chatcmpl-fake-1",'
    assert after.status_code == 200


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_disconnect_without_answer(transport: str) -> None:
    """`disconnect=True` closes the connection before the status line."""
    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", disconnect=True)
    async with http_client(fake, transport) as c:
        with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
            await c.post("/chat/completions", json=CHAT)
        assert (await c.post("/chat/completions", json=CHAT)).status_code == 200
    assert len(fake.requests) == 2


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_truncated_stream(transport: str) -> None:
    """`truncate_stream=True` ends a stream cleanly but without its terminal event."""
    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", truncate_stream=True)
    fake.add_fault("POST", "/responses", truncate_stream=True)
    async with http_client(fake, transport) as c:
        chat = await c.post("/chat/completions", json={**CHAT, "stream": True})
        resp = await c.post("/responses", json={"model": "m", "input": "x", "stream": True})
    chat_events = sse_payloads(chat.content)
    assert chat_events[-1][1] != "[DONE]"
    assert json.loads(chat_events[-1][1])["choices"][0]["finish_reason"] == "stop"
    assert sse_payloads(resp.content)[-1][0] == "response.output_item.done"


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_malformed_json(transport: str) -> None:
    """`malformed_json=True` makes a JSON body, or a stream's first JSON event, unparsable."""
    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", malformed_json=True, times=2)
    async with http_client(fake, transport) as c:
        whole = await c.post("/chat/completions", json=CHAT)
        stream = await c.post("/chat/completions", json={**CHAT, "stream": True})
    assert whole.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(whole.content)
    events = [data for _, data in sse_payloads(stream.content)]
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[0])
    assert json.loads(events[1])["object"] == "chat.completion.chunk"
    assert events[-1] == "[DONE]"


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_delay_uses_trio_time(transport: str, autojump_clock: Any) -> None:
    """`delay=` waits with trio.sleep: 30 virtual seconds pass, no real ones."""
    fake = FakeOpenAI()
    fake.add_fault("GET", "/models", delay=30)
    async with http_client(fake, transport) as c:
        start = trio.current_time()
        response = await c.get("/models", timeout=60)
        elapsed = trio.current_time() - start
    assert response.status_code == 200
    assert 30 <= elapsed < 31


@pytest.mark.trio
async def test_in_memory_transport_honours_read_timeout(autojump_clock: Any) -> None:
    """A delay longer than the read timeout is an `httpx2.ReadTimeout`, as on a network."""
    fake = FakeOpenAI()
    fake.add_fault("GET", "/models", delay=30)
    fake.add("POST", "/chat/completions", sse=[{"a": 1}, {"b": 2}], interval=30)
    async with http_client(fake, "memory") as c:
        with pytest.raises(httpx2.ReadTimeout):
            await c.get("/models", timeout=5)
        with pytest.raises(httpx2.ReadTimeout):  # noqa: PT012
            async with c.stream("POST", "/chat/completions", json=CHAT, timeout=5) as r:
                async for _ in r.aiter_raw():
                    pass


# --- the request record ---------------------------------------------------------------


@pytest.mark.trio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_request_record(transport: str) -> None:
    """Each request is recorded: method, paths, query, case-insensitive headers, body, JSON."""
    fake = FakeOpenAI()
    with pytest.raises(LookupError):
        _ = fake.last_request
    async with http_client(fake, transport) as c:
        await c.post(
            "/chat/completions",
            params=[("a", "1"), ("a", "2"), ("b", "x y")],
            headers={"Authorization": "Bearer sk-abc", "X-Custom": "v"},
            json=CHAT,
        )
        await c.get("/models")
    first, last = fake.requests
    assert last is fake.last_request
    assert (first.method, first.path, first.raw_path) == (
        "POST",
        "/chat/completions",
        "/v1/chat/completions",
    )
    assert first.query.get_list("a") == ["1", "2"]
    assert first.query["b"] == "x y"
    assert first.headers["authorization"] == "Bearer sk-abc"
    assert first.headers["x-custom"] == first.headers["X-CUSTOM"] == "v"
    assert first.json() == CHAT
    assert json.loads(first.text) == CHAT
    assert (last.method, last.path, last.body) == ("GET", "/models", b"")
    assert (first.client is None) == (transport == "memory")


# --- the real socket ------------------------------------------------------------------


@pytest.mark.trio
async def test_serve_on_port_zero_with_keep_alive(nursery: trio.Nursery) -> None:
    """`serve` binds a free port, reports its URL, and keeps connections alive."""
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/v1")
    assert not base_url.endswith(":0/v1")
    async with httpx2.AsyncClient(base_url=base_url) as c:
        await c.get("/models")
        await c.post("/chat/completions", json={**CHAT, "stream": True})
        await c.get("/models", headers={"Connection": "close"})
        await c.get("/models")
    peers = [r.client for r in fake.requests]
    assert peers[0] is not None
    assert peers[0] == peers[1] == peers[2] != peers[3]


@pytest.mark.trio
async def test_serve_rejects_malformed_http(nursery: trio.Nursery) -> None:
    """Garbage on the socket gets a 400 and a closed connection, and the server keeps serving."""
    fake = FakeOpenAI()
    base_url = await nursery.start(fake.serve)
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(b"NOT HTTP\r\n\r\n")
        reply = b""
        while chunk := await stream.receive_some():
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400 ")
    async with httpx2.AsyncClient(base_url=base_url) as c:
        assert (await c.get("/models")).status_code == 200


@pytest.mark.trio
async def test_serve_forever_serves_a_fresh_fake(nursery: trio.Nursery) -> None:
    """`serve_forever` (for the CLI) serves the default replies."""
    base_url = await nursery.start(trio_openai.testing.serve_forever, 0)
    async with httpx2.AsyncClient(base_url=base_url) as c:
        assert (await c.get("/models")).json()["object"] == "list"


@pytest.mark.trio
async def test_serve_counts_connections_and_can_restart_on_its_port() -> None:
    """`open_connections` falls to 0 when clients close; a stopped server restarts on its port."""
    fake = FakeOpenAI()

    async def serve(scope: trio.CancelScope, port: int, task_status: Any) -> None:
        with scope:
            await fake.serve(port=port, task_status=task_status)

    async with trio.open_nursery() as nursery:
        first = trio.CancelScope()
        base_url = await nursery.start(serve, first, 0)
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        async with httpx2.AsyncClient(base_url=base_url) as c:
            await c.get("/models")
            assert fake.open_connections == 1
        await trio.testing.wait_all_tasks_blocked()
        assert fake.open_connections == 0
        first.cancel()  # "kill" it: the listener closes
        await trio.testing.wait_all_tasks_blocked()
        async with httpx2.AsyncClient(base_url=base_url) as c:
            with pytest.raises(httpx2.ConnectError):
                await c.get("/models")
            again = await nursery.start(serve, trio.CancelScope(), port)  # "revive" it
            assert again == base_url
            assert (await c.get("/models")).status_code == 200
        nursery.cancel_scope.cancel()
    assert fake.connections_served == 2
    assert fake.open_connections == 0


# --- the client and the pytest plugin -------------------------------------------------


@pytest.mark.trio
async def test_fake_client_opens_a_trio_openai_client() -> None:
    """`fake.client()` opens a real client on the in-memory transport."""
    pytest.importorskip("trio_openai.resources._root")
    fake = FakeOpenAI()
    async with fake.client(max_retries=0) as client:
        assert client.base_url == fake.base_url
        chat: Any = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}]
        )
    assert chat.choices[0].message.content == "ping"
    assert fake.last_request.headers["authorization"] == "Bearer sk-fake"


PLUGIN_TESTS = """
import httpx2
import pytest

def test_fresh_fake(fake_openai):
    fake_openai.add("GET", "/models", json={"data": []})
    assert fake_openai.requests == []

@pytest.mark.trio
async def test_server(fake_openai, fake_openai_server):
    async with httpx2.AsyncClient(base_url=fake_openai_server) as c:
        assert (await c.get("/models")).status_code == 200
    assert fake_openai.last_request.client is not None

@pytest.mark.trio
async def test_client(fake_openai, fake_openai_client):
    pytest.importorskip("trio_openai.resources._root")
    await fake_openai_client.models.list()
    assert fake_openai.last_request.path == "/models"
"""


def test_pytest_plugin_fixtures(tmp_path: Path) -> None:
    """The plugin's fixtures work in a project that loads only the plugin and pytest-trio."""
    (tmp_path / "test_plugin.py").write_text(PLUGIN_TESTS)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(ROOT)}
    args = ["-p", "trio_openai.testing.pytest_plugin", "-p", "pytest_trio.plugin", "-q", "-rs"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
