"""One cheap call per API area against a real server (``pytest -m live tests/live``).

Each call asks for as little as the API allows (a few tokens, one short input, one
list item), so a whole run costs a fraction of a cent on api.openai.com. The checks
are about the client, not the model: the call goes through, the answer decodes into
the documented types, streams end with their terminal marker. See conftest.py for
the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import trio_openai
from trio_openai.types import (
    ChatCompletion,
    ChatCompletionChunk,
    CreateEmbeddingResponse,
    CreateModerationResponse,
)

if TYPE_CHECKING:
    # Type checkers read this folder's conftest.py as the top-level module `conftest`.
    from conftest import LiveSettings

pytestmark = pytest.mark.live

PROMPT = [{"role": "user", "content": "Reply with the single word: pong"}]


async def test_models_list(live_client: trio_openai.Client) -> None:
    """The real server's model list decodes into a non-empty page of models with ids."""
    page = await live_client.models.list()
    assert len(page.data) > 0
    assert all(isinstance(model.id, str) and model.id for model in page.data)


async def test_chat_completion(
    live_client: trio_openai.Client, live_settings: LiveSettings
) -> None:
    """A real five-token chat completion decodes, stopped or cut at its length."""
    chat = await live_client.chat.completions.create(
        model=live_settings.chat_model, messages=PROMPT, max_tokens=5
    )
    assert isinstance(chat, ChatCompletion)
    assert chat.choices
    choice = chat.choices[0]
    assert choice.finish_reason in {"stop", "length"}
    assert isinstance(choice.message.content, str)


async def test_chat_stream(live_client: trio_openai.Client, live_settings: LiveSettings) -> None:
    """A real chat stream yields typed chunks and ends at [DONE] with a finish reason."""
    chunks: list[ChatCompletionChunk] = []
    async with live_client.chat.completions.stream(
        model=live_settings.chat_model, messages=PROMPT, max_tokens=5
    ) as stream:
        chunks.extend([chunk async for chunk in stream])
    # Leaving the loop without StreamInterruptedError means `data: [DONE]` arrived.
    assert chunks
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    reasons = [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason]
    assert reasons
    assert reasons[-1] in {"stop", "length"}


async def test_responses_create(
    live_client: trio_openai.Client, live_settings: LiveSettings
) -> None:
    """A real Responses call decodes, completed or incomplete, with its output text."""
    response = await live_client.responses.create(
        model=live_settings.responses_model,
        input="Reply with the single word: pong",
        max_output_tokens=16,  # the API's minimum
    )
    assert response.id
    assert response.status in {"completed", "incomplete"}
    assert isinstance(response.output_text, str)


async def test_embeddings(live_client: trio_openai.Client, live_settings: LiveSettings) -> None:
    """A real embedding of one input decodes into one non-empty vector of floats."""
    result = await live_client.embeddings.create(model=live_settings.embedding_model, input="pong")
    assert isinstance(result, CreateEmbeddingResponse)
    (item,) = result.data
    assert isinstance(item.embedding, list)
    assert len(item.embedding) > 0
    assert all(isinstance(x, float) for x in item.embedding)


async def test_moderations(live_client: trio_openai.Client, live_settings: LiveSettings) -> None:
    """A real moderation of a harmless input decodes, and it is not flagged."""
    result = await live_client.moderations.create(
        model=live_settings.moderation_model, input="A friendly hello."
    )
    assert isinstance(result, CreateModerationResponse)
    (verdict,) = result.results
    assert verdict.flagged is False


async def test_files_list(live_client: trio_openai.Client) -> None:
    """A real file list with limit=1 decodes into at most one file."""
    page = await live_client.files.list(limit=1)
    assert len(page.data) <= 1
    assert all(f.id for f in page.data)


@pytest.fixture
def speech_enabled(live_settings: LiveSettings) -> None:
    """Skip unless OPENAI_LIVE_AUDIO=1 (a sync fixture, so the reason is reported)."""
    if not live_settings.audio:
        pytest.skip("speech is opt-in: set OPENAI_LIVE_AUDIO=1 to run it")


@pytest.mark.usefixtures("speech_enabled")
async def test_audio_speech(live_client: trio_openai.Client, live_settings: LiveSettings) -> None:
    """Real speech (opt-in) comes back as a BinaryResponse of audio bytes."""
    speech = await live_client.audio.speech.create(
        model=live_settings.tts_model, voice="alloy", input="Pong.", response_format="mp3"
    )
    assert isinstance(speech, trio_openai.BinaryResponse)
    assert speech.content
    assert (speech.content_type or "").startswith("audio/")
