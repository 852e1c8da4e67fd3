"""Retries: which errors, how long to wait, deadlines, idempotency, hooks (all under MockClock)."""

from __future__ import annotations

import contextlib
import email.utils
import time
from typing import Any

import httpx2
import pytest
import trio
from _support import mock_client

import trio_openai
from trio_openai._reliability._retry import RetryEvent, RetryPolicy, retry_after


class Script:
    """A handler answering from a list of (status, headers, json) and recording each request."""

    def __init__(self, *replies: tuple[int, dict[str, str], Any]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.times.append(trio.current_time())
        status, headers, body = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(body, Exception):
            raise body
        return httpx2.Response(status, headers=headers, json=body)


OK = (200, {}, {"ok": True})


def err(status: int, code: str | None = None, **headers: str) -> tuple[int, dict[str, str], Any]:
    return (status, headers, {"error": {"message": f"boom {status}", "type": "x", "code": code}})


NO_JITTER = RetryPolicy(jitter=0.0)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
async def test_retryable_status_is_retried_with_exponential_backoff(
    autojump_clock: Any, status: int
) -> None:
    """Retryable statuses are retried with a doubling backoff."""
    script = Script(err(status), err(status), OK)
    async with mock_client(script, retry_policy=NO_JITTER) as (_, probe):
        assert await probe.get("/x") == {"ok": True}
    assert len(script.requests) == 3
    assert [round(b - a, 6) for a, b in zip(script.times, script.times[1:], strict=False)] == [
        0.5,
        1.0,
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retried(autojump_clock: Any, status: int) -> None:
    """4xx client errors other than 408/409/429 are raised without a retry."""
    script = Script(err(status), OK)
    async with mock_client(script) as (_, probe):
        with pytest.raises(trio_openai.APIStatusError) as info:
            await probe.get("/x")
    assert info.value.status_code == status
    assert len(script.requests) == 1


async def test_gives_up_after_max_retries_with_last_error(autojump_clock: Any) -> None:
    """After max_retries retries the last error is raised."""
    script = Script(err(500))
    async with mock_client(script, max_retries=3) as (_, probe):
        with pytest.raises(trio_openai.InternalServerError):
            await probe.get("/x")
    assert len(script.requests) == 4


async def test_insufficient_quota_is_never_retried(autojump_clock: Any) -> None:
    """A 429 insufficient_quota is never retried."""
    script = Script(err(429, "insufficient_quota"), OK)
    async with mock_client(script) as (_, probe):
        with pytest.raises(trio_openai.RateLimitError) as info:
            await probe.get("/x")
    assert info.value.code == "insufficient_quota"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("headers", "expected_wait"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ],
)
async def test_retry_after_headers_set_the_wait(
    autojump_clock: Any, headers: dict[str, str], expected_wait: float
) -> None:
    """retry-after-ms, then retry-after, set the wait before the retry."""
    script = Script(err(429, **headers), OK)
    async with mock_client(script) as (_, probe):
        await probe.get("/x")
    assert script.times[1] - script.times[0] == pytest.approx(expected_wait)


def test_retry_after_http_date() -> None:
    """A Retry-After HTTP date gives the seconds until then."""
    now = time.time()
    headers = httpx2.Headers({"retry-after": email.utils.formatdate(now + 30, usegmt=True)})
    wait = retry_after(headers, now=now)
    assert wait is not None
    assert 29 <= wait <= 31


def test_retry_after_garbage_or_past_is_ignored() -> None:
    """Unparseable or past Retry-After values are ignored."""
    assert retry_after(httpx2.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx2.Headers({"retry-after": "-4"})) is None
    assert retry_after(httpx2.Headers({"retry-after-ms": "x", "retry-after": "2"})) == 2.0


async def test_retry_after_longer_than_cap_is_not_retried(autojump_clock: Any) -> None:
    """A Retry-After longer than max_retry_after is not waited for: the error is raised."""
    script = Script(err(429, **{"retry-after": "3600"}), OK)
    async with mock_client(script) as (_, probe):
        with pytest.raises(trio_openai.RateLimitError):
            await probe.get("/x")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("status", "header", "tries"),
    [(500, "false", 1), (400, "true", 2), (429, "false", 1)],
)
async def test_x_should_retry_overrides(
    autojump_clock: Any, status: int, header: str, tries: int
) -> None:
    """x-should-retry overrides the policy's verdict either way."""
    script = Script(err(status, **{"x-should-retry": header}), OK)
    async with mock_client(script) as (_, probe):
        with contextlib.suppress(trio_openai.APIStatusError):
            await probe.get("/x")
    assert len(script.requests) == tries


async def test_connection_errors_and_timeouts_are_retried(autojump_clock: Any) -> None:
    """Connection errors and timeouts are retried."""
    script = Script(
        (0, {}, httpx2.ConnectError("refused")), (0, {}, httpx2.ReadTimeout("slow")), OK
    )
    async with mock_client(script) as (_, probe):
        assert await probe.get("/x") == {"ok": True}
    assert len(script.requests) == 3


