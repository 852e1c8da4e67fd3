"""Helpers of the Realtime tests: a client and connection wired to a `FakeRealtime`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

import trio_openai
from trio_openai.realtime import RealtimeConnection
from trio_openai.testing import FakeRealtime


@asynccontextmanager
async def realtime(
    fake: FakeRealtime,
    *,
    memory: bool = True,
    wrap: Any = None,
    server_nursery: trio.Nursery | None = None,
    **connect: Any,
) -> AsyncIterator[RealtimeConnection]:
    """A connection to *fake*: in memory (deterministic under autojump_clock) or over TCP.

    The fake serves from *server_nursery* when given (to outlive a cancelled block),
    else from a nursery of this helper. *wrap* turns the client's stream into another
    (to count or hold frames). The block's exception comes out as itself.
    """
    connect.setdefault("model", "gpt-realtime")
    error: BaseException | None = None
    async with trio.open_nursery() as own:
        nursery = server_nursery or own
        if memory:
            opener = await nursery.start(fake.serve_memory)
            base_url = "http://fake-realtime.test/v1"

            async def open_stream(host: str, port: int) -> trio.abc.Stream:
                stream = await opener(host, port)
                return stream if wrap is None else wrap(stream)

            connect["open_stream"] = open_stream
        else:
            base_url = await nursery.start(fake.serve)
        try:
            async with (
                trio_openai.open_client(api_key="sk-fake", base_url=base_url) as client,
                client.realtime.connect(**connect) as conn,
            ):
                yield conn
        except BaseException as exc:
            error = exc
        own.cancel_scope.cancel()
    if error is not None:
        raise error


async def until(conn: RealtimeConnection, kind: str) -> list[Any]:
    """The events received up to and including the first of type *kind*."""
    events = []
    async for event in conn:
        events.append(event)
        if event.type == kind:
            return events
    raise AssertionError(f"the connection ended before a {kind} event")


class FrameCounter(trio.abc.Stream):
    """Counts the WebSocket frames the client writes, by opcode (one frame per write)."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.opcodes: list[int] = []

    @property
    def pings(self) -> int:
        """How many ping frames (opcode 0x9) the client has written."""
        return self.opcodes.count(0x9)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Record the opcode of the frame in *data*, then pass it on."""
        if len(data) >= 2:
            self.opcodes.append(bytes(data[:1])[0] & 0x0F)
        await self.stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.stream.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.stream.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.stream.aclose()


class StuckNetwork(trio.abc.Stream):
    """Writes half of a large write, then hangs until `released` (a network that stops)."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.hold = False
        self.released = trio.Event()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Pass *data* on; while `hold` is set, stall a large write halfway until `released`."""
        if self.hold and len(data) > 1000:
            half = len(data) // 2
            await self.stream.send_all(data[:half])
            await self.released.wait()
            await self.stream.send_all(data[half:])
        else:
            await self.stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.stream.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.stream.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.stream.aclose()
