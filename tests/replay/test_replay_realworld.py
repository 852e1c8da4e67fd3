"""Recorded real traffic as a regression suite: every recorded call, replayed through the client.

The corpus (``../shared/realworld/cases.jsonl.gz``, read through `tests._realworld`)
holds 3,437 exchanges with the real API. Each is replayed over a real socket: a
server on 127.0.0.1 (port 0) answers the recorded response (streams in uneven
chunks) to the client method of the recorded operation, called with the recorded
arguments (`_replay.call_arguments`); the server checks the request is the
recorded one. Then the recorded body and the typed result are walked in parallel:
each leaf value of the recording must read back through the attributes of the
typed result (fields the models do not declare: from ``model_extra``), with the
same value and JSON type. Error answers must raise the `APIStatusError` of their
status with the recorded body; binary and text answers must give the recorded bytes.

The walk also notes where the generated types and the traffic disagree (a null in
a field typed without None, a required field left out, a string the ``Literal``
lacks, an undeclared field): those are the lead's (generator / spec) to fix, and
`PENDING` lists every one seen, so a new disagreement fails here and a fixed one
must be removed from the list.

Cost: the whole corpus takes about 15 s of CPU (30-50 s of wall time while the two
shared cores are busy), mostly the client's own work per call, so the default run
replays a fixed sample, about 760 cases (every case of the small areas, every eighth
of the big ones: some 5 s of CPU); ``CI=true`` (or ``REPLAY_ALL=1``) replays every
case, and only then are the lists checked for entries no longer needed.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from collections import Counter
from typing import Any

import trio

import trio_openai
from tests._hostile import RawRequest
from tests._realworld import Case, cases, operation, requires_corpus
from tests._support import resolve_method
from tests.replay._replay import (
    Outcome,
    call_arguments,
    replay,
    replay_sync,
    request_problem,
    uneven_chunks,
)
from tests.replay._walk import NoteKey, Walk
from trio_openai._convert._converter import structure
from trio_openai.resources.beta import Messages
from trio_openai.types import CreateChatCompletionResponse

pytestmark = requires_corpus

REPLAY_ALL = os.environ.get("CI", "").lower() == "true" or os.environ.get("REPLAY_ALL") == "1"

# Recordings that are not real traffic, left out of the replay, each with why. The
# corpus's README names the spliced ones and the hand-written search page; the others
# were found here. A `quoted` marker is text of the recorded body that shows it is made
# up; `test_the_not_real_recordings_are_what_their_reasons_say` checks that each case
# either still fails the replay or has its markers.
NOT_REAL: dict[str, str] = {
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
        "hand-written search page (synthetic_suspect; of vector store vs_abc123): "
        "search_query is a string where the API sends a list"
    ),
    "ruby-openai-post-vector-stores-015": (
        "hand-written setup of that search page (synthetic_suspect): `vs_abc123`, "
        "file_counts has `processing` (the API says in_progress) and few of the fields"
    ),
    "ruby-openai-post-realtime-sessions-001": (
        "hand-written: `session_real123abc`, ICE servers at `example.net` with "
        "`password123`, and no client_secret (the API always sends one)"
    ),
    "ruby-openai-post-realtime-sessions-002": (
        "hand-written: `session_real123abc` again, `example.net`, `password123`"
    ),
    "pai-post-responses-151": (
        "hand-written cassette: id `resp_1234`, status `complete` (no such status), "
        "tool_calls / total_tokens at the top level"
    ),
    "pai-post-responses-152": "hand-written cassette: id `resp_5678`, status `complete`",
    "pai-post-responses-153": "hand-written cassette: the same shape, status `complete`",
    "pai-post-responses-241": (
        "hand-written cassette: id `resp_test_verbosity_simple`, status `complete`"
    ),
    "dd-trace-py-post-chat-completions-076": (
        "hand-made: system_fingerprint `fp_test_reasoning`, and a `reasoning_content` "
        "field (another vendor's) in an OpenAI message"
    ),
    "dd-trace-py-post-chat-completions-083": (
        "hand-made: audio id `audio_abc123` whose data `QUJDRA==` is b'ABCD', no audio"
    ),
    "dd-trace-py-post-chat-completions-085": (
        "edited status: an `invalid_api_key` error body stored with status 200 (the API "
        "answers it with 401)"
    ),
    "dd-trace-py-post-completions-027": (
        "edited status: an `invalid_api_key` error body stored with status 200 (the API "
        "answers it with 401)"
    ),
    "dd-trace-py-post-responses-003": (
        "edited status: a `model_not_found` error body stored with status 200 (the API "
        "answers it with 404)"
    ),
}

# Required arguments of generated methods that real callers do not send: the replay
# leaves them out (NOT_GIVEN). For the lead: each is a spec / generator fix.
NOT_SENT: dict[str, str] = {
    "beta.realtime.sessions.create(client_secret)": (
        "the spec's RealtimeSessionCreateRequest lists client_secret (a field of the "
        "answer) as required; the recorded callers never send it"
    ),
}

# Real recordings that fail the replay for a reason in generated code (the lead's):
# each still fails (checked), and is removed when fixed.
PENDING_CASES: dict[str, str] = {
    "ruby-openai-delete-responses-item-001": (
        "responses.delete has no result: the spec gives DELETE /responses/{id} no JSON "
        "answer, the API sends {id, object: 'response.deleted', deleted: true}"
    ),
}

# Where the generated types and real traffic disagree, as "Schema.json_field what" (the
# kinds are explained where their entries start). Each value says how many recorded
# objects showed it, in how many cases (a failure names one). The lead shrinks the list as
# the generator or the spec fixes them; the test fails on a new disagreement, and (in
# a full replay only) on an entry that no longer occurs.
# What is left: ruby-openai's conversations recordings (March 2025 ids: a pre-release API
# whose shapes differ from the spec's), and undeclared fields kept in `model_extra` on
# purpose (legacy v1 `file_ids`, `Model.permission/root/parent`, `finish_details`;
# third-party proxies' `provider`, `native_finish_reason`, `cost*`: names.EXTRA_FIELDS).
PENDING: dict[str, str] = {
    # omitted: the field is required (typed without a default), the server left it out
    # (chat's finish_reason stays typed non-null, as in the official SDK: one recording)
    "CreateChatCompletionResponseChoice.finish_reason omitted": "1x in 1 cases",
    "ConversationItemList.data omitted": "1x in 1 cases",
    "ConversationItemList.first_id omitted": "1x in 1 cases",
    "ConversationItemList.has_more omitted": "1x in 1 cases",
    "ConversationItemList.last_id omitted": "1x in 1 cases",
    "ConversationResource.created_at omitted": "1x in 1 cases",
    "ConversationResource.metadata omitted": "1x in 1 cases",
    "Message.status omitted": "3x in 3 cases",
    # enum 'x': the server sent a string the field's Literal lacks
    "ConversationItemList.object enum 'conversation.item'": "1x in 1 cases",
    "ConversationResource.object enum 'conversation.item.deleted'": "1x in 1 cases",
    # undeclared: the model has no such field (the walk reads it from model_extra)
    "AssistantObject.file_ids undeclared": "34x in 15 cases",
    "CompletionUsage.cost undeclared": "7x in 7 cases",
    "CompletionUsage.cost_details undeclared": "7x in 7 cases",
    "CompletionUsage.is_byok undeclared": "7x in 7 cases",
    "ConversationItemList.content undeclared": "1x in 1 cases",
    "ConversationItemList.conversation_id undeclared": "1x in 1 cases",
    "ConversationItemList.created_at undeclared": "1x in 1 cases",
    "ConversationItemList.id undeclared": "1x in 1 cases",
    "ConversationItemList.role undeclared": "1x in 1 cases",
    "ConversationItemList.type undeclared": "1x in 1 cases",
    "ConversationResource.deleted undeclared": "1x in 1 cases",
    "CreateChatCompletionResponseChoice.finish_details undeclared": "1x in 1 cases",
    "CreateChatCompletionStreamResponse.provider undeclared": "66x in 7 cases",
    "CreateChatCompletionStreamResponseChoice.native_finish_reason undeclared": "66x in 7 cases",
    "Message.conversation_id undeclared": "3x in 3 cases",
    "Message.created_at undeclared": "3x in 3 cases",
    "Message.object undeclared": "3x in 3 cases",
    "MessageObject.file_ids undeclared": "15x in 13 cases",
    "Model.parent undeclared": "225x in 3 cases",
    "Model.permission undeclared": "225x in 3 cases",
    "Model.root undeclared": "225x in 3 cases",
    "RunObject.file_ids undeclared": "34x in 31 cases",
}


def _key(note: NoteKey) -> str:
    """A walk note as `PENDING` names it."""
    schema, field, what = note
    return f"{schema}.{field} {what}"


def _sample(all_cases: tuple[Case, ...]) -> list[Case]:
    """Every case of areas with fewer than 40 cases, every eighth of the others."""
    if REPLAY_ALL:
        return list(all_cases)
    sizes = Counter(case.area for case in all_cases)
    seen: Counter[str] = Counter()
    picked = []
    for case in all_cases:
        seen[case.area] += 1
        if sizes[case.area] < 40 or seen[case.area] % 8 == 1:
            picked.append(case)
    return picked


@functools.cache
def _outcome() -> Outcome:
    selected = [case for case in _sample(cases()) if case.id not in NOT_REAL]
    return trio.run(replay, selected, frozenset(NOT_SENT))


def test_every_recorded_call_replays_and_reads_back() -> None:
    """Each recorded call decodes, sends the recorded request, and every leaf reads back."""
    outcome = _outcome()
    failures = {k: v for k, v in outcome.failures.items() if k not in PENDING_CASES}
    report = "\n".join(f"{case_id}: {why}" for case_id, why in sorted(failures.items()))
    assert not failures, f"{len(failures)} recorded calls do not replay:\n{report}"
    print(f"replayed: {dict(outcome.kinds)}, {outcome.events} events")
    scale = 1 if REPLAY_ALL else 8
    assert outcome.kinds["json"] * scale >= 2500
    assert outcome.kinds["stream"] * scale >= 500
    assert outcome.events * scale >= 25000
    assert outcome.kinds["error"] >= 20
    assert outcome.kinds["page"] >= 20
    # Only the Agents SDK's /traces/ingest is not an operation of the spec.
    assert outcome.kinds["no operation"] <= 14


def test_a_sample_replays_through_the_sync_client() -> None:
    """The first two cases of each area replay through `SyncClient` and read back the same."""
    per_area: Counter[str] = Counter()
    selected = []
    for case in cases():
        if case.id not in NOT_REAL and per_area[case.area] < 2:
            per_area[case.area] += 1
            selected.append(case)
    outcome = replay_sync(selected, frozenset(NOT_SENT))
    failures = {k: v for k, v in outcome.failures.items() if k not in PENDING_CASES}
    assert not failures, failures
    assert {"json", "page", "stream", "error", "binary", "text"} <= set(outcome.kinds)
    assert outcome.events > 100


def test_pending_cases_still_fail() -> None:
    """Each pending case still fails the replay: a fixed one must leave `PENDING_CASES`."""
    failures = _outcome().failures
    by_id = {case.id: case for case in cases()}
    for case_id in PENDING_CASES:
        assert case_id in by_id, case_id
        if by_id[case_id] in _sample(cases()):
            assert case_id in failures, f"{case_id} replays now: remove it from PENDING_CASES"


def test_types_and_traffic_disagree_only_where_listed() -> None:
    """Every disagreement between types and traffic is in `PENDING`; (full run) each still is."""
    walk = _outcome().walk
    seen = {_key(note): note for note in walk.notes}
    new = sorted(set(seen) - set(PENDING))
    listing = "\n".join(f"    {key!r}: {_evidence(walk, seen[key])!r}," for key in new)
    assert not new, f"{len(new)} new disagreements between types and traffic:\n{listing}"
    if REPLAY_ALL:
        gone = sorted(set(PENDING) - set(seen))
        assert not gone, f"no longer seen, remove from PENDING: {gone}"


def _evidence(walk: Walk, key: NoteKey) -> str:
    """What a `PENDING` entry says: how often, in how many cases, where first."""
    seen = walk.cases[key]
    return f"{walk.notes[key]}x in {len(seen)} cases (e.g. {seen[0]})"


def test_the_not_real_recordings_are_what_their_reasons_say() -> None:
    """Each `NOT_REAL` case still fails the replay, or its body has its reason's markers."""
    by_id = {case.id: case for case in cases()}
    assert len(NOT_REAL) <= 20
    for case_id, why in NOT_REAL.items():
        case = by_id[case_id]
        markers = re.findall(r"`([^`]+)`", why)
        if markers:
            assert all(m in (case.body or "") for m in markers), (case_id, markers)
        else:
            outcome = trio.run(replay, [case], frozenset(NOT_SENT))
            assert case_id in outcome.failures, f"{case_id} replays now: {why}"


