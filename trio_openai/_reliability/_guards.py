"""The per-endpoint guard protocol: what the router asks of a breaker, a rate limiter, or yours.

A *guard* is an admission policy of one endpoint of a session. The router keeps a
tuple of them per endpoint (the built-in circuit breaker, then the built-in rate
limiter, each when configured, then any extra ones) and drives every one the
same way, for each attempt of a call:

::

    refusal(now)            choosing the endpoint: None from every guard, or it is skipped
    ready(now)              preference among the endpoints left
    ticket = await admit(attempt)   the request is built; in guard order
    ... the request is sent ...
    settle(ticket, result)  it was sent: answer, error or cancellation
    abandon(ticket)         it was not (a later guard refused, the wait was cancelled)

Design decisions, stated once:

- Per-attempt state is the *ticket* `Guard.admit` returns (the breaker's
  generation and probe flag, the rate limiter's token estimate). The router keeps
  the tickets of the attempt and hands each back to its guard, exactly once, in
  `Guard.settle` or `Guard.abandon`: a guard keeps no per-call attributes, and
  the router knows no guard by name.
- `Guard.refusal` is a question and reserves nothing; it is asked for every
  endpoint at every attempt, so it must be cheap. An endpoint one of whose guards
  refuses is skipped without using a retry; when no endpoint is left,
  `CircuitOpenError` is raised at once, built from the refusals (`unavailable`).
  `Refusal.until` says when the guard may let calls through again, which the
  retry loop uses not to schedule a retry that could not be sent.
- `Guard.admit` is where a guard waits (the rate limiter waits for budget under
  the caller's cancel scopes) or takes what the attempt needs (the breaker takes
  its half-open probe slot). It may still refuse, by raising an `APIError` (the
  state may have changed since `refusal`): the router then abandons, in reverse
  order, the guards that admitted the attempt before it, and nothing is sent.
  The attempt fails with that error, which the retry policy judges as any other
  (it never retries `CircuitOpenError` nor `RateLimitWaitError`); a cancelled
  wait unwinds the same way.
- `Guard.settle` gets the attempt's `Result`: its `Verdict` (the one
  classification every guard shares: 5xx, connection errors and timeouts are
  failures, a 429 or an unfinished attempt is neutral, any other answer a
  success), its error, the response (that of an error status too) and the body
  when it was read. A stream is settled when its headers arrive.
- `refusal`, `ready`, `settle`, `abandon`, `health_checked` and `status` must
  not raise: they run where an exception would leave a call's accounting half done.
- `Guard.status` returns a frozen snapshot; `EndpointStatus.guards` holds them
  all, and a `BreakerStatus` or `LimiterStatus` among them also fills
  `EndpointStatus.breaker` or ``.limiter``.
- Times are ``trio.current_time()``; methods that take *now* are given the
  router's reading of it, so that one decision sees one instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, final

import attrs

from .._errors import APIConnectionError, APIStatusError, CircuitOpenError

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "AnyGuard",
    "Attempt",
    "Guard",
    "Refusal",
    "Result",
    "Verdict",
    "unavailable",
    "verdict",
]

Verdict = Literal["success", "failure", "neutral"]

TicketT = TypeVar("TicketT")
StatusT_co = TypeVar("StatusT_co", covariant=True)


def verdict(error: BaseException | None) -> Verdict:
    """How an attempt's outcome counts for the endpoint's health (see the module docstring)."""
    if error is None:
        return "success"
    if isinstance(error, APIStatusError):
        if error.status_code >= 500:
            return "failure"
        return "neutral" if error.status_code == 429 else "success"
    if isinstance(error, APIConnectionError) and not isinstance(error, CircuitOpenError):
        return "failure"
    return "neutral"


@final
@attrs.frozen(kw_only=True)
class Attempt:
    """One attempt of a call, as a guard sees it before admitting it.

    Attributes:
        endpoint: The name of the endpoint it goes to.
        base_url: That endpoint's API root.
        number: The attempt's number within the call (1 for the first).
        request: The request, built for that endpoint (not sent yet).
        body: The call's JSON body (``None`` without one, and for multipart uploads).
    """

    endpoint: str
    base_url: str
    number: int
    request: httpx2.Request
    body: Mapping[str, object] | None


@final
@attrs.frozen(kw_only=True)
class Result:
    """How a sent attempt ended, as its guards are told.

    Attributes:
        verdict: How it counts for the endpoint's health (`verdict`).
        error: Its error (a status error, a connection error, a cancellation...),
            or ``None`` for a success.
        response: The response that arrived, error statuses included; ``None``
            when none did.
        content: The body of a success, when it was read (``None`` for a stream).
    """

    verdict: Verdict
    error: BaseException | None
    response: httpx2.Response | None
    content: bytes | None


@final
@attrs.frozen
class Refusal:
    """Why a guard lets no call through to its endpoint now.

    Attributes:
        reason: A clause for the error message, about the endpoint
            (``"its circuit breaker is open; it lets a probe through in 4.0 s"``).
        until: When it may let calls through again (``trio.current_time()``
            clock); ``None`` when it cannot tell (then soon is assumed).
    """

    reason: str
    until: float | None = None


class Guard(Protocol[TicketT, StatusT_co]):
    """An admission policy of one endpoint, driven by the router (see the module docstring).

    *TicketT* is what `admit` hands out for one attempt and `settle` or `abandon`
    gets back; *StatusT_co* is its snapshot's type.
    """

    def refusal(self, now: float, /) -> Refusal | None:
        """Why no call may go to the endpoint now, or ``None`` when one may (reserves nothing)."""

    def ready(self, now: float, /) -> bool:
        """Whether an attempt would be admitted at once (endpoints that are come first)."""

    async def admit(self, attempt: Attempt, /) -> TicketT:
        """Admit *attempt*, waiting if the policy says so; the ticket comes back later.

        Raises:
            APIError: The attempt is refused (nothing is sent), e.g. `RateLimitWaitError`.
        """

    def settle(self, ticket: TicketT, result: Result, /) -> None:
        """Account for an admitted attempt that was sent."""

    def abandon(self, ticket: TicketT, /) -> None:
        """Forget an admitted attempt that was not sent."""

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        """A health check's verdict on the endpoint."""

    def status(self, now: float, /) -> StatusT_co:
        """A snapshot, for `Client.health`."""


# The router's view of a guard: each guard's ticket type is its own, and the router
# only hands a ticket back to the guard that made it.
AnyGuard = Guard[Any, object]


def unavailable(refused: Sequence[tuple[str, str, Refusal]], now: float) -> CircuitOpenError:
    """The error of a call no endpoint lets through.

    Args:
        refused: For each endpoint the call may use: its name, its base URL, and
            the refusal that keeps it closed longest.
        now: The time of the decision.
    """
    name, base_url, refusal = min(refused, key=lambda item: _reopens(item[2], now))
    retry_at = _reopens(refusal, now)
    if len(refused) == 1:
        msg = f"Endpoint {name!r} ({base_url}) takes no calls now: {refusal.reason}."
    else:
        names = ", ".join(repr(item[0]) for item in refused)
        msg = (
            f"No endpoint can take this call ({names}); {name!r} ({base_url}) "
            f"is the first back: {refusal.reason}."
        )
    return CircuitOpenError(
        f"{msg} Nothing was sent.", endpoint=name, retry_at=retry_at, retry_in=retry_at - now
    )


def _reopens(refusal: Refusal, now: float) -> float:
    return now if refusal.until is None else max(refusal.until, now)
