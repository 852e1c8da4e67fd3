"""What the fake server received: one frozen `FakeRequest` per HTTP request.

Both ways of serving (the in-memory transport and the real socket) turn what
arrived into the same record before the handler sees it, so a test inspects
requests the same way whichever transport carried them.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx2

from ._routes import route_path

__all__ = ["FakeRequest", "FormPart", "MultipartForm", "parse_multipart"]


@attrs.frozen(kw_only=True)
class FormPart:
    """One part of a ``multipart/form-data`` body.

    Attributes:
        name: The form field name.
        filename: The file name, for a file part; ``None`` for a plain field.
        content_type: The part's ``Content-Type``, if it had one.
        content: The part's raw bytes.
    """

    name: str
    filename: str | None
    content_type: str | None
    content: bytes

    @property
    def text(self) -> str:
        """The content decoded as UTF-8 (invalid bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")


@attrs.frozen(kw_only=True)
class MultipartForm:
    """A parsed ``multipart/form-data`` body.

    Attributes:
        parts: Every part, in the order received (repeated names stay separate).
    """

    parts: tuple[FormPart, ...]

    @property
    def fields(self) -> dict[str, str]:
        """The plain (non-file) fields as text; for a repeated name the last one wins."""
        return {part.name: part.text for part in self.parts if part.filename is None}

    @property
    def files(self) -> dict[str, FormPart]:
        """The file parts by field name; for a repeated name the last one wins."""
        return {part.name: part for part in self.parts if part.filename is not None}


@attrs.frozen(kw_only=True)
class FakeRequest:
    """One request the fake server received.

    Attributes:
        method: The HTTP method, upper case.
        path: The route path, without the optional ``/v1`` prefix (``"/chat/completions"``).
        raw_path: The path exactly as received (``"/v1/chat/completions"``).
        query: The query parameters (a multi-dict: ``query.get_list(name)``).
        headers: The request headers (case-insensitive).
        body: The raw body bytes.
        client: The peer's ``(host, port)`` over a real socket; ``None`` in memory.
            Two requests with the same value came over one kept-alive connection.
    """

    method: str
    path: str
    raw_path: str
    query: httpx2.QueryParams
    headers: httpx2.Headers
    body: bytes
    client: tuple[str, int] | None = None

    @classmethod
    def build(
        cls,
        *,
        method: str,
        target: str,
        headers: httpx2.Headers,
        body: bytes,
        client: tuple[str, int] | None = None,
    ) -> FakeRequest:
        """Make a record from a request target (path and query string).

        Args:
            method: The HTTP method.
            target: The request target, ``/v1/files?limit=2``.
            headers: The request headers.
            body: The whole body.
            client: The peer address, for a real socket.
        """
        raw_path, _, query = target.partition("?")
        return cls(
            method=method.upper(),
            path=route_path(raw_path),
            raw_path=raw_path,
            query=httpx2.QueryParams(query),
            headers=headers,
            body=body,
            client=client,
        )

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Return the body parsed as JSON.

        Raises:
            ValueError: The body is not valid JSON.
        """
        return json.loads(self.body)

    def multipart(self) -> MultipartForm:
        """Return the body parsed as ``multipart/form-data`` (file uploads).

        Raises:
            ValueError: The request is not multipart, or its body is malformed.
        """
        return parse_multipart(self.headers.get("content-type", ""), self.body)


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``form-data; name="file"; filename="a.txt"`` into its value and parameters."""
    head, *rest = value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, sep, raw = item.strip().partition("=")
        if sep:
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace('\\"', '"')
            params[key.strip().lower()] = raw
    return head.strip().lower(), params


def _parse_part(raw: bytes) -> FormPart:
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("multipart part without a blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    kind, params = _header_params(headers.get("content-disposition", ""))
    if kind != "form-data" or "name" not in params:
        raise ValueError("multipart part without 'Content-Disposition: form-data; name=...'")
    return FormPart(
        name=params["name"],
        filename=params.get("filename"),
        content_type=headers.get("content-type"),
        content=content,
    )


def parse_multipart(content_type: str, body: bytes) -> MultipartForm:
    """Parse a ``multipart/form-data`` body.

    Written by hand rather than with `email`: the email parser may rewrite line
    endings, and an uploaded file must come back byte for byte.

    Args:
        content_type: The request's ``Content-Type`` header (holds the boundary).
        body: The body bytes.

    Raises:
        ValueError: Not a multipart content type, or a malformed body.
    """
    kind, params = _header_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        raise ValueError(f"not a multipart/form-data body: {content_type!r}")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    # chunks[0] is the preamble; the chunk after the closing delimiter starts with "--".
    parts: list[FormPart] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return MultipartForm(parts=tuple(parts))
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError("malformed multipart body")
        parts.append(_parse_part(chunk[2:-2]))
    raise ValueError("multipart body without its closing boundary")
