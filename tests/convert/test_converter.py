"""The converter: JSON payloads (shapes from the spec's examples) to models and back."""

from __future__ import annotations

import copy
import json
import traceback
from typing import Any, Literal

import attrs
import httpx2
import pytest

from trio_openai._convert._converter import ValidationError, make_converter, structure, unstructure
from trio_openai._convert._decode import structure_as
from trio_openai._errors import APIResponseValidationError
from trio_openai._models import BaseModel, UnknownObject
from trio_openai._types import NOT_GIVEN
from trio_openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
)
from trio_openai.types.embeddings import CreateEmbeddingResponse, CreateEmbeddingResponseBase64
from trio_openai.types.moderations import CreateModerationResponse
from trio_openai.types.responses import (
    FunctionToolCall,
    InputMessageResource,
    OutputMessage,
    OutputTextContent,
    Response,
    ResponseCompletedEvent,
    ResponseItemList,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)

CHAT_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-5.4",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello! How can I assist you today?",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 19,
        "completion_tokens": 10,
        "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
}

CHUNK = (
    b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
    b'"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}]}'
)

RESPONSE: dict[str, Any] = {
    "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    "object": "response",
    "created_at": 1741476542,
    "status": "completed",
    "completed_at": 1741476543,
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-5.4",
    "output": [
        {
            "type": "message",
            "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "In a peaceful grove beneath a silver moon, ",
                    "annotations": [],
                },
                {"type": "output_text", "text": "a unicorn named Lumina.", "annotations": []},
            ],
        },
        {
            "type": "function_call",
            "id": "fc_67ca09c6bedc8190a7abfec07b1a1332096610f474011cc0",
            "call_id": "call_unLAR8MvFNptuiZK6K6HCy5k",
            "name": "get_current_weather",
            "arguments": '{"location":"Boston, MA","unit":"celsius"}',
            "status": "completed",
        },
    ],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": {
        "input_tokens": 36,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 87,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 123,
    },
    "user": None,
    "metadata": {},
}


def test_chat_completion_structures_to_its_classes() -> None:
    """A chat completion decodes into the generated classes, nested ones included."""
    completion = structure(CHAT_COMPLETION, ChatCompletion)
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "Hello! How can I assist you today?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 29
    assert completion.model_extra == {}


def test_stream_chunk_structures_to_its_class() -> None:
    """A streamed chat chunk decodes into `ChatCompletionChunk` with its delta."""
    chunk = structure(json.loads(CHUNK), ChatCompletionChunk)
    assert isinstance(chunk, ChatCompletionChunk)
    assert chunk.choices[0].delta.role == "assistant"
    assert chunk.choices[0].delta.content == "Hello"
    assert chunk.choices[0].finish_reason is None


def test_response_output_items_discriminate_by_type() -> None:
    """`Response.output` items and their content parts become the class their `type` names."""
    response = structure(RESPONSE, Response)
    message, call = response.output
    assert isinstance(message, OutputMessage)
    assert all(isinstance(part, OutputTextContent) for part in message.content)
    assert isinstance(call, FunctionToolCall)
    assert call.name == "get_current_weather"


def test_unknown_discriminator_value_becomes_unknown_object() -> None:
    """An output item of a `type` the spec lacks becomes `UnknownObject`, keeping its data."""
    data = copy.deepcopy(RESPONSE)
    data["output"].append({"type": "hologram_call", "id": "hc_1", "beams": 3})
    item = structure(data, Response).output[-1]
    assert isinstance(item, UnknownObject)
    assert item.type == "hologram_call"
    assert item.data == {"type": "hologram_call", "id": "hc_1", "beams": 3}


@pytest.mark.parametrize("tag", [["message"], {"kind": "message"}], ids=["array", "object"])
def test_a_discriminator_that_is_not_hashable_becomes_unknown_object(tag: object) -> None:
    """An array or object where the tag should be is an unknown kind, not a bare TypeError."""
    data = copy.deepcopy(RESPONSE)
    data["output"][0]["type"] = tag
    item = structure(data, Response).output[0]
    assert isinstance(item, UnknownObject)
    assert item.data == data["output"][0]


def test_models_sharing_a_tag_are_told_apart_by_their_other_literals() -> None:
    """Input items of `type: message` are input or output messages depending on `role`."""
    page = structure(
        {
            "object": "list",
            "data": [
                {
                    "id": "msg_abc123",
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Tell me a story."}],
                },
                RESPONSE["output"][0],
            ],
            "first_id": "msg_abc123",
            "last_id": RESPONSE["output"][0]["id"],
            "has_more": False,
        },
        ResponseItemList,
    )
    assert [type(item) for item in page.data] == [InputMessageResource, OutputMessage]


