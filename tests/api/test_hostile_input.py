"""Hostile servers and careless callers: each test here failed before its fix.

Route-changing path parameters, hostile webhook headers, streams after their
terminal marker, and JSON nested past the parser's (or the stack's) depth.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import hmac
import json
import math
import pathlib
import sys
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import httpx2
import pytest
import trio
from _hostile import content_length
from _support import mock_client

import trio_openai
from trio_openai._api._methods import stream_method
from trio_openai._api._resource import Resource
from trio_openai._http._spec import RequestSpec, StreamSpec
from trio_openai._lib import _webhooks
from trio_openai._lib._webhooks import InvalidWebhookSignatureError, Webhooks

# -- path parameters: a dot segment must not rewrite the route -----------------------------------


def _deleted(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json={"id": "x", "object": "file", "deleted": True})


async def _raw_paths(call: Any) -> tuple[list[bytes], BaseException | None]:
    """The raw paths a call put on the wire (MockTransport sees the final URL), and its error."""
    seen: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.raw_path)
        return _deleted(request)

    error: BaseException | None = None
    async with mock_client(handler) as (client, _):
        try:
            await call(client)
        except trio_openai.OpenAIError as exc:
            error = exc
    return seen, error


@pytest.mark.parametrize("value", ["", ".", ".."])
async def test_files_delete_refuses_a_route_changing_id_before_sending(value: str) -> None:
    """`files.delete("..")` would be `DELETE /v1`: refused, naming the parameter, nothing sent."""
    seen, error = await _raw_paths(lambda client: client.files.delete(value))
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert isinstance(error, ValueError)
    assert "`file_id`" in str(error)


@pytest.mark.parametrize("value", ["", ".", ".."])
async def test_a_dot_vector_store_id_does_not_turn_a_detach_into_a_file_delete(value: str) -> None:
    """`vector_store_id=".."` would send `DELETE /v1/files/file-X`: refused before sending."""
    seen, error = await _raw_paths(
        lambda client: client.vector_stores.files.delete("file-X", vector_store_id=value)
    )
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert "`vector_store_id`" in str(error)


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ("%2e%2e", b"/v1/files/%252e%252e"),
        ("%2E.", b"/v1/files/%252E."),
        ("a/b", b"/v1/files/a%2Fb"),
        ("../x", b"/v1/files/..%2Fx"),
        ("..x", b"/v1/files/..x"),
        ("...", b"/v1/files/..."),
        (" ", b"/v1/files/%20"),
        ("file-ü", b"/v1/files/file-%C3%BC"),
    ],
)
async def test_other_ids_are_sent_percent_encoded_as_one_segment(value: str, raw: bytes) -> None:
    """Anything but "", "." and ".." is accepted and stays one segment below /files."""
    seen, error = await _raw_paths(lambda client: client.files.delete(value))
    assert error is None
    assert seen == [raw]


async def test_the_raw_path_on_a_real_socket_is_the_encoded_one() -> None:
    """Over TCP the server reads the encoded request line, not a resolved one."""
    lines: list[bytes] = []

    async def serve(stream: trio.SocketStream) -> None:
        head = await _read_request(stream)
        lines.append(head.split(b"\r\n", 1)[0])
        body = b'{"id": "x", "object": "file", "deleted": true}'
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )

    async with trio.open_nursery() as nursery:
        port = await _serve(nursery, serve)
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            await client.files.delete("%2e%2e")
            await client.vector_stores.files.delete("..x", vector_store_id="a/b")
            with pytest.raises(trio_openai.InvalidArgumentError, match="vector_store_id"):
                await client.vector_stores.files.delete("file-X", vector_store_id="..")
        nursery.cancel_scope.cancel()
    assert lines == [
        b"DELETE /v1/files/%252e%252e HTTP/1.1",
        b"DELETE /v1/vector_stores/a%2Fb/files/..x HTTP/1.1",
    ]


async def test_a_lone_surrogate_in_a_path_parameter_is_a_clear_error() -> None:
    """A value with no UTF-8 form is refused naming the parameter, not a bare codec error."""
    seen, error = await _raw_paths(lambda client: client.files.delete("file-\ud800"))
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert "`file_id`" in str(error)


@pytest.mark.parametrize("model", [".", ".."])
async def test_an_azure_deployment_that_is_a_dot_segment_is_refused(model: str) -> None:
    """Azure's deployment goes through the same check: `model=".."` is not `/openai/chat/...`."""
    seen: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.raw_path)
        return httpx2.Response(200, json={})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com",
            api_version="2024-10-21",
            api_key="azure-key-1234",
            http_client=http,
        ) as client:
            with pytest.raises(trio_openai.InvalidArgumentError, match="deployment"):
                await client.embeddings.create(model=model, input="x")
    assert seen == []


