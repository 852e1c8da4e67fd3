"""``chat.completions.parse`` / ``responses.parse`` (and ``stream``): outputs into your type.

::

    @attrs.frozen
    class Step:
        explanation: str
        output: str

    @attrs.frozen
    class Solution:
        steps: list[Step]
        final_answer: str

    completion = await client.chat.completions.parse(
        model="gpt-4o", messages=[...], response_format=Solution
    )
    solution = completion.choices[0].message.parsed  # Solution | None (None: a refusal)

    response = await client.responses.parse(model="gpt-4o", input="...", text_format=Solution)
    solution = response.output_parsed

Each sends the strict JSON Schema of the type (`_schema.py`) and parses the reply
(`_parsing.py`) through the client's pipeline (retries, errors as for ``create``);
every other keyword goes to ``create`` as it is. On the sync client the same
methods block. Decisions:

- **Refusals are answers**, not errors: ``message.refusal`` / ``refusal`` is set and
  the parsed value is ``None``.
- **A cut-off reply is an error**: a ``length`` / ``content_filter`` finish raises
  `LengthFinishReasonError` / `ContentFilterFinishReasonError` (each holding the
  answer), since half a JSON document parses into nothing useful.
- **Tools**: calls of tools made by `function_tool` (``_tools.py``) are parsed too,
  in ``message.parsed_tool_calls`` / ``response.parsed_tool_calls``
  (``parsed_arguments``); such tools are put in each API's shape (``_arguments.py``).
- **A reply that does not fit** raises `APIResponseValidationError` naming the JSON
  path of the first bad value; it is not retried.
- **Streaming**: ``stream(..., response_format=T)`` / ``stream(..., text_format=T)``
  give the same parsed finals from a stream (``_streams.py``). The generated
  ``stream`` builders are decorated with `chat_stream_method` /
  `responses_stream_method` (re-exported here for the generator: ``decorators`` of
  ``RESOURCE_MIXINS``), so the request stays the generated one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._api._bridge import Blocking
from .._api._methods import TypedMethod
from ._arguments import chat_arguments, responses_arguments
from ._parsing import ParsedChatCompletion, ParsedResponse, parse_chat_completion, parse_response
from ._streams import (
    chat_stream_method,
    responses_stream_method,
)

if TYPE_CHECKING:
    from .._api._caller import Caller

__all__ = [
    "AsyncChatParse",
    "AsyncResponsesParse",
    "ChatCompletionsParse",
    "ResponsesParse",
    "SyncChatParse",
    "SyncResponsesParse",
    "chat_stream_method",
    "responses_stream_method",
]

T = TypeVar("T")
A = TypeVar("A")
S = TypeVar("S")


class AsyncChatParse(Protocol):
    """``client.chat.completions.parse`` on the async client."""

    def __call__(
        self,
        *,
        messages: Sequence[Any],
        model: str,
        response_format: type[T],
        schema_name: str | None = None,
        **create: Any,
    ) -> Awaitable[ParsedChatCompletion[T]]:
        """Create a chat completion whose reply is parsed into *response_format*."""
        ...


class SyncChatParse(Protocol):
    """``client.chat.completions.parse`` on the sync client."""

    def __call__(
        self,
        *,
        messages: Sequence[Any],
        model: str,
        response_format: type[T],
        schema_name: str | None = None,
        **create: Any,
    ) -> ParsedChatCompletion[T]:
        """Create a chat completion whose reply is parsed into *response_format*."""
        ...


class AsyncResponsesParse(Protocol):
    """``client.responses.parse`` on the async client."""

    def __call__(
        self, *, text_format: type[T], schema_name: str | None = None, **create: Any
    ) -> Awaitable[ParsedResponse[T]]:
        """Create a response whose text is parsed into *text_format*."""
        ...


class SyncResponsesParse(Protocol):
    """``client.responses.parse`` on the sync client."""

    def __call__(
        self, *, text_format: type[T], schema_name: str | None = None, **create: Any
    ) -> ParsedResponse[T]:
        """Create a response whose text is parsed into *text_format*."""
        ...


async def _chat_parse(
    self: Any,
    *,
    messages: Sequence[Any],
    model: str,
    response_format: type[T],
    schema_name: str | None = None,
    **create: Any,
) -> ParsedChatCompletion[T]:
    """Create a chat completion whose reply is parsed into *response_format*.

    Args:
        messages: The conversation, as for ``create``.
        model: The model, as for ``create``.
        response_format: The type of the reply: an attrs class, a dataclass, a
            TypedDict or a pydantic model; its strict JSON Schema is sent.
        schema_name: The schema's ``name``; by default the class name.
        **create: Any other argument of ``chat.completions.create``; the calls of
            ``tools=`` made by `function_tool` get ``parsed_arguments``
            (``message.parsed_tool_calls``).

    Raises:
        TypeError: *response_format* has no strict JSON Schema.
        LengthFinishReasonError: A choice stopped at the token limit.
        ContentFilterFinishReasonError: A choice was stopped by the content filter.
        APIResponseValidationError: The reply does not fit (its ``path`` says where).
        APIError: The call failed, as for ``create``.
    """
    kwargs: dict[str, Any] = {
        "messages": messages,
        "model": model,
        "response_format": response_format,
        "schema_name": schema_name,
        **create,
    }
    _, tools = chat_arguments(kwargs, required=True)
    spec = type(self).create._build(self, **kwargs)
    del kwargs, create  # out of the traceback's locals: extra_headers may hold a key
    client: Caller = self._client
    answer = await client._execute_raw(spec)
    return parse_chat_completion(answer.parse(), response_format, answer.http_response, tools)


async def _responses_parse(
    self: Any, *, text_format: type[T], schema_name: str | None = None, **create: Any
) -> ParsedResponse[T]:
    """Create a response whose text is parsed into *text_format*.

    Args:
        text_format: The type of the reply: an attrs class, a dataclass, a
            TypedDict or a pydantic model; its strict JSON Schema is sent as
            ``text.format`` (other keys of a ``text=`` argument are kept).
        schema_name: The schema's ``name``; by default the class name.
        **create: Any other argument of ``responses.create`` (``model``, ``input``,
            ...); the calls of ``tools=`` made by `function_tool` (converted to the
            Responses API's flat shape) get ``parsed_arguments``
            (``response.parsed_tool_calls``).

    Raises:
        TypeError: *text_format* has no strict JSON Schema.
        LengthFinishReasonError: The response is incomplete for ``max_output_tokens``.
        ContentFilterFinishReasonError: It is incomplete for ``content_filter``.
        APIResponseValidationError: The reply does not fit (its ``path`` says where).
        APIError: The call failed, as for ``create``.
    """
    kwargs: dict[str, Any] = {"text_format": text_format, "schema_name": schema_name, **create}
    _, tools = responses_arguments(kwargs)
    spec = type(self).create._build(self, **kwargs)
    del kwargs, create  # out of the traceback's locals: extra_headers may hold a key
    client: Caller = self._client
    answer = await client._execute_raw(spec)
    return parse_response(answer.parse(), text_format, answer.http_response, tools)


class ChatCompletionsParse:
    """Hand-written ``client.chat.completions.parse`` and ``stream`` (mixed into the resource).

    ``stream`` is the generated method, decorated by `chat_stream_method` (``_streams.py``).
    """

    __slots__ = ()

    parse: TypedMethod[AsyncChatParse, SyncChatParse] = TypedMethod(Blocking(_chat_parse))


class ResponsesParse:
    """Hand-written ``client.responses.parse`` and ``stream`` (mixed into the resource).

    ``stream`` is the generated method, decorated by `responses_stream_method` (``_streams.py``).
    """

    __slots__ = ()

    parse: TypedMethod[AsyncResponsesParse, SyncResponsesParse] = TypedMethod(
        Blocking(_responses_parse)
    )