async def test_not_sent_arguments_are_still_required() -> None:
    """Each `NOT_SENT` argument is still required by its method: a fixed one must go."""
    async with trio_openai.open_client(api_key="sk-x", base_url="http://127.0.0.1:9/v1") as client:
        for entry in NOT_SENT:
            dotted, _, argument = entry.rstrip(")").partition("(")
            node, name = resolve_method(client, dotted)
            parameter = inspect.signature(getattr(node, name)._build).parameters[argument]
            assert parameter.default is inspect.Parameter.empty, f"{entry} is optional now"


def test_the_server_refuses_a_request_that_is_not_the_recorded_one() -> None:
    """`request_problem` accepts the recorded request and names a changed body, path or query."""
    case = next(c for c in cases() if c.area == "POST chat.completions" and c.status == 200)
    body = json.dumps(case.request_json).encode()
    recorded = RawRequest("POST", "/v1/chat/completions", {}, body)
    assert request_problem(case, recorded) is None
    changed = {**case.request_json, "model": "another-model"}
    problem = request_problem(
        case, RawRequest("POST", recorded.target, {}, json.dumps(changed).encode())
    )
    assert problem is not None
    assert "$.model" in problem
    assert request_problem(case, RawRequest("POST", "/v1/completions", {}, body)) is not None
    assert request_problem(case, RawRequest("POST", recorded.target + "?x=1", {}, body)) is not None


