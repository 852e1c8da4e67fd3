"""Stream finals: get_final_completion / get_final_response and text_deltas fold the events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import trio_openai
from tests._realworld import Case, cases, requires_corpus
from trio_openai.testing import FakeOpenAI

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]


def chunk(*choices: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A chat completion chunk with these choices."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": list(choices),
        **fields,
    }


def choice(index: int = 0, finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    """One streamed choice whose delta has these fields."""
    return {"index": index, "delta": delta, "finish_reason": finish_reason}


def tool(index: int, arguments: str, **first: Any) -> dict[str, Any]:
    """A tool-call chunk; *first* (id, name) only on a call's first chunk."""
    function: dict[str, Any] = {"arguments": arguments}
    if "name" in first:
        function["name"] = first.pop("name")
    return {"index": index, "function": function, **first}


def logprob(token: str) -> dict[str, Any]:
    """One token's log probability."""
    return {"token": token, "logprob": -0.5, "bytes": None, "top_logprobs": []}


TOOL_STREAM = [
    chunk(choice(role="assistant", content=None)),
    chunk(choice(tool_calls=[tool(0, "", id="call_a", type="function", name="get_weather")])),
    chunk(choice(tool_calls=[tool(0, '{"ci')])),
    chunk(choice(tool_calls=[tool(1, "", id="call_b", type="function", name="get_time")])),
    chunk(choice(tool_calls=[tool(0, 'ty": "Pa')])),
    chunk(choice(tool_calls=[tool(1, '{"tz": ')])),
    chunk(choice(tool_calls=[tool(0, 'ris"}')])),
    chunk(choice(tool_calls=[tool(1, '"CET"}')])),
    chunk(choice(finish_reason="tool_calls")),
    chunk(usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}),
]

TEXT_STREAM = [
    chunk(choice(role="assistant", content="")),
    chunk(choice(content="Hel"), {"index": 1, "delta": {"content": "Bon"}, "finish_reason": None}),
    chunk(choice(content="lo"), choice(1, content="jour")),
    chunk(choice(content=" world"), choice(1, finish_reason="length")),
    chunk(choice(finish_reason="stop")),
]


def response(status: str) -> dict[str, Any]:
    """A minimal Response object with one output text."""
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": "gpt-4o-mini",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi there", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
    }


def delta(text: str, n: int) -> tuple[str, dict[str, Any]]:
    """A response.output_text.delta event."""
    event = {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
        "sequence_number": n,
        "logprobs": [],
    }
    return ("response.output_text.delta", event)


def response_stream(terminal: str, status: str) -> list[Any]:
    """A responses stream: created, two text deltas, then *terminal*."""
    return [
        (
            "response.created",
            {"type": "response.created", "response": response("in_progress"), "sequence_number": 0},
        ),
        delta("Hi", 1),
        delta(" there", 2),
        (terminal, {"type": terminal, "response": response(status), "sequence_number": 3}),
    ]


async def test_tool_call_arguments_are_joined_per_index_with_usage() -> None:
    """Two tool calls interleaved over many chunks join by index, with id/name/type and usage."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TOOL_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            final = await stream.get_final_completion()
    assert (final.id, final.model, final.created) == ("chatcmpl-1", "gpt-4o-mini", 1700000000)
    assert final.object == "chat.completion"
    assert final.system_fingerprint == "fp_1"
    (only,) = final.choices
    assert only.finish_reason == "tool_calls"
    assert only.message.content is None
    calls = only.message.tool_calls or []
    assert [(c.id, c.type, c.function.name) for c in calls] == [  # type: ignore[union-attr]
        ("call_a", "function", "get_weather"),
        ("call_b", "function", "get_time"),
    ]
    assert [json.loads(c.function.arguments) for c in calls] == [  # type: ignore[union-attr]
        {"city": "Paris"},
        {"tz": "CET"},
    ]
    assert final.usage is not None
    assert final.usage.total_tokens == 12


async def test_content_is_joined_per_choice_with_its_finish_reason() -> None:
    """Content joins per choice index; each choice keeps its own finish_reason."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            final = await stream.get_final_completion()
    assert [(c.index, c.message.content, c.finish_reason) for c in final.choices] == [
        (0, "Hello world", "stop"),
        (1, "Bonjour", "length"),
    ]
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].logprobs is None
    assert final.usage is None


