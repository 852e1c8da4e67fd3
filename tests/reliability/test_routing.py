"""Endpoints and failover: addressing per endpoint, strategies, failover rules, streams, config."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trio
from _hosts import OK, Hosts, drop, endpoints, err, routed_client
from _support import mock_client

import trio_openai
from trio_openai import CircuitBreaker, Endpoint, Routing


async def test_each_endpoint_has_its_own_url_key_and_addressing(autojump_clock: Any) -> None:
    """Each endpoint gets its own URL, key, headers and model; a call keeps one idempotency key."""
    hosts = Hosts(a=[err(500)], b=[err(500)])
    eps = [
        Endpoint("http://a.test/v1", api_key="sk-a", name="a"),
        Endpoint(
            "http://b.test",
            kind="azure",
            api_key="az-b",
            api_version="2024-10-21",
            models={"gpt-4o": "gpt4o-prod"},
            name="b",
        ),
        Endpoint("http://c.test/v1", kind="compatible", api_key="local-key", name="c"),
    ]
    async with routed_client(hosts, eps, organization="org-1") as (_, probe):
        await probe.post("/chat/completions", model="gpt-4o")
    a, b, c = (request for _, request in hosts.seen)
    assert a.url == "http://a.test/v1/chat/completions"
    assert a.headers["authorization"] == "Bearer sk-a"
    assert a.headers["openai-organization"] == "org-1"
    assert b.url == (
        "http://b.test/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
    )
    assert b.headers["api-key"] == "az-b"
    assert "authorization" not in b.headers
    assert json.loads(b.content)["model"] == "gpt4o-prod"
    assert c.headers["authorization"] == "Bearer local-key"
    assert "openai-organization" not in c.headers
    assert json.loads(c.content)["model"] == "gpt-4o"
    # One call, one idempotency key, whichever endpoint each attempt went to.
    keys = {request.headers["idempotency-key"] for _, request in hosts.seen}
    assert len(keys) == 1


async def test_priority_takes_the_first_available_of_the_lowest_priority() -> None:
    """The priority strategy sends calls to the first declared endpoint of the lowest priority."""
    hosts = Hosts()
    eps = [
        Endpoint("http://backup.test/v1", api_key="k", name="backup", priority=1),
        Endpoint("http://a.test/v1", api_key="k", name="a"),
        Endpoint("http://b.test/v1", api_key="k", name="b"),
    ]
    async with routed_client(hosts, eps) as (_, probe):
        for _ in range(3):
            await probe.get("/x")
    assert hosts.hosts() == ["a", "a", "a"]


async def test_an_open_breaker_is_skipped_without_using_a_retry(autojump_clock: Any) -> None:
    """An endpoint with an open breaker is skipped, and skipping it uses no retry."""
    hosts = Hosts(a=[err(503)])
    async with routed_client(
        hosts,
        endpoints("a", "b"),
        retry_policy=trio_openai.RetryPolicy(max_retries=0),
        breaker=CircuitBreaker(failure_threshold=1),
    ) as (client, probe):
        with pytest.raises(trio_openai.InternalServerError):
            await probe.get("/x")  # no retries: no failover; opens a's breaker
        assert await probe.get("/x") == {"ok": True}  # a is skipped, b answers
        assert [s.available for s in client.health()] == [False, True]
    assert hosts.hosts() == ["a", "b"]


async def test_round_robin_takes_endpoints_in_turn() -> None:
    """Round robin takes the endpoints in turn."""
    hosts = Hosts()
    async with routed_client(
        hosts, endpoints("a", "b", "c"), routing=Routing(strategy="round_robin")
    ) as (_, probe):
        for _ in range(6):
            await probe.get("/x")
    assert hosts.hosts() == ["a", "b", "c", "a", "b", "c"]


async def test_weighted_spreads_calls_exactly_by_weight_and_interleaves() -> None:
    """Weighted routing spreads calls exactly by weight, interleaved."""
    hosts = Hosts()
    eps = [
        Endpoint("http://a.test/v1", api_key="k", name="a", weight=3),
        Endpoint("http://b.test/v1", api_key="k", name="b", weight=1),
        Endpoint("http://c.test/v1", api_key="k", name="c", weight=0.5),
    ]
    async with routed_client(hosts, eps, routing=Routing(strategy="weighted")) as (_, probe):
        for _ in range(900):
            await probe.get("/x")
    counts = Counter(hosts.hosts())
    assert counts == {"a": 600, "b": 200, "c": 100}
    # Smooth: the heavy endpoint never takes a long run of calls.
    order = "".join(hosts.hosts())
    assert "aaaa" not in order


async def test_least_in_flight_sends_new_calls_to_the_least_busy(autojump_clock: Any) -> None:
    """least_in_flight sends each call to the endpoint with the fewest calls in flight."""
    hosts = Hosts()
    hosts.delay = {"a": 10.0, "b": 1.0, "c": 1.0}
    async with routed_client(
        hosts, endpoints("a", "b", "c"), routing=Routing(strategy="least_in_flight")
    ) as (client, probe):
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(probe.get, "/x")
                await trio.sleep(0.1)
            assert [s.in_flight for s in client.health()] == [1, 1, 1]
            await trio.sleep(2)  # b and c are done, a is still busy
            for _ in range(2):
                nursery.start_soon(probe.get, "/x")
                await trio.sleep(0.1)
        assert [s.in_flight for s in client.health()] == [0, 0, 0]
    assert hosts.hosts() == ["a", "b", "c", "b", "c"]


@pytest.mark.parametrize("failure", [err(500), err(503), err(429), drop()])
async def test_a_retryable_failure_fails_over_at_once(autojump_clock: Any, failure: Any) -> None:
    """A retryable failure fails over to another endpoint with no backoff."""
    hosts = Hosts(a=[failure])
    async with routed_client(hosts, endpoints("a", "b")) as (_, probe):
        assert await probe.post("/x") == {"ok": True}
    assert hosts.hosts() == ["a", "b"]
    assert hosts.times[1] - hosts.times[0] < 1e-6  # no backoff before another endpoint


@pytest.mark.parametrize("failure", [err(400), err(401), err(404), err(429, "insufficient_quota")])
async def test_a_failure_the_policy_does_not_retry_does_not_fail_over(failure: Any) -> None:
    """A failure the policy does not retry is raised without failing over."""
    hosts = Hosts(a=[failure])
    async with routed_client(hosts, endpoints("a", "b")) as (_, probe):
        with pytest.raises(trio_openai.APIStatusError):
            await probe.post("/x")
    assert hosts.hosts() == ["a"]


async def test_once_every_endpoint_was_tried_retries_wait_their_backoff(
    autojump_clock: Any,
) -> None:
    """Once every endpoint was tried, retries wait their usual backoff."""
    hosts = Hosts(a=[err(500)], b=[err(500)])
    async with routed_client(
        hosts, endpoints("a", "b"), retry_policy=trio_openai.RetryPolicy(max_retries=3, jitter=0)
    ) as (_, probe):
        with pytest.raises(trio_openai.InternalServerError):
            await probe.get("/x")
    assert hosts.hosts() == ["a", "b", "a", "a"]
    waits = [round(b - a, 6) for a, b in zip(hosts.times, hosts.times[1:], strict=False)]
    assert waits == [0.0, 1.0, 2.0]  # failover at once, then the usual backoff


async def test_failover_off_keeps_a_call_on_its_first_endpoint(autojump_clock: Any) -> None:
    """failover=False keeps every attempt of a call on its first endpoint."""
    hosts = Hosts(a=[err(500), err(500), OK])
    async with routed_client(hosts, endpoints("a", "b"), routing=Routing(failover=False)) as (
        _,
        probe,
    ):
        assert await probe.get("/x") == {"ok": True}
    assert hosts.hosts() == ["a", "a", "a"]


async def test_failover_off_and_an_open_breaker_fail_fast(autojump_clock: Any) -> None:
    """With failover=False, a breaker opening mid-call fails the call fast, naming the endpoint."""
    hosts = Hosts(a=[err(500)])
    async with routed_client(
        hosts,
        endpoints("a", "b"),
        routing=Routing(failover=False),
        breaker=CircuitBreaker(failure_threshold=2),
    ) as (_, probe):
        with pytest.raises(trio_openai.CircuitOpenError) as info:
            await probe.get("/x")
    assert hosts.hosts() == ["a", "a"]
    assert info.value.endpoint == "a"


async def test_nothing_available_raises_circuit_open_at_once(autojump_clock: Any) -> None:
    """With every breaker open no retry is scheduled, and the next call fails at once."""
    hosts = Hosts(a=[drop()], b=[drop()])
    async with routed_client(
        hosts, endpoints("a", "b"), breaker=CircuitBreaker(failure_threshold=1, open_for=20)
    ) as (_, probe):
        start = trio.current_time()
        # Both breakers open: no retry is scheduled, the last real error is raised.
        with pytest.raises(trio_openai.APIConnectionError) as last:
            await probe.get("/x")
        assert not isinstance(last.value, trio_openai.CircuitOpenError)
        with pytest.raises(trio_openai.CircuitOpenError) as info:
            await probe.get("/x")
        assert trio.current_time() - start < 1e-6
    assert hosts.hosts() == ["a", "b"]
    assert "'a', 'b'" in str(info.value)
    assert info.value.retry_in == pytest.approx(20)


async def test_breaker_state_is_shared_by_every_view(autojump_clock: Any) -> None:
    """Every with_options view shares the session's breakers."""
    hosts = Hosts(a=[err(500)])
    async with routed_client(
        hosts, endpoints("a", "b"), breaker=CircuitBreaker(failure_threshold=1)
    ) as (client, _):
        view = client.with_options(max_retries=0)
        with pytest.raises(trio_openai.InternalServerError):
            await trio_openai_probe(view).get("/x")
        await trio_openai_probe(client).get("/x")
    assert hosts.hosts() == ["a", "b"]


