"""The base of every resource class (``client.chat``, ``client.chat.completions``, ...)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Resource", "ResourceTree"]


class ResourceTree:
    """Lazily built child resources, shared by the client and every resource.

    Generated properties call `_child`, which imports the child's module on first
    use: ``import trio_openai`` stays cheap however large the API tree grows.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        _children: dict[str, Any]

        @property
        def _root(self) -> Client: ...

    def _child(self, name: str, module: str, cls: str) -> Any:
        try:
            return self._children[name]
        except KeyError:
            resource_cls = getattr(importlib.import_module(module, __package__), cls)
            child = resource_cls(self._root)
            self._children[name] = child
            return child


class Resource(ResourceTree):
    """A group of API methods bound to one client (or client view).

    Args:
        client: The client whose session and defaults every call uses.
    """

    __slots__ = ("_children", "_client")

    def __init__(self, client: Client) -> None:
        self._client = client
        self._children = {}

    @property
    def _root(self) -> Client:
        return self._client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
