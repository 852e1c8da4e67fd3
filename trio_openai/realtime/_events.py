"""Where Realtime events are encoded and decoded: JSON text <-> dicts <-> typed events.

Decoding goes through the package's one cattrs converter into the generated
unions (``RealtimeServerEvent``, ``RealtimeBetaServerEvent``), told apart by
``type``. Decisions:

- **Unknown event types** become an `UnknownObject` (``event.type`` and
  ``event.data`` hold everything): a server newer than this package never
  breaks a session.
- **A known event that does not fit its schema** (a field of the wrong JSON type)
  is also delivered as an `UnknownObject`, and logged at WARNING with the JSON path
  of the bad field. An hours-long audio session should not die over one odd field;
  the event is not lost.
- **A message that is not a JSON object** (or a binary frame) is delivered as an
  `UnknownObject` whose ``data`` is ``{"raw": <the message>}``, and logged.
  So is a message **nested too deeply** to parse (`JSONDepthError` from `loads`:
  100,000 levels of ``[``): one hostile frame is one odd event, never a dead
  session, and the next event is received as usual.
- **An event too deep to structure** (cattrs running out of stack) is a misfit like
  any other: an `UnknownObject` holding the parsed data, logged at WARNING.

Encoding: a client event is a plain mapping or a generated model; either way it
is sent as a JSON object with an ``event_id`` (one is generated when absent, so
that a server ``error`` about it can be matched with `sent_event`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any, Final

from .._convert._decode import JSONDepthError, loads
from .._models import BaseModel, UnknownObject

__all__ = ["EventDecoder", "EventIds", "event_dict", "to_json"]

log = logging.getLogger("trio_openai")

_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class EventIds:
    """Fresh client event ids: ``evt_<random>_<n>``, unique per connection, cheap to make."""

    __slots__ = ("_n", "_prefix")

    def __init__(self) -> None:
        self._prefix = "evt_" + os.urandom(6).hex() + "_"
        self._n = 0

    def next(self) -> str:
        """A new id."""
        self._n += 1
        return self._prefix + str(self._n)


def event_dict(event: object, ids: EventIds) -> dict[str, Any]:
    """A client event as a JSON-ready dict with an ``event_id``.

    Args:
        event: A mapping (``{"type": "response.create"}``) or a generated client event.
        ids: Where a missing ``event_id`` comes from.

    Raises:
        TypeError: *event* is neither, or has no string ``type``.
    """
    from .._convert._converter import unstructure

    if isinstance(event, BaseModel):
        data = unstructure(event)
    elif isinstance(event, Mapping):
        data = unstructure(dict(event))
    else:
        msg = (
            f"a Realtime event is a mapping or a generated event model, not {type(event).__name__}"
        )
        raise TypeError(msg)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        msg = 'a Realtime event needs a string "type" (e.g. {"type": "response.create"})'
        raise TypeError(msg)
    if not data.get("event_id"):
        data["event_id"] = ids.next()
    return data


def to_json(data: Mapping[str, Any]) -> str:
    """Compact JSON text of an event (non-ASCII kept as is)."""
    return _ENCODER.encode(data)


class EventDecoder:
    """Decodes server messages into typed events of one union (see the module docstring).

    Args:
        union: The union of server events (``RealtimeServerEvent``).
    """

    __slots__ = ("_hook", "_union")

    def __init__(self, union: Any) -> None:
        from .._convert._converter import make_converter

        self._union = union
        self._hook = make_converter().get_structure_hook(union)

    def __call__(self, message: str | bytes) -> Any:
        """The typed event of one WebSocket message (never raises for bad data)."""
        problem = "is not a JSON object"
        try:
            data = loads(message)
        except JSONDepthError:
            data = None
            problem = "is nested too deeply to decode"
        except ValueError:
            data = None
        if data.__class__ is not dict:
            shown = message[:80] if isinstance(message, (str, bytes)) else message
            log.warning("Realtime: a server message %s: %r", problem, shown)
            return UnknownObject.from_data({"raw": message}, model_extra={})
        try:
            return self._hook(data, self._union)
        except Exception:  # noqa: BLE001 - the slow path below names the bad field
            return self._misfit(data)

    def _misfit(self, data: dict[str, Any]) -> UnknownObject:
        from .._convert._converter import ValidationError, structure

        kind = data.get("type")
        try:
            structure(data, self._union)
        except ValidationError as exc:
            log.warning(
                "Realtime: a %r event does not fit its schema (%s); delivered as UnknownObject",
                kind,
                exc,
            )
        except RecursionError:
            # Structuring recurses once per level of the data: a deep event ran out of stack.
            log.warning(
                "Realtime: a %r event is nested too deeply to structure; delivered as "
                "UnknownObject",
                kind,
            )
        return UnknownObject.from_data(data)
