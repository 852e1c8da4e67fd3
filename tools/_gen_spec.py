"""Reading the spec: operations, their parameters, and the schemas they reach."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from _gen_names import BINARY_OPERATIONS, STREAMS, method_name_for
from _gen_schema import (
    ClassDef,
    ListOf,
    Ref,
    SchemaModel,
    TypeExpr,
    clean_doc,
    pascal,
    py_param_name,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = REPO.parent / "shared/openapi/openai-openapi.yaml"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def spec_path() -> Path:
    return Path(os.environ.get("OPENAI_OPENAPI_SPEC") or DEFAULT_SPEC)


def load_spec(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=loader)
    return spec


@dataclass
class Param:
    json_name: str
    py_name: str
    location: str  # path, query, body, file
    type: TypeExpr
    required: bool
    description: str
    deprecated: bool = False
    binary: str | None = None  # file parameters: "one" or "many"


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str
    summary: str
    description: str
    deprecated: bool
    resource: tuple[str, ...]
    name: str
    params: list[Param] = field(default_factory=list)
    body_schema: str | None = None  # the request body's definition name
    multipart: bool = False
    result_kind: str = "json"  # json, binary, empty
    result: TypeExpr | None = None
    list_item: TypeExpr | None = None  # list operations: the type of one item
    list_fields: frozenset[str] = frozenset()  # fields of the page object
    stream_event: TypeExpr | None = None
    stream_end: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def area(self) -> str:
        return self.resource[0]


def iter_operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation object), for every operation in the spec."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict) and "operationId" in op:
                out[op["operationId"]] = (method, path, op)
    return out


def _collect_refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-oaiMeta":
                continue
            if key == "$ref" and isinstance(value, str):
                out.add(value)
            else:
                _collect_refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect_refs(value, out)


def _success_responses(op: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (op.get("responses") or {}).items() if str(k).startswith("2")}


def reached_schemas(spec: dict[str, Any], op: dict[str, Any], extra: tuple[str, ...]) -> set[str]:
    """The component schemas an operation reaches (parameters, body, 2xx answers)."""
    roots: set[str] = set()
    _collect_refs(op.get("parameters"), roots)
    _collect_refs(op.get("requestBody"), roots)
    _collect_refs(_success_responses(op), roots)
    roots |= {f"#/components/schemas/{name}" for name in extra}
    schemas = spec["components"]["schemas"]
    seen: set[str] = set()
    stack = [r for r in roots if r.startswith("#/components/schemas/")]
    while stack:
        name = stack.pop().rsplit("/", 1)[-1]
        if name in seen:
            continue
        seen.add(name)
        refs: set[str] = set()
        _collect_refs(schemas[name], refs)
        stack.extend(r for r in refs if r.startswith("#/components/schemas/"))
    return seen


def _schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def build_operation(
    model: SchemaModel, operation_id: str, method: str, path: str, op: dict[str, Any]
) -> Operation:
    """Translate one operation (its schemas are translated on the way)."""
    responses = _success_responses(op)
    ok = next(iter(responses.values()), {}) if responses else {}
    content = ok.get("content") or {}
    json_schema = (content.get("application/json") or {}).get("schema")
    result: TypeExpr | None = None
    kind = "json"
    if operation_id in BINARY_OPERATIONS or (
        json_schema is None and any(not c.startswith("text/event-stream") for c in content)
    ):
        kind = "binary"
    elif json_schema is None:
        kind = "empty"
    else:
        ctx = pascal(operation_id) + "Response"
        result = model.type_of(json_schema, ctx, _schema_name(json_schema) or operation_id)

    list_item: TypeExpr | None = None
    list_fields: frozenset[str] = frozenset()
    if isinstance(result, Ref) and method == "get":
        d = model.defs.get(result.name)
        if isinstance(d, ClassDef):
            names = {f.json_name: f for f in d.fields}
            data = names.get("data")
            if data is not None and isinstance(data.type, ListOf):
                list_item = data.type.item
                list_fields = frozenset(names)

    resource, name = method_name_for(operation_id, method, path, returns_page=list_item is not None)
    tags = op.get("tags") or ["(none)"]
    out = Operation(
        operation_id=operation_id,
        method=method.upper(),
        path=path.split("?", 1)[0],
        tag=tags[0],
        summary=clean_doc(op.get("summary")),
        description=clean_doc(op.get("description")),
        deprecated=bool(op.get("deprecated")),
        resource=resource,
        name=name,
        result_kind=kind,
        result=result,
        list_item=list_item,
        list_fields=list_fields,
        raw=op,
    )

    for raw_param in op.get("parameters") or ():
        p = model.deref(raw_param) if "$ref" in raw_param else raw_param
        if p["in"] not in ("path", "query"):
            continue
        schema = p.get("schema") or {}
        ctx = pascal(operation_id) + pascal(py_param_name(p["name"]))
        out.params.append(
            Param(
                json_name=p["name"],
                py_name=py_param_name(p["name"]),
                location=p["in"],
                type=model.type_of(schema, ctx, operation_id),
                required=bool(p.get("required")) or p["in"] == "path",
                description=clean_doc(p.get("description") or model.description_of(schema)),
                deprecated=bool(p.get("deprecated")),
            )
        )

    body = op.get("requestBody")
    if body:
        body = model.deref(body) if "$ref" in body else body
        body_content = body.get("content") or {}
        media = next(iter(body_content), None)
        schema = (body_content.get(media) or {}).get("schema") or {}
        name_ = _schema_name(schema)
        if name_ is not None:
            out.body_schema = model.ensure(name_)
        out.multipart = media == "multipart/form-data"
        d = model.defs.get(out.body_schema or "")
        if isinstance(d, ClassDef):
            for f in d.fields:
                location = "file" if out.multipart and f.binary else "body"
                out.params.append(
                    Param(
                        json_name=f.json_name,
                        py_name=py_param_name(f.json_name),
                        location=location,
                        type=f.type,
                        required=f.required,
                        description=f.description,
                        deprecated=f.deprecated,
                        binary=f.binary,
                    )
                )

    if operation_id in STREAMS:
        event_schema, end = STREAMS[operation_id]
        out.stream_event = model.ref_type(event_schema)
        out.stream_end = end
    return out
