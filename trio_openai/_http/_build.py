"""Where a request is built: a `RequestSpec` plus the client's options become an `httpx2.Request`.

Built once per call and endpoint, on the first attempt that goes there: every
retry on that endpoint resends the very same request. The ``Idempotency-Key``
is made once per call by the pipeline and passed in, so it is the same across
all attempts of a call, whichever endpoints they go to. The one exception is the
credential of a key provider (``api_key=callable``): `build` asks the provider,
and the pipeline calls `RequestBuilder.authorize` before every later attempt, so
that a retry carries a refreshed token. A plain key is in the prepared headers.

What every request of a client view shares (the pool's default headers merged with
ours, the timeout, parsed URLs) is computed once per view by `RequestBuilder`: building
through ``httpx2.AsyncClient.build_request`` re-merges and re-parses all of it on every
call, which costs more than the rest of our pipeline together (see docs/benchmarks.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, final
from urllib.parse import quote, urlencode

import attrs
import httpx2

from .._convert._encode import encode_json, to_jsonable
from .._errors import InvalidArgumentError
from .._options import PUBLIC_QUERY, AzureConfig, ClientOptions
from .._secrets import KeyProvider
from .._types import NotGiven
from ._auth import (
    QuietURL,
    RedactedHeaders,
    SecretHeaders,
    auth_header,
    authorize,
    check_headers,
    client_headers,
)
from ._spec import QueryPairs, RequestSpec, merge_query

__all__ = ["RequestBuilder", "new_idempotency_key"]

# Azure serves these routes below /deployments/{deployment}.
_AZURE_DEPLOYMENT_ROUTES = (
    "/chat/completions",
    "/completions",
    "/embeddings",
    "/audio/",
    "/images/",
)
# Parsed URLs kept per client view; paths with ids or cursors make new ones, so bound it.
_URL_CACHE_SIZE = 512


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` value, one per call."""
    return f"trio-openai-{uuid.uuid4()}"


