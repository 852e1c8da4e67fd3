"""The base of every resource class (``client.chat``, ``client.chat.completions``, ...).

One API tree serves both clients. A resource is generic in its *mode*: `Async`
under `Client` (methods are coroutines) or `Sync` under `SyncClient` (the same
methods block, running on the sync client's background Trio loop, see
``_sync/_portal.py``). The method descriptors in ``_api/_methods.py`` and ``_bridge.py``
read the mode from the instance and the type checker reads it from the type
parameter, so ``client.models.list`` is typed right in both trees without a
second copy of any method.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .._sync._portal import Portal
    from ._caller import Caller

# Generated code names child modules relative to the package root (".resources.chat").
_ROOT_PACKAGE = __name__.partition(".")[0]

__all__ = ["Async", "M", "Moded", "Resource", "ResourceTree", "Sync"]


class Async:
    """The mode of the async tree: methods return coroutines, streams are ``async with``."""

    __slots__ = ()


class Sync:
    """The mode of the sync tree: methods block, streams are iterators."""

    __slots__ = ()


M = TypeVar("M")
"""A resource's mode: `Async` or `Sync`."""


class Moded(Generic[M]):
    """An object whose methods are async or blocking depending on its mode.

    Its `_portal` is ``None`` in the async tree, and the sync client's background
    loop in the sync tree.
    """

    __slots__ = ()

    _portal: Portal | None = None  # a class default; instances in the sync tree set their own


class ResourceTree(Moded[M]):
    """Lazily built child resources, shared by the client and every resource.

    Generated properties call `_child`, which imports the child's module on first
    use: ``import trio_openai`` stays cheap however large the API tree grows.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        _children: dict[str, Any]

        @property
        def _root(self) -> Caller: ...

    def _child(self, name: str, module: str, cls: str) -> Any:
        try:
            return self._children[name]
        except KeyError:
            resource_cls = getattr(importlib.import_module(module, _ROOT_PACKAGE), cls)
            child = resource_cls(self._root, self._portal)
            self._children[name] = child
            return child


class Resource(ResourceTree[M]):
    """A group of API methods bound to one client (or client view).

    Args:
        client: The (async) client whose session and defaults every call uses.
        portal: The sync client's background loop, for the sync tree; ``None``
            for the async tree.
    """

    __slots__ = ("_children", "_client", "_portal")

    def __init__(self, client: Caller, portal: Portal | None = None) -> None:
        self._client = client
        self._portal = portal
        self._children = {}

    @property
    def _root(self) -> Caller:
        return self._client

    def __repr__(self) -> str:
        mode = "" if self._portal is None else " (sync)"
        return f"<{type(self).__name__}{mode} of {self._client!r}>"
