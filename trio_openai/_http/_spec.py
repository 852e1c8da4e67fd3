"""Where a request is built: the spec a generated method returns, and its helpers.

A generated API method does no I/O. It checks and gathers its arguments into a
`RequestSpec` (method, path, query, body, files, how to decode the answer); the
client's pipeline (`_pipeline.py`) turns that spec into an HTTP request, sends
it, retries it and decodes the result. Keeping the two apart is what lets one
method serve the plain call, the raw-response call and the streaming-body call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote, unquote

import attrs

from .._errors import InvalidArgumentError
from .._types import NotGiven

if TYPE_CHECKING:
    from ._multipart import FileInput

__all__ = [
    "ListSpec",
    "RequestSpec",
    "StreamSpec",
    "body_of",
    "deep_object",
    "form_part",
    "path_param",
    "query_of",
    "relative_path",
]

T = TypeVar("T")
ItemT = TypeVar("ItemT")

ResultKind = Literal["json", "binary", "text", "empty"]


def _headers_repr(headers: Mapping[str, str] | None) -> str:
    # A per-call header may carry a key: shown as the client's own headers are.
    from ._auth import redacted_mapping_repr

    return "None" if headers is None else redacted_mapping_repr(headers)


@attrs.frozen(kw_only=True)
class RequestSpec(Generic[T]):
    """Everything needed to make one API call, before any I/O.

    Attributes:
        method: The HTTP method.
        path: The path below the base URL, path parameters already quoted.
        query: Query parameters (values not yet stringified; `NOT_GIVEN` dropped).
        body: The JSON body, or the form fields of a multipart body.
        files: Multipart file fields; when set the body is sent as ``multipart/form-data``.
        result: The type the answer decodes into (an attrs class, a union, a list, ...).
        kind: How the answer's body is read: JSON, raw bytes, text, or nothing.
        headers: Headers the operation itself needs (``OpenAI-Beta: assistants=v2``
            for the Assistants and Vector stores APIs), sent over the client's
            defaults; *extra_headers* still replace them (``""`` removes one).
        extra_headers: Per-call headers (``""`` removes a default header).
        extra_query: Per-call query parameters merged over *query*.
        extra_body: Per-call JSON fields merged over *body*.
        timeout: Per-call timeout; `NOT_GIVEN` keeps the client's.
        admin: An operation of the administration API (its spec security is
            ``AdminApiKeyAuth``): sent with the client's admin key when it has one.
            Paths below ``/organization/`` and ``/projects/`` count as admin
            whatever this says (see `is_admin`).
    """

    method: str
    path: str
    result: Any
    query: Mapping[str, object] | None = None
    body: Mapping[str, object] | None = None
    files: Mapping[str, FileInput | list[FileInput]] | None = None
    kind: ResultKind = "json"
    headers: Mapping[str, str] | None = None
    extra_headers: Mapping[str, str] | None = attrs.field(default=None, repr=_headers_repr)
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | NotGiven | None = attrs.field(factory=NotGiven)
    admin: bool = False

    @property
    def is_admin(self) -> bool:
        """Whether the call belongs to the administration API (and takes an admin key).

        Marked by *admin*, or by its path: every operation of the spec below
        ``/organization/`` or ``/projects/`` is an admin one (and no other is).
        """
        return self.admin or self.path.startswith(_ADMIN_PREFIXES)


# The spec's AdminApiKeyAuth operations are exactly those below these prefixes.
_ADMIN_PREFIXES: Final = ("/organization/", "/projects/")


@attrs.frozen(kw_only=True)
class ListSpec(Generic[ItemT]):
    """A list call: the first page's request and how to walk to the next page.

    Attributes:
        request: The request for the first page.
        item: The type of one item (for typing; decoding goes through *request.result*).
        items_field: The field of the page object that holds the items.
        cursor_param: The query parameter that asks for the next page (``after``,
            ``page``, ...); ``None`` when the list is not paginated.
        cursor_field: The page field that holds the next cursor (``last_id``,
            ``next_page``, ...); ``None`` means the last item's ``id``.
        has_more_field: The page field that says whether more pages exist; ``None``
            means "another page exists while a cursor is present".
    """

    request: RequestSpec[Any]
    item: Any
    items_field: str = "data"
    cursor_param: str | None = "after"
    cursor_field: str | None = None
    has_more_field: str | None = "has_more"


StreamEnd = Literal["done", "response", "event", "none"]


@attrs.frozen(kw_only=True)
class StreamSpec(Generic[ItemT]):
    """A streaming call: the request (with ``stream: true``) and how to read its events.

    Attributes:
        request: The request; its *result* is unused.
        event: The type one event's ``data`` decodes into.
        end: How the stream says it is complete: ``"done"`` (a ``data: [DONE]``
            line, chat and completions), ``"response"`` (a terminal
            ``response.completed``/``failed``/``incomplete`` event), ``"event"``
            (an event whose ``type`` is in *terminal*; later events are still
            read, e.g. several images) or ``"none"`` (end of body is the end).
        terminal: With ``end="event"``, the ``type`` values that complete the stream.
        envelope: Decode ``{"event": <the SSE event name>, "data": <payload>}``
            instead of the payload alone (assistants run streams name their
            events in the SSE ``event:`` field).
    """

    request: RequestSpec[Any]
    event: Any
    end: StreamEnd = "done"
    terminal: frozenset[str] = frozenset()
    envelope: bool = False


# Values that, quoted, would not be one plain segment below the route's prefix.
_ROUTE_CHANGING: Final = frozenset({"", ".", ".."})


def path_param(name: str, value: object) -> str:
    """Quote one path parameter, refusing a value that would address another route.

    Every character outside the URL's unreserved set is percent-encoded, ``/``
    and ``%`` included, so a value stays one path segment (``"a/b"`` is sent
    as ``a%2Fb``, ``"%2e%2e"`` as ``%252e%252e``). Dots are unreserved, so
    ``"."`` and ``".."`` would survive quoting as dot segments, which every URL
    parser (httpx2's included) resolves: ``files.delete("..")`` would become
    ``DELETE /v1``. Those two, and the empty value that drops the segment,
    are refused; ``"..x"`` or ``"..."`` are ordinary segments and are sent.

    Args:
        name: The parameter's name, for the error message.
        value: Its value.

    Raises:
        InvalidArgumentError: The value is empty, ``"."`` or ``".."`` (the call
            would hit another route), or it is not encodable as UTF-8 (a lone
            surrogate).
    """
    text = str(value)
    if text in _ROUTE_CHANGING:
        why = "an empty segment" if not text else "a dot segment, which URL parsers resolve"
        msg = (
            f"`{name}` must be an id, not {value!r}: it would be {why}, "
            "and the request would go to another route"
        )
        raise InvalidArgumentError(msg)
    try:
        return quote(text, safe="")
    except UnicodeEncodeError as exc:
        # `from None`: the codec's message repeats the value; ours names the parameter.
        msg = (
            f"`{name}` cannot be sent in a URL: {exc.reason} at character {exc.start} "
            "(a lone surrogate has no UTF-8 form)"
        )
        raise InvalidArgumentError(msg) from None


def relative_path(path: str) -> str:
    """Check and quote a path given to ``client.get(path, ...)`` and its siblings.

    The path is relative to the client's base URL: ``"/fine_tuning/alpha/graders"``
    and ``"fine_tuning/alpha/graders"`` are the same call. It goes through the
    rules of `path_param`, for each of its segments: an empty segment (``"a//b"``,
    a trailing ``/``) and a dot segment (``"."``, ``".."``, also percent-encoded
    as ``%2e``) are refused, since they would address another route once URL
    parsers resolve them. Characters that cannot appear in a path are
    percent-encoded; ``%`` escapes already there are kept.

    Args:
        path: The path below the base URL, without query (use ``params=``).

    Raises:
        InvalidArgumentError: An absolute URL (``https://...``, ``//host``), a
            query or fragment (``?``, ``#``), an empty or dot segment, or a
            character with no UTF-8 form.
    """
    problem = _path_problem(path)
    if problem is not None:
        raise InvalidArgumentError(f"path {path!r} {problem}")
    try:
        return "/" + quote(path.removeprefix("/"), safe="/%:@!$&'()*+,;=-._~")
    except UnicodeEncodeError as exc:
        msg = f"path cannot be sent in a URL: {exc.reason} at character {exc.start}"
        raise InvalidArgumentError(msg) from None


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return f"must be a str, got {type(path).__name__}"
    if path.startswith("//") or "://" in path:
        return (
            "is an absolute URL: give a path relative to the client's base_url "
            "(a view with another base_url is client.with_options(base_url=...))"
        )
    if "?" in path or "#" in path:
        return "has a query or fragment: pass query parameters as params="
    for segment in path.removeprefix("/").split("/"):
        if unquote(segment) in _ROUTE_CHANGING:
            return (
                "has an empty or dot segment, which would address another route once "
                "URL parsers resolve it"
            )
    return None


def body_of(fields: Mapping[str, object]) -> dict[str, object]:
    """The fields of a JSON body, without those left `NOT_GIVEN`."""
    return {k: v for k, v in fields.items() if not isinstance(v, NotGiven)}


def query_of(fields: Mapping[str, object]) -> dict[str, object]:
    """The query parameters of a call, without those left `NOT_GIVEN` or ``None``."""
    return {k: v for k, v in fields.items() if v is not None and not isinstance(v, NotGiven)}


def deep_object(name: str, value: object) -> dict[str, object]:
    """An object query parameter as ``name[key]`` parameters (OpenAPI ``deepObject``).

    ``deep_object("metadata", {"team": "a"})`` is ``{"metadata[team]": "a"}``; a value
    left `NOT_GIVEN` or ``None`` gives no parameter.
    """
    if value is None or isinstance(value, NotGiven):
        return {}
    if not isinstance(value, Mapping):
        from .._convert._encode import to_jsonable

        value = to_jsonable(value)
    if not isinstance(value, Mapping):
        msg = f"`{name}` must be a mapping, got {type(value).__name__}"
        raise TypeError(msg)
    return {f"{name}[{key}]": item for key, item in value.items()}


def form_part(value: object, content_type: str) -> tuple[None, bytes, str]:
    """A multipart part that is not a file: text as is, anything else as compact JSON.

    For form fields the spec gives their own content type (``sdp`` as
    ``application/sdp``, ``session`` as ``application/json`` in ``realtime.calls.create``).
    """
    if isinstance(value, str):
        return None, value.encode(), content_type
    from .._convert._encode import encode_json

    return None, encode_json(value), content_type


QueryPairs = list[tuple[str, str | int | float | bool | None]]


def merge_query(*parts: Mapping[str, object] | None) -> QueryPairs:
    """Flatten query mappings into (name, text) pairs; a list repeats the name."""
    out: QueryPairs = []
    for part in parts:
        if not part:
            continue
        for key, value in part.items():
            if value is None or isinstance(value, NotGiven):
                continue
            values: Iterable[object] = value if isinstance(value, (list, tuple)) else (value,)
            out.extend((key, _query_text(v)) for v in values)
    return out


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
