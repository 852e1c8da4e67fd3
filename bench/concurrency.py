"""Many concurrent streams in one process: trio_openai vs the official SDK vs raw httpx2.

    .venv/bin/python bench/concurrency.py [--streams 2000,10000] [--chunks 20] [--rounds 1]

A local server (``_server.py``, its own process) answers each streamed chat
completion with *chunks* realistic ``chat.completion.chunk`` events and
``data: [DONE]``, one chunked frame per event (``--interval-ms`` paces them
like tokens). It streams whenever the body says ``"stream": true`` (the
official SDK sends ``Accept: application/json``). For each stream count, each
side opens that many streams **at once** in a fresh process of its own, reads
every one to the end and exits:

* raw httpx2 (naive): ``AsyncClient.stream`` + ``aiter_lines`` + ``json.loads``
  of each ``data:`` line, under ``trio.run``: the floor;
* trio_openai: ``client.chat.completions.stream(...)`` (typed attrs chunks), under
  ``trio.run``;
* openai (official): ``AsyncOpenAI().chat.completions.create(..., stream=True)``
  (typed pydantic chunks), under ``asyncio.run``.

Every side gets the same limits, both SDKs' default: at most 1,000 connections
(``--pool``), 100 kept alive; with more streams than connections the rest
wait for one, as they would for a user. All have the same timeouts (the
official SDK's: 5 s connect, 600 s otherwise); both SDKs keep their default
two retries (the server's request count shows any). Per side: wall time from
the first request to the last stream's end, CPU of the side's process
(``time.process_time()``) over the same span, peak RSS (``VmHWM``) above the
RSS before the first timed request (after one warm-up stream that imports and
generates what a first call needs), divided by the streams, and the streams that
ended with every chunk (each side counts the events it received; a stream
with a wrong count, or an error, is not complete). The CPU is also split into
what the connection pool spends on its bookkeeping and the rest, above the
pool: the raw loop and the official SDK use httpx2's pool (httpcore2's, a pass
over every request and connection on each request and each close);
trio_openai uses the pool a session makes without ``http_client=``
(``trio_openai/_http/_pool.py``), whose bookkeeping methods are counted. The
server's CPU over each side's run is printed too: it must stay well below the
side's.

Target at 10,000 streams: trio_openai's wall and CPU at most 1.0x the raw loop's,
its RSS per stream at most 1.1x, every stream complete.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import have_openai, machine, median, start_server, table, versions

MESSAGES = [{"role": "user", "content": "Write a short story about structured concurrency."}]
MODEL = "gpt-4o-mini"
KEY = "sk-bench"
RAW = "raw httpx2 (aiter_lines + json)"
OURS = "trio_openai"
OFFICIAL = "openai (official, asyncio)"
SIDES = {"raw": RAW, "ours": OURS, "official": OFFICIAL}
WALL_TARGET = CPU_TARGET = 1.0
RSS_TARGET = 1.1


# -- one side, in a process of its own ---------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0  # pragma: no cover - not Linux


class _Tally:
    """What a side's streams received: events and content characters per stream, errors."""

    def __init__(self) -> None:
        self.events: list[int] = []
        self.chars = 0
        self.errors: Counter[str] = Counter()

    def failed(self, exc: BaseException) -> None:
        self.errors[type(exc).__name__] += 1


def _limits(pool: int) -> Any:
    import httpx2

    # Both SDKs keep at most 100 idle connections. Keeping thousands would make
    # httpcore2's pool probe every idle socket on each request and close (O(n) each).
    return httpx2.Limits(max_connections=pool, max_keepalive_connections=100)


def _timeout() -> Any:
    import httpx2

    return httpx2.Timeout(600.0, connect=5.0)


