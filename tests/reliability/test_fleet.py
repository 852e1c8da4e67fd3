"""The shared rate limiter against a real Redis/Valkey server, within one process.

Each test starts clients whose budgets live in the session's server (a fresh key
prefix per test, so tests never share a budget). The store's clock is real, so
these tests run in real time: budgets are scaled so that each takes about a
second. The many-process tests are in ``test_fleet_processes.py``.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from _hosts import OK, Hosts, endpoints, err, routed_client
from _redis_server import RedisServer, own_redis_server, redis_server, store_ok

import trio_openai
from trio_openai import RateLimit, RateLimitWaitError, RedisStore, StoreUnavailableError
from trio_openai._reliability._store import Learnt

__all__ = ["own_redis_server", "redis_server"]  # the fixtures this module uses

NO_RETRY = trio_openai.RetryPolicy(max_retries=0)


def prefix() -> str:
    """A key prefix of the test's own."""
    return f"test-{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def store_at(url: str, name: str, **kwargs: Any) -> AsyncIterator[RedisStore]:
    """An open store at *url* under prefix *name*."""
    async with RedisStore(url, prefix=name, **kwargs) as store:
        yield store


def gaps(times: Sequence[float]) -> list[float]:
    """The intervals between consecutive times."""
    return [b - a for a, b in itertools.pairwise(sorted(times))]


async def test_a_shared_budget_spreads_calls_at_its_rate(redis_server: RedisServer) -> None:
    """After a small burst, calls are admitted at the budget's rate (600 rpm: one per 0.1 s)."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            start = trio.current_time()
            for _ in range(14):
                await probe.get("/x")
            took = trio.current_time() - start
    # Burst of max(1, 0.5 % of 600) = 3 on top of the first call, then 10 more at 0.1 s.
    assert 0.95 <= took <= 1.4
    assert min(gaps(hosts.times)[4:]) >= 0.09
    # Half a burst of 3 is not one spare: every call needs its own trip.
    assert store.round_trips == 14


async def test_concurrent_callers_share_round_trips(redis_server: RedisServer) -> None:
    """Calls arriving while a round trip is in flight go to the store together, in one batch."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=60_000, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            async with trio.open_nursery() as nursery:
                for _ in range(40):
                    nursery.start_soon(probe.get, "/x")
    assert len(hosts.times) == 40
    assert store.round_trips < 40


