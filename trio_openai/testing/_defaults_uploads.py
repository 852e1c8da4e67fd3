"""Default replies of the Uploads API: a file sent in parts, then assembled.

``POST /uploads`` opens an upload, ``POST /uploads/{id}/parts`` adds a part
(multipart field ``data``), ``POST /uploads/{id}/complete`` joins the parts in
the order of ``part_ids`` into a stored `FakeFile`, ``POST /uploads/{id}/cancel``
abandons it. Shapes follow the OpenAPI spec: ``CreateUploadRequest``, ``Upload``,
``UploadPart``, ``CompleteUploadRequest``. The state lives on `Defaults.uploads`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, final

import attrs

from ._error_bodies import BadRequest, missing
from ._params import json_object, lookup, optional_string, required_string
from ._script import Body, JsonBody

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import FakeFile, Store

__all__ = [
    "UPLOAD_PURPOSES",
    "FakeUpload",
    "add_upload_part",
    "cancel_upload",
    "complete_upload",
    "create_upload",
]

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
"""The purposes ``POST /uploads`` accepts (the spec's ``CreateUploadRequest.purpose``)."""

MAX_UPLOAD_BYTES = 8 * 1024**3
MAX_PART_BYTES = 64 * 1024**2
UPLOAD_LIFETIME = 3600  # an upload expires an hour after it was created


@final
@attrs.define(eq=False, kw_only=True)
class FakeUpload:
    """An upload opened on the fake, with the parts received so far.

    Attributes:
        id: The upload id (``upload_fake_1``).
        filename: The file name announced.
        purpose: The purpose announced.
        size: The size announced (``bytes``); ``complete`` checks the parts add up to it.
        mime_type: The MIME type announced.
        created_at: The time stamp of its creation.
        status: ``pending``, then ``completed`` or ``cancelled``.
        parts: The parts' bytes by part id, in the order received (emptied once
            the upload is no longer pending).
        file: The stored file, once completed.
    """

    id: str
    filename: str
    purpose: str
    size: int
    mime_type: str
    created_at: int
    status: str = "pending"
    parts: dict[str, bytes] = attrs.field(factory=dict, repr=False)
    file: FakeFile | None = None

    def to_json(self) -> dict[str, object]:
        """Return the upload as an ``Upload`` object."""
        return {
            "id": self.id,
            "object": "upload",
            "bytes": self.size,
            "created_at": self.created_at,
            "expires_at": self.created_at + UPLOAD_LIFETIME,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "file": None if self.file is None else self.file.to_json(),
        }


def _pending(defaults: Store, upload_id: str) -> FakeUpload:
    upload: FakeUpload = lookup(defaults.uploads, upload_id, noun="Upload")
    if upload.status != "pending":
        raise BadRequest(f"Upload {upload_id} is already {upload.status}.", param="id")
    return upload


def create_upload(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    """``POST /uploads``: open an upload of ``bytes`` bytes.

    Args:
        defaults: The fake's state.
        request: The request: ``filename``, ``purpose``, ``bytes``, ``mime_type``.

    Raises:
        BadRequest: A field missing or of the wrong type, an unknown purpose, a size
            out of range.
    """
    body = json_object(request)
    filename = required_string(body, "filename")
    purpose = required_string(body, "purpose")
    if "bytes" not in body:
        raise missing("bytes")
    size = body["bytes"]
    mime_type = required_string(body, "mime_type")
    if purpose not in UPLOAD_PURPOSES:
        raise BadRequest(f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_UPLOAD_BYTES:
        raise BadRequest(
            f"Invalid value for 'bytes': {size!r} (an integer, at most 8 GB).", param="bytes"
        )
    upload = FakeUpload(
        id=defaults.new_id("upload_fake_"),
        filename=filename,
        purpose=purpose,
        size=size,
        mime_type=mime_type,
        created_at=defaults.created,
    )
    defaults.uploads[upload.id] = upload
    return JsonBody(upload.to_json())


def add_upload_part(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    """``POST /uploads/{upload_id}/parts``: store the multipart field ``data`` as a part.

    Args:
        defaults: The fake's state.
        request: The multipart request.
        params: ``upload_id``.

    Raises:
        BadRequest: An unknown upload (404), one no longer pending, no ``data``
            part, or a part over 64 MB.
    """
    upload = _pending(defaults, params["upload_id"])
    try:
        form = request.multipart()
    except ValueError as error:
        raise BadRequest(f"Expected a multipart/form-data body: {error}") from None
    data = [part.content for part in form.parts if part.name == "data"]
    if not data:
        raise missing("data")
    if len(data[-1]) > MAX_PART_BYTES:
        raise BadRequest("A part can be at most 64 MB.", param="data")
    part_id = defaults.new_id("part_fake_")
    upload.parts[part_id] = data[-1]
    return JsonBody(
        {
            "id": part_id,
            "object": "upload.part",
            "created_at": defaults.created,
            "upload_id": upload.id,
        }
    )


def complete_upload(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    """``POST /uploads/{upload_id}/complete``: join the parts in ``part_ids`` order into a file.

    Args:
        defaults: The fake's state.
        request: The request: ``part_ids``, optional ``md5``.
        params: ``upload_id``.

    Raises:
        BadRequest: An unknown upload (404), one no longer pending, a bad or
            foreign part id, a byte count other than announced, a wrong md5.
    """
    upload = _pending(defaults, params["upload_id"])
    body = json_object(request)
    if "part_ids" not in body:
        raise missing("part_ids")
    part_ids = body["part_ids"]
    if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
        raise BadRequest("Invalid value for 'part_ids': a list of strings.", param="part_ids")
    if len(set(part_ids)) != len(part_ids):
        raise BadRequest("'part_ids' lists a part more than once.", param="part_ids")
    unknown = [p for p in part_ids if p not in upload.parts]
    if unknown:
        raise BadRequest(f"No such Part in upload {upload.id}: {unknown[0]}", param="part_ids")
    content = b"".join(upload.parts[p] for p in part_ids)
    if len(content) != upload.size:
        raise BadRequest(
            f"The parts listed hold {len(content)} bytes, but the upload was created with"
            f" {upload.size} bytes.",
            param="part_ids",
        )
    md5 = optional_string(body, "md5")
    if md5 is not None and md5.lower() != hashlib.md5(content, usedforsecurity=False).hexdigest():
        raise BadRequest("The md5 checksum does not match the parts uploaded.", param="md5")
    upload.file = defaults.store_file(
        content=content, filename=upload.filename, purpose=upload.purpose
    )
    upload.status = "completed"
    upload.parts.clear()
    return JsonBody(upload.to_json())


def cancel_upload(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    """``POST /uploads/{upload_id}/cancel``: abandon a pending upload and its parts.

    Args:
        defaults: The fake's state.
        params: ``upload_id``.

    Raises:
        BadRequest: An unknown upload (404), or one no longer pending.
    """
    upload = _pending(defaults, params["upload_id"])
    upload.status = "cancelled"
    upload.parts.clear()
    return JsonBody(upload.to_json())
