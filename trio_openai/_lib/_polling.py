"""Explicit polling helpers: wait for a long-running object to settle, typed.

::

    file = await client.files.wait_for_processing(file_id)                # OpenAIFile
    run = await client.beta.threads.runs.create_and_poll(thread_id, assistant_id=...)
    with trio.move_on_after(600) as scope:                                # your deadline
        job = await client.fine_tuning.jobs.poll(job_id)                  # FineTuningJob
    if scope.cancelled_caught:
        ...                                                               # still running

Each helper retrieves the object, and while its ``status`` is one of its *pending*
statuses, sleeps and retrieves it again; the first answer in any other status is
returned. Decisions:

- **Opt-in, nothing automatic.** No other method polls; these are plain loops
  over the generated ``retrieve`` (same auth, retries and errors as any call).
- **The interval.** ``poll_interval_ms`` when given; else the server's hint, the
  ``openai-poll-after-ms`` header of the last answer; else the helper's default
  (`DEFAULT_POLL_INTERVAL_MS`, or `SLOW_POLL_INTERVAL_MS` for files, batches and
  fine-tuning jobs, which take minutes to hours). A header that is not a
  non-negative number is ignored.
- **No timeout argument.** The caller's cancel scope bounds the wait
  (``trio.move_on_after``, ``trio.fail_after``); cancelling it stops the loop at
  once, between two requests or during one. The object keeps running on the server.
  On the `SyncClient`, Ctrl-C cancels the wait the same way.
- **Failures are answers.** A run that ``failed``, a batch that ``expired``, a file
  in ``error``: each is returned, typed, for the caller to check; only a failed
  request raises (`APIError`, after the client's retries).
- **Unknown statuses end the wait.** A status the API adds later is returned
  rather than polled forever (the pending statuses are listed in `PENDING`).
- ``create_and_poll`` creates, then polls only if the new object is pending (the
  first wait honours the create answer's header); ``upload_and_poll`` uploads with
  ``files.create`` (purpose ``assistants``), then attaches and polls. A
  cancellation after an upload leaves the uploaded file in place.

On the `SyncClient` the same methods block, running on its loop (``_api/_bridge.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import trio

from .._api._bridge import blocking
from .._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx2

    from .._api._caller import Caller
    from .._api._response import APIResponse
    from .._http._multipart import FileInput
    from .._http._spec import RequestSpec
    from ..types.assistants import RunObject
    from ..types.batches import Batch
    from ..types.files import OpenAIFile
    from ..types.fine_tuning import FineTuningJob
    from ..types.vector_stores import (
        ChunkingStrategyRequestParam,
        VectorStoreFileBatchObject,
        VectorStoreFileObject,
    )
    from ..types.vector_stores_params import ChunkingStrategyRequestParamDict
    from ..types.videos import VideoResource

__all__ = [
    "DEFAULT_POLL_INTERVAL_MS",
    "PENDING",
    "POLL_AFTER_HEADER",
    "SLOW_POLL_INTERVAL_MS",
    "BatchesPolling",
    "FilesPolling",
    "FineTuningJobsPolling",
    "RunsPolling",
    "VectorStoreFileBatchesPolling",
    "VectorStoreFilesPolling",
    "VideosPolling",
    "poll_interval",
    "poll_until_settled",
]

DEFAULT_POLL_INTERVAL_MS: Final = 1000
"""The wait between two retrieves of a run, a vector store file or batch, a video (1 s)."""

SLOW_POLL_INTERVAL_MS: Final = 5000
"""The wait between two retrieves of a file, a batch, a fine-tuning job (5 s)."""

POLL_AFTER_HEADER: Final = "openai-poll-after-ms"
"""The response header in which the server suggests the next wait, in milliseconds."""

PENDING: Final[Mapping[str, frozenset[str]]] = {
    "file": frozenset({"uploaded"}),
    "vector_store.file": frozenset({"in_progress"}),
    "vector_store.files_batch": frozenset({"in_progress"}),
    # requires_action is not pending: the run waits for the caller's tool outputs.
    "thread.run": frozenset({"queued", "in_progress", "cancelling"}),
    "video": frozenset({"queued", "in_progress"}),
    "batch": frozenset({"validating", "in_progress", "finalizing", "cancelling"}),
    "fine_tuning.job": frozenset({"validating_files", "queued", "running"}),
}
"""The statuses each helper keeps polling through, by the object's ``object`` type."""

