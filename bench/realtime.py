"""Realtime over WebSockets: audio append throughput and server-event decode rate.

    .venv/bin/python bench/realtime.py [--seconds 600] [--events 20000] [--rounds 5]

A local trio-websocket server runs in another process (this script with
``--serve``): it reads and drops the client's messages, and on
``{"type": "bench.flood", "n": N}`` sends N realistic, pre-rendered server events
(one ``response.output_audio.delta`` of 100 ms of audio for every two
``response.output_audio_transcript.delta``) and a ``response.done``.

Two measurements, each client in turn (order rotating every round), median of the
rounds; CPU is ``time.process_time()`` of this process only:

* **append**: *seconds* of 24 kHz mono PCM16 sent as ``input_audio_buffer.append``
  events of 1 s each, then a ping (so that every byte was taken by the server).
  floor: raw trio-websocket, ``base64`` + ``json.dumps`` per chunk;
  trio_openai: ``conn.input_audio_buffer.append_pcm16(pcm)``.
  Reported as MB/s of PCM and as a multiple of real time (48,000 bytes/s).
* **decode**: *events* server events read to the end.
  floor: raw trio-websocket ``get_message()`` + ``json.loads`` (untyped dicts);
  trio_openai: ``async for event in conn`` (typed attrs events, session state kept).

Target: appending at least 200x real time (one core), i.e. 9.6 MB/s of PCM.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trio
import trio_websocket
from _common import machine, median, table, versions

import trio_openai
from trio_openai.realtime import Keepalive, tone

RATE = 24_000
BYTES_PER_SECOND = 2 * RATE
TARGET = 200.0
KEY = "sk-bench"


# -- the server (another process) ---------------------------------------------------------


def _events() -> list[str]:
    audio = base64.b64encode(tone(220.0, 0.1)).decode()
    where = '"response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0'
    out = []
    for i in range(3):
        if i == 0:
            out.append(
                f'{{"type":"response.output_audio.delta","event_id":"event_{i}",{where},'
                f'"delta":"{audio}"}}'
            )
        else:
            out.append(
                f'{{"type":"response.output_audio_transcript.delta","event_id":"event_{i}",'
                f'{where},"delta":" word"}}'
            )
    return out


DONE = json.dumps(
    {
        "type": "response.done",
        "event_id": "event_done",
        "response": {"object": "realtime.response", "id": "resp_1", "status": "completed"},
    }
)


async def _serve() -> None:
    events = _events()

    async def handler(request: trio_websocket.WebSocketRequest) -> None:
        ws = await request.accept()
        try:
            while True:
                message = await ws.get_message()
                if '"bench.flood"' in message[:40]:
                    n = json.loads(message)["n"]
                    for i in range(n):
                        await ws.send_message(events[i % 3])
                    await ws.send_message(DONE)
        except trio_websocket.ConnectionClosed:
            pass

    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            lambda task_status: trio_websocket.serve_websocket(
                handler,
                "127.0.0.1",
                0,
                None,
                max_message_size=64 * 1024 * 1024,
                message_queue_size=64,
                receive_buffer_size=64 * 1024,
                task_status=task_status,
            )
        )
        sys.stdout.write(f"{server.port}\n")
        sys.stdout.flush()
        await trio.to_thread.run_sync(sys.stdin.read)  # until the parent closes stdin
        nursery.cancel_scope.cancel()


@contextmanager
def start_server() -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            msg = "the bench server did not start"
            raise RuntimeError(msg)
        yield int(line)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the clients --------------------------------------------------------------------------

Run = Callable[[], Awaitable[int]]


async def _measure(run: Run) -> tuple[float, float, int]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = await run()
    return time.perf_counter() - wall, time.process_time() - cpu, count


async def bench(
    port: int, *, seconds: int, events: int, rounds: int
) -> dict[str, list[tuple[float, float, int]]]:
    pcm = tone(440.0, 1.0) * seconds
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    results: dict[str, list[tuple[float, float, int]]] = {}
    async with (
        trio_websocket.open_websocket_url(
            url,
            max_message_size=64 * 1024 * 1024,
            message_queue_size=64,
            receive_buffer_size=64 * 1024,
        ) as raw,
        trio_openai.open_client(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1") as client,
        client.realtime.connect(model="gpt-realtime", keepalive=Keepalive()) as conn,
    ):

        async def floor_append() -> int:
            for i in range(0, len(pcm), BYTES_PER_SECOND):
                audio = base64.b64encode(pcm[i : i + BYTES_PER_SECOND]).decode()
                await raw.send_message(
                    json.dumps({"type": "input_audio_buffer.append", "audio": audio})
                )
            await raw.ping()
            return len(pcm)

        async def ours_append() -> int:
            sent = await conn.input_audio_buffer.append_pcm16(pcm)
            await conn._ws.ping()  # every byte reached the server
            return sent

        async def floor_decode() -> int:
            await raw.send_message(json.dumps({"type": "bench.flood", "n": events}))
            count = 0
            while True:
                event = json.loads(await raw.get_message())
                count += 1
                if event["type"] == "response.done":
                    return count - 1

        async def ours_decode() -> int:
            await conn.send({"type": "bench.flood", "n": events})
            count = 0
            async for event in conn:
                count += 1
                if event.type == "response.done":
                    return count - 1
            return count

        runs: dict[str, Run] = {
            "append: floor (trio-websocket + base64 + json)": floor_append,
            "append: trio_openai (append_pcm16)": ours_append,
            "decode: floor (trio-websocket + json.loads)": floor_decode,
            "decode: trio_openai (typed events)": ours_decode,
        }
        for run in runs.values():  # warm-up
            await run()
        names = list(runs)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                results.setdefault(name, []).append(await _measure(runs[name]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=600, help="audio seconds per append run")
    parser.add_argument("--events", type=int, default=20_000, help="server events per decode run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        trio.run(_serve)
        return 0

    print(machine())
    print(versions())
    print(f"append: {args.seconds} s of 24 kHz PCM16 in 1 s events; decode: {args.events} events")
    print()
    with start_server() as port:
        results = trio.run(
            lambda: bench(port, seconds=args.seconds, events=args.events, rounds=args.rounds)
        )
    rows = []
    speeds: dict[str, float] = {}
    for name, samples in results.items():
        wall = median([s[0] for s in samples])
        cpu = median([s[1] for s in samples])
        count = samples[0][2]
        if name.startswith("append"):
            mbps = count / wall / 1e6
            speeds[name] = count / BYTES_PER_SECOND / wall
            rows.append(
                [
                    name,
                    f"{mbps:.1f} MB/s",
                    f"{speeds[name]:.0f}x real time",
                    f"{cpu / (count / BYTES_PER_SECOND) * 1e6:.0f} µs CPU / audio s",
                ]
            )
        else:
            rows.append(
                [
                    name,
                    f"{count / wall:,.0f} events/s",
                    f"{cpu / count * 1e6:.1f} µs CPU / event",
                    "",
                ]
            )
    print(table(["client", "rate", "", "cost"], rows))
    ours = speeds["append: trio_openai (append_pcm16)"]
    print()
    print(
        f"target: append >= {TARGET:.0f}x real time: {ours:.0f}x -> "
        f"{'met' if ours >= TARGET else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