async def test_refusal_and_logprobs_are_joined() -> None:
    """Refusal deltas join; logprobs content and refusal lists concatenate in order."""
    fake = FakeOpenAI()
    stream_chunks = [
        chunk(
            {**choice(refusal="I can"), "logprobs": {"content": None, "refusal": [logprob("I")]}}
        ),
        chunk(
            {**choice(refusal="not."), "logprobs": {"content": None, "refusal": [logprob(" can")]}}
        ),
        chunk({**choice(content="ok"), "logprobs": {"content": [logprob("ok")], "refusal": None}}),
        chunk(choice(finish_reason="stop")),
    ]
    fake.add("POST", "/chat/completions", sse=stream_chunks)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            final = await stream.get_final_completion()
    message = final.choices[0].message
    assert (message.refusal, message.content) == ("I cannot.", "ok")
    logprobs = final.choices[0].logprobs
    assert logprobs is not None
    assert [t.token for t in logprobs.refusal or []] == ["I", " can"]
    assert [t.token for t in logprobs.content or []] == ["ok"]


async def test_get_final_after_partial_iteration_folds_everything() -> None:
    """Chunks already iterated count, and get_final reads the rest of the stream."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            seen = []
            async for event in stream:
                seen.append(event)
                if len(seen) == 2:
                    break
            before = stream.completed
            final = await stream.get_final_completion()
            assert (before, stream.completed) == (False, True)
            # Calling it again, or after the end, gives the same fold.
            assert await stream.get_final_completion() == final
    assert final.choices[0].message.content == "Hello world"


async def test_get_final_after_full_iteration_reads_nothing_more() -> None:
    """After iterating to the end, get_final returns the fold of what was seen."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            events = [event async for event in stream]
        final = await stream.get_final_completion()  # after the block closed it, too
    assert len(events) == len(TEXT_STREAM)
    assert final.choices[1].message.content == "Bonjour"


async def test_text_deltas_yield_choice_zero_content() -> None:
    """text_deltas yields choice 0's non-empty content deltas only, and the fold still sees all."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            deltas = [text async for text in stream.text_deltas()]
            final = await stream.get_final_completion()
    assert deltas == ["Hel", "lo", " world"]
    assert final.choices[1].message.content == "Bonjour"


@pytest.mark.parametrize("before", [True, False])
async def test_an_interrupted_chat_stream_raises(before: bool) -> None:
    """A stream without [DONE] raises StreamInterruptedError from get_final, iterated or not."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM, truncate_stream=True)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            if not before:
                with pytest.raises(trio_openai.StreamInterruptedError):
                    async for _ in stream:
                        pass
            with pytest.raises(trio_openai.StreamInterruptedError, match=r"\[DONE\]"):
                await stream.get_final_completion()


async def test_get_final_after_close_raises() -> None:
    """A stream closed before its end cannot give a final: StreamInterruptedError says so."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    async with fake.client() as client:
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            async for _ in stream:
                break
        with pytest.raises(trio_openai.StreamInterruptedError, match="stream closed"):
            await stream.get_final_completion()


@pytest.mark.parametrize(
    ("terminal", "status"),
    [("response.completed", "completed"), ("response.incomplete", "incomplete")],
)
async def test_responses_final_is_the_terminal_events_response(terminal: str, status: str) -> None:
    """get_final_response returns the Response of response.completed / response.incomplete."""
    fake = FakeOpenAI()
    fake.add("POST", "/responses", sse=response_stream(terminal, status), done=False)
    async with fake.client() as client:
        async with client.responses.stream(model="m", input="hi") as stream:
            final = await stream.get_final_response()
    assert final.status == status
    assert final.id == "resp_1"
    assert final.output_text == "Hi there"


async def test_responses_text_deltas_then_final() -> None:
    """text_deltas yields the output_text deltas; the final comes from the same events."""
    fake = FakeOpenAI()
    fake.add(
        "POST", "/responses", sse=response_stream("response.completed", "completed"), done=False
    )
    async with fake.client() as client:
        async with client.responses.stream(model="m", input="hi") as stream:
            deltas = [text async for text in stream.text_deltas()]
            final = await stream.get_final_response()
    assert deltas == ["Hi", " there"]
    assert final.status == "completed"


async def test_an_interrupted_responses_stream_raises() -> None:
    """A responses stream that ends before its terminal event raises from get_final_response."""
    fake = FakeOpenAI()
    fake.add(
        "POST",
        "/responses",
        sse=response_stream("response.completed", "completed"),
        done=False,
        truncate_stream=True,
    )
    async with fake.client() as client:
        async with client.responses.stream(model="m", input="hi") as stream:
            with pytest.raises(trio_openai.StreamInterruptedError, match=r"response\.completed"):
                await stream.get_final_response()


async def test_other_streams_have_no_fold() -> None:
    """text_deltas on a stream that is neither chat nor responses raises TypeError."""
    fake = FakeOpenAI()
    async with fake.client() as client:
        async with client.completions.stream(model="m", prompt="hi") as stream:
            with pytest.raises(TypeError, match="chat completion or Responses"):
                stream.text_deltas()  # type: ignore[misc]


def test_the_sync_stream_offers_the_same_finals() -> None:
    """SyncStream: get_final_completion after a loop, text_deltas, get_final_response."""
    fake = FakeOpenAI()
    fake.add("POST", "/chat/completions", sse=TOOL_STREAM)
    fake.add("POST", "/chat/completions", sse=TEXT_STREAM)
    fake.add(
        "POST", "/responses", sse=response_stream("response.completed", "completed"), done=False
    )
    with fake.sync_client(max_retries=0) as client:
        with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            assert len(list(stream)) == len(TOOL_STREAM)
            final = stream.get_final_completion()
        assert final.usage is not None
        assert final.choices[0].finish_reason == "tool_calls"
        with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            assert "".join(stream.text_deltas()) == "Hello world"
            assert stream.get_final_completion().choices[1].message.content == "Bonjour"
        with client.responses.stream(model="m", input="hi") as responses:
            assert responses.get_final_response().output_text == "Hi there"


def recorded_chat_streams() -> Iterator[Case]:
    """The recorded streamed chat completions that end with [DONE]."""
    for case in cases():
        if (
            case.area == "POST chat.completions [stream]"
            and case.status == 200
            and case.body
            and "data: [DONE]" in case.body
        ):
            yield case


def reference(body: str) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """Content per choice and arguments per (choice, tool index), joined by hand from the SSE."""
    content: dict[int, str] = {}
    arguments: dict[tuple[int, int], str] = {}
    for line in body.splitlines():
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        for item in json.loads(line[5:]).get("choices") or ():
            delta = item.get("delta") or {}
            if delta.get("content") is not None:
                content[item["index"]] = content.get(item["index"], "") + delta["content"]
            for call in delta.get("tool_calls") or ():
                key = (item["index"], call["index"])
                part = (call.get("function") or {}).get("arguments") or ""
                arguments[key] = arguments.get(key, "") + part
    return content, arguments


def parses(text: str) -> bool:
    """Whether *text* is JSON."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@requires_corpus