async def _raw_side(base: str, query: dict[str, str], streams: int, pool: int) -> tuple[Any, ...]:
    import httpx2
    import trio

    tally = _Tally()
    url = base + "/chat/completions"
    payload = {"model": MODEL, "messages": MESSAGES, "stream": True}
    headers = {"authorization": f"Bearer {KEY}", "accept": "text/event-stream"}
    async with httpx2.AsyncClient(
        limits=_limits(pool), timeout=_timeout(), trust_env=False
    ) as client:

        async def one() -> None:
            count = chars = 0
            try:
                async with client.stream(
                    "POST", url, params=query, json=payload, headers=headers
                ) as response:
                    response.raise_for_status()
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            if line == "data: [DONE]":
                                break
                            chunk = json.loads(line[6:])
                            count += 1
                            if chunk["choices"] and (
                                content := chunk["choices"][0]["delta"].get("content")
                            ):
                                chars += len(content)
            except Exception as exc:
                tally.failed(exc)
                return
            tally.events.append(count)
            tally.chars += chars

        await _warm_up(one, tally)
        start = _clock()
        async with trio.open_nursery() as nursery:
            for _ in range(streams):
                nursery.start_soon(one)
        return tally, _clock(start)


async def _warm_up(one: Any, tally: _Tally) -> None:
    """One stream before the clock starts: imports, first-use code generation, a connection."""
    await one()
    if tally.errors or len(tally.events) != 1:
        msg = f"the warm-up stream failed: {dict(tally.errors)} {tally.events}"
        raise RuntimeError(msg)
    tally.events.clear()
    tally.chars = 0


async def _ours_side(base: str, query: dict[str, str], streams: int, pool: int) -> tuple[Any, ...]:
    import trio

    import trio_openai

    tally = _Tally()
    # The session's own pool (`trio_openai/_http/_pool.py`), as a user gets it without
    # http_client=, with this run's limits (the default ones unless --pool says otherwise).
    from trio_openai import _client
    from trio_openai._http import _pool

    if not _pool.lean_pool_applies():
        print("note: httpx2's own pool (not the versions ours is written for)", file=sys.stderr)
    _client.DEFAULT_LIMITS = _limits(pool)
    async with trio_openai.open_client(
        api_key=KEY, base_url=base, proxy=False, timeout=_timeout()
    ) as client:

        async def one() -> None:
            count = chars = 0
            try:
                async with client.chat.completions.stream(
                    model=MODEL, messages=MESSAGES, extra_query=query
                ) as stream:
                    async for chunk in stream:
                        count += 1
                        if chunk.choices and (content := chunk.choices[0].delta.content):
                            chars += len(content)
            except Exception as exc:
                tally.failed(exc)
                return
            tally.events.append(count)
            tally.chars += chars

        await _warm_up(one, tally)
        start = _clock()
        async with trio.open_nursery() as nursery:
            for _ in range(streams):
                nursery.start_soon(one)
        return tally, _clock(start)


async def _official_side(
    base: str, query: dict[str, str], streams: int, pool: int
) -> tuple[Any, ...]:
    import openai

    tally = _Tally()
    http = openai.DefaultAsyncHttpxClient(limits=_limits(pool), timeout=_timeout())
    client = openai.AsyncOpenAI(api_key=KEY, base_url=base, http_client=http)

    async def one() -> None:
        count = chars = 0
        try:
            stream = await client.chat.completions.create(
                model=MODEL,
                messages=MESSAGES,  # type: ignore[arg-type]
                stream=True,
                extra_query=query,
            )
            async with stream:
                async for chunk in stream:
                    count += 1
                    if chunk.choices and (content := chunk.choices[0].delta.content):
                        chars += len(content)
        except Exception as exc:
            tally.failed(exc)
            return
        tally.events.append(count)
        tally.chars += chars

    try:
        await _warm_up(one, tally)
        start = _clock()
        await asyncio.gather(*(one() for _ in range(streams)))
        return tally, _clock(start)
    finally:
        await client.close()


def _clock(start: tuple[float, float, int, float] | None = None) -> Any:
    """(wall, CPU, RSS KiB, pool CPU) now; with *start*: wall, CPU since; RSS, pool CPU then."""
    now = (time.perf_counter(), time.process_time(), _status_kib("VmRSS"), _POOL_CPU[0])
    if start is None:
        return now
    return now[0] - start[0], now[1] - start[1], start[2], start[3]


_POOL_CPU: list[float] = [0.0]  # the child's CPU in httpcore2's pool (see `_count_pool_cpu`)


