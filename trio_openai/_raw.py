"""Where a raw call is built: the escape hatches ``client.get/post/patch/put/delete/request``.

For endpoints the spec (and so the API tree) does not have::

    job = await client.get("/fine_tuning/jobs/ftjob-abc", cast_to=FineTuningJob)
    raw = await client.post("/some/new/endpoint", body={...}, cast_to=APIResponse)

`RawCalls` is a mixin of `Client`: each verb builds a `RequestSpec` from its
arguments (the path checked by `relative_path`) and hands it to the client's
`_execute` / `_execute_raw`, so the whole pipeline applies (authentication, the
admin key, default headers and query, retries, reliability layers, errors, the
size bound). The blocking twins are `SyncClient`'s (``_sync/_client.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from ._api._response import APIResponse
from ._http._spec import RequestSpec, relative_path
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from ._http._multipart import FileInput

__all__ = ["RawCalls"]

T = TypeVar("T")


class RawCalls:
    """The escape hatches of `Client`: calls built from a method, a path and raw arguments."""

    __slots__ = ()

    if TYPE_CHECKING:
        # What the mixin needs from the client it is part of (`Client` has them).
        async def _execute(self, spec: RequestSpec[T]) -> T: ...
        async def _execute_raw(self, spec: RequestSpec[T]) -> APIResponse[T]: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> T: ...
    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: object = object,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
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
        timeout: float | NotGiven | None = NOT_GIVEN,
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


def _kind_of(cast_to: object) -> Any:
    """How the body of an escape-hatch call is read, for its *cast_to*."""
    if cast_to is None or cast_to is type(None):
        return "empty"
    if cast_to is str:
        return "text"
    if cast_to is bytes:
        return "binary"
    return "json"
