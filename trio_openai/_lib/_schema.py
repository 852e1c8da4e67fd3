"""Strict JSON Schemas from Python types, for structured outputs.

`strict_schema(T)` gives the schema that ``chat.completions.parse`` and
``responses.parse`` send with ``"strict": true``. *T* is a class with named fields:

- an attrs class (``@attrs.frozen`` ...): its fields, by name (not alias);
- a dataclass: its ``init`` fields;
- a ``TypedDict``: its keys (``NotRequired`` keys are required too: strict mode
  has no optional keys);
- a pydantic model (only when pydantic is installed; it is never imported
  unless *T* is one): its fields, by alias when one is set.

The API's strict-mode rules, and how each Python type maps:

==================================  =================================================
Python                              JSON Schema
==================================  =================================================
``str``, ``int``, ``float``,        ``{"type": "string" | "integer" | "number" |
``bool``                            "boolean"}``
``datetime``, ``date``, ``time``,   ``{"type": "string", "format": "date-time" |
``UUID``                            "date" | "time" | "uuid"}``
``Literal["a", "b"]``, an `Enum`    ``{"type": ..., "enum": [...]}`` (the values)
``X | None``, a ``None`` default    nullable: ``"type": [t, "null"]`` for a scalar,
                                    else ``anyOf`` with ``{"type": "null"}``
``X | Y``                           ``anyOf``
``list[X]``, ``tuple[X, ...]``,     ``{"type": "array", "items": X}``
``set[X]``, ``Sequence[X]``
a class                             ``{"$ref": "#/$defs/Name"}``, defined once in
                                    the root's ``$defs``; every object has
                                    ``additionalProperties: false`` and lists every
                                    property in ``required``
==================================  =================================================

Refused with a `TypeError` (naming the field): ``dict`` / ``Mapping`` (strict mode
demands ``additionalProperties: false``, so free-form keys cannot be described:
use a class, or a list of key/value objects), fixed-length tuples, ``Any`` and
``object`` (strict mode has no "anything"), and other types. ``Annotated[X, ...]``
is ``X``. A recursive class refers to itself by ``$ref`` (the root by ``"#"``).
Two different classes of the same ``__name__`` get ``Name``, ``Name_2``, ...

Descriptions (the model reads them; they cost prompt tokens):

- a class's own docstring is its object's ``description`` (``inspect.cleandoc``-ed;
  a dataclass's generated ``Name(field: type, ...)`` doc does not count);
- a field's description, in this order: ``Annotated[X, Doc("...")]``
  (``typing_extensions.Doc``) or ``Annotated[X, "..."]`` (a plain string), then
  ``attrs.field(metadata={"description": "..."})`` /
  ``dataclasses.field(metadata={"description": "..."})``, then pydantic's
  ``Field(description="...")``. A field whose type is a class is a bare ``$ref``
  (strict mode allows no keyword beside it), so that class's docstring describes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import sys
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import attrs
from typing_extensions import NotRequired, Required, is_typeddict

__all__ = [
    "Field",
    "class_description",
    "fields_of",
    "is_pydantic_model",
    "is_structured_class",
    "schema_name",
    "strict_schema",
]

JsonSchema = dict[str, Any]

_SCALARS: dict[type, JsonSchema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    dt.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}
_ARRAYS = (list, tuple, set, frozenset, Sequence, typing.Sequence)
_MAPPINGS = (dict, Mapping, typing.Mapping)


class Field(NamedTuple):
    """One field of a structured class: its JSON key, type, ``__init__`` name, description."""

    key: str
    type: Any
    init_name: str
    default_none: bool
    description: str | None = None


def is_pydantic_model(tp: object) -> bool:
    # Only a class whose module already imported pydantic can be a model: never import it.
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(tp, type):
        return False
    return issubclass(tp, pydantic.BaseModel)


def is_structured_class(tp: object) -> bool:
    """Whether *tp* is a class `strict_schema` describes by its fields."""
    return isinstance(tp, type) and (
        attrs.has(tp) or dataclasses.is_dataclass(tp) or is_typeddict(tp) or is_pydantic_model(tp)
    )


def fields_of(cls: type[Any]) -> list[Field]:
    """The fields of a structured class, in definition order.

    Raises:
        TypeError: *cls* is not an attrs class, dataclass, TypedDict or pydantic model.
    """
    if is_pydantic_model(cls):
        model_fields: dict[str, Any] = cls.model_fields
        return [
            Field(
                f.alias or name,
                f.annotation,
                f.alias or name,
                f.default is None,
                _annotated_doc(f.metadata) or f.description,
            )
            for name, f in model_fields.items()
        ]
    if is_typeddict(cls):
        hints = typing.get_type_hints(cls)
        extras = typing.get_type_hints(cls, include_extras=True)
        return [
            Field(name, tp, name, default_none=False, description=_type_doc(extras.get(name)))
            for name, tp in hints.items()
        ]
    hints = typing.get_type_hints(cls, include_extras=True)
    if attrs.has(cls):
        return [
            Field(
                a.name,
                hints.get(a.name, a.type),
                a.alias or a.name,
                a.default is None,
                _type_doc(hints.get(a.name)) or _metadata_doc(a.metadata),
            )
            for a in attrs.fields(cls)
            if a.init
        ]
    if dataclasses.is_dataclass(cls):
        return [
            Field(
                f.name,
                hints.get(f.name, f.type),
                f.name,
                f.default is None,
                _type_doc(hints.get(f.name)) or _metadata_doc(f.metadata),
            )
            for f in dataclasses.fields(cls)
            if f.init
        ]
    msg = (
        f"{cls!r} is not a class structured outputs can describe: use an attrs class, "
        "a dataclass, a TypedDict or a pydantic model"
    )
    raise TypeError(msg)


def class_description(cls: type[Any]) -> str | None:
    """*cls*'s own docstring, cleaned; ``None`` without one (or a dataclass's generated one)."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return None  # dataclasses write "Name(field: type, ...)" when there is no docstring
    return inspect.cleandoc(doc) or None