_UPLOAD_PURPOSE: Final = "assistants"
_DEFAULT_UPLOAD_CONCURRENCY: Final = 5


class _HasStatus(Protocol):
    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=_HasStatus)


def poll_interval(
    poll_interval_ms: int | None, response: httpx2.Response, default_ms: int
) -> float:
    """The seconds to wait before the next retrieve.

    Args:
        poll_interval_ms: The caller's interval; it wins when given.
        response: The last answer, whose `POLL_AFTER_HEADER` is used otherwise.
        default_ms: The interval when neither says one.
    """
    if poll_interval_ms is not None:
        return poll_interval_ms / 1000
    hint = response.headers.get(POLL_AFTER_HEADER)
    if hint is not None:
        try:
            value = float(hint)
        except ValueError:
            value = -1.0
        if math.isfinite(value) and value >= 0:
            return value / 1000
    return default_ms / 1000


def _check_interval(poll_interval_ms: int | None) -> None:
    if poll_interval_ms is not None and (
        isinstance(poll_interval_ms, bool)
        or not isinstance(poll_interval_ms, int)
        or poll_interval_ms < 0
    ):
        msg = f"poll_interval_ms must be a non-negative int, not {poll_interval_ms!r}"
        raise ValueError(msg)


async def poll_until_settled(
    client: Caller,
    retrieve: Callable[[], RequestSpec[S]],
    pending: frozenset[str],
    *,
    poll_interval_ms: int | None,
    default_ms: int = DEFAULT_POLL_INTERVAL_MS,
    first: APIResponse[S] | None = None,
) -> S:
    """Retrieve until the status is not in *pending*; the one loop behind every helper.

    Args:
        client: The client the retrieves go through.
        retrieve: Builds the ``retrieve`` request (called once per poll).
        pending: The statuses to keep polling through.
        poll_interval_ms: The caller's interval, or ``None`` (header, then default).
        default_ms: The interval when neither the caller nor the server says one.
        first: An answer already in hand (from ``create``): polled from, not re-fetched.

    Raises:
        ValueError: *poll_interval_ms* is negative or not an int.
        APIError: A retrieve failed after the client's retries.
    """
    _check_interval(poll_interval_ms)
    answer = first if first is not None else await client._execute_raw(retrieve())
    while True:
        result = answer.parse()
        if result.status not in pending:
            return result
        await trio.sleep(poll_interval(poll_interval_ms, answer.http_response, default_ms))
        answer = await client._execute_raw(retrieve())


async def _upload(client: Caller, file: FileInput) -> str:
    """Upload *file* with ``files.create`` (purpose ``assistants``); its id."""
    from ..resources.files import Files

    spec = Files.create._build(Files(client), file=file, purpose=_UPLOAD_PURPOSE)
    uploaded = await client._execute(spec)
    return uploaded.id


async def _upload_all(
    client: Caller, files: Sequence[FileInput], max_concurrency: int
) -> list[str]:
    """Upload *files*, at most *max_concurrency* at once; their ids in order.

    The first failure cancels the other uploads and propagates as itself.
    """
    if max_concurrency < 1:
        msg = f"max_concurrency must be at least 1, not {max_concurrency}"
        raise ValueError(msg)
    ids: list[str] = [""] * len(files)
    slots = trio.Semaphore(max_concurrency)
    failures: list[Exception] = []

    async def one(nursery: trio.Nursery, index: int, file: FileInput) -> None:
        async with slots:
            try:
                ids[index] = await _upload(client, file)
            except Exception as exc:  # noqa: BLE001 -- re-raised as itself after the nursery
                failures.append(exc)
                nursery.cancel_scope.cancel()

    async with trio.open_nursery() as nursery:
        for index, file in enumerate(files):
            nursery.start_soon(one, nursery, index, file)
    if failures:
        raise failures[0]
    return ids


async def _attach_and_poll(
    resource: VectorStoreFilesPolling,
    vector_store_id: str,
    file_id: str,
    *,
    poll_interval_ms: int | None,
    create: Mapping[str, Any],
) -> VectorStoreFileObject:
    """Attach a file to a vector store (``create``), then poll it."""
    from ..resources.vector_stores import Files

    created = await resource._client._execute_raw(
        Files.create._build(resource, vector_store_id, file_id=file_id, **create)
    )
    return await poll_until_settled(
        resource._client,
        lambda: Files.retrieve._build(resource, file_id, vector_store_id=vector_store_id),
        PENDING["vector_store.file"],
        poll_interval_ms=poll_interval_ms,
        first=created,
    )


