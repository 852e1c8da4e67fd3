"""Where a call the generated methods make is sent and its answer decoded.

`Calls` is a mixin of `Client`: the methods a resource (`_api/_methods.py`), the
sync twins (`_sync/_methods.py`) and the escape hatches (`_raw.py`) call with a
`RequestSpec` / `StreamSpec`: `_execute` (decoded), `_execute_raw` (an
`APIResponse`), `_execute_streaming` (``.with_streaming_response``) and `_stream`
(typed events). Each refuses a closed session, sends through the view's route
(`send_spec`: retries, reliability layers, the size bound) and decodes by the
spec's kind. They are the `Caller` protocol's (``_api/_caller.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from ._api._response import APIResponse, BinaryResponse, StreamedResponse, body_text
from ._convert._decode import decode_json
from ._errors import ClientClosedError
from ._models import set_request_id
from ._pipeline import send_spec

if TYPE_CHECKING:
    from ._api._streaming import Stream
    from ._http._spec import RequestSpec, StreamSpec
    from ._options import ClientOptions
    from ._pipeline import Route
    from ._session import Session

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "Calls"]

T = TypeVar("T")

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
"""The largest single stream event accepted (bytes)."""


class Calls:
    """How `Client` sends a spec and decodes the answer (the `Caller` protocol's calls)."""

    __slots__ = ()

    if TYPE_CHECKING:
        # What the mixin needs from the client it is part of (`Client` has them).
        _session: Session
        _options: ClientOptions

        def _route_for(self, spec: RequestSpec[Any]) -> Route: ...

    def _check_open(self) -> Session:
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
