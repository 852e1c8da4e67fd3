"""Reading the spec: operations, their parameters, and the schemas they reach."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from .names import (
    BINARY_OPERATIONS,
    STREAMS,
    StreamDef,
    method_name_for,
    stream_method_name,
    type_area,
)
from .schema import (
    NONE,
    AliasDef,
    ClassDef,
    DictOf,
    FieldDef,
    ListOf,
    Ref,
    SchemaModel,
    TypeExpr,
    UnionOf,
    clean_doc,
    pascal,
    py_param_name,
)

REPO = Path(__file__).resolve().parents[2]
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
    location: str  # path, query, header, body, file (a file part), part (a typed form part)
    type: TypeExpr
    required: bool
    description: str
    deprecated: bool = False
    binary: str | None = None  # file parameters: "one" or "many"
    deep: bool = False  # an object in the query, sent as `name[key]=value`
    content_type: str | None = None  # a `part`: its multipart content type
    # A file field that may also be a reference object (`oneOf` [binary, object]) on an
    # operation that also takes an `application/json` body: the object's type.
    reference: TypeExpr | None = None


@dataclass
class Page:
    """How a list operation pages (the fields of `ListSpec`)."""

    cursor_param: str | None
    cursor_field: str | None
    has_more_field: str | None


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str  # without the query of the spec's path key
    spec_path: str  # the spec's path key (`/responses?beta=true`)
    tag: str
    summary: str
    description: str
    deprecated: bool
    resource: tuple[str, ...]
    name: str
    params: list[Param] = field(default_factory=list)
    fixed_query: dict[str, str] = field(default_factory=dict)  # from the path key
    body_schema: str | None = None  # the request body's definition name
    multipart: bool = False
    result_kind: str = "json"  # json, binary, text, empty
    result: TypeExpr | None = None
    list_item: TypeExpr | None = None  # list operations: the type of one item
    page: Page | None = None
    stream: StreamDef | None = None
    stream_event: TypeExpr | None = None
    # Headers every call sends (``OpenAI-Beta: assistants=v2``), see `beta_headers`.
    headers: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def area(self) -> str:
        return type_area(self.resource)

    @property
    def dotted(self) -> str:
        return ".".join((*self.resource, self.name))

    @property
    def stream_name(self) -> str | None:
        return stream_method_name(self.name) if self.stream is not None else None


def iter_operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation object), for every operation in the spec."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict) and "operationId" in op:
                out[op["operationId"]] = (method, path, op)
    return out


_BETA_HEADER = re.compile(r"OpenAI-Beta: ([A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+)")


def example_beta(op: dict[str, Any]) -> str | None:
    """The ``OpenAI-Beta`` value an operation's request examples send, if any.

    The spec states the beta opt-in only there (``curl ... -H "OpenAI-Beta: assistants=v2"``).
    """
    found = set(_BETA_HEADER.findall(str(op.get("x-oaiMeta") or {})))
    if len(found) > 1:
        msg = f"{op.get('operationId')}: several OpenAI-Beta values in its examples: {found}"
        raise ValueError(msg)
    return found.pop() if found else None


def beta_headers(operations: list[Operation]) -> None:
    """Set each operation's ``OpenAI-Beta`` header: its examples', else its group's.

    A group is a top-level resource (``vector_stores``, ``beta.threads``): a few of
    its operations have no example that shows the header, yet the API asks it of
    every one of them (the official SDK sends it on the whole group).
    """
    group_beta: dict[tuple[str, ...], str] = {}
    for op in operations:
        value = example_beta(op.raw)
        if value is not None:
            op.headers["openai-beta"] = value
            group_beta.setdefault(_group(op), value)
    for op in operations:
        value = group_beta.get(_group(op))
        if value is not None:
            op.headers.setdefault("openai-beta", value)


def _group(op: Operation) -> tuple[str, ...]:
    depth = 2 if op.resource[:1] == ("beta",) else 1
    return op.resource[:depth]


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


def webhook_events(spec: dict[str, Any]) -> list[str]:
    """The component schemas of the events the spec's webhooks deliver, in spec order."""
    out: list[str] = []
    for webhook in spec.get("webhooks", {}).values():
        content = (webhook["post"].get("requestBody") or {}).get("content") or {}
        name = _schema_name((content.get("application/json") or {}).get("schema") or {})
        if name is not None and name not in out:
            out.append(name)
    return out