async def _batch_and_poll(
    resource: VectorStoreFileBatchesPolling,
    vector_store_id: str,
    *,
    poll_interval_ms: int | None,
    create: Mapping[str, Any],
) -> VectorStoreFileBatchObject:
    """Create a file batch in a vector store, then poll it."""
    from ..resources.vector_stores import FileBatches

    created = await resource._client._execute_raw(
        FileBatches.create._build(resource, vector_store_id, **create)
    )
    batch_id = created.parse().id
    return await poll_until_settled(
        resource._client,
        lambda: FileBatches.retrieve._build(resource, batch_id, vector_store_id=vector_store_id),
        PENDING["vector_store.files_batch"],
        poll_interval_ms=poll_interval_ms,
        first=created,
    )


# -- the mixins ---------------------------------------------------------------------------


class _Resource:
    """What a mixin knows of the generated resource it is mixed into."""

    __slots__ = ()

    if TYPE_CHECKING:
        _client: Caller


class FilesPolling(_Resource):
    """``client.files.wait_for_processing`` (mixed into the generated resource)."""

    __slots__ = ()

    @blocking
    async def wait_for_processing(
        self, id: str, *, poll_interval_ms: int | None = None
    ) -> OpenAIFile:
        """Wait until the file is no longer ``uploaded`` (``processed`` or ``error``).

        Bounded by the caller's cancel scope (see ``docs/guide/polling.md``).

        Args:
            id: The file's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 5000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.files import Files

        return await poll_until_settled(
            self._client,
            lambda: Files.retrieve._build(self, id),
            PENDING["file"],
            poll_interval_ms=poll_interval_ms,
            default_ms=SLOW_POLL_INTERVAL_MS,
        )


class VectorStoreFilesPolling(_Resource):
    """``client.vector_stores.files.create_and_poll``, ``poll``, ``upload_and_poll``."""

    __slots__ = ()

    @blocking
    async def poll(
        self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFileObject:
        """Wait until the vector store file is no longer ``in_progress``.

        A file that ``failed`` is returned: check ``status`` and ``last_error``.

        Args:
            file_id: The file's id.
            vector_store_id: The vector store's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 1000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.vector_stores import Files

        return await poll_until_settled(
            self._client,
            lambda: Files.retrieve._build(self, file_id, vector_store_id=vector_store_id),
            PENDING["vector_store.file"],
            poll_interval_ms=poll_interval_ms,
        )

    @blocking
    async def create_and_poll(
        self,
        vector_store_id: str,
        *,
        file_id: str,
        poll_interval_ms: int | None = None,
        chunking_strategy: ChunkingStrategyRequestParam
        | ChunkingStrategyRequestParamDict
        | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, str | float | bool] | NotGiven | None = NOT_GIVEN,
    ) -> VectorStoreFileObject:
        """Attach a file to a vector store, then wait until it is processed (see `poll`).

        Args:
            vector_store_id: The vector store's id.
            file_id: The (uploaded) file's id.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            chunking_strategy: As for ``create``.
            attributes: As for ``create``.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A call failed after the client's retries.
        """
        _check_interval(poll_interval_ms)
        return await _attach_and_poll(
            self,
            vector_store_id,
            file_id,
            poll_interval_ms=poll_interval_ms,
            create={"chunking_strategy": chunking_strategy, "attributes": attributes},
        )

    @blocking
    async def upload_and_poll(
        self,
        vector_store_id: str,
        *,
        file: FileInput,
        poll_interval_ms: int | None = None,
        chunking_strategy: ChunkingStrategyRequestParam
        | ChunkingStrategyRequestParamDict
        | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, str | float | bool] | NotGiven | None = NOT_GIVEN,
    ) -> VectorStoreFileObject:
        """Upload a file (``files.create``, purpose ``assistants``), attach it and wait.

        Args:
            vector_store_id: The vector store's id.
            file: The file: a path, bytes, a binary file object or a
                ``(name, content[, type])`` tuple.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            chunking_strategy: As for ``create``.
            attributes: As for ``create``.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A call failed after the client's retries (an uploaded file stays).
        """
        _check_interval(poll_interval_ms)
        file_id = await _upload(self._client, file)
        return await _attach_and_poll(
            self,
            vector_store_id,
            file_id,
            poll_interval_ms=poll_interval_ms,
            create={"chunking_strategy": chunking_strategy, "attributes": attributes},
        )