@pytest.mark.parametrize(("prefetch", "most"), [(0.05, 60), (0.0, 200)])
async def test_spare_slots_save_round_trips_while_the_budget_is_free(
    redis_server: RedisServer, prefetch: float, most: int
) -> None:
    """Unthrottled, a round trip also takes spares for the calls that follow it (0: none)."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix(), prefetch=prefetch) as store:
        limit = RateLimit(requests_per_minute=1_000_000, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            for _ in range(200):
                await probe.get("/x")
    assert len(hosts.times) == 200
    assert store.round_trips <= most
    if not prefetch:
        assert store.round_trips == 200


async def test_the_store_grants_spares_only_from_the_first_half_of_the_burst(
    redis_server: RedisServer,
) -> None:
    """Spares never take the last half of the burst, of requests or of tokens."""
    async with store_at(redis_server.url, prefix()) as store:

        async def admit(
            rpm: int,
            tpm: int,
            calls: list[tuple[int, float | None]],
            spares: int,
            spare_tokens: int = 0,
        ) -> Any:
            return await store.admit(
                store.key(f"e{rpm}-{tpm}"), requests_per_minute=rpm, tokens_per_minute=tpm,
                calls=calls, learnt=Learnt(), hints=(0, 0),
                spares=spares, spare_tokens=spare_tokens,
            )  # fmt: skip

        # 6,000 rpm: a burst of 30 on top of a call; after the call, spares fill the
        # first half (15 steps): 14 of the 20 asked.
        first = await admit(6_000, 0, [(0, None)], 20)
        assert (first.grants, first.spares) == (((True, 0.0),), 14)
        # The next call still goes at once, from the second half: no spare with it...
        second = await admit(6_000, 0, [(0, None)], 20)
        assert (second.grants, second.spares) == (((True, 0.0),), 0)
        # ...and the whole second half goes one call at a time (16 more at once).
        rest = await admit(6_000, 0, [(0, 0.0)] * 17, 0)
        assert [granted for granted, _ in rest.grants] == [True] * 15 + [False] * 2
        # 600 rpm: a burst of 3; after one call, a spare would take the second half.
        small = await admit(600, 0, [(0, None)], 10)
        assert small.spares == 0
        # 6,000 tpm: a burst of 30 tokens; the call takes 10, one spare of 4 fits in
        # the first half (15), a second would not.
        tokens = await admit(1_000_000, 6_000, [(10, None)], 5, spare_tokens=4)
        assert tokens.spares == 1


async def test_spares_not_used_in_time_are_given_back(redis_server: RedisServer) -> None:
    """Spares held past ``prefetch`` are dropped and their slots go back to the budget."""
    hosts = Hosts()
    # 600 rpm with a burst of 30 (5 % of a minute): refills one slot per ~0.11 s, so
    # what the budget holds below is what the calls took and gave back.
    async with store_at(redis_server.url, prefix(), prefetch=0.05, burst=0.05) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            await probe.get("/x")
            await probe.get("/x")  # its round trip takes spares
            assert store.round_trips == 2
            await trio.sleep(0.06)  # past prefetch
            await probe.get("/x")  # gives them back
            assert store.round_trips == 3
        left = await store.admit(
            store.key("a"), requests_per_minute=600, tokens_per_minute=0,
            calls=[(0, 0.0)] * 31, learnt=Learnt(), hints=(0, 0),
        )  # fmt: skip
    granted = sum(each for each, _ in left.grants)
    # The burst (31) less the three calls: 28 (27 to 29 with the refill and rounding);
    # the spares kept would have left at most 31 - 16 = 15.
    assert 27 <= granted <= 29
    assert len(hosts.times) == 3


async def test_a_429_drops_the_spares(redis_server: RedisServer) -> None:
    """A call after a 429 waits for the block in the store: it does not use a spare."""
    hosts = Hosts(a=[OK, OK, err(429, **{"retry-after": "0.3"}), OK])
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=60_000, store=store)
        async with routed_client(
            hosts, endpoints("a"), rate_limit=limit, retry_policy=NO_RETRY
        ) as (_, probe):
            await probe.get("/x")
            await probe.get("/x")  # this round trip takes spares
            with pytest.raises(trio_openai.RateLimitError):
                await probe.get("/x")  # on a spare
            assert store.round_trips == 2
            await probe.get("/x")
    assert hosts.times[3] - hosts.times[2] >= 0.29
    assert store.round_trips == 3


async def test_two_clients_naming_one_prefix_share_one_budget(redis_server: RedisServer) -> None:
    """Two sessions on one prefix split one budget; a third on another prefix has its own."""
    shared, other = prefix(), prefix()
    hosts = Hosts()
    counts: dict[str, int] = {}

    async def run(name: str, key: str) -> None:
        async with store_at(redis_server.url, key) as store:
            limit = RateLimit(requests_per_minute=600, store=store)
            async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):

                async def forever() -> None:
                    while True:
                        await probe.get("/x")
                        counts[name] = counts.get(name, 0) + 1

                # The last call's wait would end past the deadline: it is refused.
                with trio.move_on_after(1.0), pytest.raises(RateLimitWaitError):
                    await forever()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run, "one", shared)
        nursery.start_soon(run, "two", shared)
        nursery.start_soon(run, "alone", other)
    # One second of 10/s plus the burst of 4: the pair shares ~14, the lone one has ~14.
    assert 11 <= counts["one"] + counts["two"] <= 16
    assert 11 <= counts["alone"] <= 16
    assert abs(counts["one"] - counts["two"]) <= 2  # FIFO: the pair alternates


async def test_a_wait_past_the_deadline_is_refused_at_once_and_reserves_nothing(
    redis_server: RedisServer,
) -> None:
    """A call whose wait would end past its deadline fails at once and takes no slot."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=60, store=store)  # burst 1: two at once
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            await probe.get("/x")
            await probe.get("/x")
            start = trio.current_time()
            with trio.fail_after(0.5), pytest.raises(RateLimitWaitError) as info:
                await probe.get("/x")
            assert trio.current_time() - start < 0.2
            assert 0.5 < info.value.wait <= 60 / 57  # one step: 60 rpm less 2 bursts, 1 call
            # Nothing was reserved: the next call waits one slot (~1.05 s), not two.
            await probe.get("/x")
            assert trio.current_time() - start < 1.4
    assert len(hosts.times) == 3


