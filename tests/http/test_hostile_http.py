"""A hostile HTTP server and a careless caller: bombs, redirects, bad TLS, bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trio

import trio_openai
from tests._hostile import (
    RawRequest,
    RawServer,
    raw_server,
    response_bytes,
    self_signed,
    serve_untrusted_tls,
)

KEY = "sk-hostile-http-0123456789abcdef"
CHILD = Path(__file__).resolve().parents[1] / "_bomb_child.py"
MESSAGES = [{"role": "user", "content": "hi"}]


def _run_child(mode: str, limit_mib: int, as_mib: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(CHILD), mode, str(limit_mib), str(as_mib)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.decode().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    ("mode", "limit_mib", "as_mib"),
    [
        ("gzip", 256, 1536),  # 10 GiB of JSON in 10 MiB of gzip, at the default limit
        ("error-gzip", 32, 1024),  # the same bomb as a 500's error body
        ("plain", 32, 1024),  # 2 GiB with no length, ending when the socket does
        ("declared", 32, 1024),  # a Content-Length of 2 GiB
        ("binary", 32, 1024),  # files.content, read into memory
        ("streamed", 32, 1024),  # with_streaming_response(...).read()
    ],
)
def test_memory_bombs_stop_at_max_response_size(mode: str, limit_mib: int, as_mib: int) -> None:
    """Under RLIMIT_AS each bomb ends in ResponseTooLargeError naming the limit, not MemoryError."""
    report = _run_child(mode, limit_mib, as_mib)
    assert report["error"] == "ResponseTooLargeError", report
    assert f"max_response_size ({limit_mib * 1024 * 1024:,} bytes" in report["message"]
    # The limit, one network chunk's expansion and the interpreter: nowhere near the bomb.
    assert report["maxrss_mib"] < limit_mib + 160, report
    if mode == "declared":
        assert report["sent"] == 1024  # refused on the header, before reading


def test_a_streamed_download_is_not_bounded(tmp_path: Path) -> None:
    """write_to_file streams a body larger than max_response_size, one chunk at a time."""

    async def main() -> int:
        async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
            await stream.send_all(response_bytes(200, bytes(3 * 1024 * 1024)))

        async with raw_server(handler) as server:
            async with trio_openai.open_client(
                api_key=KEY, base_url=f"{server.url}/v1", max_response_size=1024 * 1024
            ) as client:
                with pytest.raises(trio_openai.ResponseTooLargeError):
                    await client.files.content("file-1")
                async with client.files.content.with_streaming_response("file-1") as raw:
                    return await raw.write_to_file(tmp_path / "out.bin")

    assert trio.run(main) == 3 * 1024 * 1024
    assert (tmp_path / "out.bin").stat().st_size == 3 * 1024 * 1024


async def test_max_response_size_is_a_client_option_and_per_view() -> None:
    """The limit applies to JSON answers too and a with_options view can raise it."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        body = json.dumps({"id": "m", "object": "model", "owned_by": "x" * 5000}).encode()
        await stream.send_all(response_bytes(200, body, content_type="application/json"))

    async with raw_server(handler) as server:
        async with trio_openai.open_client(
            api_key=KEY, base_url=f"{server.url}/v1", max_response_size=4096, max_retries=2
        ) as client:
            with pytest.raises(trio_openai.ResponseTooLargeError) as info:
                await client.models.retrieve("m")
            assert info.value.limit == 4096
            assert len(server.requests) == 1  # never retried
            model = await client.with_options(max_response_size=10_000).models.retrieve("m")
            assert model.owned_by == "x" * 5000


@pytest.fixture
async def two_origins() -> AsyncIterator[tuple[RawServer, RawServer]]:
    """Server *a* redirects every request (307) to server *b*, which answers a model."""
    target: list[str] = []

    async def redirector(request: RawRequest, stream: trio.SocketStream) -> None:
        await stream.send_all(response_bytes(307, location=f"{target[0]}{request.target}"))

    async def answer(request: RawRequest, stream: trio.SocketStream) -> None:
        body = b'{"id": "m", "object": "model", "created": 1, "owned_by": "b"}'
        await stream.send_all(response_bytes(200, body, content_type="application/json"))

    async with raw_server(redirector) as a, raw_server(answer) as b:
        target.append(b.url)
        yield a, b


@pytest.mark.parametrize("kind", ["openai", "azure"])
async def test_cross_origin_redirects_drop_every_credential(
    two_origins: tuple[RawServer, RawServer], kind: str
) -> None:
    """A caller's follow_redirects pool: the other origin gets no key and no custom header."""
    a, b = two_origins
    async with httpx2.AsyncClient(follow_redirects=True) as http:
        common: dict[str, Any] = {
            "api_key": KEY,
            "http_client": http,
            "default_headers": {"X-Gateway-Key": "gw-secret-1234567"},
        }
        if kind == "azure":
            opened = trio_openai.open_azure_client(
                azure_endpoint=a.url, api_version="2024-10-21", **common
            )
        else:
            opened = trio_openai.open_client(base_url=f"{a.url}/v1", **common)
        async with opened as client:
            model = await client.models.retrieve("m")
    assert model.owned_by == "b"
    first, second = a.requests[0], b.requests[0]
    assert {"authorization", "api-key"} & first.headers.keys()
    assert first.headers["x-gateway-key"] == "gw-secret-1234567"
    for name in ("authorization", "api-key", "x-gateway-key"):
        assert name not in second.headers
    assert second.headers["user-agent"].startswith("trio-openai/")
    assert second.headers["host"] == b.url.removeprefix("http://")


