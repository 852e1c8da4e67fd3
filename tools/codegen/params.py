"""Writing the request TypedDicts: ``trio_openai/types/<area>_params.py``.

Every model a request can take (reached from an operation's body or query
parameters) gets a ``TypedDict`` twin named ``<Model>Param``, as the official
SDK's ``*Param`` types: keys are the JSON names, ``Required[...]`` marks the
required ones, Literals and nested TypedDicts keep a misspelt key or a wrong
value inside a dict literal a type error. Aliases that hold models or
containers (unions of messages, lists of tools) get a ``<Alias>Param`` twin
with ``Sequence``/``Mapping`` in place of ``list``/``dict``; other aliases
(Literals, model ids) are used as they are, imported from the models' module.

A params module mirrors its models' module: ``types/chat.py`` ->
``types/chat_params.py``; it imports only the params and models modules its
models' module may import (`TypesWriter.may_import`), so there are no cycles.
A models module re-exports its params lazily (``types/chat.py`` has
``ChatCompletionMessageParam``), so decoding never pays for the TypedDicts.

Method signatures accept both forms: ``messages: Sequence[ChatCompletionRequestMessage
| ChatCompletionRequestMessageParam]`` (`signature.Signatures.param_parts`).
"""

from __future__ import annotations

import keyword
from collections.abc import Collection, Iterable, Mapping

from .names import FRIENDLY_ALIASES, PARAM_ROOTS
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
    summarize,
)
from .spec import Operation
from .types import TypesWriter, dependency_order, doc_lines, docstring, lazy_exports, refs

PARAMS_SUFFIX = "_params"

_TYPING = ("TYPE_CHECKING", "Any", "Literal", "Required", "TypeAlias", "TypedDict")
_NEW_TYPING = ("Required", "TypedDict")
_ABC = ("Mapping", "Sequence")


def params_module(module: str) -> str:
    """The params module of a models module (``chat`` -> ``chat_params``)."""
    return module + PARAMS_SUFFIX


