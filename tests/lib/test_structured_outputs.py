"""Structured outputs: strict schemas from types, the request sent, replies parsed into the type."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from typing import Any, Literal, TypedDict

import attrs
import pytest

import trio_openai
from trio_openai._lib._parsing import structure
from trio_openai._lib._schema import strict_schema
from trio_openai.testing import FakeOpenAI

MESSAGES = [{"role": "user", "content": "solve 8x + 7 = -23"}]


class Color(enum.Enum):
    """A colour (an Enum field)."""

    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Step:
    """One step of a solution."""

    explanation: str
    output: str


@attrs.frozen
class Solution:
    """A solution: nested list of classes, Optional, Literal, Enum, datetime."""

    steps: list[Step]
    final_answer: str | None
    confidence: Literal["low", "high"]
    color: Color
    when: dt.datetime
    tags: list[str]
    score: float = 0.0


@dataclasses.dataclass
class DStep:
    """A dataclass step."""

    explanation: str
    output: str


@dataclasses.dataclass
class DSolution:
    """A dataclass solution."""

    steps: list[DStep]
    note: int | None = None


class TStep(TypedDict):
    """A TypedDict step."""

    explanation: str
    output: str


class TSolution(TypedDict):
    """A TypedDict solution."""

    steps: list[TStep]
    count: int


@attrs.frozen
class Node:
    """A recursive class."""

    name: str
    children: list[Node]


STEP_SCHEMA = {
    "type": "object",
    "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}},
    "required": ["explanation", "output"],
    "additionalProperties": False,
}


def _described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description}


def test_schema_attrs_nested_optional_literal_enum_list() -> None:
    """An attrs class gives the strict schema: $defs/$ref, nullable, enum, arrays, formats."""
    assert strict_schema(Solution) == {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}},
            "final_answer": {"type": ["string", "null"]},
            "confidence": {"type": "string", "enum": ["low", "high"]},
            "color": {"type": "string", "enum": ["red", "blue"]},
            "when": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "number"},
        },
        "required": ["steps", "final_answer", "confidence", "color", "when", "tags", "score"],
        "additionalProperties": False,
        "description": "A solution: nested list of classes, Optional, Literal, Enum, datetime.",
        "$defs": {"Step": _described(STEP_SCHEMA, "One step of a solution.")},
    }


def test_schema_dataclass_none_default_nullable() -> None:
    """A dataclass: a None default is nullable and still required."""
    assert strict_schema(DSolution) == {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"$ref": "#/$defs/DStep"}},
            "note": {"type": ["integer", "null"]},
        },
        "required": ["steps", "note"],
        "additionalProperties": False,
        "description": "A dataclass solution.",
        "$defs": {"DStep": _described(STEP_SCHEMA, "A dataclass step.")},
    }


def test_schema_typeddict() -> None:
    """A TypedDict: its keys, all required."""
    assert strict_schema(TSolution) == {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"$ref": "#/$defs/TStep"}},
            "count": {"type": "integer"},
        },
        "required": ["steps", "count"],
        "additionalProperties": False,
        "description": "A TypedDict solution.",
        "$defs": {"TStep": _described(STEP_SCHEMA, "A TypedDict step.")},
    }


def test_schema_union_of_classes_and_recursion() -> None:
    """A union of classes is anyOf (nullable adds null); a recursive root refers to '#'."""

    @attrs.frozen
    class Either:
        """A union field."""

        value: Step | DStep | None

    assert strict_schema(Either)["properties"]["value"] == {
        "anyOf": [{"$ref": "#/$defs/Step"}, {"$ref": "#/$defs/DStep"}, {"type": "null"}]
    }
    assert strict_schema(Node)["properties"]["children"] == {
        "type": "array",
        "items": {"$ref": "#"},
    }


@pytest.mark.parametrize("field_type", [dict[str, int], tuple[int, str], Any])
def test_schema_refuses_what_strict_mode_cannot_say(field_type: object) -> None:
    """dict, fixed tuples and Any have no strict schema: a TypeError names the field."""
    cls = attrs.make_class("Bad", {"field": attrs.field(type=field_type)})
    with pytest.raises(TypeError, match=r"Bad\.field"):
        strict_schema(cls)


def test_schema_refuses_a_non_class() -> None:
    """A type without named fields is refused."""
    with pytest.raises(TypeError, match="named fields"):
        strict_schema(int)


def _chat(content: str | None, finish: str = "stop", refusal: str | None = None) -> dict[str, Any]:
    message = {"role": "assistant", "content": content, "refusal": refusal}
    choice = {"index": 0, "finish_reason": finish, "logprobs": None, "message": message}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [choice],
    }


SOLUTION_JSON = {
    "steps": [{"explanation": "subtract 7", "output": "8x = -30"}],
    "final_answer": None,
    "confidence": "high",
    "color": "blue",
    "when": "2026-01-02T03:04:05+00:00",
    "tags": ["algebra"],
    "score": 1,
}
SOLUTION = Solution(
    steps=[Step(explanation="subtract 7", output="8x = -30")],
    final_answer=None,
    confidence="high",
    color=Color.BLUE,
    when=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
    tags=["algebra"],
    score=1.0,
)


async def test_chat_parse_sends_strict_schema_and_parses() -> None:
    """chat.completions.parse sends response_format json_schema strict, and parses into T."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat(json.dumps(SOLUTION_JSON)))
    async with fake.client() as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Solution, temperature=0
        )
    body = fake.last_request.json()
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Solution", "schema": strict_schema(Solution), "strict": True},
    }
    assert body["temperature"] == 0
    assert body["messages"] == MESSAGES
    message = completion.choices[0].message
    assert message.parsed == SOLUTION
    assert message.refusal is None
    assert completion.completion.id == completion.id == "chatcmpl-1"


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (DSolution, DSolution(steps=[DStep(explanation="e", output="o")], note=None)),
        (TSolution, {"steps": [{"explanation": "e", "output": "o"}], "count": 2}),
    ],
)
async def test_chat_parse_dataclass_and_typeddict(cls: type[Any], expected: object) -> None:
    """Dataclasses and TypedDicts parse too (a TypedDict into a dict)."""
    reply = {"steps": [{"explanation": "e", "output": "o"}], "note": None, "count": 2}
    reply = {k: v for k, v in reply.items() if k in strict_schema(cls)["properties"]}
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat(json.dumps(reply)))
    async with fake.client() as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=cls
        )
    assert completion.choices[0].message.parsed == expected


