"""Models made through a twin class (`_convert/_models._twin`), then given their own class.

A decoded model is filled as an instance of a mutable twin with the same layout
and then becomes an instance of its real class. These tests hold that nothing
of the twin shows: the object is its class exactly (frozen, hashable, pickled,
copied, evolved and printed as one made by ``__init__``), and a class whose
layout cannot be shared is still decoded, through ``__init__``.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest

from trio_openai._convert import _models
from trio_openai._convert._converter import structure
from trio_openai._models import BaseModel
from trio_openai.types.chat import CreateChatCompletionResponse, CreateChatCompletionStreamResponse

CHUNK: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1767225600,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "delta": {"content": "Hi", "new": 1}, "finish_reason": None},
        {"index": 1, "delta": {"role": "assistant"}, "logprobs": {"content": None}},
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    "later": "field",
}

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-2",
    "object": "chat.completion",
    "created": 1767225600,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "logprobs": None,
            "message": {
                "role": "assistant",
                "new": 1,
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
        }
    ],
    "later": "field",
}


def _models_in(value: object) -> list[BaseModel]:
    """Every model in *value*, at any depth."""
    found: list[BaseModel] = []
    if isinstance(value, list):
        for item in value:
            found += _models_in(item)
    elif isinstance(value, BaseModel):
        found.append(value)
        for field in attrs.fields(type(value)):
            found += _models_in(getattr(value, field.name))
    return found


def _hash(model: object) -> int | str:
    """The hash, or the error's text (a model holding a list is not hashable)."""
    try:
        return hash(model)
    except TypeError as exc:
        return str(exc)


@pytest.mark.parametrize(
    ("data", "tp"),
    [(CHUNK, CreateChatCompletionStreamResponse), (COMPLETION, CreateChatCompletionResponse)],
    ids=["chunk", "completion"],
)
def test_a_decoded_model_is_its_class_at_every_level(data: dict[str, Any], tp: type) -> None:
    """Class, frozenness, equality, hash, repr, pickle, copy and evolve, at every level."""
    decoded = structure(data, tp)
    models = _models_in(decoded)
    assert len(models) >= 4
    for model in models:
        cl = type(model)
        assert "<building>" not in cl.__qualname__
        assert cl.__module__.startswith("trio_openai.types")
        assert _models._twin(cl) is not None  # built by a twin, not through __init__
        rebuilt = attrs.evolve(model)  # through __init__
        assert rebuilt == model
        assert _hash(rebuilt) == _hash(model)
        assert repr(rebuilt) == repr(model)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            model.model_extra = {}  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            del model.model_extra
        for other in (pickle.loads(pickle.dumps(model)), copy.copy(model), copy.deepcopy(model)):
            assert type(other) is cl
            assert other == model
            assert other.model_extra == model.model_extra
            assert other._null_flips == model._null_flips
    assert decoded.to_dict() == data
    assert decoded.model_extra == {"later": "field"}
    assert [m.model_extra for m in models if m.model_extra][1:] == [{"new": 1}]


@attrs.frozen(kw_only=True)
class _Plain(BaseModel):
    name: str
    size: int | None = None


@attrs.frozen(kw_only=True, slots=False)
class _WithDict(BaseModel):
    """No slots of its own: instances have a ``__dict__``, no layout to share."""

    name: str
    size: int | None = None


@attrs.frozen(kw_only=True)
class _OwnNew(BaseModel):
    """A ``__new__`` of its own: a twin would not make what it makes."""

    name: str
    size: int | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> _OwnNew:
        instance = super().__new__(cls)
        object.__setattr__(instance, "model_extra", {"made": "by __new__"})
        return instance


@attrs.frozen(kw_only=True)
class _Holder(BaseModel):
    plain: _Plain
    with_dict: list[_WithDict]
    own_new: _OwnNew | None = None


def test_the_twin_has_the_layout_or_is_refused() -> None:
    """A slotted model gets a twin; a ``__dict__`` or a ``__new__`` of its own, none."""
    twin = _models._twin(_Plain)
    assert twin is not None
    assert twin.__slots__ == _Plain.__slots__  # type: ignore[attr-defined]
    instance = twin()
    instance.name = "x"
    instance.size = None
    instance.model_extra = {}
    instance._null_flips = ()
    instance.__class__ = _Plain
    assert instance == _Plain(name="x")
    assert _models._twin(_WithDict) is None
    assert _models._twin(_OwnNew) is None
    assert _models._twin(BaseModel) is None  # adds __weakref__ after its slots


def test_models_without_a_twin_are_decoded_through_init() -> None:
    """The same values, extras and presence records as a twin-built model would have."""
    data = {
        "plain": {"name": "p", "size": None, "x": 1},
        "with_dict": [{"name": "d", "y": 2}, {"name": "e", "size": 3}],
        "own_new": {"name": "n"},
    }
    holder = structure(data, _Holder)
    assert type(holder.plain) is _Plain
    assert holder.plain.model_extra == {"x": 1}
    assert holder.plain._null_flips == ("size",)
    assert [type(d) for d in holder.with_dict] == [_WithDict, _WithDict]
    assert holder.with_dict[0].model_extra == {"y": 2}
    assert holder.with_dict[1].size == 3
    assert holder.own_new is not None
    assert holder.own_new.name == "n"
    assert holder.to_dict() == data
