"""The conversion wing: JSON in and out, and typed models from JSON.

One cattrs converter (``_converter.py``, built by `make_converter`) with its hooks:
primitives, models, unions, unstructuring (``_primitives.py``, ``_models.py``,
``_unions.py``, ``_unstructure.py``, ``_types.py`` for the type predicates), the
failing-path locator (``_locate.py``), strict JSON encoding of request bodies
(``_encode.py``), JSON decoding into results (``_decode.py``), the Server-Sent
Events parser (``_sse.py``) and a stream's hot path of decoding (``_fast.py``). This
module re-exports what the rest of the package uses.

May import: ``_models``, ``_errors``, ``_types``. Nothing that does I/O.
"""

from ._converter import ValidationError as ValidationError
from ._converter import make_converter as make_converter
from ._converter import structure as structure
from ._converter import unstructure as unstructure
from ._decode import JSONDepthError as JSONDepthError
from ._decode import decode_json as decode_json
from ._decode import error_body as error_body
from ._decode import loads as loads
from ._decode import structure_as as structure_as
from ._encode import encode_json as encode_json
from ._encode import to_jsonable as to_jsonable
