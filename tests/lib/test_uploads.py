"""`upload_file`: parts, order, bounded concurrency, progress, and cancel on failure."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import httpx2
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai._api._resource import Resource
from trio_openai._lib import _uploads
from trio_openai._lib._uploads import (
    MAX_PART_SIZE,
    CompletedUpload,
    UploadProgress,
    UploadsHelpers,
    upload_file,
)
from trio_openai.testing import FakeOpenAI, FakeRequest
from trio_openai.testing._records import parse_multipart
from trio_openai.types.uploads import Upload

UPLOAD_ID = "upload_abc123"
FILE_ID = "file-xyz789"
PART = 1000


class MeteredTransport(httpx2.AsyncBaseTransport):
    """Wraps the fake's transport: counts part requests awaiting their answer, may hold them.

    With ``hold`` set, each part request waits at the gate until the test sets its
    event in ``waiting`` (in arrival order, by part index): the test, not a clock,
    decides when and in which order parts are answered.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hold = False
        self.waiting: list[trio.Event] = []
        self.index_of: dict[int, trio.Event] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.parts_answered = 0
        self.answered: list[str] = []  # paths of the other requests answered, in order
        self._changed = trio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait until *predicate* holds (checked after each change)."""
        while not predicate():
            await self._changed.wait()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/parts"):
            response = await self.inner.handle_async_request(request)
            self.answered.append(request.url.path)
            return response
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold:
                gate = trio.Event()
                self.waiting.append(gate)
                form = parse_multipart(request.headers["content-type"], await request.aread())
                self.index_of[form.files["data"].content[0]] = gate
                self._notify()
                await gate.wait()
            else:
                self._notify()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1
            self.parts_answered += 1
            self._notify()


@attrs.define
class Env:
    fake: FakeOpenAI
    meter: MeteredTransport
    client: trio_openai.Client
    tmp: Path

    def write(self, sizes: list[int], name: str = "train.jsonl") -> Path:
        """A file whose part *i* is filled with byte *i* (so a part tells its index)."""
        path = self.tmp / name
        path.write_bytes(b"".join(bytes([i]) * size for i, size in enumerate(sizes)))
        return path

    def requests(self, suffix: str) -> list[FakeRequest]:
        return [r for r in self.fake.requests if r.path.endswith(suffix)]


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    fake = FakeOpenAI()
    meter = MeteredTransport(fake.transport())
    async with httpx2.AsyncClient(transport=meter) as http, fake.client(http_client=http) as client:
        yield Env(fake, meter, client, tmp_path)


def upload_json(status: str = "pending", **extra: Any) -> dict[str, Any]:
    return {
        "id": UPLOAD_ID,
        "object": "upload",
        "bytes": 0,
        "created_at": 1_719_184_911,
        "expires_at": 1_719_188_511,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "status": status,
        **extra,
    }


def file_json() -> dict[str, Any]:
    return {
        "id": FILE_ID,
        "object": "file",
        "bytes": 2500,
        "created_at": 1_719_186_911,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
    }


def script(
    fake: FakeOpenAI,
    parts: int,
    *,
    delays: list[float] | None = None,
    complete: bool = True,
    cancel: bool = False,
    cancel_delay: float = 0.0,
) -> None:
    """Queue the create answer, *parts* part answers (``part_<k>`` for the k-th to arrive)."""
    fake.add("POST", "/uploads", json=upload_json())
    for k in range(parts):
        fake.add(
            "POST",
            "/uploads/{upload_id}/parts",
            json={
                "id": f"part_{k}",
                "object": "upload.part",
                "created_at": 1,
                "upload_id": UPLOAD_ID,
            },
            delay=delays[k] if delays else 0.0,
        )
    if complete:
        done = upload_json("completed", file=file_json())
        fake.add("POST", "/uploads/{upload_id}/complete", json=done)
    if cancel:
        fake.add(
            "POST",
            "/uploads/{upload_id}/cancel",
            json=upload_json("cancelled"),
            delay=cancel_delay,
        )


def part_index(request: FakeRequest) -> int:
    return request.multipart().files["data"].content[0]


def expected_part_ids(env: Env) -> list[str]:
    """The ids in file order: the k-th part request to arrive was answered ``part_<k>``."""
    arrival = [part_index(r) for r in env.requests("/parts")]
    return [f"part_{arrival.index(i)}" for i in range(len(arrival))]


async def test_a_file_is_sent_in_parts_and_completed_in_file_order(env: Env) -> None:
    """The parts rebuild the file; complete lists their ids in file order, not answer order."""
    path = env.write([PART, PART, 500])
    script(env.fake, 3)
    env.meter.hold = True
    async with trio.open_nursery() as nursery:
        results: list[CompletedUpload] = []

        async def run() -> None:
            results.append(await upload_file(env.client, path, purpose="fine-tune", part_size=PART))

        nursery.start_soon(run)
        await env.meter.until(lambda: len(env.meter.waiting) == 3)
        # The last part is answered first, the first last: part_0 goes to the last part.
        for answered, index in enumerate([2, 1, 0], start=1):
            env.meter.index_of[index].set()
            await env.meter.until(lambda n=answered: env.meter.parts_answered == n)  # type: ignore[misc]
    (result,) = results

    create = env.requests("/uploads")[0].json()
    assert create == {
        "bytes": 2500,
        "filename": "train.jsonl",
        "mime_type": create["mime_type"],
        "purpose": "fine-tune",
    }
    parts = env.requests("/parts")
    assert all(r.raw_path == f"/v1/uploads/{UPLOAD_ID}/parts" for r in parts)
    forms = sorted((r.multipart().files["data"] for r in parts), key=lambda p: p.content[0])
    assert [len(p.content) for p in forms] == [PART, PART, 500]
    assert b"".join(p.content for p in forms) == path.read_bytes()
    assert {(p.filename, p.content_type) for p in forms} == {
        ("train.jsonl", "application/octet-stream")
    }
    complete = env.requests("/complete")[0].json()
    assert complete == {"part_ids": ["part_2", "part_1", "part_0"]}
    assert env.requests("/cancel") == []
    assert result.id == UPLOAD_ID
    assert result.file_id == FILE_ID
    assert result.bytes == 2500
    assert result.part_ids == tuple(complete["part_ids"])
    assert result.raw["status"] == "completed"
    env.fake.assert_all_used()


@pytest.mark.parametrize("limit", [1, 3])
async def test_never_more_than_max_concurrency_parts_in_flight_or_in_memory(
    env: Env, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Exactly max_concurrency parts are in flight, and in memory, whenever enough remain."""
    path = env.write([PART] * 10)
    content = path.read_bytes()
    script(env.fake, 10)
    held: list[int] = []

    async def read_part(_: object, offset: int, length: int) -> bytes:
        # Read without a worker thread, so that wait_all_tasks_blocked() means "stuck".
        # Parts read so far minus parts answered: how many are held in memory now.
        held.append(len(held) + 1 - env.meter.parts_answered)
        return content[offset : offset + length]

    monkeypatch.setattr(_uploads, "_read_part", read_part)
    env.meter.hold = True
    results: list[CompletedUpload] = []

    async def run() -> None:
        results.append(
            await upload_file(
                env.client, path, purpose="batch", part_size=PART, max_concurrency=limit
            )
        )

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await env.meter.until(lambda: env.meter.in_flight > 0)
        for answered in range(10):
            # Once nothing can move any more, every free slot is used, and no more.
            await trio.testing.wait_all_tasks_blocked()
            assert env.meter.in_flight == min(limit, 10 - answered)
            assert len(env.meter.waiting) == answered + env.meter.in_flight
            pending = [gate for gate in env.meter.waiting if not gate.is_set()]
            pending[-1].set()  # the newest: answers come out of file order
    (result,) = results
    assert len(result.part_ids) == 10
    assert env.meter.max_in_flight == limit
    assert max(held) == limit
    assert list(result.part_ids) == expected_part_ids(env)


