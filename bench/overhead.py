"""Client CPU time per non-streaming chat completion: floor vs trio_openai vs the official SDK.

    .venv/bin/python bench/overhead.py [--requests 1000] [--warmup 200] [--rounds 7]

A local server (``_server.py``, another process) answers every request with the
same realistic chat completion. Three clients, each with one keep-alive
connection, run under one ``trio.run``:

* floor: raw ``httpx2.AsyncClient.post(json=...)`` + ``json.loads`` (no types,
  no retries: the least any client must do);
* trio_openai: ``client.chat.completions.create(...)`` (typed attrs result);
* openai: the official ``AsyncOpenAI`` (typed pydantic result), if installed;
* with ``--reliability``, also trio_openai with every reliability feature on
  (two endpoints on the same server, least-in-flight routing, a breaker and a
  rate limiter on each): what opting in costs per call.

Each round makes *requests* sequential calls per client, the clients taking
turns in blocks of *block* calls (the order rotating), so that a change in the
machine's load hits all three alike. ``time.process_time()`` of this process is
summed over each client's blocks, so the server's CPU is not counted. The table
shows the median over the rounds; the garbage collector stays on, as in real use.

Targets: trio_openai within 1.25x the floor, and at most 0.5x the official SDK.
"""

from __future__ import annotations

import argparse
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

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hi! What can you do for me today?"},
]
MODEL = "gpt-4o-mini"
KEY = "sk-bench"

FLOOR_TARGET = 1.25
OFFICIAL_TARGET = 0.5

Call = Callable[[], Awaitable[str | None]]


async def _loop(call: Call, n: int) -> float:
    """Seconds of process CPU for *n* sequential calls."""
    start = time.process_time()
    for _ in range(n):
        await call()
    return time.process_time() - start


async def run(
    port: int,
    *,
    requests: int,
    block: int,
    warmup: int,
    rounds: int,
    peer: bool,
    reliability: bool = False,
) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{port}/v1"
    url = base + "/chat/completions"
    payload = {"model": MODEL, "messages": MESSAGES}
    auth = {"authorization": f"Bearer {KEY}"}

    async with (
        httpx2.AsyncClient(trust_env=False) as raw,
        trio_openai.open_client(api_key=KEY, base_url=base, max_retries=2) as ours,
        trio_openai.open_client(
            api_key=KEY,
            endpoints=[
                trio_openai.Endpoint(base, name="a"),
                trio_openai.Endpoint(base, name="b"),
            ],
            routing=trio_openai.Routing(strategy="least_in_flight"),
            breaker=trio_openai.CircuitBreaker(),
            rate_limit=trio_openai.RateLimit(requests_per_minute=1e9, tokens_per_minute=1e12),
        ) as reliable,
    ):
        official = None
        if peer:
            import openai

            official = openai.AsyncOpenAI(api_key=KEY, base_url=base, max_retries=2)
        try:

            async def floor() -> str | None:
                response = await raw.post(url, json=payload, headers=auth)
                response.raise_for_status()
                data = json.loads(response.content)
                return data["choices"][0]["message"]["content"]  # type: ignore[no-any-return]

            async def trio_openai_() -> str | None:
                chat = await ours.chat.completions.create(model=MODEL, messages=MESSAGES)
                return chat.choices[0].message.content

            async def openai_() -> str | None:
                assert official is not None
                chat = await official.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
                return chat.choices[0].message.content

            async def reliable_() -> str | None:
                chat = await reliable.chat.completions.create(model=MODEL, messages=MESSAGES)
                return chat.choices[0].message.content

            calls: dict[str, Call] = {"floor (httpx2 + json)": floor, "trio_openai": trio_openai_}
            if official is not None:
                calls["openai (official)"] = openai_
            if reliability:
                calls["trio_openai + reliability"] = reliable_

            answers = {name: await call() for name, call in calls.items()}
            if len(set(answers.values())) != 1:
                msg = f"the clients disagree: {answers}"
                raise AssertionError(msg)
            for call in calls.values():
                await _loop(call, warmup)

            results: dict[str, list[float]] = {name: [] for name in calls}
            names = list(calls)
            blocks = max(1, requests // block)
            for r in range(rounds):
                spent = dict.fromkeys(names, 0.0)
                for b in range(blocks):
                    for i in range(len(names)):
                        name = names[(i + b + r) % len(names)]
                        spent[name] += await _loop(calls[name], block)
                for name in names:
                    results[name].append(spent[name] / (blocks * block))
                print(
                    f"  round {r + 1}/{rounds}: "
                    + ", ".join(f"{n} {results[n][-1] * 1e3:.3f} ms" for n in names),
                    flush=True,
                )

            stats = json.loads((await raw.get(f"http://127.0.0.1:{port}/bench/stats")).content)
            print(
                f"  server: {stats['connections']} connections for {len(calls)} clients "
                f"(requests per connection: {stats['requests']})"
            )
        finally:
            if official is not None:
                await official.close()
    return results


def report(results: dict[str, list[float]], *, requests: int, rounds: int) -> bool | None:
    names = list(results)
    med = {n: median(v) for n, v in results.items()}
    floor = med[names[0]]
    official = med.get("openai (official)")
    rows = []
    for name in names:
        spread = f"{min(results[name]) * 1e3:.3f}-{max(results[name]) * 1e3:.3f}"
        rows.append(
            [
                name,
                f"{med[name] * 1e3:.3f}",
                spread,
                f"{med[name] / floor:.2f}x",
                f"{med[name] / official:.2f}x" if official else "n/a",
            ]
        )
    print()
    print(
        f"Client CPU per non-streaming chat completion (median of {rounds} rounds "
        f"x {requests} requests)\n"
    )
    print(table(["client", "ms CPU / request", "range", "vs floor", "vs official"], rows))
    ours = med["trio_openai"]
    ok_floor = ours / floor <= FLOOR_TARGET
    per_round = sorted(
        o / f for o, f in zip(results["trio_openai"], results[names[0]], strict=True)
    )
    print()
    print(
        f"per-round ratio trio_openai / floor: median {median(per_round):.2f}x "
        f"(range {per_round[0]:.2f}-{per_round[-1]:.2f}x)"
    )
    print(
        f"target: trio_openai <= {FLOOR_TARGET}x floor: {ours / floor:.2f}x -> "
        f"{'MET' if ok_floor else 'MISSED'}"
    )
    ok_official: bool | None = None
    if official:
        ok_official = ours / official <= OFFICIAL_TARGET
        print(
            f"target: trio_openai <= {OFFICIAL_TARGET}x official: {ours / official:.2f}x -> "
            f"{'MET' if ok_official else 'MISSED'}"
        )
    else:
        print("target vs official: not measured (peer missing)")
    return ok_floor and ok_official is not False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="per client per round")
    parser.add_argument("--block", type=int, default=100, help="calls per turn")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--reliability", action="store_true", help="add a client with every reliability feature on"
    )
    args = parser.parse_args()
    print(machine())
    print(versions())
    print()
    peer = have_openai()
    with start_server() as port:
        results = trio.run(
            lambda: run(
                port,
                requests=args.requests,
                block=args.block,
                warmup=args.warmup,
                rounds=args.rounds,
                peer=peer,
                reliability=args.reliability,
            )
        )
    report(results, requests=args.requests, rounds=args.rounds)


if __name__ == "__main__":
    main()
