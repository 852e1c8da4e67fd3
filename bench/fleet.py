"""A fleet of client processes sharing one rate-limit budget in Redis/Valkey, seen at the server.

``python bench/fleet.py`` starts, all on 127.0.0.1:

- a Redis (or Valkey) server on a free port, with no persistence (or uses
  ``--redis URL``);
- a fake OpenAI endpoint (this script with ``serve``, its own process) that
  answers every chat completion, records the arrival time of each request on its
  own clock and enforces the budget itself as a sliding-window log: a request
  that would make the last 60 s hold more than ``--server-rpm`` gets a 429 with
  ``Retry-After``;
- ``--processes`` client processes (this script with ``worker``), each running
  ``--concurrency`` callers in a loop for ``--duration`` seconds, all through
  ``RateLimit(requests_per_minute=--rpm, store=RedisStore(...))`` under one key
  prefix. ``--skew`` shifts the clocks of some of them (``time.time``,
  ``time.monotonic`` and ``time.perf_counter``, so trio's clock too) by that
  many seconds: only the store's clock matters.

Then one process (``cpu``) makes ``--cpu-rounds`` rounds of ``--cpu-calls``
unthrottled calls through a local limiter and through the shared one, in turns,
to measure the client CPU the store adds to a call.

It prints a table: calls admitted at the server per minute vs the budget (over
the densest and the full sliding windows of ``min(60, duration)`` s; a run of at
least 60 s, ``--duration 65``, measures real minutes), 429s, added CPU per call
vs the local limiter, store round trips per admitted call, and the targets.
``--json`` prints the raw figures (and every arrival) instead, for the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
WINDOW = 60.0
COMPLETION = json.dumps(
    {
        "id": "chatcmpl-fleet",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
    }
).encode()


# -------------------------------------------------------------------- the fake endpoint


class Endpoint(asyncio.Protocol):
    """One connection to the fake endpoint: HTTP/1.1 keep-alive, every POST answered."""

    # One server per process: the class holds its logs.
    arrivals: ClassVar[list[float]] = []
    refused: ClassVar[list[float]] = []
    log: ClassVar[deque[float]] = deque()
    limit = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; start with an empty buffer."""
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        """Answer each complete request in the buffer, in order."""
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            target = head.split(" ", 2)[1]
            self.transport.write(self.answer(target))

    def answer(self, target: str) -> bytes:
        """The response to one request: the arrival log, a completion, or a 429."""
        if target.startswith("/fleet/arrivals"):
            body = json.dumps({"arrivals": self.arrivals, "refused": self.refused}).encode()
            return _response(200, body)
        if target.startswith("/warm-up/"):
            return _response(200, COMPLETION)  # neither counted nor limited
        now = time.monotonic()
        log = self.log
        while log and log[0] <= now - WINDOW:
            log.popleft()
        if self.limit and len(log) >= self.limit:
            self.refused.append(now)
            wait = max(0.001, log[0] + WINDOW - now)
            return _response(
                429,
                b'{"error": {"message": "rate limited", "type": "requests", '
                b'"code": "rate_limit_exceeded"}}',
                retry_after=wait,
            )
        log.append(now)
        self.arrivals.append(now)
        return _response(200, COMPLETION)


def _response(status: int, body: bytes, *, retry_after: float | None = None) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests"}[status]
    extra = f"retry-after-ms: {retry_after * 1000:.0f}\r\n" if retry_after is not None else ""
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def _serve(limit: int) -> None:
    Endpoint.limit = limit
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Endpoint, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until stdin closes.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


# -------------------------------------------------------------------- one client process