def test_stream_events_discriminate_and_tolerate_new_types() -> None:
    """Responses stream events decode by `type`; a new event type does not crash."""
    delta = structure(
        {
            "type": "response.output_text.delta",
            "item_id": "msg_123",
            "output_index": 0,
            "content_index": 0,
            "delta": "In",
            "sequence_number": 1,
            "logprobs": [],
        },
        ResponseStreamEvent,
    )
    assert isinstance(delta, ResponseTextDeltaEvent)
    assert delta.delta == "In"
    done = structure(
        {"type": "response.completed", "response": RESPONSE, "sequence_number": 9},
        ResponseStreamEvent,
    )
    assert isinstance(done, ResponseCompletedEvent)
    assert isinstance(done.response, Response)
    new = structure({"type": "response.teleported", "sequence_number": 2}, ResponseStreamEvent)
    assert isinstance(new, UnknownObject)


def test_the_discriminator_is_the_field_that_tells_models_apart() -> None:
    """Image stream events share `size`, `quality`...: `type` is what tells them apart."""
    from trio_openai._convert._converter import make_converter
    from trio_openai._convert._unions import _ModelInfo, _pick_discriminator
    from trio_openai.types import (
        ImageGenCompletedEvent,
        ImageGenPartialImageEvent,
        ImageGenStreamEvent,
    )

    common = {"created_at": 1, "size": "1024x1024", "quality": "high", "background": "auto"}
    partial = {**common, "type": "image_generation.partial_image", "b64_json": "x"}
    partial["partial_image_index"] = 0
    completed = {**common, "type": "image_generation.completed", "b64_json": "y"}
    assert isinstance(structure(partial, ImageGenStreamEvent), ImageGenPartialImageEvent)
    assert isinstance(structure(completed, ImageGenStreamEvent), ImageGenCompletedEvent)
    converter = make_converter()
    infos = [
        _ModelInfo.of(converter, cls) for cls in (ImageGenPartialImageEvent, ImageGenCompletedEvent)
    ]
    assert _pick_discriminator(infos) == "type"


def test_unknown_enum_value_is_accepted() -> None:
    """A `finish_reason` the spec does not list passes through as a string."""
    data = copy.deepcopy(CHAT_COMPLETION)
    data["choices"][0]["finish_reason"] = "ran_out_of_ideas"
    assert structure(data, ChatCompletion).choices[0].finish_reason == "ran_out_of_ideas"


def test_unknown_extra_field_lands_in_model_extra() -> None:
    """Keys the model does not declare are kept in `model_extra`, at any depth."""
    data = copy.deepcopy(CHAT_COMPLETION)
    data["brand_new"] = {"x": 1}
    data["choices"][0]["message"]["mood"] = "cheerful"
    completion = structure(data, ChatCompletion)
    assert completion.model_extra == {"brand_new": {"x": 1}}
    assert completion.choices[0].message.model_extra == {"mood": "cheerful"}


def test_missing_required_field_decodes_as_none() -> None:
    """The spec's `required` is stricter than the API's answers: a missing field is None."""
    data = copy.deepcopy(CHAT_COMPLETION)
    del data["choices"][0]["message"]["refusal"]
    assert structure(data, ChatCompletion).choices[0].message.refusal is None


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("$.choices[0].index", "x", "$.choices[0].index: expected int, got 'x'"),
        ("$.created", "1741569952", "$.created: expected int, got '1741569952'"),
        ("$.model", 5, "$.model: expected str, got 5"),
        ("$.choices[0].message.content", ["a"], "$.choices[0].message.content: expected str"),
        ("$.choices[0].finish_reason", 7, "$.choices[0].finish_reason: expected str, got 7"),
        ("$.usage.total_tokens", 1.5, "$.usage.total_tokens: expected int, got 1.5"),
        ("$.choices", {"a": 1}, "$.choices: expected array, got an object"),
    ],
)
def test_wrong_json_type_raises_naming_the_path(path: str, value: object, expected: str) -> None:
    """A value of the wrong JSON type raises `ValidationError` naming its JSON path."""
    data = copy.deepcopy(CHAT_COMPLETION)
    *parents, last = _steps(path)
    target: Any = data
    for step in parents:
        target = target[step]
    target[last] = value
    with pytest.raises(ValidationError) as info:
        structure(data, ChatCompletion)
    assert str(info.value).startswith(expected)
    assert info.value.path == path
    assert isinstance(info.value, ValueError)