async def test_every_recorded_chat_stream_folds_to_its_deltas() -> None:
    """Each recorded chat stream folds to content equal to its joined deltas; arguments parse."""
    cases = list(recorded_chat_streams())
    assert len(cases) > 100
    fake = FakeOpenAI()
    folded = calls = 0
    async with fake.client(max_retries=0) as client:
        for case in cases:
            fake.add(
                "POST",
                "/chat/completions",
                content=case.content,
                content_type="text/event-stream",
            )
            async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
                try:
                    final = await stream.get_final_completion()
                except trio_openai.APIStreamError:
                    continue  # a recorded error event: raised, as iterating does
            content, arguments = reference(case.body or "")
            for item in final.choices:
                assert item.message.content == content.get(item.index), case.id
                expected = [text for (c, _), text in sorted(arguments.items()) if c == item.index]
                got = [call.function.arguments for call in item.message.tool_calls or ()]  # type: ignore[union-attr]
                assert got == expected, case.id
                assert [parses(text) for text in got] == [parses(text) for text in expected]
                calls += len(got)
            folded += 1
    assert folded > 250
    assert calls > 100


def recorded_responses_streams() -> Iterator[Case]:
    """The recorded streamed Responses API calls that answered 200."""
    for case in cases():
        if case.area == "POST responses [stream]" and case.status == 200:
            yield case


def terminal_and_text(body: str) -> tuple[str | None, str]:
    """The terminal event's response status and the joined output_text deltas, by hand."""
    status, text = None, ""
    for line in body.splitlines():
        if not line.startswith("data:"):
            continue
        event = json.loads(line[5:])
        if event.get("type") == "response.output_text.delta":
            text += event["delta"]
        elif event.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            status = event["response"]["status"]
            break
    return status, text


@requires_corpus
async def test_every_recorded_responses_stream_gives_its_terminal_response() -> None:
    """Each recorded responses stream's final is its terminal event's; text_deltas join to its."""
    cases = list(recorded_responses_streams())
    assert len(cases) > 200
    fake = FakeOpenAI()
    async with fake.client(max_retries=0) as client:
        for case in cases:
            fake.add(
                "POST",
                "/responses",
                content=case.content,
                content_type="text/event-stream",
            )
            status, text = terminal_and_text(case.body or "")
            async with client.responses.stream(model="m", input="hi") as stream:
                deltas = "".join([delta async for delta in stream.text_deltas()])
                final = await stream.get_final_response()
            assert (final.status, deltas) == (status, text), case.id


def test_a_sync_loop_left_by_break_has_no_final() -> None:
    """On the sync client, break closes a stream not read to its end: get_final then raises."""
    fake = FakeOpenAI()
    # Longer than the sync stream's read-ahead, so the break comes before the end.
    fake.add("POST", "/chat/completions", sse=[chunk(choice(content="x"))] * 500)
    with fake.sync_client(max_retries=0) as client:
        with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
            for _ in stream:
                break
            with pytest.raises(trio_openai.StreamInterruptedError, match="stream closed"):
                stream.get_final_completion()
