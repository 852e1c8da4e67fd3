"""The exceptions trio_openai raises.

Every error the client raises derives from `OpenAIError`; exceptions of the
libraries underneath (httpx2, cattrs, trio-websocket) are translated where they
enter, so callers never need to import those libraries to catch ours::

    OpenAIError
    ├── ConfigurationError             bad client set-up (no key, malformed key, ...)
    ├── ClientClosedError              a request on a client whose session has ended
    ├── InvalidArgumentError           a call's argument cannot be sent (checked before sending)
    ├── InvalidWebhookSignatureError   a webhook delivery fails verification (_webhooks.py)
    ├── LengthFinishReasonError        a structured reply was cut off at the token limit
    ├── ContentFilterFinishReasonError a structured reply was stopped by the content filter
    └── APIError                       anything about one API call
        ├── APIConnectionError         the request did not get a complete answer
        │   ├── APITimeoutError        ... because a timeout expired
        │   ├── StreamInterruptedError ... a stream ended before its terminal marker
        │   ├── RealtimeConnectionClosed   a realtime websocket closed (realtime/)
        │   └── CircuitOpenError       ... because no endpoint's circuit breaker lets it through
        ├── RateLimitWaitError         the client's own rate limiter refused to wait
        ├── APIResponseValidationError the answer does not fit the schema
        ├── ResponseTooLargeError      the body is larger than the client's ``max_response_size``
        ├── APIStreamError             the server reported an error inside a stream
        └── APIStatusError             HTTP status >= 400, or a redirect not followed
            ├── BadRequestError            400
            ├── AuthenticationError        401
            ├── PermissionDeniedError      403
            ├── NotFoundError              404
            ├── ConflictError              409
            ├── UnprocessableEntityError   422
            ├── RateLimitError             429
            └── InternalServerError        >= 500

`trio.Cancelled` is never wrapped: cancellation passes through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CircuitOpenError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "InternalServerError",
    "InvalidArgumentError",
    "LengthFinishReasonError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitWaitError",
    "ResponseTooLargeError",
    "StreamInterruptedError",
    "UnprocessableEntityError",
    "status_error",
]


class OpenAIError(Exception):
    """Base class of every exception raised by trio_openai."""


class ConfigurationError(OpenAIError):
    """The client cannot be set up as asked (missing or malformed key, bad URL, ...)."""


class ClientClosedError(OpenAIError):
    """A request was made on a client whose ``async with`` block has ended."""


class InvalidArgumentError(OpenAIError, ValueError, TypeError):
    """An argument of a call cannot be sent as it is; raised before anything is sent.

    The message names the argument (its JSON path for nested values) and what is
    wrong: an empty or dot-segment path parameter, a non-finite float, a value
    that has no JSON form, a header value with a line break or outside latin-1.
    It is also a `ValueError` and a `TypeError`, the standard library's classes
    for bad arguments, so code written against either keeps working. Never retried.
    """


class LengthFinishReasonError(OpenAIError):
    """A structured reply (``parse``) stopped at the token limit, so it cannot be parsed.

    Raised for a chat choice whose ``finish_reason`` is ``"length"``, or a response
    that is ``incomplete`` for ``max_output_tokens``. Raise the limit
    (``max_completion_tokens`` / ``max_output_tokens``) or ask for less.

    Attributes:
        completion: The whole answer (a ``ChatCompletion`` or a ``Response``), usage included.
    """

    completion: object

    def __init__(self, *, completion: object) -> None:
        super().__init__(
            "The reply reached the token limit (finish reason `length`) before its JSON "
            "was complete, so it cannot be parsed; raise max_completion_tokens / "
            "max_output_tokens or ask for less"
        )
        self.completion = completion


class ContentFilterFinishReasonError(OpenAIError):
    """A structured reply (``parse``) was stopped by the content filter.

    Raised for a chat choice whose ``finish_reason`` is ``"content_filter"``, or a
    response that is ``incomplete`` for ``content_filter``.

    Attributes:
        completion: The whole answer (a ``ChatCompletion`` or a ``Response``).
    """

    completion: object

    def __init__(self, *, completion: object) -> None:
        super().__init__(
            "The reply was stopped by the content filter (finish reason `content_filter`), "
            "so it cannot be parsed"
        )
        self.completion = completion


class APIError(OpenAIError):
    """An API call failed.

    Attributes:
        message: What happened, and what to do about it.
        request: The HTTP request that failed, if one was built.
        body: The decoded error body (JSON) or text, if the server sent one.
        code: The ``error.code`` the server sent, if any.
        type: The ``error.type`` the server sent, if any.
        param: The ``error.param`` the server sent, if any.
    """

    message: str
    request: httpx2.Request | None
    body: object
    code: str | None
    type: str | None
    param: str | None

    def __init__(
        self,
        message: str,
        *,
        request: httpx2.Request | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        error = _error_object(body)
        self.code = _str_or_none(error.get("code"))
        self.type = _str_or_none(error.get("type"))
        self.param = _str_or_none(error.get("param"))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # The default (``cls(*args)``) fails on keyword-only arguments, and would
        # pickle the request with its key header: rebuild from redacted copies.
        return _restore, (type(self), self.message, _picklable_state(self.__dict__))


def _restore(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    """Rebuild a pickled `APIError` of class *cls* without calling its ``__init__``."""
    error = cls.__new__(cls, message)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def _picklable_state(state: Mapping[str, Any]) -> dict[str, Any]:
    import httpx2

    from ._http._auth import redacted_copy

    return {
        name: redacted_copy(value)
        if isinstance(value, (httpx2.Request, httpx2.Response))
        else value
        for name, value in state.items()
    }


class APIConnectionError(APIError):
    """The request did not get a complete answer: connection refused, reset, dropped mid-body."""

    def __init__(
        self, message: str = "Connection error.", *, request: httpx2.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """A network phase (connect, write, read, pool wait) took longer than the timeout."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx2.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class StreamInterruptedError(APIConnectionError):
    """A stream ended before its terminal marker (``[DONE]`` or a final ``response.*`` event)."""