def _path_holes(tree: ast.AST) -> list[tuple[int, str]]:
    """The `{...}` parts of every `path=f"..."` argument that are not `path_param(...)` calls."""
    holes: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg != "path":
            continue
        if isinstance(node.value, ast.Constant):
            continue
        if not isinstance(node.value, ast.JoinedStr):
            holes.append((node.lineno, ast.unparse(node.value)))
            continue
        for part in node.value.values:
            if isinstance(part, ast.FormattedValue):
                call = part.value
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "path_param"
                ):
                    holes.append((node.lineno, ast.unparse(part)))
    return holes


def test_every_generated_path_parameter_goes_through_path_param() -> None:
    """No generated method puts a parameter into its path without the dot-segment check."""
    resources = pathlib.Path(trio_openai.__file__).parent / "resources"
    checked = 0
    for source in sorted(resources.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        assert _path_holes(tree) == [], source.name
        checked += source.read_text(encoding="utf-8").count("path_param(")
    assert checked > 100  # the check did see the generated methods


# -- webhooks: nothing in a sender's headers raises anything but the webhook error ---------------

WEBHOOK_NOW = 1_750_000_000
WEBHOOK_KEY = b"hostile-input-webhook-key"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
WEBHOOK_PAYLOAD = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "created_at": WEBHOOK_NOW,
        "type": "batch.completed",
        "data": {"id": "batch_1"},
    }
).encode()


