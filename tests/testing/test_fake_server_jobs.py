"""The fake's default Uploads, Batch and fine-tuning replies, through the typed client."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from tests._spec_support import fully_typed, spec_schemas, violations
from trio_openai._cli import StringInput, run
from trio_openai.testing import FakeOpenAI

CHAT_URL = "/v1/chat/completions"


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[trio_openai.Client]:
    async with fake_openai.client(max_retries=0) as opened:
        yield opened


def request_line(custom_id: str, text: str, *, url: str = CHAT_URL) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


def batch_input(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# -- uploads ------------------------------------------------------------------------------------


async def test_upload_file_sends_parts_and_the_file_round_trips(
    client: trio_openai.Client, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """A file sent in 3 parts is completed into a stored file whose content comes back intact."""
    content = bytes(range(256)) * 10  # 2560 bytes: parts of 1000, 1000, 560
    path = tmp_path / "train.jsonl"
    path.write_bytes(content)
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    done = await client.uploads.upload_file(path, purpose="fine-tune", part_size=1000, md5=md5)
    assert len(done.part_ids) == 3
    assert done.upload is not None
    fully_typed(done.upload)
    assert (done.upload.status, done.upload.bytes, done.upload.filename) == (
        "completed",
        2560,
        "train.jsonl",
    )
    assert done.upload.file is not None
    assert done.upload.file.id == done.file_id
    assert done.file_id is not None
    assert (await client.files.content(done.file_id)).content == content
    assert fake_openai.files[done.file_id].purpose == "fine-tune"


async def test_parts_are_joined_in_part_ids_order_not_arrival_order(
    client: trio_openai.Client,
) -> None:
    """``complete`` concatenates the parts in the order its ``part_ids`` lists them."""
    upload = await client.uploads.create(
        filename="a.txt", purpose="assistants", bytes=12, mime_type="text/plain"
    )
    fully_typed(upload)
    second = await client.uploads.parts.create(upload.id, data=("a.txt", b"world!"))
    first = await client.uploads.parts.create(upload.id, data=("a.txt", b"hello "))
    fully_typed(second)
    assert (second.object, second.upload_id) == ("upload.part", upload.id)
    done = await client.uploads.complete(upload.id, part_ids=[first.id, second.id])
    assert done.file is not None
    assert (await client.files.content(done.file.id)).content == b"hello world!"


async def test_cancel_abandons_a_pending_upload(client: trio_openai.Client) -> None:
    """A cancelled upload says so, and takes no more parts."""
    upload = await client.uploads.create(
        filename="a.txt", purpose="batch", bytes=1, mime_type="text/plain"
    )
    cancelled = await client.uploads.cancel(upload.id)
    assert (cancelled.status, cancelled.file) == ("cancelled", None)
    with pytest.raises(trio_openai.BadRequestError, match="already cancelled"):
        await client.uploads.parts.create(upload.id, data=("a.txt", b"x"))


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"purpose": "user_data"}, "purpose", None),
        ({"bytes": -1}, "bytes", None),
        ({"bytes": "12"}, "bytes", None),
        ({"mime_type": 7}, "mime_type", "invalid_type"),
    ],
)
async def test_create_upload_rejects_bad_fields(
    client: trio_openai.Client, fields: dict[str, Any], param: str, code: str | None
) -> None:
    """A bad purpose, size or type is a 400 naming the parameter."""
    body = {"filename": "a.txt", "purpose": "batch", "bytes": 1, "mime_type": "text/plain"}
    with pytest.raises(trio_openai.BadRequestError) as caught:
        # The typed signature forbids bad values: extra_body overrides them in the JSON.
        await client.uploads.create(**body, extra_body=fields)
    assert (caught.value.param, caught.value.code) == (param, code)


async def test_create_upload_names_a_missing_field(fake_openai: FakeOpenAI) -> None:
    """A missing field gets ``missing_required_parameter``, as for ``POST /files``."""
    async with httpx2.AsyncClient(transport=fake_openai.transport()) as http:
        response = await http.post(
            f"{fake_openai.base_url}/uploads", json={"filename": "a", "purpose": "batch"}
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("bytes", "missing_required_parameter")


async def test_unknown_upload_ids_are_404s(client: trio_openai.Client) -> None:
    """Parts, complete and cancel of an unknown upload are 404s."""
    with pytest.raises(trio_openai.NotFoundError, match="No such Upload object: upload_x"):
        await client.uploads.parts.create("upload_x", data=("a", b"x"))
    with pytest.raises(trio_openai.NotFoundError):
        await client.uploads.complete("upload_x", part_ids=[])
    with pytest.raises(trio_openai.NotFoundError):
        await client.uploads.cancel("upload_x")


async def test_complete_checks_bytes_parts_and_md5(client: trio_openai.Client) -> None:
    """A byte count other than announced, a foreign part or a wrong md5 is a 400; then it works."""
    upload = await client.uploads.create(
        filename="a.txt", purpose="batch", bytes=4, mime_type="text/plain"
    )
    part = await client.uploads.parts.create(upload.id, data=("a.txt", b"abc"))
    with pytest.raises(trio_openai.BadRequestError, match="hold 3 bytes") as caught:
        await client.uploads.complete(upload.id, part_ids=[part.id])
    assert caught.value.param == "part_ids"
    with pytest.raises(trio_openai.BadRequestError, match="No such Part"):
        await client.uploads.complete(upload.id, part_ids=["part_other"])
    more = await client.uploads.parts.create(upload.id, data=("a.txt", b"d"))
    with pytest.raises(trio_openai.BadRequestError) as caught:
        await client.uploads.complete(upload.id, part_ids=[part.id, more.id], md5="0" * 32)
    assert caught.value.param == "md5"
    done = await client.uploads.complete(upload.id, part_ids=[part.id, more.id])
    assert done.status == "completed"
    with pytest.raises(trio_openai.BadRequestError, match="already completed"):
        await client.uploads.cancel(upload.id)


# -- batches ------------------------------------------------------------------------------------


async def test_a_batch_runs_to_completed_with_output_and_error_files(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """One status per retrieve; at completion the output file answers each good line."""
    lines = [request_line("a", "first"), request_line("b", "second"), "not json", ""]
    stored = fake_openai.add_file(batch_input(*lines), purpose="batch")
    batch = await client.batches.create(
        input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
    )
    seen = [batch.status]
    while batch.status != "completed":
        batch = await client.batches.retrieve(batch.id)
        fully_typed(batch)
        seen.append(batch.status)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert batch.request_counts is not None
    assert batch.request_counts.to_dict() == {"total": 3, "completed": 2, "failed": 1}
    assert batch.completed_at is not None
    assert batch.output_file_id is not None
    assert batch.error_file_id is not None

    output = (await client.files.content(batch.output_file_id)).content.decode()
    answers = [json.loads(line) for line in output.splitlines()]
    assert [a["custom_id"] for a in answers] == ["a", "b"]
    assert [a["response"]["status_code"] for a in answers] == [200, 200]
    bodies = [a["response"]["body"] for a in answers]
    assert [b["choices"][0]["message"]["content"] for b in bodies] == ["first", "second"]
    errors = (await client.files.content(batch.error_file_id)).content.decode().splitlines()
    assert [json.loads(e)["error"]["code"] for e in errors] == ["invalid_json"]
    assert fake_openai.files[batch.output_file_id].purpose == "batch_output"
    assert (await client.batches.retrieve(batch.id)).status == "completed"  # terminal stays


async def test_a_line_the_endpoint_rejects_is_a_failed_request(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """A line for another url, or without a required field, goes to the error file."""
    no_messages = json.dumps(
        {"custom_id": "c", "method": "POST", "url": CHAT_URL, "body": {"model": "m"}}
    )
    lines = [request_line("a", "x", url="/v1/embeddings"), no_messages, request_line("ok", "y")]
    stored = fake_openai.add_file(batch_input(*lines), purpose="batch")
    batch = await client.batches.create(
        input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
    )
    for _ in range(3):
        batch = await client.batches.retrieve(batch.id)
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (1, 2)
    assert batch.error_file_id is not None
    errors = (await client.files.content(batch.error_file_id)).content.decode().splitlines()
    first, second = (json.loads(e) for e in errors)
    assert (first["custom_id"], first["error"]["code"]) == ("a", "invalid_url")
    assert (second["custom_id"], second["response"]["status_code"]) == ("c", 400)


async def test_a_batch_of_an_empty_file_fails(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """An input file without a request fails at validation, with an error."""
    stored = fake_openai.add_file(b"\n\n", purpose="batch")
    batch = await client.batches.create(
        input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
    )
    batch = await client.batches.retrieve(batch.id)
    fully_typed(batch)
    assert batch.status == "failed"
    assert batch.errors is not None
    assert batch.errors.data is not None
    assert batch.errors.data[0].code == "empty_file"


async def test_a_cancelled_batch_goes_cancelling_then_cancelled(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Cancel shows ``cancelling``, the next retrieve ``cancelled``; an ended batch is a 400."""
    stored = fake_openai.add_file(batch_input(request_line("a", "x")), purpose="batch")
    batch = await client.batches.create(
        input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
    )
    await client.batches.retrieve(batch.id)
    cancelling = await client.batches.cancel(batch.id)
    assert (cancelling.status, cancelling.cancelling_at) == ("cancelling", fake_openai.created)
    cancelled = await client.batches.retrieve(batch.id)
    assert (cancelled.status, cancelled.output_file_id) == ("cancelled", None)
    with pytest.raises(trio_openai.BadRequestError, match="status 'cancelled'"):
        await client.batches.cancel(batch.id)