async def test_connection_error_after_retries_is_translated(autojump_clock: Any) -> None:
    """A connection error left after retries is an APIConnectionError chained to httpx2's."""
    script = Script((0, {}, httpx2.ConnectError("refused")))
    async with mock_client(script, max_retries=1) as (_, probe):
        with pytest.raises(trio_openai.APIConnectionError) as info:
            await probe.get("/x")
    assert not isinstance(info.value, trio_openai.APITimeoutError)
    assert "refused" in str(info.value)
    assert isinstance(info.value.__cause__, httpx2.ConnectError)


async def test_timeout_is_api_timeout_error(autojump_clock: Any) -> None:
    """A timeout is raised as APITimeoutError."""
    script = Script((0, {}, httpx2.ReadTimeout("slow")))
    async with mock_client(script, max_retries=0) as (_, probe):
        with pytest.raises(trio_openai.APITimeoutError, match="timed out"):
            await probe.get("/x")


async def test_wait_past_the_callers_deadline_is_not_started(autojump_clock: Any) -> None:
    """A retry wait ending past the caller's deadline is not started: the error comes at once."""
    script = Script(err(503, **{"retry-after": "10"}), OK)
    async with mock_client(script) as (_, probe):
        start = trio.current_time()
        with trio.move_on_after(5):
            with pytest.raises(trio_openai.InternalServerError):
                await probe.get("/x")
        # Raised at once, not after sleeping until the deadline.
        assert trio.current_time() - start < 0.01
    assert len(script.requests) == 1


async def test_wait_within_the_deadline_is_taken(autojump_clock: Any) -> None:
    """A retry wait within the caller's deadline is taken."""
    script = Script(err(503, **{"retry-after": "2"}), OK)
    async with mock_client(script) as (_, probe):
        with trio.fail_after(5):
            assert await probe.get("/x") == {"ok": True}


async def test_idempotency_key_is_sent_and_stable_across_retries(autojump_clock: Any) -> None:
    """A POST carries one Idempotency-Key across its retries, and each call its own."""
    script = Script(err(500), err(500), OK)
    async with mock_client(script) as (_, probe):
        await probe.post("/x", a=1)
        await probe.post("/x", a=2)
    keys = [r.headers.get("idempotency-key") for r in script.requests]
    assert keys[0]
    assert keys[0] == keys[1] == keys[2]
    assert keys[3]
    assert keys[3] != keys[0]


async def test_get_requests_carry_no_idempotency_key(autojump_clock: Any) -> None:
    """A GET carries no Idempotency-Key."""
    script = Script(OK)
    async with mock_client(script) as (_, probe):
        await probe.get("/x")
    assert "idempotency-key" not in script.requests[0].headers


async def test_cancelled_is_never_retried(autojump_clock: Any) -> None:
    """A cancelled attempt is never retried, and the client stays open."""
    calls = 0

    async def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        await trio.sleep(100)
        return httpx2.Response(200, json={})

    async with mock_client(handler) as (client, probe):
        with trio.move_on_after(1) as scope:
            await probe.get("/x")
        assert scope.cancelled_caught
        assert calls == 1
        assert not client.closed


async def test_hooks_see_every_retry(autojump_clock: Any) -> None:
    """Retry hooks see each retry's attempt, wait, origin and error."""
    events: list[RetryEvent] = []
    policy = RetryPolicy(jitter=0.0, hooks=(events.append,))
    script = Script(err(500), err(429, **{"retry-after": "4"}), OK)
    async with mock_client(script, retry_policy=policy) as (_, probe):
        await probe.get("/x")
    assert [(e.attempt, e.wait, e.from_server, e.error.status_code) for e in events] == [  # type: ignore[attr-defined]
        (1, 0.5, False, 500),
        (2, 4.0, True, 429),
    ]
    assert events[0].url == "http://test.invalid/v1/x"


def test_backoff_doubles_up_to_max_with_bounded_jitter() -> None:
    """The backoff doubles up to max_wait, jitter only shortening it by at most its fraction."""
    policy = RetryPolicy(initial_wait=0.5, max_wait=8.0, jitter=0.25)
    for n, base in enumerate([0.5, 1, 2, 4, 8, 8]):
        for _ in range(50):
            assert 0.75 * base <= policy.backoff(n) <= base


async def test_raw_response_reports_retries_taken(autojump_clock: Any) -> None:
    """A raw response reports the retries taken, the request id and the rate-limit headers."""
    script = Script(
        err(500), (200, {"x-request-id": "req_1", "x-ratelimit-remaining-requests": "7"}, {"a": 1})
    )
    async with mock_client(script) as (_, probe):
        raw = await probe.get.with_raw_response("/x")
    assert raw.retries_taken == 1
    assert raw.request_id == "req_1"
    assert raw.ratelimit.remaining_requests == 7
    assert raw.parse() == {"a": 1}


def test_policy_rejects_bad_values() -> None:
    """Negative max_retries and out-of-range jitter raise ValueError."""
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)