def test_wrong_type_inside_a_discriminated_union_names_the_path() -> None:
    """The error path goes through union members (`output[1]` is a function call)."""
    data = copy.deepcopy(RESPONSE)
    data["output"][1]["arguments"] = {"location": "Boston"}
    with pytest.raises(ValidationError, match=r"^\$\.output\[1\]\.arguments: expected str"):
        structure(data, Response)


def test_keys_that_are_not_python_names_are_mapped() -> None:
    """`self-harm` and `hate/threatening` map to `self_harm` and `hate_threatening`."""
    categories = {
        "sexual": False,
        "hate": False,
        "harassment": False,
        "self-harm": True,
        "sexual/minors": False,
        "hate/threatening": False,
        "violence/graphic": False,
        "self-harm/intent": True,
        "self-harm/instructions": False,
        "harassment/threatening": False,
        "violence": False,
        "illicit": False,
        "illicit/violent": False,
    }
    scores = dict.fromkeys(categories, 0.5)
    applied = {k: ["text"] for k in categories}
    data = {
        "id": "modr-0d9740456c391e43c445bf0f010940c7",
        "model": "omni-moderation-latest",
        "results": [
            {
                "flagged": True,
                "categories": categories,
                "category_scores": scores,
                "category_applied_input_types": applied,
            }
        ],
    }
    result = structure(data, CreateModerationResponse).results[0]
    assert result.categories.self_harm is True
    assert result.categories.self_harm_intent is True
    assert result.categories.model_extra == {}
    assert unstructure(result.categories) == categories


def test_float_fields_accept_integers_and_reject_strings() -> None:
    """JSON has one number type: an int is a valid float and stays an int; a string is not."""
    data = copy.deepcopy(RESPONSE)
    data["temperature"] = 1
    response = structure(data, Response)
    assert type(response.temperature) is int
    assert '"temperature": 1,' in response.to_json()
    assert structure(2**53 + 1, float) == 2**53 + 1  # no digits lost on the way through float
    data["temperature"] = "1"
    with pytest.raises(ValidationError, match=r"^\$\.temperature: expected number"):
        structure(data, Response)


def test_type_dispatched_union_by_json_type() -> None:
    """`str | list[...]` and similar unions pick the member by the value's JSON type."""
    tp = str | list[int] | None
    assert structure("a", tp) == "a"
    assert structure([1, 2], tp) == [1, 2]
    assert structure(None, tp) is None
    with pytest.raises(ValidationError, match=r"^\$: expected str \| array \| null, got 3"):
        structure(3, tp)
    with pytest.raises(ValidationError, match=r"^\$\[1\]: expected int, got 'x'"):
        structure([1, "x"], tp)


def test_literal_rejects_wrong_json_type() -> None:
    """A Literal of strings takes any string but not a number."""
    assert structure("new", Literal["a", "b"]) == "new"
    with pytest.raises(ValidationError, match="expected str, got 1"):
        structure(1, Literal["a", "b"])


def test_unstructure_request_omits_none_fields() -> None:
    """A request model serialises with JSON names only for the fields that were set."""
    request = CreateChatCompletionRequest(
        model="gpt-4o",
        messages=[ChatCompletionRequestUserMessage(role="user", content="Hello!")],
        temperature=0.2,
    )
    assert unstructure(request) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello!"}],
        "temperature": 0.2,
    }


def test_unstructure_walks_plain_containers_and_keeps_extras() -> None:
    """Models inside plain dicts and lists are converted; their `model_extra` is sent too."""
    message = ChatCompletionRequestUserMessage(
        role="user", content="Hi", model_extra={"x_custom": 1}
    )
    body = {"messages": [message], "metadata": {"k": "v"}, "n": 1}
    assert unstructure(body) == {
        "messages": [{"role": "user", "content": "Hi", "x_custom": 1}],
        "metadata": {"k": "v"},
        "n": 1,
    }


def test_round_trip_of_a_response() -> None:
    """Structuring then unstructuring gives back the payload, nulls included, and the model."""
    response = structure(RESPONSE, Response)
    assert unstructure(response) == RESPONSE
    assert structure(unstructure(response), Response) == response


