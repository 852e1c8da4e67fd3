"""The stream's hot path (`_convert._fast`): the same results and errors as the slow path."""

from __future__ import annotations

import json
from collections.abc import Callable
from json import JSONDecodeError
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_openai._convert import _fast
from trio_openai._convert._converter import make_converter
from trio_openai._convert._decode import JSONDepthError
from trio_openai.types.chat import CreateChatCompletionStreamResponse

PARSERS: list[Callable[[str], Any]] = [_fast.fast_loads]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


def outcome(parse: Callable[[str], Any], text: str) -> tuple[str, Any]:
    """What *parse* makes of *text*: its value's JSON, or the error's type and message."""
    try:
        value = parse(text)
    except ValueError as exc:
        return "error", (type(exc).__name__, str(exc))
    return "value", json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("parse", PARSERS)
@given(value=json_values, left=st.sampled_from(["", " ", "\n"]), right=st.sampled_from(["", " x"]))
def test_fast_parsers_agree_with_json_loads(
    parse: Callable[[str], Any], value: object, left: str, right: str
) -> None:
    """Any JSON text, padded or followed by junk, parses (or fails) exactly as json.loads."""
    text = left + json.dumps(value) + right
    assert outcome(parse, text) == outcome(json.loads, text)


@pytest.mark.parametrize("parse", PARSERS)
@given(text=st.text(alphabet='{}[]",:0123456789.eE-+ tfalsenruNIinfy\\\ud7ff', max_size=30))
def test_fast_parsers_agree_on_arbitrary_text(parse: Callable[[str], Any], text: str) -> None:
    """Near-JSON noise gives the same value or the same error as json.loads."""
    assert outcome(parse, text) == outcome(json.loads, text)


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity, -Infinity]", str(2**70), '"\\ud800"', '{"a": 1, "a": 2}', "1e400"]
)
def test_what_a_strict_parser_refuses_still_decodes_as_json_does(
    parse: Callable[[str], Any], text: str
) -> None:
    """NaN, huge ints, lone surrogates and repeated keys come out as json.loads makes them."""
    assert outcome(parse, text) == outcome(json.loads, text)


@pytest.mark.parametrize("parse", PARSERS)
def test_too_deep_json_raises_the_depth_error(parse: Callable[[str], Any]) -> None:
    """JSON nested past the parser's depth raises JSONDepthError, never RecursionError."""
    with pytest.raises(JSONDepthError):
        parse("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("parse", PARSERS)
def test_malformed_json_raises_json_decode_error(parse: Callable[[str], Any]) -> None:
    """Malformed JSON raises json's own error, with its message and position."""
    with pytest.raises(JSONDecodeError, match="Expecting value: line 1 column 7"):
        parse('{"a": }')


def test_structure_hook_is_the_converter_s() -> None:
    """structure_hook gives the converter's own function, and None for raw JSON types."""
    tp = CreateChatCompletionStreamResponse
    assert _fast.structure_hook(tp) is make_converter().get_structure_hook(tp)
    assert _fast.structure_hook(object) is None
    assert _fast.structure_hook(Any) is None
