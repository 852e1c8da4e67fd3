"""Rate limiting: budgets, FIFO fairness, deadlines, fail fast, learning from headers and 429s."""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio
import trio.testing
from _hosts import OK, Hosts, endpoints, err, routed_client

import trio_openai
from trio_openai import RateLimit
from trio_openai._reliability._ratelimit import (
    Limiter,
    estimate_tokens,
    parse_duration,
    usage_tokens,
)

NO_RETRY = trio_openai.RetryPolicy(max_retries=0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("20ms", 0.02),
        ("6m0s", 360.0),
        ("1h2m3.5s", 3723.5),
        ("2.5", 2.5),
        ("", None),
        (None, None),
        ("soon", None),
        ("5x", None),
    ],
)
def test_reset_durations_are_parsed(text: str | None, seconds: float | None) -> None:
    """Reset headers parse in OpenAI's duration forms; anything else is None."""
    assert parse_duration(text) == seconds


def test_token_estimate_counts_the_body_and_the_output_budget() -> None:
    """The default estimate: a quarter of the body's bytes, plus its output budget times n."""
    assert estimate_tokens(None, 400) == 100
    assert estimate_tokens({"max_tokens": 50}, 400) == 150
    assert estimate_tokens({"max_completion_tokens": 50, "n": 3}, 0) == 150
    assert estimate_tokens({"max_output_tokens": 7, "max_tokens": True}, 1) == 8


def test_usage_is_read_from_the_answer_without_a_full_parse() -> None:
    """usage.total_tokens is found in an answer's bytes; None when absent."""
    body = json.dumps({"usage": {"prompt_tokens": 3, "total_tokens": 42}}).encode()
    assert usage_tokens(body) == 42
    assert usage_tokens(b'{"id": 1}') is None


async def test_requests_per_minute_spread_calls_once_the_burst_is_spent(
    autojump_clock: Any,
) -> None:
    """A minute's request budget goes at once, then calls are spread at the refill rate."""
    hosts = Hosts()
    async with routed_client(
        hosts, endpoints("a"), rate_limit=RateLimit(requests_per_minute=60)
    ) as (_, probe):
        for _ in range(63):
            await probe.get("/x")
    assert hosts.times[59] == hosts.times[0]  # a minute's budget at once
    assert [round(t - hosts.times[0], 6) for t in hosts.times[60:]] == [1.0, 2.0, 3.0]


async def test_waiters_are_served_first_come_first_served(autojump_clock: Any) -> None:
    """Waiters are served in arrival order: a small newcomer never overtakes a big waiter."""
    limiter = Limiter(RateLimit(tokens_per_minute=60), "a")
    await limiter.acquire(60)  # bucket empty: refills 1 token per second
    order: list[str] = []

    async def take(name: str, tokens: int) -> None:
        await limiter.acquire(tokens)
        order.append(name)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(take, "big", 30)
        await trio.sleep(5)  # 5 tokens available now: enough for "small", not for "big"
        nursery.start_soon(take, "small", 1)
        await trio.testing.wait_all_tasks_blocked()
        assert limiter.waiting == 2
        for name in "cde":
            nursery.start_soon(take, name, 1)
            await trio.sleep(0.01)
    assert order == ["big", "small", "c", "d", "e"]  # nobody overtook "big"
    assert trio.current_time() == pytest.approx(34, abs=0.1)


async def test_a_wait_past_the_deadline_fails_at_once(autojump_clock: Any) -> None:
    """A wait that would end after the caller's deadline raises RateLimitWaitError at once."""
    hosts = Hosts()
    async with routed_client(
        hosts,
        endpoints("a"),
        retry_policy=NO_RETRY,
        rate_limit=RateLimit(requests_per_minute=6),  # one request per 10 s after the burst
    ) as (_, probe):
        for _ in range(6):
            await probe.get("/x")
        start = trio.current_time()
        with trio.move_on_after(5):
            with pytest.raises(trio_openai.RateLimitWaitError) as info:
                await probe.get("/x")
        assert trio.current_time() == start
        with trio.fail_after(11):
            await probe.get("/x")  # a deadline past the wait: it waits
    assert len(hosts.seen) == 7
    assert info.value.endpoint == "a"
    assert info.value.wait == pytest.approx(10)
    assert "deadline" in str(info.value)


