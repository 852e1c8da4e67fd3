"""The official SDK's README examples (openai 3.60), async, ported by changing imports.

Type-checked only (tests/core/test_typecheck_programs.py); never run. The shapes that
must differ, each the smallest change: `client = AsyncOpenAI()` becomes `async with
trio_openai.open_client() as client:` (the client lives in the block: its nursery owns
the connections), `asyncio.run` becomes `trio.run`, `create(stream=True)` becomes
`async with ....stream(...)`, and `with_raw_response` / `with_streaming_response` move
from the resource to the method (docs/migrating.md).
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import httpx2
import trio

import trio_openai
from trio_openai.types.fine_tuning import FineTuningJob
from trio_openai.types.responses import EasyInputMessageParam


async def main() -> None:
    async with trio_openai.open_client(api_key=os.environ.get("OPENAI_API_KEY")) as client:
        response = await client.responses.create(
            model="gpt-5.5", input="Explain disestablishmentarianism to a smart five year old."
        )
        print(response.output_text)

        chat_completion = await client.chat.completions.create(
            messages=[
                {
                    "role": "user",
                    "content": "Say this is a test",
                }
            ],
            model="gpt-5.5",
        )
        print(chat_completion.choices[0].message.content)


async def vision(client: trio_openai.Client) -> None:
    prompt = "What is in this image?"
    img_url = "https://example.com/iiif/full/!800,800/0/default.jpg"
    # The README passes the dict inline; both checkers then find it ambiguous between the
    # input message TypedDicts, with the official SDK too: a user names the type.
    message: EasyInputMessageParam = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": prompt},
            {"type": "input_image", "image_url": f"{img_url}", "detail": "auto"},
        ],
    }
    response = await client.responses.create(model="gpt-5.5", input=[message])
    b64_image = base64.b64encode(b"\x89PNG").decode("utf-8")
    message = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": prompt},
            {
                "type": "input_image",
                "image_url": f"data:image/png;base64,{b64_image}",
                "detail": "auto",
            },
        ],
    }
    response = await client.responses.create(model="gpt-5.5", input=[message])
    print(response.output_text)


async def streaming(client: trio_openai.Client) -> None:
    # `stream = await client.responses.create(..., stream=True)` in the official SDK.
    async with client.responses.stream(
        model="gpt-5.5",
        input="Write a one-sentence bedtime story about a unicorn.",
    ) as stream:
        async for event in stream:
            print(event)


async def pagination(client: trio_openai.Client) -> None:
    all_jobs: list[FineTuningJob] = []
    # Iterate through items across all pages, issuing requests as needed.
    async for job in client.fine_tuning.jobs.list(
        limit=20,
    ):
        all_jobs.append(job)  # noqa: PERF401 (as the README writes it)
    print(all_jobs)

    first_page = await client.fine_tuning.jobs.list(
        limit=20,
    )
    # `has_next_page()` / `get_next_page()` are `has_more` / `next_page()` here.
    if first_page.has_more:
        next_page = await first_page.next_page()
        if next_page is not None:
            print(f"number of items we just fetched: {len(next_page.data)}")
    for job in first_page.data:
        print(job.id)


async def nested_params(client: trio_openai.Client) -> None:
    response = await client.responses.create(
        input=[
            {
                "role": "user",
                "content": "How much ?",
            }
        ],
        model="gpt-5.5",
        text={"format": {"type": "json_object"}},
    )
    print(response.output_text)


async def file_uploads(client: trio_openai.Client, audio_bytes: bytes) -> None:
    await client.files.create(
        file=Path("input.jsonl"),
        purpose="fine-tune",
    )
    audio = io.BytesIO(audio_bytes)
    transcription = await client.audio.transcriptions.create(
        model="gpt-4o-transcribe",
        file=("audio.wav", audio, "audio/wav"),
    )
    print(transcription.text)


async def errors(client: trio_openai.Client) -> None:
    try:
        await client.fine_tuning.jobs.create(
            model="gpt-4o",
            training_file="file-abc123",
        )
    except trio_openai.APIConnectionError as e:
        print("The server could not be reached")
        print(e.__cause__)
    except trio_openai.RateLimitError:
        print("A 429 status code was received; we should back off a bit.")
    except trio_openai.APIStatusError as e:
        print("Another non-200-range status code was received")
        print(e.status_code)
        print(e.response)
        print(e.request_id)


async def request_ids(client: trio_openai.Client) -> None:
    # `response._request_id` in the official SDK: metadata is on the raw response here.
    raw = await client.responses.create.with_raw_response(
        model="gpt-5.5",
        input="Say 'this is a test'.",
    )
    print(raw.request_id)


async def options() -> None:
    async with trio_openai.open_client(
        max_retries=0, timeout=httpx2.Timeout(60.0, read=5.0, write=10.0, connect=2.0)
    ) as client:
        await client.with_options(max_retries=5, timeout=5.0).chat.completions.create(
            messages=[
                {
                    "role": "user",
                    "content": "How can I get the name of the current day in JavaScript?",
                }
            ],
            model="gpt-5.5",
        )


async def streaming_response(client: trio_openai.Client) -> None:
    async with client.chat.completions.create.with_streaming_response(
        messages=[
            {
                "role": "user",
                "content": "Say this is a test",
            }
        ],
        model="gpt-5.5",
    ) as response:
        print(response.headers.get("X-My-Header"))
        # `response.iter_lines()` in the official SDK: bytes only here (docs/migrating.md).
        async for chunk in response.aiter_bytes():
            print(chunk)


def webhook(client: trio_openai.Client, request_body: str, headers: dict[str, str]) -> str:
    event = client.webhooks.unwrap(request_body, headers)
    if event.type == "response.completed":
        print("Response completed:", event.data)
    elif event.type == "response.failed":
        print("Response failed:", event.data)
    else:
        print("Unhandled event type:", event.type)
    return "ok"


async def mistakes(client: trio_openai.Client) -> None:
    await client.responses.create(model="gpt-5.5", imput="x")  # expect-error
    await client.files.create(file=Path("input.jsonl"), purpose="finetune")  # expect-error
    await client.responses.create(model="m", input="x", text={"format": 1})  # expect-error
    page = await client.fine_tuning.jobs.list(limit=20)
    print(page.data[0].idd)  # expect-error


trio.run(main)
