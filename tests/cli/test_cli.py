"""The ``trio-openai`` command line, run in-process (`trio_openai._cli.run`) against the fake."""

from __future__ import annotations

import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from trio_openai._cli import StringInput, run
from trio_openai._cli._scrub import MARKER
from trio_openai.testing import FakeOpenAI


@attrs.frozen
class Result:
    code: int
    out: str
    err: str


class TimedOutput(io.StringIO):
    """stdout that notes when (trio time) each piece of text was written."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((trio.current_time(), text))
        return super().write(text)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


async def cli(
    *argv: str,
    fake: FakeOpenAI | None = None,
    stdin: str = "",
    stdin_tty: bool = False,
    stdout: io.StringIO | None = None,
    stderr: io.StringIO | None = None,
) -> Result:
    out = stdout if stdout is not None else io.StringIO()
    err = stderr if stderr is not None else io.StringIO()
    code = await run(
        argv,
        stdout=out,
        stderr=err,
        stdin=StringInput(stdin, tty=stdin_tty),
        client_factory=None if fake is None else fake.client,
    )
    return Result(code, out.getvalue(), err.getvalue())


def chunk(content: str | None, *, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


# -- parsing and exit codes -------------------------------------------------------------------


async def test_help_is_printed_on_stdout_with_exit_code_0() -> None:
    """`--help` prints the commands on stdout, nothing on stderr, and exits 0."""
    result = await cli("--help")
    assert (result.code, result.err) == (0, "")
    assert "chat" in result.out
    assert "fake-server" in result.out


async def test_an_unknown_command_is_a_usage_error_with_exit_code_2() -> None:
    """An unknown command prints the usage and argparse's error, and exits 2."""
    result = await cli("nonsense")
    assert result.code == 2
    assert result.err.startswith("usage: trio-openai")
    assert "trio-openai: error: argument COMMAND: invalid choice: 'nonsense'" in result.err


async def test_an_invalid_option_value_names_the_option() -> None:
    """A bad option value exits 2 with an error naming the option and the value."""
    result = await cli("batches", "follow", "b", "--interval", "0")
    assert result.code == 2
    assert "argument --interval: must be more than 0: '0'" in result.err


async def test_global_options_work_after_the_command(fake_openai: FakeOpenAI) -> None:
    """A global option such as `--json` is accepted after the command."""
    result = await cli("models", "list", "--json", fake=fake_openai)
    assert [m["id"] for m in json.loads(result.out)] == list(fake_openai.models)


# -- chat --------------------------------------------------------------------------------------


async def test_chat_writes_each_delta_as_it_arrives(
    fake_openai: FakeOpenAI, autojump_clock: trio.testing.MockClock
) -> None:
    """`chat` writes each delta the moment it arrives, and the newline at the end."""
    events = [chunk("Hel"), chunk("lo"), chunk("!"), chunk(None, finish="stop")]
    fake_openai.add("POST", "/chat/completions", sse=events, interval=1.0)
    out = TimedOutput()
    start = trio.current_time()
    result = await cli("chat", "hi", fake=fake_openai, stdout=out)
    written = [(t - start, text) for t, text in out.writes if text]
    # The newline comes once the stream has ended: [DONE] arrives at 4 s.
    assert written == [(0.0, "Hel"), (1.0, "lo"), (2.0, "!"), (4.0, "\n")]
    assert result.code == 0


async def test_chat_reads_stdin_and_sends_the_system_message_first(
    fake_openai: FakeOpenAI,
) -> None:
    """`chat` reads the message from stdin, sends `--system` first, and streams with `--model`."""
    result = await cli(
        "chat", "--model", "gpt-4o", "--system", "Be brief.", fake=fake_openai, stdin="ping pong\n"
    )
    body = fake_openai.last_request.json()
    assert (result.code, result.out) == (0, "ping pong\n")
    assert body["model"] == "gpt-4o"
    assert body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "ping pong"},
    ]


async def test_chat_with_no_message_on_a_terminal_is_a_usage_error(
    fake_openai: FakeOpenAI,
) -> None:
    """`chat` with no message and stdin a terminal exits 2 saying how to give one."""
    result = await cli("chat", fake=fake_openai, stdin_tty=True)
    assert result.code == 2
    assert "give the message as arguments, or pipe it on stdin" in result.err
    assert fake_openai.requests == []


