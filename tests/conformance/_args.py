"""Valid arguments for any operation of the OpenAPI spec, built from the spec alone.

`Synthesizer.arguments` gives the keyword arguments of one generated method: the path
parameters (a plausible id), the required query and header parameters, and the request
body's *required* fields, recursively, with just what the schema's constraints need:

- ``$ref`` is resolved; ``const`` gives itself, ``enum`` its first (non-null) value;
- a string is ``"string"``, or a value of its ``format`` (``date-time``, ``uri``,
  ``email``, ``uuid``, ``byte``), padded to ``minLength``; ``format: binary`` is a file
  tuple ``("file.bin", b"...", "application/octet-stream")``;
- an integer or a number is 1, moved into ``minimum``/``maximum`` (exclusive bounds
  too); a boolean is False;
- an array has ``minItems`` items, at least one when it is required (distinct ones
  when ``uniqueItems`` asks);
- an object has its required properties (``minProperties`` adds optional ones);
- ``allOf`` is merged (properties and required lists of every member, then the
  members' own ``oneOf``/``anyOf``); ``oneOf``/``anyOf`` take the first non-null member
  whose value the union accepts (for ``oneOf``: matches exactly one member, checked by
  the small validator `matches`), and set the discriminator's property when the
  member does not already.

Python names: a JSON name maps to the generated keyword argument by the generator's
rule (a trailing ``[]`` dropped, other non-identifier characters to ``_``, a Python
keyword gets a trailing ``_``; ``x-stainless-param`` for parameters), and every name
is checked against the method's `inspect.signature`.
"""

from __future__ import annotations

import inspect
import keyword
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "BINARY",
    "SynthesisError",
    "Synthesizer",
    "load_spec",
    "py_name",
    "wrong_value",
]

BINARY = ("file.bin", b"\x00trio-openai conformance\n", "application/octet-stream")
MAX_DEPTH = 24

_FORMATS: dict[str, Any] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uri-reference": "https://example.com/resource",
    "email": "user@example.com",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "byte": "dHJpby1vcGVuYWk=",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}


class SynthesisError(Exception):
    """The spec asks for something the synthesizer cannot build, or a name has no argument."""


def load_spec(path: Path) -> dict[str, Any]:
    """The spec as plain data (PyYAML's C loader when it is there: ~2.5 s for 3 MB)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=loader)
    return spec


def py_name(json_name: str) -> str:
    """The generator's Python name for a JSON name (tools/codegen/schema.py `py_param_name`)."""
    name = re.sub(r"\[\]$", "", json_name)
    name = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return name + "_" if keyword.iskeyword(name) else name


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def _is_null_schema(schema: Mapping[str, Any]) -> bool:
    return _types(schema) == ["null"] or schema.get("const", 0) is None


def _plausible_id(name: str) -> str:
    """``file_id`` -> ``file_abc123``; ``model`` -> ``model_abc123``."""
    stem = name.removesuffix("_id").removesuffix("_name") or name
    return f"{stem}_abc123"