async def test_chat_parse_pydantic() -> None:
    """A pydantic model: its schema is strict, and the reply is validated into it."""
    pydantic = pytest.importorskip("pydantic")

    class PStep(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        """A pydantic step."""

        explanation: str
        output: str

    class PSolution(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        """A pydantic solution."""

        steps: list[PStep]
        final_answer: str | None = None

    assert strict_schema(PSolution) == {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"$ref": "#/$defs/PStep"}},
            "final_answer": {"type": ["string", "null"]},
        },
        "required": ["steps", "final_answer"],
        "additionalProperties": False,
        "description": "A pydantic solution.",
        "$defs": {"PStep": _described(STEP_SCHEMA, "A pydantic step.")},
    }
    fake = FakeOpenAI()
    reply = {"steps": [{"explanation": "e", "output": "o"}], "final_answer": "x = -15/4"}
    fake.add("POST", "/chat/completions", json=_chat(json.dumps(reply)))
    async with fake.client() as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=PSolution
        )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, PSolution)
    assert parsed.steps[0].output == "o"
    assert parsed.final_answer == "x = -15/4"


async def test_chat_parse_refusal() -> None:
    """A refusal is exposed on the message and parsed is None."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat(None, refusal="I can't help with that."))
    async with fake.client() as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        )
    message = completion.choices[0].message
    assert message.refusal == "I can't help with that."
    assert message.parsed is None


@pytest.mark.parametrize(
    ("finish", "error"),
    [
        ("length", trio_openai.LengthFinishReasonError),
        ("content_filter", trio_openai.ContentFilterFinishReasonError),
    ],
)
async def test_chat_parse_cut_off_raises(finish: str, error: type[Exception]) -> None:
    """A length or content_filter finish raises its error, holding the completion."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat('{"steps": [', finish=finish))
    async with fake.client() as client:
        with pytest.raises(error, match=finish) as caught:
            await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=Solution
            )
    assert isinstance(caught.value, trio_openai.OpenAIError)
    assert caught.value.completion.id == "chatcmpl-1"  # type: ignore[attr-defined]