def _count_pool_cpu() -> None:
    """Count the CPU spent in the connection pool's bookkeeping.

    The raw loop and the official SDK use httpcore2's ``AsyncConnectionPool``,
    whose pass over the requests and connections (one per request and per
    close) is O(requests + connections). trio_openai's session uses its own
    pool (``trio_openai/_http/_pool.py``), whose bookkeeping methods are
    counted instead (the outermost call only, as they call one another).
    """
    from httpcore2._async.connection_pool import AsyncConnectionPool

    from trio_openai._http._pool import LeanConnectionPool

    clock = time.process_time
    depth = [0]

    def counting(cls: type, name: str) -> None:
        method = getattr(cls, name)

        def counted(self: Any, *args: Any) -> Any:
            if depth[0]:
                return method(self, *args)
            depth[0] += 1
            start = clock()
            try:
                return method(self, *args)
            finally:
                _POOL_CPU[0] += clock() - start
                depth[0] -= 1

        setattr(cls, name, counted)

    counting(AsyncConnectionPool, "_assign_requests_to_connections")
    for name in ("_dispatch", "_leave", "_finished", "_unassign"):
        counting(LeanConnectionPool, name)


def child(side: str, port: int, streams: int, chunks: int, pool: int, interval: float) -> None:
    """Run one side and print its figures as one JSON line."""
    _count_pool_cpu()
    base = f"http://127.0.0.1:{port}/v1"
    query = {"n": str(chunks), "frame": "event"}
    if interval > 0:
        query["interval_ms"] = str(interval)
    if side == "official":
        tally, (wall, cpu, rss0, warm) = asyncio.run(_official_side(base, query, streams, pool))
    else:
        import trio

        run = _raw_side if side == "raw" else _ours_side
        tally, (wall, cpu, rss0, warm) = trio.run(run, base, query, streams, pool)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "pool_cpu": _POOL_CPU[0] - warm,
                "rss_before_kib": rss0,
                "peak_kib": _status_kib("VmHWM"),
                "complete": sum(1 for n in tally.events if n == chunks),
                "events": sum(tally.events),
                "chars": tally.chars,
                "errors": dict(tally.errors),
            }
        )
    )


# -- the parent: server, turns, table -----------------------------------------------------


def _server_stats(port: int) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/bench/stats"
    with urllib.request.urlopen(url, timeout=30) as r:
        stats: dict[str, Any] = json.load(r)
    return stats


