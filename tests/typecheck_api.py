"""Type-checked only (mypy --strict runs over it; pytest does not collect it).

It pins the static types users see: if a change makes one of these lines a type
error, or changes an inferred type, mypy fails in CI.
"""

from __future__ import annotations

import trio
from typing_extensions import assert_type

import trio_openai
from trio_openai.types import ChatCompletion, ChatCompletionChunk


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
