"""Where a call is retried: the retry policy and the loop that applies it.

Design decisions, stated once:

- stamina drives the loop. Our ``on`` predicate computes every wait itself
  (Retry-After headers or exponential backoff with jitter) and returns it, so
  stamina's own jitter and wall-clock ``timeout`` are switched off.
- ``trio.Cancelled`` (a BaseException) is never retried; nor is anything that
  is not an `APIError` that the policy classifies as retryable.
- A wait that would end after the caller's effective deadline
  (``trio.current_effective_deadline()``) is not started: the last error is
  raised at once, instead of being cut short by the cancel scope.
- A 429 whose ``code`` is ``insufficient_quota`` is never retried: waiting
  does not add quota.
- The server may override the decision with ``x-should-retry: true|false``.
- `CircuitOpenError` and `RateLimitWaitError` are never retried: both are the
  session refusing to send, and both already say when sending makes sense again.
- With several endpoints and failover on, a retry that goes to an endpoint the
  call has not tried yet starts at once: a backoff or Retry-After belongs to
  the endpoint that failed (its rate limiter, if any, remembers it).
- Each retry is logged once, on the ``trio_openai`` logger (INFO), with the
  method, URL (no query), wait and error type. stamina's own instrumentation
  is global (``stamina.instrumentation.set_on_retry_hooks``), and its default
  hook logs a WARNING on the ``stamina`` logger, which with no logging set up
  Python prints bare to stderr. We leave the hooks alone (other code's stamina
  retries keep them): our loop runs under a callable of its own name
  (`_retried_attempt`), and a filter on the ``stamina`` logger drops the records
  of that name only. Other hooks (Prometheus, structlog) still see our retries.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

import attrs

from .._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    CircuitOpenError,
    StreamInterruptedError,
)

if TYPE_CHECKING:
    import httpx2

__all__ = ["RetryEvent", "RetryHook", "RetryPolicy", "run_with_retries"]

T = TypeVar("T")

log = logging.getLogger("trio_openai")


async def _retried_attempt(attempt: Callable[[], Awaitable[T]], replay: list[APIError]) -> T:
    """One attempt under stamina; the first one re-raises the failure that started the loop."""
    if replay:
        raise replay.pop()
    return await attempt()


# What stamina's hooks call our loop (`guess_name`): the records our filter drops.
_RETRIED_NAME: Final = f"{__name__}.{_retried_attempt.__qualname__}"


class _DropOwnRetries(logging.Filter):
    """Drops stamina's log records of our own retries (logged on ``trio_openai`` instead)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those of our loop's retries."""
        return getattr(record, "stamina.callable", None) != _RETRIED_NAME


def _quiet_stamina_logger() -> None:
    # Once per process (idempotent): a filter on the `stamina` logger, which only
    # ever drops the records of our own loop, whatever else logs there.
    logger = logging.getLogger("stamina")
    if not any(isinstance(f, _DropOwnRetries) for f in logger.filters):
        logger.addFilter(_DropOwnRetries())


_RETRYABLE_STATUS = frozenset({408, 409, 429})


@attrs.frozen(kw_only=True)
class RetryEvent:
    """What a `RetryHook` is told before each retry.

    Attributes:
        attempt: The number of the attempt that failed (1 for the first call).
        wait: Seconds until the next attempt.
        error: The error that caused the retry.
        method: The HTTP method of the call.
        url: The URL of the call (never carries the key).
        from_server: Whether the wait came from a Retry-After header.
    """

    attempt: int
    wait: float
    error: APIError
    method: str
    url: str
    from_server: bool


class RetryHook(Protocol):
    """Called synchronously before every retry wait (for logs and metrics)."""

    def __call__(self, event: RetryEvent, /) -> None:
        """Observe one scheduled retry."""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed calls are retried. Pass one to ``open_client(retry_policy=...)``.

    The defaults match the official SDK: two retries, waits of 0.5 s doubling
    up to 8 s, each shortened by up to 25 % at random.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        initial_wait: The first backoff wait, in seconds.
        max_wait: The largest backoff wait, in seconds.
        jitter: The fraction (0-1) of each backoff wait removed at random.
        max_retry_after: The longest server-requested wait (Retry-After) honoured;
            a longer request is not retried at all, the error is raised at once.
        retry_on_status: HTTP statuses that are retried (and every status >= 500).
        hooks: Called before every retry wait.
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    initial_wait: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_wait: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(
        default=0.25, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    retry_on_status: frozenset[int] = _RETRYABLE_STATUS
    hooks: Sequence[RetryHook] = ()

    def should_retry(self, error: BaseException) -> bool:
        """Whether *error* is worth another attempt, ignoring counts and deadlines."""
        if isinstance(error, (StreamInterruptedError, CircuitOpenError)):
            return False
        if isinstance(error, APIStatusError):
            override = error.response.headers.get("x-should-retry")
            if override == "true":
                return True
            if override == "false":
                return False
            if error.status_code == 429 and error.code == "insufficient_quota":
                return False
            return error.status_code >= 500 or error.status_code in self.retry_on_status
        return isinstance(error, APIConnectionError)

    def backoff(self, retry_number: int) -> float:
        """The backoff wait before retry *retry_number* (0 for the first retry)."""
        wait = min(self.initial_wait * 2.0**retry_number, self.max_wait)
        return wait * (1.0 - self.jitter * random.random())  # noqa: S311 (jitter, not crypto)


def retry_after(headers: httpx2.Headers, *, now: float | None = None) -> float | None:
    """The wait the server asks for, in seconds: ``retry-after-ms``, then ``retry-after``.

    ``retry-after`` may be seconds or an HTTP date. Returns ``None`` when absent,
    unparsable or not positive.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = 0.0
        if value > 0:
            return value
    text = headers.get("retry-after")
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        value = when.timestamp() - (time.time() if now is None else now)
    return value if value > 0 else None


