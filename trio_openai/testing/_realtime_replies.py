"""The fake Realtime server's default behaviour: one session's state and its replies.

`FakeSessionState` holds what a real session would (the session configuration,
the conversation's items, the input audio buffer) and answers each client event
with the server events the API sends, in its order (GA API; the beta API's
``conversation.item.created`` instead of ``added``/``done`` on a beta
connection). Replies are plain dicts without ``event_id``; the server adds it.

==================================  =========================================================
client event                        server events
==================================  =========================================================
(connection)                        ``session.created``
``session.update``                  ``session.updated`` (the session, fields merged)
``input_audio_buffer.append``       nothing (the audio is buffered; bad base64: ``error``)
``input_audio_buffer.commit``       ``input_audio_buffer.committed``, the user item added/done
                                    (empty buffer: ``error`` ``input_audio_buffer_commit_empty``)
``input_audio_buffer.clear``        ``input_audio_buffer.cleared``
``conversation.item.create``        ``conversation.item.added`` + ``conversation.item.done``
``conversation.item.retrieve``      ``conversation.item.retrieved``
``conversation.item.delete``        ``conversation.item.deleted``
``conversation.item.truncate``      ``conversation.item.truncated``
``response.create``                 ``response.created`` ... ``response.done``: text deltas
                                    (one per word) echoing the last user text, and/or audio
                                    deltas echoing the last committed audio (else a tone)
``response.cancel``                 ``error`` ``response_cancel_not_active`` (responses
                                    are sent whole, so none is ever in progress)
``output_audio_buffer.clear``       ``output_audio_buffer.cleared``
anything else                       ``error`` ``invalid_value`` (param ``type``)
==================================  =========================================================

Every ``error`` carries the client event's ``event_id`` in ``error.event_id``.
"""

from __future__ import annotations

import binascii
import itertools
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["FakeSessionState", "error_event"]

_SAMPLE_RATE: Final = 24_000

Event = dict[str, Any]


def error_event(
    message: str, *, code: str | None, param: str | None = None, event_id: str | None = None
) -> Event:
    """An ``error`` server event (``invalid_request_error``) about client event *event_id*.

    Args:
        message: What is wrong.
        code: The error code.
        param: The offending field.
        event_id: The client event it is about.
    """
    return {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id,
        },
    }


