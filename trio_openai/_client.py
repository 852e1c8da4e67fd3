"""The session: `open_client` opens a nursery that owns the HTTP pool and every task.

::

    async with trio_openai.open_client() as client:
        await client.chat.completions.create(model=..., messages=[...])

The client has three states: open inside the ``async with`` block, closed
after it (new calls raise `ClientClosedError`), never reopened. Leaving the
block cancels the session's background tasks (health checks, realtime readers)
and closes the connection pool it created; a pool passed in as ``http_client``
stays the caller's to close.

The session also owns the reliability state every view shares: the endpoints
with their breakers, rate limiters and health (`_reliability._router.Router`) and the event
stream (`_observe.Observer`). All of it is opt-in: without ``endpoints=``,
``breaker=``, ``rate_limit=`` and ``health_check=`` a client has one endpoint
and behaves as a plain client (see docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast, final, overload

import attrs
import httpx2
import trio

from ._api._resource import Async
from ._api._response import APIResponse, BinaryResponse, StreamedResponse, body_text
from ._convert._decode import decode_json
from ._errors import ClientClosedError, ConfigurationError
from ._health import HealthCheck, check_all, run_health_checks
from ._http._build import RequestBuilder
from ._http._proxy import Proxies, ProxySetting, ProxyTransport, resolve_proxies
from ._http._spec import RequestSpec, StreamSpec, relative_path
from ._http._tls import default_ssl_context
from ._models import set_request_id
from ._options import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_SIZE,
    ClientOptions,
    env_headers,
    setup_env_logging,
)
from ._pipeline import Layer, Route, SendFn, compose, send_spec
from ._reliability._breaker import CircuitBreaker
from ._reliability._endpoints import (
    Endpoint,
    ResolvedEndpoint,
    Routing,
    check_base_url,
    resolve_endpoints,
)
from ._reliability._observe import EventHook, Observer, ReliabilityEvent
from ._reliability._ratelimit import RateLimit
from ._reliability._retry import RetryPolicy
from ._reliability._router import EndpointStatus, Router
from ._secrets import KeyFunction, KeyProvider, Secret, as_key, resolve_api_key
from ._types import NOT_GIVEN, NotGiven
from .resources._root import RootResources

if TYPE_CHECKING:
    from ._api._streaming import Stream
    from ._http._multipart import FileInput

__all__ = ["DEFAULT_TIMEOUT", "Client", "open_azure_client", "open_client"]

T = TypeVar("T")

log = logging.getLogger("trio_openai")

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=5.0)
"""As the official SDK: 10 minutes to read, write or wait for the pool; 5 s to connect."""

DEFAULT_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
"""The largest single stream event accepted (bytes)."""


@final
@attrs.define(eq=False)
class _Session:
    """What every view of one client shares: the pool, the nursery, the endpoints, the state."""

    http: httpx2.AsyncClient
    nursery: trio.Nursery
    send: SendFn
    router: Router
    observer: Observer
    health_check: HealthCheck | None = None
    closed: bool = False
    proxies: Proxies | None = None
    # Every session derived from this one by `with_options(base_url=...)`, shared by
    # all of them: the block's end closes them together.
    family: list[_Session] = attrs.field(factory=list)


@final
class Client(RootResources[Async]):
    """An open session with an OpenAI-compatible API. Made by `open_client`, never directly.

    Attributes of the API tree (``client.chat``, ``client.files``, ...) are
    created on first use. `with_options` gives a view with other defaults that
    shares this session. `get`, `post`, `patch`, `put`, `delete` and `request`
    reach endpoints the tree lacks, through the same pipeline.
    """

    __slots__ = ("_admin_route", "_children", "_options", "_overrides", "_route", "_session")

    _portal = None  # the async tree (see _resource.py)

    def __init__(
        self,
        session: _Session,
        options: ClientOptions,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._session = session
        self._options = options
        # What `with_options` set explicitly (key, organization, project): it wins over
        # each endpoint's own, which `ResolvedEndpoint.options` would otherwise put back.
        self._overrides: Mapping[str, Any] = overrides or {}
        self._children: dict[str, Any] = {}
        self._route = Route(session.router, session.send, self._make_builder)
        self._admin_route: Route | None = None

    def _make_builder(self, index: int) -> RequestBuilder:
        return self._builder_for(index, None)

    def _make_admin_builder(self, index: int) -> RequestBuilder:
        return self._builder_for(index, self._options.admin_key)

    def _builder_for(self, index: int, admin_key: Secret | None) -> RequestBuilder:
        endpoint = self._session.router.endpoints[index].config
        options = endpoint.options(self._options)
        changes = dict(self._overrides)
        if admin_key is not None:
            changes["api_key"] = admin_key
        if changes:
            options = attrs.evolve(options, **changes)
        return RequestBuilder(self._session.http, options, endpoint.models)

    def _route_for(self, spec: RequestSpec[Any]) -> Route:
        """The route of *spec*: the admin key's for administration calls when there is one."""
        if self._options.admin_key is None or "api_key" in self._overrides or not spec.is_admin:
            return self._route
        route = self._admin_route
        if route is None:
            session = self._session
            route = self._admin_route = Route(
                session.router, session.send, self._make_admin_builder
            )
        return route

    @property
    def _root(self) -> Client:
        return self

    def __repr__(self) -> str:
        state = "closed" if self._session.closed else "open"
        more = len(self._session.router.endpoints) - 1
        extra = f" (+{more} endpoint{'s' if more > 1 else ''})" if more else ""
        return f"<trio_openai.Client {state} base_url={self._options.base_url!r}{extra}>"

    @property
    def options(self) -> ClientOptions:
        """The defaults this client sends with every call (the key is redacted)."""
        return self._options

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._options.base_url

    @property
    def nursery(self) -> trio.Nursery:
        """The session's nursery: tasks started here end when the session does."""
        return self._session.nursery

    @property
    def http_client(self) -> httpx2.AsyncClient:
        """The session's connection pool."""
        return self._session.http

    @property
    def closed(self) -> bool:
        """Whether the session has ended."""
        return self._session.closed

    @property
    def _proxies(self) -> Proxies | None:
        # Realtime connections take their proxy from here (see realtime/_connection.py).
        return self._session.proxies

    # -- reliability: status and events (docs/reliability.md) -------------------------

    def health(self) -> tuple[EndpointStatus, ...]:
        """A snapshot of every endpoint: health, breaker, rate-limit budget, calls in flight.

        Shared by all views of the session. Health fields are filled by health
        checks (``open_client(health_check=...)`` or `check_health`).
        """
        return self._session.router.status()

    async def check_health(self) -> tuple[EndpointStatus, ...]:
        """Probe every endpoint now (the session's `HealthCheck`, or the default one).

        Returns the snapshot taken after the probes, as `health` does.

        Raises:
            ClientClosedError: The session has ended.
        """
        session = self._check_open()
        policy = session.health_check or HealthCheck()
        await check_all(session.router, self._route.builder, session.send, policy)
        return self.health()

    def events(
        self, max_buffer: int = 1000
    ) -> AbstractAsyncContextManager[trio.MemoryReceiveChannel[ReliabilityEvent]]:
        """Subscribe to the session's reliability events (retries, breakers, failover, ...).

        ``async with client.events() as events: async for event in events: ...``.
        A reader that falls more than *max_buffer* events behind misses the
        newer ones (never slowing calls down); hooks (``open_client(event_hooks=...)``)
        see every event.

        Args:
            max_buffer: Events kept for a slow reader.
        """
        return self._session.observer.subscribe(max_buffer)

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
    ) -> Client:
        """A view of this client with other defaults, sharing its session and pool.

        The view's calls go through the same pool, nursery and event stream, and
        end with the session (a view has no block of its own to leave).

        Args:
            api_key: The key (or a callable returning it, as for `open_client`) for
                every call of the view, on every endpoint, administration calls included.
            organization: ``OpenAI-Organization`` for every call (``None``: not sent).
            project: ``OpenAI-Project`` for every call (``None``: not sent).
            base_url: Send the view's calls to this API root instead: one endpoint
                of its own, addressed like OpenAI, with the view's key, organization
                and project, no breaker and no rate limit (its health is in the
                view's `health`). The pool is still the session's.
            timeout: Per-attempt network timeout (seconds or an ``httpx2.Timeout``).
            max_retries: Retries after the first attempt (keeps the rest of the policy).
            retry_policy: A whole new retry policy.
            default_headers: Headers merged over the current ones (``""`` removes one).
            default_query: Query parameters merged over the current ones.
            max_response_size: The largest body read into memory (bytes, decompressed).

        Raises:
            ConfigurationError: A malformed *base_url* or key.
        """
        # Converted at once: no raw key in this frame's locals for a traceback to show.
        key = (
            None
            if isinstance(api_key, NotGiven)
            else resolve_api_key(api_key, env=os.environ, cwd=Path.cwd())
        )
        api_key = NOT_GIVEN
        options = self._options
        changes: dict[str, Any] = {}
        overrides = dict(self._overrides)
        if key is not None:
            overrides["api_key"] = key
        if not isinstance(organization, NotGiven):
            overrides["organization"] = organization or None
        if not isinstance(project, NotGiven):
            overrides["project"] = project or None
        changes.update(overrides)
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = _timeout(timeout)
        retry = options.retry if isinstance(retry_policy, NotGiven) else retry_policy
        if not isinstance(max_retries, NotGiven):
            retry = attrs.evolve(retry, max_retries=max_retries)
        changes["retry"] = retry
        if not isinstance(default_headers, NotGiven):
            changes["headers"] = {**options.headers, **default_headers}
        if not isinstance(default_query, NotGiven):
            changes["query"] = {**options.query, **default_query}
        if not isinstance(max_response_size, NotGiven):
            changes["max_response_size"] = max_response_size
        session = self._session
        if not isinstance(base_url, NotGiven):
            changes["base_url"] = url = check_base_url(base_url)
            session = self._derive(url, attrs.evolve(options, **changes))
        return Client(session, attrs.evolve(options, **changes), overrides)

    def _derive(self, base_url: str, options: ClientOptions) -> _Session:
        """A session of one endpoint at *base_url*, sharing this one's pool, nursery and events."""
        self._check_open()
        session = self._session
        (endpoint,) = resolve_endpoints(
            [Endpoint(base_url, api_key=options.api_key)],
            api_key=options.api_key,
            organization=options.organization,
            project=options.project,
            breaker=None,
            rate_limit=None,
            env=os.environ,
            cwd=Path.cwd(),
        )
        derived = _Session(
            http=session.http,
            nursery=session.nursery,
            send=session.send,
            router=Router((endpoint,), Routing(), session.observer),
            observer=session.observer,
            proxies=session.proxies,
            family=session.family,
        )
        session.family.append(derived)
        return derived

    # -- escape hatches: endpoints the spec (and so the API tree) does not have -----------

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> T: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any: ...
    async def get(self, path: str, **options: Any) -> Any:
        """``GET path`` (below the base URL), through the whole pipeline, decoded as *cast_to*.

        For endpoints this package does not have a method for; see `request`.

        Raises:
            InvalidArgumentError: A path that is absolute or would address
                another route (see `request`), or an argument that cannot be sent.
            APIError: As any call (status errors, connection errors, ...).
        """
        return await self.request("GET", path, **options)

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> T: ...
    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any: ...
    async def post(self, path: str, **options: Any) -> Any:
        """``POST path`` with a JSON *body* (or multipart, with *files*); see `request`.

        Raises:
            InvalidArgumentError: See `request`.
            APIError: As any call.
        """
        return await self.request("POST", path, **options)

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> T: ...
    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any: ...
    async def patch(self, path: str, **options: Any) -> Any:
        """``PATCH path`` with a JSON *body*; see `request`.

        Raises:
            InvalidArgumentError: See `request`.
            APIError: As any call.
        """
        return await self.request("PATCH", path, **options)

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: type[T],
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> T: ...
    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: object = object,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any: ...
    async def put(self, path: str, **options: Any) -> Any:
        """``PUT path`` with a JSON *body*; see `request`.

        Raises:
            InvalidArgumentError: See `request`.
            APIError: As any call.
        """
        return await self.request("PUT", path, **options)

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> T: ...
    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any: ...
    async def delete(self, path: str, **options: Any) -> Any:
        """``DELETE path``; see `request`.

        Raises:
            InvalidArgumentError: See `request`.
            APIError: As any call.
        """
        return await self.request("DELETE", path, **options)

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: Mapping[str, object] | None = None,
        files: Mapping[str, FileInput | list[FileInput]] | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any:
        """Call an endpoint the API tree lacks, through the same pipeline as every method.

        Authentication (the admin key for ``/organization/...`` and ``/projects/...``
        when the client has one), the client's default headers and query,
        retries, the reliability layers, errors and the size bound all apply.

        *cast_to* says what the answer becomes: any type the converter decodes
        (a generated model such as ``trio_openai.types.FineTuningJob``, an attrs
        class, ``dict[str, Any]``, ``list[Model]``, a union, ...); ``object`` (the
        default) for the JSON as parsed; ``str`` for the body as text; ``bytes``
        for the body as bytes; ``None`` to ignore the body; `APIResponse` for the
        answer with its HTTP metadata (``.parse()`` gives the JSON).

        Args:
            method: The HTTP method (``"GET"``, ``"POST"``, ...).
            path: Relative to the base URL (``"/fine_tuning/alpha/graders/run"``);
                no query (use *params*), no empty or dot segment (see `relative_path`).
            cast_to: What the answer decodes into (above).
            body: The JSON body (form fields with *files*).
            files: Multipart file fields (as in ``files.create``).
            params: Query parameters (a list repeats the name).
            headers: Headers of this call (``""`` removes a default header).
            timeout: This call's per-attempt timeout (default: the client's).

        Raises:
            InvalidArgumentError: An absolute or route-changing *path*, or an
                argument that cannot be sent.
            APIError: As any call.
        """
        spec: RequestSpec[Any] = RequestSpec(
            method=method.upper(),
            path=relative_path(path),
            result=cast_to,
            query=params,
            body=body,
            files=files,
            kind=_kind_of(cast_to),
            extra_headers=headers,
            timeout=timeout,
        )
        if cast_to is APIResponse:
            spec = attrs.evolve(spec, result=object)
            return await self._execute_raw(spec)
        result = await self._execute(spec)
        if cast_to is bytes:
            return result.content
        return result

    # -- the calls generated methods make (see _api/_methods.py) --------------------------

    def _check_open(self) -> _Session:
        session = self._session
        if session.closed:
            msg = (
                "This client's `async with open_client(...)` block has ended; "
                "open a new client for new calls."
            )
            raise ClientClosedError(msg)
        return session

    async def _execute(self, spec: RequestSpec[T]) -> T:
        self._check_open()
        options = self._options
        outcome = await send_spec(
            self._route_for(spec), options.retry, spec, max_size=options.max_response_size
        )
        return self._decode(spec, outcome.response, outcome.content or b"")

    def _decode(self, spec: RequestSpec[T], response: httpx2.Response, content: bytes) -> T:
        if spec.kind == "json":
            result: Any = decode_json(content, spec.result, response)
            # The headers, not the id: the lookup waits until someone reads `_request_id`.
            set_request_id(result, response.headers)
        elif spec.kind == "binary":
            result = BinaryResponse(content=content, http_response=response)
        elif spec.kind == "text":
            result = body_text(response, content)
        else:
            result = None
        return result  # type: ignore[no-any-return]

    async def _execute_raw(self, spec: RequestSpec[T]) -> APIResponse[T]:
        self._check_open()
        options = self._options
        outcome = await send_spec(
            self._route_for(spec), options.retry, spec, max_size=options.max_response_size
        )
        content = outcome.content or b""
        return APIResponse(
            http_response=outcome.response,
            retries_taken=outcome.retries,
            content=content,
            parse=lambda: self._decode(spec, outcome.response, content),
        )

    @asynccontextmanager
    async def _execute_streaming(self, spec: RequestSpec[Any]) -> AsyncIterator[StreamedResponse]:
        self._check_open()
        options = self._options
        outcome = await send_spec(
            self._route_for(spec),
            options.retry,
            spec,
            read=False,
            max_size=options.max_response_size,
        )
        try:
            yield StreamedResponse(outcome.response, max_size=options.max_response_size)
        finally:
            outcome.release()
            await outcome.response.aclose()

    @asynccontextmanager
    async def _stream(self, spec: StreamSpec[T]) -> AsyncIterator[Stream[T]]:
        from ._api._streaming import Stream

        self._check_open()
        options = self._options
        outcome = await send_spec(
            self._route_for(spec.request),
            options.retry,
            spec.request,
            read=False,
            accept="text/event-stream",
            max_size=options.max_response_size,
        )
        response = outcome.response
        stream: Stream[T] = Stream(response, spec, max_event_size=DEFAULT_MAX_EVENT_SIZE)
        try:
            _expect_event_stream(response)
            yield stream
        finally:
            outcome.release()
            await stream.aclose()


