"""Writing ``trio_openai/resources/``: one module per top-level resource, plus ``_root.py``.

The operations form a tree by their resource path (`build_tree`: ``chat.completions``
is the node ``completions`` below ``chat``); each node is a resource class, each
top-level node a module. A class holds its child resources as properties and its
methods, written by `methods.MethodWriter`: each builds a request spec and is bound
to the client by a decorator from ``trio_openai._api``, the one module generated code
imports the runtime from. Types are imported under ``TYPE_CHECKING`` for the
signatures and lazily inside the method for the decoder, so importing a resource
module never imports ``types``. ``_operations.py`` is the table of every operation
and the method that implements it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .methods import MethodWriter
from .names import (
    DEPRECATED_TAGS,
    RESOURCE_MIXINS,
    RESULT_OVERLOADS,
    ROOT_PROPERTIES,
    STANDARD_ARGS,
)
from .params import ParamsWriter
from .schema import TypeExpr, pascal
from .signature import Signatures, twins
from .spec import Operation
from .types import TypesWriter, doc_lines, docstring

# Names a signature uses that are imported directly, not from `types`.
_NOT_TYPES = frozenset({"Mapping", "Sequence", "Any", "Literal", "cast", "builtins"})
# What every resource module imports from `.._api` at run time, whatever its methods:
# the class's base and mode, `NotGiven` for optional parameters, and what the
# standard arguments' annotations name.
_ALWAYS_FROM_API = frozenset(
    {"M", "Resource", "NOT_GIVEN", "NotGiven", *(n for a in STANDARD_ARGS for n in a.imports)}
)


@dataclass
class Node:
    """A resource: its path below the client, its class, its children and operations."""

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

    def walk(self) -> list[Node]:
        """This node and every node below it, parents first."""
        out = [self]
        for child in self.children.values():
            out.extend(child.walk())
        return out


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

    for root in roots.values():
        names: dict[str, list[Node]] = {}
        for n in root.walk():
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
    """Writes the resource modules, ``_root.py`` and ``_operations.py``."""

    def __init__(self, types: TypesWriter, params: ParamsWriter) -> None:
        self.types = types
        self.signatures = Signatures(types, params)
        self.methods = MethodWriter(self.signatures)

    def write_module(self, root: Node, header: str) -> str:
        used: set[str] = set()
        runtime: set[str] = set()
        classes: list[str] = []

        nodes = root.walk()
        classes = [self._resource_class(node, used, runtime) for node in nodes]
        typing_classes, self.methods.typing_classes = self.methods.typing_classes, []
        return self._module_text(
            header,
            f'"""The ``{root.dotted}`` resource (generated from the OpenAPI spec)."""',
            classes,
            used,
            runtime,
            nodes,
            typing_classes,
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
            overloads = RESULT_OVERLOADS.get(op.operation_id)
            if result is not None and overloads is not None and overloads.by_value:
                # Decoded by the argument's value: any of its results (a union, by shape).
                results = dict.fromkeys([overloads.default, *overloads.results.values()])
                result = " | ".join(results)
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
        if all(self.signatures.importable(n) for n in names):
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
        typing_classes: list[str],
    ) -> str:
        imports = ["from __future__ import annotations", ""]
        if "builtins" in used:
            imports.append("import builtins")
        abc = sorted(n for n in ("Mapping", "Sequence") if n in used)
        if abc:
            imports.append(f"from collections.abc import {', '.join(abc)}")
        typing_names = [
            "TYPE_CHECKING",
            *sorted(n for n in ("Any", "Literal", "cast", "overload") if n in used),
        ]
        imports.append(f"from typing import {', '.join(typing_names)}")
        imports.append("")
        # Every runtime name comes from the one import surface of generated code.
        api = runtime | _ALWAYS_FROM_API
        imports.append(f"from .._api import {', '.join(sorted(api, key=_import_order))}")
        # Hand-written bases (RESOURCE_MIXINS): runtime imports.
        mixins = {(m.module, m.name) for n in nodes for m in RESOURCE_MIXINS.get(n.path, ())}
        mixins |= {
            (m.module, decorator)
            for n in nodes
            for m in RESOURCE_MIXINS.get(n.path, ())
            for _, decorator in m.decorators
        }
        imports.extend(f"from ..{module} import {name}" for module, name in sorted(mixins))
        tc: dict[str, set[str]] = {}
        local = {n.class_name for n in nodes}
        for name in used:
            if name in _NOT_TYPES or name in local:
                continue
            if name in {"FileInput", "BinaryResponse"}:
                tc.setdefault("from .._api", set()).add(name)
            elif self.signatures.importable(name):
                tc.setdefault(f"from {self.signatures.import_module(name)}", set()).add(name)
        if typing_classes:
            tc.setdefault("from .._api", set()).update(("BoundMethod", "SyncMethod"))
        if tc:
            imports.append("")
            imports.append("if TYPE_CHECKING:")
            imports.extend(f"    {mod} import {', '.join(sorted(tc[mod]))}" for mod in sorted(tc))
        if typing_classes:
            # After the imports: the typing-only classes of overloaded methods.
            imports += ["", ""]
            imports.extend(
                "\n".join(f"    {ln}" if ln else "" for ln in text.splitlines()) + "\n"
                for text in typing_classes
            )
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
            for stream in twins(op):
                lines.append("")
                lines.extend(self.methods.write(op, used, runtime, stream=stream))
        return "\n".join(lines) + "\n"
