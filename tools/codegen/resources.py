"""Writing ``trio_openai/resources/``: one module per top-level resource, plus ``_root.py``.

A generated method only builds a spec (`RequestSpec`, `ListSpec`, `StreamSpec`)
and is bound to the client by a decorator from ``_endpoint.py``. Types are
imported under ``TYPE_CHECKING`` for the signatures and lazily inside the method
for the decoder, so importing a resource module never imports ``types``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .names import DEPRECATED_TAGS, RESOURCE_MIXINS, ROOT_PROPERTIES, TEXT_RESULTS
from .schema import (
    AliasDef,
    ClassDef,
    DictOf,
    ListOf,
    Lit,
    Prim,
    Ref,
    TypeExpr,
    UnionOf,
    pascal,
    summarize,
)
from .spec import Operation, Param
from .types import TypesWriter, doc_lines, docstring

# Names a signature uses that are imported directly, not from `types`.
_NOT_TYPES = frozenset({"Mapping", "Sequence", "Any", "Literal", "cast", "builtins"})
STANDARD_ARGS = ("extra_headers", "extra_query", "extra_body", "timeout")
STANDARD_DOCS = [
    'extra_headers: Extra HTTP headers for this call (``""`` removes a default header).',
    "extra_query: Extra query parameters for this call.",
    "extra_body: Extra JSON body fields for this call, merged over the generated ones.",
    "timeout: A timeout in seconds for this call's network phases, instead of the client's.",
]


@dataclass
class Node:
    path: tuple[str, ...]
    class_name: str = ""
    children: dict[str, Node] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)

    @property
    def module(self) -> str:
        return self.path[0]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def build_tree(operations: list[Operation]) -> dict[str, Node]:
    """Top-level nodes of the resource tree, class names unique within each module."""
    roots: dict[str, Node] = {}
    for op in operations:
        node: Node | None = None
        for i, seg in enumerate(op.resource):
            level = roots if node is None else node.children
            node = level.setdefault(seg, Node(op.resource[: i + 1]))
        assert node is not None
        node.operations.append(op)

    def walk(node: Node) -> list[Node]:
        out = [node]
        for child in node.children.values():
            out.extend(walk(child))
        return out

    for root in roots.values():
        nodes = walk(root)
        names: dict[str, list[Node]] = {}
        for n in nodes:
            names.setdefault(pascal(n.path[-1]), []).append(n)
        for short, group in names.items():
            # Same last segment: name each after its path below the prefix they share
            # (`admin.organization.roles` -> `Roles`, `...projects.roles` -> `ProjectsRoles`).
            paths = [n.path[1:] or n.path for n in group]
            common = 0
            while len(group) > 1 and all(
                len(p) > common + 1 and p[common] == paths[0][common] for p in paths
            ):
                common += 1
            for n, p in zip(group, paths, strict=True):
                n.class_name = short if len(group) == 1 else pascal("_".join(p[common:]))
    return dict(sorted(roots.items()))


def _import_order(name: str) -> tuple[int, str]:
    """isort's order inside one import: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


