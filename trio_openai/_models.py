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
"""

from __future__ import annotations

import json
from typing import Any

import attrs

__all__ = ["BaseModel", "UnknownObject"]


@attrs.frozen(kw_only=True)
class BaseModel:
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
    `model_extra` too).

    Attributes:
        type: The object's ``type`` field, when it has a string one.
        data: The object exactly as the server sent it.
    """

    type: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The object exactly as the server sent it."""
        return dict(self.data)
