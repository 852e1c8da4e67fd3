"""A structured call's arguments, put in the API's shape (``parse`` and ``stream`` share it).

- chat: a type as ``response_format`` becomes its strict schema (``_parsing.py``);
- responses: ``text_format`` becomes ``text.format``;
- both: `FunctionTool` items of ``tools`` take the API's shape (``_tools.py``), and the
  tools are returned by name, to parse their calls' arguments.
"""

from __future__ import annotations

import typing
from typing import Any

from .._models import BaseModel
from .._types import NotGiven
from ._parsing import chat_response_format, responses_text_format
from ._tools import FunctionTool, tools_for

__all__ = ["chat_arguments", "responses_arguments"]


def chat_arguments(
    kwargs: dict[str, Any], *, required: bool = False
) -> tuple[type[Any] | None, dict[str, FunctionTool]]:
    """Put a chat call's ``response_format`` type and `FunctionTool` tools in the API's shape.

    *kwargs* is changed in place: a type as ``response_format`` becomes its strict
    schema (named by ``schema_name``, popped), `FunctionTool` items of ``tools``
    take chat's nested shape.

    Args:
        kwargs: The call's keyword arguments.
        required: Whether ``response_format`` must be a type (``parse``).

    Returns:
        The type (``None`` if ``response_format`` is not one), and the tools by name.

    Raises:
        TypeError: The type has no strict JSON Schema (or there is none, if *required*).
    """
    cls: type[Any] | None = None
    response_format = kwargs.get("response_format")
    if isinstance(response_format, type) or required:
        cls = response_format
        kwargs["response_format"] = chat_response_format(
            typing.cast("type[Any]", response_format), kwargs.pop("schema_name", None)
        )
    return cls, _convert_tools("chat", kwargs)


def responses_arguments(kwargs: dict[str, Any]) -> tuple[type[Any] | None, dict[str, FunctionTool]]:
    """Put a Responses call's ``text_format`` type and `FunctionTool` tools in the API's shape.

    *kwargs* is changed in place: ``text_format`` (popped) becomes ``text.format``
    (other keys of ``text``, a mapping or a model, are kept), named by ``schema_name`` (popped);
    `FunctionTool` items of ``tools`` take the flat shape.

    Returns:
        The type (``None`` without ``text_format``), and the tools by name.

    Raises:
        TypeError: The type has no strict JSON Schema.
    """
    cls: type[Any] | None = kwargs.pop("text_format", None)
    name = kwargs.pop("schema_name", None)
    if cls is not None:
        given: Any = kwargs.pop("text", None) or {}
        text = dict(given.to_dict() if isinstance(given, BaseModel) else given)
        text["format"] = responses_text_format(cls, name)
        kwargs["text"] = text
    return cls, _convert_tools("responses", kwargs)


def _convert_tools(api: Any, kwargs: dict[str, Any]) -> dict[str, FunctionTool]:
    tools = kwargs.get("tools")
    if tools is None or isinstance(tools, NotGiven):
        return {}
    kwargs["tools"], by_name = tools_for(api, tools)
    return by_name
