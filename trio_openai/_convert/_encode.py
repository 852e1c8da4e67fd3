"""Where a request body is encoded: call arguments into JSON bytes, bad values named.

`to_jsonable` turns arguments (plain data holding attrs models) into JSON data;
`encode_json` makes the bytes sent, strictly: no ``NaN``/``Infinity`` (invalid
JSON that servers reject or misread), no lone surrogates, nothing without a JSON
form. When encoding fails, a second walk over the arguments finds the first bad
value and the error names it by path (``messages[0].content``), so the cost is
paid only on the failure path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Final

from .._errors import InvalidArgumentError
from .._types import NotGiven

__all__ = ["encode_json", "to_jsonable"]

_MAX_DEPTH: Final = 256
"""Nesting deeper than this in arguments is refused by name (JSON bodies are shallow)."""


def to_jsonable(value: object) -> object:
    """Turn a request value (plain data, possibly holding attrs models) into JSON data."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if not isinstance(v, NotGiven)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    from ._converter import unstructure

    return unstructure(value)


def encode_json(value: object) -> bytes:
    """*value* (a body or form field) as compact UTF-8 JSON.

    Raises:
        InvalidArgumentError: A value has no JSON form (a set, an object), is a
            non-finite float, holds a lone surrogate, or nests too deeply; the
            message names its path.
    """
    try:
        text = json.dumps(
            to_jsonable(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode()
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        problem = _first_problem(value) or "cannot be encoded as JSON"
        raise InvalidArgumentError(problem) from None


def _first_problem(value: object) -> str | None:
    """The first value of *value* that JSON cannot carry, as a message naming its path."""
    # Iterative, so that a value nested deep enough to break json.dumps is found too.
    stack: list[tuple[str, object, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        where = f"`{_short(path)}`" if path else "the body"
        if depth > _MAX_DEPTH:
            return f"Cannot send {where}: nested more than {_MAX_DEPTH} levels deep"
        if item is None or isinstance(item, (bool, int, NotGiven)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return (
                    f"Cannot send {where}: it is {item!r}, and JSON has no NaN or "
                    "Infinity; pass a finite number or leave the argument out"
                )
            continue
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError as exc:
                return (
                    f"Cannot send {where}: it holds a lone surrogate "
                    f"(U+{ord(item[exc.start]):04X}) at position {exc.start + 1}, which is not "
                    "valid Unicode text (decode the source with errors='replace')"
                )
            continue
        children: list[tuple[str, object]]
        if isinstance(item, Mapping):
            children = [
                (f"{path}.{key}" if path else str(key), child) for key, child in item.items()
            ]
        elif isinstance(item, (list, tuple)):
            children = [(f"{path}[{index}]", child) for index, child in enumerate(item)]
        else:
            converted = _converted(item)
            if converted is None:
                return (
                    f"Cannot send {where}: a value of type {type(item).__name__} has no JSON form "
                    "(pass a str, number, bool, None, list, dict or a trio_openai type)"
                )
            children = [(path, converted)]
            depth -= 1  # the model and its data are one level
        stack.extend((child_path, child, depth + 1) for child_path, child in reversed(children))
    return None


def _short(path: str) -> str:
    return path if len(path) <= 120 else f"{path[:60]}...{path[-40:]}"


def _converted(item: object) -> object | None:
    """*item* as unstructured by the converter, or ``None`` if that gives nothing JSON-like."""
    from ._converter import unstructure

    try:
        data = unstructure(item)
    except Exception:  # noqa: BLE001 - any failure means: no JSON form
        return None
    if data is item or not isinstance(data, (Mapping, list, tuple, str, int, float)):
        return None
    return data