def _expect_event_stream(response: httpx2.Response) -> None:
    from ._errors import APIResponseValidationError

    content_type = response.headers.get("content-type", "")
    if not content_type.startswith("text/event-stream"):
        raise APIResponseValidationError(
            f"Asked {response.request.url.path} for an event stream but got "
            f"{content_type or 'no content type'}: the server does not stream this call.",
            response=response,
        )


def _kind_of(cast_to: object) -> Any:
    """How the body of an escape-hatch call is read, for its *cast_to*."""
    if cast_to is None or cast_to is type(None):
        return "empty"
    if cast_to is str:
        return "text"
    if cast_to is bytes:
        return "binary"
    return "json"


def _timeout(value: float | httpx2.Timeout | None) -> httpx2.Timeout:
    if isinstance(value, httpx2.Timeout):
        return value
    if value is None:
        return httpx2.Timeout(None)
    return httpx2.Timeout(value, connect=min(value, 5.0))


def _base_url(value: str | None, env: Mapping[str, str]) -> str:
    return check_base_url(value or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)


@asynccontextmanager
async def open_client(
    *,
    api_key: str | Secret | KeyFunction | None = None,
    organization: str | None = None,
    project: str | None = None,
    base_url: str | None = None,
    # Per network phase of each attempt, as in httpx2; deadlines are cancel scopes.
    timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    max_retries: int = 2,
    retry_policy: RetryPolicy | None = None,
    default_headers: Mapping[str, str] | None = None,
    default_query: Mapping[str, object] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    layers: tuple[Layer, ...] = (),
    endpoints: Sequence[Endpoint] | None = None,
    routing: Routing | None = None,
    breaker: CircuitBreaker | None = None,
    rate_limit: RateLimit | None = None,
    health_check: HealthCheck | None = None,
    event_hooks: Sequence[EventHook] = (),
    webhook_secret: str | Secret | None = None,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    proxy: ProxySetting = None,
    admin_key: str | Secret | None = None,
) -> AsyncIterator[Client]:
    """Open a session with the OpenAI API (or any server that speaks it).

    Use as ``async with open_client() as client:``. The session's nursery owns
    the connection pool and any background task; leaving the block closes them.

    Args:
        api_key: The key, or a callable (sync or async) returning the key or a
            bearer token (a `str` or a `Secret`), called before every attempt so that
            retries carry a refreshed token (see docs/guide/secrets.md). Otherwise
            ``OPENAI_API_KEY``, then a ``.env`` file in the working directory, then
            the file named by ``OPENAI_ENV_FILE``.
        organization: Sent as ``OpenAI-Organization`` (default ``OPENAI_ORG_ID``).
        project: Sent as ``OpenAI-Project`` (default ``OPENAI_PROJECT_ID``).
        base_url: The API root; default ``OPENAI_BASE_URL`` or ``https://api.openai.com/v1``.
            Point it at vLLM, Ollama, a proxy...
        timeout: Per-attempt network timeout: seconds, an ``httpx2.Timeout``, or ``None``.
            A deadline for a whole call is a cancel scope (``trio.fail_after``).
        max_retries: Retries after the first attempt (ignored if *retry_policy* is given).
        retry_policy: The full retry policy (waits, jitter, hooks).
        default_headers: Headers sent with every call, over those of
            ``OPENAI_CUSTOM_HEADERS`` (one ``Name: value`` per line).
        default_query: Query parameters sent with every call.
        http_client: Use this ``httpx2.AsyncClient`` (e.g. with a mock transport);
            it is not closed on exit: it stays the caller's.
        layers: Wrappers around each attempt (see `trio_openai.Layer`).
        endpoints: Several servers to spread calls over and fail over between
            (instead of *base_url*); each has its own key, kind and priority.
        routing: How attempts are spread over *endpoints* (default: by priority,
            with failover).
        breaker: A circuit breaker for each endpoint (default: none).
        rate_limit: A client-side rate limit for each endpoint (default: none).
        health_check: Probe every endpoint periodically in the session's nursery
            (default: never).
        event_hooks: Called with every reliability event (retry scheduled, breaker
            change, failover, health change, rate-limit wait).
        webhook_secret: The ``whsec_...`` secret for ``client.webhooks`` (default
            ``OPENAI_WEBHOOK_SECRET``, read when verifying).
        max_response_size: The largest body read into memory, in bytes after
            decompression (default 256 MiB): JSON, text, error and binary answers.
            A larger one raises `ResponseTooLargeError`; event streams are bounded
            per event instead, and ``.with_streaming_response`` bodies only when
            read whole.
        proxy: A proxy for every HTTP call and realtime connection (a URL such as
            ``http://user:pass@proxy:3128``, or an ``httpx2.Proxy``); ``False`` for
            none. Default: ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and
            ``NO_PROXY`` from the environment (no other variable is read, see
            docs/guide/session.md#proxies). Not applied to an *http_client* you pass.
        admin_key: An organization admin key, sent instead of *api_key* with the
            administration calls (``client.admin.*``: paths below ``/organization/``
            and ``/projects/``); default ``OPENAI_ADMIN_KEY``, else those calls
            take *api_key* too.

    ``OPENAI_LOG=debug`` (or ``info``) in the environment logs the ``trio_openai``
    logger to stderr, as the official SDK does (docs/guide/session.md#logging).

    Raises:
        ConfigurationError: No usable API key, a malformed base URL, or both
            *base_url* and *endpoints*. Calls raise it too when the key provider
            fails (never retried).
    """
    # Converted at once: no raw key in this frame's locals for a traceback to show.
    key, api_key = as_key(api_key), None
    proxies, proxy = resolve_proxies(proxy), None
    if isinstance(proxies, ConfigurationError):
        raise proxies
    if isinstance(webhook_secret, str):
        webhook_secret = Secret(webhook_secret)
    # `os.environ` is never bound to a local here: a traceback printed with its
    # frames' locals would show the whole environment, OPENAI_API_KEY included.
    admin, admin_key = _admin_key(admin_key, os.environ), None
    setup_env_logging(os.environ)
    # Redacted in any repr (a traceback with locals): both may hold a gateway's key.
    headers = env_headers(os.environ)
    headers.update(default_headers or {})
    organization = organization or os.environ.get("OPENAI_ORG_ID") or None
    project = project or os.environ.get("OPENAI_PROJECT_ID") or None
    resolved = _resolve(
        endpoints,
        api_key=key,
        base_url=base_url,
        organization=organization,
        project=project,
        breaker=breaker,
        rate_limit=rate_limit,
        env=os.environ,
    )
    primary = resolved[0]
    options = ClientOptions(
        base_url=primary.base_url,
        api_key=primary.api_key,
        organization=primary.organization,
        project=primary.project,
        timeout=_timeout(timeout),
        retry=retry_policy or RetryPolicy(max_retries=max_retries),
        headers=headers,
        query=dict(default_query or {}),
        azure=primary.azure,
        webhook_secret=webhook_secret,
        max_response_size=max_response_size,
        admin_key=admin,
    )
    owns_http = http_client is None
    http = http_client or httpx2.AsyncClient(
        limits=DEFAULT_LIMITS,
        follow_redirects=False,
        trust_env=False,
        verify=default_ssl_context(),
        # Only when a proxy applies: a session without one keeps httpx2's own transport.
        transport=None if proxies.empty else ProxyTransport(proxies, limits=DEFAULT_LIMITS),
    )
    # The block's own exception is caught inside the nursery and re-raised outside it,
    # so that `except NotFoundError:` around the block works: a nursery would wrap it
    # in an ExceptionGroup. Only failures of the session's background tasks come grouped.
    body_error: BaseException | None = None
    try:
        async with trio.open_nursery() as nursery:
            observer = Observer(tuple(event_hooks))
            send = compose(http, layers)
            session = _Session(
                http=http,
                nursery=nursery,
                send=send,
                router=Router(resolved, routing or Routing(), observer),
                observer=observer,
                health_check=health_check,
                proxies=proxies,
            )
            client = Client(session, options)
            if health_check is not None:
                nursery.start_soon(
                    run_health_checks,
                    session.router,
                    client._route.builder,
                    send,
                    health_check,
                    name="trio_openai health checks",
                )
            try:
                yield client
            except BaseException as exc:  # noqa: BLE001 (re-raised below, unwrapped)
                body_error = exc
            finally:
                session.closed = True
                for derived in session.family:
                    derived.closed = True
                nursery.cancel_scope.cancel()
        if body_error is not None:
            raise body_error
    finally:
        body_error = None
        if owns_http:
            with trio.CancelScope(shield=True):
                await http.aclose()


