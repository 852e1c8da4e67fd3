"""Nested models written into the parent's structure function (`_convert/_models.py`).

The inlined code must give exactly what calling each nested model's own function
gives: the same classes and values, the same `model_extra` and presence record
(`_null_flips`) at every level, and the same errors with the same JSON path.
The reference is a converter built with inlining turned off, whose models are
made through their ``__init__`` (no twin class, `_models._twin`).
"""

from __future__ import annotations

import copy
import json
import linecache
import traceback
from typing import Any

import attrs
import cattrs
import pytest

from trio_openai._convert import _converter, _models
from trio_openai._convert._converter import ValidationError, structure
from trio_openai._convert._fast import structure_hook
from trio_openai._models import BaseModel
from trio_openai.types.chat import CreateChatCompletionStreamResponse

CHUNK: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1767225600,
    "model": "gpt-4o-mini",
    "service_tier": "default",
    "system_fingerprint": "fp_1",
    "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None, "finish_reason": None}],
    "obfuscation": "x7",
}


def _variant(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(CHUNK)
    edit(data)
    return data


def _tool_call(data: dict[str, Any]) -> None:
    data["choices"][0]["delta"] = {
        "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}},
            {"index": 1, "function": {"arguments": "{}", "extra": 1}, "new": True},
        ]
    }


def _logprobs(data: dict[str, Any]) -> None:
    token = {"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}
    data["choices"][0]["logprobs"] = {"content": [token], "refusal": None, "more": "x"}


CASES: dict[str, dict[str, Any]] = {
    "plain": CHUNK,
    "extras at every level": _variant(
        lambda d: (
            d.update(new_top=1),
            d["choices"][0].update(new_choice=[1]),
            d["choices"][0]["delta"].update(new_delta={"a": None}),
        )
    ),
    "first chunk": _variant(
        lambda d: d["choices"][0].update(
            delta={"role": "assistant", "content": "", "refusal": None}
        )
    ),
    "last chunk": _variant(lambda d: d["choices"][0].update(delta={}, finish_reason="stop")),
    "required fields left out": _variant(
        lambda d: (d.pop("id"), d["choices"][0].pop("finish_reason"), d["choices"][0].pop("delta"))
    ),
    "required fields null": _variant(
        lambda d: (d.update(id=None, choices=None), d.update(created=None))
    ),
    "nested required nullable left out and null": _variant(
        lambda d: d["choices"][0].update(index=None, logprobs={"content": None})
    ),
    "unknown enum values": _variant(
        lambda d: (
            d.update(service_tier="turbo"),
            d["choices"][0].update(finish_reason="new_reason"),
            d["choices"][0]["delta"].update(role="robot"),
        )
    ),
    "no choices": _variant(lambda d: d.update(choices=[], usage={"total_tokens": 3})),
    "several choices": _variant(
        lambda d: d["choices"].extend(
            [{"index": 1, "delta": {"content": "Yo", "x": 1}}, {"index": 2, "delta": {}}]
        )
    ),
    "tool calls": _variant(_tool_call),
    "logprobs": _variant(_logprobs),
    "only extras": {"unknown": 1},
}


def _reference() -> cattrs.Converter:
    """A converter whose models call their nested models' functions (no inlining), and
    are made through ``__init__`` (no twin)."""
    sources = dict(linecache.cache)  # the functions' source, for tracebacks: keep the real ones
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_models, "_INLINE_DEPTH", 0)
        patch.setattr(_models, "_twin", lambda cl: None)
        converter = _converter.make_converter.__wrapped__()
        converter.get_structure_hook(CreateChatCompletionStreamResponse)
    linecache.cache.update(sources)
    return converter


def _same(a: object, b: object) -> None:
    """*a* and *b* are alike at every level, extras and presence records included."""
    assert type(a) is type(b)
    if isinstance(a, list):
        assert isinstance(b, list)
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, BaseModel):
        assert a.model_extra == b.model_extra  # type: ignore[attr-defined]
        assert a._null_flips == b._null_flips  # type: ignore[attr-defined]
        for field in attrs.fields(type(a)):
            _same(getattr(a, field.name), getattr(b, field.name))
    else:
        assert a == b


def test_the_chunk_function_inlines_its_nested_models() -> None:
    """The chunk's own function has the code of its choices and deltas (no calls to theirs)."""
    tp = CreateChatCompletionStreamResponse
    code = _converter.make_converter().get_structure_hook(tp).__code__
    assert {"f1_o", "f1_i", "f1_f0_f0"} <= set(code.co_varnames)  # choices' items, their delta
    assert "f1_h" not in code.co_names
    reference = _reference().get_structure_hook(tp).__code__
    assert "f1_o" not in reference.co_varnames
    assert "f1_h" in reference.co_names


@pytest.mark.parametrize("data", list(CASES.values()), ids=list(CASES))
def test_inlined_structure_is_exactly_the_called_one(data: dict[str, Any]) -> None:
    """Values, classes, `model_extra` and `_null_flips` match the non-inlined functions'."""
    tp = CreateChatCompletionStreamResponse
    fast = structure(data, tp)
    reference = _reference().get_structure_hook(tp)(data, tp)
    _same(fast, reference)
    assert fast.to_dict() == data
    assert json.loads(fast.to_json()) == data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("$.choices", {"a": 1}, "expected array, got an object"),
        ("$.choices[0]", "x", "expected object, got 'x'"),
        ("$.choices[0].index", "0", "expected int, got '0'"),
        ("$.choices[0].delta", [], "expected object, got an array"),
        ("$.choices[0].delta.content", 5, "expected str, got 5"),
        ("$.choices[0].delta.tool_calls", {}, "expected array, got an object"),
        ("$.choices[0].logprobs", 1, "expected object, got 1"),
        ("$.choices[0].logprobs.content", "x", "expected array, got 'x'"),
        ("$.choices[0].logprobs.content[0].logprob", "x", "expected number, got 'x'"),
    ],
)
def test_errors_in_inlined_code_name_the_path(path: str, value: object, expected: str) -> None:
    """A bad value deep in inlined code fails the fast function and names its JSON path."""
    data = copy.deepcopy(CASES["logprobs"])
    steps: list[Any] = [
        int(s) if s.isdigit() else s for s in path[2:].replace("[", ".").replace("]", "").split(".")
    ]
    target: Any = data
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = value
    tp = CreateChatCompletionStreamResponse
    hook = structure_hook(tp)
    assert hook is not None
    with pytest.raises(TypeError):
        hook(data, tp)
    with pytest.raises(ValidationError) as info:
        structure(data, tp)
    assert info.value.path == path
    assert info.value.message.startswith(expected)
    text = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert path in text


@attrs.frozen(kw_only=True)
class _Node(BaseModel):
    name: str
    child: _Node | None = None
    children: list[_Node] | None = None


@attrs.frozen(kw_only=True)
class _Wrapper(BaseModel):
    node: _Node
    nodes: list[_Node]


def test_models_that_contain_themselves_are_not_inlined_into_themselves() -> None:
    """A model nested in itself (directly or in a list) calls its own function, at any depth."""
    deep: dict[str, Any] = {"name": "leaf"}
    for i in range(10):
        deep = {"name": f"n{i}", "child": deep, "children": [deep, {"name": "x", "y": 1}]}
    data = {"node": deep, "nodes": [deep, {"name": "z", "child": None}]}
    wrapper = structure(data, _Wrapper)
    assert wrapper.to_dict() == data
    assert wrapper.nodes[1]._null_flips == ("child",)
    assert wrapper.nodes[0].children is not None
    assert wrapper.nodes[0].children[1].model_extra == {"y": 1}