def event_schemas(spec: dict[str, Any], prefix: str) -> list[str]:
    """The component schemas named ``prefix + ...`` with a single-valued ``type``, sorted.

    Raises:
        ValueError: None matches (the spec renamed them: fix `EVENT_UNIONS`).
    """
    out: list[str] = []
    for name, schema in spec["components"]["schemas"].items():
        if not name.startswith(prefix) or name == prefix:
            continue
        prop = (schema.get("properties") or {}).get("type") or {}
        values = [prop["const"]] if "const" in prop else prop.get("enum") or []
        if len(values) == 1:
            out.append(name)
    if not out:
        msg = f"no event schema is named {prefix}*"
        raise ValueError(msg)
    return sorted(out)


def _schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


_BINARY_MEDIA = ("application/octet-stream", "application/zip", "audio/", "image/", "video/")


def _is_page_schema(spec: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    name = _schema_name(schema or {})
    props = spec["components"]["schemas"].get(name, {}).get("properties", {}) if name else {}
    return bool(props.get("data", {}).get("type") == "array")


def singleton_paths(spec: dict[str, Any]) -> frozenset[str]:
    """Paths without a trailing id whose GET answers one object (not a page)."""
    out: set[str] = set()
    for path, item in spec["paths"].items():
        get = item.get("get")
        if not isinstance(get, dict) or path.split("?", 1)[0].endswith("}"):
            continue
        ok: dict[str, Any] = next(iter(_success_responses(get).values()), {})
        schema = ((ok.get("content") or {}).get("application/json") or {}).get("schema")
        if schema is not None and not _is_page_schema(spec, schema):
            out.add(path)
    return frozenset(out)


def _result(
    model: SchemaModel, operation_id: str, op: dict[str, Any]
) -> tuple[str, TypeExpr | None]:
    """(kind, type) of an operation's answer: json, binary (bytes), text or empty."""
    responses = _success_responses(op)
    ok: dict[str, Any] = next(iter(responses.values()), {}) if responses else {}
    content = {k: v for k, v in (ok.get("content") or {}).items() if k != "text/event-stream"}
    binary = [
        m
        for m, c in content.items()
        if m.startswith(_BINARY_MEDIA) or (c.get("schema") or {}).get("format") == "binary"
    ]
    json_schema = (content.get("application/json") or {}).get("schema")
    if operation_id in BINARY_OPERATIONS or binary:
        return "binary", None
    if json_schema is None and content:
        return "text", None  # e.g. `application/sdp`
    if json_schema is None:
        return "empty", None
    ctx = pascal(operation_id) + "Response"
    return "json", model.type_of(json_schema, ctx, _schema_name(json_schema) or operation_id)


def _page(query: set[str], fields: set[str]) -> Page:
    """How a list pages: ``after`` + ``last_id`` / ``next`` / the last item's id, or
    ``page`` + ``next_page``; no cursor at all (one page) otherwise."""
    if "after" in query:
        cursor_field = next((f for f in ("last_id", "next") if f in fields), None)
        return Page("after", cursor_field, "has_more" if "has_more" in fields else None)
    if "page" in query and "next_page" in fields:
        return Page("page", "next_page", "has_more" if "has_more" in fields else None)
    return Page(None, None, None)  # one page only (`models.list`)


def _stream_event(model: SchemaModel, stream: StreamDef) -> TypeExpr:
    """The type of one event (for an envelope stream, the envelope's union)."""
    return model.ref_type(stream.event)


def _is_object_type(model: SchemaModel, t: TypeExpr) -> bool:
    """Whether *t* is an object (a map or a model), possibly nullable."""
    if isinstance(t, UnionOf):
        members = [m for m in t.members if m != NONE]
        return len(members) == 1 and _is_object_type(model, members[0])
    if isinstance(t, DictOf):
        return True
    if isinstance(t, Ref):
        d = model.defs.get(t.name)
        return isinstance(d, ClassDef) or (
            isinstance(d, AliasDef) and _is_object_type(model, d.type)
        )
    return False


def _reference_type(model: SchemaModel, prop: dict[str, Any], ctx: str) -> TypeExpr | None:
    """The object member of a file-or-reference field (``oneOf`` [binary, object])."""
    prop = model.deref(prop)
    members = [m for key in ("oneOf", "anyOf") for m in prop.get(key, ())]
    objects = [
        m
        for m in members
        if model.binary_kind(m) is None
        and (model.deref(m).get("type") == "object" or model.deref(m).get("properties"))
    ]
    if len(objects) != 1 or len(objects) == len(members):
        return None
    return model.type_of(objects[0], ctx, ctx)


def build_operation(
    model: SchemaModel,
    operation_id: str,
    method: str,
    path: str,
    op: dict[str, Any],
    *,
    singletons: frozenset[str] = frozenset(),
) -> Operation:
    """Translate one operation (its schemas are translated on the way)."""
    kind, result = _result(model, operation_id, op)

    list_item: TypeExpr | None = None
    page_fields: set[str] = set()
    if isinstance(result, Ref) and method == "get":
        d = model.defs.get(result.name)
        if isinstance(d, ClassDef):
            names = {f.json_name: f for f in d.fields}
            data = names.get("data")
            if data is not None and isinstance(data.type, ListOf):
                list_item = data.type.item
                page_fields = set(names)

    resource, name = method_name_for(
        operation_id,
        method,
        path,
        returns_page=list_item is not None,
        singleton=path in singletons,
    )
    tags = op.get("tags") or ["(none)"]
    bare_path, _, fixed = path.partition("?")
    out = Operation(
        operation_id=operation_id,
        method=method.upper(),
        path=bare_path,
        spec_path=path,
        tag=tags[0],
        summary=clean_doc(op.get("summary")),
        description=clean_doc(op.get("description")),
        deprecated=bool(op.get("deprecated")),
        resource=resource,
        name=name,
        fixed_query=dict(parse_qsl(fixed)),
        result_kind=kind,
        result=result,
        list_item=list_item,
        raw=op,
    )

    for raw_param in op.get("parameters") or ():
        p = model.deref(raw_param) if "$ref" in raw_param else raw_param
        if p["in"] not in ("path", "query", "header"):
            continue
        schema = p.get("schema") or {}
        py_name = schema.get("x-stainless-param") or py_param_name(p["name"])
        ctx = pascal(operation_id) + pascal(py_name)
        t = model.type_of(schema, ctx, operation_id)
        out.params.append(
            Param(
                json_name=p["name"],
                py_name=py_name,
                location=p["in"],
                type=t,
                required=bool(p.get("required")) or p["in"] == "path",
                description=clean_doc(p.get("description") or model.description_of(schema)),
                deprecated=bool(p.get("deprecated")),
                deep=p["in"] == "query" and _is_object_type(model, t),
            )
        )

    body = op.get("requestBody")
    if body:
        body = model.deref(body) if "$ref" in body else body
        body_content = body.get("content") or {}
        # Multipart when offered (it carries files: `containers.files.create` takes either),
        # else JSON; `create-realtime-call` also takes a bare `application/sdp` body.
        media = next(
            (m for m in ("multipart/form-data", "application/json") if m in body_content),
            next(iter(body_content), None),
        )
        media_type = body_content.get(media) or {}
        schema = media_type.get("schema") or {}
        encoding = media_type.get("encoding") or {}
        name_ = _schema_name(schema)
        fields: list[FieldDef] = []
        if name_ is not None:
            out.body_schema = model.ensure(name_)
            d = model.defs.get(out.body_schema)
            fields = d.fields if isinstance(d, ClassDef) else []
        elif schema.get("properties"):
            fields = model.fields_of(schema, pascal(operation_id) + "Body", operation_id)
        out.multipart = media == "multipart/form-data"
        raw_props: dict[str, Any] = {}
        if out.multipart and "application/json" in body_content:
            raw_props = model.merged_properties(model.deref(schema))[0]
        for f in fields:
            location = "body"
            content_type = None
            reference = None
            if out.multipart and f.binary:
                location = "file"
                if f.binary == "one" and f.json_name in raw_props:
                    reference = _reference_type(
                        model, raw_props[f.json_name], pascal(operation_id) + pascal(f.json_name)
                    )
            elif out.multipart and f.json_name in encoding:
                location, content_type = "part", encoding[f.json_name].get("contentType")
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
                    content_type=content_type,
                    reference=reference,
                )
            )
        references = [p for p in out.params if p.reference is not None]
        uploads = [p for p in out.params if p.location in ("file", "part")]
        if references and len(uploads) > 1:
            msg = f"{operation_id}: a file-or-reference field next to other multipart parts"
            raise ValueError(msg)

    if list_item is not None:
        query = {p.json_name for p in out.params if p.location == "query"}
        out.page = _page(query, page_fields)

    stream = STREAMS.get(operation_id)
    if stream is not None:
        out.stream = stream
        out.stream_event = _stream_event(model, stream)
        switch = next((p for p in out.params if p.json_name == stream.switch[0]), None)
        if switch is None:
            msg = f"{operation_id}: no `{stream.switch[0]}` parameter to ask for a stream"
            raise ValueError(msg)
    return out
