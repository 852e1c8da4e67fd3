"""Where `open_client`'s arguments and the environment become a session's settings.

The pieces `open_client` (and `with_options`) settle before a session opens: the
endpoints (`resolve_session_endpoints`: those given, or one made of ``base_url``,
``OPENAI_BASE_URL`` and the key chain), the admin key (`resolve_admin_key`:
``admin_key=`` or ``OPENAI_ADMIN_KEY``) and the per-attempt timeout (`as_timeout`).
None of them keeps the environment in a frame a traceback would show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import httpx2

from ._errors import ConfigurationError
from ._options import DEFAULT_BASE_URL
from ._reliability._endpoints import Endpoint, ResolvedEndpoint, check_base_url, resolve_endpoints
from ._secrets import KeyProvider, Secret, resolve_api_key

if TYPE_CHECKING:
    from ._reliability._breaker import CircuitBreaker
    from ._reliability._ratelimit import RateLimit

__all__ = ["as_timeout", "resolve_admin_key", "resolve_session_endpoints"]


def as_timeout(value: float | httpx2.Timeout | None) -> httpx2.Timeout:
    """An ``httpx2.Timeout`` from seconds (connecting within 5 s at most), or ``None``: none."""
    if isinstance(value, httpx2.Timeout):
        return value
    if value is None:
        return httpx2.Timeout(None)
    return httpx2.Timeout(value, connect=min(value, 5.0))


def _base_url(value: str | None, env: Mapping[str, str]) -> str:
    """The API root: *value*, else ``OPENAI_BASE_URL``, else OpenAI's; checked."""
    return check_base_url(value or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)


def resolve_admin_key(value: str | Secret | None, env: Mapping[str, str]) -> Secret | None:
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


def resolve_session_endpoints(
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