def _signed(
    payload: bytes = WEBHOOK_PAYLOAD, *, msg_id: str = "wh_1", ts: str = str(WEBHOOK_NOW)
) -> dict[str, str]:
    signed = msg_id.encode() + b"." + ts.encode() + b"." + payload
    digest = hmac.new(WEBHOOK_KEY, signed, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


@pytest.fixture
async def webhooks(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Webhooks[Any]]:
    monkeypatch.setattr(_webhooks, "_now", lambda: WEBHOOK_NOW + 0.5)
    async with mock_client(_deleted) as (client, _):
        yield Webhooks(client)


def _refused(webhooks: Webhooks[Any], payload: Any, headers: Any, **kw: Any) -> str:
    """The check of the `InvalidWebhookSignatureError` a delivery raises (and nothing else)."""
    kw.setdefault("secret", WEBHOOK_SECRET)
    with pytest.raises(InvalidWebhookSignatureError) as info:
        webhooks.verify_signature(payload, headers, **kw)
    assert WEBHOOK_SECRET[6:] not in str(info.value)
    return info.value.check


async def test_a_genuine_delivery_still_passes_with_a_non_ascii_id(
    webhooks: Webhooks[Any],
) -> None:
    """The bounds and encoding checks leave a real (UTF-8) delivery alone."""
    webhooks.verify_signature(WEBHOOK_PAYLOAD, _signed(msg_id="wh_ü"), WEBHOOK_SECRET)
    webhooks.verify_signature(WEBHOOK_PAYLOAD.decode(), _signed(), WEBHOOK_SECRET)


@pytest.mark.parametrize("digits", [21, 4_301, 5_000, 100_000])
async def test_a_huge_timestamp_is_an_invalid_timestamp(
    webhooks: Webhooks[Any], digits: int
) -> None:
    """int() of 5,000 digits raised a bare ValueError; now the webhook error, unparsed."""
    headers = {**_signed(), "webhook-timestamp": "9" * digits}
    if digits > 8192:
        assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "invalid_header"
    else:
        assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "invalid_timestamp"


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
async def test_a_lone_surrogate_in_a_header_is_the_webhook_error(
    webhooks: Webhooks[Any], name: str
) -> None:
    """A lone surrogate (a framework's escape for undecodable bytes) was a UnicodeEncodeError."""
    headers = _signed()
    headers[name] = headers[name] + "\udcff"
    assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "invalid_header"


async def test_a_str_payload_with_a_lone_surrogate_is_an_invalid_payload(
    webhooks: Webhooks[Any],
) -> None:
    """A str body with no UTF-8 form cannot be what was signed: the webhook error."""
    payload = WEBHOOK_PAYLOAD.decode() + "\ud800"
    assert _refused(webhooks, payload, _signed()) == "invalid_payload"
    with pytest.raises(InvalidWebhookSignatureError):
        webhooks.unwrap(payload, _signed(), WEBHOOK_SECRET)


@pytest.mark.parametrize("tolerance", [math.nan, math.inf, -math.inf, -1, "300", None, True])
async def test_a_non_finite_or_negative_tolerance_is_refused_at_the_call(
    webhooks: Webhooks[Any], tolerance: Any
) -> None:
    """`tolerance=nan` accepted a delivery 10**6 s old; now it is the caller's clear error."""
    stale = _signed(ts=str(WEBHOOK_NOW - 1_000_000))
    with pytest.raises(trio_openai.InvalidArgumentError, match="tolerance"):
        webhooks.verify_signature(WEBHOOK_PAYLOAD, stale, WEBHOOK_SECRET, tolerance=tolerance)
    with pytest.raises(trio_openai.InvalidArgumentError, match="tolerance"):
        webhooks.unwrap(WEBHOOK_PAYLOAD, stale, WEBHOOK_SECRET, tolerance=tolerance)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-signature"])
async def test_a_huge_header_is_refused_before_any_parsing(
    webhooks: Webhooks[Any], name: str
) -> None:
    """A header past 8 KiB is refused, even one correctly signed: the work is bounded."""
    headers = _signed(msg_id="x" * 100_000) if name == "webhook-id" else _signed()
    if name == "webhook-signature":
        headers[name] = " ".join([headers[name]] * 5_000)
    assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "invalid_header"


async def test_many_signatures_are_refused_not_each_compared(webhooks: Webhooks[Any]) -> None:
    """More than 32 signatures (a genuine header holds one per secret) is refused."""
    good = _signed()["webhook-signature"]
    headers = {**_signed(), "webhook-signature": " ".join(["v1,AAAA"] * 40 + [good])}
    assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "invalid_header"
    # A real rotation still passes.
    headers["webhook-signature"] = f"v1,AAAA v1,BBBB {good}"
    webhooks.verify_signature(WEBHOOK_PAYLOAD, headers, WEBHOOK_SECRET)


@pytest.mark.parametrize(
    "secret",
    ["whsec_ü", "whsec_\ud800", "plain-\ud800", b"whsec_AAAA", "whsec_" + "=" * 3],
)
async def test_a_malformed_secret_is_an_invalid_secret_not_a_crash(
    webhooks: Webhooks[Any], secret: Any
) -> None:
    """Non-ASCII base64, a lone surrogate, bytes: each is `invalid_secret`, without the secret."""
    assert _refused(webhooks, WEBHOOK_PAYLOAD, _signed(), secret=secret) == "invalid_secret"


@pytest.mark.parametrize("payload", [{"id": "evt_1"}, 5, None, ["a"]])
async def test_a_payload_that_is_not_the_raw_body_is_a_clear_error(
    webhooks: Webhooks[Any], payload: Any
) -> None:
    """A parsed body (or bytes(5), five zero bytes) is the caller's mistake, named as such."""
    with pytest.raises(trio_openai.InvalidArgumentError, match="payload"):
        webhooks.verify_signature(payload, _signed(), WEBHOOK_SECRET)


@pytest.mark.parametrize("headers", [[("webhook-id", "wh_1")], None, "webhook-id: wh_1"])
async def test_headers_that_are_not_a_mapping_are_a_clear_error(
    webhooks: Webhooks[Any], headers: Any
) -> None:
    """An ASGI scope's list of pairs raised a bare AttributeError; now the caller's clear error."""
    with pytest.raises(trio_openai.InvalidArgumentError, match="headers"):
        webhooks.verify_signature(WEBHOOK_PAYLOAD, headers, WEBHOOK_SECRET)


async def test_odd_header_mappings_do_not_crash(webhooks: Webhooks[Any]) -> None:
    """Non-str keys and non-str values in the caller's mapping are skipped or missing."""
    headers: dict[Any, Any] = {1: "x", b"webhook-id": b"wh_1", **_signed()}
    del headers["webhook-id"]
    assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "missing_header"
    headers["Webhook-Id"] = ["wh_1"]
    assert _refused(webhooks, WEBHOOK_PAYLOAD, headers) == "missing_header"


async def test_unwrap_of_a_signed_100000_level_payload_is_an_invalid_payload(
    webhooks: Webhooks[Any],
) -> None:
    """json.loads raised a bare RecursionError; now the webhook error (`invalid_payload`)."""
    payload = b'{"type": "batch.completed", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(InvalidWebhookSignatureError, match="too deeply") as info:
        webhooks.unwrap(payload, _signed(payload), WEBHOOK_SECRET)
    assert info.value.check == "invalid_payload"


async def test_unwrap_from_a_deep_stack_is_an_invalid_payload_not_a_recursion_error(
    webhooks: Webhooks[Any],
) -> None:
    """Structuring that runs out of stack is reported as the webhook error, never RecursionError."""
    headers = _signed()
    errors = _with_little_stack(lambda: webhooks.unwrap(WEBHOOK_PAYLOAD, headers, WEBHOOK_SECRET))
    assert errors  # it did run out of stack
    for error in errors:
        assert isinstance(error, InvalidWebhookSignatureError), repr(error)
        assert error.check == "invalid_payload"


# -- streams: the terminal marker ends the stream, whatever the connection does next -------------


class _Ends(Resource[Any]):
    """A stream endpoint for each end mode, decoding to plain JSON."""

    __slots__ = ()

    @stream_method
    def stream(self, *, end: str, terminal: frozenset[str] = frozenset()) -> StreamSpec[Any]:
        return StreamSpec(
            request=RequestSpec(method="POST", path="/s", result=object, body={"stream": True}),
            event=object,
            end=end,  # type: ignore[arg-type]
            terminal=terminal,
        )


def _sse(*events: object) -> bytes:
    return b"".join(
        b"data: %s\n\n" % (e.encode() if isinstance(e, str) else json.dumps(e).encode())
        for e in events
    )


_IMAGE_DONE = frozenset({"image_generation.completed"})
_AFTER_MARKER: dict[str, tuple[dict[str, Any], bytes, list[Any]]] = {
    "done": ({"end": "done"}, _sse({"n": 1}, "[DONE]"), [{"n": 1}]),
    "response": (
        {"end": "response"},
        _sse({"type": "response.created"}, {"type": "response.completed"}),
        ["response.created", "response.completed"],
    ),
    "event": (
        {"end": "event", "terminal": _IMAGE_DONE},
        _sse({"type": "image_generation.partial_image"}, {"type": "image_generation.completed"}),
        ["image_generation.partial_image", "image_generation.completed"],
    ),
}


async def _sse_server(
    nursery: trio.Nursery, body: bytes, then: str, closed_by_client: trio.Event
) -> int:
    """Answer one chunked event stream with *body*, then "hold" the socket open or "drop" it.

    A drop closes the socket before the chunked body's last chunk: to the client the
    connection is cut mid-body. While holding, the server waits for the client to close.
    """

    async def serve(stream: trio.SocketStream) -> None:
        await _read_request(stream)
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (len(body), body)
        )
        if then == "drop":
            await stream.aclose()
            return
        while await stream.receive_some(65536):
            pass
        closed_by_client.set()

    return await _serve(nursery, serve)


