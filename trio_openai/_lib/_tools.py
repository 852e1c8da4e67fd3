"""Strict function tools from types and typed functions, for chat and the Responses API.

::

    @attrs.frozen
    class GetWeather:
        '''The weather in a city, now.'''

        city: str
        unit: Literal["c", "f"]

    def lookup(order_id: int, verbose: bool | None = None) -> str:
        '''Look an order up.

        Args:
            order_id: The order's number.
            verbose: Whether to list its lines too.
        '''

    tools = [function_tool(GetWeather), function_tool(lookup)]
    completion = await client.chat.completions.parse(
        model="gpt-4o", messages=messages, response_format=Answer, tools=tools
    )
    for call in completion.choices[0].message.parsed_tool_calls:
        call.parsed_arguments  # a GetWeather, or {"order_id": 3, "verbose": None}

    response = await client.responses.parse(
        model="gpt-4o", input="...", text_format=Answer, tools=tools  # the same tools
    )
    for call in response.parsed_tool_calls:
        call.parsed_arguments

`function_tool` gives a `FunctionTool`: a mapping in the chat ``tools=`` shape
(``{"type": "function", "function": {..., "strict": true}}``), so chat's ``create``
takes it too. The Responses API wants the flat shape (``{"type": "function",
"name": ..., "parameters": ..., "strict": true}``): ``responses.parse`` and
``responses.stream`` convert a `FunctionTool` themselves (and chat's ``parse`` /
``stream`` convert back), so one list of tools serves both APIs; for
``responses.create``, pass ``tool.for_responses()``.

The parameters' schema follows `_schema.py`'s rules (descriptions included). For a
function, the tool's description is its docstring's summary (first paragraph), and
each parameter's is its entry in the docstring's Google-style ``Args:`` section.
``parse`` / ``stream`` parse the arguments of each call to such a tool: into the
class, or for a function into the keyword arguments to call it with
(``lookup(**call.parsed_arguments)``). Arguments that do not fit raise
`APIResponseValidationError` naming the path.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, final

import attrs

from ._parsing import structure
from ._schema import class_description, is_structured_class, schema_name, strict_schema

__all__ = ["FunctionTool", "function_tool", "tools_for"]


@final
@attrs.frozen(kw_only=True)
class FunctionTool(Mapping[str, Any]):
    """A strict function tool made by `function_tool` (a mapping: the ``tools=`` item).

    Attributes:
        name: The tool's name.
        description: What the tool does, if known.
        arguments_type: The class its arguments are parsed into.
        keywords: Whether the arguments are a function's (parsed into a ``dict`` of
            keyword arguments) rather than a class's.
        api: Which API's shape the mapping has: ``"chat"`` (nested under
            ``"function"``) or ``"responses"`` (flat).
        param: The tool as sent.
    """

    name: str
    description: str | None = None
    arguments_type: type[Any]
    keywords: bool
    api: Literal["chat", "responses"] = "chat"
    param: dict[str, Any] = attrs.field(repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.param[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.param)

    def __len__(self) -> int:
        return len(self.param)

    def for_chat(self) -> FunctionTool:
        """This tool in chat's nested shape (``{"type": "function", "function": {...}}``)."""
        return self if self.api == "chat" else _evolve(self, "chat")

    def for_responses(self) -> FunctionTool:
        """This tool in the Responses API's flat shape (``{"type": "function", "name": ...}``)."""
        return self if self.api == "responses" else _evolve(self, "responses")

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


def _function(tool: FunctionTool) -> dict[str, Any]:
    if tool.api == "chat":
        function: dict[str, Any] = tool.param["function"]
        return function
    return {k: v for k, v in tool.param.items() if k != "type"}


def _evolve(tool: FunctionTool, api: Literal["chat", "responses"]) -> FunctionTool:
    return attrs.evolve(tool, api=api, param=_param(_function(tool), api))


def _param(function: dict[str, Any], api: Literal["chat", "responses"]) -> dict[str, Any]:
    if api == "chat":
        return {"type": "function", "function": function}
    return {"type": "function", **function}


def tools_for(
    api: Literal["chat", "responses"], tools: Iterable[Any]
) -> tuple[list[Any], dict[str, FunctionTool]]:
    """*tools* with each `FunctionTool` in *api*'s shape, and those tools by name."""
    out: list[Any] = []
    by_name: dict[str, FunctionTool] = {}
    for tool in tools:
        if isinstance(tool, FunctionTool):
            tool = tool.for_chat() if api == "chat" else tool.for_responses()  # noqa: PLW2901
            by_name[tool.name] = tool
        out.append(tool)
    return out, by_name


def function_tool(
    obj: type[Any] | Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> FunctionTool:
    """A strict function tool whose parameters are a class's fields or a function's arguments.

    The tool is in chat's shape; ``tool.for_responses()`` gives the Responses API's
    (``responses.parse`` / ``responses.stream`` convert it themselves).

    Args:
        obj: An attrs class, dataclass, TypedDict or pydantic model; or a function
            whose parameters are all annotated (``*args`` / ``**kwargs`` are refused).
        name: The tool's name; by default the class's or function's name.
        description: What the tool does; by default a function's docstring summary
            (its first paragraph) or a class's docstring.

    Raises:
        TypeError: A type has no strict JSON Schema, or a parameter is not annotated.
    """
    keywords = not is_structured_class(obj)
    if keywords:
        if not callable(obj):  # an untyped caller's mistake
            msg = f"function_tool takes a class or a function, not {obj!r}"  # type: ignore[unreachable]
            raise TypeError(msg)
        doc = inspect.getdoc(obj) or ""
        cls = _arguments_class(obj, _documented_args(doc))
        if description is None:
            description = _summary(doc)
    else:
        cls = typing.cast("type[Any]", obj)
        if description is None:
            description = class_description(cls)
    tool_name = name or schema_name(cls)
    parameters = strict_schema(cls)
    # The tool's description says it; the parameters' object need not repeat it.
    if parameters.get("description") == description:
        del parameters["description"]
    function: dict[str, Any] = {"name": tool_name, "parameters": parameters, "strict": True}
    if description:
        function["description"] = description
    return FunctionTool(
        name=tool_name,
        description=description or None,
        arguments_type=cls,
        keywords=keywords,
        param=_param(function, "chat"),
    )


def _summary(doc: str) -> str | None:
    """A docstring's first paragraph, on one line."""
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines()) or None


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params):\s*$")
_ENTRY = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _documented_args(doc: str) -> dict[str, str]:
    """The parameter descriptions of a Google-style docstring's ``Args:`` section."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if _SECTION.match(line.strip())), None)
    if start is None:
        return {}
    found: dict[str, list[str]] = {}
    indent: int | None = None
    current: list[str] | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break  # the next section ("Returns:") or prose
        if indent is None:
            indent = depth
        entry = _ENTRY.match(line.strip()) if depth <= indent else None
        if entry is not None:
            current = found.setdefault(entry.group(1).lstrip("*"), [])
            if entry.group(2):
                current.append(entry.group(2).strip())
        elif current is not None and depth > indent:
            current.append(line.strip())
    return {name: " ".join(text) for name, text in found.items() if text}


def _arguments_class(fn: Callable[..., Any], described: Mapping[str, str]) -> type[Any]:
    """An attrs class whose fields are *fn*'s parameters, described by *described*."""
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
        description = described.get(parameter.name)
        fields[parameter.name] = attrs.field(
            type=hints[parameter.name],
            default=default,
            metadata={"description": description} if description else {},
        )
    return attrs.make_class(getattr(fn, "__name__", "function"), fields, kw_only=True)
