"""Streams: typed events, terminal markers, errors inside streams, closing on exit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
import trio
from _support import mock_client

import trio_openai


def sse(*events: object) -> bytes:
    out = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        out.append(f"data: {data}\n\n")
    return "".join(out).encode()


class Body(httpx2.AsyncByteStream):
    """A response body sent in the given chunks; records whether it was closed."""

    def __init__(self, *chunks: bytes, pause: float = 0.0, fail: Exception | None = None) -> None:
        self.chunks = chunks
        self.pause = pause
        self.fail = fail
        self.closed = False
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.pause:
                await trio.sleep(self.pause)
            self.sent += 1
            yield chunk
        if self.fail is not None:
            raise self.fail

    async def aclose(self) -> None:
        self.closed = True


def streaming(body: Body, status: int = 200, content_type: str = "text/event-stream") -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers={"content-type": content_type}, stream=body)

    return handler


async def test_events_arrive_in_order_and_done_ends_the_stream() -> None:
    """Events split across chunks arrive in order; [DONE] completes the stream, closing the body."""
    raw = sse({"n": 1}, {"n": 2}, "[DONE]")
    body = Body(raw[:7], raw[7:20], raw[20:])
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            seen = [event async for event in stream]
            assert stream.completed
    assert seen == [{"n": 1}, {"n": 2}]
    assert body.closed


async def test_stream_without_done_raises_interrupted() -> None:
    """A body that ends without [DONE] raises StreamInterruptedError saying so."""
    body = Body(sse({"n": 1}))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            with pytest.raises(trio_openai.StreamInterruptedError, match=r"\[DONE\]"):
                async for _ in stream:
                    pass


async def test_responses_stream_ends_at_terminal_event() -> None:
    """A Responses stream completes at its `response.completed` event, without [DONE]."""
    body = Body(sse({"type": "response.created"}, {"type": "response.completed"}))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/responses", end="response") as stream:
            types = [e["type"] async for e in stream]
    assert types == ["response.created", "response.completed"]


async def test_responses_stream_without_terminal_event_raises() -> None:
    """A Responses stream that ends before a terminal event raises StreamInterruptedError."""
    body = Body(sse({"type": "response.created"}, {"type": "response.output_text.delta"}))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/responses", end="response") as stream:
            with pytest.raises(trio_openai.StreamInterruptedError, match="response"):
                async for _ in stream:
                    pass


@pytest.mark.parametrize(
    "payload",
    [
        {"error": {"message": "overloaded", "type": "server_error"}},
        {"type": "error", "message": "overloaded"},
    ],
)
async def test_error_payload_in_stream_raises_api_error(payload: dict[str, Any]) -> None:
    """An error event in either shape raises APIStreamError carrying its payload."""
    body = Body(sse({"n": 1}, payload, "[DONE]"))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            with pytest.raises(trio_openai.APIStreamError, match="overloaded") as info:
                async for _ in stream:
                    pass
    assert info.value.body == payload


async def test_malformed_json_event_names_the_problem() -> None:
    """An event whose data is not JSON raises a validation error saying so."""
    body = Body(b"data: {not json\n\n")
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            with pytest.raises(trio_openai.APIResponseValidationError, match="not valid JSON"):
                async for _ in stream:
                    pass


async def test_drop_mid_stream_raises_interrupted_not_retried() -> None:
    """A connection dropped mid-stream raises StreamInterruptedError and is not retried."""
    body = Body(sse({"n": 1}), fail=httpx2.ReadError("reset by peer"))
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    async with mock_client(handler) as (_, probe), probe.stream("/chat/completions") as stream:
        with pytest.raises(trio_openai.StreamInterruptedError, match="reset by peer"):
            async for _ in stream:
                pass
    assert calls == 1


async def test_break_closes_the_response() -> None:
    """Breaking out after the first event closes the body without reading further."""
    body = Body(sse({"n": 1}), sse({"n": 2}), sse("[DONE]"))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            async for _ in stream:
                break
        assert body.closed
        assert body.sent == 1


async def test_cancel_mid_stream_closes_the_response(autojump_clock: Any) -> None:
    """Cancelling mid-stream closes the body and leaves the client open."""
    body = Body(sse({"n": 1}), sse({"n": 2}), sse("[DONE]"), pause=10)
    async with mock_client(streaming(body)) as (client, probe):
        with trio.move_on_after(15):
            async with probe.stream("/chat/completions") as stream:
                async for _ in stream:
                    pass
        assert body.closed
        assert body.sent == 1
        assert not client.closed


async def test_stream_open_errors_are_status_errors_and_retried(autojump_clock: Any) -> None:
    """A 503 before the stream opens is retried; the retry asks for text/event-stream."""
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx2.Response(503, json={"error": {"message": "busy"}})
        assert request.headers["accept"] == "text/event-stream"
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=sse("[DONE]")
        )

    async with mock_client(handler) as (_, probe), probe.stream("/chat/completions") as stream:
        assert [e async for e in stream] == []
    assert calls == 2


async def test_non_sse_answer_to_a_stream_request_is_a_clear_error() -> None:
    """A JSON answer to a stream request is a validation error naming the event stream."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"id": "x"})

    async with mock_client(handler) as (_, probe):
        with pytest.raises(trio_openai.APIResponseValidationError, match="event stream"):
            async with probe.stream("/chat/completions"):
                pass


async def test_stream_exposes_http_metadata() -> None:
    """An open stream exposes its request id and status code."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream", "x-request-id": "req_9"},
            content=sse("[DONE]"),
        )

    async with mock_client(handler) as (_, probe), probe.stream("/chat/completions") as stream:
        assert stream.request_id == "req_9"
        assert stream.status_code == 200
