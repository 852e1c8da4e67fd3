"""The official SDK's names: ``openai.types.beta.threads.Run`` resolves in trio_openai too.

``tools/codegen/official_aliases.json`` maps official dotted names to the generated
name that denotes the same schema (first written by ``tools/name_parity.py``, which
matches them by fields, tags and names; kept by hand since). The generator makes each
resolve at the official dotted path, under ``trio_openai.types``:

- at the top (``openai.types.X``): an entry of ``types/__init__.py``'s lazy table;
- in one of our modules (``openai.types.chat.X``): a lazy alias of that module
  (``types/chat.py`` re-exports it, imported on first use);
- anywhere else (``openai.types.beta.threads.X``): an alias package
  (``types/beta/threads/__init__.py``) of plain re-exports. A models module with such
  a package below it (``types/fine_tuning`` for ``openai.types.fine_tuning.jobs``) is
  written as a package.

Its ``unions`` and ``lists`` name the members of a union our spec writes inline (a
``oneOf`` in a field) and of the union an inline array holds: each is written where the
official name lives, a union or list of TypedDicts in a params module (the top's in its
first member's; a models module's list in its params module, re-exported), as a real
alias where that module may import every member at run time, else quoted.

A target that no longer exists (renamed since the file was written) is tried with its
``Param``/``Dict`` suffixes swapped, then reported and left out (`Official.dropped`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .names import FRIENDLY_ALIASES

ALIASES_FILE = Path(__file__).with_name("official_aliases.json")
_PREFIX = "openai.types"
_OURS = "trio_openai.types."


@dataclass
class Official:
    """Where each official name resolves.

    Attributes:
        top: ``types/__init__`` names -> (our module, our name).
        in_module: Our module -> its extra names -> (our module, our name).
        packages: Alias package (dotted, below ``types``) -> names -> (module, name).
        unions: Module or package -> union name -> its members (module, name).
        lists: The names in *unions* that are lists of that union of members (the
            official SDK's ``...List`` aliases of an array our spec writes inline).
        field_aliases: Our module -> alias name -> (model, field): the official name of
            an inline enum, the type of that field of that model.
        dropped: Official names whose target is not generated, with the target.
    """

    top: dict[str, tuple[str, str]] = field(default_factory=dict)
    in_module: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    packages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    unions: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)
    lists: set[str] = field(default_factory=set)
    field_aliases: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)

    def package_modules(self, modules: set[str]) -> set[str]:
        """Our modules written as packages: those with an alias package below them."""
        return {p.split(".")[0] for p in self.packages} & modules


def _resolve(
    target: str, defined: dict[str, str], params: dict[str, str], *, want_param: bool
) -> tuple[str, str] | None:
    """(module, name) of *target* (``trio_openai.types.m.Name``) among *defined* names.

    With *want_param* (an official ``...Param`` name: a request TypedDict), a model
    target stands for its TypedDict (*params*: model -> TypedDict).
    """
    name = target.removeprefix(_OURS).rsplit(".", 1)[-1]
    name = FRIENDLY_ALIASES.get(name, name) if want_param else name
    if want_param and name in params:
        name = params[name]
    candidates = [name]
    if name.endswith("Dict"):
        candidates.append(name.removesuffix("Dict") + "Param")
    if name.endswith("ParamDict"):
        candidates.append(name.removesuffix("Dict"))
    if name.endswith("Param"):
        candidates += [name + "Dict", name.removesuffix("Param") + "ParamModel"]
    for candidate in candidates:
        if candidate in defined:
            return defined[candidate], candidate
    return None


def load(
    defined: dict[str, str],
    modules: set[str],
    params: dict[str, str],
    path: Path = ALIASES_FILE,
) -> Official:
    """The official names of *path*, placed (see the module docstring).

    Args:
        defined: Every generated name -> its module (models, aliases, TypedDicts).
        modules: Our types modules (``chat``, ``chat_params``, ...).
        params: Model or alias name -> its request TypedDict's name.
        path: The aliases file.
    """
    out = Official()
    if not path.is_file():
        return out
    data = json.loads(path.read_text(encoding="utf-8"))
    lists: dict[str, list[str]] = data.get("lists", {})
    for dotted, members in sorted({**data.get("unions", {}), **lists}.items()):
        package, name = dotted.rsplit(".", 1)
        package = package.removeprefix(_PREFIX).lstrip(".")
        want = name.endswith("Param")
        found = [_resolve(m, defined, params, want_param=want) for m in members]
        home = package
        if not package and all(f is not None for f in found):
            # A union at the top (`openai.types.FileChunkingStrategy`) lives in its first
            # member's module (a params module for TypedDicts), and the top names it there.
            home = next(f for f in found if f is not None)[0]
        # A params module may hold a TypedDict union whose name another module's model
        # union has (`shared_params.CustomToolInputFormat` beside `CustomToolInputFormat`).
        taken = name in defined and (not home.endswith("_params") or defined[name] == home)
        if not home or any(f is None for f in found) or (home in modules and taken):
            out.dropped[dotted] = " | ".join(members)
            continue
        placed = [f for f in found if f is not None]
        if dotted in lists:
            out.lists.add(name)
            of_dicts = all(m.endswith("_params") for m, _ in placed)
            if of_dicts and home in modules and f"{home}_params" in modules:
                # A list of TypedDicts lives in the params module; the models module
                # re-exports it (`responses.ResponseFunctionCallOutputItemListParam`).
                out.in_module.setdefault(home, {})[name] = (f"{home}_params", name)
                home = f"{home}_params"
        out.unions.setdefault(home, {})[name] = placed
        if home in modules and name not in defined:
            defined = {**defined, name: home}  # aliases below may name it
            if not package:
                out.top[name] = (home, name)
    entries: dict[str, str] = data["aliases"]
    # Official `...Param` names that are models, not TypedDicts (the SDK's compaction and
    # tool-search output items): their targets are kept as models.
    models = set(data.get("models", ()))
    for dotted, target in sorted(entries.items()):
        package, name = dotted.rsplit(".", 1)
        package = package.removeprefix(_PREFIX).lstrip(".")
        owner, _, field_name = target.removeprefix(_OURS).rpartition(".")
        model = owner.rpartition(".")[2]
        if field_name[:1].islower() and model in defined:
            # `...CreateEmbeddingRequest.model`: the type of a field (an inline enum), made
            # an alias under the official name in the model's module.
            module = defined[model]
            out.field_aliases.setdefault(module, {})[name] = (model, field_name)
            if package != module:
                defined_here = {**defined, name: module}
                where = _resolve(f"{_OURS}{module}.{name}", defined_here, params, want_param=False)
            else:
                continue
        else:
            want = name.endswith("Param") and dotted not in models
            where = _resolve(target, defined, params, want_param=want)
        if where is None:
            out.dropped[dotted] = target
            continue
        if not package:
            # At the top, the official meaning wins (`openai.types.Moderation` is a
            # moderation result; our `types.Moderation`, the Responses API's moderation
            # settings, stays at `types.responses.Moderation`).
            if defined.get(name) != where[0] or name != where[1]:
                out.top[name] = where
        elif package in modules:
            if defined.get(name) != package:
                out.in_module.setdefault(package, {})[name] = where
        else:
            out.packages.setdefault(package, {})[name] = where
    return out


def write_package(
    package: str,
    names: dict[str, tuple[str, str]],
    header: str,
    unions: dict[str, list[tuple[str, str]]] | None = None,
    lists: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The text of alias package *package* (``beta.threads``): re-exports, and unions.

    Args:
        package: Its dotted path below ``trio_openai.types``.
        names: Name -> (our module, our name).
        header: The generated-file header.
        unions: Name -> its members (our module, our name): a union our spec writes
            inline (one of models also takes `UnknownObject`).
        lists: The names in *unions* that are lists of it (``list[...]`` of models,
            ``Sequence[...]`` of TypedDicts).
    """
    unions = unions or {}
    sequences = False
    by_module: dict[str, list[tuple[str, str]]] = {}
    for name, (module, ours) in sorted(names.items()):
        by_module.setdefault(module, []).append((ours, name))
    body: list[str] = []
    for name, members in sorted(unions.items()):
        parts = [f"_{m}_{n}" for m, n in members]
        for module, member in members:
            by_module.setdefault(module, []).append((member, f"_{module}_{member}"))
        of_dicts = all(module.endswith("_params") for module, _ in members)
        if not of_dicts:
            parts.append("UnknownObject")
        value, what = " | ".join(parts), "union"
        if name in lists:
            value, what = (f"Sequence[{value}]" if of_dicts else f"list[{value}]"), "list"
            sequences = sequences or of_dicts
        body.append(
            f"{name}: TypeAlias = {value}\n"
            f'"""The official SDK\'s name for this {what} of ours (inline in our spec)."""\n'
        )
    imports = ["from __future__ import annotations", ""]
    if sequences:
        imports += ["from collections.abc import Sequence", ""]
    if unions:
        imports += [
            "from typing import TypeAlias",
            "",
            "from trio_openai._api import UnknownObject",
        ]
    for module in sorted(by_module):
        pairs = sorted(set(by_module[module]))
        parts = ", ".join(o if o == n else f"{o} as {n}" for o, n in pairs)
        imports.append(f"from trio_openai.types.{module} import {parts}")
    return "\n".join(
        [
            header,
            f'"""The official SDK\'s names of ``openai.types.{package}`` (aliases).',
            "",
            "Each name denotes the same schema as the official one; it is defined in",
            "the ``trio_openai.types`` module it is imported from here.",
            '"""',
            "",
            *imports,
            "",
            "__all__ = [",
            *(f'    "{n}",' for n in sorted([*names, *unions])),
            "]",
            "",
            "",
            "\n\n".join(body),
        ]
    )