@pytest.mark.parametrize(
    ("limit", "why"),
    [
        (RateLimit(requests_per_minute=1, wait=False), "fails fast"),
        (RateLimit(requests_per_minute=1, max_wait=30), "max_wait=30"),
    ],
)
async def test_fail_fast_and_max_wait(autojump_clock: Any, limit: RateLimit, why: str) -> None:
    """wait=False and a wait over max_wait raise RateLimitWaitError without sending."""
    hosts = Hosts()
    async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
        await probe.get("/x")
        with pytest.raises(trio_openai.RateLimitWaitError, match=why):
            await probe.get("/x")
    assert len(hosts.seen) == 1


async def test_remaining_zero_blocks_until_the_reset(autojump_clock: Any) -> None:
    """remaining 0 blocks the endpoint until the reset header's time, and the limit is learned."""
    headers = {
        "x-ratelimit-limit-requests": "100",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2.5s",
    }
    hosts = Hosts(a=[(200, headers, {"ok": True}), OK])
    async with routed_client(hosts, endpoints("a"), rate_limit=RateLimit()) as (client, probe):
        await probe.get("/x")
        limiter = client.health()[0].limiter
        assert limiter is not None
        assert limiter.requests_per_minute == 100  # learned: it was not configured
        assert limiter.blocked_until == pytest.approx(trio.current_time() + 2.5)
        await probe.get("/x")
    assert hosts.times[1] - hosts.times[0] == pytest.approx(2.5)


