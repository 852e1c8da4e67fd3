"""The per-endpoint guard protocol: custom guards beside the built-in breaker and rate limiter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import attrs
import httpx2
import pytest
import trio
from _hosts import OK, Hosts, Reply, endpoints, err, routed_client
from _support import Probe

import trio_openai
from trio_openai import BreakerStatus, CircuitBreaker, LimiterStatus, RateLimit
from trio_openai._errors import status_error
from trio_openai._pipeline import Route
from trio_openai._reliability._breaker import Breaker, BreakerGuard
from trio_openai._reliability._endpoints import ResolvedEndpoint
from trio_openai._reliability._guards import AnyGuard, Attempt, Refusal, Result, verdict
from trio_openai._reliability._ratelimit import Limiter, LimiterGuard
from trio_openai._reliability._router import Router

Log = list[tuple[Any, ...]]


@attrs.frozen
class RecorderStatus:
    """The snapshot of a `Recorder`."""

    name: str
    admitted: int
    settled: int


@attrs.define(eq=False)
class Recorder:
    """A guard that logs every call the router makes to it, and refuses or fails on demand."""

    name: str
    log: Log
    refuse: Refusal | None = None
    is_ready: bool = True
    fail: BaseException | None = None
    hang: bool = False
    admitted: int = 0
    settled: int = 0
    results: list[Result] = attrs.Factory(list)
    attempts: list[Attempt] = attrs.Factory(list)

    def refusal(self, now: float, /) -> Refusal | None:
        return self.refuse

    def ready(self, now: float, /) -> bool:
        return self.is_ready

    async def admit(self, attempt: Attempt, /) -> int:
        self.log.append(("admit", self.name, attempt.endpoint, attempt.number))
        self.attempts.append(attempt)
        if self.hang:
            await trio.sleep_forever()
        if self.fail is not None:
            raise self.fail
        self.admitted += 1
        return self.admitted

    def settle(self, ticket: int, result: Result, /) -> None:
        self.log.append(("settle", self.name, ticket, result.verdict))
        self.settled += 1
        self.results.append(result)

    def abandon(self, ticket: int, /) -> None:
        self.log.append(("abandon", self.name, ticket))

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        self.log.append(("health", self.name, healthy))

    def status(self, now: float, /) -> RecorderStatus:
        return RecorderStatus(self.name, self.admitted, self.settled)


@attrs.frozen
class QuarantineStatus:
    """The snapshot of a `Quarantine`."""

    until: float


@attrs.define(eq=False)
class Quarantine:
    """A guard that closes its endpoint for *seconds* after any failed attempt."""

    seconds: float
    until: float = -1.0

    def refusal(self, now: float, /) -> Refusal | None:
        if now < self.until:
            return Refusal("it is in quarantine after a failure", self.until)
        return None

    def ready(self, now: float, /) -> bool:
        return True

    async def admit(self, attempt: Attempt, /) -> None:
        return None

    def settle(self, ticket: None, result: Result, /) -> None:
        if result.verdict == "failure":
            self.until = trio.current_time() + self.seconds

    def abandon(self, ticket: None, /) -> None:
        return None

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        return None

    def status(self, now: float, /) -> QuarantineStatus:
        return QuarantineStatus(self.until)


@attrs.frozen
class CapStatus:
    """The snapshot of a `ConcurrencyCap`."""

    in_flight: int
    limit: int


@attrs.define(eq=False)
class ConcurrencyCap:
    """docs/reliability.md's example: at most *limit* attempts at once on the endpoint."""

    limit: int
    _slots: trio.Semaphore = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._slots = trio.Semaphore(self.limit)

    def refusal(self, now: float, /) -> Refusal | None:
        return None

    def ready(self, now: float, /) -> bool:
        return self._slots.value > 0

    async def admit(self, attempt: Attempt, /) -> None:
        await self._slots.acquire()

    def settle(self, ticket: None, result: Result, /) -> None:
        self._slots.release()

    def abandon(self, ticket: None, /) -> None:
        self._slots.release()

    def health_checked(self, now: float, /, *, healthy: bool) -> None:
        return None

    def status(self, now: float, /) -> CapStatus:
        return CapStatus(self.limit - self._slots.value, self.limit)


