"""trio_openai: a Trio-native, structured-concurrency client for the OpenAI API.

::

    import trio, trio_openai

    async def main():
        async with trio_openai.open_client() as client:
            chat = await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
            print(chat.choices[0].message.content)

    trio.run(main)

The package namespace only re-exports; the client stack (trio, httpx2, cattrs,
stamina) is imported on first use of a name that needs it, so that
``import trio_openai`` stays cheap in CLIs and notebooks.

The layers, bottom up (docs/dev/architecture.md; each wing's ``__init__`` says what it
owns and may import):

- ``_types``, ``_errors``, ``_secrets``, ``_models``: shared definitions;
- ``_convert/``: JSON in and out, the one cattrs converter, the SSE parser;
- ``_http/``: a request specified, authenticated, built and sent (the only httpx2 I/O);
- ``_reliability/``: endpoints, routing, guards (breaker, rate limit, their shared
  Redis store), retries, events;
- ``_api/``: what a generated method is and returns; generated ``resources/`` and
  ``types/`` import only from here;
- ``_sync/``, ``_lib/``, ``realtime/``: the blocking tree, hand-written API surface,
  WebSocket sessions;
- ``_pipeline`` (one call's attempts) and ``_health``, then the session:
  ``_settings`` (arguments and environment), ``_session`` (what views share),
  ``_calls`` (specs sent, answers decoded), ``_raw`` (``client.get/post/...``) and
  ``_client`` (``open_client``, which puts them together); ``_cli/`` and ``testing/``
  on top.
"""

import importlib as _importlib
import typing as _typing

from ._errors import APIConnectionError as APIConnectionError
from ._errors import APIError as APIError
from ._errors import APIResponseValidationError as APIResponseValidationError
from ._errors import APIStatusError as APIStatusError
from ._errors import APIStreamError as APIStreamError
from ._errors import APITimeoutError as APITimeoutError
from ._errors import AuthenticationError as AuthenticationError
from ._errors import BadRequestError as BadRequestError
from ._errors import CircuitOpenError as CircuitOpenError
from ._errors import ClientClosedError as ClientClosedError
from ._errors import ConfigurationError as ConfigurationError
from ._errors import ConflictError as ConflictError
from ._errors import ContentFilterFinishReasonError as ContentFilterFinishReasonError
from ._errors import InternalServerError as InternalServerError
from ._errors import InvalidArgumentError as InvalidArgumentError
from ._errors import LengthFinishReasonError as LengthFinishReasonError
from ._errors import NotFoundError as NotFoundError
from ._errors import OpenAIError as OpenAIError
from ._errors import PermissionDeniedError as PermissionDeniedError
from ._errors import RateLimitError as RateLimitError
from ._errors import RateLimitWaitError as RateLimitWaitError
from ._errors import ResponseTooLargeError as ResponseTooLargeError
from ._errors import StreamInterruptedError as StreamInterruptedError
from ._errors import UnprocessableEntityError as UnprocessableEntityError
from ._types import NOT_GIVEN as NOT_GIVEN
from ._types import NotGiven as NotGiven

