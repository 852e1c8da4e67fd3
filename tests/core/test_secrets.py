"""Tests of the redacted `Secret` and the API key chain (`trio_openai._secrets`)."""

from __future__ import annotations

import copy
import hmac
import pickle
import subprocess
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

import pytest

from trio_openai._errors import ConfigurationError
from trio_openai._secrets import Secret, parse_dotenv, resolve_api_key

_ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-proj-TESTKEY0123456789abcdef"
OTHER = "sk-proj-OTHERKEY987654321"
BAD_KEY = "sk-proj-TESTKEY secret part"
_DOUBLE_QUOTE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def resolve(
    explicit: str | Secret | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path,
    env_var: str = "OPENAI_API_KEY",
) -> str:
    return resolve_api_key(explicit, env=env or {}, cwd=cwd, env_var=env_var).get_secret_value()


# --- Secret ----------------------------------------------------------------------------


def test_secret_repr_str_and_format_are_redacted() -> None:
    """No way of turning a Secret into text shows any of it."""
    secret = Secret(KEY)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret!s}",
        f"{secret:>40}",
        "%s %r" % (secret, secret),  # noqa: UP031 - the old style must be redacted too
        "{}".format(secret),  # noqa: UP032
        repr([secret]),
        repr({"api_key": secret}),
    ]
    for text in shown:
        assert "TESTKEY" not in text
        assert "<redacted>" in text
    assert repr(secret) == "Secret('<redacted>')"
    assert str(secret) == "<redacted>"


def test_get_secret_value_returns_it() -> None:
    """The value is reachable on purpose, by name."""
    assert Secret(KEY).get_secret_value() == KEY


def test_secrets_compare_by_value_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Equality uses hmac.compare_digest; a Secret never equals a plain str."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert Secret(KEY) == Secret(KEY)
    assert Secret(KEY) != Secret(OTHER)
    assert len(calls) == 2
    assert Secret(KEY) != KEY


def test_secrets_hash_by_value() -> None:
    """Equal secrets hash alike, so they work as dict keys."""
    assert hash(Secret(KEY)) == hash(Secret(KEY))
    assert len({Secret(KEY), Secret(KEY), Secret(OTHER)}) == 2


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_secret_cannot_be_pickled(protocol: int) -> None:
    """Pickling is refused with every protocol, so the key cannot leak that way."""
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(KEY), protocol=protocol)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps({"options": [Secret(KEY)]}, protocol=protocol)


def test_secret_can_be_copied() -> None:
    """copy and deepcopy work (and return the same immutable object)."""
    secret = Secret(KEY)
    assert copy.copy(secret) is secret
    assert copy.deepcopy({"k": secret})["k"] is secret


def test_secret_is_immutable_and_slotted() -> None:
    """Its value cannot be replaced, and there is no __dict__ to dump."""
    secret = Secret(KEY)
    with pytest.raises(AttributeError):
        secret._secret_value = OTHER
    with pytest.raises(AttributeError):
        del secret._secret_value
    assert not hasattr(secret, "__dict__")


def test_secret_takes_only_str() -> None:
    """Bytes or None are programming errors, reported without the value."""
    with pytest.raises(TypeError, match="takes a str, got bytes"):
        Secret(KEY.encode())  # type: ignore[arg-type]


def test_traceback_with_locals_of_a_frame_holding_a_secret_does_not_reveal_it() -> None:
    """capture_locals=True prints reprs of locals: a Secret's is redacted."""

    def work(api_key: Secret) -> None:
        header = {"authorization": api_key}
        raise RuntimeError(f"request failed with {header}")

    try:
        work(Secret(KEY))
    except RuntimeError as exc:
        text = "".join(
            traceback.TracebackException.from_exception(exc, capture_locals=True).format()
        )
    assert "<redacted>" in text
    assert "TESTKEY" not in text


# --- resolution order ---------------------------------------------------------------


def test_the_argument_wins(tmp_path: Path) -> None:
    """An explicit key beats the environment and .env files."""
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={OTHER}\n")
    assert resolve(KEY, env={"OPENAI_API_KEY": OTHER}, cwd=tmp_path) == KEY
    assert resolve(Secret(KEY), env={"OPENAI_API_KEY": OTHER}, cwd=tmp_path) == KEY


def test_the_environment_comes_second(tmp_path: Path) -> None:
    """Without an argument, the environment variable beats .env."""
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={OTHER}\n")
    assert resolve(env={"OPENAI_API_KEY": KEY}, cwd=tmp_path) == KEY


def test_dotenv_in_cwd_comes_third(tmp_path: Path) -> None:
    """Then the .env file of the working directory, before OPENAI_ENV_FILE."""
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={KEY}\n")
    (tmp_path / "other.env").write_text(f"OPENAI_API_KEY={OTHER}\n")
    assert resolve(env={"OPENAI_ENV_FILE": "other.env"}, cwd=tmp_path) == KEY


