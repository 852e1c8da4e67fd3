"""Where each attempt's endpoint is chosen, and where its outcome is accounted for.

The session owns one `Router`: the runtime state of every endpoint (breaker,
rate limiter, health, calls in flight, counters) shared by all the client's
``with_options`` views, never global. For each attempt of a call the pipeline
(`_pipeline.send_spec`) asks it for an endpoint (`Router.pick`), waits for that
endpoint's rate-limit budget (`Router.admit`), sends, and reports the outcome
(`Router.settle`). Between attempts the retry loop asks whether the call can
fail over to an endpoint it has not tried (`Router.plan`).

Design decisions, stated once:

- The choice is per attempt, among the endpoints whose breaker lets a call
  through; an open breaker is skipped without consuming a retry. When none is
  left, `CircuitOpenError` is raised at once.
- Preference, before the strategy: endpoints not known to be unhealthy and with
  rate-limit budget right now come first; then the lowest priority number;
  then the strategy (see `Routing`).
- With ``failover=False`` a call stays on the endpoint of its first attempt.
- A client with one endpoint and neither breaker nor rate limiter (every client
  that did not ask for reliability features) takes a shortcut in `pick` and
  `settle` that does the same as the general path, minus the bookkeeping nobody reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, final

import attrs
import trio

from .._errors import APIConnectionError, APIStatusError, CircuitOpenError
from ._breaker import Breaker, BreakerStatus, Ticket, Verdict
from ._observe import (
    BreakerChanged,
    FailoverSwitched,
    HealthChanged,
    Observer,
    RateLimitWait,
    RetryScheduled,
)
from ._ratelimit import Limiter, LimiterStatus, usage_tokens

if TYPE_CHECKING:
    import httpx2

    from .._http._spec import RequestSpec
    from ._breaker import BreakerState
    from ._breaker import StateCallback as _BreakerCallback
    from ._endpoints import EndpointKind, ResolvedEndpoint, Routing
    from ._ratelimit import WaitCallback as _WaitCallback
    from ._ratelimit import WaitReason
    from ._retry import RetryEvent

__all__ = ["Call", "EndpointState", "EndpointStatus", "Router"]


@attrs.frozen(kw_only=True)
class EndpointStatus:
    """A snapshot of one endpoint of the session (see `Client.health`).

    Attributes:
        name: Its name.
        base_url: Its API root.
        kind: ``"openai"``, ``"azure"`` or ``"compatible"``.
        priority: Its priority (lower is preferred).
        weight: Its weight (``"weighted"`` strategy).
        available: Whether a call could be sent there now (its breaker allows it).
        healthy: The last health check's verdict (``None``: never checked).
        checked_at: When it was last checked (``trio.current_time()`` clock).
        latency: Seconds the last successful check took.
        error: What the last failed check found.
        in_flight: Calls being sent or streamed there now.
        requests: Attempts sent there since the session opened.
        failures: Those that failed by the breaker's definition (5xx, connection, timeout).
        breaker: Its breaker, if it has one.
        limiter: Its rate limiter, if it has one.
    """

    name: str
    base_url: str
    kind: EndpointKind
    priority: int
    weight: float
    available: bool
    healthy: bool | None
    checked_at: float | None
    latency: float | None
    error: str | None
    in_flight: int
    requests: int
    failures: int
    breaker: BreakerStatus | None
    limiter: LimiterStatus | None


@final
@attrs.define(eq=False)
class EndpointState:
    """The runtime state of one endpoint in a session."""

    index: int
    config: ResolvedEndpoint
    breaker: Breaker | None = None
    limiter: Limiter | None = None
    in_flight: int = 0
    requests: int = 0
    failures: int = 0
    healthy: bool | None = None
    checked_at: float | None = None
    latency: float | None = None
    error: str | None = None
    # Smooth weighted round robin's running weight.
    current_weight: float = 0.0

    @property
    def name(self) -> str:
        """The endpoint's name."""
        return self.config.name

    def allows(self, now: float) -> bool:
        """Whether its breaker lets a call through now."""
        return self.breaker is None or self.breaker.allows(now)

    def done(self) -> None:
        """A call that kept the endpoint busy after its attempt (a stream) has ended."""
        self.in_flight -= 1

    def status(self, now: float) -> EndpointStatus:
        """A snapshot."""
        config = self.config
        return EndpointStatus(
            name=config.name,
            base_url=config.base_url,
            kind=config.kind,
            priority=config.priority,
            weight=config.weight,
            available=self.allows(now),
            healthy=self.healthy,
            checked_at=self.checked_at,
            latency=self.latency,
            error=self.error,
            in_flight=self.in_flight,
            requests=self.requests,
            failures=self.failures,
            breaker=self.breaker.status(now) if self.breaker else None,
            limiter=self.limiter.status(now) if self.limiter else None,
        )


