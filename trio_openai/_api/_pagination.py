"""Where lists are paged: `AsyncPaginator` is both awaitable and async-iterable.

::

    page = await client.files.list(limit=10)      # the first page
    page.data, page.has_more, await page.next_page()
    async for f in client.files.list():           # every item, page after page
        ...

Pages are fetched one at a time, only as iteration reaches them. The official
SDK's names work too: ``page.has_next_page()``, ``await page.get_next_page()``
(which raises on the last page, where `Page.next_page` returns ``None``) and
``async for page in page.iter_pages()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import attrs

from .._models import request_id_of

if TYPE_CHECKING:
    from .._http._spec import ListSpec
    from ._caller import Caller

__all__ = ["AsyncPaginator", "Page"]

T = TypeVar("T")


@final
@attrs.define(eq=False)
class Page(Generic[T]):
    """One page of a list.

    Attributes:
        data: The items of this page.
        has_more: Whether the server has more items after this page.
        body: The typed list object the server sent (all its fields).
        next_cursor: The cursor that asks for the next page, if any.
    """

    data: Sequence[T]
    has_more: bool
    body: Any
    next_cursor: str | None
    _client: Caller = attrs.field(repr=False, alias="client")
    _spec: ListSpec[T] = attrs.field(repr=False, alias="spec")

    def __iter__(self) -> Any:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def _request_id(self) -> str | None:
        """The ``x-request-id`` of the answer this page came from (as the official SDK's)."""
        return request_id_of(self.body)

    def has_next_page(self) -> bool:
        """Whether a following page exists (`next_page` would fetch it)."""
        return (
            self.has_more and self.next_cursor is not None and self._spec.cursor_param is not None
        )

    async def next_page(self) -> Page[T] | None:
        """Fetch the following page, or return ``None`` on the last one."""
        if not self.has_next_page():
            return None
        return await _fetch(self._client, self._spec, self.next_cursor)

    async def get_next_page(self) -> Page[T]:
        """Fetch the following page, as the official SDK: check `has_next_page` first.

        Raises:
            RuntimeError: This is the last page (the official SDK's error too).
        """
        page = await self.next_page()
        if page is None:
            msg = "No next page: check `.has_next_page()` before calling `.get_next_page()`."
            raise RuntimeError(msg)
        return page

    async def iter_pages(self) -> AsyncIterator[Page[T]]:
        """Yield this page, then each following page in turn (fetched as the loop reaches it)."""
        page: Page[T] | None = self
        while page is not None:
            yield page
            page = await page.next_page()


def _field(obj: Any, name: str) -> Any:
    # Typed pages are attrs objects; a list decoded as plain JSON is a dict.
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


async def _fetch(client: Caller, spec: ListSpec[T], cursor: str | None) -> Page[T]:
    request = spec.request
    if cursor is not None and spec.cursor_param is not None:
        request = attrs.evolve(request, query={**(request.query or {}), spec.cursor_param: cursor})
    body = await client._execute(request)
    items = _field(body, spec.items_field) or []
    next_cursor: str | None = None
    if spec.cursor_param is not None:
        if spec.cursor_field is not None:
            value = _field(body, spec.cursor_field)
            next_cursor = value if isinstance(value, str) and value else None
        elif items:
            value = _field(items[-1], "id")
            next_cursor = value if isinstance(value, str) else None
    if spec.has_more_field is not None:
        has_more = bool(_field(body, spec.has_more_field))
    else:
        has_more = next_cursor is not None
    return Page(
        data=items,
        has_more=has_more and next_cursor is not None,
        body=body,
        next_cursor=next_cursor,
        client=client,
        spec=spec,
    )


@final
class AsyncPaginator(Generic[T]):
    """What a list method returns: ``await`` it for a `Page`, ``async for`` for every item."""

    __slots__ = ("_client", "_spec")

    def __init__(self, client: Caller, spec: ListSpec[T]) -> None:
        self._client = client
        self._spec = spec

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return _fetch(self._client, self._spec, None).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page: Page[T] | None = await _fetch(self._client, self._spec, None)
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn."""
        page: Page[T] | None = await _fetch(self._client, self._spec, None)
        while page is not None:
            yield page
            page = await page.next_page()

    def iter_pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn (the official SDK's name for `pages`)."""
        return self.pages()
