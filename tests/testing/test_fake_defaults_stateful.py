"""The fake's default vector stores, assistants/threads/runs and videos: statuses that advance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

import trio_openai
from tests._spec_support import fully_typed, spec_schemas, violations
from trio_openai.testing import FakeOpenAI

FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[trio_openai.Client]:
    async with fake_openai.client(max_retries=0) as opened:
        yield opened


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return spec_schemas()


# -- vector stores ------------------------------------------------------------------------------


async def test_a_vector_store_file_is_in_progress_then_completed_on_retrieve(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Attaching answers ``in_progress``; the next retrieve ``completed`` with the file's bytes."""
    stored = fake_openai.add_file(b"hello trio", purpose="assistants")
    store = await client.vector_stores.create(name="docs")
    attached = await client.vector_stores.files.create(store.id, file_id=stored.id)
    assert (attached.status, attached.usage_bytes) == ("in_progress", 0)
    busy = await client.vector_stores.retrieve.with_raw_response(store.id)
    assert busy.parse().file_counts.completed == 1  # retrieving the store processes its files
    again = await client.vector_stores.files.retrieve(stored.id, vector_store_id=store.id)
    assert (again.status, again.usage_bytes, again.last_error) == ("completed", 10, None)
    fully_typed(again)


async def test_an_empty_file_fails_with_a_last_error(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """An empty file is ``failed`` after one retrieve, with ``last_error.code`` invalid_file."""
    stored = fake_openai.add_file(b"", purpose="assistants")
    store = await client.vector_stores.create(name="docs")
    await client.vector_stores.files.create(store.id, file_id=stored.id)
    done = await client.vector_stores.files.poll(
        stored.id, vector_store_id=store.id, poll_interval_ms=0
    )
    assert done.status == "failed"
    assert done.last_error is not None
    assert done.last_error.code == "invalid_file"


async def test_a_file_batch_completes_on_retrieve_and_counts_its_files(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """A batch of two good files and an empty one: in_progress, then completed 2 / failed 1."""
    ids = [fake_openai.add_file(content, purpose="assistants").id for content in (b"a", b"b", b"")]
    store = await client.vector_stores.create(name="docs")
    batch = await client.vector_stores.file_batches.create(store.id, file_ids=ids)
    assert (batch.status, batch.file_counts.in_progress) == ("in_progress", 3)
    done = await client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    counts = done.file_counts
    assert (done.status, counts.completed, counts.failed, counts.total) == ("completed", 2, 1, 3)
    listed = [
        f.id
        async for f in client.vector_stores.file_batches.list_files(
            batch.id, vector_store_id=store.id, filter="completed"
        )
    ]
    assert sorted(listed) == sorted(ids[:2])


async def test_cancelling_a_file_batch_cancels_its_unprocessed_files(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Cancel before any retrieve: the batch and its files are ``cancelled``."""
    stored = fake_openai.add_file(b"a", purpose="assistants")
    store = await client.vector_stores.create(name="docs")
    batch = await client.vector_stores.file_batches.create(store.id, file_ids=[stored.id])
    cancelled = await client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert (cancelled.status, cancelled.file_counts.cancelled) == ("cancelled", 1)


async def test_attaching_an_unknown_file_is_a_404(client: trio_openai.Client) -> None:
    """A ``file_id`` the fake never stored gets NotFoundError."""
    store = await client.vector_stores.create(name="docs")
    with pytest.raises(trio_openai.NotFoundError):
        await client.vector_stores.files.create(store.id, file_id="file-nope")


async def test_search_finds_the_completed_files_containing_the_query(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Search scores files by the query words they contain; files in progress are not searched."""
    hit = fake_openai.add_file(b"trio nurseries and cancel scopes", purpose="assistants")
    miss = fake_openai.add_file(b"asyncio tasks", purpose="assistants")
    store = await client.vector_stores.create(name="docs", file_ids=[hit.id, miss.id])
    assert (await client.vector_stores.search(store.id, query="trio")).data == []
    await client.vector_stores.retrieve(store.id)
    page = await client.vector_stores.search(store.id, query="trio scopes")
    assert [r.file_id for r in page.data] == [hit.id]
    assert page.data[0].score == 1.0
    fully_typed(page)


# -- assistants, threads and runs ---------------------------------------------------------------


async def test_a_run_advances_queued_in_progress_completed_and_replies(
    client: trio_openai.Client,
) -> None:
    """Successive retrieves show queued, in_progress, completed; the reply echoes the user."""
    assistant = await client.beta.assistants.create(model="gpt-4o-mini", instructions="Be brief.")
    thread = await client.beta.threads.create(messages=[{"role": "user", "content": "Say hi"}])
    run = await client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    statuses = [run.status]
    for _ in range(3):
        run = await client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
        statuses.append(run.status)
    assert statuses == ["queued", "in_progress", "completed", "completed"]
    assert (run.instructions, run.model) == ("Be brief.", "gpt-4o-mini")
    assert run.usage is not None
    assert run.started_at is not None
    assert run.completed_at is not None
    fully_typed(run)
    messages = await client.beta.threads.messages.list(thread.id, order="asc")
    assert [m.role for m in messages.data] == ["user", "assistant"]
    reply = messages.data[1]
    assert reply.run_id == run.id
    assert reply.content[0].text.value == "Say hi"  # type: ignore[union-attr]
    fully_typed(messages.data)


async def test_a_run_with_a_function_tool_requires_action_then_uses_the_outputs(
    client: trio_openai.Client,
) -> None:
    """A function tool makes the run ask for outputs once; after them it completes naming them."""
    assistant = await client.beta.assistants.create(model="gpt-4o", tools=[FUNCTION_TOOL])
    thread = await client.beta.threads.create(messages=[{"role": "user", "content": "Look up"}])
    run = await client.beta.threads.runs.create_and_poll(
        thread.id, assistant_id=assistant.id, poll_interval_ms=0
    )
    assert run.status == "requires_action"
    assert run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("lookup", "{}")
    run = await client.beta.threads.runs.submit_tool_outputs(
        run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "42"}]
    )
    assert run.status == "in_progress"
    run = await client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=0)
    assert (run.status, run.required_action) == ("completed", None)
    messages = await client.beta.threads.messages.list(thread.id, run_id=run.id)
    assert "42" in messages.data[0].content[0].text.value  # type: ignore[union-attr]


