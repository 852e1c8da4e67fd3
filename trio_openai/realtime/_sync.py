"""Realtime sessions for `SyncClient`: the connection, blocking.

``with client.realtime.connect(model=...) as conn:`` on a `SyncClient` gives a
`SyncRealtimeConnection`. The WebSocket, its reader and its keepalive run on the
sync client's background loop, so the session lives on between calls (between
Jupyter cells too: ``conn = client.realtime.connect(model=...).enter()``, later
``conn.close()``). Sending, receiving and the helper namespaces block until done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

from .._api._resource import Sync
from .._sync._results import _HeldValue
from ._namespaces import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
)

if TYPE_CHECKING:
    from .._sync._portal import Held
    from ..types.realtime import (  # noqa: F401 - named in the subclasses' string bases
        RealtimeBetaClientEvent,
        RealtimeBetaServerEvent,
        RealtimeClientEvent,
        RealtimeServerEvent,
    )
    from ._connection import BetaRealtimeConnection, RealtimeConnection, _Connection
    from ._state import SentEvent, SessionState

__all__ = ["SyncBetaRealtimeConnection", "SyncRealtimeConnection"]

ServerEventT = TypeVar("ServerEventT")
ClientEventT = TypeVar("ClientEventT")


class _SyncConnection(
    _HeldValue["_Connection[ServerEventT, ClientEventT]"], Generic[ServerEventT, ClientEventT]
):
    """What `SyncRealtimeConnection` and `SyncBetaRealtimeConnection` share."""

    __slots__ = ("conversation", "input_audio_buffer", "output_audio_buffer", "response", "session")

    session: SessionResource[Sync]
    input_audio_buffer: InputAudioBufferResource[Sync]
    conversation: ConversationResource[Sync]
    response: ResponseResource[Sync]
    output_audio_buffer: OutputAudioBufferResource[Sync]

    def __init__(self, held: Held[_Connection[ServerEventT, ClientEventT]]) -> None:
        super().__init__(held)
        conn, portal = held.value, held.portal
        self.session = SessionResource(conn, portal)
        self.input_audio_buffer = InputAudioBufferResource(conn, portal)
        self.conversation = ConversationResource(conn, portal)
        self.response = ResponseResource(conn, portal)
        self.output_audio_buffer = OutputAudioBufferResource(conn, portal)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._held.value!r}>"

    @property
    def url(self) -> str:
        """The WebSocket URL it connected to."""
        return self._held.value.url

    @property
    def state(self) -> SessionState:
        """The session as this connection saw it (config, items, responses): to resume."""
        return self._held.value.state

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (or closing)."""
        return self._held.value.closed

    @property
    def close_code(self) -> int | None:
        """The close code once closed, else ``None``."""
        return self._held.value.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason once closed, if one was given."""
        return self._held.value.close_reason

    @property
    def queued_events(self) -> int:
        """Events received but not yet read."""
        return self._held.value.queued_events

    @property
    def queued_bytes(self) -> int:
        """The size of those events' messages."""
        return self._held.value.queued_bytes

    def sent_event(self, event_id: str | None) -> SentEvent | None:
        """The client event sent with this ``event_id`` (see the async connection's)."""
        return self._held.value.sent_event(event_id)

    def send(self, event: ClientEventT | Mapping[str, Any]) -> str:
        """Send one client event; returns its ``event_id``.

        Raises:
            TypeError: *event* is not a mapping or model with a string ``type``.
            RealtimeConnectionClosed: The connection is closed.
        """
        return self._held.portal.run(self._held.value.send, event)

    def recv(self) -> ServerEventT:
        """The next server event (blocks until one arrives).

        Raises:
            RealtimeConnectionClosed: The connection is closed and every event
                received before has been read.
        """
        return self._held.portal.run(self._held.value.recv)

    def __iter__(self) -> Iterator[ServerEventT]:
        return self._held.iterate(self._held.value)

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection with a closing handshake and end its tasks (idempotent).

        Args:
            code: The close code (1000: normal).
            reason: A short reason.
        """
        if not self._held.released:
            self._held.portal.run(partial(self._held.value.close, code, reason))
        self._held.release()


@final
class SyncRealtimeConnection(_SyncConnection["RealtimeServerEvent", "RealtimeClientEvent"]):
    """A Realtime session of a `SyncClient` (``client.realtime.connect``).

    Iterate it (``for event in conn``) or call `recv`; send with `send` or the
    helpers (``conn.session.update(...)``, ``conn.response.create()``, ...).
    """

    __slots__ = ()

    def __init__(self, held: Held[RealtimeConnection]) -> None:
        super().__init__(held)


@final
class SyncBetaRealtimeConnection(
    _SyncConnection["RealtimeBetaServerEvent", "RealtimeBetaClientEvent"]
):
    """A beta Realtime session of a `SyncClient` (``client.beta.realtime.connect``)."""

    __slots__ = ()

    def __init__(self, held: Held[BetaRealtimeConnection]) -> None:
        super().__init__(held)