async def test_server_limits_lower_the_configured_budget(autojump_clock: Any) -> None:
    """The server's x-ratelimit headers lower the configured bucket size and level."""
    headers = {"x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "10"}
    hosts = Hosts(a=[(200, headers, {"ok": True})])
    async with routed_client(
        hosts, endpoints("a"), rate_limit=RateLimit(tokens_per_minute=1_000_000)
    ) as (client, probe):
        await probe.get("/x")
        limiter = client.health()[0].limiter
    assert limiter is not None
    assert limiter.tokens_per_minute == 1000
    assert limiter.tokens_available == pytest.approx(10)


async def test_a_429_blocks_the_endpoint_for_its_retry_after(autojump_clock: Any) -> None:
    """A 429 blocks the endpoint for its Retry-After."""
    hosts = Hosts(a=[err(429, **{"retry-after": "3"}), OK])
    async with routed_client(
        hosts, endpoints("a"), retry_policy=NO_RETRY, rate_limit=RateLimit()
    ) as (_, probe):
        with pytest.raises(trio_openai.RateLimitError):
            await probe.get("/x")
        await probe.get("/x")  # waits for the block the server asked for
    assert hosts.times[1] - hosts.times[0] == pytest.approx(3)


async def test_routing_prefers_an_endpoint_with_budget(autojump_clock: Any) -> None:
    """Routing prefers an endpoint with budget now over one the server blocked."""
    hosts = Hosts(a=[err(429, **{"retry-after": "20"}), OK])
    async with routed_client(hosts, endpoints("a", "b"), rate_limit=RateLimit()) as (_, probe):
        await probe.get("/x")  # a: 429, fails over to b at once
        await probe.get("/x")  # a is blocked: b
        await trio.sleep(20)
        await probe.get("/x")  # a again
    assert hosts.hosts() == ["a", "b", "b", "a"]


async def test_tokens_are_estimated_then_corrected_by_usage(autojump_clock: Any) -> None:
    """A call's token estimate is corrected by the answer's usage.total_tokens."""
    usage = {"usage": {"total_tokens": 10}}
    hosts = Hosts(a=[(200, {}, usage)])
    async with routed_client(
        hosts, endpoints("a"), rate_limit=RateLimit(tokens_per_minute=1000)
    ) as (client, probe):
        await probe.post("/chat/completions", max_tokens=900, messages=["hi"])
        limiter = client.health()[0].limiter
        assert limiter is not None
        # 900 + body were taken, then the 10 actually used were charged instead.
        assert limiter.tokens_available == pytest.approx(990)
        await probe.post("/chat/completions", max_tokens=900, messages=["hi"])
    assert hosts.times[1] == hosts.times[0]


async def test_a_failed_attempt_gives_its_tokens_back(autojump_clock: Any) -> None:
    """A failed attempt gives its estimated tokens back."""
    hosts = Hosts(a=[err(500)])
    async with routed_client(
        hosts,
        endpoints("a"),
        retry_policy=NO_RETRY,
        rate_limit=RateLimit(tokens_per_minute=1000),
    ) as (client, probe):
        with pytest.raises(trio_openai.InternalServerError):
            await probe.post("/x", max_tokens=500)
        limiter = client.health()[0].limiter
    assert limiter is not None
    assert limiter.tokens_available == pytest.approx(1000)


async def test_a_cancelled_waiter_leaves_the_queue(autojump_clock: Any) -> None:
    """A cancelled waiter leaves the queue and sends nothing."""
    hosts = Hosts()
    async with routed_client(
        hosts, endpoints("a"), rate_limit=RateLimit(requests_per_minute=1)
    ) as (client, probe):
        await probe.get("/x")
        with trio.move_on_after(100):  # the deadline allows the 60 s wait
            async with trio.open_nursery() as nursery:
                nursery.start_soon(probe.get, "/x")
                await trio.sleep(1)
                assert client.health()[0].limiter.waiting == 1  # type: ignore[union-attr]
                nursery.cancel_scope.cancel()
        assert client.health()[0].limiter.waiting == 0  # type: ignore[union-attr]
        assert client.health()[0].in_flight == 0
    assert len(hosts.seen) == 1


async def test_budget_is_per_endpoint_and_shared_by_views(autojump_clock: Any) -> None:
    """Each endpoint has its own budget, shared by every with_options view."""
    hosts = Hosts()
    async with routed_client(
        hosts,
        endpoints("a", "b"),
        routing=trio_openai.Routing(strategy="round_robin"),
        rate_limit=RateLimit(requests_per_minute=2),
    ) as (client, _):
        from _support import Probe

        view = Probe(client.with_options(timeout=5))
        plain = Probe(client)
        for probe in (plain, view, plain, view):
            await probe.get("/x")
        assert len(set(hosts.times)) == 1  # two calls per endpoint: nobody waited
        status = {s.name: s.limiter for s in client.health()}
    assert status["a"].requests_available == pytest.approx(0)  # type: ignore[union-attr]
    assert status["b"].requests_available == pytest.approx(0)  # type: ignore[union-attr]


def test_settings_are_checked() -> None:
    """A non-positive limit raises ValueError."""
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimit(requests_per_minute=0)


async def test_a_rate_limit_wait_is_reported(autojump_clock: Any) -> None:
    """A call that has to wait for budget is reported as a RateLimitWait event."""
    events: list[trio_openai.ReliabilityEvent] = []
    hosts = Hosts()
    async with routed_client(
        hosts,
        endpoints("a"),
        rate_limit=RateLimit(requests_per_minute=60),
        event_hooks=[events.append],
    ) as (_, probe):
        for _ in range(61):
            await probe.get("/x")
    (wait,) = [e for e in events if isinstance(e, trio_openai.RateLimitWait)]
    assert wait.endpoint == "a"
    assert wait.wait == pytest.approx(1)
    assert wait.reason == "requests"
