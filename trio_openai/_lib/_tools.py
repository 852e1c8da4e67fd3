"""Strict function tools from types and typed functions, for chat completions.

::

    @attrs.frozen
    class GetWeather:
        city: str
        unit: Literal["c", "f"]

    def lookup(order_id: int, verbose: bool | None = None) -> str: ...

    completion = await client.chat.completions.parse(
        model="gpt-4o",
        messages=messages,
        response_format=Answer,
        tools=[function_tool(GetWeather), function_tool(lookup)],
    )
    for call in completion.choices[0].message.parsed_tool_calls:
        call.parsed_arguments  # a GetWeather, or {"order_id": 3, "verbose": None}

`function_tool` gives a `FunctionTool`: a mapping in the chat ``tools=`` shape
(``{"type": "function", "function": {..., "strict": true}}``), so ``create`` takes it
too. The parameters' schema follows `_schema.py`'s rules. ``parse`` parses the
arguments of each call to such a tool: into the class, or for a function into the
keyword arguments to call it with (``lookup(**call.parsed_arguments)``). Arguments
that do not fit raise `APIResponseValidationError` naming the path.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, final

import attrs

from ._parsing import structure
from ._schema import is_structured_class, schema_name, strict_schema

__all__ = ["FunctionTool", "function_tool"]


@final
@attrs.frozen(kw_only=True)
class FunctionTool(Mapping[str, Any]):
    """A strict chat function tool made by `function_tool` (a mapping: the ``tools=`` item).

    Attributes:
        name: The tool's name.
        arguments_type: The class its arguments are parsed into.
        keywords: Whether the arguments are a function's (parsed into a ``dict`` of
            keyword arguments) rather than a class's.
        param: The tool as sent.
    """

    name: str
    arguments_type: type[Any]
    keywords: bool
    param: dict[str, Any] = attrs.field(repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.param[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.param)

    def __len__(self) -> int:
        return len(self.param)

    def parse_arguments(self, arguments: str) -> Any:
        """The JSON *arguments* of a call, as the class (or the keyword arguments).

        Raises:
            ValueError: *arguments* is not JSON.
            Mismatch: They do not fit (``_parsing.Mismatch``; its ``path`` says where).
        """
        value = structure(json.loads(arguments), self.arguments_type)
        if self.keywords:
            return {f.alias: getattr(value, f.name) for f in attrs.fields(self.arguments_type)}
        return value


def function_tool(
    obj: type[Any] | Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> FunctionTool:
    """A strict function tool whose parameters are a class's fields or a function's arguments.

    Args:
        obj: An attrs class, dataclass, TypedDict or pydantic model; or a function
            whose parameters are all annotated (``*args`` / ``**kwargs`` are refused).
        name: The tool's name; by default the class's or function's name.
        description: What the tool does; by default a function's docstring's first line.

    Raises:
        TypeError: A type has no strict JSON Schema, or a parameter is not annotated.
    """
    keywords = not is_structured_class(obj)
    if keywords:
        if not callable(obj):  # an untyped caller's mistake
            msg = f"function_tool takes a class or a function, not {obj!r}"  # type: ignore[unreachable]
            raise TypeError(msg)
        cls = _arguments_class(obj)
        if description is None:
            doc = inspect.getdoc(obj)
            description = doc.splitlines()[0] if doc else None
    else:
        cls = typing.cast("type[Any]", obj)
    tool_name = name or schema_name(cls)
    function: dict[str, Any] = {"name": tool_name, "parameters": strict_schema(cls), "strict": True}
    if description:
        function["description"] = description
    return FunctionTool(
        name=tool_name,
        arguments_type=cls,
        keywords=keywords,
        param={"type": "function", "function": function},
    )


def _arguments_class(fn: Callable[..., Any]) -> type[Any]:
    """An attrs class whose fields are *fn*'s parameters."""
    hints = typing.get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            msg = f"function_tool: {fn.__name__}(*{parameter.name}) cannot be a tool parameter"
            raise TypeError(msg)
        if parameter.name not in hints:
            msg = f"function_tool: parameter {parameter.name!r} of {fn.__name__} is not annotated"
            raise TypeError(msg)
        default = None if parameter.default is None else attrs.NOTHING
        fields[parameter.name] = attrs.field(type=hints[parameter.name], default=default)
    return attrs.make_class(getattr(fn, "__name__", "function"), fields, kw_only=True)
