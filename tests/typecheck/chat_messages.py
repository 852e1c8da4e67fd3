"""Chat completions as the official SDK's users type them: message and tool TypedDicts.

Type-checked only (tests/core/test_typecheck_programs.py); never run.
"""

from __future__ import annotations

import json

import trio_openai
from trio_openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageParam,
    ChatCompletionMessageToolCallUnion,
    ChatCompletionToolParam,
)


def weather_tool() -> ChatCompletionToolParam:
    return {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }


async def ask(client: trio_openai.Client, question: str) -> str | None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": question},
    ]
    tools: list[ChatCompletionToolParam] = [weather_tool()]
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, tools=tools, tool_choice="auto"
    )
    message = completion.choices[0].message
    calls: list[ChatCompletionMessageToolCallUnion] = list(message.tool_calls or [])
    for call in calls:
        if call.type == "function":
            arguments: object = json.loads(call.function.arguments)
            del arguments
            reply = f"{call.function.name}: 21C"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": reply})
        else:
            text: str = call.custom.input
            del text
    messages.append({"role": "assistant", "content": message.content})
    again: ChatCompletion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=messages
    )
    finish: str = again.choices[0].finish_reason
    del finish
    total: int | None = again.usage.total_tokens if again.usage else None
    del total
    return again.choices[0].message.content


async def content_parts(client: trio_openai.Client) -> None:
    message: ChatCompletionMessageParam = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    }
    await client.chat.completions.create(model="gpt-4o", messages=[message], temperature=0.2)


async def mistakes(client: trio_openai.Client) -> None:
    chat = client.chat.completions
    ok: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x"}]
    wrong_role: ChatCompletionMessageParam = {"role": "usr", "content": "x"}  # expect-error
    wrong_key: ChatCompletionMessageParam = {"role": "user", "contnet": "x"}  # expect-error
    await chat.create(model="gpt-4o", messages=ok, temprature=0.2)  # expect-error
    await chat.create(model="gpt-4o", messages=ok, tool_choice="always")  # expect-error
    await chat.create(model="m", messages=[{"role": "usr", "content": "x"}])  # expect-error
    await chat.create(model="m", messages=[{"role": "user", "contnet": "x"}])  # expect-error
    bad: ChatCompletionToolParam = {"type": "function", "function": {"nam": "f"}}  # expect-error
    completion = await chat.create(model="gpt-4o", messages=ok)
    for call in completion.choices[0].message.tool_calls or []:
        if call.type == "function":
            print(call.custom)  # expect-error
    del wrong_role, wrong_key, bad
