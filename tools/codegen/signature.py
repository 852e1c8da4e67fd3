"""What a generated method takes and gives: its name, parameters, annotations, result type.

An operation gives one method, or two when it streams: the plain method and its
streaming twin (`twins`). Both are written from the same `Operation`; *stream* says
which. The writers of ``resources/`` (`methods`) and of ``docs/api/`` (`docs`) take
the signature from here, so the code and the reference cannot disagree.

A parameter typed by a model also accepts its request TypedDict
(``ChatCompletionRequestMessage | ChatCompletionRequestMessageParam``, see
`params`); an optional one defaults to
``NOT_GIVEN``; on the plain method of a streaming operation, the switch
(``stream``, ``stream_format``) cannot take its streaming value.
"""

from __future__ import annotations

from .names import STANDARD_ARGS, TEXT_RESULTS
from .params import ParamsWriter
from .schema import AliasDef, ClassDef, DictOf, ListOf, Lit, Prim, Ref, TypeExpr, UnionOf
from .spec import Operation, Param
from .types import TypesWriter


def twins(op: Operation) -> tuple[bool, ...]:
    """The methods an operation gives, as their *stream* flag: the plain one, then its twin."""
    return (False, True) if op.stream is not None else (False,)


def method_name(op: Operation, *, stream: bool) -> str:
    """The method's name (``create``; its twin's: ``stream``)."""
    return (op.stream_name if stream else op.name) or op.name


def stream_twin(op: Operation) -> str:
    """The dotted path of a streaming operation's twin (``chat.completions.stream``)."""
    return ".".join((*op.resource, op.stream_name or ""))


def method_params(op: Operation, *, stream: bool) -> list[Param]:
    """The parameters of a method, in signature order.

    As in the official SDK, the last path parameter (``run_id`` of
    ``/threads/{thread_id}/runs/{run_id}``) is the one positional argument; the
    other path parameters and the required ones come next, keyword-only, then
    the optional ones. The streaming twin does not take the switch (it sets it).

    Raises:
        ValueError: Two parameters, or a parameter and a standard argument, share a name.
    """
    switch = op.stream.switch[0] if op.stream is not None else None
    params = [p for p in op.params if not (stream and p.json_name == switch)]
    taken = {"self", *(a.name for a in STANDARD_ARGS)}
    for p in params:
        if p.py_name in taken:
            msg = f"{op.operation_id}: parameter {p.py_name!r} clashes with another argument"
            raise ValueError(msg)
        taken.add(p.py_name)
    path_params = sorted(
        (p for p in params if p.location == "path"),
        key=lambda p: op.path.index("{" + p.json_name + "}"),
    )
    others = sorted((p for p in params if p.location != "path"), key=lambda p: not p.required)
    return path_params[-1:] + path_params[:-1] + others


class Signatures:
    """Annotations and result types, rendered against the generated ``types/`` modules.

    Every method takes *used*, the set of names the module being written must import
    (types, ``Mapping``, ``Literal``, ...), and adds to it what it renders.
    """

    def __init__(self, types: TypesWriter, params: ParamsWriter) -> None:
        self.types = types
        self.params = params
        self.model = types.model

    def importable(self, name: str) -> bool:
        """Whether *name* is a generated type (a model, alias, TypedDict or `UnknownObject`)."""
        return (
            name == "UnknownObject" or name in self.types.module_of or name in self.params.module_of
        )

    def import_module(self, name: str) -> str:
        """Where a type name is imported from, relative to ``resources/``."""
        if name == "UnknownObject":
            return ".._api"
        if name in self.params.module_of:
            return f"..types.{self.params.module_of[name]}"
        return f"..types.{self.types.module_of[name]}"

    def render(self, t: TypeExpr, used: set[str]) -> str:
        """A type as the generated code writes it (`TypesWriter.render`)."""
        return self.types.render(t, used)

    def annotation(self, op: Operation, p: Param, used: set[str], *, stream: bool) -> str:
        """A parameter's annotation, with ``= NOT_GIVEN`` when it is optional."""
        if p.location == "file":
            used.add("FileInput")
            t = "FileInput"
            if p.reference is not None:
                t = f"FileInput | {self.param_type(p.reference, used)}"
            if p.binary == "many":
                used.add("builtins")  # `list` may be a method name in the class body
                t = "FileInput | builtins.list[FileInput]"
            return t if p.required else f"{t} | NotGiven = NOT_GIVEN"
        if op.stream is not None and not stream and p.json_name == op.stream.switch[0]:
            value = op.stream.switch[1]
            if value is True:
                used.add("Literal")
                return "Literal[False] | None | NotGiven = NOT_GIVEN"
            kept = _without_value(p.type, value)
            return f"{self.param_type(kept, used)} | NotGiven = NOT_GIVEN"
        t = self.param_type(p.type, used)
        if p.required:
            return t
        return f"{t} | NotGiven = NOT_GIVEN"

    def result_type(self, op: Operation, used: set[str], *, stream: bool) -> str:
        """The type a method's call gives (an event type for a stream)."""
        if stream:
            assert op.stream_event is not None
            return self.render(op.stream_event, used)
        if op.result_kind == "binary":
            return "BinaryResponse"
        if op.result_kind == "text":
            return "str"
        if op.result_kind == "empty" or op.result is None:
            return "None"
        rendered = self.render(op.result, used)
        return f"{rendered} | str" if op.operation_id in TEXT_RESULTS else rendered

    def param_type(self, t: TypeExpr, used: set[str]) -> str:
        """A parameter type: `param_parts` joined, ``None`` last."""
        parts = self.param_parts(t, used)
        tail: list[str] = [p for p in ("None",) if p in parts]
        return " | ".join([p for p in parts if p not in tail] + tail)

    def param_parts(self, t: TypeExpr, used: set[str]) -> list[str]:
        """The union members of a parameter type: a model also takes its TypedDict."""
        if isinstance(t, Prim):
            if t.name == "Any":
                used.add("Any")
            return [t.name]
        if isinstance(t, Lit):
            return [self.render(t, used)]
        if isinstance(t, Ref):
            d = self.model.defs.get(t.name)
            param = self.params.param_of(t.name)
            if param is not None and (isinstance(d, ClassDef) or self._object_alias(t.name)):
                used.update((t.name, param))
                return [t.name, param]
            if isinstance(d, AliasDef) and self.params.needs_param(t.name):
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

    def _object_alias(self, name: str) -> bool:
        d = self.model.defs.get(name)
        return isinstance(d, AliasDef) and self.types.is_object_union(d.type)


def _without_value(t: TypeExpr, value: object) -> TypeExpr:
    """*t* without the literal *value* (``Literal["sse", "audio"]`` -> ``Literal["audio"]``)."""
    if isinstance(t, Lit) and value in t.values and len(t.values) > 1:
        return Lit(tuple(v for v in t.values if v != value))
    if isinstance(t, UnionOf):
        return UnionOf(tuple(_without_value(m, value) for m in t.members))
    return t
