"""From OpenAPI schemas to the generator's type model (classes, aliases, types).

The type model is small: `Prim`, `Lit`, `Ref`, `ListOf`, `DictOf`, `UnionOf`.
Named component schemas become a `ClassDef` (objects, ``allOf`` merges) or an
`AliasDef` (enums, unions, arrays, maps); inline objects become classes named
after where they appear (``CreateChatCompletionResponse`` + ``choices`` ->
``CreateChatCompletionResponseChoice``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from .names import (
    EXTRA_ENUM_VALUES,
    EXTRA_FIELDS,
    NULLABLE_FIELDS,
    SCHEMA_RENAMES,
)

# Python names a field may not take: keywords, and names used in annotations
# (a slotted class's attributes shadow them when annotations are evaluated).
RESERVED_FIELD_NAMES = frozenset(
    {"str", "int", "float", "bool", "list", "dict", "Any", "Literal", "attrs", "None"}
    | {"model_extra", "to_dict", "to_json"}
)


# -- the type model ------------------------------------------------------------


@dataclass(frozen=True)
class Prim:
    name: str  # str, int, float, bool, Any, None


@dataclass(frozen=True)
class Lit:
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class ListOf:
    item: TypeExpr


@dataclass(frozen=True)
class DictOf:
    value: TypeExpr


@dataclass(frozen=True)
class UnionOf:
    members: tuple[TypeExpr, ...]


TypeExpr = Prim | Lit | Ref | ListOf | DictOf | UnionOf
NONE = Prim("None")
ANY = Prim("Any")


def union(*members: TypeExpr) -> TypeExpr:
    """A flattened, de-duplicated union (None last); a single member stands alone."""
    flat: list[TypeExpr] = []
    for m in members:
        for x in m.members if isinstance(m, UnionOf) else (m,):
            if x not in flat:
                flat.append(x)
    if ANY in flat:
        return ANY if NONE not in flat else UnionOf((ANY, NONE))
    # Merge string literals, then put a plain `str` after them.
    lits = [x for x in flat if isinstance(x, Lit)]
    if len(lits) > 1:
        values: list[Any] = []
        for lit in lits:
            values.extend(v for v in lit.values if v not in values)
        first = flat.index(lits[0])
        flat = [x for x in flat if not isinstance(x, Lit)]
        flat.insert(first, Lit(tuple(values)))
    str_ = Prim("str")
    if str_ in flat and any(isinstance(x, Lit) for x in flat):
        flat.remove(str_)  # known values first, then "any other string"
        flat.insert(next(i for i, x in enumerate(flat) if isinstance(x, Lit)) + 1, str_)
    if NONE in flat:
        flat.remove(NONE)
        flat.append(NONE)
    return flat[0] if len(flat) == 1 else UnionOf(tuple(flat))


def nullable(t: TypeExpr) -> TypeExpr:
    return union(t, NONE)


def is_nullable(t: TypeExpr) -> bool:
    return t == NONE or (isinstance(t, UnionOf) and NONE in t.members)


# -- definitions -----------------------------------------------------------------


@dataclass
class FieldDef:
    json_name: str
    py_name: str
    type: TypeExpr
    required: bool
    description: str
    deprecated: bool = False
    binary: str | None = None  # "one" file, "many" (an array of files), or None


@dataclass
class ClassDef:
    name: str
    description: str
    fields: list[FieldDef]
    owner: str  # the component schema this class belongs to (itself, or its parent)
    nullable: bool = False  # references to it are `X | None`


@dataclass
class AliasDef:
    name: str
    description: str
    type: TypeExpr
    owner: str


Definition = ClassDef | AliasDef


# -- names ------------------------------------------------------------------------


def pascal(text: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", text)
    out = "".join(w[:1].upper() + w[1:] for w in words if w)
    if out and out[0].isdigit():
        out = "N" + out
    return out


def class_name_for_schema(name: str) -> str:
    """A component schema's class name: CapWords (``Beta_AgentTag`` -> ``BetaAgentTag``)."""
    if name in SCHEMA_RENAMES:
        return SCHEMA_RENAMES[name]
    cleaned = re.sub(r"[^0-9A-Za-z]", "", name)
    cleaned = cleaned if cleaned[:1].isalpha() else "Schema" + cleaned
    # A name ending in `Param` is a request TypedDict (as in the official SDK): the spec's
    # own `...Param` schemas keep that name for their TypedDict (`params.py`), and their
    # models are `...ParamModel`.
    return cleaned + "Model" if cleaned.endswith("Param") else cleaned


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word + "Item"


def py_field_name(json_name: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]", "_", json_name)
    if not name or name[0].isdigit():
        name = "f_" + name
    if keyword.iskeyword(name) or name in RESERVED_FIELD_NAMES:
        name += "_"
    return name


