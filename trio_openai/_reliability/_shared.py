"""The rate limiter whose budget lives in a store: one guard for a fleet of processes.

``RateLimit(..., store=RedisStore(...))`` makes the endpoint's limiter this
guard instead of the local `LimiterGuard`; both estimate tokens, correct them
by ``usage`` and learn from the same headers (the helpers of ``_ratelimit.py``),
and both wait under the caller's cancel scopes. ``_store.py`` tells the
algorithm and the protocol.

Design decisions, stated once:

- One round trip at a time per endpoint and process (a `trio.Lock`), and the
  calls that arrive while it is in flight go together in the next one, in
  their order (a batch: the script decides for each in turn). A burst of
  callers costs a few round trips, not one each; each round trip is timed
  alone (``RedisStore.timeout``); the order of one process's callers is kept.
- `SharedLimiterGuard.admit` is (at most) one store round trip: it sends what the guard
  learnt since its last one (`Learnt`: corrections, refunds, a block, limits),
  gets a slot, and sleeps until it on the local clock. ``settle`` and
  ``abandon`` only add to what the next admission carries (they are sync, and
  must not do I/O): a 429 seen by one process slows the fleet from that
  process's next admission on.
- The longest wait the store may hand out is the caller's: ``wait=False`` is 0,
  ``max_wait`` and the time left to ``trio.current_effective_deadline()`` bound
  it; a longer one is not reserved and raises `RateLimitWaitError` at once.
- A cancelled wait (or a later guard's refusal) refunds the slot; a cancel
  during the round trip itself refunds nothing (the store may not have seen
  it), which can only leave budget unused.
- Store failures follow ``RedisStore.failure``: fail open uses a local
  `Limiter` (``local_share`` of the budget), logs once per outage and retries
  the store after ``retry_after``; fail closed raises `StoreUnavailableError`.
- ``ready`` is a guess from the last answer (the store is not asked: routing
  must be cheap).
- Spare slots (``RedisStore.prefetch``): while the budget is not binding, a
  round trip also asks for the slots the process's recent demand will need in
  the next ``prefetch`` seconds (at most a quarter of the burst's time, at most
  64), and the store grants them only if they go at once and leave at least
  half the burst free. A call that finds one (and no call queued before it)
  takes it without a round trip. Its slot was stamped up to that long before
  the call goes, which the budget's margin for the jitter between store and
  endpoint covers; a spare not used in time is given back with the next round
  trip, and a block or a lower limit learnt from the server drops them all. The
  last half of the burst, and everything once the budget binds, goes one call
  at a time in the store's order, as without spares: a process's head start
  over another is at most half a burst.
"""

from __future__ import annotations

import collections
import math
from typing import TYPE_CHECKING, final

import attrs
import trio

from .._errors import RateLimitWaitError
from ._ratelimit import (
    Limiter,
    LimiterStatus,
    RateLimit,
    WaitCallback,
    _ignore_wait,
    _number,
    parse_duration,
    usage_tokens,
)
from ._redis import acquire_uncontended
from ._retry import retry_after
from ._store import Learnt, RedisStore, StoreUnavailableError, logger

if TYPE_CHECKING:
    import httpx2

    from ._guards import Attempt, Guard, Refusal, Result

__all__ = ["SharedLimiterGuard", "SharedTicket"]

_DEFAULT_429_BLOCK = 1.0
# At most this many spare slots held at once, and the time they may be held as
# a share of the burst's (``RedisStore.burst`` minutes).
_MOST_SPARES = 64
_SPARE_SHARE_OF_BURST = 0.25


@final
@attrs.frozen
class SharedTicket:
    """What one admitted attempt took: its tokens, and whether the store gave them."""

    tokens: int
    shared: bool


@final
@attrs.define(eq=False)
class _Ask:
    """One call waiting for its answer from the store (``until``: see `_until`)."""

    tokens: int
    until: float | None
    grant: tuple[bool, float] | None = None
    error: OSError | None = None
    sent: bool = False
    gone: bool = False


@final
@attrs.define(eq=False)
class _Spares:
    """Spare slots from one round trip: usable until ``until`` (local clock)."""

    until: float
    count: int
    tokens: int