def _run_side(side: str, port: int, args: argparse.Namespace, streams: int) -> dict[str, Any]:
    before = _server_stats(port)
    cmd = [
        sys.executable,
        __file__,
        "--child",
        side,
        "--port",
        str(port),
        "--streams",
        str(streams),
        "--chunks",
        str(args.chunks),
        "--pool",
        str(args.pool),
        "--interval-ms",
        str(args.interval_ms),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode != 0:
        msg = f"side {side} failed:\n{out.stderr[-3000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    after = _server_stats(port)
    result["server_cpu"] = after["cpu"] - before["cpu"]
    # Less the stats request and the warm-up stream.
    result["requests"] = sum(after["requests"]) - sum(before["requests"]) - 2
    return result


def _summary(runs: list[dict[str, Any]], streams: int) -> dict[str, float]:
    return {
        "wall": median([r["wall"] for r in runs]),
        "cpu": median([r["cpu"] for r in runs]),
        "pool_cpu": median([r["pool_cpu"] for r in runs]),
        "rss": median([(r["peak_kib"] - r["rss_before_kib"]) / streams for r in runs]),
        "complete": min(r["complete"] for r in runs),
        "server_cpu": median([r["server_cpu"] for r in runs]),
        "requests": max(r["requests"] for r in runs),
    }


def report(results: dict[str, list[dict[str, Any]]], streams: int, chunks: int) -> None:
    """Print one stream count's table, the work check and the targets."""
    names = [n for n in (RAW, OURS, OFFICIAL) if n in results]
    s = {n: _summary(results[n], streams) for n in names}
    base = s.get(RAW)
    rows = []
    for name in names:
        x = s[name]
        rows.append(
            [
                name,
                f"{x['wall']:.2f}",
                f"{x['cpu']:.2f}",
                f"{x['cpu'] / (streams * chunks) * 1e6:.0f}",
                f"{x['pool_cpu']:.2f}",
                f"{x['cpu'] - x['pool_cpu']:.2f}",
                f"{x['rss']:.1f}",
                f"{x['complete']:,} / {streams:,}",
                f"{x['requests']:,}",
                f"{x['server_cpu']:.2f}",
                f"{x['wall'] / base['wall']:.2f}x / {x['cpu'] / base['cpu']:.2f}x" if base else "",
            ]
        )
    rounds = len(next(iter(results.values())))
    print(f"\n{streams:,} concurrent streams x {chunks} chunks (median of {rounds})\n")
    print(
        table(
            [
                "client",
                "wall s",
                "CPU s",
                "µs CPU / chunk",
                "in the pool s",
                "above the pool s",
                "peak RSS KiB / stream",
                "complete",
                "requests",
                "server CPU s",
                "wall / CPU vs raw",
            ],
            rows,
        )
    )
    for name in names:
        errors: Counter[str] = Counter()
        for r in results[name]:
            errors.update(r["errors"])
        chars = {r["chars"] // max(r["complete"], 1) for r in results[name] if r["complete"]}
        extra = f"; errors: {dict(errors)}" if errors else ""
        print(f"  {name}: content characters per stream {sorted(chars)}{extra}")
    if base and OURS in s:
        ours = s[OURS]
        above = (ours["cpu"] - ours["pool_cpu"]) / (base["cpu"] - base["pool_cpu"])
        print(f"trio_openai CPU above its pool vs raw's above httpcore2's: {above:.2f}x")
        checks = [
            ("wall", ours["wall"] / base["wall"], WALL_TARGET),
            ("CPU", ours["cpu"] / base["cpu"], CPU_TARGET),
            ("RSS per stream", ours["rss"] / base["rss"], RSS_TARGET),
        ]
        for what, ratio, target in checks:
            verdict = "MET" if ratio <= target else "MISSED"
            print(f"target: trio_openai {what} <= {target}x raw: {ratio:.2f}x -> {verdict}")
        done = ours["complete"] == streams
        print(f"target: every trio_openai stream complete -> {'MET' if done else 'MISSED'}")


def pool_in_use() -> str:
    """Which connection pool trio_openai's sessions get here (its own, or httpx2's)."""
    from importlib.metadata import version

    from trio_openai._http._pool import WRITTEN_FOR, lean_pool_applies

    installed = ", ".join(f"{name} {version(name)}" for name in WRITTEN_FOR)
    if lean_pool_applies():
        return f"trio_openai's pool: LeanConnectionPool ({installed})"
    known = ", ".join(f"{name} {'/'.join(v)}" for name, v in WRITTEN_FOR.items())
    return (
        f"trio_openai's pool: httpx2's own, since {installed} is not a version LeanConnectionPool "
        f"was checked against ({known}): expect the figures of docs/benchmarks.md's 'before'"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--streams", default="2000,10000", help="comma-separated stream counts (default 2000,10000)"
    )
    parser.add_argument("--chunks", type=int, default=20, help="chunks per stream (default 20)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per side and count")
    parser.add_argument(
        "--pool", type=int, default=1000, help="most connections per client (default 1000)"
    )
    parser.add_argument(
        "--interval-ms", type=float, default=0.0, help="pace events this far apart (default 0)"
    )
    parser.add_argument(
        "--sides", default="raw,ours,official", help="which sides (raw,ours,official)"
    )
    parser.add_argument("--child", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.port, int(args.streams), args.chunks, args.pool, args.interval_ms)
        return
    print(machine())
    print(versions())
    print(f"soft limit on open files: {os.sysconf('SC_OPEN_MAX')}")
    print(pool_in_use())
    print()
    sides = [x for x in args.sides.split(",") if x in SIDES]
    if "official" in sides and not have_openai():
        sides.remove("official")
    with start_server() as port:
        for streams in (int(x) for x in args.streams.split(",")):
            results: dict[str, list[dict[str, Any]]] = {SIDES[x]: [] for x in sides}
            for r in range(args.rounds):
                for i in range(len(sides)):
                    side = sides[(i + r) % len(sides)]
                    result = _run_side(side, port, args, streams)
                    results[SIDES[side]].append(result)
                    print(
                        f"  {streams:,} streams, round {r + 1}: {SIDES[side]}: "
                        f"{result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU, "
                        f"{result['complete']:,} complete, server CPU "
                        f"{result['server_cpu']:.2f} s",
                        flush=True,
                    )
            report(results, streams, args.chunks)


if __name__ == "__main__":
    main()