class ParamsWriter:
    """The TypedDict twins of the request-side models, and where each one lives.

    Attributes:
        name_of: Model or alias name -> its TypedDict (or param alias) name.
        module_of: Param name -> its module (``chat_params``).
        friendly: Official SDK param names -> the param they alias.
    """

    def __init__(self, types: TypesWriter, operations: Iterable[Operation]) -> None:
        self.types = types
        self.model = types.model
        reached: set[str] = set()
        for op in operations:
            for p in op.params:
                if p.location in ("body", "query", "part"):
                    self._reach(p.type, reached)
                if p.reference is not None:
                    self._reach(p.reference, reached)
            if op.body_schema is not None:
                self._reach(Ref(op.body_schema), reached)
        for root in PARAM_ROOTS:
            self._reach(Ref(root), reached)
        taken = set(self.model.defs) | set(types.aliases)
        self.name_of: dict[str, str] = {}
        wanted = sorted(n for n in reached if self.needs_param(n))
        # `ChatCompletionTool` -> `ChatCompletionToolParam`, as in the official SDK, first;
        # then the spec's own `...Param` schemas (models `...ParamModel`) keep their name
        # where it is free, else take `...ParamDict` (the spec's `FunctionToolParam`, a
        # namespace's tool, beside `FunctionTool`'s `FunctionToolParam`, what `tools=` takes).
        for name in sorted(wanted, key=lambda n: n.endswith("ParamModel")):
            if name.endswith("ParamModel"):
                param = name[:-5] if name[:-5] not in taken else name[:-5] + "Dict"
            else:
                param = name + "Param"
                if param in taken:
                    param = name + "Dict"
            while param in taken:
                param += "_"
            taken.add(param)
            self.name_of[name] = param
        self.module_of: dict[str, str] = {
            param: params_module(types.module_of[name]) for name, param in self.name_of.items()
        }
        self.friendly: dict[str, str] = {}
        for alias, target in FRIENDLY_ALIASES.items():
            if alias.endswith("Param") and target in self.name_of and alias not in taken:
                self.friendly[alias] = self.name_of[target]
                self.module_of[alias] = self.module_of[self.name_of[target]]

    # -- what needs a param form

    def _reach(self, t: TypeExpr, seen: set[str]) -> None:
        if isinstance(t, Ref):
            if t.name in seen:
                return
            d = self.model.defs.get(t.name)
            if d is None:
                return
            seen.add(t.name)
            if isinstance(d, ClassDef):
                for f in d.fields:
                    self._reach(f.type, seen)
            else:
                self._reach(d.type, seen)
        elif isinstance(t, ListOf):
            self._reach(t.item, seen)
        elif isinstance(t, DictOf):
            self._reach(t.value, seen)
        elif isinstance(t, UnionOf):
            for m in t.members:
                self._reach(m, seen)

    def needs_param(self, name: str) -> bool:
        """Whether *name* has a TypedDict twin: a model, or an alias of models or containers."""
        d = self.model.defs.get(name)
        if isinstance(d, ClassDef):
            return True
        return isinstance(d, AliasDef) and _has_structure(self.model.defs, d.type, set())

    def param_of(self, name: str) -> str | None:
        """The param name of model or alias *name*, if it has one."""
        return self.name_of.get(name)

    # -- rendering

    def render(self, t: TypeExpr, used: set[str]) -> str:
        """*t* as a request value: TypedDicts for models, ``Sequence``/``Mapping`` for lists."""
        if isinstance(t, Prim):
            if t.name == "Any":
                used.add("Any")
            return t.name
        if isinstance(t, Lit):
            return self.types.render(t, used)
        if isinstance(t, Ref):
            param = self.name_of.get(t.name)
            if param is not None:
                used.add(param)
                return param
            used.add(t.name)
            return t.name
        if isinstance(t, ListOf):
            used.add("Sequence")
            return f"Sequence[{self.render(t.item, used)}]"
        if isinstance(t, DictOf):
            used.add("Mapping")
            return f"Mapping[str, {self.render(t.value, used)}]"
        parts: list[str] = []
        for m in t.members:
            if m == Prim("None"):
                continue
            text = self.render(m, used)
            if text not in parts:
                parts.append(text)
        if Prim("None") in t.members:
            parts.append("None")
        return " | ".join(parts)

    # -- modules

    def modules(self) -> dict[str, list[str]]:
        """Params module -> the param names it defines, sorted."""
        out: dict[str, list[str]] = {}
        for name, module in self.module_of.items():
            out.setdefault(module, []).append(name)
        return {m: sorted(names) for m, names in sorted(out.items())}

    def source_of(self, param: str) -> str:
        """The model or alias a param name stands for."""
        for name, p in self.name_of.items():
            if p == param:
                return name
        return self.source_of(self.friendly[param])

    def write_module(
        self,
        module: str,
        names: list[str],
        header: str,
        lazy: Mapping[str, tuple[str, str]] | None = None,
        unions: Mapping[str, list[tuple[str, str]]] | None = None,
        lists: Collection[str] = (),
    ) -> str:
        """The text of params module *module*; *lazy* names are re-exported on first use.

        *unions* are the official SDK's names of TypedDict unions our spec writes inline:
        name -> members (module, name); real aliases when this module may import every
        member at run time, else quoted ones (their members imported for typing only).
        Those in *lists* are a ``Sequence`` of that union (an inline array).
        """
        lazy = dict(lazy or {})
        unions = dict(unions or {})
        models_module = module.removesuffix(PARAMS_SUFFIX)
        by_param = {p: n for n, p in self.name_of.items()}
        used: set[str] = set()
        classes = [
            p for p in names if isinstance(self.model.defs.get(by_param.get(p, "")), ClassDef)
        ]
        aliases = [p for p in names if p in by_param and p not in classes]
        body: list[str] = [self._typed_dict(p, by_param[p], used) for p in classes]
        body.extend(self._alias(p, by_param[p], used) for p in self._alias_order(aliases, by_param))
        for alias in sorted(n for n in names if n in self.friendly):
            target = self.friendly[alias]
            used.update((target, "TypeAlias"))
            body.append(
                f'{alias}: TypeAlias = {target}\n"""The official SDK\'s name for `{target}`."""\n'
            )
        allowed = {models_module, *self.types.may_import(models_module)}
        typing_only: dict[str, set[str]] = {}
        for name, members in sorted(unions.items()):
            used.add("TypeAlias")
            parts = " | ".join(member for _, member in members)
            what = "list" if name in lists else "union"
            if name in lists:
                used.add("Sequence")
                parts = f"Sequence[{parts}]"
            if all(src.removesuffix(PARAMS_SUFFIX) in allowed for src, _ in members):
                used.update(member for _, member in members)
                body.append(
                    f"{name}: TypeAlias = {parts}\n"
                    f'"""The official SDK\'s name for this {what} (inline in our spec)."""\n'
                )
                continue
            used.add("TYPE_CHECKING")
            for src, member in members:
                if src != module:
                    typing_only.setdefault(src, set()).add(member)
            body.append(
                f'{name}: TypeAlias = "{parts}"\n'
                f'"""The official SDK\'s name for this {what} (quoted: its members live in '
                f'modules this one may not import at run time)."""\n'
            )

        local = set(names)
        imports = ["from __future__ import annotations", ""]
        abc = sorted(n for n in _ABC if n in used)
        if abc:
            imports.append(f"from collections.abc import {', '.join(abc)}")
        tail: list[str] = []
        if lazy:
            used.update(("TYPE_CHECKING", "Any"))
            imports += ["import importlib", ""]
        typing_names = sorted(n for n in _TYPING if n in used and n not in _NEW_TYPING)
        if typing_names:
            imports.append(f"from typing import {', '.join(typing_names)}")
        new = sorted(n for n in _NEW_TYPING if n in used)
        if new:
            # `Required` is 3.11's, and 3.10's `typing.TypedDict` ignores it.
            imports += [
                "import sys",
                "",
                "if sys.version_info >= (3, 11):",
                f"    from typing import {', '.join(new)}",
                "else:",
                f"    from typing_extensions import {', '.join(new)}",
            ]
        imports.append("")
        foreign: dict[str, set[str]] = {}
        for n in used:
            if n in local or n in _TYPING or n in _ABC:
                continue
            if n in self.module_of:
                source = self.module_of[n]
                if source.removesuffix(PARAMS_SUFFIX) not in allowed:
                    msg = f"types/{module}.py would import {n} from {source}"
                    raise ValueError(msg)
            else:
                source = self.types.module_of[n]
                if source not in allowed:
                    msg = f"types/{module}.py would import {n} from {source}"
                    raise ValueError(msg)
            foreign.setdefault(source, set()).add(n)
        imports.extend(
            f"from .{other} import {', '.join(sorted(foreign[other]))}" for other in sorted(foreign)
        )
        typing_only = {
            src: members - foreign.get(src, set()) for src, members in typing_only.items()
        }
        typing_only = {src: members for src, members in typing_only.items() if members}
        if typing_only:
            imports += ["", "if TYPE_CHECKING:"]
            imports += [
                f"    from .{src} import {', '.join(sorted(members))}"
                for src, members in sorted(typing_only.items())
            ]
        if lazy:
            lazy_imports, tail = lazy_exports(lazy)
            imports += lazy_imports
        title = (
            "shared by several areas"
            if models_module == "shared"
            else f"of the `{models_module}` API"
        )
        return "\n".join(
            [
                header,
                f'"""Request TypedDicts {title} (generated from the OpenAPI spec).',
                "",
                "Each ``*Param`` is the plain-dict form of a model a request takes (see",
                f"``types/{models_module}.py``); methods accept either.",
                '"""',
                "",
                *imports,
                "",
                "__all__ = [",
                *(f'    "{n}",' for n in sorted([*names, *lazy, *unions])),
                "]",
                "",
                "",
                "\n\n".join(body),
                *tail,
            ]
        )

    def _typed_dict(self, param: str, name: str, used: set[str]) -> str:
        d = self.model.defs[name]
        assert isinstance(d, ClassDef)
        used.add("TypedDict")
        doc = summarize(d.description, 500) or f"The `{name}` object, as a dict."
        doc_text = docstring([*doc_lines(doc), "", f"The request form of `{name}`."], "    ")
        keys: list[tuple[str, str]] = []
        for f in d.fields:
            t = self.render(f.type, used)
            if f.required:
                used.add("Required")
                t = f"Required[{t}]"
            keys.append((f.json_name, t))
        functional = any(
            not k.isidentifier() or keyword.iskeyword(k) or k in _TYPING or k in _ABC
            for k, _ in keys
        )
        if functional:
            # Keys Python cannot declare in a class body: the functional form, its types
            # quoted so that they stay lazy like the annotations of the class form.
            items = "".join(f'    "{k}": "{t}",\n' for k, t in keys)
            return f'{param} = TypedDict("{param}", {{\n{items}}}, total=False)\n' + docstring(
                doc_lines(doc), ""
            )
        lines = [f"class {param}(TypedDict, total=False):", doc_text.rstrip("\n")]
        if keys:
            lines.append("")
            lines.extend(f"    {k}: {t}" for k, t in keys)
        return "\n".join(lines) + "\n"

    def _alias(self, param: str, name: str, used: set[str]) -> str:
        d = self.model.defs[name]
        assert isinstance(d, AliasDef)
        used.add("TypeAlias")
        text = f"{param}: TypeAlias = {self.render(d.type, used)}\n"
        doc = summarize(d.description, 500)
        lines = [*doc_lines(doc), ""] if doc else []
        return text + docstring([*lines, f"The request form of `{name}`."], "")

    def _alias_order(self, aliases: list[str], by_param: dict[str, str]) -> list[str]:
        """Param aliases after the param aliases they use (runtime values)."""
        pending = set(aliases)
        deps: dict[str, set[str]] = {}
        for p in aliases:
            d = self.model.defs[by_param[p]]
            assert isinstance(d, AliasDef)
            used = {self.name_of.get(name) for name in refs(d.type)}
            deps[p] = {u for u in used if u in pending} - {p}
        return dependency_order(deps, "a params module")


def _has_structure(defs: dict[str, object], t: TypeExpr, seen: set[str]) -> bool:
    """Whether *t* holds a model, a list or a map (so that its request form differs)."""
    if isinstance(t, ListOf | DictOf):
        return True
    if isinstance(t, Ref):
        d = defs.get(t.name)
        if isinstance(d, ClassDef):
            return True
        if isinstance(d, AliasDef) and t.name not in seen:
            return _has_structure(defs, d.type, seen | {t.name})
        return False
    if isinstance(t, UnionOf):
        return any(_has_structure(defs, m, seen) for m in t.members)
    return False
