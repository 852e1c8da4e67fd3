"""Streams: chat.completions.stream(response_format=T), responses.stream(text_format=T)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any, Literal, TypedDict

import attrs
import pytest
import trio

import trio_openai
from tests._hostile import RawRequest, raw_server, response_bytes
from trio_openai._lib._schema import strict_schema
from trio_openai._lib._streams import (
    ParsedChatCompletionStream,
    ParsedResponseStream,
    SyncParsedChatCompletionStream,
    SyncParsedResponseStream,
)
from trio_openai.testing import FakeOpenAI

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "solve 8x + 7 = -23"}]
KEY = "sk-test-structured-streams"


@attrs.frozen
class Step:
    """One step of a solution."""

    explanation: str
    output: str


@attrs.frozen
class Solution:
    """A solution."""

    steps: list[Step]
    final_answer: str | None


@dataclasses.dataclass
class DSolution:
    """A dataclass solution."""

    steps: list[str]
    final_answer: str | None = None


class TSolution(TypedDict):
    """A TypedDict solution."""

    steps: list[str]
    final_answer: str | None


@attrs.frozen
class GetWeather:
    """The weather in a city."""

    city: str
    unit: Literal["c", "f"]


def lookup(order_id: int, verbose: bool | None = None) -> str:
    """Look an order up.

    Args:
        order_id: The order's number.
        verbose: Whether to list its lines too.
    """
    return f"{order_id} {verbose}"


REPLY = {"steps": [{"explanation": "subtract 7", "output": "8x = -30"}], "final_answer": "-15/4"}
SOLUTION = Solution(steps=[Step(explanation="subtract 7", output="8x = -30")], final_answer="-15/4")


def uneven(text: str) -> Iterator[str]:
    """*text* in pieces of 1, 2, 3, 5, 8, ... characters (cut mid-token and mid-escape)."""
    a, b, i = 1, 2, 0
    while i < len(text):
        yield text[i : i + a]
        i += a
        a, b = b, a + b


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """A chat completion chunk of choice 0."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def chat_stream(text: str, finish: str = "stop") -> list[dict[str, Any]]:
    """A chat stream whose content is *text*, split unevenly."""
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": piece}) for piece in uneven(text)),
        chunk({}, finish),
    ]


def tool_stream(*calls: tuple[str, str]) -> list[dict[str, Any]]:
    """A chat stream of tool calls (name, arguments), the arguments split unevenly."""
    out = [chunk({"role": "assistant", "content": None})]
    for i, (name, arguments) in enumerate(calls):
        first = {"index": i, "id": f"call_{i}", "type": "function"}
        out.append(chunk({"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]}))
        out.extend(
            chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
            for piece in uneven(arguments)
        )
    out.append(chunk({}, "tool_calls"))
    return out


def response_object(
    output: list[dict[str, Any]], status: str = "completed", incomplete: str | None = None
) -> dict[str, Any]:
    """A Response object with this *output*."""
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": status,
        "model": "gpt-4o",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
    }


def message(text: str) -> dict[str, Any]:
    """A message output item with one output text."""
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }


def function_call(name: str, arguments: str, n: int = 0) -> dict[str, Any]:
    """A function_call output item."""
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def response_stream(
    text: str, output: list[dict[str, Any]] | None = None, incomplete: str | None = None
) -> list[Any]:
    """A Responses stream: created, *text* in uneven deltas, then the terminal event."""
    final = response_object(
        output if output is not None else [message(text)],
        "incomplete" if incomplete else "completed",
        incomplete,
    )
    terminal = "response.incomplete" if incomplete else "response.completed"
    created = response_object([], "in_progress")
    events: list[Any] = [
        (
            "response.created",
            {"type": "response.created", "response": created, "sequence_number": 0},
        )
    ]
    for n, piece in enumerate(uneven(text), start=1):
        event = {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": piece,
            "sequence_number": n,
            "logprobs": [],
        }
        events.append(("response.output_text.delta", event))
    events.append((terminal, {"type": terminal, "response": final, "sequence_number": 999}))
    return events


# -- chat ---------------------------------------------------------------------------------------


PYDANTIC_REPLY = {"steps": ["a", "b"], "final_answer": None}


def _pydantic_solution() -> type[Any]:
    pydantic = pytest.importorskip("pydantic")

    class PSolution(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        """A pydantic solution."""

        steps: list[str]
        final_answer: str | None = None

    return PSolution


@pytest.mark.parametrize("kind", ["attrs", "dataclass", "typeddict", "pydantic"])
async def test_chat_stream_parses_the_final_completion(kind: str) -> None:
    """stream(response_format=T) sends the strict schema with stream: true; the final is a T."""
    cls: type[Any]
    if kind == "attrs":
        cls, reply, expected = Solution, REPLY, SOLUTION
    elif kind == "dataclass":
        cls, reply = DSolution, PYDANTIC_REPLY
        expected = DSolution(steps=["a", "b"])
    elif kind == "typeddict":
        cls, reply, expected = TSolution, PYDANTIC_REPLY, PYDANTIC_REPLY
    else:
        cls, reply = _pydantic_solution(), PYDANTIC_REPLY
        expected = cls(steps=["a", "b"])
    text = json.dumps(reply)
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream(text))
    async with fake.client() as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=cls
        ) as stream:
            assert isinstance(stream, ParsedChatCompletionStream)
            deltas = [d async for d in stream.text_deltas()]
            final = await stream.get_final_completion()
    body = fake.last_request.json()
    assert body["stream"] is True
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": cls.__name__,
            "schema": strict_schema(cls),
            "strict": True,
        },
    }
    assert len(deltas) > 3
    assert "".join(deltas) == text
    assert final.choices[0].message.content == text
    assert final.choices[0].message.parsed == expected
    assert type(final.choices[0].message.parsed) is type(expected)
    assert final.completion.choices[0].finish_reason == "stop"


