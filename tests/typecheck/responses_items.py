"""The Responses API as the official SDK's users type it: input items, tools, narrowing.

Type-checked only (tests/core/test_typecheck_programs.py); never run.
"""

from __future__ import annotations

import trio_openai
from trio_openai.types.responses import (
    FunctionToolParam,
    Response,
    ResponseFunctionToolCall,
    ResponseInputItemParam,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseStreamEvent,
    ToolParam,
)


def tools() -> list[ToolParam]:
    weather: FunctionToolParam = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }
    return [weather, {"type": "web_search"}]


def calls_in(response: Response) -> list[ResponseFunctionToolCall]:
    found: list[ResponseFunctionToolCall] = []
    for item in response.output:
        if item.type == "function_call":
            name: str = item.name
            arguments: str = item.arguments
            del name, arguments
            found.append(item)
        elif item.type == "message":
            for part in item.content:
                if part.type == "output_text":
                    text: str = part.text
                    del text
                else:
                    refusal: str = part.refusal
                    del refusal
    return found


def describe(item: ResponseOutputItem) -> str:
    match item:
        case ResponseFunctionToolCall(name=name, call_id=call_id):
            return f"{name} ({call_id})"
        case ResponseOutputMessage(id=id_):
            return id_
        case _:
            return item.type


def first_message(output: list[ResponseOutputItem]) -> ResponseOutputMessage | None:
    for item in output:
        if isinstance(item, ResponseOutputMessage):
            return item
    return None


async def tool_loop(client: trio_openai.Client) -> str:
    history: list[ResponseInputItemParam] = [
        {"role": "user", "content": "What is the weather in Paris?"},
    ]
    response = await client.responses.create(model="gpt-4.1", input=history, tools=tools())
    for call in calls_in(response):
        result = '{"temp": 21}'
        history.append({"type": "function_call_output", "call_id": call.call_id, "output": result})
    final = await client.responses.create(
        model="gpt-4.1", input=history, previous_response_id=response.id
    )
    return final.output_text


def on_event(event: ResponseStreamEvent) -> str | None:
    if event.type == "response.output_text.delta":
        return event.delta
    if event.type == "response.completed":
        return event.response.output_text
    if event.type == "response.function_call_arguments.done":
        return event.arguments
    return None


async def streamed(client: trio_openai.Client) -> str:
    parts: list[str] = []
    # The official SDK's `client.responses.stream(...)` manager: the same `async with` shape.
    async with client.responses.stream(model="gpt-4.1", input="Tell a story") as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
            elif event.type == "error":
                raise RuntimeError(event.message)
    return "".join(parts)


async def mistakes(client: trio_openai.Client, event: ResponseStreamEvent) -> None:
    bad: ResponseInputItemParam = {"role": "user", "contnet": "x"}  # expect-error
    web: ToolParam = {"type": "web_serch"}  # expect-error
    await client.responses.create(model="gpt-4.1", input="x", instrutions="y")  # expect-error
    await client.responses.create(model="gpt-4.1", input="x", truncation="never")  # expect-error
    if event.type == "response.output_text.delta":
        print(event.response)  # expect-error
    response = await client.responses.create(model="gpt-4.1", input="x")
    for item in response.output:
        if item.type == "message":
            print(item.arguments)  # expect-error
    del bad, web
