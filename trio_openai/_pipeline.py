"""The request pipeline: route -> build -> admit -> send -> classify -> retry -> (decode).

One function, `send_spec`, runs a call's attempts, whatever the session's
configuration. Per attempt:

1. *route*: the session's `Router` picks the endpoint (one endpoint: always
   the same; several: by strategy, skipping those a guard refuses, such as an
   open breaker, failing over);
2. *build*: the calling view's `RequestBuilder` for that endpoint builds the
   request, once per endpoint and call, with the call's one ``Idempotency-Key``;
   with a key provider (``api_key=callable``), every later attempt on that
   endpoint first has the provider's current key put in the request's headers;
3. *admit*: the endpoint's guards (``_reliability/_guards.py``), if any, admit
   the attempt: the rate limiter waits for budget, the breaker takes its probe slot;
4. *send*: through the session's *layers* (`Layer`: async callables that
   receive the request and the next step) to the network;
5. *classify*: a status >= 400 (or an unfollowed 3xx) becomes an `APIStatusError`;
6. the outcome is reported to the router (the guards, counters), and the retry
   loop (`_retry.py`) decides on another attempt, asking the router whether it
   can fail over.

Two extension points, for two different jobs: a *layer* wraps the sending of
every attempt, whatever its endpoint; a *guard* is an admission policy of one
endpoint (whether calls may go there, when, and what their outcomes teach it).

A client without reliability options has one endpoint with no guard: the
router's shortcut makes steps 1, 3 and 6 a few attribute reads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, final

import attrs
import httpx2

from ._errors import status_error
from ._http._build import RequestBuilder, new_idempotency_key
from ._http._send import open_response, read_body
from ._http._spec import RequestSpec
from ._options import DEFAULT_MAX_RESPONSE_SIZE
from ._reliability._retry import RetryPolicy, run_with_retries
from ._reliability._router import Call, Router
from ._types import NotGiven

if TYPE_CHECKING:
    from ._reliability._retry import RetryEvent

__all__ = ["Layer", "Outcome", "Route", "SendFn", "compose", "send_spec"]

log = logging.getLogger("trio_openai")

SendFn = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


class Layer(Protocol):
    """A wrapper around the sending of each attempt: ``open_client(layers=[...])``.

    A layer sees every attempt's built request on its way to the network, on
    whichever endpoint, after routing and admission, and the response on its way
    back (before its status is classified and its body read). It is for what
    wraps a send: logging, tracing, a custom header, a fault injected in a test.
    The first layer given is the outermost. Health-check probes go through the
    layers too.

    It is not where per-endpoint admission policies go: a rate limit, a circuit
    breaker, a concurrency cap of one endpoint are *guards* of the router
    (``_reliability/_guards.py``), which choose the endpoint, admit each attempt
    and learn from its outcome; a layer cannot make a call fail over, nor keep
    an endpoint's state. Retries are the retry policy's (``retry_policy=``).
    """

    async def __call__(self, request: httpx2.Request, send: SendFn, /) -> httpx2.Response:
        """Send *request* (changed or not) through *send*, or raise an `APIError` instead.

        Raises:
            APIError: The layer refuses the attempt; it counts as that error (an
                `APIConnectionError` is retried, and fails over, like a refused
                connection).
        """


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


def _nothing() -> None:
    return None


@attrs.frozen
class Outcome:
    """A successful call's response, its body (``None`` when left unread) and retry count.

    Attributes:
        response: The response.
        content: Its body, or ``None`` when left unread (streaming).
        retries: Retries the call took.
        release: Call when an unread response is closed (the endpoint counts it
            in flight until then).
    """

    response: httpx2.Response
    content: bytes | None
    retries: int
    release: Callable[[], None] = _nothing


@final
@attrs.define(eq=False)
class Route:
    """How one client view reaches the API: the session's router and send function,
    and this view's request builders, one per endpoint, made on first use.

    Args:
        router: The session's router.
        send: The session's composed send function (see `compose`).
        make_builder: Makes this view's builder for the endpoint of that index.
    """

    router: Router
    send: SendFn
    make_builder: Callable[[int], RequestBuilder]
    _builders: list[RequestBuilder | None] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._builders = [None] * len(self.router.endpoints)

    def builder(self, index: int) -> RequestBuilder:
        """This view's builder for endpoint *index*."""
        builder = self._builders[index]
        if builder is None:
            builder = self._builders[index] = self.make_builder(index)
        return builder


