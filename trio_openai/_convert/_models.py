"""Structure functions of models, generated once per class, and of `UnknownObject`.

The design (why not cattrs' ``make_dict_structure_fn``, missing or null fields
decoding as None) is in the overview of `_converter.py`. A generated function
reads every field into a local first and makes the instance last, so a decode
that fails leaves no half-built model behind; on the way it notes the None
fields whose presence ``to_dict`` could not guess (`_null_lines`).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from .._models import BaseModel, UnknownObject
from ._types import (
    _Hook,
    _is_str_literal,
    _json_name,
    _MismatchError,
    _model_fields,
    _without_none,
    _writes_null,
)

# Inline checks of the model structure function, per field type: (condition, expected);
# ``{v}`` is the field's value, known not to be None.
_INLINE_CHECKS = {
    str: ("{v}.__class__ is not str", "str"),
    int: ("{v}.__class__ is not int", "int"),
    bool: ("{v}.__class__ is not bool", "bool"),
}


def _slot_setter(cl: type, name: str) -> Callable[[Any, Any], None] | None:
    """The slot's descriptor ``__set__`` (bypasses the frozen class's ``__setattr__``)."""
    for klass in cl.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            setter: Callable[[Any, Any], None] | None = getattr(descriptor, "__set__", None)
            return setter
    return None


def _field_lines(i: int, tp: Any, converter: cattrs.Converter, ns: dict[str, Any]) -> list[str]:
    """Code that checks or converts ``f<i>``, the value of field *i*, known not to be None."""
    v = f"f{i}"
    check = _INLINE_CHECKS.get(tp) or (_INLINE_CHECKS[str] if _is_str_literal(tp) else None)
    if check is not None:
        return [f"if {check[0].format(v=v)}:", f"    raise _Mismatch({check[1]!r}, {v})"]
    if tp is float:
        return [
            f"if {v}.__class__ is not float and {v}.__class__ is not int:",
            f"    raise _Mismatch('number', {v})",
        ]
    if tp is Any or tp is object:
        return []
    ns[f"_h{i}"] = converter.get_structure_hook(tp)
    ns[f"_t{i}"] = tp
    return [f"{v} = _h{i}({v}, _t{i})"]


def _null_lines(field: attrs.Attribute[Any]) -> list[str]:
    """Code that records a None field whose presence deviates from the unstructure rule.

    The rule (`_convert_unstructure`) writes ``null`` only for required nullable
    fields: such a field the server left out, or another field it sent as
    ``null``, goes into the model's presence record (`BaseModel._null_flips`).
    """
    key = _json_name(field)
    test = "not in" if _writes_null(field) else "in"
    return [f"if {key!r} {test} o:", f"    flips += ({key!r},)"]


def _model_hook(converter: cattrs.Converter) -> Callable[[Any], _Hook]:
    """Generate (once per class) the structure function of a model.

    A recursive model asks for its own hook while it is being built: it gets a stub
    that calls the finished hook (cattrs may cache the stub; it still works).
    """
    built: dict[type, _Hook] = {}
    building: set[type] = set()

    def factory(cl: Any) -> _Hook:
        if cl is UnknownObject:
            return _structure_unknown
        if cl in built:
            return built[cl]
        if cl in building:

            def structure_recursive(value: Any, tp: Any) -> Any:
                return built[cl](value, tp)

            return structure_recursive
        building.add(cl)
        try:
            built[cl] = hook = generate(cl)
        finally:
            building.discard(cl)
        return hook

    def generate(cl: Any) -> _Hook:
        fields = _model_fields(cl)
        names = ("model_extra", "_null_flips", *(f.name for f in fields))
        setters = [_slot_setter(cl, n) for n in names]
        # Writing slots directly skips __init__: only for plain generated models.
        direct = (
            all(s is not None for s in setters)
            and not hasattr(cl, "__attrs_post_init__")
            and all(f.validator is None and f.converter is None for f in attrs.fields(cl))
        )
        ns: dict[str, Any] = {
            "_Mismatch": _MismatchError,
            "_cl": cl,
            "_new": object.__new__,
            "_known": frozenset(_json_name(f) for f in fields),
            "_set": object.__setattr__,
        }
        lines = [
            "def structure(o, _=None):",
            "    if o.__class__ is not dict:",
            "        raise _Mismatch('object', o)",
            "    get = o.get",
            "    flips = ()",
        ]
        for i, field in enumerate(fields):
            lines += [f"    f{i} = get({_json_name(field)!r})", f"    if f{i} is None:"]
            lines += [f"        {line}" for line in _null_lines(field)]
            checks = _field_lines(i, _without_none(field.type), converter, ns)
            if checks:
                lines += ["    else:", *(f"        {line}" for line in checks)]
        extra = "{k: x for k, x in o.items() if k not in _known}"
        lines.append(f"    extra = {{}} if o.keys() <= _known else {extra}")
        # The instance is made only now, when nothing can fail any more: a frame of a
        # failed decode never holds a half-built model (its repr would raise, and a
        # traceback formatted with its locals would crash on it).
        values = ["extra", "flips", *(f"f{i}" for i in range(len(fields)))]
        if direct:
            lines.append("    inst = _new(_cl)")
            for i, (setter, value) in enumerate(zip(setters, values, strict=True)):
                ns[f"_s{i}"] = setter
                lines.append(f"    _s{i}(inst, {value})")
        else:
            kwargs = ", ".join(f"{f.alias}=f{i}" for i, f in enumerate(fields))
            lines += [
                f"    inst = _cl({kwargs})",
                "    if extra:",
                "        _set(inst, 'model_extra', extra)",
            ]
            if issubclass(cl, BaseModel):  # a plain attrs class has no presence record
                lines += ["    if flips:", "        _set(inst, '_null_flips', flips)"]
        lines.append("    return inst")
        source = "\n".join(lines) + "\n"
        filename = f"<trio_openai structure {cl.__module__}.{cl.__qualname__}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), ns)  # noqa: S102 - built from the class's fields
        hook: _Hook = ns["structure"]
        return hook

    return factory


def _structure_unknown(value: Any, _: Any) -> Any:
    if value.__class__ is not dict:
        raise _MismatchError("object", value)
    return UnknownObject.from_data(value)
