"""`FakeOpenAI`: an OpenAI-compatible fake server for tests, scripted per route.

One handler (`FakeOpenAI._handle`) answers every request, whichever way it came:

* in memory, through `FakeOpenAI.transport` (an ``httpx2`` transport: no socket);
* over a real socket, through `FakeOpenAI.serve` (HTTP/1.1 on 127.0.0.1, port 0).

For each request the handler records it, takes the next scripted entry queued for
its route (`add` / `add_fault`, first in first out), and answers with the script's
body, or else with the route's default reply (`_defaults.py`), or else a 404 in
OpenAI's error shape. The script's faults (delay, dropped connection, truncated
stream, malformed JSON) are applied on the way out (`_script.py`).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, final

import attrs
import trio

from ._defaults import DEFAULT_MODELS, Defaults, FakeFile, invalid_url
from ._error_bodies import error_body, status_error_body
from ._records import FakeRequest
from ._routes import compile_route, route_path
from ._script import Body, JsonBody, RawBody, Reply, Script, SseItem, encode_reply, sse_body

if TYPE_CHECKING:
    import re

    import httpx2

    from .._client import Client
    from .._sync._client import SyncClient

__all__ = ["ConnectionCount", "FakeOpenAI", "serve_forever"]

IN_MEMORY_BASE_URL = "http://fake-openai.test/v1"
DEFAULT_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


@attrs.define
class ConnectionCount:
    """Connections a server has served: open now, and in all (see `FakeOpenAI.serve`)."""

    open: int = 0
    total: int = 0


@attrs.define(eq=False)
class _Entry:
    script: Script
    remaining: int | None  # None: repeats forever


@attrs.define(eq=False)
class _Queue:
    method: str
    path: str
    pattern: re.Pattern[str]
    entries: deque[_Entry] = attrs.field(factory=deque)


def _model_ids(models: Iterable[str]) -> tuple[str, ...]:
    return tuple(models)


def _check_times(times: int | None) -> None:
    if times is not None and times < 1:
        raise ValueError(f"times must be at least 1 (or None for forever), not {times}")


@final
@attrs.define(eq=False)
class FakeOpenAI:
    """An in-process, OpenAI-compatible server with scripted replies and faults.

    Attributes:
        api_key: When set, requests must send ``Authorization: Bearer <api_key>``
            (else 401 ``invalid_api_key``); when ``None`` any key, or none, is accepted.
        models: The model ids ``GET /models`` lists and ``GET /models/{id}`` knows.
        created: The Unix time stamp put in every ``created``/``created_at`` field.
    """

    api_key: str | None = attrs.field(default=None, kw_only=True)
    # The defaults' state is built from these two once: they cannot change later.
    models: tuple[str, ...] = attrs.field(
        default=DEFAULT_MODELS,
        converter=_model_ids,
        kw_only=True,
        on_setattr=attrs.setters.frozen,
    )
    created: int = attrs.field(
        default=DEFAULT_CREATED, kw_only=True, on_setattr=attrs.setters.frozen
    )
    _defaults: Defaults = attrs.field(init=False)
    _queues: list[_Queue] = attrs.field(init=False, factory=list)
    _requests: list[FakeRequest] = attrs.field(init=False, factory=list)
    _connections: ConnectionCount = attrs.field(init=False, factory=ConnectionCount)

    def __attrs_post_init__(self) -> None:
        self._defaults = Defaults(created=self.created, models=self.models)

    # -- what a test reads -------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL to use with `transport` (``http://fake-openai.test/v1``)."""
        return IN_MEMORY_BASE_URL

    @property
    def requests(self) -> list[FakeRequest]:
        """Every request received so far, oldest first (a copy)."""
        return list(self._requests)

    @property
    def open_connections(self) -> int:
        """Connections `serve` holds open now (0 once every client has closed its own)."""
        return self._connections.open

    @property
    def connections_served(self) -> int:
        """Connections `serve` has accepted in all (every run of it, if restarted)."""
        return self._connections.total

    @property
    def last_request(self) -> FakeRequest:
        """The most recent request.

        Raises:
            LookupError: No request was received yet.
        """
        if not self._requests:
            raise LookupError("the fake OpenAI server has not received any request")
        return self._requests[-1]

    @property
    def files(self) -> dict[str, FakeFile]:
        """The files stored (uploaded or added with `add_file`), by id (a copy)."""
        return dict(self._defaults.files)

    def assert_all_used(self) -> None:
        """Check that every scripted reply and fault was consumed.

        Entries added with ``times=None`` (forever) are never pending.

        Raises:
            AssertionError: Some entries are still queued; the message lists them.
        """
        pending = [
            f"{queue.method} {queue.path}: {entry.remaining} x {entry.script!r}"
            for queue in self._queues
            for entry in queue.entries
            if entry.remaining is not None
        ]
        if pending:
            raise AssertionError("scripted replies never used:\n" + "\n".join(pending))

    # -- scripting ---------------------------------------------------------

    def add(
        self,
        method: str,
        path: str,
        *,
        json: object = _UNSET,
        sse: Sequence[SseItem] | None = None,
        content: bytes | None = None,
        content_type: str = "application/octet-stream",
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        done: bool = True,
        times: int | None = 1,
        delay: float = 0.0,
        interval: float = 0.0,
        drop_after: int | None = None,
        disconnect: bool = False,
        truncate_stream: bool = False,
        malformed_json: bool = False,
    ) -> None:
        """Queue a reply for a route: the next matching request gets it.

        Replies and faults for one route form one first-in-first-out queue. With
        no body (*json*, *sse*, *content*), the reply is the route's default
        (with *status* and *headers* applied), or OpenAI's error body for a
        *status* of 400 or more.

        Args:
            method: The HTTP method (``"POST"``).
            path: The route, ``/v1`` optional; ``{name}`` matches one segment
                (``"/files/{file_id}"``).
            json: A JSON body (any JSON value, ``None`` included).
            sse: An event stream: dicts are sent as ``data: <json>``, strings
                verbatim as one event block, ``(event, data)`` pairs with an
                ``event:`` line (data a dict, as JSON, or a str).
            content: A raw body, sent with *content_type*.
            content_type: The content type of *content*.
            status: The HTTP status (default 200, or the default reply's).
            headers: Response headers, overriding the defaults.
            done: Append ``data: [DONE]`` to *sse* (chat/completions streams end
                with it; pass ``False`` for ``/responses`` streams).
            times: How many requests this entry answers; ``None`` for all of
                them (the entry then never leaves the head of the queue).
            delay: Seconds (``trio.sleep``, so `trio.testing.MockClock` applies)
                before the status line.
            interval: Seconds between two body chunks (events of a stream).
            drop_after: Close the connection after this many body bytes.
            disconnect: Close the connection without answering.
            truncate_stream: Leave out the stream's last event (``[DONE]`` or
                ``response.completed``); a whole body is cut in half instead.
            malformed_json: Cut the JSON body (or a stream's first JSON event)
                in half, making it invalid.

        Raises:
            ValueError: More than one body, a bad *times*, or a negative number.
        """
        given = [x for x in (json is not _UNSET, sse is not None, content is not None) if x]
        if len(given) > 1:
            raise ValueError("give at most one of json=, sse= and content=")
        _check_times(times)
        if delay < 0 or interval < 0 or (drop_after is not None and drop_after < 0):
            raise ValueError("delay, interval and drop_after cannot be negative")
        body: Body | None = None
        if json is not _UNSET:
            body = JsonBody(json)
        elif sse is not None:
            body = sse_body(sse, done=done)
        elif content is not None:
            body = RawBody(content, content_type)
        script = Script(
            status=status,
            headers=tuple((headers or {}).items()),
            body=body,
            delay=delay,
            interval=interval,
            drop_after=drop_after,
            disconnect=disconnect,
            truncate_stream=truncate_stream,
            malformed_json=malformed_json,
        )
        self._queue(method, path).entries.append(_Entry(script, times))

    def add_fault(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        json: object = _UNSET,
        delay: float = 0.0,
        interval: float = 0.0,
        drop_after: int | None = None,
        disconnect: bool = False,
        truncate_stream: bool = False,
        malformed_json: bool = False,
        times: int | None = 1,
    ) -> None:
        """Queue a fault for a route, in the same queue as `add`'s replies.

        ``add_fault("POST", "/chat/completions", status=500)`` twice, then nothing:
        two 500s (OpenAI's error body), then the default success. A fault without
        a *status* spoils the route's default reply (``delay=30``, ``drop_after=10``,
        ``truncate_stream=True``, ``malformed_json=True``).

        Args:
            method: The HTTP method.
            path: The route (see `add`).
            status: The HTTP status; with no *json*, the body is OpenAI's error
                body for it (``server_error``, ``rate_limit_exceeded``, ...).
            headers: Response headers (``{"retry-after": "1"}``).
            json: A body of your own (``{"error": {..., "code": "insufficient_quota"}}``).
            delay: Seconds to wait before answering (``trio.sleep``).
            interval: Seconds between two body chunks.
            drop_after: Close the connection after this many body bytes.
            disconnect: Close the connection without answering.
            truncate_stream: Leave out the stream's terminal event.
            malformed_json: Make the JSON body (or first JSON event) invalid.
            times: How many requests it applies to; ``None`` for all.

        Raises:
            ValueError: No fault given, or a bad value (see `add`).
        """
        is_fault = (
            status is not None
            or delay > 0
            or drop_after is not None
            or disconnect
            or truncate_stream
            or malformed_json
            or interval > 0
        )
        if not is_fault:
            raise ValueError("add_fault needs a fault: status=, delay=, drop_after=, ...")
        self.add(
            method,
            path,
            json=json,
            status=status,
            headers=headers,
            times=times,
            delay=delay,
            interval=interval,
            drop_after=drop_after,
            disconnect=disconnect,
            truncate_stream=truncate_stream,
            malformed_json=malformed_json,
        )

    def add_file(
        self, content: bytes, *, filename: str = "data.jsonl", purpose: str = "user_data"
    ) -> FakeFile:
        """Store a file as if it had been uploaded with ``POST /files``.

        Args:
            content: The file's bytes.
            filename: Its name.
            purpose: Its purpose.
        """
        return self._defaults.store_file(content=content, filename=filename, purpose=purpose)

    def _queue(self, method: str, path: str) -> _Queue:
        method = method.upper()
        path = route_path(path)
        for queue in self._queues:
            if queue.method == method and queue.path == path:
                return queue
        queue = _Queue(method, path, compile_route(path))
        self._queues.append(queue)
        return queue

    def _take_script(self, request: FakeRequest) -> Script | None:
        for queue in self._queues:
            if (
                queue.entries
                and queue.method == request.method
                and queue.pattern.fullmatch(request.path)
            ):
                entry = queue.entries[0]
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        queue.entries.popleft()
                return entry.script
        return None

    # -- answering ---------------------------------------------------------

    def _authorized(self, request: FakeRequest) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def _answer(self, request: FakeRequest, script: Script | None) -> tuple[int, Body]:
        if script is not None and script.body is not None:
            return script.status or 200, script.body
        if script is not None and script.status is not None and script.status >= 400:
            return script.status, status_error_body(script.status)
        default = self._defaults.answer(request)
        if default is None:
            if script is None:
                return invalid_url(request)
            return script.status or 200, JsonBody({})
        status, body = default
        if script is not None and script.status is not None:
            status = script.status
        return status, body

    async def _handle(self, request: FakeRequest) -> Reply:
        """Record *request* and return the reply, after the script's delay.

        The one handler behind both transports (`_transport.py`, `_http.py`).

        Args:
            request: What was received.
        """
        self._requests.append(request)
        request_id = ("x-request-id", self._defaults.new_id("req_fake_"))
        if not self._authorized(request):
            denied = error_body(
                "Incorrect API key provided.", type="invalid_request_error", code="invalid_api_key"
            )
            return encode_reply(401, denied, script=None, headers=[request_id])
        script = self._take_script(request)
        status, body = self._answer(request, script)
        reply = encode_reply(status, body, script=script, headers=[request_id])
        if script is not None and script.delay > 0:
            await trio.sleep(script.delay)
        return reply

    # -- serving -----------------------------------------------------------

    def transport(self) -> httpx2.AsyncBaseTransport:
        """Return an in-memory ``httpx2`` transport served by this fake.

        Use it with `base_url`:
        ``httpx2.AsyncClient(transport=fake.transport(), base_url=fake.base_url)``.
        """
        from ._transport import FakeTransport

        return FakeTransport(self)

    async def serve(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve over HTTP/1.1 on a real socket until cancelled.

        Start it with ``base_url = await nursery.start(fake.serve)``.

        Args:
            host: The address to listen on.
            port: The port; 0 (the default) picks a free one.
            task_status: Receives the base URL, ``http://127.0.0.1:PORT/v1``.

        Raises:
            OSError: The address cannot be bound.
        """
        from ._http import serve_http

        await serve_http(
            self._handle,
            host=host,
            port=port,
            connections=self._connections,
            task_status=task_status,
        )

    @asynccontextmanager
    async def client(self, **kwargs: Any) -> AsyncIterator[Client]:
        """Open a `trio_openai` client wired to this fake in memory.

        ``async with fake.client() as client: ...``: ``api_key="sk-fake"``,
        ``base_url=fake.base_url`` and an ``httpx2.AsyncClient`` on `transport`
        unless *kwargs* say otherwise.

        Args:
            **kwargs: Passed to `trio_openai.open_client`.
        """
        import httpx2

        from .._client import open_client

        kwargs.setdefault("api_key", self.api_key or "sk-fake")
        kwargs.setdefault("base_url", self.base_url)
        if "http_client" in kwargs:
            async with open_client(**kwargs) as client:
                yield client
            return
        async with (
            httpx2.AsyncClient(transport=self.transport()) as http,
            open_client(http_client=http, **kwargs) as client,
        ):
            yield client

    def sync_client(self, **kwargs: Any) -> SyncClient:
        """Open a `trio_openai.SyncClient` wired to this fake in memory (see `client`).

        ``with fake.sync_client() as client: client.models.list()``.

        Args:
            **kwargs: Passed to `trio_openai.open_client`.
        """
        from .._sync._client import SyncClient

        return SyncClient.from_opener(lambda: self.client(**kwargs))


async def serve_forever(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve a fresh `FakeOpenAI` on a real socket until cancelled (for a CLI).

    ``url = await nursery.start(serve_forever, 8080)``, then print *url*.

    Args:
        port: The port; 0 picks a free one.
        host: The address to listen on.
        task_status: Receives the base URL once listening.

    Raises:
        OSError: The address cannot be bound.
    """
    await FakeOpenAI().serve(host=host, port=port, task_status=task_status)
