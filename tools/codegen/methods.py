"""Writing one generated method: a decorator, a signature, a docstring, a body.

The body does no I/O: it builds the spec of one call and returns it; the decorator
(``api_method``, ``binary_method``, ``list_method``, ``stream_method``, from
``trio_openai._api``) binds it to the client. In order, the body

1. refuses the streaming value of the switch (the plain method of a streaming
   operation: ``stream=True`` belongs to the twin);
2. imports the types its decoder needs, inside the method: importing a resource
   module never imports ``types``;
3. puts header parameters into ``extra_headers``;
4. returns the JSON request at once when a file-or-reference field is given a
   reference (``videos.create(input_reference={...})``);
5. gathers the optional files (left out when ``NOT_GIVEN``);
6. returns the `RequestSpec`, wrapped in a `ListSpec` or a `StreamSpec` for a
   list or a stream.

Each function below writes one of these parts; a `_Method` carries what they share
and collects the names the module must import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .docstrings import method_doc
from .names import (
    RESOURCE_MIXINS,
    RESULT_OVERLOADS,
    STANDARD_ARGS,
    TEXT_RESULTS,
    ResultOverloads,
)
from .schema import ListOf, Prim, pascal
from .signature import Signatures, method_name, method_params, stream_twin
from .spec import Operation, Param
from .types import docstring

_INDENT = "        "  # a statement in a method body


@dataclass
class _Method:
    """One method being written, and the names the module must import for it.

    Attributes:
        op: Its operation.
        stream: Whether it is the streaming twin.
        params: Its parameters, in signature order.
        used: Names imported for annotations (types, ``Mapping``, ``cast``, ...).
        runtime: Names from ``trio_openai._api`` the module imports at run time.
    """

    op: Operation
    stream: bool
    params: list[Param]
    used: set[str]
    runtime: set[str]

    @property
    def name(self) -> str:
        return method_name(self.op, stream=self.stream)

    def located(self, *locations: str) -> list[Param]:
        """The parameters sent in one of *locations* (path, query, header, body, ...)."""
        return [p for p in self.params if p.location in locations]


@dataclass(frozen=True)
class _Result:
    """What the spec decodes, and the type names the method imports for it.

    Attributes:
        type: The result type (one event's, for a stream).
        item: One item's type, for a list.
        names: The type names it renders (imported inside the method).
    """

    type: str
    item: str | None
    names: frozenset[str]


@dataclass(frozen=True)
class _Reference:
    """A file-or-reference field; *cls*, its reference class, is checked at run time."""

    param: Param
    cls: str
    names: frozenset[str]


class MethodWriter:
    """Writes the methods of a resource class (`write`), against the generated types."""

    def __init__(self, signatures: Signatures) -> None:
        self.signatures = signatures
        # The typing-only classes of overloaded methods, for the module being written
        # (`ResourcesWriter` puts them in an ``if TYPE_CHECKING:`` block and empties it).
        self.typing_classes: list[str] = []

    def write(self, op: Operation, used: set[str], runtime: set[str], *, stream: bool) -> list[str]:
        """The lines of one method: the plain one, or the streaming twin with *stream*.

        Args:
            op: The operation.
            used: Collects the names its annotations use (imported by the module).
            runtime: Collects the ``trio_openai._api`` names its code calls.
            stream: Write the streaming twin.
        """
        m = _Method(op, stream, method_params(op, stream=stream), used, runtime)
        overloads = None if stream else RESULT_OVERLOADS.get(op.operation_id)
        if overloads is not None:
            return self._overloaded(m, overloads)
        result = self._result(m)
        decorator, returns = _decorator(m, result)
        for mixin in RESOURCE_MIXINS.get(op.resource, ()):
            decorator = dict(mixin.decorators).get(m.name, decorator)
        return [
            f"    @{decorator}",
            f"    def {m.name}(",
            *self._signature(m),
            f"    ) -> {returns}:",
            docstring(method_doc(op, stream=stream), _INDENT).rstrip("\n"),
            *self._body(m, result),
        ]

    def _overloaded(self, m: _Method, ov: ResultOverloads) -> list[str]:
        """A method whose result follows an argument (`names.RESULT_OVERLOADS`).

        The builder is ``_<name>``; ``<name>`` is an `TypedMethod` typed by two
        classes the type checker alone sees (`typing_classes`): a `BoundMethod` and a
        `SyncMethod` whose ``__call__`` has one overload per result, the default's
        first, then a catch-all for a value that is not a literal.
        """
        declared = self._result(m)
        groups: dict[str, list[str]] = {}
        for value, res in ov.results.items():
            groups.setdefault(res, []).append(value)
        if ov.default not in groups:
            msg = f"{m.op.operation_id}: the default result {ov.default} takes no value"
            raise ValueError(msg)
        switch = next(p for p in m.params if p.json_name == ov.param)
        names = {r for r in groups if r != "str"}
        m.used.update(names)
        if ov.by_value:
            union = " | ".join(groups)
            cases = [(r, v) for r, v in groups.items() if r != ov.default]
            expr = ov.default
            for r, values in reversed(cases):
                test = " or ".join(f"{switch.py_name} == {json.dumps(v)}" for v in values)
                expr = f"{r} if {test} else {expr}"
            result = _Result(f"({expr})", None, frozenset(names) | declared.names)
            returns = f"RequestSpec[{union}]"
        else:
            union, result = declared.type, declared
            returns = f"RequestSpec[{declared.type}]"
        m.runtime.update(("api_method", "TypedMethod", "RequestSpec"))
        call = pascal(m.op.operation_id)
        async_cls, sync_cls = f"_{call}Call", f"_Sync{call}Call"
        self._typing_classes(m, ov, switch, groups, union, async_cls, sync_cls)
        return [
            f"    def _{m.name}(",
            *self._signature(m),
            f"    ) -> {returns}:",
            docstring(method_doc(m.op, stream=False), _INDENT).rstrip("\n"),
            *self._body(m, result),
            "",
            f"    {m.name}: TypedMethod[{async_cls}, {sync_cls}] = TypedMethod(",
            f"        api_method(_{m.name})",
            "    )",
        ]

    def _typing_classes(
        self,
        m: _Method,
        ov: ResultOverloads,
        switch: Param,
        groups: dict[str, list[str]],
        union: str,
        async_cls: str,
        sync_cls: str,
    ) -> None:
        """The two typing-only classes of an overloaded method (see `_overloaded`)."""
        m.used.update(("overload", "Literal", "Any"))
        dotted = ".".join((*m.op.resource, m.name))
        full = self.signatures.annotation(m.op, switch, m.used, stream=False)
        variants: list[tuple[str, str]] = []
        for res, values in groups.items():
            lit = "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"
            ann = f"{lit} | NotGiven = NOT_GIVEN" if res == ov.default else lit
            variants.append((ann, res))
        variants.sort(key=lambda v: v[1] != ov.default)
        variants.append((full, union))
        for cls, base, is_async in (
            (async_cls, "BoundMethod", True),
            (sync_cls, "SyncMethod", False),
        ):
            d = "async def" if is_async else "def"
            lines = [
                f"class {cls}({base}[..., {union}]):",
                f'    """``{dotted}``: its result follows ``{switch.py_name}``."""',
                "",
            ]
            for ann, res in variants:
                params = self._signature(m, override=(switch, ann))
                lines += [
                    "    @overload",
                    f"    {d} __call__(",
                    *(line.replace(_INDENT, "        ", 1) for line in params),
                    f"    ) -> {res}: ...",
                ]
            lines.append(f"    {d} __call__(self, *args: Any, **kwargs: Any) -> Any: ...")
            self.typing_classes.append("\n".join(lines))

    def _signature(self, m: _Method, override: tuple[Param, str] | None = None) -> list[str]:
        """The parameter lines: ``self``, the positional path parameter, ``*``, the rest.

        *override* gives one parameter another annotation (an overload's).
        """
        path = m.located("path")

        def annotation(p: Param) -> str:
            if override is not None and p is override[0]:
                return override[1]
            return self.signatures.annotation(m.op, p, m.used, stream=m.stream)

        return [
            f"{_INDENT}self,",
            *(f"{_INDENT}{p.py_name}: str," for p in path[:1]),
            f"{_INDENT}*,",
            *(f"{_INDENT}{p.py_name}: str," for p in path[1:]),
            *(f"{_INDENT}{p.py_name}: {annotation(p)}," for p in m.params if p.location != "path"),
            *(f"{_INDENT}{a.name}: {a.annotation} = {a.default}," for a in STANDARD_ARGS),
        ]

    def _result(self, m: _Method) -> _Result:
        names: set[str] = set()
        result = self.signatures.result_type(m.op, names, stream=m.stream)
        item = None
        if m.op.list_item is not None and not m.stream:
            item = self.signatures.render(m.op.list_item, names)
        names -= {"Any", "Literal"}
        m.used.update(names)
        if result == "BinaryResponse":
            m.used.add("BinaryResponse")
        return _Result(result, item, frozenset(names))

    def _reference(self, m: _Method) -> _Reference | None:
        p = next((p for p in m.params if p.reference is not None), None)
        if p is None:
            return None
        assert p.reference is not None
        names: set[str] = set()
        cls = self.signatures.render(p.reference, names)
        m.used.update(names)
        return _Reference(p, cls, frozenset(names))

    def _body(self, m: _Method, result: _Result) -> list[str]:
        """The statements, in the order of the module docstring."""
        reference = self._reference(m)
        lines: list[str] = []
        if m.op.stream is not None and not m.stream:
            lines += _refuse_stream(m)
        lines += self._lazy_imports(result, reference)
        lines.append("")
        lines += _header_params(m)
        return lines + _build_spec(m, result, reference)

    def _lazy_imports(self, result: _Result, reference: _Reference | None) -> list[str]:
        """The imports inside the method: the types its decoder and checks need."""
        lazy: dict[str, set[str]] = {}
        for n in sorted(result.names | (reference.names if reference else frozenset())):
            lazy.setdefault(self.signatures.import_module(n), set()).add(n)
        if result.type == "BinaryResponse":
            lazy.setdefault(".._api", set()).add("BinaryResponse")
        if not lazy:
            return []
        return [
            f"{_INDENT}# Imported here, not at the top: importing resources never imports types.",
            *(f"{_INDENT}from {mod} import {', '.join(sorted(lazy[mod]))}" for mod in sorted(lazy)),
        ]


def _decorator(m: _Method, result: _Result) -> tuple[str, str]:
    """The decorator and the return annotation: which spec the method builds."""
    if m.stream:
        decorator, returns, spec = "stream_method", f"StreamSpec[{result.type}]", "StreamSpec"
    elif result.item is not None:
        decorator, returns, spec = "list_method", f"ListSpec[{result.item}]", "ListSpec"
    else:
        # Binary answers get their own decorator: the sync tree wraps them.
        decorator = "binary_method" if result.type == "BinaryResponse" else "api_method"
        returns, spec = f"RequestSpec[{result.type}]", "RequestSpec"
    m.runtime.update((decorator, spec, "RequestSpec"))
    return decorator, returns


def _build_spec(m: _Method, result: _Result, reference: _Reference | None) -> list[str]:
    """The statements that build the spec and return it (steps 4 to 6).

    `RequestSpec`'s arguments in order: method, path, result, query, headers, body,
    files, kind, the standard arguments.
    """
    lines: list[str] = []
    switch = _switch_item(m)
    args = [f'method="{m.op.method}"', _path_arg(m), f"result={result.type}"]
    query = _query_arg(m, switch)
    if query is not None:
        args.append(query)
    if m.op.headers:  # before the reference return, which reuses these arguments
        args.append(f"headers={dict(sorted(m.op.headers.items()))!r}")
    if {"AdminApiKeyAuth": []} in (m.op.raw.get("security") or []):
        args.append("admin=True")  # sent with the client's admin key (`RequestSpec.admin`)
    fields = _body_fields(m, switch)
    if reference is not None:
        lines += _reference_return(m, result, reference, args, fields)
    if fields:
        args.append(f"body=body_of({{{', '.join(fields)}}})")
    file_lines, files = _files(m)
    lines += file_lines
    if files is not None:
        args.append(files)
    kind = _kind_arg(m)
    if kind is not None:
        args.append(kind)
    args += _standard_args()
    lines.append(_INDENT + _returned(m, result, "RequestSpec(" + ", ".join(args) + ")"))
    return lines


def _refuse_stream(m: _Method) -> list[str]:
    """Code that refuses the streaming value of the switch on the non-streaming method."""
    assert m.op.stream is not None
    key, value = m.op.stream.switch
    p = next(p for p in m.op.params if p.json_name == key)
    m.used.add("cast")
    test = "is True" if value is True else f"== {json.dumps(value)}"
    dotted = ".".join((*m.op.resource, m.name))
    return [
        f'{_INDENT}if cast("object", {p.py_name}) {test}:  # untyped callers may pass it',
        f'{_INDENT}    msg = "{dotted}() does not stream; use {stream_twin(m.op)}(...) as '
        f'`async with ... as events:`"',
        f"{_INDENT}    raise TypeError(msg)",
    ]


def _header_params(m: _Method) -> list[str]:
    """Header parameters go into ``extra_headers``, under what the caller put there."""
    lines: list[str] = []
    for p in m.located("header"):
        value = p.py_name
        if isinstance(p.type, ListOf):
            value = f'",".join({p.py_name})'
        elif p.type != Prim("str"):
            value = f"str({p.py_name})"
        guard = "" if p.required else f"{_INDENT}if not isinstance({p.py_name}, NotGiven):\n    "
        lines.append(
            f"{guard}{_INDENT}extra_headers = "
            f'{{"{p.json_name}": {value}, **(extra_headers or {{}})}}'
        )
    return lines


def _switch_item(m: _Method) -> tuple[str, str] | None:
    """The streaming twin sets the switch itself: its location and its ``"key": value``."""
    if not m.stream or m.op.stream is None:
        return None
    key, value = m.op.stream.switch
    p = next((p for p in m.op.params if p.json_name == key), None)
    if p is None:
        return None
    text = json.dumps(value) if isinstance(value, str) else repr(value)
    return p.location, f'"{key}": {text}'


def _path_arg(m: _Method) -> str:
    """``path=``: the path, with each path parameter checked and quoted by `path_param`."""
    path_params = m.located("path")
    if not path_params:
        return f"path={json.dumps(m.op.path)}"
    m.runtime.add("path_param")
    text = m.op.path
    for p in path_params:
        text = text.replace(
            "{" + p.json_name + "}", "{path_param(" + repr(p.json_name) + ", " + p.py_name + ")}"
        )
    return 'path=f"' + text + '"'


def _query_arg(m: _Method, switch: tuple[str, str] | None) -> str | None:
    """``query=``: the path key's fixed query, the query parameters, a query switch."""
    items = [f'"{k}": "{v}"' for k, v in m.op.fixed_query.items()]
    for p in m.located("query"):
        if p.deep:
            m.runtime.add("deep_object")
            items.append(f'**deep_object("{p.json_name}", {p.py_name})')
        else:
            items.append(f'"{p.json_name}": {p.py_name}')
    if switch is not None and switch[0] == "query":
        items.append(switch[1])
    if not items:
        return None
    m.runtime.add("query_of")
    return f"query=query_of({{{', '.join(items)}}})"


def _body_fields(m: _Method, switch: tuple[str, str] | None) -> list[str]:
    """The JSON body's ``"name": value`` items: body parameters and a body switch."""
    fields = [f'"{p.json_name}": {p.py_name}' for p in m.located("body")]
    if switch is not None and switch[0] == "body":
        fields.append(switch[1])
    if fields:
        m.runtime.add("body_of")
    return fields


def _reference_return(
    m: _Method, result: _Result, reference: _Reference, args: list[str], fields: list[str]
) -> list[str]:
    """A reference object, not a file: the spec's ``application/json`` body, sent at once.

    Raises:
        ValueError: The operation does not answer plain JSON (no such operation today).
    """
    if m.stream or result.item is not None or m.op.result_kind != "json":
        msg = f"{m.op.operation_id}: a file-or-reference field on a non-JSON operation"
        raise ValueError(msg)
    m.used.add("Mapping")
    m.runtime.add("body_of")
    p = reference.param
    json_fields = [*fields, f'"{p.json_name}": {p.py_name}']
    json_args = [
        *args,
        f"body=body_of({{{', '.join(json_fields)}}})",
        "files=None",
        *_standard_args(),
    ]
    return [
        f"{_INDENT}if isinstance({p.py_name}, (Mapping, {reference.cls})):",
        f"{_INDENT}    # A reference object, not a file: sent as the JSON body.",
        f"{_INDENT}    return RequestSpec({', '.join(json_args)})",
    ]


def _files(m: _Method) -> tuple[list[str], str | None]:
    """The statements that gather the multipart files, and the ``files=`` argument."""
    files = m.located("file", "part")
    if not files:
        return [], None

    def part(p: Param) -> str:
        if p.location == "part":
            m.runtime.add("form_part")
            return f'form_part({p.py_name}, "{p.content_type}")'
        return p.py_name

    if all(p.required for p in files):
        items = ", ".join(f'"{p.json_name}": {part(p)}' for p in files)
        return [], f"files={{{items}}}"
    # Optional files are left out when NOT_GIVEN (the mapping's type has no NotGiven).
    m.used.add("FileInput")
    items = ", ".join(f'"{p.json_name}": {part(p)}' for p in files if p.required)
    lines = [f"{_INDENT}upload_files: dict[str, FileInput | list[FileInput]] = {{{items}}}"]
    for p in files:
        if not p.required:
            lines += [
                f"{_INDENT}if not isinstance({p.py_name}, NotGiven):",
                f'{_INDENT}    upload_files["{p.json_name}"] = {part(p)}',
            ]
    return lines, "files=upload_files"


def _kind_arg(m: _Method) -> str | None:
    """``kind=``: how the answer is read when it is not JSON (bytes, text)."""
    if m.stream:
        return None
    if m.op.result_kind != "json":
        return f'kind="{m.op.result_kind}"'
    if m.op.operation_id in TEXT_RESULTS:
        key, values = TEXT_RESULTS[m.op.operation_id]
        p = next(p for p in m.params if p.json_name == key)
        return f'kind="text" if {p.py_name} in {values!r} else "json"'
    return None


def _standard_args() -> list[str]:
    """The standard arguments, passed on to the `RequestSpec` fields of the same names."""
    return [f"{a.name}={a.name}" for a in STANDARD_ARGS]


def _returned(m: _Method, result: _Result, request: str) -> str:
    """The return statement: the request, or the list or stream spec that wraps it."""
    if m.stream:
        stream = m.op.stream
        assert stream is not None
        extra = ""
        if stream.terminal:
            extra += f", terminal=frozenset({sorted(stream.terminal)!r})"
        if stream.envelope:
            extra += ", envelope=True"
        return (
            f'return StreamSpec(request={request}, event={result.type}, end="{stream.end}"{extra})'
        )
    if result.item is not None:
        page = m.op.page
        assert page is not None
        return (
            f"return ListSpec(request={request}, item={result.item}, "
            f'items_field="data", cursor_param={_opt(page.cursor_param)}, '
            f"cursor_field={_opt(page.cursor_field)}, "
            f"has_more_field={_opt(page.has_more_field)})"
        )
    return f"return {request}"


def _opt(value: str | None) -> str:
    return "None" if value is None else f'"{value}"'
