"""Default replies of the Vector Stores API: files that are processed one step per retrieve.

A vector store holds stored files (``POST /files``, `FakeOpenAI.add_file`). A file
attached to it (``POST /vector_stores/{id}/files``, a file batch, or ``file_ids`` at
creation) starts ``in_progress``; the next retrieve of the file, of its batch or of
the vector store processes it, so a polling helper sees each status once::

    in_progress -> completed          (a file with content)
    in_progress -> failed             (an empty file: ``last_error`` invalid_file)
    (batch cancel) in_progress -> cancelled

The vector store's ``file_counts`` and status (``in_progress`` while a file is)
follow its files; a batch is ``completed`` once none of its files is in progress.
Search (``POST /vector_stores/{id}/search``) scores each completed file by the
words of the query it contains. Shapes follow the OpenAPI spec: ``VectorStoreObject``,
``VectorStoreFileObject``, ``VectorStoreFileBatchObject``, ``VectorStoreSearchResultsPage``,
``VectorStoreFileContentResponse`` and their list and delete answers. The state lives
on `Defaults.vector_stores`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, final

import attrs

from ._error_bodies import BadRequest
from ._params import json_object, list_page, lookup, optional_string
from ._script import Body, JsonBody

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import FakeFile, Store

__all__ = [
    "DEFAULT_CHUNKING",
    "FakeVectorStore",
    "FakeVectorStoreFile",
    "FakeVectorStoreFileBatch",
    "ROUTES",
]

DEFAULT_CHUNKING: dict[str, object] = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
}
"""The chunking strategy a file gets when none is given (the API's ``auto``)."""

_STATUSES = ("in_progress", "completed", "failed", "cancelled")


@final
@attrs.define(eq=False, kw_only=True)
class FakeVectorStoreFile:
    """A stored file attached to a vector store.

    Attributes:
        file: The stored file.
        vector_store_id: The vector store's id.
        created_at: When it was attached.
        status: ``in_progress`` until the next retrieve, then final.
        attributes: The attributes given.
        chunking_strategy: The chunking strategy, as answered.
    """

    file: FakeFile
    vector_store_id: str
    created_at: int
    status: str = "in_progress"
    attributes: Mapping[str, Any] | None = None
    chunking_strategy: Mapping[str, Any] = attrs.field(factory=lambda: dict(DEFAULT_CHUNKING))

    def advance(self) -> None:
        """Process the file: ``completed``, or ``failed`` when it is empty."""
        if self.status == "in_progress":
            self.status = "completed" if self.file.content else "failed"

    def to_json(self) -> dict[str, object]:
        """Return the file as a ``VectorStoreFileObject``."""
        last_error = None
        if self.status == "failed":
            last_error = {"code": "invalid_file", "message": "The file is empty."}
        return {
            "id": self.file.id,
            "object": "vector_store.file",
            "usage_bytes": len(self.file.content) if self.status == "completed" else 0,
            "created_at": self.created_at,
            "vector_store_id": self.vector_store_id,
            "status": self.status,
            "last_error": last_error,
            "chunking_strategy": dict(self.chunking_strategy),
            "attributes": dict(self.attributes) if self.attributes is not None else None,
        }


def _counts(files: Iterable[FakeVectorStoreFile]) -> dict[str, int]:
    counts = dict.fromkeys(_STATUSES, 0)
    for item in files:
        counts[item.status] += 1
    return {**counts, "total": sum(counts.values())}


@final
@attrs.define(eq=False, kw_only=True)
class FakeVectorStoreFileBatch:
    """A batch of files attached to a vector store at once.

    Attributes:
        id: The batch id (``vsfb_fake_1``).
        store: The vector store.
        file_ids: The ids of its files, in order.
        created_at: When it was created.
        cancelled: Whether it was cancelled.
    """

    id: str
    store: FakeVectorStore
    file_ids: tuple[str, ...]
    created_at: int
    cancelled: bool = False

    def files(self) -> list[FakeVectorStoreFile]:
        """Its files still attached to the store."""
        return [self.store.files[i] for i in self.file_ids if i in self.store.files]

    def advance(self) -> None:
        """Process every file of the batch still in progress."""
        for item in self.files():
            item.advance()

    def to_json(self) -> dict[str, object]:
        """Return the batch as a ``VectorStoreFileBatchObject``."""
        files = self.files()
        if any(item.status == "in_progress" for item in files):
            status = "in_progress"
        else:
            status = "cancelled" if self.cancelled else "completed"
        return {
            "id": self.id,
            "object": "vector_store.files_batch",
            "created_at": self.created_at,
            "vector_store_id": self.store.id,
            "status": status,
            "file_counts": _counts(files),
        }


@final
@attrs.define(eq=False, kw_only=True)
class FakeVectorStore:
    """A vector store on the fake: its files and file batches.

    Attributes:
        id: The vector store id (``vs_fake_1``).
        name: Its name.
        created_at: When it was created.
        metadata: The metadata given.
        expires_after: The expiration policy given.
        files: Its files by file id, oldest first.
        batches: Its file batches by id.
    """

    id: str
    name: str
    created_at: int
    metadata: Mapping[str, Any] | None = None
    expires_after: Mapping[str, Any] | None = None
    files: dict[str, FakeVectorStoreFile] = attrs.field(factory=dict)
    batches: dict[str, FakeVectorStoreFileBatch] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, object]:
        """Return the store as a ``VectorStoreObject``."""
        files = self.files.values()
        busy = any(item.status == "in_progress" for item in files)
        data: dict[str, object] = {
            "id": self.id,
            "object": "vector_store",
            "created_at": self.created_at,
            "name": self.name,
            "usage_bytes": sum(len(f.file.content) for f in files if f.status == "completed"),
            "file_counts": _counts(files),
            "status": "in_progress" if busy else "completed",
            "last_active_at": self.created_at,
            "metadata": dict(self.metadata) if self.metadata is not None else {},
        }
        if self.expires_after is not None:
            data["expires_after"] = dict(self.expires_after)
        return data