if _typing.TYPE_CHECKING:
    from ._api._pagination import AsyncPaginator as AsyncPaginator
    from ._api._pagination import Page as Page
    from ._api._response import APIResponse as APIResponse
    from ._api._response import BinaryResponse as BinaryResponse
    from ._api._response import RateLimitInfo as RateLimitInfo
    from ._api._response import StreamedResponse as StreamedResponse
    from ._api._streaming import Stream as Stream
    from ._client import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from ._client import Client as Client
    from ._client import open_azure_client as open_azure_client
    from ._client import open_client as open_client
    from ._health import HealthCheck as HealthCheck
    from ._lib._parsing import ParsedChatCompletion as ParsedChatCompletion
    from ._lib._parsing import ParsedResponse as ParsedResponse
    from ._lib._parsing import ParsedToolCall as ParsedToolCall
    from ._lib._schema import strict_schema as strict_schema
    from ._lib._streams import ParsedChatCompletionStream as ParsedChatCompletionStream
    from ._lib._streams import ParsedResponseStream as ParsedResponseStream
    from ._lib._streams import SyncParsedChatCompletionStream as SyncParsedChatCompletionStream
    from ._lib._streams import SyncParsedResponseStream as SyncParsedResponseStream
    from ._lib._tools import FunctionTool as FunctionTool
    from ._lib._tools import function_tool as function_tool
    from ._lib._uploads import CompletedUpload as CompletedUpload
    from ._lib._uploads import UploadProgress as UploadProgress
    from ._lib._webhooks import InvalidWebhookSignatureError as InvalidWebhookSignatureError
    from ._options import ClientOptions as ClientOptions
    from ._pipeline import Layer as Layer
    from ._reliability._breaker import BreakerStatus as BreakerStatus
    from ._reliability._breaker import CircuitBreaker as CircuitBreaker
    from ._reliability._endpoints import Endpoint as Endpoint
    from ._reliability._endpoints import Routing as Routing
    from ._reliability._observe import BreakerChanged as BreakerChanged
    from ._reliability._observe import EventHook as EventHook
    from ._reliability._observe import FailoverSwitched as FailoverSwitched
    from ._reliability._observe import HealthChanged as HealthChanged
    from ._reliability._observe import RateLimitWait as RateLimitWait
    from ._reliability._observe import ReliabilityEvent as ReliabilityEvent
    from ._reliability._observe import RetryScheduled as RetryScheduled
    from ._reliability._ratelimit import LimiterStatus as LimiterStatus
    from ._reliability._ratelimit import RateLimit as RateLimit
    from ._reliability._retry import RetryEvent as RetryEvent
    from ._reliability._retry import RetryHook as RetryHook
    from ._reliability._retry import RetryPolicy as RetryPolicy
    from ._reliability._status import EndpointStatus as EndpointStatus
    from ._reliability._store import RedisStore as RedisStore
    from ._reliability._store import StoreUnavailableError as StoreUnavailableError
    from ._secrets import Secret as Secret
    from ._sync._client import SyncClient as SyncClient
    from ._sync._client import SyncEvents as SyncEvents
    from ._sync._results import SyncBinaryResponse as SyncBinaryResponse
    from ._sync._results import SyncContext as SyncContext
    from ._sync._results import SyncPage as SyncPage
    from ._sync._results import SyncStream as SyncStream
    from ._sync._results import SyncStreamedResponse as SyncStreamedResponse
    from .realtime._connection import RealtimeConnection as RealtimeConnection
    from .realtime._errors import RealtimeConnectionClosed as RealtimeConnectionClosed
    from .realtime._settings import Keepalive as Keepalive
    from .realtime._settings import RealtimeLimits as RealtimeLimits
    from .realtime._sync import SyncRealtimeConnection as SyncRealtimeConnection

# The installed distribution's version, read from its metadata on first access (see
# `__getattr__`): importing importlib.metadata costs more than importing this package.
__version__: str