Make = Callable[[ResolvedEndpoint], Sequence[AnyGuard]]


@asynccontextmanager
async def guarded_client(
    handler: Any, eps: Sequence[trio_openai.Endpoint], make: Make, **kwargs: Any
) -> AsyncIterator[tuple[trio_openai.Client, Probe]]:
    """A routed client whose router was made with the ``extra_guards`` hook."""
    async with routed_client(handler, eps, **kwargs) as (client, probe):
        session = client._session
        old = session.router
        router = Router(old.configs, old.routing, old.observer, extra_guards=make)
        session.router = router
        client._route = Route(router, session.send, client._make_builder)
        yield client, probe


def recorders(log: Log, **settings: Any) -> tuple[dict[str, Recorder], Make]:
    """One `Recorder` per endpoint (made by the hook, kept by endpoint name)."""
    made: dict[str, Recorder] = {}

    def make(endpoint: ResolvedEndpoint) -> Sequence[AnyGuard]:
        made[endpoint.name] = Recorder(endpoint.name, log, **settings)
        return (made[endpoint.name],)

    return made, make


NO_RETRY = trio_openai.RetryPolicy(max_retries=0)


async def test_a_guard_admits_each_attempt_and_sees_its_outcome(autojump_clock: Any) -> None:
    """A custom guard admits each attempt (endpoint, number, request, body) and sees its result."""
    log: Log = []
    made, make = recorders(log)
    usage: Reply = (200, {}, {"usage": {"total_tokens": 3}})
    hosts = Hosts(a=[err(500)], b=[usage])
    async with guarded_client(hosts, endpoints("a", "b"), make) as (_, probe):
        assert await probe.post("/chat/completions", model="m") == {"usage": {"total_tokens": 3}}
    assert log == [
        ("admit", "a", "a", 1),
        ("settle", "a", 1, "failure"),
        ("admit", "b", "b", 2),
        ("settle", "b", 1, "success"),
    ]
    (attempt,) = made["b"].attempts
    assert attempt.base_url == "http://b.test/v1"
    assert attempt.body == {"model": "m"}
    assert attempt.request.url == "http://b.test/v1/chat/completions"
    (failed,) = made["a"].results
    assert isinstance(failed.error, trio_openai.InternalServerError)
    assert failed.response is not None
    assert failed.response.status_code == 500  # an error status's response is given too
    assert failed.content is None
    (ok,) = made["b"].results
    assert ok.error is None
    assert ok.content is not None
    assert json.loads(ok.content) == {"usage": {"total_tokens": 3}}


async def test_a_refusing_guard_makes_its_endpoint_skipped_and_named(autojump_clock: Any) -> None:
    """An endpoint a guard refuses is skipped; with none left, the refusal makes the error."""
    made, make = recorders([])
    hosts = Hosts()
    async with guarded_client(hosts, endpoints("a", "b"), make) as (client, probe):
        made["a"].refuse = Refusal("it is in maintenance", trio.current_time() + 60)
        assert await probe.get("/x") == {"ok": True}
        assert [s.available for s in client.health()] == [False, True]
        made["b"].refuse = Refusal("it is draining")  # until unknown
        with pytest.raises(trio_openai.CircuitOpenError) as info:
            await probe.get("/x")
    assert hosts.hosts() == ["b"]
    error = info.value
    # b's refusal has no end: it counts as "now", sooner than a's 60 s.
    assert error.endpoint == "b"
    assert error.retry_in == 0
    assert "it is draining" in str(error)
    assert "'a', 'b'" in str(error)
    assert "Nothing was sent" in str(error)


async def test_a_refusal_with_an_end_is_when_the_call_may_go(autojump_clock: Any) -> None:
    """Refusal.until stops a retry that could not be sent in time, and gives retry_in."""
    hosts = Hosts(a=[err(500)], b=[err(500)])
    policy = trio_openai.RetryPolicy(max_retries=5, jitter=0)
    async with guarded_client(
        hosts, endpoints("a", "b"), lambda _: (Quarantine(100),), retry_policy=policy
    ) as (client, probe):
        start = trio.current_time()
        with pytest.raises(trio_openai.InternalServerError):
            await probe.get("/x")  # a, then b at once; both in quarantine: no more retries
        assert trio.current_time() - start < 1e-6
        with pytest.raises(trio_openai.CircuitOpenError, match="quarantine") as info:
            await probe.get("/x")
        assert info.value.retry_in == pytest.approx(100)
        assert client.health()[0].guards == (QuarantineStatus(start + 100),)
        await trio.sleep(100)
        hosts.scripts = {}
        assert await probe.get("/x") == {"ok": True}
    assert hosts.hosts() == ["a", "b", "a"]


