"""The Realtime API over WebSockets, for Trio: ``client.realtime.connect(...)``.

::

    async with trio_openai.open_client() as client:
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "instructions": "Be brief."})
            await conn.response.create()
            async for event in conn:
                if event.type == "response.done":
                    break

The connection, its settings (`Keepalive`, `RealtimeLimits`), its state
(`SessionState`, `SentEvent`), its error (`RealtimeConnectionClosed`) and the
audio helpers (`AudioCollector`, `tone`, WAV files) are re-exported here from
private modules; they are imported on first use, so that importing this package
(which ``client.realtime`` does) costs nothing until a connection is opened.
See docs/realtime.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._audio import DEFAULT_SAMPLE_RATE as DEFAULT_SAMPLE_RATE
    from ._audio import MAX_APPEND_BYTES as MAX_APPEND_BYTES
    from ._audio import AudioCollector as AudioCollector
    from ._audio import PCM16Chunker as PCM16Chunker
    from ._audio import read_wav as read_wav
    from ._audio import resample_pcm16 as resample_pcm16
    from ._audio import tone as tone
    from ._audio import wav_bytes as wav_bytes
    from ._connection import BetaRealtimeConnection as BetaRealtimeConnection
    from ._connection import RealtimeConnection as RealtimeConnection
    from ._errors import RealtimeConnectionClosed as RealtimeConnectionClosed
    from ._handshake import StreamOpener as StreamOpener
    from ._settings import DEFAULT_MAX_MESSAGE_SIZE as DEFAULT_MAX_MESSAGE_SIZE
    from ._settings import DEFAULT_MAX_QUEUED_BYTES as DEFAULT_MAX_QUEUED_BYTES
    from ._settings import Keepalive as Keepalive
    from ._settings import RealtimeLimits as RealtimeLimits
    from ._state import SentEvent as SentEvent
    from ._state import SessionState as SessionState

__all__ = [
    "AudioCollector",
    "BetaRealtimeConnection",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_QUEUED_BYTES",
    "DEFAULT_SAMPLE_RATE",
    "Keepalive",
    "MAX_APPEND_BYTES",
    "PCM16Chunker",
    "RealtimeConnection",
    "RealtimeConnectionClosed",
    "RealtimeLimits",
    "SentEvent",
    "SessionState",
    "StreamOpener",
    "read_wav",
    "resample_pcm16",
    "tone",
    "wav_bytes",
]

_HOMES = {
    "DEFAULT_MAX_MESSAGE_SIZE": "._settings",
    "DEFAULT_MAX_QUEUED_BYTES": "._settings",
    "DEFAULT_SAMPLE_RATE": "._audio",
    "MAX_APPEND_BYTES": "._audio",
    "AudioCollector": "._audio",
    "BetaRealtimeConnection": "._connection",
    "Keepalive": "._settings",
    "PCM16Chunker": "._audio",
    "RealtimeConnection": "._connection",
    "RealtimeConnectionClosed": "._errors",
    "RealtimeLimits": "._settings",
    "SentEvent": "._state",
    "SessionState": "._state",
    "StreamOpener": "._handshake",
    "read_wav": "._audio",
    "resample_pcm16": "._audio",
    "tone": "._audio",
    "wav_bytes": "._audio",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