async def test_progress_is_reported_after_each_part(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """One at a time, each answered part reports the bytes and parts done so far."""
    path = env.write([PART, PART, 500])
    script(env.fake, 3)
    seen: list[UploadProgress] = []
    await upload_file(
        env.client,
        path,
        purpose="fine-tune",
        part_size=PART,
        max_concurrency=1,
        on_progress=seen.append,
    )
    assert seen == [
        UploadProgress(bytes_sent=1000, total_bytes=2500, parts_done=1, parts_total=3),
        UploadProgress(bytes_sent=2000, total_bytes=2500, parts_done=2, parts_total=3),
        UploadProgress(bytes_sent=2500, total_bytes=2500, parts_done=3, parts_total=3),
    ]


async def test_concurrent_progress_is_cumulative(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """With parts answered out of order, progress still counts up once per part to the total."""
    path = env.write([PART] * 5 + [1])
    script(env.fake, 6, delays=[2.0, 1.0, 3.0, 0.5, 1.0, 2.0])
    seen: list[UploadProgress] = []
    await upload_file(env.client, path, purpose="batch", part_size=PART, on_progress=seen.append)
    assert [p.parts_done for p in seen] == [1, 2, 3, 4, 5, 6]
    assert [p.bytes_sent for p in seen] == sorted({p.bytes_sent for p in seen})
    assert seen[-1].bytes_sent == seen[-1].total_bytes == 5001
    assert {p.parts_total for p in seen} == {6}


async def test_a_failing_part_cancels_the_upload_and_raises_its_error(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """A part answered 400 cancels the upload, is never completed, and raises the part's error."""
    path = env.write([PART] * 4)
    env.fake.add("POST", "/uploads", json=upload_json())
    env.fake.add("POST", "/uploads/{upload_id}/parts", json={"id": "part_0"}, delay=5.0)
    error = {"error": {"message": "Part too large", "type": "invalid_request_error"}}
    env.fake.add("POST", "/uploads/{upload_id}/parts", status=400, json=error, delay=1.0)
    env.fake.add("POST", "/uploads/{upload_id}/parts", json={"id": "part_x"}, delay=5.0, times=None)
    env.fake.add("POST", "/uploads/{upload_id}/cancel", json=upload_json("cancelled"))

    with pytest.raises(trio_openai.BadRequestError, match="Part too large"):
        await upload_file(env.client, path, purpose="batch", part_size=PART, max_concurrency=2)

    cancel = env.requests("/cancel")
    assert [r.raw_path for r in cancel] == [f"/v1/uploads/{UPLOAD_ID}/cancel"]
    assert env.requests("/complete") == []
    # The failure stopped the rest: the part in flight was abandoned, no more were read.
    assert len(env.requests("/parts")) <= 3


async def test_cancelling_the_call_cancels_the_upload(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """Cancelling the call still sends the upload's cancel request, shielded, before it ends."""
    path = env.write([PART] * 3)
    # The cancel request takes a while: only a shielded request lives through it.
    script(env.fake, 3, complete=False, cancel=True, cancel_delay=5.0)
    env.meter.hold = True
    scope = trio.CancelScope()

    async def run() -> None:
        with scope:
            await upload_file(env.client, path, purpose="batch", part_size=PART)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await env.meter.until(lambda: len(env.meter.waiting) == 3)
        scope.cancel()
    assert scope.cancelled_caught
    assert env.meter.answered == ["/v1/uploads", f"/v1/uploads/{UPLOAD_ID}/cancel"]
    assert env.requests("/parts") == []


async def test_a_deadline_during_the_parts_cancels_the_upload(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """A deadline hit mid-parts cancels the upload, waiting only for the shielded cancel request."""
    path = env.write([PART] * 3)
    script(env.fake, 3, delays=[3600.0] * 3, complete=False, cancel=True, cancel_delay=5.0)
    scope = trio.CancelScope()

    async def run() -> None:
        with scope:
            await upload_file(env.client, path, purpose="batch", part_size=PART)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        # The deadline is set once a part is on its way, as files are read in threads
        # (during which the autojump clock may move).
        await env.meter.until(lambda: env.meter.in_flight > 0)
        start = trio.current_time()
        scope.deadline = start + 60.0
    assert scope.cancelled_caught
    # The deadline, then the 5 s the (shielded) cancel request took.
    assert trio.current_time() == pytest.approx(start + 65.0)
    assert env.meter.answered == ["/v1/uploads", f"/v1/uploads/{UPLOAD_ID}/cancel"]


async def test_a_failing_complete_cancels_the_upload(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """A complete answered 400 (after sending the md5) cancels the upload and raises its error."""
    path = env.write([PART])
    script(env.fake, 1, complete=False, cancel=True)
    error = {"error": {"message": "md5 mismatch", "type": "invalid_request_error"}}
    env.fake.add("POST", "/uploads/{upload_id}/complete", status=400, json=error)
    with pytest.raises(trio_openai.BadRequestError, match="md5 mismatch"):
        await upload_file(env.client, path, purpose="batch", part_size=PART, md5="0" * 32)
    assert env.requests("/complete")[0].json() == {"part_ids": ["part_0"], "md5": "0" * 32}
    assert len(env.requests("/cancel")) == 1


async def test_a_failing_progress_callback_cancels_the_upload(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """An exception in on_progress cancels the upload and comes out of the call."""
    path = env.write([PART, PART])
    script(env.fake, 2, complete=False, cancel=True)

    def explode(progress: UploadProgress) -> None:
        raise RuntimeError(f"callback failed at part {progress.parts_done}")

    with pytest.raises(RuntimeError, match="callback failed at part 1"):
        await upload_file(env.client, path, purpose="batch", part_size=PART, on_progress=explode)
    assert len(env.requests("/cancel")) == 1


async def test_a_file_that_shrinks_fails_and_cancels(
    env: Env, monkeypatch: pytest.MonkeyPatch, autojump_clock: trio.testing.MockClock
) -> None:
    """A file shorter than its size said when read fails with OSError and cancels the upload."""
    path = env.write([PART, 10])
    real_size = _uploads._file_size

    async def stale_size(p: Path) -> int:
        return await real_size(p) + 500

    monkeypatch.setattr(_uploads, "_file_size", stale_size)
    script(env.fake, 2, complete=False, cancel=True)
    with pytest.raises(OSError, match="shrank"):
        await upload_file(env.client, path, purpose="batch", part_size=PART)
    assert len(env.requests("/cancel")) == 1


async def test_a_failing_cancel_is_logged_and_the_original_error_kept(
    env: Env, autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A cancel that fails too is logged as a warning; the part's error is the one raised."""
    path = env.write([PART])
    script(env.fake, 0, complete=False)
    env.fake.add("POST", "/uploads/{upload_id}/parts", status=400)
    # No answer is scripted for /cancel: the fake knows no such route and answers 404.
    with caplog.at_level(logging.WARNING, logger="trio_openai"):
        with pytest.raises(trio_openai.BadRequestError):
            await upload_file(env.client, path, purpose="batch", part_size=PART)
    assert len(env.requests("/cancel")) == 1
    assert any(f"Could not cancel upload {UPLOAD_ID}" in r.getMessage() for r in caplog.records)


async def test_an_empty_file_completes_with_no_parts(
    env: Env, autojump_clock: trio.testing.MockClock
) -> None:
    """An empty file is created with 0 bytes and completed with no parts and no progress."""
    path = env.write([])
    script(env.fake, 0)
    seen: list[UploadProgress] = []
    result = await upload_file(env.client, path, purpose="batch", on_progress=seen.append)
    assert env.requests("/uploads")[0].json()["bytes"] == 0
    assert env.requests("/complete")[0].json() == {"part_ids": []}
    assert result.part_ids == ()
    assert seen == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"part_size": 0}, "part_size"),
        ({"part_size": MAX_PART_SIZE + 1}, "64 MiB"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
async def test_bad_sizes_are_refused_before_any_request(
    env: Env, kwargs: dict[str, int], match: str
) -> None:
    """A zero or too-large part_size or a zero max_concurrency is refused before any request."""
    path = env.write([10])
    with pytest.raises(ValueError, match=match):
        await upload_file(env.client, path, purpose="batch", **kwargs)  # type: ignore[arg-type]
    assert env.fake.requests == []


async def test_a_missing_file_or_a_directory_is_refused_before_any_request(env: Env) -> None:
    """A missing path or a directory is refused before any request."""
    with pytest.raises(FileNotFoundError):
        await upload_file(env.client, env.tmp / "nope.jsonl", purpose="batch")
    with pytest.raises(IsADirectoryError, match="directory"):
        await upload_file(env.client, env.tmp, purpose="batch")
    assert env.fake.requests == []


async def test_name_and_type_default_from_the_path_or_are_given(env: Env) -> None:
    """Filename and MIME type come from the path unless given, and the parts carry the name."""
    path = env.write([10], name="notes.txt")
    script(env.fake, 1)
    await upload_file(env.client, trio.Path(path), purpose="assistants")
    first = env.requests("/uploads")[0].json()
    assert (first["filename"], first["mime_type"]) == ("notes.txt", "text/plain")

    script(env.fake, 1)
    await upload_file(
        env.client, str(path), purpose="assistants", filename="a.md", mime_type="text/markdown"
    )
    second = env.requests("/uploads")[1].json()
    assert (second["filename"], second["mime_type"]) == ("a.md", "text/markdown")
    assert env.requests("/parts")[1].multipart().files["data"].filename == "a.md"


async def test_an_unknown_extension_is_sent_as_octet_stream(env: Env) -> None:
    """A file of unknown extension is sent as application/octet-stream."""
    path = env.write([10], name="blob.zzz-unknown")
    script(env.fake, 1)
    await upload_file(env.client, path, purpose="batch")
    assert env.requests("/uploads")[0].json()["mime_type"] == "application/octet-stream"


async def test_an_answer_without_an_id_is_a_validation_error(env: Env) -> None:
    """A create answer without an id is a validation error at `$.id`, and nothing more is sent."""
    path = env.write([10])
    env.fake.add("POST", "/uploads", json={"object": "upload"})
    with pytest.raises(trio_openai.APIResponseValidationError) as info:
        await upload_file(env.client, path, purpose="batch")
    assert info.value.path == "$.id"
    assert [r.path for r in env.fake.requests] == ["/uploads"]


async def test_the_answer_is_also_given_as_the_typed_upload(env: Env) -> None:
    """The result also carries the completed upload as the generated `Upload` type."""
    path = env.write([10])
    script(env.fake, 1)
    result = await upload_file(env.client, path, purpose="batch")
    assert isinstance(result.upload, Upload)
    assert result.upload.status == "completed"
    assert result.upload.file is not None
    assert result.upload.file.id == result.file_id == FILE_ID


async def test_without_the_generated_types_the_typed_upload_is_none(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the generated types cannot be imported, `upload` is None and the rest still works."""
    monkeypatch.setitem(sys.modules, "trio_openai.types.uploads", None)
    path = env.write([10])
    script(env.fake, 1)
    result = await upload_file(env.client, path, purpose="batch")
    assert result.upload is None
    assert result.file_id == FILE_ID


async def test_the_mixin_calls_upload_file_with_its_client(env: Env) -> None:
    """`UploadsHelpers.upload_file` on a resource uploads through that resource's client."""

    class Uploads(UploadsHelpers, Resource):
        __slots__ = ()

    path = env.write([PART, 1])
    script(env.fake, 2)
    result = await Uploads(env.client).upload_file(path, purpose="batch", part_size=PART)
    assert result.file_id == FILE_ID
    assert len(env.requests("/parts")) == 2