async def test_batches_list_newest_first_a_page_at_a_time(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """``limit`` and ``after`` page through the batches; iteration follows ``last_id``."""
    stored = fake_openai.add_file(batch_input(request_line("a", "x")), purpose="batch")
    ids = [
        (
            await client.batches.create(
                input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
            )
        ).id
        for _ in range(3)
    ]
    page = await client.batches.list(limit=2)
    fully_typed(page.data)
    assert ([b.id for b in page.data], page.has_more) == (ids[:0:-1], True)
    assert (page.body.first_id, page.body.last_id) == (ids[2], ids[1])
    rest = await page.next_page()
    assert rest is not None
    assert ([b.id for b in rest.data], rest.has_more) == ([ids[0]], False)
    assert [b.id async for b in client.batches.list(limit=1)] == ids[::-1]
    with pytest.raises(trio_openai.NotFoundError):
        await client.batches.list(after="batch_nope")


async def test_batch_create_checks_its_input(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """An input file not stored, an unknown endpoint, an unknown batch id are errors."""
    with pytest.raises(trio_openai.BadRequestError) as caught:
        await client.batches.create(
            input_file_id="file-nope", endpoint=CHAT_URL, completion_window="24h"
        )
    assert caught.value.param == "input_file_id"
    stored = fake_openai.add_file(b"{}\n", purpose="batch")
    with pytest.raises(trio_openai.BadRequestError) as caught:
        await client.batches.create(
            input_file_id=stored.id,
            endpoint="/v1/nowhere",  # type: ignore[arg-type]
            completion_window="24h",
        )
    assert caught.value.param == "endpoint"
    with pytest.raises(trio_openai.NotFoundError, match="No such Batch object: batch_nope"):
        await client.batches.retrieve("batch_nope")


async def test_a_scripted_reply_still_comes_before_the_default(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """A scripted retrieve answers instead of the default, which does not move the batch on."""
    stored = fake_openai.add_file(batch_input(request_line("a", "x")), purpose="batch")
    batch = await client.batches.create(
        input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
    )
    scripted = {**batch.to_dict(), "status": "expired"}
    fake_openai.add("GET", "/batches/{batch_id}", json=scripted)
    assert (await client.batches.retrieve(batch.id)).status == "expired"
    assert (await client.batches.retrieve(batch.id)).status == "in_progress"


# -- fine-tuning --------------------------------------------------------------------------------


async def test_a_fine_tuning_job_trains_to_succeeded_and_logs_events(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """validating_files, queued, running (tokens growing), succeeded with an ft: model."""
    training = fake_openai.add_file(b'{"messages": []}\n' * 4, purpose="fine-tune")
    job = await client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training.id, suffix="mine"
    )
    fully_typed(job)
    history = [(job.status, job.trained_tokens)]
    while job.status != "succeeded":
        job = await client.fine_tuning.jobs.retrieve(job.id)
        fully_typed(job)
        history.append((job.status, job.trained_tokens))
    statuses = [status for status, _ in history]
    assert statuses == ["validating_files", "queued", "running", "running", "running", "succeeded"]
    tokens = [t for status, t in history if status == "running"]
    assert all(t is not None for t in tokens)
    assert tokens == sorted(tokens)
    assert len(set(tokens)) == 3
    assert job.trained_tokens == tokens[-1]
    assert job.fine_tuned_model == "ft:gpt-4o-mini:fake:mine:1"
    assert job.finished_at == fake_openai.created
    (results,) = job.result_files
    assert (await client.files.content(results)).content.startswith(b"step,train_loss\n")

    events = await client.fine_tuning.jobs.list_events(job.id)
    fully_typed(events.data)
    messages = [e.message for e in events.data]
    assert messages[0] == "The job has successfully completed"
    assert messages[-1] == f"Created fine-tuning job: {job.id}"
    metrics = [e for e in events.data if e.type == "metrics"]
    assert [e.data["step"] for e in metrics if e.data] == [3, 2, 1]
    two = await client.fine_tuning.jobs.list_events(job.id, limit=2)
    assert ([e.message for e in two.data], two.has_more) == (messages[:2], True)
    after = await client.fine_tuning.jobs.list_events(job.id, after=two.data[-1].id)
    assert [e.message for e in after.data] == messages[2:]


async def test_fine_tuning_jobs_cancel_list_and_fail(
    client: trio_openai.Client, fake_openai: FakeOpenAI
) -> None:
    """Cancel ends a job; the list pages newest first; an empty training file fails the job."""
    training = fake_openai.add_file(b'{"messages": []}\n', purpose="fine-tune")
    empty = fake_openai.add_file(b"", purpose="fine-tune")
    first = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    cancelled = await client.fine_tuning.jobs.cancel(first.id)
    assert cancelled.status == "cancelled"
    assert (await client.fine_tuning.jobs.retrieve(first.id)).status == "cancelled"
    with pytest.raises(trio_openai.BadRequestError, match="status 'cancelled'"):
        await client.fine_tuning.jobs.cancel(first.id)

    second = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=empty.id)
    failed = await client.fine_tuning.jobs.retrieve(second.id)
    assert failed.status == "failed"
    assert failed.error is not None
    assert (failed.error.code, failed.error.param) == ("invalid_training_file", "training_file")

    page = await client.fine_tuning.jobs.list(limit=1)
    fully_typed(page.data)
    assert ([j.id for j in page.data], page.has_more) == ([second.id], True)
    assert [j.id async for j in client.fine_tuning.jobs.list(limit=1)] == [second.id, first.id]


async def test_fine_tuning_errors(client: trio_openai.Client) -> None:
    """A training file not stored is a 400 naming it; an unknown job is a 404."""
    with pytest.raises(trio_openai.BadRequestError) as caught:
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-nope")
    assert caught.value.param == "training_file"
    with pytest.raises(trio_openai.NotFoundError):
        await client.fine_tuning.jobs.retrieve("ftjob-nope")
    with pytest.raises(trio_openai.NotFoundError):
        await client.fine_tuning.jobs.list_events("ftjob-nope")


# -- the spec, and the command line -------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return spec_schemas()  # cached in tests/_spec_support.py: the spec is loaded once


async def test_every_reply_of_the_lifecycles_fits_the_spec(
    fake_openai: FakeOpenAI, schemas: dict[str, Any]
) -> None:
    """Each JSON reply of an upload, a batch and a job, at every step, fits its spec schema."""
    replies: list[tuple[str, object]] = []
    async with httpx2.AsyncClient(
        transport=fake_openai.transport(), base_url=fake_openai.base_url
    ) as http:

        async def call(schema: str, method: str, path: str, **kwargs: Any) -> Any:
            response = await http.request(method, path, **kwargs)
            assert response.status_code == 200, response.text
            replies.append((schema, response.json()))
            return response.json()

        upload = await call(
            "Upload",
            "POST",
            "/uploads",
            json={"filename": "in.jsonl", "purpose": "batch", "bytes": 2, "mime_type": "x/y"},
        )
        part = await call(
            "UploadPart", "POST", f"/uploads/{upload['id']}/parts", files={"data": b"{}"}
        )
        body = {"part_ids": [part["id"]]}
        await call("Upload", "POST", f"/uploads/{upload['id']}/complete", json=body)
        other = await call(
            "Upload",
            "POST",
            "/uploads",
            json={"filename": "b", "purpose": "vision", "bytes": 0, "mime_type": "x/y"},
        )
        await call("Upload", "POST", f"/uploads/{other['id']}/cancel")

        stored = fake_openai.add_file(batch_input(request_line("a", "x"), "bad"), purpose="batch")
        batch_body = {"input_file_id": stored.id, "endpoint": CHAT_URL, "completion_window": "24h"}
        batch = await call("Batch", "POST", "/batches", json=batch_body)
        for _ in range(4):
            await call("Batch", "GET", f"/batches/{batch['id']}")
        doomed = await call("Batch", "POST", "/batches", json=batch_body)
        await call("Batch", "POST", f"/batches/{doomed['id']}/cancel")
        await call("Batch", "GET", f"/batches/{doomed['id']}")
        await call("ListBatchesResponse", "GET", "/batches")

        job_body = {"model": "gpt-4o-mini", "training_file": stored.id, "seed": 7}
        job = await call("FineTuningJob", "POST", "/fine_tuning/jobs", json=job_body)
        for _ in range(6):
            await call("FineTuningJob", "GET", f"/fine_tuning/jobs/{job['id']}")
        await call("ListPaginatedFineTuningJobsResponse", "GET", "/fine_tuning/jobs")
        events = f"/fine_tuning/jobs/{job['id']}/events"
        await call("ListFineTuningJobEventsResponse", "GET", events)

    for schema, value in replies:
        assert violations(schemas, {"$ref": f"#/components/schemas/{schema}"}, value, schema) == []


async def test_the_cli_follows_default_batches_and_jobs(
    fake_openai: FakeOpenAI, autojump_clock: Any
) -> None:
    """``batches follow`` and ``fine-tuning jobs follow`` poll the defaults to the end."""
    del autojump_clock  # 30-second polls take no real time
    stored = fake_openai.add_file(batch_input(request_line("a", "x")), purpose="batch")
    empty = fake_openai.add_file(b"", purpose="fine-tune")
    async with fake_openai.client() as client:
        batch = await client.batches.create(
            input_file_id=stored.id, endpoint=CHAT_URL, completion_window="24h"
        )
        job = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=empty.id)

    async def cli(*argv: str) -> tuple[int, str, str, float]:
        out, err = io.StringIO(), io.StringIO()
        start = trio.current_time()
        code = await run(
            argv, stdout=out, stderr=err, stdin=StringInput(""), client_factory=fake_openai.client
        )
        return code, out.getvalue(), err.getvalue(), trio.current_time() - start

    code, out, err, took = await cli("batches", "follow", batch.id, "--interval", "30")
    assert (code, out, took) == (0, f"{batch.id} completed\n", 60)
    assert err.splitlines()[-1].startswith("batch completed: output file file-fake-")
    code, out, err, _ = await cli("fine-tuning", "jobs", "follow", job.id, "--exit-status")
    assert (code, out) == (1, f"{job.id} failed\n")
    assert "has no example" in err
