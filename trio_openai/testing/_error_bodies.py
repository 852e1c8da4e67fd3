"""Error bodies in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from http import HTTPStatus

from ._script import JsonBody

__all__ = ["BadRequest", "error_body", "missing", "status_error_body"]


def error_body(
    message: str, *, type: str, param: str | None = None, code: str | None = None
) -> JsonBody:
    """Return an error body as the API sends it.

    Args:
        message: The human-readable message.
        type: The error type (``invalid_request_error``, ``server_error``, ...).
        param: The request parameter at fault, if any.
        code: The machine-readable code, if any.
    """
    return JsonBody({"error": {"message": message, "type": type, "param": param, "code": code}})


# What the API says for a status when a script gives no body of its own.
_BY_STATUS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to do this.", "invalid_request_error", None),
    404: ("Not found.", "invalid_request_error", None),
    409: ("Conflict: the resource was modified concurrently.", "invalid_request_error", None),
    422: ("Unprocessable entity.", "invalid_request_error", None),
    429: (
        "Rate limit reached for requests. Please try again later.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


def status_error_body(status: int) -> JsonBody:
    """Return the API's usual error body for an HTTP *status* (400 or more).

    Args:
        status: The HTTP status code.
    """
    default = (_phrase(status), "server_error" if status >= 500 else "invalid_request_error", None)
    message, kind, code = _BY_STATUS.get(status, default)
    return error_body(message, type=kind, code=code)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return f"HTTP {status}."


class BadRequest(Exception):  # noqa: N818 -- carries a reply, it is not a caller's error
    """Raised by a default handler to answer with an error instead of a result.

    Attributes:
        status: The HTTP status.
        body: The error body.
    """

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
        type: str = "invalid_request_error",
    ) -> None:
        """Describe the error.

        Args:
            message: The message sent to the client.
            param: The parameter at fault.
            code: The machine-readable code.
            status: The HTTP status.
            type: The error type.
        """
        super().__init__(message)
        self.status = status
        self.body = error_body(message, type=type, param=param, code=code)


def missing(param: str) -> BadRequest:
    """Return the API's error for a required parameter left out.

    Args:
        param: The parameter's name.
    """
    return BadRequest(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )
