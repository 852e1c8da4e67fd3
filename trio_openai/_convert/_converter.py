"""The one cattrs converter: JSON data to generated attrs models and back.

`make_converter` builds it, once, on first use; everything it does is
configured there, as hooks of one `cattrs.Converter`. The hooks live in one
module per concern:

- **Models** (`_convert_models`) get a structure function generated from their
  fields (like cattrs' ``make_dict_structure_fn``: source code compiled once per
  class, no reflection per call, no detailed validation on the fast path). It
  checks primitive fields inline, writes the code of nested models into the
  parent's, fills the instance as a mutable twin of its class that then
  becomes one (`_models._twin`: plain attribute stores, not a frozen class's
  slot setters), and keeps unknown keys in
  ``model_extra``. JSON names that are not Python names (``self-harm``,
  ``from``) come from the field's ``json`` metadata. cattrs' own function is
  not used because of two deliberate differences: it is ~2x faster here, and
  a field that is **missing or null decodes as None** even when the spec says
  it is required, because the spec's own examples leave such fields out
  (``OpenAIFile.status``, ``OutputTextContent.logprobs``, ...). Which of the
  two it was is kept only where unstructuring's rule would get it wrong: the
  model's presence record (`BaseModel._null_flips`), so that ``to_dict()``
  gives back exactly the fields the server sent. The instance is made after
  every field has decoded, so a failed decode leaves no half-built model in
  a frame (``traceback`` with ``capture_locals=True`` would crash on its repr).
- **Primitives are strict** (`_convert_primitives`): a JSON number is not a
  ``str`` and a string is not an ``int`` (cattrs' default would coerce with
  ``str(x)``); an ``int`` is a valid ``float``, and stays an ``int``.
- **``Literal`` fields accept any string** (`_convert_primitives`): a new enum
  value from the server must not break decoding, but a value of the wrong JSON
  type still does.
- **Unions** (`_convert_unions`) dispatch on the JSON type of the value
  (``str | list[X]``, ``int | str``, ...). Objects in a union of several models
  are told apart by a discriminator found from the models' ``Literal`` fields
  (the spec's ``type``, ``object``, ``role``, ...); an unknown discriminator
  value becomes an `UnknownObject`. Models without a usable discriminator are
  tried in order of best fit (required keys present, fewest unknown keys).
- **Unstructuring** (`_convert_unstructure`, request bodies and ``to_dict``)
  leaves out fields that are ``None`` (except required nullable ones, sent as
  ``null``) unless the presence record says the server did otherwise,
  restores the JSON names, merges ``model_extra`` back, and walks plain dicts
  and lists so that models nested in user data are converted too.

When structuring fails, `structure` walks the data again with the same hooks
to find the innermost failing value and raises `ValidationError` naming its
JSON path (``$.choices[0].index: expected int, got 'x'``). That walk
(`_convert_errors`) runs only on failure, so the fast path pays nothing for it.
What the modules share (type predicates, the fast path's `_MismatchError`, how
messages name JSON types) is in `_convert_types`.
"""

from __future__ import annotations

import functools
from typing import Any

import cattrs

from .._models import BaseModel
from ._locate import ValidationError, _locate
from ._models import _model_hook
from ._primitives import (
    _dict_hook,
    _list_hook,
    _literal_hook,
    _structure_any,
    _structure_bool,
    _structure_float,
    _structure_int,
    _structure_none,
    _structure_str,
)
from ._types import _is_dict, _is_list, _is_literal, _is_model, _is_union, _NoneType
from ._unions import _union_hook
from ._unstructure import _unstructure_model_hook

__all__ = ["ValidationError", "make_converter", "structure", "unstructure"]


@functools.cache
def make_converter() -> cattrs.Converter:
    """Build the converter (once; later calls return the same one)."""
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook_func(lambda t: t is _NoneType, _structure_none)
    converter.register_structure_hook_func(lambda t: t is Any or t is object, _structure_any)
    converter.register_structure_hook_factory(_is_literal, _literal_hook)
    converter.register_structure_hook_factory(_is_list, _list_hook(converter))
    converter.register_structure_hook_factory(_is_dict, _dict_hook(converter))
    converter.register_structure_hook_factory(_is_union, _union_hook(converter))
    converter.register_structure_hook_factory(_is_model, _model_hook(converter))
    converter.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, BaseModel),
        _unstructure_model_hook(converter),
    )
    return converter


def structure(data: object, tp: Any) -> Any:
    """Decode JSON *data* (as from ``json.loads``) into *tp*.

    Raises:
        ValidationError: The data does not fit *tp*; names the failing JSON path.
    """
    converter = make_converter()
    try:
        return converter.get_structure_hook(tp)(data, tp)
    except Exception as exc:
        path, message = _locate(converter, data, tp, "$")
        raise ValidationError(path, message) from exc


def unstructure(obj: object) -> object:
    """Encode *obj* (models, possibly inside plain dicts and lists) as JSON-ready data."""
    return make_converter().unstructure(obj)
