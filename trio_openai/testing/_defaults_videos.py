"""Default replies of the Videos API: jobs that render themselves, one step per retrieve.

``POST /videos`` (JSON or multipart, as the client sends it) answers a ``queued``
job; each ``GET /videos/{id}`` moves it one step on, so ``videos.poll`` sees every
status, deterministically::

    queued -> in_progress (progress 50) -> completed (progress 100)
    (a prompt containing "fail")  queued -> in_progress -> failed

``GET /videos/{id}/content`` answers fake MP4 bytes (or a ``thumbnail`` WebP, a
``spritesheet`` JPEG) once completed; ``POST /videos/{id}/remix`` starts a new job.
Shapes follow the OpenAPI spec: ``VideoResource``, ``VideoListResource``,
``DeletedVideoResource``. The state lives on `Defaults.videos`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, final

import attrs

from ._error_bodies import BadRequest, missing
from ._params import json_object, list_page, lookup
from ._script import Body, JsonBody, RawBody

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import Store

__all__ = ["FAIL_WORD", "FakeVideo", "ROUTES"]

FAIL_WORD = "fail"
"""A prompt containing this word makes a video job that fails (to test the failure path)."""

_NEXT = {"queued": "in_progress", "in_progress": "completed"}
_PROGRESS = {"queued": 0, "in_progress": 50, "completed": 100, "failed": 50}
_VARIANTS = {
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
    "thumbnail": ("image/webp", b"RIFF\x00\x00\x00\x00WEBP"),
    "spritesheet": ("image/jpeg", b"\xff\xd8\xff\xe0"),
}
_LIFETIME = 24 * 3600


@final
@attrs.define(eq=False, kw_only=True)
class FakeVideo:
    """A video job on the fake.

    Attributes:
        id: The video id (``video_fake_1``).
        prompt: The prompt.
        model: The model.
        size: The resolution.
        seconds: The duration, as the API spells it (``"4"``).
        created_at: When it was created.
        remixed_from_video_id: The video it remixes, if any.
        status: The status shown now.
        completed_at: When it completed.
    """

    id: str
    prompt: str
    model: str
    size: str
    seconds: str
    created_at: int
    remixed_from_video_id: str | None = None
    status: str = "queued"
    completed_at: int | None = None

    def advance(self, now: int) -> None:
        """Move one status on (nothing happens once completed or failed)."""
        status = _NEXT.get(self.status)
        if status is None:
            return
        if status == "completed" and FAIL_WORD in self.prompt.lower():
            status = "failed"
        self.status = status
        if status == "completed":
            self.completed_at = now

    def to_json(self) -> dict[str, object]:
        """Return the job as a ``VideoResource``."""
        error = None
        if self.status == "failed":
            error = {"code": "video_generation_failed", "message": "The fake was asked to fail."}
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": _PROGRESS[self.status],
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.completed_at + _LIFETIME if self.completed_at else None,
            "prompt": self.prompt,
            "size": self.size,
            "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": error,
        }


def _fields(request: FakeRequest) -> Mapping[str, Any]:
    """The request's fields: a multipart form's, or a JSON body's."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        try:
            return request.multipart().fields
        except ValueError as error:
            raise BadRequest(f"Expected a multipart/form-data body: {error}") from None
    return json_object(request)


def _new_video(defaults: Store, fields: Mapping[str, Any], **extra: Any) -> FakeVideo:
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise missing("prompt")
    seconds = str(fields.get("seconds") or "4")
    if seconds not in {"4", "8", "12"}:
        raise BadRequest(f"Invalid value for 'seconds': {seconds!r}.", param="seconds")
    video = FakeVideo(
        id=defaults.new_id("video_fake_"),
        prompt=prompt,
        model=str(fields.get("model") or "sora-2"),
        size=str(fields.get("size") or "720x1280"),
        seconds=seconds,
        created_at=defaults.created,
        **extra,
    )
    defaults.videos[video.id] = video
    return video


def _video(defaults: Store, params: Mapping[str, str]) -> FakeVideo:
    found: FakeVideo = lookup(defaults.videos, params["video_id"], noun="Video")
    return found


def _create(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    return JsonBody(_new_video(defaults, _fields(request)).to_json())


def _list(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    items = [video.to_json() for video in defaults.videos.values()]
    order = request.query.get("order", "desc")
    if order not in {"asc", "desc"}:
        raise BadRequest(f"Invalid value for 'order': {order!r}.", param="order")
    if order == "desc":
        items.reverse()
    page = list_page(request, items, noun="Video", id_bounds=True)
    page.setdefault("first_id", None)
    page.setdefault("last_id", None)
    return JsonBody(page)


def _get(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    video = _video(defaults, params)
    video.advance(defaults.created)
    return JsonBody(video.to_json())


def _delete(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    video = _video(defaults, params)
    del defaults.videos[video.id]
    return JsonBody({"id": video.id, "object": "video.deleted", "deleted": True})


def _content(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    video = _video(defaults, params)
    variant = request.query.get("variant", "video")
    if variant not in _VARIANTS:
        raise BadRequest(f"Invalid value for 'variant': {variant!r}.", param="variant")
    if video.status != "completed":
        raise BadRequest(f"Video is not ready yet (status '{video.status}').", status=404)
    content_type, magic = _VARIANTS[variant]
    return RawBody(magic + f"fake-{variant}:{video.prompt}".encode(), content_type)


def _remix(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    source = _video(defaults, params)
    if source.status != "completed":
        raise BadRequest(f"Cannot remix a video with status '{source.status}'.", param="video_id")
    fields = {**_fields(request), "model": source.model, "size": source.size}
    fields["seconds"] = source.seconds
    remix = _new_video(defaults, fields, remixed_from_video_id=source.id)
    return JsonBody(remix.to_json())


ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/videos", _create),
    ("GET", "/videos", _list),
    ("GET", "/videos/{video_id}", _get),
    ("DELETE", "/videos/{video_id}", _delete),
    ("GET", "/videos/{video_id}/content", _content),
    ("POST", "/videos/{video_id}/remix", _remix),
)
"""``(method, path, handler)`` of every route this module answers."""
