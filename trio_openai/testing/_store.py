"""What the default reply modules need from the fake's state: the `Store` protocol.

`Defaults` (``_defaults.py``) owns the state and the routing, and imports the reply
modules (uploads, batches, fine-tuning jobs, vector stores, assistants, videos,
media); those modules take the state as a `Store`, so that they never import
``_defaults`` (no import cycle, not even for types).
`FakeFile` lives here because both sides use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from . import _generate
    from ._script import Body

__all__ = ["FakeFile", "Store"]


@attrs.frozen(kw_only=True)
class FakeFile:
    """A file uploaded to the fake (``POST /files``) or added with `FakeOpenAI.add_file`.

    Attributes:
        id: The file id (``file-fake-1``).
        filename: The uploaded file name.
        purpose: The purpose given at upload.
        content: The bytes.
        created_at: The upload time stamp.
    """

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def to_json(self) -> dict[str, object]:
        """Return the file as an ``OpenAIFile`` object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


class Store(Protocol):
    """The fake's state as the reply modules see it (`Defaults` is one).

    The collections of the reply modules' own records are typed ``Any`` here, each
    module knowing its own record class.
    """

    created: int
    files: dict[str, FakeFile]
    uploads: dict[str, Any]
    batches: dict[str, Any]
    fine_tuning_jobs: dict[str, Any]
    vector_stores: dict[str, Any]
    assistants: dict[str, Any]
    threads: dict[str, Any]
    videos: dict[str, Any]

    def new_id(self, prefix: str) -> str:
        """The next id with *prefix*."""
        ...

    def store_file(self, *, content: bytes, filename: str, purpose: str) -> FakeFile:
        """Store a file as if it had been uploaded."""
        ...

    def generate(
        self,
        generator: Callable[[Mapping[str, Any], _generate.Context], Body],
        body: Mapping[str, Any],
    ) -> Body:
        """Run a reply generator on a request body."""
        ...
