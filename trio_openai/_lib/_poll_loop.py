"""The one polling loop and its interval, and the uploads the ``upload_and_poll`` helpers make.

`poll_until_settled` is the loop behind every helper of ``_polling.py``: it
retrieves the object, and while its ``status`` is one of its *pending* statuses,
sleeps and retrieves it again; the first answer in any other status is returned.
Decisions:

- **The interval** (`poll_interval`). ``poll_interval_ms`` when given; else the
  server's hint, the ``openai-poll-after-ms`` header of the last answer; else the
  helper's default (`DEFAULT_POLL_INTERVAL_MS`, or `SLOW_POLL_INTERVAL_MS` for
  files, batches and fine-tuning jobs, which take minutes to hours). A header that
  is not a non-negative number is ignored.
- **No timeout argument.** The caller's cancel scope bounds the wait
  (``trio.move_on_after``, ``trio.fail_after``); cancelling it stops the loop at
  once, between two requests or during one. The object keeps running on the server.
- **Failures are answers.** A run that ``failed``, a batch that ``expired``, a file
  in ``error``: each is returned, typed, for the caller to check; only a failed
  request raises (`APIError`, after the client's retries).
- **Unknown statuses end the wait.** A status the API adds later is returned
  rather than polled forever (the pending statuses are listed in `PENDING`).

`upload` / `upload_all` send files with ``files.create`` (purpose ``assistants``),
at most a given number at once; the first failure cancels the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

import trio

if TYPE_CHECKING:
    import httpx2

    from .._api._caller import Caller
    from .._api._response import APIResponse
    from .._http._multipart import FileInput
    from .._http._spec import RequestSpec

__all__ = [
    "DEFAULT_POLL_INTERVAL_MS",
    "DEFAULT_UPLOAD_CONCURRENCY",
    "PENDING",
    "POLL_AFTER_HEADER",
    "SLOW_POLL_INTERVAL_MS",
    "UPLOAD_PURPOSE",
    "HasStatus",
    "check_interval",
    "poll_interval",
    "poll_until_settled",
    "upload",
    "upload_all",
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

UPLOAD_PURPOSE: Final = "assistants"
DEFAULT_UPLOAD_CONCURRENCY: Final = 5


class HasStatus(Protocol):
    """What the loop reads of a polled object."""

    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=HasStatus)


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


def check_interval(poll_interval_ms: int | None) -> None:
    """Refuse a *poll_interval_ms* that is not a non-negative int (``None``: none given).

    Raises:
        ValueError: A negative, non-int or bool interval.
    """
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
    check_interval(poll_interval_ms)
    answer = first if first is not None else await client._execute_raw(retrieve())
    while True:
        result = answer.parse()
        if result.status not in pending:
            return result
        await trio.sleep(poll_interval(poll_interval_ms, answer.http_response, default_ms))
        answer = await client._execute_raw(retrieve())


async def upload(client: Caller, file: FileInput) -> str:
    """Upload *file* with ``files.create`` (purpose ``assistants``); its id."""
    from ..resources.files import Files

    spec = Files.create._build(Files(client), file=file, purpose=UPLOAD_PURPOSE)
    uploaded = await client._execute(spec)
    return uploaded.id


async def upload_all(client: Caller, files: Sequence[FileInput], max_concurrency: int) -> list[str]:
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
                ids[index] = await upload(client, file)
            except Exception as exc:  # noqa: BLE001 -- re-raised as itself after the nursery
                failures.append(exc)
                nursery.cancel_scope.cancel()

    async with trio.open_nursery() as nursery:
        for index, file in enumerate(files):
            nursery.start_soon(one, nursery, index, file)
    if failures:
        raise failures[0]
    return ids