async def send_spec(
    route: Route,
    policy: RetryPolicy,
    spec: RequestSpec[Any],
    *,
    read: bool = True,
    accept: str | None = None,
    max_size: int = DEFAULT_MAX_RESPONSE_SIZE,
) -> Outcome:
    """Run one call: attempt it under the retry policy, each attempt routed to an endpoint.

    Args:
        route: The calling client view's route (router, send function, builders).
        policy: The retry policy.
        spec: The call.
        read: Read the body inside each attempt (a drop mid-body is then retried);
            ``False`` leaves it unread for streaming, and retries (and fails over)
            only until the headers arrive.
        accept: The ``Accept`` header; by default JSON for JSON results, else anything.
        max_size: The largest body read into memory (decompressed), error bodies included.

    Raises:
        APIStatusError: The last attempt got a status of 400 or more, or a
            redirect that was not followed.
        ResponseTooLargeError: A body was larger than *max_size*.
        APIConnectionError: The last attempt got no complete answer.
        CircuitOpenError: No endpoint's breaker lets the call through.
        RateLimitWaitError: The endpoint's rate limiter refused to wait.
        ConfigurationError: The key provider failed (not retried).
    """
    if accept is None:
        accept = "application/json" if spec.kind == "json" else "*/*"
    router = route.router
    send = route.send
    key = None if spec.method == "GET" else new_idempotency_key()
    if spec.files is not None and len(router.endpoints) > 1:
        # Read once: each endpoint's request is built from the same bytes.
        spec = attrs.evolve(spec, files=await _read_files(spec.files))
    requests: list[httpx2.Request | None] = [None] * len(router.endpoints)
    call = Call()
    tries = 0
    debug = log.isEnabledFor(logging.DEBUG)

    async def attempt() -> Outcome:
        nonlocal tries
        tries += 1
        state = router.pick(call)
        try:
            request = requests[state.index]
            if request is None:
                builder = route.builder(state.index)
                request = await builder.build(spec, accept=accept, idempotency_key=key)
                requests[state.index] = request
            elif route.builder(state.index).provider is not None:
                # A key provider is asked again for every attempt: a token refreshed
                # since the last one is what the retry carries.
                await route.builder(state.index).authorize(request)
            if state.guards:
                await router.admit(call, state, spec, request)
        except BaseException:
            router.abandon(call, state)
            raise
        state.in_flight += 1
        state.requests += 1
        if debug:
            log.debug(
                "sending %s %s to %r (attempt %d)",
                request.method,
                _where(request),
                state.name,
                tries,
            )
        try:
            response = await send(request)
            if debug:
                log.debug("%s %s -> %d", request.method, _where(request), response.status_code)
            if response.status_code >= 300:
                raise status_error(response, await read_body(response, max_size))
            content = await read_body(response, max_size) if read else None
        except BaseException as error:
            router.settle(call, state, error)
            raise
        router.settle(call, state, None, response, content, keep=not read)
        if read:
            return Outcome(response, content, tries - 1)
        return Outcome(response, content, tries - 1, state.done)

    if router.trivial and not router.observer.listening:
        return await run_with_retries(policy, attempt)

    def failover() -> str | None:
        return router.plan(call)

    def on_retry(event: RetryEvent, target: str | None) -> None:
        router.retry_scheduled(call, event, target)

    return await run_with_retries(
        policy, attempt, failover=failover, ready_at=router.ready_at, on_retry=on_retry
    )


async def _read_files(files: Mapping[str, Any]) -> dict[str, Any]:
    """File inputs read into ``(filename, bytes, content_type)`` tuples (no I/O left)."""
    from ._http._multipart import read_file_input

    read: dict[str, Any] = {}
    for name, value in files.items():
        if isinstance(value, list):
            read[name] = [
                await read_file_input(item, field=f"{name}[{index}]")
                for index, item in enumerate(value)
            ]
        elif value is None or isinstance(value, NotGiven):
            read[name] = value
        else:
            read[name] = await read_file_input(value, field=name)
    return read


def _where(request: httpx2.Request) -> str:
    """The request's URL without its query (which may carry ids worth keeping out of logs)."""
    return str(request.url.copy_with(query=None))
