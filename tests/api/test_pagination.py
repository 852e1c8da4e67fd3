"""Lists: awaiting gives the first page, iterating walks every page by cursor."""

from __future__ import annotations

import httpx2
from _support import mock_client

ITEMS = [{"id": f"file-{i}"} for i in range(7)]


class Paged:
    """A list endpoint of 7 items, 3 per page, with `after` cursors."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        after = request.url.params.get("after")
        start = 0 if after is None else [i["id"] for i in ITEMS].index(after) + 1
        page = ITEMS[start : start + 3]
        return httpx2.Response(
            200, json={"object": "list", "data": page, "has_more": start + 3 < len(ITEMS)}
        )


async def test_await_gives_the_first_page_and_next_page_follows_the_cursor() -> None:
    """Awaiting a list gives page one; `next_page` sends its cursor as `after`, keeping `limit`."""
    server = Paged()
    async with mock_client(server) as (_, probe):
        page = await probe.list("/files", limit=3)
        assert [i["id"] for i in page.data] == ["file-0", "file-1", "file-2"]
        assert page.has_more
        assert page.next_cursor == "file-2"
        second = await page.next_page()
    assert second is not None
    assert [i["id"] for i in second] == ["file-3", "file-4", "file-5"]
    assert server.requests[1].url.params["after"] == "file-2"
    assert server.requests[1].url.params["limit"] == "3"


async def test_iteration_walks_every_page_lazily() -> None:
    """Iterating fetches each page by cursor, and a loop broken early fetches only the first."""
    server = Paged()
    async with mock_client(server) as (_, probe):
        ids = [item["id"] async for item in probe.list("/files")]
        assert ids == [i["id"] for i in ITEMS]
        assert [r.url.params.get("after") for r in server.requests] == [None, "file-2", "file-5"]

        server.requests.clear()
        async for _item in probe.list("/files"):
            break
        assert len(server.requests) == 1


async def test_last_page_has_no_next_page() -> None:
    """`pages()` walks every page, and the last one has no more and no next page."""
    async with mock_client(Paged()) as (_, probe):
        pages = [page async for page in probe.list("/files").pages()]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert not pages[-1].has_more
    assert await pages[-1].next_page() is None
