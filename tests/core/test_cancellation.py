"""Cancellation over real sockets: calls and streams stop at once and leak no connection."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

import trio_openai
from trio_openai.testing import FakeOpenAI

MESSAGES = [{"role": "user", "content": "Hi"}]


def pool_state(client: trio_openai.Client) -> tuple[int, int, int]:
    """(requests in flight, connections busy, connections in the pool) of the client's pool."""
    pool: Any = client.http_client._transport._pool  # type: ignore[attr-defined]
    busy = [c for c in pool.connections if not c.is_idle() and not c.is_closed()]
    return len(pool._requests), len(busy), len(pool.connections)


async def cancel_when_blocked(call: Any) -> bool:
    """Start *call*, wait until every task is blocked (server holding), cancel it."""
    scope = trio.CancelScope()
    finished = False

    async def run() -> None:
        nonlocal finished
        with scope:
            await call()
            finished = True

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await trio.testing.wait_all_tasks_blocked()
        scope.cancel()
    return scope.cancelled_caught and not finished


@pytest.fixture
async def served() -> Any:
    fake = FakeOpenAI()
    async with trio.open_nursery() as nursery:
        base_url = await nursery.start(fake.serve)
        async with trio_openai.open_client(api_key="sk-test", base_url=base_url) as client:
            yield fake, client
        nursery.cancel_scope.cancel()


async def test_many_cancelled_requests_and_streams_leak_nothing(served: Any) -> None:
    """Cancelled before headers or mid-body, calls leave nothing busy; the client works on."""
    fake, client = served

    async def slow_call() -> None:
        await client.chat.completions.create(model="m", messages=MESSAGES)

    async def stalled_stream() -> None:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            async for _ in stream:
                pass

    for i in range(40):
        if i % 2:
            # Held before the status line: cancelled while waiting for headers.
            fake.add("POST", "/chat/completions", delay=3600)
            assert await cancel_when_blocked(slow_call)
        else:
            # Held between two events: cancelled mid-body.
            fake.add(
                "POST",
                "/chat/completions",
                sse=[
                    {
                        "id": "a",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "m",
                        "choices": [],
                    }
                ]
                * 3,
                interval=3600,
            )
            assert await cancel_when_blocked(stalled_stream)
        in_flight, busy, _ = pool_state(client)
        assert (in_flight, busy) == (0, 0)

    # Still usable afterwards, and what it pooled is idle.
    chat = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert chat.choices[0].message.content == "Hi"
    in_flight, busy, pooled = pool_state(client)
    assert (in_flight, busy) == (0, 0)
    assert pooled <= 1


async def test_break_out_of_stream_returns_connection(served: Any) -> None:
    """Leaving a stream early closes its connection: nothing stays busy or piles up."""
    _, client = served
    for _ in range(20):
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            async for _chunk in stream:
                break
    in_flight, busy, pooled = pool_state(client)
    assert (in_flight, busy) == (0, 0)
    # A stream left early is closed, not returned mid-body: nothing accumulates.
    assert pooled <= 1


async def test_completed_calls_reuse_one_connection(served: Any) -> None:
    """Calls and streams read to the end all share one pooled connection."""
    _, client = served
    for _ in range(10):
        await client.models.retrieve("gpt-4o-mini")
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            async for _chunk in stream:
                pass
    assert pool_state(client) == (0, 0, 1)
