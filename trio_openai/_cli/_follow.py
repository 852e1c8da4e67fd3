"""``batches follow ID`` and ``fine-tuning jobs follow ID``: poll until a terminal status.

Each poll is one ``retrieve`` call (with the client's retries); between polls
the command sleeps ``--interval`` seconds with `trio.sleep`, so under
`trio.testing.MockClock` a follow of hours runs in no time. The status line
goes to stderr: redrawn in place on a terminal (with the time elapsed), one line
per change into a file or a pipe. stdout gets the final object's id and status,
or with ``--json`` one JSON line per change of the object (the last one is the
terminal state). The exit code is 0 once a terminal status is reached, whichever
it is; ``--exit-status`` makes any outcome but success exit 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, final

import attrs
import trio

from ._base import (
    EXIT_API_ERROR,
    EXIT_OK,
    Commands,
    Context,
    Handler,
    Parser,
    add_command,
    positive_float,
)
from ._io import LiveLine

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["BATCH", "FINE_TUNING_JOB", "Followed", "follow", "register"]

_DEFAULT_INTERVAL = 10.0


@final
@attrs.frozen(kw_only=True)
class Followed:
    """A kind of long-running object the command line can follow.

    Attributes:
        noun: What it is called in messages (``batch``).
        terminal: The statuses after which it never changes.
        success: The terminal statuses that mean it worked.
        retrieve: Fetches the object by id.
        describe: One status line for the object.
        summary: What to say once it is terminal (files made, the error).
    """

    noun: str
    terminal: frozenset[str]
    success: frozenset[str]
    retrieve: Callable[[Client, str], Awaitable[Any]]
    describe: Callable[[Any], str]
    summary: Callable[[Any], str]


async def _retrieve_batch(client: Client, batch_id: str) -> Any:
    return await client.batches.retrieve(batch_id)


def _describe_batch(batch: Any) -> str:
    text = f"{batch.id}  {batch.status}"
    counts = batch.request_counts
    if counts is not None and counts.total:
        text += f"  {counts.completed}/{counts.total} requests done, {counts.failed} failed"
    return text


def _summarize_batch(batch: Any) -> str:
    parts = [f"output file {batch.output_file_id}"] if batch.output_file_id else []
    if batch.error_file_id:
        parts.append(f"error file {batch.error_file_id}")
    errors = batch.errors.data if batch.errors is not None and batch.errors.data else []
    parts.extend(error.message for error in errors[:3] if error.message)
    return "; ".join(parts)


async def _retrieve_job(client: Client, job_id: str) -> Any:
    return await client.fine_tuning.jobs.retrieve(job_id)


def _describe_job(job: Any) -> str:
    text = f"{job.id}  {job.status}"
    if job.trained_tokens:
        text += f"  {job.trained_tokens} tokens trained"
    return text


def _summarize_job(job: Any) -> str:
    if job.fine_tuned_model:
        return f"model {job.fine_tuned_model}"
    if job.error is not None and job.error.message:
        return str(job.error.message)
    return ""


BATCH = Followed(
    noun="batch",
    terminal=frozenset({"completed", "failed", "expired", "cancelled"}),
    success=frozenset({"completed"}),
    retrieve=_retrieve_batch,
    describe=_describe_batch,
    summary=_summarize_batch,
)
"""Batches: ``validating``, ``in_progress``, ``finalizing``, ``cancelling`` until the end."""

FINE_TUNING_JOB = Followed(
    noun="fine-tuning job",
    terminal=frozenset({"succeeded", "failed", "cancelled"}),
    success=frozenset({"succeeded"}),
    retrieve=_retrieve_job,
    describe=_describe_job,
    summary=_summarize_job,
)
"""Fine-tuning jobs: ``validating_files``, ``queued``, ``running`` until the end."""


def register(commands: Commands) -> None:
    """Add ``batches follow`` and ``fine-tuning jobs follow`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    batches = add_command(commands, "batches", help="batches")
    sub = batches.add_subparsers(dest="batches_command", required=True, metavar="COMMAND")
    _add_follow(sub, "batch", _follow_batch)

    tuning = add_command(commands, "fine-tuning", help="fine-tuning")
    sub = tuning.add_subparsers(dest="fine_tuning_command", required=True, metavar="COMMAND")
    jobs = add_command(sub, "jobs", help="fine-tuning jobs")
    sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    _add_follow(sub, "fine-tuning job", _follow_job)


def _add_follow(commands: Commands, noun: str, handler: Handler) -> Parser:
    parser = add_command(
        commands,
        "follow",
        help=f"poll a {noun} until it ends, with a live status line",
        handler=handler,
    )
    parser.add_argument("id", help=f"the {noun}'s id")
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=_DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"time between two polls (default: {_DEFAULT_INTERVAL:g})",
    )
    parser.add_argument(
        "--exit-status",
        action="store_true",
        help=f"exit 1 unless the {noun} succeeds",
    )
    return parser


async def _follow_batch(ctx: Context) -> int:
    return await follow(ctx, BATCH)


async def _follow_job(ctx: Context) -> int:
    return await follow(ctx, FINE_TUNING_JOB)


async def follow(ctx: Context, kind: Followed) -> int:
    """Poll the object named by ``ctx.args.id`` until its status is terminal.

    Args:
        ctx: The run: ``args.id``, ``args.interval``, ``args.exit_status``.
        kind: What is followed.

    Raises:
        APIError: A poll failed after the client's retries (404 for a wrong id).
    """
    args, console = ctx.args, ctx.console
    line = LiveLine(console.stderr, console.stderr_is_tty)
    start = trio.current_time()
    last_json: object = None
    async with ctx.open_client() as client:
        try:
            while True:
                current = await kind.retrieve(client, args.id)
                status = str(current.status)
                if console.json:
                    data = current.to_dict()
                    if data != last_json:
                        console.json_out(data, indent=None)
                        last_json = data
                text = kind.describe(current)
                if line.tty:
                    text += f"  [{_elapsed(trio.current_time() - start)}]"
                line.show(text)
                if status in kind.terminal:
                    break
                await trio.sleep(args.interval)
        finally:
            line.finish()
    summary = kind.summary(current)
    if not console.json:
        console.out(f"{current.id} {status}")
    if summary:
        console.err(f"{kind.noun} {status}: {summary}")
    if args.exit_status and status not in kind.success:
        return EXIT_API_ERROR
    return EXIT_OK


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
