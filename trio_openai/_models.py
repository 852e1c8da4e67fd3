"""Hand-written base pieces of the generated models (``trio_openai/types/``).

Every generated model derives from `BaseModel`: a frozen, slotted attrs class
with keyword-only fields named like the API's JSON fields. Two things make the
models forward compatible with a server that is newer than this package:

- fields the server sends that the model does not declare are kept in
  `BaseModel.model_extra` (and sent back when the model is serialised);
- an object of an unknown kind inside a union (a new output item ``type``, a
  new stream event, ...) becomes an `UnknownObject` instead of an error.

A decoded model round-trips: ``to_dict()`` gives back exactly the fields the
server sent, values as sent (a ``null`` it sent is kept, a field it left out
stays out). For that a model keeps a small presence record of the None fields
where the server departed from `BaseModel.to_dict`'s rule for models built in
code; it takes no part in ``==``, hashing or the repr.

Decoding and encoding go through the one converter in `_converter.py`.

A result decoded from an answer also carries the answer's ``x-request-id`` as
``result._request_id`` (as in the official SDK). It lives in one slot that is
not an attrs field, written once per call on the top-level result only (nested
models and models built in code read ``None``), so it takes no part in ``==``,
hashing, the repr, `to_dict` or `attrs.evolve`, and it is not pickled or copied
(a copy is a model of its own, not the answer to a request). The slot holds the
answer's headers, and the id is looked up only when read: the call pays one
attribute write (a header lookup in httpx2 costs some microseconds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

__all__ = ["BaseModel", "UnknownObject", "request_id_of", "set_request_id"]

_REQUEST_ID_SLOT = "_request_id_value"


class _RequestIdSlot:
    """The one slot that holds a decoded result's request id (not an attrs field)."""

    # Outside attrs on purpose: an attrs field would be set in every model's
    # __init__ and by every structure hook, and be pickled, compared and evolved.
    __slots__ = (_REQUEST_ID_SLOT,)


def set_request_id(result: object, source: str | Mapping[str, str] | None) -> None:
    """Record on a decoded *result* its request id, or the answer headers that hold it.

    Anything but a `BaseModel` is left alone.

    Args:
        result: What a call decoded.
        source: The id itself, or the answer's headers (read when the id is asked for).
    """
    if source is not None and isinstance(result, _RequestIdSlot):
        object.__setattr__(result, _REQUEST_ID_SLOT, source)


def request_id_of(result: object) -> str | None:
    """The request id recorded on *result* by `set_request_id`, else ``None``."""
    source = getattr(result, _REQUEST_ID_SLOT, None)
    if source is None or isinstance(source, str):
        return source
    value = source.get("x-request-id")
    return value if isinstance(value, str) else None


@attrs.frozen(kw_only=True)
class BaseModel(_RequestIdSlot):
    """The base of every generated model.

    Attributes:
        model_extra: Fields the server sent that this model does not declare
            (empty when there are none). They are kept so that a newer server
            never breaks decoding, and they are sent back by `to_dict`.
    """

    model_extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    # The presence record of a decoded model: the JSON keys of its None fields whose
    # null the server sent although `to_dict`'s rule leaves it out, or left out although
    # the rule writes it. Only these deviations are kept (usually none or a few), so
    # decoding stays cheap and `to_dict` gives back what the server sent. Not part of
    # `==`, hash or repr; pickled and copied with the model; a model built in code (or
    # by `attrs.evolve`) has none.
    _null_flips: tuple[str, ...] = attrs.field(default=(), init=False, eq=False, repr=False)

    @property
    def _request_id(self) -> str | None:
        """The ``x-request-id`` of the answer this result was decoded from (quote it to support).

        Set on the result a call returns (a page's body included); ``None`` on
        nested models, on models built in code or copied, and when the server
        sent no such header.
        """
        return request_id_of(self)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data with the API's field names.

        A model decoded from an answer gives back exactly the fields the server
        sent, nulls included. A model built in code leaves out the optional
        fields that are None, and writes ``null`` for required nullable ones.
        Fields in `model_extra` are merged in.
        """
        from ._convert._converter import unstructure

        data = unstructure(self)
        assert isinstance(data, dict)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """The model as a JSON document (see `to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


@attrs.frozen(kw_only=True)
class UnknownObject(BaseModel):
    """An object of a kind this version of trio_openai does not know.

    It stands in for a member of a union (an output item, a content part, a
    stream event, ...) when the server sends a discriminator value, or a shape,
    that the spec this package was generated from does not have. Nothing is
    lost: every field is in `data` (and, since none of them is declared, in
    `model_extra` too), and reads as an attribute (``obj.name`` is
    ``obj.data["name"]``; a missing one raises `AttributeError`).

    Typing (docs/guide/typing.md): for a type checker, ``type`` is the sentinel
    literal ``"__unknown__"``, which no known kind has, so that
    ``if item.type == "function_call": item.name`` narrows a union to the known
    class under mypy and pyright, as with the official SDK; and any other
    attribute is `Any`. At run time ``type`` holds what the server sent. To
    compare it with a kind this version does not know, read
    ``item.data.get("type")`` after ``isinstance(item, UnknownObject)``.

    Attributes:
        type: The object's ``type`` field, when it has a string one.
        data: The object exactly as the server sent it.
    """

    if TYPE_CHECKING:
        type: Literal["__unknown__"] = "__unknown__"
    else:
        type: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_data(
        cls, data: dict[str, Any], *, model_extra: dict[str, Any] | None = None
    ) -> UnknownObject:
        """The unknown object *data* (its ``type`` read from it when it is a string).

        Args:
            data: The object as the server sent it.
            model_extra: Its undeclared fields (by default *data* itself).
        """
        kind = data.get("type")
        fields: dict[str, Any] = {"type": kind if isinstance(kind, str) else None}
        return cls(data=data, model_extra=data if model_extra is None else model_extra, **fields)

    def __getattr__(self, name: str) -> Any:
        """A field the server sent (``self.data[name]``); typed `Any`."""
        # Only reached when normal lookup fails. Private and special names never come
        # from `data`, so that copy, pickle and attrs probe this class as any other.
        if not name.startswith("_"):
            try:
                return object.__getattribute__(self, "data")[name]
            except (KeyError, AttributeError):
                pass
        msg = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(msg)

    def to_dict(self) -> dict[str, Any]:
        """The object exactly as the server sent it."""
        return dict(self.data)
