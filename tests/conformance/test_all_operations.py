"""Every operation of the spec, called once against Prism with arguments built from the spec.

For each row of ``../shared/openapi/operations.tsv`` the test finds the generated method
(``trio_openai.resources._operations``), builds its arguments from the spec's required
fields (`_args.Synthesizer`), calls it on a client pointed at the session's Prism and
checks that the answer decoded into what the method's signature promises:

- a list method: ``await`` gives the first `Page` (only the first: Prism's pages say
  ``has_more`` forever), whose ``body`` is a generated class;
- ``BinaryResponse`` / ``str`` / ``None`` results: that type;
- a JSON result: an instance of the generated class (or, for a union alias, an attrs
  instance from ``trio_openai.types`` that is not an `UnknownObject`).

Prism validates each request against the spec (a 422 raises
`UnprocessableEntityError`, which fails the test), so a pass shows both halves: the
request is valid and the spec's example decodes. Streaming twins are not called (Prism
has no SSE): the test checks they exist, and the plain method covers the operation.

A second test sends the reference form of the multipart fields that take a file or a
reference object (``videos.extend(video={"id": ...})``). A third sends a sample of
invalid calls (a required field of another JSON type, ``null`` or an unknown enum value
through ``extra_body``, or a required query parameter of the wrong type through
``extra_query``) and expects `UnprocessableEntityError`.

Four eval operations get the spec's own example back, which contradicts its schema
(`SPEC_EXAMPLE_BROKEN`): for them the test asserts the client refuses it, naming the
field. Operations that cannot pass at all would be ``xfail(strict=True)`` with the reason
(`XFAIL`, empty now).
"""

from __future__ import annotations

import csv
import inspect
import os
import re
import typing
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pytest
from _args import Synthesizer, load_spec

import trio_openai
import trio_openai.types
from trio_openai._api._methods import BoundListMethod, BoundMethod, StreamMethod
from trio_openai.resources._operations import OPERATIONS

SHARED = Path(__file__).resolve().parents[3] / "shared" / "openapi"
OPERATIONS_TSV = Path(os.environ.get("OPENAI_OPERATIONS_TSV") or SHARED / "operations.tsv")
# The spec Prism serves (tools/prism.py picks the same file).
PRISM_SPEC = Path(os.environ.get("TRIO_OPENAI_PRISM_SPEC") or SHARED / "openai-openapi.prism.yaml")


class Row(NamedTuple):
    method: str
    path: str
    operation_id: str
    tag: str
    streams: str


def _rows() -> list[Row]:
    if not OPERATIONS_TSV.is_file():
        return []
    with OPERATIONS_TSV.open(encoding="utf-8", newline="") as f:
        return [Row(**row) for row in csv.DictReader(f, delimiter="\t")]


ROWS = _rows()


def _row(operation_id: str) -> Row:
    return next(r for r in ROWS if r.operation_id == operation_id)


# Operations whose valid call gets an answer that contradicts the spec's own schema; the
# test asserts that the client refuses it with an error naming the bad field.
_EVAL_EXAMPLE = (
    "spec example contradicts its schema: EvalCustomDataSourceConfig.schema is"
    " `type: object`, its `example` a string (JSON text with a trailing comma); Prism"
    " answers that example, and the client rightly refuses a string for an object"
    " (`$.data_source_config.schema: expected object`)"
)
SPEC_EXAMPLE_BROKEN: dict[str, str] = {
    "listEvals": _EVAL_EXAMPLE,
    "createEval": _EVAL_EXAMPLE,
    "getEval": _EVAL_EXAMPLE,
    "updateEval": _EVAL_EXAMPLE,
}


# Operations whose call cannot pass against Prism, each with the precise reason. Every
# one is `xfail(strict=True)`: it fails the suite the day it starts passing. (None now.)
XFAIL: dict[str, str] = {}


def _param(row: Row) -> Any:
    reason = XFAIL.get(row.operation_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.operation_id, marks=marks)


@pytest.fixture(scope="session")
def synth() -> Synthesizer:
    """The argument synthesizer over the spec Prism serves (loaded once, ~2.5 s)."""
    if not PRISM_SPEC.is_file():
        pytest.skip(f"spec {PRISM_SPEC} not found")
    return Synthesizer(load_spec(PRISM_SPEC))


def _walk(client: Any, dotted: str) -> Any:
    node = client
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _static(client: Any, dotted: str) -> Any:
    """The descriptor behind ``client.<dotted>`` (the class attribute)."""
    *parents, name = dotted.split(".")
    owner = _walk(client, ".".join(parents)) if parents else client
    return inspect.getattr_static(type(owner), name)


_SPEC_RE = re.compile(r"^(RequestSpec|ListSpec)\[(.*)\]$", re.DOTALL)


