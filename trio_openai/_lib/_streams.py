"""``chat.completions.stream`` and ``responses.stream`` with structured outputs.

::

    async with client.chat.completions.stream(
        model="gpt-4o", messages=[...], response_format=Solution, tools=[function_tool(f)]
    ) as stream:
        async for text in stream.text_deltas():  # the JSON as it comes
            print(text, end="")
        completion = await stream.get_final_completion()  # ParsedChatCompletion[Solution]
    completion.choices[0].message.parsed  # Solution | None

    async with client.responses.stream(model="gpt-4o", input="...", text_format=Solution) as stream:
        async for event in stream:  # typed ResponseStreamEvent items
            ...
        response = await stream.get_final_response()  # ParsedResponse[Solution]

With a type as ``response_format`` (chat) or ``text_format`` (responses), the
method opens the stream the generated ``stream`` method would (the same request
with ``"stream": true``, the same pipeline as ``create``: retries, errors) with the
type's strict JSON Schema, and yields a `ParsedChatCompletionStream` /
`ParsedResponseStream`: iterate it for the chunks / events, or ``text_deltas()``
for the text; ``get_final_completion()`` / ``get_final_response()`` fold the
stream (``Stream.get_final_completion`` / ``get_final_response``, reading what
is left) and parse the result as ``parse`` does: the same `ParsedChatCompletion`
/ `ParsedResponse`, the same `LengthFinishReasonError` /
`ContentFilterFinishReasonError` for a cut-off answer, the same
``parsed_tool_calls`` for tools made by `function_tool`. Without such a type the
method is the generated one (a plain `Stream`), except that `function_tool`
tools are put in the API's shape.

On the sync client the same call gives `SyncParsedChatCompletionStream` /
`SyncParsedResponseStream` (``with ... as stream: for chunk in stream``), over a
`SyncStream`.

The generated resources define ``stream`` themselves (``@stream_method``); the
mixins in ``_structured.py`` wrap it in `ChatStreamMethod` / `ResponsesStreamMethod`
when the class is made (``__init_subclass__``), so the generated builder stays
the one place the request is specified.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, final, overload

from .._api._methods import StreamMethod
from ._arguments import chat_arguments, responses_arguments
from ._parsing import ParsedChatCompletion, ParsedResponse, parse_chat_completion, parse_response

if TYPE_CHECKING:
    import httpx2
    from typing_extensions import Self

    from .._api._caller import Caller
    from .._api._resource import Async, Moded, Sync
    from .._api._streaming import Stream
    from .._http._spec import StreamSpec
    from .._sync._results import SyncStream
    from ..types.chat import CreateChatCompletionStreamResponse
    from ..types.responses import ResponseStreamEvent
    from ._tools import FunctionTool

__all__ = [
    "AsyncChatStream",
    "AsyncResponsesStream",
    "ChatStreamMethod",
    "ParsedChatCompletionStream",
    "ParsedResponseStream",
    "ResponsesStreamMethod",
    "SyncChatStream",
    "SyncParsedChatCompletionStream",
    "SyncParsedResponseStream",
    "SyncResponsesStream",
    "chat_stream_method",
    "responses_stream_method",
]

P = ParamSpec("P")
T = TypeVar("T")
E = TypeVar("E")

ChatSpec = Callable[Concatenate[Any, P], "StreamSpec[CreateChatCompletionStreamResponse]"]
ResponsesSpec = Callable[Concatenate[Any, P], "StreamSpec[ResponseStreamEvent]"]


# -- the streams ------------------------------------------------------------------------------


class _ParsedStream(Generic[E]):
    """What both async parsed streams share: the underlying `Stream` and its iteration."""

    __slots__ = ("_tools", "stream")

    def __init__(self, stream: Stream[E], tools: Mapping[str, FunctionTool]) -> None:
        self.stream = stream
        self._tools = tools

    def __aiter__(self) -> AsyncIterator[E]:
        return self.stream.__aiter__()

    @property
    def http_response(self) -> httpx2.Response:
        """The underlying response (headers, status)."""
        return self.stream.http_response

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header: quote it to OpenAI support."""
        return self.stream.request_id

    @property
    def completed(self) -> bool:
        """Whether the terminal marker has been received."""
        return self.stream.completed

    def text_deltas(self) -> AsyncIterator[str]:
        """Iterate the text deltas only (the JSON as it comes; see `Stream.text_deltas`)."""
        deltas: AsyncIterator[str] = self.stream.text_deltas()  # type: ignore[misc]
        return deltas

    async def aclose(self) -> None:
        """Stop reading and close the response (``async with`` does this for you)."""
        await self.stream.aclose()