async def run_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    *,
    failover: Callable[[], str | None] | None = None,
    ready_at: Callable[[float], float] | None = None,
    on_retry: Callable[[RetryEvent, str | None], None] | None = None,
) -> T:
    """Run *attempt* until it succeeds or the policy gives up; raise the last error.

    The first attempt runs on its own: a call that succeeds at once (nearly all of
    them) pays nothing for the retry machinery. Once it fails with a retryable
    error, that error is replayed into stamina's loop, which then drives every
    wait and retry.

    Args:
        policy: The retry policy.
        attempt: One try of the call (the idempotency key must be the same
            across tries: make it once, outside).
        failover: Called before each retry: plans it on an endpoint the call has
            not tried and returns that endpoint's name (the retry then starts at
            once), or returns ``None`` (the usual wait applies).
        ready_at: Given the time now, when the call could next be sent somewhere
            (its endpoints' breakers); a retry that could not be sent after its
            wait is not scheduled: the last error is raised at once.
        on_retry: Called with each scheduled retry and the planned endpoint.
    """
    try:
        return await attempt()
    except APIError as error:
        if policy.max_retries == 0 or not policy.should_retry(error):
            raise
        replay = [error]

    import stamina
    import trio

    failures = 0

    def decide(error: Exception) -> bool | float:
        nonlocal failures
        failures += 1
        if not isinstance(error, APIError) or not policy.should_retry(error):
            return False
        if failures > policy.max_retries:
            return False
        wait: float | None = None
        from_server = False
        target = failover() if failover is not None else None
        if target is not None:
            wait = 0.0
        elif isinstance(error, APIStatusError):
            wait = retry_after(error.response.headers)
            if wait is not None:
                if wait > policy.max_retry_after:
                    return False
                from_server = True
        if wait is None:
            wait = policy.backoff(failures - 1)
        now = trio.current_time()
        if now + wait >= trio.current_effective_deadline():
            return False
        if ready_at is not None and ready_at(now) > now + wait:
            return False
        request = error.request
        method = request.method if request is not None else "?"
        url = str(request.url.copy_with(query=None)) if request is not None else "?"
        event = RetryEvent(
            attempt=failures,
            wait=wait,
            error=error,
            method=method,
            url=url,
            from_server=from_server,
        )
        log.info(
            "retrying %s %s in %.3f s after attempt %d failed: %s%s",
            method,
            url,
            wait,
            failures,
            type(error).__name__,
            f" (failing over to endpoint {target!r})" if target is not None else "",
            extra={
                "retry_attempt": failures,
                "retry_wait": wait,
                "error_type": type(error).__name__,
                "failover_to": target,
            },
        )
        for hook in policy.hooks:
            hook(event)
        if on_retry is not None:
            on_retry(event, target)
        # stamina never sleeps for exactly 0: give it a tiny positive wait instead.
        return max(wait, 1e-9)

    _quiet_stamina_logger()
    retried = stamina.retry(on=decide, attempts=None, timeout=None, wait_jitter=0.0)(
        _retried_attempt
    )
    return await retried(attempt, replay)
