"""Circuit breaker: transitions, windowed failure rate, half-open probes, what counts, fail fast."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from _hosts import OK, Hosts, drop, endpoints, err, routed_client
from _support import mock_client

import trio_openai
from trio_openai._reliability._breaker import Breaker, CircuitBreaker

Change = tuple[str, str, str, float | None]


def breaker(**settings: Any) -> tuple[Breaker, list[Change]]:
    changes: list[Change] = []

    def record(old: str, new: str, reason: str, retry_at: float | None) -> None:
        changes.append((old, new, reason, retry_at))

    return Breaker(CircuitBreaker(**settings), record), changes


def fail(b: Breaker, now: float, n: int = 1) -> None:
    for _ in range(n):
        ticket = b.admit(now)
        assert ticket is not None
        b.record(ticket, "failure", now)


def succeed(b: Breaker, now: float, n: int = 1) -> None:
    for _ in range(n):
        ticket = b.admit(now)
        assert ticket is not None
        b.record(ticket, "success", now)


def test_consecutive_failures_open_it_and_a_success_resets_the_count() -> None:
    """failure_threshold consecutive failures open the breaker; a success resets the count."""
    b, changes = breaker(failure_threshold=3, failure_rate=None, open_for=10)
    fail(b, 0, 2)
    succeed(b, 0)
    fail(b, 0, 2)
    assert b.state == "closed"
    fail(b, 1)
    assert b.state == "open"
    assert changes == [("closed", "open", "3 consecutive failures", 11.0)]


def test_failure_rate_over_the_window_opens_it_once_enough_calls_were_seen() -> None:
    """The failure rate opens the breaker only once minimum_calls were seen in the window."""
    b, _ = breaker(failure_threshold=None, failure_rate=0.5, window=60, minimum_calls=10)
    for t in range(4):  # alternate: 50 % failures, but only 8 calls
        fail(b, t)
        succeed(b, t)
    assert b.state == "closed"
    fail(b, 5)  # 9 calls, 5 failures: below the minimum
    assert b.state == "closed"
    fail(b, 6)  # 10 calls, 6 failures
    assert b.state == "open"


def test_old_failures_leave_the_window() -> None:
    """Failures older than the window no longer count towards the failure rate."""
    b, _ = breaker(failure_threshold=None, failure_rate=0.5, window=10, minimum_calls=4)
    fail(b, 0, 3)
    succeed(b, 0)
    # 3 failures out of 4 were seen at t=0; at t=20 they are out of the window.
    succeed(b, 20, 3)
    fail(b, 20)
    assert b.state == "closed"
    assert b.status(20).window_calls == 4
    assert b.status(20).window_failures == 1


def test_open_refuses_until_open_for_then_admits_only_the_probes() -> None:
    """Open, it refuses every call for open_for, then lets exactly half_open_probes through."""
    b, changes = breaker(failure_threshold=1, open_for=30, half_open_probes=2)
    fail(b, 0)
    assert b.admit(29.9) is None
    assert not b.allows(29.9)
    first, second = b.admit(30), b.admit(30)
    assert first is not None
    assert second is not None
    assert first.probe
    assert b.state == "half_open"
    assert b.admit(30) is None  # both probe slots taken
    assert changes[-1][:2] == ("open", "half_open")


def test_all_probes_succeeding_close_it() -> None:
    """The breaker closes only once every half-open probe has succeeded."""
    b, changes = breaker(failure_threshold=1, open_for=5, half_open_probes=2)
    fail(b, 0)
    probes = [b.admit(5), b.admit(5)]
    b.record(probes[0], "success", 6)  # type: ignore[arg-type]
    assert b.state == "half_open"
    b.record(probes[1], "success", 6)  # type: ignore[arg-type]
    assert b.state == "closed"
    assert [c[1] for c in changes] == ["open", "half_open", "closed"]


def test_a_failed_probe_opens_it_again_for_open_for() -> None:
    """One failed probe opens the breaker again for a full open_for."""
    b, changes = breaker(failure_threshold=1, open_for=5)
    fail(b, 0)
    probe = b.admit(5)
    assert probe is not None
    b.record(probe, "failure", 7)
    assert b.state == "open"
    assert b.retry_at == 12
    assert changes[-1] == ("half_open", "open", "a half-open probe failed", 12)


def test_a_neutral_probe_frees_its_slot_without_closing() -> None:
    """A neutral probe (a 429, a cancellation) frees its slot and leaves the breaker half-open."""
    b, _ = breaker(failure_threshold=1, open_for=5)
    fail(b, 0)
    probe = b.admit(5)
    assert probe is not None
    assert b.admit(5) is None
    b.record(probe, "neutral", 5)  # a 429 or a cancelled probe
    assert b.state == "half_open"
    assert b.admit(5) is not None


def test_results_of_calls_admitted_before_a_change_do_not_move_the_new_state() -> None:
    """A late result of a call admitted before a state change does not move the new state."""
    b, _ = breaker(failure_threshold=1, open_for=5)
    slow = b.admit(0)
    assert slow is not None
    fail(b, 0)  # opens
    probe = b.admit(5)
    assert probe is not None
    b.record(slow, "success", 6)  # admitted while closed: not a probe
    assert b.state == "half_open"


def test_health_checks_feed_it() -> None:
    """Failed health checks are failures; a passing one turns an open breaker half-open at once."""
    b, changes = breaker(failure_threshold=2, open_for=60)
    b.health_failed(0)
    b.health_failed(1)
    assert b.state == "open"
    b.health_passed(2)  # long before open_for: half-open at once
    assert b.state == "half_open"
    b.health_failed(3)
    assert b.state == "open"
    assert [c[1] for c in changes] == ["open", "half_open", "open"]


@pytest.mark.parametrize(
    "settings",
    [
        {"failure_threshold": 0},
        {"failure_rate": 0},
        {"failure_rate": 1.5},
        {"window": 0},
        {"half_open_probes": 0},
        {"open_for": -1},
    ],
)
def test_settings_are_checked(settings: dict[str, Any]) -> None:
    """Out-of-range CircuitBreaker settings raise ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 (the message names the field: checked loosely)
        CircuitBreaker(**settings)


