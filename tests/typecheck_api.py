"""Type-checked only (mypy --strict runs over it; pytest does not collect it).

It pins the static types users see: if a change makes one of these lines a type
error, or changes an inferred type, mypy fails in CI.
"""

from __future__ import annotations

import trio
from typing_extensions import assert_type

import trio_openai
from trio_openai.types import ChatCompletion, ChatCompletionChunk
from trio_openai.types.responses import Response


async def typed_calls(client: trio_openai.Client) -> None:
    chat = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(chat, ChatCompletion)
    content: str | None = chat.choices[0].message.content
    del content

    async with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        assert_type(stream, trio_openai.Stream[ChatCompletionChunk])
        async for chunk in stream:
            assert_type(chunk, ChatCompletionChunk)
        async for text in stream.text_deltas():
            assert_type(text, str)
        assert_type(await stream.get_final_completion(), ChatCompletion)

    async with client.responses.stream(model="gpt-4.1-mini", input="Hi") as events:
        assert_type(await events.get_final_response(), Response)

    raw = await client.chat.completions.create.with_raw_response(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(raw, trio_openai.APIResponse[ChatCompletion])
    assert_type(raw.parse(), ChatCompletion)
    request_id: str | None = raw.request_id
    del request_id

    page = await client.models.list()
    async for model in client.models.list():
        model_id: str = model.id
        del model_id
    del page

    speech = await client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="x")
    assert_type(speech, trio_openai.BinaryResponse)
    await speech.write_to_file("x.mp3")

    f = await client.files.create(file=trio.Path("train.jsonl"), purpose="fine-tune")
    file_id: str = f.id
    del file_id

    view = client.with_options(max_retries=0)
    assert_type(view, trio_openai.Client)


async def typed_session() -> None:
    async with trio_openai.open_client(api_key="sk-x", max_retries=1) as client:
        assert_type(client, trio_openai.Client)


async def typed_reliability() -> None:
    def on_event(event: trio_openai.ReliabilityEvent) -> None:
        if isinstance(event, trio_openai.BreakerChanged):
            state: str = event.new
            del state

    async with trio_openai.open_client(
        endpoints=[
            trio_openai.Endpoint("https://api.openai.com/v1", api_key="sk-a", priority=0),
            trio_openai.Endpoint(
                "https://res.openai.azure.com",
                kind="azure",
                api_key="az-b",
                api_version="2024-10-21",
                models={"gpt-4o": "gpt4o-prod"},
                priority=1,
            ),
        ],
        routing=trio_openai.Routing(strategy="least_in_flight", failover=True),
        breaker=trio_openai.CircuitBreaker(failure_threshold=5, open_for=30.0),
        rate_limit=trio_openai.RateLimit(requests_per_minute=500, tokens_per_minute=200_000),
        health_check=trio_openai.HealthCheck(interval=30.0),
        event_hooks=[on_event],
    ) as client:
        statuses = client.health()
        assert_type(statuses, tuple[trio_openai.EndpointStatus, ...])
        breaker: trio_openai.BreakerStatus | None = statuses[0].breaker
        limiter: trio_openai.LimiterStatus | None = statuses[0].limiter
        del breaker, limiter
        assert_type(await client.check_health(), tuple[trio_openai.EndpointStatus, ...])
        async with client.events() as events:
            async for event in events:
                assert_type(event, trio_openai.ReliabilityEvent)
        try:
            await client.models.list()
        except trio_openai.CircuitOpenError as error:
            seconds: float = error.retry_in
            del seconds
        except trio_openai.RateLimitWaitError as error:
            name: str = error.endpoint
            del name


