"""The chaos run: many calls against fault-injecting fake servers, then the invariants checked.

Used by ``bench/chaos.py`` (5,000 calls, a table) and ``tests/reliability/chaos/``
(a smaller run in CI).

Set-up, all in one ``trio.run`` on 127.0.0.1 with real sockets:

* *endpoints* `FakeOpenAI` servers, each with its own seeded fault program on
  ``POST /chat/completions``: runs of good answers between a few 5xx storms,
  429 bursts with ``retry-after-ms`` or ``retry-after``, connections reset
  mid-body, connections closed without an answer, slow answers, answers slower
  than the read timeout, malformed JSON and truncated bodies or streams;
* one client over all of them (`trio_openai.open_client(endpoints=...)`) with every
  reliability feature on: retries, failover, a breaker and a learning rate
  limiter per endpoint, health checks;
* *requests* calls (a share of them streamed) arriving at *rate* per second
  (open-loop, as real traffic: callers do not speed up when calls fail fast), at
  most *concurrency* in flight, each with a unique marker as its message, which
  the fake echoes back;
* endpoint *kill* is stopped (listener and connections closed) once *kill_at* of
  the calls have started, and started again on the same port at *revive_at*.

Checked afterwards: each call either returned the right answer once or raised
a `trio_openai.OpenAIError` with a message; a call the servers executed more
than once always carried the same ``Idempotency-Key`` (and no key served two
calls); once the session is closed no connection is left open on any server and
no task is left in the run; no response or per-call state object is still alive.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import trio
import trio.testing

import trio_openai
from trio_openai.testing import FakeOpenAI

__all__ = ["Plan", "Report", "run_chaos"]

ROUTE = "/chat/completions"
MODEL = "gpt-4o-mini"
# OpenAI's millisecond header, and the standard one in (fractional) seconds.
RETRY_AFTER = ({"retry-after-ms": "50"}, {"retry-after": "0.05"})


@dataclass(frozen=True)
class Plan:
    """What a chaos run does (see the module docstring)."""

    requests: int = 5000
    concurrency: int = 500
    rate: float = 500.0
    endpoints: int = 3
    seed: int = 20261125
    strategy: str = "least_in_flight"
    stream_share: float = 0.2
    fault_share: float = 0.1
    storms: int = 2
    kill: int | None = 0
    kill_at: float = 0.3
    revive_at: float = 0.6
    slow: float = 0.2
    read_timeout: float = 2.0
    max_retries: int = 4
    open_for: float = 0.25


@dataclass
class Report:
    """What a chaos run found."""

    plan: Plan
    seconds: float = 0.0
    succeeded: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    unclear: list[str] = field(default_factory=list)
    wrong_answers: int = 0
    executions: int = 0
    executed_twice: int = 0
    duplicates_same_key: int = 0
    duplicates_other_key: int = 0
    keys_shared: int = 0
    requests_without_key: int = 0
    served: dict[str, int] = field(default_factory=dict)
    events: Counter[str] = field(default_factory=Counter)
    breaker_opened: int = 0
    latencies: list[float] = field(default_factory=list)
    leaked_connections: int = 0
    leaked_tasks: int = 0
    live_objects: int = 0
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    rss_after_mib: float = 0.0
    killed_at: float | None = None
    revived_at: float | None = None

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    def percentile(self, q: float) -> float:
        values = sorted(self.latencies)
        if not values:
            return 0.0
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]

    def problems(self) -> list[str]:
        """Every broken invariant, in words (empty: all hold)."""
        out = []
        if self.succeeded + self.failures + len(self.unclear) != self.plan.requests:
            out.append("some calls neither succeeded nor failed")
        if self.unclear:
            out.append(
                f"{len(self.unclear)} calls failed without a clear error: {self.unclear[:3]}"
            )
        if self.wrong_answers:
            out.append(f"{self.wrong_answers} calls returned another call's answer")
        if self.duplicates_other_key:
            out.append(f"{self.duplicates_other_key} calls executed twice with different keys")
        if self.keys_shared:
            out.append(f"{self.keys_shared} idempotency keys served more than one call")
        if self.requests_without_key:
            out.append(f"{self.requests_without_key} POSTs without an idempotency key")
        if self.leaked_connections:
            out.append(f"{self.leaked_connections} connections still open after the session")
        if self.leaked_tasks:
            out.append(f"{self.leaked_tasks} tasks left after the session")
        if self.live_objects:
            out.append(f"{self.live_objects} responses or call states still alive")
        return out


def _rss_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _program(fake: FakeOpenAI, rng: random.Random, plan: Plan, entries: int) -> None:
    """Queue a seeded fault program on the fake's chat route (then default answers).

    Runs of good answers (``fault_share`` of the entries are faults on average)
    between single faults and 429 bursts, plus ``storms`` 5xx storms long enough
    to open a breaker (entries are used up by attempts, so a storm lasts until
    the breaker's probes have worked through it).
    """
    faults: list[tuple[int, Callable[[int], None]]] = [
        (
            2,
            lambda n: fake.add_fault(
                "POST", ROUTE, status=429, headers=rng.choice(RETRY_AFTER), times=n + 3
            ),
        ),
        (3, lambda n: fake.add_fault("POST", ROUTE, status=rng.choice([500, 503]), times=1)),
        (3, lambda n: fake.add_fault("POST", ROUTE, drop_after=30, times=1)),
        (3, lambda n: fake.add_fault("POST", ROUTE, disconnect=True, times=1)),
        (3, lambda n: fake.add_fault("POST", ROUTE, delay=plan.slow, times=n)),
        (1, lambda n: fake.add_fault("POST", ROUTE, delay=plan.read_timeout * 1.5, times=1)),
        (1, lambda n: fake.add_fault("POST", ROUTE, malformed_json=True, times=1)),
        (1, lambda n: fake.add_fault("POST", ROUTE, truncate_stream=True, times=1)),
    ]
    weights = [w for w, _ in faults]
    # Mean entries a fault takes, with these weights: about 2.
    mean_good = 2 * (1 - plan.fault_share) / plan.fault_share
    storms = sorted(rng.randrange(entries) for _ in range(plan.storms))
    queued = 0
    while queued < entries:
        good = max(1, round(rng.expovariate(1 / mean_good)))
        fake.add("POST", ROUTE, times=good)
        queued += good
        if storms and queued >= storms[0]:
            storms.pop(0)
            n = rng.randint(6, 10)
            fake.add_fault("POST", ROUTE, status=rng.choice([500, 502, 503]), times=n)
        else:
            ((_, add),) = rng.choices(faults, weights=weights)
            n = rng.randint(1, 4)
            add(n)
        queued += n


def _count_tasks() -> int:
    stack = [trio.lowlevel.current_root_task()]
    count = 0
    while stack:
        task = stack.pop()
        count += 1
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return count


async def _one(client: trio_openai.Client, index: int, stream: bool) -> str:
    marker = f"chaos-{index}"
    messages = [{"role": "user", "content": marker}]
    if stream:
        parts: list[str] = []
        async with client.chat.completions.stream(model=MODEL, messages=messages) as events:
            async for chunk in events:
                parts.extend(
                    choice.delta.content
                    for choice in chunk.choices or ()
                    if choice.delta is not None and choice.delta.content
                )
        return "".join(parts)
    chat = await client.chat.completions.create(model=MODEL, messages=messages)
    return (chat.choices or [])[0].message.content or ""  # type: ignore[union-attr]


async def run_chaos(plan: Plan, *, progress: Callable[[str], None] | None = None) -> Report:
    """Run *plan* (inside ``trio.run``) and check the invariants; see the module docstring."""
    report = Report(plan)
    rng = random.Random(plan.seed)
    fakes = [FakeOpenAI() for _ in range(plan.endpoints)]
    per_endpoint = int(plan.requests * 1.5 / plan.endpoints) + 50
    for fake in fakes:
        _program(fake, random.Random(rng.random()), plan, per_endpoint)
    streams = [rng.random() < plan.stream_share for _ in range(plan.requests)]
    report.rss_before_mib = report.rss_peak_mib = _rss_mib()

    async def serve(fake: FakeOpenAI, scope: trio.CancelScope, port: int, task_status: Any) -> None:
        with scope:
            await fake.serve(port=port, task_status=task_status)

    def on_event(event: trio_openai.ReliabilityEvent) -> None:
        report.events[type(event).__name__] += 1
        if isinstance(event, trio_openai.BreakerChanged) and event.new == "open":
            report.breaker_opened += 1

    async with trio.open_nursery() as servers:
        scopes = [trio.CancelScope() for _ in fakes]
        urls = [await servers.start(serve, f, s, 0) for f, s in zip(fakes, scopes, strict=True)]
        await trio.testing.wait_all_tasks_blocked()
        tasks_before = _count_tasks()
        endpoints = [
            trio_openai.Endpoint(url, name=f"ep{i}", api_key=f"sk-chaos-{i}")
            for i, url in enumerate(urls)
        ]
        started = 0
        start = time.perf_counter()
        slots = trio.CapacityLimiter(plan.concurrency)

        async def one(client: trio_openai.Client, index: int) -> None:
            began = trio.current_time()
            try:
                answer = await _one(client, index, streams[index])
            except trio_openai.OpenAIError as exc:
                if str(exc):
                    report.failed[type(exc).__name__] += 1
                else:
                    report.unclear.append(repr(exc))
            except Exception as exc:  # an unclear error is what we count
                report.unclear.append(f"{type(exc).__name__}: {exc}")
            else:
                report.succeeded += 1
                if answer != f"chaos-{index}":
                    report.wrong_answers += 1
            finally:
                report.latencies.append(trio.current_time() - began)
                slots.release_on_behalf_of(index)

        kill_now, revive_now = trio.Event(), trio.Event()

        async def arrivals(client: trio_openai.Client, nursery: trio.Nursery) -> None:
            nonlocal started
            t0 = trio.current_time()
            for index in range(plan.requests):
                await trio.sleep_until(t0 + index / plan.rate)
                await slots.acquire_on_behalf_of(index)
                nursery.start_soon(one, client, index)
                started += 1
                if started >= plan.kill_at * plan.requests:
                    kill_now.set()
                if started >= plan.revive_at * plan.requests:
                    revive_now.set()

        async def chaos_monkey() -> None:
            if plan.kill is None:
                return
            port = int(urls[plan.kill].rsplit(":", 1)[1].split("/")[0])
            await kill_now.wait()
            scopes[plan.kill].cancel()
            report.killed_at = time.perf_counter() - start
            if progress:
                progress(f"  killed ep{plan.kill} after {started} calls started")
            await revive_now.wait()
            scopes[plan.kill] = trio.CancelScope()
            await servers.start(serve, fakes[plan.kill], scopes[plan.kill], port)
            report.revived_at = time.perf_counter() - start
            if progress:
                progress(f"  revived ep{plan.kill} on port {port} after {started} calls started")

        async def memory_watch() -> None:
            while True:
                report.rss_peak_mib = max(report.rss_peak_mib, _rss_mib())
                await trio.sleep(0.1)

        async with trio.open_nursery() as run:
            run.start_soon(memory_watch)
            async with trio_openai.open_client(
                endpoints=endpoints,
                routing=trio_openai.Routing(strategy=plan.strategy),  # type: ignore[arg-type]
                breaker=trio_openai.CircuitBreaker(
                    failure_threshold=5,
                    window=5,
                    minimum_calls=20,
                    open_for=plan.open_for,
                    half_open_probes=2,
                ),
                rate_limit=trio_openai.RateLimit(),
                health_check=trio_openai.HealthCheck(interval=0.5, timeout=0.5),
                retry_policy=trio_openai.RetryPolicy(
                    max_retries=plan.max_retries, initial_wait=0.05, max_wait=0.5
                ),
                timeout=httpx2.Timeout(plan.read_timeout, connect=1.0),
                event_hooks=[on_event],
            ) as client:
                async with trio.open_nursery() as calls:
                    calls.start_soon(chaos_monkey)
                    calls.start_soon(arrivals, client, calls)
                report.served = {s.name: s.requests for s in client.health()}
            report.seconds = time.perf_counter() - start
            run.cancel_scope.cancel()

        # The servers notice closed connections on their next read: give them a moment.
        with trio.move_on_after(2):
            while any(f.open_connections for f in fakes):  # noqa: ASYNC110 (polls a counter)
                await trio.sleep(0.01)
        await trio.testing.wait_all_tasks_blocked()
        report.leaked_connections = sum(f.open_connections for f in fakes)
        report.leaked_tasks = max(0, _count_tasks() - tasks_before)
        servers.cancel_scope.cancel()

    _audit(report, fakes)
    gc.collect()
    from trio_openai._reliability._router import Call

    report.live_objects = sum(
        1 for obj in gc.get_objects() if isinstance(obj, (httpx2.Response, Call))
    )
    report.rss_after_mib = _rss_mib()
    return report


def _audit(report: Report, fakes: list[FakeOpenAI]) -> None:
    """Group what the servers executed by call; check the idempotency keys."""
    keys_by_call: dict[str, list[str | None]] = {}
    calls_by_key: dict[str, set[str]] = {}
    for fake in fakes:
        for record in fake.requests:
            if record.method != "POST" or record.path != ROUTE:
                continue
            report.executions += 1
            marker = json.loads(record.body)["messages"][0]["content"]
            key = record.headers.get("idempotency-key")
            if key is None:
                report.requests_without_key += 1
            else:
                calls_by_key.setdefault(key, set()).add(marker)
            keys_by_call.setdefault(marker, []).append(key)
    for keys in keys_by_call.values():
        if len(keys) > 1:
            report.executed_twice += 1
            if len(set(keys)) == 1:
                report.duplicates_same_key += 1
            else:
                report.duplicates_other_key += 1
    report.keys_shared = sum(1 for markers in calls_by_key.values() if len(markers) > 1)
