"""Where each attempt's endpoint is chosen, and where its outcome is accounted for.

The session owns one `Router`: the runtime state of every endpoint (its guards,
health, calls in flight, counters) shared by all the client's ``with_options``
views, never global. For each attempt of a call the pipeline
(`_pipeline.send_spec`) asks it for an endpoint (`Router.pick`), has the
endpoint's guards admit the attempt (`Router.admit`: the rate limiter waits for
budget, the breaker takes its probe slot), sends, and reports the outcome
(`Router.settle`). Between attempts the retry loop asks whether the call can
fail over to an endpoint it has not tried (`Router.plan`).

Design decisions, stated once:

- Each endpoint has a tuple of guards (``_guards.py``), which the router drives
  without knowing which is which: the built-in breaker and rate limiter, made
  here from the endpoint's configuration (`_guards_of`, the one place that names
  them), then the extra guards of the internal ``extra_guards`` hook.
- The choice is per attempt, among the endpoints none of whose guards refuses
  the call; a refused endpoint (an open breaker) is skipped without consuming a
  retry. When none is left, `CircuitOpenError` is raised at once.
- Preference, before the strategy: endpoints not known to be unhealthy and whose
  guards are all ready (rate-limit budget right now) come first; then the lowest
  priority number; then the strategy (see `Routing`).
- With ``failover=False`` a call stays on the endpoint of its first attempt.
- A client with one endpoint and no guard (every client that did not ask for
  reliability features) takes a shortcut in `pick` and `settle` that does the
  same as the general path, minus the bookkeeping nobody reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, final

import attrs
import trio

from .._errors import APIStatusError, CircuitOpenError
from ._breaker import Breaker, BreakerGuard
from ._guards import AnyGuard, Attempt, Refusal, Result, unavailable, verdict
from ._observe import (
    BreakerChanged,
    FailoverSwitched,
    HealthChanged,
    Observer,
    RateLimitWait,
    RetryScheduled,
)
from ._ratelimit import Limiter, LimiterGuard
from ._shared import SharedLimiterGuard
from ._shared_breaker import SharedBreakerGuard
from ._status import EndpointStatus

if TYPE_CHECKING:
    import httpx2

    from .._http._spec import RequestSpec
    from ._breaker import BreakerState
    from ._breaker import StateCallback as _BreakerCallback
    from ._endpoints import ResolvedEndpoint, Routing
    from ._ratelimit import WaitCallback as _WaitCallback
    from ._ratelimit import WaitReason
    from ._retry import RetryEvent

__all__ = ["Call", "EndpointState", "EndpointStatus", "GuardFactory", "Router"]


class GuardFactory(Protocol):
    """Makes the extra guards of one endpoint, when the session opens (`Router`'s hook)."""

    def __call__(self, endpoint: ResolvedEndpoint, /) -> Sequence[AnyGuard]:
        """The guards of *endpoint* that follow its built-in ones."""


@final
@attrs.define(eq=False)
class EndpointState:
    """The runtime state of one endpoint in a session."""

    index: int
    config: ResolvedEndpoint
    guards: tuple[AnyGuard, ...] = ()
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
        """Whether no guard refuses a call now."""
        # Loops, not all(): asked for every endpoint at every attempt, where a
        # generator costs a measurable share of the router's time.
        for guard in self.guards:  # noqa: SIM110
            if guard.refusal(now) is not None:
                return False
        return True

    def ready(self, now: float) -> bool:
        """Whether every guard would admit a call at once."""
        for guard in self.guards:  # noqa: SIM110 (as in `allows`)
            if not guard.ready(now):
                return False
        return True

    def refusal(self, now: float) -> Refusal | None:
        """The refusal that keeps the endpoint closed longest (``None``: it is open)."""
        worst: Refusal | None = None
        worst_until = now
        for guard in self.guards:
            refusal = guard.refusal(now)
            if refusal is None:
                continue
            until = now if refusal.until is None else refusal.until
            if worst is None or until > worst_until:
                worst, worst_until = refusal, until
        return worst

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
            guards=tuple(guard.status(now) for guard in self.guards),
        )


@final
@attrs.define(eq=False, slots=True)
class Call:
    """What the router remembers about one call across its attempts."""

    tried: int = 0  # bit i set: endpoint i had an attempt
    attempts: int = 0
    last: EndpointState | None = None
    last_error: str = ""
    planned: EndpointState | None = None
    # What each guard of the current attempt's endpoint handed out in admit, in
    # guard order; handed back (and cleared) when the attempt is settled or abandoned.
    tickets: tuple[Any, ...] = ()


