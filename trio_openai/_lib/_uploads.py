"""Large files through the Uploads API: read in parts off the event loop, sent concurrently.

::

    done = await client.uploads.upload_file("train.jsonl", purpose="fine-tune")
    job = await client.fine_tuning.jobs.create(training_file=done.file_id, model=...)

``files.create`` sends a file in one request, read whole into memory; the Uploads
API takes files of up to 8 GB in parts of at most 64 MB:

1. ``POST /uploads`` (size, name, MIME type, purpose) opens an upload;
2. ``POST /uploads/{id}/parts`` (multipart field ``data``) adds one part, in any order;
3. ``POST /uploads/{id}/complete`` (the part ids, in file order) makes the file;
4. ``POST /uploads/{id}/cancel`` abandons it.

`upload_file` drives these four calls through the client's pipeline (auth,
retries, errors as for any call), so it does not depend on the generated
``uploads`` resource. Decisions:

- **Bounded memory.** At most *max_concurrency* parts exist at once: a part is
  read (in a worker thread, never blocking the event loop) only once a slot is
  free, and its slot is released when it has been sent. So at most
  *max_concurrency* parts are in flight, and at most
  ``max_concurrency * part_size`` bytes are held.
- **Order.** Parts may finish in any order; ``complete`` lists their ids in file order.
- **Retries** are the client's: a part's bytes stay in memory until it is sent,
  so a retried request sends the same bytes.
- **Failure and cancellation.** If a part, the reading, the progress callback or
  ``complete`` fails, or the caller cancels, the remaining parts are cancelled,
  the upload is cancelled on the server (``POST /uploads/{id}/cancel``, shielded
  from the caller's cancellation, given at most 30 s, best effort: its own failure is
  only logged), and the original error (or ``trio.Cancelled``) propagates, as
  itself rather than in an ``ExceptionGroup``.
- **Size.** The file's size is read once, when the upload is opened; a file that
  shrinks meanwhile fails the upload, bytes appended meanwhile are not sent.
"""

from __future__ import annotations

import errno
import importlib
import logging
import math
import mimetypes
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import trio

from .._api._bridge import blocking
from .._errors import APIResponseValidationError
from .._http._spec import RequestSpec, path_param

if TYPE_CHECKING:
    import httpx2

    from .._api._caller import Caller
    from ..types.uploads import Upload

__all__ = [
    "MAX_PART_SIZE",
    "CompletedUpload",
    "ProgressCallback",
    "UploadProgress",
    "UploadsHelpers",
    "upload_file",
]

log = logging.getLogger("trio_openai")

MAX_PART_SIZE: Final = 64 * 1024 * 1024
"""The largest part the Uploads API accepts (64 MiB), and the default part size."""

_CANCEL_TIMEOUT: Final = 30.0
_PART_CONTENT_TYPE: Final = "application/octet-stream"


@attrs.frozen(kw_only=True)
class UploadProgress:
    """Where an upload stands, reported after each part is sent.

    Attributes:
        bytes_sent: Bytes of the parts sent so far.
        total_bytes: The file's size.
        parts_done: Parts sent so far.
        parts_total: Parts in all.
    """

    bytes_sent: int
    total_bytes: int
    parts_done: int
    parts_total: int


ProgressCallback = Callable[[UploadProgress], None]
"""Called (in the event loop: keep it quick) after each part with the progress so far."""


@attrs.frozen(kw_only=True)
class CompletedUpload:
    """A completed upload: the file it made, and the server's answer.

    Attributes:
        id: The upload's id (``upload_...``).
        file_id: The id of the file made from it (``file-...``), to use like any
            uploaded file; ``None`` if the server's answer holds no file.
        filename: The file name sent.
        bytes: The size sent.
        part_ids: The parts' ids, in file order.
        raw: The answer to ``complete`` (the Upload object) as JSON.
        upload: The same answer as a typed ``trio_openai.types.Upload``
            (``None`` only in a build without the generated uploads types).
    """

    id: str
    file_id: str | None
    filename: str
    bytes: int
    part_ids: tuple[str, ...]
    raw: dict[str, Any] = attrs.field(repr=False)
    upload: Upload | None = attrs.field(default=None, repr=False)


