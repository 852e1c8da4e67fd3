"""The official SDK's page API beside ours: has_next_page, get_next_page, iter_pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
import pytest

import trio_openai
from tests._support import mock_client

PAGES = [["file-1", "file-2"], ["file-3", "file-4"], ["file-5"]]


def _file(file_id: str) -> dict[str, object]:
    return {
        "id": file_id,
        "bytes": 1,
        "created_at": 1,
        "filename": "a.jsonl",
        "object": "file",
        "purpose": "batch",
        "status": "processed",
    }


def files_server(requests: list[httpx2.Request]) -> httpx2.MockTransport:
    """Three pages of files, cursor ``after``, each answer with its own ``x-request-id``."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        after = request.url.params.get("after")
        index = 0 if after is None else next(i + 1 for i, p in enumerate(PAGES) if p[-1] == after)
        ids = PAGES[index]
        body = {
            "object": "list",
            "data": [_file(i) for i in ids],
            "first_id": ids[0],
            "last_id": ids[-1],
            "has_more": index < len(PAGES) - 1,
        }
        return httpx2.Response(200, json=body, headers={"x-request-id": f"req_page{index}"})

    return httpx2.MockTransport(handler)


@asynccontextmanager
async def files_client(requests: list[httpx2.Request]) -> AsyncIterator[trio_openai.Client]:
    """A client over `files_server`."""
    async with httpx2.AsyncClient(transport=files_server(requests)) as http:
        async with trio_openai.open_client(
            http_client=http, api_key="sk-test-1234", base_url="http://test.invalid/v1"
        ) as client:
            yield client


async def test_has_next_page_and_get_next_page_walk_the_list() -> None:
    """has_next_page() says whether get_next_page() can fetch; the last page has none."""
    requests: list[httpx2.Request] = []
    async with files_client(requests) as client:
        page = await client.files.list()
        seen = [f.id for f in page]
        while page.has_next_page():
            page = await page.get_next_page()
            seen += [f.id for f in page.data]
        assert not page.has_next_page()
        with pytest.raises(RuntimeError, match="has_next_page"):
            await page.get_next_page()
        assert await page.next_page() is None
    assert seen == ["file-1", "file-2", "file-3", "file-4", "file-5"]
    assert [r.url.params.get("after") for r in requests] == [None, "file-2", "file-4"]


async def test_iter_pages_from_a_page_and_from_the_paginator() -> None:
    """page.iter_pages() starts at that page, paginator.iter_pages() at the first; both lazily."""
    requests: list[httpx2.Request] = []
    async with files_client(requests) as client:
        pages = [[f.id for f in p.data] async for p in client.files.list().iter_pages()]
        assert pages == PAGES
        second = await (await client.files.list()).get_next_page()
        before = len(requests)
        async for page in second.iter_pages():
            assert [f.id for f in page.data] == PAGES[1]
            break
        assert len(requests) == before  # breaking fetched nothing more


async def test_pages_carry_the_request_id_of_their_answer() -> None:
    """Each page (and its body) has the x-request-id of the answer it came from."""
    async with files_client([]) as client:
        ids = [(p._request_id, p.body._request_id) async for p in client.files.list().pages()]
    assert ids == [
        ("req_page0", "req_page0"),
        ("req_page1", "req_page1"),
        ("req_page2", "req_page2"),
    ]


async def test_an_unpaginated_page_has_no_next_page() -> None:
    """A page without a cursor (plain JSON list) reports no next page and refuses to fetch one."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"data": [], "has_more": True})

    async with mock_client(handler) as (_, probe):
        page = await probe.list("/things")
        assert not page.has_next_page()
        assert page._request_id is None
        with pytest.raises(RuntimeError):
            await page.get_next_page()


def test_sync_pages_have_the_same_api() -> None:
    """SyncPage: has_next_page, get_next_page (raising at the end), iter_pages, _request_id."""
    requests: list[httpx2.Request] = []
    with trio_openai.SyncClient.from_opener(lambda: files_client(requests)) as client:
        page = client.files.list()
        assert page._request_id == "req_page0"
        assert page.has_next_page()
        second = page.get_next_page()
        assert [f.id for f in second.data] == PAGES[1]
        assert second._request_id == "req_page1"
        third = second.get_next_page()
        assert not third.has_next_page()
        with pytest.raises(RuntimeError):
            third.get_next_page()
        calls = len(requests)
        assert third.next_page() is None
        assert len(requests) == calls  # the last page asks nothing of the server
        assert [[f.id for f in p.data] for p in page.iter_pages()] == PAGES
