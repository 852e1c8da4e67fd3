"""Writing ``trio_openai/resources/``: one module per top-level resource, plus ``_root.py``.

A generated method only builds a spec (`RequestSpec`, `ListSpec`, `StreamSpec`)
and is bound to the client by a decorator from ``_endpoint.py``. Types are
imported under ``TYPE_CHECKING`` for the signatures and lazily inside the method
for the decoder, so importing a resource module never imports ``types``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from _gen_schema import (
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
from _gen_spec import Operation, Param
from _gen_types import TypesWriter, doc_lines, docstring

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
            for n in group:
                n.class_name = (
                    short if len(group) == 1 else pascal("_".join(n.path[1:]) or n.path[0])
                )
    return dict(sorted(roots.items()))


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
            "class RootResources(ResourceTree):",
            '    """The top of the API tree: ``client.chat``, ``client.files``, ..."""',
            "",
            "    __slots__ = ()",
        ]
        tc: list[str] = []
        for name, node in roots.items():
            lines.append("")
            lines.extend(self._child_property(name, node))
            tc.append(f"    from .{node.module} import {node.class_name}")
        return "\n".join(
            [
                header,
                '"""The client\'s top-level resources (generated from the OpenAPI spec)."""',
                "",
                "from __future__ import annotations",
                "",
                "from typing import TYPE_CHECKING",
                "",
                "from .._resource import ResourceTree",
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

    def _child_property(self, name: str, node: Node) -> list[str]:
        return [
            "    @property",
            f"    def {name}(self) -> {node.class_name}:",
            f'        """The ``{node.dotted}`` methods."""',
            f"        child: {node.class_name} = self._child(",
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
        decorators = sorted(
            n for n in ("endpoint", "list_endpoint", "stream_endpoint") if n in runtime
        )
        if decorators:
            imports.append(f"from .._endpoint import {', '.join(decorators)}")
        req = sorted(
            n
            for n in (
                "ListSpec",
                "RequestSpec",
                "StreamSpec",
                "body_of",
                "path_param",
                "query_of",
                "reject_stream",
            )
            if n in runtime
        )
        if req:
            imports.append(f"from .._request import {', '.join(req)}")
        imports.append("from .._resource import Resource")
        imports.append("from .._types import NOT_GIVEN, Body, Headers, NotGiven, Query")
        tc: dict[str, set[str]] = {}
        local = {n.class_name for n in nodes}
        for name in used:
            if name in _NOT_TYPES or name in local:
                continue
            if name == "FileInput":
                tc.setdefault("from .._files", set()).add(name)
            elif name == "BinaryResponse":
                tc.setdefault("from .._response", set()).add(name)
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
        lines = [
            f"class {node.class_name}(Resource):",
            f'    """The ``{node.dotted}`` methods."""',
            "",
            "    __slots__ = ()",
        ]
        for name, child in node.children.items():
            lines.append("")
            lines.extend(self._child_property(name, child))
        for op in node.operations:
            lines.append("")
            lines.extend(self._method(op, used, runtime, stream=False))
            if op.stream_event is not None:
                lines.append("")
                lines.extend(self._method(op, used, runtime, stream=True))
        return "\n".join(lines) + "\n"

    # -- methods

    def _method(
        self, op: Operation, used: set[str], runtime: set[str], *, stream: bool
    ) -> list[str]:
        name = "stream" if stream else op.name
        dotted = ".".join((*op.resource, name))
        params = [p for p in op.params if not (stream and p.json_name == "stream")]
        for p in params:
            if p.py_name in STANDARD_ARGS or p.py_name == "self":
                msg = f"{op.operation_id}: parameter {p.py_name!r} clashes with a standard argument"
                raise ValueError(msg)
        path_params = [p for p in params if p.location == "path"]
        others = [p for p in params if p.location != "path"]
        others.sort(key=lambda p: not p.required)
        sig = ["        self,", *(f"        {p.py_name}: str," for p in path_params), "        *,"]
        sig.extend(
            f"        {p.py_name}: {self._annotation(op, p, used, stream=stream)}," for p in others
        )
        sig += [
            "        extra_headers: Headers | None = None,",
            "        extra_query: Query | None = None,",
            "        extra_body: Body | None = None,",
            "        timeout: float | None | NotGiven = NOT_GIVEN,",
        ]

        # result
        result_names: set[str] = set()
        if op.result_kind == "binary":
            result_expr = "BinaryResponse"
            used.add("BinaryResponse")
        elif op.result_kind == "empty" or op.result is None:
            result_expr = "None"
        else:
            result_expr = self.types.render(op.result, result_names)
        if stream:
            assert op.stream_event is not None
            event_expr = self.types.render(op.stream_event, result_names)
        item_expr = None
        if op.list_item is not None and not stream:
            item_expr = self.types.render(op.list_item, result_names)
        result_names.discard("Any")
        result_names.discard("Literal")
        used.update(result_names)

        if stream:
            returns = f"StreamSpec[{event_expr}]"
            decorator = "stream_endpoint"
            runtime.update(("StreamSpec", "RequestSpec"))
        elif item_expr is not None:
            returns = f"ListSpec[{item_expr}]"
            decorator = "list_endpoint"
            runtime.update(("ListSpec", "RequestSpec"))
        else:
            returns = f"RequestSpec[{result_expr}]"
            decorator = "endpoint"
            runtime.add("RequestSpec")
        runtime.add(decorator)

        out = [f"    @{decorator}", f"    def {name}(", *sig, f"    ) -> {returns}:"]
        out.append(docstring(self._doc(op, params, stream=stream), "        ").rstrip("\n"))

        body: list[str] = []
        stream_param = next((p for p in params if p.json_name == "stream"), None)
        if stream_param is not None and op.stream_event is not None and not stream:
            runtime.add("reject_stream")
            body.append(f'        reject_stream(stream, "{dotted}")')
        elif stream_param is not None and not stream:
            used.add("cast")
            body += [
                '        if cast("object", stream) is True:  # untyped callers may pass True',
                f'            msg = "{dotted}() cannot stream yet: leave `stream` unset"',
                "            raise TypeError(msg)",
            ]
        lazy: dict[str, set[str]] = {}
        for n in sorted(result_names):
            lazy.setdefault(self._types_module(n), set()).add(n)
        if op.result_kind == "binary":
            lazy.setdefault(".._response", set()).add("BinaryResponse")
        for mod in sorted(lazy):
            body.append(f"        from {mod} import {', '.join(sorted(lazy[mod]))}")
        if lazy:
            body[-1] += "  # lazy: cached after the first call"
        body.append("")

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
        request_args.append(f"result={event_expr if stream else result_expr}")
        query = [p for p in params if p.location == "query"]
        if query:
            runtime.add("query_of")
            items = ", ".join(f'"{p.json_name}": {p.py_name}' for p in query)
            request_args.append(f"query=query_of({{{items}}})")
        fields = [p for p in params if p.location == "body"]
        if fields or stream:
            runtime.add("body_of")
            items_list = [f'"{p.json_name}": {p.py_name}' for p in fields]
            if stream:
                items_list.append('"stream": True')
            request_args.append(f"body=body_of({{{', '.join(items_list)}}})")
        files = [p for p in params if p.location == "file"]
        if files and all(p.required for p in files):
            items = ", ".join(f'"{p.json_name}": {p.py_name}' for p in files)
            request_args.append(f"files={{{items}}}")
        elif files:
            # Optional files are left out when NOT_GIVEN (the mapping's type has no NotGiven).
            items = ", ".join(f'"{p.json_name}": {p.py_name}' for p in files if p.required)
            body.append(
                f"        upload_files: dict[str, FileInput | list[FileInput]] = {{{items}}}"
            )
            for p in files:
                if not p.required:
                    body += [
                        f"        if not isinstance({p.py_name}, NotGiven):",
                        f'            upload_files["{p.json_name}"] = {p.py_name}',
                    ]
            request_args.append("files=upload_files")
        if op.result_kind != "json":
            request_args.append(f'kind="{op.result_kind}"')
        request_args += [f"{a}={a}" for a in STANDARD_ARGS]
        request = "RequestSpec(" + ", ".join(request_args) + ")"
        if stream:
            body.append(
                f"        return StreamSpec(request={request}, event={event_expr}, "
                f'end="{op.stream_end}")'
            )
        elif item_expr is not None:
            names = op.list_fields
            query_names = {p.json_name for p in query}
            cursor_param = '"after"' if "after" in query_names else "None"
            cursor_field = '"last_id"' if "last_id" in names else "None"
            has_more = '"has_more"' if "has_more" in names else "None"
            body.append(
                f"        return ListSpec(request={request}, item={item_expr}, "
                f'items_field="data", cursor_param={cursor_param}, '
                f"cursor_field={cursor_field}, has_more_field={has_more})"
            )
        else:
            body.append(f"        return {request}")
        return out + body

    def _annotation(self, op: Operation, p: Param, used: set[str], *, stream: bool) -> str:
        if p.location == "file":
            used.add("FileInput")
            t = "FileInput"
            if p.binary == "many":
                used.add("builtins")  # `list` may be a method name in the class body
                t = "FileInput | builtins.list[FileInput]"
            return t if p.required else f"{t} | NotGiven = NOT_GIVEN"
        if p.json_name == "stream" and not stream:
            used.add("Literal")
            if op.stream_event is None:  # no streaming twin yet: refuse True
                return "Literal[False] | NotGiven = NOT_GIVEN"
            return "Literal[False] | None | NotGiven = NOT_GIVEN"
        t = self.param_type(p.type, used)
        if p.required:
            return t
        return f"{t} | NotGiven = NOT_GIVEN"

    def _doc(self, op: Operation, params: list[Param], *, stream: bool) -> list[str]:
        summary = " ".join(op.summary.split()) or op.operation_id
        first, _, rest = summary.partition(". ")
        first = first.rstrip(".") + "."
        lines = [first]
        more = " ".join(x for x in (rest, op.description) if x)
        if more:
            lines += ["", *doc_lines(summarize(more, 900))]
        if stream:
            lines += [
                "",
                "Streams the answer: use as ``async with ... as events:`` and iterate the events.",
            ]
        if op.deprecated:
            lines += ["", "Deprecated: the API marks this operation as deprecated."]
        arg_lines: list[str] = []
        for p in params:
            if p.json_name == "stream" and not stream and op.stream_event is not None:
                desc = f"Must be false or left out; use ``{'.'.join(op.resource)}.stream()``."
            elif p.json_name == "stream" and not stream:
                desc = "Must be false or left out: this method does not stream yet."
            else:
                desc = summarize(p.description, 300) or "See the API reference."
            if p.deprecated and not desc.lower().startswith("deprecated"):
                desc = "Deprecated. " + desc
            text = f"{p.py_name}: {desc}"
            wrapped = doc_lines(text, 80)
            arg_lines.append(wrapped[0])
            arg_lines.extend("    " + w for w in wrapped[1:])
        arg_lines.extend(STANDARD_DOCS)
        lines += ["", "Args:", *("    " + a for a in arg_lines)]
        return lines


def _all_nodes(root: Node) -> list[Node]:
    out = [root]
    for child in root.children.values():
        out.extend(_all_nodes(child))
    return out
