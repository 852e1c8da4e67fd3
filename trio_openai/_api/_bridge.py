"""Hand-written async methods that serve both trees (see ``_resource.py``).

Generated methods get their sync twins from ``_api/_methods.py``; the few methods
written by hand (``client.uploads.upload_file``, ``client.realtime.connect``,
the realtime connection's helper namespaces) are decorated here instead:

- `blocking` for an ``async def`` method: a coroutine method in the async tree,
  a blocking one in the sync tree;
- `blocking_context` for a method that returns an async context manager: the
  sync tree gets a `SyncContext` whose value is wrapped for sync use.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import MethodType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, final, overload

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._sync._portal import Held
    from .._sync._results import SyncContext
    from ._resource import Async, Moded, Sync

__all__ = ["Blocking", "BlockingContext", "Deferred", "blocking", "blocking_context"]

P = ParamSpec("P")
T = TypeVar("T")
X = TypeVar("X")
Y = TypeVar("Y")


class Blocking(Generic[P, T]):
    """An ``async def`` method that blocks when bound to an object in `Sync` mode."""

    __slots__ = ("__dict__", "_fn")

    def __init__(self, fn: Callable[Concatenate[Any, P], Awaitable[T]]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Moded[Async], owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> Callable[P, T]: ...
    def __get__(
        self, obj: Moded[Any] | None, owner: type[Any]
    ) -> Self | Callable[P, Awaitable[T]] | Callable[P, T]:
        if obj is None:
            return self
        bound: Callable[P, Awaitable[T]] = MethodType(self._fn, obj)
        portal = obj._portal
        if portal is None:
            return bound

        @functools.wraps(self._fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            deferred = Deferred(bound, args, kwargs)
            del args, kwargs  # out of this frame's locals: they may hold a key
            return portal.run(deferred)

        return call


@final
class Deferred(Generic[T]):
    """A call made later on the loop: `functools.partial` without its revealing repr.

    The arguments of a blocking call (``extra_headers`` with a gateway key, say)
    cross threads in this object; its repr names the function only, so a
    traceback printed with its frames' locals does not show them.
    """

    __slots__ = ("_args", "_fn", "_kwargs")

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._fn = fn
        self._args = args
        self._kwargs = kwargs

    def __call__(self) -> T:
        return self._fn(*self._args, **self._kwargs)

    def __repr__(self) -> str:
        name = getattr(self._fn, "__qualname__", type(self._fn).__name__)
        return f"<Deferred {name}(...)>"


class BlockingContext(Generic[P, X, Y]):
    """A method returning an async context manager; in `Sync` mode, a `SyncContext`."""

    __slots__ = ("__dict__", "_fn", "_wrap")

    def __init__(
        self,
        fn: Callable[Concatenate[Any, P], AbstractAsyncContextManager[X]],
        wrap: Callable[[Held[X]], Y],
    ) -> None:
        self._fn = fn
        self._wrap = wrap
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, obj: Moded[Async], owner: type[Any]
    ) -> Callable[P, AbstractAsyncContextManager[X]]: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> Callable[P, SyncContext[X, Y]]: ...
    def __get__(
        self, obj: Moded[Any] | None, owner: type[Any]
    ) -> Self | Callable[P, AbstractAsyncContextManager[X]] | Callable[P, SyncContext[X, Y]]:
        if obj is None:
            return self
        bound: Callable[P, AbstractAsyncContextManager[X]] = MethodType(self._fn, obj)
        portal = obj._portal
        if portal is None:
            return bound
        wrap = self._wrap

        @functools.wraps(self._fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> SyncContext[X, Y]:
            deferred = Deferred(bound, args, kwargs)
            del args, kwargs  # out of this frame's locals: they may hold a key
            context: SyncContext[X, Y] = portal.context(deferred, wrap)
            return context

        return call


def blocking(fn: Callable[Concatenate[Any, P], Awaitable[T]]) -> Blocking[P, T]:
    """Make an ``async def`` method serve both trees (see the module docstring)."""
    return Blocking(fn)


def blocking_context(
    wrap: Callable[[Held[X]], Y],
) -> Callable[
    [Callable[Concatenate[Any, P], AbstractAsyncContextManager[X]]], BlockingContext[P, X, Y]
]:
    """Make a method returning an async context manager serve both trees.

    Args:
        wrap: Makes the sync tree's value from the held async one (its ``close()``
            must release the hold).
    """

    def decorate(
        fn: Callable[Concatenate[Any, P], AbstractAsyncContextManager[X]],
    ) -> BlockingContext[P, X, Y]:
        return BlockingContext(fn, wrap)

    return decorate
