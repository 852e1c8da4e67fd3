"""Unstructuring models (request bodies) into JSON-ready data.

Fields that are ``None`` are left out (except required nullable ones, sent as
``null``), JSON names are restored and ``model_extra`` is merged back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import attrs
import cattrs

from ._convert_types import _json_name, _model_fields, _NoneType
from ._models import UnknownObject

_SCALARS = frozenset({str, int, float, bool})


def _unstructure_model_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    """Per model: JSON names, ``None`` left out (unless required and nullable), extras merged."""

    def factory(cl: Any) -> Callable[[Any], Any]:
        if cl is UnknownObject:
            return _unstructure_unknown
        plan = [
            (
                f.name,
                _json_name(f),
                f.default is attrs.NOTHING and _NoneType in get_args(f.type),
            )
            for f in _model_fields(cl)
        ]
        unstructure_any = converter.unstructure

        def unstructure_model(obj: Any) -> Any:
            data: dict[str, Any] = {}
            for name, key, keep_none in plan:
                value = getattr(obj, name)
                if value is None:
                    if keep_none:
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
