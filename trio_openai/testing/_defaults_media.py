"""Default replies for images and audio: generations, edits, transcriptions, speech streams.

Deterministic fakes, as `_generate.py`'s:

- **Images** (``/images/generations``, ``/images/edits``, ``/images/variations``): *n*
  fake PNGs (the PNG signature, then ``fake-image:<prompt>``), as ``b64_json`` (GPT
  image models, or ``response_format: b64_json``) or as a ``url`` on the reserved
  ``.invalid`` domain (DALL·E's default: nothing can fetch it). With ``stream: true``,
  ``partial_images`` partial events, then a completed event per image.
- **Transcriptions and translations** read the uploaded audio back: a file made by the
  fake's ``/audio/speech`` transcribes to the text it was made from; any other file to
  `_generate.FALLBACK_TEXT`. Formats ``json``, ``text``, ``srt``, ``vtt``,
  ``verbose_json``, ``diarized_json``; ``stream: true`` gives ``transcript.text.delta``
  events and a ``transcript.text.done`` (not for ``whisper-1``, as the API).
- **Speech** with ``stream_format: sse`` streams ``speech.audio.delta`` events (the
  audio in base64 chunks) and a ``speech.audio.done`` with usage; otherwise the bytes.

Shapes follow the OpenAPI spec: ``ImagesResponse``, ``ImageGenStreamEvent``,
``ImageEditStreamEvent``, ``CreateTranscriptionResponse*``, ``CreateTranslationResponse*``,
``CreateTranscriptionResponseStreamEvent``, ``CreateSpeechResponseStreamEvent``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _generate
from ._error_bodies import BadRequest, missing
from ._params import json_object
from ._script import Body, JsonBody, RawBody, SseBody, SseEvent, json_event

if TYPE_CHECKING:
    from ._records import FakeRequest, MultipartForm
    from ._store import Store

__all__ = ["PNG_SIGNATURE", "ROUTES", "spoken_text"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
"""The first bytes of every fake image."""

_SPEECH_MARK = b"fake-audio:"
_AUDIO_CHUNK = 32  # bytes of audio per speech.audio.delta event
_IMAGE_URL = "https://images.fake-openai.invalid/{id}.png"
_TRANSCRIBE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
_TRANSLATE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")


def spoken_text(audio: bytes) -> str:
    """The text the fake's ``/audio/speech`` made *audio* from, else the fallback text.

    Args:
        audio: The uploaded audio bytes.
    """
    _, mark, text = audio.partition(_SPEECH_MARK)
    if mark and text:
        return text.decode("utf-8", errors="replace")
    return _generate.FALLBACK_TEXT


def _form(request: FakeRequest) -> MultipartForm:
    try:
        return request.multipart()
    except ValueError as error:
        raise BadRequest(f"Expected a multipart/form-data body: {error}") from None


def _int_field(fields: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = fields.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid value for '{name}': {raw!r}.", param=name) from None
    if not low <= value <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}.", param=name)
    return value


def _truthy(value: object) -> bool:
    return value is True or value == "true"


# -- images -----------------------------------------------------------------------------------


def _gpt_image(model: str) -> bool:
    return model.startswith("gpt-image")


def _image_bytes(prompt: str, index: int) -> bytes:
    return PNG_SIGNATURE + f"fake-image:{prompt}#{index}".encode()


def _image_usage(prompt: str, images: int) -> dict[str, object]:
    text_tokens = _generate.count_tokens(prompt)
    output = 100 * images
    return {
        "input_tokens": text_tokens,
        "output_tokens": output,
        "total_tokens": text_tokens + output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
    }


def _images(
    defaults: Store, fields: Mapping[str, Any], *, edit: bool, variation: bool = False
) -> Body:
    prompt = fields.get("prompt")
    if not variation and (not isinstance(prompt, str) or not prompt):
        raise missing("prompt")
    prompt = prompt if isinstance(prompt, str) else ""
    model = str(fields.get("model") or ("gpt-image-1" if edit else "dall-e-2"))
    count = _int_field(fields, "n", 1, 1, 10)
    output_format = str(fields.get("output_format") or "png")
    size = str(fields.get("size") or "1024x1024")
    quality = str(fields.get("quality") or ("high" if _gpt_image(model) else "standard"))
    background = str(fields.get("background") or "opaque")
    b64 = _gpt_image(model) or fields.get("response_format") == "b64_json"
    if _truthy(fields.get("stream")):
        partials = _int_field(fields, "partial_images", 0, 0, 3)
        kind = "image_edit" if edit else "image_generation"
        head = {
            "created_at": defaults.created,
            "size": size if size != "auto" else "1024x1024",
            "quality": quality if quality in {"low", "medium", "high"} else "auto",
            "background": background,
            "output_format": output_format,
        }
        events: list[SseEvent] = []
        for index in range(count):
            image = base64.b64encode(_image_bytes(prompt, index)).decode()
            partial_type, done_type = f"{kind}.partial_image", f"{kind}.completed"
            for partial in range(partials):
                payload: dict[str, object] = {"type": partial_type, "b64_json": image, **head}
                payload["partial_image_index"] = partial
                events.append(json_event(payload, event=partial_type))
            done: dict[str, object] = {"type": done_type, "b64_json": image, **head}
            done["usage"] = _image_usage(prompt, 1)
            events.append(json_event(done, event=done_type))
        return SseBody(tuple(events))
    data: list[dict[str, object]] = []
    for index in range(count):
        if b64:
            data.append({"b64_json": base64.b64encode(_image_bytes(prompt, index)).decode()})
        else:
            data.append({"url": _IMAGE_URL.format(id=defaults.new_id("img-fake-"))})
        if model == "dall-e-3" and prompt:
            data[-1]["revised_prompt"] = prompt
    answer: dict[str, object] = {"created": defaults.created, "data": data}
    if _gpt_image(model):
        answer |= {
            "background": background,
            "output_format": output_format,
            "size": size,
            "quality": quality,
            "usage": _image_usage(prompt, count),
        }
    return JsonBody(answer)


def _generate_images(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    return _images(defaults, json_object(request), edit=False)


def _edit_images(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    form = _form(request)
    if not any(part.name in {"image", "image[]"} for part in form.parts if part.filename):
        raise missing("image")
    return _images(defaults, form.fields, edit=True)


def _image_variations(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    form = _form(request)
    if "image" not in form.files:
        raise missing("image")
    fields = {**form.fields, "model": form.fields.get("model") or "dall-e-2"}
    return _images(defaults, fields, edit=False, variation=True)


# -- audio ------------------------------------------------------------------------------------


def _duration(text: str) -> float:
    return round(0.4 * len(text.split()) + 0.2, 2)


def _segments(text: str) -> list[dict[str, object]]:
    end = _duration(text)
    return [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": end,
            "text": text,
            "tokens": list(range(1, _generate.count_tokens(text) + 1)),
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        }
    ]


def _subtitles(text: str, fmt: str) -> str:
    end = _duration(text)
    seconds, millis = divmod(round(end * 1000), 1000)
    stamp = f"00:00:{seconds:02d}{',' if fmt == 'srt' else '.'}{millis:03d}"
    start = "00:00:00,000" if fmt == "srt" else "00:00:00.000"
    if fmt == "srt":
        return f"1\n{start} --> {stamp}\n{text}\n\n"
    return f"WEBVTT\n\n{start} --> {stamp}\n{text}\n\n"


def _token_usage(text: str) -> dict[str, object]:
    tokens = _generate.count_tokens(text)
    return {
        "type": "tokens",
        "input_tokens": tokens,
        "output_tokens": tokens,
        "total_tokens": 2 * tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": tokens},
    }


def _audio_answer(form: MultipartForm, *, translate: bool) -> Body:
    upload = form.files.get("file")
    if upload is None:
        raise missing("file")
    fields = form.fields
    model = fields.get("model")
    if not model:
        raise missing("model")
    fmt = fields.get("response_format") or "json"
    formats = _TRANSLATE_FORMATS if translate else _TRANSCRIBE_FORMATS
    if fmt not in formats:
        raise BadRequest(f"Invalid value for 'response_format': {fmt!r}.", param="response_format")
    text = spoken_text(upload.content)
    whisper = model == "whisper-1"
    usage = {"type": "duration", "seconds": _duration(text)} if whisper else _token_usage(text)
    if _truthy(fields.get("stream")) and not translate:
        if whisper:
            raise BadRequest("Streaming is not supported for the whisper-1 model.", param="stream")
        events = [
            json_event({"type": "transcript.text.delta", "delta": piece})
            for piece in _generate.pieces(text)
        ]
        events.append(json_event({"type": "transcript.text.done", "text": text, "usage": usage}))
        return SseBody(tuple(events))
    if fmt == "text":
        return RawBody(f"{text}\n".encode(), "text/plain; charset=utf-8")
    if fmt in {"srt", "vtt"}:
        return RawBody(_subtitles(text, fmt).encode(), "text/plain; charset=utf-8")
    if fmt == "verbose_json":
        verbose: dict[str, object] = {
            "language": "english",
            "duration": _duration(text),
            "text": text,
            "segments": _segments(text),
        }
        if not translate:
            verbose["usage"] = {"type": "duration", "seconds": _duration(text)}
        return JsonBody(verbose)
    if fmt == "diarized_json":
        segment = {
            "type": "transcript.text.segment",
            "id": "seg_0",
            "start": 0.0,
            "end": _duration(text),
            "text": text,
            "speaker": "A",
        }
        diarized = {"task": "transcribe", "duration": _duration(text), "text": text}
        return JsonBody({**diarized, "segments": [segment], "usage": usage})
    return JsonBody({"text": text} if translate else {"text": text, "usage": usage})


def _transcribe(_: Store, request: FakeRequest, __: Mapping[str, str]) -> Body:
    return _audio_answer(_form(request), translate=False)


def _translate(_: Store, request: FakeRequest, __: Mapping[str, str]) -> Body:
    return _audio_answer(_form(request), translate=True)


def _speech(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    body = json_object(request)
    audio = defaults.generate(_generate.speech, body)
    if body.get("stream_format") != "sse":
        return audio
    if not isinstance(audio, RawBody):  # _generate.speech answers bytes or raises
        return audio
    content = audio.content
    events = [
        json_event(
            {
                "type": "speech.audio.delta",
                "audio": base64.b64encode(content[i : i + _AUDIO_CHUNK]).decode(),
            }
        )
        for i in range(0, len(content), _AUDIO_CHUNK)
    ]
    tokens = _generate.count_tokens(str(body.get("input", "")))
    usage = {
        "input_tokens": tokens,
        "output_tokens": len(events),
        "total_tokens": tokens + len(events),
    }
    events.append(json_event({"type": "speech.audio.done", "usage": usage}))
    return SseBody(tuple(events))


ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/images/generations", _generate_images),
    ("POST", "/images/edits", _edit_images),
    ("POST", "/images/variations", _image_variations),
    ("POST", "/audio/transcriptions", _transcribe),
    ("POST", "/audio/translations", _translate),
    ("POST", "/audio/speech", _speech),
)
"""``(method, path, handler)`` of every route this module answers."""
