"""Embeddings typed by encoding_format, and transcription fields that may be null.

Type-checked only (tests/core/test_typecheck_programs.py); never run. Unlike the other
programs this one asks for more than the official SDK gives: there, an embedding is
`list[float]` whatever `encoding_format` says, and `language` / `duration` of a verbose
transcription are never None, though servers (LiteLLM) send nulls (issue 13).
"""

from __future__ import annotations

from pathlib import Path

from typing_extensions import assert_type

import trio_openai


async def embeddings(client: trio_openai.Client) -> list[list[float]]:
    r = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    vector: list[float] = r.data[0].embedding
    assert_type(r.data[0].embedding, list[float])
    floats = await client.embeddings.create(
        model="text-embedding-3-small", input="a", encoding_format="float"
    )
    assert_type(floats.data[0].embedding, list[float])
    packed = await client.embeddings.create(
        model="text-embedding-3-small", input="a", encoding_format="base64"
    )
    assert_type(packed.data[0].embedding, str)
    tokens: int = r.usage.total_tokens
    del tokens
    return [vector] + [item.embedding for item in r.data[1:]]


async def transcription(client: trio_openai.Client) -> None:
    text = await client.audio.transcriptions.create(
        model="whisper-1", file=Path("speech.mp3"), response_format="json"
    )
    words: str = text.text
    verbose = await client.audio.transcriptions.create(
        model="whisper-1", file=Path("speech.mp3"), response_format="verbose_json"
    )
    language = verbose.language
    if language is None:
        language = "unknown"
    duration = verbose.duration
    seconds = 0.0 if duration is None else duration
    print(words, language.upper(), seconds + 1.0, verbose.text)


async def mistakes(client: trio_openai.Client) -> None:
    model = "text-embedding-3-small"
    packed = await client.embeddings.create(model=model, input="a", encoding_format="base64")
    print(sum(packed.data[0].embedding))  # expect-error
    await client.embeddings.create(model=model, input="a", encoding_format="int8")  # expect-error
    r = await client.embeddings.create(model=model, input="a", dimension=256)  # expect-error
    del r
    verbose = await client.audio.transcriptions.create(
        model="whisper-1", file=Path("speech.mp3"), response_format="verbose_json"
    )
    print(verbose.language.upper())  # expect-error