class CircuitOpenError(APIConnectionError):
    """The call was refused without being sent: no endpoint it may use takes calls now.

    Raised when every endpoint's guards refuse the call: an open circuit breaker, or
    any other per-endpoint guard (``_reliability/_guards.py``) that says "not now".

    A subclass of `APIConnectionError` because, to the caller, it is the same
    situation as a refused connection: no server answered, nothing was executed,
    and code that falls back on ``except APIConnectionError`` keeps working. It is
    never retried by the retry policy: the breaker's open time is the wait, and
    failing fast is the point of a breaker (see docs/reliability.md).

    Attributes:
        endpoint: The name of the endpoint that takes calls again first.
        retry_at: When it does (``trio.current_time()`` clock; for a breaker, when it
            lets a probe through).
        retry_in: Seconds from the error until then.
    """

    endpoint: str
    retry_at: float
    retry_in: float

    def __init__(self, message: str, *, endpoint: str, retry_at: float, retry_in: float) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.retry_at = retry_at
        self.retry_in = retry_in


class RateLimitWaitError(APIError):
    """The client's rate limiter would have had to wait, and did not.

    Raised before anything is sent when the limiter fails fast
    (``RateLimit(wait=False)``), when the wait would end after the caller's
    deadline (``trio.current_effective_deadline()``, the retry policy's rule),
    or when it is longer than ``RateLimit(max_wait=...)``. Not an
    `APIStatusError`: no server answered. Never retried.

    Attributes:
        endpoint: The name of the endpoint whose budget is spent.
        wait: Seconds the call would have waited.
    """

    endpoint: str
    wait: float

    def __init__(self, message: str, *, endpoint: str, wait: float) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.wait = wait


class APIResponseValidationError(APIError):
    """The server answered, but the body does not decode into the documented schema.

    Attributes:
        response: The HTTP response.
        status_code: Its status code.
        path: Where in the body the bad value sits, e.g. ``$.choices[0].index``.
    """

    response: httpx2.Response
    status_code: int
    path: str

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        body: object = None,
        path: str = "$",
    ) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.path = path


