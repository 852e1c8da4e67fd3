"""The generated models and their hand-written base pieces (`_models.py`, `_lib/_mixins.py`)."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any, Literal

import attrs
import pytest

from tests.convert.test_converter import CHAT_COMPLETION, RESPONSE
from trio_openai._convert._converter import structure
from trio_openai._models import BaseModel, UnknownObject
from trio_openai.types import responses as responses_types
from trio_openai.types.chat import (
    ChatCompletion,
    ChatCompletionStreamResponseDelta,
    CreateChatCompletionResponse,
)
from trio_openai.types.files import FileObject, OpenAIFile
from trio_openai.types.models import Model
from trio_openai.types.responses import OutputMessage, OutputTextContent, Response


def test_output_text_joins_the_output_text_parts_of_message_items() -> None:
    """`Response.output_text` concatenates every `output_text` part of `message` items."""
    response = structure(RESPONSE, Response)
    assert response.output_text == (
        "In a peaceful grove beneath a silver moon, a unicorn named Lumina."
    )


def test_beta_response_has_output_text_too() -> None:
    """The `?beta=true` variant's `BetaResponse` gets the same `output_text` mixin."""
    from trio_openai.types import BetaResponse

    assert structure(RESPONSE, BetaResponse).output_text.endswith("Lumina.")


def test_output_text_skips_other_items_and_parts() -> None:
    """Refusals, tool calls and unknown items add nothing to `output_text`."""
    data = copy.deepcopy(RESPONSE)
    data["output"][0]["content"].append({"type": "refusal", "refusal": "No."})
    data["output"].insert(0, {"type": "mystery", "content": [{"type": "output_text"}]})
    response = structure(data, Response)
    assert isinstance(response.output[0], UnknownObject)
    assert response.output_text.endswith("Lumina.")
    empty = copy.deepcopy(RESPONSE)
    empty["output"] = []
    assert structure(empty, Response).output_text == ""


def test_models_are_frozen_slotted_and_keyword_only() -> None:
    """Generated models are immutable, slotted, and take keyword arguments only."""
    model = Model(id="gpt-4o", created=1686935002, object="model", owned_by="openai")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        model.id = "other"  # type: ignore[misc]
    assert not hasattr(model, "__dict__")
    with pytest.raises(TypeError):
        Model("gpt-4o", 1, "model", "openai")  # type: ignore[misc]
    assert model.shutdown_date is None
    assert isinstance(model, BaseModel)


def test_model_extra_is_empty_by_default_and_ignored_by_equality() -> None:
    """`model_extra` starts empty and does not take part in `==`."""
    a = Model(id="m", created=1, object="model", owned_by="o")
    b = Model(id="m", created=1, object="model", owned_by="o", model_extra={"x": 1})
    assert a.model_extra == {}
    assert a == b
    assert "model_extra" not in repr(b)


def test_to_dict_and_to_json_use_api_names() -> None:
    """`to_dict` gives JSON-ready data: None left out, except required nullable fields."""
    completion = structure(CHAT_COMPLETION, ChatCompletion)
    data = completion.to_dict()
    assert data["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Hello! How can I assist you today?",
        "refusal": None,
        "annotations": [],
    }
    assert json.loads(completion.to_json())["usage"]["total_tokens"] == 29


def _decoded_delta() -> ChatCompletionStreamResponseDelta:
    """A delta as the API streams it: two nulls sent for optional fields."""
    data = {"role": "assistant", "content": None, "refusal": None}
    delta: ChatCompletionStreamResponseDelta = structure(data, ChatCompletionStreamResponseDelta)
    assert delta.to_dict() == data
    return delta


def test_the_presence_record_is_not_part_of_eq_hash_or_repr() -> None:
    """A decoded model and one built with the same values are equal, hash and print alike."""
    decoded = _decoded_delta()
    built = ChatCompletionStreamResponseDelta(role="assistant")
    assert decoded == built
    assert hash(decoded) == hash(built)
    assert repr(decoded) == repr(built)
    assert built.to_dict() == {"role": "assistant"}  # built in code: unset fields left out


@pytest.mark.parametrize(
    "duplicate",
    [lambda m: pickle.loads(pickle.dumps(m)), copy.copy, copy.deepcopy],
    ids=["pickle", "copy", "deepcopy"],
)
def test_pickled_and_copied_models_keep_the_fields_sent(duplicate: Any) -> None:
    """A pickled or copied decoded model still gives back the nulls the server sent."""
    decoded = _decoded_delta()
    again = duplicate(decoded)
    assert again == decoded
    assert again.to_dict() == decoded.to_dict()


def test_evolve_gives_a_model_built_in_code() -> None:
    """`attrs.evolve` builds a new model through `__init__`: the rule for built models applies."""
    evolved = attrs.evolve(_decoded_delta(), content="Hi")
    assert evolved.to_dict() == {"role": "assistant", "content": "Hi"}


def test_unknown_object_keeps_everything() -> None:
    """`UnknownObject` exposes `type`, the raw `data`, and serialises back unchanged."""
    raw = {"type": "hologram", "beams": [1, 2]}
    item = structure(raw, responses_types.OutputItem)
    assert isinstance(item, UnknownObject)
    assert item.type == "hologram"
    assert item.data == raw
    assert item.model_extra == raw
    assert item.to_dict() == raw


def test_friendly_aliases_name_the_generated_classes() -> None:
    """The official SDK's names point at the generated classes."""
    assert ChatCompletion is CreateChatCompletionResponse
    assert FileObject is OpenAIFile


def test_models_can_be_built_by_hand() -> None:
    """Users can build models (e.g. to pass as input) with keyword arguments."""
    part = OutputTextContent(type="output_text", text="hi", annotations=[], logprobs=[])
    message = OutputMessage(
        id="msg_1", type="message", role="assistant", content=[part], status="completed"
    )
    assert message.to_dict()["content"] == [
        {"type": "output_text", "text": "hi", "annotations": [], "logprobs": []}
    ]


@attrs.frozen(kw_only=True)
class _TreeNode(BaseModel):
    name: str
    children: list[_TreeNode | _TreeLeaf] | None = None


@attrs.frozen(kw_only=True)
class _TreeLeaf(BaseModel):
    type: Literal["leaf"]
    value: int


def test_recursive_models_structure() -> None:
    """A model that contains itself (like `CompoundFilter`) gets a working structure hook."""
    data = {
        "name": "root",
        "children": [
            {"name": "a", "children": [{"type": "leaf", "value": 1}]},
            {"type": "leaf", "value": 2},
        ],
    }
    tree = structure(data, _TreeNode)
    assert tree.children is not None
    first, second = tree.children
    assert isinstance(first, _TreeNode)
    assert first.children == [_TreeLeaf(type="leaf", value=1)]
    assert second == _TreeLeaf(type="leaf", value=2)
    assert tree.to_dict() == data