async def test_a_runs_steps_record_the_tool_call_and_the_reply(
    client: trio_openai.Client,
) -> None:
    """Steps: a ``tool_calls`` step holding the submitted output, then a ``message_creation``."""
    assistant = await client.beta.assistants.create(model="gpt-4o", tools=[FUNCTION_TOOL])
    thread = await client.beta.threads.create(messages=[{"role": "user", "content": "Go"}])
    run = await client.beta.threads.runs.create_and_poll(
        thread.id, assistant_id=assistant.id, poll_interval_ms=0
    )
    assert run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    await client.beta.threads.runs.submit_tool_outputs(
        run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "7"}]
    )
    run = await client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=0)
    steps = [
        s
        async for s in client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc")
    ]
    fully_typed(steps)
    assert [(s.type, s.status) for s in steps] == [
        ("tool_calls", "completed"),
        ("message_creation", "completed"),
    ]
    assert steps[0].step_details.tool_calls[0].function.output == "7"  # type: ignore[union-attr]
    reply = await client.beta.threads.messages.list(thread.id, run_id=run.id)
    assert steps[1].step_details.message_creation.message_id == reply.data[0].id  # type: ignore[union-attr]
    one = await client.beta.threads.runs.steps.retrieve(
        steps[1].id, thread_id=thread.id, run_id=run.id
    )
    assert one.usage is not None
    assert run.usage is not None
    assert one.usage.total_tokens == run.usage.total_tokens


