"""The command line never prints a key it resolved, whatever its source and whoever echoes it.

A hostile server (served here on 127.0.0.1, port 0) answers 401 and echoes the
key it was sent, in the forms a server writes it in: JSON-escaped in the body
(so the client's own scrub of the raw body misses it) and percent-encoded in a
URL. Each source of the key is tried, in process and as a real process, in
plain and ``--json`` modes; then stdout (replies, streamed deltas, JSON),
progress lines, tracebacks and log records, and the scrubber on its own.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import attrs
import pytest
import trio

import trio_openai
from trio_openai import open_azure_client, open_client
from trio_openai._cli import StringInput, run
from trio_openai._cli._scrub import (
    MARKER,
    LastResort,
    ScrubbedOutput,
    Scrubber,
    resolved_keys,
    warnings_to,
)
from trio_openai._client import Client
from trio_openai._http._auth import REDACTED
from trio_openai._secrets import Secret
from trio_openai.testing import FakeOpenAI

#: The rest of the server's message, which must survive the scrub.
SEE = "You can find your API key at https://platform.openai.com/account/api-keys."


def key_for(source: str) -> str:
    """A key of its own for each source; ``+``, ``/`` and ``=`` make its encodings differ."""
    return f"sk-{source}+Zm9v/YmFy=0123456789abcdefXYZ"


def json_escaped(key: str) -> str:
    r"""*key* as a JSON string's content may spell it: first character ``\uXXXX``, ``\/``."""
    return f"\\u{ord(key[0]):04x}" + key[1:].replace("/", "\\/")


def leaked_forms(key: str) -> list[str]:
    """What must never be printed: the key, and the forms one layer of encoding gives it."""
    percent = quote(key, safe="")
    return [
        key,
        percent,
        re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), percent),
        quote(key),
        quote_plus(key),
        json_escaped(key),
        key.replace("/", "\\/"),
    ]


def assert_no_key(key: str, *printed: str) -> None:
    for text in printed:
        for form in leaked_forms(key):
            assert form not in text


def echo_body(key: str) -> bytes:
    """A 401 body that echoes *key*: JSON-escaped in the message, percent-encoded in a URL."""
    message = (
        f"Incorrect API key provided: {json_escaped(key)}. "
        f"As a query: ?key={quote(key, safe='')}. {SEE}"
    )
    # Written by hand: json.dumps would not escape the key, and the client's
    # scrub of the raw body would then catch it before the command line does.
    return (
        '{"error": {"message": "' + message + '", "type": "invalid_request_error", '
        '"param": null, "code": "invalid_api_key"}}'
    ).encode()


def echoed_message() -> str:
    """The server's message as the command must print it."""
    return f"Incorrect API key provided: {MARKER}. As a query: ?key={MARKER}. {SEE}"