def trio_openai_probe(client: trio_openai.Client) -> Any:
    from _support import Probe

    return Probe(client)


# -- streams ---------------------------------------------------------------------------


class _Dropping(httpx2.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'data: {"n": 1}\n\n'
        raise httpx2.RemoteProtocolError("peer closed connection")

    async def aclose(self) -> None:
        return None


def stream_hosts(**behaviour: str) -> tuple[list[str], Any]:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        host = request.url.host.split(".")[0]
        seen.append(host)
        what = behaviour.get(host, "ok")
        if what == "503":
            return httpx2.Response(503, json={"error": {"message": "busy"}})
        headers = {"content-type": "text/event-stream"}
        if what == "drop":
            return httpx2.Response(200, headers=headers, stream=_Dropping())
        return httpx2.Response(200, headers=headers, content=b'data: {"n": 1}\n\ndata: [DONE]\n\n')

    return seen, handler


async def test_a_stream_fails_over_before_its_first_byte(autojump_clock: Any) -> None:
    """A stream fails over before its headers arrive, and counts in flight until closed."""
    seen, handler = stream_hosts(a="503")
    async with routed_client(handler, endpoints("a", "b")) as (client, probe):
        async with probe.stream("/chat/completions") as stream:
            assert [event async for event in stream] == [{"n": 1}]
            assert [s.in_flight for s in client.health()] == [0, 1]
        assert [s.in_flight for s in client.health()] == [0, 0]
    assert seen == ["a", "b"]


async def test_a_stream_never_fails_over_once_events_arrived(autojump_clock: Any) -> None:
    """A stream cut after its first event raises StreamInterruptedError and is never resent."""
    seen, handler = stream_hosts(a="drop")
    events: list[object] = []

    async def read_all() -> None:
        async with probe.stream("/chat/completions") as stream:
            events.extend([event async for event in stream])

    async with routed_client(handler, endpoints("a", "b")) as (_, probe):
        with pytest.raises(trio_openai.StreamInterruptedError):
            await read_all()
    assert seen == ["a"]


# -- bodies and configuration ------------------------------------------------------------


async def test_files_are_read_once_and_sent_to_each_endpoint(tmp_path: Path) -> None:
    """File uploads are read once and the same bytes go to each endpoint tried."""
    from _support import Probe

    from trio_openai._api._methods import api_method
    from trio_openai._http._spec import RequestSpec

    class Upload(Probe):
        __slots__ = ()

        @api_method
        def upload(self, file: Any) -> RequestSpec[Any]:
            return RequestSpec(
                method="POST",
                path="/files",
                result=object,
                body={"purpose": "x"},
                files={"file": file},
            )

    hosts = Hosts(a=[err(502)])
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    async with routed_client(hosts, endpoints("a", "b")) as (client, _):
        with path.open("rb") as handle:
            await Upload(client).upload(handle)
    bodies = [request.read() for _, request in hosts.seen]
    assert len(bodies) == 2
    assert all(b'{"a": 1}\n' in body for body in bodies)


async def test_a_client_without_options_has_one_plain_endpoint() -> None:
    """A client without reliability options has one trivial endpoint with no breaker or limiter."""
    hosts = Hosts()
    async with mock_client(hosts) as (client, probe):
        await probe.get("/x")
        (status,) = client.health()
        assert client._session.router.trivial
    assert status.name == "test.invalid"
    assert status.requests == 1
    assert status.in_flight == 0
    assert status.breaker is None
    assert status.limiter is None
    assert status.healthy is None


async def test_endpoints_and_base_url_together_are_refused() -> None:
    """endpoints= with base_url= is a ConfigurationError."""
    with pytest.raises(trio_openai.ConfigurationError, match="endpoints="):
        async with trio_openai.open_client(
            base_url="http://x.test/v1", endpoints=endpoints("a"), api_key="k"
        ):
            pass


@pytest.mark.parametrize(
    ("eps", "message"),
    [
        ([], "at least one"),
        ([Endpoint("ftp://a", api_key="k")], "http://"),
        ([Endpoint("http://a.test", api_key="k", name="x")] * 2, "named 'x'"),
    ],
)
async def test_bad_endpoints_are_refused(eps: list[Endpoint], message: str) -> None:
    """No endpoint, a bad scheme or a duplicate name is a ConfigurationError."""
    with pytest.raises(trio_openai.ConfigurationError, match=message):
        async with trio_openai.open_client(endpoints=eps):
            pass


async def test_endpoint_keys_default_to_the_client_key_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Endpoint keys default to the client's key, and Azure's to AZURE_OPENAI_API_KEY."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-env")
    hosts = Hosts(a=[err(500)])
    eps = [
        Endpoint("http://a.test/v1", name="a"),
        Endpoint("http://b.test", kind="azure", name="b"),
    ]
    async with routed_client(hosts, eps, api_key="sk-client") as (client, probe):
        await probe.get("/models")
        assert "az-env" not in repr(client.health())
    a, b = (request for _, request in hosts.seen)
    assert a.headers["authorization"] == "Bearer sk-client"
    assert b.headers["api-key"] == "az-env"
    assert b.url == "http://b.test/openai/v1/models"


def test_endpoint_repr_hides_the_key_and_names_default_to_the_host() -> None:
    """An Endpoint's repr hides its key, and bad kind, strategy or weight raise ValueError."""
    endpoint = Endpoint("http://a.test/v1", api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(endpoint)
    assert isinstance(endpoint.api_key, trio_openai.Secret)
    with pytest.raises(ValueError, match="kind"):
        Endpoint("http://a.test", kind="bedrock")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy"):
        Routing(strategy="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight"):
        Endpoint("http://a.test", weight=0)
