"""The issue's user code end to end against the fake server (in memory), typed results."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import trio

import trio_openai
from trio_openai.testing import FakeOpenAI
from trio_openai.types import ChatCompletion, ChatCompletionChunk

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
async def fake_client() -> Any:
    fake = FakeOpenAI()
    async with fake.client() as client:
        yield fake, client


async def test_chat_create_is_typed(fake_client: Any) -> None:
    """`chat.completions.create` returns a ChatCompletion with the reply and its usage."""
    _, client = fake_client
    chat = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert isinstance(chat, ChatCompletion)
    assert chat.choices[0].message.content == "Hi"
    assert chat.usage.total_tokens > 0


async def test_chat_stream_yields_typed_chunks(fake_client: Any) -> None:
    """`chat.completions.stream` sends stream=true and yields ChatCompletionChunks of the reply."""
    fake, client = fake_client
    text = ""
    async with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        async for chunk in stream:
            assert isinstance(chunk, ChatCompletionChunk)
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
    assert text == "Hi"
    assert fake.last_request.json()["stream"] is True


async def test_create_with_stream_true_points_to_stream(fake_client: Any) -> None:
    """`create(stream=True)` is a TypeError naming `.stream`, and nothing is sent."""
    fake, client = fake_client
    with pytest.raises(TypeError, match=r"chat\.completions\.stream"):
        await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert fake.requests == []


async def test_responses_create_and_stream(fake_client: Any) -> None:
    """Responses give `output_text`; their stream yields typed events from created to completed."""
    _, client = fake_client
    r = await client.responses.create(model="gpt-4.1-mini", input="Hi")
    assert r.output_text == "Hi"
    types = []
    async with client.responses.stream(model="gpt-4.1-mini", input="Hi") as events:
        async for event in events:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                assert type(event).__name__ == "ResponseTextDeltaEvent"
                assert isinstance(event.delta, str)
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"


async def test_embeddings_models_and_pagination(fake_client: Any) -> None:
    """Embeddings keep input order; models can be listed by iteration and retrieved by id."""
    _, client = fake_client
    emb = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.index for d in emb.data] == [0, 1]
    ids = [m.id async for m in client.models.list()]
    assert "gpt-4o-mini" in ids
    model = await client.models.retrieve("gpt-4o-mini")
    assert model.id == "gpt-4o-mini"


@pytest.mark.parametrize(
    "kind", ["bytes", "tuple2", "tuple3", "open_file", "pathlib", "trio_path", "bytesio"]
)
async def test_files_create_accepts_every_input_form(
    fake_client: Any, tmp_path: Path, kind: str
) -> None:
    """Bytes, tuples, open files, paths, trio paths and BytesIO all upload the same file."""
    fake, client = fake_client
    data = b'{"prompt": "a", "completion": "b"}\n'
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    value: Any
    if kind == "bytes":
        value = data
    elif kind == "tuple2":
        value = ("train.jsonl", data)
    elif kind == "tuple3":
        value = ("train.jsonl", data, "application/jsonl")
    elif kind == "open_file":
        value = path.open("rb")
    elif kind == "pathlib":
        value = path
    elif kind == "trio_path":
        value = trio.Path(path)
    else:
        value = io.BytesIO(data)
    try:
        f = await client.files.create(file=value, purpose="fine-tune")
    finally:
        if kind == "open_file":
            value.close()
    assert f.purpose == "fine-tune"
    assert f.bytes == len(data)
    content = await client.files.content(f.id)
    assert content.content == data
    form = fake.requests[0].multipart()
    assert form.fields["purpose"] == "fine-tune"


async def test_file_content_can_stream_to_disk(fake_client: Any, tmp_path: Path) -> None:
    """A streaming file download writes every byte to disk and returns the count."""
    fake, client = fake_client
    stored = fake.add_file(b"x" * 200_000, filename="big.jsonl")
    target = tmp_path / "out.jsonl"
    async with client.files.content.with_streaming_response(stored.id) as response:
        written = await response.write_to_file(target)
    assert written == 200_000
    assert target.read_bytes() == b"x" * 200_000


async def test_speech_returns_binary_with_write_to_file(fake_client: Any, tmp_path: Path) -> None:
    """Speech returns a BinaryResponse whose `write_to_file` writes its content."""
    _, client = fake_client
    speech = await client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hi")
    assert isinstance(speech, trio_openai.BinaryResponse)
    assert speech.content
    await speech.write_to_file(tmp_path / "hi.mp3")
    assert (tmp_path / "hi.mp3").read_bytes() == speech.content


async def test_attrs_request_objects_are_accepted(fake_client: Any) -> None:
    """A typed request message is accepted and sent as the plain JSON it stands for."""
    from trio_openai.types.chat import ChatCompletionRequestUserMessage

    fake, client = fake_client
    message = ChatCompletionRequestUserMessage(role="user", content="Typed hi")
    chat = await client.chat.completions.create(model="m", messages=[message])
    assert chat.choices[0].message.content == "Typed hi"
    sent = fake.last_request.json()["messages"][0]
    assert sent == {"role": "user", "content": "Typed hi"}


async def test_unknown_fields_and_enum_values_are_kept(fake_client: Any) -> None:
    """Unknown fields go to `model_extra`, and an unknown enum value is kept as is."""
    fake, client = fake_client
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "brand_new_field": {"x": 1},
        "choices": [
            {
                "index": 0,
                "finish_reason": "a_new_reason",
                "logprobs": None,
                "message": {"role": "assistant", "content": "ok", "refusal": None},
            }
        ],
    }
    fake.add("POST", "/chat/completions", json=body)
    chat = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert chat.model_extra == {"brand_new_field": {"x": 1}}
    assert chat.choices[0].finish_reason == "a_new_reason"


async def test_response_that_does_not_fit_names_the_path(fake_client: Any) -> None:
    """A reply of the wrong shape is a validation error naming the JSON path, with the body."""
    fake, client = fake_client
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": "first",
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "ok", "refusal": None},
            }
        ],
    }
    fake.add("POST", "/chat/completions", json=body)
    with pytest.raises(trio_openai.APIResponseValidationError) as info:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.path == "$.choices[0].index"
    assert "$.choices[0].index" in str(info.value)
    assert info.value.body == body


async def test_extra_arguments_reach_the_server(fake_client: Any) -> None:
    """Extra headers, query and body reach the server; arguments not given are not sent."""
    fake, client = fake_client
    await client.chat.completions.create(
        model="m",
        messages=MESSAGES,
        temperature=0.5,
        extra_headers={"X-Trace": "t1"},
        extra_query={"trace": "1"},
        extra_body={"vendor_option": True},
    )
    request = fake.last_request
    assert request.headers["x-trace"] == "t1"
    assert request.query["trace"] == "1"
    assert request.json()["vendor_option"] is True
    assert request.json()["temperature"] == 0.5
    assert "top_p" not in request.json()


async def test_faults_surface_as_errors_and_retries(fake_client: Any, autojump_clock: Any) -> None:
    """500 and 429 are retried to success; bad JSON and a cut stream raise their errors."""
    fake, client = fake_client
    fake.add_fault("POST", "/chat/completions", status=500)
    fake.add_fault("POST", "/chat/completions", status=429, headers={"retry-after": "2"})
    chat = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert chat.choices[0].message.content == "Hi"
    assert len(fake.requests) == 3

    fake.add_fault("POST", "/chat/completions", malformed_json=True)
    with pytest.raises(trio_openai.APIResponseValidationError, match="not valid JSON"):
        await client.chat.completions.create(model="m", messages=MESSAGES)

    fake.add_fault("POST", "/chat/completions", truncate_stream=True)
    async with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
        with pytest.raises(trio_openai.StreamInterruptedError):
            [_ async for _ in stream]


async def test_completions_create_and_stream(fake_client: Any) -> None:
    """Legacy completions: the stream's text equals the created text, and it ends completed."""
    fake, client = fake_client
    done = await client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi")
    assert done.choices[0].text
    text = ""
    async with client.completions.stream(model="gpt-3.5-turbo-instruct", prompt="Hi") as stream:
        async for chunk in stream:
            text += "".join(choice.text for choice in chunk.choices)
        assert stream.completed
    assert text == done.choices[0].text
    assert fake.last_request.json()["stream"] is True
