"""The lean stream path: raw body chunks, one structure lookup per stream, slow path on errors."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx2
import pytest
from _support import mock_client
from test_streaming import Body, sse, streaming

import trio_openai
from trio_openai._http._send import event_stream_chunks
from trio_openai.types.chat import CreateChatCompletionStreamResponse

MESSAGES = [{"role": "user", "content": "Hi"}]


def chunk(**changes: Any) -> dict[str, Any]:
    """A chat completion chunk, with *changes* applied to its first choice."""
    choice: dict[str, Any] = {"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}
    choice.update(changes)
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [choice],
    }


async def test_identity_body_is_read_below_aiter_bytes_and_closed_at_done() -> None:
    """An unencoded stream is read from the transport's stream and closed right after [DONE]."""
    body = Body(sse(chunk(), chunk(finish_reason="stop"), "[DONE]"))
    async with mock_client(streaming(body)) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            contents = [c.choices[0].delta.content async for c in stream]
            # Closed by the stream at [DONE], before the block is left.
            assert stream.http_response.is_closed
            assert body.closed
    assert contents == ["Hi", "Hi"]


async def test_gzip_event_stream_still_decompresses() -> None:
    """A gzip-encoded event stream goes through httpx2's decoder (the lean path is for identity)."""
    raw = gzip.compress(sse(chunk(), "[DONE]"))

    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx2.Response(200, headers=headers, stream=Body(raw[:10], raw[10:]))

    async with mock_client(handler) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            contents = [c.choices[0].delta.content async for c in stream]
    assert contents == ["Hi"]


@pytest.mark.parametrize(
    ("encoding", "lean"), [(None, True), ("identity", True), ("gzip", False), ("br, gzip", False)]
)
async def test_event_stream_chunks_takes_the_raw_stream_only_without_encoding(
    encoding: str | None, lean: bool
) -> None:
    """event_stream_chunks skips aiter_bytes only when there is nothing to decode."""
    headers = {"content-encoding": encoding} if encoding else {}
    response = httpx2.Response(200, headers=headers, stream=Body(b"data: 1\n\n"))
    chunks = event_stream_chunks(response)
    assert response.is_stream_consumed is lean
    assert (getattr(chunks, "__qualname__", "") == "Response.aiter_bytes") is not lean
    await chunks.aclose()  # type: ignore[attr-defined]


async def test_a_drop_mid_stream_is_still_stream_interrupted() -> None:
    """A transport error while reading the raw stream becomes StreamInterruptedError."""
    body = Body(sse(chunk()), fail=httpx2.ReadError("connection reset"))
    async with mock_client(streaming(body)) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            with pytest.raises(trio_openai.StreamInterruptedError, match="connection reset"):
                async for _ in stream:
                    pass


async def test_a_read_timeout_mid_stream_is_still_a_timeout() -> None:
    """A read timeout on the raw stream becomes APITimeoutError, as before."""
    body = Body(sse(chunk()), fail=httpx2.ReadTimeout("slow"))
    async with mock_client(streaming(body)) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            with pytest.raises(trio_openai.APITimeoutError):
                async for _ in stream:
                    pass


async def test_a_bad_field_falls_back_to_the_detailed_error_naming_its_path() -> None:
    """The bare structure function fails, and the detailed path names the JSON path."""
    body = Body(sse(chunk(), chunk(index="zero"), "[DONE]"))
    async with mock_client(streaming(body)) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            with pytest.raises(trio_openai.APIResponseValidationError) as info:
                async for _ in stream:
                    pass
    assert info.value.path == "$.choices[0].index"
    assert "expected int" in str(info.value)


async def test_unknown_fields_and_enum_values_pass_the_hot_path() -> None:
    """New fields and a new finish reason from the server decode on the fast path."""
    new = chunk(finish_reason="brand_new_reason", novel={"x": 1})
    new["brand_new_field"] = [1, 2]
    body = Body(sse(new, "[DONE]"))
    async with mock_client(streaming(body)) as (client, _):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            (event,) = [e async for e in stream]
    assert isinstance(event, CreateChatCompletionStreamResponse)
    assert event.choices[0].finish_reason == "brand_new_reason"
    assert event.model_extra == {"brand_new_field": [1, 2]}
    assert event.choices[0].model_extra == {"novel": {"x": 1}}


async def test_json_with_spaces_and_nan_decodes_as_json_loads_does() -> None:
    """Event data the direct scanner does not take whole still decodes, as json.loads would."""
    body = Body(b'data:  {"n": NaN} \n\n' + sse("[DONE]"))
    async with mock_client(streaming(body)) as (_, probe):
        async with probe.stream("/chat/completions") as stream:
            (event,) = [e async for e in stream]
    assert json.dumps(event) == '{"n": NaN}'
