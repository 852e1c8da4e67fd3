"""The polling helpers (``_lib/_polling.py``): intervals, the header, statuses, cancellation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from trio_openai._lib._polling import (
    DEFAULT_POLL_INTERVAL_MS,
    PENDING,
    POLL_AFTER_HEADER,
    SLOW_POLL_INTERVAL_MS,
    poll_interval,
)
from trio_openai.testing import FakeOpenAI
from trio_openai.types.assistants import RunObject
from trio_openai.types.files import OpenAIFile

FILE = "/files/{file_id}"
RUN = "/threads/{thread_id}/runs/{run_id}"


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[trio_openai.Client]:
    async with fake_openai.client(max_retries=0) as opened:
        yield opened


async def stored_file(client: trio_openai.Client) -> dict[str, Any]:
    created = await client.files.create(file=("a.txt", b"abc", "text/plain"), purpose="assistants")
    return created.to_dict()


async def queued_run(client: trio_openai.Client) -> dict[str, Any]:
    assistant = await client.beta.assistants.create(model="gpt-4o-mini")
    thread = await client.beta.threads.create()
    run = await client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    return run.to_dict()


def gets(fake: FakeOpenAI, path_part: str) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and path_part in r.path)


def test_poll_interval_prefers_the_argument_then_the_header_then_the_default() -> None:
    """The caller's interval wins over the header, which wins over the default."""
    hinted = httpx2.Response(200, headers={POLL_AFTER_HEADER: "250"})
    plain = httpx2.Response(200)
    assert poll_interval(40, hinted, 1000) == 0.04
    assert poll_interval(None, hinted, 1000) == 0.25
    assert poll_interval(None, plain, 1000) == 1.0


@pytest.mark.parametrize("hint", ["soon", "-5", "nan", "inf", ""])
def test_poll_interval_ignores_a_header_that_is_not_a_non_negative_number(hint: str) -> None:
    """A malformed or negative hint falls back to the default instead of failing or spinning."""
    assert poll_interval(None, httpx2.Response(200, headers={POLL_AFTER_HEADER: hint}), 700) == 0.7