class ResourcesWriter:
    def __init__(self, types: TypesWriter) -> None:
        self.types = types
        self.model = types.model

    def _types_module(self, name: str) -> str:
        """Where a type name is imported from, relative to ``resources/``."""
        if name == "UnknownObject":
            return ".._models"
        return f"..types.{self.types.module_of[name]}"

    # -- parameter types

    def _object_alias(self, name: str) -> bool:
        d = self.model.defs.get(name)
        return isinstance(d, AliasDef) and self.types.is_object_union(d.type)

    def _needs_expansion(self, t: TypeExpr) -> bool:
        if isinstance(t, Ref):
            d = self.model.defs.get(t.name)
            return isinstance(d, ClassDef) or (
                isinstance(d, AliasDef) and self._needs_expansion(d.type)
            )
        if isinstance(t, ListOf | DictOf):
            return True
        if isinstance(t, UnionOf):
            return any(self._needs_expansion(m) for m in t.members)
        return False

    def param_parts(self, t: TypeExpr, used: set[str]) -> list[str]:
        """The union members of a parameter type: models also accept a plain mapping."""
        if isinstance(t, Prim):
            if t.name == "Any":
                used.add("Any")
            return [t.name]
        if isinstance(t, Lit):
            return [self.types.render(t, used)]
        if isinstance(t, Ref):
            d = self.model.defs.get(t.name)
            if isinstance(d, ClassDef) or self._object_alias(t.name):
                used.update((t.name, "Mapping", "Any"))
                return [t.name, "Mapping[str, Any]"]
            if isinstance(d, AliasDef) and self._needs_expansion(d.type):
                return self.param_parts(d.type, used)
            used.add(t.name)
            return [t.name]
        if isinstance(t, ListOf):
            used.add("Sequence")
            return [f"Sequence[{self.param_type(t.item, used)}]"]
        if isinstance(t, DictOf):
            used.add("Mapping")
            return [f"Mapping[str, {self.param_type(t.value, used)}]"]
        parts: list[str] = []
        for m in t.members:
            if m == Prim("None"):
                continue
            for p in self.param_parts(m, used):
                if p not in parts:
                    parts.append(p)
        if Prim("None") in t.members:
            parts.append("None")
        return parts

    def param_type(self, t: TypeExpr, used: set[str]) -> str:
        parts = self.param_parts(t, used)
        tail = [p for p in ("Mapping[str, Any]", "None") if p in parts]
        return " | ".join([p for p in parts if p not in tail] + tail)

    # -- modules

    def write_module(self, root: Node, header: str) -> str:
        used: set[str] = set()
        runtime: set[str] = set()
        classes: list[str] = []

        def emit(node: Node) -> None:
            classes.append(self._resource_class(node, used, runtime))
            for child in node.children.values():
                emit(child)

        emit(root)
        return self._module_text(
            header,
            f'"""The ``{root.dotted}`` resource (generated from the OpenAPI spec)."""',
            classes,
            used,
            runtime,
            _all_nodes(root),
        )

    def write_root(self, roots: dict[str, Node], header: str) -> str:
        lines = [
            "class RootResources(ResourceTree[M]):",
            '    """The top of the API tree: ``client.chat``, ``client.files``, ..."""',
            "",
            "    __slots__ = ()",
        ]
        tc: list[str] = []
        clash = sorted(set(ROOT_PROPERTIES) & set(roots))
        if clash:
            msg = f"ROOT_PROPERTIES {clash} are also generated resources"
            raise ValueError(msg)
        extra = dict(ROOT_PROPERTIES)
        for name in sorted({*roots, *extra}):
            lines.append("")
            if name in roots:
                node = roots[name]
                lines.extend(self._child_property(name, node))
                tc.append(f"    from .{node.module} import {node.class_name}")
            else:
                prop = extra[name]
                lines += [
                    "    @property",
                    f"    def {name}(self) -> {prop.name}[M]:",
                    f'        """{prop.doc}"""',
                    f'        child: {prop.name}[M] = self._child("{name}", ".{prop.module}", '
                    f'"{prop.name}")',
                    "        return child",
                ]
                tc.append(f"    from ..{prop.module} import {prop.name}")
        return "\n".join(
            [
                header,
                '"""The client\'s top-level resources (generated from the OpenAPI spec)."""',
                "",
                "from __future__ import annotations",
                "",
                "from typing import TYPE_CHECKING",
                "",
                "from .._api import M, ResourceTree",
                "",
                "if TYPE_CHECKING:",
                *sorted(tc),
                "",
                '__all__ = ["RootResources"]',
                "",
                "",
                *lines,
                "",
            ]
        )

    def write_operations(self, operations: list[Operation], header: str) -> str:
        """``resources/_operations.py``: every operation and the method that implements it."""
        rows = []
        for op in sorted(operations, key=lambda o: o.operation_id):
            stream = f'"{".".join((*op.resource, op.stream_name))}"' if op.stream_name else "None"
            decoded = []
            result = self._decoded_as(op.result) if op.result_kind == "json" else None
            if result is not None:
                decoded.append(f'result="{result}"')
            event = self._decoded_as(op.stream_event) if op.stream is not None else None
            if event is not None:
                decoded.append(f'event="{event}"')
            if op.stream is not None and op.stream.envelope:
                decoded.append("envelope=True")
            rows.append(
                f'    "{op.operation_id}": Operation("{op.method}", "{op.spec_path}", '
                f'"{op.dotted}", {", ".join([stream, *decoded])}),'
            )
        return "\n".join(
            [
                header,
                '"""Every operation of the spec and the method that implements it (generated).',
                "",
                "``tools/coverage.py`` checks this table against the spec and the client tree.",
                '"""',
                "",
                "from __future__ import annotations",
                "",
                "from typing import NamedTuple",
                "",
                '__all__ = ["OPERATIONS", "Operation"]',
                "",
                "",
                "class Operation(NamedTuple):",
                '    """One operation of the spec.',
                "",
                "    Attributes:",
                "        method: The HTTP method.",
                "        path: The spec's path key, query included (``/responses?beta=true``).",
                "        python: The method below the client (``chat.completions.create``).",
                "        stream: Its streaming twin (``chat.completions.stream``), if any.",
                "        result: The type a JSON answer decodes into: names in",
                "            `trio_openai.types` joined by `` | `` (None: no JSON answer).",
                "        event: The type one streamed event decodes into (the same form),",
                "            if the operation streams.",
                '        envelope: A streamed event is decoded as ``{"event": <SSE event',
                '            name>, "data": <payload>}`` (the Assistants run streams).',
                '    """',
                "",
                "    method: str",
                "    path: str",
                "    python: str",
                "    stream: str | None",
                "    result: str | None = None",
                "    event: str | None = None",
                "    envelope: bool = False",
                "",
                "",
                "OPERATIONS: dict[str, Operation] = {",
                *rows,
                "}",
                '"""operationId -> `Operation`, for every operation generated."""',
                "",
            ]
        )

    def _decoded_as(self, t: TypeExpr | None) -> str | None:
        """*t* as names in `trio_openai.types` joined by ``|`` (None: not only names)."""
        if t is None:
            return None
        expr = self.types.render(t, set())
        names = expr.split(" | ")
        if all(n == "UnknownObject" or n in self.types.module_of for n in names):
            return expr
        return None

    def _child_property(self, name: str, node: Node) -> list[str]:
        return [
            "    @property",
            f"    def {name}(self) -> {node.class_name}[M]:",
            f'        """The ``{node.dotted}`` methods."""',
            f"        child: {node.class_name}[M] = self._child(",
            f'            "{name}", ".resources.{node.module}", "{node.class_name}"',
            "        )",
            "        return child",
        ]

    def _module_text(
        self,
        header: str,
        doc: str,
        classes: list[str],
        used: set[str],
        runtime: set[str],
        nodes: list[Node],
    ) -> str:
        imports = ["from __future__ import annotations", ""]
        if "builtins" in used:
            imports.append("import builtins")
        abc = sorted(n for n in ("Mapping", "Sequence") if n in used)
        if abc:
            imports.append(f"from collections.abc import {', '.join(abc)}")
        typing_names = [
            "TYPE_CHECKING",
            *sorted(n for n in ("Any", "Literal", "cast") if n in used),
        ]
        imports.append(f"from typing import {', '.join(typing_names)}")
        imports.append("")
        # Every runtime name comes from the one import surface of generated code.
        api = sorted(
            n
            for n in (
                "ListSpec",
                "RequestSpec",
                "StreamSpec",
                "api_method",
                "binary_method",
                "body_of",
                "deep_object",
                "form_part",
                "list_method",
                "path_param",
                "query_of",
                "stream_method",
            )
            if n in runtime
        )
        api += ["Body", "Headers", "M", "NOT_GIVEN", "NotGiven", "Query", "Resource"]
        imports.append(f"from .._api import {', '.join(sorted(api, key=_import_order))}")
        # Hand-written bases (RESOURCE_MIXINS): runtime imports.
        mixins = {(m.module, m.name) for n in nodes for m in RESOURCE_MIXINS.get(n.path, ())}
        imports.extend(f"from ..{module} import {name}" for module, name in sorted(mixins))
        tc: dict[str, set[str]] = {}
        local = {n.class_name for n in nodes}
        for name in used:
            if name in _NOT_TYPES or name in local:
                continue
            if name in {"FileInput", "BinaryResponse"}:
                tc.setdefault("from .._api", set()).add(name)
            elif name in self.types.module_of or name == "UnknownObject":
                tc.setdefault(f"from {self._types_module(name)}", set()).add(name)
        if tc:
            imports.append("")
            imports.append("if TYPE_CHECKING:")
            imports.extend(f"    {mod} import {', '.join(sorted(tc[mod]))}" for mod in sorted(tc))
        all_names = sorted(n.class_name for n in nodes)
        return "\n".join(
            [
                header,
                doc,
                "",
                *imports,
                "",
                "__all__ = [",
                *(f'    "{n}",' for n in all_names),
                "]",
                "",
                "",
                "\n\n".join(classes),
            ]
        )

    def _resource_class(self, node: Node, used: set[str], runtime: set[str]) -> str:
        doc = f"The ``{node.dotted}`` methods."
        tags = {op.tag for op in node.operations}
        notes = [DEPRECATED_TAGS[t] for t in sorted(tags) if t in DEPRECATED_TAGS]
        bases = [m.name for m in RESOURCE_MIXINS.get(node.path, ())]
        if bases:
            added = ", ".join(
                f"``{m}``" for mixin in RESOURCE_MIXINS[node.path] for m in mixin.methods
            )
            doc += f" Hand-written: {added}."
        lines = [
            f"class {node.class_name}({', '.join([*bases, 'Resource[M]'])}):",
            docstring([doc, *(["", *doc_lines(notes[0])] if notes else [])], "    ").rstrip("\n"),
            "",
            "    __slots__ = ()",
        ]
        for name, child in node.children.items():
            lines.append("")
            lines.extend(self._child_property(name, child))
        for op in node.operations:
            lines.append("")
            lines.extend(self._method(op, used, runtime, stream=False))
            if op.stream is not None:
                lines.append("")
                lines.extend(self._method(op, used, runtime, stream=True))
        return "\n".join(lines) + "\n"

    # -- methods

    def method_params(self, op: Operation, *, stream: bool) -> list[Param]:
        """The parameters of a method, in signature order.

        As in the official SDK, the last path parameter (``run_id`` of
        ``/threads/{thread_id}/runs/{run_id}``) is the one positional argument; the
        other path parameters and the required ones come next, keyword-only, then
        the optional ones.
        """
        switch = op.stream.switch[0] if op.stream is not None else None
        params = [p for p in op.params if not (stream and p.json_name == switch)]
        seen: set[str] = set()
        for p in params:
            if p.py_name in STANDARD_ARGS or p.py_name == "self" or p.py_name in seen:
                msg = f"{op.operation_id}: parameter {p.py_name!r} clashes with another argument"
                raise ValueError(msg)
            seen.add(p.py_name)
        path_params = sorted(
            (p for p in params if p.location == "path"),
            key=lambda p: op.path.index("{" + p.json_name + "}"),
        )
        others = sorted((p for p in params if p.location != "path"), key=lambda p: not p.required)
        return path_params[-1:] + path_params[:-1] + others

    def result_expr(self, op: Operation, used: set[str], *, stream: bool) -> str:
        """The type a method's call gives (an event type for a stream)."""
        if stream:
            assert op.stream_event is not None
            return self.types.render(op.stream_event, used)
        if op.result_kind == "binary":
            return "BinaryResponse"
        if op.result_kind == "text":
            return "str"
        if op.result_kind == "empty" or op.result is None:
            return "None"
        rendered = self.types.render(op.result, used)
        return f"{rendered} | str" if op.operation_id in TEXT_RESULTS else rendered

    def _method(
        self, op: Operation, used: set[str], runtime: set[str], *, stream: bool
    ) -> list[str]:
        name = (op.stream_name if stream else op.name) or op.name
        dotted = ".".join((*op.resource, name))
        params = self.method_params(op, stream=stream)
        path_params = [p for p in params if p.location == "path"]
        sig = ["        self,", *(f"        {p.py_name}: str," for p in path_params[:1])]
        sig.append("        *,")
        sig.extend(f"        {p.py_name}: str," for p in path_params[1:])
        sig.extend(
            f"        {p.py_name}: {self._annotation(op, p, used, stream=stream)},"
            for p in params
            if p.location != "path"
        )
        sig += [
            "        extra_headers: Headers | None = None,",
            "        extra_query: Query | None = None,",
            "        extra_body: Body | None = None,",
            "        timeout: float | None | NotGiven = NOT_GIVEN,",
        ]

        result_names: set[str] = set()
        result_expr = self.result_expr(op, result_names, stream=stream)
        item_expr = None
        if op.list_item is not None and not stream:
            item_expr = self.types.render(op.list_item, result_names)
        result_names -= {"Any", "Literal"}
        used.update(result_names)
        if result_expr == "BinaryResponse":
            used.add("BinaryResponse")

        if stream:
            returns = f"StreamSpec[{result_expr}]"
            decorator = "stream_method"
            runtime.update(("StreamSpec", "RequestSpec"))
        elif item_expr is not None:
            returns = f"ListSpec[{item_expr}]"
            decorator = "list_method"
            runtime.update(("ListSpec", "RequestSpec"))
        else:
            returns = f"RequestSpec[{result_expr}]"
            # Binary answers get their own decorator: the sync tree wraps them.
            decorator = "binary_method" if result_expr == "BinaryResponse" else "api_method"
            runtime.add("RequestSpec")
        runtime.add(decorator)

        out = [f"    @{decorator}", f"    def {name}(", *sig, f"    ) -> {returns}:"]
        out.append(docstring(self.doc(op, stream=stream), "        ").rstrip("\n"))

        body: list[str] = []
        if op.stream is not None and not stream:
            body += self._refuse_stream(op, dotted, used)
        # A file-or-reference field: its reference class is checked at run time.
        reference = next((p for p in params if p.reference is not None), None)
        reference_names: set[str] = set()
        if reference is not None:
            assert reference.reference is not None
            reference_class = self.types.render(reference.reference, reference_names)
            used.update(reference_names)
        lazy: dict[str, set[str]] = {}
        for n in sorted(result_names | reference_names):
            lazy.setdefault(self._types_module(n), set()).add(n)
        if result_expr == "BinaryResponse":
            lazy.setdefault(".._api", set()).add("BinaryResponse")
        if lazy:
            body.append(
                "        # Imported here, not at the top: importing resources never imports types."
            )
        for mod in sorted(lazy):
            body.append(f"        from {mod} import {', '.join(sorted(lazy[mod]))}")
        body.append("")

        switch_key, switch_value = op.stream.switch if op.stream is not None else ("", None)
        switch_param = next((p for p in op.params if stream and p.json_name == switch_key), None)
        switch_text = (
            json.dumps(switch_value) if isinstance(switch_value, str) else repr(switch_value)
        )

        headers = [p for p in params if p.location == "header"]
        for p in headers:
            value = p.py_name
            if isinstance(p.type, ListOf):
                value = f'",".join({p.py_name})'
            elif p.type != Prim("str"):
                value = f"str({p.py_name})"
            guard = "" if p.required else f"        if not isinstance({p.py_name}, NotGiven):\n    "
            body.append(
                f"{guard}        extra_headers = "
                f'{{"{p.json_name}": {value}, **(extra_headers or {{}})}}'
            )

        path_expr = json.dumps(op.path)
        if path_params:
            runtime.add("path_param")
            path_text = op.path
            for p in path_params:
                path_text = path_text.replace(
                    "{" + p.json_name + "}",
                    "{path_param(" + repr(p.json_name) + ", " + p.py_name + ")}",
                )
            path_expr = 'f"' + path_text + '"'
        request_args = [f'method="{op.method}"', f"path={path_expr}"]
        request_args.append(f"result={result_expr}")

        query_items = [f'"{k}": "{v}"' for k, v in op.fixed_query.items()]
        for p in params:
            if p.location != "query":
                continue
            if p.deep:
                runtime.add("deep_object")
                query_items.append(f'**deep_object("{p.json_name}", {p.py_name})')
            else:
                query_items.append(f'"{p.json_name}": {p.py_name}')
        if switch_param is not None and switch_param.location == "query":
            query_items.append(f'"{switch_key}": {switch_text}')
        if query_items:
            runtime.add("query_of")
            request_args.append(f"query=query_of({{{', '.join(query_items)}}})")

        fields = [f'"{p.json_name}": {p.py_name}' for p in params if p.location == "body"]
        if switch_param is not None and switch_param.location == "body":
            fields.append(f'"{switch_key}": {switch_text}')
        if fields:
            runtime.add("body_of")

        if reference is not None:
            if stream or item_expr is not None or op.result_kind != "json":
                msg = f"{op.operation_id}: a file-or-reference field on a non-JSON operation"
                raise ValueError(msg)
            # A reference object, not a file: the spec's `application/json` body.
            used.add("Mapping")
            json_fields = [*fields, f'"{reference.json_name}": {reference.py_name}']
            json_args = [
                *request_args,
                f"body=body_of({{{', '.join(json_fields)}}})",
                "files=None",
                *(f"{a}={a}" for a in STANDARD_ARGS),
            ]
            runtime.add("body_of")
            body += [
                f"        if isinstance({reference.py_name}, (Mapping, {reference_class})):",
                "            # A reference object, not a file: sent as the JSON body.",
                f"            return RequestSpec({', '.join(json_args)})",
            ]
            if fields:
                request_args.append(f"body=body_of({{{', '.join(fields)}}})")
        elif fields:
            request_args.append(f"body=body_of({{{', '.join(fields)}}})")

        files = [p for p in params if p.location in ("file", "part")]

        def part(p: Param) -> str:
            if p.location == "part":
                runtime.add("form_part")
                return f'form_part({p.py_name}, "{p.content_type}")'
            return p.py_name

        if files and all(p.required for p in files):
            items = ", ".join(f'"{p.json_name}": {part(p)}' for p in files)
            request_args.append(f"files={{{items}}}")
        elif files:
            # Optional files are left out when NOT_GIVEN (the mapping's type has no NotGiven).
            used.add("FileInput")
            items = ", ".join(f'"{p.json_name}": {part(p)}' for p in files if p.required)
            body.append(
                f"        upload_files: dict[str, FileInput | list[FileInput]] = {{{items}}}"
            )
            for p in files:
                if not p.required:
                    body += [
                        f"        if not isinstance({p.py_name}, NotGiven):",
                        f'            upload_files["{p.json_name}"] = {part(p)}',
                    ]
            request_args.append("files=upload_files")
        if op.result_kind != "json" and not stream:
            request_args.append(f'kind="{op.result_kind}"')
        elif op.operation_id in TEXT_RESULTS and not stream:
            key, values = TEXT_RESULTS[op.operation_id]
            p = next(p for p in params if p.json_name == key)
            request_args.append(f'kind="text" if {p.py_name} in {values!r} else "json"')
        request_args += [f"{a}={a}" for a in STANDARD_ARGS]
        request = "RequestSpec(" + ", ".join(request_args) + ")"
        if stream:
            assert op.stream is not None
            extra = ""
            if op.stream.terminal:
                extra += f", terminal=frozenset({sorted(op.stream.terminal)!r})"
            if op.stream.envelope:
                extra += ", envelope=True"
            body.append(
                f"        return StreamSpec(request={request}, event={result_expr}, "
                f'end="{op.stream.end}"{extra})'
            )
        elif item_expr is not None:
            assert op.page is not None
            page = op.page
            body.append(
                f"        return ListSpec(request={request}, item={item_expr}, "
                f'items_field="data", cursor_param={_opt(page.cursor_param)}, '
                f"cursor_field={_opt(page.cursor_field)}, "
                f"has_more_field={_opt(page.has_more_field)})"
            )
        else:
            body.append(f"        return {request}")
        return out + body

    def _refuse_stream(self, op: Operation, dotted: str, used: set[str]) -> list[str]:
        """Code that refuses the streaming value of the switch on the non-streaming method."""
        assert op.stream is not None
        key, value = op.stream.switch
        p = next(p for p in op.params if p.json_name == key)
        twin = ".".join((*op.resource, op.stream_name or ""))
        used.add("cast")
        test = "is True" if value is True else f"== {json.dumps(value)}"
        return [
            f'        if cast("object", {p.py_name}) {test}:  # untyped callers may pass it',
            f'            msg = "{dotted}() does not stream; use {twin}(...) as `async with '
            f'... as events:`"',
            "            raise TypeError(msg)",
        ]

    def _annotation(self, op: Operation, p: Param, used: set[str], *, stream: bool) -> str:
        if p.location == "file":
            used.add("FileInput")
            t = "FileInput"
            if p.reference is not None:
                used.update(("Mapping", "Any"))
                t = f"FileInput | {self.types.render(p.reference, used)} | Mapping[str, Any]"
            if p.binary == "many":
                used.add("builtins")  # `list` may be a method name in the class body
                t = "FileInput | builtins.list[FileInput]"
            return t if p.required else f"{t} | NotGiven = NOT_GIVEN"
        if op.stream is not None and not stream and p.json_name == op.stream.switch[0]:
            value = op.stream.switch[1]
            if value is True:
                used.add("Literal")
                return "Literal[False] | None | NotGiven = NOT_GIVEN"
            kept = self._without_value(p.type, value)
            return f"{self.param_type(kept, used)} | NotGiven = NOT_GIVEN"
        t = self.param_type(p.type, used)
        if p.required:
            return t
        return f"{t} | NotGiven = NOT_GIVEN"

    @staticmethod
    def _without_value(t: TypeExpr, value: object) -> TypeExpr:
        """*t* without the literal *value* (``Literal["sse", "audio"]`` -> ``Literal["audio"]``)."""
        if isinstance(t, Lit) and value in t.values and len(t.values) > 1:
            return Lit(tuple(v for v in t.values if v != value))
        if isinstance(t, UnionOf):
            return UnionOf(tuple(ResourcesWriter._without_value(m, value) for m in t.members))
        return t

    def doc(self, op: Operation, *, stream: bool) -> list[str]:
        """The docstring lines of a method (the API reference pages reuse them)."""
        # The summary line: the first sentence of the spec's summary (up to its first
        # line break: some summaries run on without a period).
        head, _, tail = (op.summary.strip() or op.operation_id).partition("\n")
        first, _, rest = " ".join(head.split()).partition(". ")
        first = first.rstrip(".") + "."
        rest = " ".join(x for x in (rest, " ".join(tail.split())) if x)
        lines = [first]
        more = " ".join(x for x in (rest, op.description) if x)
        if more:
            lines += ["", *doc_lines(summarize(more, 900))]
        notes: list[str] = []
        if stream:
            assert op.stream is not None
            notes.append(
                "Streams the answer: use as ``async with ... as events:`` and iterate the "
                f"events. {_end_text(op)}"
            )
        if op.fixed_query:
            ga = ".".join((*op.resource[1:], op.name))
            query = "&".join(f"{k}={v}" for k, v in op.fixed_query.items())
            notes.append(
                f"Beta: the spec's ``{op.method} {op.path}?{query}`` variant of ``{ga}``, "
                "with its own ``Beta*`` types and the ``openai-beta`` header (``betas``)."
            )
        if op.operation_id in TEXT_RESULTS and not stream:
            key, values = TEXT_RESULTS[op.operation_id]
            shown = ", ".join(f"``{v}``" for v in values)
            notes.append(f"With ``{key}`` {shown}, the answer is the text itself (a ``str``).")
        if {"AdminApiKeyAuth": []} in (op.raw.get("security") or []):
            notes.append(
                "Administration API: authenticate with an organization admin API key "
                "(open the client, or a `with_options` view, with ``api_key=`` set to it)."
            )
        if op.deprecated:
            notes.append("Deprecated: the API marks this operation as deprecated.")
        if op.tag in DEPRECATED_TAGS:
            notes.append(DEPRECATED_TAGS[op.tag])
        for note in notes:
            lines += ["", *doc_lines(note)]
        arg_lines: list[str] = []
        for p in self.method_params(op, stream=stream):
            desc = self._param_doc(op, p, stream=stream)
            if p.deprecated and not desc.lower().startswith("deprecated"):
                desc = "Deprecated. " + desc
            wrapped = doc_lines(f"{p.py_name}: {desc}", 80)
            arg_lines.append(wrapped[0])
            arg_lines.extend("    " + w for w in wrapped[1:])
        arg_lines.extend(STANDARD_DOCS)
        lines += ["", "Args:", *("    " + a for a in arg_lines)]
        if op.stream is not None and not stream:
            lines += ["", "Raises:", f"    TypeError: {self._switch_doc(op)}"]
        return lines

    def _switch_doc(self, op: Operation) -> str:
        assert op.stream is not None
        key, value = op.stream.switch
        twin = ".".join((*op.resource, op.stream_name or ""))
        shown = "true" if value is True else json.dumps(value)
        return f"``{key}`` is {shown}: use ``{twin}()`` to stream."

    def _param_doc(self, op: Operation, p: Param, *, stream: bool) -> str:
        if op.stream is not None and not stream and p.json_name == op.stream.switch[0]:
            twin = ".".join((*op.resource, op.stream_name or ""))
            if op.stream.switch[1] is True:
                return f"Must be false or left out; use ``{twin}()`` to stream."
            return (
                f"{summarize(p.description, 200)} For ``{json.dumps(op.stream.switch[1])}`` "
                f"use ``{twin}()``."
            )
        return summarize(p.description, 300) or "See the API reference."


def _end_text(op: Operation) -> str:
    """How a stream ends, for its docstring."""
    assert op.stream is not None
    s = op.stream
    if s.end == "done":
        text = "The stream ends with ``data: [DONE]``."
    elif s.end == "response":
        text = (
            "The stream ends with a ``response.completed``, ``response.failed`` or "
            "``response.incomplete`` event."
        )
    else:
        terminal = ", ".join(f"``{t}``" for t in s.terminal)
        text = (
            f"The stream is complete after a {terminal} event; a body that ends before "
            "raises `StreamInterruptedError`."
        )
    if s.envelope:
        text += (
            " Each event carries its SSE event name (``event.event``, e.g. "
            "``thread.run.completed``) and its typed payload (``event.data``)."
        )
    return text


def _opt(value: str | None) -> str:
    return "None" if value is None else f'"{value}"'


def _all_nodes(root: Node) -> list[Node]:
    out = [root]
    for child in root.children.values():
        out.extend(_all_nodes(child))
    return out
