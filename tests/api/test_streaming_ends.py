"""Stream end modes beyond [DONE]: terminal event types, and SSE-event envelopes."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from _support import Probe, mock_client

import trio_openai
from trio_openai._api._methods import stream_method
from trio_openai._http._spec import RequestSpec, StreamSpec


class Streams(Probe):
    __slots__ = ()

    @stream_method
    def images(self) -> StreamSpec[Any]:
        return StreamSpec(
            request=RequestSpec(method="POST", path="/images/generations", result=object),
            event=object,
            end="event",
            terminal=frozenset({"image_generation.completed"}),
        )

    @stream_method
    def runs(self) -> StreamSpec[Any]:
        return StreamSpec(
            request=RequestSpec(method="POST", path="/threads/runs", result=object),
            event=object,
            end="done",
            envelope=True,
        )


def answer(body: str) -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=body.encode()
        )

    return handler


def events(*payloads: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(p)}\n\n" for p in payloads)


async def test_terminal_event_completes_and_later_events_still_arrive() -> None:
    """A terminal event type completes the stream; events after it are still delivered."""
    body = events(
        {"type": "image_generation.partial_image", "i": 0},
        {"type": "image_generation.completed", "i": 1},
        {"type": "image_generation.completed", "i": 2},
    )
    async with mock_client(answer(body)) as (client, _):
        async with Streams(client).images() as stream:
            seen = [e["i"] async for e in stream]
            assert stream.completed
    assert seen == [0, 1, 2]


async def test_missing_terminal_event_names_the_expected_types() -> None:
    """A stream that ends without a terminal event raises an error naming the types expected."""
    body = events({"type": "image_generation.partial_image"})
    async with mock_client(answer(body)) as (client, _):
        async with Streams(client).images() as stream:
            with pytest.raises(
                trio_openai.StreamInterruptedError, match=r"image_generation\.completed"
            ):
                [_ async for _ in stream]


async def test_envelope_pairs_each_payload_with_its_sse_event_name() -> None:
    """Envelope streams yield each payload with its SSE event name, up to [DONE]."""
    body = (
        'event: thread.run.created\ndata: {"id": "run_1", "object": "thread.run"}\n\n'
        'event: thread.message.delta\ndata: {"id": "msg_1", "object": "thread.message.delta"}\n\n'
        "event: done\ndata: [DONE]\n\n"
    )
    async with mock_client(answer(body)) as (client, _):
        async with Streams(client).runs() as stream:
            seen = [e async for e in stream]
    assert [e["event"] for e in seen] == ["thread.run.created", "thread.message.delta"]
    assert seen[0]["data"] == {"id": "run_1", "object": "thread.run"}


async def test_envelope_error_event_raises() -> None:
    """An `event: error` in an envelope stream raises APIStreamError with its message."""
    body = 'event: error\ndata: {"message": "run failed hard"}\n\n'
    async with mock_client(answer(body)) as (client, _):
        async with Streams(client).runs() as stream:
            with pytest.raises(trio_openai.APIStreamError, match="run failed hard"):
                [_ async for _ in stream]


async def test_typed_run_stream_events_decode_into_the_generated_union() -> None:
    """Assistants run stream events decode into the generated union: `.event` and typed `.data`."""
    from trio_openai.testing import FakeOpenAI

    fake = FakeOpenAI()
    run = {
        "id": "run_1",
        "object": "thread.run",
        "created_at": 1,
        "thread_id": "t",
        "assistant_id": "a",
        "status": "queued",
        "model": "m",
        "instructions": "",
        "tools": [],
        "metadata": {},
        "parallel_tool_calls": True,
    }
    fake.add(
        "POST",
        "/threads/runs",
        sse=[("thread.run.created", run), ("thread.run.completed", {**run, "status": "completed"})],
    )
    async with fake.client() as client:
        async with client.beta.threads.create_and_run_stream(assistant_id="a") as stream:
            seen = [e async for e in stream]
    assert [e.event for e in seen] == ["thread.run.created", "thread.run.completed"]
    assert seen[1].data.status == "completed"
    assert type(seen[1].data).__name__ == "RunObject"
