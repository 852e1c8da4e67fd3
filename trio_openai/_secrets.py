"""The API key: a redacted `Secret` and the chain that finds it.

`resolve_api_key` looks in four places and the first hit wins:

1. the ``api_key`` argument;
2. the environment variable (``OPENAI_API_KEY``);
3. a ``.env`` file in the working directory;
4. the file named by the ``OPENAI_ENV_FILE`` environment variable.

The key is then checked for the usual copy-and-paste accidents (empty,
whitespace or a line break, quotes, control or non-ASCII characters). No
message ever contains the key: errors say where the key came from, what is
wrong and how long it is. Once found, it travels as a `Secret`, whose repr, str
and format are redacted and which refuses to be pickled.

The ``.env`` reader is deliberately small (no python-dotenv): ``KEY=value``,
``export KEY=value``, single quotes (literal) and double quotes (with ``\\n``,
``\\r``, ``\\t``, ``\\"`` and ``\\\\`` escapes), values spanning lines inside
quotes, ``#`` comments (after whitespace in an unquoted value), blank lines and
whitespace around ``=``. There is no ``${VAR}`` interpolation; a later
definition of a name replaces an earlier one.

A key may also be a *provider*: a callable, sync or async, that returns the key
(or an Entra ID token) as a `str` or a `Secret`. It is wrapped in a `KeyProvider`,
no place is looked in, and the pipeline calls it once per attempt (see `KeyProvider`).

This module imports neither trio nor httpx2.
"""

from __future__ import annotations

import hmac
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Final, NoReturn, TypeAlias, cast, final, overload

from ._errors import ConfigurationError

__all__ = ["KeyFunction", "KeyProvider", "Secret", "as_key", "parse_dotenv", "resolve_api_key"]

ENV_FILE_VAR: Final = "OPENAI_ENV_FILE"
"""The environment variable that names an extra ``.env`` file."""