async def test_same_origin_redirects_keep_the_key() -> None:
    """A redirect within one origin (a moved path) keeps the auth header and the body."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        if request.target.startswith("/old"):
            await stream.send_all(response_bytes(308, location="/new/chat/completions"))
        else:
            body = json.dumps({"id": "c", "object": "chat.completion", "choices": []})
            await stream.send_all(
                response_bytes(200, body.encode(), content_type="application/json")
            )

    async with raw_server(handler) as server:
        async with httpx2.AsyncClient(follow_redirects=True) as http:
            async with trio_openai.open_client(
                api_key=KEY, base_url=f"{server.url}/old", http_client=http
            ) as client:
                await client.chat.completions.create(model="m", messages=MESSAGES)
    moved = server.requests[1]
    assert (moved.method, moved.target) == ("POST", "/new/chat/completions")
    assert moved.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(moved.body)["messages"] == MESSAGES


async def test_redirect_loops_end_with_a_clear_error() -> None:
    """A server redirecting to itself forever: the pool's max_redirects, then our error."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        await stream.send_all(response_bytes(302, location=request.target))

    async with raw_server(handler) as server:
        async with httpx2.AsyncClient(follow_redirects=True, max_redirects=3) as http:
            async with trio_openai.open_client(
                api_key=KEY, base_url=f"{server.url}/v1", http_client=http, max_retries=0
            ) as client:
                with pytest.raises(trio_openai.APIConnectionError, match="More than 3 redirects"):
                    await client.models.list()
    assert len(server.requests) == 4


async def test_an_unfollowed_redirect_names_its_location_and_is_not_retried() -> None:
    """Our own pool follows nothing: a 301 is an APIStatusError saying where it pointed."""

    async def handler(request: RawRequest, stream: trio.SocketStream) -> None:
        await stream.send_all(
            response_bytes(301, location="https://elsewhere.test/v1/models?token=t0k3n-secret")
        )

    async with raw_server(handler) as server:
        async with trio_openai.open_client(api_key=KEY, base_url=f"{server.url}/v1") as client:
            with pytest.raises(trio_openai.APIStatusError) as info:
                await client.models.list()
    message = str(info.value)
    assert info.value.status_code == 301
    assert "redirected to https://elsewhere.test/v1/models" in message
    assert "not valid JSON" not in message
    assert "t0k3n-secret" not in message
    assert len(server.requests) == 1


async def test_a_tls_failure_names_the_certificate_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An untrusted certificate says so (not a bare ConnectError), and SSL_CERT_FILE is ignored."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # a rogue trust store: must not be read
    async with trio.open_nursery() as nursery:
        port, received = await nursery.start(serve_untrusted_tls, cert, key)
        async with trio_openai.open_client(
            api_key=KEY, base_url=f"https://127.0.0.1:{port}/v1", max_retries=0
        ) as client:
            with pytest.raises(trio_openai.APIConnectionError) as info:
                await client.models.list()
        nursery.cancel_scope.cancel()
    assert "certificate verif" in str(info.value).lower()
    assert "self-signed" in str(info.value) or "self signed" in str(info.value)
    assert not any(KEY.encode() in data for data in received)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"temperature": float("nan")}, "`temperature`: it is nan"),
        ({"temperature": float("inf")}, "`temperature`: it is inf"),
        ({"metadata": {"tags": {"a", "b"}}}, "`metadata.tags`: a value of type set"),
        (
            {"messages": [{"role": "user", "content": "a\ud800b"}]},
            "`messages[0].content`: it holds",
        ),
        ({"user": object()}, "`user`: a value of type object"),
        ({"extra_headers": {"X-A": "b\r\nX-Injected: 1"}}, "header 'X-A' contains a line break"),
        ({"extra_headers": {"X-A": "snow \u2603"}}, "outside latin-1 (U+2603)"),
        ({"extra_headers": {"X A": "b"}}, "'X A' is not a valid HTTP header name"),
    ],
)
async def test_bad_arguments_fail_before_sending_naming_the_argument(
    kwargs: dict[str, Any], says: str
) -> None:
    """Each is an InvalidArgumentError (a ValueError and a TypeError), nothing sent, no retry."""
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json={})

    kwargs = {"messages": MESSAGES, **kwargs}
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(
            api_key=KEY, base_url="http://t.invalid/v1", http_client=http
        ) as client:
            with pytest.raises(trio_openai.InvalidArgumentError) as info:
                await client.chat.completions.create(model="m", **kwargs)
    assert says in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TypeError)
    assert "X-Injected: 1" not in str(info.value)  # header values are never shown
    assert sent == []


async def test_a_bad_default_header_is_refused_at_the_first_call() -> None:
    """default_headers are checked once per view, with the same clear error."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        raise AssertionError("nothing may be sent")

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_client(
            api_key=KEY,
            base_url="http://t.invalid/v1",
            http_client=http,
            default_headers={"X-Team": "caf\u00e9\n"},
        ) as client:
            with pytest.raises(trio_openai.InvalidArgumentError, match="default_headers"):
                await client.models.list()
