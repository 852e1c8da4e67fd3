"""The API wing: what a generated method is and what it returns.

- ``_resource.py``: the resource base (`Resource`, `ResourceTree`) and the modes
  (`Async`, `Sync`); the `Caller` protocol a resource calls through.
- ``_methods.py``: the method descriptors (`api_method`, `list_method`,
  `stream_method`, `binary_method`) and their bound forms.
- ``_bridge.py``: hand-written async methods that also serve the sync tree.
- ``_response.py``: `APIResponse`, `BinaryResponse`, `StreamedResponse`, `RateLimitInfo`.
- ``_pagination.py``: pages and the async paginator.
- ``_streaming.py``: `Stream`, typed Server-Sent Events.

This module is the **one import surface of generated code**: ``trio_openai/resources``
and ``trio_openai/types`` import only from here (``from .._api import ...``), so the
runtime can move without touching the generator's templates.

May import ``_http``, ``_convert``, ``_models``, ``_errors``, ``_types``. Never
``_sync`` (a sync resource's `Portal` provides the blocking twins), ``_lib``,
``_reliability`` or the client: calls go through the `Caller` protocol.
"""

from typing import TYPE_CHECKING

from .._http._multipart import FileInput as FileInput
from .._http._spec import ListSpec as ListSpec
from .._http._spec import RequestSpec as RequestSpec
from .._http._spec import StreamSpec as StreamSpec
from .._http._spec import body_of as body_of
from .._http._spec import deep_object as deep_object
from .._http._spec import form_part as form_part
from .._http._spec import path_param as path_param
from .._http._spec import query_of as query_of
from .._models import BaseModel as BaseModel
from .._models import UnknownObject as UnknownObject
from .._types import NOT_GIVEN as NOT_GIVEN
from .._types import Body as Body
from .._types import Headers as Headers
from .._types import NotGiven as NotGiven
from .._types import Query as Query
from ._methods import BoundMethod as BoundMethod
from ._methods import TypedMethod as TypedMethod
from ._methods import api_method as api_method
from ._methods import binary_method as binary_method
from ._methods import list_method as list_method
from ._methods import stream_method as stream_method
from ._resource import M as M
from ._resource import Resource as Resource
from ._resource import ResourceTree as ResourceTree
from ._response import BinaryResponse as BinaryResponse

if TYPE_CHECKING:
    # For type checkers only (the blocking twins of generated overloads, `TypedMethod`).
    from .._sync._methods import SyncMethod as SyncMethod