async def _echo_key(stream: trio.SocketStream) -> None:
    """Answer one request with 401 and the key it carried (Bearer or Azure's api-key)."""
    async with stream:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await stream.receive_some(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = await stream.receive_some(65536)
            if not chunk:
                return
            body += chunk
        key = headers.get("api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        reply = echo_body(key)
        await stream.send_all(
            b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            b"x-request-id: req_echo\r\nconnection: close\r\n"
            b"content-length: " + str(len(reply)).encode() + b"\r\n\r\n" + reply
        )


@pytest.fixture
async def echo_server(nursery: trio.Nursery) -> str:
    """A server on 127.0.0.1 (port 0) that answers 401 echoing the key; its root URL."""
    listeners = await nursery.start(partial(trio.serve_tcp, _echo_key, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- where the key comes from ------------------------------------------------------------------


@attrs.frozen
class Source:
    """A place the key is found; `arrange` puts it there for a run in *cwd*."""

    name: str
    arrange: Callable[[Path, str], tuple[list[str], dict[str, str]]]

    @property
    def key(self) -> str:
        return key_for(self.name)


def _dotenv(cwd: Path, key: str) -> tuple[list[str], dict[str, str]]:
    (cwd / ".env").write_text(f"# the project's settings\nOPENAI_API_KEY={key}\n")
    return [], {}


def _env_file(cwd: Path, key: str) -> tuple[list[str], dict[str, str]]:
    (cwd / "secrets").mkdir()
    (cwd / "secrets" / "openai.env").write_text(f"export OPENAI_API_KEY='{key}'\n")
    return [], {"OPENAI_ENV_FILE": "secrets/openai.env"}


def _env_var(cwd: Path, key: str) -> tuple[list[str], dict[str, str]]:
    return [], {"OPENAI_API_KEY": key}


def _argument(cwd: Path, key: str) -> tuple[list[str], dict[str, str]]:
    return ["--api-key", key], {}


def _azure(cwd: Path, key: str) -> tuple[list[str], dict[str, str]]:
    return [], {"AZURE_OPENAI_API_KEY": key}


SOURCES = [
    Source("dotenv", _dotenv),
    Source("env-file", _env_file),
    Source("env-var", _env_var),
    Source("argument", _argument),
]
AZURE = Source("azure", _azure)
MODES = [pytest.param([], id="plain"), pytest.param(["--json"], id="json")]


def isolate(monkeypatch: pytest.MonkeyPatch, cwd: Path, env: dict[str, str]) -> None:
    """Run in *cwd* with no key variable but those of *env*."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "AZURE_OPENAI_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)


@attrs.frozen
class Printed:
    code: int
    out: str
    err: str


async def cli(*argv: str, client_factory: Any = None, stdin: str = "") -> Printed:
    out, err = io.StringIO(), io.StringIO()
    code = await run(
        argv, stdout=out, stderr=err, stdin=StringInput(stdin), client_factory=client_factory
    )
    return Printed(code, out.getvalue(), err.getvalue())


async def cli_process(*argv: str, cwd: Path, env: dict[str, str]) -> Printed:
    """``python -m trio_openai`` in *cwd*, importing the same trio_openai as this test."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "AZURE_OPENAI_")) and name != "PYTHONASYNCIODEBUG"
    }
    environ["PYTHONPATH"] = str(Path(trio_openai.__file__).parents[1])
    with trio.fail_after(60):
        done = await trio.run_process(
            [sys.executable, "-m", "trio_openai", *argv],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env={**environ, **env},
            cwd=cwd,
        )
    return Printed(done.returncode, done.stdout.decode(), done.stderr.decode())


def assert_scrubbed_401(printed: Printed, key: str) -> None:
    assert printed.code == 1, printed.err
    assert_no_key(key, printed.out, printed.err)
    assert printed.out == ""
    error = next(line for line in printed.err.splitlines() if "error:" in line)
    assert error.startswith("trio-openai: error: 401 ")
    assert echoed_message() in error
    assert "(request id req_echo)" in error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
async def test_a_401_echoing_the_key_prints_no_key_in_process(
    source: Source,
    mode: list[str],
    echo_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the key's source, the echoed key is replaced and the rest of the message kept."""
    argv, env = source.arrange(tmp_path, source.key)
    isolate(monkeypatch, tmp_path, env)
    printed = await cli(
        *mode, *argv, "--base-url", f"{echo_server}/v1", "--max-retries", "0", "models", "list"
    )
    assert_scrubbed_401(printed, source.key)


@pytest.mark.parametrize("mode", MODES)
async def test_a_401_echoing_the_azure_key_prints_no_key(
    mode: list[str], echo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an Azure client (``AZURE_OPENAI_API_KEY``, ``api-key`` header), the same holds."""
    argv, env = AZURE.arrange(tmp_path, AZURE.key)
    isolate(monkeypatch, tmp_path, env)
    azure = partial(open_azure_client, azure_endpoint=echo_server)
    printed = await cli(*mode, *argv, "--max-retries", "0", "models", "list", client_factory=azure)
    assert_scrubbed_401(printed, AZURE.key)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
async def test_a_401_echoing_the_key_prints_no_key_from_the_entry_point(
    source: Source, mode: list[str], echo_server: str, tmp_path: Path
) -> None:
    """The same through ``python -m trio_openai``: a real process, its real streams."""
    argv, env = source.arrange(tmp_path, source.key)
    printed = await cli_process(
        *mode, *argv, "--base-url", f"{echo_server}/v1", "--max-retries", "0", "models", "list",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert_scrubbed_401(printed, source.key)


# -- stdout, progress lines, tracebacks, log records -------------------------------------------


@pytest.fixture
def dotenv_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The key, found in ``.env`` in the working directory (a source the CLI used to miss)."""
    key = key_for("dotenv")
    _, env = _dotenv(tmp_path, key)
    isolate(monkeypatch, tmp_path, env)
    return key


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


def chunk(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


async def test_a_reply_echoing_the_key_is_scrubbed_on_stdout(
    dotenv_key: str, fake_openai: FakeOpenAI, fake_openai_server: str
) -> None:
    """A reply that holds the key, plain, percent-encoded or JSON-escaped, prints none of them."""
    content = (
        f"plain {dotenv_key} / url {quote(dotenv_key, safe='')} / json {json_escaped(dotenv_key)}"
    )
    fake_openai.add("POST", "/chat/completions", json=completion(content))
    printed = await cli("--base-url", fake_openai_server, "chat", "--no-stream", "hi")
    assert_no_key(dotenv_key, printed.out, printed.err)
    assert printed.out == f"plain {MARKER} / url {MARKER} / json {MARKER}\n"


async def test_json_output_is_scrubbed_and_stays_valid_json(
    dotenv_key: str, fake_openai: FakeOpenAI, fake_openai_server: str
) -> None:
    """``--json``: the document has no key, and a JSON-escaped key does not break the JSON."""
    content = f"plain {dotenv_key} / json {json_escaped(dotenv_key)}"
    fake_openai.add("POST", "/chat/completions", json=completion(content))
    printed = await cli("--base-url", fake_openai_server, "--json", "chat", "--no-stream", "hi")
    assert_no_key(dotenv_key, printed.out, printed.err)
    document = json.loads(printed.out)
    assert document["choices"][0]["message"]["content"] == f"plain {MARKER} / json {MARKER}"


@pytest.mark.parametrize("cut", [1, 3, 10, 25, -1])
async def test_a_key_streamed_over_several_deltas_is_scrubbed(
    cut: int, dotenv_key: str, fake_openai: FakeOpenAI, fake_openai_server: str
) -> None:
    """A key split between two deltas is still caught: the start of a key waits for the rest."""
    text = f"before {dotenv_key} after"
    at = text.index(dotenv_key) + (cut if cut > 0 else len(dotenv_key) + cut)
    pieces = ["Hello, ", text[:at], text[at:], "."]
    fake_openai.add("POST", "/chat/completions", sse=[chunk(piece) for piece in pieces])
    printed = await cli("--base-url", fake_openai_server, "chat", "hi")
    assert printed.code == 0, printed.err
    assert_no_key(dotenv_key, printed.out)
    assert printed.out == f"Hello, before {MARKER} after.\n"


@pytest.mark.parametrize("mode", MODES)
async def test_status_lines_and_results_of_follow_are_scrubbed(
    mode: list[str], dotenv_key: str, fake_openai: FakeOpenAI, fake_openai_server: str
) -> None:
    """``batches follow``: the live status line (stderr) and the result (stdout) hold no key."""
    batch = {
        "id": f"batch_{dotenv_key}",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "created_at": 0,
        "status": "failed",
        "request_counts": {"total": 2, "completed": 0, "failed": 2},
        "errors": {"object": "list", "data": [{"message": f"bad key {dotenv_key}"}]},
    }
    fake_openai.add("GET", "/batches/{batch_id}", json=batch)
    printed = await cli("--base-url", fake_openai_server, *mode, "batches", "follow", "batch_1")
    assert printed.code == 0, printed.err
    assert_no_key(dotenv_key, printed.out, printed.err)
    assert f"batch_{MARKER}  failed  0/2 requests done, 2 failed\n" in printed.err
    assert f"batch failed: bad key {MARKER}\n" in printed.err
    if mode:
        assert json.loads(printed.out)["id"] == f"batch_{MARKER}"
    else:
        assert printed.out == f"batch_{MARKER} failed\n"


@asynccontextmanager
async def failing_factory(**options: Any) -> AsyncIterator[Client]:
    """Opens a real client, then fails with a bug whose message holds the key it resolved."""
    async with open_client(**options) as client:
        key = client.options.api_key.get_secret_value()
        if key:
            raise RuntimeError(f"bug near {key}")
        yield client  # pragma: no cover -- a key is always found here


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
async def test_an_unexpected_error_and_its_traceback_are_scrubbed(
    debug: list[str], dotenv_key: str, echo_server: str
) -> None:
    """A bug's message holding the key is scrubbed; ``--debug`` prints its traceback, scrubbed."""
    printed = await cli(
        *debug, "--base-url", f"{echo_server}/v1", "models", "list", client_factory=failing_factory
    )
    assert printed.code == 1
    assert_no_key(dotenv_key, printed.out, printed.err)
    assert f"RuntimeError: bug near {MARKER}" in printed.err
    assert ("Traceback (most recent call last)" in printed.err) == bool(debug)


async def test_a_library_warning_of_the_entry_point_is_scrubbed(
    fake_openai: FakeOpenAI, fake_openai_server: str, tmp_path: Path
) -> None:
    """A warning logged with no handler configured (a failed upload cancel) prints no key."""
    key = key_for("warning")
    upload = {
        "id": "upload_1",
        "object": "upload",
        "bytes": 10,
        "created_at": 0,
        "expires_at": 0,
        "filename": "data.jsonl",
        "purpose": "batch",
        "status": "pending",
    }
    fake_openai.add("POST", "/uploads", json=upload)
    fake_openai.add_fault("POST", "/uploads/{upload_id}/parts", status=400)
    echo = {"error": {"message": f"No such key ?key={quote(key, safe='')}", "code": "bad_key"}}
    fake_openai.add_fault("POST", "/uploads/{upload_id}/cancel", status=401, json=echo)
    (tmp_path / "data.jsonl").write_text("{}\n" * 5)
    printed = await cli_process(
        "--base-url", fake_openai_server, "files", "upload", "data.jsonl", "--purpose", "batch",
        "--no-progress", cwd=tmp_path, env={"OPENAI_API_KEY": key},
    )  # fmt: skip
    assert printed.code == 1
    assert_no_key(key, printed.out, printed.err)
    warning = next(line for line in printed.err.splitlines() if "Could not cancel" in line)
    assert warning.startswith("Could not cancel upload upload_1 after a failure: 401 ")
    assert f"No such key ?key={MARKER}" in warning


def test_log_records_no_handler_takes_go_through_the_scrubbed_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last-resort handler `main` installs writes a run's warnings scrubbed to its stderr."""
    key = key_for("log")
    logger = logging.getLogger("tests.cli_secrets.unhandled")
    monkeypatch.setattr(logger, "propagate", False)  # pytest's handlers sit on the root
    monkeypatch.setattr(logging, "lastResort", LastResort(None))
    err = io.StringIO()
    stderr = ScrubbedOutput(err, Scrubber([Secret(key)]))
    with warnings_to(stderr):
        logger.warning("Realtime: a server message is not a JSON object: %r", key)
        logger.info("below WARNING: not printed")
    logger.warning("outside a run: no fallback, not printed")
    assert err.getvalue() == f"Realtime: a server message is not a JSON object: '{MARKER}'\n"


# -- the scrubber ------------------------------------------------------------------------------


def test_the_marker_is_the_clients() -> None:
    """One marker in a message, whether the client or the command line scrubbed the key."""
    assert MARKER == REDACTED


def test_every_source_of_the_chain_is_resolved(tmp_path: Path) -> None:
    """``resolved_keys`` finds the OpenAI and the Azure key, in the environment or the files."""
    (tmp_path / ".env").write_text("AZURE_OPENAI_API_KEY=az-from-dotenv-0123\n")
    (tmp_path / "more.env").write_text("OPENAI_API_KEY=sk-from-env-file-0123\n")
    found = resolved_keys(env={"OPENAI_ENV_FILE": "more.env"}, cwd=tmp_path)
    assert [key.get_secret_value() for key in found] == [
        "sk-from-env-file-0123",
        "az-from-dotenv-0123",
    ]
    assert resolved_keys(env={"OPENAI_API_KEY": "sk bad key"}, cwd=tmp_path / "none") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-abc+d/ef=0123 end", f"key {MARKER} end"),
        ("sk-abc%2Bd%2fef%3D0123", MARKER),  # percent-encoded, either case
        ("sk-abc+d\\/ef=0123", MARKER),  # JSON's \/
        ("\\u0073k-abc\\u002Bd/ef=0123", MARKER),  # \u escapes, either case
        ("sk-abc+d/ef=0123sk-abc+d/ef=0123", MARKER * 2),
        ("sk-abc+d/****0123", "sk-abc+d/****0123"),  # masked in the middle: not the key
        ("sk-abc+d/ef=012", "sk-abc+d/ef=012"),  # cut short: not the key
        ("SK-ABC+D/EF=0123", "SK-ABC+D/EF=0123"),  # another key (keys are case-sensitive)
        ("%252B and 50% done", "%252B and 50% done"),
    ],
)
def test_the_scrubber_replaces_the_whole_key_in_one_layer_of_escaping(
    text: str, expected: str
) -> None:
    """What counts as the key: the whole of it, verbatim or escaped once per character."""
    assert Scrubber([Secret("sk-abc+d/ef=0123")]).scrub(text) == expected


def test_short_texts_are_not_keys_and_the_repr_shows_no_key() -> None:
    """A key under 8 characters is not scrubbed (it would garble words); no repr shows a key."""
    scrubber = Scrubber([Secret("sk-fake"), Secret("sk-abc+d/ef=0123")])
    assert scrubber.scrub("sk-fake and sk-abc+d/ef=0123") == f"sk-fake and {MARKER}"
    output = ScrubbedOutput(io.StringIO(), scrubber)
    output.write("held: sk-abc+d")
    assert "abc" not in repr(scrubber) + repr(output)


def test_of_two_keys_matching_at_one_place_the_longer_is_replaced_whole() -> None:
    """A key that starts another does not leave the longer key's tail behind."""
    scrubber = Scrubber([Secret("sk-abc+d/ef=0123"), Secret("sk-abc+d/ef=0123-and-more")])
    assert scrubber.scrub("a sk-abc+d/ef=0123-and-more b") == f"a {MARKER} b"
    assert scrubber.scrub("a sk-abc+d/ef=0123-and b") == f"a {MARKER}-and b"


def test_a_stream_holds_back_only_what_may_start_a_key() -> None:
    """Text is written at once unless its end may start a key; `release` writes what is held."""
    real = io.StringIO()
    output = ScrubbedOutput(real, Scrubber([Secret("sk-abc+d/ef=0123")]))
    output.write("Yes, 50% of it is ")
    assert real.getvalue() == "Yes, 50% of it is "
    output.write("sk-abc")
    output.flush()  # a command flushes after every delta: the start of the key stays held
    assert real.getvalue() == "Yes, 50% of it is "
    output.write("+d/ef=0123 and sk")
    assert real.getvalue() == f"Yes, 50% of it is {MARKER} and "
    output.write("y is blue")
    assert real.getvalue() == f"Yes, 50% of it is {MARKER} and sky is blue"
    output.write(", sk-a")
    output.release()
    assert real.getvalue() == f"Yes, 50% of it is {MARKER} and sky is blue, sk-a"


def test_json_data_is_scrubbed_value_by_value() -> None:
    """Strings anywhere in the data, object keys included, are scrubbed; other values kept."""
    scrubber = Scrubber([Secret("sk-abc+d/ef=0123")])
    data = {"sk-abc+d/ef=0123": [1, None, "a \\u0073k-abc+d/ef=0123"], "n": 2.5}
    assert scrubber.scrub_data(data) == {MARKER: [1, None, f"a {MARKER}"], "n": 2.5}
