"""Structured outputs: the request's format, the parsed results, JSON into the user's type.

A reply's JSON is checked against *T* field by field (the same rules `_schema.py`
states) and built into *T*: an attrs class or dataclass by its ``__init__``, a
TypedDict as a ``dict``, a pydantic model by ``model_validate``. The first value
that does not fit raises `APIResponseValidationError` whose ``path`` (and
message) names it in the reply, e.g. ``$.steps[1].output``. Unknown keys do not
fit (strict mode never sends them); missing keys do not fit either.

Results are small frozen wrappers over the generated models, generic in *T*:
`ParsedChatCompletion` (``choices[i].message.parsed``) and `ParsedResponse`
(``output_parsed``); the full typed answer stays reachable (``.completion`` /
``.response``).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

import attrs
from typing_extensions import is_typeddict

from .._errors import (
    APIResponseValidationError,
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
)
from ._schema import fields_of, is_pydantic_model, is_structured_class, schema_name, strict_schema

if TYPE_CHECKING:
    import httpx2

    from ..types.chat import (
        ChatCompletionMessageToolCalls,
        ChatCompletionResponseMessage,
        CreateChatCompletionResponse,
        CreateChatCompletionResponseChoice,
    )
    from ..types.responses import Response

__all__ = [
    "ParsedChatCompletion",
    "ParsedChoice",
    "ParsedMessage",
    "ParsedResponse",
    "ParsedToolCall",
    "ToolArguments",
    "chat_response_format",
    "parse_chat_completion",
    "parse_response",
    "responses_text_format",
    "structure",
]

T = TypeVar("T")


class Mismatch(Exception):  # noqa: N818 -- internal to _lib: never escapes parse()
    """A value that does not fit its type, at *path*."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# -- the request ------------------------------------------------------------------------------


def chat_response_format(cls: type[Any], name: str | None = None) -> dict[str, Any]:
    """The chat ``response_format`` for *cls*: its strict JSON Schema.

    Raises:
        TypeError: *cls* has no strict JSON Schema (see `_schema.strict_schema`).
    """
    schema = strict_schema(cls)
    return {
        "type": "json_schema",
        "json_schema": {"name": name or schema_name(cls), "schema": schema, "strict": True},
    }


def responses_text_format(cls: type[Any], name: str | None = None) -> dict[str, Any]:
    """The Responses ``text.format`` for *cls*: its strict JSON Schema.

    Raises:
        TypeError: *cls* has no strict JSON Schema (see `_schema.strict_schema`).
    """
    schema = strict_schema(cls)
    return {
        "type": "json_schema",
        "name": name or schema_name(cls),
        "schema": schema,
        "strict": True,
    }


class ToolArguments(Protocol):
    """What parses a tool call's arguments (a `FunctionTool`)."""

    def parse_arguments(self, arguments: str) -> Any:
        """The call's JSON *arguments*, parsed."""
        ...


# -- the results ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ParsedToolCall:
    """A function tool call whose arguments are parsed (the tool came from `function_tool`).

    Attributes:
        id: The call's id (to answer it with a ``tool`` message, or a Responses API
            ``function_call_output`` item: there it is the ``call_id``).
        name: The function's name.
        arguments: The arguments' JSON, as sent.
        parsed_arguments: The arguments parsed: the tool's class, or a function's
            keyword arguments as a ``dict``; ``None`` for a tool not made by
            `function_tool`.
    """

    id: str
    name: str
    arguments: str
    parsed_arguments: Any


@attrs.frozen(kw_only=True)
class ParsedMessage(Generic[T]):
    """A chat message with its content parsed into *T*.

    Attributes:
        content: The message's text (the JSON), or ``None``.
        refusal: The model's refusal, or ``None``; when set, ``parsed`` is ``None``.
        parsed: The content as *T*; ``None`` for a refusal or no content.
        tool_calls: The message's tool calls, if any, as sent.
        parsed_tool_calls: Its function tool calls, with ``parsed_arguments``.
        message: The message as the API sent it.
    """

    content: str | None
    refusal: str | None
    parsed: T | None
    tool_calls: ChatCompletionMessageToolCalls | None
    parsed_tool_calls: tuple[ParsedToolCall, ...] = ()
    message: ChatCompletionResponseMessage = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class ParsedChoice(Generic[T]):
    """One choice of a `ParsedChatCompletion`.

    Attributes:
        index: Its index.
        finish_reason: Why generation stopped (``"stop"``, ``"tool_calls"``); ``None``
            when the server left it out (some compatible servers do).
        message: The message, with ``parsed``.
        choice: The choice as the API sent it (logprobs included).
    """

    index: int
    finish_reason: str | None
    message: ParsedMessage[T]
    choice: CreateChatCompletionResponseChoice = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class ParsedChatCompletion(Generic[T]):
    """A chat completion whose choices' messages carry the parsed *T*.

    ``completion.choices[0].message.parsed`` is a *T* (or ``None`` on a refusal).

    Attributes:
        id: The completion's id.
        model: The model that answered.
        created: Its Unix time.
        choices: The choices, parsed.
        completion: The whole typed answer (usage, service tier, ...).
    """

    id: str
    model: str
    created: int
    choices: tuple[ParsedChoice[T], ...]
    completion: CreateChatCompletionResponse = attrs.field(repr=False)

    @property
    def usage(self) -> Any:
        """The answer's token usage (``completion.usage``)."""
        return self.completion.usage