def test_streams_are_cut_unevenly_and_reproducibly() -> None:
    """A stream's chunks join to its body, vary in size (down to one byte), and repeat per case."""
    case = next(
        c for c in cases() if c.media_type == "text/event-stream" and len(c.content) > 20000
    )
    chunks = list(uneven_chunks(case.id, case.content))
    assert b"".join(chunks) == case.content
    sizes = {len(chunk) for chunk in chunks}
    assert 1 in sizes
    assert len(sizes) >= 8
    assert chunks == list(uneven_chunks(case.id, case.content))


def test_the_walk_finds_what_does_not_read_back() -> None:
    """The walk reports a changed leaf, reads undeclared fields from model_extra, notes nulls."""
    choice: dict[str, Any] = {
        "index": 0,
        "finish_reason": None,
        "logprobs": None,
        "message": {"role": "assistant", "content": "hi", "refusal": None},
    }
    sent: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": None,
        "choices": [choice],
        "brand_new": {"x": [1, 2]},
    }
    result = structure(sent, CreateChatCompletionResponse)
    walk = Walk()
    walk.walk(sent, result, None, "$", ("(result)", "$"))
    assert walk.problems == []
    assert ("CreateChatCompletionResponse", "brand_new", "undeclared") in walk.notes
    assert ("CreateChatCompletionResponse", "model", "null") in walk.notes
    assert ("CreateChatCompletionResponseChoice", "finish_reason", "null") in walk.notes
    changed = {**sent, "created": 2, "choices": [{**choice, "index": 1.0}]}
    walk = Walk()
    walk.walk(changed, result, None, "$", ("(result)", "$"))
    assert sorted(p.split(":")[0] for p in walk.problems) == ["$.choices[0].index", "$.created"]


def test_call_arguments_split_typed_and_extra_fields() -> None:
    """Known body fields become keyword arguments, unknown ones extra_body; path ids are bound."""
    case = next(
        c for c in cases() if c.area == "GET threads.messages" and c.query and c.status == 200
    )
    entry = operation(case)
    assert entry is not None
    kwargs = call_arguments(case, entry, Messages.list._build)
    assert kwargs["thread_id"] == case.path.split("/")[2]
    assert kwargs["order"] == case.query["order"]
