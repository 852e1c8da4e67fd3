"""`SyncClient`: the async tree, blocking, on a background Trio loop (plain ``def`` tests)."""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import trio

import trio_openai
from tests._support import placeholder_arguments, resolve_method
from tests.core.test_cancellation import pool_state
from tests.lib.test_uploads import FILE_ID, script
from trio_openai._lib._streams import SyncChatStream, SyncResponsesStream
from trio_openai._sync._methods import (
    SyncBinaryMethod,
    SyncListMethod,
    SyncMethod,
    SyncStreamMethod,
)
from trio_openai.resources._operations import OPERATIONS
from trio_openai.testing import FakeOpenAI, FakeRealtime
from trio_openai.types import ChatCompletion, ChatCompletionChunk

MESSAGES = [{"role": "user", "content": "Hi"}]
# The structured stream twins (`chat.completions.stream`, `responses.stream`) are streams too.
STREAMS = (SyncStreamMethod, SyncChatStream, SyncResponsesStream)
SYNC_BOUND = (SyncMethod, SyncBinaryMethod, SyncListMethod, *STREAMS)


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def client(fake: FakeOpenAI) -> Iterator[trio_openai.SyncClient]:
    with fake.sync_client(max_retries=0) as client:
        yield client


@asynccontextmanager
async def over_tcp(fake: FakeOpenAI, **kwargs: Any) -> AsyncIterator[trio_openai.Client]:
    """A client of *fake* served on a real socket, both in the sync client's loop."""
    async with trio.open_nursery() as nursery:
        base_url = await nursery.start(fake.serve)
        async with trio_openai.open_client(api_key="sk-test", base_url=base_url, **kwargs) as c:
            yield c
        nursery.cancel_scope.cancel()


def _call(method: Any, args: dict[str, object], *, streaming: bool) -> None:
    """Call *method* (reading a stream to its end); a placeholder where a file is needed
    becomes a small file."""
    for _ in range(len(args) + 1):
        try:
            result = method(**args)
            if streaming:
                with result as events:
                    list(events)
            return
        except TypeError as exc:  # noqa: PERF203 - retried once per file argument
            name = str(exc).split("`")[1] if "must be a file" in str(exc) else None
            if name is None or isinstance(args.get(name), bytes):
                raise
            args[name] = b"data"
    raise AssertionError("unreachable")


def test_every_operation_of_the_tree_blocks_and_sends_its_request(
    fake: FakeOpenAI, client: trio_openai.SyncClient
) -> None:
    """All 288 operations (and their stream twins) exist on the sync tree and send their request."""
    called = 0
    for entry in OPERATIONS.values():
        for dotted, streaming in ((entry.python, False), (entry.stream, True)):
            if dotted is None:
                continue
            node, name = resolve_method(client, dotted)
            method = getattr(node, name)
            assert isinstance(method, SYNC_BOUND), dotted
            assert isinstance(method, STREAMS) == streaming, dotted
            before = len(fake.requests)
            # The fake does not answer every route (or stream): the request is sent anyway.
            with contextlib.suppress(trio_openai.APIError):
                _call(method, placeholder_arguments(node, name), streaming=streaming)
            assert len(fake.requests) == before + 1, dotted
            request = fake.last_request
            bare = entry.path.partition("?")[0]
            expected = "/".join(
                quote(f"<{part[1:-1]}>", safe="") if part.startswith("{") else part
                for part in bare.split("/")
            )
            assert (request.method, request.raw_path.split("?")[0]) == (
                entry.method,
                "/v1" + expected,
            ), dotted
            called += 1
    assert called == len(OPERATIONS) + sum(1 for e in OPERATIONS.values() if e.stream)


def test_calls_return_the_async_trees_typed_results(client: trio_openai.SyncClient) -> None:
    """create, retrieve and delete give the same typed models as the async client."""
    chat = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert isinstance(chat, ChatCompletion)
    assert chat.choices[0].message.content == "Hi"
    assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    assert client.responses.create(model="gpt-4.1-mini", input="Hi").output_text == "Hi"


