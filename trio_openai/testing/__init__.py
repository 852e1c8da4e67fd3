"""A fake, OpenAI-compatible server for tests: `FakeOpenAI`, in memory or on a socket.

    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", status=500)
    async with fake.client() as client:      # in memory, no socket
        ...
    base_url = await nursery.start(fake.serve)  # or a real HTTP/1.1 server

    realtime = FakeRealtime()                   # the Realtime API's WebSocket endpoint
    base_url = await nursery.start(realtime.serve)

The names below are loaded on first use, so that importing this package (which
pytest does for the ``trio_openai.testing.pytest_plugin`` entry point on every
run) stays cheap and imports neither trio nor httpx2. See docs/testing.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._defaults import DEFAULT_MODELS as DEFAULT_MODELS
    from ._defaults import FakeFile as FakeFile
    from ._realtime import FakeRealtime as FakeRealtime
    from ._realtime import FakeRealtimeSession as FakeRealtimeSession
    from ._records import FakeRequest as FakeRequest
    from ._records import FormPart as FormPart
    from ._records import MultipartForm as MultipartForm
    from ._script import SseItem as SseItem
    from ._server import FakeOpenAI as FakeOpenAI
    from ._server import serve_forever as serve_forever

__all__ = [
    "DEFAULT_MODELS",
    "FakeFile",
    "FakeOpenAI",
    "FakeRealtime",
    "FakeRealtimeSession",
    "FakeRequest",
    "FormPart",
    "MultipartForm",
    "SseItem",
    "serve_forever",
]

_HOMES = {
    "DEFAULT_MODELS": "._defaults",
    "FakeFile": "._defaults",
    "FakeOpenAI": "._server",
    "FakeRealtime": "._realtime",
    "FakeRealtimeSession": "._realtime",
    "FakeRequest": "._records",
    "FormPart": "._records",
    "MultipartForm": "._records",
    "SseItem": "._script",
    "serve_forever": "._server",
}


def __getattr__(name: str) -> object:
    """Import a public name from its private module on first use.

    Raises:
        AttributeError: *name* is not a public name of this package.
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