@pytest.mark.parametrize(
    ("settings", "why"), [({"wait": False}, "fails fast"), ({"max_wait": 0.1}, "max_wait")]
)
async def test_wait_false_and_max_wait_fail_fast(
    redis_server: RedisServer, settings: dict[str, Any], why: str
) -> None:
    """wait=False refuses any wait; max_wait refuses a longer one; both say why."""
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=60, store=store, **settings)
        async with routed_client(Hosts(), endpoints("a"), rate_limit=limit) as (_, probe):
            await probe.get("/x")
            await probe.get("/x")  # the burst of 60 rpm: two calls at once
            with pytest.raises(RateLimitWaitError, match=why):
                await probe.get("/x")


async def test_a_cancelled_wait_unwinds_at_once_and_gives_its_slot_back(
    redis_server: RedisServer,
) -> None:
    """Cancelling a caller waiting for its slot unwinds at once; the next caller gets the slot."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=60, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            await probe.get("/x")
            await probe.get("/x")
            # No deadline (that would refuse the wait at once): a cancel from outside.
            async with trio.open_nursery() as nursery:
                nursery.start_soon(probe.get, "/x")  # its slot is ~1 s away
                await trio.sleep(0.2)
                cancelled = trio.current_time()
                nursery.cancel_scope.cancel()
            assert trio.current_time() - cancelled < 0.05
            start = trio.current_time()
            await probe.get("/x")  # takes the refunded slot, ~0.8 s away, not ~1.8 s
            assert trio.current_time() - start < 1.1
    assert len(hosts.times) == 3


async def test_a_429_seen_by_one_process_blocks_the_fleet(redis_server: RedisServer) -> None:
    """One client's 429 with Retry-After delays another client's calls on the same budget."""
    key = prefix()
    seen = Hosts(a=[err(429, **{"retry-after": "1"}), OK])
    other = Hosts()
    async with (
        store_at(redis_server.url, key) as one,
        store_at(redis_server.url, key) as two,
        routed_client(
            seen,
            endpoints("a"),
            rate_limit=RateLimit(requests_per_minute=6000, store=one),
            retry_policy=NO_RETRY,
        ) as (_, first),
        routed_client(
            other, endpoints("a"), rate_limit=RateLimit(requests_per_minute=6000, store=two)
        ) as (_, second),
    ):
        start = trio.current_time()
        with pytest.raises(trio_openai.RateLimitError):
            await first.get("/x")
        await first.get("/x")  # carries the block to the store (and waits for it)
        await second.get("/x")
        assert trio.current_time() - start >= 0.95
        assert other.times[0] - start >= 0.95


async def test_usage_corrects_the_token_estimate(redis_server: RedisServer) -> None:
    """A call's token estimate is replaced by its usage, so small answers free the budget."""
    body = {"max_tokens": 60, "usage": {"total_tokens": 1}}
    hosts = Hosts(a=[(200, {}, body)])
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(tokens_per_minute=600, store=store)  # 10 tokens per second
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, _):
            start = trio.current_time()
            for _ in range(4):
                # Each estimate (~70 tokens) is 7 s of budget; its usage is 1 token.
                await client.post("/x", body={"max_tokens": 60}, cast_to=dict)
            assert trio.current_time() - start < 1.0


async def test_learnt_limits_are_shared(redis_server: RedisServer) -> None:
    """A limit header learnt by one client lowers the budget for another on the same prefix."""
    key = prefix()
    lower = Hosts(a=[(200, {"x-ratelimit-limit-requests": "60"}, {"ok": True})])
    async with (
        store_at(redis_server.url, key) as one,
        store_at(redis_server.url, key) as two,
        routed_client(
            lower, endpoints("a"), rate_limit=RateLimit(requests_per_minute=6000, store=one)
        ) as (_, first),
        routed_client(
            Hosts(), endpoints("a"), rate_limit=RateLimit(requests_per_minute=6000, store=two)
        ) as (_, second),
    ):
        await first.get("/x")
        await first.get("/x")  # carries the learnt limit of 60 rpm to the store
        start = trio.current_time()
        for _ in range(3):
            await second.get("/x")
        assert trio.current_time() - start >= 0.9  # 1 per second now, not 100 per second


