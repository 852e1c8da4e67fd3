"""Where a request is built: a `RequestSpec` plus the client's options become an `httpx2.Request`.

Built once per call, before the first attempt: every retry resends the very same
request, so its ``Idempotency-Key`` header is the same across attempts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import httpx2

from ._options import AzureConfig, ClientOptions
from ._request import RequestSpec, merge_query
from ._types import NotGiven

__all__ = ["build_request", "to_jsonable"]

_USER_AGENT = "trio-openai/0.1"
# Azure serves these routes below /deployments/{deployment}.
_AZURE_DEPLOYMENT_ROUTES = (
    "/chat/completions",
    "/completions",
    "/embeddings",
    "/audio/",
    "/images/",
)


def to_jsonable(value: object) -> object:
    """Turn a request value (plain data, possibly holding attrs models) into JSON data."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if not isinstance(v, NotGiven)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    from ._converter import unstructure

    return unstructure(value)


async def build_request(
    http: httpx2.AsyncClient,
    options: ClientOptions,
    spec: RequestSpec[Any],
    *,
    accept: str = "application/json",
) -> httpx2.Request:
    """Build the HTTP request for *spec*.

    Args:
        http: The client whose ``build_request`` applies its own defaults.
        options: The calling client's options.
        spec: The call.
        accept: The ``Accept`` header (``text/event-stream`` for streams).

    Raises:
        TypeError: A file argument is of an unsupported type.
    """
    body: dict[str, object] | None = None
    if spec.body is not None or spec.extra_body:
        body = dict(spec.body or {})
        if spec.extra_body:
            body.update(spec.extra_body)

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

    headers = _headers(options, spec, accept)

    content: bytes | None = None
    files: Any = None
    data: Any = None
    if spec.files is not None:
        from ._files import build_multipart

        files, data = await build_multipart(spec.files, to_jsonable(body or {}))  # type: ignore[arg-type]
    elif body is not None:
        content = json.dumps(to_jsonable(body), separators=(",", ":"), ensure_ascii=False).encode()
        headers["content-type"] = "application/json"

    timeout = options.timeout if isinstance(spec.timeout, NotGiven) else spec.timeout
    return http.build_request(
        spec.method,
        options.base_url + path,
        params=merge_query(query) or None,
        headers=headers,
        content=content,
        files=files,
        data=data,
        timeout=timeout,
    )


def _headers(options: ClientOptions, spec: RequestSpec[Any], accept: str) -> dict[str, str]:
    key = options.api_key.get_secret_value()
    # Lower-case names, so that a caller's header replaces ours whatever its case.
    headers = {"accept": accept, "user-agent": _USER_AGENT}
    if options.azure is not None:
        headers["api-key"] = key
    else:
        headers["authorization"] = f"Bearer {key}"
    if options.organization:
        headers["openai-organization"] = options.organization
    if options.project:
        headers["openai-project"] = options.project
    if spec.method != "GET":
        headers["idempotency-key"] = f"trio-openai-{uuid.uuid4()}"
    for extra in (options.headers, spec.extra_headers):
        if extra:
            headers.update({k.lower(): v for k, v in extra.items()})
    # An empty value removes a default header (e.g. extra_headers={"Idempotency-Key": ""}).
    return {k: v for k, v in headers.items() if v != ""}


def _azure_path(azure: AzureConfig, path: str, body: Mapping[str, object] | None) -> str:
    if azure.api_version is None or not path.startswith(_AZURE_DEPLOYMENT_ROUTES):
        return path
    deployment = azure.deployment or (body or {}).get("model")
    if not isinstance(deployment, str) or not deployment:
        msg = (
            f"Azure OpenAI needs a deployment for {path}: pass `azure_deployment=` to "
            "open_azure_client() or a `model=` naming the deployment"
        )
        raise TypeError(msg)
    from ._request import path_param

    return f"/deployments/{path_param('deployment', deployment)}{path}"