async def typed_realtime(client: trio_openai.Client) -> None:
    from trio_openai.types import (
        RealtimeServerEvent,
        RealtimeServerEventError,
        RealtimeServerEventResponseTextDelta,
    )

    async with client.realtime.connect(model="gpt-realtime") as conn:
        assert_type(conn, trio_openai.RealtimeConnection)
        event_id: str = await conn.response.create(response={"output_modalities": ["text"]})
        await conn.send({"type": "response.cancel", "event_id": event_id})
        assert_type(await conn.recv(), RealtimeServerEvent)
        async for event in conn:
            assert_type(event, RealtimeServerEvent)
            match event:
                case RealtimeServerEventResponseTextDelta(delta=delta):
                    assert_type(delta, str)
                case RealtimeServerEventError(error=error):
                    sent = conn.sent_event(error.event_id)
                    del sent
                case _:  # pyright strict wants every match exhaustive
                    pass
        sent_audio: int = await conn.input_audio_buffer.append_pcm16(b"\x00\x00")
        del sent_audio
    try:
        async with client.realtime.connect(
            model="gpt-realtime",
            keepalive=trio_openai.Keepalive(interval=10.0, timeout=5.0),
            limits=trio_openai.RealtimeLimits(max_queued_events=64),
        ):
            pass
    except trio_openai.RealtimeConnectionClosed as closed:
        code: int = closed.close_code
        del code


def typed_sync_calls(client: trio_openai.SyncClient) -> None:
    chat = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(chat, ChatCompletion)

    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        assert_type(stream, trio_openai.SyncStream[ChatCompletionChunk])
        for chunk in stream:
            assert_type(chunk, ChatCompletionChunk)
        assert_type(stream.get_final_completion(), ChatCompletion)

    raw = client.chat.completions.create.with_raw_response(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(raw.parse(), ChatCompletion)

    page = client.models.list()
    for model in page:
        model_id: str = model.id
        del model_id

    speech = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="x")
    assert_type(speech, trio_openai.SyncBinaryResponse)
    speech.write_to_file("x.mp3")

    done = client.uploads.upload_file("train.jsonl", purpose="fine-tune")
    assert_type(done, trio_openai.CompletedUpload)

    with client.realtime.connect(model="gpt-realtime") as conn:
        assert_type(conn, trio_openai.SyncRealtimeConnection)
        event_id: str = conn.session.update(session={"type": "realtime"})
        conn.conversation.item.create(item={"type": "message", "role": "user", "content": []})
        del event_id
        for event in conn:
            del event
            break

    view = client.with_options(max_retries=0)
    assert_type(view, trio_openai.SyncClient)


def typed_sync_constructor() -> None:
    with trio_openai.SyncClient(api_key="sk-x", max_retries=1) as client:
        assert_type(client, trio_openai.SyncClient)


async def typed_structured_outputs(client: trio_openai.Client) -> None:
    import attrs

    @attrs.frozen
    class Answer:
        value: int

    completion = await client.chat.completions.parse(
        model="gpt-4o", messages=[], response_format=Answer
    )
    assert_type(completion, trio_openai.ParsedChatCompletion[Answer])
    assert_type(completion.choices[0].message.parsed, Answer | None)
    assert_type(completion.choices[0].message.refusal, str | None)
    response = await client.responses.parse(model="gpt-4o", input="x", text_format=Answer)
    assert_type(response, trio_openai.ParsedResponse[Answer])
    assert_type(response.output_parsed, Answer | None)


def typed_sync_structured_outputs(client: trio_openai.SyncClient) -> None:
    import attrs

    @attrs.frozen
    class Answer:
        value: int

    completion = client.chat.completions.parse(model="gpt-4o", messages=[], response_format=Answer)
    assert_type(completion.choices[0].message.parsed, Answer | None)
    response = client.responses.parse(model="gpt-4o", input="x", text_format=Answer)
    assert_type(response.output_parsed, Answer | None)


def typed_function_tools() -> None:
    import attrs

    @attrs.frozen
    class Args:
        city: str

    def lookup(order_id: int) -> str:
        return str(order_id)

    assert_type(trio_openai.function_tool(Args), trio_openai.FunctionTool)
    assert_type(trio_openai.function_tool(lookup), trio_openai.FunctionTool)


async def typed_parsed_tool_calls(client: trio_openai.Client) -> None:
    import attrs

    @attrs.frozen
    class Answer:
        value: int

    completion = await client.chat.completions.parse(
        model="gpt-4o",
        messages=[],
        response_format=Answer,
        tools=[trio_openai.function_tool(Answer)],
    )
    for call in completion.choices[0].message.parsed_tool_calls:
        assert_type(call, trio_openai.ParsedToolCall)
