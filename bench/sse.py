"""Typed chat chunks per second over one long stream: floor vs trio_openai vs the official SDK.

    .venv/bin/python bench/sse.py [--chunks 10000] [--rounds 5]

A local server (``_server.py``, another process) answers a streamed chat
completion with *chunks* realistic ``chat.completion.chunk`` events (about 300
bytes each) and ``data: [DONE]``, in 32 KiB chunked-encoding frames. Per round,
each client reads one whole stream (the clients take turns, the order rotating
every round):

* floor: raw ``httpx2`` ``aiter_bytes`` + split into lines + ``json.loads`` of
  each ``data:`` line (untyped dicts);
* trio_openai: ``client.chat.completions.stream(...)`` (typed attrs chunks);
* openai: the official ``create(..., stream=True)`` (typed pydantic chunks).

Reported: chunks per second of wall time and microseconds of this process's
CPU (``time.process_time()``) per chunk, median over the rounds, from sending
the request to the end of the stream.

Targets: trio_openai reads at least 4x as many chunks per second as the official
SDK, and spends at most 1.5x the floor's CPU per chunk (typed attrs chunks against
untyped dicts).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
import trio
from _common import have_openai, machine, median, start_server, table, versions

import trio_openai

MESSAGES = [{"role": "user", "content": "Write a long story about structured concurrency."}]
MODEL = "gpt-4o-mini"
KEY = "sk-bench"

RATE_TARGET = 4.0
CPU_TARGET = 1.5

Read = Callable[[], Awaitable[tuple[int, int]]]  # -> (chunks, characters of content)


async def _measure(read: Read, expected: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to read one whole stream."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    chunks, _ = await read()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if chunks != expected:
        msg = f"read {chunks} chunks, expected {expected}"
        raise AssertionError(msg)
    return wall, cpu


async def run(
    port: int, *, chunks: int, rounds: int, peer: bool
) -> dict[str, list[tuple[float, float]]]:
    base = f"http://127.0.0.1:{port}/v1"
    url = base + "/chat/completions"
    query = {"n": str(chunks)}
    payload = {"model": MODEL, "messages": MESSAGES, "stream": True}
    headers = {"authorization": f"Bearer {KEY}", "accept": "text/event-stream"}

    async with (
        httpx2.AsyncClient(trust_env=False) as raw,
        trio_openai.open_client(api_key=KEY, base_url=base, max_retries=2) as ours,
    ):
        official = None
        if peer:
            import openai

            official = openai.AsyncOpenAI(api_key=KEY, base_url=base, max_retries=2)
        try:

            async def floor() -> tuple[int, int]:
                count = size = 0
                async with raw.stream(
                    "POST", url, params=query, json=payload, headers=headers
                ) as response:
                    response.raise_for_status()
                    buffer = b""
                    async for data in response.aiter_bytes():
                        lines = (buffer + data).split(b"\n")
                        buffer = lines.pop()
                        for line in lines:
                            if line.startswith(b"data: "):
                                if line == b"data: [DONE]":
                                    break
                                chunk = json.loads(line[6:])
                                count += 1
                                if chunk["choices"] and (
                                    content := chunk["choices"][0]["delta"].get("content")
                                ):
                                    size += len(content)
                return count, size

            async def trio_openai_() -> tuple[int, int]:
                count = size = 0
                async with ours.chat.completions.stream(
                    model=MODEL, messages=MESSAGES, extra_query=query
                ) as stream:
                    async for chunk in stream:
                        count += 1
                        if chunk.choices and (content := chunk.choices[0].delta.content):
                            size += len(content)
                return count, size

            async def openai_() -> tuple[int, int]:
                assert official is not None
                count = size = 0
                stream = await official.chat.completions.create(
                    model=MODEL,
                    messages=MESSAGES,  # type: ignore[arg-type]
                    stream=True,
                    extra_query=query,
                )
                async with stream:
                    async for chunk in stream:
                        count += 1
                        if chunk.choices and (content := chunk.choices[0].delta.content):
                            size += len(content)
                return count, size

            reads: dict[str, Read] = {"floor (httpx2 + json)": floor, "trio_openai": trio_openai_}
            if official is not None:
                reads["openai (official)"] = openai_

            # Warm-up, and a check that every client saw the same stream.
            seen = {name: await read() for name, read in reads.items()}
            if len(set(seen.values())) != 1 or next(iter(seen.values()))[0] != chunks:
                msg = f"the clients disagree: {seen}"
                raise AssertionError(msg)

            results: dict[str, list[tuple[float, float]]] = {name: [] for name in reads}
            names = list(reads)
            for r in range(rounds):
                for i in range(len(names)):
                    name = names[(i + r) % len(names)]
                    results[name].append(await _measure(reads[name], chunks))
                print(
                    f"  round {r + 1}/{rounds}: "
                    + ", ".join(
                        f"{n} {chunks / results[n][-1][0]:,.0f}/s "
                        f"{results[n][-1][1] / chunks * 1e6:.1f} us CPU"
                        for n in names
                    ),
                    flush=True,
                )
        finally:
            if official is not None:
                await official.close()
    return results


def report(results: dict[str, list[tuple[float, float]]], *, chunks: int, rounds: int) -> None:
    names = list(results)
    rate = {n: median([chunks / wall for wall, _ in v]) for n, v in results.items()}
    cpu = {n: median([c / chunks for _, c in v]) for n, v in results.items()}
    floor = names[0]
    official = "openai (official)" if "openai (official)" in results else None
    rows = [
        [
            name,
            f"{rate[name]:,.0f}",
            f"{cpu[name] * 1e6:.1f}",
            f"{cpu[name] / cpu[floor]:.2f}x",
            f"{rate[name] / rate[official]:.2f}x" if official else "n/a",
        ]
        for name in names
    ]
    print()
    print(f"One chat stream of {chunks:,} typed chunks (median of {rounds} rounds)\n")
    print(
        table(
            ["client", "chunks / s", "us CPU / chunk", "CPU vs floor", "rate vs official"],
            rows,
        )
    )
    print()
    ratio = cpu["trio_openai"] / cpu[floor]
    print(
        f"target: trio_openai's CPU per chunk <= {CPU_TARGET}x the floor's: {ratio:.2f}x -> "
        f"{'MET' if ratio <= CPU_TARGET else 'MISSED'}"
    )
    if official:
        ratio = rate["trio_openai"] / rate[official]
        print(
            f"target: trio_openai >= {RATE_TARGET}x the official rate: {ratio:.2f}x -> "
            f"{'MET' if ratio >= RATE_TARGET else 'MISSED'}"
        )
    else:
        print("target vs official: not measured (peer missing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    print(versions())
    print()
    peer = have_openai()
    with start_server() as port:
        results = trio.run(lambda: run(port, chunks=args.chunks, rounds=args.rounds, peer=peer))
    report(results, chunks=args.chunks, rounds=args.rounds)


if __name__ == "__main__":
    main()
