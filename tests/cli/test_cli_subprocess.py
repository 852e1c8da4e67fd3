"""``python -m trio_openai`` end to end: a real process against a fake served by the test."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import trio

from trio_openai import open_client
from trio_openai.testing import FakeOpenAI

KEY = "sk-dummy-subprocess-key-0123456789"


def environment(*, key: str | None) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("OPENAI_") and name != "PYTHONASYNCIODEBUG"
    }
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return env


async def trio_openai(
    *argv: str, key: str | None, cwd: Path, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    with trio.fail_after(60):
        return await trio.run_process(
            [sys.executable, "-m", "trio_openai", *argv],
            stdin=stdin,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env=environment(key=key),
            cwd=cwd,
        )


async def test_the_entry_point_streams_a_chat_from_stdin(
    fake_openai: FakeOpenAI, fake_openai_server: str, tmp_path: Path
) -> None:
    """`python -m trio_openai chat` streams the reply to piped stdin, sending the env's key."""
    done = await trio_openai(
        "--base-url", fake_openai_server, "chat", key=KEY, cwd=tmp_path, stdin=b"piped words\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"piped words\n", b"")
    assert fake_openai.last_request.headers["authorization"] == f"Bearer {KEY}"


async def test_without_a_key_the_entry_point_exits_2_with_one_line(
    fake_openai_server: str, tmp_path: Path
) -> None:
    """Without a key the process exits 2 with the one-line error and no traceback."""
    done = await trio_openai(
        "--base-url", fake_openai_server, "models", "list", key=None, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith(b"trio-openai: error: No API key")
    assert b"Traceback" not in done.stderr


async def test_an_api_error_exits_1_without_the_key_or_a_traceback(
    fake_openai: FakeOpenAI, fake_openai_server: str, tmp_path: Path
) -> None:
    """A 401 makes the process exit 1 without the key or a traceback in its output."""
    fake_openai.add_fault("GET", "/models", status=401)
    done = await trio_openai(
        "--base-url", fake_openai_server, "models", "list", key=KEY, cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.startswith(b"trio-openai: error: 401")
    assert KEY.encode() not in done.stdout + done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is a POSIX affair")
async def test_ctrl_c_while_following_exits_130(
    fake_openai: FakeOpenAI, fake_openai_server: str, tmp_path: Path
) -> None:
    """SIGINT while following a batch exits 130 with "interrupted" and no traceback."""
    batch = {"id": "batch_1", "object": "batch", "status": "in_progress"}
    fake_openai.add("GET", "/batches/{batch_id}", json=batch, times=None)
    command = [sys.executable, "-m", "trio_openai", "--base-url", fake_openai_server]
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            process: trio.Process = await nursery.start(
                partial(
                    trio.run_process,
                    [*command, "batches", "follow", "batch_1", "--interval", "0.05"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    check=False,
                    env=environment(key=KEY),
                    cwd=tmp_path,
                )
            )
            assert process.stderr is not None
            stderr = b""
            async for data in process.stderr:
                if b"in_progress" in data and b"in_progress" not in stderr:
                    process.send_signal(signal.SIGINT)  # it is following: trio.run is up
                stderr += data
            assert await process.wait() == 130
    assert stderr.endswith(b"trio-openai: interrupted\n")
    assert b"Traceback" not in stderr


# -- against `trio-openai fake-server`, itself a process, answering with its default replies ----


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m trio_openai --json fake-server --port 0`` for the module; its base URL."""
    cwd = tmp_path_factory.mktemp("fake-server")
    command = [sys.executable, "-m", "trio_openai", "--json", "fake-server", "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, env=environment(key=KEY), cwd=cwd
    ) as server:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 30)
        line = server.stdout.readline() if ready else b""
        try:
            assert line, "the fake server did not announce its URL within 30 s"
            yield json.loads(line)["base_url"]
        finally:
            server.terminate()
            server.wait(timeout=30)


def batch_lines(count: int) -> bytes:
    """A batch input file of *count* chat requests (about 100 bytes each)."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    lines = [
        {"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
        for i in range(count)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.mark.skipif(sys.platform == "win32", reason="select() on a pipe is POSIX")
async def test_files_upload_to_the_fake_server_goes_up_in_parts_with_a_bar(
    fake_server: str, tmp_path: Path
) -> None:
    """A 3-part upload draws a bar per part, prints the file id, and the file comes back whole."""
    content = batch_lines(16)
    assert 2048 < len(content) <= 3072  # three parts of 1 KiB
    (tmp_path / "requests.jsonl").write_bytes(content)
    done = await trio_openai(
        "--base-url", fake_server, "files", "upload", "requests.jsonl", "--purpose", "batch",
        "--part-size", "1K", key=KEY, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    file_id = done.stdout.decode().strip()
    bar = done.stderr.decode().splitlines()
    assert bar[0].startswith("requests.jsonl [------------------------------]   0%  0 B / 2.")
    assert [line.rsplit("  ", 1)[-1] for line in bar[1:4]] == ["part 1/3", "part 2/3", "part 3/3"]
    assert bar[3].startswith("requests.jsonl [##############################] 100%")
    assert (
        bar[4] == f"uploaded requests.jsonl ({len(content) / 1024:.1f} KiB, 3 parts) as {file_id}"
    )
    async with open_client(api_key=KEY, base_url=fake_server) as client:
        assert (await client.files.content(file_id)).content == content


@pytest.mark.skipif(sys.platform == "win32", reason="select() on a pipe is POSIX")
async def test_batches_follow_a_batch_of_the_fake_server_to_completed(
    fake_server: str, tmp_path: Path
) -> None:
    """A batch created on the fake server is followed through each status to completed."""
    async with open_client(api_key=KEY, base_url=fake_server) as client:
        stored = await client.files.create(file=("in.jsonl", batch_lines(3)), purpose="batch")
        batch = await client.batches.create(
            input_file_id=stored.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    done = await trio_openai(
        "--base-url", fake_server, "batches", "follow", batch.id, "--interval", "0.05",
        "--exit-status", key=KEY, cwd=tmp_path,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"{batch.id} completed\n".encode())
    status = done.stderr.decode().splitlines()
    assert status[:3] == [
        f"{batch.id}  in_progress  0/3 requests done, 0 failed",
        f"{batch.id}  finalizing  3/3 requests done, 0 failed",
        f"{batch.id}  completed  3/3 requests done, 0 failed",
    ]
    assert status[3].startswith("batch completed: output file file-fake-")


@pytest.mark.skipif(sys.platform == "win32", reason="select() on a pipe is POSIX")
async def test_fine_tuning_jobs_follow_json_to_succeeded(fake_server: str, tmp_path: Path) -> None:
    """``--json`` follow writes the job at each change; the last line is the succeeded job."""
    async with open_client(api_key=KEY, base_url=fake_server) as client:
        training = await client.files.create(
            file=("train.jsonl", b'{"messages": [{"role": "user", "content": "hi"}]}\n'),
            purpose="fine-tune",
        )
        job = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    done = await trio_openai(
        "--base-url", fake_server, "--json", "fine-tuning", "jobs", "follow", job.id,
        "--interval", "0.05", key=KEY, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    states = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["status"] for s in states] == ["queued", "running", "running", "running", "succeeded"]
    assert states[-1]["id"] == job.id
    assert states[-1]["fine_tuned_model"].startswith("ft:gpt-4o-mini:fake::")
    assert (
        done.stderr.decode()
        .splitlines()[-1]
        .startswith("fine-tuning job succeeded: model ft:gpt-4o-mini:fake::")
    )
