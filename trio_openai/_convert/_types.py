"""What the converter's hooks share: type predicates, field helpers, error wording.

`_MismatchError` is the fast path's error: every structure hook raises it for a
value of the wrong JSON type, and `_convert_errors` turns it into a
`ValidationError` with the value's JSON path. `_type_name` and `_describe` word
those messages. The overview of the converter is in `_converter.py`.
"""

from __future__ import annotations

import collections.abc
import types
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import attrs

_Hook = Callable[[Any, Any], Any]
_NoneType = type(None)


class _MismatchError(TypeError):
    """A value of the wrong JSON type (fast path; `ValidationError` adds the path)."""

    def __init__(self, expected: str, value: object) -> None:
        super().__init__(f"expected {expected}, got {_describe(value)}")


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- type predicates ---------------------------------------------------------------


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _is_str_literal(tp: Any) -> bool:
    return _is_literal(tp) and all(isinstance(v, str) for v in get_args(tp))


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_list(tp: Any) -> bool:
    return tp is list or get_origin(tp) in (
        list,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
    )


def _is_dict(tp: Any) -> bool:
    return tp is dict or get_origin(tp) in (
        dict,
        collections.abc.Mapping,
        collections.abc.MutableMapping,
    )


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp)


def _without_none(tp: Any) -> Any:
    """``X`` for ``X | None``; other types unchanged."""
    if _is_union(tp):
        args = tuple(a for a in get_args(tp) if a is not _NoneType)
        if len(args) == 1:
            return args[0]
        if len(args) < len(get_args(tp)):
            return Union[args]  # noqa: UP007 - built from a runtime tuple
    return tp


def _json_name(field: attrs.Attribute[Any]) -> str:
    name: str = field.metadata.get("json", field.name)
    return name


def _writes_null(field: attrs.Attribute[Any]) -> bool:
    """Whether unstructuring writes ``null`` for *field* when it is None (required, nullable)."""
    return field.default is attrs.NOTHING and _NoneType in get_args(field.type)


def _model_fields(cl: type) -> list[attrs.Attribute[Any]]:
    attrs.resolve_types(cl)
    return [f for f in attrs.fields(cl) if f.name != "model_extra" and f.init]


# -- type names in error messages ----------------------------------------------------


_JSON_NAMES: dict[Any, str] = {_NoneType: "null", Any: "any", float: "number", object: "any"}


def _type_name(tp: Any) -> str:
    """How an error message names the JSON type(s) *tp* expects."""
    if tp in _JSON_NAMES:
        return _JSON_NAMES[tp]
    if _is_str_literal(tp):
        return "str"
    if _is_union(tp):
        return " | ".join(dict.fromkeys(_type_name(a) for a in get_args(tp)))
    if _is_list(tp):
        return "array"
    if _is_dict(tp) or _is_model(tp):
        return "object"
    return getattr(tp, "__name__", repr(tp))