async def test_a_cancelled_run_is_cancelling_then_cancelled(client: trio_openai.Client) -> None:
    """Cancel answers ``cancelling``; the next retrieve ``cancelled``; a second cancel is a 400."""
    assistant = await client.beta.assistants.create(model="gpt-4o-mini")
    thread = await client.beta.threads.create()
    run = await client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    cancelling = await client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    done = await client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=0)
    assert (done.status, done.cancelled_at is not None) == ("cancelled", True)
    with pytest.raises(trio_openai.BadRequestError):
        await client.beta.threads.runs.cancel(run.id, thread_id=thread.id)


async def test_create_and_run_makes_the_thread_too(client: trio_openai.Client) -> None:
    """``threads.create_and_run`` starts a run on a new thread holding the given messages."""
    assistant = await client.beta.assistants.create(model="gpt-4o-mini")
    run = await client.beta.threads.create_and_run(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Yo"}]}
    )
    assert run.status == "queued"
    thread = await client.beta.threads.retrieve(run.thread_id)
    fully_typed(thread)


async def test_a_run_of_an_unknown_assistant_is_a_404(client: trio_openai.Client) -> None:
    """A run needs a stored assistant: NotFoundError otherwise."""
    thread = await client.beta.threads.create()
    with pytest.raises(trio_openai.NotFoundError):
        await client.beta.threads.runs.create(thread.id, assistant_id="asst_nope")


# -- videos -------------------------------------------------------------------------------------


async def test_a_video_is_queued_in_progress_then_completed_with_content(
    client: trio_openai.Client,
) -> None:
    """Retrieves show queued (0%), in_progress (50%), completed (100%); then content downloads."""
    video = await client.videos.create(prompt="a cat on a piano", seconds="8")
    seen = [(video.status, video.progress)]
    with pytest.raises(trio_openai.NotFoundError):
        await client.videos.download_content(video.id)
    for _ in range(2):
        video = await client.videos.retrieve(video.id)
        seen.append((video.status, video.progress))
    assert seen == [("queued", 0), ("in_progress", 50), ("completed", 100)]
    assert (video.seconds, video.expires_at is not None) == ("8", True)
    fully_typed(video)
    content = await client.videos.download_content(video.id)
    assert content.content.startswith(b"\x00\x00\x00\x18ftyp")
    assert content.content_type == "video/mp4"


async def test_a_prompt_asking_to_fail_makes_a_failed_video(client: trio_openai.Client) -> None:
    """A prompt containing "fail" ends ``failed`` with an error, and ``poll`` returns it."""
    video = await client.videos.create_and_poll(prompt="please fail", poll_interval_ms=0)
    assert video.status == "failed"
    assert video.error is not None


async def test_a_remix_starts_a_new_job_from_a_completed_video(client: trio_openai.Client) -> None:
    """Remix names its source and starts ``queued``; remixing an unfinished video is a 400."""
    source = await client.videos.create_and_poll(prompt="a cat", poll_interval_ms=0)
    remix = await client.videos.remix(source.id, prompt="a dog")
    assert (remix.status, remix.remixed_from_video_id) == ("queued", source.id)
    with pytest.raises(trio_openai.BadRequestError):
        await client.videos.remix(remix.id, prompt="a bird")


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/threads", {"messages": [1]}, "messages"),
        ("/threads", {"messages": [{"role": "user", "content": [1]}]}, "content"),
        ("/threads", {"messages": [{"role": "robot", "content": "x"}]}, "role"),
        ("/vector_stores", {"file_ids": "file-1"}, "file_ids"),
        ("/vector_stores", {"chunking_strategy": {"type": "static"}}, "chunking_strategy"),
        ("/videos", {"prompt": "x", "seconds": 5}, "seconds"),
        ("/videos", {}, "prompt"),
        ("/assistants", {}, "model"),
    ],
)
async def test_a_malformed_body_gets_a_400_naming_its_parameter(
    fake_openai: FakeOpenAI, path: str, body: dict[str, Any], param: str
) -> None:
    """Wrong shapes are answered like the API (400, ``param`` set), never a crash of the fake."""
    async with httpx2.AsyncClient(
        transport=fake_openai.transport(), base_url=fake_openai.base_url
    ) as http:
        response = await http.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