async def test_chat_parse_mismatch_names_the_path() -> None:
    """A reply that does not fit T raises APIResponseValidationError naming the JSON path."""
    bad = {**SOLUTION_JSON, "steps": [{"explanation": "a", "output": "b"}, {"explanation": "c"}]}
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat(json.dumps(bad)))
    async with fake.client(max_retries=0) as client:
        with pytest.raises(trio_openai.APIResponseValidationError, match=r"\$\.steps\[1\]\.output"):
            await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=Solution
            )


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({**SOLUTION_JSON, "tags": ["a", 3]}, "$.tags[1]"),
        ({**SOLUTION_JSON, "confidence": "medium"}, "$.confidence"),
        ({**SOLUTION_JSON, "color": "green"}, "$.color"),
        ({**SOLUTION_JSON, "when": "yesterday"}, "$.when"),
        ({**SOLUTION_JSON, "extra": 1}, "$.extra"),
        ({**SOLUTION_JSON, "score": True}, "$.score"),
        ([], "$"),
    ],
)
def test_structure_mismatch_paths(value: object, path: str) -> None:
    """Each kind of bad value is reported at its path."""
    from trio_openai._lib._parsing import Mismatch

    with pytest.raises(Mismatch) as caught:
        structure(value, Solution)
    assert caught.value.path == path


def test_structure_not_json_is_an_error() -> None:
    """A reply that is not JSON at all is an APIResponseValidationError."""
    import httpx2

    from trio_openai._lib._parsing import _parse_text

    response = httpx2.Response(200, request=httpx2.Request("POST", "http://x/v1/chat/completions"))
    with pytest.raises(trio_openai.APIResponseValidationError, match="not JSON"):
        _parse_text("{", Solution, response)


def _response(parts: list[dict[str, Any]], *, incomplete: str | None = None) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-4o",
        "status": "incomplete" if incomplete else "completed",
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": parts,
            }
        ],
    }


def _text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


async def test_responses_parse_sends_text_format_and_parses() -> None:
    """responses.parse sends text.format json_schema strict and gives output_parsed."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", json=_response([_text(json.dumps(SOLUTION_JSON))]))
    async with fake.client() as client:
        response = await client.responses.parse(
            model="gpt-4o", input="solve", text_format=Solution, text={"verbosity": "low"}
        )
    body = fake.last_request.json()
    assert body["text"] == {
        "verbosity": "low",
        "format": {
            "type": "json_schema",
            "name": "Solution",
            "schema": strict_schema(Solution),
            "strict": True,
        },
    }
    assert response.output_parsed == SOLUTION
    assert response.refusal is None
    assert response.response.id == "resp_1"


async def test_responses_parse_refusal() -> None:
    """A refusal part is exposed and output_parsed is None."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", json=_response([{"type": "refusal", "refusal": "No."}]))
    async with fake.client() as client:
        response = await client.responses.parse(model="gpt-4o", input="x", text_format=Solution)
    assert response.refusal == "No."
    assert response.output_parsed is None


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("max_output_tokens", trio_openai.LengthFinishReasonError),
        ("content_filter", trio_openai.ContentFilterFinishReasonError),
    ],
)
async def test_responses_parse_incomplete_raises(reason: str, error: type[Exception]) -> None:
    """An incomplete response (token limit, content filter) raises the matching error."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", json=_response([_text('{"st')], incomplete=reason))
    async with fake.client() as client:
        with pytest.raises(error):
            await client.responses.parse(model="gpt-4o", input="x", text_format=Solution)


def test_sync_twins_block_and_parse() -> None:
    """On the sync client both parse methods block and give the parsed type."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", json=_chat(json.dumps(SOLUTION_JSON)))
    fake.add("POST", "/responses", json=_response([_text(json.dumps(SOLUTION_JSON))]))
    with fake.sync_client() as client:
        completion = client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        )
        response = client.responses.parse(model="gpt-4o", input="x", text_format=Solution)
    assert completion.choices[0].message.parsed == SOLUTION
    assert response.output_parsed == SOLUTION