async def test_a_breaker_opened_in_one_process_keeps_the_fleet_away(
    redis_server: RedisServer,
) -> None:
    """With CircuitBreaker(store=...), one client's open breaker refuses another's calls."""
    key = prefix()
    failing = Hosts(a=[err(500), OK])
    healthy = Hosts()
    async with (
        store_at(redis_server.url, key, poll=0.1) as one,
        store_at(redis_server.url, key, poll=0.1) as two,
        routed_client(
            failing,
            endpoints("a"),
            breaker=trio_openai.CircuitBreaker(failure_threshold=1, open_for=1.0, store=one),
            retry_policy=NO_RETRY,
        ) as (_, first),
        routed_client(
            healthy,
            endpoints("a"),
            breaker=trio_openai.CircuitBreaker(failure_threshold=1, open_for=1.0, store=two),
        ) as (client, second),
    ):
        await second.get("/x")  # its breaker watches the fleet's key from now on
        with pytest.raises(trio_openai.InternalServerError):
            await first.get("/x")  # opens the first client's breaker, shared
        await trio.sleep(0.3)  # a poll or two
        with pytest.raises(trio_openai.CircuitOpenError, match="another process"):
            await second.get("/x")
        assert len(healthy.times) == 1  # refused without sending
        (status,) = client.health()
        assert status.breaker is not None
        assert status.breaker.state == "closed"  # its own breaker never opened
        await trio.sleep(0.9)  # the shared opening has expired
        await second.get("/x")
        assert len(healthy.times) == 2


@pytest.mark.parametrize("failure", ["open", "closed"])
async def test_an_unreachable_store_fails_open_or_closed(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No store: fail open sends through a local limiter and logs; fail closed raises."""
    url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    hosts = Hosts()
    caplog.set_level(logging.WARNING, logger="trio_openai.reliability")
    async with store_at(url, prefix(), failure=failure, timeout=0.3) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
            if failure == "closed":
                with pytest.raises(StoreUnavailableError, match="fails closed"):
                    await probe.get("/x")
                assert not hosts.times
            else:
                for _ in range(3):
                    await probe.get("/x")
                assert len(hosts.times) == 3
                assert "failing open" in caplog.text
                assert store_ok(client) is False


@pytest.mark.parametrize("failure", ["open", "closed"])
async def test_a_slow_store_counts_as_failed_after_its_timeout(
    own_redis_server: RedisServer, failure: str
) -> None:
    """A store that does not answer within its timeout fails the call over (open) or fails it."""
    hosts = Hosts()
    async with store_at(own_redis_server.url, prefix(), failure=failure, timeout=0.2) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
            await probe.get("/x")
            own_redis_server.command("CLIENT", "PAUSE", "1500", "ALL")  # every command waits
            start = trio.current_time()
            if failure == "closed":
                with pytest.raises(StoreUnavailableError, match=r"within 0\.2 s"):
                    await probe.get("/x")
            else:
                await probe.get("/x")
            assert trio.current_time() - start < 0.5
    assert len(hosts.times) == (1 if failure == "closed" else 2)


async def test_the_store_killed_and_restarted_mid_run(own_redis_server: RedisServer) -> None:
    """Killed, the store fails open locally; restarted empty, the fleet's queue is kept."""
    server = own_redis_server
    hosts = Hosts()
    async with store_at(server.url, prefix(), timeout=0.3, retry_after=0.2) as store:
        limit = RateLimit(requests_per_minute=120, store=store)  # one per 0.5 s
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
            for _ in range(4):
                await probe.get("/x")
            server.kill()
            await probe.get("/x")  # the local limiter, full: at once
            assert store_ok(client) is False
            server.start()  # same port, no keys
            await trio.sleep(0.3)  # past retry_after
            start = trio.current_time()
            await probe.get("/x")
            assert store_ok(client) is True
            # The hint restored the TAT: the store did not hand out a fresh burst.
            await probe.get("/x")
            await probe.get("/x")
            assert trio.current_time() - start >= 0.4
    assert len(hosts.times) == 8


async def test_every_key_has_an_expiry_and_idle_keys_expire(redis_server: RedisServer) -> None:
    """Each key the limiter writes carries a TTL, and an idle budget's keys disappear."""
    key = prefix()
    body = {"usage": {"total_tokens": 5}}
    headers = {"x-ratelimit-limit-requests": "590", "x-ratelimit-limit-tokens": "9000"}
    hosts = Hosts(a=[err(429, **{"retry-after": "0.2"}), (200, headers, body)])
    async with store_at(redis_server.url, key) as store:
        limit = RateLimit(requests_per_minute=600, tokens_per_minute=10_000, store=store)
        async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, _):
            for _ in range(3):
                await client.post("/x", body={"max_tokens": 5}, cast_to=dict)
    names = redis_server.command("KEYS", "{" + f"{key}:*")  # (hash-tagged: {prefix:endpoint})
    found = [name for name in names.split(b"\r\n") if name.startswith(b"{" + key.encode())]
    # The limits were learnt, the block was set by the 429, the TATs by every call.
    assert {n.rsplit(b":", 1)[1] for n in found} >= {b"rq", b"tk", b"rpm", b"tpm"}
    ttls = {}
    for name in found:
        ttls[name] = int(redis_server.command("PTTL", name.decode()).strip(b":\r\n"))
        assert 0 < ttls[name] <= 600_000
    # A TAT key lives one second past its TAT, a block until it ends: seconds, here.
    short_lived = [n for n in found if n.rsplit(b":", 1)[1] in (b"rq", b"tk", b"block")]
    assert len(short_lived) >= 2
    assert max(ttls[n] for n in short_lived) <= 5_000
    await trio.sleep(max(ttls[n] for n in short_lived) / 1000 + 0.2)
    for name in short_lived:
        assert redis_server.command("EXISTS", name.decode()) == b":0\r\n"