def _admin_key(value: str | Secret | None, env: Mapping[str, str]) -> Secret | None:
    """The admin key: the argument, else ``OPENAI_ADMIN_KEY``, checked as keys are; or none.

    Raises:
        ConfigurationError: A malformed key, or a callable (not supported here).
    """
    if value is None and "OPENAI_ADMIN_KEY" not in env:
        return None
    if callable(cast("object", value)):
        msg = "admin_key= takes a key (a str or a Secret), not a callable"
        raise ConfigurationError(msg)
    try:
        return resolve_api_key(
            value, env=env, cwd=Path.cwd(), env_var="OPENAI_ADMIN_KEY", argument="admin_key"
        )
    except ConfigurationError:
        # Gone before the traceback is printed: the environment holds every key.
        del env, value
        raise


def _resolve(
    endpoints: Sequence[Endpoint] | None,
    *,
    api_key: Secret | KeyProvider | None,
    base_url: str | None,
    organization: str | None,
    project: str | None,
    breaker: CircuitBreaker | None,
    rate_limit: RateLimit | None,
    env: Mapping[str, str],
) -> tuple[ResolvedEndpoint, ...]:
    """The session's endpoints: those given, or the one made of *base_url* and *api_key*.

    Both go through `resolve_endpoints`: one place settles every endpoint's URL,
    key, name and policies.

    Raises:
        ConfigurationError: Both *endpoints* and *base_url*, or what
            `resolve_endpoints` refuses.
    """
    if endpoints is not None:
        if base_url is not None:
            msg = "endpoints= replaces base_url=: give each Endpoint its own base_url"
            raise ConfigurationError(msg)
    else:
        # The client's key stays the resolver's default (api_key= below), as for an
        # Endpoint given without one: the same chain (OPENAI_API_KEY, .env...) applies.
        endpoints = [Endpoint(_base_url(base_url, env))]
    try:
        return resolve_endpoints(
            endpoints,
            api_key=api_key,
            organization=organization,
            project=project,
            breaker=breaker,
            rate_limit=rate_limit,
            env=env,
            cwd=Path.cwd(),
        )
    except ConfigurationError:
        # Gone before the traceback is printed: the environment holds every key.
        del env
        raise


