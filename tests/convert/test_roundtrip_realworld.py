"""Recorded real traffic round-trips: every answer decodes, and `to_dict()` gives it back.

The corpus is ``../shared/realworld/cases.jsonl.gz`` (3,437 exchanges with the real
API, see its README.md); it is read from there, never copied into the repository.
Each case is mapped to the type our client decodes it into by its method and path,
through the generated operation table (`OPERATIONS`: ``result`` for a JSON answer,
``event`` and ``envelope`` for a streamed one). A JSON body must satisfy
``structure(body, result).to_dict() == body``, with the same JSON text (an ``int``
stays an ``int``); a streamed body must do the same for each of its events, decoded
as the client's `Stream` decodes them.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

from tests._realworld import Case, cases, operation, requires_corpus, resolve_type
from trio_openai._convert._converter import structure
from trio_openai._convert._sse import SSEDecoder
from trio_openai.resources._operations import OPERATIONS, Operation

pytestmark = requires_corpus

# Cases left out of the round trip, each with its reason. Only recordings the corpus's
# README names as not real belong here; keep the list short.
EXCLUDED: dict[str, str] = {
    "dd-trace-py-post-chat-completions-stream-024": (
        "spliced: a streamed body (data: lines) stored with a JSON content type"
    ),
    "dd-trace-py-post-chat-completions-stream-025": (
        "spliced: a streamed body (data: lines) stored with a JSON content type"
    ),
    "dd-trace-py-post-chat-completions-stream-026": (
        "spliced: a streamed body (data: lines) stored with a JSON content type"
    ),
    "dd-trace-py-post-completions-028": (
        "spliced: a streamed body stored as the answer of a call that did not stream"
    ),
    "ruby-openai-post-vector-stores-search-001": (
        "synthetic_suspect: a hand-written search page (search_query is a string, the "
        "API sends a list)"
    ),
}


def _first_difference(got: object, sent: object, path: str = "$") -> str | None:
    """Where `to_dict()` differs from what the server sent, and how."""
    if isinstance(got, dict) and isinstance(sent, dict):
        left_out = sorted(sent.keys() - got.keys())
        if left_out:
            return f"{path}.{left_out[0]}: sent {sent[left_out[0]]!r:.60} but left out"
        added = sorted(got.keys() - sent.keys())
        if added:
            return f"{path}.{added[0]}: not sent but written as {got[added[0]]!r:.60}"
        parts = [(got[k], sent[k], f"{path}.{k}") for k in sent]
    elif isinstance(got, list) and isinstance(sent, list) and len(got) == len(sent):
        parts = [(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(got, sent, strict=True))]
    elif got != sent or type(got) is not type(sent):
        return f"{path}: sent {sent!r:.60}, written as {got!r:.60}"
    else:
        parts = []
    return next(filter(None, (_first_difference(*part) for part in parts)), None)


def _round_trip(data: Any, tp: Any) -> str | None:
    """Why *data* does not come back from ``structure(data, tp).to_dict()``, or None."""
    try:
        model = structure(data, tp)
    except ValueError as exc:
        return f"does not decode into {tp}: {exc}"
    got = model.to_dict()
    # `==` alone takes 1.0 for 1 and True for 1: the JSON texts must match too.
    if got == data and _canonical(got) == _canonical(data):
        return None
    return f"{type(model).__name__} {_first_difference(got, data)}"


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _events(case: Case, entry: Operation) -> Iterator[Any]:
    """The JSON payloads of a streamed body, as `Stream` hands them to the converter."""
    decoder = SSEDecoder()
    assert case.body is not None
    for sse in [*decoder.feed(case.body.encode()), *decoder.close()]:
        if sse.data == "[DONE]":
            continue
        payload = json.loads(sse.data)
        yield {"event": sse.event, "data": payload} if entry.envelope else payload


# Why a case has no result body to check (an error answer, binary, ...).
SKIP_ERROR = "an error answer, not a result"
SKIP_NO_OPERATION = "not an operation of the spec"  # the Agents SDK's /traces/ingest
SKIP_NO_RESULT = "the spec's operation has no JSON result"  # responses.delete
SKIP_NOT_JSON = "not JSON"  # audio, file content, text transcripts


class Checked(NamedTuple):
    """What one case counted as, and why it failed (None: it round-trips)."""

    kind: str  # "json", "stream", or why it was skipped
    events: int  # streamed events checked
    problem: str | None


def _skip_reason(case: Case, entry: Operation | None) -> str | None:
    """Why *case* has no result body to check, or None."""
    if not 200 <= case.status < 300:
        return SKIP_ERROR
    if entry is None:
        return SKIP_NO_OPERATION
    if case.media_type == "text/event-stream":
        return None
    if case.media_type != "application/json":
        return SKIP_NOT_JSON
    return SKIP_NO_RESULT if entry.result is None else None


def _check(case: Case) -> Checked:
    """Round-trip *case*'s result body (or each of its events)."""
    entry = operation(case)
    reason = _skip_reason(case, entry)
    if reason is not None:
        return Checked(reason, 0, None)
    assert entry is not None
    if case.media_type == "text/event-stream":
        return _check_stream(case, entry)
    assert entry.result is not None
    try:
        data = json.loads(case.body or "")
    except ValueError as exc:
        return Checked("json", 0, f"the body is not JSON: {exc}")
    return Checked("json", 0, _round_trip(data, resolve_type(entry.result)))


