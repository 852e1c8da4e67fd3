"""Hand-written base pieces of the generated models (``trio_openai/types/``).

Every generated model derives from `BaseModel`: a frozen, slotted attrs class
with keyword-only fields named like the API's JSON fields. Two things make the
models forward compatible with a server that is newer than this package:

- fields the server sends that the model does not declare are kept in
  `BaseModel.model_extra` (and sent back when the model is serialised);
- an object of an unknown kind inside a union (a new output item ``type``, a
  new stream event, ...) becomes an `UnknownObject` instead of an error.

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

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data: API field names, unset optional fields left out."""
        from ._converter import unstructure

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
