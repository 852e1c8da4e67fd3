"""How a generated method becomes an API call.

Generated resource methods only *build* a spec (`RequestSpec`, `ListSpec` or
`StreamSpec`); one of the decorators here turns the builder into a method that
sends it through the client's pipeline. The bound method also offers the two
variants every call has:

- ``await client.models.retrieve.with_raw_response("gpt-4o")`` returns an
  `APIResponse` (status, headers, request id, rate-limit headers, elapsed time)
  whose ``.parse()`` gives the usual typed result;
- ``async with client.files.content.with_streaming_response("file-1") as r:``
  gives the response before its body is read, for large downloads.

The same descriptors serve the sync client's tree (``_resource.py``): on a
resource in `Sync` mode they bind the blocking twins from ``_sync/_methods.py``
instead, and their overloads tell the type checker which one it gets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .._http._spec import ListSpec, RequestSpec, StreamSpec

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._sync._methods import (
        SyncBinaryMethod,
        SyncListMethod,
        SyncMethod,
        SyncStreamMethod,
    )
    from ._bridge import Blocking
    from ._pagination import AsyncPaginator
    from ._resource import Async, Moded, Resource, Sync
    from ._response import APIResponse, BinaryResponse, StreamedResponse
    from ._streaming import Stream

__all__ = ["TypedMethod", "api_method", "binary_method", "list_method", "stream_method"]

P = ParamSpec("P")
T = TypeVar("T")


class _Descriptor(Generic[P, T]):
    __slots__ = ("__dict__", "_build")

    def __init__(self, build: Callable[Concatenate[Any, P], T]) -> None:
        self._build = build
        functools.update_wrapper(self, build)  # type: ignore[arg-type]


class Method(_Descriptor[P, RequestSpec[T]]):
    """A method that makes one API call and returns its decoded result."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> BoundMethod[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> SyncMethod[P, T]: ...
    def __get__(
        self, obj: Resource[Any] | None, owner: type[Any]
    ) -> Self | BoundMethod[P, T] | SyncMethod[P, T]:
        if obj is None:
            return self
        if obj._portal is None:
            return BoundMethod(self._build, obj)
        return obj._portal.twin("call", self._build, obj)  # type: ignore[no-any-return]


class BinaryMethod(_Descriptor[P, "RequestSpec[BinaryResponse]"]):
    """A method whose answer is a binary body (audio, file content): a `BinaryResponse`."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> BoundMethod[P, BinaryResponse]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> SyncBinaryMethod[P]: ...
    def __get__(
        self, obj: Resource[Any] | None, owner: type[Any]
    ) -> Self | BoundMethod[P, BinaryResponse] | SyncBinaryMethod[P]:
        if obj is None:
            return self
        if obj._portal is None:
            return BoundMethod(self._build, obj)
        return obj._portal.twin("binary", self._build, obj)  # type: ignore[no-any-return]


class BoundMethod(Generic[P, T]):
    """A `Method` bound to a resource: call it, or use one of its variants."""

    __slots__ = ("_build", "_resource")

    def __init__(
        self, build: Callable[Concatenate[Any, P], RequestSpec[T]], resource: Resource[Any]
    ):
        self._build = build
        self._resource = resource

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._build.__doc__

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return await self._resource._client._execute(spec)

    async def with_raw_response(self, *args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        """Make the call and return the HTTP response with its metadata; ``.parse()`` decodes it."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return await self._resource._client._execute_raw(spec)

    def with_streaming_response(
        self, *args: P.args, **kwargs: P.kwargs
    ) -> AbstractAsyncContextManager[StreamedResponse]:
        """Make the call and hold the response open without reading its body.

        Use as ``async with ... as response:``; iterate ``response.aiter_bytes()`` or
        ``await response.write_to_file(path)``. The connection is released when
        the block ends.
        """
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return self._resource._client._execute_streaming(spec)