def _skew_clocks(seconds: float) -> None:
    """Shift this process's clocks (before trio is imported, so its clock moves too)."""
    for name in ("time", "monotonic", "perf_counter"):
        real = getattr(time, name)
        setattr(time, name, lambda real=real: real() + seconds)


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    import trio

    import trio_openai
    from trio_openai import RateLimit, RedisStore

    stats: dict[str, Any] = {"calls": 0, "errors": 0, "rate_limited": 0, "cancelled": 0}
    async with contextlib.AsyncExitStack() as stack:
        store = await stack.enter_async_context(RedisStore(args.redis, prefix=args.prefix))
        limit = RateLimit(requests_per_minute=args.rpm, store=store)
        client = await stack.enter_async_context(
            trio_openai.open_client(
                base_url=f"http://127.0.0.1:{args.port}/v1",
                api_key="sk-fleet",
                rate_limit=limit,
                retry_policy=trio_openai.RetryPolicy(max_retries=0),
            )
        )
        messages = [{"role": "user", "content": "hi"}]
        # Warm the client up (imports, decoders, connections) outside the budget,
        # so that eight processes starting at once on a small machine start on time.
        async with trio_openai.open_client(
            base_url=f"http://127.0.0.1:{args.port}/warm-up/v1", api_key="sk-fleet"
        ) as warm:
            for _ in range(3):
                await warm.chat.completions.create(model="gpt-4o-mini", messages=messages)
        print("ready", flush=True)
        await trio.to_thread.run_sync(sys.stdin.readline)

        async def one() -> None:
            try:
                await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
                stats["calls"] += 1
            except trio_openai.RateLimitError:
                stats["rate_limited"] += 1
            except trio_openai.APIError:
                stats["errors"] += 1
            except trio.Cancelled:
                stats["cancelled"] += 1  # the run's end, most often in a wait
                raise

        async def caller() -> None:
            while True:
                await one()

        cpu = time.process_time()
        async with trio.open_nursery() as nursery:
            for _ in range(args.concurrency):
                nursery.start_soon(caller)
            await trio.sleep(args.duration)
            nursery.cancel_scope.cancel()
        stats["cpu"] = time.process_time() - cpu
        stats["round_trips"] = store.round_trips
    return stats


