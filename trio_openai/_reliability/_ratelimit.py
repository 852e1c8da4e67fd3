"""Where calls wait for budget: the client-side rate limiter, one per endpoint of a session.

Design decisions, stated once:

- Two token buckets per endpoint, requests and tokens, each holding at most
  one minute's budget and refilled continuously (``limit / 60`` per second).
  A call takes one request and its estimated tokens when it is admitted; a call
  larger than the whole bucket goes through when the bucket is full (and leaves
  it in debt), rather than never.
- Tokens are estimated from the request (`estimate_tokens`: a quarter of the
  body's bytes plus the output budget it asks for), then corrected by the
  ``usage.total_tokens`` of the answer; an attempt that gets no answer, or an
  error, gives its tokens back. Streams keep the estimate (their usage, when
  asked for, arrives in the last event, after the limiter has let go).
- Fair: callers are served first come, first served (a `trio.Lock`, which is
  FIFO). A newcomer never overtakes a waiting caller, even when the budget it
  needs happens to be there.
- Learning (``learn=True``): every answer's ``x-ratelimit-remaining-*`` lowers the
  local budget to what the server says is left; ``x-ratelimit-limit-*`` lowers
  the bucket size (or creates the bucket, when the limit was not configured);
  a remaining count of 0 blocks the endpoint until ``x-ratelimit-reset-*``; a
  429 blocks it for its ``Retry-After`` (1 s without one).
- Waits are `trio` waits: cancel scopes and deadlines apply. A wait that would
  end after the caller's deadline (``trio.current_effective_deadline()``) is not
  started, as with the retry policy: `RateLimitWaitError` is raised at once. So
  it is when the limiter fails fast (``wait=False``) or the wait is longer than
  ``max_wait``.
- `Limiter` holds the buckets; `LimiterGuard` makes it one of the endpoint's
  guards (``_guards.py``): it never makes the endpoint unavailable, only not
  ready; its ``admit`` estimates the attempt's tokens and waits for them (the
  estimate is the ticket), and ``settle`` learns from the answer and corrects the
  estimate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol, final

import attrs
import trio

from .._errors import RateLimitWaitError
from ._retry import retry_after

if TYPE_CHECKING:
    import httpx2

    from ._guards import Attempt, Guard, Refusal, Result
    from ._store import RedisStore

__all__ = [
    "Limiter",
    "LimiterGuard",
    "LimiterStatus",
    "RateLimit",
    "TokenEstimator",
    "estimate_tokens",
    "parse_duration",
    "usage_tokens",
]

WaitReason = Literal["requests", "tokens", "server"]

_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ms|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_OUTPUT_BUDGET = ("max_completion_tokens", "max_tokens", "max_output_tokens")
_TOTAL_TOKENS = re.compile(rb'"total_tokens"\s*:\s*(\d+)')
_DEFAULT_429_BLOCK = 1.0


def parse_duration(text: str | None) -> float | None:
    """Seconds in a reset header: ``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` or ``"2.5"``."""
    if not text:
        return None
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    total = 0.0
    end = 0
    for match in _DURATION.finditer(text):
        if match.start() != end:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        end = match.end()
    return total if end == len(text) and end > 0 else None


class TokenEstimator(Protocol):
    """Estimates the tokens a call will use, before it is sent."""

    def __call__(self, body: Mapping[str, object] | None, size: int, /) -> int:
        """Tokens for a call with this JSON *body* (``None`` if none) of *size* bytes."""


def estimate_tokens(body: Mapping[str, object] | None, size: int) -> int:
    """The default estimate: a quarter of the body's bytes, plus its output budget, times ``n``.

    The output budget is ``max_completion_tokens``, ``max_tokens`` or
    ``max_output_tokens`` when the call sets one (as OpenAI's own limiter counts it).
    """
    tokens = math.ceil(size / 4)
    if body:
        for name in _OUTPUT_BUDGET:
            value = body.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                choices = body.get("n")
                tokens += value * (choices if isinstance(choices, int) and choices > 1 else 1)
                break
    return tokens


def usage_tokens(content: bytes) -> int | None:
    """``usage.total_tokens`` of a JSON answer, found without parsing the whole body again."""
    at = content.rfind(b'"total_tokens"')
    if at < 0:
        return None
    match = _TOTAL_TOKENS.match(content, at)
    return int(match.group(1)) if match else None


def _limit(_: object, attribute: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and value <= 0:
        msg = f"{attribute.name} must be positive (or None), got {value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class RateLimit:
    """A client-side rate limit for an endpoint.

    Pass one to ``open_client(rate_limit=...)`` (each endpoint gets its own
    budget) or to one `Endpoint`. ``RateLimit()`` with no limits only learns
    them from the server's ``x-ratelimit-*`` headers and 429s.

    Attributes:
        requests_per_minute: Requests allowed per minute (``None``: unknown until learned).
        tokens_per_minute: Tokens allowed per minute (``None``: unknown until learned).
        wait: Wait for budget (the default) or fail fast with `RateLimitWaitError`.
        max_wait: The longest wait accepted, in seconds (``None``: no bound but
            the caller's deadline).
        learn: Follow the server's rate-limit headers and 429 answers.
        estimate_tokens: How a call's tokens are estimated before it is sent
            (default `estimate_tokens`).
        store: Keep the budget in this shared store (a `RedisStore`: given
            unopened, the client opens and closes it with its session), for
            every process naming the same prefix and endpoint, instead of in
            this process (``None``, the default). See "Many processes" in the
            reliability guide.
    """

    requests_per_minute: float | None = attrs.field(default=None, validator=_limit)
    tokens_per_minute: float | None = attrs.field(default=None, validator=_limit)
    wait: bool = True
    max_wait: float | None = None
    learn: bool = True
    estimate_tokens: TokenEstimator = estimate_tokens
    store: RedisStore | None = None


@attrs.frozen(kw_only=True)
class LimiterStatus:
    """A snapshot of one endpoint's rate limiter (see `Client.health`).

    Attributes:
        requests_per_minute: The request budget per minute (``None``: not limited yet).
        requests_available: Requests that may start now.
        tokens_per_minute: The token budget per minute (``None``: not limited yet).
        tokens_available: Tokens available now (negative: in debt).
        blocked_until: The end of a block the server asked for (``trio.current_time()``
            clock), or ``None``.
        waiting: Calls waiting for budget.
        store_ok: For a budget kept in a store: whether the store answered last
            (``False``: failing open on a local limiter); ``None`` for a local one.
    """

    requests_per_minute: float | None
    requests_available: float | None
    tokens_per_minute: float | None
    tokens_available: float | None
    blocked_until: float | None
    waiting: int
    store_ok: bool | None = None


@final
@attrs.define(eq=False)
class _Bucket:
    capacity: float
    level: float
    updated: float

    @property
    def rate(self) -> float:
        return self.capacity / 60.0

    def refill(self, now: float) -> float:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now
        return self.level

    def ready_at(self, now: float, need: float, *, single: bool) -> float:
        level = self.refill(now)
        if single:
            need = min(need, self.capacity)
        if level >= need:
            return now
        return now + (need - level) / self.rate


WaitCallback = Callable[[float, WaitReason, int], None]


def _ignore_wait(wait: float, reason: WaitReason, queued: int) -> None:
    return None


@final
@attrs.define(eq=False)
class Limiter:
    """The rate limiter of one endpoint (runtime state; see the module docstring).

    Args:
        policy: Its settings.
        endpoint: The endpoint's name, for errors.
        on_wait: Called as ``on_wait(seconds, reason, queued)`` when a call has to wait.
        full: Whether the buckets start full (a minute's budget at once), or
            empty (calls paced from the start: the shared limiter's fallback).
    """

    policy: RateLimit
    endpoint: str
    on_wait: WaitCallback = _ignore_wait
    full: bool = attrs.field(default=True, kw_only=True)
    blocked_until: float = attrs.field(default=-math.inf, init=False)
    waiting: int = attrs.field(default=0, init=False)
    _requests: _Bucket | None = attrs.field(default=None, init=False)
    _tokens: _Bucket | None = attrs.field(default=None, init=False)
    _queued_tokens: int = attrs.field(default=0, init=False)
    _lock: trio.Lock = attrs.field(factory=trio.Lock, init=False)
    _changed: trio.Event = attrs.field(factory=trio.Event, init=False)

    def __attrs_post_init__(self) -> None:
        now = trio.current_time()
        policy = self.policy
        if policy.requests_per_minute is not None:
            rpm = float(policy.requests_per_minute)
            self._requests = _Bucket(rpm, rpm if self.full else 0.0, now)
        if policy.tokens_per_minute is not None:
            tpm = float(policy.tokens_per_minute)
            self._tokens = _Bucket(tpm, tpm if self.full else 0.0, now)

    @property
    def counts_tokens(self) -> bool:
        """Whether calls must carry a token estimate (a token budget is known)."""
        return self._tokens is not None

    def ready(self, now: float, tokens: int = 0) -> bool:
        """Whether a call needing *tokens* would start at once."""
        return self.waiting == 0 and self._ready_at(now, 1, tokens, single=True) <= now

    async def acquire(self, tokens: int) -> None:
        """Take one request and *tokens* from the budget, waiting in turn if needed.

        Raises:
            RateLimitWaitError: The limiter fails fast, or the wait would exceed
                ``max_wait`` or end after the caller's deadline.
        """
        now = trio.current_time()
        if self.waiting == 0 and self._ready_at(now, 1, tokens, single=True) <= now:
            self._take(tokens)
            return
        ready = self._ready_at(now, self.waiting + 1, self._queued_tokens + tokens, single=False)
        self._check(ready - now, ready)
        self.on_wait(ready - now, self._reason(now, tokens), self.waiting)
        self.waiting += 1
        self._queued_tokens += tokens
        try:
            async with self._lock:
                while True:
                    now = trio.current_time()
                    ready = self._ready_at(now, 1, tokens, single=True)
                    if ready <= now:
                        self._take(tokens)
                        return
                    # The server may have moved the goal post (a 429, a reset header).
                    self._check(ready - now, ready)
                    changed = self._changed
                    with trio.move_on_at(ready):
                        await changed.wait()
        finally:
            self.waiting -= 1
            self._queued_tokens -= tokens

    def give_back(self, tokens: int) -> None:
        """Return *tokens* taken by a call (negative: charge more), once its usage is known."""
        bucket = self._tokens
        if bucket is not None and tokens:
            bucket.refill(trio.current_time())
            bucket.level = min(bucket.capacity, bucket.level + tokens)
            if tokens > 0:
                self._wake()

    def learn(self, headers: httpx2.Headers, status: int) -> None:
        """Follow the server's rate-limit headers (and a 429's wait) in *headers*."""
        if not self.policy.learn:
            return
        now = trio.current_time()
        changed = self._learn("requests", headers, now)
        changed |= self._learn("tokens", headers, now)
        if status == 429:
            changed |= self._block(now + (retry_after(headers) or _DEFAULT_429_BLOCK))
        if changed:
            self._wake()

    def status(self, now: float) -> LimiterStatus:
        """A snapshot of this limiter."""
        requests, tokens = self._requests, self._tokens
        return LimiterStatus(
            requests_per_minute=requests.capacity if requests else None,
            requests_available=requests.refill(now) if requests else None,
            tokens_per_minute=tokens.capacity if tokens else None,
            tokens_available=tokens.refill(now) if tokens else None,
            blocked_until=self.blocked_until if self.blocked_until > now else None,
            waiting=self.waiting,
        )

    # -- internals ------------------------------------------------------------------

    def _learn(
        self, kind: Literal["requests", "tokens"], headers: httpx2.Headers, now: float
    ) -> bool:
        remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
        limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
        if remaining is None and limit is None:
            return False
        bucket = self._requests if kind == "requests" else self._tokens
        if bucket is None:
            if limit is None or limit <= 0:
                return False
            bucket = _Bucket(limit, limit if remaining is None else remaining, now)
            if kind == "requests":
                self._requests = bucket
            else:
                self._tokens = bucket
        bucket.refill(now)
        if limit is not None and 0 < limit < bucket.capacity:
            bucket.capacity = limit
            bucket.level = min(bucket.level, limit)
        if remaining is not None and remaining < bucket.level:
            bucket.level = remaining
        if remaining is not None and remaining <= 0:
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
            if reset:
                return self._block(now + reset)
        return False

    def _ready_at(self, now: float, requests: int, tokens: int, *, single: bool) -> float:
        ready = max(now, self.blocked_until)
        if self._requests is not None:
            ready = max(ready, self._requests.ready_at(now, requests, single=single))
        if self._tokens is not None and tokens:
            ready = max(ready, self._tokens.ready_at(now, tokens, single=single))
        return ready

    def _reason(self, now: float, tokens: int) -> WaitReason:
        if self.blocked_until > now:
            return "server"
        if self._requests is not None and self._requests.ready_at(now, 1, single=True) > now:
            return "requests"
        return "tokens"

    def _take(self, tokens: int) -> None:
        if self._requests is not None:
            self._requests.level -= 1
        if self._tokens is not None:
            self._tokens.level -= tokens

    def _check(self, wait: float, ready: float) -> None:
        policy = self.policy
        why = None
        if not policy.wait:
            why = "the limiter fails fast (RateLimit(wait=False))"
        elif policy.max_wait is not None and wait > policy.max_wait:
            why = f"that is longer than max_wait={policy.max_wait:g} s"
        elif ready >= trio.current_effective_deadline():
            why = "that would end after the caller's deadline"
        if why is not None:
            msg = (
                f"Rate limit of endpoint {self.endpoint!r}: the call would wait {wait:.3f} s "
                f"for budget, and {why}; nothing was sent."
            )
            raise RateLimitWaitError(msg, endpoint=self.endpoint, wait=wait)

    def _block(self, until: float) -> bool:
        if until > self.blocked_until:
            self.blocked_until = until
            return True
        return False

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()


@final
@attrs.define(eq=False)
class LimiterGuard:
    """The rate limiter as one of an endpoint's guards (see ``_guards.py``).

    Args:
        limiter: The endpoint's limiter.
    """

    limiter: Limiter

    def refusal(self, now: float, /) -> Refusal | None:
        """Never a refusal: out of budget, the endpoint is not ready, and calls wait."""
        return None

    def ready(self, now: float, /) -> bool:
        """Whether a call would start at once (no one waiting, budget left, no block)."""
        return self.limiter.ready(now)

    async def admit(self, attempt: Attempt, /) -> int:
        """Wait for one request and the attempt's estimated tokens; the estimate is the ticket.

        Raises:
            RateLimitWaitError: The limiter fails fast, or the wait would exceed
                ``max_wait`` or end after the caller's deadline.
        """
        limiter = self.limiter
        tokens = 0
        if limiter.counts_tokens:
            size = int(attempt.request.headers.get("content-length") or 0)
            tokens = limiter.policy.estimate_tokens(attempt.body, size)
        await limiter.acquire(tokens)
        return tokens

    def settle(self, ticket: int, result: Result, /) -> None:
        """Learn from the answer's headers; give the tokens back on an error, or correct them."""
        limiter = self.limiter
        response = result.response
        if response is not None:
            limiter.learn(response.headers, response.status_code)
        if result.error is not None:
            limiter.give_back(ticket)
        elif result.content is not None and limiter.counts_tokens:
            used = usage_tokens(result.content)
            if used is not None:
                limiter.give_back(ticket - used)

    def abandon(self, ticket: int, /) -> None:
        """Give the tokens back: nothing was sent."""
        self.limiter.give_back(ticket)

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        """Nothing: a health check says nothing about the budget."""

    def status(self, now: float, /) -> LimiterStatus:
        """The limiter's snapshot."""
        return self.limiter.status(now)


if TYPE_CHECKING:

    def _is_a_guard(guard: LimiterGuard) -> Guard[int, LimiterStatus]:
        # Checked by mypy: the rate limiter implements the guard protocol.
        return guard


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
