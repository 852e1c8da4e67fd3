"""Observability: one event stream for every decision, structured logs, never the key."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
from _hosts import OK, Hosts, drop, endpoints, err, routed_client
from _support import Probe, mock_client

import trio_openai
from trio_openai import (
    BreakerChanged,
    CircuitBreaker,
    Endpoint,
    FailoverSwitched,
    HealthChanged,
    RateLimit,
    RateLimitWait,
    ReliabilityEvent,
    RetryScheduled,
)

KEYS = ("sk-live-SECRET-a-0123456789", "azure-SECRET-b-0123456789")


def secret_endpoints() -> list[Endpoint]:
    return [
        Endpoint("http://a.test/v1", name="a", api_key=KEYS[0]),
        Endpoint(
            "http://b.test", name="b", kind="azure", api_key=KEYS[1], api_version="2024-10-21"
        ),
    ]


async def test_one_hook_sees_every_kind_of_event(autojump_clock: Any) -> None:
    """One event hook receives each kind of reliability event with its fields."""
    events: list[ReliabilityEvent] = []
    hosts = Hosts(a=[err(500)], b=[OK])
    async with routed_client(
        hosts,
        secret_endpoints(),
        breaker=CircuitBreaker(failure_threshold=1),
        rate_limit=RateLimit(requests_per_minute=1),
        event_hooks=[events.append],
    ) as (client, probe):
        await probe.post("/chat/completions", model="m")  # a: 500 -> b
        await probe.post("/chat/completions", model="m")  # b again: waits for budget
        await client.check_health()
    kinds = {type(e) for e in events}
    assert kinds == {RetryScheduled, FailoverSwitched, BreakerChanged, HealthChanged, RateLimitWait}
    retry = next(e for e in events if isinstance(e, RetryScheduled))
    assert (retry.endpoint, retry.next_endpoint, retry.wait) == ("a", "b", 0.0)
    assert retry.error.status_code == 500  # type: ignore[attr-defined]
    switch = next(e for e in events if isinstance(e, FailoverSwitched))
    assert (switch.endpoint, switch.to_endpoint, switch.reason) == ("a", "b", "InternalServerError")
    opened = next(e for e in events if isinstance(e, BreakerChanged))
    assert (opened.endpoint, opened.old, opened.new) == ("a", "closed", "open")
    wait = next(e for e in events if isinstance(e, RateLimitWait))
    assert (wait.endpoint, wait.wait) == ("b", pytest.approx(60))
    assert all(isinstance(e.time, float) for e in events)


async def test_logs_are_structured_and_never_carry_a_key(
    autojump_clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Logs carry structured extras at their levels; no log, event or status shows a key."""
    events: list[ReliabilityEvent] = []
    caplog.set_level(logging.DEBUG)
    hosts = Hosts(a=[drop()], b=[OK, err(429, **{"retry-after": "2"}), OK])
    async with routed_client(
        hosts,
        secret_endpoints(),
        breaker=CircuitBreaker(failure_threshold=1),
        rate_limit=RateLimit(),
        event_hooks=[events.append],
    ) as (client, probe):
        await probe.post("/chat/completions", model="m")  # a: dropped -> b
        with pytest.raises(trio_openai.RateLimitError):
            await Probe(client.with_options(max_retries=0)).post("/chat/completions", model="m")
        await probe.post("/chat/completions", model="m")  # waits 2 s for b
        await client.check_health()
        status = repr(client.health())
    records = [r for r in caplog.records if r.name == "trio_openai"]
    kinds = {getattr(r, "event", None) for r in records}
    assert {"breaker_changed", "failover", "health_changed", "rate_limit_wait"} <= kinds
    breaker = next(r for r in records if getattr(r, "event", None) == "breaker_changed")
    assert breaker.levelno == logging.WARNING
    assert breaker.endpoint == "a"  # type: ignore[attr-defined]
    assert breaker.breaker_new == "open"  # type: ignore[attr-defined]
    retry = next(r for r in records if hasattr(r, "retry_attempt"))
    assert retry.failover_to == "b"  # type: ignore[attr-defined]
    everything = "\n".join(
        [r.getMessage() + repr(r.__dict__) for r in caplog.records]
        + [repr(e) for e in events]
        + [status, repr(client)]
    )
    for key in KEYS:
        assert key not in everything


async def test_a_failing_hook_is_logged_and_changes_nothing(
    autojump_clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook that raises is logged; the call and the other hooks go on unaffected."""

    def broken(event: ReliabilityEvent) -> None:
        raise RuntimeError("hook bug")

    seen: list[ReliabilityEvent] = []
    hosts = Hosts(a=[err(500)])
    async with routed_client(hosts, endpoints("a", "b"), event_hooks=[broken, seen.append]) as (
        _,
        probe,
    ):
        assert await probe.get("/x") == {"ok": True}
    assert [type(e) for e in seen] == [RetryScheduled, FailoverSwitched]
    assert "an event hook failed" in caplog.text


async def test_a_single_endpoint_client_reports_its_retries(autojump_clock: Any) -> None:
    """A client without endpoints= still reports its retries as RetryScheduled events."""
    seen: list[ReliabilityEvent] = []
    calls = 0

    def handler(request: Any) -> Any:
        nonlocal calls
        calls += 1
        import httpx2

        return httpx2.Response(503 if calls == 1 else 200, json={})

    async with mock_client(handler, event_hooks=[seen.append]) as (_, probe):
        await probe.get("/x")
    (event,) = seen
    assert isinstance(event, RetryScheduled)
    assert (event.endpoint, event.next_endpoint) == ("test.invalid", None)


async def test_events_channel_receives_events_and_drops_for_a_slow_reader(
    autojump_clock: Any,
) -> None:
    """client.events() delivers events, and drops (and counts) those a full buffer cannot take."""
    hosts = Hosts(a=[err(500)])
    async with routed_client(hosts, endpoints("a", "b")) as (client, probe):
        async with client.events(max_buffer=3) as events:
            for _ in range(3):
                await probe.get("/x")  # two events per call: retry and failover
            received = [events.receive_nowait() for _ in range(3)]
            with pytest.raises(trio.WouldBlock):
                events.receive_nowait()
        assert client._session.observer.dropped == 3
        await probe.get("/x")  # no subscriber left: nothing is kept
    assert [type(e) for e in received] == [RetryScheduled, FailoverSwitched, RetryScheduled]


def test_event_types_are_public_and_frozen() -> None:
    """Event types are public ReliabilityEvent subclasses and frozen."""
    event = HealthChanged(time=1.0, endpoint="a", healthy=True, latency=0.1, error=None)
    assert isinstance(event, ReliabilityEvent)
    with pytest.raises(AttributeError):
        event.healthy = False  # type: ignore[misc]
