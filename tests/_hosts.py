"""Test helpers for several endpoints: a handler scripted per host, a client over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import trio
from _support import Probe

import trio_openai

Reply = tuple[int, dict[str, str], Any]
OK: Reply = (200, {}, {"ok": True})


def err(status: int, code: str | None = None, **headers: str) -> Reply:
    """An error reply in OpenAI's shape."""
    return (status, headers, {"error": {"message": f"boom {status}", "type": "x", "code": code}})


def drop() -> Reply:
    """A connection error instead of a reply."""
    return (0, {}, httpx2.ConnectError("connection refused"))


class Hosts:
    """A MockTransport handler: per host, a queue of replies (the last one repeats).

    Records ``(host, request)`` for each request, and the time it arrived.
    """

    def __init__(self, **scripts: Sequence[Reply]) -> None:
        self.scripts = {host: list(replies) for host, replies in scripts.items()}
        self.seen: list[tuple[str, httpx2.Request]] = []
        self.times: list[float] = []
        self.delay: dict[str, float] = {}

    def hosts(self) -> list[str]:
        """The host of each request so far, in arrival order."""
        return [host for host, _ in self.seen]

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        """Record *request*, wait the host's delay, then answer with its next scripted reply."""
        host = request.url.host.split(".")[0]  # "a" for http://a.test/v1
        self.seen.append((host, request))
        self.times.append(trio.current_time())
        if self.delay.get(host):
            await trio.sleep(self.delay[host])
        replies = self.scripts.get(host, [OK])
        status, headers, body = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(body, Exception):
            raise body
        return httpx2.Response(status, headers=headers, json=body)


def endpoints(*names: str, **kwargs: Any) -> list[trio_openai.Endpoint]:
    """One OpenAI endpoint per name, at ``http://<name>.test/v1``, named *name*."""
    return [
        trio_openai.Endpoint(f"http://{name}.test/v1", name=name, api_key=f"sk-{name}", **kwargs)
        for name in names
    ]


@asynccontextmanager
async def routed_client(
    handler: Callable[[httpx2.Request], Any],
    eps: Sequence[trio_openai.Endpoint],
    **kwargs: Any,
) -> AsyncIterator[tuple[trio_openai.Client, Probe]]:
    """An open client over *eps*, every request going to *handler*."""
    kwargs.setdefault("retry_policy", trio_openai.RetryPolicy(jitter=0.0))
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(http_client=http, endpoints=eps, **kwargs) as client:
            yield client, Probe(client)
