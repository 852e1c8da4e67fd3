"""Default bodies for the generative routes: chat, completions, responses, embeddings, ...

Pure functions of the request body: the text is an echo of the last user input,
token counts are word counts, vectors are hashes. Everything is deterministic,
so a test can assert on what comes back. Shapes follow the OpenAPI spec
(``CreateChatCompletionResponse``, ``Response``, ``ResponseStreamEvent``, ...).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ._error_bodies import BadRequest, missing
from ._script import DONE, Body, JsonBody, RawBody, SseBody, SseEvent, json_event

__all__ = [
    "Context",
    "chat_completion",
    "completion",
    "embeddings",
    "moderation",
    "response",
    "speech",
]

FALLBACK_TEXT = "Hello from the fake OpenAI server."
EMBEDDING_DIMENSIONS = 8
SYSTEM_FINGERPRINT = "fp_fake"
_PIECES = re.compile(r"\s+|\S+\s*")

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

_AUDIO = {
    "mp3": ("audio/mpeg", b"ID3\x04\x00\x00\x00\x00\x00\x00"),
    "opus": ("audio/opus", b"OggS\x00\x02"),
    "aac": ("audio/aac", b"\xff\xf1\x50\x80"),
    "flac": ("audio/flac", b"fLaC"),
    "wav": ("audio/wav", b"RIFF\x00\x00\x00\x00WAVE"),
    "pcm": ("audio/pcm", b""),
}


@attrs.frozen(kw_only=True)
class Context:
    """What a generator needs besides the request body.

    Attributes:
        created: The Unix time stamp put in ``created`` fields.
        new_id: Returns a fresh id with the given prefix (``chatcmpl-fake-1``).
    """

    created: int
    new_id: Callable[[str], str]


def pieces(text: str) -> list[str]:
    """Split *text* into stream deltas (words with their trailing space).

    Args:
        text: The full text; joining the pieces gives it back.
    """
    return _PIECES.findall(text)


def count_tokens(text: str) -> int:
    """Return a stand-in token count: the number of words (at least 1).

    Args:
        text: Any text.
    """
    return max(1, len(text.split()))


def _text_of(content: object) -> str:
    """The text of a message content: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def _last_user_text(items: object) -> str:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return ""
    for item in reversed(items):
        if isinstance(item, Mapping) and item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def _all_text(items: object) -> str:
    if isinstance(items, str):
        return items
    if not isinstance(items, Sequence):
        return ""
    return " ".join(_text_of(item.get("content")) for item in items if isinstance(item, Mapping))


def _require(body: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) is None:
            raise missing(name)


def _stream_requested(body: Mapping[str, Any]) -> bool:
    return body.get("stream") is True


def _chat_usage(prompt: int, completion: int) -> dict[str, object]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _choices(body: Mapping[str, Any]) -> range:
    n = body.get("n")
    return range(n if isinstance(n, int) and n > 0 else 1)


