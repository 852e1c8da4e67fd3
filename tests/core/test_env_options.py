"""Options from the environment: OPENAI_CUSTOM_HEADERS, OPENAI_LOG and OPENAI_ADMIN_KEY."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx2
import pytest

import trio_openai
from tests._support import mock_client
from trio_openai._options import setup_env_logging

ADMIN = "sk-admin-key-0001"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the variables under test leaks in from the machine."""
    for name in ("OPENAI_CUSTOM_HEADERS", "OPENAI_LOG", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def restore_logger() -> Iterator[logging.Logger]:
    """The ``trio_openai`` logger, put back as it was (handlers, level) after the test."""
    logger = logging.getLogger("trio_openai")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


class Recorder:
    """Records each request and answers an empty JSON object."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(200, json={"object": "list", "data": [], "has_more": False})


# -- OPENAI_CUSTOM_HEADERS -----------------------------------------------------------


async def test_custom_headers_are_sent_under_default_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each `Name: value` line is sent; default_headers win on a shared name; values hidden."""
    monkeypatch.setenv(
        "OPENAI_CUSTOM_HEADERS", "X-Gateway-Key: gw-secret-value\n\n X-Team : a \nX-Both: env"
    )
    rec = Recorder()
    async with mock_client(rec, default_headers={"X-Both": "argument"}) as (client, probe):
        await probe.get("/x")
        shown = repr(client.options)
    (request,) = rec.requests
    assert request.headers["x-gateway-key"] == "gw-secret-value"
    assert request.headers["x-team"] == "a"
    assert request.headers["x-both"] == "argument"
    assert "gw-secret-value" not in shown
    assert "gw-secret-value" not in repr(request.headers)


@pytest.mark.parametrize(
    "text", ["X-Key gw-secret-value", "Bad Name: gw-secret-value", "X-Key: gw-secret\u20acvalue"]
)
async def test_a_malformed_custom_header_is_refused_without_its_value(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """A line without a colon, a bad name or value: ConfigurationError, the value not shown."""
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", text)
    with pytest.raises(trio_openai.ConfigurationError, match="OPENAI_CUSTOM_HEADERS") as info:
        async with mock_client(Recorder()):
            pass
    assert "gw-secret" not in str(info.value)


# -- OPENAI_LOG ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
async def test_openai_log_logs_to_stderr_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logger: logging.Logger,
    value: str,
    level: int,
) -> None:
    """OPENAI_LOG=debug|info adds one stderr handler (not one per client) at that level."""
    monkeypatch.setenv("OPENAI_LOG", value)
    before = len(restore_logger.handlers)
    async with mock_client(Recorder()), mock_client(Recorder()) as (_, probe):
        await probe.get("/x")
    assert len(restore_logger.handlers) == before + 1
    assert restore_logger.level == level
    restore_logger.info("a line through the env handler")
    err = capsys.readouterr().err
    assert "trio_openai" in err
    assert "a line through the env handler" in err
    assert ("sending GET" in err) is (level == logging.DEBUG)


@pytest.mark.parametrize("value", ["", "warning", "1", "true"])
def test_other_openai_log_values_change_nothing(restore_logger: logging.Logger, value: str) -> None:
    """Any value but debug/info leaves logging alone, as in the official SDK."""
    handlers, level = list(restore_logger.handlers), restore_logger.level
    assert setup_env_logging({"OPENAI_LOG": value}) is False
    assert restore_logger.handlers == handlers
    assert restore_logger.level == level


# -- OPENAI_ADMIN_KEY ------------------------------------------------------------------


async def test_admin_calls_take_the_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """With OPENAI_ADMIN_KEY, admin.* and /organization/ escape hatches send it; others the key."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN)
    rec = Recorder()
    async with mock_client(rec) as (client, probe):
        await client.admin.organization.users.list()
        await client.admin.organization.projects.users.list("proj_1")
        await client.get("/organization/costs")
        await probe.get("/models")
        raw = await client.admin.organization.admin_api_keys.retrieve.with_raw_response("key_1")
        assert "sk-admin" not in repr(client.options)
    sent = [(r.url.path, r.headers["authorization"]) for r in rec.requests]
    assert sent == [
        ("/v1/organization/users", f"Bearer {ADMIN}"),
        ("/v1/organization/projects/proj_1/users", f"Bearer {ADMIN}"),
        ("/v1/organization/costs", f"Bearer {ADMIN}"),
        ("/v1/models", "Bearer sk-test-1234"),
        ("/v1/organization/admin_api_keys/key_1", f"Bearer {ADMIN}"),
    ]
    assert raw.status_code == 200


async def test_admin_key_argument_and_a_view_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """admin_key= beats the variable; a with_options(api_key=) view sends its key everywhere."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-from-env-0")
    rec = Recorder()
    async with mock_client(rec, admin_key="sk-admin-argument-1") as (client, _):
        await client.admin.organization.users.list()
        view = client.with_options(api_key="sk-view-key-0002")
        await view.admin.organization.users.list()
        await client.with_options(max_retries=0).admin.organization.users.list()
    assert [r.headers["authorization"] for r in rec.requests] == [
        "Bearer sk-admin-argument-1",
        "Bearer sk-view-key-0002",
        "Bearer sk-admin-argument-1",
    ]


