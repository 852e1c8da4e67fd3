"""A small, fast local OpenAI-like HTTP/1.1 server for the benchmarks (stdlib only).

Run as its own process: ``python bench/_server.py`` listens on 127.0.0.1, port 0,
prints the port on the first line of stdout, and serves until stdin closes (or
it is killed). The benchmarks start it with `start_server` in ``_common.py``.

``POST /v1/chat/completions`` answers:

* with one fixed, realistic chat completion (JSON, ``Content-Length``), or
* when the body has ``"stream": true``, an SSE stream of *N* realistic
  ``chat.completion.chunk`` events (about 300 bytes each, like the real API's)
  and ``data: [DONE]``, sent with chunked transfer encoding in 32 KiB frames.
  *N* comes from the ``n`` query parameter or the ``x-bench-chunks`` header
  (default 10,000). With ``frame=event`` in the query each event is a chunked
  frame of its own, as a real server sends them, and ``interval_ms=T`` (with
  ``frame=event``) paces them *T* ms apart, like tokens arriving.

The server streams whenever the body says ``"stream": true``, whatever the
``Accept`` header (the official SDK sends ``Accept: application/json``).

Every response body is rendered once and cached: per request the server only
parses the head, reads the body and writes pre-built bytes, so it is never the
bottleneck of a client benchmark. Connections are kept alive; pipelined
requests are handled in order. ``GET /bench/stats`` tells how many connections
and requests the server has seen (so a benchmark can check that each client
kept one connection alive), how many streams it finished writing, and its own
CPU seconds (so a benchmark can show the server was not the bottleneck).
Anything else gets a 404 in OpenAI's error shape.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

DEFAULT_CHUNKS = 10_000
FRAME_SIZE = 32 * 1024
CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z
MODEL = "gpt-4o-mini-2024-07-18"
FINGERPRINT = "fp_560af6e559"

_COMPLETION = {
    "id": "chatcmpl-CkB3vJ8N0xQ2mW5pZr7TqLs9YhE1u",
    "object": "chat.completion",
    "created": CREATED,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": (
                    "Hello! I'm here to help. You can ask me to explain a concept, draft an "
                    "email, summarise a document, write or review code, or plan a trip. "
                    "What would you like to do today?"
                ),
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 19,
        "completion_tokens": 38,
        "total_tokens": 57,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": FINGERPRINT,
}

_WORDS = (
    " The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog",
    ",", " and", " then", " it", " writes", " a", " long", " answer", " about",
    " structured", " concurrency", " in", " Python", ".", "\n\n", " Here", "'s", " why",
)  # fmt: skip


def _chunk(i: int, n: int) -> bytes:
    """The JSON of stream chunk *i* of *n*: first carries the role, last the finish reason."""
    if i == 0:
        delta: dict[str, object] = {"role": "assistant", "content": "", "refusal": None}
        finish = None
    elif i == n - 1:
        delta, finish = {}, "stop"
    else:
        delta, finish = {"content": _WORDS[i % len(_WORDS)]}, None
    body = {
        "id": "chatcmpl-CkB3vJ8N0xQ2mW5pZr7TqLs9YhE1u",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        # The real API pads chunks with this field (see stream_options.include_obfuscation).
        "obfuscation": "x7Qe2Rk9Lm"[: 1 + (i % 10)],
    }
    return json.dumps(body, separators=(",", ":")).encode()


_HEADERS_JSON = (
    b"content-type: application/json\r\n"
    b"openai-processing-ms: 312\r\n"
    b"x-request-id: req_5c2f0f2b9e0d4d6a8f1b7e3a9c4d2e10\r\n"
    b"x-ratelimit-limit-requests: 10000\r\n"
    b"x-ratelimit-remaining-requests: 9999\r\n"
    b"x-ratelimit-limit-tokens: 200000\r\n"
    b"x-ratelimit-remaining-tokens: 199943\r\n"
)
_HEAD_SSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\n"
    b"cache-control: no-cache\r\n"
    b"openai-processing-ms: 95\r\n"
    b"x-request-id: req_5c2f0f2b9e0d4d6a8f1b7e3a9c4d2e11\r\n"
    b"\r\n"
)


def _fixed(status: bytes, headers: bytes, body: bytes) -> bytes:
    """A whole response with a ``Content-Length`` body."""
    length = b"content-length: %d\r\n\r\n" % len(body)
    return b"HTTP/1.1 " + status + b"\r\n" + headers + length + body


COMPLETION_BYTES = json.dumps(_COMPLETION, separators=(",", ":")).encode()
COMPLETION_RESPONSE = _fixed(b"200 OK", _HEADERS_JSON, COMPLETION_BYTES)
NOT_FOUND_RESPONSE = _fixed(
    b"404 Not Found",
    b"content-type: application/json\r\n",
    b'{"error":{"message":"Unknown route (bench server)","type":"invalid_request_error",'
    b'"param":null,"code":"unknown_url"}}',
)
_stream_cache: dict[int, bytes] = {}
_frames_cache: dict[int, list[bytes]] = {}


def sse_body(n: int) -> bytes:
    """The raw SSE body for *n* chunks (before transfer encoding)."""
    events = [b"data: " + _chunk(i, n) + b"\n\n" for i in range(n)]
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def stream_response(n: int) -> bytes:
    """Head plus chunked body for *n* chunks, framed in `FRAME_SIZE` pieces (cached)."""
    cached = _stream_cache.get(n)
    if cached is None:
        body = sse_body(n)
        frames = [_HEAD_SSE]
        for start in range(0, len(body), FRAME_SIZE):
            piece = body[start : start + FRAME_SIZE]
            frames.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        frames.append(b"0\r\n\r\n")
        cached = _stream_cache[n] = b"".join(frames)
    return cached


def event_frames(n: int) -> list[bytes]:
    """Head plus *n* chunks, one chunked frame per event, ``[DONE]`` and the end (cached)."""
    cached = _frames_cache.get(n)
    if cached is None:
        events = [b"data: " + _chunk(i, n) + b"\n\n" for i in range(n)]
        events.append(b"data: [DONE]\n\n")
        frames = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
        frames[0] = _HEAD_SSE + frames[0]
        frames[-1] += b"0\r\n\r\n"
        cached = _frames_cache[n] = frames
    return cached


def _chunk_count(target: str, headers: dict[bytes, bytes]) -> int:
    query = parse_qs(urlsplit(target).query)
    if "n" in query:
        return max(1, int(query["n"][0]))
    if b"x-bench-chunks" in headers:
        return max(1, int(headers[b"x-bench-chunks"]))
    return DEFAULT_CHUNKS


def _wants_stream(body: bytes) -> bool:
    if b'"stream"' not in body:
        return False
    try:
        return json.loads(body).get("stream") is True
    except (ValueError, AttributeError):
        return False


_per_connection: list[int] = []  # requests served on each connection, in order of opening
_streams_done = [0]  # streams whose last byte was handed to the transport


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parse heads, read bodies, write cached answers."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.index = -1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.index = len(_per_connection)
        _per_connection.append(0)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            headers: dict[bytes, bytes] = {}
            for line in head[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            if b"chunked" in headers.get(b"transfer-encoding", b""):
                self._reply(NOT_FOUND_RESPONSE)  # no client here sends chunked bodies
                self.transport.close()  # type: ignore[union-attr]
                return
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            method, target, _ = head[0].decode("latin-1").split(" ", 2)
            path = target.split("?", 1)[0]
            _per_connection[self.index] += 1
            if method == "GET" and path == "/bench/stats":
                stats = {
                    "connections": len(_per_connection),
                    "requests": _per_connection,
                    "streams": _streams_done[0],
                    "cpu": time.process_time(),
                }
                self._reply(_fixed(b"200 OK", b"", json.dumps(stats).encode()))
            elif method == "POST" and path.endswith("/chat/completions"):
                if _wants_stream(body):
                    self._stream(target, headers)
                else:
                    self._reply(COMPLETION_RESPONSE)
            else:
                self._reply(NOT_FOUND_RESPONSE)
            if headers.get(b"connection", b"").lower() == b"close":
                self.transport.close()  # type: ignore[union-attr]
                return

    def _reply(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]

    def _stream(self, target: str, headers: dict[bytes, bytes]) -> None:
        n = _chunk_count(target, headers)
        query = parse_qs(urlsplit(target).query)
        if query.get("frame") != ["event"]:
            self._reply(stream_response(n))
            _streams_done[0] += 1
            return
        frames = event_frames(n)
        interval = float(query.get("interval_ms", ["0"])[0]) / 1000
        if interval <= 0:
            self._reply(b"".join(frames))
            _streams_done[0] += 1
            return
        self._paced(frames, 0, interval)

    def _paced(self, frames: list[bytes], i: int, interval: float) -> None:
        """Write frame *i*, then schedule the next one *interval* seconds later."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(frames[i])
        if i + 1 < len(frames):
            asyncio.get_running_loop().call_later(interval, self._paced, frames, i + 1, interval)
        else:
            _streams_done[0] += 1


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    # A deep accept queue: the concurrency bench opens thousands of connections at once.
    server = await loop.create_server(_Connection, "127.0.0.1", port, backlog=16384)
    stream_response(DEFAULT_CHUNKS)  # pre-render the default stream before announcing the port
    sys.stdout.write(f"{server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    stop = asyncio.Event()

    def wait_stdin() -> None:  # the parent closes our stdin (or dies): stop serving
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_stdin, daemon=True).start()
    async with server:
        await stop.wait()


def main() -> None:
    port = int(os.environ.get("BENCH_PORT", "0"))
    asyncio.run(_serve(port))


if __name__ == "__main__":
    main()