async def test_a_store_given_unopened_is_the_clients(redis_server: RedisServer) -> None:
    """The client opens a store it was given unopened, and closes it with the session."""
    hosts = Hosts()
    store = RedisStore(redis_server.url, prefix=prefix(), prefetch=0)  # a trip per call
    limit = RateLimit(requests_per_minute=600, store=store)
    async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (client, probe):
        for _ in range(3):
            await probe.get("/x")
        assert store_ok(client) is True
    assert store.round_trips == 3
    with pytest.raises(RuntimeError, match="open it yourself"):
        async with store:
            pass


async def test_a_store_opened_by_the_caller_stays_open_after_the_client(
    redis_server: RedisServer,
) -> None:
    """Two clients in turn share a store the caller opened; neither closes it."""
    hosts = Hosts()
    async with store_at(redis_server.url, prefix()) as store:
        limit = RateLimit(requests_per_minute=600, store=store)
        for _ in range(2):
            async with routed_client(hosts, endpoints("a"), rate_limit=limit) as (_, probe):
                await probe.get("/x")
        assert store.round_trips == 2
    assert len(hosts.times) == 2


def test_a_sync_client_shares_a_budget_through_a_store(redis_server: RedisServer) -> None:
    """SyncClient opens the store in its own loop: a budget shared by sync processes."""
    from trio_openai.testing import FakeOpenAI

    store = RedisStore(redis_server.url, prefix=prefix())
    limit = RateLimit(requests_per_minute=600, store=store)  # one per 0.1 s after the burst
    fake = FakeOpenAI()
    with fake.sync_client(rate_limit=limit, max_retries=0) as client:
        start = time.monotonic()
        for _ in range(14):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
        took = time.monotonic() - start
    # Burst of max(1, 0.5 % of 600) = 3 on top of the first call, then 10 more at 0.1 s.
    assert 0.9 <= took <= 1.6
    assert store.round_trips == 14  # (no spares: half of a burst of 3 is not one)


async def test_an_error_in_the_stores_block_goes_on_unwrapped(redis_server: RedisServer) -> None:
    """``except KeyError`` around the block works: no ExceptionGroup from the store's tasks."""
    with pytest.raises(KeyError, match="mine"):
        async with RedisStore(redis_server.url, prefix=prefix()):
            raise KeyError("mine")


def test_the_store_checks_its_settings() -> None:
    """Out-of-range settings are refused when the store is made."""
    for bad in [
        {"failure": "maybe"},
        {"timeout": 0},
        {"burst": -1.0},
        {"local_share": 0},
        {"prefetch": -0.1},
    ]:
        with pytest.raises(ValueError, match=next(iter(bad))):
            RedisStore("redis://127.0.0.1:6379/0", **bad)
    assert math.isclose(RedisStore("redis://x").burst, 0.005)