def test_openai_env_file_comes_last(tmp_path: Path) -> None:
    """The file named by OPENAI_ENV_FILE is read, relative to cwd."""
    (tmp_path / ".env").write_text("OTHER_VAR=1\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "keys.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    assert resolve(env={"OPENAI_ENV_FILE": "conf/keys.env"}, cwd=tmp_path) == KEY
    absolute = str(tmp_path / "conf" / "keys.env")
    assert resolve(env={"OPENAI_ENV_FILE": absolute}, cwd=tmp_path / "conf") == KEY


def test_missing_openai_env_file_is_reported(tmp_path: Path) -> None:
    """OPENAI_ENV_FILE naming a missing file is an error that says so."""
    with pytest.raises(ConfigurationError) as info:
        resolve(env={"OPENAI_ENV_FILE": "missing.env"}, cwd=tmp_path)
    message = str(info.value)
    assert "OPENAI_ENV_FILE names" in message
    assert str(tmp_path / "missing.env") in message
    assert "does not exist" in message


def test_missing_openai_env_file_is_ignored_when_the_key_was_found(tmp_path: Path) -> None:
    """First hit wins: later places are not even looked at."""
    env = {"OPENAI_API_KEY": KEY, "OPENAI_ENV_FILE": "missing.env"}
    assert resolve(env=env, cwd=tmp_path) == KEY


def test_no_key_lists_every_place_looked_at(tmp_path: Path) -> None:
    """The error names the argument, the variable, each .env path and OPENAI_ENV_FILE."""
    (tmp_path / "extra.env").write_text("SOMETHING=else\nnot a line\n")
    with pytest.raises(ConfigurationError) as info:
        resolve(env={"OPENAI_ENV_FILE": "extra.env"}, cwd=tmp_path)
    message = str(info.value)
    assert "No API key found" in message
    assert "api_key argument (not given)" in message
    assert "environment variable OPENAI_API_KEY (not set)" in message
    assert f"{tmp_path / '.env'} (no such file)" in message
    assert (
        f"{tmp_path / 'extra.env'} (no OPENAI_API_KEY in it; lines 2 could not be parsed)"
        in message
    )


def test_no_key_mentions_that_openai_env_file_is_unset(tmp_path: Path) -> None:
    """Without OPENAI_ENV_FILE, the message says it was not set."""
    with pytest.raises(ConfigurationError, match="OPENAI_ENV_FILE not set"):
        resolve(cwd=tmp_path)


def test_another_env_var_name(tmp_path: Path) -> None:
    """`env_var` changes the name looked up in the environment and in .env files."""
    (tmp_path / ".env").write_text(f"AZURE_OPENAI_API_KEY={KEY}\n")
    assert resolve(cwd=tmp_path, env_var="AZURE_OPENAI_API_KEY") == KEY
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        resolve(cwd=tmp_path / "nowhere", env_var="AZURE_OPENAI_API_KEY")


def test_a_key_without_sk_prefix_is_accepted(tmp_path: Path) -> None:
    """Compatible servers use other key formats."""
    assert resolve("abc123.XYZ_-+/=", cwd=tmp_path) == "abc123.XYZ_-+/="


def test_explicit_of_the_wrong_type_is_a_type_error(tmp_path: Path) -> None:
    """Passing bytes or a number is a programming error."""
    with pytest.raises(TypeError, match="str or a Secret, got int"):
        resolve_api_key(42, env={}, cwd=tmp_path)  # type: ignore[arg-type]


def test_a_dotenv_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    """An unreadable .env is an error naming the file, without its content."""
    (tmp_path / ".env").write_bytes(b"OPENAI_API_KEY=" + KEY.encode() + b"\xff\n")
    with pytest.raises(ConfigurationError, match="not UTF-8") as info:
        resolve(cwd=tmp_path)
    assert "TESTKEY" not in str(info.value)


def test_a_dotenv_that_is_a_directory_counts_as_absent(tmp_path: Path) -> None:
    """A directory named .env is not a file; the search goes on."""
    (tmp_path / ".env").mkdir()
    (tmp_path / "k.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    assert resolve(env={"OPENAI_ENV_FILE": "k.env"}, cwd=tmp_path) == KEY


# --- malformed keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is empty"),
        (f" {KEY}", "whitespace at the start"),
        (f"{KEY}\n", "line break at the end"),
        (f"{KEY}\r\n", "line break"),
        (f"sk-proj-TESTKEY {KEY}", "whitespace in the middle"),
        (f"{KEY}\t", "whitespace at the end"),
        (f'"{KEY}"', "quote"),
        (f"'{KEY}'", "quote"),
        (f"{KEY}\u00e9", "non-ASCII character at the end"),
        (f"sk-proj-TESTKEY\u200b{KEY}", "in the middle"),  # a zero-width space from a web page
        (f"{KEY}\x00", "control character"),
        (f"sk-proj-TESTKEY\x7f{KEY}", "control character"),
    ],
)
@pytest.mark.parametrize("where", ["argument", "env", "dotenv"])
def test_malformed_keys_are_rejected_without_showing_them(
    tmp_path: Path, key: str, problem: str, where: str
) -> None:
    """Each copy-and-paste accident is explained; the message never contains the key."""
    if where == "dotenv":
        escaped = "".join(_DOUBLE_QUOTE_ESCAPES.get(char, char) for char in key)
        (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{escaped}"\n', encoding="utf-8")
    explicit, env = (key, {}) if where == "argument" else (None, {"OPENAI_API_KEY": key})
    with pytest.raises(ConfigurationError) as info:
        resolve(explicit, env=env if where == "env" else {}, cwd=tmp_path)
    message = str(info.value)
    assert problem in message
    assert "TESTKEY" not in message
    assert "TESTKEY" not in repr(info.value)
    source = {
        "argument": "the api_key argument",
        "env": "the environment variable OPENAI_API_KEY",
        "dotenv": f"{tmp_path / '.env'} (line 1)",
    }[where]
    assert f"from {source} is malformed" in message
    if key:
        assert f"{len(key)} characters long" in message


@pytest.mark.parametrize("where", ["argument", "env", "dotenv"])
def test_traceback_with_locals_of_a_malformed_key_error_does_not_reveal_it(
    tmp_path: Path, where: str
) -> None:
    """Even capture_locals=True shows no raw key: the raising frame holds only Secrets."""
    if where == "dotenv":
        (tmp_path / ".env").write_text(f"OPENAI_API_KEY={BAD_KEY}\n")
    try:
        if where == "argument":
            resolve_api_key(BAD_KEY, env={}, cwd=tmp_path)
        elif where == "env":
            resolve_api_key(None, env={"OPENAI_API_KEY": BAD_KEY}, cwd=tmp_path)
        else:
            resolve_api_key(None, env={}, cwd=tmp_path)
    except ConfigurationError as exc:
        error = exc
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert "malformed" in text
    assert "TESTKEY" not in text


# --- the .env parser ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("K=abc", "abc"),
        ("K = abc  ", "abc"),
        ("  K=abc", "abc"),
        ("export K=abc", "abc"),
        ("export\tK=abc", "abc"),
        ("K=abc # a comment", "abc"),
        ("K=abc#not-a-comment", "abc#not-a-comment"),
        ("K=", ""),
        ("K='single # quoted'", "single # quoted"),
        ("K='no \\n escapes'", "no \\n escapes"),
        ('K="double\\nquoted"', "double\nquoted"),
        ('K="tab\\there, quote \\" and backslash \\\\"', 'tab\there, quote " and backslash \\'),
        ('K="unknown \\q escape"', "unknown \\q escape"),
        ('K="abc" # comment', "abc"),
        ('K = "  spaced  "', "  spaced  "),
        ('K="multi\nline"', "multi\nline"),
        ("K='multi\nline'", "multi\nline"),
        ("K=a=b=c", "a=b=c"),
        ("K=first\nK=second", "second"),
        ("# K=commented\nK=real", "real"),
        ("\n\n  \nK=after blank lines\n", "after blank lines"),
        ("K=crlf\r\nOTHER=x\r\n", "crlf"),
        ("K=it's", "it's"),
    ],
)
def test_dotenv_values(text: str, value: str) -> None:
    """Each form of assignment gives the value python-dotenv would."""
    entries, bad = parse_dotenv(text)
    assert entries["K"][0] == value
    assert bad == []