class Synthesizer:
    """Builds valid values from one OpenAPI document (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    # -- references and merging ----------------------------------------------------

    def deref(self, schema: Any) -> Any:
        """Follow ``$ref`` (repeatedly); sibling keys of a ``$ref`` are kept over the target."""
        seen = 0
        while isinstance(schema, Mapping) and "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                msg = f"external $ref {ref!r}"
                raise SynthesisError(msg)
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings else target
            seen += 1
            if seen > 50:
                msg = f"$ref cycle at {ref!r}"
                raise SynthesisError(msg)
        return schema

    def _flatten(
        self, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], set[str], list[Mapping[str, Any]], Mapping[str, Any]]:
        """(properties, required, unions, first typed member) across ``allOf``, recursively.

        ``unions`` are the (sub)schemas holding a ``oneOf``/``anyOf`` that the object
        must also satisfy.
        """
        schema = self.deref(schema)
        props: dict[str, Any] = dict(schema.get("properties") or {})
        required: set[str] = set(schema.get("required") or ())
        unions: list[Mapping[str, Any]] = []
        if "oneOf" in schema or "anyOf" in schema:
            unions.append(schema)
        base: Mapping[str, Any] = schema
        for member in schema.get("allOf") or ():
            m_props, m_required, m_unions, m_base = self._flatten(member)
            for key, value in m_props.items():
                props.setdefault(key, value)
            required |= m_required
            unions.extend(m_unions)
            if not _types(base) and _types(m_base):
                base = m_base
        return props, required, unions, base

    def _is_object(self, schema: Mapping[str, Any]) -> bool:
        props, required, _, base = self._flatten(schema)
        return bool(props or required) or "object" in _types(base)

    # -- values ----------------------------------------------------------------------

    def value(self, schema: Any, *, depth: int = 0, name: str = "") -> Any:
        """A valid value of ``schema`` with only what its constraints require."""
        if depth > MAX_DEPTH:
            msg = f"schema nested deeper than {MAX_DEPTH} at {name!r}"
            raise SynthesisError(msg)
        schema = self.deref(schema)
        if not isinstance(schema, Mapping):
            return "string"
        if "const" in schema:
            return schema["const"]
        enum = [v for v in schema.get("enum") or () if v is not None]
        if enum:
            return enum[0]
        if ("allOf" in schema or self._has_union(schema)) and not self._is_object(schema):
            return self._composed(schema, depth, name)
        return self._typed(schema, depth, name)

    def _typed(self, schema: Mapping[str, Any], depth: int, name: str) -> Any:
        """A value by ``type`` (an object also when it merges ``allOf`` or has unions)."""
        if "allOf" in schema or self._has_union(schema):
            return self._object(schema, depth, name)
        types = [t for t in _types(schema) if t != "null"] or _types(schema)
        kind = types[0] if types else ("object" if "properties" in schema else "")
        if kind == "object":
            return self._object(schema, depth, name)
        if kind == "array":
            return self._array(schema, depth, name, required=True)
        if kind in ("integer", "number"):
            return self._number(schema, integer=kind == "integer")
        if kind in ("boolean", "null"):
            return False if kind == "boolean" else None
        return self._string(schema)

    @staticmethod
    def _has_union(schema: Mapping[str, Any]) -> bool:
        return "oneOf" in schema or "anyOf" in schema

    def _composed(self, schema: Mapping[str, Any], depth: int, name: str) -> Any:
        """A non-object ``allOf``/``oneOf``/``anyOf``: the union's choice, or the first member."""
        if self._has_union(schema):
            return self._choose(schema, depth, name, base={})
        members = schema["allOf"]
        return self.value(members[0], depth=depth + 1, name=name)

    def _string(self, schema: Mapping[str, Any]) -> Any:
        fmt = schema.get("format")
        if fmt == "binary":
            return BINARY
        text = _FORMATS.get(fmt or "", "string")
        min_length = schema.get("minLength") or 0
        if len(text) < min_length:
            text = text + "x" * (min_length - len(text))
        max_length = schema.get("maxLength")
        if max_length is not None and len(text) > max_length:
            text = text[:max_length]
        return text

    @staticmethod
    def _number(schema: Mapping[str, Any], *, integer: bool) -> Any:
        step = 1 if integer else 0.5
        value: float = 1
        low, high = schema.get("minimum"), schema.get("maximum")
        ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(ex_low, bool):  # OpenAPI 3.0 style
            ex_low = low if ex_low else None
        if isinstance(ex_high, bool):
            ex_high = high if ex_high else None
        if low is not None and value < low:
            value = low
        if ex_low is not None and value <= ex_low:
            value = ex_low + step
        if high is not None and value > high:
            value = high
        if ex_high is not None and value >= ex_high:
            value = ex_high - step
        multiple = schema.get("multipleOf")
        if multiple:
            value = multiple * max(1, -(-value // multiple))
        return int(value) if integer else float(value)

    def _array(self, schema: Mapping[str, Any], depth: int, name: str, *, required: bool) -> Any:
        count = max(schema.get("minItems") or 0, 1 if required else 0)
        items = schema.get("items") or {}
        if not count:
            return []
        first = self.value(items, depth=depth + 1, name=f"{name}[]")
        if count == 1:
            return [first]
        if schema.get("uniqueItems"):
            item_schema = self.deref(items)
            pool = [v for v in item_schema.get("enum") or () if v is not None]
            if len(pool) >= count:
                return pool[:count]
            if isinstance(first, str):
                return [first if i == 0 else f"{first}{i}" for i in range(count)]
            if isinstance(first, int) and not isinstance(first, bool):
                return [first + i for i in range(count)]
        return [first] * count

    def _object(
        self,
        schema: Mapping[str, Any],
        depth: int,
        name: str,
        extra_props: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        props, required, unions, base = self._flatten(schema)
        all_props = {**(extra_props or {}), **props}
        out: dict[str, Any] = {}
        for key in sorted(
            required, key=lambda k: list(all_props).index(k) if k in all_props else 0
        ):
            out[key] = self.value(all_props.get(key, {}), depth=depth + 1, name=f"{name}.{key}")
        min_props = base.get("minProperties") or schema.get("minProperties") or 0
        for key, sub in all_props.items():
            if len(out) >= min_props:
                break
            out.setdefault(key, self.value(sub, depth=depth + 1, name=f"{name}.{key}"))
        extra = base.get("additionalProperties")
        while len(out) < min_props:
            sub = extra if isinstance(extra, Mapping) else {"type": "string"}
            out[f"key{len(out)}"] = self.value(sub, depth=depth + 1, name=name)
        for union in unions:
            chosen = self._choose(union, depth, name, base=all_props)
            if isinstance(chosen, Mapping):
                for key, value in chosen.items():
                    out.setdefault(key, value)
        return out

    def _choose(
        self, schema: Mapping[str, Any], depth: int, name: str, base: Mapping[str, Any]
    ) -> Any:
        """The first acceptable member of a ``oneOf``/``anyOf`` (non-null members first)."""
        key = "oneOf" if "oneOf" in schema else "anyOf"
        members = list(schema[key])
        ordered = [m for m in members if not _is_null_schema(self.deref(m))] or members
        discriminator = (schema.get("discriminator") or {}).get("propertyName")
        mapping = {
            v: k for k, v in ((schema.get("discriminator") or {}).get("mapping") or {}).items()
        }
        candidates: list[Any] = []
        for member in ordered:
            try:
                resolved = self.deref(member)
                if self._is_object(resolved) or (base and not _types(resolved)):
                    candidate: Any = self._object(resolved, depth + 1, name, extra_props=base)
                else:
                    candidate = self.value(resolved, depth=depth + 1, name=name)
            except SynthesisError:
                continue
            if discriminator and isinstance(candidate, dict) and discriminator not in candidate:
                tag = mapping.get(member.get("$ref", "")) if isinstance(member, Mapping) else None
                if tag is None:
                    tag = self.value(
                        self._flatten(resolved)[0].get(discriminator, {}), depth=depth + 1
                    )
                candidate[discriminator] = tag
            candidates.append(candidate)
            if self._union_accepts(schema, key, candidate):
                return candidate
        if candidates:
            return candidates[0]
        msg = f"no member of the {key} at {name!r} can be built"
        raise SynthesisError(msg)

    def _union_accepts(self, schema: Mapping[str, Any], key: str, value: Any) -> bool:
        hits = sum(self.matches(value, m) for m in schema[key])
        return hits == 1 if key == "oneOf" else hits >= 1

    # -- a small validator (enough to pick union members) ----------------------------------

    def matches(self, value: Any, schema: Any, depth: int = 0) -> bool:  # noqa: PLR0911, PLR0912
        """Whether ``value`` satisfies ``schema`` (types, enum/const, objects, arrays, unions)."""
        if depth > MAX_DEPTH:
            return True
        schema = self.deref(schema)
        if not isinstance(schema, Mapping) or schema is True:
            return True
        if "const" in schema and value != schema["const"]:
            return False
        if "enum" in schema and value not in schema["enum"]:
            return False
        types = _types(schema)
        if types and not any(_is_type(value, t) for t in types):
            return False
        if any(not self.matches(value, m, depth + 1) for m in schema.get("allOf") or ()):
            return False
        if "anyOf" in schema and not any(
            self.matches(value, m, depth + 1) for m in schema["anyOf"]
        ):
            return False
        if (
            "oneOf" in schema
            and sum(self.matches(value, m, depth + 1) for m in schema["oneOf"]) != 1
        ):
            return False
        if "not" in schema and self.matches(value, schema["not"], depth + 1):
            return False
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            if any(k not in value for k in schema.get("required") or ()):
                return False
            for k, v in value.items():
                if k in props:
                    if not self.matches(v, props[k], depth + 1):
                        return False
                elif schema.get("additionalProperties") is False:
                    return False
        elif isinstance(value, list):
            if len(value) < (schema.get("minItems") or 0):
                return False
            items = schema.get("items")
            if items is not None and not all(self.matches(v, items, depth + 1) for v in value):
                return False
        elif isinstance(value, str):
            if len(value) < (schema.get("minLength") or 0):
                return False
            pattern = schema.get("pattern")
            if pattern and not re.search(pattern, value):
                return False
        return True

    # -- operations --------------------------------------------------------------------

    def operation(self, method: str, path_key: str) -> Mapping[str, Any]:
        """The spec's operation object."""
        op: Mapping[str, Any] = self.spec["paths"][path_key][method.lower()]
        return op

    def body_schema(self, op: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any] | None]:
        """(media type, schema) of the request body, multipart first as the generator does."""
        body = op.get("requestBody")
        if not body:
            return None, None
        content = self.deref(body).get("content") or {}
        media = next(
            (m for m in ("multipart/form-data", "application/json") if m in content),
            next(iter(content), None),
        )
        if media is None:
            return None, None
        return media, (content[media] or {}).get("schema") or {}

    def arguments(self, method: str, path_key: str, signature: inspect.Signature) -> dict[str, Any]:
        """Keyword arguments for the generated method of one operation (see the module doc)."""
        op = self.operation(method, path_key)
        names = set(signature.parameters)
        kwargs: dict[str, Any] = {}

        def put(json_name: str, python: str, value: Any) -> None:
            if python not in names:
                msg = (
                    f"required `{json_name}` has no argument `{python}`"
                    f" (signature: {', '.join(names)})"
                )
                raise SynthesisError(msg)
            kwargs[python] = value

        path_item = self.spec["paths"][path_key]
        params = [*(path_item.get("parameters") or ()), *(op.get("parameters") or ())]
        for raw in params:
            p = self.deref(raw)
            schema = self.deref(p.get("schema") or {})
            python = schema.get("x-stainless-param") or py_name(p["name"])
            if p["in"] == "path":
                if (
                    schema.get("enum")
                    or "const" in schema
                    or schema.get("type") not in (None, "string")
                ):
                    put(p["name"], python, str(self.value(schema, name=p["name"])))
                else:
                    put(p["name"], python, _plausible_id(p["name"]))
            elif p["in"] in ("query", "header") and p.get("required"):
                put(p["name"], python, self.value(schema, name=p["name"]))

        media, schema = self.body_schema(op)
        if schema is not None:
            if media not in ("application/json", "multipart/form-data"):
                msg = f"request body {media} is not JSON or multipart"
                raise SynthesisError(msg)
            body = self.value(schema, name="body")
            if not isinstance(body, dict):
                msg = f"request body is not an object: {body!r}"
                raise SynthesisError(msg)
            props = self._flatten(schema)[0]
            multipart = media == "multipart/form-data"
            if multipart and not body and props:
                # An empty form is no body at all: a required body gets its first field.
                first = next(iter(props))
                body[first] = self.value(props[first], name=first)
            for json_name, value in body.items():
                prop = self.deref(props.get(json_name) or {})
                put(
                    json_name,
                    py_name(json_name),
                    self._form_value(prop, value) if multipart else value,
                )

        missing = [
            n
            for n, p in signature.parameters.items()
            if n != "self"
            and p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            and n not in kwargs
        ]
        if missing:
            msg = f"the method requires {missing}, which the spec does not require"
            raise SynthesisError(msg)
        return kwargs

    def _form_value(self, prop: Mapping[str, Any], value: Any) -> Any:
        """A multipart field: a file when the field is or may be one.

        A union with a binary member (``videos.extend(video=...)``: a reference object
        or a file; ``skills.create(files=...)``: a list of files or one file) gets one
        file, through the method's file parameter: a list is sent as ``files[]`` parts
        (what the API expects), which Prism does not match to the field ``files``.
        """
        if prop.get("format") == "binary":
            return BINARY
        if _is_binary_array(self, prop):
            return [BINARY]
        for member in (*(prop.get("oneOf") or ()), *(prop.get("anyOf") or ())):
            if self.deref(member).get("format") == "binary":
                return BINARY
        return value

    def invalid_field(self, method: str, path_key: str, kind: str) -> tuple[str, Any]:
        """(name, value) that makes a body invalid: a required field (an optional one if
        none is required) set to a value ``kind`` describes and the schema rejects.

        ``kind``: ``"type"`` (a value of another JSON type), ``"null"`` (``null``),
        ``"enum"`` (a string outside the field's enum).
        """
        _, schema = self.body_schema(self.operation(method, path_key))
        if schema is None:
            msg = f"{method} {path_key} has no request body"
            raise SynthesisError(msg)
        props, required, _, _ = self._flatten(schema)
        ordered = [n for n in props if n in required] or list(props)
        for name in ordered:
            value = self._invalid(props[name], kind)
            if value is not _NONE:
                return name, value
        msg = f"{method} {path_key}: no body field can be made invalid by {kind!r}"
        raise SynthesisError(msg)

    def _invalid(self, schema: Any, kind: str) -> Any:
        if kind == "type":
            return wrong_value(self, schema)
        if kind == "null":
            return None if not self.matches(None, schema) else _NONE
        if kind == "enum":
            resolved = self.deref(schema)
            if resolved.get("enum") and not self.matches("not-a-valid-value", schema):
                return "not-a-valid-value"
            return _NONE
        msg = f"unknown kind {kind!r}"
        raise ValueError(msg)


_NONE = object()


def _is_binary_array(synth: Synthesizer, prop: Mapping[str, Any]) -> bool:
    if "array" not in _types(prop):
        return False
    items = synth.deref(prop.get("items") or {})
    return bool(items.get("format") == "binary")


_TYPE_CHECKS: dict[str, Any] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str) or v is BINARY,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _is_type(value: Any, json_type: str) -> bool:
    check = _TYPE_CHECKS.get(json_type)
    return True if check is None else bool(check(value))


def wrong_value(synth: Synthesizer, schema: Any) -> Any:
    """A value of a JSON type ``schema`` rejects (`_NONE` when every type is valid)."""
    probes: list[Any] = [12345, "not-valid", {"not": "valid"}, ["not", "valid"], True]
    for probe in probes:
        if not synth.matches(probe, schema):
            return probe
    return _NONE
