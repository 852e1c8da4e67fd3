"""Where an endpoint is declared broken: the circuit breaker, one per endpoint of a session.

::

    closed    --(failures reach a threshold)-->  open
    open      --(open_for seconds pass)------->  half_open
    half_open --(every probe succeeds)-------->  closed
    half_open --(one probe fails)------------->  open

Design decisions, stated once:

- What counts: a status of 500 or more, a connection error and a timeout are
  *failures*; any other answer (2xx, 4xx) is a *success*: the server is alive.
  A 429 is *neutral*: it feeds the rate limiter, not the breaker. So is an
  attempt that never finished (cancelled, refused by the rate limiter).
- It opens on whichever comes first: ``failure_threshold`` consecutive
  failures, or a failure rate of at least ``failure_rate`` over the last
  ``window`` seconds once ``minimum_calls`` calls were seen in it. The window
  is ten buckets, so memory stays the same whatever the traffic.
- Open, it refuses every call for ``open_for`` seconds; then it is half-open
  and lets ``half_open_probes`` calls through at once. It closes when that many
  probes succeeded; a single failed probe opens it again for ``open_for``.
- Results of calls admitted before a state change do not move the new state
  (a slow success admitted while closed cannot close a breaker that opened since).
- Time is ``trio.current_time()``: tests run it under a mock clock.
- State changes go to a callback (the session's event stream), never to a global.
- `Breaker` is the state machine, driven with explicit times; `BreakerGuard`
  makes it one of the endpoint's guards (``_guards.py``): it refuses calls while
  open, takes its ticket (a probe slot when half-open) in ``admit``, records the
  attempt's verdict in ``settle``, and follows health checks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, final

import attrs
import trio

from ._guards import Refusal, unavailable

if TYPE_CHECKING:
    from ._guards import Attempt, Guard, Result, Verdict
    from ._store import RedisStore

__all__ = ["Breaker", "BreakerGuard", "BreakerState", "BreakerStatus", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]

_BUCKETS = 10


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        msg = f"{attribute.name} must be positive, got {value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class CircuitBreaker:
    """When an endpoint is taken out of service, and for how long.

    Pass one to ``open_client(breaker=...)`` (every endpoint gets its own breaker
    with these settings) or to one `Endpoint` (``Endpoint(..., breaker=...)``).

    Attributes:
        failure_threshold: Consecutive failures that open the breaker (``None``: no limit).
        failure_rate: The failure rate (0-1] over *window* that opens it (``None``: off).
        window: The length, in seconds, of the failure-rate window.
        minimum_calls: Calls the window must hold before the rate is judged.
        open_for: Seconds the breaker stays open before letting probes through.
        half_open_probes: Calls let through at once when half-open; all of them
            must succeed to close the breaker.
        store: Share the breaker's opening with every process using this
            `RedisStore` (same prefix and endpoint): one process's open breaker
            keeps the endpoint closed for all of them (``None``: this process only).
    """

    failure_threshold: int | None = attrs.field(default=5)
    failure_rate: float | None = attrs.field(default=0.5)
    window: float = attrs.field(default=60.0, validator=_positive)
    minimum_calls: int = attrs.field(default=20, validator=attrs.validators.ge(1))
    open_for: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    half_open_probes: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    store: RedisStore | None = attrs.field(default=None)

    @failure_threshold.validator
    def _check_threshold(self, attribute: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and value < 1:
            msg = f"failure_threshold must be at least 1 (or None), got {value!r}"
            raise ValueError(msg)

    @failure_rate.validator
    def _check_rate(self, attribute: attrs.Attribute[float | None], value: float | None) -> None:
        if value is not None and not 0 < value <= 1:
            msg = f"failure_rate must be in (0, 1] (or None), got {value!r}"
            raise ValueError(msg)


@attrs.frozen(kw_only=True)
class BreakerStatus:
    """A snapshot of one endpoint's breaker (see `Client.health`).

    Attributes:
        state: ``"closed"``, ``"open"`` or ``"half_open"``.
        consecutive_failures: Failures since the last success.
        window_calls: Calls recorded in the failure-rate window.
        window_failures: Failures among them.
        retry_at: When an open breaker lets probes through (``trio.current_time()``
            clock); ``None`` unless open.
        opened: How many times it has opened.
    """

    state: BreakerState
    consecutive_failures: int
    window_calls: int
    window_failures: int
    retry_at: float | None
    opened: int


@final
@attrs.frozen
class Ticket:
    """An admission: which state generation let the call in, and whether as a probe."""

    generation: int
    probe: bool


StateCallback = Callable[[BreakerState, BreakerState, str, float | None], None]


def _ignore(old: BreakerState, new: BreakerState, reason: str, retry_at: float | None) -> None:
    return None


@final
@attrs.define(eq=False)
class Breaker:
    """The breaker of one endpoint (runtime state; see the module docstring).

    Args:
        policy: Its settings.
        on_change: Called as ``on_change(old, new, reason, retry_at)`` on every transition.
    """

    policy: CircuitBreaker
    on_change: StateCallback = _ignore
    state: BreakerState = attrs.field(default="closed", init=False)
    consecutive: int = attrs.field(default=0, init=False)
    retry_at: float = attrs.field(default=0.0, init=False)
    opened: int = attrs.field(default=0, init=False)
    _generation: int = attrs.field(default=0, init=False)
    _probes: int = attrs.field(default=0, init=False)
    _probe_successes: int = attrs.field(default=0, init=False)
    # [bucket start, calls, failures], oldest first; at most _BUCKETS + 1 of them.
    _buckets: deque[list[float]] = attrs.field(factory=deque, init=False)

    # -- admission ------------------------------------------------------------------

    def allows(self, now: float) -> bool:
        """Whether a call would be admitted now (nothing is reserved)."""
        state = self._refresh(now)
        if state == "closed":
            return True
        if state == "open":
            return False
        return self._probes < self.policy.half_open_probes

    def admit(self, now: float) -> Ticket | None:
        """Admit one call, reserving a probe slot when half-open; ``None`` if refused."""
        state = self._refresh(now)
        if state == "closed":
            return Ticket(self._generation, probe=False)
        if state == "open" or self._probes >= self.policy.half_open_probes:
            return None
        self._probes += 1
        return Ticket(self._generation, probe=True)

    # -- results --------------------------------------------------------------------

    def record(self, ticket: Ticket, verdict: Verdict, now: float) -> None:
        """Record the result of an admitted call."""
        current = ticket.generation == self._generation
        if ticket.probe:
            if current:
                self._probes -= 1
                if verdict == "failure":
                    self._open(now, "a half-open probe failed")
                elif verdict == "success":
                    self._probe_successes += 1
                    if self._probe_successes >= self.policy.half_open_probes:
                        self._close("every half-open probe succeeded")
            return
        if verdict == "neutral":
            return
        self._count(now, failed=verdict == "failure")
        if not current or self.state != "closed":
            return
        if verdict == "success":
            self.consecutive = 0
            return
        self.consecutive += 1
        policy = self.policy
        if policy.failure_threshold is not None and self.consecutive >= policy.failure_threshold:
            self._open(now, f"{self.consecutive} consecutive failures")
            return
        if policy.failure_rate is not None:
            calls, failures = self._window(now)
            if calls >= policy.minimum_calls and failures >= policy.failure_rate * calls:
                self._open(
                    now,
                    f"{failures} failures in {calls} calls over the last {policy.window:g} s",
                )

    def health_failed(self, now: float) -> None:
        """A health probe failed: a failure, as if a call had failed."""
        state = self._refresh(now)
        if state == "half_open":
            self._open(now, "a health check failed while half-open")
        elif state == "closed":
            self.record(Ticket(self._generation, probe=False), "failure", now)

    def health_passed(self, now: float) -> None:
        """A health probe passed: an open breaker goes half-open at once (calls then probe it)."""
        if self._refresh(now) == "open":
            self._half_open("a health check passed")

    # -- status ---------------------------------------------------------------------

    def status(self, now: float) -> BreakerStatus:
        """A snapshot of this breaker."""
        state = self._refresh(now)
        calls, failures = self._window(now)
        return BreakerStatus(
            state=state,
            consecutive_failures=self.consecutive,
            window_calls=calls,
            window_failures=failures,
            retry_at=self.retry_at if state == "open" else None,
            opened=self.opened,
        )

    # -- internals ------------------------------------------------------------------

    def _refresh(self, now: float) -> BreakerState:
        if self.state == "open" and now >= self.retry_at:
            self._half_open(f"{self.policy.open_for:g} s open have passed")
        return self.state

    def _transition(self, new: BreakerState, reason: str) -> None:
        old = self.state
        self.state = new
        self._generation += 1
        self._probes = 0
        self._probe_successes = 0
        self.on_change(old, new, reason, self.retry_at if new == "open" else None)

    def _open(self, now: float, reason: str) -> None:
        self.retry_at = now + self.policy.open_for
        self.opened += 1
        self._transition("open", reason)

    def _half_open(self, reason: str) -> None:
        self._transition("half_open", reason)

    def _close(self, reason: str) -> None:
        self.consecutive = 0
        self._buckets.clear()
        self._transition("closed", reason)

    def _count(self, now: float, *, failed: bool) -> None:
        buckets = self._buckets
        width = self.policy.window / _BUCKETS
        if not buckets or now >= buckets[-1][0] + width:
            buckets.append([now, 0, 0])
            if len(buckets) > _BUCKETS + 1:
                buckets.popleft()
        bucket = buckets[-1]
        bucket[1] += 1
        if failed:
            bucket[2] += 1

    def _window(self, now: float) -> tuple[int, int]:
        buckets = self._buckets
        horizon = now - self.policy.window
        while buckets and buckets[0][0] <= horizon:
            buckets.popleft()
        calls = failures = 0
        for _, c, f in buckets:
            calls += int(c)
            failures += int(f)
        return calls, failures


@final
@attrs.define(eq=False)
class BreakerGuard:
    """The circuit breaker as one of an endpoint's guards (see ``_guards.py``).

    Args:
        breaker: The endpoint's breaker.
    """

    breaker: Breaker

    def refusal(self, now: float, /) -> Refusal | None:
        """``None`` while the breaker lets a call through; else why not, and until when."""
        breaker = self.breaker
        if breaker.allows(now):
            return None
        if breaker.state == "open":
            wait = breaker.retry_at - now
            return Refusal(
                f"its circuit breaker is open; it lets a probe through in {wait:.1f} s",
                breaker.retry_at,
            )
        # Half-open, every probe slot taken: it reopens when a probe ends, time unknown.
        return Refusal("its circuit breaker is half-open and its probes are all in flight")

    def ready(self, now: float, /) -> bool:
        """Always: `refusal` is the breaker's whole say (a half-open one is no less ready)."""
        return True

    async def admit(self, attempt: Attempt, /) -> Ticket:
        """The attempt's ticket; when half-open, it takes a probe slot.

        Raises:
            CircuitOpenError: The breaker opened, or its probe slots were taken,
                since the endpoint was chosen.
        """
        now = trio.current_time()
        ticket = self.breaker.admit(now)
        if ticket is None:
            refusal = self.refusal(now) or Refusal("its circuit breaker refuses calls")
            raise unavailable([(attempt.endpoint, attempt.base_url, refusal)], now)
        return ticket

    def settle(self, ticket: Ticket, result: Result, /) -> None:
        """Record the attempt's verdict."""
        self.breaker.record(ticket, result.verdict, trio.current_time())

    def abandon(self, ticket: Ticket, /) -> None:
        """Free the ticket (a probe slot) without counting anything."""
        self.breaker.record(ticket, "neutral", trio.current_time())

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        """A failed check is a failure; a passed one turns an open breaker half-open."""
        if healthy:
            self.breaker.health_passed(now)
        else:
            self.breaker.health_failed(now)

    def status(self, now: float, /) -> BreakerStatus:
        """The breaker's snapshot."""
        return self.breaker.status(now)


if TYPE_CHECKING:

    def _is_a_guard(guard: BreakerGuard) -> Guard[Ticket, BreakerStatus]:
        # Checked by mypy: the breaker implements the guard protocol.
        return guard