def _check_stream(case: Case, entry: Operation) -> Checked:
    """Round-trip each event of a streamed body, decoded into the stream's event type."""
    assert entry.event is not None, entry
    tp = resolve_type(entry.event)
    count = 0
    for count, payload in enumerate(_events(case, entry), 1):
        problem = _round_trip(payload, tp)
        if problem:
            return Checked("stream", count, f"event {count - 1}: {problem}")
    return Checked("stream", count, None)


class Outcome(NamedTuple):
    """What the round trip did with the corpus."""

    counts: Counter[str]  # "json" bodies, "stream" bodies, "event" payloads, skip reasons
    failures: dict[str, str]  # case id -> what went wrong


@functools.cache
def _outcome() -> Outcome:
    counts: Counter[str] = Counter()
    failures: dict[str, str] = {}
    for case in cases():
        if case.id in EXCLUDED:
            continue
        checked = _check(case)
        counts[checked.kind] += 1
        counts["event"] += checked.events
        if checked.problem:
            failures[case.id] = checked.problem
    return Outcome(counts, failures)


def test_every_recorded_result_round_trips() -> None:
    """Each JSON result body and streamed event decodes, and `to_dict()` gives it back."""
    counts, failures = _outcome()
    report = "\n".join(f"{case_id}: {why}" for case_id, why in sorted(failures.items()))
    assert not failures, f"{len(failures)} cases do not round-trip:\n{report}"
    print(f"round trip over the recorded traffic: {dict(counts)}; excluded: {len(EXCLUDED)}")
    assert counts["json"] >= 2700
    assert counts["stream"] >= 540
    assert counts["event"] >= 30000


def test_every_case_is_checked_or_has_no_result_body() -> None:
    """The counts add up to the corpus; only answers without a result body are skipped."""
    counts, _ = _outcome()
    skips = {SKIP_ERROR, SKIP_NO_OPERATION, SKIP_NO_RESULT, SKIP_NOT_JSON}
    assert set(counts) <= {"json", "stream", "event", *skips}
    checked = sum(n for kind, n in counts.items() if kind != "event")
    assert checked + len(EXCLUDED) == len(cases()) == 3437
    assert counts[SKIP_NO_OPERATION] <= 14
    assert counts[SKIP_NO_RESULT] <= 1
    assert counts[SKIP_NOT_JSON] <= 8


def test_exclusions_are_few_and_still_needed() -> None:
    """Each excluded case exists and still fails: an exclusion that passes is removed."""
    assert len(EXCLUDED) <= 5
    by_id = {case.id: case for case in cases()}
    for case_id in EXCLUDED:
        assert _check(by_id[case_id]).problem is not None, f"{case_id} round-trips: drop it"


def test_the_operation_table_names_decodable_types() -> None:
    """Every ``result`` and ``event`` of the operation table is a type of `trio_openai.types`."""
    for entry in OPERATIONS.values():
        for expr in filter(None, (entry.result, entry.event)):
            resolve_type(expr)
        assert entry.event is None or entry.stream is not None, entry
        assert not entry.envelope or entry.event is not None, entry
    assert OPERATIONS["createChatCompletion"].result == "CreateChatCompletionResponse"
    assert OPERATIONS["createChatCompletion"].event == "CreateChatCompletionStreamResponse"
    assert OPERATIONS["createRun"].envelope
