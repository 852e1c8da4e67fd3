"""Reading a request for the default replies: its JSON body, typed fields, list pages.

Every helper answers a bad request the way the API does, by raising `BadRequest`
(a 400 in OpenAI's error shape, ``param`` set), so a handler reads like the
happy path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ._error_bodies import BadRequest, missing
from ._records import FakeRequest

__all__ = [
    "int_query",
    "json_object",
    "list_page",
    "lookup",
    "optional_string",
    "required_string",
]

T = TypeVar("T")


def json_object(request: FakeRequest) -> Mapping[str, Any]:
    """Return the request's body, which must be a JSON object.

    Args:
        request: The request.

    Raises:
        BadRequest: The body is not JSON, or not an object.
    """
    try:
        value = request.json()
    except ValueError:
        raise BadRequest(
            "We could not parse the JSON body of your request. (HINT: This likely means you"
            " aren't using your HTTP library correctly.)"
        ) from None
    if not isinstance(value, Mapping):
        raise BadRequest("The request body must be a JSON object.")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def required_string(body: Mapping[str, Any], name: str) -> str:
    """Return the string field *name* of a JSON body.

    Args:
        body: The request body.
        name: The field.

    Raises:
        BadRequest: The field is missing (``missing_required_parameter``) or not a string.
    """
    if name not in body:
        raise missing(name)
    return _string(body, name)


def optional_string(body: Mapping[str, Any], name: str) -> str | None:
    """Return the string field *name* of a JSON body, ``None`` when absent or null.

    Args:
        body: The request body.
        name: The field.

    Raises:
        BadRequest: The field is there but not a string.
    """
    if body.get(name) is None:
        return None
    return _string(body, name)


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(
            f"Invalid type for '{name}': expected a string, but got {_kind(value)} instead.",
            param=name,
            code="invalid_type",
        )
    return value


def int_query(request: FakeRequest, name: str, default: int) -> int:
    """Return the integer query parameter *name*, or *default* when absent.

    Args:
        request: The request.
        name: The query parameter.
        default: The value when the parameter is not given.

    Raises:
        BadRequest: The value is not an integer.
    """
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid value for '{name}': {raw!r}.", param=name) from None


def lookup(objects: Mapping[str, T], object_id: str, *, noun: str, param: str = "id") -> T:
    """Return the stored object with id *object_id*, as a path parameter names it.

    Args:
        objects: The stored objects by id.
        object_id: The id from the request's path.
        noun: What the object is called in the 404 (``File``, ``Batch``).
        param: The ``param`` of the 404.

    Raises:
        BadRequest: No such object (404, ``No such Batch object: ...``).
    """
    try:
        return objects[object_id]
    except KeyError:
        raise BadRequest(f"No such {noun} object: {object_id}", param=param, status=404) from None


def list_page(
    request: FakeRequest,
    objects: Sequence[Mapping[str, Any]],
    *,
    noun: str,
    default_limit: int = 20,
    max_limit: int = 100,
    id_bounds: bool = False,
) -> dict[str, object]:
    """Return one page of a cursor-paginated list (``after``, ``limit``, ``has_more``).

    Args:
        request: The request, whose query holds ``after`` and ``limit``.
        objects: Every object in list order (newest first), each with an ``id``.
        noun: What the objects are called in a 404 for an unknown ``after`` (``Batch``).
        default_limit: The page size when ``limit`` is not given.
        max_limit: The largest ``limit`` accepted.
        id_bounds: Add ``first_id`` and ``last_id`` (left out of an empty page).

    Raises:
        BadRequest: An unknown ``after`` id (404), or a ``limit`` out of range.
    """
    after = request.query.get("after")
    if after is not None:
        ids = [item["id"] for item in objects]
        if after not in ids:
            raise BadRequest(f"No such {noun} object: {after}", param="after", status=404)
        objects = objects[ids.index(after) + 1 :]
    limit = int_query(request, "limit", default_limit)
    if not 1 <= limit <= max_limit:
        raise BadRequest(f"'limit' must be between 1 and {max_limit}.", param="limit")
    page = list(objects[:limit])
    result: dict[str, object] = {"object": "list", "data": page, "has_more": len(objects) > limit}
    if id_bounds and page:
        result["first_id"] = page[0]["id"]
        result["last_id"] = page[-1]["id"]
    return result