@final
class ParsedChatCompletionStream(_ParsedStream["CreateChatCompletionStreamResponse"], Generic[T]):
    """A chat completion stream whose final completion is parsed into *T*.

    Iterate it for the chunks (``ChatCompletionChunk``), or `text_deltas` for the
    text; `get_final_completion` gives the `ParsedChatCompletion`.

    Attributes:
        stream: The underlying `Stream` of chunks.
    """

    __slots__ = ("_cls",)

    def __init__(
        self,
        stream: Stream[CreateChatCompletionStreamResponse],
        cls: type[T],
        tools: Mapping[str, FunctionTool],
    ) -> None:
        super().__init__(stream, tools)
        self._cls = cls

    async def get_final_completion(self) -> ParsedChatCompletion[T]:
        """The stream's chunks added up and parsed, as ``parse`` returns it.

        Raises:
            LengthFinishReasonError: A choice stopped at the token limit.
            ContentFilterFinishReasonError: A choice was stopped by the content filter.
            APIResponseValidationError: The reply does not fit (its ``path`` says where).
            StreamInterruptedError: The stream ended, or was closed, before ``[DONE]``.
            APIStreamError: The server reported an error in the stream.
        """
        completion = await self.stream.get_final_completion()
        return parse_chat_completion(completion, self._cls, self.http_response, self._tools)


@final
class ParsedResponseStream(_ParsedStream["ResponseStreamEvent"], Generic[T]):
    """A Responses API stream whose final response is parsed into *T*.

    Iterate it for the events, or `text_deltas` for the text; `get_final_response`
    gives the `ParsedResponse`.

    Attributes:
        stream: The underlying `Stream` of events.
    """

    __slots__ = ("_cls",)

    def __init__(
        self, stream: Stream[ResponseStreamEvent], cls: type[T], tools: Mapping[str, FunctionTool]
    ) -> None:
        super().__init__(stream, tools)
        self._cls = cls

    async def get_final_response(self) -> ParsedResponse[T]:
        """The terminal event's response, parsed, as ``parse`` returns it.

        Raises:
            LengthFinishReasonError: It is incomplete for ``max_output_tokens``.
            ContentFilterFinishReasonError: It is incomplete for ``content_filter``.
            APIResponseValidationError: The reply does not fit (its ``path`` says where).
            StreamInterruptedError: The stream ended, or was closed, before its terminal event.
            APIStreamError: The server reported an error in the stream.
        """
        response = await self.stream.get_final_response()
        return parse_response(response, self._cls, self.http_response, self._tools)


