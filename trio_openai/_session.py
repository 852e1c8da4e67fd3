"""What every view of one client shares (`Session`), and how `with_options` makes a view.

A `Client` is a view: its options over a `Session` (the pool, the nursery, the
endpoints and their router, the event stream). `view_changes` turns the arguments
of ``client.with_options(...)`` into the view's option changes and the overrides
that win over each endpoint's own (key, organization, project); `derive` makes
the session of a view with a ``base_url`` of its own: one endpoint, the same pool,
nursery and events, closed with its parent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, final

import attrs
import httpx2
import trio

from ._health import HealthCheck
from ._http._proxy import Proxies
from ._options import ClientOptions
from ._pipeline import SendFn
from ._reliability._endpoints import Endpoint, Routing, check_base_url, resolve_endpoints
from ._reliability._observe import Observer
from ._reliability._retry import RetryPolicy
from ._reliability._router import Router
from ._secrets import KeyFunction, Secret, resolve_api_key
from ._settings import as_timeout
from ._types import NotGiven

__all__ = ["Session", "derive", "view_changes"]


@final
@attrs.define(eq=False)
class Session:
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
    family: list[Session] = attrs.field(factory=list)


def view_changes(
    options: ClientOptions,
    overrides: Mapping[str, Any],
    *,
    api_key: str | Secret | KeyFunction | NotGiven,
    organization: str | NotGiven | None,
    project: str | NotGiven | None,
    base_url: str | NotGiven,
    timeout: float | httpx2.Timeout | NotGiven | None,
    max_retries: int | NotGiven,
    retry_policy: RetryPolicy | NotGiven,
    default_headers: Mapping[str, str] | NotGiven,
    default_query: Mapping[str, object] | NotGiven,
    max_response_size: int | NotGiven,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The option changes of a `with_options` view, and its overrides (see `Client`).

    Returns ``(changes, overrides)``: *changes* for ``attrs.evolve(options, ...)``
    (the overrides among them, a checked ``base_url`` if given), *overrides* the
    view's explicit key, organization and project (its parent's included).

    Raises:
        ConfigurationError: A malformed *base_url* or key.
    """
    # Converted at once: no raw key in this frame's locals for a traceback to show.
    key = (
        None
        if isinstance(api_key, NotGiven)
        else resolve_api_key(api_key, env=os.environ, cwd=Path.cwd())
    )
    del api_key
    changes: dict[str, Any] = {}
    overrides = dict(overrides)
    if key is not None:
        overrides["api_key"] = key
    if not isinstance(organization, NotGiven):
        overrides["organization"] = organization or None
    if not isinstance(project, NotGiven):
        overrides["project"] = project or None
    changes.update(overrides)
    if not isinstance(timeout, NotGiven):
        changes["timeout"] = as_timeout(timeout)
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
    if not isinstance(base_url, NotGiven):
        changes["base_url"] = check_base_url(base_url)
    return changes, overrides


def derive(session: Session, base_url: str, options: ClientOptions) -> Session:
    """A session of one endpoint at *base_url*, sharing *session*'s pool, nursery and events."""
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
    derived = Session(
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
