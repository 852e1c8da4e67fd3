"""`ValidationError`, and how `structure` finds the JSON path of a failure (slow path).

The hooks raise a bare `_MismatchError` (`_convert_types`); only when structuring
has failed does `_locate` walk the data again with the same hooks to find the
innermost failing value, so the fast path pays nothing for it.
"""

from __future__ import annotations

from typing import Any, get_args

import cattrs

from .._models import UnknownObject
from ._types import (
    _describe,
    _is_dict,
    _is_list,
    _is_model,
    _is_union,
    _json_name,
    _MismatchError,
    _model_fields,
    _NoneType,
    _type_name,
)
from ._unions import _TypeDispatch

__all__ = ["ValidationError"]


class ValidationError(ValueError):
    """Data from the server does not fit the expected type.

    Attributes:
        path: The JSON path of the innermost failing value (``$.choices[0].index``).
        message: What is wrong with it.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def _fails(converter: cattrs.Converter, value: Any, tp: Any) -> Exception | None:
    try:
        converter.get_structure_hook(tp)(value, tp)
    except Exception as exc:  # noqa: BLE001 - the caller reports it
        return exc
    return None


def _children(
    converter: cattrs.Converter, value: Any, tp: Any
) -> list[tuple[object, Any, Any]] | None:
    """(key, value, type) of the parts of *value* to look into, or None for a leaf."""
    if _is_model(tp) and tp is not UnknownObject and isinstance(value, dict):
        return [
            (_json_name(f), value.get(_json_name(f)), f.type)
            for f in _model_fields(tp)
            if value.get(_json_name(f)) is not None
        ]
    args = get_args(tp)
    if _is_list(tp) and isinstance(value, list):
        return [(i, v, args[0] if args else Any) for i, v in enumerate(value)]
    if _is_dict(tp) and isinstance(value, dict):
        return [(k, v, args[1] if len(args) == 2 else Any) for k, v in value.items()]
    return None


def _union_member(converter: cattrs.Converter, value: Any, tp: Any) -> Any | None:
    """The one member of union *tp* that *value* is decoded as, if there is exactly one."""
    members = [a for a in get_args(tp) if a is not _NoneType]
    hook = converter.get_structure_hook(tp)
    if not isinstance(hook, _TypeDispatch):
        return members[0] if len(members) == 1 else None
    if isinstance(value, dict) and hook.objects is not None:
        candidates = hook.objects.select(value)
        return candidates[0].cls if len(candidates) == 1 else None
    if isinstance(value, list):
        fitting = [m for m in members if _is_list(m)]
    else:
        fitting = hook.options.get(type(value), [])
    return fitting[0] if len(fitting) == 1 else None


def _locate(converter: cattrs.Converter, value: Any, tp: Any, path: str) -> tuple[str, str]:
    """The path and message of the innermost part of *value* that does not fit *tp*."""
    if _is_union(tp) and value is not None:
        member = _union_member(converter, value, tp)
        if member is not None:
            return _locate(converter, value, member, path)
    for key, item, item_tp in _children(converter, value, tp) or ():
        if _fails(converter, item, item_tp):
            return _locate(converter, item, item_tp, _child(path, key))
    error = _fails(converter, value, tp)
    if isinstance(error, _MismatchError):
        return path, str(error)
    detail = "" if error is None else f" ({type(error).__name__}: {error})"
    return path, f"expected {_type_name(tp)}, got {_describe(value)}{detail}"
