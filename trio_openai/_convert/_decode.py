"""Where an answer is decoded: JSON bytes into typed results, and error bodies into data.

Structuring goes through the one cattrs converter (`_converter.py`); a body that
does not fit the schema becomes `APIResponseValidationError` naming the JSON path
of the bad field.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .._errors import APIResponseValidationError

if TYPE_CHECKING:
    import httpx2

__all__ = ["JSONDepthError", "decode_json", "error_body", "lend_stack", "loads", "structure_as"]

E = TypeVar("E", bound=BaseException)

_LENT_FRAMES: Final = 50
"""Frames `lend_stack` lends: building an error takes about ten."""


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

    Structuring recurses along *tp*, and on failure the converter walks the data
    again, so it can run out of stack where parsing did not: when it is called
    from a deep stack. That is reported as `APIResponseValidationError` too,
    never as a bare `RecursionError`.

    Raises:
        APIResponseValidationError: *data* does not fit *tp* (names the path),
            or structuring it ran out of stack.
    """
    if tp is object or tp is Any:
        return data
    from ._converter import ValidationError, structure

    try:
        return structure(data, tp)
    except (RecursionError, ValidationError) as exc:
        failure = exc
    # The converter turns any failure into a ValidationError, a RecursionError too.
    if isinstance(failure, RecursionError) or isinstance(failure.__cause__, RecursionError):
        # `from None`: the RecursionError's traceback is a thousand frames of noise.
        raise lend_stack(partial(_too_deep, data, tp, response)) from None
    raise lend_stack(partial(_mismatch, failure, data, tp, response)) from failure


def lend_stack(build: Callable[[], E]) -> E:
    """Build an error with some stack lent for it (an error path after a stack overflow).

    After a `RecursionError` the stack may still be nearly as deep as the limit,
    and an exception's ``__init__``, its message and the properties it reads need
    frames of their own: building it would raise `RecursionError` again and hide
    the clear error. The recursion limit is raised by a few dozen frames for the
    call and put back at once. The limit is the interpreter's, so a change of it
    by another thread in those microseconds would be undone.

    Args:
        build: Makes the error (called once).
    """
    # Read through a frame of its own: if that fits, this frame is below the
    # limit and putting the limit back (which counts the call) cannot fail.
    limit = _recursion_limit()
    sys.setrecursionlimit(limit + _LENT_FRAMES)
    try:
        return build()
    finally:
        sys.setrecursionlimit(limit)


def _recursion_limit() -> int:
    return sys.getrecursionlimit()


def _too_deep(data: object, tp: Any, response: httpx2.Response) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The response to {response.request.method} {response.request.url.path} nests too "
        f"deeply to decode into {_type_name(tp)}: structuring it ran out of stack (Python's "
        "recursion limit). The raw data is in `.body`.",
        response=response,
        body=data,
    )


def _mismatch(
    exc: Exception, data: object, tp: Any, response: httpx2.Response
) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The response to {response.request.method} {response.request.url.path} does not "
        f"match the expected {_type_name(tp)}: {exc}. The server may speak another API "
        "version; the raw body is in `.body`.",
        response=response,
        body=data,
        path=getattr(exc, "path", "$"),
    )


def decode_json(content: bytes, tp: Any, response: httpx2.Response) -> Any:
    """Parse *content* as JSON and structure it into *tp*.

    Raises:
        APIResponseValidationError: The body is not JSON (or nests too deeply to
            parse), or does not fit *tp*.
    """
    try:
        data = loads(content)
    except ValueError as exc:
        # Lent stack: a JSONDepthError may come from a deep caller's stack.
        raise lend_stack(partial(_not_json, exc, content, response)) from exc
    return structure_as(data, tp, response)


def _not_json(
    exc: ValueError, content: bytes, response: httpx2.Response
) -> APIResponseValidationError:
    preview = content[:200].decode("utf-8", errors="replace")
    return APIResponseValidationError(
        f"The response to {response.request.method} {response.request.url.path} is not "
        f"valid JSON ({exc}); it starts with {preview!r}",
        response=response,
        body=content.decode("utf-8", errors="replace"),
    )


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp)