@final
@attrs.define(eq=False)
class SharedLimiterGuard:
    """An endpoint's rate limiter with its budget in a store (see the module docstring).

    Args:
        policy: The endpoint's rate limit (its ``store`` is set).
        endpoint: The endpoint's name: with the store's prefix, it names the budget.
        on_wait: Called as ``on_wait(seconds, reason, queued)`` when a call has to wait.
    """

    policy: RateLimit
    endpoint: str
    on_wait: WaitCallback = _ignore_wait
    waiting: int = attrs.field(default=0, init=False)
    store_ok: bool = attrs.field(default=True, init=False)
    _store: RedisStore = attrs.field(init=False)
    _key: str = attrs.field(init=False)
    _pending: dict[str, float] = attrs.field(factory=dict, init=False)
    _hints: tuple[int, int] = attrs.field(default=(0, 0), init=False)
    _free_at: float = attrs.field(default=-math.inf, init=False)
    _rpm: float = attrs.field(default=0.0, init=False)
    _tpm: float = attrs.field(default=0.0, init=False)
    _retry_store_at: float = attrs.field(default=-math.inf, init=False)
    _local: Limiter | None = attrs.field(default=None, init=False)
    _asking: trio.Lock = attrs.field(factory=trio.Lock, init=False)
    _queue: list[_Ask] = attrs.field(factory=list, init=False)
    _spares: collections.deque[_Spares] = attrs.field(factory=collections.deque, init=False)
    _held: int = attrs.field(default=0, init=False)
    _demand: int = attrs.field(default=0, init=False)
    _demand_since: float = attrs.field(default=math.inf, init=False)
    _largest: int = attrs.field(default=0, init=False)
    _hold_for: float = attrs.field(default=0.0, init=False)

    def __attrs_post_init__(self) -> None:
        store = self.policy.store
        if not isinstance(store, RedisStore):  # pragma: no cover - the router checks
            msg = "SharedLimiterGuard needs RateLimit(store=RedisStore(...))"
            raise TypeError(msg)
        self._store = store
        self._key = store.key(self.endpoint)
        self._rpm = float(self.policy.requests_per_minute or 0)
        self._tpm = float(self.policy.tokens_per_minute or 0)
        self._hold_for = min(store.prefetch, _SPARE_SHARE_OF_BURST * 60.0 * store.burst)

    # -- the guard protocol -----------------------------------------------------------

    def refusal(self, now: float, /) -> Refusal | None:
        """Never a refusal: out of budget, the endpoint is not ready, and calls wait."""
        return None

    def ready(self, now: float, /) -> bool:
        """Whether a call would likely go at once (from the store's last answer)."""
        if not self.store_ok and self._local is not None:
            return self._local.ready(now)
        if self.waiting:
            return False
        return now >= self._free_at or (self._held > 0 and self._spares[-1].until > now)

    async def admit(self, attempt: Attempt, /) -> SharedTicket:
        """Take a slot in the shared budget and wait for it; the tokens are the ticket.

        Raises:
            RateLimitWaitError: The wait would exceed ``max_wait``, end after the
                caller's deadline, or the limiter fails fast.
            StoreUnavailableError: The store failed and fails closed.
        """
        tokens = 0
        # As the local limiter: an estimate only once a token budget is known
        # (configured, or learnt from the server's headers).
        if self._tpm:
            size = int(attempt.request.headers.get("content-length") or 0)
            tokens = self.policy.estimate_tokens(attempt.body, size)
        now = trio.current_time()
        self._demand += 1
        self._largest = max(self._largest, tokens)
        if not self._queue and self._take_spare(now, tokens):
            return SharedTicket(tokens, shared=True)
        if now < self._retry_store_at:
            return await self._fallback(tokens)
        ask = _Ask(tokens, self._until(now))
        self._queue.append(ask)
        try:
            await self._answer(ask)
        except BaseException:
            ask.gone = True
            if not ask.sent:
                self._queue.remove(ask)
            elif ask.grant is not None and ask.grant[0]:
                self._give_back(tokens, requests=1)
            # (Sent and not answered yet: the round trip's owner refunds it.)
            raise
        if ask.error is not None:
            return await self._failed(ask.error, tokens)
        grant = ask.grant
        assert grant is not None  # (the loop above ends with a grant or an error)
        granted, wait = grant
        if not granted:
            self._refuse(wait)
        if wait > 0:
            self.on_wait(wait, "requests", self.waiting)
            self.waiting += 1
            try:
                await trio.sleep(wait)
            except BaseException:
                self._give_back(tokens, requests=1)
                raise
            finally:
                self.waiting -= 1
        return SharedTicket(tokens, shared=True)

    async def _answer(self, ask: _Ask) -> None:
        """Wait for the store's answer to *ask*: one round trip at a time (the lock)."""
        asking = self._asking
        await acquire_uncontended(asking)  # (the round trip is a checkpoint)
        try:
            # Sent in the batch of the round trip before? Else this one sends the
            # calls queued meanwhile (again, those of a batch lost to a cancel).
            while ask.grant is None and ask.error is None:
                await self._send(ask)
        finally:
            asking.release()

    async def _send(self, ask: _Ask) -> None:
        """One round trip for *ask* and every call queued with it (the lock is held)."""
        batch, self._queue = self._queue, []
        if ask not in batch:
            batch.append(ask)
        now = trio.current_time()
        for each in batch:
            each.sent = True
        # The first calls of the batch may find spares taken by the last round trip.
        while batch and self._take_spare(now, batch[0].tokens):
            batch.pop(0).grant = (True, 0.0)
        if not batch:
            return
        if now < self._retry_store_at:  # it failed while these calls were queued
            error = OSError(f"it failed less than {self._store.retry_after:g} s ago")
            for each in batch:
                each.error = error
            return
        spares, spare_tokens = self._spares_wanted(now)
        learnt = Learnt(**self._pending) if self._pending else Learnt()
        self._pending = {}
        calls = [
            (each.tokens, None if each.until is None else max(0.0, each.until - now))
            for each in batch
        ]
        try:
            answer = await self._store.admit(
                self._key,
                requests_per_minute=self._rpm,
                tokens_per_minute=self._tpm,
                calls=calls,
                learnt=learnt,
                hints=self._hints,
                spares=spares,
                spare_tokens=spare_tokens,
            )
        except OSError as exc:
            self._retry_store_at = trio.current_time() + self._store.retry_after
            for each in batch:
                each.error = exc
            return
        if not self.store_ok:
            self.store_ok = True
            logger.warning("rate-limit store for %r answers again", self.endpoint)
        self._hints = (answer.requests_tat, answer.tokens_tat)
        self._free_at = trio.current_time() + answer.ahead
        if answer.spares:
            # Held from the time the round trip was sent: the slots were stamped
            # no earlier than that.
            self._spares.append(_Spares(now + self._hold_for, answer.spares, spare_tokens))
            self._held += answer.spares
        for each, grant in zip(batch, answer.grants, strict=True):
            each.grant = grant
            if each.gone and grant[0]:
                self._give_back(each.tokens, requests=1)

    def settle(self, ticket: SharedTicket, result: Result, /) -> None:
        """Learn from the answer; give the tokens back on an error, or correct them."""
        response = result.response
        if response is not None and self.policy.learn:
            if ticket.shared:
                self._learn(response.headers, response.status_code)
            elif self._local is not None:
                self._local.learn(response.headers, response.status_code)
        if result.error is not None:
            self._back(ticket, ticket.tokens)
        elif result.content is not None and ticket.tokens:
            used = usage_tokens(result.content)
            if used is not None:
                self._back(ticket, ticket.tokens - used)

    def abandon(self, ticket: SharedTicket, /) -> None:
        """Give the slot and the tokens back: nothing was sent."""
        if ticket.shared:
            self._give_back(ticket.tokens, requests=1)
        elif self._local is not None:
            self._local.give_back(ticket.tokens)

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        """Nothing: a health check says nothing about the budget."""

    def status(self, now: float, /) -> LimiterStatus:
        """A snapshot: the budget in force, as the store last told it."""
        if not self.store_ok and self._local is not None:
            local = self._local.status(now)
            return attrs.evolve(local, store_ok=False)
        ahead = self._free_at - now
        return LimiterStatus(
            requests_per_minute=self._rpm or None,
            requests_available=None if not self._rpm else float(ahead <= 0),
            tokens_per_minute=self._tpm or None,
            tokens_available=None,
            blocked_until=None,
            waiting=self.waiting,
            store_ok=self.store_ok,
        )

    # -- internals ------------------------------------------------------------------

    def _take_spare(self, now: float, tokens: int) -> bool:
        """Use a spare slot for a call of *tokens*, if one is held and fits."""
        if not self._held:
            return False
        spares = self._spares
        while spares and spares[0].until <= now:  # (not used in time: given back)
            late = spares.popleft()
            self._held -= late.count
            self._give_back(late.count * late.tokens, requests=late.count)
        if not spares or spares[0].tokens < tokens:
            return False
        first = spares[0]
        first.count -= 1
        self._held -= 1
        if not first.count:
            spares.popleft()
        if first.tokens > tokens:
            self._give_back(first.tokens - tokens, requests=0)
        return True

    def _spares_wanted(self, now: float) -> tuple[int, int]:
        """How many spares the next round trip asks for, and the tokens of each.

        About twice the calls the last interval's rate brings in ``_hold_for``
        seconds, less those held; none from the first round trip (no rate yet),
        and none for a token budget before a call has estimated its tokens.
        """
        demand, since = self._demand, self._demand_since
        largest = self._largest
        self._demand, self._demand_since, self._largest = 0, now, 0
        if not self._hold_for or since >= now or (self._tpm and not largest):
            return 0, 0
        rate = demand / (now - since)
        wanted = min(_MOST_SPARES, math.floor(2.0 * rate * self._hold_for)) - self._held
        return max(0, wanted), largest if self._tpm else 0

    def _drop_spares(self) -> None:
        """Forget the spares held: the server said the budget is smaller or spent."""
        self._spares.clear()
        self._held = 0

    def _until(self, now: float) -> float | None:
        """The latest local time the call may be let go (``None``: no bound)."""
        policy = self.policy
        if not policy.wait:
            return now
        until = None if policy.max_wait is None else now + policy.max_wait
        deadline = trio.current_effective_deadline()
        if deadline != math.inf:
            # Strictly before the deadline, as the local limiter's rule.
            until = deadline - 1e-6 if until is None else min(until, deadline - 1e-6)
        return until

    def _refuse(self, wait: float) -> None:
        if not self.policy.wait:
            why = "the limiter fails fast (RateLimit(wait=False))"
        elif self.policy.max_wait is not None and wait > self.policy.max_wait:
            why = f"that is longer than max_wait={self.policy.max_wait:g} s"
        else:
            why = "that would end after the caller's deadline"
        msg = (
            f"Shared rate limit of endpoint {self.endpoint!r}: the call would wait "
            f"{wait:.3f} s for budget, and {why}; nothing was sent."
        )
        raise RateLimitWaitError(msg, endpoint=self.endpoint, wait=wait)

    async def _failed(self, exc: OSError, tokens: int) -> SharedTicket:
        store = self._store
        if store.failure == "closed":
            self.store_ok = False
            msg = (
                f"Shared rate limit of endpoint {self.endpoint!r}: the store "
                f"({store.url}) failed ({exc}), and it fails closed; nothing was sent."
            )
            raise StoreUnavailableError(msg, endpoint=self.endpoint, wait=0.0) from exc
        if self.store_ok:
            self.store_ok = False
            logger.warning(
                "rate-limit store for %r failed (%s): failing open on a local limiter "
                "with %g of the budget",
                self.endpoint,
                exc,
                store.local_share,
            )
        return await self._fallback(tokens)

    async def _fallback(self, tokens: int) -> SharedTicket:
        store = self._store
        if store.failure == "closed":
            msg = (
                f"Shared rate limit of endpoint {self.endpoint!r}: the store "
                f"({store.url}) failed less than {store.retry_after:g} s ago, and it "
                "fails closed; nothing was sent."
            )
            raise StoreUnavailableError(msg, endpoint=self.endpoint, wait=0.0)
        local = self._local
        if local is None:
            share = store.local_share
            policy = attrs.evolve(
                self.policy,
                requests_per_minute=self._rpm * share or None,
                tokens_per_minute=self._tpm * share or None,
                store=None,
            )
            # Empty at first: a fleet failing open at once must not burst a minute each.
            local = self._local = Limiter(policy, self.endpoint, self.on_wait, full=False)
        await local.acquire(tokens if local.counts_tokens else 0)
        return SharedTicket(tokens if local.counts_tokens else 0, shared=False)

    def _back(self, ticket: SharedTicket, tokens: int) -> None:
        if not tokens:
            return
        if ticket.shared:
            self._give_back(tokens, requests=0)
        elif self._local is not None:
            self._local.give_back(tokens)

    def _give_back(self, tokens: int, *, requests: int) -> None:
        pending = self._pending
        if tokens:
            pending["tokens_back"] = pending.get("tokens_back", 0) + tokens
        if requests:
            pending["requests_back"] = pending.get("requests_back", 0) + requests

    def _learn(self, headers: httpx2.Headers, status: int) -> None:
        pending = self._pending
        block = 0.0
        for kind in ("requests", "tokens"):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            mine = self._rpm if kind == "requests" else self._tpm
            if limit is not None and limit > 0 and (not mine or limit < mine):
                self._drop_spares()
                pending[f"{kind}_per_minute"] = limit
                if kind == "requests":
                    self._rpm = limit
                else:
                    self._tpm = limit
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is not None and remaining >= 0:
                per_minute = self._rpm if kind == "requests" else self._tpm
                # Only a server that counts less than our burst left changes anything.
                if per_minute and remaining < max(1.0, per_minute * self._store.burst):
                    self._drop_spares()
                    pending[f"remaining_{kind}"] = remaining
                if remaining <= 0:
                    reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
                    block = max(block, reset or 0.0)
        if status == 429:
            block = max(block, retry_after(headers) or _DEFAULT_429_BLOCK)
        if block > pending.get("block", 0):
            self._drop_spares()
            pending["block"] = block
            self._free_at = max(self._free_at, trio.current_time() + block)


if TYPE_CHECKING:

    def _is_a_guard(guard: SharedLimiterGuard) -> Guard[SharedTicket, LimiterStatus]:
        # Checked by mypy: the shared rate limiter implements the guard protocol.
        return guard