class _SyncParsedStream(Generic[E]):
    """What both sync parsed streams share: the underlying `SyncStream` and its iteration."""

    __slots__ = ("_tools", "stream")

    def __init__(self, stream: SyncStream[E], tools: Mapping[str, FunctionTool]) -> None:
        self.stream = stream
        self._tools = tools

    def __enter__(self) -> Self:
        self.stream.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stream.close()

    def __iter__(self) -> Iterator[E]:
        return iter(self.stream)

    @property
    def http_response(self) -> httpx2.Response:
        """The underlying response (opens the stream if it is not open yet)."""
        return self.stream.http_response

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header: quote it to OpenAI support."""
        return self.stream.request_id

    @property
    def completed(self) -> bool:
        """Whether the stream reached its terminal marker."""
        return self.stream.completed

    def text_deltas(self) -> Iterator[str]:
        """Iterate the text deltas only (see `SyncStream.text_deltas`)."""
        deltas: Iterator[str] = self.stream.text_deltas()  # type: ignore[misc]
        return deltas

    def close(self) -> None:
        """Close the response (releasing its connection). Idempotent."""
        self.stream.close()


@final
class SyncParsedChatCompletionStream(
    _SyncParsedStream["CreateChatCompletionStreamResponse"], Generic[T]
):
    """`ParsedChatCompletionStream` on the sync client: ``with ... as stream: for chunk in stream``.

    As with `SyncStream`, a loop left by ``break`` has closed the stream, so
    `get_final_completion` raises `StreamInterruptedError` then.

    Attributes:
        stream: The underlying `SyncStream` of chunks.
    """

    __slots__ = ("_cls",)

    def __init__(
        self,
        stream: SyncStream[CreateChatCompletionStreamResponse],
        cls: type[T],
        tools: Mapping[str, FunctionTool],
    ) -> None:
        super().__init__(stream, tools)
        self._cls = cls

    def get_final_completion(self) -> ParsedChatCompletion[T]:
        """The chunks added up and parsed, reading the rest first (see the async twin).

        Raises:
            LengthFinishReasonError: A choice stopped at the token limit.
            ContentFilterFinishReasonError: A choice was stopped by the content filter.
            APIResponseValidationError: The reply does not fit (its ``path`` says where).
            StreamInterruptedError: The stream ended, or was closed, before ``[DONE]``.
        """
        completion = self.stream.get_final_completion()
        return parse_chat_completion(completion, self._cls, self.http_response, self._tools)


@final
class SyncParsedResponseStream(_SyncParsedStream["ResponseStreamEvent"], Generic[T]):
    """`ParsedResponseStream` on the sync client: ``with ... as stream: for event in stream``.

    Attributes:
        stream: The underlying `SyncStream` of events.
    """

    __slots__ = ("_cls",)

    def __init__(
        self,
        stream: SyncStream[ResponseStreamEvent],
        cls: type[T],
        tools: Mapping[str, FunctionTool],
    ) -> None:
        super().__init__(stream, tools)
        self._cls = cls

    def get_final_response(self) -> ParsedResponse[T]:
        """The terminal event's response, parsed, reading the rest first (see the async twin).

        Raises:
            LengthFinishReasonError: It is incomplete for ``max_output_tokens``.
            ContentFilterFinishReasonError: It is incomplete for ``content_filter``.
            APIResponseValidationError: The reply does not fit (its ``path`` says where).
            StreamInterruptedError: The stream ended, or was closed, before its terminal event.
        """
        response = self.stream.get_final_response()
        return parse_response(response, self._cls, self.http_response, self._tools)


# -- the methods ------------------------------------------------------------------------------


@asynccontextmanager
async def _opened(
    client: Caller, spec: StreamSpec[Any], make: Callable[[Stream[Any]], Any]
) -> AsyncIterator[Any]:
    async with client._stream(spec) as stream:
        yield make(stream)


class _Bound(Generic[P]):
    __slots__ = ("_build", "_resource")

    def __init__(self, build: Callable[Concatenate[Any, P], Any], resource: Any) -> None:
        self._build: Callable[..., Any] = build
        self._resource = resource

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._build.__doc__

    def _open(self, kwargs: dict[str, Any], wrap: Callable[..., Any], responses: bool) -> Any:
        """Open the stream of the call *kwargs*, wrapped by *wrap* when it is structured."""
        cls, tools = (responses_arguments if responses else chat_arguments)(kwargs)
        resource = self._resource
        portal = resource._portal
        if portal is not None:  # the sync tree: a SyncStream, made as the generated twin does
            sync_stream = portal.twin("stream", self._build, resource)(**kwargs)
            return sync_stream if cls is None else wrap(sync_stream, cls, tools)
        spec = self._build(resource, **kwargs)
        client: Caller = resource._client
        if cls is None:
            return client._stream(spec)
        return _opened(client, spec, functools.partial(_swap, wrap, cls, tools))


def _keywords_only(args: tuple[Any, ...]) -> None:
    if args:
        msg = f"stream() takes keyword arguments only ({len(args)} positional given)"
        raise TypeError(msg)


def _swap(wrap: Callable[..., Any], cls: type[Any], tools: Any, stream: Any) -> Any:
    return wrap(stream, cls, tools)


@final
class AsyncChatStream(_Bound[P]):
    """``client.chat.completions.stream`` on the async client (see the module docstring)."""

    __slots__ = ()

    # The generated parameters (P) take no type as response_format: no real overlap.
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        *,
        messages: Sequence[Any],
        model: str,
        response_format: type[T],
        schema_name: str | None = None,
        **create: Any,
    ) -> AbstractAsyncContextManager[ParsedChatCompletionStream[T]]: ...
    @overload
    def __call__(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> AbstractAsyncContextManager[Stream[CreateChatCompletionStreamResponse]]: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Stream a chat completion; with a type as *response_format*, parse its final answer.

        Raises:
            TypeError: *response_format* has no strict JSON Schema.
        """
        _keywords_only(args)
        return self._open(kwargs, ParsedChatCompletionStream, responses=False)