def _seen(events: list[Any]) -> list[Any]:
    return [e.get("type", e) for e in events]


@pytest.mark.parametrize("mode", ["done", "response"])
async def test_a_stream_ends_at_its_marker_while_the_server_holds_the_body_open(
    mode: str,
) -> None:
    """After [DONE] (or response.completed) iteration ends at once and the response is closed."""
    kwargs, body, expected = _AFTER_MARKER[mode]
    closed = trio.Event()
    async with trio.open_nursery() as nursery:
        port = await _sse_server(nursery, body, "hold", closed)
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            with trio.fail_after(5):
                async with _Ends(client).stream(**kwargs) as stream:
                    seen = [e async for e in stream]
                    assert stream.completed
                    # Closed at the marker, not at the end of the block.
                    await closed.wait()
        nursery.cancel_scope.cancel()
    assert _seen(seen) == expected


@pytest.mark.parametrize("mode", ["done", "response", "event"])
async def test_a_drop_after_the_marker_is_not_an_interruption(mode: str) -> None:
    """The connection cut after the terminal marker: the stream completed, it ends quietly."""
    kwargs, body, expected = _AFTER_MARKER[mode]
    async with trio.open_nursery() as nursery:
        port = await _sse_server(nursery, body, "drop", trio.Event())
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            with trio.fail_after(5):
                async with _Ends(client).stream(**kwargs) as stream:
                    seen = [e async for e in stream]
                    assert stream.completed
        nursery.cancel_scope.cancel()
    assert _seen(seen) == expected


