"""Small shared types: the `NOT_GIVEN` sentinel and the aliases used in signatures.

`NOT_GIVEN` marks a keyword argument the caller did not pass, so that an
explicit ``None`` (sent to the server as JSON ``null``) stays distinguishable
from "leave the field out of the request".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeVar, final

__all__ = ["NOT_GIVEN", "Body", "Headers", "NotGiven", "Query", "Timeout"]

_T = TypeVar("_T")


@final
class NotGiven:
    """The type of `NOT_GIVEN`: an argument the caller left out.

    It is falsy, so ``if value:`` treats it like an absent value.
    """

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""Default of every optional keyword argument: omit the field from the request."""

Headers = Mapping[str, str]
"""Extra HTTP headers; a value of ``""`` removes a default header."""

Query = Mapping[str, object]
"""Extra query parameters."""

Body = Mapping[str, object]
"""Extra JSON body fields, merged over the generated body."""

Timeout = float | None
"""A per-request timeout in seconds for each network phase; ``None`` disables it.

Deadlines for a whole call are Trio cancel scopes (``trio.fail_after``): the
retry loop never starts a wait that would pass the caller's deadline.
"""


def given(value: _T | NotGiven, default: _T) -> _T:
    """Return *value* unless it is `NOT_GIVEN`, else *default*."""
    return default if isinstance(value, NotGiven) else value
