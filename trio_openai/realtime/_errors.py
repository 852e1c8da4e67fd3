"""The error a Realtime connection raises when it ends: `RealtimeConnectionClosed`.

It extends the package's tree (``trio_openai._errors``)::

    APIError
    └── APIConnectionError
        └── RealtimeConnectionClosed   the WebSocket is closed: close_code, close_reason

Errors at connect time are the usual ones: a refused handshake with an HTTP
status becomes the matching `APIStatusError` subclass (401 `AuthenticationError`,
...), a network failure `APIConnectionError`, a handshake that takes longer than
the client's connect timeout `APITimeoutError`.
"""

from __future__ import annotations

from .._errors import APIConnectionError

__all__ = ["RealtimeConnectionClosed"]

# Close codes after which the session ended as agreed (RFC 6455, 7.4.1).
_CLEAN_CODES = frozenset({1000, 1001})


class RealtimeConnectionClosed(APIConnectionError):  # noqa: N818 - after ConnectionClosed
    """The Realtime WebSocket is closed; nothing more can be sent or received on it.

    Raised by ``send``/``recv`` (and by ``async for`` unless the close was clean)
    once the server closed the connection, the keepalive found it dead, a
    message exceeded the size limit, or the client closed it.

    ``code`` is not the close code: as on every `APIError` it is the ``error.code``
    of a server error body, here always ``None``.

    Attributes:
        close_code: The WebSocket close code: 1000 normal, 1001 going away, 1006 abnormal
            (no close frame: dropped connection or keepalive timeout), 1009 message
            too big, 1011 server error, 4xxx application codes...
        close_reason: The close reason the peer gave, or ours (``None`` if there is none).
        clean: Whether the code is 1000 or 1001 (a normal end of the session).
    """

    close_code: int
    close_reason: str | None

    def __init__(
        self, close_code: int, close_reason: str | None = None, *, message: str | None = None
    ) -> None:
        super().__init__(message or _describe(close_code, close_reason))
        self.close_code = close_code
        self.close_reason = close_reason

    @property
    def clean(self) -> bool:
        """Whether the connection ended normally (close code 1000 or 1001)."""
        return self.close_code in _CLEAN_CODES

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.close_code, self.close_reason), {"message": self.message})


def _describe(code: int, reason: str | None) -> str:
    text = f"The Realtime connection is closed (code {code}"
    text += f": {reason})" if reason else ")"
    return text + "."
