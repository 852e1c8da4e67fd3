"""The request pipeline: build -> send -> classify -> retry -> (decode, by the caller).

One function, `send_spec`, runs a call's attempts. Each attempt goes through
the session's *layers* before reaching the network: a layer is an async callable
that receives the request and the next step, so opt-in reliability features
(rate limiting, circuit breaking, failover) wrap an attempt without this
module changing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import attrs
import httpx2

from ._build import RequestBuilder
from ._decode import error_body
from ._errors import status_error
from ._request import RequestSpec
from ._retry import RetryPolicy, run_with_retries
from ._send import open_response, read_body

__all__ = ["Layer", "Outcome", "SendFn", "compose", "send_spec"]

log = logging.getLogger("trio_openai")

SendFn = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


class Layer(Protocol):
    """One wrapper around each attempt (rate limiter, circuit breaker, failover, ...)."""

    async def __call__(self, request: httpx2.Request, send: SendFn, /) -> httpx2.Response:
        """Send *request* through *send*, or refuse it by raising an `APIError`."""


def compose(http: httpx2.AsyncClient, layers: Sequence[Layer]) -> SendFn:
    """The send function for one attempt: *layers* outermost first, then the network."""

    async def network(request: httpx2.Request) -> httpx2.Response:
        return await open_response(http, request)

    send: SendFn = network
    for layer in reversed(layers):
        send = _wrap(layer, send)
    return send


def _wrap(layer: Layer, inner: SendFn) -> SendFn:
    async def wrapped(request: httpx2.Request) -> httpx2.Response:
        return await layer(request, inner)

    return wrapped


@attrs.frozen
class Outcome:
    """A successful call's response, its body (``None`` when left unread) and retry count."""

    response: httpx2.Response
    content: bytes | None
    retries: int


async def send_spec(
    builder: RequestBuilder,
    send: SendFn,
    policy: RetryPolicy,
    spec: RequestSpec[Any],
    *,
    read: bool = True,
    accept: str | None = None,
) -> Outcome:
    """Run one call: build its request once, then attempt it under the retry policy.

    Args:
        builder: The calling client view's request builder.
        send: The composed send function of the session (see `compose`).
        policy: The retry policy.
        spec: The call.
        read: Read the body inside each attempt (a drop mid-body is then retried);
            ``False`` leaves it unread for streaming, and retries only until the
            headers arrive.
        accept: The ``Accept`` header; by default JSON for JSON results, else anything.

    Raises:
        APIStatusError: The last attempt got a status of 400 or more.
        APIConnectionError: The last attempt got no complete answer.
    """
    if accept is None:
        accept = "application/json" if spec.kind == "json" else "*/*"
    request = await builder.build(spec, accept=accept)
    tries = 0
    debug = log.isEnabledFor(logging.DEBUG)

    async def attempt() -> Outcome:
        nonlocal tries
        tries += 1
        if debug:
            log.debug("sending %s %s (attempt %d)", request.method, _where(request), tries)
        response = await send(request)
        if debug:
            log.debug("%s %s -> %d", request.method, _where(request), response.status_code)
        if response.status_code >= 400:
            body = error_body(await read_body(response))
            raise status_error(response, body)
        content = await read_body(response) if read else None
        return Outcome(response, content, tries - 1)

    return await run_with_retries(policy, attempt, request=request)


def _where(request: httpx2.Request) -> str:
    """The request's URL without its query (which may carry ids worth keeping out of logs)."""
    return str(request.url.copy_with(query=None))
