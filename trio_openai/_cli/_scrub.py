"""Keeping the keys out of everything the command line prints.

The client's own messages never contain a key, and it scrubs a key that a
server echoes verbatim in an error body; this module is the command line's
second belt, on the way out. Every byte written to stdout or stderr goes
through a `ScrubbedOutput`, and every key the run resolved is replaced there
by ``[secure]`` (the client's own marker, so that a message scrubbed by both
shows one): results, ``--json`` documents and lines, errors, warnings,
status lines, progress bars, the demo's output and ``--debug`` tracebacks.

Decisions:

- **Which keys.** The key of every source the client would read (the
  ``--api-key`` argument, ``OPENAI_API_KEY``, a ``.env`` file in the working
  directory, the file named by ``OPENAI_ENV_FILE``), the same chain for
  ``AZURE_OPENAI_API_KEY``, and, once a client is open, the key and webhook
  secret it actually holds (whatever opened it). A text shorter than 8
  characters is not treated as a key: it cannot be secret, and scrubbing it
  would garble ordinary words.
- **Which forms.** The whole key, verbatim or with any of its characters
  written in one layer of escaping: percent-encoded (``%2B``, either case),
  JSON or JavaScript escapes (``\\u002b``, ``\\/``) or a backslash before a
  punctuation character. A key that is masked (``sk-proj-****abcd``) or cut
  short is not the key and is printed as is: that is what servers do on
  purpose. Not matched: two layers of encoding (``%252B``), base64 or hex of
  the key, a key with its case changed.
- **A key split over several writes** (a reply streamed delta by delta) is
  caught too: a stream holds back the end of what it was given when that end
  could be the start of a key, and writes it with the next text or when the
  run ends (`ScrubbedOutput.release`). Only such an end waits, and never for
  longer than the next write.
- **JSON stays JSON.** ``--json`` data is scrubbed value by value before it is
  serialized (`Scrubber.scrub_data`), so that a replacement never cuts an
  escape sequence in two; the serialized text is scrubbed again on its way out.
- **Log records too.** Nobody configures logging in the command's process, so
  a library's warning (a Realtime server's odd message, an upload that could
  not be cancelled) would reach stderr through Python's last-resort handler,
  unscrubbed. `main` replaces that handler with a `LastResort` that writes
  through the run's scrubbed stderr (`warnings_to`); a `run` inside someone
  else's program leaves their logging alone.
- **No raw key in a repr.** The patterns live in objects whose repr says only
  how many keys there are, so a traceback formatted with its locals shows none.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Final, Protocol, final

import attrs

from .._errors import ConfigurationError
from .._secrets import Secret, resolve_api_key

__all__ = [
    "MARKER",
    "MIN_KEY_LENGTH",
    "LastResort",
    "Output",
    "ScrubbedOutput",
    "Scrubber",
    "resolved_keys",
    "warnings_to",
]

# The client's marker (`trio_openai._http._auth.REDACTED`, which a test compares), spelled
# out: importing _auth would import httpx2 before the command even needs it.
MARKER: Final = "[secure]"
"""What a key is replaced by: ``[secure]``, as in the client's own messages."""

MIN_KEY_LENGTH: Final = 8
"""Texts shorter than this are not keys (and would garble words if scrubbed)."""

_KEY_VARIABLES: Final = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")

# The stderr of the run whose context (its task and the tasks it starts) logs.
_RUN_STDERR: ContextVar[ScrubbedOutput | None] = ContextVar("trio_openai_cli_stderr", default=None)

# _match's outcomes besides the end of a match.
_NO_MATCH: Final = -1
_MAY_CONTINUE: Final = -2


class Output(Protocol):
    """Where the command line writes text: a `typing.TextIO`, or a `ScrubbedOutput` around one."""

    def write(self, text: str, /) -> int:
        """Write *text*; return its length."""
        ...

    def flush(self) -> None:
        """Push what was written to its destination."""
        ...

    def isatty(self) -> bool:
        """Tell whether a person reads it on a terminal."""
        ...


