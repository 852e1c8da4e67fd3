"""Terminal input and output of the command line: the console, stdin, live lines, a progress bar.

Decisions:

- **Output is synchronous.** Writing a line to a terminal or a pipe is quick, and
  the order of output matters more than the event loop's latency: each write is
  flushed at once, so a streamed reply appears as it arrives.
- **stdin is read in a worker thread that may be abandoned.** A blocked
  ``readline`` cannot be cancelled, so a Ctrl-C while waiting for input must not
  wait for it (``abandon_on_cancel=True``); the thread ends with the process.
- **Every write is scrubbed.** The console's streams are `ScrubbedOutput` around
  the real ones, so nothing reaches them with a key in it, whoever writes (see
  ``_scrub``); `Console.release` writes what they hold back once the run ends.
- **Live lines redraw only on a terminal.** On a terminal a status line or a
  progress bar is redrawn in place (``\\r``); into a file or a pipe each new state
  is one line of its own, so logs stay readable and tests see every state.
"""

from __future__ import annotations

import json
import sys
from typing import Protocol, TextIO, final

import attrs
import trio

from ._scrub import Output, ScrubbedOutput, Scrubber

__all__ = [
    "PROG",
    "Console",
    "LiveLine",
    "ProgressBar",
    "StdinInput",
    "StringInput",
    "TextInput",
    "format_bytes",
]

PROG = "trio-openai"
"""The command's name, at the start of every error line."""

_CLEAR_LINE = "\r\x1b[K"


class TextInput(Protocol):
    """Where the command line reads its input (stdin, or a string in tests)."""

    async def readline(self) -> str:
        """Return the next line, newline included; ``""`` at the end of the input."""
        ...

    async def read(self) -> str:
        """Return everything left to read."""
        ...

    def isatty(self) -> bool:
        """Tell whether a person types the input (a terminal)."""
        ...


@final
@attrs.define(eq=False)
class StdinInput:
    """The process's stdin, read in worker threads that a cancellation abandons.

    Attributes:
        stream: The text stream to read (``sys.stdin`` by default).
    """

    stream: TextIO = attrs.field(factory=lambda: sys.stdin)

    async def readline(self) -> str:
        """Return the next line; ``""`` at the end of the input."""
        return await trio.to_thread.run_sync(self.stream.readline, abandon_on_cancel=True)

    async def read(self) -> str:
        """Return everything left to read."""
        return await trio.to_thread.run_sync(self.stream.read, abandon_on_cancel=True)

    def isatty(self) -> bool:
        """Tell whether stdin is a terminal."""
        try:
            return self.stream.isatty()
        except ValueError:  # closed
            return False


@final
@attrs.define(eq=False)
class StringInput:
    """Input from a string, for tests and for callers of `run` with canned input.

    Attributes:
        text: The whole input.
        tty: What `isatty` answers.
    """

    text: str = ""
    tty: bool = False
    _position: int = 0

    async def readline(self) -> str:
        """Return the next line; ``""`` at the end of the text."""
        await trio.lowlevel.checkpoint()
        end = self.text.find("\n", self._position)
        end = len(self.text) if end < 0 else end + 1
        line = self.text[self._position : end]
        self._position = end
        return line

    async def read(self) -> str:
        """Return the rest of the text."""
        await trio.lowlevel.checkpoint()
        rest = self.text[self._position :]
        self._position = len(self.text)
        return rest

    def isatty(self) -> bool:
        """Return *tty*."""
        return self.tty