class VectorStoreFileBatchesPolling(_Resource):
    """``client.vector_stores.file_batches.create_and_poll``, ``poll``, ``upload_and_poll``."""

    __slots__ = ()

    @blocking
    async def poll(
        self, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFileBatchObject:
        """Wait until the file batch is no longer ``in_progress``.

        A batch is ``completed`` even when some of its files failed: check
        ``file_counts.failed``.

        Args:
            batch_id: The batch's id.
            vector_store_id: The vector store's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 1000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.vector_stores import FileBatches

        return await poll_until_settled(
            self._client,
            lambda: FileBatches.retrieve._build(self, batch_id, vector_store_id=vector_store_id),
            PENDING["vector_store.files_batch"],
            poll_interval_ms=poll_interval_ms,
        )

    @blocking
    async def create_and_poll(
        self,
        /,
        vector_store_id: str,
        *,
        file_ids: Sequence[str] | NotGiven = NOT_GIVEN,
        poll_interval_ms: int | None = None,
        chunking_strategy: ChunkingStrategyRequestParam
        | ChunkingStrategyRequestParamDict
        | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, str | float | bool] | NotGiven | None = NOT_GIVEN,
        **create: Any,
    ) -> VectorStoreFileBatchObject:
        """Create a file batch in a vector store, then wait until it is processed.

        Args:
            vector_store_id: The vector store's id.
            file_ids: The (uploaded) files' ids.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            chunking_strategy: As for ``create``.
            attributes: As for ``create``.
            **create: Any other argument of ``create`` (``files=``, ``extra_headers=``...).

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A call failed after the client's retries.
        """
        _check_interval(poll_interval_ms)
        return await _batch_and_poll(
            self,
            vector_store_id,
            poll_interval_ms=poll_interval_ms,
            create={
                "file_ids": file_ids,
                "chunking_strategy": chunking_strategy,
                "attributes": attributes,
                **create,
            },
        )

    @blocking
    async def upload_and_poll(
        self,
        vector_store_id: str,
        *,
        files: Sequence[FileInput],
        file_ids: Sequence[str] = (),
        max_concurrency: int = _DEFAULT_UPLOAD_CONCURRENCY,
        poll_interval_ms: int | None = None,
        chunking_strategy: ChunkingStrategyRequestParam
        | ChunkingStrategyRequestParamDict
        | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, str | float | bool] | NotGiven | None = NOT_GIVEN,
    ) -> VectorStoreFileBatchObject:
        """Upload files concurrently, put them (and *file_ids*) in one batch, and wait.

        The first failed upload cancels the others and propagates; files already
        uploaded stay (no batch is created).

        Args:
            vector_store_id: The vector store's id.
            files: The files to upload (paths, bytes, file objects, tuples).
            file_ids: Ids of files already uploaded, added to the batch first.
            max_concurrency: Uploads at once.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            chunking_strategy: As for ``create``.
            attributes: As for ``create``.

        Raises:
            ValueError: *poll_interval_ms* is negative, *max_concurrency* below 1, or
                neither *files* nor *file_ids* is given.
            APIError: A call failed after the client's retries.
        """
        _check_interval(poll_interval_ms)
        if not files and not file_ids:
            msg = "upload_and_poll needs at least one file (files= or file_ids=)"
            raise ValueError(msg)
        uploaded = await _upload_all(self._client, files, max_concurrency)
        return await _batch_and_poll(
            self,
            vector_store_id,
            poll_interval_ms=poll_interval_ms,
            create={
                "file_ids": [*file_ids, *uploaded],
                "chunking_strategy": chunking_strategy,
                "attributes": attributes,
            },
        )


class RunsPolling(_Resource):
    """``client.beta.threads.runs.create_and_poll`` and ``poll``."""

    __slots__ = ()

    @blocking
    async def poll(
        self, run_id: str, *, thread_id: str, poll_interval_ms: int | None = None
    ) -> RunObject:
        """Wait until the run leaves ``queued``, ``in_progress`` and ``cancelling``.

        It is returned ``completed``, ``requires_action`` (submit the tool outputs,
        then poll again), ``failed``, ``cancelled``, ``expired`` or ``incomplete``.

        Args:
            run_id: The run's id.
            thread_id: The thread's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 1000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.beta import Runs

        return await poll_until_settled(
            self._client,
            lambda: Runs.retrieve._build(self, run_id, thread_id=thread_id),
            PENDING["thread.run"],
            poll_interval_ms=poll_interval_ms,
        )

    @blocking
    async def create_and_poll(
        self,
        /,
        thread_id: str,
        *,
        assistant_id: str,
        poll_interval_ms: int | None = None,
        **create: Any,
    ) -> RunObject:
        """Create a run on a thread, then wait until it settles (see `poll`).

        Args:
            thread_id: The thread's id.
            assistant_id: The assistant to run.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            **create: Any other argument of ``create`` (``instructions=``, ...);
                ``stream`` is not one.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A call failed after the client's retries.
        """
        from ..resources.beta import Runs

        _check_interval(poll_interval_ms)
        created = await self._client._execute_raw(
            Runs.create._build(self, thread_id, assistant_id=assistant_id, **create)
        )
        run_id = created.parse().id
        return await poll_until_settled(
            self._client,
            lambda: Runs.retrieve._build(self, run_id, thread_id=thread_id),
            PENDING["thread.run"],
            poll_interval_ms=poll_interval_ms,
            first=created,
        )


class VideosPolling(_Resource):
    """``client.videos.create_and_poll`` and ``poll``."""

    __slots__ = ()

    @blocking
    async def poll(self, video_id: str, *, poll_interval_ms: int | None = None) -> VideoResource:
        """Wait until the video is no longer ``queued`` or ``in_progress``.

        A video that ``failed`` is returned: check ``status`` and ``error``.

        Args:
            video_id: The video's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 1000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.videos import Videos

        return await poll_until_settled(
            self._client,
            lambda: Videos.retrieve._build(self, video_id),
            PENDING["video"],
            poll_interval_ms=poll_interval_ms,
        )

    @blocking
    async def create_and_poll(
        self, /, *, prompt: str, poll_interval_ms: int | None = None, **create: Any
    ) -> VideoResource:
        """Create a video job, then wait until it is ``completed`` or ``failed``.

        Args:
            prompt: What to generate.
            poll_interval_ms: The wait between two retrieves (see `poll`).
            **create: Any other argument of ``create`` (``model=``, ``seconds=``, ...).

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A call failed after the client's retries.
        """
        from ..resources.videos import Videos

        _check_interval(poll_interval_ms)
        created = await self._client._execute_raw(
            Videos.create._build(self, prompt=prompt, **create)
        )
        video_id = created.parse().id
        return await poll_until_settled(
            self._client,
            lambda: Videos.retrieve._build(self, video_id),
            PENDING["video"],
            poll_interval_ms=poll_interval_ms,
            first=created,
        )


class BatchesPolling(_Resource):
    """``client.batches.poll``."""

    __slots__ = ()

    @blocking
    async def poll(self, batch_id: str, *, poll_interval_ms: int | None = None) -> Batch:
        """Wait until the batch is ``completed``, ``failed``, ``expired`` or ``cancelled``.

        Args:
            batch_id: The batch's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 5000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.batches import Batches

        return await poll_until_settled(
            self._client,
            lambda: Batches.retrieve._build(self, batch_id),
            PENDING["batch"],
            poll_interval_ms=poll_interval_ms,
            default_ms=SLOW_POLL_INTERVAL_MS,
        )


class FineTuningJobsPolling(_Resource):
    """``client.fine_tuning.jobs.poll``."""

    __slots__ = ()

    @blocking
    async def poll(
        self, fine_tuning_job_id: str, *, poll_interval_ms: int | None = None
    ) -> FineTuningJob:
        """Wait until the job is no longer ``validating_files``, ``queued`` or ``running``.

        It is returned ``succeeded``, ``failed`` or ``cancelled`` (or in a status the
        API added later, such as a pause).

        Args:
            fine_tuning_job_id: The job's id.
            poll_interval_ms: The wait between two retrieves; by default the server's
                ``openai-poll-after-ms`` hint, else 5000 ms.

        Raises:
            ValueError: *poll_interval_ms* is negative.
            APIError: A retrieve failed after the client's retries.
        """
        from ..resources.fine_tuning import Jobs

        return await poll_until_settled(
            self._client,
            lambda: Jobs.retrieve._build(self, fine_tuning_job_id),
            PENDING["fine_tuning.job"],
            poll_interval_ms=poll_interval_ms,
            default_ms=SLOW_POLL_INTERVAL_MS,
        )
