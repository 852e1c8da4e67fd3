"""The blocking twins of the bound methods in ``_api/_methods.py``, for `SyncClient`.

Each builds the same spec with the same generated builder, then runs the async
client's call on the sync client's background loop (``_portal.py``). Nothing
here knows about any particular API method.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, final

from ._results import (
    SyncBinaryResponse,
    SyncContext,
    SyncPage,
    SyncStream,
    SyncStreamedResponse,
)

if TYPE_CHECKING:
    from .._api._caller import Caller
    from .._api._resource import Resource
    from .._api._response import APIResponse, BinaryResponse, StreamedResponse
    from .._http._spec import ListSpec, RequestSpec, StreamSpec  # noqa: F401 - in string bases
    from ._portal import Portal

__all__ = ["SyncBinaryMethod", "SyncMethod", "SyncListMethod", "SyncStreamMethod"]

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")


class _SyncBound(Generic[P, S]):
    __slots__ = ("_build", "_resource")

    def __init__(self, build: Callable[Concatenate[Any, P], S], resource: Resource[Any]) -> None:
        self._build = build
        self._resource = resource

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._build.__doc__

    @property
    def _client(self) -> Caller:
        return self._resource._client

    @property
    def _portal(self) -> Portal:
        portal = self._resource._portal
        assert portal is not None
        return portal


# Not final: generated overloads subclass it for type checkers (`TypedMethod`).
class SyncMethod(_SyncBound[P, "RequestSpec[T]"], Generic[P, T]):
    """A blocking API method: call it for the decoded result, or use a variant."""

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return self._portal.run(partial(self._client._execute, spec))

    def with_raw_response(self, *args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        """Make the call and return the HTTP response with its metadata; ``.parse()`` decodes it."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return self._portal.run(partial(self._client._execute_raw, spec))

    def with_streaming_response(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> SyncContext[StreamedResponse, SyncStreamedResponse]:
        """Make the call and hold the response open without reading its body.

        Use as ``with ... as response:``; iterate ``response.iter_bytes()`` or call
        ``response.write_to_file(path)``. The connection is released when the block ends.
        """
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        client = self._client
        return SyncContext(
            self._portal, lambda: client._execute_streaming(spec), SyncStreamedResponse
        )


@final
class SyncBinaryMethod(_SyncBound[P, "RequestSpec[BinaryResponse]"]):
    """A blocking API method whose answer is a binary body: a `SyncBinaryResponse`."""

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> SyncBinaryResponse:
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return SyncBinaryResponse(self._portal.run(partial(self._client._execute, spec)))

    def with_raw_response(self, *args: P.args, **kwargs: P.kwargs) -> APIResponse[BinaryResponse]:
        """Make the call and return the HTTP response with its metadata."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return self._portal.run(partial(self._client._execute_raw, spec))

    def with_streaming_response(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> SyncContext[StreamedResponse, SyncStreamedResponse]:
        """Make the call and hold the response open without reading its body (``with``)."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        client = self._client
        return SyncContext(
            self._portal, lambda: client._execute_streaming(spec), SyncStreamedResponse
        )


@final
class SyncListMethod(_SyncBound[P, "ListSpec[T]"], Generic[P, T]):
    """A blocking list method: returns the first `SyncPage`; iterating it walks every page."""

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> SyncPage[T]:
        from .._api._pagination import AsyncPaginator

        paginator = AsyncPaginator(self._client, self._build(self._resource, *args, **kwargs))
        return SyncPage(self._portal, self._portal.run(_first_page, paginator))

    def with_raw_response(self, *args: P.args, **kwargs: P.kwargs) -> APIResponse[Any]:
        """Fetch the first page and return the HTTP response; ``.parse()`` decodes the page body."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return self._portal.run(partial(self._client._execute_raw, spec.request))


@final
class SyncStreamMethod(_SyncBound[P, "StreamSpec[T]"], Generic[P, T]):
    """A blocking streaming method: ``with client.X.stream(...) as events: for e in events``."""

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> SyncStream[T]:
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        client = self._client
        return SyncStream(self._portal, lambda: client._stream(spec))


async def _first_page(paginator: Any) -> Any:
    return await paginator