async def upload_file(
    client: Caller,
    file: str | os.PathLike[str],
    *,
    purpose: str,
    mime_type: str | None = None,
    filename: str | None = None,
    part_size: int = MAX_PART_SIZE,
    max_concurrency: int = 4,
    on_progress: ProgressCallback | None = None,
    md5: str | None = None,
) -> CompletedUpload:
    """Upload a file of any size (up to the API's 8 GB) through the Uploads API.

    See the module docstring for how memory, order, retries and failures are handled.

    Args:
        client: The client whose session, defaults and retry policy the calls use.
        file: The file's path (``str``, ``pathlib.Path``, ``trio.Path``...).
        purpose: What the file is for (``"fine-tune"``, ``"batch"``, ``"assistants"``, ...).
        mime_type: Its MIME type; by default guessed from the file name, else
            ``application/octet-stream``.
        filename: The name to give it; by default the path's last component.
        part_size: Bytes per part, at most 64 MiB (`MAX_PART_SIZE`).
        max_concurrency: Parts read and sent at once (bounds memory too).
        on_progress: Called after each part with an `UploadProgress`.
        md5: The file's MD5 checksum (hex), for the server to check on completion.

    Returns:
        The `CompletedUpload`, whose ``file_id`` names the new file.

    Raises:
        ValueError: *part_size* is not in 1..64 MiB, or *max_concurrency* is below 1.
        FileNotFoundError: The file does not exist.
        IsADirectoryError: The path is a directory.
        OSError: Reading failed, or the file shrank during the upload.
        APIError: A call failed after the client's retries (`APIStatusError`,
            `APIConnectionError`, ...); an upload already opened was cancelled.
        APIResponseValidationError: An answer lacks the id it must hold.
        Exception: Whatever *on_progress* raised; the upload was cancelled.
    """
    if not 1 <= part_size <= MAX_PART_SIZE:
        msg = f"part_size must be between 1 and {MAX_PART_SIZE} bytes (64 MiB), not {part_size}"
        raise ValueError(msg)
    if max_concurrency < 1:
        msg = f"max_concurrency must be at least 1, not {max_concurrency}"
        raise ValueError(msg)
    path = Path(os.fsdecode(file))
    size = await _file_size(path)
    name = filename or path.name
    if mime_type is None:
        mime_type = await trio.to_thread.run_sync(_guess_type, name)

    created, response = await _post(
        client,
        "/uploads",
        body={"bytes": size, "filename": name, "mime_type": mime_type, "purpose": purpose},
    )
    upload_id = _string_field(created, "id", response)
    base = f"/uploads/{path_param('upload_id', upload_id)}"
    try:
        part_ids = await _send_parts(
            client,
            base,
            path,
            size=size,
            filename=name,
            part_size=part_size,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
        )
        body: dict[str, object] = {"part_ids": part_ids}
        if md5 is not None:
            body["md5"] = md5
        completed, response = await _post(client, f"{base}/complete", body=body)
    except BaseException:
        await _cancel_upload(client, base, upload_id)
        raise
    file_object = completed.get("file")
    file_id = file_object.get("id") if isinstance(file_object, dict) else None
    return CompletedUpload(
        id=upload_id,
        file_id=file_id if isinstance(file_id, str) else None,
        filename=name,
        bytes=size,
        part_ids=tuple(part_ids),
        raw=completed,
        upload=_typed_upload(completed, response),
    )


