"""``client.realtime.connect`` and ``client.beta.realtime.connect``: hand-written mixins.

The generator (``tools/codegen/names.py``, table ``RESOURCE_MIXINS``) adds these
classes to the bases of the generated ``Realtime`` resources. This module stays
light (it is imported with the resource module): the connection machinery,
trio-websocket and the event types are imported when `connect` is called.
On a `SyncClient`, `connect` returns a `SyncContext` of a `SyncRealtimeConnection`
(``_sync.py``; see ``trio_openai/_api/_bridge.py``).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from .._api._bridge import blocking_context
from ._settings import Keepalive, RealtimeLimits
from ._sync import SyncBetaRealtimeConnection, SyncRealtimeConnection

if TYPE_CHECKING:
    from .._api._caller import Caller
    from ._connection import BetaRealtimeConnection, RealtimeConnection
    from ._handshake import StreamOpener

__all__ = [
    "BetaRealtimeConnectMixin",
    "DEFAULT_KEEPALIVE",
    "DEFAULT_LIMITS",
    "RealtimeConnectMixin",
]

DEFAULT_KEEPALIVE = Keepalive()
"""A ping every 20 s, dead after 20 s without a pong."""

DEFAULT_LIMITS = RealtimeLimits()
"""64 MiB messages, 256 queued events of at most 64 MiB in all, 30 s to write, 5 s to close."""


class RealtimeConnectMixin:
    """``client.realtime.connect``: a Realtime session over a WebSocket."""

    __slots__ = ()

    if TYPE_CHECKING:
        _client: Caller

    @blocking_context(SyncRealtimeConnection)
    def connect(
        self,
        *,
        model: str | None = None,
        call_id: str | None = None,
        websocket_base_url: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        keepalive: Keepalive | None = DEFAULT_KEEPALIVE,
        limits: RealtimeLimits = DEFAULT_LIMITS,
        ssl_context: ssl.SSLContext | None = None,
        open_stream: StreamOpener | None = None,
    ) -> AbstractAsyncContextManager[RealtimeConnection]:
        """Open a Realtime session: ``async with client.realtime.connect(model=...) as conn:``.

        The connection's tasks (readers, keepalive) run in a nursery of its own,
        inside the ``async with`` block; leaving the block closes the connection
        with code 1000. See docs/realtime.md.

        Args:
            model: The model (``"gpt-realtime"``), or for Azure the deployment.
            call_id: Attach to an existing call (SIP or WebRTC) instead of a new session.
            websocket_base_url: The WebSocket base URL (``wss://host/v1``) when it
                differs from the client's base URL (by default ``http(s)`` becomes ``ws(s)``).
            extra_query: Extra query parameters for the URL.
            extra_headers: Extra handshake headers (``""`` removes one).
            keepalive: Ping settings; ``None`` sends no pings.
            limits: Message size, event queue, send and close timeouts.
            ssl_context: The TLS context for ``wss://`` (default: the package's one TLS
                policy, the CA bundle httpx2 ships; ``SSL_CERT_FILE``/``SSL_CERT_DIR``
                are not read). Pass your own for a private CA.
            open_stream: ``async (host, port) -> trio.abc.Stream`` to use instead of a
                TCP connection (a proxy tunnel, or ``FakeRealtime.serve_memory`` in tests).

        Raises:
            ClientClosedError: The client's session has ended (on entering the block).
            ValueError: Neither *model* nor *call_id* is given.
            APIStatusError: The server refused the connection (401, 403, 404, ...).
            APIConnectionError: The network, TLS or WebSocket handshake failed.
            APITimeoutError: The handshake took longer than the client's connect timeout.
        """
        from ._connection import RealtimeConnection, open_connection

        return open_connection(
            self._client,
            RealtimeConnection,
            model=model,
            call_id=call_id,
            websocket_base_url=websocket_base_url,
            extra_query=extra_query,
            extra_headers=extra_headers,
            keepalive=keepalive,
            limits=limits,
            ssl_context=ssl_context,
            open_stream=open_stream,
        )


class BetaRealtimeConnectMixin:
    """``client.beta.realtime.connect``: a session of the beta Realtime API."""

    __slots__ = ()

    if TYPE_CHECKING:
        _client: Caller

    @blocking_context(SyncBetaRealtimeConnection)
    def connect(
        self,
        *,
        model: str | None = None,
        websocket_base_url: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        keepalive: Keepalive | None = DEFAULT_KEEPALIVE,
        limits: RealtimeLimits = DEFAULT_LIMITS,
        ssl_context: ssl.SSLContext | None = None,
        open_stream: StreamOpener | None = None,
    ) -> AbstractAsyncContextManager[BetaRealtimeConnection]:
        """Open a beta Realtime session (``OpenAI-Beta: realtime=v1``, beta events).

        Deprecated upstream in favour of the GA API (``client.realtime.connect``);
        otherwise the same.

        Args:
            model: The model, or for Azure the deployment.
            websocket_base_url: The WebSocket base URL, when it differs from the client's.
            extra_query: Extra query parameters for the URL.
            extra_headers: Extra handshake headers (``""`` removes one).
            keepalive: Ping settings; ``None`` sends no pings.
            limits: Message size, event queue, send and close timeouts.
            ssl_context: The TLS context for ``wss://`` (default: as for ``realtime.connect``).
            open_stream: Opens the byte stream instead of TCP (proxies, tests).

        Raises:
            ClientClosedError: The client's session has ended (on entering the block).
            ValueError: No *model*.
            APIStatusError: The server refused the connection.
            APIConnectionError: The network, TLS or WebSocket handshake failed.
            APITimeoutError: The handshake took longer than the client's connect timeout.
        """
        from ._connection import BetaRealtimeConnection, open_connection

        return open_connection(
            self._client,
            BetaRealtimeConnection,
            model=model,
            call_id=None,
            websocket_base_url=websocket_base_url,
            extra_query=extra_query,
            extra_headers=extra_headers,
            keepalive=keepalive,
            limits=limits,
            ssl_context=ssl_context,
            open_stream=open_stream,
        )
