"""Route paths: the optional ``/v1`` prefix and ``{param}`` patterns."""

from __future__ import annotations

import re

__all__ = ["compile_route", "route_path"]

_API_PREFIX = "/v1"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def route_path(path: str) -> str:
    """Return *path* without its optional ``/v1`` prefix, query and trailing slash.

    Args:
        path: A URL path as received, or as given to `FakeOpenAI.add`.
    """
    path = path.partition("?")[0]
    if path == _API_PREFIX or path.startswith(_API_PREFIX + "/"):
        path = path[len(_API_PREFIX) :]
    return path.rstrip("/") or "/"


def compile_route(path: str) -> re.Pattern[str]:
    """Compile a route such as ``/files/{file_id}`` into a full-match pattern.

    A ``{name}`` segment matches one path segment; the rest matches literally.

    Args:
        path: The route, with or without ``/v1``.
    """
    path = route_path(path)
    pattern = ""
    end = 0
    for match in _PARAM.finditer(path):
        pattern += re.escape(path[end : match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
        end = match.end()
    return re.compile(pattern + re.escape(path[end:]))
