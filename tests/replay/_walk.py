"""The parallel walk of a recorded JSON body and the typed result it decoded into.

`Walk.walk` goes down the recording and the result together: each leaf value of
the recording must read back through the attributes of the typed result (a field
the model does not declare: from ``model_extra``; an object of an unknown kind:
from `UnknownObject.data`), with the same value and JSON type. On the way it
notes, without failing, where the declared types and the traffic disagree (see
`Walk`).
"""

from __future__ import annotations

import functools
import json
import types
from collections import Counter
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from trio_openai._models import BaseModel, UnknownObject

NoteKey = tuple[str, str, str]
"""(schema, JSON field, what): a place where the types and the traffic disagree."""


@attrs.define
class Walk:
    """The parallel walk of recorded bodies and typed results, over a whole replay.

    Attributes:
        problems: What the typed result does not give back (a leaf not reachable
            through its attributes, or a different value), as ``path: why``.
        notes: Where the generated types and the traffic disagree, counted: a
            null in a field typed without None (``null``), a required field left
            out (``omitted``), a string its ``Literal`` lacks (``enum 'x'``), a
            field the model does not declare (``undeclared``, read from
            ``model_extra``), an object of a kind its union lacks (``unknown 'x'``).
        cases: The cases each note was seen in, in replay order.
    """

    problems: list[str] = attrs.field(factory=list)
    notes: Counter[NoteKey] = attrs.field(factory=Counter)
    cases: dict[NoteKey, list[str]] = attrs.field(factory=dict)
    case_id: str = ""

    def note(self, schema: str, field: str, what: str) -> None:
        """Count one disagreement between the types and the traffic."""
        key = (schema, field, what)
        self.notes[key] += 1
        seen = self.cases.setdefault(key, [])
        if not seen or seen[-1] != self.case_id:
            seen.append(self.case_id)

    def walk(self, sent: object, got: object, tp: Any, path: str, owner: tuple[str, str]) -> None:
        """Check that every leaf of *sent* reads back from *got* (declared as *tp*)."""
        if isinstance(got, UnknownObject):
            kind = sent.get("type") if isinstance(sent, dict) else None
            self.note(*owner, f"unknown {kind!r}")
            self.same(sent, got.data, path)
        elif isinstance(got, BaseModel):
            self.model(sent, got, path)
        elif isinstance(sent, dict):
            if not isinstance(got, dict):
                self.problems.append(f"{path}: an object read back as {type(got).__name__}")
                return
            item = _item_type(tp, dict)
            for key, value in sent.items():
                if key not in got:
                    self.problems.append(f"{path}.{key}: sent, not in the decoded mapping")
                else:
                    self.walk(value, got[key], item, f"{path}.{key}", owner)
        elif isinstance(sent, list):
            if not isinstance(got, list | tuple) or len(got) != len(sent):
                self.problems.append(f"{path}: an array of {len(sent)} read back as {got!r:.60}")
                return
            item = _item_type(tp, list)
            for i, (a, b) in enumerate(zip(sent, got, strict=True)):
                self.walk(a, b, item, f"{path}[{i}]", (owner[0], owner[1] + "[]"))
        else:
            self.leaf(sent, got, tp, path, owner)

    def model(self, sent: object, got: BaseModel, path: str) -> None:
        """Walk a JSON object against the model it decoded into."""
        schema = type(got).__name__
        if not isinstance(sent, dict):
            self.problems.append(f"{path}: {sent!r:.60} read back as a {schema}")
            return
        fields = _fields(type(got))
        for key, value in sent.items():
            field = fields.get(key)
            if field is None:
                self.note(schema, key, "undeclared")
                if key not in got.model_extra:
                    self.problems.append(f"{path}.{key}: sent, neither a field nor in model_extra")
                else:
                    self.same(value, got.model_extra[key], f"{path}.{key}")
                continue
            self.walk(value, getattr(got, field.name), field.type, f"{path}.{key}", (schema, key))
        for key, field in fields.items():
            if key not in sent and field.default is attrs.NOTHING:
                self.note(schema, key, "omitted")

    def leaf(self, sent: object, got: object, tp: Any, path: str, owner: tuple[str, str]) -> None:
        """A scalar: the same value of the same JSON type, and one its declared type allows."""
        if sent is not got and (type(sent) is not type(got) or sent != got):
            self.problems.append(f"{path}: sent {sent!r:.60}, read back {got!r:.60}")
            return
        if tp is None or tp is Any or tp is object:
            return
        allowed = _scalars(tp)
        if allowed is None:
            return
        if sent is None:
            if type(None) not in allowed:
                self.note(*owner, "null")
        elif isinstance(sent, str) and str not in allowed:
            literals = {v for v in allowed if isinstance(v, str)}
            if literals and sent not in literals:
                self.note(*owner, f"enum {sent!r}")

    def same(self, sent: object, got: object, path: str) -> None:
        """Plain JSON read back as plain JSON: equal, with the same JSON text."""
        if canonical(sent) != canonical(got):
            self.problems.append(f"{path}: sent {sent!r:.60}, read back {got!r:.60}")


@attrs.frozen
class _Field:
    name: str
    type: Any
    default: Any


_FIELDS: dict[type, dict[str, _Field]] = {}


def _fields(cls: type) -> dict[str, _Field]:
    """A model's fields by JSON name (the ``json`` metadata, else the attribute name)."""
    found = _FIELDS.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        found = _FIELDS[cls] = {
            f.metadata.get("json", f.name): _Field(f.name, f.type, f.default)
            for f in attrs.fields(cls)
            if f.init and f.name != "model_extra"
        }
    return found


def _members(tp: Any) -> tuple[Any, ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return tuple(m for arg in get_args(tp) for m in _members(arg))
    return (tp,)


@functools.cache
def _item_type(tp: Any, kind: type) -> Any:
    """The item type of the list (or value type of the mapping) in declared type *tp*."""
    for member in _members(tp):
        origin = get_origin(member) or member
        if (isinstance(origin, type) and issubclass(origin, kind)) or (
            kind is list and str(origin).endswith("Sequence")
        ):
            args = get_args(member)
            return args[-1] if args else None
        if kind is dict and str(origin).endswith("Mapping"):
            args = get_args(member)
            return args[-1] if args else None
    return None


@functools.cache
def _scalars(tp: Any) -> frozenset[Any] | None:
    """The scalar types and literal values *tp* allows; None when it allows any value."""
    allowed: set[Any] = set()
    for member in _members(tp):
        if member is Any or member is object:
            return None
        if get_origin(member) is Literal:
            allowed.update(get_args(member))
        elif member in (str, int, float, bool, type(None)):
            allowed.add(member)
    return frozenset(allowed)


def canonical(data: object) -> str:
    """*data* as canonical JSON text: equal texts, equal JSON (``1`` is not ``1.0``)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False)