@asynccontextmanager
async def open_azure_client(
    *,
    azure_endpoint: str | None = None,
    api_version: str | None = None,
    azure_deployment: str | None = None,
    api_key: str | Secret | KeyFunction | None = None,
    azure_ad_token: str | Secret | None = None,
    azure_ad_token_provider: KeyFunction | None = None,
    **kwargs: Any,
) -> AsyncIterator[Client]:
    """Open a session with Azure OpenAI.

    Requests carry the key in the ``api-key`` header, or a Microsoft Entra ID
    token as ``Authorization: Bearer`` (*azure_ad_token*, *azure_ad_token_provider*).
    With an *api_version*,
    deployment routes (chat, completions, embeddings, audio, images) go to
    ``{endpoint}/openai/deployments/{deployment}/...?api-version=...``, the
    deployment being *azure_deployment* or each call's ``model``. Without one,
    Azure's version-less ``{endpoint}/openai/v1`` API is used, which takes the
    deployment name as ``model``, like OpenAI.

    Args:
        azure_endpoint: ``https://<resource>.openai.azure.com`` (default ``AZURE_OPENAI_ENDPOINT``).
        api_version: e.g. ``"2024-10-21"`` (default ``OPENAI_API_VERSION``, else none).
        azure_deployment: A fixed deployment name.
        api_key: The key (or a callable returning it); else ``AZURE_OPENAI_API_KEY``
            from the environment or a ``.env`` file.
        azure_ad_token: An Entra ID token, sent as ``Authorization: Bearer``.
        azure_ad_token_provider: A callable (sync or async) returning an Entra ID
            token, called before every attempt (e.g. azure-identity's
            ``get_bearer_token_provider``: it caches and refreshes the token).
        **kwargs: Any other `open_client` argument (timeout, retry_policy, ...).

    Raises:
        ConfigurationError: No endpoint or no key, more than one of *api_key*,
            *azure_ad_token* and *azure_ad_token_provider*, or a
            ``base_url``/``endpoints`` argument (the endpoint is *azure_endpoint*).
    """
    credentials = (api_key, azure_ad_token, azure_ad_token_provider)
    several = sum(value is not None for value in credentials) > 1
    # Rebound at once: no raw key or token in this frame's locals.
    del credentials
    key, api_key = as_key(api_key), None
    if "proxy" in kwargs:
        # Resolved at once: no proxy URL with credentials in this frame's locals.
        kwargs["proxy"] = resolve_proxies(kwargs["proxy"])
        if isinstance(kwargs["proxy"], ConfigurationError):
            raise kwargs.pop("proxy")
    token = as_key(azure_ad_token, "azure_ad_token") or as_key(
        azure_ad_token_provider, "azure_ad_token_provider"
    )
    azure_ad_token = None
    if several:
        msg = (
            "open_azure_client takes one credential: api_key=, azure_ad_token= or "
            "azure_ad_token_provider=, not several"
        )
        raise ConfigurationError(msg)
    env = os.environ
    endpoint = azure_endpoint or env.get("AZURE_OPENAI_ENDPOINT")
    if not endpoint:
        msg = "Azure OpenAI needs an endpoint: pass azure_endpoint= or set AZURE_OPENAI_ENDPOINT"
        raise ConfigurationError(msg)
    if "base_url" in kwargs or "endpoints" in kwargs:
        msg = (
            "open_azure_client takes azure_endpoint=, not base_url= or endpoints=; for "
            "several servers, use open_client(endpoints=[Endpoint(..., kind='azure'), ...])"
        )
        raise ConfigurationError(msg)
    # One Azure endpoint: the same addressing as open_client(endpoints=[...]) gives.
    azure = Endpoint(
        endpoint,
        kind="azure",
        api_key=key,
        azure_ad_token=token,
        api_version=api_version or env.get("OPENAI_API_VERSION") or None,
        azure_deployment=azure_deployment,
    )
    async with open_client(endpoints=[azure], **kwargs) as client:
        yield client


if TYPE_CHECKING:
    from ._api._caller import Caller

    def _client_is_a_caller(client: Client) -> Caller:
        # The resource layer holds the client as a `Caller`: checked here, by mypy.
        return client