async def _cpu(args: argparse.Namespace) -> dict[str, float]:
    import trio

    import trio_openai
    from trio_openai import RateLimit, RedisStore

    messages = [{"role": "user", "content": "hi"}]
    # A budget never reached: every admission goes at once, local or shared.
    huge = 1e9
    samples: dict[str, list[float]] = {"local": [], "shared": []}
    async with RedisStore(args.redis, prefix=args.prefix + "-cpu") as store:
        clients = {}
        async with contextlib.AsyncExitStack() as stack:
            for name, limit in [
                ("local", RateLimit(requests_per_minute=huge)),
                ("shared", RateLimit(requests_per_minute=huge, store=store)),
            ]:
                clients[name] = await stack.enter_async_context(
                    trio_openai.open_client(
                        base_url=f"http://127.0.0.1:{args.port}/v1",
                        api_key="sk-fleet",
                        rate_limit=limit,
                        retry_policy=trio_openai.RetryPolicy(max_retries=0),
                    )
                )

            async def calls(client: trio_openai.Client, n: int) -> None:
                for _ in range(n):
                    await client.chat.completions.create(model="gpt-4o-mini", messages=messages)

            per_caller = max(1, args.cpu_calls // args.cpu_concurrency)
            http_trips = 0
            for round_ in range(args.cpu_rounds + 1):
                for name, client in clients.items():
                    before, cpu = store.round_trips, time.process_time()
                    async with trio.open_nursery() as nursery:
                        for _ in range(args.cpu_concurrency):
                            nursery.start_soon(calls, client, per_caller)
                    if round_:  # the first round warms both up
                        spent = time.process_time() - cpu
                        samples[name].append(spent / (per_caller * args.cpu_concurrency))
                        http_trips += store.round_trips - before
        # The guard alone (no HTTP): one admission at a time, then 20 overlapping.
        import httpx2

        from trio_openai._reliability._guards import Attempt
        from trio_openai._reliability._shared import SharedLimiterGuard

        guard = SharedLimiterGuard(RateLimit(requests_per_minute=huge, store=store), "guard")
        request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
        attempt = Attempt(endpoint="guard", base_url="", number=1, request=request, body=None)

        async def admissions(n: int) -> None:
            for _ in range(n):
                await guard.admit(attempt)

        alone: dict[int, list[float]] = {1: [], 20: []}
        trips: dict[int, int] = {1: 0, 20: 0}
        for concurrency in (1, 20, 1, 20, 1, 20):
            before, cpu = store.round_trips, time.process_time()
            async with trio.open_nursery() as nursery:
                for _ in range(concurrency):
                    nursery.start_soon(admissions, 400 // concurrency)
            alone[concurrency].append((time.process_time() - cpu) / 400)
            trips[concurrency] += store.round_trips - before
        pings, coredis_pings = await _pings(args, store)
    local, shared, ping, one, twenty = (
        sorted(v)[len(v) // 2] for v in (*samples.values(), pings, alone[1], alone[20])
    )
    # The added CPU from each round's pair (local then shared, back to back), so
    # that the machine's drift between rounds cancels out; the median of those.
    added = sorted(b - a for a, b in zip(samples["local"], samples["shared"], strict=True))
    return {
        "local": local,
        "shared": shared,
        "added": added[len(added) // 2],
        "ping": ping,
        "coredis_ping": sorted(coredis_pings)[len(coredis_pings) // 2]
        if coredis_pings
        else math.nan,
        "admit_alone": one,
        "admit_20": twenty,
        "trips_1": trips[1] / 1200,
        "trips_20": trips[20] / 1200,
        "trips_http": http_trips / max(1, args.cpu_rounds * per_caller * args.cpu_concurrency),
    }


async def _pings(args: argparse.Namespace, store: Any) -> tuple[list[float], list[float]]:
    """CPU per PING on the store's wire (any round trip's floor), and through coredis.

    coredis is the general client the wire replaced (in the bench extra).
    """
    connection = store._connection  # a bench may read the private wire
    pings: list[float] = []
    coredis_pings: list[float] = []
    for _ in range(args.cpu_rounds):
        cpu = time.process_time()
        for _ in range(200):
            await connection.call(b"PING")
        pings.append((time.process_time() - cpu) / 200)
    try:
        import coredis
    except ImportError:
        return pings, coredis_pings
    async with coredis.Redis.from_url(args.redis) as other:
        await other.ping()
        for _ in range(args.cpu_rounds):
            cpu = time.process_time()
            for _ in range(200):
                await other.ping()
            coredis_pings.append((time.process_time() - cpu) / 200)
    return pings, coredis_pings


def worker(args: argparse.Namespace) -> None:
    """One client process: wait for a line on stdin, run, print its figures as JSON."""
    if args.skew:
        _skew_clocks(args.skew)
    import trio

    print(json.dumps(trio.run(_work, args)), flush=True)


# -------------------------------------------------------------------- the conductor


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away Redis/Valkey server on a free port of 127.0.0.1; yields its URL."""
    binary = shutil.which("redis-server") or shutil.which("valkey-server")
    if binary is None:
        msg = "neither redis-server nor valkey-server is on PATH (apt-get install redis-server)"
        raise SystemExit(msg)
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def endpoint(limit: float) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The fake endpoint in its own process; yields its port."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve", "--server-rpm", str(int(limit))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline()), proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_workers(args: argparse.Namespace, port: int, *, duration: float) -> list[dict[str, Any]]:
    """Start the client processes, start them together, collect their figures."""
    skews = [float(s) for s in args.skew.split(",")] if args.skew else []
    procs = []
    for index in range(args.processes):
        skew = skews[(index // 2) % len(skews)] if skews and index % 2 == 0 else 0.0
        command = [
            sys.executable, __file__, "worker", "--port", str(port), "--redis", args.redis,
            "--prefix", args.prefix, "--rpm", str(args.rpm), "--processes", str(args.processes),
            "--concurrency", str(args.concurrency), "--duration", str(duration),
            "--skew", str(skew),
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )
    try:
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                msg = "a worker did not start"
                raise RuntimeError(msg)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            assert proc.stdout is not None
            results.append(json.loads(proc.stdout.readline()))
            proc.wait(timeout=30)
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def arrivals(port: int) -> dict[str, list[float]]:
    """Every arrival the fake endpoint recorded (its clock), and its 429s."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /fleet/arrivals HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += sock.recv(1 << 20)
    result: dict[str, list[float]] = json.loads(body)
    return result


def densest(times: Sequence[float], window: float) -> int:
    """The most arrivals in any window of *window* seconds (closed at both ends)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_right(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the fleet (and the local-limiter comparison); the raw figures."""
    with endpoint(args.server_rpm if args.server_rpm is not None else args.rpm) as (port, _):
        shared = run_workers(args, port, duration=args.duration)
        seen = arrivals(port)
    cpu: dict[str, float] = {}
    if args.cpu_rounds > 0:
        with endpoint(0) as (port, _):
            command = [
                sys.executable, __file__, "cpu", "--port", str(port), "--redis", args.redis,
                "--prefix", args.prefix, "--cpu-calls", str(args.cpu_calls),
                "--cpu-rounds", str(args.cpu_rounds),
                "--cpu-concurrency", str(args.cpu_concurrency),
            ]  # fmt: skip
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            cpu = json.loads(out)
    return {"shared": shared, "cpu": cpu, **seen}


def window_of(duration: float) -> float:
    """The sliding window measured: a minute when the run holds one, else half the run."""
    return WINDOW if duration >= WINDOW + 5 else duration / 2


def bound(rpm: float, window: float, burst: float = 0.005) -> float:
    """The most requests the shared limiter admits in *window* seconds (``_store.py``)."""
    units = max(1.0, rpm * burst)
    return units + 1 + max(rpm - 2 * units - 1, rpm / 2) * window / WINDOW


def sparsest(times: Sequence[float], window: float) -> int:
    """The fewest arrivals in a window of *window* seconds inside the run (demand exceeds it)."""
    ordered = sorted(times)
    if not ordered or ordered[-1] - ordered[0] < window:
        return 0
    last = ordered[-1] - window
    return min(
        bisect.bisect_right(ordered, t + window) - i for i, t in enumerate(ordered) if t <= last
    )


def summary(args: argparse.Namespace, figures: dict[str, Any]) -> dict[str, float]:
    """The figures of the table, from the raw ones."""
    # What the fleet sent, refused or not (the endpoint's 429s cap what it accepts).
    times = figures["arrivals"] + figures["refused"]
    shared, cpu = figures["shared"], figures["cpu"]
    window = window_of(args.duration)
    budget = args.rpm * window / WINDOW
    calls = sum(w["calls"] for w in shared)
    admitted = calls + sum(w["cancelled"] for w in shared)
    return {
        "window": window,
        "budget": budget,
        "bound": bound(args.rpm, window),
        "densest": densest(times, window),
        "sparsest": sparsest(times, window),
        "refused": len(figures["refused"]),
        "calls": calls,
        "cpu_shared": cpu.get("shared", math.nan),
        "cpu_local": cpu.get("local", math.nan),
        "cpu_added": cpu.get("added", math.nan),
        "cpu_ping": cpu.get("ping", math.nan),
        "cpu_coredis_ping": cpu.get("coredis_ping", math.nan),
        "admit_alone": cpu.get("admit_alone", math.nan),
        "admit_20": cpu.get("admit_20", math.nan),
        "trips_1": cpu.get("trips_1", math.nan),
        "trips_20": cpu.get("trips_20", math.nan),
        "trips_http": cpu.get("trips_http", math.nan),
        "trips": sum(w["round_trips"] for w in shared) / max(admitted, 1),
        "trips_sent": sum(w["round_trips"] for w in shared) / max(calls, 1),
    }


def report(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Print the table and the targets."""
    sys.path.insert(0, str(HERE))
    from _common import machine, table

    f = summary(args, figures)
    budget, window = f["budget"], f["window"]
    rows = [
        [f"fewest sent in a sliding {window:g} s window (excess demand)", f"{f['sparsest']:,}",
         f"{f['sparsest'] / budget:.1%} of {budget:,.0f}", ">= 98%"],
        [f"most sent in a sliding {window:g} s window", f"{f['densest']:,}",
         f"{f['densest'] / budget:.2%} of {budget:,.0f} (design bound {f['bound']:,.1f})",
         "<= 101% (over 60 s)"],
        ["429s from the endpoint (sliding-window log at the budget)", f"{f['refused']}",
         f"server limit {args.server_rpm or args.rpm:,.0f} rpm", "0"],
        ["client CPU per call, shared limiter", f"{f['cpu_shared'] * 1e6:,.0f} µs", "", ""],
        ["client CPU per call, local limiter", f"{f['cpu_local'] * 1e6:,.0f} µs", "", ""],
        ["added CPU per call (median of the rounds' pairs)", f"{f['cpu_added'] * 1e6:,.0f} µs",
         f"{f['trips_http']:.3f} store round trips per call (spares)",
         "<= 100 µs"],
        ["CPU of one PING on the store's wire (any round trip's floor)",
         f"{f['cpu_ping'] * 1e6:,.0f} µs", "", ""],
        ["CPU of one PING through coredis (the general client it replaced)",
         f"{f['cpu_coredis_ping'] * 1e6:,.0f} µs", "bench extra; nan: not installed", ""],
        ["guard alone: CPU per admission, one at a time", f"{f['admit_alone'] * 1e6:,.0f} µs",
         f"{f['trips_1']:.3f} round trips each (spares)", ""],
        ["guard alone: CPU per admission, 20 overlapping", f"{f['admit_20'] * 1e6:,.0f} µs",
         f"{f['trips_20']:.2f} round trips each (batched)", ""],
        ["store round trips per admission", f"{f['trips']:.3f}",
         f"{f['trips_sent']:.3f} per call sent (the run's end cancels waiters)", "1"],
    ]  # fmt: skip
    print(f"machine: {machine()}")
    print(
        f"fleet: {args.processes} processes x {args.concurrency} callers, {args.rpm:,.0f} rpm, "
        f"{args.duration:g} s, clock skews {args.skew or 'none'} (every other process); "
        f"{f['calls']:,} calls sent; CPU: {args.cpu_rounds} rounds of {args.cpu_calls} calls "
        f"by {args.cpu_concurrency} callers, unthrottled, local vs shared limiter\n"
    )
    print(table(["figure", "value", "vs", "target"], rows))


def main() -> None:
    """Parse the arguments and run the conductor, the endpoint or a worker."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "role", nargs="?", default="bench", choices=["bench", "serve", "worker", "cpu"]
    )
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=200, help="callers per process")
    parser.add_argument("--rpm", type=float, default=6000.0, help="the shared budget")
    parser.add_argument("--server-rpm", type=int, default=None, help="the endpoint's own limit")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (65: a minute)")
    parser.add_argument("--cpu-rounds", type=int, default=5, help="CPU rounds (0: none)")
    parser.add_argument("--cpu-calls", type=int, default=1000, help="calls per CPU round")
    parser.add_argument("--cpu-concurrency", type=int, default=20)
    parser.add_argument("--skew", default="5,-5", help="clock skews of every other process")
    parser.add_argument("--redis", default=None, help="a server URL (default: start one)")
    parser.add_argument("--prefix", default=None)
    parser.add_argument("--json", action="store_true", help="raw figures as JSON")
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "serve":
        asyncio.run(_serve(args.server_rpm or 0))
        return
    if args.role == "cpu":
        import trio

        print(json.dumps(trio.run(_cpu, args)))
        return
    if args.role == "worker":
        args.skew = float(args.skew or 0)
        worker(args)
        return
    args.prefix = args.prefix or f"fleet-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        if args.redis is None:
            args.redis = stack.enter_context(redis_server())
        figures = run(args)
    if args.json:
        print(json.dumps({**figures, "summary": summary(args, figures)}))
    else:
        report(args, figures)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
