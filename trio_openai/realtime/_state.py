"""What a Realtime connection remembers: sent events (to explain errors) and session state.

- `SentEvents` keeps the last few client events sent, by ``event_id``, so that a
  server ``error`` event (whose ``error.event_id`` names the client event it is
  about) can be traced to what was sent: ``conn.sent_event(err.error.event_id)``.
  Audio payloads are not kept (only their size): memory stays small over hours
  of streaming.
- `SessionState` follows the session as events go by: the session configuration
  the client sent (all ``session.update`` payloads merged) and the one the server
  confirmed last, the conversation's item ids, the response in progress, the last
  error. It is what a reconnecting application needs to set up a new connection
  like the old one (see docs/realtime.md, "Reconnecting").
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, final

import attrs

__all__ = ["SentEvent", "SentEvents", "SessionState"]

_AUDIO_FIELDS = frozenset({"audio"})


@attrs.frozen(kw_only=True)
class SentEvent:
    """A client event as it was sent (audio payloads replaced by their size).

    Attributes:
        event_id: Its ``event_id``.
        type: Its ``type``.
        data: The JSON object sent; an ``audio`` field holds ``"<N base64 characters>"``.
        sent_at: ``trio.current_time()`` when it was handed to the socket.
    """

    event_id: str
    type: str
    data: Mapping[str, Any]
    sent_at: float


@final
class SentEvents:
    """The last *size* sent events by ``event_id`` (oldest forgotten first).

    Args:
        size: How many to keep.
    """

    __slots__ = ("_events", "_size")

    def __init__(self, size: int) -> None:
        self._size = size
        self._events: OrderedDict[str, SentEvent] = OrderedDict()

    def add(self, data: Mapping[str, Any], now: float) -> None:
        """Remember *data* (a sent event dict with ``event_id`` and ``type``)."""
        kept = {
            k: (f"<{len(v)} base64 characters>" if k in _AUDIO_FIELDS and isinstance(v, str) else v)
            for k, v in data.items()
        }
        self.add_kept(str(data["event_id"]), str(data["type"]), kept, now)

    def add_kept(self, event_id: str, kind: str, kept: Mapping[str, Any], now: float) -> None:
        """Remember an event already reduced to what is kept."""
        events = self._events
        events[event_id] = SentEvent(event_id=event_id, type=kind, data=kept, sent_at=now)
        if len(events) > self._size:
            events.popitem(last=False)

    def get(self, event_id: str | None) -> SentEvent | None:
        """The event sent with this id, if it is still remembered."""
        if event_id is None:
            return None
        return self._events.get(event_id)

    def __len__(self) -> int:
        return len(self._events)


def _merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Merge *update* into *into*: nested objects merged, anything else replaced."""
    for key, value in update.items():
        old = into.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict):
            _merge(old, value)
        else:
            into[key] = _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@final
@attrs.define(eq=False)
class SessionState:
    """The state of one Realtime session, as far as this connection saw it.

    Attributes:
        session_config: Every ``session.update`` sent, merged (nested objects
            merged key by key): send it again as ``session.update`` on a new
            connection to set the session up the same way.
        session: The session the server reported last (``session.created`` /
            ``session.updated``), typed; ``None`` before the first one.
        item_ids: The ids of the conversation's items in the order they were added
            (the last `max_items` of them), deleted ones removed.
        last_item_id: The id of the item added last, or ``None``.
        response_id: The id of the response in progress (between
            ``response.created`` and ``response.done``), else ``None``.
        last_response_id: The id of the last response that finished.
        last_error: The last ``error`` event received, if any.
        events_received: How many server events were received.
        events_sent: How many client events were sent.
        max_items: How many item ids are kept.
    """

    session_config: dict[str, Any] = attrs.field(factory=dict)
    session: Any = None
    _items: dict[str, None] = attrs.field(factory=dict, alias="_items")
    last_item_id: str | None = None
    response_id: str | None = None
    last_response_id: str | None = None
    last_error: Any = None
    events_received: int = 0
    events_sent: int = 0
    max_items: int = 1024

    @property
    def item_ids(self) -> list[str]:
        """The conversation's item ids, oldest first (a copy)."""
        return list(self._items)

    def sent(self, data: Mapping[str, Any]) -> None:
        """Take note of a client event being sent."""
        self.events_sent += 1
        if data.get("type") == "session.update":
            session = data.get("session")
            if isinstance(session, Mapping):
                _merge(self.session_config, session)

    def received(self, event: Any) -> None:
        """Take note of a server event."""
        self.events_received += 1
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)

    def _add_item(self, item_id: object) -> None:
        if not isinstance(item_id, str):
            return
        items = self._items
        items.pop(item_id, None)
        items[item_id] = None
        self.last_item_id = item_id
        if len(items) > self.max_items:
            del items[next(iter(items))]

    def _on_session(self, event: Any) -> None:
        self.session = getattr(event, "session", None)

    def _on_item(self, event: Any) -> None:
        self._add_item(getattr(getattr(event, "item", None), "id", None))

    def _on_committed(self, event: Any) -> None:
        self._add_item(getattr(event, "item_id", None))

    def _on_deleted(self, event: Any) -> None:
        item_id = getattr(event, "item_id", None)
        if isinstance(item_id, str):
            self._items.pop(item_id, None)
            if self.last_item_id == item_id:
                self.last_item_id = next(reversed(self._items), None)

    def _on_response_created(self, event: Any) -> None:
        self.response_id = getattr(getattr(event, "response", None), "id", None)

    def _on_response_done(self, event: Any) -> None:
        self.last_response_id = getattr(getattr(event, "response", None), "id", None)
        self.response_id = None

    def _on_error(self, event: Any) -> None:
        self.last_error = event


_HANDLERS = {
    "session.created": SessionState._on_session,
    "session.updated": SessionState._on_session,
    "conversation.item.created": SessionState._on_item,
    "conversation.item.added": SessionState._on_item,
    "input_audio_buffer.committed": SessionState._on_committed,
    "conversation.item.deleted": SessionState._on_deleted,
    "response.created": SessionState._on_response_created,
    "response.done": SessionState._on_response_done,
    "error": SessionState._on_error,
}
