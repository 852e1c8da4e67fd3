"""Where the reliability machinery reports: one event stream, hooks and ``logging``.

Every decision the session takes on its own is an event: a retry scheduled, a
breaker changing state, a call failing over to another endpoint, an endpoint's
health changing, a call waiting for rate-limit budget. Events are frozen attrs
classes deriving from `ReliabilityEvent`; they go, in this order, to:

- the ``trio_openai`` logger, with structured extras (``event``, ``endpoint``, and
  the event's own fields; never a key, a header or a body). Retries are logged
  by the retry loop itself (INFO), so they are not logged twice; breaker and
  health changes for the worse are WARNING, other changes INFO, rate-limit
  waits DEBUG (they may be many);
- the hooks given as ``open_client(event_hooks=...)``, called synchronously. A
  hook that raises is logged and ignored: an observer cannot break a call;
- every channel opened with `Client.events` (bounded: when a reader falls
  behind, events for it are dropped and counted, never waited for).

Times are ``trio.current_time()``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol, final

import attrs
import trio

if TYPE_CHECKING:
    from .._errors import APIError
    from ._breaker import BreakerState
    from ._ratelimit import WaitReason

__all__ = [
    "BreakerChanged",
    "EventHook",
    "FailoverSwitched",
    "HealthChanged",
    "Observer",
    "RateLimitWait",
    "ReliabilityEvent",
    "RetryScheduled",
]

log = logging.getLogger("trio_openai")


@attrs.frozen(kw_only=True)
class ReliabilityEvent:
    """The base of every reliability event.

    Attributes:
        time: When it happened (``trio.current_time()``).
        endpoint: The name of the endpoint concerned.
    """

    time: float
    endpoint: str


@attrs.frozen(kw_only=True)
class RetryScheduled(ReliabilityEvent):
    """A failed attempt will be retried after *wait* seconds.

    Attributes:
        attempt: The number of the attempt that failed (1 for the first).
        wait: Seconds until the next attempt.
        error: The error of the failed attempt.
        method: The HTTP method.
        url: The failed attempt's URL, without its query.
        from_server: Whether the wait came from a Retry-After header.
        next_endpoint: The endpoint the next attempt is planned on, when the
            call fails over to one it has not tried (then without waiting).
    """

    attempt: int
    wait: float
    error: APIError
    method: str
    url: str
    from_server: bool
    next_endpoint: str | None


@attrs.frozen(kw_only=True)
class BreakerChanged(ReliabilityEvent):
    """An endpoint's circuit breaker changed state.

    Attributes:
        old: The previous state.
        new: The new state.
        reason: Why, in words.
        retry_at: When an opened breaker lets probes through, else ``None``.
    """

    old: BreakerState
    new: BreakerState
    reason: str
    retry_at: float | None


@attrs.frozen(kw_only=True)
class FailoverSwitched(ReliabilityEvent):
    """A call's next attempt goes to another endpoint than its previous one.

    Attributes:
        to_endpoint: The endpoint of the next attempt (*endpoint* is the previous one).
        reason: The error type of the previous attempt.
    """

    to_endpoint: str
    reason: str


@attrs.frozen(kw_only=True)
class HealthChanged(ReliabilityEvent):
    """A health check found an endpoint healthy when it was not, or the reverse.

    Attributes:
        healthy: The new verdict.
        latency: Seconds the probe took (``None`` if it timed out).
        error: What went wrong, for an unhealthy verdict.
    """

    healthy: bool
    latency: float | None
    error: str | None


@attrs.frozen(kw_only=True)
class RateLimitWait(ReliabilityEvent):
    """A call waits for its endpoint's rate-limit budget.

    Attributes:
        wait: The expected wait, in seconds.
        reason: ``"requests"``, ``"tokens"`` or ``"server"`` (a block the server asked for).
        queued: Calls already waiting ahead of it.
    """

    wait: float
    reason: WaitReason
    queued: int


class EventHook(Protocol):
    """Called synchronously with every reliability event of the session."""

    def __call__(self, event: ReliabilityEvent, /) -> None:
        """Observe one event."""


def _log(event: ReliabilityEvent) -> None:
    if isinstance(event, RetryScheduled):
        return  # the retry loop logs its own decisions
    if isinstance(event, BreakerChanged):
        level = logging.WARNING if event.new == "open" else logging.INFO
        if not log.isEnabledFor(level):
            return
        log.log(
            level,
            "circuit breaker of endpoint %r: %s -> %s (%s)",
            event.endpoint,
            event.old,
            event.new,
            event.reason,
            extra={
                "event": "breaker_changed",
                "endpoint": event.endpoint,
                "breaker_old": event.old,
                "breaker_new": event.new,
                "breaker_reason": event.reason,
            },
        )
    elif isinstance(event, FailoverSwitched):
        if log.isEnabledFor(logging.INFO):
            log.info(
                "failing over from endpoint %r to %r after %s",
                event.endpoint,
                event.to_endpoint,
                event.reason,
                extra={
                    "event": "failover",
                    "endpoint": event.endpoint,
                    "to_endpoint": event.to_endpoint,
                    "error_type": event.reason,
                },
            )
    elif isinstance(event, HealthChanged):
        level = logging.INFO if event.healthy else logging.WARNING
        if log.isEnabledFor(level):
            log.log(
                level,
                "endpoint %r is %s%s",
                event.endpoint,
                "healthy" if event.healthy else "unhealthy",
                f": {event.error}" if event.error else "",
                extra={
                    "event": "health_changed",
                    "endpoint": event.endpoint,
                    "healthy": event.healthy,
                    "latency": event.latency,
                },
            )
    elif isinstance(event, RateLimitWait) and log.isEnabledFor(logging.DEBUG):
        log.debug(
            "waiting %.3f s for the rate limit of endpoint %r (%s, %d queued)",
            event.wait,
            event.endpoint,
            event.reason,
            event.queued,
            extra={
                "event": "rate_limit_wait",
                "endpoint": event.endpoint,
                "wait": event.wait,
                "wait_reason": event.reason,
            },
        )


def _call(hook: EventHook, event: ReliabilityEvent) -> None:
    try:
        hook(event)
    except Exception:
        log.exception("an event hook failed on %s", type(event).__name__)


def _offer(channel: trio.MemorySendChannel[ReliabilityEvent], event: ReliabilityEvent) -> bool:
    """Put *event* in *channel* if it has room; ``False`` if it was dropped."""
    try:
        channel.send_nowait(event)
    except trio.WouldBlock:
        return False
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    return True


@final
@attrs.define(eq=False)
class Observer:
    """The session's event stream: logging, hooks and subscribed channels.

    Args:
        hooks: Called with every event.
    """

    hooks: Sequence[EventHook] = ()
    dropped: int = attrs.field(default=0, init=False)
    _channels: list[trio.MemorySendChannel[ReliabilityEvent]] = attrs.field(
        factory=list, init=False
    )

    @property
    def listening(self) -> bool:
        """Whether anyone but the logger wants events (saves building them)."""
        return bool(self.hooks or self._channels)

    def emit(self, event: ReliabilityEvent) -> None:
        """Send *event* to the log, the hooks and the channels."""
        _log(event)
        for hook in self.hooks:
            _call(hook, event)
        for channel in self._channels:
            if not _offer(channel, event):
                self.dropped += 1

    @asynccontextmanager
    async def subscribe(
        self, max_buffer: int
    ) -> AsyncIterator[trio.MemoryReceiveChannel[ReliabilityEvent]]:
        """A channel receiving every event from now until the block ends."""
        send, receive = trio.open_memory_channel[ReliabilityEvent](max_buffer)
        self._channels.append(send)
        try:
            async with receive:
                yield receive
        finally:
            self._channels.remove(send)
            send.close()
