"""The one cattrs converter: JSON data to generated attrs models and back.

`make_converter` builds it, once, on first use; everything it does is
configured there, as hooks of one `cattrs.Converter`:

- **Models** get a structure function generated from their fields (like
  cattrs' ``make_dict_structure_fn``: source code compiled once per class, no
  reflection per call, no detailed validation on the fast path). It checks
  primitive fields inline, writes the slots directly, and keeps unknown keys in
  ``model_extra``. JSON names that are not Python names (``self-harm``,
  ``from``) come from the field's ``json`` metadata. cattrs' own function is
  not used because of two deliberate differences: it is ~2x faster here, and
  a field that is **missing or null decodes as None** even when the spec says
  it is required, because the spec's own examples leave such fields out
  (``OpenAIFile.status``, ``OutputTextContent.logprobs``, ...).
- **Primitives are strict**: a JSON number is not a ``str`` and a string is not
  an ``int`` (cattrs' default would coerce with ``str(x)``); an ``int`` is a
  valid ``float``.
- **``Literal`` fields accept any string**: a new enum value from the server
  must not break decoding, but a value of the wrong JSON type still does.
- **Unions** dispatch on the JSON type of the value (``str | list[X]``,
  ``int | str``, ...). Objects in a union of several models are told apart by a
  discriminator found from the models' ``Literal`` fields (the spec's ``type``,
  ``object``, ``role``, ...); an unknown discriminator value becomes an
  `UnknownObject`. Models without a usable discriminator are tried in order of
  best fit (required keys present, fewest unknown keys).
- **Unstructuring** (request bodies) leaves out fields that are ``None``
  (except required nullable ones, sent as ``null``), restores the JSON names,
  merges ``model_extra`` back, and walks plain dicts and lists so that models
  nested in user data are converted too.

When structuring fails, `structure` walks the data again with the same hooks
to find the innermost failing value and raises `ValidationError` naming its
JSON path (``$.choices[0].index: expected int, got 'x'``). That walk runs only
on failure, so the fast path pays nothing for it.
"""

from __future__ import annotations

import collections.abc
import functools
import linecache
import types
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs

from ._models import BaseModel, UnknownObject

__all__ = ["ValidationError", "make_converter", "structure", "unstructure"]

_Hook = Callable[[Any, Any], Any]
_NoneType = type(None)
_DISCRIMINATOR_PREFERENCE = ("type", "object", "role", "event")


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


def _model_fields(cl: type) -> list[attrs.Attribute[Any]]:
    attrs.resolve_types(cl)
    return [f for f in attrs.fields(cl) if f.name != "model_extra" and f.init]


# -- primitives and containers ---------------------------------------------------------


def _structure_str(value: Any, _: Any) -> Any:
    if value.__class__ is str:
        return value
    raise _MismatchError("str", value)


def _structure_int(value: Any, _: Any) -> Any:
    if value.__class__ is int:
        return value
    raise _MismatchError("int", value)


def _structure_float(value: Any, _: Any) -> Any:
    cls = value.__class__
    if cls is float:
        return value
    if cls is int:
        return float(value)
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


# -- models -----------------------------------------------------------------------------

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


# -- unions --------------------------------------------------------------------------------


@attrs.frozen
class _ModelInfo:
    cls: type
    hook: _Hook
    required: frozenset[str]
    fields: frozenset[str]
    tags: dict[str, tuple[object, ...]]  # JSON name -> values of its Literal annotation
    optional_tags: frozenset[str]  # tag fields that may be absent

    @classmethod
    def of(cls, converter: cattrs.Converter, model: type) -> _ModelInfo:
        required, names, optional = set(), set(), set()
        tags: dict[str, tuple[object, ...]] = {}
        for field in _model_fields(model):
            key = _json_name(field)
            names.add(key)
            is_required = field.default is attrs.NOTHING
            if is_required:
                required.add(key)
            tp = _without_none(field.type)
            if _is_literal(tp):
                tags[key] = get_args(tp)
                if not is_required:
                    optional.add(key)
        return cls(
            model,
            converter.get_structure_hook(model),
            frozenset(required),
            frozenset(names),
            tags,
            frozenset(optional),
        )


