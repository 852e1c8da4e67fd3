"""pytest fixtures for testing code that uses trio_openai, against `FakeOpenAI`.

Registered through the ``pytest11`` entry point, so installing trio_openai makes
them available everywhere:

* ``fake_openai``: a fresh `FakeOpenAI` (script it with ``add`` / ``add_fault``).
* ``fake_openai_client``: an open `trio_openai.Client` wired to ``fake_openai`` in
  memory (async fixture: the test must run under pytest-trio).
* ``fake_openai_server``: ``fake_openai`` served over a real socket in the test's
  nursery; the value is its base URL (``http://127.0.0.1:PORT/v1``).

pytest imports this module on every run, in every project that installs
trio_openai: it imports nothing heavy (no trio, no httpx2) until a fixture is used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import trio

    from .._client import Client
    from ._server import FakeOpenAI

__all__ = ["fake_openai", "fake_openai_client", "fake_openai_server"]


@pytest.fixture
def fake_openai() -> FakeOpenAI:
    """A fresh fake OpenAI server (not yet serving: the other fixtures serve it)."""
    from ._server import FakeOpenAI

    return FakeOpenAI()


@pytest.fixture
async def fake_openai_client(fake_openai: FakeOpenAI) -> AsyncIterator[Client]:
    """An open client whose requests go to ``fake_openai``, in memory."""
    async with fake_openai.client() as client:
        yield client


@pytest.fixture
async def fake_openai_server(fake_openai: FakeOpenAI, nursery: trio.Nursery) -> str:
    """Serve ``fake_openai`` on 127.0.0.1 (a free port) for the test; return its base URL."""
    url: str = await nursery.start(fake_openai.serve)
    return url
