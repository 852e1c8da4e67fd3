"""Where endpoints are probed: the health-check task of a session.

``open_client(health_check=HealthCheck(interval=30))`` starts one task in the
session's nursery (`Client.nursery`); it ends with the session. Without
``health_check=`` nothing runs in the background; `Client.check_health` runs
one round on demand either way.

Design decisions, stated once:

- A round probes every endpoint (at most ``concurrency`` at once) with
  ``method path`` (default ``GET /models``), built as any call to that endpoint
  (its URL, key, Azure addressing) and sent through the session's layers, but
  not through the endpoint's guards (rate limiter, breaker): a probe must reach
  a server a breaker keeps calls away from.
- A probe passes when any answer below 500 arrives within ``timeout``: a 401
  or 404 means the server is up (the status API shows the error). It fails on
  a 5xx, a connection error or the timeout.
- Verdicts feed routing (unhealthy endpoints are used only when nothing else
  is left) and the endpoint's guards (`Router.health_result`): for the breaker,
  a failed probe counts as a failure, and a passed probe turns an open breaker
  half-open at once, so that calls probe it.
- Rounds start every ``interval`` seconds, measured from the start of the
  previous round (``trio.sleep_until``), so a slow round does not drift the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
import trio

from ._errors import APIError
from ._http._send import read_body
from ._http._spec import RequestSpec

if TYPE_CHECKING:
    from ._http._build import RequestBuilder
    from ._pipeline import SendFn
    from ._reliability._router import EndpointState, Router

__all__ = ["HealthCheck", "check_all", "run_health_checks"]

log = logging.getLogger("trio_openai")


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        msg = f"{attribute.name} must be positive, got {value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class HealthCheck:
    """How a session probes its endpoints. Pass one to ``open_client(health_check=...)``.

    Attributes:
        path: The path probed, below each endpoint's base URL.
        method: The HTTP method of the probe.
        interval: Seconds from the start of one round to the start of the next.
        timeout: Seconds a probe may take before it counts as failed.
        concurrency: Endpoints probed at the same time.
    """

    path: str = "/models"
    method: str = "GET"
    interval: float = attrs.field(default=30.0, validator=_positive)
    timeout: float = attrs.field(default=5.0, validator=_positive)
    concurrency: int = attrs.field(default=4, validator=attrs.validators.ge(1))


_PROBE_BODY_LIMIT = 1024 * 1024

BuilderFor = Callable[[int], "RequestBuilder"]


async def check_endpoint(
    router: Router,
    state: EndpointState,
    builder: RequestBuilder,
    send: SendFn,
    policy: HealthCheck,
) -> None:
    """Probe one endpoint and record the verdict."""
    spec: RequestSpec[object] = RequestSpec(
        method=policy.method, path=policy.path, result=object, kind="empty", timeout=policy.timeout
    )
    start = trio.current_time()
    error: str | None = None
    with trio.move_on_after(policy.timeout) as scope:
        try:
            request = await builder.build(spec, accept="application/json")
            response = await send(request)
            # A probe's body is not used: read (to pool the connection) a little of it.
            await read_body(response, _PROBE_BODY_LIMIT)
        except APIError as exc:
            error = f"{type(exc).__name__}: {exc.message}"
        except Exception as exc:
            # A probe that cannot even be built (a bad path, a layer's bug) must not end
            # the user's session from a background task: it is a failed probe, logged.
            log.warning("health check of endpoint %r failed", state.name, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code >= 500:
                error = f"{policy.method} {policy.path} answered {response.status_code}"
    latency = trio.current_time() - start
    if scope.cancelled_caught:
        error = f"no answer to {policy.method} {policy.path} within {policy.timeout:g} s"
    router.health_result(
        state,
        healthy=error is None,
        latency=None if scope.cancelled_caught else latency,
        error=error,
    )


async def check_all(
    router: Router, builder_for: BuilderFor, send: SendFn, policy: HealthCheck
) -> None:
    """Probe every endpoint once (``policy.concurrency`` at a time)."""
    limiter = trio.CapacityLimiter(policy.concurrency)

    async def one(state: EndpointState) -> None:
        async with limiter:
            await check_endpoint(router, state, builder_for(state.index), send, policy)

    async with trio.open_nursery() as nursery:
        for state in router.endpoints:
            nursery.start_soon(one, state, name=f"trio_openai health check {state.name}")


async def run_health_checks(
    router: Router,
    builder_for: BuilderFor,
    send: SendFn,
    policy: HealthCheck,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Probe every endpoint every ``policy.interval`` seconds, until cancelled."""
    task_status.started()
    while True:
        start = trio.current_time()
        await check_all(router, builder_for, send, policy)
        await trio.sleep_until(start + policy.interval)
