"""Default replies of the Batch API: batches that run themselves, one step per retrieve.

``POST /batches`` reads the input file (JSON lines of ``custom_id``, ``method``,
``url``, ``body``) and answers each line at once, with the generator of its
endpoint (`_generate.py`); a line that cannot be answered (not JSON, no
``custom_id``, another ``url``, a body the generator rejects) counts as failed.
The batch then shows its progress one step per ``GET /batches/{id}``, so a test
or ``trio-openai batches follow`` sees every status, deterministically::

    validating -> in_progress -> finalizing -> completed
    (cancel)   -> cancelling  -> cancelled
    (an input file with no line)  validating -> failed

At completion the answers are stored as files: an output file (``batch_output``,
one line per answered request) and, if a line failed, an error file. Shapes
follow the OpenAPI spec: ``CreateBatchRequest``, ``Batch``, ``ListBatchesResponse``,
and the batch output line format. The state lives on `Defaults.batches`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, final, get_args, get_type_hints

import attrs

from ..types.batches import CreateBatchRequest
from . import _generate
from ._error_bodies import BadRequest
from ._params import json_object, list_page, lookup, required_string
from ._script import Body, JsonBody, dumps

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import Store

__all__ = [
    "BATCH_ENDPOINTS",
    "FakeBatch",
    "cancel_batch",
    "create_batch",
    "get_batch",
    "list_batches",
]

BATCH_ENDPOINTS: tuple[str, ...] = get_args(get_type_hints(CreateBatchRequest)["endpoint"])
"""The endpoints a batch may target: the spec's ``CreateBatchRequest.endpoint``, as generated."""

_GENERATORS: dict[str, Callable[[Mapping[str, Any], _generate.Context], Body]] = {
    "/v1/responses": _generate.response,
    "/v1/chat/completions": _generate.chat_completion,
    "/v1/embeddings": _generate.embeddings,
    "/v1/completions": _generate.completion,
    "/v1/moderations": _generate.moderation,
}
_WINDOW_SECONDS = {"24h": 24 * 3600}
_NEXT = {
    "validating": "in_progress",
    "in_progress": "finalizing",
    "finalizing": "completed",
    "cancelling": "cancelled",
}
_RUNNING = frozenset({"validating", "in_progress", "finalizing"})


@final
@attrs.define(eq=False, kw_only=True)
class FakeBatch:
    """A batch on the fake: its requests answered at creation, shown step by step.

    Attributes:
        id: The batch id (``batch_fake_1``).
        endpoint: The endpoint of every request.
        input_file_id: The input file's id.
        completion_window: ``24h``.
        created_at: The time stamp of its creation.
        metadata: The metadata given at creation.
        status: The status shown now.
        total: Requests in the input file (its non-empty lines).
        outputs: The output file's lines (requests answered), as JSON.
        errors: The error file's lines (requests that failed), as JSON.
        times: The ``*_at`` time stamps reached (``in_progress_at``, ...).
        output_file_id: The output file, once completed.
        error_file_id: The error file, once completed (if a request failed).
    """

    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    created_at: int
    metadata: Mapping[str, Any] | None = None
    status: str = "validating"
    total: int = 0
    outputs: list[dict[str, object]] = attrs.field(factory=list, repr=False)
    errors: list[dict[str, object]] = attrs.field(factory=list, repr=False)
    times: dict[str, int] = attrs.field(factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None

    def advance(self, defaults: Store) -> None:
        """Move one status on (nothing happens once terminal); store the files at completion.

        Args:
            defaults: The fake's state (the file store).
        """
        status = _NEXT.get(self.status)
        if status is None:
            return
        if self.status == "validating" and self.total == 0:
            status = "failed"
        if status == "completed":
            self.output_file_id = self._store(defaults, "output", self.outputs)
            self.error_file_id = self._store(defaults, "error", self.errors)
        self.status = status
        self.times[f"{status}_at"] = defaults.created

    def _store(self, defaults: Store, kind: str, lines: list[dict[str, object]]) -> str | None:
        if not lines:
            return None
        content = "".join(dumps(line) + "\n" for line in lines).encode()
        name = f"{self.id}_{kind}.jsonl"
        return defaults.store_file(content=content, filename=name, purpose="batch_output").id

    def to_json(self) -> dict[str, object]:
        """Return the batch as a ``Batch`` object (fields not reached yet left out)."""
        counted = self.status in {"finalizing", "completed"}
        data: dict[str, object] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "created_at": self.created_at,
            "expires_at": self.created_at + _WINDOW_SECONDS[self.completion_window],
            **self.times,
            "request_counts": {
                "total": self.total,
                "completed": len(self.outputs) if counted else 0,
                "failed": len(self.errors) if counted else 0,
            },
            "metadata": self.metadata,
        }
        if self.output_file_id is not None:
            data["output_file_id"] = self.output_file_id
        if self.error_file_id is not None:
            data["error_file_id"] = self.error_file_id
        if self.status == "failed":
            message = "The batch input file has no request."
            data["errors"] = {
                "object": "list",
                "data": [{"code": "empty_file", "message": message}],
            }
        return data


