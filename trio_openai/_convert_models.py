"""Structure functions of models, generated once per class, and of `UnknownObject`.

The design (why not cattrs' ``make_dict_structure_fn``, missing or null fields
decoding as None) is in the overview of `_converter.py`.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from ._convert_types import (
    _Hook,
    _is_str_literal,
    _json_name,
    _MismatchError,
    _model_fields,
    _without_none,
)
from ._models import UnknownObject

# Inline checks of the model structure function, per field type: (condition, expected).
_INLINE_CHECKS = {
    str: ("v is not None and v.__class__ is not str", "str"),
    int: ("v is not None and v.__class__ is not int", "int"),
    bool: ("v is not None and v.__class__ is not bool", "bool"),
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
    """Code that checks or converts ``v``, the value of field *i* (None passes)."""
    check = _INLINE_CHECKS.get(tp) or (_INLINE_CHECKS[str] if _is_str_literal(tp) else None)
    if check is not None:
        return [f"    if {check[0]}:", f"        raise _Mismatch({check[1]!r}, v)"]
    if tp is float:
        return [
            "    if v.__class__ is int:",
            "        v = float(v)",
            "    elif v is not None and v.__class__ is not float:",
            "        raise _Mismatch('number', v)",
        ]
    if tp is Any or tp is object:
        return []
    ns[f"_h{i}"] = converter.get_structure_hook(tp)
    ns[f"_t{i}"] = tp
    return ["    if v is not None:", f"        v = _h{i}(v, _t{i})"]


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
        setters = [_slot_setter(cl, n) for n in ("model_extra", *(f.name for f in fields))]
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
            "_set_extra": setters[0] if direct else object.__setattr__,
        }
        lines = [
            "def structure(o, _=None):",
            "    if o.__class__ is not dict:",
            "        raise _Mismatch('object', o)",
            "    get = o.get",
        ]
        if direct:
            lines.append("    inst = _new(_cl)")
        kwargs = []
        for i, field in enumerate(fields):
            lines.append(f"    v = get({_json_name(field)!r})")
            lines += _field_lines(i, _without_none(field.type), converter, ns)
            if direct:
                ns[f"_s{i}"] = setters[i + 1]
                lines.append(f"    _s{i}(inst, v)")
            else:
                lines.append(f"    f{i} = v")
                kwargs.append(f"{field.alias}=f{i}")
        extra = "{k: x for k, x in o.items() if k not in _known}"
        if direct:
            lines.append(f"    _set_extra(inst, {{}} if o.keys() <= _known else {extra})")
        else:
            lines += [
                f"    inst = _cl({', '.join(kwargs)})",
                "    if not o.keys() <= _known:",
                f"        _set_extra(inst, 'model_extra', {extra})",
            ]
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
    kind = value.get("type")
    return UnknownObject(
        type=kind if isinstance(kind, str) else None, data=value, model_extra=value
    )
