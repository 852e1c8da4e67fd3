"""Live tests: one cheap call per API area against a real OpenAI-compatible server.

They are opt-in: the suite's conftest deselects ``live`` tests unless ``-m`` names them.

    OPENAI_API_KEY=sk-... pytest -m live tests/live
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 pytest -m live tests/live   # vLLM, Ollama, ...

Selected without ``OPENAI_API_KEY`` and without ``OPENAI_BASE_URL``, every test fails
at set-up with a message saying what to set: a live run that tested nothing must not
look green. Settings (environment variables):

==============================  ============================  ===========================
variable                        default                       used by
==============================  ============================  ===========================
``OPENAI_API_KEY``              none (a placeholder is sent   every test
                                to an ``OPENAI_BASE_URL``)
``OPENAI_BASE_URL``             ``https://api.openai.com/v1`` every test
``OPENAI_LIVE_CHAT_MODEL``      ``gpt-4o-mini``               chat, chat stream
``OPENAI_LIVE_RESPONSES_MODEL`` the chat model                responses
``OPENAI_LIVE_EMBEDDING_MODEL`` ``text-embedding-3-small``    embeddings
``OPENAI_LIVE_MODERATION_MODEL`` ``omni-moderation-latest``   moderations
``OPENAI_LIVE_TTS_MODEL``       ``gpt-4o-mini-tts``           speech
``OPENAI_LIVE_AUDIO``           off; ``1`` runs speech        speech
``OPENAI_LIVE_TIMEOUT``         ``60`` (seconds)              each network phase
==============================  ============================  ===========================
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import attrs
import pytest

import trio_openai

_NOT_CONFIGURED = """\
The live tests call a real OpenAI-compatible server, and none is configured.
Set one of:
  OPENAI_API_KEY=sk-...                     to call https://api.openai.com/v1
  OPENAI_BASE_URL=http://HOST:PORT/v1       to call another server (vLLM, Ollama, a proxy);
                                            add OPENAI_API_KEY if that server needs a key
then run:  pytest -m live tests/live
Models can be changed with OPENAI_LIVE_CHAT_MODEL, OPENAI_LIVE_RESPONSES_MODEL,
OPENAI_LIVE_EMBEDDING_MODEL, OPENAI_LIVE_MODERATION_MODEL and OPENAI_LIVE_TTS_MODEL
(see tests/live/conftest.py)."""

# Sent to an OPENAI_BASE_URL server when no key is set: local servers accept any key.
_PLACEHOLDER_KEY = "sk-live-no-key"


@attrs.frozen(kw_only=True)
class LiveSettings:
    """Where the live tests send their calls, and with which models.

    Attributes:
        api_key: The key (a placeholder for a server of ``OPENAI_BASE_URL`` without one).
        base_url: The API root, or ``None`` for the client's default.
        chat_model: For chat completions and the chat stream.
        responses_model: For the Responses API.
        embedding_model: For embeddings.
        moderation_model: For moderations.
        tts_model: For speech.
        audio: Whether the speech test runs.
        timeout: Seconds allowed to each network phase of each call.
    """

    api_key: str = attrs.field(repr=False)
    base_url: str | None
    chat_model: str
    responses_model: str
    embedding_model: str
    moderation_model: str
    tts_model: str
    audio: bool
    timeout: float


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@pytest.fixture(scope="session")
def live_settings() -> LiveSettings:
    """The settings from the environment; fails the test loudly when no server is configured."""
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    base_url = os.environ.get("OPENAI_BASE_URL", "").strip() or None
    if not key and base_url is None:
        pytest.fail(_NOT_CONFIGURED, pytrace=False)
    chat_model = _env("OPENAI_LIVE_CHAT_MODEL", "gpt-4o-mini")
    try:
        timeout = float(_env("OPENAI_LIVE_TIMEOUT", "60"))
    except ValueError:
        pytest.fail("OPENAI_LIVE_TIMEOUT must be a number of seconds", pytrace=False)
    return LiveSettings(
        api_key=key or _PLACEHOLDER_KEY,
        base_url=base_url,
        chat_model=chat_model,
        responses_model=_env("OPENAI_LIVE_RESPONSES_MODEL", chat_model),
        embedding_model=_env("OPENAI_LIVE_EMBEDDING_MODEL", "text-embedding-3-small"),
        moderation_model=_env("OPENAI_LIVE_MODERATION_MODEL", "omni-moderation-latest"),
        tts_model=_env("OPENAI_LIVE_TTS_MODEL", "gpt-4o-mini-tts"),
        audio=_env("OPENAI_LIVE_AUDIO", "0").lower() in {"1", "true", "yes"},
        timeout=timeout,
    )


@pytest.fixture
async def live_client(live_settings: LiveSettings) -> AsyncIterator[trio_openai.Client]:
    """An open client on the configured server (the default retry policy: two retries)."""
    async with trio_openai.open_client(
        api_key=live_settings.api_key,
        base_url=live_settings.base_url,
        timeout=live_settings.timeout,
    ) as client:
        yield client
