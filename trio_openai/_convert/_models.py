"""Structure functions of models, generated once per class, and of `UnknownObject`.

The design (why not cattrs' ``make_dict_structure_fn``, missing or null fields
decoding as None) is in the overview of `_converter.py`. A generated function
reads every field into a local first and makes the instance last, so a decode
that fails leaves no half-built model behind; on the way it notes the None
fields whose presence ``to_dict`` could not guess (`_null_lines`) and counts
the declared keys present, so that ``model_extra`` is gathered only when the
object has keys beyond them. The code of nested models and of the items of
``list[Model]`` fields goes into the parent's function (`_Generator`): a stream
chunk (chunk, choice, delta) is one function call, not five. The instance is
filled as a twin of its class and then made one (`_twin`).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any, get_args

import attrs
import cattrs

from .._models import BaseModel, UnknownObject
from ._types import (
    _Hook,
    _is_list,
    _is_model,
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


def _twin(cl: type) -> type | None:
    """A mutable class with *cl*'s memory layout, to build *cl*'s instances fast; or None.

    Writing a slot of a frozen class means calling its descriptor's ``__set__``
    (about 55 ns a field here, a call through a method wrapper), where a plain
    attribute store on a class without a ``__setattr__`` of its own is one
    specialised bytecode (about 12 ns). So an instance is made as a twin (same
    bases, same ``__slots__``, ``object.__setattr__``), filled by attribute
    stores, and then given its real class (``obj.__class__ = cl``, which Python
    allows between classes of one layout, and checks): structuring a chat chunk
    (three models, 25 slots) takes 1.9 µs instead of 2.9. The object is a *cl*
    from then on, as one made by ``__init__`` (`tests/convert/test_twin.py`);
    the twin is never seen outside the structure function, which fills and
    converts the instance only once every field has decoded, where nothing can
    fail. (It is listed in its bases' ``__subclasses__()``, as any subclass.)

    None when the layout cannot be shared (an instance ``__dict__``, a
    ``__weakref__`` slot added by *cl* itself, a ``__new__`` of its own): the
    trial assignment here refuses such a class, and the caller builds through
    ``__init__``.
    """
    new: object = cl.__new__
    if new is not object.__new__ or "__slots__" not in cl.__dict__:
        return None
    namespace = {
        "__slots__": cl.__dict__["__slots__"],
        # Both: with either inherited (attrs' frozen ones), stores go through Python.
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__init__": object.__init__,
        "__module__": cl.__module__,
        "__qualname__": f"{cl.__qualname__}.<building>",
    }
    try:
        twin = type(cl.__name__, cl.__bases__, namespace)
        twin().__class__ = cl
    except TypeError:
        return None
    return twin


_INLINE_DEPTH = 3
"""Levels of nested models whose code goes into the parent's function (chunk, choice, delta)."""
_INLINE_FIELDS = 64
"""Fields per generated function at most, inlined ones included (bounds the code's size)."""


def _null_lines(field: attrs.Attribute[Any], o: str, p: str) -> list[str]:
    """Code that records a None field whose presence deviates from the unstructure rule.

    The rule (`_convert_unstructure`) writes ``null`` only for required nullable
    fields: such a field the server left out, or another field it sent as
    ``null``, goes into the model's presence record (`BaseModel._null_flips`).
    A field left out also lowers ``n``, the count of declared keys present
    (``len(o) == n``: no unknown keys, no ``model_extra`` to gather).
    """
    key = _json_name(field)
    if _writes_null(field):
        return [f"if {key!r} not in {o}:", f"    {p}flips += ({key!r},)", f"    {p}n -= 1"]
    return [f"if {key!r} in {o}:", f"    {p}flips += ({key!r},)", "else:", f"    {p}n -= 1"]


def _model_hook(converter: cattrs.Converter) -> Callable[[Any], _Hook]:
    """Generate (once per class) the structure function of a model (`_Generator`)."""
    return _Generator(converter).factory


class _Generator:
    """The structure functions of one converter's models, generated once per class.

    A recursive model asks for its own hook while it is being built: it gets a stub
    that calls the finished hook (cattrs may cache the stub; it still works).

    The code of a nested model, and of the items of a ``list[Model]`` field, is
    written into the parent's function (up to `_INLINE_DEPTH` levels and
    `_INLINE_FIELDS` fields) instead of calling the model's own function (and
    the list's, a comprehension and one call per item): the same checks, the
    same instance, fewer calls. Only a model whose hook the converter gives is
    the one generated here is inlined, so the result is exactly the call's.
    """

    def __init__(self, converter: cattrs.Converter) -> None:
        self.converter = converter
        self.built: dict[type, _Hook] = {}
        self.building: set[type] = set()
        self.twins: dict[type, type | None] = {}

    def factory(self, cl: Any) -> _Hook:
        if cl is UnknownObject:
            return _structure_unknown
        built = self.built
        if cl in built:
            return built[cl]
        if cl in self.building:

            def structure_recursive(value: Any, tp: Any) -> Any:
                return built[cl](value, tp)

            return structure_recursive
        self.building.add(cl)
        try:
            built[cl] = hook = self.generate(cl)
        finally:
            self.building.discard(cl)
        return hook

    def twin(self, cl: Any) -> type | None:
        """The twin that builds *cl* (`_twin`), or None to go through ``__init__``."""
        if cl not in self.twins:
            # Filling the slots skips __init__: only for plain generated models.
            direct = not hasattr(cl, "__attrs_post_init__") and all(
                f.validator is None and f.converter is None for f in attrs.fields(cl)
            )
            self.twins[cl] = _twin(cl) if direct and issubclass(cl, BaseModel) else None
        return self.twins[cl]

    def inlined(self, tp: Any, depth: int, budget: list[int]) -> Any:
        """*tp* when its structure can be written into the parent's function, else None."""
        if depth >= _INLINE_DEPTH or not _is_model(tp) or tp is UnknownObject:
            return None
        if self.built.get(tp) is not self.converter.get_structure_hook(tp):  # building, not ours
            return None
        if self.twin(tp) is None or len(_model_fields(tp)) > budget[0]:
            return None
        return tp

    def field_lines(
        self, tp: Any, v: str, ns: dict[str, Any], depth: int, budget: list[int]
    ) -> list[str]:
        """Code that checks or converts the local *v*, known not to be None."""
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
        hook = self.converter.get_structure_hook(tp)  # builds nested models' functions first
        model = self.inlined(tp, depth + 1, budget)
        if model is not None:
            return self.body(model, v, v, f"{v}_", ns, depth + 1, budget)
        args = get_args(tp)
        item = self.inlined(args[0], depth + 1, budget) if _is_list(tp) and args else None
        if item is not None:
            item_lines = self.body(item, f"{v}_o", f"{v}_i", f"{v}_", ns, depth + 1, budget)
            return [
                f"if {v}.__class__ is not list:",
                f"    raise _Mismatch('array', {v})",
                f"{v}_l = []",
                f"for {v}_o in {v}:",
                *(f"    {line}" for line in item_lines),
                f"    {v}_l.append({v}_i)",
                f"{v} = {v}_l",
            ]
        ns[f"{v}_h"] = hook
        ns[f"{v}_t"] = tp
        return [f"{v} = {v}_h({v}, {v}_t)"]

    def body(
        self, cl: Any, o: str, dst: str, p: str, ns: dict[str, Any], depth: int, budget: list[int]
    ) -> list[str]:
        """Code that structures the local *o* into an instance of *cl* in the local *dst*.

        Its locals and names in *ns* start with *p* (the field's local: ``f1_``).
        """
        fields = _model_fields(cl)
        budget[0] -= len(fields)
        known = frozenset(_json_name(f) for f in fields)
        ns[f"{p}cl"], ns[f"{p}known"] = cl, known
        lines = [
            f"if {o}.__class__ is not dict:",
            f"    raise _Mismatch('object', {o})",
            f"{p}get = {o}.get",
            f"{p}flips = ()",
            f"{p}n = {len(fields)}",
        ]
        for i, field in enumerate(fields):
            v = f"{p}f{i}"
            lines += [f"{v} = {p}get({_json_name(field)!r})", f"if {v} is None:"]
            lines += [f"    {line}" for line in _null_lines(field, o, p)]
            checks = self.field_lines(_without_none(field.type), v, ns, depth, budget)
            if checks:
                lines += ["else:", *(f"    {line}" for line in checks)]
        # No unknown keys when as many keys as declared ones are present (`_null_lines`).
        plain = f"len({o}) == {p}n" if len(known) == len(fields) else f"{o}.keys() <= {p}known"
        extra = f"{{k: x for k, x in {o}.items() if k not in {p}known}}"
        lines.append(f"{p}extra = {{}} if {plain} else {extra}")
        # The instance is made only now, when nothing can fail any more: a frame of a
        # failed decode never holds a half-built model (its repr would raise, and a
        # traceback formatted with its locals would crash on it).
        twin = self.twin(cl)
        if twin is None:
            ns["_set"] = object.__setattr__
            kwargs = ", ".join(f"{f.alias}={p}f{i}" for i, f in enumerate(fields))
            lines += [
                f"{dst} = {p}cl({kwargs})",
                f"if {p}extra:",
                f"    _set({dst}, 'model_extra', {p}extra)",
            ]
            if issubclass(cl, BaseModel):  # a plain attrs class has no presence record
                lines += [f"if {p}flips:", f"    _set({dst}, '_null_flips', {p}flips)"]
            return lines
        ns[f"{p}twin"] = twin
        lines += [
            f"{dst} = {p}twin()",
            f"{dst}.model_extra = {p}extra",
            f"{dst}._null_flips = {p}flips",
            *(f"{dst}.{f.name} = {p}f{i}" for i, f in enumerate(fields)),
            f"{dst}.__class__ = {p}cl",
        ]
        return lines

    def generate(self, cl: Any) -> _Hook:
        ns: dict[str, Any] = {"_Mismatch": _MismatchError}
        lines = self.body(cl, "o", "inst", "", ns, 0, [_INLINE_FIELDS])
        source = "\n".join(
            ["def structure(o, _=None):", *(f"    {line}" for line in lines), "    return inst", ""]
        )
        filename = f"<trio_openai structure {cl.__module__}.{cl.__qualname__}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), ns)  # noqa: S102 - built from the class's fields
        hook: _Hook = ns["structure"]
        return hook


def _structure_unknown(value: Any, _: Any) -> Any:
    if value.__class__ is not dict:
        raise _MismatchError("object", value)
    return UnknownObject.from_data(value)