@attrs.frozen(kw_only=True)
class ParsedResponse(Generic[T]):
    """A Responses API answer whose text is parsed into *T*.

    Attributes:
        id: The response's id.
        output_parsed: The output text as *T*; ``None`` for a refusal or no text.
        output_text: The output text (the JSON).
        refusal: The model's refusal, or ``None``.
        parsed_tool_calls: The output's ``function_call`` items, in order, with
            ``parsed_arguments`` (``id`` is the item's ``call_id``, to answer it
            with a ``function_call_output`` item).
        response: The whole typed `Response` (``output``, ``usage``, ...).
    """

    id: str
    output_parsed: T | None
    output_text: str
    refusal: str | None
    parsed_tool_calls: tuple[ParsedToolCall, ...] = ()
    response: Response = attrs.field(repr=False)

    @property
    def usage(self) -> Any:
        """The response's token usage (``response.usage``)."""
        return self.response.usage


def parse_chat_completion(
    completion: CreateChatCompletionResponse,
    cls: type[T] | None,
    http_response: httpx2.Response,
    tools: Mapping[str, ToolArguments] | None = None,
) -> ParsedChatCompletion[T]:
    """Parse each choice's content into *cls* (if given), and its tool calls' arguments.

    Raises:
        LengthFinishReasonError: A choice stopped at the token limit.
        ContentFilterFinishReasonError: A choice was stopped by the content filter.
        APIResponseValidationError: A content is not JSON, or does not fit *cls*.
    """
    choices: list[ParsedChoice[T]] = []
    for choice in completion.choices:
        if choice.finish_reason == "length":
            raise LengthFinishReasonError(completion=completion)
        if choice.finish_reason == "content_filter":
            raise ContentFilterFinishReasonError(completion=completion)
        message = choice.message
        parsed: T | None = None
        if cls is not None and message.content is not None and not message.refusal:
            parsed = _parse_text(message.content, cls, http_response)
        choices.append(
            ParsedChoice(
                index=choice.index,
                finish_reason=choice.finish_reason,
                message=ParsedMessage(
                    content=message.content,
                    refusal=message.refusal,
                    parsed=parsed,
                    tool_calls=message.tool_calls,
                    parsed_tool_calls=_parse_tool_calls(message, tools or {}, http_response),
                    message=message,
                ),
                choice=choice,
            )
        )
    return ParsedChatCompletion(
        id=completion.id,
        model=completion.model,
        created=completion.created,
        choices=tuple(choices),
        completion=completion,
    )


def _parse_tool_calls(
    message: ChatCompletionResponseMessage,
    tools: Mapping[str, ToolArguments],
    http_response: httpx2.Response,
) -> tuple[ParsedToolCall, ...]:
    calls: list[ParsedToolCall] = []
    for item in message.tool_calls or ():
        call: Any = item  # a function call, a custom tool call or an unknown kind
        function: Any = getattr(call, "function", None)
        if getattr(call, "type", None) != "function" or function is None:
            continue
        calls.append(_parsed_call(call.id, function.name, function.arguments, tools, http_response))
    return tuple(calls)


def _parsed_call(
    call_id: str,
    name: str,
    arguments: str,
    tools: Mapping[str, ToolArguments],
    http_response: httpx2.Response,
) -> ParsedToolCall:
    tool = tools.get(name)
    parsed: Any = None
    if tool is not None:
        try:
            parsed = tool.parse_arguments(arguments)
        except ValueError as exc:
            msg = f"The arguments of tool call {call_id} ({name}) are not JSON: {exc}"
            raise APIResponseValidationError(msg, response=http_response, body=arguments) from None
        except Mismatch as exc:
            msg = (
                f"The arguments of tool call {call_id} ({name}) do not fit "
                f"at {exc.path}: {exc.message}"
            )
            raise APIResponseValidationError(
                msg, response=http_response, body=arguments, path=exc.path
            ) from None
    return ParsedToolCall(id=call_id, name=name, arguments=arguments, parsed_arguments=parsed)