class ListMethod(_Descriptor[P, ListSpec[T]]):
    """A list method: returns an `AsyncPaginator` (await it for a page, iterate it for items)."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> BoundListMethod[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> SyncListMethod[P, T]: ...
    def __get__(
        self, obj: Resource[Any] | None, owner: type[Any]
    ) -> Self | BoundListMethod[P, T] | SyncListMethod[P, T]:
        if obj is None:
            return self
        if obj._portal is None:
            return BoundListMethod(self._build, obj)
        return obj._portal.twin("list", self._build, obj)  # type: ignore[no-any-return]


class BoundListMethod(Generic[P, T]):
    """A `ListMethod` bound to a resource."""

    __slots__ = ("_build", "_resource")

    def __init__(self, build: Callable[Concatenate[Any, P], ListSpec[T]], resource: Resource[Any]):
        self._build = build
        self._resource = resource

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._build.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> AsyncPaginator[T]:
        from ._pagination import AsyncPaginator

        return AsyncPaginator(self._resource._client, self._build(self._resource, *args, **kwargs))

    async def with_raw_response(self, *args: P.args, **kwargs: P.kwargs) -> APIResponse[Any]:
        """Fetch the first page and return the HTTP response; ``.parse()`` decodes the page body."""
        spec = self._build(self._resource, *args, **kwargs)
        del args, kwargs  # out of the traceback's locals: extra_headers may hold a key
        return await self._resource._client._execute_raw(spec.request)


class StreamMethod(_Descriptor[P, StreamSpec[T]]):
    """A streaming method: ``async with client.X.stream(...) as events: async for e in events``."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> BoundStreamMethod[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> SyncStreamMethod[P, T]: ...
    def __get__(
        self, obj: Resource[Any] | None, owner: type[Any]
    ) -> Self | BoundStreamMethod[P, T] | SyncStreamMethod[P, T]:
        if obj is None:
            return self
        if obj._portal is None:
            return BoundStreamMethod(self._build, obj)
        return obj._portal.twin("stream", self._build, obj)  # type: ignore[no-any-return]


class BoundStreamMethod(Generic[P, T]):
    """A `StreamMethod` bound to a resource."""

    __slots__ = ("_build", "_resource")

    def __init__(
        self, build: Callable[Concatenate[Any, P], StreamSpec[T]], resource: Resource[Any]
    ):
        self._build = build
        self._resource = resource

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._build.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> AbstractAsyncContextManager[Stream[T]]:
        return self._resource._client._stream(self._build(self._resource, *args, **kwargs))


A = TypeVar("A")
S = TypeVar("S")


class TypedMethod(Generic[A, S]):
    """A method whose bound forms are typed by *A* (async) and *S* (blocking).

    It binds exactly as the descriptor it wraps (a generated `Method`, or a
    hand-written `Blocking`); only the types differ, for what a `ParamSpec` cannot
    carry:

    - overloads: ``embeddings.create(encoding_format="base64")`` answers base64
      strings, not floats; the generator declares, for the type checker only, a
      subclass of `BoundMethod` (*A*) and of the blocking `SyncMethod` (*S*) whose
      ``__call__`` is overloaded;
    - a type variable of the method's own: ``chat.completions.parse(response_format=T)``
      gives a ``ParsedChatCompletion[T]`` (protocols in ``_lib/_structured.py``).
    """

    __slots__ = ("__dict__", "_build", "_inner")

    def __init__(self, inner: Method[..., Any] | Blocking[..., Any]) -> None:
        self._inner = inner
        if isinstance(inner, Method):
            self._build = inner._build
            functools.update_wrapper(self, inner._build)  # type: ignore[arg-type]
        else:
            functools.update_wrapper(self, inner._fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Moded[Async], owner: type[Any]) -> A: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> S: ...
    def __get__(self, obj: Moded[Any] | None, owner: type[Any]) -> Self | A | S:
        if obj is None:
            return self
        inner: Any = self._inner  # a Method takes a Resource, a Blocking any Moded object
        return inner.__get__(obj, owner)  # type: ignore[no-any-return]


def api_method(build: Callable[Concatenate[Any, P], RequestSpec[T]]) -> Method[P, T]:
    """Turn a spec builder into an API method (see the module docstring)."""
    return Method(build)


def binary_method(
    build: Callable[Concatenate[Any, P], RequestSpec[BinaryResponse]],
) -> BinaryMethod[P]:
    """Turn a spec builder whose answer is a binary body into an API method."""
    return BinaryMethod(build)


def list_method(build: Callable[Concatenate[Any, P], ListSpec[T]]) -> ListMethod[P, T]:
    """Turn a list-spec builder into a paginating API method."""
    return ListMethod(build)


def stream_method(
    build: Callable[Concatenate[Any, P], StreamSpec[T]],
) -> StreamMethod[P, T]:
    """Turn a stream-spec builder into a streaming API method."""
    return StreamMethod(build)