def test_errors_are_raised_as_in_the_async_client(
    fake: FakeOpenAI, client: trio_openai.SyncClient
) -> None:
    """An API error comes out of the blocking call with its type, status and request id."""
    fake.add_fault("POST", "/chat/completions", status=404)
    with pytest.raises(trio_openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert caught.value.status_code == 404
    assert caught.value.request_id is not None


def test_a_stream_iterates_typed_chunks_inside_with(client: trio_openai.SyncClient) -> None:
    """``with ....stream(...) as s: for chunk in s`` gives typed chunks and completes."""
    text = ""
    with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        assert stream.status_code == 200
        for chunk in stream:
            assert isinstance(chunk, ChatCompletionChunk)
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
        assert stream.completed
    assert text == "Hi"


@pytest.mark.parametrize("use_with", [True, False])
def test_break_out_of_a_stream_returns_the_connection(fake: FakeOpenAI, use_with: bool) -> None:
    """Leaving a stream by ``break`` (with or without ``with``) frees its pooled connection."""
    fake.add("POST", "/chat/completions", sse=[{"choices": []}] * 50, interval=0.01, times=None)
    with trio_openai.SyncClient.from_opener(lambda: over_tcp(fake)) as client:
        for _ in range(3):
            stream = client.chat.completions.stream(model="m", messages=MESSAGES)
            if use_with:
                with stream:
                    for _chunk in stream:
                        break
            else:
                for _chunk in stream:
                    break
                del _chunk, stream  # drops the iterator: it closes the response
            in_flight, busy, pooled = pool_state(client.async_client)
            assert (in_flight, busy) == (0, 0)
            assert pooled <= 1


def test_an_error_inside_the_with_block_closes_the_stream(fake: FakeOpenAI) -> None:
    """An exception in the body propagates and the response is closed."""
    fake.add("POST", "/chat/completions", sse=[{"choices": []}] * 50, interval=0.01)
    with trio_openai.SyncClient.from_opener(lambda: over_tcp(fake)) as client:
        stream = client.chat.completions.stream(model="m", messages=MESSAGES)

        def fail_while_reading() -> None:
            with stream:
                for _ in stream:
                    raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fail_while_reading()
        assert pool_state(client.async_client)[:2] == (0, 0)


def test_a_list_fetches_the_first_page_and_iterating_walks_every_page(
    fake: FakeOpenAI, client: trio_openai.SyncClient
) -> None:
    """``list()`` gives page one; iterating it fetches the following pages as it goes."""
    for i in range(5):
        fake.add_file(f"{i}".encode(), filename=f"f{i}.jsonl")
    page = client.files.list(limit=2)
    assert isinstance(page, trio_openai.SyncPage)
    assert len(page.data) == 2
    assert page.has_more
    assert len(fake.requests) == 1
    names = [f.filename for f in page]
    assert sorted(names) == [f"f{i}.jsonl" for i in range(5)]
    assert len(fake.requests) == 3
    pages = list(client.files.list(limit=2).iter_pages())
    assert [len(p.data) for p in pages] == [2, 2, 1]


def test_raw_streaming_and_binary_variants(
    fake: FakeOpenAI, client: trio_openai.SyncClient, tmp_path: Path
) -> None:
    """with_raw_response, with_streaming_response and binary bodies work without a loop."""
    raw = client.models.retrieve.with_raw_response("gpt-4o-mini")
    assert raw.status_code == 200
    assert raw.parse().id == "gpt-4o-mini"

    stored = fake.add_file(b"x" * 100_000, filename="big.bin")
    with client.files.content.with_streaming_response(stored.id) as response:
        assert response.status_code == 200
        assert b"".join(response.iter_bytes()) == b"x" * 100_000
    with client.files.content.with_streaming_response(stored.id) as response:
        assert response.write_to_file(tmp_path / "copy.bin") == 100_000
    assert (tmp_path / "copy.bin").read_bytes() == b"x" * 100_000

    content = client.files.content(stored.id)
    assert isinstance(content, trio_openai.SyncBinaryResponse)
    content.write_to_file(tmp_path / "direct.bin")
    assert (tmp_path / "direct.bin").stat().st_size == 100_000


def test_upload_file_blocks_and_reports_progress(
    fake: FakeOpenAI, client: trio_openai.SyncClient, tmp_path: Path
) -> None:
    """The hand-written ``uploads.upload_file`` blocks too, progress callback included."""
    script(fake, parts=3)
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"x" * 2500)
    seen: list[int] = []
    done = client.uploads.upload_file(
        path, purpose="fine-tune", part_size=1024, on_progress=lambda p: seen.append(p.bytes_sent)
    )
    assert done.bytes == 2500
    assert done.file_id == FILE_ID
    assert sorted(seen) == [1024, 2048, 2500]


def test_calls_from_many_threads_at_once(client: trio_openai.SyncClient) -> None:
    """Eight threads share one client; every call gets its own answer."""
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                model = client.models.retrieve("gpt-4o-mini")
                results[n * 100 + i] = model.id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 80
    assert set(results.values()) == {"gpt-4o-mini"}