def py_param_name(json_name: str) -> str:
    name = re.sub(r"\[\]$", "", json_name)
    name = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if keyword.iskeyword(name):
        name += "_"
    return name


# -- docs --------------------------------------------------------------------------


_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# Typographic characters ruff flags as ambiguous in docstrings (RUF002), as plain ASCII.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u00a0": " ",
    }
)


def clean_doc(text: str | None) -> str:
    """Spec markdown as plain docstring text: links reduced to their text."""
    if not text:
        return ""
    text = _LINK.sub(r"\1", text).replace("**", "").translate(_PLAIN)
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip() != "---"]
    return "\n".join(lines)


def summarize(text: str | None, limit: int = 320) -> str:
    """The first paragraph of *text*, on one line, cut at a sentence end near *limit*."""
    text = clean_doc(text)
    if not text:
        return ""
    para = text.split("\n\n")[0]
    para = " ".join(para.split())
    if len(para) <= limit:
        return para
    cut = para[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    if end > limit // 3:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + "..."


_ANNOTATION_KEYS = frozenset(
    {"description", "title", "nullable", "default", "example", "examples", "deprecated"}
)


def _meaningful(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``allOf`` members that constrain something (``{}`` and bare descriptions do not)."""
    return [p for p in parts if set(p) - _ANNOTATION_KEYS]


_TAG_FIELDS = ("type", "event", "object", "role")


def _tag_value(schema: dict[str, Any]) -> str | None:
    """The one value of an inline object's tag field (``type: {enum: [x]}``), if it has one."""
    if "$ref" in schema:
        return None
    props = schema.get("properties") or {}
    for name in _TAG_FIELDS:
        prop = props.get(name) or {}
        values = [prop["const"]] if "const" in prop else prop.get("enum") or []
        if len(values) == 1 and isinstance(values[0], str):
            return str(values[0])
    return None


def _sdk_only(schema: Any) -> bool:
    """Whether a property is marked as computed by the SDKs (``x-oaiSupportedSDKs``)."""
    if isinstance(schema, dict):
        if "x-oaiSupportedSDKs" in schema:
            return True
        return any(_sdk_only(m) for k in ("anyOf", "oneOf") for m in schema.get(k, ()))
    return False


# -- the translator -------------------------------------------------------------------


class SchemaModel:
    """Translates the component schemas (on demand) into definitions."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.defs: dict[str, Definition] = {}
        self.by_schema: dict[str, str] = {}  # component schema -> definition name
        self._taken: set[str] = {class_name_for_schema(n) for n in self.schemas}
        if len(self._taken) != len(self.schemas):
            msg = "two component schemas have the same class name"
            raise ValueError(msg)
        self._in_progress: set[str] = set()
        # Which entries of the tables of answers real servers send (`names.NULLABLE_FIELDS`,
        # `names.EXTRA_FIELDS`) were applied: an entry for a field gone from the spec is an
        # error (`check_tables`), not a silent no-op.
        self.used_tables: set[tuple[str, str, str]] = set()

    # names

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self._taken:
            candidate = f"{name}{n}"
            n += 1
        self._taken.add(candidate)
        return candidate

    # refs

    def deref(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def ensure(self, schema_name: str) -> str:
        """The definition name of a component schema, translating it on first use."""
        if schema_name in self.by_schema:
            return self.by_schema[schema_name]
        name = class_name_for_schema(schema_name)
        self.by_schema[schema_name] = name
        self._in_progress.add(schema_name)
        schema = self.schemas[schema_name]
        self.defs[name] = self._named(name, schema, owner=schema_name)
        self._in_progress.discard(schema_name)
        return name

    def add_variant(self, name: str, base: str, retyped: dict[str, str], doc: str) -> None:
        """Model *name*: a copy of model *base* with the fields of *retyped* retyped.

        Types are written as ``str``, ``Name`` or ``list[Name]`` (`names.VARIANT_MODELS`).
        """
        d = self.defs[base]
        assert isinstance(d, ClassDef), base
        fields = []
        for f in d.fields:
            if f.py_name not in retyped:
                fields.append(f)
                continue
            text = retyped[f.py_name]
            inner = text.removeprefix("list[").removesuffix("]")
            t: TypeExpr = Prim(inner) if inner in ("str", "int", "float") else Ref(inner)
            fields.append(
                FieldDef(**{**f.__dict__, "type": ListOf(t) if text.startswith("list[") else t})
            )
        unknown = set(retyped) - {f.py_name for f in d.fields}
        if unknown:
            msg = f"variant {name}: {base} has no fields {sorted(unknown)}"
            raise ValueError(msg)
        note = f"A variant of `{base}` (see `names.VARIANT_MODELS`)."
        self.defs[name] = ClassDef(name, f"{doc}\n\n{note}", fields, d.owner)

    def check_tables(self) -> None:
        """Raise if an entry of `NULLABLE_FIELDS` or `EXTRA_FIELDS` matched no field.

        Raises:
            ValueError: Stale entries, named.
        """
        wanted = {("nullable", m, f) for m, f in NULLABLE_FIELDS} | {
            ("extra", m, f) for m, fields in EXTRA_FIELDS.items() for f in fields
        }
        stale = sorted(wanted - self.used_tables)
        if stale:
            msg = f"table entries that match no field of the spec: {stale}"
            raise ValueError(msg)

    def add_alias(self, name: str, description: str, t: TypeExpr) -> None:
        """Add a type alias no component schema defines (its owner is itself)."""
        if name in self._taken:
            msg = f"{name} is already a schema or class name"
            raise ValueError(msg)
        self._taken.add(name)
        self.defs[name] = AliasDef(name, description, t, owner=name)

    def ref_type(self, schema_name: str) -> TypeExpr:
        name = self.ensure(schema_name)
        d = self.defs.get(name)
        if isinstance(d, ClassDef) and d.nullable:
            return nullable(Ref(name))
        return Ref(name)

    # named schemas

    def _null_split(self, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
        """(the only non-null member, True) for ``anyOf [X, null]``; else (None, nullable)."""
        for key in ("anyOf", "oneOf"):
            members = schema.get(key)
            if members:
                non_null = [m for m in members if m.get("type") != "null"]
                if len(non_null) == 1 and len(non_null) < len(members):
                    return non_null[0], True
        return None, bool(schema.get("nullable"))

    def _is_object(self, schema: dict[str, Any]) -> bool:
        if "$ref" in schema:
            return False
        if "allOf" in schema:
            parts = _meaningful(schema["allOf"])
            return (
                len(parts) > 1
                or bool(schema.get("properties"))
                or (len(parts) == 1 and self._is_object(self.deref(parts[0])))
            )
        return bool(schema.get("properties")) and schema.get("type", "object") == "object"

    def _named(self, name: str, schema: dict[str, Any], owner: str) -> Definition:
        description = schema.get("description", "")
        inner, is_null = self._null_split(schema)
        target = inner if inner is not None else schema
        if self._is_object(target):
            is_null = is_null or bool(target.get("nullable"))
            description = (
                description
                or target.get("description", "")
                or schema.get("title", "")
                or target.get("title", "")
            )
            return self._class(name, target, owner, description, nullable_=is_null)
        t = self.type_of(schema, name, owner)
        return AliasDef(name, clean_doc(description or target.get("description", "")), t, owner)

    # objects

    def merged_properties(
        self, schema: dict[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], set[str], bool]:
        """(properties, required, additional) of an object schema, ``allOf`` merged."""
        schema = self.deref(schema)
        props: dict[str, dict[str, Any]] = {}
        required: set[str] = set()
        for part in schema.get("allOf", ()):
            p, r, _ = self.merged_properties(part)
            props.update(p)
            required |= r
        props.update(schema.get("properties") or {})
        required |= set(schema.get("required") or ())
        return props, required, schema.get("additionalProperties") is not False

    def binary_kind(self, schema: dict[str, Any]) -> str | None:
        """``"one"`` for a file field (``format: binary``), ``"many"`` if it may be an array."""
        schema = self.deref(schema)
        if schema.get("format") == "binary":
            return "one"
        if schema.get("type") == "array" and self.binary_kind(schema.get("items") or {}):
            return "many"
        members = [m for key in ("anyOf", "oneOf") for m in schema.get(key, ())]
        kinds = {self.binary_kind(m) for m in members} - {None}
        return "many" if "many" in kinds else ("one" if kinds else None)

    def description_of(self, schema: dict[str, Any], depth: int = 0) -> str:
        """A schema's description; else its target's, or its first described union member's."""
        text: str = schema.get("description") or ""
        if text or depth > 3:
            return text
        if "$ref" in schema:
            return self.description_of(self.deref(schema), depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for member in schema.get(key, ()):
                if member.get("type") != "null":
                    text = self.description_of(member, depth + 1)
                    if text:
                        return text
        return ""

    def _class(
        self,
        name: str,
        schema: dict[str, Any],
        owner: str,
        description: str,
        *,
        nullable_: bool = False,
    ) -> ClassDef:
        cls = ClassDef(name, clean_doc(description), [], owner, nullable=nullable_)
        self.defs[name] = cls  # early, for recursive references
        cls.fields = self.fields_of(schema, name, owner)
        return cls

    def fields_of(self, schema: dict[str, Any], ctx: str, owner: str) -> list[FieldDef]:
        """The fields of an object schema (``allOf`` merged), required ones first.

        Inline objects in the fields become classes named after *ctx* and the field.
        """
        props, required, _ = self.merged_properties(schema)
        fields: list[FieldDef] = []
        for json_name, prop in props.items():
            if _sdk_only(prop):
                continue  # an SDK convenience (e.g. `Response.output_text`): see MIXINS
            t = self.type_of(prop, ctx + pascal(json_name), owner)
            if (ctx, json_name) in EXTRA_ENUM_VALUES:
                t = union(t, Lit(EXTRA_ENUM_VALUES[ctx, json_name]))
            loose = (ctx, json_name) in NULLABLE_FIELDS
            if loose:
                t = nullable(t)
                self.used_tables.add(("nullable", ctx, json_name))
            deref = self.deref(prop) if "$ref" in prop else prop
            fields.append(
                FieldDef(
                    json_name=json_name,
                    py_name=py_field_name(json_name),
                    type=t,
                    required=json_name in required and not loose,
                    description=clean_doc(self.description_of(prop)),
                    deprecated=bool(prop.get("deprecated") or deref.get("deprecated")),
                    binary=self.binary_kind(prop),
                )
            )
        for json_name, text in EXTRA_FIELDS.get(ctx, {}).items():
            if json_name in props:
                msg = f"EXTRA_FIELDS: {ctx}.{json_name} is in the spec now"
                raise ValueError(msg)
            self.used_tables.add(("extra", ctx, json_name))
            fields.append(
                FieldDef(
                    json_name=json_name,
                    py_name=py_field_name(json_name),
                    type=ANY if text == "Any" else Prim(text),
                    required=False,
                    description="Sent by the API, not declared by the spec (recorded traffic).",
                )
            )
        fields.sort(key=lambda f: not f.required)  # stable: spec order within each group
        return fields

    # types

    def type_of(self, schema: dict[str, Any], ctx: str, owner: str) -> TypeExpr:
        """The type of an inline schema; inline objects become classes named *ctx*."""
        if "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/components/schemas/"):
                return ANY
            t = self.ref_type(ref.rsplit("/", 1)[-1])
            return nullable(t) if schema.get("nullable") else t
        if "$recursiveRef" in schema:
            return ANY
        t = self._type_of(schema, ctx, owner)
        if schema.get("nullable"):
            t = nullable(t)
        return t

    def _type_of(self, schema: dict[str, Any], ctx: str, owner: str) -> TypeExpr:
        if "allOf" in schema:
            parts = _meaningful(schema["allOf"])
            if len(parts) == 1 and not schema.get("properties"):
                return self.type_of(parts[0], ctx, owner)
            return Ref(self._inline_class(ctx, schema, owner))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = schema[key]
                tags = [_tag_value(m) for m in options]
                distinct = len(set(tags)) == len(tags)
                solo = sum(m.get("type") != "null" for m in options) == 1
                members = []
                for i, (m, tag) in enumerate(zip(options, tags, strict=True)):
                    # An inline member is named after its title, else its tag value
                    # (`type: "image_url"` -> `...ImageUrl`), else its position; the only
                    # non-null member of a nullable union takes the union's own name.
                    title = m.get("title") if "$ref" not in m else None
                    if title:
                        sub = ctx + pascal(title)
                    elif solo:
                        sub = ctx
                    elif tag and distinct:
                        sub = ctx + pascal(tag)
                    else:
                        sub = ctx + f"Option{i + 1}"
                    members.append(self.type_of(m, sub, owner))
                return union(*members)
        if "const" in schema:
            return Lit((schema["const"],))
        if "enum" in schema:
            values = tuple(schema["enum"])
            non_null = tuple(v for v in values if v is not None)
            t: TypeExpr = Lit(non_null) if non_null else NONE
            return nullable(t) if None in values else t
        typ = schema.get("type")
        if isinstance(typ, list):
            return union(*(self._type_of({**schema, "type": x}, ctx, owner) for x in typ))
        if typ == "string":
            return ANY if schema.get("format") == "binary" else Prim("str")
        if typ == "integer":
            return Prim("int")
        if typ == "number":
            return Prim("float")
        if typ == "boolean":
            return Prim("bool")
        if typ == "null":
            return NONE
        if typ == "array":
            items = schema.get("items") or {}
            return ListOf(self.type_of(items, singular(ctx), owner))
        if typ == "object" or "properties" in schema:
            if schema.get("properties"):
                return Ref(self._inline_class(ctx, schema, owner))
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return DictOf(self.type_of(extra, ctx + "Value", owner))
            return DictOf(ANY)
        return ANY

    def _inline_class(self, ctx: str, schema: dict[str, Any], owner: str) -> str:
        name = self._unique(ctx)
        self._class(name, schema, owner, schema.get("description", ""))
        return name