async def test_without_an_admin_key_admin_calls_take_the_api_key() -> None:
    """No OPENAI_ADMIN_KEY: administration calls go with api_key, as before."""
    rec = Recorder()
    async with mock_client(rec) as (client, _):
        await client.admin.organization.users.list()
    assert rec.requests[0].headers["authorization"] == "Bearer sk-test-1234"


@pytest.mark.parametrize("value", ["", "sk-admin with spaces"])
async def test_a_malformed_admin_key_is_refused_without_its_value(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A blank or malformed OPENAI_ADMIN_KEY is a ConfigurationError that does not show it."""
    monkeypatch.setenv("OPENAI_ADMIN_KEY", value)
    with pytest.raises(trio_openai.ConfigurationError, match="OPENAI_ADMIN_KEY") as info:
        async with mock_client(Recorder()):
            pass
    assert "with spaces" not in str(info.value)


def test_the_sync_client_takes_the_admin_key() -> None:
    """SyncClient(admin_key=...) sends it with administration calls only."""
    rec = Recorder()
    transport = httpx2.MockTransport(rec)

    @asynccontextmanager
    async def opener() -> AsyncIterator[trio_openai.Client]:
        async with httpx2.AsyncClient(transport=transport) as http:
            async with trio_openai.open_client(
                http_client=http,
                api_key="sk-test-1234",
                base_url="http://test.invalid/v1",
                admin_key=ADMIN,
            ) as client:
                yield client

    with trio_openai.SyncClient.from_opener(opener) as client:
        client.admin.organization.users.list()
        client.get("/models")
    assert [r.headers["authorization"] for r in rec.requests] == [
        f"Bearer {ADMIN}",
        "Bearer sk-test-1234",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OPENAI_CUSTOM_HEADERS", "X-Key: gw-secret-value\nBad Name: x"),
        ("OPENAI_ADMIN_KEY", "sk x"),
    ],
)
async def test_a_refused_variable_is_not_in_the_traceback_locals(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A traceback printed with its frames' locals shows neither the value nor the environment."""
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("ANOTHER_SECRET", "zz-top-secret-zz")
    with pytest.raises(trio_openai.ConfigurationError, match=name) as info:
        async with mock_client(Recorder()):
            pass
    error = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    # The package's frames only: the test's own frame holds the value, of course.
    ours = [f for f in error.stack if "/trio_openai/" in f.filename]
    assert ours
    shown = repr([(f.name, f.locals) for f in ours])
    assert "gw-secret-value" not in shown
    assert "sk x" not in shown
    assert "zz-top-secret-zz" not in shown


async def test_a_refused_endpoint_shows_no_environment_in_the_traceback_locals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An endpoint refused by resolve_endpoints leaves no frame holding os.environ."""
    monkeypatch.setenv("ANOTHER_SECRET", "zz-top-secret-zz")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-envkey-0123456789abcdef")
    endpoints = [
        trio_openai.Endpoint(base_url="http://127.0.0.1:9/v1", name="same"),
        trio_openai.Endpoint(base_url="http://127.0.0.1:8/v1", name="same"),
    ]
    with pytest.raises(trio_openai.ConfigurationError, match="same") as info:
        async with trio_openai.open_client(endpoints=endpoints):
            pass
    error = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    ours = [f for f in error.stack if "/trio_openai/" in f.filename]
    assert ours
    shown = repr([(f.name, f.locals) for f in ours])
    assert "zz-top-secret-zz" not in shown
    assert "sk-envkey-0123456789abcdef" not in shown
