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

`Client` is put together from modules of their own: the calls generated methods
make (``_calls.py``), the escape hatches ``get/post/.../request`` (``_raw.py``),
the shared `Session` and the options of a `with_options` view (``_session.py``),
and what `open_client`'s arguments and the environment settle (``_settings.py``).
Here: the session's lifecycle, the admin key's routing, the views' accessors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, final

import attrs
import httpx2
import trio

from ._api._resource import Async
from ._calls import Calls
from ._errors import ConfigurationError
from ._health import HealthCheck, check_all, run_health_checks
from ._http._build import RequestBuilder
from ._http._proxy import Proxies, ProxySetting, resolve_proxies, session_transport
from ._http._tls import default_ssl_context
from ._options import (
    DEFAULT_MAX_RESPONSE_SIZE,
    ClientOptions,
    env_headers,
    setup_env_logging,
)
from ._pipeline import Layer, Route, compose
from ._raw import RawCalls
from ._reliability._breaker import CircuitBreaker
from ._reliability._endpoints import Endpoint, ResolvedEndpoint, Routing
from ._reliability._observe import EventHook, Observer, ReliabilityEvent
from ._reliability._ratelimit import RateLimit
from ._reliability._retry import RetryPolicy
from ._reliability._router import EndpointStatus, Router
from ._secrets import KeyFunction, Secret, as_key
from ._session import Session, derive, view_changes
from ._settings import as_timeout, resolve_admin_key, resolve_session_endpoints
from ._types import NOT_GIVEN, NotGiven
from .resources._root import RootResources

if TYPE_CHECKING:
    from ._http._spec import RequestSpec

__all__ = ["DEFAULT_TIMEOUT", "Client", "open_azure_client", "open_client"]


log = logging.getLogger("trio_openai")

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=5.0)
"""As the official SDK: 10 minutes to read, write or wait for the pool; 5 s to connect."""

DEFAULT_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


@final
class Client(RawCalls, Calls, RootResources[Async]):
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
        session: Session,
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
        changes, overrides = view_changes(
            self._options,
            self._overrides,
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
        # Converted: no raw key in this frame's locals for a traceback to show.
        api_key = NOT_GIVEN
        options = attrs.evolve(self._options, **changes)
        session = self._session
        if "base_url" in changes:
            self._check_open()
            session = derive(session, changes["base_url"], options)
        return Client(session, options, overrides)


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
    admin, admin_key = resolve_admin_key(admin_key, os.environ), None
    setup_env_logging(os.environ)
    # Redacted in any repr (a traceback with locals): both may hold a gateway's key.
    headers = env_headers(os.environ)
    headers.update(default_headers or {})
    organization = organization or os.environ.get("OPENAI_ORG_ID") or None
    project = project or os.environ.get("OPENAI_PROJECT_ID") or None
    resolved = resolve_session_endpoints(
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
        timeout=as_timeout(timeout),
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
        # httpx2's transport with our pool (docs/benchmarks.md, "Concurrency"), or per proxy.
        transport=session_transport(proxies, limits=DEFAULT_LIMITS),
    )
    # The block's own exception is caught inside the nursery and re-raised outside it,
    # so that `except NotFoundError:` around the block works: a nursery would wrap it
    # in an ExceptionGroup. Only failures of the session's background tasks come grouped.
    body_error: BaseException | None = None
    try:
        # Stores given unopened are the session's: opened first, closed last.
        async with _open_stores(resolved), trio.open_nursery() as nursery:
            observer = Observer(tuple(event_hooks))
            send = compose(http, layers)
            session = Session(
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


def _open_stores(resolved: Sequence[ResolvedEndpoint]) -> AbstractAsyncContextManager[None]:
    """Open, for the session, each store of the endpoints given unopened (`open_unopened`)."""
    stores = [
        store
        for endpoint in resolved
        for store in (
            endpoint.rate_limit.store if endpoint.rate_limit is not None else None,
            endpoint.breaker.store if endpoint.breaker is not None else None,
        )
        if store is not None
    ]
    if not stores:
        return nullcontext()
    from ._reliability._store import open_unopened  # only with a store: its wire

    return open_unopened(stores)


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