@final
class _Pattern:
    """How one key may be written: for each of its characters, the texts that stand for it.

    Each form is ``(text, folded)``: a folded form (an escape with hex digits) is
    compared with the text lowered, a literal character exactly.
    """

    __slots__ = ("chars", "starts")

    chars: tuple[tuple[tuple[str, bool], ...], ...]
    starts: frozenset[str]

    def __init__(self, key: Secret) -> None:
        self.chars = tuple(_forms(char) for char in key.get_secret_value())
        self.starts = frozenset(form[0] for form, _ in self.chars[0])

    def __repr__(self) -> str:
        return "<key pattern>"

    def match(self, text: str, start: int) -> int:
        """The end of an encoding of the key that starts at *start* in *text*.

        Returns:
            The end index of the longest match; ``_MAY_CONTINUE`` if *text* ends
            inside what may still become a match; ``_NO_MATCH`` otherwise.
        """
        positions = {start}
        may_continue = False
        for forms in self.chars:
            reached: set[int] = set()
            for position in positions:
                for form, folded in forms:
                    end = position + len(form)
                    piece = text[position:end]
                    if folded:
                        piece = piece.lower()
                    if end <= len(text):
                        if piece == form:
                            reached.add(end)
                    elif form.startswith(piece):
                        may_continue = True
            if not reached:
                return _MAY_CONTINUE if may_continue else _NO_MATCH
            positions = reached
        return max(positions)


def _forms(char: str) -> tuple[tuple[str, bool], ...]:
    """The texts one layer of escaping may write *char* as."""
    code = ord(char)
    utf8 = char.encode("utf-8", "surrogatepass")
    if code > 0xFFFF:
        high, low = divmod(code - 0x10000, 0x400)
        json_escape = f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
    else:
        json_escape = f"\\u{code:04x}"
    forms = [
        (char, False),
        ("".join(f"%{byte:02x}" for byte in utf8), True),
        (json_escape, True),
    ]
    if not char.isalnum():
        # JSON's \/ and \", a shell's or a regex's \+, Python's \\ and \'.
        forms.append(("\\" + char, False))
    return tuple(forms)


@final
class Scrubber:
    """The keys of one run, and the text it prints without them.

    Keys are added as they become known (`add`); the repr shows how many
    there are, never what they are.
    """

    __slots__ = ("_patterns", "_seen", "_starts")

    def __init__(self, keys: Iterable[Secret] = ()) -> None:
        self._patterns: list[_Pattern] = []
        self._seen: list[Secret] = []
        self._starts: re.Pattern[str] | None = None
        for key in keys:
            self.add(key)

    def __repr__(self) -> str:
        return f"<Scrubber of {len(self._patterns)} key(s)>"

    def add(self, key: Secret | None) -> None:
        """Scrub *key* from now on (``None``, a known key or a short text is ignored).

        Args:
            key: A key this run may send or hold.
        """
        if key is None or len(key.get_secret_value()) < MIN_KEY_LENGTH or key in self._seen:
            return
        self._seen.append(key)
        # Of two keys that match at one place, the longer match wins (`_match`).
        self._patterns.append(_Pattern(key))
        starts = set().union(*(pattern.starts for pattern in self._patterns))
        self._starts = re.compile("[" + "".join(map(re.escape, sorted(starts))) + "]")

    def scrub(self, text: str) -> str:
        """Return *text* with every known key (in any form matched) replaced by `MARKER`.

        Args:
            text: What is about to be printed.
        """
        return self._scan(text, final=True)[0]

    def split(self, text: str) -> tuple[str, str]:
        """Scrub *text* that more text may follow: return what can be written, and what to hold.

        The held part is the end of *text* from the first place where a key
        may begin and has not ended yet.

        Args:
            text: What is about to be printed, with what was held before it.
        """
        return self._scan(text, final=False)

    def scrub_data(self, value: object) -> object:
        """Return JSON-ready *value* with every string in it (keys of objects too) scrubbed.

        Args:
            value: Data about to be serialized.
        """
        if not self._patterns:
            return value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {self.scrub_data(name): self.scrub_data(item) for name, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_data(item) for item in value]
        return value

    def _scan(self, text: str, *, final: bool) -> tuple[str, str]:
        starts = self._starts
        if starts is None:
            return text, ""
        pieces: list[str] = []
        index = 0
        while (found := starts.search(text, index)) is not None:
            start = found.start()
            end, may_continue = self._match(text, start)
            if may_continue and not final:
                # Held whole: the next text may complete a key, or a longer one.
                pieces.append(text[index:start])
                return "".join(pieces), text[start:]
            if end >= 0:
                pieces.append(text[index:start] + MARKER)
                index = end
            else:
                pieces.append(text[index : start + 1])
                index = start + 1
        pieces.append(text[index:])
        return "".join(pieces), ""

    def _match(self, text: str, start: int) -> tuple[int, bool]:
        """The end of the longest match at *start* (or `_NO_MATCH`); if more text may make one."""
        best = _NO_MATCH
        may_continue = False
        for pattern in self._patterns:
            if text[start] not in pattern.starts:
                continue
            end = pattern.match(text, start)
            if end == _MAY_CONTINUE:
                may_continue = True
            else:
                best = max(best, end)
        return best, may_continue