@pytest.mark.skipif(sys.platform == "win32", reason="interrupt_main needs POSIX signals")
def test_ctrl_c_cancels_the_call_in_flight_and_the_client_stays_usable(fake: FakeOpenAI) -> None:
    """KeyboardInterrupt in the waiting thread cancels the call; its connection is freed."""
    fake.add_fault("POST", "/chat/completions", delay=60)
    with trio_openai.SyncClient.from_opener(lambda: over_tcp(fake)) as client:
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - started < 10
        assert pool_state(client.async_client)[:2] == (0, 0)
        assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"


def test_close_stops_the_thread_and_later_calls_fail(fake: FakeOpenAI) -> None:
    """After close the loop thread is gone and a call raises ClientClosedError."""
    before = {t.name for t in threading.enumerate()}
    client = fake.sync_client()
    assert any(t.name == "trio-openai" for t in threading.enumerate())
    client.models.list()
    client.close()
    client.close()  # idempotent
    assert client.closed
    assert {t.name for t in threading.enumerate()} <= before
    with pytest.raises(trio_openai.ClientClosedError):
        client.models.retrieve("gpt-4o-mini")


def test_closing_ends_calls_in_flight_in_other_threads(fake: FakeOpenAI) -> None:
    """A call waiting in another thread when the client closes gets ClientClosedError."""
    fake.add_fault("POST", "/chat/completions", delay=60)
    client = fake.sync_client(max_retries=0)
    caught: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="m", messages=MESSAGES)
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while not fake.requests:
        time.sleep(0.01)
    client.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(caught) == 1
    assert isinstance(caught[0], trio_openai.ClientClosedError)


def test_with_options_views_share_the_thread_and_do_not_close_it(
    fake: FakeOpenAI, client: trio_openai.SyncClient
) -> None:
    """A view sends its own defaults; closing it leaves the client open."""
    view = client.with_options(default_headers={"X-Team": "a"})
    view.models.list()
    assert fake.last_request.headers["x-team"] == "a"
    view.close()
    assert not client.closed
    client.models.list()
    assert "x-team" not in fake.last_request.headers


def test_calling_from_the_loop_thread_is_refused(client: trio_openai.SyncClient) -> None:
    """Blocking on the loop from the loop itself would deadlock: it raises instead."""

    async def inside() -> None:
        client.models.list()

    with pytest.raises(RuntimeError, match="own loop thread"):
        client.run(inside)


def test_run_executes_async_code_on_the_clients_loop(client: trio_openai.SyncClient) -> None:
    """`run` gives sync code a way to run async helpers that use the async client."""

    async def count_models(c: trio_openai.Client) -> int:
        return len([m async for m in c.models.list()])

    assert client.run(count_models, client.async_client) == 10


def test_works_inside_a_running_trio_or_asyncio_loop(fake: FakeOpenAI) -> None:
    """No event loop conflict: it blocks fine inside trio.run and asyncio.run (as in Jupyter)."""

    def use() -> str:
        with fake.sync_client() as client:
            return client.models.retrieve("gpt-4o-mini").id

    async def under_trio() -> str:
        return use()

    async def under_asyncio() -> str:
        return use()

    assert trio.run(under_trio) == "gpt-4o-mini"
    assert asyncio.run(under_asyncio()) == "gpt-4o-mini"


def test_a_bad_setting_fails_in_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors from opening the session surface from SyncClient(...); no thread is left."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_ENV_FILE", "/nonexistent/.env")
    monkeypatch.chdir("/")
    before = threading.active_count()
    with pytest.raises(trio_openai.ConfigurationError):
        trio_openai.SyncClient(base_url="http://127.0.0.1:9/v1")
    assert threading.active_count() == before


def test_reliability_events_can_be_read(fake: FakeOpenAI) -> None:
    """``with client.events() as events`` gives the session's retry events."""
    fake.add_fault("GET", "/models/{model}", status=500)
    with fake.sync_client(
        retry_policy=trio_openai.RetryPolicy(max_retries=1, initial_wait=0.0, jitter=0.0)
    ) as client:
        with client.events() as events:
            client.models.retrieve("gpt-4o-mini")
            event = events.receive_nowait()
        assert isinstance(event, trio_openai.RetryScheduled)


