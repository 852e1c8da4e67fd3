"""``files upload``: a file of any size through the Uploads API, with a progress bar on stderr.

The file goes up in parts (``--part-size``, 8 MiB by default, sent four at a
time) with `trio_openai.UploadsHelpers.upload_file`, whose progress callback
moves the bar after each part: the bar shows bytes the server has taken, not
bytes read. stdout gets the new file's id (or, with ``--json``, the completed
Upload object), so ``FILE=$(trio-openai files upload data.jsonl --purpose batch)``
works; the bar goes to stderr and can be turned off with ``--no-progress``.
"""

from __future__ import annotations

import argparse
import re
import stat

import trio

from ._base import EXIT_OK, Commands, Context, UsageError, add_command
from ._io import LiveLine, ProgressBar, format_bytes

__all__ = ["parse_size", "register"]

_DEFAULT_PART_SIZE = 8 * 1024 * 1024
_SIZE = re.compile(r"(?i)\s*(\d+)\s*(k|kb|kib|m|mb|mib)?\s*")
_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def register(commands: Commands) -> None:
    """Add ``files upload`` to the command line.

    Args:
        commands: The top-level subparsers.
    """
    group = add_command(commands, "files", help="upload files")
    sub = group.add_subparsers(dest="files_command", required=True, metavar="COMMAND")
    upload = add_command(
        sub,
        "upload",
        help="upload a file (any size, in parts), with a progress bar",
        handler=_upload,
    )
    upload.add_argument("path", help="the file to upload")
    upload.add_argument(
        "--purpose",
        required=True,
        help="what the file is for (the Uploads API's: assistants, batch, fine-tune, vision)",
    )
    upload.add_argument(
        "--part-size",
        type=parse_size,
        default=_DEFAULT_PART_SIZE,
        metavar="SIZE",
        help="bytes per part, up to 64M (suffix K or M; default 8M)",
    )
    upload.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_size(text: str) -> int:
    """Parse a size in bytes with an optional ``K``/``M`` suffix (an argparse ``type``).

    Args:
        text: ``"1000"``, ``"64K"``, ``"8M"`` (binary units).

    Raises:
        argparse.ArgumentTypeError: Not a size, or not in 1 byte .. 64 MiB.
    """
    match = _SIZE.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size (like 1000, 64K, 8M): {text!r}")
    unit = (match.group(2) or "")[:1].lower()
    size = int(match.group(1)) * _UNITS[unit]
    if not 1 <= size <= 64 * 1024 * 1024:
        raise argparse.ArgumentTypeError(f"a part is 1 byte to 64M, not {text!r}")
    return size


async def _upload(ctx: Context) -> int:
    from .._lib._uploads import UploadProgress

    args, console = ctx.args, ctx.console
    path = trio.Path(args.path)
    try:
        info = await path.stat()
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {args.path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"not a regular file: {args.path}")

    bar: ProgressBar | None = None
    if not args.no_progress:
        bar = ProgressBar(LiveLine(console.stderr, console.stderr_is_tty), path.name, info.st_size)
        bar.update(0)

    def on_progress(progress: UploadProgress) -> None:
        if bar is not None:
            note = f"part {progress.parts_done}/{progress.parts_total}"
            bar.update(progress.bytes_sent, note=note)

    try:
        async with ctx.open_client() as client:
            done = await client.uploads.upload_file(
                path, purpose=args.purpose, part_size=args.part_size, on_progress=on_progress
            )
    finally:
        if bar is not None:
            bar.finish()
    if console.json:
        console.json_out(done.raw)
    else:
        console.out(done.file_id or done.id)
        if bar is not None:
            console.err(
                f"uploaded {done.filename} ({format_bytes(done.bytes)}, {len(done.part_ids)}"
                f" part{'s' if len(done.part_ids) != 1 else ''}) as {done.file_id or done.id}"
            )
    return EXIT_OK
