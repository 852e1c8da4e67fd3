"""The fake's default images, transcriptions, translations and speech streams, typed."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

import trio_openai
from tests._spec_support import fully_typed, spec_schemas, violations
from trio_openai.testing import FakeOpenAI
from trio_openai.testing._defaults_media import PNG_SIGNATURE
from trio_openai.types.audio import (
    CreateTranscriptionResponseDiarizedJson,
    CreateTranscriptionResponseJson,
    CreateTranscriptionResponseVerboseJson,
    SpeechAudioDeltaEvent,
    SpeechAudioDoneEvent,
)

PNG = ("in.png", PNG_SIGNATURE + b"pixels", "image/png")


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[trio_openai.Client]:
    async with fake_openai.client(max_retries=0) as opened:
        yield opened


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return spec_schemas()


async def spoken(client: trio_openai.Client, text: str) -> tuple[str, bytes, str]:
    speech = await client.audio.speech.create(model="tts-1", voice="alloy", input=text)
    return ("speech.mp3", speech.content, "audio/mpeg")


# -- images -------------------------------------------------------------------------------------


async def test_gpt_image_generations_are_base64_pngs_with_usage(client: trio_openai.Client) -> None:
    """``gpt-image-1`` answers *n* base64 PNGs (distinct per index) and token usage."""
    answer = await client.images.generate(prompt="a red fox", model="gpt-image-1", n=2)
    fully_typed(answer)
    assert answer.data is not None
    images = [base64.b64decode(item.b64_json or "") for item in answer.data]
    assert all(image.startswith(PNG_SIGNATURE) for image in images)
    assert images[0] != images[1]
    assert answer.usage is not None
    assert answer.usage.input_tokens == 3


async def test_dall_e_generations_are_urls_nothing_can_fetch(client: trio_openai.Client) -> None:
    """DALL·E's default is a ``url``, on the reserved ``.invalid`` domain."""
    answer = await client.images.generate(prompt="a red fox")
    assert answer.data is not None
    assert httpx2.URL(answer.data[0].url or "").host.endswith(".invalid")
    assert answer.usage is None


async def test_image_streams_send_partials_then_a_completed_event(
    client: trio_openai.Client,
) -> None:
    """``generate_stream`` with 2 partial images: two partial events, then the completed one."""
    async with client.images.generate_stream(
        prompt="a fox", model="gpt-image-1", partial_images=2
    ) as events:
        seen = [event async for event in events]
    fully_typed(seen)
    assert [e.type for e in seen] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]


async def test_image_edits_take_the_upload_and_stream_too(client: trio_openai.Client) -> None:
    """``edit`` (multipart) answers an image; ``edit_stream`` ends with ``image_edit.completed``."""
    answer = await client.images.edit(image=PNG, prompt="add a hat")
    fully_typed(answer)
    async with client.images.edit_stream(image=PNG, prompt="add a hat") as events:
        assert [e.type async for e in events] == ["image_edit.completed"]


async def test_an_image_edit_without_an_image_is_a_400(fake_openai: FakeOpenAI) -> None:
    """The route wants its ``image`` file part."""
    async with httpx2.AsyncClient(
        transport=fake_openai.transport(), base_url=fake_openai.base_url
    ) as http:
        response = await http.post("/images/edits", data={"prompt": "x"}, files={"mask": b"m"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "image"


# -- audio --------------------------------------------------------------------------------------


async def test_transcribing_the_fakes_speech_gives_its_text_back(
    client: trio_openai.Client,
) -> None:
    """``speech`` then ``transcriptions``: the text round-trips, with token usage."""
    answer = await client.audio.transcriptions.create(
        file=await spoken(client, "hello from trio"), model="gpt-4o-mini-transcribe"
    )
    assert isinstance(answer, CreateTranscriptionResponseJson)
    assert answer.text == "hello from trio"
    fully_typed(answer)


@pytest.mark.parametrize(
    ("response_format", "kind"),
    [
        ("verbose_json", CreateTranscriptionResponseVerboseJson),
        ("diarized_json", CreateTranscriptionResponseDiarizedJson),
    ],
)
async def test_the_json_transcription_formats_structure_into_their_types(
    client: trio_openai.Client, response_format: Any, kind: type
) -> None:
    """``verbose_json`` and ``diarized_json`` answers are their own typed results."""
    answer = await client.audio.transcriptions.create(
        file=await spoken(client, "two words"),
        model="gpt-4o-transcribe-diarize" if response_format == "diarized_json" else "whisper-1",
        response_format=response_format,
    )
    assert isinstance(answer, kind)
    assert answer.text == "two words"
    fully_typed(answer)


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ("text", "one two\n"),
        ("srt", "1\n00:00:00,000 --> 00:00:01,000\none two\n\n"),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\none two\n\n"),
    ],
)
async def test_the_text_transcription_formats_are_plain_text(
    client: trio_openai.Client, response_format: Any, expected: str
) -> None:
    """``text``, ``srt`` and ``vtt`` answer text (0.4 s a word, plus 0.2 s)."""
    answer = await client.audio.transcriptions.create(
        file=await spoken(client, "one two"), model="whisper-1", response_format=response_format
    )
    assert answer == expected


