"""The docstring of a generated method, from the spec's summary and descriptions.

One summary line (the spec summary's first sentence), the rest of the summary and
the description (shortened), notes the spec does not make (streaming, the beta
variant, text answers, admin keys, deprecation), then ``Args:`` (every parameter,
then the standard arguments) and, on the plain method of a streaming operation,
``Raises:``. The API reference (`docs`) reuses the same lines.
"""

from __future__ import annotations

import json

from .names import DEPRECATED_TAGS, STANDARD_ARGS, TEXT_RESULTS
from .schema import summarize
from .signature import method_params, stream_twin
from .spec import Operation, Param
from .types import doc_lines


def method_doc(op: Operation, *, stream: bool) -> list[str]:
    """The docstring lines of a method (no indentation, no quotes)."""
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
    for note in _notes(op, stream=stream):
        lines += ["", *doc_lines(note)]
    lines += ["", "Args:", *("    " + a for a in _arg_lines(op, stream=stream))]
    if op.stream is not None and not stream:
        lines += ["", "Raises:", f"    TypeError: {_switch_doc(op)}"]
    return lines


def param_doc(op: Operation, p: Param, *, stream: bool) -> str:
    """A parameter's description (its ``Args:`` entry without the name)."""
    if op.stream is not None and not stream and p.json_name == op.stream.switch[0]:
        twin = stream_twin(op)
        if op.stream.switch[1] is True:
            return f"Must be false or left out; use ``{twin}()`` to stream."
        return (
            f"{summarize(p.description, 200)} For ``{json.dumps(op.stream.switch[1])}`` "
            f"use ``{twin}()``."
        )
    return summarize(p.description, 300) or "See the API reference."


def _notes(op: Operation, *, stream: bool) -> list[str]:
    """What the docstring says that the spec does not, one paragraph each."""
    notes: list[str] = []
    if stream:
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
            "Administration API: sent with the organization admin API key "
            "(``admin_key=`` or ``OPENAI_ADMIN_KEY``) when the client has one, else "
            "with ``api_key``."
        )
    if op.deprecated:
        notes.append("Deprecated: the API marks this operation as deprecated.")
    if op.tag in DEPRECATED_TAGS:
        notes.append(DEPRECATED_TAGS[op.tag])
    return notes


def _arg_lines(op: Operation, *, stream: bool) -> list[str]:
    """The ``Args:`` entries: the parameters (wrapped), then the standard arguments."""
    lines: list[str] = []
    for p in method_params(op, stream=stream):
        desc = param_doc(op, p, stream=stream)
        if p.deprecated and not desc.lower().startswith("deprecated"):
            desc = "Deprecated. " + desc
        wrapped = doc_lines(f"{p.py_name}: {desc}", 80)
        lines.append(wrapped[0])
        lines.extend("    " + w for w in wrapped[1:])
    lines.extend(f"{a.name}: {a.doc}" for a in STANDARD_ARGS)
    return lines


def _switch_doc(op: Operation) -> str:
    assert op.stream is not None
    key, value = op.stream.switch
    shown = "true" if value is True else json.dumps(value)
    return f"``{key}`` is {shown}: use ``{stream_twin(op)}()`` to stream."


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
