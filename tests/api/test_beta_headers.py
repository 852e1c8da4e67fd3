"""Operations of beta APIs send their ``OpenAI-Beta`` header (the live API answers 400 without)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

import trio_openai
from tests._support import placeholder_arguments, resolve_method
from trio_openai.resources._operations import OPERATIONS

SPEC = Path(__file__).resolve().parents[3] / "shared" / "openapi" / "openai-openapi.yaml"


def _expected() -> dict[str, str | None]:
    """operationId -> the beta header value the API asks for, from the spec's tags and paths.

    Independent of how the generator finds it (request examples): every operation of the
    Assistants (threads, messages, runs included) and Vector stores tags needs
    ``assistants=v2``; every ChatKit operation ``chatkit_beta=v1``; no other one any.
    """
    spec = yaml.safe_load(SPEC.read_text())
    out: dict[str, str | None] = {}
    for path, item in spec["paths"].items():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            tags = op.get("tags") or []
            if "Assistants" in tags or "Vector stores" in tags:
                out[op["operationId"]] = "assistants=v2"
            elif path.startswith("/chatkit"):
                out[op["operationId"]] = "chatkit_beta=v1"
            else:
                out[op["operationId"]] = None
    return out


async def _send(method: Any, args: dict[str, object], *, streaming: bool) -> None:
    """Call *method* until it sends; a placeholder where a file is needed becomes bytes."""
    for _ in range(len(args) + 1):
        try:
            call = method(**args)
            if streaming:
                async with call as events:
                    async for _event in events:
                        pass
            else:
                await call
        except trio_openai.APIError:  # noqa: PERF203 - a retry per file argument
            return  # sent: the answer ({}) need not fit
        except TypeError as exc:
            name = str(exc).split("`")[1] if "must be a file" in str(exc) else None
            if name is None or isinstance(args.get(name), bytes):
                raise
            args[name] = b"data"
        else:
            return


@pytest.fixture(scope="module")
def expected() -> dict[str, str | None]:
    """What each operation must send, read from the spec."""
    if not SPEC.exists():
        pytest.skip(f"the OpenAPI spec is not at {SPEC} (../shared beside the checkout)")
    return _expected()


async def test_every_operation_sends_exactly_its_beta_header(
    expected: dict[str, str | None],
) -> None:
    """All operations (and stream twins): the beta ones send OpenAI-Beta, the others none."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={})

    checked = beta = 0
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(
            api_key="sk-test-beta-1234", base_url="http://t.invalid/v1", http_client=http
        ) as client:
            for operation_id, entry in OPERATIONS.items():
                for dotted, streaming in ((entry.python, False), (entry.stream, True)):
                    if dotted is None:
                        continue
                    node, name = resolve_method(client, dotted)
                    await _send(
                        getattr(node, name), placeholder_arguments(node, name), streaming=streaming
                    )
                    assert seen, dotted
                    sent = seen.pop().headers.get("openai-beta")
                    seen.clear()
                    assert sent == expected[operation_id], (dotted, sent)
                    checked += 1
                    beta += sent is not None
    assert checked == len(OPERATIONS) + sum(1 for e in OPERATIONS.values() if e.stream)
    assert beta >= 48  # 41 operations and their stream twins at the time of writing


async def test_a_caller_can_replace_or_remove_the_beta_header() -> None:
    """extra_headers wins over the operation's header: another value, or "" to send none."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"id": "asst_1", "object": "assistant"})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(
            api_key="sk-test-beta-1234", base_url="http://t.invalid/v1", http_client=http
        ) as client:
            await client.beta.assistants.retrieve("asst_1")
            await client.beta.assistants.retrieve(
                "asst_1", extra_headers={"OpenAI-Beta": "assistants=v3"}
            )
            await client.beta.assistants.retrieve("asst_1", extra_headers={"OpenAI-Beta": ""})
    assert [r.headers.get("openai-beta") for r in seen] == ["assistants=v2", "assistants=v3", None]