def _merge(into: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


class FakeSessionState:
    """One fake Realtime session: configuration, conversation and audio buffer.

    Args:
        model: The model asked for in the URL.
        beta: Whether the client speaks the beta API.
        audio_chunk_ms: The duration of each ``response.output_audio.delta``.
    """

    def __init__(self, model: str, *, beta: bool = False, audio_chunk_ms: int = 100) -> None:
        self.beta = beta
        self.audio_chunk_bytes = max(2, 2 * (_SAMPLE_RATE * audio_chunk_ms // 1000))
        self._ids = itertools.count(1)
        self.session: dict[str, Any] = {
            "type": "realtime",
            "object": "realtime.session",
            "id": f"sess_fake_{next(self._ids)}",
            "model": model,
            "output_modalities": ["audio"],
            "instructions": "",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": _SAMPLE_RATE},
                    "turn_detection": None,
                },
                "output": {"format": {"type": "audio/pcm", "rate": _SAMPLE_RATE}, "voice": "alloy"},
            },
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
        }
        self.items: dict[str, Event] = {}
        self.input_audio = bytearray()
        self.last_audio = b""
        self.last_response_id: str | None = None

    def new_id(self, prefix: str) -> str:
        """A fresh id (``item_fake_3``)."""
        return f"{prefix}_fake_{next(self._ids)}"

    # -- the answers ---------------------------------------------------------------------

    def created(self) -> list[Event]:
        """What the server sends once the connection is open."""
        return [{"type": "session.created", "session": self.session}]

    def reply(self, event: Mapping[str, Any]) -> list[Event]:
        """The server events answering client event *event* (see the module docstring)."""
        kind = event.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return [
                error_event(
                    f"Invalid value: {kind!r}. Supported values are: "
                    + ", ".join(f"'{k}'" for k in _HANDLERS)
                    + ".",
                    code="invalid_value",
                    param="type",
                    event_id=event.get("event_id"),
                )
            ]
        return handler(self, event)

    def _session_update(self, event: Mapping[str, Any]) -> list[Event]:
        session = event.get("session")
        if not isinstance(session, Mapping):
            return [self._missing("session", event)]
        _merge(self.session, {k: v for k, v in session.items() if k != "type"})
        return [{"type": "session.updated", "session": self.session}]

    def _append(self, event: Mapping[str, Any]) -> list[Event]:
        audio = event.get("audio")
        if not isinstance(audio, str):
            return [self._missing("audio", event)]
        try:
            self.input_audio += binascii.a2b_base64(audio)
        except binascii.Error:
            return [
                error_event(
                    "Invalid 'audio'. Expected base64-encoded audio bytes.",
                    code="invalid_value",
                    param="audio",
                    event_id=event.get("event_id"),
                )
            ]
        return []

    def _commit(self, event: Mapping[str, Any]) -> list[Event]:
        if not self.input_audio:
            return [
                error_event(
                    "Error committing input audio buffer: buffer too small. Expected at least "
                    "100ms of audio, but buffer only has 0.00ms of audio.",
                    code="input_audio_buffer_commit_empty",
                    event_id=event.get("event_id"),
                )
            ]
        self.last_audio = bytes(self.input_audio)
        self.input_audio.clear()
        seconds = len(self.last_audio) / (2 * _SAMPLE_RATE)
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": f"({seconds:.2f} s of audio)"}],
        }
        previous = self._last_item_id()
        added = self._add_item(item, None)
        return [
            {
                "type": "input_audio_buffer.committed",
                "item_id": added["id"],
                "previous_item_id": previous,
            },
            *self._item_added(added, previous),
        ]

    def _clear(self, _: Mapping[str, Any]) -> list[Event]:
        self.input_audio.clear()
        return [{"type": "input_audio_buffer.cleared"}]

    def _item_create(self, event: Mapping[str, Any]) -> list[Event]:
        item = event.get("item")
        if not isinstance(item, Mapping):
            return [self._missing("item", event)]
        previous = event.get("previous_item_id")
        if previous is not None and previous != "root" and previous not in self.items:
            return [self._no_item(str(previous), event, "previous_item_id")]
        before = self._last_item_id() if previous is None else previous
        added = self._add_item(dict(item), previous)
        return self._item_added(added, None if before == "root" else before)

    def _item_retrieve(self, event: Mapping[str, Any]) -> list[Event]:
        item = self.items.get(str(event.get("item_id")))
        if item is None:
            return [self._no_item(str(event.get("item_id")), event, "item_id")]
        return [{"type": "conversation.item.retrieved", "item": item}]

    def _item_delete(self, event: Mapping[str, Any]) -> list[Event]:
        item_id = str(event.get("item_id"))
        if self.items.pop(item_id, None) is None:
            return [self._no_item(item_id, event, "item_id")]
        return [{"type": "conversation.item.deleted", "item_id": item_id}]

    def _item_truncate(self, event: Mapping[str, Any]) -> list[Event]:
        item_id = str(event.get("item_id"))
        if item_id not in self.items:
            return [self._no_item(item_id, event, "item_id")]
        return [
            {
                "type": "conversation.item.truncated",
                "item_id": item_id,
                "content_index": event.get("content_index", 0),
                "audio_end_ms": event.get("audio_end_ms", 0),
            }
        ]

    def _response_cancel(self, event: Mapping[str, Any]) -> list[Event]:
        return [
            error_event(
                "Cancellation failed: no active response found",
                code="response_cancel_not_active",
                event_id=event.get("event_id"),
            )
        ]

    def _output_clear(self, _: Mapping[str, Any]) -> list[Event]:
        return [{"type": "output_audio_buffer.cleared", "response_id": self.last_response_id or ""}]

    def _response_create(self, event: Mapping[str, Any]) -> list[Event]:
        options = event.get("response")
        options = options if isinstance(options, Mapping) else {}
        modalities = list(options.get("output_modalities") or self.session["output_modalities"])
        audio = "audio" in modalities
        text = self._reply_text()
        response_id = self.new_id("resp")
        self.last_response_id = response_id
        item_id = self.new_id("item")
        words = text.split(" ")
        deltas = [w if i == 0 else " " + w for i, w in enumerate(words)]
        where = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        part = {"content_index": 0, **where}
        response: Event = {
            "object": "realtime.response",
            "id": response_id,
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": "conv_fake",
            "output_modalities": modalities,
            "max_output_tokens": "inf",
            "metadata": None,
            "usage": None,
        }
        item: Event = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        previous = self._last_item_id()
        out: list[Event] = [
            {"type": "response.created", "response": dict(response)},
            {
                "type": "response.output_item.added",
                "response_id": response_id,
                "output_index": 0,
                "item": dict(item),
            },
            *self._item_event("conversation.item.added", dict(item), previous),
            {
                "type": "response.content_part.added",
                **part,
                "part": {"type": "audio" if audio else "text"},
            },
        ]
        if audio:
            pcm = self.last_audio or _tone()
            step = self.audio_chunk_bytes
            for i in range(0, len(pcm), step):
                chunk = binascii.b2a_base64(pcm[i : i + step], newline=False).decode()
                out.append({"type": "response.output_audio.delta", **part, "delta": chunk})
            out.extend(
                {"type": "response.output_audio_transcript.delta", **part, "delta": d}
                for d in deltas
            )
            out.append({"type": "response.output_audio.done", **part})
            out.append(
                {"type": "response.output_audio_transcript.done", **part, "transcript": text}
            )
            content = {"type": "output_audio", "transcript": text}
            done_part = {"type": "audio", "transcript": text}
        else:
            out.extend({"type": "response.output_text.delta", **part, "delta": d} for d in deltas)
            out.append({"type": "response.output_text.done", **part, "text": text})
            content = {"type": "output_text", "text": text}
            done_part = {"type": "text", "text": text}
        item = {**item, "status": "completed", "content": [content]}
        self.items[item_id] = item
        words_in = sum(len(str(i.get("content"))) for i in self.items.values()) // 6
        response.update(
            status="completed",
            output=[item],
            usage={
                "total_tokens": words_in + len(words),
                "input_tokens": words_in,
                "output_tokens": len(words),
            },
        )
        out += [
            {"type": "response.content_part.done", **part, "part": done_part},
            {
                "type": "response.output_item.done",
                "response_id": response_id,
                "output_index": 0,
                "item": item,
            },
            *([] if self.beta else [{"type": "conversation.item.done", "item": item}]),
            {"type": "response.done", "response": response},
        ]
        return out

    # -- helpers ------------------------------------------------------------------------

    def _reply_text(self) -> str:
        for item in reversed(self.items.values()):
            if item.get("role") != "user":
                continue
            for part in item.get("content") or ():
                if isinstance(part, Mapping):
                    value = part.get("text") or part.get("transcript")
                    if isinstance(value, str) and value:
                        return value
        return "Hello from the fake Realtime server."

    def _last_item_id(self) -> str | None:
        return next(reversed(self.items), None)

    def _add_item(self, item: dict[str, Any], previous: object) -> Event:
        item.setdefault("id", self.new_id("item"))
        item.setdefault("object", "realtime.item")
        item.setdefault("status", "completed")
        if previous is None:
            self.items[item["id"]] = item
            return item
        # Insert after *previous* ("root": first) by rebuilding the ordered dict.
        entries = list(self.items.items())
        at = 0 if previous == "root" else 1 + [k for k, _ in entries].index(str(previous))
        entries.insert(at, (item["id"], item))
        self.items = dict(entries)
        return item

    def _item_added(self, item: Event, previous: str | None) -> list[Event]:
        if self.beta:
            return self._item_event("conversation.item.created", item, previous)
        return [
            *self._item_event("conversation.item.added", item, previous),
            {"type": "conversation.item.done", "item": item, "previous_item_id": previous},
        ]

    def _item_event(self, kind: str, item: Event, previous: str | None) -> list[Event]:
        if self.beta and kind == "conversation.item.added":
            kind = "conversation.item.created"
        return [{"type": kind, "item": item, "previous_item_id": previous}]

    @staticmethod
    def _missing(param: str, event: Mapping[str, Any]) -> Event:
        return error_event(
            f"Missing required parameter: '{param}'.",
            code="missing_required_parameter",
            param=param,
            event_id=event.get("event_id"),
        )

    @staticmethod
    def _no_item(item_id: str, event: Mapping[str, Any], param: str) -> Event:
        return error_event(
            f"Item with item_id '{item_id}' not found.",
            code="item_not_found",
            param=param,
            event_id=event.get("event_id"),
        )


def _tone() -> bytes:
    from ..realtime._audio import tone

    return tone(440.0, 0.5)


_HANDLERS = {
    "session.update": FakeSessionState._session_update,
    "input_audio_buffer.append": FakeSessionState._append,
    "input_audio_buffer.commit": FakeSessionState._commit,
    "input_audio_buffer.clear": FakeSessionState._clear,
    "conversation.item.create": FakeSessionState._item_create,
    "conversation.item.retrieve": FakeSessionState._item_retrieve,
    "conversation.item.delete": FakeSessionState._item_delete,
    "conversation.item.truncate": FakeSessionState._item_truncate,
    "response.create": FakeSessionState._response_create,
    "response.cancel": FakeSessionState._response_cancel,
    "output_audio_buffer.clear": FakeSessionState._output_clear,
}
