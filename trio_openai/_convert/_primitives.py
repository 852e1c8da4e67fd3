"""Structure hooks of primitives, ``Literal`` types, lists and dicts.

Primitives are strict: a JSON number is not a ``str`` and a string is not an
``int``; an ``int`` is a valid ``float`` (and stays the ``int`` it is). A
``Literal`` of strings accepts any string (a newer server may send a value the
spec lacks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import cattrs

from ._types import _Hook, _is_str_literal, _MismatchError


def _structure_str(value: Any, _: Any) -> Any:
    if value.__class__ is str:
        return value
    raise _MismatchError("str", value)


def _structure_int(value: Any, _: Any) -> Any:
    if value.__class__ is int:
        return value
    raise _MismatchError("int", value)


def _structure_float(value: Any, _: Any) -> Any:
    # An int stays an int (a valid float for type checkers): `to_dict` gives back
    # ``1``, not ``1.0``, and an int beyond 2**53 keeps its digits.
    cls = value.__class__
    if cls is float or cls is int:
        return value
    raise _MismatchError("number", value)


def _structure_bool(value: Any, _: Any) -> Any:
    if value.__class__ is bool:
        return value
    raise _MismatchError("bool", value)


def _structure_none(value: Any, _: Any) -> Any:
    if value is None:
        return None
    raise _MismatchError("null", value)


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _literal_hook(tp: Any) -> _Hook:
    if _is_str_literal(tp):
        return _structure_str  # any string: a newer server may send a value the spec lacks
    allowed = tuple({type(v) for v in get_args(tp)})
    expected = " | ".join(sorted(k.__name__ for k in allowed))

    def structure_literal(value: Any, _: Any) -> Any:
        if value.__class__ in allowed:
            return value
        raise _MismatchError(expected, value)

    return structure_literal


def _list_hook(converter: cattrs.Converter) -> Callable[[Any], _Hook]:
    def factory(tp: Any) -> _Hook:
        item = (get_args(tp) or (Any,))[0]
        handler = converter.get_structure_hook(item)

        def structure_list(value: Any, _: Any) -> Any:
            if value.__class__ is not list:
                raise _MismatchError("array", value)
            return [handler(v, item) for v in value]

        return structure_list

    return factory


def _dict_hook(converter: cattrs.Converter) -> Callable[[Any], _Hook]:
    def factory(tp: Any) -> _Hook:
        args = get_args(tp)
        item = args[1] if len(args) == 2 else Any
        if item is Any or item is object:
            return _structure_plain_dict
        handler = converter.get_structure_hook(item)

        def structure_dict(value: Any, _: Any) -> Any:
            if value.__class__ is not dict:
                raise _MismatchError("object", value)
            return {k: handler(v, item) for k, v in value.items()}

        return structure_dict

    return factory


def _structure_plain_dict(value: Any, _: Any) -> Any:
    if value.__class__ is not dict:
        raise _MismatchError("object", value)
    return value
