"""Name parity with the official SDK's ``openai.types``: what resolves, what should alias.

    .venv/bin/python tools/name_parity.py            # a table by module, then what is missing
    .venv/bin/python tools/name_parity.py --write    # also rewrite tools/official_names.json
    .venv/bin/python tools/name_parity.py --missing  # every missing name with its category

Needs the official SDK (the ``bench`` extra). Issue 13 asks that every name of
``openai.types.*`` whose schema exists in our spec resolves at the same dotted path in
``trio_openai.types`` (``openai.types.chat.ChatCompletionMessageParam`` ->
``trio_openai.types.chat.ChatCompletionMessageParam``), an alias being fine.

**Public names.** ``openai.types`` and each of its sub-packages (every folder with an
``__init__.py``, walked recursively) is a namespace; its public names are the names in
the package's namespace after import that do not start with ``_``, less the sub-modules
and sub-packages themselves (attributes an import leaves behind, such as
``openai.types.chat.completion_create_params``) and the ``annotations`` feature of
``from __future__ import annotations``. The packages' ``__init__`` files only re-export
(``from .x import Y as Y``), so nothing else (no ``typing`` helper) needs excluding.
A name re-exported by two packages counts once per package (``openai.types.Metadata`` and
``openai.types.shared.Metadata``: a user may import either). Classes (pydantic models,
``TypedDict``s) and type aliases (``Union``, ``Literal``, ``Annotated``, ``List``) all count.

**Resolves** means ``getattr`` along the same dotted path works in ``trio_openai.types``
(importing the longest prefix that is a module, then attributes) and finds a thing of the
SDK's kind: a ``TypedDict`` (or an alias) for a ``TypedDict``, no ``TypedDict`` for a
model, and, between two classes, at least half of the JSON fields shared. A name there
that fails this is *shadowed* (``responses.FunctionToolParam`` naming the attrs model of
the spec's own ``FunctionToolParam`` schema): it counts as missing, with ``shadowed``
saying what is there.

**Category of a name that does not resolve** (decided by matching, recorded with how):

- ``alias``: a class or alias of ours denotes the same schema. Found, in this order, by
  the same name elsewhere in ``trio_openai.types`` (also with ``Param`` / ``ParamDict``
  swapped); by the set of JSON field names (exact, or at least 75% overlap) together
  with the ``type`` tag, the first docstring line and the name's words; for ``Literal``
  aliases by their set of values; for unions by their matched members. The target is
  where the name should point; ``schema`` is the spec schema when the target is one.
  A union or enum our spec writes inline (a ``oneOf`` or ``enum`` inside a field) has no
  target: ``members`` lists what to compose it of (the union's classes of ours, or the
  union or the field whose ``Literal`` it is).
- ``sdk_only``: nothing of ours matches (the reason says which kind of SDK helper it is).

The matching is a heuristic: ``how`` and ``score`` say why each target was chosen, so
that a wrong one is easy to spot and to fix in the JSON by hand.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import sys
import types
import typing
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "openapi" / "openai-openapi.yaml"
RECORD = ROOT / "tools" / "official_names.json"
OFFICIAL = "openai.types"
OURS = "trio_openai.types"

ALIAS = "alias"
SDK_ONLY = "sdk_only"
RESOLVES = "resolves"

_TAG = re.compile(r"Literal\[\s*['\"]([^'\"]+)['\"]\s*\]")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+")


# ---------------------------------------------------------------------------- shapes


@dataclass
class Shape:
    """What a class or alias looks like, for matching: its fields, tag, words, docstring."""

    dotted: str
    kind: str  # "model", "typeddict", "literal", "union", "list", "other"
    fields: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()  # a TypedDict's required keys
    tag: str | None = None
    doc: str = ""
    values: frozenset[Any] = frozenset()  # Literal values
    members: tuple[Any, ...] = ()  # union members / list item (runtime objects)
    obj: Any = None

    @property
    def name(self) -> str:
        return self.dotted.rsplit(".", 1)[1]


def _unknown_object() -> type:
    """Our forward-compatible union member, left out when unions are compared."""
    from trio_openai.types import UnknownObject

    return UnknownObject


def _first_doc_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip().rstrip(".").lower()
    return ""


def _unwrap(obj: Any) -> Any:
    """An ``Annotated[X, ...]`` alias as ``X`` (the SDK's discriminated unions)."""
    while typing.get_origin(obj) is typing.Annotated:
        obj = typing.get_args(obj)[0]
    return obj


def _is_class(obj: object) -> bool:
    return isinstance(obj, type) and (hasattr(obj, "model_fields") or _is_typeddict(obj))


def _is_typeddict(obj: object) -> bool:
    return isinstance(obj, type) and hasattr(obj, "__required_keys__")


def shape_of(dotted: str, obj: Any) -> Shape:
    """The matching features of *obj* (an official or an own class or alias)."""
    import attrs

    if isinstance(obj, type) and hasattr(obj, "model_fields"):  # pydantic
        fields = {f.alias or name for name, f in obj.model_fields.items()}
        tag_field = obj.model_fields.get("type") or obj.model_fields.get("object")
        tag = _tag(str(tag_field.annotation)) if tag_field is not None else None
        return Shape(dotted, "model", frozenset(fields), tag=tag, doc=_first_doc_line(obj), obj=obj)
    if _is_typeddict(obj):
        keys = set(obj.__required_keys__) | set(obj.__optional_keys__)
        annotations = _annotations(obj)
        tag = _tag(str(annotations.get("type", annotations.get("object", ""))))
        required = _required_keys(obj, annotations)
        return Shape(
            dotted, "typeddict", frozenset(keys), required, tag, _first_doc_line(obj), obj=obj
        )
    if isinstance(obj, type) and attrs.has(obj):
        fields = {
            f.metadata.get("json", f.name)
            for f in attrs.fields(obj)
            if f.init and not f.name.startswith("_") and f.name != "model_extra"
        }
        by_json = {f.metadata.get("json", f.name): f for f in attrs.fields(obj)}
        tag_field = by_json.get("type") or by_json.get("object")
        tag = _tag(str(tag_field.type)) if tag_field is not None else None
        return Shape(dotted, "model", frozenset(fields), tag=tag, doc=_first_doc_line(obj), obj=obj)
    inner = _unwrap(obj)
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        return Shape(dotted, "literal", values=frozenset(typing.get_args(inner)), obj=obj)
    if origin is typing.Union or isinstance(inner, types.UnionType):
        return Shape(dotted, "union", members=typing.get_args(inner), obj=obj)
    if origin in (list, typing.List, Sequence, typing.Sequence):  # noqa: UP006 (the SDK's)
        return Shape(dotted, "list", members=typing.get_args(inner), obj=obj)
    return Shape(dotted, "other", obj=obj)


def _required_keys(cls: type, annotations: dict[str, Any]) -> frozenset[str]:
    """A TypedDict's required keys, read from ``Required[...]`` in string annotations too.

    Under ``from __future__ import annotations`` on Python 3.10 ``__required_keys__``
    cannot see ``Required``; both the SDK's and our TypedDicts are written that way.
    """
    required = set(cls.__required_keys__)
    for key, annotation in annotations.items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if re.search(r"(?<!Not)Required\[", text):
            required.add(key)
        elif "NotRequired[" in text:
            required.discard(key)
    return frozenset(required)


def _annotations(cls: type) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        merged.update(getattr(base, "__annotations__", {}))
    return merged


_LITERAL = re.compile(r"Literal\[([^\[\]]*)\]")
_QUOTED = re.compile(r"['\"]([^'\"]*)['\"]")


def _field_enums(shape: Shape) -> list[tuple[frozenset[str], str]]:
    """The inline enums (``Literal[...]`` of two values or more) of an attrs model's fields."""
    import attrs

    found: list[tuple[frozenset[str], str]] = []
    for f in attrs.fields(shape.obj):
        for literal in _LITERAL.findall(str(f.type)):
            values = frozenset(_QUOTED.findall(literal))
            if len(values) >= 2:
                found.append((values, f"{shape.dotted}.{f.metadata.get('json', f.name)}"))
    return found


def _tag(annotation: str) -> str | None:
    found = _TAG.findall(annotation)
    return found[0] if len(found) == 1 else None


def _overlap(a: Shape, b: Shape) -> float:
    union = a.fields | b.fields
    return len(a.fields & b.fields) / len(union) if union else 0.0


def affinity(official: Shape, ours: Shape) -> float:
    """1.0 when our module is the official package's namesake (chat <-> chat_params)."""
    package = official.dotted.removeprefix(OFFICIAL + ".").rsplit(".", 1)[0]
    official_parts = set(package.split(".")) if "." in official.dotted[13:] else set()
    module = ours.dotted.removeprefix(OURS + ".").rsplit(".", 1)[0].removesuffix("_params")
    return 1.0 if module in official_parts else 0.0


def words(name: str) -> frozenset[str]:
    """The lower-case words of a CamelCase name, less the SDK's and our suffixes."""
    found = [w.lower() for w in _WORDS.findall(name)]
    return frozenset(w for w in found if w not in {"param", "params", "dict", "union"})


# ---------------------------------------------------------------------- the official SDK


def official_packages() -> list[types.ModuleType]:
    """``openai.types`` and every sub-package, depth first."""
    found: list[types.ModuleType] = []

    def walk(package: types.ModuleType) -> None:
        found.append(package)
        for info in pkgutil.iter_modules(package.__path__):
            if info.ispkg:
                walk(importlib.import_module(f"{package.__name__}.{info.name}"))

    walk(importlib.import_module(OFFICIAL))
    return found


def official_names() -> dict[str, Any]:
    """Every public name of ``openai.types.*`` (module docstring), dotted -> object."""
    import __future__

    names: dict[str, Any] = {}
    for package in official_packages():
        for name, value in sorted(vars(package).items()):
            if name.startswith("_") or isinstance(value, types.ModuleType):
                continue
            if isinstance(value, __future__._Feature):
                continue
            names[f"{package.__name__}.{name}"] = value
    return names


def official_version() -> str:
    import openai

    return str(openai.__version__)


# ------------------------------------------------------------------------------- ours


def ours_dotted(official: str) -> str:
    """The dotted path a name of ``openai.types`` should have in ``trio_openai.types``."""
    return OURS + official.removeprefix(OFFICIAL)


class _OurNames(dict[str, Any]):
    """``trio_openai.types``' names, looked up lazily: the namespace of a quoted alias."""

    def __missing__(self, name: str) -> Any:
        package = importlib.import_module(OURS)
        try:
            return getattr(package, name)
        except AttributeError:
            raise KeyError(name) from None


def evaluate(value: Any) -> Any:
    """A quoted alias of ours (``X: TypeAlias = "A | B"``, a ``str`` at run time) as its type.

    Left as it is when it is no string or does not evaluate.
    """
    if not isinstance(value, str):
        return value
    try:
        return eval(value, {}, _OurNames())
    except Exception:  # noqa: BLE001 (any failure: keep the string)
        return value


def lookup(dotted: str) -> Any:
    """The object at *dotted* (under ``trio_openai``): longest module, then attributes.

    Raises:
        LookupError: nothing is there.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            raise LookupError(dotted) from None
        return obj
    raise LookupError(dotted)


def resolves(dotted: str) -> bool:
    """Whether *dotted* (under ``trio_openai``) is reachable (see `lookup`)."""
    try:
        lookup(dotted)
    except LookupError:
        return False
    return True


def _shadowing_object(official: Shape) -> Any:
    """Our object at *official*'s path when it is another thing (else ``None``)."""
    if shadowed_by(official.dotted, official.obj) is None:
        return None
    return lookup(ours_dotted(official.dotted))


def shadowed_by(official_dotted: str, official: Any) -> str | None:
    """What our name at the official path is, when it is another thing than *official*.

    A ``TypedDict`` of the SDK must be a ``TypedDict`` (or an alias) here requiring no key
    the SDK's leaves optional, a model must not be a ``TypedDict``, two classes must share
    at least half their JSON fields, and a union of the SDK's TypedDicts must not be one of
    attrs models: otherwise a user's dict literal or attribute access written for the SDK
    fails.
    ``None`` when nothing is there or it is compatible.
    """
    try:
        ours = evaluate(lookup(ours_dotted(official_dotted)))
    except LookupError:
        return None
    mine, theirs = shape_of("x.Ours", ours), shape_of(official_dotted, official)
    why = ""
    if theirs.kind == "typeddict" and mine.kind == "model":
        why = "an attrs model, not a TypedDict"
    elif theirs.kind == "model" and mine.kind == "typeddict":
        why = "a TypedDict, not a model"
    elif mine.fields and theirs.fields and _overlap(mine, theirs) < 0.5:
        why = f"another schema (fields {sorted(mine.fields)[:6]})"
    elif theirs.kind == mine.kind == "typeddict" and mine.required - theirs.required:
        # Fewer required keys than the SDK's is fine: a dict written for the SDK passes.
        why = f"requires {sorted(mine.required - theirs.required)}, which the SDK's does not"
    elif theirs.kind in ("union", "list") and mine.kind in ("union", "list"):
        kinds = _member_kinds(theirs), _member_kinds(mine)
        if kinds[0] == {"typeddict"} and "model" in kinds[1] and "typeddict" not in kinds[1]:
            why = f"a {mine.kind} of attrs models, not of TypedDicts"
        elif kinds[0] == {"model"} and kinds[1] == {"typeddict"}:
            why = f"a {mine.kind} of TypedDicts, not of models"
    if not why:
        return None
    where = getattr(ours, "__qualname__", None)
    where = f"{ours.__module__}.{where}" if where else ours_dotted(official_dotted)
    return f"{where}: {why}"


def _member_kinds(shape: Shape) -> set[str]:
    """The kinds of a union's (or a list's item's) class members, aliases unwrapped."""
    kinds: set[str] = set()
    for member in shape.members:
        inner = shape_of("x.Member", _unwrap(member))
        if inner.kind in ("union", "list"):
            kinds |= _member_kinds(inner)
        elif inner.kind in ("model", "typeddict") and inner.obj is not _unknown_object():
            kinds.add(inner.kind)
    return kinds


def our_shapes() -> list[Shape]:
    """Every public class and alias of ours, where it is defined (or first exported)."""
    package = importlib.import_module(OURS)
    shapes: list[Shape] = []
    seen: set[int] = set()
    # The package last: an alias is then named by the module that defines it.
    modules = [info.name for info in pkgutil.walk_packages(package.__path__, f"{OURS}.")]
    modules.append(package.__name__)
    for module_name in modules:
        module = importlib.import_module(module_name)
        exported = getattr(module, "__all__", None)
        names = exported if exported is not None else [n for n in vars(module) if n[0] != "_"]
        for name in names:
            value = evaluate(getattr(module, name, None))
            if value is None or isinstance(value, types.ModuleType):
                continue
            defined_here = getattr(value, "__module__", module_name) == module_name
            if isinstance(value, type) and not defined_here:
                continue
            if id(value) in seen and isinstance(value, type):
                continue
            seen.add(id(value))
            shapes.append(shape_of(f"{module_name}.{name}", value))
    return shapes


def spec_schemas() -> set[str]:
    """The names of the spec's component schemas (empty when the spec is not beside us)."""
    if not SPEC.exists():
        return set()
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as stream:
        return set(yaml.load(stream, Loader=loader)["components"]["schemas"])


# -------------------------------------------------------------------------- matching


@dataclass
class Verdict:
    """What becomes of one official name."""

    category: str  # RESOLVES, ALIAS, SDK_ONLY
    target: str | None = None
    how: str = ""
    score: float = 0.0
    reason: str = ""
    schema: str | None = None
    members: list[str] | None = None
    shadowed: str | None = None  # what our name at the official path is instead

    def record(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"shadowed": self.shadowed} if self.shadowed else {}
        if self.category == SDK_ONLY:
            out = {"category": SDK_ONLY, "target": None, "reason": self.reason}
            return out | ({"members": self.members} if self.members else {}) | extra
        out: dict[str, Any] = {"category": ALIAS, "target": self.target, "how": self.how}
        out |= ({"members": self.members} if self.members else {}) | extra
        if self.schema:
            out["schema"] = self.schema
        if self.score:
            out["score"] = round(self.score, 2)
        return out


@dataclass
class Matcher:
    """Matches official names to our classes and aliases (module docstring)."""

    ours: list[Shape]
    schemas: set[str]
    by_name: dict[str, list[Shape]] = field(default_factory=lambda: defaultdict(list))
    by_values: dict[frozenset[Any], list[Shape]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[int, Shape] = field(default_factory=dict)
    classes: list[Shape] = field(default_factory=list)
    matched: dict[int, int] = field(default_factory=dict)  # id(official obj) -> id(ours)
    matched_repr: dict[str, int] = field(default_factory=dict)  # the same, by repr
    inline_enums: list[tuple[frozenset[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for shape in self.ours:
            self.by_name[shape.name].append(shape)
            self.by_id[id(shape.obj)] = shape
            if shape.kind == "literal":
                self.by_values[shape.values].append(shape)
            if shape.kind in ("model", "typeddict") and shape.fields:
                self.classes.append(shape)
            if shape.kind == "model":
                self.inline_enums += _field_enums(shape)

    def _schema(self, target: str) -> str | None:
        name = target.rsplit(".", 1)[1]
        for candidate in (name, name.removesuffix("Dict"), name.removesuffix("Param")):
            if candidate in self.schemas:
                return candidate
        return None

    def _verdict(self, target: Shape, how: str, score: float = 0.0) -> Verdict:
        return Verdict(ALIAS, target.dotted, how, score, schema=self._schema(target.dotted))

    def _same_name(self, official: Shape) -> Verdict | None:
        name = official.name
        variants = [name]
        if name.endswith("Param"):
            base = name.removesuffix("Param")
            variants += [name + "Dict", base + "Dict", base]
        elif _is_typeddict(official.obj):
            variants += [name + "Param", name + "ParamDict", name + "Dict"]
        shadow = _shadowing_object(official)
        found: list[tuple[str, Shape]] = []
        for variant in variants:
            found += [
                (variant, c)
                for c in self.by_name.get(variant, [])
                if c.obj is not shadow
                # The same name for another schema (realtime's and responses' events):
                # the fields must agree too.
                and (not (official.fields and c.fields) or _overlap(official, c) >= 0.5)
            ]
        if official.kind == "typeddict" and any(c.kind == "typeddict" for _, c in found):
            found = [(v, c) for v, c in found if c.kind == "typeddict"]
        if not found:
            return None
        variant, best = max(
            found,
            key=lambda vc: (
                affinity(official, vc[1]),
                vc[1].kind == official.kind,
                _overlap(official, vc[1]) if official.fields else 0.0,
                official.kind != "typeddict" or vc[1].required == official.required,
                vc[0] == name,
            ),
        )
        how = "same name" if variant == name else f"same schema name ({variant})"
        return self._verdict(best, how)

    def _by_fields(self, official: Shape) -> Verdict | None:
        if not official.fields:
            return None
        best: tuple[float, Shape, str] | None = None
        official_words = words(official.name)
        for ours in self.classes:
            overlap = _overlap(official, ours)
            if overlap < 0.75:
                continue
            if official.tag and ours.tag and official.tag != ours.tag:
                continue
            our_words = words(ours.name)
            named = len(official_words & our_words) / max(len(official_words | our_words), 1)
            same_tag = bool(official.tag and official.tag == ours.tag)
            same_doc = bool(official.doc and official.doc == ours.doc)
            exact = overlap == 1.0
            if exact:
                evidence = named >= 0.25 or same_tag or same_doc
            else:  # near: a newer SDK added a field or two; ask for more evidence
                evidence = len(official.fields) >= 3 and named >= 0.4
                evidence = evidence and (same_tag or same_doc or overlap >= 0.8)
                evidence = evidence or (same_tag and same_doc)
            if not evidence:
                continue
            score = 2.0 * overlap + 1.5 * named + 1.0 * same_tag + 1.0 * same_doc
            score += 0.5 * (ours.kind == official.kind) + 1.0 * affinity(official, ours)
            if official.kind == ours.kind == "typeddict":
                score += 0.5 * (official.required == ours.required)
            if ours.name.startswith("Beta") and not official.name.startswith("Beta"):
                score -= 1.0
            how = "fields" if exact else f"fields ~{overlap:.0%}"
            if best is None or score > best[0]:
                best = (score, ours, how)
        if best is None:
            return None
        score, ours, how = best
        return self._verdict(ours, how, score)

    def _by_values(self, official: Shape) -> Verdict | None:
        official_words = words(official.name)
        best: tuple[float, Shape, str] | None = None
        for values, candidates in self.by_values.items():
            overlap = len(values & official.values) / len(values | official.values)
            if overlap < 0.6:
                continue
            for ours in candidates:
                our_words = words(ours.name)
                named = len(official_words & our_words) / max(len(official_words | our_words), 1)
                if overlap < 1.0 and named < 0.5:
                    continue  # near values alone: too weak (many small enums look alike)
                score = 2 * overlap + named + affinity(official, ours)
                how = "literal values" if overlap == 1.0 else f"literal values ~{overlap:.0%}"
                if best is None or score > best[0]:
                    best = (score, ours, how)
        if best is None:
            return None
        return self._verdict(best[1], best[2], best[0])

    def _remember(self, official: Any, ours: Any) -> None:
        self.matched.setdefault(id(official), id(ours))
        self.matched_repr.setdefault(repr(official), id(ours))

    def _member_keys(self, members: tuple[Any, ...], official: bool) -> set[tuple[str, Any]]:
        keys: set[tuple[str, Any]] = set()
        for wrapped in members:
            member = _unwrap(wrapped)
            if member is _unknown_object():
                continue
            if official and id(member) not in self.matched and repr(member) in self.matched_repr:
                self.matched[id(member)] = self.matched_repr[repr(member)]
            if official and id(member) not in self.matched and _is_class(member):
                self._match_unexported(member)
            if official and id(member) in self.matched:
                keys.add(("ours", self.matched[id(member)]))
            elif official and _is_class(member):
                keys.add(("unmatched", id(member)))
            elif not official and id(member) in self.by_id:
                keys.add(("ours", id(member)))
            else:
                keys.add(("repr", repr(member)))
        return keys

    def _match_unexported(self, member: type) -> None:
        """Match a union member the SDK does not export (``ServerVad`` inside a module)."""
        shape = shape_of(f"{member.__module__}.{member.__qualname__}", member)
        for step in (self._by_fields,):
            verdict = step(shape)
            if verdict is not None and verdict.target:
                self.matched[id(member)] = id(_unwrap(evaluate(lookup(verdict.target))))
                return

    def _by_members(self, official: Shape) -> Verdict | None:
        wanted = self._member_keys(official.members, official=True)
        if not wanted or sum(1 for kind, _ in wanted if kind != "unmatched") < len(wanted) / 2:
            return None
        best: tuple[float, Shape] | None = None
        for ours in self.ours:
            if ours.kind != official.kind:
                continue
            have = self._member_keys(ours.members, official=False)
            if not have:
                continue
            overlap = len(wanted & have) / len(wanted | have)
            if overlap >= 0.6 and (best is None or overlap > best[0]):
                best = (overlap, ours)
        if best is None:
            matched = [
                self.by_id[key].dotted
                for kind, key in sorted(wanted, key=str)
                if kind == "ours" and key in self.by_id
            ]
            if matched and len(matched) == len(wanted):
                # The spec writes this union inline (a oneOf in a field): it exists, unnamed.
                how = f"inline {official.kind} in our spec: compose it of members"
                return Verdict(ALIAS, None, how, members=matched)
            return None
        return self._verdict(best[1], f"{official.kind} members ~{best[0]:.0%}", best[0])

    def classify(self, dotted: str, obj: Any) -> Verdict:
        """The verdict for one official name (``RESOLVES`` when it is already there)."""
        official = shape_of(dotted, obj)
        there = shadowed_by(dotted, obj)
        if there is None and resolves(ours_dotted(dotted)):
            self._remember(_unwrap(obj), _unwrap(evaluate(lookup(ours_dotted(dotted)))))
            return Verdict(RESOLVES, ours_dotted(dotted), "resolves")
        verdict = self._classify(official)
        if there is not None:
            verdict.shadowed = there
        return verdict

    def _classify(self, official: Shape) -> Verdict:
        obj = official.obj
        if official.name.startswith("Parsed"):
            return Verdict(SDK_ONLY, reason=sdk_only_reason(official))
        steps = [self._same_name]
        if official.kind in ("model", "typeddict"):
            steps.append(self._by_fields)
        elif official.kind == "literal":
            steps.append(self._by_values)
        elif official.kind in ("union", "list"):
            steps.append(self._by_members)
        for step in steps:
            verdict = step(official)
            if verdict is not None:
                if verdict.target:
                    self._remember(_unwrap(obj), _unwrap(evaluate(lookup(verdict.target))))
                return verdict
        if official.kind == "literal":
            inside = self._literal_inside(official)
            if inside is not None:
                how = "inline enum of our spec: the Literal member of the union in members"
                return Verdict(ALIAS, None, how, members=[inside.dotted])
            in_field = self._enum_of_field(official)
            if in_field is not None:
                how = "inline enum of our spec: the Literal of the field in members"
                return Verdict(ALIAS, None, how, members=[in_field])
        return Verdict(SDK_ONLY, reason=sdk_only_reason(official))

    def _enum_of_field(self, official: Shape) -> str | None:
        """The field of ours whose ``Literal`` is much like *official*'s values."""
        values = frozenset(str(v) for v in official.values)
        best: tuple[float, str] | None = None
        official_words = words(official.name)
        for enum, where in self.inline_enums:
            overlap = len(enum & values) / len(enum | values)
            named = len(official_words & words(where.replace(".", "_").title().replace("_", "")))
            score = overlap + 0.1 * named
            if overlap >= 0.75 and len(values) >= 2 and (best is None or score > best[0]):
                best = (score, where)
        return best[1] if best else None

    def _literal_inside(self, official: Shape) -> Shape | None:
        """Our union alias with a ``Literal`` member much like *official* (an inline enum)."""
        best: tuple[float, Shape] | None = None
        for ours in self.ours:
            for member in ours.members if ours.kind == "union" else ():
                if typing.get_origin(member) is typing.Literal:
                    values = frozenset(typing.get_args(member))
                    overlap = len(values & official.values) / len(values | official.values)
                    overlap -= 0.5 if ours.name.startswith("Beta") else 0.0
                    if overlap >= 0.6 and (best is None or overlap > best[0]):
                        best = (overlap, ours)
        return best[1] if best else None


def sdk_only_reason(official: Shape) -> str:
    """Why *official* has no counterpart: which kind of SDK-side name it is."""
    name, module = official.name, getattr(official.obj, "__module__", "") or ""
    if name.startswith("Parsed") or ".parsed_" in module:
        return "SDK helper: the typed result of parse() (ours: trio_openai.Parsed*)"
    if re.search(r"Params(Streaming|NonStreaming|Base)?$", name) or module.endswith("_params"):
        if name.endswith(("Streaming", "NonStreaming")):
            return "SDK helper: a request TypedDict split by stream=True/False"
        if name.endswith(("Params", "ParamsBase")):
            return "SDK helper: one operation's arguments as a TypedDict (ours: keyword arguments)"
        return "SDK helper: an inline part of one operation's arguments, no schema of its own"
    if official.kind == "union":
        return "SDK union whose members have no counterpart of ours"
    if official.kind == "literal":
        return "SDK Literal alias whose values match no Literal alias of ours"
    if official.kind in ("model", "typeddict") and not official.fields:
        return "SDK class without fields: nothing to match it by"
    return "no schema of our spec matches it by name, fields or tag (newer than our spec?)"


# ------------------------------------------------------------------ union membership


def _flat_members(obj: Any) -> list[Any]:
    """A union's members, nested unions and ``Annotated`` flattened."""
    inner = _unwrap(obj)
    if typing.get_origin(inner) is typing.Union or isinstance(inner, types.UnionType):
        return [m for arg in typing.get_args(inner) for m in _flat_members(arg)]
    return [inner]


def membership_gaps(names: dict[str, Any] | None = None) -> list[str]:
    """Official unions whose members, under their official names, are not members of ours.

    ``ToolParam`` holds ``FunctionToolParam`` in the SDK; when both names resolve here,
    ours must hold ours too, or a ``FunctionToolParam`` dict is no ``ToolParam``. One line
    per gap: ``union: member``.
    """
    names = official_names() if names is None else names
    first_path: dict[int, str] = {}
    for dotted, obj in names.items():
        first_path.setdefault(id(obj), dotted)
    gaps: list[str] = []
    for dotted, obj in names.items():
        if shape_of(dotted, obj).kind != "union" or first_path[id(obj)] != dotted:
            continue
        try:
            ours = evaluate(lookup(ours_dotted(dotted)))
        except LookupError:
            continue
        our_members = {id(m) for m in _flat_members(ours)}
        for member in _flat_members(obj):
            path = first_path.get(id(member))
            if path is None or not _is_class(member):
                continue
            try:
                mine = _unwrap(evaluate(lookup(ours_dotted(path))))
            except LookupError:
                continue
            if id(mine) not in our_members:
                gaps.append(f"{dotted}: {path}")
    return gaps


# ----------------------------------------------------------------------------- report


def classify_all() -> dict[str, Verdict]:
    """Every official public name with its verdict (classes first, then aliases)."""
    names = official_names()
    matcher = Matcher(our_shapes(), spec_schemas())
    verdicts: dict[str, Verdict] = {}
    order = sorted(names, key=lambda d: (not isinstance(names[d], type), d))
    for dotted in order:
        verdicts[dotted] = matcher.classify(dotted, names[dotted])
    return dict(sorted(verdicts.items()))


def record(verdicts: dict[str, Verdict]) -> dict[str, Any]:
    """The JSON the generator can read: every official name with its category and target."""
    return {
        "about": (
            "Every public name of openai.types.*: 'alias' has a schema of ours and must "
            "resolve at the same dotted path in trio_openai.types (how 'resolves': it does; "
            "else target is the class or alias of ours for the same schema, or members to "
            "compose an inline union or enum of), 'sdk_only' has no schema in our spec "
            "(reason). Written by tools/name_parity.py --write; see its docstring."
        ),
        "openai_version": official_version(),
        "counts": counts(verdicts),
        "membership_gaps": membership_gaps(),
        "names": {
            dotted: (
                {"category": ALIAS, "target": verdict.target, "how": "resolves"}
                if verdict.category == RESOLVES
                else verdict.record()
            )
            for dotted, verdict in verdicts.items()
        },
    }


def counts(verdicts: dict[str, Verdict]) -> dict[str, int]:
    tally = Counter(v.category for v in verdicts.values())
    names = official_names()
    missing_params = sum(
        1
        for dotted, v in verdicts.items()
        if v.category != RESOLVES and _is_typeddict(names[dotted])
    )
    return {
        "public_names": len(verdicts),
        "resolve": tally[RESOLVES],
        "missing": tally[ALIAS] + tally[SDK_ONLY],
        "missing_typeddicts": missing_params,
        "alias": tally[ALIAS],
        "sdk_only": tally[SDK_ONLY],
    }


def table(verdicts: dict[str, Verdict]) -> Iterator[str]:
    by_package: dict[str, Counter[str]] = defaultdict(Counter)
    for dotted, verdict in verdicts.items():
        by_package[dotted.rsplit(".", 1)[0]][verdict.category] += 1
    yield f"{'package':<58} {'names':>6} {'resolve':>8} {'alias':>6} {'sdk':>5}"
    for package, tally in sorted(by_package.items()):
        total = sum(tally.values())
        yield (
            f"{package:<58} {total:>6} {tally[RESOLVES]:>8} {tally[ALIAS]:>6} {tally[SDK_ONLY]:>5}"
        )
    c = counts(verdicts)
    yield ""
    yield (
        f"openai {official_version()}: {c['resolve']} of {c['public_names']} public names "
        f"of openai.types.* resolve in trio_openai.types; {c['missing']} missing "
        f"({c['missing_typeddicts']} of them TypedDicts): {c['alias']} have a schema of "
        f"ours (alias), {c['sdk_only']} are SDK-only"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {RECORD.name}")
    parser.add_argument("--missing", action="store_true", help="list every missing name")
    args = parser.parse_args(argv)
    verdicts = classify_all()
    for line in table(verdicts):
        print(line)
    if args.missing:
        print()
        for dotted, verdict in verdicts.items():
            if verdict.category == ALIAS:
                print(f"alias     {dotted} -> {verdict.target}  ({verdict.how})")
            elif verdict.category == SDK_ONLY:
                print(f"sdk_only  {dotted}: {verdict.reason}")
    gaps = membership_gaps()
    print(f"\n{len(gaps)} union members of the SDK that are not members of our union:")
    for gap in gaps:
        print(f"  {gap}")
    if args.write:
        text = json.dumps(record(verdicts), indent=1, sort_keys=False) + "\n"
        RECORD.write_text(text, encoding="utf-8")
        print(f"\nwrote {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
