"""Our retries are logged through ``trio_openai`` only: stamina prints nothing of them."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import httpx2
import pytest
import stamina

from tests._support import mock_client

SCRIPT = textwrap.dedent(
    """
    import sys
    import httpx2, stamina, trio, trio_openai

    answers = [httpx2.Response(500, json={"error": {"message": "boom"}}),
               httpx2.Response(200, json={"ok": True})]

    async def ours():
        policy = trio_openai.RetryPolicy(initial_wait=0.0, jitter=0.0)
        async with httpx2.AsyncClient(
                transport=httpx2.MockTransport(lambda r: answers.pop(0))) as http:
            async with trio_openai.open_client(
                    http_client=http, api_key="sk-test-1234",
                    base_url="http://test.invalid/v1", retry_policy=policy) as client:
                print(await client.get("/x"))

    failed = []

    @stamina.retry(on=ValueError, attempts=2, wait_initial=0.0, wait_jitter=0.0)
    async def theirs():
        if not failed:
            failed.append(1)
            raise ValueError("once")

    trio.run(ours)
    sys.stderr.write("--theirs--\\n")
    trio.run(theirs)
    """
)


def test_a_retried_call_writes_nothing_to_stderr_by_default() -> None:
    """No logging set up: our retry prints nothing; another library's stamina retry still does."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.stdout.strip() == "{'ok': True}"
    ours, _, theirs = done.stderr.partition("--theirs--\n")
    assert ours == ""
    assert "stamina.retry_scheduled" in theirs


async def test_a_retry_is_logged_on_trio_openai_not_on_stamina(
    autojump_clock: object, caplog: pytest.LogCaptureFixture
) -> None:
    """The retry is one INFO record of `trio_openai`; the `stamina` logger gets none for it."""
    answers = [
        httpx2.Response(503, json={"error": {"message": "busy"}}),
        httpx2.Response(200, json={}),
    ]
    caplog.set_level(logging.DEBUG)
    async with mock_client(lambda request: answers.pop(0)) as (client, _):
        await client.get("/x")
    ours = [r for r in caplog.records if r.name == "trio_openai" and "retrying" in r.message]
    assert len(ours) == 1
    assert ours[0].levelno == logging.INFO
    assert "GET http://test.invalid/v1/x" in ours[0].getMessage()
    assert [r for r in caplog.records if r.name == "stamina"] == []


async def test_other_stamina_users_keep_their_log_records(
    autojump_clock: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A stamina retry outside trio_openai still logs on `stamina`, after ours ran."""
    answers = [httpx2.Response(500, json={}), httpx2.Response(200, json={})]
    async with mock_client(lambda request: answers.pop(0)) as (client, _):
        await client.get("/x")
    failed: list[int] = []

    @stamina.retry(on=ValueError, attempts=2, wait_jitter=0.0)
    async def theirs() -> None:
        if not failed:
            failed.append(1)
            raise ValueError("once")

    caplog.set_level(logging.WARNING, logger="stamina")
    await theirs()
    assert [r.getMessage() for r in caplog.records if r.name == "stamina"] == [
        "stamina.retry_scheduled"
    ]