@pytest.mark.parametrize(
    ("text", "bad_line"),
    [
        ("NO_EQUALS", 1),
        ("OK=1\nbad key=1", 2),
        ('K="unterminated', 1),
        ("K='unterminated\nstill", 1),
        ('K="abc" trailing', 1),
        ("=value", 1),
    ],
)
def test_dotenv_lines_that_cannot_be_parsed_are_reported(text: str, bad_line: int) -> None:
    """Unparseable lines are skipped and their numbers returned."""
    entries, bad = parse_dotenv(text)
    assert "K" not in entries
    assert bad == [bad_line]


def test_dotenv_line_numbers() -> None:
    """Each value records the line where its definition starts."""
    entries, _ = parse_dotenv('# header\nA=1\nB="two\nlines"\nC=3\n')
    assert {name: line for name, (_, line) in entries.items()} == {"A": 2, "B": 3, "C": 5}


def test_dotenv_with_bom(tmp_path: Path) -> None:
    """A .env saved with a BOM (Windows editors) still works."""
    (tmp_path / ".env").write_bytes(b"\xef\xbb\xbfOPENAI_API_KEY=" + KEY.encode() + b"\n")
    assert resolve(cwd=tmp_path) == KEY


def test_importing_the_module_does_not_import_trio_or_httpx2() -> None:
    """`_secrets` stays cheap to import."""
    code = (
        "import sys, trio_openai\n"
        "before = {m for m in ('trio', 'httpx2') if m in sys.modules}\n"
        "import trio_openai._secrets\n"
        "print(sorted({m for m in ('trio', 'httpx2') if m in sys.modules} - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_ROOT
    )
    assert result.stdout.strip() == "[]"
