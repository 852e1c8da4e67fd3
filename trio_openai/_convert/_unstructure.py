"""Unstructuring models (request bodies, `BaseModel.to_dict`) into JSON-ready data.

The rule: fields that are ``None`` are left out, except required nullable ones,
sent as ``null``. A decoded model's presence record (`BaseModel._null_flips`,
filled by `_convert_models`) names the None fields for which the server did the
opposite, so a decoded model gives back exactly the fields it came with. JSON
names are restored and ``model_extra`` is merged back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cattrs

from .._models import UnknownObject
from ._types import _json_name, _model_fields, _writes_null

_SCALARS = frozenset({str, int, float, bool})


def _unstructure_model_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    """Per model: JSON names, ``None`` by the rule and the presence record, extras merged."""

    def factory(cl: Any) -> Callable[[Any], Any]:
        if cl is UnknownObject:
            return _unstructure_unknown
        plan = [(f.name, _json_name(f), _writes_null(f)) for f in _model_fields(cl)]
        unstructure_any = converter.unstructure

        def unstructure_model(obj: Any) -> Any:
            data: dict[str, Any] = {}
            flips = obj._null_flips
            for name, key, writes_null in plan:
                value = getattr(obj, name)
                if value is None:
                    if writes_null is not (key in flips):
                        data[key] = None
                elif value.__class__ in _SCALARS:
                    data[key] = value
                else:
                    data[key] = unstructure_any(value)
            for key, value in obj.model_extra.items():
                data.setdefault(key, unstructure_any(value))
            return data

        return unstructure_model

    return factory


def _unstructure_unknown(obj: Any) -> Any:
    return dict(obj.data)