# -- request fields ---------------------------------------------------------------------------


def _mapping(body: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, Mapping):
        raise BadRequest(f"Invalid type for '{name}': expected an object.", param=name)
    return value


def _chunking(body: Mapping[str, Any]) -> dict[str, object]:
    given = _mapping(body, "chunking_strategy")
    if given is None or given.get("type") == "auto":
        return dict(DEFAULT_CHUNKING)
    if given.get("type") != "static" or not isinstance(given.get("static"), Mapping):
        raise BadRequest("Invalid value for 'chunking_strategy'.", param="chunking_strategy")
    return {"type": "static", "static": dict(given["static"])}


def _file_ids(body: Mapping[str, Any], name: str = "file_ids") -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"Invalid type for '{name}': expected an array of strings.", param=name)
    return value


def _store(defaults: Store, params: Mapping[str, str]) -> FakeVectorStore:
    found: FakeVectorStore = lookup(
        defaults.vector_stores, params["vector_store_id"], noun="VectorStore"
    )
    return found


def _attach(
    defaults: Store,
    store: FakeVectorStore,
    file_id: str,
    *,
    attributes: Mapping[str, Any] | None,
    chunking: Mapping[str, Any],
) -> FakeVectorStoreFile:
    stored = defaults.files.get(file_id)
    if stored is None:
        raise BadRequest(f"No such File object: {file_id}", param="file_id", status=404)
    attached = FakeVectorStoreFile(
        file=stored,
        vector_store_id=store.id,
        created_at=defaults.created,
        attributes=attributes,
        chunking_strategy=chunking,
    )
    store.files[file_id] = attached
    return attached


def _ordered(request: FakeRequest, items: list[dict[str, object]]) -> list[dict[str, object]]:
    order = request.query.get("order", "desc")
    if order not in {"asc", "desc"}:
        raise BadRequest(f"Invalid value for 'order': {order!r}.", param="order")
    return list(reversed(items)) if order == "desc" else items