@final
@attrs.define(eq=False, slots=True)
class Call:
    """What the router remembers about one call across its attempts."""

    tried: int = 0  # bit i set: endpoint i had an attempt
    last: EndpointState | None = None
    last_error: str = ""
    planned: EndpointState | None = None
    ticket: Ticket | None = None
    tokens: int = 0


def verdict(error: BaseException | None) -> Verdict:
    """How an attempt's outcome counts for the breaker."""
    if error is None:
        return "success"
    if isinstance(error, APIStatusError):
        if error.status_code >= 500:
            return "failure"
        return "neutral" if error.status_code == 429 else "success"
    if isinstance(error, APIConnectionError) and not isinstance(error, CircuitOpenError):
        return "failure"
    return "neutral"


def _settle_limiter(
    limiter: Limiter,
    call: Call,
    error: BaseException | None,
    response: httpx2.Response | None,
    content: bytes | None,
) -> None:
    if isinstance(error, APIStatusError):
        response = error.response
    if response is not None:
        limiter.learn(response.headers, response.status_code)
    tokens, call.tokens = call.tokens, 0
    if error is not None:
        limiter.give_back(tokens)
    elif content is not None and limiter.counts_tokens:
        used = usage_tokens(content)
        if used is not None:
            limiter.give_back(tokens - used)