# -- the spec -----------------------------------------------------------------------------------


async def test_every_reply_of_these_lifecycles_fits_the_spec(
    fake_openai: FakeOpenAI, schemas: dict[str, Any]
) -> None:
    """Each JSON reply of a vector store, an assistant's run and a video, at each step, fits."""
    replies: list[tuple[str, object]] = []
    async with httpx2.AsyncClient(
        transport=fake_openai.transport(), base_url=fake_openai.base_url
    ) as http:

        async def call(schema: str, method: str, path: str, **kwargs: Any) -> Any:
            response = await http.request(method, path, **kwargs)
            assert response.status_code == 200, response.text
            replies.append((schema, response.json()))
            return response.json()

        good = fake_openai.add_file(b"some text", purpose="assistants").id
        empty = fake_openai.add_file(b"", purpose="assistants").id
        store = await call("VectorStoreObject", "POST", "/vector_stores", json={"name": "d"})
        base = f"/vector_stores/{store['id']}"
        await call("VectorStoreFileObject", "POST", f"{base}/files", json={"file_id": good})
        await call("VectorStoreFileObject", "GET", f"{base}/files/{good}")
        batch = await call(
            "VectorStoreFileBatchObject", "POST", f"{base}/file_batches", json={"file_ids": [empty]}
        )
        await call("VectorStoreFileBatchObject", "GET", f"{base}/file_batches/{batch['id']}")
        await call("ListVectorStoreFilesResponse", "GET", f"{base}/files")
        await call("VectorStoreObject", "GET", base)
        await call("ListVectorStoresResponse", "GET", "/vector_stores")
        await call("VectorStoreSearchResultsPage", "POST", f"{base}/search", json={"query": "text"})
        await call("VectorStoreFileContentResponse", "GET", f"{base}/files/{good}/content")
        await call("DeleteVectorStoreFileResponse", "DELETE", f"{base}/files/{good}")
        await call("DeleteVectorStoreResponse", "DELETE", base)

        assistant_body = {"model": "gpt-4o", "tools": [FUNCTION_TOOL], "name": "a"}
        assistant = await call("AssistantObject", "POST", "/assistants", json=assistant_body)
        await call("ListAssistantsResponse", "GET", "/assistants")
        thread_body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}
        thread = await call("ThreadObject", "POST", "/threads", json=thread_body)
        runs = f"/threads/{thread['id']}/runs"
        run = await call("RunObject", "POST", runs, json={"assistant_id": assistant["id"]})
        for _ in range(2):
            run = await call("RunObject", "GET", f"{runs}/{run['id']}")
        call_id = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
        outputs = {"tool_outputs": [{"tool_call_id": call_id, "output": "1"}]}
        await call("RunObject", "POST", f"{runs}/{run['id']}/submit_tool_outputs", json=outputs)
        await call("RunObject", "GET", f"{runs}/{run['id']}")
        steps = await call("ListRunStepsResponse", "GET", f"{runs}/{run['id']}/steps")
        await call("RunStepObject", "GET", f"{runs}/{run['id']}/steps/{steps['data'][0]['id']}")
        await call("ListRunsResponse", "GET", runs)
        await call("ListMessagesResponse", "GET", f"/threads/{thread['id']}/messages")
        await call("DeleteThreadResponse", "DELETE", f"/threads/{thread['id']}")
        await call("DeleteAssistantResponse", "DELETE", f"/assistants/{assistant['id']}")

        video = await call("VideoResource", "POST", "/videos", json={"prompt": "x"})
        for _ in range(2):
            await call("VideoResource", "GET", f"/videos/{video['id']}")
        await call("VideoListResource", "GET", "/videos")
        await call("DeletedVideoResource", "DELETE", f"/videos/{video['id']}")

    for schema, value in replies:
        assert violations(schemas, {"$ref": f"#/components/schemas/{schema}"}, value, schema) == []