def _promised(bound: Any) -> str:
    """The result type the generated method declares, e.g. ``OpenAIFile | str``."""
    annotation = inspect.signature(bound._build).return_annotation
    match = _SPEC_RE.match(" ".join(str(annotation).split()))
    assert match, f"unexpected return annotation {annotation!r}"
    return match[2].strip()


def _assert_generated(value: object, where: str) -> None:
    cls = type(value)
    assert attrs.has(cls), f"{where}: {cls!r} is not an attrs class"
    assert cls.__module__.startswith("trio_openai.types"), f"{where}: {cls.__module__}"
    assert not isinstance(value, trio_openai.types.UnknownObject), f"{where}: {value!r}"


def _classes(name: str) -> tuple[type, ...] | None:
    """The generated classes a type name stands for (a union alias gives its members)."""
    target = getattr(trio_openai.types, name, None)
    if isinstance(target, type):
        return (target,)
    members = [m for m in typing.get_args(target) if isinstance(m, type)]
    return tuple(members) or None


def _assert_decoded(value: object, promised: str, where: str) -> None:
    """``value`` is what the annotation ``promised`` says."""
    simple = {"None": type(None), "BinaryResponse": trio_openai.BinaryResponse, "str": str}
    if promised in simple:
        assert isinstance(value, simple[promised]), f"{where}: {type(value)}, not {promised}"
        return
    if promised.startswith(("list[", "builtins.list[", "Sequence[")):
        assert isinstance(value, list), f"{where}: {type(value)}"
        return
    if promised.startswith(("dict[", "builtins.dict[", "Mapping[")):
        assert isinstance(value, dict), f"{where}: {type(value)}"
        return
    members = [m.strip() for m in promised.split("|") if m.strip() != "str"]
    if len(members) < promised.count("|") + 1 and isinstance(value, str):
        return  # `X | str`: a text response_format
    _assert_generated(value, where)
    classes = [_classes(m) for m in members]
    assert all(classes), f"{where}: {promised} names no generated class"
    allowed = tuple(c for group in classes for c in group or ())
    assert isinstance(value, allowed), f"{where}: {type(value).__name__}, not {promised}"


def _spec_answer(synth: Synthesizer, row: Row) -> tuple[bool, str | None]:
    """(whether the spec's first success answer is JSON, its component schema name)."""
    responses = synth.operation(row.method, row.path).get("responses") or {}
    for code in sorted(responses, key=str):
        if str(code).startswith("2"):
            content = synth.deref(responses[code]).get("content") or {}
            if "application/json" not in content:
                return False, None
            ref = ((content["application/json"] or {}).get("schema") or {}).get("$ref", "")
            return True, ref.rsplit("/", 1)[-1] or None
    return False, None


def test_every_operation_is_parametrized() -> None:
    """The rows tested here are exactly the generated operation table (no Prism needed)."""
    if not ROWS:
        pytest.skip(f"{OPERATIONS_TSV} not found")
    assert {r.operation_id for r in ROWS} == set(OPERATIONS)
    assert set(XFAIL) <= set(OPERATIONS)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
async def test_operation_succeeds_and_decodes(synth: Synthesizer, prism_url: str, row: Row) -> None:
    """One valid call per operation passes Prism's validation and decodes its answer."""
    entry = OPERATIONS.get(row.operation_id)
    assert entry is not None, f"{row.operation_id}: no generated method"
    assert (entry.method, entry.path) == (row.method, row.path)
    async with trio_openai.open_client(
        api_key="sk-test", base_url=prism_url, max_retries=0
    ) as client:
        bound = _walk(client, entry.python)
        if row.streams != "no":
            # Prism has no SSE: the twin is not called, the plain method covers the operation.
            assert entry.stream is not None, f"{row.operation_id} streams but has no twin"
            assert isinstance(_static(client, entry.stream), StreamMethod), entry.stream
        kwargs = synth.arguments(row.method, row.path, inspect.signature(bound._build))
        if row.operation_id in SPEC_EXAMPLE_BROKEN:
            # The request is valid (Prism answers 2xx), but the answer is the spec's own
            # example, which contradicts its schema: the client must refuse it, by path.
            with pytest.raises(trio_openai.APIResponseValidationError) as info:
                await bound(**kwargs)
            assert 200 <= info.value.status_code < 300
            assert info.value.path.endswith("data_source_config.schema"), info.value.path
            return
        promised = _promised(bound)
        where = f"client.{entry.python}"
        if isinstance(bound, BoundListMethod):
            page = await bound(**kwargs)  # the first page only
            assert isinstance(page, trio_openai.Page), type(page)
            result: object = page.body
            for item in page.data:
                _assert_decoded(item, promised, f"{where} item")
        else:
            assert isinstance(bound, BoundMethod), type(bound)
            result = await bound(**kwargs)
            _assert_decoded(result, promised, where)
    answers_json, schema = _spec_answer(synth, row)
    if answers_json and promised not in ("BinaryResponse", "str"):
        _assert_generated(result, where)
        expected = _classes(schema) if schema else None
        if expected is not None:
            # The answer decodes into the class named like the spec's schema (or a member).
            assert isinstance(result, expected), f"{where}: {type(result).__name__}, not {schema}"