@pytest.mark.parametrize("mode", ["done", "response", "event"])
async def test_a_drop_before_the_marker_is_still_an_interruption(mode: str) -> None:
    """The other side of the rule: cut before its marker, a stream raises StreamInterruptedError."""
    kwargs, body, _ = _AFTER_MARKER[mode]
    cut = body[: body.rindex(b"data: ")]
    async with trio.open_nursery() as nursery:
        port = await _sse_server(nursery, cut, "drop", trio.Event())
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            with trio.fail_after(5):
                async with _Ends(client).stream(**kwargs) as stream:
                    with pytest.raises(trio_openai.StreamInterruptedError):
                        [e async for e in stream]
                    assert not stream.completed
        nursery.cancel_scope.cancel()


async def test_later_events_after_a_terminal_event_still_arrive_then_a_drop_ends_quietly() -> None:
    """end="event": reading goes on past a terminal event (several images), a drop is the end."""
    body = _sse(
        {"type": "image_generation.completed", "i": 0},
        {"type": "image_generation.partial_image", "i": 1},
        {"type": "image_generation.completed", "i": 1},
    )
    async with trio.open_nursery() as nursery:
        port = await _sse_server(nursery, body, "drop", trio.Event())
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            with trio.fail_after(5):
                async with _Ends(client).stream(end="event", terminal=_IMAGE_DONE) as stream:
                    seen = [e["i"] async for e in stream]
        nursery.cancel_scope.cancel()
    assert seen == [0, 1, 1]


