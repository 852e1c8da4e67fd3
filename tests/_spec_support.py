"""Test helpers for checking the fake server against the OpenAPI spec.

`spec_schemas` loads the spec's component schemas once per run; `violations`
checks a JSON value against one of them; `fully_typed` fails on a decoded model
that holds an unknown object or an undeclared field. Shared by the fake server's
test modules (tests/testing/), which must not import one another.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from trio_openai._models import BaseModel, UnknownObject

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "openapi" / "openai-openapi.yaml"


@functools.cache
def spec_schemas() -> dict[str, Any]:
    """The spec's component schemas, loaded once per run (about 2 s) for every test module."""
    yaml = pytest.importorskip("yaml")
    if not SPEC.exists():
        pytest.skip(f"no OpenAPI spec at {SPEC}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open() as f:
        spec = yaml.load(f, Loader=loader)
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


# Where the fake follows the API rather than the spec: the API sends null here (clients
# generated from the spec must accept it). Keyed by "schema.field".
KNOWN_NULLS = {
    "CreateCompletionResponse.choices[].finish_reason",  # in stream chunks before the last
    "ListFilesResponse.first_id",
    "ListFilesResponse.last_id",
    "Response.usage",
}

_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def violations(
    schemas: Mapping[str, Any], schema: Mapping[str, Any], value: object, at: str
) -> list[str]:
    """Check *value* against *schema*: refs, allOf/anyOf/oneOf, type, enum, required, items."""
    if value is None and schema.get("nullable"):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return violations(schemas, schemas[name], value, name)
    errors: list[str] = []
    for sub in schema.get("allOf", []):
        errors += violations(schemas, sub, value, at)
    for key in ("anyOf", "oneOf"):
        branches = [violations(schemas, sub, value, at) for sub in schema.get(key, [])]
        if branches and all(branches):
            errors.append(f"{at}: no {key} branch fits: {min(branches, key=len)}")
    kinds = schema.get("type")
    kinds = [] if kinds is None else kinds if isinstance(kinds, list) else [kinds]
    if kinds and not any(_TYPES[kind](value) for kind in kinds):
        return [*errors, f"{at}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    return errors + _member_violations(schemas, schema, value, at)


def _member_violations(
    schemas: Mapping[str, Any], schema: Mapping[str, Any], value: object, at: str
) -> list[str]:
    errors: list[str] = []
    if isinstance(value, dict):
        required = schema.get("required", [])
        errors += [f"{at}: missing {name!r}" for name in required if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value and not (value[name] is None and f"{at}.{name}" in KNOWN_NULLS):
                errors += violations(schemas, sub, value[name], f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for item in value:
            errors += violations(schemas, schema["items"], item, f"{at}[]")
    return errors


def fully_typed(value: object) -> None:
    """Fail if *value* (a model, or a list of them) holds an unknown object or undeclared field."""
    if isinstance(value, list):
        for item in value:
            fully_typed(item)
    elif isinstance(value, BaseModel):
        assert not isinstance(value, UnknownObject), value
        assert value.model_extra == {}, (type(value).__name__, value.model_extra)
        for name in type(value).__attrs_attrs__:  # type: ignore[attr-defined]
            if name.name != "model_extra":
                fully_typed(getattr(value, name.name))
