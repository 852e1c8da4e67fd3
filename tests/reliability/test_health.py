"""Health checks: started only when asked, stopped with the session, status API, feeding routing."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing
from _hosts import OK, Hosts, drop, endpoints, err, routed_client

import trio_openai
from trio_openai import CircuitBreaker, HealthCheck


def probes(hosts: Hosts) -> list[tuple[str, float]]:
    return [
        (host, round(t, 6))
        for (host, request), t in zip(hosts.seen, hosts.times, strict=True)
        if request.url.path == "/v1/models"
    ]


async def test_no_health_checks_unless_asked(autojump_clock: Any) -> None:
    """Without health_check= nothing is probed, however long the session lasts."""
    hosts = Hosts()
    async with routed_client(hosts, endpoints("a", "b")) as (client, _):
        await trio.sleep(3600)
        assert [s.healthy for s in client.health()] == [None, None]
    assert hosts.seen == []


async def test_rounds_run_every_interval_and_stop_with_the_session(autojump_clock: Any) -> None:
    """Rounds probe every endpoint (with its key) every interval, and stop with the session."""
    hosts = Hosts()
    async with routed_client(hosts, endpoints("a", "b"), health_check=HealthCheck(interval=10)) as (
        client,
        _,
    ):
        await trio.sleep(35)
        assert client.nursery.child_tasks  # the health task lives in the session's nursery
    stopped = len(hosts.seen)
    await trio.sleep(100)
    assert len(hosts.seen) == stopped
    assert sorted(probes(hosts)) == [(host, t) for host in "ab" for t in (0.0, 10.0, 20.0, 30.0)]
    requests = [request for _, request in hosts.seen]
    assert {r.method for r in requests} == {"GET"}
    assert {r.headers["authorization"] for r in requests} == {"Bearer sk-a", "Bearer sk-b"}


async def test_status_reports_health_latency_and_errors(autojump_clock: Any) -> None:
    """The status shows each probe's verdict, latency and error (5xx, connection error, timeout)."""
    hosts = Hosts(a=[OK], b=[err(503)], c=[drop()], d=[OK])
    hosts.delay = {"a": 0.25, "d": 30.0}
    async with routed_client(
        hosts, endpoints("a", "b", "c", "d"), health_check=HealthCheck(interval=60, timeout=5)
    ) as (client, _):
        await trio.sleep(6)
        a, b, c, d = client.health()
    assert (a.healthy, a.latency, a.error) == (True, pytest.approx(0.25), None)
    assert a.checked_at == pytest.approx(0.25)
    assert not b.healthy
    assert "503" in b.error  # type: ignore[operator]
    assert not c.healthy
    assert "APIConnectionError" in c.error  # type: ignore[operator]
    assert not d.healthy
    assert d.latency is None
    assert "within 5 s" in d.error  # type: ignore[operator]


async def test_4xx_counts_as_up(autojump_clock: Any) -> None:
    """A 4xx answer to a probe means the server is up."""
    hosts = Hosts(a=[err(401)])
    async with routed_client(hosts, endpoints("a")) as (client, _):
        (status,) = await client.check_health()
    assert status.healthy


async def test_unhealthy_endpoints_are_avoided_until_they_recover(autojump_clock: Any) -> None:
    """Calls avoid an unhealthy endpoint, and go back to it once a probe passes."""
    hosts = Hosts(a=[err(503)])
    async with routed_client(
        hosts, endpoints("a", "b"), health_check=HealthCheck(interval=10, path="/health")
    ) as (client, probe):
        await trio.sleep(1)
        await probe.get("/x")  # a is unhealthy: b
        hosts.scripts["a"] = [OK]
        await trio.sleep(10)
        await probe.get("/x")  # a is healthy again: a
        assert [s.healthy for s in client.health()] == [True, True]
    calls = [host for host, request in hosts.seen if request.url.path == "/v1/x"]
    assert calls == ["b", "a"]


async def test_every_endpoint_unhealthy_still_tries_them(autojump_clock: Any) -> None:
    """When every endpoint is unhealthy, calls are still sent (health is advice, not a refusal)."""
    hosts = Hosts(a=[err(503), OK])
    async with routed_client(hosts, endpoints("a")) as (client, probe):
        await client.check_health()
        assert await probe.get("/x") == {"ok": True}


async def test_health_checks_feed_the_breaker(autojump_clock: Any) -> None:
    """Failed probes open the breaker; a passing probe turns it half-open before open_for."""
    hosts = Hosts(a=[drop()])
    async with routed_client(
        hosts,
        endpoints("a"),
        breaker=CircuitBreaker(failure_threshold=2, open_for=300),
        health_check=HealthCheck(interval=10),
    ) as (client, _):
        await trio.sleep(15)  # two failed probes
        assert client.health()[0].breaker.state == "open"  # type: ignore[union-attr]
        hosts.scripts["a"] = [OK]
        await trio.sleep(10)  # a passing probe: half-open long before open_for
        assert client.health()[0].breaker.state == "half_open"  # type: ignore[union-attr]


async def test_probes_run_at_most_concurrency_at_a_time(autojump_clock: Any) -> None:
    """A round probes at most HealthCheck.concurrency endpoints at once."""
    hosts = Hosts()
    hosts.delay = dict.fromkeys("abcd", 1.0)
    async with routed_client(hosts, endpoints("a", "b", "c", "d")) as (client, _):
        for concurrency, seconds in [(1, 4), (2, 2), (4, 1)]:
            client._session.health_check = HealthCheck(concurrency=concurrency)
            start = trio.current_time()
            await client.check_health()
            assert trio.current_time() - start == pytest.approx(seconds)


async def test_health_changes_are_events(autojump_clock: Any) -> None:
    """Each change of an endpoint's health verdict (and only a change) is a HealthChanged event."""
    events: list[trio_openai.ReliabilityEvent] = []
    hosts = Hosts(a=[OK, OK, err(500), err(500), OK])
    async with routed_client(
        hosts, endpoints("a"), health_check=HealthCheck(interval=1), event_hooks=[events.append]
    ) as _:
        await trio.sleep(4.5)
    changes = [(e.time, e.healthy) for e in events if isinstance(e, trio_openai.HealthChanged)]
    assert changes == [(0.0, True), (2.0, False), (4.0, True)]


async def test_check_health_on_a_closed_client_is_refused() -> None:
    """check_health() on a closed client raises ClientClosedError."""
    async with routed_client(Hosts(), endpoints("a")) as (client, _):
        pass
    with pytest.raises(trio_openai.ClientClosedError):
        await client.check_health()


def test_settings_are_checked() -> None:
    """Non-positive interval or concurrency raise ValueError."""
    with pytest.raises(ValueError, match="interval"):
        HealthCheck(interval=0)
    with pytest.raises(ValueError, match="concurrency"):
        HealthCheck(concurrency=0)


async def test_a_probe_that_breaks_is_a_failed_probe_not_a_dead_session(
    autojump_clock: Any,
) -> None:
    """A probe that raises (a layer's bug) is a failed probe; the session and its calls go on."""

    async def broken_for_probes(request: Any, send: Any) -> Any:
        if request.url.path.endswith("/models"):
            raise RuntimeError("layer bug")
        return await send(request)

    hosts = Hosts()
    async with routed_client(
        hosts, endpoints("a"), layers=(broken_for_probes,), health_check=HealthCheck(interval=1)
    ) as (client, probe):
        await trio.sleep(2.5)
        (status,) = client.health()
        assert status.healthy is False
        assert status.error == "RuntimeError: layer bug"
        assert await probe.get("/x") == {"ok": True}