@final
class SyncChatStream(_Bound[P]):
    """``client.chat.completions.stream`` on the sync client (see the module docstring)."""

    __slots__ = ()

    # The generated parameters (P) take no type as response_format: no real overlap.
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self,
        *,
        messages: Sequence[Any],
        model: str,
        response_format: type[T],
        schema_name: str | None = None,
        **create: Any,
    ) -> SyncParsedChatCompletionStream[T]: ...
    @overload
    def __call__(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> SyncStream[CreateChatCompletionStreamResponse]: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Stream a chat completion; with a type as *response_format*, parse its final answer.

        Raises:
            TypeError: *response_format* has no strict JSON Schema.
        """
        _keywords_only(args)
        return self._open(kwargs, SyncParsedChatCompletionStream, responses=False)


@final
class AsyncResponsesStream(_Bound[P]):
    """``client.responses.stream`` on the async client (see the module docstring)."""

    __slots__ = ()

    # The generated parameters (P) have no text_format: no real overlap.
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, *, text_format: type[T], schema_name: str | None = None, **create: Any
    ) -> AbstractAsyncContextManager[ParsedResponseStream[T]]: ...
    @overload
    def __call__(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> AbstractAsyncContextManager[Stream[ResponseStreamEvent]]: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Stream a response; with *text_format*, parse its final answer into that type.

        Raises:
            TypeError: *text_format* has no strict JSON Schema.
        """
        _keywords_only(args)
        return self._open(kwargs, ParsedResponseStream, responses=True)


@final
class SyncResponsesStream(_Bound[P]):
    """``client.responses.stream`` on the sync client (see the module docstring)."""

    __slots__ = ()

    # The generated parameters (P) have no text_format: no real overlap.
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, *, text_format: type[T], schema_name: str | None = None, **create: Any
    ) -> SyncParsedResponseStream[T]: ...
    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> SyncStream[ResponseStreamEvent]: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Stream a response; with *text_format*, parse its final answer into that type.

        Raises:
            TypeError: *text_format* has no strict JSON Schema.
        """
        _keywords_only(args)
        return self._open(kwargs, SyncParsedResponseStream, responses=True)


class ChatStreamMethod(StreamMethod[P, "CreateChatCompletionStreamResponse"]):
    """The descriptor of ``chat.completions.stream``: the generated builder, structured too.

    A `StreamMethod` (what tools and tests that walk the API look for) whose bound
    methods also take a type.
    """

    __slots__ = ()

    # Overrides: the bound method is a StreamMethod's, plus the structured overload.
    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Moded[Async], owner: type[Any]) -> AsyncChatStream[P]: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> SyncChatStream[P]: ...
    def __get__(
        self, obj: Moded[Any] | None, owner: type[Any]
    ) -> Self | AsyncChatStream[P] | SyncChatStream[P]:
        if obj is None:
            return self
        if obj._portal is None:
            return AsyncChatStream(self._build, obj)
        return SyncChatStream(self._build, obj)


class ResponsesStreamMethod(StreamMethod[P, "ResponseStreamEvent"]):
    """The descriptor of ``responses.stream``: the generated builder, structured too.

    A `StreamMethod` (what tools and tests that walk the API look for) whose bound
    methods also take a type.
    """

    __slots__ = ()

    # Overrides: the bound method is a StreamMethod's, plus the structured overload.
    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Moded[Async], owner: type[Any]) -> AsyncResponsesStream[P]: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> SyncResponsesStream[P]: ...
    def __get__(
        self, obj: Moded[Any] | None, owner: type[Any]
    ) -> Self | AsyncResponsesStream[P] | SyncResponsesStream[P]:
        if obj is None:
            return self
        if obj._portal is None:
            return AsyncResponsesStream(self._build, obj)
        return SyncResponsesStream(self._build, obj)


def chat_stream_method(build: ChatSpec[P]) -> ChatStreamMethod[P]:
    """Decorate the generated ``chat.completions.stream`` builder (for the generator)."""
    return ChatStreamMethod(build)


def responses_stream_method(build: ResponsesSpec[P]) -> ResponsesStreamMethod[P]:
    """Decorate the generated ``responses.stream`` builder (for the generator)."""
    return ResponsesStreamMethod(build)
