"""The queue between a connection's reader and ``recv``: bounded in events and in bytes.

A bound in events alone does not bound memory: 256 events of 64 MiB are 16 GiB.
Each event therefore enters with the size of the message it was decoded from
(``len()``, as trio-websocket measures messages), and `EventQueue.put` waits
while either bound would be passed. Decisions:

- **Waiting is the backpressure.** The reader that waits here stops reading the
  socket, so TCP slows the server down; nothing is ever dropped.
- **One event larger than the whole byte budget is let in when the queue is
  empty**, or it could never be delivered (``max_message_size`` bounds it).
- **Closing wakes a waiting producer** with `trio.ClosedResourceError`, as a
  closed memory channel would.
- **Counting is never split from moving.** Both bounds are counted here (the
  memory channel underneath is unbounded and never blocks) and updated in the
  same step as the event enters or leaves the channel, with no checkpoint in
  between. ``await send()`` / ``await receive()`` checkpoint *after* the
  transfer: an event handed straight to a waiting `get` was once counted after
  that checkpoint, so when trio ran the consumer first (trio runs each batch of
  tasks in a random order) it subtracted bytes not yet added (``bytes`` went
  negative). An event handed to a `get` that has not yet returned still counts.
"""

from __future__ import annotations

import math
from typing import Generic, TypeVar, final

import trio

__all__ = ["EventQueue"]

T = TypeVar("T")


@final
class EventQueue(Generic[T]):
    """A FIFO of decoded events, bounded in count (*max_events*) and in bytes (*max_bytes*).

    One producer (the reader) and one consumer at a time, as a connection has.

    Args:
        max_events: At most this many events wait.
        max_bytes: At most this many bytes of messages wait (or one event, alone).
    """

    __slots__ = (
        "_bytes",
        "_closed",
        "_events",
        "_max_bytes",
        "_max_events",
        "_receive",
        "_room",
        "_send",
    )

    def __init__(self, max_events: int, max_bytes: int) -> None:
        # Unbounded: the bounds are counted here, in step with every transfer.
        self._send, self._receive = trio.open_memory_channel[tuple[T, int]](math.inf)
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._events = 0
        self._bytes = 0
        self._room = trio.Event()  # set when an event leaves (or the queue closes)
        self._closed = False

    @property
    def events(self) -> int:
        """How many events wait (put, and not yet returned by `get`)."""
        return self._events

    @property
    def bytes(self) -> int:
        """The size of the messages of the events that wait."""
        return self._bytes

    def _full(self, size: int) -> bool:
        if self._events >= self._max_events:
            return True
        return self._bytes > 0 and self._bytes + size > self._max_bytes

    def put_nowait(self, event: T, size: int) -> None:
        """Add *event* (of a message of *size*) if both bounds allow it now.

        Raises:
            trio.WouldBlock: It would pass a bound: call `put` to wait.
            trio.ClosedResourceError: The queue is closed.
        """
        if self._closed:
            raise trio.ClosedResourceError
        if self._full(size):
            raise trio.WouldBlock
        self._send.send_nowait((event, size))  # may wake a waiting get: count before it runs
        self._events += 1
        self._bytes += size

    async def put(self, event: T, size: int) -> None:
        """Add *event*, waiting until both bounds allow it.

        Raises:
            trio.ClosedResourceError: The queue is (or became) closed.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        while self._full(size) and not self._closed:
            self._room = trio.Event()
            await self._room.wait()
        self.put_nowait(event, size)  # now fits (or raises ClosedResourceError)
        await trio.lowlevel.cancel_shielded_checkpoint()

    def _taken(self, size: int) -> None:
        self._events -= 1
        self._bytes -= size
        self._room.set()

    async def get(self) -> T:
        """The oldest event, waiting for one.

        Raises:
            trio.EndOfChannel: The producer closed the queue and every event was taken.
            trio.ClosedResourceError: The queue was closed (`close`).
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        try:
            event, size = self._receive.receive_nowait()
        except trio.WouldBlock:
            # Waits; returns in the step the task wakes in, with no checkpoint after.
            event, size = await self._receive.receive()
            self._taken(size)
            return event
        self._taken(size)
        await trio.lowlevel.cancel_shielded_checkpoint()
        return event

    def close_input(self) -> None:
        """No more events: `get` gives those waiting, then `trio.EndOfChannel`."""
        self._closed = True
        self._send.close()
        self._room.set()

    def close(self) -> None:
        """Close both ends: waiting events are dropped."""
        self.close_input()
        self._receive.close()
