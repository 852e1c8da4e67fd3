"""The Prism harness itself, checked with a bare httpx2 client (no trio_openai code)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

AUTH = {"Authorization": "Bearer sk-test"}


@pytest.fixture
async def http(prism_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    # trust_env=False: no proxy from the environment may see this traffic.
    async with httpx2.AsyncClient(base_url=prism_url, trust_env=False, timeout=30) as client:
        yield client


async def test_serves_spec_paths_without_v1(http: httpx2.AsyncClient) -> None:
    """GET /models answers 200 with the spec's example list; /v1/models is no route."""
    response = await http.get("/models", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["object"] == "list"
    assert (await http.get("/v1/models", headers=AUTH)).status_code == 404


async def test_requires_authorization(http: httpx2.AsyncClient) -> None:
    """Without an Authorization header Prism answers 401."""
    assert (await http.get("/models")).status_code == 401


async def test_invalid_body_is_422_problem_json(http: httpx2.AsyncClient) -> None:
    """A body that breaks the schema gets 422 application/problem+json naming the fault."""
    response = await http.post("/chat/completions", headers=AUTH, json={"model": "gpt-4o"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    messages = [v["message"] for v in response.json()["validation"]]
    assert any("'messages'" in m for m in messages), messages


async def test_prefer_code_429_sends_retry_after(http: httpx2.AsyncClient) -> None:
    """``Prefer: code=429`` forces the spec's 429 (where declared), with ``Retry-After: 1``."""
    # GET /models declares no 429 (Prism answers 404 there); GET /responses/{id} does.
    response = await http.get("/responses/resp_1", headers={**AUTH, "Prefer": "code=429"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


def test_prism_listens_on_loopback_only(prism_url: str) -> None:
    """The base URL is a loopback address with no /v1 prefix."""
    url = httpx2.URL(prism_url)
    assert url.host == "127.0.0.1"
    assert url.path in {"", "/"}
