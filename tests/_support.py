"""Test helpers: a tiny hand-written resource and a client wired to a handler function."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2

import trio_openai
from trio_openai._api._methods import api_method, list_method, stream_method
from trio_openai._api._resource import Resource
from trio_openai._http._spec import ListSpec, RequestSpec, StreamSpec, body_of

Handler = Callable[[httpx2.Request], Any]


class Probe(Resource):
    """Endpoints of every kind over arbitrary paths, decoding to plain JSON."""

    __slots__ = ()

    @api_method
    def get(
        self, path: str, *, timeout: float | trio_openai.NotGiven | None = trio_openai.NOT_GIVEN
    ) -> RequestSpec[Any]:
        """``GET path``, with an optional per-call *timeout*."""
        return RequestSpec(method="GET", path=path, result=object, timeout=timeout)

    @api_method
    def post(self, path: str, **fields: Any) -> RequestSpec[Any]:
        """``POST path`` with *fields* as the JSON body."""
        return RequestSpec(method="POST", path=path, result=object, body=body_of(fields))

    @list_method
    def list(self, path: str, **query: Any) -> ListSpec[Any]:
        """A paginated ``GET path`` with *query* as query parameters."""
        return ListSpec(
            request=RequestSpec(method="GET", path=path, result=object, query=query),
            item=object,
        )

    @stream_method
    def stream(self, path: str, *, end: str = "done") -> StreamSpec[Any]:
        """A streaming ``POST path`` (``{"stream": true}``) whose events end as *end* says."""
        return StreamSpec(
            request=RequestSpec(method="POST", path=path, result=object, body={"stream": True}),
            event=object,
            end=end,  # type: ignore[arg-type]
        )


@asynccontextmanager
async def mock_client(
    handler: Handler, **kwargs: Any
) -> AsyncIterator[tuple[trio_openai.Client, Probe]]:
    """An open client whose requests go to *handler* (an ``httpx2.MockTransport``)."""
    kwargs.setdefault("api_key", "sk-test-1234")
    kwargs.setdefault("base_url", "http://test.invalid/v1")
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(http_client=http, **kwargs) as client:
            yield client, Probe(client)


def resolve_method(root: Any, dotted: str) -> tuple[Any, str]:
    """The resource that holds the method *dotted* (``"chat.completions.create"``), and its name."""
    *resources, name = dotted.split(".")
    node = root
    for part in resources:
        node = getattr(node, part)
    return node, name


def placeholder_arguments(node: Any, name: str) -> dict[str, object]:
    """Every required argument of the generated method *name* of *node*, as ``"<argument>"``."""
    build = inspect.getattr_static(type(node), name)._build
    return {
        param: f"<{param}>"
        for param, p in list(inspect.signature(build).parameters.items())[1:]
        if p.default is inspect.Parameter.empty
    }
