"""`Caller`: what the resource layer needs from a client, and nothing more.

Generated resources, the paginator, the sync twins, the hand-written ``_lib`` helpers
and realtime hold a `Caller`, never the `Client` class: the client sits above all of
them (``_client.py`` imports them to build its tree), so naming it from below would
close an import circle. `trio_openai.Client` satisfies this protocol structurally
(checked by the type checker where ``Client`` builds its tree).

The methods keep their leading underscore: they are the client's internal
entry points, not public API, and the protocol documents exactly that surface.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import trio

    from .._http._spec import RequestSpec, StreamSpec
    from .._options import ClientOptions
    from ._response import APIResponse, StreamedResponse
    from ._streaming import Stream

__all__ = ["Caller"]

T = TypeVar("T")


class Caller(Protocol):
    """A client view that resources call through (the async `Client` is one)."""

    @property
    def options(self) -> ClientOptions:
        """The defaults every call sends (base URL, key, headers, timeout, ...)."""
        ...

    @property
    def nursery(self) -> trio.Nursery:
        """The session's nursery (background tasks of realtime connections)."""
        ...

    def _check_open(self) -> object:
        """Raise `ClientClosedError` when the session has ended."""
        ...

    async def _execute(self, spec: RequestSpec[T]) -> T:
        """Send *spec* through the pipeline and decode its answer."""
        ...

    async def _execute_raw(self, spec: RequestSpec[T]) -> APIResponse[T]:
        """Send *spec* and return the answer with its HTTP metadata."""
        ...

    def _execute_streaming(
        self, spec: RequestSpec[Any]
    ) -> AbstractAsyncContextManager[StreamedResponse]:
        """Send *spec* and hold the response open, its body unread."""
        ...

    def _stream(self, spec: StreamSpec[T]) -> AbstractAsyncContextManager[Stream[T]]:
        """Open the event stream of *spec*."""
        ...