async def test_chat_stream_iterates_chunks_then_finals_see_them_all() -> None:
    """Chunks iterated first still count: the final is whole; schema_name names the schema."""
    text = json.dumps(REPLY)
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream(text))
    async with fake.client() as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution, schema_name="math"
        ) as stream:
            seen = 0
            async for item in stream:
                seen += 1
                assert item.object == "chat.completion.chunk"
                if seen == 3:
                    break
            final = await stream.get_final_completion()
            assert stream.completed
            assert stream.http_response.status_code == 200
    assert fake.last_request.json()["response_format"]["json_schema"]["name"] == "math"
    assert final.choices[0].message.parsed == SOLUTION


@pytest.mark.parametrize(
    ("finish", "error"),
    [
        ("length", trio_openai.LengthFinishReasonError),
        ("content_filter", trio_openai.ContentFilterFinishReasonError),
    ],
)
async def test_chat_stream_cut_off_raises(finish: str, error: type[Exception]) -> None:
    """A length / content_filter finish raises from get_final_completion, as parse does."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream('{"steps": [', finish))
    async with fake.client() as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            with pytest.raises(error):
                await stream.get_final_completion()


async def test_chat_stream_refusal_and_mismatch() -> None:
    """A streamed refusal parses to None; a reply that does not fit names its path."""
    refusal = [
        chunk({"role": "assistant", "content": None}),
        *(chunk({"refusal": piece}) for piece in uneven("I can't help with that.")),
        chunk({}, "stop"),
    ]
    bad = json.dumps({"steps": [{"explanation": "e", "output": 3}], "final_answer": None})
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=refusal)
    fake.add("POST", "/chat/completions", sse=chat_stream(bad))
    async with fake.client(max_retries=0) as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            final = await stream.get_final_completion()
        assert final.choices[0].message.refusal == "I can't help with that."
        assert final.choices[0].message.parsed is None
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            with pytest.raises(trio_openai.APIResponseValidationError) as info:
                await stream.get_final_completion()
    assert info.value.path == "$.steps[0].output"


async def test_chat_stream_interrupted_raises() -> None:
    """A stream cut before [DONE] has no final: StreamInterruptedError, not a partial parse."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream(json.dumps(REPLY)), truncate_stream=True)
    async with fake.client(max_retries=0) as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            with pytest.raises(trio_openai.StreamInterruptedError):
                await stream.get_final_completion()