async def test_routing_prefers_endpoints_whose_guards_are_ready() -> None:
    """An endpoint with a guard not ready is used only when no ready endpoint is left."""
    made, make = recorders([])
    hosts = Hosts()
    async with guarded_client(hosts, endpoints("a", "b"), make) as (_, probe):
        made["a"].is_ready = False
        await probe.get("/x")
        made["b"].is_ready = False
        await probe.get("/x")
    assert hosts.hosts() == ["b", "a"]


@pytest.mark.parametrize("how", ["raises", "is cancelled"])
async def test_when_a_guard_refuses_in_admit_those_before_it_are_abandoned(
    autojump_clock: Any, how: str
) -> None:
    """A guard raising (or cancelled) in admit: the guards admitted before it are abandoned."""
    log: Log = []
    hosts = Hosts()
    busy = trio_openai.RateLimitWaitError("busy", endpoint="a", wait=1.0)
    first = Recorder("first", log)
    second = Recorder("second", log, fail=busy, hang=how == "is cancelled")
    async with guarded_client(
        hosts,
        endpoints("a"),
        lambda _: (first, second),
        breaker=CircuitBreaker(failure_threshold=1),
        retry_policy=NO_RETRY,
    ) as (client, probe):
        if second.hang:
            with trio.move_on_after(1) as scope:
                await probe.get("/x")
            assert scope.cancelled_caught
        else:
            with pytest.raises(trio_openai.RateLimitWaitError):
                await probe.get("/x")
        (status,) = client.health()
    assert hosts.seen == []
    assert log == [("admit", "first", "a", 1), ("admit", "second", "a", 1), ("abandon", "first", 1)]
    # The breaker admitted the attempt first, and was abandoned too: nothing counted.
    assert status.breaker is not None
    assert (status.breaker.state, status.breaker.window_calls) == ("closed", 0)
    assert (status.in_flight, status.requests, status.failures) == (0, 0, 0)


async def test_guards_follow_the_built_in_ones_and_all_show_in_status(autojump_clock: Any) -> None:
    """Built-in guards come first (breaker, limiter), then extra ones; every snapshot is shown."""
    _, make = recorders([])
    async with guarded_client(
        Hosts(),
        endpoints("a"),
        make,
        breaker=CircuitBreaker(),
        rate_limit=RateLimit(requests_per_minute=10),
    ) as (client, probe):
        await probe.get("/x")
        (status,) = client.health()
    breaker, limiter, mine = status.guards
    assert isinstance(breaker, BreakerStatus)
    assert isinstance(limiter, LimiterStatus)
    assert mine == RecorderStatus("a", admitted=1, settled=1)
    assert status.breaker is breaker
    assert status.limiter is limiter
    assert limiter.requests_available == pytest.approx(9)
    assert "RecorderStatus" in repr(status)


async def test_the_documented_concurrency_cap_makes_calls_wait_their_turn(
    autojump_clock: Any,
) -> None:
    """The guard of the docs admits one attempt at a time; the others wait in admit, in turn."""
    hosts = Hosts()
    hosts.delay = {"a": 1.0}
    async with guarded_client(hosts, endpoints("a"), lambda _: (ConcurrencyCap(1),)) as (
        client,
        probe,
    ):
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(probe.get, "/x")
            await trio.sleep(0.5)
            assert client.health()[0].guards == (CapStatus(in_flight=1, limit=1),)
        assert client.health()[0].guards == (CapStatus(in_flight=0, limit=1),)
    start = hosts.times[0]
    assert [round(t - start, 6) for t in hosts.times] == [0.0, 1.0, 2.0]