def _read_line(line: str, endpoint: str) -> tuple[str | None, Any, tuple[str, str] | None]:
    """An input line's ``custom_id`` and ``body``, and what makes it unanswerable, if anything.

    The last item is ``(code, message)`` for a line that cannot be answered, else ``None``.
    """
    try:
        item = json.loads(line)
    except ValueError:
        return None, None, ("invalid_json", "not valid JSON.")
    fields: dict[str, Any] = item if isinstance(item, dict) else {}
    custom_id, body = fields.get("custom_id"), fields.get("body")
    checks = (
        (isinstance(item, dict), "invalid_request", "not a JSON object."),
        (isinstance(custom_id, str), "missing_required_parameter", "no 'custom_id' string."),
        (fields.get("method") == "POST", "invalid_method", "'method' must be 'POST'."),
        (fields.get("url") == endpoint, "invalid_url", f"'url' must be {endpoint!r}."),
        (isinstance(body, dict), "invalid_request", "no 'body' object."),
        (endpoint in _GENERATORS, "unsupported_endpoint", f"the fake does not answer {endpoint}."),
        (not (isinstance(body, dict) and body.get("stream")), "invalid_request", "no streaming."),
    )
    problem = next(((code, message) for ok, code, message in checks if not ok), None)
    return custom_id if isinstance(custom_id, str) else None, body, problem


def _answer_line(
    defaults: Store, endpoint: str, number: int, line: str
) -> tuple[bool, dict[str, object]]:
    """Answer one input line: ``(True, output line)`` or ``(False, error line)``."""
    line_id = defaults.new_id("batch_req_fake_")
    custom_id, body, problem = _read_line(line, endpoint)
    if problem is None:
        try:
            status, answer = 200, defaults.generate(_GENERATORS[endpoint], body)
        except BadRequest as exc:
            status, answer = exc.status, exc.body
        if isinstance(answer, JsonBody):
            request_id = defaults.new_id("req_batch_fake_")
            response = {"status_code": status, "request_id": request_id, "body": answer.value}
            output: dict[str, object] = {
                "id": line_id,
                "custom_id": custom_id,
                "response": response,
                "error": None,
            }
            return status == 200, output
        problem = "invalid_request", "the answer is not JSON."
    code, message = problem
    error = {"code": code, "message": f"Line {number}: {message}"}
    return False, {"id": line_id, "custom_id": custom_id, "response": None, "error": error}


def create_batch(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    """``POST /batches``: answer every line of the input file, show the batch as validating.

    Args:
        defaults: The fake's state.
        request: The request: ``input_file_id``, ``endpoint``, ``completion_window``.

    Raises:
        BadRequest: A field missing or invalid, an input file not stored.
    """
    body = json_object(request)
    input_file_id = required_string(body, "input_file_id")
    endpoint = required_string(body, "endpoint")
    window = required_string(body, "completion_window")
    if endpoint not in BATCH_ENDPOINTS:
        raise BadRequest(f"Invalid value for 'endpoint': {endpoint!r}.", param="endpoint")
    if window not in _WINDOW_SECONDS:
        raise BadRequest(
            f"Invalid value for 'completion_window': {window!r}. Supported: '24h'.",
            param="completion_window",
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise BadRequest("Invalid value for 'metadata': an object.", param="metadata")
    stored = defaults.files.get(input_file_id)
    if stored is None:
        raise BadRequest(f"No such File object: {input_file_id}", param="input_file_id")
    batch = FakeBatch(
        id=defaults.new_id("batch_fake_"),
        endpoint=endpoint,
        input_file_id=input_file_id,
        completion_window=window,
        created_at=defaults.created,
        metadata=metadata,
    )
    # Split on "\n" only: str.splitlines would also cut at U+2028 inside a JSON string.
    lines = stored.content.decode("utf-8", errors="replace").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            batch.total += 1
            ok, result = _answer_line(defaults, endpoint, number, line)
            (batch.outputs if ok else batch.errors).append(result)
    defaults.batches[batch.id] = batch
    return JsonBody(batch.to_json())


def _batch(defaults: Store, batch_id: str) -> FakeBatch:
    batch: FakeBatch = lookup(defaults.batches, batch_id, noun="Batch")
    return batch


def get_batch(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    """``GET /batches/{batch_id}``: move the batch one status on, and return it.

    Args:
        defaults: The fake's state.
        params: ``batch_id``.

    Raises:
        BadRequest: An unknown batch (404).
    """
    batch = _batch(defaults, params["batch_id"])
    batch.advance(defaults)
    return JsonBody(batch.to_json())


def list_batches(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    """``GET /batches``: the batches, newest first, a page at a time (``after``, ``limit``).

    Args:
        defaults: The fake's state.
        request: The request.

    Raises:
        BadRequest: An unknown ``after`` (404), a ``limit`` out of 1..100.
    """
    batches = [batch.to_json() for batch in reversed(defaults.batches.values())]
    return JsonBody(list_page(request, batches, noun="Batch", id_bounds=True))


def cancel_batch(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    """``POST /batches/{batch_id}/cancel``: the batch goes ``cancelling``, then ``cancelled``.

    Args:
        defaults: The fake's state.
        params: ``batch_id``.

    Raises:
        BadRequest: An unknown batch (404), or one that already ended.
    """
    batch = _batch(defaults, params["batch_id"])
    if batch.status in _RUNNING:
        batch.status = "cancelling"
        batch.times["cancelling_at"] = defaults.created
    elif batch.status != "cancelling":
        raise BadRequest(f"Cannot cancel a batch with status '{batch.status}'.", param="id")
    return JsonBody(batch.to_json())
