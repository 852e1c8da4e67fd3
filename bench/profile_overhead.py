"""Where trio_openai's CPU goes per non-streaming chat completion (a diagnostic, not a bench).

    .venv/bin/python bench/profile_overhead.py [--requests 1000] [--rounds 5] [--sample]

Three views, against the local server (``_server.py``, another process):

1. Stages: each CPU-only stage of one call timed in isolation (best of 7 loops,
   ``time.process_time()``), next to what the floor (raw httpx2 + ``json.loads``)
   does in its place.
2. Ablation: the real loop (as in ``overhead.py``) with one part of our
   pipeline switched off at a time: the retry loop (``max_retries=0``), the
   typed decode (``json.loads`` only, patched in this process: the library is
   not changed); what each saves end to end. (The leaner send path this
   ablation once sketched is now the client's own.)
3. With ``--sample``, a sampling profile: pyinstrument (wall clock, 1 ms
   interval) over a loop of real calls, for the floor and for us; time waiting
   in epoll is excluded.
   Printed: time per request by package (self time) and the inclusive time of
   trio_openai's own functions. (A CPU clock is not used: pyinstrument reads
   its clock on every call event, and ``process_time`` is a system call.)

pyinstrument is not a dependency: ``uv pip install -p .venv/bin/python pyinstrument``.
Without it ``--sample`` is skipped. Its numbers are wall clock, so on a busy
machine they run high; compare the two columns, not the absolute values.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
import trio
from _common import machine, start_server, table, versions
from _server import COMPLETION_BYTES

import trio_openai

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hi! What can you do for me today?"},
]
MODEL = "gpt-4o-mini"
KEY = "sk-bench"


def _best(fn: Callable[[], object], n: int = 3000, rep: int = 7) -> float:
    best = float("inf")
    for _ in range(rep):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return best


async def _abest(fn: Callable[[], Awaitable[object]], n: int = 3000, rep: int = 7) -> float:
    best = float("inf")
    for _ in range(rep):
        start = time.process_time()
        for _ in range(n):
            await fn()
        best = min(best, (time.process_time() - start) / n)
    return best


async def stages(port: int) -> list[list[str]]:
    """Each CPU-only stage of a call, in isolation (no network)."""
    import uuid

    from trio_openai._convert import _decode
    from trio_openai._http import _build
    from trio_openai._reliability import _retry
    from trio_openai.types.chat import CreateChatCompletionResponse

    base = f"http://127.0.0.1:{port}/v1"
    rows: list[list[str]] = []

    def row(stage: str, ours: float | None, floor: float | None, note: str = "") -> None:
        rows.append(
            [
                stage,
                f"{ours * 1e6:.1f}" if ours is not None else "-",
                f"{floor * 1e6:.1f}" if floor is not None else "-",
                f"{((ours or 0) - (floor or 0)) * 1e6:+.1f}",
                note,
            ]
        )

    async with (
        trio_openai.open_client(api_key=KEY, base_url=base) as client,
        httpx2.AsyncClient(trust_env=False) as raw,
    ):
        completions = client.chat.completions
        build = type(completions).create._build  # type: ignore[attr-defined]
        http, options = client.http_client, client.options
        spec = build(completions, model=MODEL, messages=MESSAGES)
        payload = {"model": MODEL, "messages": MESSAGES}
        url = base + "/chat/completions"

        row(
            "method call -> RequestSpec (args, body_of)",
            _best(lambda: build(completions, model=MODEL, messages=MESSAGES)),
            None,
            "resources/chat.py create()",
        )
        row(
            "`client.chat.completions.create` lookup",
            _best(lambda: client.chat.completions.create),
            None,
            "descriptor makes a BoundMethod per access",
        )

        builder = _build.RequestBuilder(http, options)

        async def ours_build() -> httpx2.Request:
            return await builder.build(spec, accept="application/json")

        row(
            "build the httpx2.Request",
            await _abest(ours_build),
            _best(lambda: raw.build_request("POST", url, json=payload, headers={"a": "b"})),
            "_build.RequestBuilder.build vs httpx2 build_request(json=...)",
        )
        row("  of which: uuid.uuid4()", _best(lambda: str(uuid.uuid4())), None)
        row(
            "  of which: to_jsonable + json.dumps",
            _best(
                lambda: json.dumps(
                    _build.to_jsonable(dict(spec.body)), separators=(",", ":"), ensure_ascii=False
                ).encode()
            ),
            _best(lambda: json.dumps(payload).encode()),
        )
        request = await ours_build()

        async def attempt() -> int:
            return 1

        policy = options.retry
        row(
            "retry loop around one successful attempt",
            await _abest(lambda: _retry.run_with_retries(policy, attempt)),
            None,
            "first attempt outside stamina's loop",
        )
        response = httpx2.Response(200, content=COMPLETION_BYTES, request=request)
        row(
            "decode: JSON -> CreateChatCompletionResponse",
            _best(
                lambda: _decode.decode_json(
                    COMPLETION_BYTES, CreateChatCompletionResponse, response
                )
            ),
            _best(lambda: json.loads(COMPLETION_BYTES)),
            "json.loads + cattrs structure",
        )
    return rows


# -- ablation: the real loop with parts of our pipeline switched off -----------------------


async def ablation(port: int, requests: int, rounds: int) -> list[list[str]]:
    """End-to-end CPU per request of our client with one part removed at a time."""
    from trio_openai import _client

    base = f"http://127.0.0.1:{port}/v1"
    payload = {"model": MODEL, "messages": MESSAGES}

    def untyped(content: bytes, tp: Any, response: Any) -> Any:
        return json.loads(content)

    async with (
        trio_openai.open_client(api_key=KEY, base_url=base) as client,
        trio_openai.open_client(api_key=KEY, base_url=base, max_retries=0) as no_retry,
        httpx2.AsyncClient(trust_env=False) as raw,
    ):

        async def floor() -> None:
            response = await raw.post(base + "/chat/completions", json=payload, headers={"a": "b"})
            json.loads(response.content)

        def ours(c: Any) -> Callable[[], Awaitable[object]]:
            return lambda: c.chat.completions.create(model=MODEL, messages=MESSAGES)

        # name -> (call, patches of trio_openai._client for this variant)
        variants: dict[str, tuple[Callable[[], Awaitable[object]], dict[str, Any]]] = {
            "floor (httpx2 + json.loads)": (floor, {}),
            "trio_openai (default)": (ours(client), {}),
            "  max_retries=0 (no stamina loop)": (ours(no_retry), {}),
            "  untyped decode (json.loads only)": (ours(client), {"decode_json": untyped}),
        }
        originals = {name: getattr(_client, name) for name in ("decode_json", "send_spec")}

        def apply(patches: dict[str, Any]) -> None:
            for name, value in originals.items():
                setattr(_client, name, patches.get(name, value))

        samples: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        try:
            for call, patches in variants.values():
                apply(patches)
                for _ in range(200):
                    await call()
            block = 100  # calls per turn: load changes hit every variant alike
            blocks = max(1, requests // block)
            for r in range(rounds):
                spent = dict.fromkeys(names, 0.0)
                for b in range(blocks):
                    for i in range(len(names)):
                        name = names[(i + b + r) % len(names)]
                        call, patches = variants[name]
                        apply(patches)
                        start = time.process_time()
                        for _ in range(block):
                            await call()
                        spent[name] += time.process_time() - start
                for name in names:
                    samples[name].append(spent[name] / (blocks * block))
        finally:
            apply({})
    med = {n: statistics.median(v) for n, v in samples.items()}
    default = med["trio_openai (default)"]
    return [
        [name, f"{med[name] * 1e6:.0f}", f"{(default - med[name]) * 1e6:+.0f}"
         if name.startswith("  ") else "", f"{med[name] / med[names[0]]:.2f}x"]
        for name in names
    ]  # fmt: skip


# -- sampling profile ---------------------------------------------------------------------

_PACKAGES = ("trio_openai", "httpx2", "httpcore2", "h11", "trio", "stamina", "tenacity", "cattrs",
             "attrs", "outcome", "sniffio", "json", "uuid", "logging", "contextlib", "asyncio",
             "typing", "functools", "enum", "re", "urllib")  # fmt: skip


def _package(path: str | None) -> str:
    if not path:
        return "(other)"
    if path.startswith("<attrs generated"):
        return "attrs (generated methods)"
    parts = Path(path).parts
    for name in parts[:-1]:  # outermost first: tenacity/asyncio/ is tenacity
        if name in _PACKAGES:
            return name
    if Path(path).stem in _PACKAGES:
        return Path(path).stem
    return "stdlib/other"


def _walk(
    frame: Any, by_package: dict[str, float], ours: dict[str, float], stack: frozenset[str]
) -> None:
    if frame.is_synthetic:
        return  # counted in its parent's total_self_time
    package = _package(frame.file_path)
    if frame.function == "get_events" and package == "trio":
        by_package["(idle: waiting in epoll)"] += frame.time
        return
    by_package[package] += frame.total_self_time
    key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
    if package == "trio_openai" and key not in stack:
        ours[key] += frame.time
        stack = stack | {key}
    for child in frame.children:
        _walk(child, by_package, ours, stack)


async def sample(port: int, requests: int) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """pyinstrument (wall clock, idle time removed) over a loop of real calls, per request."""
    from pyinstrument import Profiler

    base = f"http://127.0.0.1:{port}/v1"
    payload = {"model": MODEL, "messages": MESSAGES}
    results: dict[str, dict[str, float]] = {}
    ours_functions: dict[str, float] = {}
    async with (
        trio_openai.open_client(api_key=KEY, base_url=base) as client,
        httpx2.AsyncClient(trust_env=False) as raw,
    ):

        async def floor() -> None:
            response = await raw.post(base + "/chat/completions", json=payload, headers={"a": "b"})
            json.loads(response.content)

        async def ours() -> None:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)

        for name, call in (("floor", floor), ("trio_openai", ours)):
            for _ in range(200):
                await call()
            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
            for _ in range(requests):
                await call()
            session = profiler.stop()
            by_package: dict[str, float] = defaultdict(float)
            functions: dict[str, float] = defaultdict(float)
            _walk(session.root_frame(), by_package, functions, frozenset())
            busy = sum(v for k, v in by_package.items() if not k.startswith("(idle"))
            results[name] = {k: v / requests for k, v in by_package.items()}
            results[name]["(total busy)"] = busy / requests
            if name == "trio_openai":
                ours_functions = {k: v / requests for k, v in functions.items()}
    return results, ours_functions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="per round / profile")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", action="store_true", help="add the pyinstrument profile")
    args = parser.parse_args()
    print(machine())
    print(versions())
    with start_server() as port:
        rows = trio.run(stages, port)
        print("\nStages of one call, CPU in isolation (us; best of 7 loops)\n")
        print(table(["stage", "trio_openai", "floor", "extra", "where"], rows))
        rows = trio.run(ablation, port, args.requests, args.rounds)
        print(
            f"\nEnd to end with parts switched off (us CPU per request; median of "
            f"{args.rounds} rounds x {args.requests})\n"
        )
        print(table(["variant", "us CPU / request", "saves", "vs floor"], rows))
        if not args.sample:
            return
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            print("\n(pyinstrument not installed: no sampling profile)")
            return
        by_package, functions = trio.run(sample, port, args.requests)
    ours, floor = by_package["trio_openai"], by_package["floor"]
    packages = sorted(set(floor) | set(ours), key=lambda p: -(ours.get(p, 0.0) - floor.get(p, 0.0)))
    print(
        f"\nSampled time per request by package, self time, idle excluded "
        f"(us, wall clock; {args.requests} requests)\n"
    )
    print(
        table(
            ["package", "trio_openai", "floor", "extra"],
            [
                [p, f"{ours.get(p, 0.0) * 1e6:.1f}", f"{floor.get(p, 0.0) * 1e6:.1f}",
                 f"{(ours.get(p, 0.0) - floor.get(p, 0.0)) * 1e6:+.1f}"]
                for p in packages
                if max(ours.get(p, 0.0), floor.get(p, 0.0)) >= 0.5e-6
            ],
        )
    )  # fmt: skip
    busy = ours["(total busy)"]
    top = sorted(functions.items(), key=lambda kv: -kv[1])[:22]
    print("\ntrio_openai functions, inclusive sampled time per request (idle excluded)\n")
    print(
        table(
            ["function", "us / request", "% of busy"],
            [[k, f"{v * 1e6:.1f}", f"{v / busy * 100:.0f}%"] for k, v in top],
        )
    )


if __name__ == "__main__":
    main()