@attrs.frozen
class GetWeather:
    """Arguments of a weather tool."""

    city: str
    unit: Literal["c", "f"]


def lookup(order_id: int, verbose: bool | None = None) -> str:
    """Look an order up."""
    return f"{order_id} {verbose}"


def test_function_tool_from_a_class_and_a_function() -> None:
    """function_tool gives strict chat tools: a class's fields, a function's parameters."""
    weather = trio_openai.function_tool(GetWeather, description="The weather in a city.")
    assert dict(weather) == {
        "type": "function",
        "function": {
            "name": "GetWeather",
            "parameters": strict_schema(GetWeather),
            "strict": True,
            "description": "The weather in a city.",
        },
    }
    tool = trio_openai.function_tool(lookup)
    assert dict(tool) == {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "integer"},
                    "verbose": {"type": ["boolean", "null"]},
                },
                "required": ["order_id", "verbose"],
                "additionalProperties": False,
            },
            "strict": True,
            "description": "Look an order up.",
        },
    }


def test_function_tool_refuses_unannotated_and_varargs() -> None:
    """A parameter without annotation, or *args, cannot be a strict tool parameter."""

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def varargs(*names: str) -> None:
        del names

    with pytest.raises(TypeError, match="not annotated"):
        trio_openai.function_tool(untyped)
    with pytest.raises(TypeError, match="names"):
        trio_openai.function_tool(varargs)


def _tool_calls(*calls: tuple[str, str]) -> dict[str, Any]:
    reply = _chat(None, finish="tool_calls")
    reply["choices"][0]["message"]["tool_calls"] = [
        {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    return reply


async def test_parse_gives_parsed_arguments_of_tool_calls() -> None:
    """parse sends the tools and parses each call's arguments into the class or keyword dict."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/chat/completions",
        json=_tool_calls(
            ("GetWeather", '{"city": "Oslo", "unit": "c"}'),
            ("lookup", '{"order_id": 7, "verbose": null}'),
            ("other", '{"x": 1}'),
        ),
    )
    tools = [trio_openai.function_tool(GetWeather), trio_openai.function_tool(lookup)]
    async with fake.client() as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Solution, tools=tools
        )
    assert fake.last_request.json()["tools"] == [dict(t) for t in tools]
    message = completion.choices[0].message
    assert message.parsed is None
    calls = message.parsed_tool_calls
    assert [c.parsed_arguments for c in calls] == [
        GetWeather(city="Oslo", unit="c"),
        {"order_id": 7, "verbose": None},
        None,
    ]
    assert lookup(**calls[1].parsed_arguments) == "7 None"
    assert calls[0].id == "call_0"


async def test_tool_call_arguments_that_do_not_fit_name_the_path() -> None:
    """Arguments that do not fit the tool raise APIResponseValidationError with the path."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/chat/completions",
        json=_tool_calls(("GetWeather", '{"city": "Oslo", "unit": "k"}')),
    )
    async with fake.client() as client:
        with pytest.raises(trio_openai.APIResponseValidationError, match=r"\$\.unit") as caught:
            await client.chat.completions.parse(
                model="gpt-4o",
                messages=MESSAGES,
                response_format=Solution,
                tools=[trio_openai.function_tool(GetWeather)],
            )
    assert caught.value.path == "$.unit"
