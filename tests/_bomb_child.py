"""A child process for memory-bomb tests: a hostile server and one call, under RLIMIT_AS.

Run as ``python tests/_bomb_child.py MODE LIMIT_MIB AS_MIB``; prints one JSON line:
the exception's class and message (or ``null`` on success), bytes the server sent,
and the process's peak RSS. The address-space limit makes a regression fail loudly
(MemoryError) instead of swapping the machine.
"""

from __future__ import annotations

import json
import resource
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trio

import trio_openai
from tests._hostile import RawRequest, raw_server, response_bytes

MIB = 1024 * 1024


def _gzip_blocks() -> tuple[bytes, bytes]:
    # After a full flush the compressor's output for the same input repeats byte for
    # byte: one 1 MiB block of zeros is ~1 KiB, repeated as often as the bomb needs.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first, block


async def main(mode: str, limit: int) -> dict[str, object]:
    sent = 0

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        nonlocal sent
        status = 500 if mode == "error-gzip" else 200
        if mode in ("gzip", "error-gzip"):
            first, block = _gzip_blocks()
            await stream.send_all(
                response_bytes(
                    status,
                    reason="OK",
                    content_type="application/json",
                    content_encoding="gzip",
                    transfer_encoding="chunked",
                )
            )
            # 10 GiB decompressed in ~10 MiB on the wire.
            for index in range(10 * 1024):
                data = first if index == 0 else block
                await stream.send_all(b"%x\r\n%s\r\n" % (len(data), data))
                sent += len(data)
            await stream.send_all(b"0\r\n\r\n")
        elif mode == "declared":
            await stream.send_all(
                response_bytes(200, content_type="application/json", content_length=str(2**31))
            )
            await stream.send_all(b"[" * 1024)
            sent += 1024
            await trio.sleep(30)
        else:  # "plain", "binary", "streamed": no length, the body ends when the socket does
            await stream.send_all(
                response_bytes(
                    200,
                    content_type="application/octet-stream",
                    connection="close",
                    content_length="",
                ).replace(b"content-length: \r\n", b"")
            )
            chunk = bytes(MIB)
            for _ in range(2 * 1024):  # 2 GiB
                await stream.send_all(chunk)
                sent += len(chunk)

    error: BaseException | None = None
    async with raw_server(handler) as server:
        async with trio_openai.open_client(
            api_key="sk-bomb-test-0123456789",
            base_url=f"{server.url}/v1",
            max_retries=0,
            max_response_size=limit,
            timeout=60,
        ) as client:
            try:
                if mode == "binary":
                    await client.files.content("file-1")
                elif mode == "streamed":
                    async with client.files.content.with_streaming_response("file-1") as raw:
                        await raw.read()
                else:
                    await client.models.retrieve("m")
            except BaseException as exc:
                error = exc
    return {
        "error": None if error is None else type(error).__name__,
        "message": None if error is None else str(error),
        "sent": sent,
        "maxrss_mib": _peak_rss_mib(),
    }


def _peak_rss_mib() -> float:
    # VmHWM, not getrusage's ru_maxrss: that one survives exec, so it would report
    # the parent's (pytest's) peak at the time of the fork.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    mode, limit_mib, as_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (as_mib * MIB, as_mib * MIB))
    print(json.dumps(trio.run(main, mode, limit_mib * MIB)))