def _file_page(request: FakeRequest, files: Iterable[FakeVectorStoreFile]) -> dict[str, object]:
    wanted = request.query.get("filter")
    if wanted is not None and wanted not in _STATUSES:
        raise BadRequest(f"Invalid value for 'filter': {wanted!r}.", param="filter")
    items = [f.to_json() for f in files if wanted is None or f.status == wanted]
    page = list_page(request, _ordered(request, items), noun="VectorStoreFile", id_bounds=True)
    page.setdefault("first_id", None)
    page.setdefault("last_id", None)
    return page


# -- vector stores ----------------------------------------------------------------------------


def _create_store(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    body = json_object(request)
    store = FakeVectorStore(
        id=defaults.new_id("vs_fake_"),
        name=optional_string(body, "name") or "",
        created_at=defaults.created,
        metadata=_mapping(body, "metadata"),
        expires_after=_mapping(body, "expires_after"),
    )
    chunking = _chunking(body)
    for file_id in _file_ids(body):
        _attach(defaults, store, file_id, attributes=None, chunking=chunking)
    defaults.vector_stores[store.id] = store
    return JsonBody(store.to_json())


def _list_stores(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    items = [store.to_json() for store in defaults.vector_stores.values()]
    page = list_page(request, _ordered(request, items), noun="VectorStore", id_bounds=True)
    page.setdefault("first_id", None)
    page.setdefault("last_id", None)
    return JsonBody(page)


def _get_store(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    for item in store.files.values():
        item.advance()
    return JsonBody(store.to_json())


def _update_store(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    body = json_object(request)
    if "name" in body:
        store.name = optional_string(body, "name") or ""
    if "metadata" in body:
        store.metadata = _mapping(body, "metadata")
    if "expires_after" in body:
        store.expires_after = _mapping(body, "expires_after")
    return JsonBody(store.to_json())


def _delete_store(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    del defaults.vector_stores[store.id]
    return JsonBody({"id": store.id, "object": "vector_store.deleted", "deleted": True})


def _search(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    body = json_object(request)
    query = body.get("query")
    queries = [query] if isinstance(query, str) else query
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise BadRequest("Invalid type for 'query': a string or an array.", param="query")
    words = {w.lower() for q in queries for w in q.split()}
    results: list[dict[str, object]] = []
    for item in store.files.values():
        if item.status != "completed":
            continue
        text = item.file.content.decode("utf-8", errors="replace")
        found = {w.lower() for w in text.split()} & words
        if found:
            results.append(
                {
                    "file_id": item.file.id,
                    "filename": item.file.filename,
                    "score": round(len(found) / len(words), 4),
                    "attributes": dict(item.attributes or {}),
                    "content": [{"type": "text", "text": text}],
                }
            )
    results.sort(key=lambda r: -float(r["score"]))  # type: ignore[arg-type]
    limit = body.get("max_num_results", 10)
    return JsonBody(
        {
            "object": "vector_store.search_results.page",
            "search_query": queries,
            "data": results[: limit if isinstance(limit, int) else 10],
            "has_more": False,
            "next_page": None,
        }
    )


# -- vector store files -----------------------------------------------------------------------


def _stored_file(store: FakeVectorStore, params: Mapping[str, str]) -> FakeVectorStoreFile:
    found: FakeVectorStoreFile = lookup(store.files, params["file_id"], noun="VectorStoreFile")
    return found


def _create_file(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    body = json_object(request)
    file_id = body.get("file_id")
    if not isinstance(file_id, str):
        raise BadRequest("Missing required parameter: 'file_id'.", param="file_id")
    attached = _attach(
        defaults,
        store,
        file_id,
        attributes=_mapping(body, "attributes"),
        chunking=_chunking(body),
    )
    return JsonBody(attached.to_json())


def _list_files(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    return JsonBody(_file_page(request, _store(defaults, params).files.values()))


def _get_file(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    item = _stored_file(_store(defaults, params), params)
    item.advance()
    return JsonBody(item.to_json())


def _update_file(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    item = _stored_file(_store(defaults, params), params)
    item.attributes = _mapping(json_object(request), "attributes")
    return JsonBody(item.to_json())


def _delete_file(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    item = _stored_file(store, params)
    del store.files[item.file.id]
    return JsonBody({"id": item.file.id, "object": "vector_store.file.deleted", "deleted": True})


def _file_content(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    item = _stored_file(_store(defaults, params), params)
    text = item.file.content.decode("utf-8", errors="replace")
    return JsonBody(
        {
            "object": "vector_store.file_content.page",
            "data": [{"type": "text", "text": text}],
            "has_more": False,
            "next_page": None,
        }
    )


# -- file batches -----------------------------------------------------------------------------


def _batch(store: FakeVectorStore, params: Mapping[str, str]) -> FakeVectorStoreFileBatch:
    found: FakeVectorStoreFileBatch = lookup(
        store.batches, params["batch_id"], noun="VectorStoreFileBatch"
    )
    return found


def _create_batch(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    store = _store(defaults, params)
    body = json_object(request)
    chunking = _chunking(body)
    attributes = _mapping(body, "attributes")
    entries: list[tuple[str, Mapping[str, Any] | None, Mapping[str, Any]]] = [
        (file_id, attributes, chunking) for file_id in _file_ids(body)
    ]
    files = body.get("files")
    if files is not None:
        if not isinstance(files, list) or not all(
            isinstance(f, Mapping) and isinstance(f.get("file_id"), str) for f in files
        ):
            raise BadRequest("Invalid value for 'files': objects with a 'file_id'.", param="files")
        entries += [
            (
                f["file_id"],
                _mapping(f, "attributes") or attributes,
                _chunking(f) if "chunking_strategy" in f else chunking,
            )
            for f in files
        ]
    if not entries:
        raise BadRequest("One of 'file_ids' or 'files' is required.", param="file_ids")
    for file_id, file_attributes, file_chunking in entries:
        _attach(defaults, store, file_id, attributes=file_attributes, chunking=file_chunking)
    batch = FakeVectorStoreFileBatch(
        id=defaults.new_id("vsfb_fake_"),
        store=store,
        file_ids=tuple(file_id for file_id, _, _ in entries),
        created_at=defaults.created,
    )
    store.batches[batch.id] = batch
    return JsonBody(batch.to_json())


def _get_batch(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    batch = _batch(_store(defaults, params), params)
    batch.advance()
    return JsonBody(batch.to_json())


def _cancel_batch(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    batch = _batch(_store(defaults, params), params)
    batch.cancelled = True
    for item in batch.files():
        if item.status == "in_progress":
            item.status = "cancelled"
    return JsonBody(batch.to_json())


def _batch_files(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    batch = _batch(_store(defaults, params), params)
    return JsonBody(_file_page(request, batch.files()))


_VS = "/vector_stores/{vector_store_id}"

ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/vector_stores", _create_store),
    ("GET", "/vector_stores", _list_stores),
    ("GET", _VS, _get_store),
    ("POST", _VS, _update_store),
    ("DELETE", _VS, _delete_store),
    ("POST", f"{_VS}/search", _search),
    ("POST", f"{_VS}/files", _create_file),
    ("GET", f"{_VS}/files", _list_files),
    ("GET", f"{_VS}/files/{{file_id}}", _get_file),
    ("POST", f"{_VS}/files/{{file_id}}", _update_file),
    ("DELETE", f"{_VS}/files/{{file_id}}", _delete_file),
    ("GET", f"{_VS}/files/{{file_id}}/content", _file_content),
    ("POST", f"{_VS}/file_batches", _create_batch),
    ("GET", f"{_VS}/file_batches/{{batch_id}}", _get_batch),
    ("POST", f"{_VS}/file_batches/{{batch_id}}/cancel", _cancel_batch),
    ("GET", f"{_VS}/file_batches/{{batch_id}}/files", _batch_files),
)
"""``(method, path, handler)`` of every route this module answers."""
