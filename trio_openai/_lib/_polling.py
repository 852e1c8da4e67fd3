"""Explicit polling helpers (``files.wait_for_processing``, ``*.create_and_poll``, ``*.poll``).

Mixed into the generated resources (``tools/codegen/names.py``, ``RESOURCE_MIXINS``).
Being written (issue 14, item 7): the classes exist so that the generated resources
can name them.
"""

from __future__ import annotations

__all__ = [
    "BatchesPolling",
    "FilesPolling",
    "FineTuningJobsPolling",
    "RunsPolling",
    "VectorStoreFileBatchesPolling",
    "VectorStoreFilesPolling",
    "VideosPolling",
]


class FilesPolling:
    """``client.files.wait_for_processing``."""

    __slots__ = ()


class VectorStoreFilesPolling:
    """``client.vector_stores.files.create_and_poll``, ``poll``, ``upload_and_poll``."""

    __slots__ = ()


class VectorStoreFileBatchesPolling:
    """``client.vector_stores.file_batches.create_and_poll``, ``poll``, ``upload_and_poll``."""

    __slots__ = ()


class RunsPolling:
    """``client.beta.threads.runs.create_and_poll`` and ``poll``."""

    __slots__ = ()


class VideosPolling:
    """``client.videos.create_and_poll`` and ``poll``."""

    __slots__ = ()


class BatchesPolling:
    """``client.batches.poll``."""

    __slots__ = ()


class FineTuningJobsPolling:
    """``client.fine_tuning.jobs.poll``."""

    __slots__ = ()