# -- file-or-reference fields ----------------------------------------------------------

# Multipart fields that the spec lets be a file or a reference object (`oneOf` of a
# binary string and an object), on operations that also take an `application/json`
# body for the reference form. As the official SDK (`video: FileTypes |
# VideoReferenceInputParam`), trio_openai takes both: a reference is sent as JSON.
FILE_OR_REFERENCE = [
    pytest.param(op, field, id=f"{op}-{field}")
    for op, field in [
        ("createVideo", "input_reference"),
        ("CreateVideoEdit", "video"),
        ("CreateVideoExtend", "video"),
    ]
]


def _reference(synth: Synthesizer, row: Row, field: str) -> dict[str, Any]:
    """A value of the field's non-binary (object) member, with at least one property."""
    _, schema = synth.body_schema(synth.operation(row.method, row.path))
    assert schema is not None
    prop = synth.deref(synth._flatten(schema)[0][field])
    member = next(
        synth.deref(m)
        for m in (*(prop.get("oneOf") or ()), *(prop.get("anyOf") or ()))
        if synth.deref(m).get("format") != "binary"
    )
    value: dict[str, Any] = synth.value(member)
    if not value:  # nothing required (`image_url` or `file_id`): give the first
        name, sub = next(iter(synth._flatten(member)[0].items()))
        value[name] = synth.value(sub)
    return value


@pytest.mark.parametrize(("operation_id", "field"), FILE_OR_REFERENCE)
async def test_file_or_reference_field_takes_a_reference(
    synth: Synthesizer, prism_url: str, operation_id: str, field: str
) -> None:
    """The reference form of a file-or-reference field is a valid call too."""
    row = _row(operation_id)
    entry = OPERATIONS[operation_id]
    async with trio_openai.open_client(
        api_key="sk-test", base_url=prism_url, max_retries=0
    ) as client:
        bound = _walk(client, entry.python)
        kwargs = synth.arguments(row.method, row.path, inspect.signature(bound._build))
        kwargs[field] = _reference(synth, row, field)
        result = await bound(**kwargs)
    _assert_decoded(result, _promised(bound), f"client.{entry.python}")


# -- invalid calls ---------------------------------------------------------------------

# One operation per area, and how its body is broken: "type" sets its first required
# field (the first field when none is required) to a value of another JSON type, "null"
# to null, "enum" sets its first required enum field to an unknown value; "query" sends
# a required query parameter of the wrong type. `Synthesizer.invalid_field` picks the
# field and checks that the spec rejects the value.
INVALID = [
    ("createAssistant", "type"),
    ("createThread", "type"),  # nothing required: an optional `messages` that is no array
    ("createMessage", "enum"),
    ("createVectorStoreFile", "null"),
    ("createBatch", "enum"),
    ("createFineTuningJob", "type"),
    ("createEval", "type"),
    ("CreateContainer", "null"),
    ("createConversationItems", "type"),
    ("createUpload", "enum"),
    ("create-project", "null"),
    ("createImage", "type"),
    ("usage-completions", "query"),
]


@pytest.mark.parametrize(
    ("operation_id", "kind"), [pytest.param(*i, id="-".join(i)) for i in INVALID]
)
async def test_invalid_call_raises_unprocessable(
    synth: Synthesizer, prism_url: str, operation_id: str, kind: str
) -> None:
    """An invalid field makes Prism answer 422, which raises `UnprocessableEntityError`."""
    row = _row(operation_id)
    entry = OPERATIONS[operation_id]
    async with trio_openai.open_client(
        api_key="sk-test", base_url=prism_url, max_retries=0
    ) as client:
        bound = _walk(client, entry.python)
        kwargs = synth.arguments(row.method, row.path, inspect.signature(bound._build))
        if kind == "query":
            op = synth.operation(row.method, row.path)
            params = [synth.deref(p) for p in op.get("parameters") or ()]
            field = next(p["name"] for p in params if p["in"] == "query" and p.get("required"))
            kwargs["extra_query"] = {field: "not-a-number"}
        else:
            field, value = synth.invalid_field(row.method, row.path, kind)
            kwargs["extra_body"] = {field: value}
        with pytest.raises(trio_openai.UnprocessableEntityError) as info:
            await bound(**kwargs)
    assert info.value.status_code == 422
    assert field in str(info.value.body), info.value.body
