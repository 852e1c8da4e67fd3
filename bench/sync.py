"""What the sync client's background loop costs: vs the async client and the official sync SDK.

    .venv/bin/python bench/sync.py [--requests 500] [--chunks 2000] [--rounds 5]

A local server (``_server.py``, another process) answers chat completions, and
streams of *chunks* chunks. Measured per client, sequentially, one keep-alive
connection each:

* trio_openai async: ``await client.chat.completions.create(...)`` under ``trio.run``
  (the floor of the sync client: it runs exactly this on its loop);
* trio_openai SyncClient: the same call, blocking, through the loop thread;
* openai sync: the official ``OpenAI`` client (httpx2's sync transport, no thread).

Reported: wall-clock microseconds per call and per streamed chunk, and this
process's CPU per call (both threads count), the median over *rounds*.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trio
from _common import have_openai, machine, median, start_server, table, versions

import trio_openai

MESSAGES = [{"role": "user", "content": "Hi! What can you do for me today?"}]
MODEL = "gpt-4o-mini"
KEY = "sk-bench"

Measure = Callable[[], tuple[float, float]]  # -> (wall s, cpu s)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _async_client(base: str, requests: int, chunks: int) -> tuple[Measure, Measure]:
    async def calls(client: trio_openai.Client) -> None:
        for _ in range(requests):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    async def stream(client: trio_openai.Client) -> None:
        async with client.chat.completions.stream(
            model=MODEL, messages=MESSAGES, extra_headers={"x-bench-chunks": str(chunks)}
        ) as events:
            async for _ in events:
                pass

    def run(body: Callable[[trio_openai.Client], object]) -> tuple[float, float]:
        async def main() -> tuple[float, float]:
            async with trio_openai.open_client(api_key=KEY, base_url=base) as client:
                await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # warm up
                wall, cpu = time.perf_counter(), time.process_time()
                await body(client)  # type: ignore[misc]
                return time.perf_counter() - wall, time.process_time() - cpu

        return trio.run(main)

    return (lambda: run(calls)), (lambda: run(stream))


def _sync_client(
    client: trio_openai.SyncClient, requests: int, chunks: int
) -> tuple[Measure, Measure]:
    def calls() -> None:
        for _ in range(requests):
            client.chat.completions.create(model=MODEL, messages=MESSAGES)

    def stream() -> None:
        with client.chat.completions.stream(
            model=MODEL, messages=MESSAGES, extra_headers={"x-bench-chunks": str(chunks)}
        ) as events:
            for _ in events:
                pass

    return (lambda: _timed(calls)), (lambda: _timed(stream))


def _official(client: object, requests: int, chunks: int) -> tuple[Measure, Measure]:
    def calls() -> None:
        for _ in range(requests):
            client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[attr-defined]

    def stream() -> None:
        events = client.chat.completions.create(  # type: ignore[attr-defined]
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            extra_headers={"x-bench-chunks": str(chunks)},
        )
        for _ in events:
            pass

    return (lambda: _timed(calls)), (lambda: _timed(stream))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    official_ok = have_openai()

    with start_server() as port:
        base = f"http://127.0.0.1:{port}/v1"
        sync = trio_openai.SyncClient(api_key=KEY, base_url=base)
        sync.chat.completions.create(model=MODEL, messages=MESSAGES)
        subjects: dict[str, tuple[Measure, Measure]] = {
            "trio_openai async (floor)": _async_client(base, args.requests, args.chunks),
            "trio_openai SyncClient": _sync_client(sync, args.requests, args.chunks),
        }
        if official_ok:
            import openai

            official = openai.OpenAI(api_key=KEY, base_url=base)
            official.chat.completions.create(model=MODEL, messages=MESSAGES)
            subjects["openai sync (official)"] = _official(official, args.requests, args.chunks)

        results: dict[str, dict[str, list[float]]] = {
            name: {"call": [], "cpu": [], "chunk": []} for name in subjects
        }
        for _ in range(args.rounds):
            for name, (calls, stream) in subjects.items():
                wall, cpu = calls()
                results[name]["call"].append(wall / args.requests)
                results[name]["cpu"].append(cpu / args.requests)
                wall, _ = stream()
                results[name]["chunk"].append(wall / args.chunks)
        sync.close()

    floor = median(results["trio_openai async (floor)"]["call"])
    rows = []
    for name, r in results.items():
        call = median(r["call"])
        rows.append(
            [
                name,
                f"{call * 1e6:.0f}",
                f"{median(r['cpu']) * 1e6:.0f}",
                f"{median(r['chunk']) * 1e6:.1f}",
                f"{call / floor:.2f}x",
            ]
        )
    print(f"{machine()}\n{versions()}\n")
    rounds = f"median of {args.rounds}"
    print(f"{args.requests} calls and a {args.chunks}-chunk stream per round, {rounds}\n")
    print(
        table(
            ["client", "µs / call (wall)", "µs CPU / call", "µs / chunk (wall)", "call vs async"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
