"""Test helpers: the recorded real traffic (``../shared/realworld/cases.jsonl.gz``), loaded once.

3,437 exchanges with the real API, recorded by public projects' test suites (the
corpus's README.md says how, SOURCES.md from where). It is read from there, never
copied into the repository; the tests that use it skip when it is absent
(`requires_corpus`).

`cases` gives every exchange as a `Case`; `operation` maps one to the operation of
the generated table (`OPERATIONS`) the client calls for it, and `resolve_type` turns
a table entry's type expression into the type it names.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import operator
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import trio_openai.types
from trio_openai.resources._operations import OPERATIONS, Operation

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "realworld" / "cases.jsonl.gz"

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_file(), reason=f"the recorded traffic is not at {CORPUS}"
)


@attrs.frozen(kw_only=True)
class Case:
    """One recorded exchange: where it comes from, its request and its response.

    Attributes:
        id: The corpus's stable case id (``<source>-<method>-<area>-<n>``).
        source: ``repo@commit:cassette``, where it was recorded.
        area: The corpus's grouping (``POST chat.completions [stream]``).
        method: The HTTP method.
        path: The request path after ``/v1``.
        query: The query parameters, as recorded (strings).
        request_json: The JSON request body, if it was JSON.
        request_form: The multipart fields (``fields``; ``files``: name, filename, size).
        request_content_type: The request's ``content-type`` header, if it had a body.
        status: The response status.
        content_type: The response's ``content-type`` header, in full.
        media_type: Its media type alone (``application/json``).
        body: The response body as text (JSON or SSE), if it was text.
        content: The response body as bytes (text bodies UTF-8 encoded).
        synthetic_suspect: The corpus flags its ids as hand-made.
    """

    id: str
    source: str
    area: str
    method: str
    path: str
    query: dict[str, str]
    request_json: Any
    request_form: dict[str, Any] | None
    request_content_type: str | None
    status: int
    content_type: str
    media_type: str
    body: str | None
    content: bytes
    synthetic_suspect: bool

    @property
    def streamed(self) -> bool:
        """Whether the request asked for a stream (``stream: true`` in the body or query)."""
        body = self.request_json if isinstance(self.request_json, dict) else {}
        return body.get("stream") is True or self.query.get("stream") == "true"

    @property
    def request_recorded(self) -> bool:
        """Whether the request body was recorded (some cassettes drop multipart bodies)."""
        multipart = (self.request_content_type or "").startswith("multipart/")
        return not multipart or self.request_form is not None


def _case(row: dict[str, Any]) -> Case:
    content_type = row["content_type"] or ""
    body = row.get("body")
    encoded = row.get("body_base64")
    return Case(
        id=row["id"],
        source=f"{row['repo']}@{row['commit'][:10]}:{row['cassette']}",
        area=row["area"],
        method=row["method"],
        path=row["path"],
        query=row["query"] or {},
        request_json=row.get("request_json"),
        request_form=row.get("request_form"),
        request_content_type=row.get("request_content_type"),
        status=row["status"],
        content_type=content_type,
        media_type=content_type.split(";")[0].strip(),
        body=body,
        content=base64.b64decode(encoded) if encoded else (body or "").encode(),
        synthetic_suspect=bool(row.get("synthetic_suspect")),
    )


@functools.cache
def cases() -> tuple[Case, ...]:
    """Every recorded exchange, in the corpus's order (read once per test session)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return tuple(_case(json.loads(line)) for line in f)


@functools.cache
def _routes() -> tuple[tuple[str, re.Pattern[str], int, str, Operation], ...]:
    """(method, path pattern, number of path parameters, fixed query, operation)."""
    routes = []
    for entry in OPERATIONS.values():
        path, _, fixed_query = entry.path.partition("?")
        pattern = re.sub(r"\\\{([^}]*)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        routes.append(
            (entry.method, re.compile(f"^{pattern}$"), path.count("{"), fixed_query, entry)
        )
    return tuple(routes)


def operation(case: Case) -> Operation | None:
    """The operation the client calls for *case*: the most literal path that matches."""
    hits = [
        (params, fixed_query, entry)
        for method, pattern, params, fixed_query, entry in _routes()
        if method == case.method and pattern.match(case.path)
    ]
    beta = "beta=true" if case.query.get("beta") == "true" else ""
    hits = [hit for hit in hits if hit[1] == beta] or hits
    return min(hits, key=lambda hit: hit[0])[2] if hits else None


def path_parameters(case: Case, entry: Operation) -> dict[str, str]:
    """The values of *entry*'s path parameters in *case*'s path, by the spec's names."""
    for method, pattern, _, _, candidate in _routes():
        if candidate is entry and method == case.method:
            match = pattern.match(case.path)
            if match is not None:
                return match.groupdict()
    msg = f"{case.id}: {case.path} is not a path of {entry.path}"
    raise ValueError(msg)


def resolve_type(expr: str) -> Any:
    """A table entry's type (``A | B | UnknownObject``) from `trio_openai.types`."""
    return functools.reduce(
        operator.or_, (getattr(trio_openai.types, n) for n in expr.split(" | "))
    )
