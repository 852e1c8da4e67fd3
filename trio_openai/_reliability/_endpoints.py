"""Where the servers a session talks to are declared: `Endpoint` and `Routing`.

::

    async with trio_openai.open_client(
        endpoints=[
            trio_openai.Endpoint("https://api.openai.com/v1", api_key=key_a),
            trio_openai.Endpoint("https://my-res.openai.azure.com", kind="azure",
                                 api_key=key_b, api_version="2024-10-21",
                                 models={"gpt-4o": "gpt4o-prod"}, priority=1),
        ],
        routing=trio_openai.Routing(strategy="priority", failover=True),
    ) as client: ...

A client without ``endpoints=`` has one endpoint, made of its ``base_url`` and
``api_key`` (or of `open_azure_client`'s arguments). This module only checks
and resolves the configuration (keys, URLs, names); the runtime state of each
endpoint and the choice among them live in `_reliability/_router.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast
from urllib.parse import urlsplit

import attrs
import httpx2

from .._errors import ConfigurationError
from .._options import AzureConfig
from .._secrets import KeyFunction, KeyProvider, Secret, as_key, resolve_api_key
from ._breaker import CircuitBreaker
from ._ratelimit import RateLimit

if TYPE_CHECKING:
    from .._options import ClientOptions

__all__ = [
    "Endpoint",
    "EndpointKind",
    "ResolvedEndpoint",
    "Routing",
    "Strategy",
    "check_base_url",
    "resolve_endpoints",
]

EndpointKind = Literal["openai", "azure", "compatible"]
Strategy = Literal["priority", "round_robin", "weighted", "least_in_flight"]


def _secret(value: str | Secret | KeyProvider | KeyFunction | None) -> Secret | KeyProvider | None:
    # Converted at once: the raw key never sits in an attribute.
    return as_key(value)


def _token(value: str | Secret | KeyProvider | KeyFunction | None) -> Secret | KeyProvider | None:
    return as_key(value, "azure_ad_token")


def _models(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        msg = f"{attribute.name} must be positive, got {value!r}"
        raise ValueError(msg)


@attrs.frozen
class Endpoint:
    """One server a session may send calls to, with its own key and addressing.

    Attributes:
        base_url: The API root (``https://api.openai.com/v1``, ``http://localhost:8000/v1``);
            for ``kind="azure"``, the resource endpoint (``https://<res>.openai.azure.com``).
        api_key: Its key (redacted as a `Secret`), or a callable (sync or async)
            returning it, called for each attempt. By default the client's ``api_key``,
            else the usual chain (``OPENAI_API_KEY``, ``.env``...); ``AZURE_OPENAI_API_KEY``
            for Azure.
        azure_ad_token: For ``kind="azure"``: a Microsoft Entra ID token, or a
            callable (sync or async) returning one for each attempt, sent as
            ``Authorization: Bearer`` instead of the ``api-key`` header. Not with *api_key*.
        kind: ``"openai"``, ``"azure"`` (``api-key`` header, deployment URLs) or
            ``"compatible"`` (vLLM, Ollama, a gateway: addressed like OpenAI, without
            the ``OpenAI-Organization``/``OpenAI-Project`` headers).
        name: Its name in errors, events, logs and `Client.health` (default: the URL's
            host, made unique with ``#2``, ``#3``...).
        priority: Lower is preferred: calls go to the lowest priority that has an
            available endpoint, whatever the strategy.
        weight: Its share of the calls under the ``"weighted"`` strategy.
        models: Model names rewritten for this endpoint (``{"gpt-4o": "gpt4o-prod"}``):
            the ``model`` of the body, which for Azure also names the deployment.
        api_version: Azure's ``api-version`` (``None``: Azure's version-less ``/openai/v1`` API).
        azure_deployment: A fixed Azure deployment for deployment routes.
        organization: ``OpenAI-Organization`` (default: the client's, for ``kind="openai"``).
        project: ``OpenAI-Project`` (default: the client's, for ``kind="openai"``).
        breaker: Its circuit breaker settings (default: the client's ``breaker=``).
        rate_limit: Its rate limit (default: the client's ``rate_limit=``).
    """

    base_url: str
    api_key: Secret | KeyProvider | None = attrs.field(
        default=None, converter=_secret, repr=False, kw_only=True
    )
    kind: EndpointKind = attrs.field(default="openai", kw_only=True)
    name: str | None = attrs.field(default=None, kw_only=True)
    priority: int = attrs.field(default=0, kw_only=True)
    weight: float = attrs.field(default=1.0, validator=_positive, kw_only=True)
    models: Mapping[str, str] = attrs.field(factory=dict, converter=_models, kw_only=True)
    api_version: str | None = attrs.field(default=None, kw_only=True)
    azure_deployment: str | None = attrs.field(default=None, kw_only=True)
    organization: str | None = attrs.field(default=None, kw_only=True)
    project: str | None = attrs.field(default=None, kw_only=True)
    breaker: CircuitBreaker | None = attrs.field(default=None, kw_only=True)
    rate_limit: RateLimit | None = attrs.field(default=None, kw_only=True)
    azure_ad_token: Secret | KeyProvider | None = attrs.field(
        default=None, converter=_token, repr=False, kw_only=True
    )

    @kind.validator
    def _check_kind(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in ("openai", "azure", "compatible"):
            msg = f"kind must be 'openai', 'azure' or 'compatible', got {value!r}"
            raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Routing:
    """How a call's attempts are spread over the session's endpoints.

    Attributes:
        strategy: Among the available endpoints of the best priority:
            ``"priority"`` takes the first declared; ``"round_robin"`` takes them in
            turn; ``"weighted"`` in proportion to their weights (smooth weighted round
            robin: deterministic, and exact over every sum of the weights);
            ``"least_in_flight"`` takes the one with the fewest calls in flight.
            Endpoints whose breaker is open are skipped; unhealthy endpoints and
            endpoints out of rate-limit budget are used only when no other is left.
        failover: On a failure the retry policy retries, send the next attempt to an
            endpoint this call has not tried yet, at once (no backoff: the wait
            belongs to the failed endpoint). ``False`` keeps every attempt of a call
            on the endpoint of its first attempt.
    """

    strategy: Strategy = attrs.field(default="priority")
    failover: bool = True

    @strategy.validator
    def _check_strategy(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in ("priority", "round_robin", "weighted", "least_in_flight"):
            msg = (
                "strategy must be 'priority', 'round_robin', 'weighted' or "
                f"'least_in_flight', got {value!r}"
            )
            raise ValueError(msg)


@attrs.frozen(kw_only=True)
class ResolvedEndpoint:
    """An endpoint with everything settled: full root URL, key, name, policies."""

    name: str
    kind: EndpointKind
    base_url: str
    api_key: Secret | KeyProvider = attrs.field(repr=False)
    organization: str | None
    project: str | None
    azure: AzureConfig | None
    models: Mapping[str, str]
    priority: int
    weight: float
    breaker: CircuitBreaker | None
    rate_limit: RateLimit | None

    def options(self, view: ClientOptions) -> ClientOptions:
        """A client view's options, addressed to this endpoint."""
        if (
            view.base_url == self.base_url
            and view.api_key is self.api_key
            and view.azure == self.azure
            and view.organization == self.organization
            and view.project == self.project
        ):
            return view
        return attrs.evolve(
            view,
            base_url=self.base_url,
            api_key=self.api_key,
            organization=self.organization,
            project=self.project,
            azure=self.azure,
        )


def check_base_url(url: str) -> str:
    """*url* without surrounding blanks and trailing slash.

    A URL that carries credentials (``https://user:key@host``) or a query string
    is refused: both would be shown wherever the URL is (reprs, endpoint names,
    logs, error messages). The key goes in ``api_key=``, other query parameters
    in ``default_query=``, whose values are hidden. No message shows the URL
    itself beyond its scheme, since a mistyped argument may be the key.

    Raises:
        ConfigurationError: It does not start with ``http://`` or ``https://``,
            has no host, carries userinfo, a query or a fragment, or does not parse.
    """
    url = url.strip().rstrip("/")
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        shown = f"scheme {scheme[:10]!r}" if sep else "a value with no scheme (not shown)"
        msg = f"base_url must start with http:// or https://, got {shown}"
        raise ConfigurationError(msg)
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, ValueError, TypeError):
        msg = "base_url is not a valid URL (it is not shown here, in case it holds a key)"
        raise ConfigurationError(msg) from None
    if parsed.userinfo:
        msg = (
            "base_url carries credentials (user:password@host); they would be shown "
            "wherever the URL is. Pass the key as api_key= (or a header in "
            "default_headers=) instead. The URL is not shown here."
        )
        raise ConfigurationError(msg)
    if parsed.query or parsed.fragment:
        msg = (
            f"base_url {parsed.scheme}://{parsed.netloc.decode('ascii')}{parsed.path} has a "
            "query string or fragment; pass query parameters as default_query= "
            "(their values are hidden in reprs and logs)"
        )
        raise ConfigurationError(msg)
    if not parsed.host:
        msg = f"base_url has no host: {url!r}"
        raise ConfigurationError(msg)
    return url


def _name(url: str, taken: set[str]) -> str:
    base = urlsplit(url).netloc or url
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}#{n}"
    return name


def resolve_endpoints(
    endpoints: Sequence[Endpoint],
    *,
    api_key: Secret | KeyProvider | None,
    organization: str | None,
    project: str | None,
    breaker: CircuitBreaker | None,
    rate_limit: RateLimit | None,
    env: Mapping[str, str],
    cwd: Path,
) -> tuple[ResolvedEndpoint, ...]:
    """Settle each endpoint's URL, key, name and policies.

    Args:
        endpoints: As given to ``open_client(endpoints=...)``.
        api_key: The client's ``api_key``, the default key of OpenAI and compatible endpoints.
        organization: The client's organization (for ``kind="openai"`` endpoints).
        project: The client's project (for ``kind="openai"`` endpoints).
        breaker: The client's breaker settings, for endpoints without their own.
        rate_limit: The client's rate limit, for endpoints without their own.
        env: The environment.
        cwd: Where ``.env`` is looked for.

    Raises:
        ConfigurationError: No endpoint, a malformed URL, a missing or malformed
            key, both a key and an Azure AD token (or a token for an endpoint that
            is not Azure), or two endpoints with the same name.
    """
    try:
        return _resolve_all(
            endpoints, api_key, organization, project, breaker, rate_limit, env, cwd
        )
    except ConfigurationError as exc:
        # The frames below hold `env` (the whole environment, the API key with it): drop
        # them, so that a traceback formatted with its locals cannot show it.
        del env
        raise exc.with_traceback(None) from None


def _resolve_all(
    endpoints: Sequence[Endpoint],
    api_key: Secret | KeyProvider | None,
    organization: str | None,
    project: str | None,
    breaker: CircuitBreaker | None,
    rate_limit: RateLimit | None,
    env: Mapping[str, str],
    cwd: Path,
) -> tuple[ResolvedEndpoint, ...]:
    """`resolve_endpoints`, whose errors still carry these frames."""
    if not endpoints:
        raise ConfigurationError("endpoints= needs at least one Endpoint")
    resolved: list[ResolvedEndpoint] = []
    taken: set[str] = set()
    for endpoint in endpoints:
        if not isinstance(cast("object", endpoint), Endpoint):
            msg = f"endpoints= takes Endpoint objects, got {type(endpoint).__name__}"
            raise ConfigurationError(msg)
        url = check_base_url(endpoint.base_url)
        azure: AzureConfig | None = None
        if endpoint.kind == "azure":
            root = url if url.endswith(("/openai", "/openai/v1")) else url + "/openai"
            if endpoint.api_version is None and not root.endswith("/v1"):
                root += "/v1"
            key, bearer = _azure_key(endpoint, env, cwd)
            azure = AzureConfig(
                api_version=endpoint.api_version,
                deployment=endpoint.azure_deployment,
                bearer=bearer,
            )
            url = root
        else:
            if endpoint.azure_ad_token is not None:
                msg = f"azure_ad_token= is for kind='azure' endpoints, not {endpoint.kind!r}"
                raise ConfigurationError(msg)
            key = resolve_api_key(endpoint.api_key or api_key, env=env, cwd=cwd)
        openai = endpoint.kind == "openai"
        name = endpoint.name or _name(url, taken)
        if name in taken:
            msg = f"two endpoints are named {name!r}: names must be unique"
            raise ConfigurationError(msg)
        taken.add(name)
        resolved.append(
            ResolvedEndpoint(
                name=name,
                kind=endpoint.kind,
                base_url=url,
                api_key=key,
                organization=endpoint.organization or (organization if openai else None),
                project=endpoint.project or (project if openai else None),
                azure=azure,
                models=endpoint.models,
                priority=endpoint.priority,
                weight=endpoint.weight,
                breaker=endpoint.breaker or breaker,
                rate_limit=endpoint.rate_limit or rate_limit,
            )
        )
    return tuple(resolved)


def _azure_key(
    endpoint: Endpoint, env: Mapping[str, str], cwd: Path
) -> tuple[Secret | KeyProvider, bool]:
    """An Azure endpoint's credential, and whether it is an Entra ID token (a bearer).

    Raises:
        ConfigurationError: Both a key and a token, or what `resolve_api_key` refuses.
    """
    token = endpoint.azure_ad_token
    if token is None:
        return resolve_api_key(
            endpoint.api_key, env=env, cwd=cwd, env_var="AZURE_OPENAI_API_KEY"
        ), False
    if endpoint.api_key is not None:
        msg = (
            "an Azure endpoint takes an api_key or an Azure AD token "
            "(azure_ad_token= / azure_ad_token_provider=), not both"
        )
        raise ConfigurationError(msg)
    return resolve_api_key(
        token, env=env, cwd=cwd, env_var="AZURE_OPENAI_AD_TOKEN", argument="azure_ad_token"
    ), True