def _isatty(stream: Output) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@final
@attrs.define(eq=False)
class Console:
    """The command's streams, scrubbed of the run's keys, with the formatting commands share.

    Make one with `Console.around`, which puts the real streams inside
    `ScrubbedOutput` wrappers.

    Attributes:
        stdout: Results (text, or JSON with ``--json``).
        stderr: Progress, status lines, warnings and errors.
        stdin: Input (messages, realtime lines).
        scrubber: The keys this run knows of; neither stream ever shows one.
        json: Whether ``--json`` was given: results are JSON documents or JSON lines.
    """

    stdout: ScrubbedOutput
    stderr: ScrubbedOutput
    stdin: TextInput
    scrubber: Scrubber
    json: bool = False

    @classmethod
    def around(
        cls, *, stdout: Output, stderr: Output, stdin: TextInput, scrubber: Scrubber
    ) -> Console:
        """Return a console that writes to *stdout* and *stderr* through *scrubber*.

        Args:
            stdout: The real stdout.
            stderr: The real stderr.
            stdin: Where input comes from.
            scrubber: The keys to keep out of both streams (more may be added later).
        """
        return cls(
            stdout=ScrubbedOutput(stdout, scrubber),
            stderr=ScrubbedOutput(stderr, scrubber),
            stdin=stdin,
            scrubber=scrubber,
        )

    def out(self, text: str = "", *, end: str = "\n") -> None:
        """Write *text* to stdout and flush it.

        Args:
            text: What to write.
            end: Written after it (a newline by default).
        """
        self.stdout.write(text + end)
        self.stdout.flush()

    def err(self, text: str = "", *, end: str = "\n") -> None:
        """Write *text* to stderr and flush it.

        Args:
            text: What to write.
            end: Written after it (a newline by default).
        """
        self.stderr.write(text + end)
        self.stderr.flush()

    def error(self, text: str) -> None:
        """Write one error line, ``trio-openai: error: <text>``, to stderr.

        Args:
            text: What went wrong, for a person.
        """
        self.err(f"{PROG}: error: {text}")

    def json_out(self, value: object, *, indent: int | None = 2) -> None:
        """Write *value* as JSON to stdout: indented as a document, or one line (``indent=None``).

        Args:
            value: JSON-ready data.
            indent: Indentation; ``None`` writes one line (JSON lines).
        """
        separators = None if indent is not None else (",", ":")
        # Scrubbed before serializing too, so that a key never leaves half an escape.
        value = self.scrubber.scrub_data(value)
        self.out(json.dumps(value, indent=indent, separators=separators, ensure_ascii=False))

    def release(self) -> None:
        """Write what the streams still hold back (the run has ended)."""
        self.stdout.release()
        self.stderr.release()

    @property
    def stderr_is_tty(self) -> bool:
        """Whether stderr is a terminal (live lines redraw in place)."""
        return _isatty(self.stderr)


@final
@attrs.define(eq=False)
class LiveLine:
    """A status line on stderr: redrawn in place on a terminal, one line per change elsewhere.

    Attributes:
        stream: Where to draw (the console's stderr).
        tty: Redraw in place (``\\r``) instead of writing a line per change.
    """

    stream: Output
    tty: bool
    _last: str | None = None
    _drawn: bool = False

    def show(self, text: str) -> None:
        """Show *text* as the current state (nothing is written if it did not change).

        Args:
            text: One line, without a newline.
        """
        if text == self._last:
            return
        self._last = text
        if self.tty:
            self.stream.write(_CLEAR_LINE + text)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the line on a terminal (the next output starts on a fresh line)."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def format_bytes(count: float) -> str:
    """Return *count* bytes in a unit a person reads at a glance (``1.5 MiB``).

    Args:
        count: A number of bytes.
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@final
@attrs.define(eq=False)
class ProgressBar:
    """A progress bar drawn on a `LiveLine`: ``name [#####-----]  50%  5.0 MiB / 10.0 MiB``.

    Attributes:
        line: Where the bar is drawn.
        label: What is in progress (a file name).
        total: The amount that makes 100 %, in bytes.
        width: The bar's width in characters.
    """

    line: LiveLine
    label: str
    total: int
    width: int = 30

    def render(self, done: int, *, note: str = "") -> str:
        """Return the bar's text for *done* bytes out of `total`.

        Args:
            done: Bytes done so far.
            note: Extra text after the figures (``part 1/4``).
        """
        fraction = 1.0 if self.total <= 0 else min(max(done / self.total, 0.0), 1.0)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        text = (
            f"{self.label} [{bar}] {fraction:4.0%}  "
            f"{format_bytes(done)} / {format_bytes(self.total)}"
        )
        return f"{text}  {note}" if note else text

    def update(self, done: int, *, note: str = "") -> None:
        """Draw the bar for *done* bytes.

        Args:
            done: Bytes done so far.
            note: Extra text after the figures.
        """
        self.line.show(self.render(done, note=note))

    def finish(self) -> None:
        """End the bar's line."""
        self.line.finish()