@final
@attrs.define(eq=False)
class Router:
    """The session's endpoints and the choice among them (see the module docstring).

    Args:
        endpoints: The resolved endpoints, in declaration order.
        routing: The strategy and failover setting.
        observer: Where events go.
    """

    configs: Sequence[ResolvedEndpoint] = attrs.field(alias="endpoints")
    routing: Routing
    observer: Observer
    endpoints: tuple[EndpointState, ...] = attrs.field(init=False)
    trivial: bool = attrs.field(init=False)
    _turn: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        states = []
        for index, config in enumerate(self.configs):
            state = EndpointState(index, config)
            if config.breaker is not None:
                state.breaker = Breaker(config.breaker, self._on_breaker(config.name))
            if config.rate_limit is not None:
                state.limiter = Limiter(config.rate_limit, config.name, self._on_wait(config.name))
            states.append(state)
        self.endpoints = tuple(states)
        only = states[0]
        self.trivial = len(states) == 1 and only.breaker is None and only.limiter is None

    # -- per attempt ----------------------------------------------------------------

    def pick(self, call: Call) -> EndpointState:
        """The endpoint of the call's next attempt; reserves a breaker slot.

        Raises:
            CircuitOpenError: No endpoint the call may use lets it through.
        """
        if self.trivial:
            return self.endpoints[0]
        now = trio.current_time()
        state = call.planned
        call.planned = None
        if state is not None and not state.allows(now):
            state = None
        if state is None:
            last = call.last
            if last is not None and not self.routing.failover:
                if not last.allows(now):
                    raise self._circuit_open([last], now)
                state = last
            else:
                allowed = [s for s in self.endpoints if s.allows(now)]
                if not allowed:
                    raise self._circuit_open(self.endpoints, now)
                state = self._choose(allowed, now)
        if state.breaker is not None:
            call.ticket = state.breaker.admit(now)
        last = call.last
        if last is not None and last is not state:
            self.observer.emit(
                FailoverSwitched(
                    time=now, endpoint=last.name, to_endpoint=state.name, reason=call.last_error
                )
            )
        call.last = state
        call.tried |= 1 << state.index
        return state

    def plan(self, call: Call) -> str | None:
        """Before a retry: plan it on an available endpoint the call has not tried.

        Returns the endpoint's name, or ``None`` when the call does not fail over
        (one endpoint, ``failover=False``, or every available endpoint was tried).
        """
        if not self.routing.failover or len(self.endpoints) == 1:
            return None
        now = trio.current_time()
        fresh = [s for s in self.endpoints if not call.tried & (1 << s.index) and s.allows(now)]
        if not fresh:
            return None
        state = self._choose(fresh, now)
        call.planned = state
        return state.name

    def ready_at(self, now: float) -> float:
        """The earliest time some endpoint's breaker lets a call through (*now*, if one does)."""
        soonest = float("inf")
        for state in self.endpoints:
            breaker = state.breaker
            if breaker is None or breaker.allows(now):
                return now
            if breaker.state == "open":
                soonest = min(soonest, breaker.retry_at)
            else:  # half-open, every probe slot taken: unknown, assume soon
                return now
        return soonest

    async def admit(
        self, call: Call, state: EndpointState, spec: RequestSpec[Any], request: httpx2.Request
    ) -> None:
        """Wait for the endpoint's rate-limit budget (when it has a limiter).

        Raises:
            RateLimitWaitError: The limiter refused to wait.
        """
        limiter = state.limiter
        if limiter is None:
            return
        tokens = 0
        if limiter.counts_tokens:
            size = int(request.headers.get("content-length") or 0)
            body = spec.body if spec.files is None else None
            tokens = limiter.policy.estimate_tokens(body, size)
        await limiter.acquire(tokens)
        call.tokens = tokens

    def abandon(self, call: Call, state: EndpointState) -> None:
        """The attempt ended before anything was sent (build error, cancelled wait)."""
        ticket, call.ticket = call.ticket, None
        if ticket is not None and state.breaker is not None:
            state.breaker.record(ticket, "neutral", trio.current_time())

    def settle(
        self,
        call: Call,
        state: EndpointState,
        error: BaseException | None,
        response: httpx2.Response | None = None,
        content: bytes | None = None,
        *,
        keep: bool = False,
    ) -> None:
        """Account for a sent attempt: breaker, rate limiter, counters.

        Args:
            call: The call.
            state: The endpoint it went to.
            error: Its error, or ``None`` for a success.
            response: The response of a success.
            content: Its body, when read.
            keep: The call keeps the endpoint busy (a stream): `EndpointState.done`
                ends it later.
        """
        if not keep:
            state.in_flight -= 1
        if self.trivial:
            if error is not None and verdict(error) == "failure":
                state.failures += 1
            return
        outcome = verdict(error)
        if outcome == "failure":
            state.failures += 1
        if error is not None:
            call.last_error = type(error).__name__
        ticket, call.ticket = call.ticket, None
        if ticket is not None and state.breaker is not None:
            state.breaker.record(ticket, outcome, trio.current_time())
        if state.limiter is not None:
            _settle_limiter(state.limiter, call, error, response, content)

    # -- health and observability ----------------------------------------------------

    def health_result(
        self, state: EndpointState, *, healthy: bool, latency: float | None, error: str | None
    ) -> None:
        """Record a health check's verdict; feed the breaker; report a change."""
        now = trio.current_time()
        previous = state.healthy
        state.healthy = healthy
        state.checked_at = now
        state.error = error
        if latency is not None:
            state.latency = latency
        if state.breaker is not None:
            if healthy:
                state.breaker.health_passed(now)
            else:
                state.breaker.health_failed(now)
        if previous != healthy:
            self.observer.emit(
                HealthChanged(
                    time=now, endpoint=state.name, healthy=healthy, latency=latency, error=error
                )
            )

    def retry_scheduled(self, call: Call, event: RetryEvent, next_endpoint: str | None) -> None:
        """Report a retry on the event stream."""
        if not self.observer.listening:
            return
        last = call.last
        self.observer.emit(
            RetryScheduled(
                time=trio.current_time(),
                endpoint=last.name if last is not None else self.endpoints[0].name,
                attempt=event.attempt,
                wait=event.wait,
                error=event.error,
                method=event.method,
                url=event.url,
                from_server=event.from_server,
                next_endpoint=next_endpoint,
            )
        )

    def status(self) -> tuple[EndpointStatus, ...]:
        """A snapshot of every endpoint."""
        now = trio.current_time()
        return tuple(state.status(now) for state in self.endpoints)

    # -- internals ------------------------------------------------------------------

    def _choose(self, candidates: Sequence[EndpointState], now: float) -> EndpointState:
        if len(candidates) > 1:
            preferred = [
                s
                for s in candidates
                if s.healthy is not False and (s.limiter is None or s.limiter.ready(now))
            ]
            if preferred:
                candidates = preferred
            best = min(s.config.priority for s in candidates)
            candidates = [s for s in candidates if s.config.priority == best]
        if len(candidates) == 1:
            return candidates[0]
        strategy = self.routing.strategy
        if strategy == "priority":
            return candidates[0]
        if strategy == "round_robin":
            turn = self._turn
            self._turn += 1
            return candidates[turn % len(candidates)]
        if strategy == "weighted":
            total = 0.0
            chosen = candidates[0]
            for s in candidates:
                s.current_weight += s.config.weight
                total += s.config.weight
                if s.current_weight > chosen.current_weight:
                    chosen = s
            chosen.current_weight -= total
            return chosen
        return min(candidates, key=lambda s: (s.in_flight, s.requests))

    def _circuit_open(self, states: Sequence[EndpointState], now: float) -> CircuitOpenError:
        def reopens(state: EndpointState) -> float:
            breaker = state.breaker
            return breaker.retry_at if breaker is not None and breaker.state == "open" else now

        first = min(states, key=reopens)
        retry_at = max(reopens(first), now)
        retry_in = retry_at - now
        when = (
            f"it lets a probe through in {retry_in:.1f} s"
            if retry_in > 0
            else "its half-open probes are all in flight"
        )
        if len(states) == 1:
            msg = (
                f"The circuit breaker of endpoint {first.name!r} ({first.config.base_url}) "
                f"is open; {when}. Nothing was sent."
            )
        else:
            names = ", ".join(repr(s.name) for s in states)
            msg = (
                f"No endpoint can take this call: the circuit breakers of {names} are open; "
                f"{first.name!r} ({first.config.base_url}) is the first back: {when}. "
                "Nothing was sent."
            )
        return CircuitOpenError(msg, endpoint=first.name, retry_at=retry_at, retry_in=retry_in)

    def _on_breaker(self, name: str) -> _BreakerCallback:
        observer = self.observer

        def changed(
            old: BreakerState, new: BreakerState, reason: str, retry_at: float | None
        ) -> None:
            observer.emit(
                BreakerChanged(
                    time=trio.current_time(),
                    endpoint=name,
                    old=old,
                    new=new,
                    reason=reason,
                    retry_at=retry_at,
                )
            )

        return changed

    def _on_wait(self, name: str) -> _WaitCallback:
        observer = self.observer

        def waiting(wait: float, reason: WaitReason, queued: int) -> None:
            observer.emit(
                RateLimitWait(
                    time=trio.current_time(), endpoint=name, wait=wait, reason=reason, queued=queued
                )
            )

        return waiting
