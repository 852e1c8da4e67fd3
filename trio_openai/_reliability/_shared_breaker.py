"""A circuit breaker whose opening is shared by a fleet of processes, through a store.

``CircuitBreaker(..., store=RedisStore(...))`` gives the endpoint, after its own
breaker guard, a `SharedBreakerGuard`: when the local breaker opens, the store
is told (key ``{prefix:endpoint}:breaker``, living for the open time); every
process refuses the endpoint while that key lives, as if its own breaker were
open. When it expires, each process's own breaker decides again (its probes).

Design decisions, stated once:

- Guards' ``refusal`` and ``settle`` are sync and must be cheap: the write runs
  as a task of the store (`RedisStore.publish_open`), and the reads are a task
  of the store too, which reads the key's expiry every ``RedisStore.poll``
  seconds (0.5 s): another process learns of an opening within about that.
- Only the opening is shared, not the failure counts: each process judges the
  endpoint from its own calls, and one process's verdict holds for all.
- The store failing loses the sharing (logged), never the calls: the local
  breaker works alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import attrs
import trio

from ._breaker import Breaker, BreakerStatus
from ._guards import Refusal
from ._store import RedisStore

if TYPE_CHECKING:
    from ._guards import Attempt, Guard, Result

__all__ = ["SharedBreakerGuard"]


@final
@attrs.define(eq=False)
class SharedBreakerGuard:
    """Shares the opening of an endpoint's breaker with the fleet (see the module docstring).

    Args:
        breaker: The endpoint's own breaker (its guard comes before this one).
        store: The open store.
        endpoint: The endpoint's name: with the store's prefix, it names the key.
    """

    breaker: Breaker
    store: RedisStore
    endpoint: str
    _key: str = attrs.field(init=False)
    _published: float = attrs.field(default=0.0, init=False)

    def __attrs_post_init__(self) -> None:
        self._key = f"{self.store.key(self.endpoint)}:breaker"

    def refusal(self, now: float, /) -> Refusal | None:
        """A refusal while another process of the fleet has the breaker open."""
        until = self.store.open_until(self._key)
        if until <= now or self.breaker.state == "open":
            return None  # (the local breaker, when open, has said so itself)
        return Refusal(
            f"its circuit breaker is open in another process of the fleet, for {until - now:.1f} s",
            until,
        )

    def ready(self, now: float, /) -> bool:
        """Always: `refusal` is the whole say."""
        return True

    async def admit(self, attempt: Attempt, /) -> None:
        """Nothing to take."""

    def settle(self, ticket: None, result: Result, /) -> None:
        """Publish the local breaker's opening, once per opening."""
        self._publish()

    def abandon(self, ticket: None, /) -> None:
        """Nothing to give back."""

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        """A failed health check may have opened the local breaker: publish it."""
        self._publish()

    def status(self, now: float, /) -> BreakerStatus:
        """The local breaker's snapshot (the fleet's opening shows in `refusal`)."""
        return self.breaker.status(now)

    def _publish(self) -> None:
        breaker = self.breaker
        if breaker.state == "open" and breaker.retry_at != self._published:
            self._published = breaker.retry_at
            self.store.publish_open(self._key, breaker.retry_at - trio.current_time())


if TYPE_CHECKING:

    def _is_a_guard(guard: SharedBreakerGuard) -> Guard[None, BreakerStatus]:
        # Checked by mypy: the shared breaker implements the guard protocol.
        return guard
