"""The default replies: what the fake answers when no script is queued for a route.

`Defaults` holds the state the defaults need (models, stored files, uploads,
batches, fine-tuning jobs, vector stores, assistants, threads, videos, id
counters) and `_ROUTES` routes a request to a generator (`_generate.py`), a
files/models handler here, or the handlers of `_defaults_uploads.py`,
`_defaults_batches.py`, `_defaults_fine_tuning.py`, `_defaults_vector_stores.py`,
`_defaults_assistants.py`, `_defaults_videos.py` and `_defaults_media.py` (images,
transcriptions, translations, speech and its event stream).
Shapes follow the OpenAPI spec: ``ListModelsResponse``, ``Model``, ``OpenAIFile``,
``ListFilesResponse``, ``DeleteFileResponse``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import _defaults_assistants as _assistants
from . import _defaults_batches as _batches
from . import _defaults_fine_tuning as _fine_tuning
from . import _defaults_media as _media
from . import _defaults_uploads as _uploads
from . import _defaults_vector_stores as _vector_stores
from . import _defaults_videos as _videos
from . import _generate
from ._error_bodies import BadRequest, error_body, missing
from ._params import json_object, list_page, lookup
from ._records import FakeRequest
from ._routes import compile_route
from ._script import Body, JsonBody, RawBody
from ._store import FakeFile

__all__ = ["DEFAULT_MODELS", "Defaults", "FakeFile", "invalid_url"]

DEFAULT_MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1-mini",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "tts-1",
    "gpt-4o-mini-tts",
    "whisper-1",
    "omni-moderation-latest",
)
"""The model ids ``GET /models`` lists unless `FakeOpenAI(models=...)` says otherwise."""

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")

_Handler = Callable[["Defaults", FakeRequest, Mapping[str, str]], Body]


@attrs.define(eq=False)
class Defaults:
    """State and routing of the default replies.

    Attributes:
        created: The time stamp put in ``created``/``created_at`` fields.
        models: The model ids the server knows.
        files: Uploaded files by id, oldest first.
        uploads: Uploads (``POST /uploads``) by id, oldest first.
        batches: Batches by id, oldest first.
        fine_tuning_jobs: Fine-tuning jobs by id, oldest first.
        vector_stores: Vector stores (with their files and file batches) by id.
        assistants: Assistants (as answered) by id, oldest first.
        threads: Threads (with their messages and runs) by id, oldest first.
        videos: Video jobs by id, oldest first.
    """

    created: int
    models: tuple[str, ...]
    files: dict[str, FakeFile] = attrs.field(factory=dict)
    uploads: dict[str, _uploads.FakeUpload] = attrs.field(factory=dict)
    batches: dict[str, _batches.FakeBatch] = attrs.field(factory=dict)
    fine_tuning_jobs: dict[str, _fine_tuning.FakeFineTuningJob] = attrs.field(factory=dict)
    vector_stores: dict[str, _vector_stores.FakeVectorStore] = attrs.field(factory=dict)
    assistants: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    threads: dict[str, _assistants.FakeThread] = attrs.field(factory=dict)
    videos: dict[str, _videos.FakeVideo] = attrs.field(factory=dict)
    _counters: dict[str, itertools.count[int]] = attrs.field(factory=dict)

    def new_id(self, prefix: str) -> str:
        """Return the next id with *prefix* (``chatcmpl-fake-1``, ``chatcmpl-fake-2``, ...).

        Args:
            prefix: The id's prefix, separator included.
        """
        counter = self._counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}{next(counter)}"

    def store_file(self, *, content: bytes, filename: str, purpose: str) -> FakeFile:
        """Store a file as if it had been uploaded.

        Args:
            content: The bytes.
            filename: The file name.
            purpose: The purpose (``assistants``, ``batch``, ...).
        """
        stored = FakeFile(
            id=self.new_id("file-fake-"),
            filename=filename,
            purpose=purpose,
            content=content,
            created_at=self.created,
        )
        self.files[stored.id] = stored
        return stored

    def generate(
        self,
        generator: Callable[[Mapping[str, Any], _generate.Context], Body],
        body: Mapping[str, Any],
    ) -> Body:
        """Run a generator of `_generate.py` on a request body, with this fake's ids and time.

        Args:
            generator: The generator (``_generate.chat_completion``, ...).
            body: The request body.

        Raises:
            BadRequest: The generator rejected the body, or could not read it.
        """
        ctx = _generate.Context(created=self.created, new_id=self.new_id)
        try:
            return generator(body, ctx)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # JSON of the right type but an unexpected shape: answer, do not crash.
            raise BadRequest(f"The fake server could not read this request: {error!r}") from None

    def answer(self, request: FakeRequest) -> tuple[int, Body] | None:
        """Return the default ``(status, body)`` for *request*, or ``None`` for an unknown route.

        Args:
            request: The request.
        """
        found = _find(request.method, request.path)
        if found is None:
            return None
        handler, params = found
        try:
            return 200, handler(self, request, params)
        except BadRequest as error:
            return error.status, error.body


def _stored(defaults: Defaults, file_id: str) -> FakeFile:
    return lookup(defaults.files, file_id, noun="File")


def _generated(
    generate: Callable[[Mapping[str, Any], _generate.Context], Body],
) -> _Handler:
    def handler(defaults: Defaults, request: FakeRequest, _: Mapping[str, str]) -> Body:
        return defaults.generate(generate, json_object(request))

    return handler


def _list_models(defaults: Defaults, _: FakeRequest, __: Mapping[str, str]) -> Body:
    data = [_model(defaults, model) for model in defaults.models]
    return JsonBody({"object": "list", "data": data})


def _model(defaults: Defaults, model: str) -> dict[str, object]:
    return {"id": model, "object": "model", "created": defaults.created, "owned_by": "system"}


def _get_model(defaults: Defaults, _: FakeRequest, params: Mapping[str, str]) -> Body:
    model = params["model"]
    if model not in defaults.models:
        raise BadRequest(
            f"The model '{model}' does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
            status=404,
        )
    return JsonBody(_model(defaults, model))


def _create_file(defaults: Defaults, request: FakeRequest, _: Mapping[str, str]) -> Body:
    try:
        form = request.multipart()
    except ValueError as error:
        raise BadRequest(f"Expected a multipart/form-data body: {error}") from None
    upload = form.files.get("file")
    if upload is None:
        raise missing("file")
    purpose = form.fields.get("purpose")
    if purpose is None:
        raise missing("purpose")
    if purpose not in FILE_PURPOSES:
        raise BadRequest(f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
    stored = defaults.store_file(
        content=upload.content, filename=upload.filename or "upload", purpose=purpose
    )
    return JsonBody(stored.to_json())


def _list_files(defaults: Defaults, request: FakeRequest, _: Mapping[str, str]) -> Body:
    files = list(defaults.files.values())
    purpose = request.query.get("purpose")
    if purpose is not None:
        files = [f for f in files if f.purpose == purpose]
    order = request.query.get("order", "desc")
    if order not in {"asc", "desc"}:
        raise BadRequest(f"Invalid value for 'order': {order!r}.", param="order")
    if order == "desc":
        files.reverse()
    page = list_page(
        request,
        [f.to_json() for f in files],
        noun="File",
        default_limit=10_000,
        max_limit=10_000,
        id_bounds=True,
    )
    # The spec types first_id/last_id as strings, but the API sends null for an
    # empty page (clients built from the spec trip on it: keep that realism).
    page.setdefault("first_id", None)
    page.setdefault("last_id", None)
    return JsonBody(page)


def _get_file(defaults: Defaults, _: FakeRequest, params: Mapping[str, str]) -> Body:
    return JsonBody(_stored(defaults, params["file_id"]).to_json())


def _delete_file(defaults: Defaults, _: FakeRequest, params: Mapping[str, str]) -> Body:
    stored = _stored(defaults, params["file_id"])
    del defaults.files[stored.id]
    return JsonBody({"id": stored.id, "object": "file", "deleted": True})


def _file_content(defaults: Defaults, _: FakeRequest, params: Mapping[str, str]) -> Body:
    stored = _stored(defaults, params["file_id"])
    return RawBody(stored.content, "application/octet-stream")


_ROUTES: tuple[tuple[str, re.Pattern[str], _Handler], ...] = tuple(
    (method, compile_route(path), handler)
    for method, path, handler in (
        ("POST", "/chat/completions", _generated(_generate.chat_completion)),
        ("POST", "/completions", _generated(_generate.completion)),
        ("POST", "/responses", _generated(_generate.response)),
        ("POST", "/embeddings", _generated(_generate.embeddings)),
        ("POST", "/moderations", _generated(_generate.moderation)),
        ("GET", "/models", _list_models),
        ("GET", "/models/{model}", _get_model),
        ("POST", "/files", _create_file),
        ("GET", "/files", _list_files),
        ("GET", "/files/{file_id}", _get_file),
        ("DELETE", "/files/{file_id}", _delete_file),
        ("GET", "/files/{file_id}/content", _file_content),
        ("POST", "/uploads", _uploads.create_upload),
        ("POST", "/uploads/{upload_id}/parts", _uploads.add_upload_part),
        ("POST", "/uploads/{upload_id}/complete", _uploads.complete_upload),
        ("POST", "/uploads/{upload_id}/cancel", _uploads.cancel_upload),
        ("POST", "/batches", _batches.create_batch),
        ("GET", "/batches", _batches.list_batches),
        ("GET", "/batches/{batch_id}", _batches.get_batch),
        ("POST", "/batches/{batch_id}/cancel", _batches.cancel_batch),
        ("POST", "/fine_tuning/jobs", _fine_tuning.create_job),
        ("GET", "/fine_tuning/jobs", _fine_tuning.list_jobs),
        ("GET", "/fine_tuning/jobs/{fine_tuning_job_id}", _fine_tuning.get_job),
        ("POST", "/fine_tuning/jobs/{fine_tuning_job_id}/cancel", _fine_tuning.cancel_job),
        ("GET", "/fine_tuning/jobs/{fine_tuning_job_id}/events", _fine_tuning.list_job_events),
        *_media.ROUTES,
        *_vector_stores.ROUTES,
        *_assistants.ROUTES,
        *_videos.ROUTES,
    )
)


def _find(method: str, path: str) -> tuple[_Handler, dict[str, str]] | None:
    for route_method, pattern, handler in _ROUTES:
        match = pattern.fullmatch(path)
        if match is not None and route_method == method:
            return handler, match.groupdict()
    return None


def invalid_url(request: FakeRequest) -> tuple[int, Body]:
    """Return the API's answer to an unknown route (404, ``Invalid URL``).

    Args:
        request: The request.
    """
    return 404, error_body(
        f"Invalid URL ({request.method} {request.raw_path})", type="invalid_request_error"
    )