async def test_wait_for_processing_sleeps_the_slow_default_between_retrieves(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """Two ``uploaded`` answers, then ``processed``: three retrieves 5 s apart, a typed result."""
    body = await stored_file(client)
    fake_openai.add("GET", FILE, json={**body, "status": "uploaded"}, times=2)
    start = trio.current_time()
    done = await client.files.wait_for_processing(body["id"])
    assert isinstance(done, OpenAIFile)
    assert done.status == "processed"
    assert trio.current_time() - start == pytest.approx(2 * SLOW_POLL_INTERVAL_MS / 1000)
    assert gets(fake_openai, "/files/") == 3


async def test_the_poll_after_header_sets_the_next_wait(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """Each answer's ``openai-poll-after-ms`` sets the wait after it (250 ms, then 1500 ms)."""
    run = await queued_run(client)
    fake_openai.add("GET", RUN, json=run, headers={POLL_AFTER_HEADER: "250"})
    in_progress = {**run, "status": "in_progress"}
    fake_openai.add("GET", RUN, json=in_progress, headers={POLL_AFTER_HEADER: "1500"})
    fake_openai.add("GET", RUN, json={**run, "status": "completed"})
    start = trio.current_time()
    done = await client.beta.threads.runs.poll(run["id"], thread_id=run["thread_id"])
    assert isinstance(done, RunObject)
    assert done.status == "completed"
    assert trio.current_time() - start == pytest.approx(0.25 + 1.5)


async def test_poll_interval_ms_overrides_the_header(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """With ``poll_interval_ms`` the server's hint is ignored."""
    run = await queued_run(client)
    fake_openai.add("GET", RUN, json=run, headers={POLL_AFTER_HEADER: "60000"}, times=3)
    fake_openai.add("GET", RUN, json={**run, "status": "completed"})
    start = trio.current_time()
    await client.beta.threads.runs.poll(run["id"], thread_id=run["thread_id"], poll_interval_ms=20)
    assert trio.current_time() - start == pytest.approx(3 * 0.02)


async def test_the_callers_cancel_scope_bounds_the_wait(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """A run stuck ``in_progress`` is polled each second until ``move_on_after`` stops it."""
    run = await queued_run(client)
    fake_openai.add("GET", RUN, json={**run, "status": "in_progress"}, times=None)
    start = trio.current_time()
    with trio.move_on_after(3.5) as scope:
        await client.beta.threads.runs.poll(run["id"], thread_id=run["thread_id"])
    assert scope.cancelled_caught
    assert trio.current_time() - start == pytest.approx(3.5)
    # Retrieves at 0, 1, 2 and 3 s (the default interval), and nothing after the deadline.
    assert DEFAULT_POLL_INTERVAL_MS == 1000
    assert gets(fake_openai, "/runs/") == 4


@pytest.mark.parametrize(
    "status", ["requires_action", "completed", "failed", "cancelled", "expired", "incomplete"]
)
async def test_a_run_poll_returns_at_the_first_settled_status(
    client: trio_openai.Client, fake_openai: FakeOpenAI, status: str, autojump_clock: Any
) -> None:
    """Every status outside ``PENDING["thread.run"]`` ends the wait at once, failures included."""
    assert status not in PENDING["thread.run"]
    run = await queued_run(client)
    fake_openai.add("GET", RUN, json={**run, "status": status})
    start = trio.current_time()
    done = await client.beta.threads.runs.poll(run["id"], thread_id=run["thread_id"])
    assert done.status == status
    assert trio.current_time() == start


async def test_an_unknown_status_ends_the_wait_rather_than_polling_forever(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """A status the API adds later is returned as it is (the model keeps unknown values)."""
    body = await stored_file(client)
    fake_openai.add("GET", FILE, json={**body, "status": "quarantined"})
    done = await client.files.wait_for_processing(body["id"])
    assert done.status == "quarantined"


@pytest.mark.parametrize("bad", [-1, 1.5, True])
async def test_a_bad_poll_interval_is_refused_before_any_request(
    client: trio_openai.Client, fake_openai: FakeOpenAI, bad: Any
) -> None:
    """A negative, fractional or boolean ``poll_interval_ms`` raises ValueError, sending nothing."""
    sent = len(fake_openai.requests)
    with pytest.raises(ValueError, match="poll_interval_ms"):
        await client.batches.poll("batch_x", poll_interval_ms=bad)
    with pytest.raises(ValueError, match="poll_interval_ms"):
        await client.videos.create_and_poll(prompt="a cat", poll_interval_ms=bad)
    assert len(fake_openai.requests) == sent


async def test_a_failed_retrieve_raises_the_api_error(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Polling an unknown object raises NotFoundError (the fake's 404), not a loop."""
    with pytest.raises(trio_openai.NotFoundError):
        await client.fine_tuning.jobs.poll("ftjob-missing")


async def test_create_and_poll_returns_a_settled_creation_without_retrieving(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """A create answer already ``completed`` is the result: no retrieve, no wait."""
    store = await client.vector_stores.create(name="docs")
    body = await stored_file(client)
    attached = await client.vector_stores.files.create(store.id, file_id=body["id"])
    done_body = {**attached.to_dict(), "status": "completed"}
    fake_openai.add("POST", "/vector_stores/{vector_store_id}/files", json=done_body)
    start = trio.current_time()
    done = await client.vector_stores.files.create_and_poll(store.id, file_id=body["id"])
    assert done.status == "completed"
    assert trio.current_time() == start
    assert gets(fake_openai, "/vector_stores/") == 0


async def test_create_and_poll_honours_the_create_answers_header(
    client: trio_openai.Client, fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """The first wait after ``create`` is the create answer's ``openai-poll-after-ms``."""
    fake_openai.add("POST", "/videos", headers={POLL_AFTER_HEADER: "300"})
    start = trio.current_time()
    video = await client.videos.create_and_poll(prompt="a cat")
    # queued (create) -> 300 ms -> in_progress -> 1 s (default) -> completed
    assert video.status == "completed"
    assert trio.current_time() - start == pytest.approx(0.3 + DEFAULT_POLL_INTERVAL_MS / 1000)


async def test_a_failed_upload_cancels_the_others_and_raises_as_itself(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """``file_batches.upload_and_poll``: a 400 on one upload raises BadRequestError, no batch."""
    store = await client.vector_stores.create(name="docs")
    fake_openai.add_fault("POST", "/files", status=400)
    with pytest.raises(trio_openai.BadRequestError):
        await client.vector_stores.file_batches.upload_and_poll(
            store.id, files=[b"one", b"two", b"three"], max_concurrency=1
        )
    assert not any("/file_batches" in r.path for r in fake_openai.requests)


@pytest.mark.parametrize("kwargs", [{"files": []}, {"files": [b"x"], "max_concurrency": 0}])
async def test_upload_and_poll_refuses_nothing_to_upload_or_no_concurrency(
    client: trio_openai.Client, fake_openai: FakeOpenAI, kwargs: dict[str, Any]
) -> None:
    """No file at all, or ``max_concurrency`` 0, raises ValueError before any upload."""
    with pytest.raises(ValueError, match=r"file|max_concurrency"):
        await client.vector_stores.file_batches.upload_and_poll("vs_x", **kwargs)
    assert not any(r.path == "/files" for r in fake_openai.requests)


def test_the_sync_client_blocks_on_every_helper(fake_openai: FakeOpenAI) -> None:
    """On ``SyncClient`` each helper blocks and returns the same typed, settled object."""
    with fake_openai.sync_client(max_retries=0) as sync:
        uploaded = sync.files.create(file=("a.txt", b"text", "text/plain"), purpose="assistants")
        assert sync.files.wait_for_processing(uploaded.id).status == "processed"
        store = sync.vector_stores.create(name="docs")
        attached = sync.vector_stores.files.upload_and_poll(
            store.id, file=("b.txt", b"more", "text/plain"), poll_interval_ms=0
        )
        assert attached.status == "completed"
        batch = sync.vector_stores.file_batches.upload_and_poll(
            store.id, files=[b"c"], file_ids=[uploaded.id], poll_interval_ms=0
        )
        assert (batch.status, batch.file_counts.completed) == ("completed", 2)
        assistant = sync.beta.assistants.create(model="gpt-4o-mini")
        thread = sync.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
        run = sync.beta.threads.runs.create_and_poll(
            thread.id, assistant_id=assistant.id, poll_interval_ms=0
        )
        assert isinstance(run, RunObject)
        assert run.status == "completed"
        video = sync.videos.create_and_poll(prompt="a cat", poll_interval_ms=0)
        assert video.status == "completed"