_REDACTED: Final = "<redacted>"
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_DOUBLE_QUOTED_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@final
class Secret:
    """A string that must not leak: its repr, str and format show ``<redacted>``.

    Equality compares the values in constant time. A `Secret` cannot be
    pickled (so it cannot leave the process by that route); copying it returns
    the same object, since it is immutable.

    Args:
        value: The secret text.

    Raises:
        TypeError: *value* is not a `str`.
    """

    __slots__ = ("_secret_value",)

    _secret_value: str

    def __init__(self, value: str) -> None:
        if not isinstance(cast("object", value), str):
            msg = f"Secret() takes a str, got {type(value).__name__}"
            raise TypeError(msg)
        object.__setattr__(self, "_secret_value", value)

    def get_secret_value(self) -> str:
        """Return the secret text; use it only where it must go (the auth header)."""
        return self._secret_value

    def __repr__(self) -> str:
        return f"Secret({_REDACTED!r})"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, format_spec: str) -> str:
        return format(_REDACTED, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time, so that response times do not reveal a common prefix.
        return hmac.compare_digest(
            self._secret_value.encode("utf-8", "surrogatepass"),
            other._secret_value.encode("utf-8", "surrogatepass"),
        )

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = "Secret is immutable"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> NoReturn:
        msg = "Secret is immutable"
        raise AttributeError(msg)

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        msg = "a Secret cannot be pickled: pass the key to the other process another way"
        raise TypeError(msg)

    def __getstate__(self) -> NoReturn:
        msg = "a Secret cannot be pickled: pass the key to the other process another way"
        raise TypeError(msg)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self


KeyFunction: TypeAlias = "Callable[[], str | Secret | Awaitable[str | Secret]]"
"""What ``api_key=`` (or ``azure_ad_token_provider=``) may be besides a key: a key provider."""


@final
class KeyProvider:
    """A callable that gives the key, or a bearer token, for each attempt of a call.

    The pipeline calls it before every attempt is sent, so a token refreshed
    between a failure and its retry is the one the retry carries; a realtime
    connection calls it once per connect. A sync callable is called directly on
    the event loop (keep it fast: cache the token), an async one is awaited.
    What it returns is checked as a key is (the message never shows it).

    Its failures are not retried: a provider that raises makes the call fail at
    once with a `ConfigurationError` whose ``__cause__`` is the provider's
    exception (a token source that fails now and then should retry inside the
    provider). The repr names the function, never its arguments (a
    ``functools.partial`` may hold a client secret).

    Args:
        function: Returns a `str` or a `Secret`, or an awaitable of one.
        argument: The argument it was given as, for messages.

    Raises:
        TypeError: *function* is not callable.
    """

    __slots__ = ("_argument", "_function")

    def __init__(self, function: KeyFunction, *, argument: str = "api_key") -> None:
        if not callable(cast("object", function)):
            msg = f"{argument} provider must be callable, got {type(function).__name__}"
            raise TypeError(msg)
        self._function = function
        self._argument = argument

    @property
    def name(self) -> str:
        """The function's qualified name (what the repr and messages show)."""
        function = self._function
        return str(getattr(function, "__qualname__", type(function).__name__))

    def __repr__(self) -> str:
        return f"KeyProvider({self.name})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        msg = "a KeyProvider cannot be pickled: it makes keys"
        raise TypeError(msg)

    async def get(self) -> Secret:
        """Call the provider and return its key, checked.

        Raises:
            ConfigurationError: The provider raised (the exception is the
                ``__cause__``), or returned something that is not a well-formed
                key (the message says how, never what it is).
        """
        try:
            value = self._function()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            msg = (
                f"The {self._argument} provider {self.name} raised {type(exc).__name__}, so "
                "the request was not sent. A provider's failure is not retried: retry "
                "inside the provider if its token source is flaky."
            )
            raise ConfigurationError(msg) from exc
        outcome = _provided(value, f"the {self._argument} provider {self.name}")
        # No raw key in the frame that raises (a traceback printed with its locals).
        del value
        if isinstance(outcome, str):
            raise ConfigurationError(outcome)
        return outcome


def _provided(value: object, source: str) -> Secret | str:
    """A provider's answer as a checked `Secret`, or the error message (without the value)."""
    if isinstance(value, str):
        value = Secret(value)
    if not isinstance(value, Secret):
        return f"{source} returned {type(value).__name__}; it must return a str or a Secret."
    return _checked(value, source)


@overload
def as_key(value: str | Secret, argument: str = ...) -> Secret: ...
@overload
def as_key(value: KeyProvider | KeyFunction, argument: str = ...) -> KeyProvider: ...
@overload
def as_key(
    value: str | Secret | KeyProvider | KeyFunction | None, argument: str = ...
) -> Secret | KeyProvider | None: ...
def as_key(
    value: str | Secret | KeyProvider | KeyFunction | None, argument: str = "api_key"
) -> Secret | KeyProvider | None:
    """*value* as a `Secret` (a str), a `KeyProvider` (a callable) or unchanged.

    Anything else is returned as it is, for `resolve_api_key` to refuse by its type.

    Args:
        value: What the caller passed.
        argument: Its name, for the provider's messages.
    """
    if isinstance(value, str):
        return Secret(value)
    if callable(value) and not isinstance(value, KeyProvider):
        return KeyProvider(value, argument=argument)
    return value


@overload
def resolve_api_key(
    explicit: str | Secret | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    env_var: str = ...,
    argument: str = ...,
) -> Secret: ...
@overload
def resolve_api_key(
    explicit: str | Secret | KeyProvider | KeyFunction | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    env_var: str = ...,
    argument: str = ...,
) -> Secret | KeyProvider: ...
def resolve_api_key(
    explicit: str | Secret | KeyProvider | KeyFunction | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    env_var: str = "OPENAI_API_KEY",
    argument: str = "api_key",
) -> Secret | KeyProvider:
    """Find the API key, first hit wins, and check that it looks like a key.

    The places, in order: *explicit*; ``env[env_var]``; the file ``.env`` in
    *cwd*; the file named by ``env["OPENAI_ENV_FILE"]`` (relative to *cwd*). A
    place that holds the name with an empty value is a hit, and an error.

    Args:
        explicit: The key the caller passed, if any.
        env: The environment (``os.environ``).
        cwd: The directory whose ``.env`` file is read.
        env_var: The variable that holds the key, in *env* and in ``.env`` files.
        argument: The argument *explicit* was given as, for messages.

    Returns:
        The key, or a `KeyProvider` when *explicit* is a callable (no place is
        looked in then; the provider is called when a request is sent).

    Raises:
        ConfigurationError: No key anywhere (the message lists every place
            looked at), ``OPENAI_ENV_FILE`` names a missing or unreadable file,
            or the key is malformed (the message says how, never what it is).
        TypeError: *explicit* is neither a `str`, a `Secret`, a callable nor ``None``.
    """
    # Rebinding the parameter keeps the raw text out of this frame's locals,
    # which a traceback formatted with capture_locals=True would print.
    explicit = as_key(explicit, argument)
    if isinstance(explicit, KeyProvider):
        return explicit
    if explicit is not None and not isinstance(cast("object", explicit), Secret):
        msg = f"{argument} must be a callable, a str or a Secret, got {type(explicit).__name__}"
        raise TypeError(msg)
    outcome = _find(explicit, env, cwd, env_var, argument)
    # The same reason: no raw key (nor the environment holding it) in the
    # frame that raises.
    del explicit, env
    if isinstance(outcome, str):
        raise ConfigurationError(outcome)
    return outcome


def _find(
    explicit: Secret | None, env: Mapping[str, str], cwd: Path, env_var: str, argument: str
) -> Secret | str:
    """The key, or the message of the error to raise."""
    if explicit is not None:
        return _checked(explicit, f"the {argument} argument")
    looked = ["the api_key argument (not given)"]

    value = env.get(env_var)
    if value is not None:
        return _checked(Secret(value), f"the environment variable {env_var}")
    looked.append(f"the environment variable {env_var} (not set)")

    return _find_in_files(env.get(ENV_FILE_VAR), cwd, env_var, looked)


def _find_in_files(named: str | None, cwd: Path, env_var: str, looked: list[str]) -> Secret | str:
    """Steps 3 and 4: ``.env`` in *cwd*, then the file *named* by ``OPENAI_ENV_FILE``."""
    files = [cwd / ".env"]
    if named:
        files.append(cwd / Path(named).expanduser())
    for path in files:
        text = _read_text(path)
        if text is None:
            if path is not files[0]:
                return (
                    f"{ENV_FILE_VAR} names {path}, which does not exist or is not a file. "
                    f"Looked for the API key in: {'; '.join(looked)}."
                )
            looked.append(f"{path} (no such file)")
            continue
        if isinstance(text, ConfigurationError):
            return str(text)
        entries, bad_lines = parse_dotenv(text)
        entry = entries.get(env_var)
        if entry is not None:
            return _checked(Secret(entry[0]), f"{path} (line {entry[1]})")
        note = f"no {env_var} in it"
        if bad_lines:
            note += f"; lines {', '.join(map(str, bad_lines))} could not be parsed"
        looked.append(f"{path} ({note})")
    if not named:
        looked.append(f"the file named by {ENV_FILE_VAR} ({ENV_FILE_VAR} not set)")
    return (
        "No API key found. Pass api_key=..., set the environment variable "
        f"{env_var}, or put {env_var}=... in a .env file. Looked in: {'; '.join(looked)}."
    )


def _read_text(path: Path) -> str | ConfigurationError | None:
    """The text of a ``.env`` file, ``None`` if there is none, or the error to report.

    The error is returned, not raised: this frame holds the file's bytes, which
    a traceback formatted with its locals would show.
    """
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as exc:
        return ConfigurationError(
            f"Cannot read {path} while looking for the API key: {exc.strerror}."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ConfigurationError(
            f"Cannot read {path} while looking for the API key: it is not UTF-8 text."
        )


def _checked(key: Secret, source: str) -> Secret | str:
    """The key if it is well formed, else an error message that does not contain it."""
    problem = _problem(key)
    if problem is None:
        return key
    message = f"The API key from {source} is malformed: it {problem}."
    length = len(key.get_secret_value())
    if length:
        message += f" (It is {length} characters long; it is not shown here.)"
    return message


def _problem(key: Secret) -> str | None:
    """What is wrong with the key, in words that do not reveal it."""
    text = key.get_secret_value()
    if not text:
        return "is empty"
    if text[0] in "'\"" or text[-1] in "'\"":
        return "starts or ends with a quote character: remove the quotes"
    for index, char in enumerate(text):
        where = _where(index, len(text))
        if char.isspace():
            kind = "a line break" if char in "\r\n" else "whitespace"
            return f"contains {kind} {where}: remove it"
        if not char.isascii():
            return f"contains a non-ASCII character {where} (position {index + 1})"
        if not char.isprintable():
            return f"contains a control character {where} (position {index + 1})"
    return None


def _where(index: int, length: int) -> str:
    if index == 0:
        return "at the start"
    if index == length - 1:
        return "at the end"
    return "in the middle"


def parse_dotenv(text: str) -> tuple[dict[str, tuple[str, int]], list[int]]:
    """Read the assignments of a ``.env`` file.

    Args:
        text: The file's text.

    Returns:
        A mapping of each name to its value and the line number where it is
        defined (the last definition wins), and the numbers of the lines that
        could not be parsed (they are skipped).
    """
    entries: dict[str, tuple[str, int]] = {}
    bad_lines: list[int] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export") and line[6:7].isspace():
            line = line[6:].lstrip()
        name, equals, rest = line.partition("=")
        name = name.strip()
        if not equals or _NAME.fullmatch(name) is None:
            bad_lines.append(number)
            continue
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            # A quoted value may run over several lines until its closing quote.
            quote = rest[0]
            body = rest[1:]
            end = _closing_quote(body, quote)
            while end < 0 and index < len(lines):
                body += "\n" + lines[index]
                index += 1
                end = _closing_quote(body, quote)
            after = body[end + 1 :].strip() if end >= 0 else ""
            if end < 0 or (after and not after.startswith("#")):
                bad_lines.append(number)
                continue
            value = body[:end]
            if quote == '"':
                value = _unescape(value)
        else:
            value = _strip_comment(rest)
        entries[name] = (value, number)
    return entries, bad_lines


def _closing_quote(body: str, quote: str) -> int:
    """The index of the unescaped closing *quote* in *body*, or -1."""
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and quote == '"':
            index += 2
            continue
        if char == quote:
            return index
        index += 1
    return -1


def _unescape(value: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            escaped = _DOUBLE_QUOTED_ESCAPES.get(value[index + 1])
            if escaped is not None:
                out.append(escaped)
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _strip_comment(value: str) -> str:
    """An unquoted value ends at a ``#`` that follows whitespace."""
    match = re.search(r"\s#", value)
    if match is not None:
        value = value[: match.start()]
    return value.strip()
