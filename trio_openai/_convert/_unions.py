"""Structuring unions: by the JSON type of the value, then objects by discriminator.

`_TypeDispatch` picks the members that accept the value's JSON type (``str |
list[X]``, ``int | str``, ...). `_ObjectDispatch` tells objects in a union of
several models apart by a discriminator found from the models' ``Literal``
fields (`_pick_discriminator`); an unknown discriminator value becomes an
`UnknownObject`, and models without a usable discriminator are tried in order
of best fit (`_first_fit`, `_try_each`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import attrs
import cattrs

from .._models import UnknownObject
from ._models import _structure_unknown
from ._types import (
    _Hook,
    _is_dict,
    _is_list,
    _is_literal,
    _is_model,
    _json_name,
    _MismatchError,
    _model_fields,
    _NoneType,
    _type_name,
    _without_none,
)

_DISCRIMINATOR_PREFERENCE = ("type", "object", "role", "event")


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
            try:
                candidates = self.untagged if tag is None else self.by_tag.get(tag, [])
            except TypeError:  # an array or object as the tag: no model has it
                candidates = []
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
            try:
                info = self.direct.get(value.get(self.key))
            except TypeError:  # an unhashable tag (array, object): `select` finds no model
                info = None
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