def parse_response(
    response: Response,
    cls: type[T] | None,
    http_response: httpx2.Response,
    tools: Mapping[str, ToolArguments] | None = None,
) -> ParsedResponse[T]:
    """Parse a response's output text into *cls* (if given), and its function calls' arguments.

    Raises:
        LengthFinishReasonError: It is incomplete for ``max_output_tokens``.
        ContentFilterFinishReasonError: It is incomplete for ``content_filter``.
        APIResponseValidationError: The text is not JSON, or does not fit *cls*; or
            a call's arguments do not fit its tool.
    """
    details: Any = getattr(response, "incomplete_details", None)
    reason = getattr(details, "reason", None)
    if reason == "max_output_tokens":
        raise LengthFinishReasonError(completion=response)
    if reason == "content_filter":
        raise ContentFilterFinishReasonError(completion=response)
    output: Any = getattr(response, "output", None) or ()
    refusals = [
        str(getattr(part, "refusal", ""))
        for item in output
        if getattr(item, "type", None) == "message"
        for part in getattr(item, "content", None) or ()
        if getattr(part, "type", None) == "refusal"
    ]
    calls = tuple(
        _parsed_call(item.call_id, item.name, item.arguments, tools or {}, http_response)
        for item in output
        if getattr(item, "type", None) == "function_call"
    )
    text = response.output_text
    refusal = "".join(refusals) or None
    parsed = None
    if cls is not None and text and refusal is None:
        parsed = _parse_text(text, cls, http_response)
    return ParsedResponse(
        id=response.id,
        output_parsed=parsed,
        output_text=text,
        refusal=refusal,
        parsed_tool_calls=calls,
        response=response,
    )


def _parse_text(text: str, cls: type[T], http_response: httpx2.Response) -> T:
    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = f"The reply is not JSON ({exc}), so it cannot be parsed into {cls.__name__}"
        raise APIResponseValidationError(msg, response=http_response, body=text) from None
    try:
        value: T = structure(data, cls)
    except Mismatch as exc:
        msg = f"The reply does not fit {cls.__name__} at {exc.path}: {exc.message}"
        raise APIResponseValidationError(
            msg, response=http_response, body=data, path=exc.path
        ) from None
    return value


# -- JSON into T ------------------------------------------------------------------------------


def structure(value: object, tp: Any, path: str = "$") -> Any:  # noqa: PLR0911, PLR0912
    """*value* (decoded JSON) as *tp*, checked all the way down.

    Raises:
        Mismatch: A value does not fit; its ``path`` names it.
    """
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is typing.Annotated:
        return structure(value, args[0], path)
    if tp is None or tp is type(None):
        if value is not None:
            raise Mismatch(path, f"expected null, got {_kind(value)}")
        return None
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        failures: list[Mismatch] = []
        for member in args:
            if member is type(None):
                continue
            try:
                return structure(value, member, path)
            except Mismatch as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        raise Mismatch(path, f"{_kind(value)} fits none of {tp}")
    if tp is bool:
        if not isinstance(value, bool):
            raise Mismatch(path, f"expected a boolean, got {_kind(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Mismatch(path, f"expected an integer, got {_kind(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Mismatch(path, f"expected a number, got {_kind(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise Mismatch(path, f"expected a string, got {_kind(value)}")
        return value
    if tp in (dt.datetime, dt.date, dt.time, uuid.UUID):
        return _from_string(value, tp, path)
    if origin is Literal:
        if not any(value == a and type(value) is type(a) for a in args):
            raise Mismatch(path, f"{value!r} is not one of {list(args)!r}")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise Mismatch(path, f"{value!r} is not one of {[m.value for m in tp]!r}") from None
    if origin in (list, tuple, set, frozenset, Sequence, typing.Sequence):
        if not isinstance(value, list):
            raise Mismatch(path, f"expected an array, got {_kind(value)}")
        items = [structure(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
        return items if origin in (list, Sequence, typing.Sequence) else origin(items)
    if is_structured_class(tp):
        return _structure_class(value, tp, path)
    raise Mismatch(path, f"{tp!r} cannot be parsed")


def _structure_class(value: object, cls: type[Any], path: str) -> Any:
    if not isinstance(value, dict):
        raise Mismatch(path, f"expected an object ({cls.__name__}), got {_kind(value)}")
    fields = fields_of(cls)
    known = {f.key for f in fields}
    for key in value:
        if key not in known:
            raise Mismatch(f"{path}.{key}", f"unexpected key in {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for field in fields:
        where = f"{path}.{field.key}"
        if field.key not in value:
            raise Mismatch(where, f"missing (required by {cls.__name__})")
        raw = value[field.key]
        kwargs[field.init_name] = (
            None if raw is None and field.default_none else structure(raw, field.type, where)
        )
    if is_typeddict(cls):
        return kwargs
    if is_pydantic_model(cls):
        return _pydantic_validate(cls, kwargs, path)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # an attrs validator or __post_init__ refused it
        raise Mismatch(path, f"{cls.__name__} refused it: {exc}") from None


def _pydantic_validate(cls: type[Any], data: dict[str, Any], path: str) -> Any:
    import pydantic

    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        where = path + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.get("loc", ())
        )
        raise Mismatch(where, str(error.get("msg", exc))) from None


def _from_string(value: object, tp: type[Any], path: str) -> Any:
    if not isinstance(value, str):
        raise Mismatch(path, f"expected a string ({tp.__name__}), got {_kind(value)}")
    try:
        if tp is uuid.UUID:
            return uuid.UUID(value)
        return tp.fromisoformat(value)
    except ValueError:
        raise Mismatch(path, f"{value!r} is not an ISO 8601 {tp.__name__}") from None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