async def test_chat_stream_parses_tool_calls_of_function_tools() -> None:
    """Streamed tool calls of function_tool tools get parsed_arguments; the tools are sent."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/chat/completions",
        sse=tool_stream(
            ("GetWeather", '{"city": "Oslo", "unit": "c"}'),
            ("lookup", '{"order_id": 7, "verbose": true}'),
        ),
    )
    tools = [trio_openai.function_tool(GetWeather), trio_openai.function_tool(lookup)]
    async with fake.client() as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution, tools=tools
        ) as stream:
            final = await stream.get_final_completion()
    assert fake.last_request.json()["tools"] == [dict(t) for t in tools]
    calls = final.choices[0].message.parsed_tool_calls
    assert [(c.id, c.name) for c in calls] == [("call_0", "GetWeather"), ("call_1", "lookup")]
    assert [c.parsed_arguments for c in calls] == [
        GetWeather(city="Oslo", unit="c"),
        {"order_id": 7, "verbose": True},
    ]
    assert final.choices[0].finish_reason == "tool_calls"


async def test_chat_stream_without_a_type_is_the_plain_stream() -> None:
    """Without a type as response_format, stream() is the generated one: a plain Stream."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream("hello there"))
    tools = [trio_openai.function_tool(GetWeather).for_responses()]
    async with fake.client() as client:
        async with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, tools=tools
        ) as stream:
            assert isinstance(stream, trio_openai.Stream)
            final = await stream.get_final_completion()
    assert final.choices[0].message.content == "hello there"
    body = fake.last_request.json()
    assert "response_format" not in body
    assert body["tools"] == [dict(trio_openai.function_tool(GetWeather))]  # back in chat's shape


async def test_stream_refuses_positional_arguments() -> None:
    """stream() is keyword-only like the generated method: a positional argument is refused."""
    fake = FakeOpenAI()
    async with fake.client() as client:
        with pytest.raises(TypeError, match="keyword arguments only"):
            client.chat.completions.stream("gpt-4o", messages=MESSAGES)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="keyword arguments only"):
            client.responses.stream("gpt-4o", text_format=Solution)  # type: ignore[call-arg]
    assert fake.requests == []


async def test_chat_stream_over_a_raw_server_with_uneven_tcp_chunks() -> None:
    """SSE bytes cut at odd offsets (mid-line, mid-UTF-8) still parse into the final T."""
    reply = {
        "steps": [{"explanation": "ôter 7 — «ok»", "output": "8x = -30"}],
        "final_answer": None,
    }
    events = b"".join(
        b"data: " + json.dumps(c).encode() + b"\n\n" for c in chat_stream(json.dumps(reply))
    )
    body = events + b"data: [DONE]\n\n"

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        head = response_bytes(200, body, content_type="text/event-stream")[: -len(body)]
        await stream.send_all(head)
        for start in range(0, len(body), 7):
            await stream.send_all(body[start : start + 7])
            await trio.lowlevel.checkpoint()

    async with raw_server(handler) as server:
        async with trio_openai.open_client(
            api_key=KEY, base_url=f"{server.url}/v1", max_retries=0
        ) as client:
            async with client.chat.completions.stream(
                model="gpt-4o", messages=MESSAGES, response_format=Solution
            ) as stream:
                final = await stream.get_final_completion()
    assert json.loads(server.requests[0].body)["stream"] is True
    parsed = final.choices[0].message.parsed
    assert parsed == Solution(
        steps=[Step(explanation="ôter 7 — «ok»", output="8x = -30")], final_answer=None
    )


# -- responses ----------------------------------------------------------------------------------


async def test_responses_stream_parses_the_final_response() -> None:
    """responses.stream(text_format=T) sends text.format; events and text deltas, then a T."""
    text = json.dumps(REPLY)
    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=response_stream(text), done=False)
    async with fake.client() as client:
        async with client.responses.stream(
            model="gpt-4o", input="solve", text_format=Solution, text={"verbosity": "low"}
        ) as stream:
            assert isinstance(stream, ParsedResponseStream)
            first = await stream.__aiter__().__anext__()
            assert first.type == "response.created"
            deltas = [d async for d in stream.text_deltas()]
            final = await stream.get_final_response()
    body = fake.last_request.json()
    assert body["stream"] is True
    assert body["text"] == {
        "verbosity": "low",
        "format": {
            "type": "json_schema",
            "name": "Solution",
            "schema": strict_schema(Solution),
            "strict": True,
        },
    }
    assert "".join(deltas) == text
    assert final.output_parsed == SOLUTION
    assert final.output_text == text
    assert final.response.status == "completed"


async def test_responses_text_model_keeps_its_keys() -> None:
    """A text= given as a model (not a dict) keeps its keys beside the schema's format."""
    from trio_openai.types.responses import ResponseTextParam

    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=response_stream(json.dumps(REPLY)), done=False)
    async with fake.client() as client:
        async with client.responses.stream(
            model="gpt-4o",
            input="x",
            text_format=Solution,
            text=ResponseTextParam(verbosity="high"),
        ) as stream:
            assert (await stream.get_final_response()).output_parsed == SOLUTION
    text = fake.last_request.json()["text"]
    assert text["verbosity"] == "high"
    assert text["format"]["name"] == "Solution"