class _HeldBody(httpx2.AsyncByteStream):
    """A body that sends its chunk, then waits for a read timeout that never ends it."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.chunk
        await trio.sleep(60)
        raise httpx2.ReadTimeout("timed out")


async def test_a_read_timeout_after_a_terminal_event_ends_the_stream_quietly(
    autojump_clock: Any,
) -> None:
    """end="event": a timeout after the terminal event is not a failure of a completed stream."""
    body = _sse({"type": "image_generation.completed", "i": 0})

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_HeldBody(body)
        )

    async with mock_client(handler) as (client, _):
        async with _Ends(client).stream(end="event", terminal=_IMAGE_DONE) as stream:
            seen = [e["i"] async for e in stream]
            assert stream.completed
    assert seen == [0]


async def test_a_read_timeout_before_the_terminal_event_still_raises(autojump_clock: Any) -> None:
    """A timeout before the terminal event is a timeout, as before."""
    body = _sse({"type": "image_generation.partial_image", "i": 0})

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_HeldBody(body)
        )

    async with mock_client(handler) as (client, _):
        async with _Ends(client).stream(end="event", terminal=_IMAGE_DONE) as stream:
            with pytest.raises(trio_openai.APITimeoutError):
                [e async for e in stream]


# -- deep JSON: nested past any parser's depth, reported as our error, never RecursionError -------

_DEEP = b"[" * 100_000 + b"]" * 100_000
_DEEP_OBJECT = b'{"id": "m", "object": "model", "x": ' + _DEEP + b"}"


def _answer(status: int, content: bytes, content_type: str = "application/json") -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers={"content-type": content_type}, content=content)

    return handler


@pytest.mark.parametrize("content", [_DEEP, _DEEP_OBJECT])
async def test_a_deep_rest_body_is_a_validation_error(content: bytes) -> None:
    """A 100,000-level body was a bare RecursionError; now APIResponseValidationError."""
    async with mock_client(_answer(200, content)) as (client, probe):
        with pytest.raises(trio_openai.APIResponseValidationError, match="too deeply") as info:
            await client.models.retrieve("m")
        assert info.value.status_code == 200
        with pytest.raises(trio_openai.APIResponseValidationError, match="too deeply"):
            await probe.get("/x")


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, trio_openai.BadRequestError), (500, trio_openai.InternalServerError)],
)
async def test_a_deep_error_body_becomes_text(
    autojump_clock: Any, status: int, error: type[trio_openai.APIStatusError]
) -> None:
    """An error body too deep to parse is kept as text; the status error is raised as usual."""
    async with mock_client(_answer(status, _DEEP_OBJECT)) as (client, _):
        with pytest.raises(error) as info:
            await client.models.retrieve("m")
    assert info.value.status_code == status
    assert isinstance(info.value.body, str)
    assert info.value.body.startswith('{"id": "m"')


async def test_a_deep_sse_event_is_a_validation_error() -> None:
    """One event nested 100,000 levels raises APIResponseValidationError from the stream."""
    body = _sse({"n": 1}) + b"data: " + _DEEP + b"\n\n" + _sse("[DONE]")
    handler = _answer(200, body, "text/event-stream")
    async with mock_client(handler) as (client, _):
        async with _Ends(client).stream(end="done") as stream:
            events = aiter(stream)
            assert await anext(events) == {"n": 1}
            with pytest.raises(trio_openai.APIResponseValidationError, match="too deeply"):
                await anext(events)


def _response() -> httpx2.Response:
    request = httpx2.Request("GET", "https://api.test.invalid/v1/chat/completions")
    return httpx2.Response(200, request=request)


_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "hi"},
        }
    ],
}


# A Responses answer: its models nest deeper than most (output item, content part, logprob).
_RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "status": "completed",
    "model": "m",
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "hi",
                    "annotations": [],
                    "logprobs": [
                        {
                            "token": "hi",
                            "logprob": 0.0,
                            "bytes": [104, 105],
                            "top_logprobs": [{"token": "hi", "logprob": 0.0, "bytes": [104]}],
                        }
                    ],
                }
            ],
        }
    ],
}


def test_structuring_that_runs_out_of_stack_is_a_validation_error() -> None:
    """structure_as with little stack left raises APIResponseValidationError, not RecursionError."""
    from trio_openai._convert._decode import structure_as
    from trio_openai.types import Response

    response = _response()
    errors = _with_little_stack(lambda: structure_as(_RESPONSE, Response, response))
    assert errors  # it did run out of stack
    for error in errors:
        assert isinstance(error, trio_openai.APIResponseValidationError), repr(error)
        assert "too deeply" in str(error)
        assert error.body is _RESPONSE


def test_a_document_as_deep_as_json_allows_decodes_or_is_a_validation_error() -> None:
    """At the deepest nesting json accepts, decoding (an Any field, a bad field) stays ours."""
    from trio_openai._convert._decode import decode_json, loads
    from trio_openai.types import ChatCompletion

    depth = 100
    while True:  # the deepest document json parses from here
        try:
            loads(b"[" * (depth + 1) + b"]" * (depth + 1))
        except ValueError:
            break
        depth += 1
    deep = b"[" * depth + b"]" * depth
    for doc in (
        json.dumps({**_COMPLETION, "x": "@"}).encode().replace(b'"@"', deep),
        json.dumps({**_COMPLETION, "choices": "@"}).encode().replace(b'"@"', deep),
    ):
        with contextlib.suppress(trio_openai.APIResponseValidationError):
            decode_json(doc, ChatCompletion, _response())


# -- helpers: a raw HTTP/1.1 server on 127.0.0.1 port 0, a call with little stack left ----------


async def _serve(nursery: trio.Nursery, handler: Any) -> int:
    """Serve *handler* (called with each connection's stream) on 127.0.0.1; return the port."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port: int = listeners[0].socket.getsockname()[1]
    return port


async def _read_request(stream: trio.SocketStream) -> bytes:
    """Read one request (head and a Content-Length body) so closing never resets it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = content_length(head)
    while len(body) < length:
        chunk = await stream.receive_some(65536)
        if not chunk:
            break
        body += chunk
    return head


def _with_little_stack(call: Callable[[], object], *, spare: int = 8) -> list[Exception]:
    """Call *call* with less and less stack left, down to *spare* frames; return its failures.

    Past some depth *call* runs out of stack; as long as a few frames are left at
    the call, what it raises must be our error, never a bare RecursionError (with
    fewer, nothing at all can run, the caller's own code included).
    """
    call()  # first at full depth: hooks built, caches warm

    def dive(n: int, inner: Callable[[], object]) -> object:
        return inner() if n <= 0 else dive(n - 1, inner)

    def failure(n: int, inner: Callable[[], object]) -> Exception | None:
        try:
            dive(n, inner)
        except Exception as exc:  # any failure is the answer
            return exc
        return None

    # The deepest dive a trivial call survives: frames are not the only thing the
    # limit counts (C calls such as a coroutine's send count too), so measure it.
    low, high = 0, sys.getrecursionlimit()
    while low < high:
        middle = (low + high + 1) // 2
        if failure(middle, lambda: None) is None:
            low = middle
        else:
            high = middle - 1
    limit = sys.getrecursionlimit()
    failures = [failure(low - left, call) for left in range(200, spare - 1, -1)]
    assert sys.getrecursionlimit() == limit
    return [error for error in failures if error is not None]
