"""trio_openai against the Prism mock: each covered operation sends a spec-valid request
and decodes the spec's example into its generated class; invalid calls raise
`UnprocessableEntityError`; a forced 429 surfaces as `RateLimitError` after Retry-After.

Arguments are the spec's required fields (``../shared/openapi/openai-openapi.yaml``) with
plausible values. Prism answers with its static examples ("string", 0), which is what
the assertions on decoded fields rely on. List operations: first page only (Prism says
``has_more: true`` forever on some of them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest
import trio

import trio_openai

# Generated classes keep the spec's schema names (the friendly aliases such as
# ``ChatCompletion`` are the same class objects).
Call = Callable[[Any], Awaitable[Any]]
Check = Callable[[Any], bool]

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
JSONL = ("batch.jsonl", b'{"custom_id": "1"}\n', "application/jsonl")


@pytest.fixture
async def client(prism_url: str) -> AsyncIterator[Any]:
    async with trio_openai.open_client(
        api_key="sk-test", base_url=prism_url, max_retries=0
    ) as client:
        yield client


def _assert_generated(value: object, schema: str | None) -> None:
    cls = type(value)
    assert attrs.has(cls), f"{cls!r} is not an attrs class"
    assert cls.__module__.startswith("trio_openai.types"), cls.__module__
    if schema is not None:
        assert cls.__name__ == schema, f"decoded into {cls.__name__}, expected {schema}"


def model(op: str, call: Call, schema: str, check: Check) -> Any:
    """An operation that answers one JSON object of the generated class ``schema``."""

    def verify(result: object) -> None:
        _assert_generated(result, schema)
        assert check(result), result

    return pytest.param(call, verify, id=op)


def page(op: str, call: Call, body: str, item: str | None, check: Check) -> Any:
    """A list operation: ``await`` gives the first `Page`, whose items are ``item``."""

    def verify(result: object) -> None:
        assert isinstance(result, trio_openai.Page), type(result)
        _assert_generated(result.body, body)
        assert result.data, "empty first page"
        for element in result.data:
            _assert_generated(element, item)
        assert check(result), result

    return pytest.param(call, verify, id=op)


def binary(op: str, call: Call, content: bytes) -> Any:
    """An operation that answers raw bytes (`BinaryResponse`)."""

    def verify(result: object) -> None:
        assert isinstance(result, trio_openai.BinaryResponse), type(result)
        assert result.content == content

    return pytest.param(call, verify, id=op)


def empty(op: str, call: Call) -> Any:
    """An operation whose success has no body."""

    def verify(result: object) -> None:
        assert result is None

    return pytest.param(call, verify, id=op)


OPERATIONS = [
    model(
        "chat.completions.create",
        lambda c: c.chat.completions.create(**CHAT),
        "CreateChatCompletionResponse",
        lambda r: r.choices[0].message.content == "string" and r.choices[0].index == 0,
    ),
    model(
        "completions.create",
        lambda c: c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi"),
        "CreateCompletionResponse",
        lambda r: r.choices[0].text == "string" and r.object == "text_completion",
    ),
    model(
        "embeddings.create",
        lambda c: c.embeddings.create(model="text-embedding-3-small", input="hello"),
        "CreateEmbeddingResponse",
        lambda r: r.data[0].index == 0 and len(r.data[0].embedding) == 1,
    ),
    model(
        "moderations.create",
        lambda c: c.moderations.create(input="I like trio"),
        "CreateModerationResponse",
        lambda r: r.results[0].flagged is True,
    ),
    model(
        "responses.create",
        lambda c: c.responses.create(model="gpt-4o-mini", input="Hi"),
        "Response",
        lambda r: r.id.startswith("resp_") and r.object == "response",
    ),
    model(
        "responses.retrieve",
        lambda c: c.responses.retrieve("resp_1"),
        "Response",
        lambda r: r.status == "completed",
    ),
    model(
        "responses.cancel",
        lambda c: c.responses.cancel("resp_1"),
        "Response",
        lambda r: r.id.startswith("resp_"),
    ),
    empty("responses.delete", lambda c: c.responses.delete("resp_1")),
    page(
        "responses.input_items.list",
        lambda c: c.responses.input_items.list("resp_1"),
        "ResponseItemList",
        None,  # items are members of the ItemResource union
        lambda p: p.data[0].type == "message",
    ),
    page(
        "models.list",
        lambda c: c.models.list(),
        "ListModelsResponse",
        "Model",
        lambda p: p.data[0].id == "string" and p.data[0].object == "model",
    ),
    model(
        "models.retrieve",
        lambda c: c.models.retrieve("gpt-4o-mini"),
        "Model",
        lambda r: r.id == "string" and r.owned_by == "string",
    ),
    model(
        "models.delete",
        lambda c: c.models.delete("ft:gpt-4o-mini:acme::abc123"),
        "DeleteModelResponse",
        lambda r: r.deleted is True,
    ),
    model(
        "files.create",
        lambda c: c.files.create(file=JSONL, purpose="batch"),
        "OpenAIFile",
        lambda r: r.object == "file" and r.bytes == 0,
    ),
    page(
        "files.list",
        lambda c: c.files.list(),
        "ListFilesResponse",
        "OpenAIFile",
        lambda p: p.data[0].object == "file",
    ),
    model(
        "files.retrieve",
        lambda c: c.files.retrieve("file-abc123"),
        "OpenAIFile",
        lambda r: r.filename == "string",
    ),
    model(
        "files.delete",
        lambda c: c.files.delete("file-abc123"),
        "DeleteFileResponse",
        lambda r: r.deleted is True,
    ),
    # The spec declares the download as a JSON string; Prism sends its example `"string"`.
    binary("files.content", lambda c: c.files.content("file-abc123"), b'"string"'),
    binary(
        "audio.speech.create",
        lambda c: c.audio.speech.create(model="tts-1", input="Hello", voice="alloy"),
        b"string",
    ),
]


@pytest.mark.parametrize(("call", "verify"), OPERATIONS)
async def test_operation_decodes_spec_example(
    client: Any, call: Call, verify: Callable[[object], None]
) -> None:
    """A call with the spec's required fields passes Prism's validation and decodes."""
    verify(await call(client))


INVALID = [
    pytest.param(
        lambda c: c.chat.completions.create(**CHAT, extra_body={"temperature": "hot"}),
        "temperature",
        id="chat.completions.create-temperature-str",
    ),
    pytest.param(
        lambda c: c.completions.create(
            model="gpt-3.5-turbo-instruct", prompt="Hi", extra_body={"max_tokens": "many"}
        ),
        "max_tokens",
        id="completions.create-max_tokens-str",
    ),
    pytest.param(
        lambda c: c.embeddings.create(
            model="text-embedding-3-small", input="hi", extra_body={"encoding_format": "hex"}
        ),
        "encoding_format",
        id="embeddings.create-encoding_format-enum",
    ),
    pytest.param(
        lambda c: c.moderations.create(input="hi", extra_body={"input": 5}),
        "input",
        id="moderations.create-input-int",
    ),
    pytest.param(
        lambda c: c.responses.create(model="gpt-4o-mini", input="Hi", extra_body={"top_p": "x"}),
        "top_p",
        id="responses.create-top_p-str",
    ),
    pytest.param(
        lambda c: c.audio.speech.create(
            model="tts-1", input="Hello", voice="alloy", extra_body={"speed": "fast"}
        ),
        "speed",
        id="audio.speech.create-speed-str",
    ),
    pytest.param(
        lambda c: c.files.create(file=JSONL, purpose="not-a-purpose"),
        "purpose",
        id="files.create-purpose-enum",
    ),
]


@pytest.mark.parametrize(("call", "field"), INVALID)
async def test_invalid_call_raises_unprocessable(client: Any, call: Call, field: str) -> None:
    """A body the spec rejects comes back 422 and raises `UnprocessableEntityError`."""
    with pytest.raises(trio_openai.UnprocessableEntityError) as info:
        await call(client)
    assert info.value.status_code == 422
    assert field in str(info.value.body), info.value.body


async def test_429_without_retries_raises_rate_limit_at_once(client: Any) -> None:
    """``Prefer: code=429`` with max_retries=0 raises `RateLimitError` without waiting."""
    start = trio.current_time()
    with pytest.raises(trio_openai.RateLimitError) as info:
        await client.chat.completions.create(**CHAT, extra_headers={"Prefer": "code=429"})
    assert info.value.status_code == 429
    assert trio.current_time() - start < 1.0


async def test_429_is_retried_after_retry_after_then_raised(client: Any) -> None:
    """With one retry the client waits Prism's ``Retry-After: 1`` once, then raises."""
    events: list[trio_openai.RetryEvent] = []
    retrying = client.with_options(
        retry_policy=trio_openai.RetryPolicy(max_retries=1, hooks=(events.append,))
    )
    start = trio.current_time()
    with pytest.raises(trio_openai.RateLimitError):
        await retrying.responses.retrieve("resp_1", extra_headers={"Prefer": "code=429"})
    elapsed = trio.current_time() - start
    assert [(e.attempt, e.wait, e.from_server) for e in events] == [(1, 1.0, True)]
    assert 1.0 <= elapsed < 5.0, elapsed