@final
@attrs.define(eq=False)
class RequestBuilder:
    """Builds the HTTP requests of one client view.

    One builder serves one (client view, endpoint) pair.

    Args:
        http: The session's pool; its default headers are merged in once. A pool
            with default query parameters, cookies or a base URL of its own is
            built through ``http.build_request`` so that those still apply.
        options: The view's options, addressed to the endpoint (URL, key, Azure).
        models: Model names rewritten for the endpoint (the body's ``model``).
    """

    http: httpx2.AsyncClient
    options: ClientOptions
    models: Mapping[str, str] = attrs.field(factory=dict)
    _headers: SecretHeaders = attrs.field(init=False)
    _timeout: dict[str, float | None] = attrs.field(init=False)
    _urls: dict[str, httpx2.URL] = attrs.field(init=False, factory=dict, repr=False)
    _generic: bool = attrs.field(init=False)
    _hidden_query: frozenset[str] = attrs.field(init=False)
    provider: KeyProvider | None = attrs.field(init=False)
    """The view's key provider (``None`` for a plain key, or when a default header replaces it)."""
    _auth: tuple[str, str] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        options = self.options
        # Lower-case names, so that a caller's header replaces ours whatever its case.
        headers = SecretHeaders({k.lower(): v for k, v in self.http.headers.items()})
        headers.update(client_headers(options))
        # Checked once per view: a bad default header fails every call the same way.
        check_headers(headers, "default_headers")
        self._headers = headers
        key = options.api_key
        self._auth = auth_header(options)
        # As with a plain key, a caller's header of the same name replaces ours.
        replaced = self._auth[0] in headers
        self.provider = key if isinstance(key, KeyProvider) and not replaced else None
        self._timeout = options.timeout.as_dict()
        http = self.http
        self._generic = bool(http.params or http.cookies or str(http.base_url))
        # The client's default query may hold a gateway's key: printed as [secure].
        self._hidden_query = frozenset(options.query) - PUBLIC_QUERY

    async def build(
        self, spec: RequestSpec[Any], *, accept: str, idempotency_key: str | None = None
    ) -> httpx2.Request:
        """Build the HTTP request for *spec*.

        Args:
            spec: The call.
            accept: The ``Accept`` header (``text/event-stream`` for streams).
            idempotency_key: The call's ``Idempotency-Key`` (``None``: no header).

        Raises:
            TypeError: A file argument is of an unsupported type.
            InvalidArgumentError: An argument cannot be sent (see `encode_json`,
                `check_headers`), or Azure has no deployment for a deployment route.
            ConfigurationError: The key provider failed (see `KeyProvider.get`).
        """
        options = self.options
        body: dict[str, object] | None = None
        if spec.body is not None or spec.extra_body:
            body = dict(spec.body or {})
            if spec.extra_body:
                body.update(spec.extra_body)
            _map_model(body, self.models)

        path, pairs = self._address(spec, body)
        headers = self._headers.copy()
        headers["accept"] = accept
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key

        content: bytes | None = None
        files: Any = None
        data: Any = None
        if spec.files is not None:
            from ._multipart import build_multipart

            form = to_jsonable(body or {})
            files, data = await build_multipart(spec.files, form)  # type: ignore[arg-type]
        elif body is not None:
            content = encode_json(body)
            headers["content-type"] = "application/json"
        if spec.headers:
            headers.update(spec.headers)
        if spec.extra_headers:
            check_headers(spec.extra_headers, "extra_headers")
            headers.update({k.lower(): v for k, v in spec.extra_headers.items()})
        # An empty value removes a default header (e.g. extra_headers={"Idempotency-Key": ""}).
        for name in [k for k, v in headers.items() if v == ""]:
            del headers[name]

        timeout = (
            self._timeout
            if isinstance(spec.timeout, NotGiven)
            else httpx2.Timeout(spec.timeout).as_dict()
        )
        if self._generic:
            request = self.http.build_request(
                spec.method,
                options.base_url + path,
                params=pairs or None,
                headers=headers,
                content=content,
                files=files,
                data=data,
                extensions={"timeout": timeout},
            )
        else:
            target = options.base_url + path
            if pairs:
                target += "?" + urlencode(pairs, quote_via=quote)
            request = httpx2.Request(
                spec.method,
                self._url(target),
                headers=headers,
                content=content,
                files=files,
                data=data,
                extensions={"timeout": timeout},
            )
        self._seal(request)
        if self.provider is not None:
            await authorize(request.headers, self.provider, self._auth)
        return request

    def _seal(self, request: httpx2.Request) -> None:
        # Every request carries a key: its headers are redacted whatever prints them.
        request.headers = RedactedHeaders(request.headers)
        if self._hidden_query:
            request.url = QuietURL(request.url, self._hidden_query)

    async def authorize(self, request: httpx2.Request) -> None:
        """Put the provider's current key in *request* (before a retry); no-op without one.

        Raises:
            ConfigurationError: The provider failed (see `KeyProvider.get`).
        """
        if self.provider is not None:
            await authorize(request.headers, self.provider, self._auth)

    def _address(
        self, spec: RequestSpec[Any], body: Mapping[str, object] | None
    ) -> tuple[str, QueryPairs]:
        # The path under the base URL (Azure deployments) and the query's pairs.
        options = self.options
        path = spec.path
        query: dict[str, object] = dict(options.query)
        if options.azure is not None:
            path = _azure_path(options.azure, path, body)
            if options.azure.api_version is not None:
                query["api-version"] = options.azure.api_version
        if spec.query:
            query.update(spec.query)
        if spec.extra_query:
            query.update(spec.extra_query)
        return path, merge_query(query)

    def _url(self, text: str) -> httpx2.URL:
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[text] = httpx2.URL(text)
        return url


def _map_model(body: dict[str, object], models: Mapping[str, str]) -> None:
    if not models:
        return
    model = body.get("model")
    if isinstance(model, str) and model in models:
        body["model"] = models[model]


def _azure_path(azure: AzureConfig, path: str, body: Mapping[str, object] | None) -> str:
    if azure.api_version is None or not path.startswith(_AZURE_DEPLOYMENT_ROUTES):
        return path
    deployment = azure.deployment or (body or {}).get("model")
    if not isinstance(deployment, str) or not deployment:
        msg = (
            f"Azure OpenAI needs a deployment for {path}: pass `azure_deployment=` to "
            "open_azure_client() or a `model=` naming the deployment"
        )
        raise InvalidArgumentError(msg)
    from ._spec import path_param

    return f"/deployments/{path_param('deployment', deployment)}{path}"
