"""What `Client.health` returns: `EndpointStatus`, a snapshot of one endpoint of a session.

The router fills it from the endpoint's state and its guards' snapshots
(``_guards.py``), without knowing which guard is which: a `BreakerStatus` among
the snapshots is also `EndpointStatus.breaker`, a `LimiterStatus` also
`EndpointStatus.limiter` (whichever guard made it: a shared limiter's snapshot
fills ``limiter`` as the built-in one's does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import attrs

from ._breaker import BreakerStatus
from ._ratelimit import LimiterStatus

if TYPE_CHECKING:
    from ._endpoints import EndpointKind

__all__ = ["EndpointStatus"]

S = TypeVar("S")


def _first(statuses: tuple[object, ...], kind: type[S]) -> S | None:
    for status in statuses:
        if isinstance(status, kind):
            return status
    return None


def _breaker(status: EndpointStatus) -> BreakerStatus | None:
    return _first(status.guards, BreakerStatus)


def _limiter(status: EndpointStatus) -> LimiterStatus | None:
    return _first(status.guards, LimiterStatus)


@attrs.frozen(kw_only=True)
class EndpointStatus:
    """A snapshot of one endpoint of the session (see `Client.health`).

    Attributes:
        name: Its name.
        base_url: Its API root.
        kind: ``"openai"``, ``"azure"`` or ``"compatible"``.
        priority: Its priority (lower is preferred).
        weight: Its weight (``"weighted"`` strategy).
        available: Whether a call could be sent there now (no guard refuses it:
            its breaker is closed, or half-open with a probe slot free).
        healthy: The last health check's verdict (``None``: never checked).
        checked_at: When it was last checked (``trio.current_time()`` clock).
        latency: Seconds the last successful check took.
        error: What the last failed check found.
        in_flight: Calls being sent or streamed there now.
        requests: Attempts sent there since the session opened.
        failures: Those that failed (5xx, connection error, timeout: what opens a breaker).
        guards: The snapshot of each of its guards, in order (breaker, rate
            limiter, then any other).
        breaker: Its breaker's snapshot, if it has one.
        limiter: Its rate limiter's snapshot, if it has one.
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
    guards: tuple[object, ...] = ()
    # Views of `guards` (shown there in the repr), kept as fields for the public API.
    breaker: BreakerStatus | None = attrs.field(
        init=False, repr=False, default=attrs.Factory(_breaker, takes_self=True)
    )
    limiter: LimiterStatus | None = attrs.field(
        init=False, repr=False, default=attrs.Factory(_limiter, takes_self=True)
    )