async def test_chat_json_streams_one_json_line_per_chunk(fake_openai: FakeOpenAI) -> None:
    """`--json chat` writes each chunk as one JSON line; their deltas make the reply."""
    result = await cli("--json", "chat", "one two", fake=fake_openai)
    lines = [json.loads(line) for line in result.out.splitlines()]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in lines if c["choices"])
    assert text == "one two"
    assert all(line["object"] == "chat.completion.chunk" for line in lines)


async def test_chat_no_stream_json_is_one_document(fake_openai: FakeOpenAI) -> None:
    """`chat --no-stream --json` prints the whole completion as one JSON document."""
    result = await cli("chat", "--no-stream", "--json", "hello", fake=fake_openai)
    assert json.loads(result.out)["choices"][0]["message"]["content"] == "hello"


# -- responses ---------------------------------------------------------------------------------


async def test_responses_streams_the_text_with_instructions(fake_openai: FakeOpenAI) -> None:
    """`responses` streams the text and sends the input with `--instructions`."""
    result = await cli("responses", "--instructions", "Be kind.", "echo me", fake=fake_openai)
    body = fake_openai.last_request.json()
    assert (result.code, result.out) == (0, "echo me\n")
    assert (body["input"], body["instructions"], body["stream"]) == ("echo me", "Be kind.", True)


async def test_responses_failed_event_exits_1_with_the_reason(fake_openai: FakeOpenAI) -> None:
    """A `response.failed` event exits 1 after the text so far, with the error's message."""
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "status": "failed",
        "model": "m",
        "output": [],
        "error": {"code": "server_error", "message": "The model crashed."},
    }
    fake_openai.add(
        "POST",
        "/responses",
        sse=[
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "delta": "Hal",
                    "item_id": "i",
                    "output_index": 0,
                    "content_index": 0,
                    "sequence_number": 1,
                },
            ),
            (
                "response.failed",
                {"type": "response.failed", "response": response, "sequence_number": 2},
            ),
        ],
        done=False,
    )
    result = await cli("responses", "hi", fake=fake_openai)
    assert (result.code, result.out) == (1, "Hal\n")
    assert result.err == "trio-openai: error: the response failed: The model crashed.\n"


async def test_responses_no_stream_prints_the_output_text(fake_openai: FakeOpenAI) -> None:
    """`responses --no-stream` prints the output text."""
    result = await cli("responses", "--no-stream", "whole", fake=fake_openai)
    assert (result.code, result.out) == (0, "whole\n")


# -- models ------------------------------------------------------------------------------------


async def test_models_list_prints_every_model_sorted_in_columns() -> None:
    """`models list` prints the models sorted by id, in aligned columns."""
    fake = FakeOpenAI(models=["b-model", "a-long-model-name"])
    result = await cli("models", "list", fake=fake)
    assert result.out.splitlines() == [
        "a-long-model-name  system  2025-01-01",
        "b-model            system  2025-01-01",
    ]


# -- errors ------------------------------------------------------------------------------------


async def test_an_api_error_is_one_line_on_stderr_with_exit_code_1(fake_openai: FakeOpenAI) -> None:
    """An API error exits 1 with one line on stderr naming status and route, no traceback."""
    fake_openai.add_fault("GET", "/models", status=403)
    result = await cli("models", "list", fake=fake_openai)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("trio-openai: error: 403 Forbidden from GET /v1/models")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


async def test_a_refused_connection_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection exits 1 with a connection error naming the request."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-key-for-tests")
    # A port that was just free and is bound by nobody now: connecting is refused.
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    result = await cli("--base-url", base_url, "--max-retries", "0", "models", "list")
    assert result.code == 1
    assert result.err.startswith("trio-openai: error: Connection error on GET")


