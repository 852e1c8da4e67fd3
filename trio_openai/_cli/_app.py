"""The command line's core: `run` parses, opens a client, runs one command and maps errors.

`run` is a coroutine so that tests call it inside their own trio run, against
the ``fake_openai`` / ``fake_openai_server`` fixtures, with streams of their own;
`main` (the ``trio-openai`` entry point) wraps it in `trio.run` and the process's
streams. Exit codes:

==== =====================================================================
0    success
1    the API or the network failed (status >= 400, connection, timeout,
     an error inside a stream, a job that ended badly with ``--exit-status``)
2    usage: bad arguments, no API key, a malformed key or URL, a missing file
130  interrupted (Ctrl-C)
==== =====================================================================

Errors are one line on stderr, ``trio-openai: error: ...``, with no traceback
(``--debug`` prints one for an unexpected error, then exits 1). Nothing printed
ever contains an API key: the client's own messages never do, and everything
written to stdout and stderr, tracebacks included, goes through the run's
`Scrubber`, which knows every key the run resolved, whatever its source (see
``_scrub``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import trio

from .._secrets import Secret
from . import _chat, _files, _follow, _local, _models, _realtime
from ._base import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ClientFactory,
    Context,
    HelpShown,
    Parser,
    UsageError,
    add_global_options,
)
from ._io import PROG, Console, StdinInput, TextInput
from ._scrub import LastResort, Scrubber, resolved_keys, warnings_to

if sys.version_info < (3, 11):  # pragma: no cover - the backport trio depends on
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from .._errors import APIError

__all__ = ["build_parser", "main", "run"]


def build_parser() -> Parser:
    """Return the parser of the whole command line."""
    parser = Parser(
        prog=PROG,
        description="A Trio-native client for the OpenAI API, on the command line.",
        epilog="The key comes from $OPENAI_API_KEY (or a .env file). Docs: docs/cli.md.",
    )
    add_global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (_chat, _models, _files, _follow, _realtime, _local):
        module.register(commands)
    return parser


async def run(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextInput | None = None,
    client_factory: ClientFactory | None = None,
) -> int:
    """Run the command line *argv* in the current trio run; return the exit code.

    Args:
        argv: The arguments, without the program name.
        stdout: Where results go (default ``sys.stdout``).
        stderr: Where progress, warnings and errors go (default ``sys.stderr``).
        stdin: Where input comes from (default the process's stdin).
        client_factory: Opens the client from keyword options (default
            `trio_openai.open_client`; a test passes ``fake_openai.client``).

    Raises:
        KeyboardInterrupt: Ctrl-C (`main` turns it into exit code 130).
        BrokenPipeError: stdout's reader went away (``| head``); `main` exits quietly.
        trio.Cancelled: The caller cancelled the run.
    """
    # The keys of the environment and the .env files are known before parsing, so
    # that even a usage error is scrubbed; --api-key's is added once parsed.
    scrubber = Scrubber(resolved_keys(env=os.environ, cwd=Path.cwd()))
    console = Console.around(
        stdout=stdout if stdout is not None else sys.stdout,
        stderr=stderr if stderr is not None else sys.stderr,
        stdin=stdin if stdin is not None else StdinInput(),
        scrubber=scrubber,
    )
    try:
        with warnings_to(console.stderr):
            code = await _run(argv, console, client_factory)
    except BaseException:
        # What is held back is at most the start of a key; a broken stream loses it.
        with contextlib.suppress(OSError, ValueError):
            console.release()
        raise
    console.release()
    return code


async def _run(argv: Sequence[str], console: Console, client_factory: ClientFactory | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except HelpShown as shown:
        console.out(shown.text, end="")
        return EXIT_OK
    except UsageError as error:
        console.err(error.usage, end="")
        console.err(f"{PROG}: error: {error.message}")
        return EXIT_USAGE
    console.json = args.json
    if args.api_key:
        # A Secret from here on: the namespace travels in the context, whose repr shows it.
        args.api_key = Secret(args.api_key)
        console.scrubber.add(args.api_key)
        console.err(
            f"{PROG}: warning: --api-key leaves the key in your shell history and the process "
            "list; set OPENAI_API_KEY instead"
        )
    if client_factory is None:
        from .._client import open_client

        client_factory = open_client
    ctx = Context(args=args, console=console, client_factory=client_factory)
    return await _command(ctx)


async def _command(ctx: Context) -> int:
    """Run the parsed command; report an error as one line (``--debug``: a bug's traceback)."""
    args, console = ctx.args, ctx.console
    try:
        return int(await args.handler(ctx))
    except (KeyboardInterrupt, trio.Cancelled, BrokenPipeError):
        raise  # main() handles the first and last; a cancellation is the caller's
    except BaseExceptionGroup as group:
        leaf = _leaf(group)
        if leaf is None:
            raise
        if args.debug and _describe(leaf) is None:
            return _traceback(console, group)
        return _report(console, leaf)
    except Exception as error:  # noqa: BLE001 -- the command reports every error itself
        if args.debug and _describe(error) is None:
            return _traceback(console, error)
        return _report(console, error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line in a trio run of its own; return the exit code.

    Args:
        argv: The arguments, without the program name (default ``sys.argv[1:]``).
    """
    arguments = sys.argv[1:] if argv is None else list(argv)
    # This process is the command's: nobody configured logging, so what Python's
    # last-resort handler would print goes through the run's scrubbed stderr.
    previous = logging.lastResort
    logging.lastResort = LastResort(previous)
    try:
        return trio.run(run, arguments)
    except KeyboardInterrupt:
        _interrupted()
        return EXIT_INTERRUPTED
    except BaseExceptionGroup as group:
        if group.subgroup(lambda e: isinstance(e, KeyboardInterrupt)) is None:
            raise
        _interrupted()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, as other tools do.
        _silence_stdout()
        return EXIT_API_ERROR
    finally:
        logging.lastResort = previous


def _interrupted() -> None:
    try:
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        sys.stderr.flush()
    except OSError:  # stderr is gone too
        pass


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _leaf(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception worth reporting in *group*: the first that is not a cancellation."""
    exc: BaseException
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found = _leaf(exc)
            if found is not None:
                return found
        elif isinstance(exc, KeyboardInterrupt):
            raise exc
        elif not isinstance(exc, trio.Cancelled):
            return exc
    return None


def _traceback(console: Console, error: BaseException) -> int:
    """Print *error*'s traceback (``--debug``) through the scrubbed stderr, then exit 1.

    Printed here rather than left to the interpreter, which would write the
    messages in it (a server's text among them) to stderr unscrubbed.
    """
    console.err("".join(traceback.format_exception(error)), end="")
    console.error(f"unexpected error (a bug worth reporting): {type(error).__name__}")
    return EXIT_API_ERROR


def _report(console: Console, error: BaseException) -> int:
    described = _describe(error)
    if described is None:
        code, text = (
            EXIT_API_ERROR,
            (
                f"unexpected error (a bug? --debug shows the traceback): "
                f"{type(error).__name__}: {error}"
            ),
        )
    else:
        code, text = described
    if isinstance(error, UsageError) and error.usage:
        console.err(error.usage, end="")
    console.error(text)
    return code


def _describe(error: BaseException) -> tuple[int, str] | None:
    """The exit code and message for an expected error; ``None`` for a bug."""
    from .._errors import APIError, ConfigurationError

    if isinstance(error, UsageError):
        return EXIT_USAGE, error.message
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE, str(error)
    if isinstance(error, APIError):
        return EXIT_API_ERROR, _api_message(error)
    if isinstance(error, OSError):
        return EXIT_API_ERROR, f"{error.strerror or error}" + (
            f": {error.filename}" if error.filename else ""
        )
    return None


def _api_message(error: APIError) -> str:
    # The client's messages already name the status, the route, the server's
    # message, the request id and a hint; the error code is the one thing to add.
    text = str(error)
    if error.code and error.code not in text:
        text += f" (code: {error.code})"
    return text
