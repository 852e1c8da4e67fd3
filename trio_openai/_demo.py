"""``python -m trio_openai demo``: chat, a stream, a list, an error and a retry.

Runs against a real server when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set,
and against the embedded fake server (`trio_openai.testing.FakeOpenAI`, in
memory, no network) otherwise; it says which.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from . import APIConnectionError, APIStatusError, NotFoundError
from ._client import Client, open_client
from ._reliability._retry import RetryEvent, RetryPolicy
from .types.chat import ChatCompletionMessageParam

__all__ = ["main", "run_demo"]


def _say(text: str = "", *, end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


def _on_retry(event: RetryEvent) -> None:
    source = "server's Retry-After" if event.from_server else "backoff"
    _say(
        f"   retry hook: attempt {event.attempt} failed with {type(event.error).__name__}; "
        f"next attempt in {event.wait:.2f} s ({source})"
    )


@asynccontextmanager
async def _target(policy: RetryPolicy) -> AsyncIterator[tuple[Client, Any]]:
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        async with open_client(retry_policy=policy) as client:
            _say(f"Target: a real server at {client.base_url} (from the environment)")
            yield client, None
        return
    from .testing import FakeOpenAI

    fake = FakeOpenAI()
    async with fake.client(retry_policy=policy) as client:
        _say("Target: the embedded fake server (no OPENAI_API_KEY/OPENAI_BASE_URL set)")
        yield client, fake


async def _demo() -> None:
    model = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
    policy = RetryPolicy(hooks=(_on_retry,))
    async with _target(policy) as (client, fake):
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": "Say hello to Trio in five words."}
        ]

        _say("\n1. Chat completion")
        chat = await client.chat.completions.create(model=model, messages=messages)
        usage = chat.usage.total_tokens if chat.usage else "?"
        _say(f"   {chat.choices[0].message.content!r} ({usage} tokens)")

        _say("\n2. Streaming")
        _say("   ", end="")
        async with client.chat.completions.stream(model=model, messages=messages) as stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    _say(chunk.choices[0].delta.content, end="")
        _say(f"\n   (stream complete: {stream.completed}, request id {stream.request_id})")

        _say("\n3. Listing models (auto-paginated)")
        names = [m.id async for m in client.models.list()]
        _say(f"   {len(names)} models: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")

        _say("\n4. An error")
        try:
            await client.models.retrieve("no-such-model-for-the-demo")
        except NotFoundError as exc:
            _say(f"   NotFoundError: status {exc.status_code}, code {exc.code!r}")
            _say(f"   message: {exc.message}")

        _say("\n5. A retry")
        if fake is not None:
            fake.add_fault(
                "POST", "/chat/completions", status=503, headers={"retry-after-ms": "200"}
            )
            raw = await client.chat.completions.create.with_raw_response(
                model=model, messages=messages
            )
        else:
            # A real server rarely fails on demand: a 1 ms timeout makes the first attempt fail.
            short = client.with_options(timeout=0.001, max_retries=1)
            try:
                raw = await short.chat.completions.create.with_raw_response(
                    model=model, messages=messages
                )
            except (APIConnectionError, APIStatusError) as exc:
                _say(f"   gave up as configured: {type(exc).__name__}")
                return
        _say(f"   succeeded after {raw.retries_taken} retry; request id {raw.request_id}")
        _say(f"   {raw.parse().choices[0].message.content!r}")


async def run_demo() -> None:
    """Run the demo in the current trio run (``python -m trio_openai demo``).

    Raises:
        OpenAIError: A call failed in a way the demo does not expect (no key
            accepted, server unreachable, ...).
    """
    # stamina also reports each retry on its own `stamina` logger at WARNING; the
    # retry hook above says it better here, so keep Python's last-resort handler quiet.
    stamina_log = logging.getLogger("stamina")
    if not any(isinstance(h, logging.NullHandler) for h in stamina_log.handlers):
        stamina_log.addHandler(logging.NullHandler())
    await _demo()


def main() -> None:
    """Run the demo in a trio run of its own.

    Raises:
        OpenAIError: See `run_demo`.
    """
    trio.run(run_demo)