async def test_health_checks_are_told_to_every_guard(autojump_clock: Any) -> None:
    """Each health check's verdict reaches every guard of the endpoint probed."""
    log: Log = []
    _, make = recorders(log)
    hosts = Hosts(a=[OK], b=[err(503)])
    async with guarded_client(hosts, endpoints("a", "b"), make) as (client, _):
        await client.check_health()
    assert sorted(log) == [("health", "a", True), ("health", "b", False)]


async def test_an_endpoint_with_guards_is_not_trivial_and_without_none_is() -> None:
    """The router's shortcut is taken only with one endpoint and no guard at all."""
    async with guarded_client(Hosts(), endpoints("a"), lambda _: ()) as (client, _):
        assert client._session.router.trivial
    async with guarded_client(Hosts(), endpoints("a"), recorders([])[1]) as (client, _):
        assert not client._session.router.trivial


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, "success"),
        (trio_openai.APIConnectionError(), "failure"),
        (trio_openai.CircuitOpenError("x", endpoint="a", retry_at=0, retry_in=0), "neutral"),
        (RuntimeError("a layer's bug"), "neutral"),
    ],
)
def test_verdicts_classify_outcomes_for_every_guard(error: Any, expected: str) -> None:
    """Success, connection failure, and neither (a refusal, anything else) are told apart."""
    assert verdict(error) == expected


@pytest.mark.parametrize(
    ("status", "expected"), [(500, "failure"), (429, "neutral"), (404, "success")]
)
def test_status_errors_count_by_status(status: int, expected: str) -> None:
    """5xx is a failure, 429 neutral (the rate limiter's), any other answer a success."""
    request = httpx2.Request("GET", "http://a.test/v1/x")
    response = httpx2.Response(status, request=request)
    assert verdict(status_error(response, b'{"error": {"message": "m"}}')) == expected


# -- the built-in guards, one by one ------------------------------------------------------


def attempt() -> Attempt:
    """An attempt of a 400-byte JSON call to endpoint ``a``."""
    request = httpx2.Request("POST", "http://a.test/v1/x", content=b"x" * 400)
    return Attempt(
        endpoint="a",
        base_url="http://a.test/v1",
        number=1,
        request=request,
        body={"max_tokens": 50},
    )


async def test_the_breaker_guard_refuses_while_open_and_takes_its_probe_in_admit(
    autojump_clock: Any,
) -> None:
    """Open: a refusal until it reopens; half-open: admit takes the probe, a second admit raises."""
    guard = BreakerGuard(Breaker(CircuitBreaker(failure_threshold=1, open_for=10)))
    start = trio.current_time()
    failed = Result(verdict="failure", error=None, response=None, content=None)
    guard.settle(await guard.admit(attempt()), failed)
    refusal = guard.refusal(trio.current_time())
    assert refusal is not None
    assert refusal.until == start + 10
    assert "probe" in refusal.reason
    await trio.sleep(10)
    assert guard.refusal(trio.current_time()) is None
    ticket = await guard.admit(attempt())
    assert ticket.probe
    busy = guard.refusal(trio.current_time())
    assert busy is not None
    assert busy.until is None  # when the probe ends: unknown
    with pytest.raises(trio_openai.CircuitOpenError, match="probes are all in flight"):
        await guard.admit(attempt())  # the slot went between the choice and admission
    guard.abandon(ticket)  # a probe that was never sent frees its slot
    assert guard.refusal(trio.current_time()) is None


async def test_the_limiter_guard_estimates_waits_corrects_and_gives_back(
    autojump_clock: Any,
) -> None:
    """The limiter never refuses; admit takes the estimate (the ticket), settle corrects it."""
    guard = LimiterGuard(Limiter(RateLimit(tokens_per_minute=1000), "a"))
    now = trio.current_time()
    assert guard.refusal(now) is None
    tokens = await guard.admit(attempt())
    assert tokens == 150  # 400 bytes / 4 + max_tokens
    assert guard.status(now).tokens_available == pytest.approx(850)
    response = httpx2.Response(200)
    used = Result(verdict="success", error=None, response=response, content=b'{"total_tokens": 20}')
    guard.settle(tokens, used)
    assert guard.status(now).tokens_available == pytest.approx(980)
    guard.abandon(await guard.admit(attempt()))  # never sent: all of it comes back
    assert guard.status(now).tokens_available == pytest.approx(980)