async def test_no_api_key_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_openai_server: str
) -> None:
    """No key in the environment or a .env file exits 2 saying there is no API key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file here
    result = await cli("--base-url", fake_openai_server, "models", "list")
    assert result.code == 2
    assert result.err.startswith("trio-openai: error: No API key")


async def test_the_api_key_is_never_printed(
    fake_openai_server: str, fake_openai: FakeOpenAI
) -> None:
    """A key the server echoes is masked in the output; `--api-key` warns of shell history."""
    key = "sk-proj-do-not-show-me-0123456789"
    error = {"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}}
    fake_openai.add_fault("GET", "/models", status=401, json=error)
    result = await cli("--base-url", fake_openai_server, "--api-key", key, "models", "list")
    assert result.code == 1
    assert key not in result.out + result.err
    assert f"Incorrect API key provided: {MARKER}." in result.err
    assert "warning: --api-key leaves the key in your shell history" in result.err
    assert fake_openai.last_request.headers["authorization"] == f"Bearer {key}"


# -- files upload ------------------------------------------------------------------------------


def script_upload(fake: FakeOpenAI, parts: int) -> None:
    upload = {
        "id": "upload_1",
        "object": "upload",
        "bytes": 2500,
        "created_at": 0,
        "expires_at": 0,
        "filename": "data.jsonl",
        "purpose": "batch",
    }
    fake.add("POST", "/uploads", json={**upload, "status": "pending"})
    for index in range(parts):
        fake.add("POST", "/uploads/{upload_id}/parts", json={"id": f"part_{index}"})
    file = {
        "id": "file-up-1",
        "object": "file",
        "bytes": 2500,
        "created_at": 0,
        "filename": "data.jsonl",
        "purpose": "batch",
    }
    fake.add(
        "POST",
        "/uploads/{upload_id}/complete",
        json={**upload, "status": "completed", "file": file},
    )


async def test_files_upload_draws_a_progress_bar_part_by_part(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """`files upload` draws one progress line per part, then a summary, and prints the file id."""
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"x" * 2500)
    script_upload(fake_openai, parts=3)
    result = await cli(
        "files", "upload", str(path), "--purpose", "batch", "--part-size", "1000", fake=fake_openai
    )
    lines = result.err.splitlines()
    assert (result.code, result.out) == (0, "file-up-1\n")
    assert lines[0] == "data.jsonl [------------------------------]   0%  0 B / 2.4 KiB"
    assert [line.split("]")[1].split()[0] for line in lines[1:4]] == ["40%", "80%", "100%"]
    assert lines[3].startswith("data.jsonl [##############################]")
    assert lines[3].endswith("2.4 KiB / 2.4 KiB  part 3/3")
    assert lines[4] == "uploaded data.jsonl (2.4 KiB, 3 parts) as file-up-1"
    assert [r.path for r in fake_openai.requests].count("/uploads/upload_1/parts") == 3


async def test_files_upload_redraws_the_bar_in_place_on_a_terminal(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """On a terminal the upload bar is redrawn in place on one line, once per part."""
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"x" * 2500)
    script_upload(fake_openai, parts=3)
    terminal = Terminal()
    result = await cli(
        "files",
        "upload",
        str(path),
        "--purpose",
        "batch",
        "--part-size",
        "1K",
        fake=fake_openai,
        stderr=terminal,
    )
    bar, summary = result.err.split("\n")[:2]
    assert bar.count("\r\x1b[K") == 4  # 0 %, then one redraw per part, on one line
    assert bar.endswith("part 3/3")
    assert summary.startswith("uploaded data.jsonl")


async def test_files_upload_json_prints_the_completed_upload(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """`--json files upload --no-progress` prints the completed upload and nothing on stderr."""
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"x" * 2500)
    script_upload(fake_openai, parts=1)
    result = await cli(
        "--json",
        "files",
        "upload",
        str(path),
        "--purpose",
        "batch",
        "--no-progress",
        fake=fake_openai,
    )
    assert json.loads(result.out)["file"]["id"] == "file-up-1"
    assert result.err == ""


async def test_files_upload_of_a_missing_file_is_a_usage_error(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """Uploading a missing file exits 2 naming it, before any request."""
    result = await cli(
        "files", "upload", str(tmp_path / "nope"), "--purpose", "batch", fake=fake_openai
    )
    assert (result.code, result.err) == (
        2,
        f"trio-openai: error: no such file: {tmp_path / 'nope'}\n",
    )
    assert fake_openai.requests == []


# -- batches / fine-tuning follow --------------------------------------------------------------


def batch(status: str, done: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": "batch_1",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "created_at": 0,
        "status": status,
        "request_counts": {"total": 10, "completed": done, "failed": 0},
        **extra,
    }


async def test_batches_follow_polls_at_the_interval_until_a_terminal_status(
    fake_openai: FakeOpenAI, autojump_clock: trio.testing.MockClock
) -> None:
    """`batches follow` polls every interval until done, printing each change once."""
    for state in (
        batch("validating"),
        batch("in_progress", 4),
        batch("in_progress", 4),
        batch("completed", 10, output_file_id="file-out"),
    ):
        fake_openai.add("GET", "/batches/{batch_id}", json=state)
    start = trio.current_time()
    result = await cli("batches", "follow", "batch_1", "--interval", "30", fake=fake_openai)
    assert trio.current_time() - start == 90.0  # three waits of 30 s, none after the end
    assert len(fake_openai.requests) == 4
    assert result.err.splitlines() == [
        "batch_1  validating  0/10 requests done, 0 failed",
        "batch_1  in_progress  4/10 requests done, 0 failed",  # shown once: it did not change
        "batch_1  completed  10/10 requests done, 0 failed",
        "batch completed: output file file-out",
    ]
    assert (result.code, result.out) == (0, "batch_1 completed\n")


async def test_batches_follow_json_writes_a_line_per_change(
    fake_openai: FakeOpenAI, autojump_clock: trio.testing.MockClock
) -> None:
    """`--json batches follow` writes one JSON line per status change, and exits 0."""
    for state in (batch("in_progress", 1), batch("in_progress", 1), batch("failed")):
        fake_openai.add("GET", "/batches/{batch_id}", json=state)
    result = await cli("--json", "batches", "follow", "batch_1", fake=fake_openai)
    assert [json.loads(line)["status"] for line in result.out.splitlines()] == [
        "in_progress",
        "failed",
    ]
    assert result.code == 0


async def test_batches_follow_redraws_a_timed_status_line_on_a_terminal(
    fake_openai: FakeOpenAI, autojump_clock: trio.testing.MockClock
) -> None:
    """On a terminal `batches follow` redraws one status line with the elapsed time."""
    for state in (batch("in_progress", 1), batch("completed", 10)):
        fake_openai.add("GET", "/batches/{batch_id}", json=state)
    result = await cli(
        "batches", "follow", "batch_1", "--interval", "75", fake=fake_openai, stderr=Terminal()
    )
    assert result.err.split("\n")[0] == (
        "\r\x1b[Kbatch_1  in_progress  1/10 requests done, 0 failed  [0s]"
        "\r\x1b[Kbatch_1  completed  10/10 requests done, 0 failed  [1m15s]"
    )


def job(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "ftjob-1",
        "object": "fine_tuning.job",
        "model": "gpt-4o-mini",
        "created_at": 0,
        "status": status,
        **extra,
    }


async def test_fine_tuning_follow_with_exit_status_exits_1_when_the_job_fails(
    fake_openai: FakeOpenAI, autojump_clock: trio.testing.MockClock
) -> None:
    """`fine-tuning jobs follow --exit-status` exits 1 when the job fails, with its error."""
    error = {"code": "invalid_training_file", "message": "Line 3 is not JSON.", "param": None}
    for state in (job("queued"), job("running", trained_tokens=1200), job("failed", error=error)):
        fake_openai.add("GET", "/fine_tuning/jobs/{job_id}", json=state)
    result = await cli(
        "fine-tuning",
        "jobs",
        "follow",
        "ftjob-1",
        "--exit-status",
        "--interval",
        "5",
        fake=fake_openai,
    )
    assert result.err.splitlines() == [
        "ftjob-1  queued",
        "ftjob-1  running  1200 tokens trained",
        "ftjob-1  failed",
        "fine-tuning job failed: Line 3 is not JSON.",
    ]
    assert (result.code, result.out) == (1, "ftjob-1 failed\n")


async def test_follow_of_an_unknown_id_exits_1(fake_openai: FakeOpenAI) -> None:
    """Following an unknown batch id exits 1 with the 404."""
    result = await cli("batches", "follow", "batch_nope", fake=fake_openai)
    assert result.code == 1
    assert "404" in result.err


# -- fake-server and demo ----------------------------------------------------------------------


class Announced(io.StringIO):
    """stdout that sets an event on the first write."""

    def __init__(self) -> None:
        super().__init__()
        self.written = trio.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


async def test_fake_server_serves_until_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """`fake-server --json` prints its URLs and serves the API until cancelled."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-key-for-tests")
    out = Announced()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(cli, "--json", "fake-server", "--realtime", stdout=out))
        await out.written.wait()
        urls = json.loads(out.getvalue())
        listed = await cli("--base-url", urls["base_url"], "models", "list")
        nursery.cancel_scope.cancel()
    assert urls["base_url"].startswith("http://127.0.0.1:")
    assert urls["realtime_base_url"].startswith("http://127.0.0.1:")
    assert listed.code == 0
    assert "gpt-4o-mini" in listed.out


async def test_demo_runs_against_the_embedded_fake(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    autojump_clock: trio.testing.MockClock,
) -> None:
    """`demo` without a key runs against the embedded fake, writing only to its given stdout."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = await cli("demo")
    assert result.code == 0
    assert "Target: the embedded fake server" in result.out
    assert "succeeded after 1 retry" in result.out
    assert capsys.readouterr().out == ""  # the demo writes where run() was told