_LAZY = {
    "BreakerStatus": "._reliability._breaker",
    "CircuitBreaker": "._reliability._breaker",
    "DEFAULT_TIMEOUT": "._client",
    "Client": "._client",
    "open_azure_client": "._client",
    "open_client": "._client",
    "Endpoint": "._reliability._endpoints",
    "Routing": "._reliability._endpoints",
    "HealthCheck": "._health",
    "BreakerChanged": "._reliability._observe",
    "EventHook": "._reliability._observe",
    "FailoverSwitched": "._reliability._observe",
    "HealthChanged": "._reliability._observe",
    "RateLimitWait": "._reliability._observe",
    "ReliabilityEvent": "._reliability._observe",
    "RetryScheduled": "._reliability._observe",
    "ClientOptions": "._options",
    "AsyncPaginator": "._api._pagination",
    "Page": "._api._pagination",
    "Layer": "._pipeline",
    "LimiterStatus": "._reliability._ratelimit",
    "RateLimit": "._reliability._ratelimit",
    "APIResponse": "._api._response",
    "BinaryResponse": "._api._response",
    "RateLimitInfo": "._api._response",
    "StreamedResponse": "._api._response",
    "RetryEvent": "._reliability._retry",
    "RedisStore": "._reliability._store",
    "StoreUnavailableError": "._reliability._store",
    "RetryHook": "._reliability._retry",
    "RetryPolicy": "._reliability._retry",
    "EndpointStatus": "._reliability._status",
    "Secret": "._secrets",
    "ParsedChatCompletion": "._lib._parsing",
    "ParsedResponse": "._lib._parsing",
    "ParsedToolCall": "._lib._parsing",
    "strict_schema": "._lib._schema",
    "ParsedChatCompletionStream": "._lib._streams",
    "ParsedResponseStream": "._lib._streams",
    "SyncParsedChatCompletionStream": "._lib._streams",
    "SyncParsedResponseStream": "._lib._streams",
    "FunctionTool": "._lib._tools",
    "function_tool": "._lib._tools",
    "CompletedUpload": "._lib._uploads",
    "UploadProgress": "._lib._uploads",
    "InvalidWebhookSignatureError": "._lib._webhooks",
    "Stream": "._api._streaming",
    "SyncClient": "._sync._client",
    "SyncEvents": "._sync._client",
    "SyncBinaryResponse": "._sync._results",
    "SyncContext": "._sync._results",
    "SyncPage": "._sync._results",
    "SyncStream": "._sync._results",
    "SyncStreamedResponse": "._sync._results",
    "SyncRealtimeConnection": ".realtime._sync",
    "RealtimeConnection": ".realtime._connection",
    "RealtimeConnectionClosed": ".realtime._errors",
    "Keepalive": ".realtime._settings",
    "RealtimeLimits": ".realtime._settings",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "BinaryResponse",
    "BreakerChanged",
    "BreakerStatus",
    "CircuitBreaker",
    "CircuitOpenError",
    "Client",
    "ClientClosedError",
    "ClientOptions",
    "CompletedUpload",
    "ConfigurationError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "DEFAULT_TIMEOUT",
    "Endpoint",
    "EndpointStatus",
    "EventHook",
    "FailoverSwitched",
    "FunctionTool",
    "HealthChanged",
    "HealthCheck",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidWebhookSignatureError",
    "Keepalive",
    "Layer",
    "LengthFinishReasonError",
    "LimiterStatus",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "OpenAIError",
    "Page",
    "ParsedChatCompletion",
    "ParsedChatCompletionStream",
    "ParsedResponse",
    "ParsedResponseStream",
    "ParsedToolCall",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimitInfo",
    "RateLimitWait",
    "RateLimitWaitError",
    "RealtimeConnection",
    "RealtimeConnectionClosed",
    "RealtimeLimits",
    "RedisStore",
    "ReliabilityEvent",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryHook",
    "RetryPolicy",
    "RetryScheduled",
    "Routing",
    "Secret",
    "StoreUnavailableError",
    "Stream",
    "StreamInterruptedError",
    "StreamedResponse",
    "SyncBinaryResponse",
    "SyncClient",
    "SyncContext",
    "SyncEvents",
    "SyncPage",
    "SyncParsedChatCompletionStream",
    "SyncParsedResponseStream",
    "SyncRealtimeConnection",
    "SyncStream",
    "SyncStreamedResponse",
    "UnprocessableEntityError",
    "UploadProgress",
    "function_tool",
    "open_azure_client",
    "open_client",
    "strict_schema",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trio-openai")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "0+unknown"


def __getattr__(name: str) -> _typing.Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'trio_openai' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})