# -- through a client ------------------------------------------------------------------


async def test_5xx_and_connection_errors_count_4xx_and_429_do_not(autojump_clock: Any) -> None:
    """Through a client, 5xx and connection errors open the breaker; 4xx and 429 never do."""
    hosts = Hosts(a=[err(400), err(404), err(429), err(422), err(429)] * 4)
    async with routed_client(
        hosts,
        endpoints("a"),
        retry_policy=trio_openai.RetryPolicy(max_retries=0),
        breaker=CircuitBreaker(failure_threshold=2),
    ) as (client, probe):
        for _ in range(20):
            with pytest.raises(trio_openai.APIStatusError):
                await probe.get("/x")
        assert client.health()[0].breaker.state == "closed"  # type: ignore[union-attr]
        hosts.scripts["a"] = [err(500), drop()]
        for error in (trio_openai.InternalServerError, trio_openai.APIConnectionError):
            with pytest.raises(error):
                await probe.get("/x")
        status = client.health()[0]
        assert status.breaker is not None
        assert status.breaker.state == "open"
        assert status.failures == 2


async def test_open_breaker_fails_fast_naming_the_endpoint_and_when(autojump_clock: Any) -> None:
    """An open breaker fails calls at once: CircuitOpenError names the endpoint, URL and when."""
    hosts = Hosts(a=[err(503)])
    async with routed_client(
        hosts, endpoints("a"), breaker=CircuitBreaker(failure_threshold=3, open_for=30)
    ) as (_, probe):
        with pytest.raises(trio_openai.InternalServerError):
            await probe.get("/x")  # 3 attempts: opens the breaker
        assert len(hosts.seen) == 3
        await trio.sleep(10)
        start = trio.current_time()
        with pytest.raises(trio_openai.CircuitOpenError) as info:
            await probe.get("/x")
        assert trio.current_time() == start  # at once, not retried
    assert len(hosts.seen) == 3  # nothing sent
    error = info.value
    assert isinstance(error, trio_openai.APIConnectionError)
    assert error.endpoint == "a"
    assert error.retry_in == pytest.approx(20, abs=1.5)
    assert "'a'" in str(error)
    assert "http://a.test/v1" in str(error)
    assert "probe" in str(error)


async def test_after_open_for_one_probe_goes_through_and_closes_it(autojump_clock: Any) -> None:
    """After open_for, one probe call goes through and its success closes the breaker."""
    hosts = Hosts(a=[err(503), err(503), OK])
    policy = trio_openai.RetryPolicy(max_retries=0)
    async with routed_client(
        hosts, endpoints("a"), retry_policy=policy, breaker=CircuitBreaker(failure_threshold=2)
    ) as (client, probe):
        for _ in range(2):
            with pytest.raises(trio_openai.InternalServerError):
                await probe.get("/x")
        await trio.sleep(30)
        assert await probe.get("/x") == {"ok": True}
        assert client.health()[0].breaker.state == "closed"  # type: ignore[union-attr]


async def test_single_endpoint_client_takes_breaker_too(autojump_clock: Any) -> None:
    """A client without endpoints= gets a breaker on its one endpoint from breaker=."""
    calls = 0

    def handler(request: Any) -> Any:
        nonlocal calls
        calls += 1
        raise __import__("httpx2").ConnectError("refused")

    async with mock_client(handler, max_retries=0, breaker=CircuitBreaker(failure_threshold=1)) as (
        client,
        probe,
    ):
        with pytest.raises(trio_openai.APIConnectionError):
            await probe.get("/x")
        with pytest.raises(trio_openai.CircuitOpenError, match=r"test\.invalid"):
            await probe.get("/x")
        assert client.health()[0].name == "test.invalid"
    assert calls == 1
