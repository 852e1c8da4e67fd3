"""Where an answer is decoded: JSON bytes into typed results, and error bodies into data.

Structuring goes through the one cattrs converter (`_converter.py`); a body that
does not fit the schema becomes `APIResponseValidationError` naming the JSON path
of the bad field.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._errors import APIResponseValidationError

if TYPE_CHECKING:
    import httpx2

__all__ = ["JSONDepthError", "decode_json", "error_body", "loads", "structure_as"]


class JSONDepthError(ValueError):
    """A JSON document nests deeper than the parser can follow.

    A `ValueError`, as every other malformed JSON is, so each caller's
    "not valid JSON" path reports it and nothing has to know about recursion.
    """


def loads(data: bytes | str) -> Any:
    """Parse JSON (one place, so a faster parser can be swapped in).

    Raises:
        ValueError: *data* is not JSON (`json.JSONDecodeError`), or it nests
            too deeply to parse (`JSONDepthError`; the C parser's
            `RecursionError` never escapes).
    """
    try:
        return json.loads(data)
    except RecursionError:
        msg = "JSON nested too deeply to decode (more levels than the parser follows)"
        raise JSONDepthError(msg) from None


def error_body(content: bytes) -> object:
    """The body of an error response: its JSON, else its text (``None`` when empty)."""
    if not content:
        return None
    try:
        return loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def structure_as(data: object, tp: Any, response: httpx2.Response) -> Any:
    """Structure JSON *data* into *tp*.

    Raises:
        APIResponseValidationError: *data* does not fit *tp*; names the path.
    """
    if tp is object or tp is Any:
        return data
    from ._converter import ValidationError, structure

    try:
        return structure(data, tp)
    except ValidationError as exc:
        raise APIResponseValidationError(
            f"The response to {response.request.method} {response.request.url.path} does not "
            f"match the expected {_type_name(tp)}: {exc}. The server may speak another API "
            "version; the raw body is in `.body`.",
            response=response,
            body=data,
            path=exc.path,
        ) from exc


def decode_json(content: bytes, tp: Any, response: httpx2.Response) -> Any:
    """Parse *content* as JSON and structure it into *tp*.

    Raises:
        APIResponseValidationError: The body is not JSON, or does not fit *tp*.
    """
    try:
        data = loads(content)
    except ValueError as exc:
        preview = content[:200].decode("utf-8", errors="replace")
        raise APIResponseValidationError(
            f"The response to {response.request.method} {response.request.url.path} is not "
            f"valid JSON ({exc}); it starts with {preview!r}",
            response=response,
            body=content.decode("utf-8", errors="replace"),
        ) from exc
    return structure_as(data, tp, response)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp)
