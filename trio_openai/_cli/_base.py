"""What every command shares: the parser class, the global options, the context, usage errors.

A command group is a module with a ``register(commands)`` function that adds its
parsers (made with `add_command`, so that the global options work after the
command too: ``trio-openai models list --json``) and sets each leaf's ``handler``:
``async def handler(ctx: Context) -> int``, returning the exit code.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, final

import attrs

from .._secrets import Secret
from ._io import Console

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ClientFactory",
    "Commands",
    "Context",
    "Handler",
    "HelpShown",
    "Parser",
    "UsageError",
    "add_command",
    "add_global_options",
    "default_model",
    "positive_float",
]

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

ClientFactory: TypeAlias = Callable[..., AbstractAsyncContextManager["Client"]]
"""Opens a client from keyword options (``base_url=``, ``api_key=``, ``timeout=``, ...):
`trio_openai.open_client`, or a test's ``FakeOpenAI.client``."""

Handler: TypeAlias = Callable[["Context"], Awaitable[int]]
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


class UsageError(Exception):
    """The command line, or an input it names, is not usable (exit code 2).

    Args:
        message: What is wrong, for a person.
        usage: The usage line of the command, shown before the message.
    """

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class HelpShown(Exception):  # noqa: N818 -- an outcome, not a failure
    """``--help`` was given: the text to print, then exit 0.

    Args:
        text: The help text.
    """

    def __init__(self, text: str) -> None:
        super().__init__("help shown")
        self.text = text


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` that raises instead of printing and exiting.

    `run` is called inside a test's trio run with streams of its own: argparse's
    habit of writing to ``sys.stdout`` and calling ``sys.exit`` would bypass both.
    """

    def error(self, message: str) -> NoReturn:
        """Raise a `UsageError` with *message* and this parser's usage line.

        Args:
            message: argparse's description of the mistake.

        Raises:
            UsageError: Always.
        """
        raise UsageError(message, usage=self.format_usage())

    def print_help(self, file: Any = None) -> NoReturn:
        """Raise `HelpShown` with the help text (``--help``).

        Args:
            file: Ignored: `run` prints the text on its own stdout.

        Raises:
            HelpShown: Always.
        """
        raise HelpShown(self.format_help())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        """Raise instead of exiting the process.

        Args:
            status: The exit status argparse asked for.
            message: Its message, if any.

        Raises:
            UsageError: Always (argparse only exits here after an error).
        """
        raise UsageError(message or f"exit {status}", usage="")


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Add the options every command takes.

    On the main parser they have their defaults; on a command's parser
    (*suppress*) an option that is not given leaves the main parser's value alone.

    Args:
        parser: The parser to add them to.
        suppress: Leave unset options out of the namespace (commands' parsers).
    """

    def default(*, value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--base-url",
        default=default(value=None),
        metavar="URL",
        help="API root (default: $OPENAI_BASE_URL, else https://api.openai.com/v1)",
    )
    group.add_argument(
        "--api-key",
        default=default(value=None),
        metavar="KEY",
        help="API key; discouraged (shell history, process list): set $OPENAI_API_KEY instead",
    )
    group.add_argument(
        "--timeout",
        type=positive_float,
        default=default(value=None),
        metavar="SECONDS",
        help="network timeout per request attempt (default: 600, connect 5)",
    )
    group.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=default(value=None),
        metavar="N",
        help="retries after a failed attempt (default: 2)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(value=False),
        help="machine-readable output: one JSON document, or JSON lines for streams",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(value=False),
        help="show the traceback of an unexpected error",
    )


def add_command(
    commands: Commands, name: str, *, help: str, handler: Handler | None = None
) -> Parser:
    """Add a command's parser, with the global options, and its handler.

    Args:
        commands: The group's subparsers.
        name: The command's name.
        help: One line for the group's help.
        handler: The coroutine function that runs the command; ``None`` for a
            group whose subcommands have their own.
    """
    parser = commands.add_parser(name, help=help, description=help)
    add_global_options(parser, suppress=True)
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def positive_float(text: str) -> float:
    """Parse a number of seconds greater than 0 (an argparse ``type``).

    Args:
        text: The option's value.

    Raises:
        argparse.ArgumentTypeError: Not a number, or not above 0.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {text!r}")
    return value


def default_model(fallback: str) -> str:
    """Return ``$OPENAI_MODEL`` if set, else *fallback*.

    Args:
        fallback: The command's own default model.
    """
    return os.environ.get("OPENAI_MODEL") or fallback


@final
@attrs.define(eq=False)
class Context:
    """One run of the command line: its arguments, its streams, and how it opens a client.

    Attributes:
        args: The parsed arguments (global options included).
        console: stdout, stderr and stdin.
        client_factory: Opens the client (`trio_openai.open_client` by default).
    """

    args: argparse.Namespace
    console: Console
    client_factory: ClientFactory

    @asynccontextmanager
    async def open_client(self, **overrides: Any) -> AsyncIterator[Client]:
        """Open a client with the global options (``--base-url``, ``--api-key``, ...).

        Only the options given are passed, so the factory's defaults and the
        environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) apply otherwise. The
        key and webhook secret the client holds are added to the console's
        scrubber, whichever way the factory found them.

        Args:
            **overrides: More keyword options for the factory.
        """
        options: dict[str, Any] = {}
        if self.args.base_url:
            options["base_url"] = self.args.base_url
        if self.args.api_key:
            options["api_key"] = self.args.api_key
        if self.args.timeout is not None:
            options["timeout"] = self.args.timeout
        if self.args.max_retries is not None:
            options["max_retries"] = self.args.max_retries
        options.update(overrides)
        async with self.client_factory(**options) as client:
            key = client.options.api_key
            if isinstance(key, Secret):  # a key provider's tokens are not known here
                self.console.scrubber.add(key)
            del key
            self.console.scrubber.add(client.options.webhook_secret)
            yield client