def _pick_discriminator(models: list[_ModelInfo]) -> str | None:
    """The field that tells the models apart best.

    Ranked by: how many models it identifies alone (a value no other model has),
    then on how many models it is, then the usual names (``type``, ``object``, ...),
    then how many values it has. So ``type`` wins over ``size`` for image stream
    events, whose ``size`` values every event shares.
    """
    counts: dict[str, int] = {}
    for info in models:
        for key in info.tags:
            counts[key] = counts.get(key, 0) + 1
    best: tuple[int, int, int, int] | None = None
    best_key = None
    for key, count in counts.items():
        if count < 2:
            continue
        owners: dict[object, int] = {}
        for info in models:
            for v in set(info.tags.get(key, ())):
                owners[v] = owners.get(v, 0) + 1
        unique = sum(1 for info in models if any(owners[v] == 1 for v in info.tags.get(key, ())))
        preference = (
            -_DISCRIMINATOR_PREFERENCE.index(key) if key in _DISCRIMINATOR_PREFERENCE else -99
        )
        rank = (unique, count, preference, len(owners))
        if best is None or rank > best:
            best, best_key = rank, key
    return best_key


def _try_each(value: Any, options: list[tuple[Any, _Hook]]) -> tuple[bool, Any]:
    """(True, result) of the first option that structures *value*, else (False, first error)."""
    error: Exception | None = None
    for tp, hook in options:
        try:
            return True, hook(value, tp)
        except Exception as exc:  # noqa: BLE001, PERF203 - a member that does not fit: try the next
            error = error or exc
    return False, error


class _ObjectDispatch:
    """Structures a JSON object into one of several models (see the module docstring)."""

    def __init__(
        self, models: list[_ModelInfo], maps: list[tuple[Any, _Hook]], open_ended: bool
    ) -> None:
        self.models = models
        self.maps = maps
        self.open_ended = open_ended
        self.key = _pick_discriminator(models) if len(models) > 1 else None
        self.by_tag: dict[object, list[_ModelInfo]] = {}
        self.untagged: list[_ModelInfo] = []
        if self.key is not None:
            for info in models:
                values = info.tags.get(self.key, ())
                if not values or self.key in info.optional_tags:
                    self.untagged.append(info)
                for v in values:
                    self.by_tag.setdefault(v, []).append(info)
        self.direct = {tag: infos[0] for tag, infos in self.by_tag.items() if len(infos) == 1}

    def select(self, value: dict[str, Any]) -> list[_ModelInfo]:
        """The models that may fit *value*, best fit first."""
        if self.key is None:
            candidates = self.models
        else:
            tag = value.get(self.key)
            candidates = self.untagged if tag is None else self.by_tag.get(tag, [])
        if len(candidates) < 2:
            return candidates
        # Several models share the tag: prefer those whose other Literal fields match too
        # (an input and an output `message` differ by `role`).
        matching = [
            c
            for c in candidates
            if all(value[k] in values for k, values in c.tags.items() if k in value)
        ]
        keys = value.keys()
        return sorted(
            matching or candidates, key=lambda c: (len(c.required - keys), len(keys - c.fields))
        )

    def __call__(self, value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise _MismatchError("object", value)
        if self.key is not None:
            info = self.direct.get(value.get(self.key))
            if info is not None:
                return info.hook(value, info.cls)
        candidates = self.select(value)
        if len(candidates) == 1 and not self.maps:
            return candidates[0].hook(value, candidates[0].cls)
        keys = value.keys()
        fitting = [(c.cls, c.hook) for c in candidates if c.required <= keys]
        ok, result = _try_each(value, [*fitting, *self.maps])
        if ok:
            return result
        if self.open_ended:
            return value
        return _structure_unknown(value, None)


_MEMBER_KINDS: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("model", _is_model),
    ("map", _is_dict),
    ("list", _is_list),
)


class _TypeDispatch:
    """Structures a union by the JSON type of the value."""

    def __init__(self, converter: cattrs.Converter, tp: Any) -> None:
        self.tp = tp
        self.options: dict[type, list[Any]] = {}  # JSON Python type -> members accepting it
        self.open_ended = False
        models: list[_ModelInfo] = []
        maps: list[tuple[Any, _Hook]] = []
        lists: list[tuple[Any, _Hook]] = []
        unknown_fallback = False
        for member in get_args(tp):
            kind = self._classify(member)
            if kind == "open":
                self.open_ended = True
            elif kind == "unknown":
                unknown_fallback = True
            elif kind == "model":
                models.append(_ModelInfo.of(converter, member))
            elif kind == "map":
                maps.append((member, converter.get_structure_hook(member)))
            elif kind == "list":
                lists.append((member, converter.get_structure_hook(member)))
        if float in self.options and int not in self.options:
            self.options[int] = self.options[float]
        self.table: dict[type, Callable[[Any], Any]] = {
            kind: _bind(converter.get_structure_hook(members[0]), members[0])
            for kind, members in self.options.items()
        }
        self.objects: _ObjectDispatch | None = None
        if models or unknown_fallback:
            self.objects = _ObjectDispatch(models, maps, self.open_ended)
            self.table[dict] = _bind(self.objects, None)
        elif maps:
            self.table[dict] = _first_fit(maps)
        if lists:
            self.table[list] = _first_fit(lists)

    def _classify(self, member: Any) -> str:
        """What kind of member this is; scalar members are recorded in `options` here."""
        if member is Any or member is object:
            return "open"
        if member is UnknownObject:
            return "unknown"
        kind = next((k for k, test in _MEMBER_KINDS if test(member)), None)
        if kind is not None:
            return kind
        if _is_literal(member) or member in (str, int, float, bool, _NoneType):
            values = get_args(member) if _is_literal(member) else ()
            for scalar in {type(v) for v in values} or {member}:
                self.options.setdefault(scalar, []).append(member)
            return "scalar"
        return "open"

    def __call__(self, value: Any, _: Any) -> Any:
        handler = self.table.get(value.__class__)
        if handler is not None:
            return handler(value)
        if self.open_ended:
            return value
        raise _MismatchError(_type_name(self.tp), value)