def chat_completion(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /chat/completions``: echo the last user message, streamed if asked.

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``model`` or ``messages`` is missing.
    """
    _require(body, "model", "messages")
    messages = body["messages"]
    text = _last_user_text(messages) or FALLBACK_TEXT
    usage = _chat_usage(count_tokens(_all_text(messages)), count_tokens(text))
    head = {
        "id": ctx.new_id("chatcmpl-fake-"),
        "object": "chat.completion",
        "created": ctx.created,
        "model": body["model"],
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if not _stream_requested(body):
        message: dict[str, object] = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "annotations": [],
        }
        choices = [
            {"index": i, "message": message, "logprobs": None, "finish_reason": "stop"}
            for i in _choices(body)
        ]
        return JsonBody({**head, "choices": choices, "usage": usage})

    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
    head["object"] = "chat.completion.chunk"

    def chunk(delta: Mapping[str, object], finish: str | None) -> SseEvent:
        choices = [
            {"index": i, "delta": delta, "logprobs": None, "finish_reason": finish}
            for i in _choices(body)
        ]
        extra = {"usage": None} if include_usage else {}
        return json_event({**head, "choices": choices, **extra})

    events = [chunk({"role": "assistant", "content": "", "refusal": None}, None)]
    events += [chunk({"content": piece}, None) for piece in pieces(text)]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append(json_event({**head, "choices": [], "usage": usage}))
    events.append(SseEvent(data=DONE))
    return SseBody(tuple(events))


def completion(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /completions`` (legacy): echo the prompt, streamed if asked.

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``model`` or ``prompt`` is missing.
    """
    _require(body, "model", "prompt")
    prompt = body["prompt"]
    prompts = [prompt] if isinstance(prompt, str) else [p for p in prompt if isinstance(p, str)]
    prompts = prompts or [FALLBACK_TEXT]
    head = {
        "id": ctx.new_id("cmpl-fake-"),
        "object": "text_completion",
        "created": ctx.created,
        "model": body["model"],
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    tokens = sum(count_tokens(p) for p in prompts)
    usage = {"prompt_tokens": tokens, "completion_tokens": tokens, "total_tokens": 2 * tokens}
    if not _stream_requested(body):
        choices = [
            {"index": i, "text": text, "logprobs": None, "finish_reason": "stop"}
            for i, text in enumerate(prompts)
        ]
        return JsonBody({**head, "choices": choices, "usage": usage})

    def chunk(index: int, text: str, finish: str | None) -> SseEvent:
        choice = {"index": index, "text": text, "logprobs": None, "finish_reason": finish}
        return json_event({**head, "choices": [choice]})

    events = [
        chunk(index, piece, None) for index, text in enumerate(prompts) for piece in pieces(text)
    ]
    events += [chunk(index, "", "stop") for index in range(len(prompts))]
    events.append(SseEvent(data=DONE))
    return SseBody(tuple(events))


def _response_input_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return _last_user_text(value)


def _response_object(
    body: Mapping[str, Any],
    *,
    response_id: str,
    created: int,
    status: str,
    output: list[object],
    usage: Mapping[str, object] | None,
) -> dict[str, object]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "completed_at": created if status == "completed" else None,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "model": body["model"],
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": None,
        "service_tier": "default",
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
    }


def response(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /responses``: a message echoing the input, or its typed event stream.

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``model`` is missing.
    """
    _require(body, "model")
    text = _response_input_text(body.get("input")) or FALLBACK_TEXT
    input_tokens = count_tokens(_all_text(body.get("input")))
    output_tokens = count_tokens(text)
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    response_id = ctx.new_id("resp_fake_")
    item_id = ctx.new_id("msg_fake_")
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    item = {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }

    def snapshot(status: str, output: list[object], use: Mapping[str, object] | None) -> object:
        return _response_object(
            body,
            response_id=response_id,
            created=ctx.created,
            status=status,
            output=output,
            usage=use,
        )

    if not _stream_requested(body):
        return JsonBody(snapshot("completed", [item], usage))

    place = {"item_id": item_id, "output_index": 0, "content_index": 0}
    payloads: list[dict[str, object]] = [
        {"type": "response.created", "response": snapshot("in_progress", [], None)},
        {"type": "response.in_progress", "response": snapshot("in_progress", [], None)},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
        {"type": "response.content_part.added", **place, "part": {**part, "text": ""}},
        *(
            {"type": "response.output_text.delta", **place, "delta": piece, "logprobs": []}
            for piece in pieces(text)
        ),
        {"type": "response.output_text.done", **place, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **place, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": snapshot("completed", [item], usage)},
    ]
    events = (
        json_event({**payload, "sequence_number": number}, event=str(payload["type"]))
        for number, payload in enumerate(payloads)
    )
    return SseBody(tuple(events))


def _embedding_inputs(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and value and all(isinstance(v, int) for v in value):
        return [repr(list(value))]  # one input given as token ids
    if isinstance(value, Sequence) and value:
        return [v if isinstance(v, str) else repr(v) for v in value]
    raise BadRequest("'input' must be a non-empty string or array.", param="input")


def vector(text: str, dimensions: int) -> list[float]:
    """Return a deterministic unit vector for *text*.

    Args:
        text: The input.
        dimensions: The vector's length.
    """
    raw: list[float] = []
    for block in _hash_blocks(text):
        raw += [(byte - 127.5) / 127.5 for byte in block]
        if len(raw) >= dimensions:
            break
    raw = raw[:dimensions]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 6) for v in raw]


def _hash_blocks(text: str) -> Iterator[bytes]:
    counter = 0
    while True:
        yield hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1


def embeddings(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /embeddings``: one small deterministic vector per input.

    Honours ``dimensions`` (default 8) and ``encoding_format="base64"``
    (little-endian float32, as the official SDKs request by default).

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``model`` or ``input`` is missing or malformed.
    """
    _require(body, "model", "input")
    inputs = _embedding_inputs(body["input"])
    dimensions = body.get("dimensions") or EMBEDDING_DIMENSIONS
    if not isinstance(dimensions, int) or dimensions < 1:
        raise BadRequest("'dimensions' must be a positive integer.", param="dimensions")
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(inputs):
        values = vector(text, dimensions)
        encoded: object = values
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(count_tokens(text) for text in inputs)
    return JsonBody(
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def moderation(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /moderations``: one unflagged result per input.

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``input`` is missing.
    """
    _require(body, "input")
    value = body["input"]
    # A list of strings gets one result each; a multimodal list is one input.
    count = len(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else 1
    result = {
        "flagged": False,
        "categories": dict.fromkeys(MODERATION_CATEGORIES, False),
        "category_scores": dict.fromkeys(MODERATION_CATEGORIES, 0.0),
        "category_applied_input_types": {name: ["text"] for name in MODERATION_CATEGORIES},
    }
    return JsonBody(
        {
            "id": ctx.new_id("modr-fake-"),
            "model": body.get("model") or "omni-moderation-latest",
            "results": [result] * max(count, 1),
        }
    )


def speech(body: Mapping[str, Any], ctx: Context) -> Body:
    """``POST /audio/speech``: fake audio bytes (a format's magic, then the input text).

    Args:
        body: The request body.
        ctx: Ids and time stamp.

    Raises:
        BadRequest: ``model``, ``input`` or ``voice`` is missing, or an unknown format.
    """
    _require(body, "model", "input", "voice")
    fmt = body.get("response_format") or "mp3"
    if fmt not in _AUDIO:
        raise BadRequest(f"Invalid value for 'response_format': {fmt!r}.", param="response_format")
    content_type, magic = _AUDIO[fmt]
    return RawBody(magic + b"fake-audio:" + str(body["input"]).encode(), content_type)
