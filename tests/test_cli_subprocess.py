"""``python -m trio_openai`` end to end: a real process against a fake served by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import trio

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
    done = await trio_openai(
        "--base-url", fake_openai_server, "chat", key=KEY, cwd=tmp_path, stdin=b"piped words\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"piped words\n", b"")
    assert fake_openai.last_request.headers["authorization"] == f"Bearer {KEY}"


async def test_without_a_key_the_entry_point_exits_2_with_one_line(
    fake_openai_server: str, tmp_path: Path
) -> None:
    done = await trio_openai(
        "--base-url", fake_openai_server, "models", "list", key=None, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith(b"trio-openai: error: No API key")
    assert b"Traceback" not in done.stderr


async def test_an_api_error_exits_1_without_the_key_or_a_traceback(
    fake_openai: FakeOpenAI, fake_openai_server: str, tmp_path: Path
) -> None:
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
