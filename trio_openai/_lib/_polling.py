"""Explicit polling helpers: wait for a long-running object to settle, typed.

::

    file = await client.files.wait_for_processing(file_id)                # OpenAIFile
    run = await client.beta.threads.runs.create_and_poll(thread_id, assistant_id=...)
    with trio.move_on_after(600) as scope:                                # your deadline
        job = await client.fine_tuning.jobs.poll(job_id)                  # FineTuningJob
    if scope.cancelled_caught:
        ...                                                               # still running

Each helper is `poll_until_settled` (``_poll_loop.py``: the loop, its interval and
its decisions) over the generated ``retrieve``. Decisions of the helpers:

- **Opt-in, nothing automatic.** No other method polls; these are plain loops
  over the generated ``retrieve`` (same auth, retries and errors as any call).
- **No timeout argument, failures are answers, unknown statuses end the wait**:
  the caller's cancel scope bounds the wait (on the `SyncClient`, Ctrl-C too); a
  ``failed`` run is returned, typed; only a failed request raises.
- ``create_and_poll`` creates, then polls only if the new object is pending (the
  first wait honours the create answer's header); ``upload_and_poll`` uploads with
  ``files.create`` (purpose ``assistants``), then attaches and polls. A
  cancellation after an upload leaves the uploaded file in place.

On the `SyncClient` the same methods block, running on its loop (``_api/_bridge.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._api._bridge import blocking
from .._types import NOT_GIVEN, NotGiven
from ._poll_loop import (
    DEFAULT_POLL_INTERVAL_MS,
    DEFAULT_UPLOAD_CONCURRENCY,
    PENDING,
    POLL_AFTER_HEADER,
    SLOW_POLL_INTERVAL_MS,
    check_interval,
    poll_interval,
    poll_until_settled,
    upload,
    upload_all,
)

if TYPE_CHECKING:
    from .._api._caller import Caller
    from .._http._multipart import FileInput
    from ..types.assistants import RunObject
    from ..types.batches import Batch
    from ..types.files import OpenAIFile
    from ..types.fine_tuning import FineTuningJob
    from ..types.vector_stores import (
        ChunkingStrategyRequestParamModel,
        VectorStoreFileBatchObject,
        VectorStoreFileObject,
    )
    from ..types.vector_stores_params import ChunkingStrategyRequestParam
    from ..types.videos import VideoResource

__all__ = [
    # The loop's names, kept importable from here (see _poll_loop.py).
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
        chunking_strategy: ChunkingStrategyRequestParamModel
        | ChunkingStrategyRequestParam
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
        check_interval(poll_interval_ms)
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
        chunking_strategy: ChunkingStrategyRequestParamModel
        | ChunkingStrategyRequestParam
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
        check_interval(poll_interval_ms)
        file_id = await upload(self._client, file)
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
        chunking_strategy: ChunkingStrategyRequestParamModel
        | ChunkingStrategyRequestParam
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
        check_interval(poll_interval_ms)
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
        max_concurrency: int = DEFAULT_UPLOAD_CONCURRENCY,
        poll_interval_ms: int | None = None,
        chunking_strategy: ChunkingStrategyRequestParamModel
        | ChunkingStrategyRequestParam
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
        check_interval(poll_interval_ms)
        if not files and not file_ids:
            msg = "upload_and_poll needs at least one file (files= or file_ids=)"
            raise ValueError(msg)
        uploaded = await upload_all(self._client, files, max_concurrency)
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

        check_interval(poll_interval_ms)
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

        check_interval(poll_interval_ms)
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