async def test_a_streamed_transcription_sends_deltas_then_done(client: trio_openai.Client) -> None:
    """The deltas join into the text, and ``transcript.text.done`` holds it whole."""
    async with client.audio.transcriptions.stream(
        file=await spoken(client, "stream me please"), model="gpt-4o-mini-transcribe"
    ) as events:
        seen = [event async for event in events]
    fully_typed(seen)
    *deltas, done = seen
    assert "".join(d.delta for d in deltas) == "stream me please"  # type: ignore[union-attr]
    assert (done.type, done.text) == ("transcript.text.done", "stream me please")  # type: ignore[union-attr]


async def test_whisper_does_not_stream(client: trio_openai.Client) -> None:
    """As the API: ``whisper-1`` with ``stream`` is a 400."""
    audio = await spoken(client, "x")
    stream = client.audio.transcriptions.stream(file=audio, model="whisper-1")
    with pytest.raises(trio_openai.BadRequestError):
        await stream.__aenter__()


async def test_translations_answer_the_text(client: trio_openai.Client) -> None:
    """``translations`` reads the fake's speech back as ``{"text": ...}``."""
    answer = await client.audio.translations.create(
        file=await spoken(client, "bonjour"), model="whisper-1"
    )
    assert answer.text == "bonjour"  # type: ignore[union-attr]
    fully_typed(answer)


async def test_a_speech_stream_carries_the_audio_in_base64_deltas(
    client: trio_openai.Client,
) -> None:
    """``speech.stream``: the deltas decode to the bytes ``create`` answers; done has usage."""
    text = "a sentence long enough to need more than one audio chunk of thirty-two bytes"
    whole = await client.audio.speech.create(model="tts-1", voice="alloy", input=text)
    async with client.audio.speech.stream(model="tts-1", voice="alloy", input=text) as events:
        seen = [event async for event in events]
    fully_typed(seen)
    *deltas, done = seen
    assert len(deltas) > 1
    assert all(isinstance(d, SpeechAudioDeltaEvent) for d in deltas)
    audio = b"".join(base64.b64decode(d.audio) for d in deltas)  # type: ignore[union-attr]
    assert audio == whole.content
    assert isinstance(done, SpeechAudioDoneEvent)
    assert done.usage.output_tokens == len(deltas)


# -- the spec -----------------------------------------------------------------------------------


async def test_every_media_reply_fits_the_spec(
    fake_openai: FakeOpenAI, schemas: dict[str, Any]
) -> None:
    """Each JSON answer and stream event of these routes fits its spec schema."""
    replies: list[tuple[str, object]] = []
    async with httpx2.AsyncClient(
        transport=fake_openai.transport(), base_url=fake_openai.base_url
    ) as http:

        async def call(schema: str, path: str, **kwargs: Any) -> None:
            response = await http.post(path, **kwargs)
            assert response.status_code == 200, response.text
            if response.headers["content-type"].startswith("text/event-stream"):
                lines = response.text.splitlines()
                replies.extend((schema, json.loads(x[6:])) for x in lines if x.startswith("data: "))
            else:
                replies.append((schema, response.json()))

        gen = {"prompt": "x", "model": "gpt-image-1"}
        await call("ImagesResponse", "/images/generations", json=gen)
        await call("ImagesResponse", "/images/generations", json={"prompt": "x"})
        stream = {**gen, "stream": True, "partial_images": 1}
        await call("ImageGenStreamEvent", "/images/generations", json=stream)
        await call("ImagesResponse", "/images/edits", data={"prompt": "x"}, files={"image": PNG})
        await call(
            "ImageEditStreamEvent",
            "/images/edits",
            data={"prompt": "x", "stream": "true"},
            files={"image": PNG},
        )
        await call("ImagesResponse", "/images/variations", files={"image": PNG})
        audio = {"file": ("a.mp3", b"fake-audio:hi there", "audio/mpeg")}
        for model, fmt, schema in [
            ("gpt-4o-transcribe", "json", "CreateTranscriptionResponseJson"),
            ("whisper-1", "json", "CreateTranscriptionResponseJson"),
            ("whisper-1", "verbose_json", "CreateTranscriptionResponseVerboseJson"),
            (
                "gpt-4o-transcribe-diarize",
                "diarized_json",
                "CreateTranscriptionResponseDiarizedJson",
            ),
        ]:
            data = {"model": model, "response_format": fmt}
            await call(schema, "/audio/transcriptions", data=data, files=audio)
        data = {"model": "gpt-4o-transcribe", "stream": "true"}
        await call(
            "CreateTranscriptionResponseStreamEvent",
            "/audio/transcriptions",
            data=data,
            files=audio,
        )
        for fmt, schema in [
            ("json", "CreateTranslationResponseJson"),
            ("verbose_json", "CreateTranslationResponseVerboseJson"),
        ]:
            data = {"model": "whisper-1", "response_format": fmt}
            await call(schema, "/audio/translations", data=data, files=audio)
        speech = {"model": "tts-1", "voice": "alloy", "input": "hi", "stream_format": "sse"}
        await call("CreateSpeechResponseStreamEvent", "/audio/speech", json=speech)

    assert len(replies) > 15
    for schema, value in replies:
        assert violations(schemas, {"$ref": f"#/components/schemas/{schema}"}, value, schema) == []