@final
@attrs.define(eq=False)
class Router:
    """The session's endpoints and the choice among them (see the module docstring).

    Args:
        endpoints: The resolved endpoints, in declaration order.
        routing: The strategy and failover setting.
        observer: Where events go.
        extra_guards: Makes each endpoint's guards beyond the built-in ones (an
            internal hook: nothing public passes one yet).
    """

    configs: Sequence[ResolvedEndpoint] = attrs.field(alias="endpoints")
    routing: Routing
    observer: Observer
    extra_guards: GuardFactory | None = attrs.field(default=None, kw_only=True)
    endpoints: tuple[EndpointState, ...] = attrs.field(init=False)
    trivial: bool = attrs.field(init=False)
    _turn: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        self.endpoints = tuple(
            EndpointState(index, config, self._guards_of(config))
            for index, config in enumerate(self.configs)
        )
        self.trivial = len(self.endpoints) == 1 and not self.endpoints[0].guards

    # -- per attempt ----------------------------------------------------------------

    def pick(self, call: Call) -> EndpointState:
        """The endpoint of the call's next attempt (nothing is reserved: see `admit`).

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
                    raise self._unavailable([last], now)
                state = last
            else:
                allowed = [s for s in self.endpoints if s.allows(now)]
                if not allowed:
                    raise self._unavailable(self.endpoints, now)
                state = self._choose(allowed, now)
        last = call.last
        if last is not None and last is not state:
            self.observer.emit(
                FailoverSwitched(
                    time=now, endpoint=last.name, to_endpoint=state.name, reason=call.last_error
                )
            )
        call.last = state
        call.tried |= 1 << state.index
        call.attempts += 1
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
        """The earliest time some endpoint lets a call through (*now*, if one does)."""
        soonest = float("inf")
        for state in self.endpoints:
            refusal = state.refusal(now)
            if refusal is None or refusal.until is None:
                # Open now, or closed for a time nobody can tell: assume soon.
                return now
            soonest = min(soonest, refusal.until)
        return soonest

    async def admit(
        self, call: Call, state: EndpointState, spec: RequestSpec[Any], request: httpx2.Request
    ) -> None:
        """Have the endpoint's guards admit the attempt, one after the other, in order.

        The pipeline calls this only for an endpoint that has guards, once the
        attempt's request is built.

        Raises:
            APIError: A guard refused the attempt (`RateLimitWaitError`,
                `CircuitOpenError`...); those that had admitted it are abandoned.
        """
        attempt = Attempt(
            endpoint=state.name,
            base_url=state.config.base_url,
            number=call.attempts,
            request=request,
            body=spec.body if spec.files is None else None,
        )
        tickets: list[Any] = []
        try:
            for guard in state.guards:
                # One at a time: when a guard raises, the tickets before it are abandoned.
                tickets.append(await guard.admit(attempt))  # noqa: PERF401
        except BaseException:
            _abandon(state.guards, tickets)
            raise
        call.tickets = tuple(tickets)

    def abandon(self, call: Call, state: EndpointState) -> None:
        """The attempt ended before anything was sent (build error, cancelled wait)."""
        tickets, call.tickets = call.tickets, ()
        if tickets:
            _abandon(state.guards, tickets)

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
        """Account for a sent attempt: its guards, counters.

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
        tickets, call.tickets = call.tickets, ()
        if not tickets:
            return
        if isinstance(error, APIStatusError):
            response = error.response
        result = Result(verdict=outcome, error=error, response=response, content=content)
        for guard, ticket in zip(state.guards, tickets, strict=True):
            guard.settle(ticket, result)

    # -- health and observability ----------------------------------------------------

    def health_result(
        self, state: EndpointState, *, healthy: bool, latency: float | None, error: str | None
    ) -> None:
        """Record a health check's verdict; tell the guards; report a change."""
        now = trio.current_time()
        previous = state.healthy
        state.healthy = healthy
        state.checked_at = now
        state.error = error
        if latency is not None:
            state.latency = latency
        for guard in state.guards:
            guard.health_checked(now, healthy=healthy)
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
            preferred = [s for s in candidates if s.healthy is not False and s.ready(now)]
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

    def _unavailable(self, states: Sequence[EndpointState], now: float) -> CircuitOpenError:
        refused = []
        for state in states:
            refusal = state.refusal(now) or Refusal("it takes no calls")
            refused.append((state.name, state.config.base_url, refusal))
        return unavailable(refused, now)

    def _guards_of(self, config: ResolvedEndpoint) -> tuple[AnyGuard, ...]:
        """The endpoint's guards: the built-in ones its configuration asks for, then the extra."""
        guards: list[AnyGuard] = []
        if config.breaker is not None:
            breaker = Breaker(config.breaker, self._on_breaker(config.name))
            guards.append(BreakerGuard(breaker))
            if config.breaker.store is not None:
                guards.append(SharedBreakerGuard(breaker, config.breaker.store, config.name))
        if config.rate_limit is not None and config.rate_limit.store is not None:
            guards.append(
                SharedLimiterGuard(config.rate_limit, config.name, self._on_wait(config.name))
            )
        elif config.rate_limit is not None:
            limiter = Limiter(config.rate_limit, config.name, self._on_wait(config.name))
            guards.append(LimiterGuard(limiter))
        if self.extra_guards is not None:
            guards.extend(self.extra_guards(config))
        return tuple(guards)

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


def _abandon(guards: Sequence[AnyGuard], tickets: Sequence[Any]) -> None:
    # Latest first: the reverse of admission.
    for guard, ticket in reversed(list(zip(guards, tickets, strict=False))):
        guard.abandon(ticket)