def _user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_a_realtime_session_blocks_iterates_and_closes_with_1000() -> None:
    """The issue's realtime example, blocking: helpers, typed events, close code 1000."""
    fake = FakeRealtime()
    with fake.sync_client() as client:
        with client.realtime.connect(model="gpt-realtime") as conn:
            assert isinstance(conn, trio_openai.SyncRealtimeConnection)
            conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            sent = conn.conversation.item.create(item=_user_text("Hello there"))
            conn.response.create()
            text = ""
            for event in conn:
                if event.type == "response.output_text.delta":
                    text += event.delta  # type: ignore[union-attr]
                elif event.type == "response.done":
                    break
            assert conn.sent_event(sent) is not None
        assert text == "Hello there"
        assert conn.closed
        session = fake.last_session
        assert session.received_types() == [
            "session.update",
            "conversation.item.create",
            "response.create",
        ]
        assert session.close_code == 1000


def test_a_realtime_session_outlives_the_call_that_opened_it() -> None:
    """``enter()`` opens a session that lives between calls (Jupyter cells) until close()."""
    fake = FakeRealtime()
    client = fake.sync_client()
    conn = client.realtime.connect(model="gpt-realtime").enter()
    # "Another cell": the session is still open, its reader still running.
    time.sleep(0.2)
    conn.send({"type": "conversation.item.create", "item": _user_text("again")})
    conn.send({"type": "response.create"})
    kinds = []
    while not kinds or kinds[-1] != "response.done":
        kinds.append(conn.recv().type)
    assert "response.output_text.delta" in kinds or "response.output_audio.delta" in kinds
    conn.close()
    conn.close()  # idempotent
    assert fake.last_session.close_code == 1000
    client.close()


def test_a_stream_error_arrives_after_the_events_before_it(
    fake: FakeOpenAI, client: trio_openai.SyncClient
) -> None:
    """A stream cut before its terminal marker gives every event sent, then raises."""
    fake.add("POST", "/chat/completions", sse=[{"choices": []}] * 100, truncate_stream=True)
    seen = 0
    with pytest.raises(trio_openai.StreamInterruptedError):  # noqa: PT012 - counts events first
        for _ in client.chat.completions.stream(model="m", messages=MESSAGES):
            seen += 1
    assert seen == 100  # every event; only the closing [DONE] is missing


def test_a_dropped_body_raises_while_reading_bytes(fake: FakeOpenAI) -> None:
    """iter_bytes over a connection that drops mid-body raises APIConnectionError."""
    stored = fake.add_file(b"y" * 200_000, filename="big.bin")
    fake.add_fault("GET", "/files/{file_id}/content", drop_after=50_000)
    with trio_openai.SyncClient.from_opener(lambda: over_tcp(fake, max_retries=0)) as client:
        received = 0
        with pytest.raises(trio_openai.APIConnectionError):  # noqa: PT012 - the bytes before count
            with client.files.content.with_streaming_response(stored.id) as response:
                for chunk in response.iter_bytes():
                    received += len(chunk)
        assert 0 < received <= 50_000
        assert pool_state(client.async_client)[:2] == (0, 0)


_UNCLOSED_AT_EXIT = """
import atexit, sys
from trio_openai.testing import FakeOpenAI, FakeRealtime

# atexit runs hooks last-registered first: this one runs after the clients' own.
atexit.register(lambda: print("realtime close code", realtime.last_session.close_code, flush=True))
fake, realtime = FakeOpenAI(), FakeRealtime()
client = fake.sync_client()
hi = [{"role": "user", "content": "hi"}]
stream = iter(client.chat.completions.stream(model="m", messages=hi))
next(stream)  # a stream left open mid-way, its generator still alive
rt_client = realtime.sync_client()
conn = rt_client.realtime.connect(model="gpt-realtime").enter()
conn.send({"type": "response.create"})
print("leaving without closing anything", flush=True)
"""


def test_the_interpreter_exits_with_unclosed_clients_streams_and_sessions() -> None:
    """Nobody closed the clients: an atexit hook closes them, and the process ends (code 0)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _UNCLOSED_AT_EXIT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "leaving without closing anything",
        "realtime close code 1000",
    ]
    assert "Traceback" not in done.stderr


def test_closing_unregisters_the_exit_hook(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed client leaves nothing behind for atexit (and the portal can be collected)."""
    import atexit
    import gc
    import weakref

    hooks: list[object] = []
    monkeypatch.setattr(atexit, "register", hooks.append)
    monkeypatch.setattr(atexit, "unregister", hooks.remove)
    client = fake.sync_client()
    assert len(hooks) == 1
    ref = weakref.ref(client._portal)
    client.close()
    assert hooks == []
    client.close()  # idempotent: nothing to unregister twice
    del client
    gc.collect()
    assert ref() is None
