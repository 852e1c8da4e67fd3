"""Hostile servers and careless callers: route-changing path parameters, hostile webhook
headers, streams after their terminal marker, and JSON nested past any parser's depth."""

from __future__ import annotations

import ast
import pathlib
from functools import partial
from typing import Any

import httpx2
import pytest
import trio
from _support import mock_client

import trio_openai

# -- path parameters: a dot segment must not rewrite the route -----------------------------------


def _deleted(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json={"id": "x", "object": "file", "deleted": True})


async def _raw_paths(call: Any) -> tuple[list[bytes], BaseException | None]:
    """The raw paths a call put on the wire (MockTransport sees the final URL), and its error."""
    seen: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.raw_path)
        return _deleted(request)

    error: BaseException | None = None
    async with mock_client(handler) as (client, _):
        try:
            await call(client)
        except trio_openai.OpenAIError as exc:
            error = exc
    return seen, error


@pytest.mark.parametrize("value", ["", ".", ".."])
async def test_files_delete_refuses_a_route_changing_id_before_sending(value: str) -> None:
    """`files.delete("..")` would be `DELETE /v1`: refused, naming the parameter, nothing sent."""
    seen, error = await _raw_paths(lambda client: client.files.delete(value))
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert isinstance(error, ValueError)
    assert "`file_id`" in str(error)


@pytest.mark.parametrize("value", ["", ".", ".."])
async def test_a_dot_vector_store_id_does_not_turn_a_detach_into_a_file_delete(value: str) -> None:
    """`vector_store_id=".."` would send `DELETE /v1/files/file-X`: refused before sending."""
    seen, error = await _raw_paths(
        lambda client: client.vector_stores.files.delete("file-X", vector_store_id=value)
    )
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert "`vector_store_id`" in str(error)


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ("%2e%2e", b"/v1/files/%252e%252e"),
        ("%2E.", b"/v1/files/%252E."),
        ("a/b", b"/v1/files/a%2Fb"),
        ("../x", b"/v1/files/..%2Fx"),
        ("..x", b"/v1/files/..x"),
        ("...", b"/v1/files/..."),
        (" ", b"/v1/files/%20"),
        ("file-ü", b"/v1/files/file-%C3%BC"),
    ],
)
async def test_other_ids_are_sent_percent_encoded_as_one_segment(value: str, raw: bytes) -> None:
    """Anything but "", "." and ".." is accepted and stays one segment below /files."""
    seen, error = await _raw_paths(lambda client: client.files.delete(value))
    assert error is None
    assert seen == [raw]


async def test_the_raw_path_on_a_real_socket_is_the_encoded_one() -> None:
    """Over TCP the server reads the encoded request line, not a resolved one."""
    lines: list[bytes] = []

    async def serve(stream: trio.SocketStream) -> None:
        head = await _read_request(stream)
        lines.append(head.split(b"\r\n", 1)[0])
        body = b'{"id": "x", "object": "file", "deleted": true}'
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )

    async with trio.open_nursery() as nursery:
        port = await _serve(nursery, serve)
        async with trio_openai.open_client(
            api_key="sk-test-1234", base_url=f"http://127.0.0.1:{port}/v1"
        ) as client:
            await client.files.delete("%2e%2e")
            await client.vector_stores.files.delete("..x", vector_store_id="a/b")
            with pytest.raises(trio_openai.InvalidArgumentError, match="vector_store_id"):
                await client.vector_stores.files.delete("file-X", vector_store_id="..")
        nursery.cancel_scope.cancel()
    assert lines == [
        b"DELETE /v1/files/%252e%252e HTTP/1.1",
        b"DELETE /v1/vector_stores/a%2Fb/files/..x HTTP/1.1",
    ]


async def test_a_lone_surrogate_in_a_path_parameter_is_a_clear_error() -> None:
    """A value with no UTF-8 form is refused naming the parameter, not a bare codec error."""
    seen, error = await _raw_paths(lambda client: client.files.delete("file-\ud800"))
    assert seen == []
    assert isinstance(error, trio_openai.InvalidArgumentError)
    assert "`file_id`" in str(error)


@pytest.mark.parametrize("model", [".", ".."])
async def test_an_azure_deployment_that_is_a_dot_segment_is_refused(model: str) -> None:
    """Azure's deployment goes through the same check: `model=".."` is not `/openai/chat/...`."""
    seen: list[bytes] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.raw_path)
        return httpx2.Response(200, json={})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        async with trio_openai.open_azure_client(
            azure_endpoint="https://res.openai.azure.com",
            api_version="2024-10-21",
            api_key="azure-key-1234",
            http_client=http,
        ) as client:
            with pytest.raises(trio_openai.InvalidArgumentError, match="deployment"):
                await client.embeddings.create(model=model, input="x")
    assert seen == []


def _path_holes(tree: ast.AST) -> list[tuple[int, str]]:
    """The `{...}` parts of every `path=f"..."` argument that are not `path_param(...)` calls."""
    holes: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg != "path":
            continue
        if isinstance(node.value, ast.Constant):
            continue
        if not isinstance(node.value, ast.JoinedStr):
            holes.append((node.lineno, ast.unparse(node.value)))
            continue
        for part in node.value.values:
            if isinstance(part, ast.FormattedValue):
                call = part.value
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "path_param"
                ):
                    holes.append((node.lineno, ast.unparse(part)))
    return holes


def test_every_generated_path_parameter_goes_through_path_param() -> None:
    """No generated method puts a parameter into its path without the dot-segment check."""
    resources = pathlib.Path(trio_openai.__file__).parent / "resources"
    checked = 0
    for source in sorted(resources.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        assert _path_holes(tree) == [], source.name
        checked += source.read_text(encoding="utf-8").count("path_param(")
    assert checked > 100  # the check did see the generated methods


# -- helpers: a raw HTTP/1.1 server on 127.0.0.1 port 0 ------------------------------------------


async def _serve(nursery: trio.Nursery, handler: Any) -> int:
    """Serve *handler* (called with each connection's stream) on 127.0.0.1; return the port."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port: int = listeners[0].socket.getsockname()[1]
    return port


async def _read_request(stream: trio.SocketStream) -> bytes:
    """Read one request (head and a Content-Length body) so closing never resets it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = await stream.receive_some(65536)
        if not chunk:
            break
        body += chunk
    return head
