"""`SyncClient`: the whole API tree, blocking, for code that is not async.

::

    with trio_openai.SyncClient() as client:        # same arguments as open_client
        chat = client.chat.completions.create(model=..., messages=[...])
        with client.chat.completions.stream(model=..., messages=[...]) as stream:
            for chunk in stream: ...
        for model in client.models.list(): ...

It is not a second implementation: it opens the async client on a Trio loop in a
daemon thread (``_portal.py``) and its tree is the async tree's classes in `Sync`
mode (``_resource.py``), whose methods run each call on that loop and wait for
it. So it works where an event loop already runs (a Jupyter kernel), from any
number of threads at once, and Ctrl-C cancels the call in flight cleanly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, final, overload

from .._api._resource import Sync
from .._client import Client, open_client
from .._types import NOT_GIVEN, NotGiven
from ..resources._root import RootResources
from ._portal import Held, Portal
from ._results import ClosedOnExit, SyncContext, _HeldValue

if TYPE_CHECKING:
    import httpx2
    import trio

    from .._http._multipart import FileInput
    from .._options import ClientOptions
    from .._reliability._observe import ReliabilityEvent
    from .._reliability._retry import RetryPolicy
    from .._reliability._router import EndpointStatus
    from .._secrets import KeyFunction, Secret

__all__ = ["SyncClient", "SyncEvents"]

P = ParamSpec("P")
T = TypeVar("T")


def _takes_arguments_of(
    opener: Callable[P, object],
) -> Callable[[Callable[..., None]], Callable[Concatenate[Any, P], None]]:
    # Types `SyncClient.__init__` with `open_client`'s parameters: one list to maintain.
    def decorate(init: Callable[..., None]) -> Callable[Concatenate[Any, P], None]:
        return init

    return decorate


@final
class SyncClient(RootResources[Sync], ClosedOnExit):
    """A blocking client: the async client run on a Trio loop in a background thread.

    Takes the same arguments as `open_client`. The thread starts here and stops
    at `close` (or at the end of a ``with`` block). `from_opener` runs any other
    opener (`open_azure_client`, a `FakeOpenAI`'s ``client``).

    Raises:
        ConfigurationError: A bad setting or no key (as `open_client`).
    """

    __slots__ = ("_async", "_children", "_owner", "_portal")

    _portal: Portal

    @_takes_arguments_of(open_client)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proxy" in kwargs:
            from .._http._proxy import resolve_proxies

            # Resolved at once: no proxy URL with credentials in this frame's locals.
            kwargs["proxy"] = resolve_proxies(kwargs["proxy"])
            if isinstance(kwargs["proxy"], Exception):
                raise kwargs.pop("proxy")
        portal, client = Portal.start(lambda: open_client(*args, **kwargs), name="trio-openai")
        self._setup(portal, client, owner=True)

    def _setup(self, portal: Portal, client: Client, *, owner: bool) -> None:
        self._portal = portal
        self._async = client
        self._owner = owner
        self._children: dict[str, Any] = {}

    @classmethod
    def from_opener(cls, opener: Callable[[], AbstractAsyncContextManager[Client]]) -> SyncClient:
        """A sync client over any async client opener, called in the loop thread.

        ``SyncClient.from_opener(lambda: open_azure_client(azure_endpoint=...))``,
        or ``SyncClient.from_opener(fake.client)`` for a `FakeOpenAI`.

        Args:
            opener: Returns the ``async with`` block that opens the client.
        """
        portal, client = Portal.start(opener, name="trio-openai")
        self = cls.__new__(cls)
        self._setup(portal, client, owner=True)
        return self

    @property
    def _root(self) -> Client:
        return self._async

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<trio_openai.SyncClient {state} base_url={self.base_url!r}>"

    def close(self) -> None:
        """Close the session (its pool and tasks) and stop the loop thread. Idempotent.

        A view made by `with_options` closes nothing: close the client it came from.
        Calls still running in other threads end with `ClientClosedError`.
        """
        if self._owner:
            self._portal.close()

    @property
    def closed(self) -> bool:
        """Whether the client has been closed."""
        return self._portal.closed

    @property
    def async_client(self) -> Client:
        """The async client underneath; use it only in code run by `run` (on its loop)."""
        return self._async

    @property
    def options(self) -> ClientOptions:
        """The defaults this client sends with every call (the key is redacted)."""
        return self._async.options

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._async.base_url

    def run(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await afn(*args)`` on the client's loop and return its result.

        For async code you want to use from sync code, such as a helper taking the
        `async_client`. Ctrl-C cancels it as it cancels any call.

        Raises:
            ClientClosedError: The client is closed.
            RuntimeError: Called from the loop thread itself.
        """
        return self._portal.run(afn, *args)

    def with_options(
        self,
        *,
        api_key: str | Secret | KeyFunction | NotGiven = NOT_GIVEN,
        organization: str | NotGiven | None = NOT_GIVEN,
        project: str | NotGiven | None = NOT_GIVEN,
        base_url: str | NotGiven = NOT_GIVEN,
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry_policy: RetryPolicy | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        default_query: Mapping[str, object] | NotGiven = NOT_GIVEN,
        max_response_size: int | NotGiven = NOT_GIVEN,
    ) -> SyncClient:
        """A view with other defaults, sharing this client's session and thread.

        Takes the arguments of `Client.with_options` (a key given as a callable
        is called on the client's loop).

        Raises:
            ConfigurationError: A malformed *base_url* or key.
        """
        view = self._async.with_options(
            api_key=api_key,
            organization=organization,
            project=project,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            default_headers=default_headers,
            default_query=default_query,
            max_response_size=max_response_size,
        )
        api_key = NOT_GIVEN
        other = SyncClient.__new__(SyncClient)
        other._setup(self._portal, view, owner=False)
        return other

    # -- escape hatches (see `Client.request`): blocking twins ----------------------------

    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any: ...
    def get(self, path: str, **options: Any) -> Any:
        """``GET path`` below the base URL, decoded as *cast_to* (see `Client.request`).

        Raises:
            InvalidArgumentError: An absolute or route-changing path, or an
                argument that cannot be sent.
            APIError: As any call.
        """
        return self.request("GET", path, **options)

    @overload
    def post(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    def post(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any: ...
    def post(self, path: str, **options: Any) -> Any:
        """``POST path`` with a JSON *body* (or multipart, with *files*); see `Client.request`.

        Raises:
            InvalidArgumentError: See `get`.
            APIError: As any call.
        """
        return self.request("POST", path, **options)

    @overload
    def patch(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    def patch(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any: ...
    def patch(self, path: str, **options: Any) -> Any:
        """``PATCH path`` with a JSON *body*; see `Client.request`.

        Raises:
            InvalidArgumentError: See `get`.
            APIError: As any call.
        """
        return self.request("PATCH", path, **options)

    @overload
    def put(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    def put(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any: ...
    def put(self, path: str, **options: Any) -> Any:
        """``PUT path`` with a JSON *body*; see `Client.request`.

        Raises:
            InvalidArgumentError: See `get`.
            APIError: As any call.
        """
        return self.request("PUT", path, **options)

    @overload
    def delete(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    def delete(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any: ...
    def delete(self, path: str, **options: Any) -> Any:
        """``DELETE path``; see `Client.request`.

        Raises:
            InvalidArgumentError: See `get`.
            APIError: As any call.
        """
        return self.request("DELETE", path, **options)

    def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """Call an endpoint the API tree lacks, blocking (the arguments of `Client.request`).

        Raises:
            InvalidArgumentError: An absolute or route-changing *path*, or an
                argument that cannot be sent.
            APIError: As any call.
        """
        call = partial(
            self._async.request,
            method,
            path,
            cast_to=cast_to,
            body=body,
            files=files,
            params=params,
            headers=headers,
            timeout=timeout,
        )
        return self._portal.run(call)

    def health(self) -> tuple[EndpointStatus, ...]:
        """A snapshot of every endpoint (see `Client.health`)."""
        return self._async.health()

    def check_health(self) -> tuple[EndpointStatus, ...]:
        """Probe every endpoint now (see `Client.check_health`)."""
        return self._portal.run(self._async.check_health)

    def events(
        self, max_buffer: int = 1000
    ) -> SyncContext[trio.MemoryReceiveChannel[ReliabilityEvent], SyncEvents]:
        """Subscribe to the session's reliability events: ``with client.events() as events:``.

        Args:
            max_buffer: Events kept for a slow reader (see `Client.events`).
        """
        client = self._async
        return SyncContext(self._portal, lambda: client.events(max_buffer), SyncEvents)


@final
class SyncEvents(_HeldValue["trio.MemoryReceiveChannel[ReliabilityEvent]"]):
    """The reliability events of a `SyncClient`: iterate them (blocks until the next one)."""

    __slots__ = ()

    def __init__(self, held: Held[trio.MemoryReceiveChannel[ReliabilityEvent]]) -> None:
        super().__init__(held)

    def __iter__(self) -> Iterator[ReliabilityEvent]:
        return self._held.iterate(self._held.value)

    def receive_nowait(self) -> ReliabilityEvent | None:
        """The next event if one is waiting, else ``None``."""
        import trio

        channel = self._held.value

        async def receive() -> ReliabilityEvent | None:
            try:
                return channel.receive_nowait()
            except trio.WouldBlock:
                return None

        return self._held.portal.run(receive)
