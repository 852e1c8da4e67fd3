"""The official SDK's README examples (openai 3.60), blocking, ported by changing imports.

Type-checked only (tests/core/test_typecheck_programs.py); never run. The shapes that
must differ, each the smallest change: `client = OpenAI()` becomes `with
trio_openai.SyncClient() as client:` (its Trio loop runs in a thread the block owns), and
`create(stream=True)` becomes `with ....stream(...)` (docs/migrating.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import trio_openai
from trio_openai.types.fine_tuning import FineTuningJob


def main() -> None:
    with trio_openai.SyncClient(
        # This is the default and can be omitted
        api_key=os.environ.get("OPENAI_API_KEY"),
    ) as client:
        response = client.responses.create(
            model="gpt-5.5",
            instructions="You are a coding assistant that talks like a pirate.",
            input="How do I check if a Python object is an instance of a class?",
        )
        print(response.output_text)

        completion = client.chat.completions.create(
            model="gpt-5.5",
            messages=[
                {"role": "developer", "content": "Talk like a pirate."},
                {
                    "role": "user",
                    "content": "How do I check if a Python object is an instance of a class?",
                },
            ],
        )
        print(completion.choices[0].message.content)


def streaming(client: trio_openai.SyncClient) -> None:
    # `stream = client.responses.create(..., stream=True)` in the official SDK.
    with client.responses.stream(
        model="gpt-5.5",
        input="Write a one-sentence bedtime story about a unicorn.",
    ) as stream:
        for event in stream:
            print(event)


def pagination(client: trio_openai.SyncClient) -> None:
    all_jobs: list[FineTuningJob] = []
    # Automatically fetches more pages as needed.
    for job in client.fine_tuning.jobs.list(
        limit=20,
    ):
        # Do something with job here
        all_jobs.append(job)  # noqa: PERF402 (as the README writes it)
    print(all_jobs)


def json_mode(client: trio_openai.SyncClient) -> None:
    client.responses.create(
        input=[
            {
                "role": "user",
                "content": "How much ?",
            }
        ],
        model="gpt-5.5",
        text={"format": {"type": "json_object"}},
    )


def uploads(client: trio_openai.SyncClient) -> None:
    client.files.create(
        file=Path("input.jsonl"),
        purpose="fine-tune",
    )


def errors(client: trio_openai.SyncClient) -> None:
    try:
        client.fine_tuning.jobs.create(
            model="gpt-4o",
            training_file="file-abc123",
        )
    except trio_openai.APIConnectionError as e:
        print("The server could not be reached")
        print(e.__cause__)  # an underlying Exception, likely raised within httpx2.
    except trio_openai.RateLimitError:
        print("A 429 status code was received; we should back off a bit.")
    except trio_openai.APIStatusError as e:
        print("Another non-200-range status code was received")
        print(e.status_code)
        print(e.response)


def retries() -> None:
    # Configure the default for all requests:
    with trio_openai.SyncClient(
        # default is 2
        max_retries=0,
    ) as client:
        # Or, configure per-request:
        client.with_options(max_retries=5).chat.completions.create(
            messages=[
                {
                    "role": "user",
                    "content": "How can I get the name of the current day in JavaScript?",
                }
            ],
            model="gpt-5.5",
        )


def webhook(client: trio_openai.SyncClient, request_body: str, headers: dict[str, str]) -> str:
    try:
        event = client.webhooks.unwrap(request_body, headers)

        if event.type == "response.completed":
            print("Response completed:", event.data)
        elif event.type == "response.failed":
            print("Response failed:", event.data)
        else:
            print("Unhandled event type:", event.type)

        return "ok"
    except Exception as e:
        print("Invalid signature:", e)
        return "Invalid signature"


def mistakes(client: trio_openai.SyncClient) -> None:
    client.responses.create(model="gpt-5.5", input="x", max_output_token=5)  # expect-error
    chat = client.chat.completions
    chat.create(model="m", messages=[{"role": "dev", "content": "x"}])  # expect-error
    job = client.fine_tuning.jobs.create(model="gpt-4o", training_file="file-abc123")
    print(job.statuss)  # expect-error