@pytest.mark.parametrize(
    ("data", "tp"),
    [
        (json.loads(CHUNK), ChatCompletionChunk),
        (CHAT_COMPLETION, ChatCompletion),
        (RESPONSE, Response),
    ],
    ids=["chunk", "completion", "response"],
)
def test_decoded_models_give_back_exactly_the_fields_sent(data: dict[str, Any], tp: Any) -> None:
    """A null the server sent is written back, optional fields' nulls included."""
    assert structure(data, tp).to_dict() == data


def test_required_nullable_fields_the_server_left_out_stay_out() -> None:
    """`refusal` and `logprobs` are required and nullable: not sent, so not written as null."""
    data = copy.deepcopy(CHAT_COMPLETION)
    del data["choices"][0]["logprobs"], data["choices"][0]["message"]["refusal"]
    assert structure(data, ChatCompletion).to_dict() == data
    assert json.loads(structure(data, ChatCompletion).to_json()) == data


@attrs.frozen(kw_only=True)
class _Checked(BaseModel):
    """A model with a validator: decoded through ``__init__``, not by writing its slots."""

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    note: str | None = None
    size: int | None


def test_models_decoded_through_init_keep_extras_and_presence() -> None:
    """The slower path (validators, post-init) keeps `model_extra` and the nulls sent too."""
    data = {"name": "a", "note": None, "x": 1}
    model = structure(data, _Checked)
    assert model.model_extra == {"x": 1}
    assert model.to_dict() == data
    assert _Checked(name="a", size=None).to_dict() == {"name": "a", "size": None}


@attrs.frozen(kw_only=True)
class _Plain:
    """An attrs class that is not a `BaseModel`: no `model_extra`, no presence record."""

    name: str
    note: str | None = None


def test_plain_attrs_classes_still_structure() -> None:
    """The converter decodes attrs classes that do not derive from `BaseModel` too."""
    assert structure({"name": "a", "note": None}, _Plain) == _Plain(name="a")


def _response() -> httpx2.Response:
    request = httpx2.Request("POST", "https://api.openai.com/v1/responses")
    return httpx2.Response(200, request=request)


@pytest.mark.parametrize(
    ("tp", "path", "value"),
    [
        (ChatCompletion, "$.model", 5),
        (ChatCompletion, "$.choices[0].message.content", 5),
        (Response, "$.output[1].name", 5),
        (Response, "$.output[0].content[1].text", 5),
    ],
    ids=["model", "nested-model", "union-member", "list-item"],
)
def test_validation_error_formats_with_captured_locals(tp: Any, path: str, value: object) -> None:
    """`TracebackException(capture_locals=True)` of a bad body does not crash on a frame's repr."""
    data = copy.deepcopy(CHAT_COMPLETION if tp is ChatCompletion else RESPONSE)
    *parents, last = _steps(path)
    target: Any = data
    for step in parents:
        target = target[step]
    target[last] = value
    with pytest.raises(APIResponseValidationError) as info:
        structure_as(data, tp, _response())
    exc = info.value
    assert exc.path == path
    text = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    assert f"{path}: expected" in text


def test_converter_is_built_once() -> None:
    """`make_converter` returns the same converter on every call."""
    assert make_converter() is make_converter()


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        steps.append(int(part[1:-1]) if part.startswith("[") else part)
    return steps


def test_base64_embeddings_decode_into_their_own_model() -> None:
    """Base64 embeddings decode as `EmbeddingBase64` strings; the float model refuses them."""
    data: dict[str, Any] = {
        "object": "list",
        "data": [{"object": "embedding", "embedding": "AAAAAA==", "index": 0}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
    assert structure(data, CreateEmbeddingResponseBase64).data[0].embedding == "AAAAAA=="
    with pytest.raises(ValidationError, match=r"data\[0\]\.embedding"):
        structure(data, CreateEmbeddingResponse)
    data["data"][0]["embedding"] = [0.0023064255, -0.009327292]
    assert structure(data, CreateEmbeddingResponse).data[0].embedding == [
        0.0023064255,
        -0.009327292,
    ]


def test_embeddings_create_decodes_by_encoding_format() -> None:
    """The request of `embeddings.create` decodes into the model its encoding_format answers."""
    from trio_openai.resources.embeddings import Embeddings

    build = Embeddings.create._build
    for fmt, expected in (
        ("base64", CreateEmbeddingResponseBase64),
        ("float", CreateEmbeddingResponse),
        (NOT_GIVEN, CreateEmbeddingResponse),
    ):
        spec = build(object(), model="m", input="x", encoding_format=fmt)
        assert spec.result is expected, fmt