def _type_doc(tp: object) -> str | None:
    """The description in ``Annotated[X, Doc("...")]`` or ``Annotated[X, "..."]``, if any."""
    while get_origin(tp) in (Required, NotRequired):  # TypedDict keys
        tp = get_args(tp)[0]
    if get_origin(tp) is not typing.Annotated:
        return None
    return _annotated_doc(tp.__metadata__)  # type: ignore[attr-defined]


def _annotated_doc(metadata: Sequence[object]) -> str | None:
    for item in metadata:
        if isinstance(item, str):
            return item
        documentation = getattr(item, "documentation", None)
        if type(item).__name__ == "Doc" and isinstance(documentation, str):
            return documentation  # typing_extensions.Doc (PEP 727), by shape: no import
    return None


def _metadata_doc(metadata: Mapping[Any, Any]) -> str | None:
    description = metadata.get("description")
    return description if isinstance(description, str) else None


def schema_name(cls: type[Any]) -> str:
    """The ``name`` sent with the schema: the class name, in the API's alphabet."""
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in cls.__name__)
    return name[:64] or "response"


def strict_schema(cls: type[Any]) -> JsonSchema:
    """The strict JSON Schema of the structured class *cls* (see the module docstring).

    Raises:
        TypeError: *cls* is not a structured class, or a field's type has no strict
            JSON Schema (the message names the field).
    """
    if not is_structured_class(cls):
        msg = (
            f"response_format / text_format must be a class with named fields (attrs, "
            f"dataclass, TypedDict, pydantic model), not {cls!r}"
        )
        raise TypeError(msg)
    builder = _Builder(cls)
    root = builder.object_schema(cls, cls.__name__)
    if builder.defs:
        root["$defs"] = builder.defs
    return root


class _Builder:
    def __init__(self, root: type[Any]) -> None:
        self.root = root
        self.defs: dict[str, JsonSchema] = {}
        self.names: dict[type[Any], str] = {}

    def object_schema(self, cls: type[Any], where: str) -> JsonSchema:
        properties: dict[str, JsonSchema] = {}
        for field in fields_of(cls):
            schema = self.schema(field.type, f"{where}.{field.key}")
            if field.default_none:
                schema = _nullable(schema)
            if field.description and "$ref" not in schema:
                schema = {**schema, "description": field.description}
            properties[field.key] = schema
        out: JsonSchema = {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
        description = class_description(cls)
        if description:
            out["description"] = description
        return out

    def ref(self, cls: type[Any], where: str) -> JsonSchema:
        if cls is self.root:
            return {"$ref": "#"}
        name = self.names.get(cls)
        if name is None:
            name = schema_name(cls)
            taken = set(self.names.values())
            n = 1
            while name in taken:
                n += 1
                name = f"{schema_name(cls)}_{n}"
            self.names[cls] = name
            self.defs[name] = {}  # reserved first: a recursive class refers to it meanwhile
            self.defs[name] = self.object_schema(cls, where)
        return {"$ref": f"#/$defs/{name}"}

    def schema(self, tp: Any, where: str) -> JsonSchema:  # noqa: PLR0911 -- one case per kind
        origin = get_origin(tp)
        args = get_args(tp)
        if origin is typing.Annotated:
            return self.schema(args[0], where)
        if tp is None or tp is type(None):
            return {"type": "null"}
        if tp is bool:
            return {"type": "boolean"}
        if isinstance(tp, type) and tp in _SCALARS:
            return dict(_SCALARS[tp])
        if origin is Literal:
            return _enum_schema(list(args))
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema([member.value for member in tp])
        if origin is Union or origin is types.UnionType:
            members = [a for a in args if a is not type(None)]
            schemas = [self.schema(a, where) for a in members]
            one: JsonSchema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
            return _nullable(one) if len(members) < len(args) else one
        if origin in _ARRAYS:
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                msg = f"{where}: fixed-length tuples have no strict JSON Schema; use tuple[X, ...]"
                raise TypeError(msg)
            item = args[0] if args else None
            if item is None:
                msg = f"{where}: say the item type ({tp!r} -> list[X])"
                raise TypeError(msg)
            return {"type": "array", "items": self.schema(item, f"{where}[]")}
        if tp in _MAPPINGS or origin in _MAPPINGS:
            msg = (
                f"{where}: dict / Mapping has no strict JSON Schema (strict mode demands "
                "additionalProperties: false); use a class, or a list of key/value objects"
            )
            raise TypeError(msg)
        if is_structured_class(tp):
            return self.ref(tp, tp.__name__)
        msg = f"{where}: {tp!r} has no strict JSON Schema"
        raise TypeError(msg)


def _enum_schema(values: list[Any]) -> JsonSchema:
    kinds = {_json_type(v) for v in values}
    schema: JsonSchema = {"enum": values}
    if len(kinds) == 1:
        schema = {"type": kinds.pop(), "enum": values}
    return schema


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    msg = f"enum / Literal value {value!r} is not a JSON scalar"
    raise TypeError(msg)


def _nullable(schema: JsonSchema) -> JsonSchema:
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null" and set(schema) <= {"type", "format", "enum"}:
        out = {**schema, "type": [kind, "null"]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return schema
    if "anyOf" in schema:
        if {"type": "null"} in schema["anyOf"]:
            return schema
        return {"anyOf": [*schema["anyOf"], {"type": "null"}]}
    return {"anyOf": [schema, {"type": "null"}]}