def _union_hook(converter: cattrs.Converter) -> Callable[[Any], _Hook]:
    def factory(tp: Any) -> _Hook:
        members = [a for a in get_args(tp) if a is not _NoneType]
        if len(members) == 1:
            inner = members[0]
            handler = converter.get_structure_hook(inner)

            def structure_optional(value: Any, _: Any) -> Any:
                if value is None:
                    return None
                return handler(value, inner)

            return structure_optional
        return _TypeDispatch(converter, tp)

    return factory


def _bind(hook: _Hook, tp: Any) -> Callable[[Any], Any]:
    def bound(value: Any) -> Any:
        return hook(value, tp)

    return bound


def _first_fit(options: list[tuple[Any, _Hook]]) -> Callable[[Any], Any]:
    if len(options) == 1:
        return _bind(options[0][1], options[0][0])

    def first_fit(value: Any) -> Any:
        ok, result = _try_each(value, options)
        if ok:
            return result
        raise result

    return first_fit


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


# -- unstructuring ---------------------------------------------------------------------------


_SCALARS = frozenset({str, int, float, bool})


def _unstructure_model_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    """Per model: JSON names, ``None`` left out (unless required and nullable), extras merged."""

    def factory(cl: Any) -> Callable[[Any], Any]:
        if cl is UnknownObject:
            return _unstructure_unknown
        plan = [
            (
                f.name,
                _json_name(f),
                f.default is attrs.NOTHING and _NoneType in get_args(f.type),
            )
            for f in _model_fields(cl)
        ]
        unstructure_any = converter.unstructure

        def unstructure_model(obj: Any) -> Any:
            data: dict[str, Any] = {}
            for name, key, keep_none in plan:
                value = getattr(obj, name)
                if value is None:
                    if keep_none:
                        data[key] = None
                elif value.__class__ in _SCALARS:
                    data[key] = value
                else:
                    data[key] = unstructure_any(value)
            for key, value in obj.model_extra.items():
                data.setdefault(key, unstructure_any(value))
            return data

        return unstructure_model

    return factory


def _unstructure_unknown(obj: Any) -> Any:
    return dict(obj.data)


# -- the converter ---------------------------------------------------------------------------


@functools.cache
def make_converter() -> cattrs.Converter:
    """Build the converter (once; later calls return the same one)."""
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook_func(lambda t: t is _NoneType, _structure_none)
    converter.register_structure_hook_func(lambda t: t is Any or t is object, _structure_any)
    converter.register_structure_hook_factory(_is_literal, _literal_hook)
    converter.register_structure_hook_factory(_is_list, _list_hook(converter))
    converter.register_structure_hook_factory(_is_dict, _dict_hook(converter))
    converter.register_structure_hook_factory(_is_union, _union_hook(converter))
    converter.register_structure_hook_factory(_is_model, _model_hook(converter))
    converter.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, BaseModel),
        _unstructure_model_hook(converter),
    )
    return converter


def structure(data: object, tp: Any) -> Any:
    """Decode JSON *data* (as from ``json.loads``) into *tp*.

    Raises:
        ValidationError: The data does not fit *tp*; names the failing JSON path.
    """
    converter = make_converter()
    try:
        return converter.get_structure_hook(tp)(data, tp)
    except Exception as exc:
        path, message = _locate(converter, data, tp, "$")
        raise ValidationError(path, message) from exc


def unstructure(obj: object) -> object:
    """Encode *obj* (models, possibly inside plain dicts and lists) as JSON-ready data."""
    return make_converter().unstructure(obj)


# -- error location (slow path) ---------------------------------------------------------------


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
