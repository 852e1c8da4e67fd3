"""How a Realtime connection behaves over a long session: `Keepalive` and `RealtimeLimits`.

Both are frozen attrs classes passed to ``client.realtime.connect(...)``. Their
defaults are chosen for hours-long audio sessions (see docs/realtime.md):

- **Keepalive.** trio-websocket sends no pings of its own, so a connection whose
  peer vanished (a NAT entry dropped, a laptop asleep, a stalled proxy) would
  wait forever. A keepalive task pings every `Keepalive.interval` seconds and
  gives up after `Keepalive.timeout` seconds without the pong: the connection is
  closed and the next ``recv``/``send`` raises `RealtimeConnectionClosed` (code
  1006). Time spent with the event queue full does not count against the peer
  (see `RealtimeLimits.max_queued_events`).
- **Message size.** trio-websocket's default limit (1 MiB) closes the connection
  (code 1009) on the first large audio message; the default here is 64 MiB.
- **Event queue.** Events are decoded by a reader task as they arrive and wait in
  a bounded queue for ``recv``, bounded twice: in events
  (`RealtimeLimits.max_queued_events`) and in bytes
  (`RealtimeLimits.max_queued_bytes`), since 256 events of 64 MiB would be 16 GiB.
  When the consumer falls behind and either bound is reached, the reader stops
  reading (explicit backpressure: TCP slows the server down) rather than
  buffering without bound, and nothing is dropped.
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "DEFAULT_MAX_QUEUED_BYTES", "Keepalive", "RealtimeLimits"]

DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024
"""The largest message accepted by default (64 MiB; trio-websocket's own default is 1 MiB)."""

DEFAULT_MAX_QUEUED_BYTES: Final = 64 * 1024 * 1024
"""The size of the events waiting for ``recv``, by default (64 MiB in total)."""


_positive_int = attrs.validators.gt(0)
_positive = attrs.validators.gt(0.0)
_positive_or_none = attrs.validators.optional(attrs.validators.gt(0.0))
_SEND_TIMEOUT: float | None = 30.0


@attrs.frozen(kw_only=True)
class Keepalive:
    """Ping the server periodically; treat a missing pong as a dead connection.

    Pass ``keepalive=None`` to ``connect`` to send no pings at all.

    Attributes:
        interval: Seconds between the pong of one ping and the next ping (default 20).
        timeout: Seconds to wait for a pong before the connection is declared dead and
            closed (default 20). Must exceed the time your largest message takes to
            send: a ping cannot overtake a message being written.

    Raises:
        ValueError: A value is not positive.
    """

    interval: float = attrs.field(default=20.0, validator=_positive)
    timeout: float = attrs.field(default=20.0, validator=_positive)


@attrs.frozen(kw_only=True)
class RealtimeLimits:
    """Bounds of one Realtime connection: message size, queued events, timeouts.

    Attributes:
        max_message_size: The largest message accepted from the server, in bytes
            (default 64 MiB). A larger one closes the connection with code 1009.
        max_queued_events: Decoded events waiting for ``recv`` (default 256). When the
            queue is full the reader stops reading until the consumer catches up.
        max_queued_bytes: The total size of the events waiting for ``recv`` (default
            64 MiB), counted as the messages' lengths (characters of a text message,
            as for *max_message_size*). An event that would go past it waits, and the
            reader stops reading, until the consumer has read enough; one event larger
            than the whole budget is still let in when the queue is empty. Memory held
            by a connection that is behind is about this much, plus up to three
            messages on their way (being decoded, and in trio-websocket's hands).
        receive_buffer_size: Bytes asked of the socket per read (default 64 KiB;
            trio-websocket's 4 KiB makes large audio messages slow to read).
        send_timeout: Seconds a message may take to write once its first byte is out
            (default 30). A message is never cut: cancelling a send waits until it is
            written; past this time the connection is closed instead (code 1006).
            ``None``: no limit; a send to a server that stopped reading then ends only
            when the keepalive closes the connection (never, without keepalive).
        close_timeout: Seconds allowed for the closing handshake (default 5); after
            that the TCP connection is closed without it.
        sent_events_kept: How many sent events ``sent_event(event_id)`` remembers
            (default 512), to find the event a server ``error`` refers to.

    Raises:
        ValueError: A value is not positive.
    """

    max_message_size: int = attrs.field(default=DEFAULT_MAX_MESSAGE_SIZE, validator=_positive_int)
    max_queued_events: int = attrs.field(default=256, validator=_positive_int)
    max_queued_bytes: int = attrs.field(default=DEFAULT_MAX_QUEUED_BYTES, validator=_positive_int)
    receive_buffer_size: int = attrs.field(default=64 * 1024, validator=_positive_int)
    send_timeout: float | None = attrs.field(default=_SEND_TIMEOUT, validator=_positive_or_none)
    close_timeout: float = attrs.field(default=5.0, validator=_positive)
    sent_events_kept: int = attrs.field(default=512, validator=_positive_int)