@final
@attrs.define(eq=False)
class ScrubbedOutput:
    """A text stream that writes through a `Scrubber`.

    What could be the start of a key is held back until the next write shows
    whether it is one; `release` writes what is still held once the output ends.
    `flush` keeps it held: a command flushes after every piece of a streamed
    reply, and a key may arrive over several pieces.

    Attributes:
        stream: The real stream (stdout, stderr).
        scrubber: The keys to keep out of it.
    """

    stream: Output
    scrubber: Scrubber
    _held: str = attrs.field(default="", repr=False)

    def write(self, text: str, /) -> int:
        """Write *text*, scrubbed; return its length.

        Args:
            text: What to write.
        """
        ready, self._held = self.scrubber.split(self._held + text)
        if ready:
            self.stream.write(ready)
        return len(text)

    def flush(self) -> None:
        """Flush the real stream (what is held stays held)."""
        self.stream.flush()

    def release(self) -> None:
        """Write what is held back (the output has ended), scrubbed, and flush."""
        held, self._held = self._held, ""
        if held:
            self.stream.write(self.scrubber.scrub(held))
        self.stream.flush()

    def isatty(self) -> bool:
        """Tell whether the real stream is a terminal."""
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):  # no such method, or closed
            return False


def resolved_keys(*, env: Mapping[str, str], cwd: Path) -> list[Secret]:
    """The keys a client opened by this run may find, found as the client finds them.

    For each of ``OPENAI_API_KEY`` and ``AZURE_OPENAI_API_KEY``, the first of the
    environment, ``.env`` in *cwd* and the file named by ``OPENAI_ENV_FILE``; an
    explicit key (``--api-key``) is added apart. A chain that finds nothing, or a
    malformed key, adds nothing: the client refuses to send such a key.

    Args:
        env: The environment.
        cwd: Where ``.env`` is looked for.
    """
    found = (_first_key(variable, env, cwd) for variable in _KEY_VARIABLES)
    return [key for key in found if key is not None]


def _first_key(variable: str, env: Mapping[str, str], cwd: Path) -> Secret | None:
    try:
        return resolve_api_key(None, env=env, cwd=cwd, env_var=variable)
    except ConfigurationError:
        return None


@contextmanager
def warnings_to(stream: ScrubbedOutput) -> Iterator[None]:
    """Within the block, a `LastResort` handler writes this context's log records to *stream*.

    The context is the current task's, which the tasks it starts inherit.

    Args:
        stream: The run's scrubbed stderr.
    """
    token = _RUN_STDERR.set(stream)
    try:
        yield
    finally:
        _RUN_STDERR.reset(token)


@final
class LastResort(logging.Handler):
    """Python's last-resort log handler (`logging.lastResort`), writing through the scrubbed stderr.

    Like the handler it replaces, it writes records of level WARNING and above
    that no handler took, as their bare message; a record logged outside a run
    goes to *fallback*.

    Args:
        fallback: The handler it replaces (``logging.lastResort``), if any.
    """

    def __init__(self, fallback: logging.Handler | None) -> None:
        super().__init__(logging.WARNING)
        self._fallback = fallback

    def emit(self, record: logging.LogRecord) -> None:
        """Write *record*'s message to the current run's stderr (or pass it to the fallback).

        Args:
            record: A record no handler took.
        """
        stream = _RUN_STDERR.get()
        if stream is None:
            if self._fallback is not None:
                self._fallback.handle(record)
            return
        try:
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 -- logging's rule: report through handleError, never raise
            self.handleError(record)