class ResponseTooLargeError(APIError):
    """A body read into memory grew past the client's ``max_response_size``.

    Checked while the body arrives and is decompressed, so a huge or
    compression-bomb answer stops at the limit instead of exhausting memory.
    Never retried. Stream a large download instead
    (``.with_streaming_response``), or raise the limit
    (``open_client(max_response_size=...)``).

    Attributes:
        response: The HTTP response (its body was not kept).
        status_code: Its status code.
        limit: The limit, in bytes.
    """

    response: httpx2.Response
    status_code: int
    limit: int

    def __init__(self, message: str, *, response: httpx2.Response, limit: int) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.limit = limit


class APIStreamError(APIError):
    """The server sent an error event (or an ``{"error": ...}`` payload) inside a stream."""


class APIStatusError(APIError):
    """The server answered with an HTTP status of 400 or more.

    Attributes:
        status_code: The HTTP status.
        response: The HTTP response (its body has been read).
        request_id: The ``x-request-id`` header, to quote to support.
        headers: The response headers.
    """

    status_code: int
    response: httpx2.Response
    request_id: str | None
    hint: ClassVar[str] = ""

    def __init__(self, message: str, *, response: httpx2.Response, body: object) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("x-request-id")

    @property
    def headers(self) -> httpx2.Headers:
        """The response headers (``x-ratelimit-*``, ``retry-after``, ...)."""
        return self.response.headers


class BadRequestError(APIStatusError):
    """400: the request is malformed or names something invalid."""

    hint = "Check the arguments named in the message."


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""

    hint = "Check the API key (OPENAI_API_KEY) and the base URL it belongs to."


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource, model or region."""

    hint = "Check the key's project, organization and permissions."


class NotFoundError(APIStatusError):
    """404: no such resource, model or route."""

    hint = "Check the id or model name, and that base_url ends with the API version (/v1)."


class ConflictError(APIStatusError):
    """409: the resource changed concurrently; retrying may succeed."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well formed but its values are rejected."""

    hint = "Check the request arguments against the API reference."


class RateLimitError(APIStatusError):
    """429: too many requests or tokens, or the quota is used up (``code='insufficient_quota'``)."""

    hint = "Slow down, or check your plan and billing if the code is insufficient_quota."


class InternalServerError(APIStatusError):
    """500 or above: the server failed; retrying may succeed."""


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx2.Response, content: bytes) -> APIStatusError:
    """Build the `APIStatusError` subclass for *response* from its body.

    The request's own secrets (its key header, any custom header value) are
    scrubbed from the body before it is decoded: a server that echoes the key
    in its message (``Incorrect API key provided: ...``) does not put it in the
    error's message, ``body``, repr or log line.

    Args:
        response: The HTTP response with a status of 300 or more.
        content: Its body, as read.
    """
    from ._convert._decode import error_body
    from ._http._auth import REDACTED, secret_values

    for secret in secret_values(response.request.headers.multi_items()):
        content = content.replace(secret.encode("latin-1"), REDACTED.encode())
    body = error_body(content)
    status = response.status_code
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    detail = _redirect_message(response) if status < 400 else _error_message(body)
    parts = [f"{status} {response.reason_phrase or 'error'}".strip()]
    parts.append(f"from {response.request.method} {response.request.url.path}")
    message = " ".join(parts)
    if detail:
        message += f": {detail}"
    request_id = response.headers.get("x-request-id")
    if request_id:
        message += f" (request id {request_id})"
    if cls.hint:
        message += f". {cls.hint}"
    return cls(message, response=response, body=body)


def _redirect_message(response: httpx2.Response) -> str:
    location = response.headers.get("location")
    if not location:
        return "a redirect status without a Location; redirects are not followed"
    # The query may carry a token: shown without it.
    target = location.partition("?")[0].partition("#")[0][:300]
    return (
        f"the server redirected to {target}; redirects are not followed (so that no key "
        "goes elsewhere): check base_url (a missing /v1, http instead of https, an old host)"
    )


def _error_object(body: object) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            return error
    return {}


def _error_message(body: object) -> str:
    error = _error_object(body)
    for key in ("message", "detail", "title"):
        value = error.get(key)
        if isinstance(value, str) and value:
            return value
    if isinstance(body, str):
        return body[:500]
    return ""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