class UploadsHelpers:
    """Hand-written methods of ``client.uploads`` (mixed into the generated resource)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _client: Caller

    @blocking
    async def upload_file(
        self,
        file: str | os.PathLike[str],
        *,
        purpose: str,
        mime_type: str | None = None,
        filename: str | None = None,
        part_size: int = MAX_PART_SIZE,
        max_concurrency: int = 4,
        on_progress: ProgressCallback | None = None,
        md5: str | None = None,
    ) -> CompletedUpload:
        """Upload a file of any size in parts, concurrently (see `upload_file`).

        Args:
            file: The file's path.
            purpose: What the file is for (``"fine-tune"``, ``"batch"``, ...).
            mime_type: Its MIME type; by default guessed from the file name.
            filename: The name to give it; by default the path's last component.
            part_size: Bytes per part, at most 64 MiB.
            max_concurrency: Parts read and sent at once (bounds memory too).
            on_progress: Called after each part with an `UploadProgress`.
            md5: The file's MD5 checksum (hex), checked by the server.

        Raises:
            ValueError: *part_size* or *max_concurrency* out of range.
            OSError: The file cannot be read, or shrank during the upload.
            APIError: A call failed after the client's retries; the upload was cancelled.
            APIResponseValidationError: An answer lacks the id it must hold.
        """
        return await upload_file(
            self._client,
            file,
            purpose=purpose,
            mime_type=mime_type,
            filename=filename,
            part_size=part_size,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
            md5=md5,
        )


# -- the steps --------------------------------------------------------------------------------


async def _file_size(path: Path) -> int:
    info = await trio.to_thread.run_sync(path.stat)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(
            errno.EISDIR, "The path given to upload_file is a directory, not a file", str(path)
        )
    return info.st_size


def _guess_type(name: str) -> str:
    # Run in a thread: the first guess reads the system's mime.types files.
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or _PART_CONTENT_TYPE


async def _post(
    client: Caller,
    path: str,
    *,
    body: dict[str, object] | None = None,
    files: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], httpx2.Response]:
    spec: RequestSpec[Any] = RequestSpec(
        method="POST", path=path, body=body, files=files, result=object
    )
    answer = await client._execute_raw(spec)
    data = answer.parse()
    if not isinstance(data, dict):
        raise APIResponseValidationError(
            f"The answer to POST {path} is not a JSON object",
            response=answer.http_response,
            body=data,
        )
    return data, answer.http_response


def _string_field(data: dict[str, Any], key: str, response: httpx2.Response) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise APIResponseValidationError(
            f"The answer to POST {response.request.url.path} has no `{key}` string",
            response=response,
            body=data,
            path=f"$.{key}",
        )
    return value


async def _read_part(read: Callable[[int], Awaitable[bytes]], offset: int, length: int) -> bytes:
    """Read the part of *length* bytes at *offset* (the reads are sequential)."""
    data = await read(length)
    if len(data) != length:
        msg = (
            f"The file shrank while being uploaded: expected {length} bytes at offset "
            f"{offset}, read {len(data)}"
        )
        raise OSError(msg)
    return data


async def _send_parts(
    client: Caller,
    base: str,
    path: Path,
    *,
    size: int,
    filename: str,
    part_size: int,
    max_concurrency: int,
    on_progress: ProgressCallback | None,
) -> list[str]:
    """Read and send every part, at most *max_concurrency* at once; their ids in file order."""
    parts_total = math.ceil(size / part_size)
    part_ids: list[str] = [""] * parts_total
    # A slot is taken before a part is read and given back once it is sent.
    slots = trio.Semaphore(max_concurrency)
    parts_done = bytes_sent = 0
    # The first failure, re-raised as itself once the nursery has stopped the other parts.
    failures: list[Exception] = []

    async def send(nursery: trio.Nursery, index: int, data: bytes) -> None:
        nonlocal parts_done, bytes_sent
        try:
            answer, response = await _post(
                client, f"{base}/parts", files={"data": (filename, data, _PART_CONTENT_TYPE)}
            )
            part_ids[index] = _string_field(answer, "id", response)
            parts_done += 1
            bytes_sent += len(data)
            if on_progress is not None:
                on_progress(
                    UploadProgress(
                        bytes_sent=bytes_sent,
                        total_bytes=size,
                        parts_done=parts_done,
                        parts_total=parts_total,
                    )
                )
        except Exception as exc:  # noqa: BLE001 -- kept and re-raised after the nursery
            failures.append(exc)
            nursery.cancel_scope.cancel()
        finally:
            slots.release()

    async def read_all(nursery: trio.Nursery) -> None:
        # trio.open_file reads in a worker thread: the event loop goes on meanwhile.
        async with await trio.open_file(path, "rb") as handle:
            for index in range(parts_total):
                await slots.acquire()
                offset = index * part_size
                try:
                    data = await _read_part(handle.read, offset, min(part_size, size - offset))
                except BaseException:
                    slots.release()
                    raise
                nursery.start_soon(send, nursery, index, data)

    async with trio.open_nursery() as nursery:
        try:
            await read_all(nursery)
        except Exception as exc:  # noqa: BLE001 -- kept and re-raised after the nursery
            failures.append(exc)
            nursery.cancel_scope.cancel()
    if failures:
        raise failures[0]
    return part_ids


async def _cancel_upload(client: Caller, base: str, upload_id: str) -> None:
    """Cancel the upload on the server: shielded, bounded in time, failures only logged."""
    with trio.move_on_after(_CANCEL_TIMEOUT, shield=True) as scope:
        try:
            await _post(client, f"{base}/cancel")
        except Exception as exc:  # noqa: BLE001 -- best effort: the original error matters
            log.warning("Could not cancel upload %s after a failure: %s", upload_id, exc)
            return
    if scope.cancelled_caught:
        log.warning("Cancelling upload %s took over %s s; gave up", upload_id, _CANCEL_TIMEOUT)


def _typed_upload(data: dict[str, Any], response: httpx2.Response) -> Upload | None:
    """*data* as the generated ``Upload`` model, or ``None`` when it is not generated."""
    module_name = "trio_openai.types.uploads"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    upload_type = getattr(module, "Upload", None)
    if upload_type is None:
        return None
    from .._convert._decode import structure_as

    upload: Upload = structure_as(data, upload_type, response)
    return upload
