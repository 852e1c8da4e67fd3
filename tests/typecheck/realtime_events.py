"""Realtime server events narrowed by ``type`` and by class, as SDK users write them.

Type-checked only (tests/core/test_typecheck_programs.py); never run.
"""

from __future__ import annotations

import base64

import trio_openai
from trio_openai.types.realtime import (
    RealtimeErrorEvent,
    RealtimeServerEvent,
    ResponseAudioDeltaEvent,
    ResponseDoneEvent,
)


def handle(event: RealtimeServerEvent, audio: bytearray) -> str | None:
    if event.type == "response.output_audio.delta":
        audio.extend(base64.b64decode(event.delta))
    elif event.type == "response.output_text.delta":
        return event.delta
    elif event.type == "error":
        return event.error.message
    elif event.type == "session.updated":
        return event.event_id
    return None


def by_class(event: RealtimeServerEvent) -> str:
    match event:
        case ResponseAudioDeltaEvent(delta=delta):
            return delta
        case RealtimeErrorEvent(error=error):
            return error.message
        case ResponseDoneEvent(response=response):
            return response.id or ""
        case _:
            return event.type


async def session(client: trio_openai.Client) -> None:
    audio = bytearray()
    async with client.realtime.connect(model="gpt-realtime") as connection:
        await connection.session.update(session={"type": "realtime"})
        await connection.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "Say hello!"}],
            }
        )
        await connection.response.create()
        async for event in connection:
            if isinstance(event, RealtimeErrorEvent):
                print(event.error.message)
            text = handle(event, audio)
            if text is not None:
                print(text)
            if event.type == "response.done":
                break


def mistakes(event: RealtimeServerEvent) -> None:
    if event.type == "response.output_audio.delta":
        print(event.error)  # expect-error
    if isinstance(event, RealtimeErrorEvent):
        print(event.delta)  # expect-error
    never = event.type == "response.output_audio.deltaa"  # expect-error
    del never