async def test_responses_stream_incomplete_raises() -> None:
    """A response incomplete for max_output_tokens raises LengthFinishReasonError at the final."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/responses",
        sse=response_stream('{"st', incomplete="max_output_tokens"),
        done=False,
    )
    async with fake.client() as client:
        async with client.responses.stream(
            model="gpt-4o", input="solve", text_format=Solution
        ) as stream:
            with pytest.raises(trio_openai.LengthFinishReasonError):
                await stream.get_final_response()


async def test_responses_stream_and_parse_send_flat_tools_and_parse_calls() -> None:
    """function_tool tools go flat to Responses; function_call items get parsed_arguments."""
    output = [
        function_call("GetWeather", '{"city": "Oslo", "unit": "f"}', 0),
        function_call("lookup", '{"order_id": 3, "verbose": null}', 1),
        function_call("unknown", '{"x": 1}', 2),
    ]
    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=response_stream("", output=output), done=False)
    fake.add("POST", "/responses", json=response_object(output))
    tools = [trio_openai.function_tool(GetWeather), trio_openai.function_tool(lookup)]
    flat = [dict(t.for_responses()) for t in tools]
    assert flat[1] == {
        "type": "function",
        "name": "lookup",
        "parameters": dict(tools[1])["function"]["parameters"],
        "strict": True,
        "description": "Look an order up.",
    }
    async with fake.client() as client:
        async with client.responses.stream(
            model="gpt-4o", input="weather?", text_format=Solution, tools=tools
        ) as stream:
            streamed = await stream.get_final_response()
        assert fake.last_request.json()["tools"] == flat
        parsed = await client.responses.parse(
            model="gpt-4o", input="weather?", text_format=Solution, tools=tools
        )
        assert fake.last_request.json()["tools"] == flat
    for final in (streamed, parsed):
        assert final.output_parsed is None
        assert [(c.id, c.name) for c in final.parsed_tool_calls] == [
            ("call_0", "GetWeather"),
            ("call_1", "lookup"),
            ("call_2", "unknown"),
        ]
        assert [c.parsed_arguments for c in final.parsed_tool_calls] == [
            GetWeather(city="Oslo", unit="f"),
            {"order_id": 3, "verbose": None},
            None,
        ]


async def test_responses_call_arguments_that_do_not_fit_name_the_path() -> None:
    """A function_call whose arguments do not fit its tool raises, naming the path."""
    output = [function_call("GetWeather", '{"city": "Oslo", "unit": "k"}')]
    fake = FakeOpenAI()
    fake.add("POST", "/responses", json=response_object(output))
    async with fake.client(max_retries=0) as client:
        with pytest.raises(trio_openai.APIResponseValidationError) as info:
            await client.responses.parse(
                model="gpt-4o",
                input="x",
                text_format=Solution,
                tools=[trio_openai.function_tool(GetWeather)],
            )
    assert info.value.path == "$.unit"


async def test_responses_stream_without_text_format_is_the_plain_stream() -> None:
    """Without text_format, responses.stream is a plain Stream, its function tools made flat."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=response_stream("Hi"), done=False)
    async with fake.client() as client:
        async with client.responses.stream(
            model="gpt-4o", input="hi", tools=[trio_openai.function_tool(lookup)]
        ) as stream:
            assert isinstance(stream, trio_openai.Stream)
            final = await stream.get_final_response()
    assert final.output_text == "Hi"
    assert fake.last_request.json()["tools"][0]["name"] == "lookup"


# -- sync ---------------------------------------------------------------------------------------


def test_sync_streams_block_and_parse() -> None:
    """On SyncClient both streams are `with` blocks that iterate and give parsed finals."""
    text = json.dumps(REPLY)
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=chat_stream(text))
    fake.add("POST", "/chat/completions", sse=chat_stream(text))
    fake.add("POST", "/responses", sse=response_stream(text), done=False)
    with fake.sync_client() as client:
        with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            assert isinstance(stream, SyncParsedChatCompletionStream)
            chunks = list(stream)
            final = stream.get_final_completion()
        assert len(chunks) > 3
        assert final.choices[0].message.parsed == SOLUTION
        with client.chat.completions.stream(
            model="gpt-4o", messages=MESSAGES, response_format=Solution
        ) as stream:
            assert "".join(stream.text_deltas()) == text
        with client.responses.stream(model="gpt-4o", input="x", text_format=Solution) as rstream:
            assert isinstance(rstream, SyncParsedResponseStream)
            assert rstream.get_final_response().output_parsed == SOLUTION
            assert rstream.completed
