"""Webhook verification (Standard Webhooks, as OpenAI signs) and decoding, with real HMACs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any, Literal

import attrs
import httpx2
import pytest

import trio_openai
from trio_openai._lib import _webhooks
from trio_openai._lib._webhooks import InvalidWebhookSignatureError, Webhooks
from trio_openai._models import BaseModel, UnknownObject
from trio_openai.testing import FakeOpenAI
from trio_openai.types.webhooks import (
    WebhookBatchFailed,
    WebhookEvalRunCanceled,
    WebhookFineTuningJobSucceeded,
    WebhookResponseCompleted,
)

NOW = 1_750_000_000
KEY = b"0123456789abcdef-test-webhook-key"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another key entirely").decode()
EVENT = {
    "id": "evt_685343a1381c819085d44c354e1b330e",
    "object": "event",
    "created_at": NOW - 5,
    "type": "response.completed",
    "data": {"id": "resp_abc123"},
}
PAYLOAD = json.dumps(EVENT).encode()


def signature(payload: bytes, *, key: bytes = KEY, msg_id: str = "wh_1", ts: int = NOW) -> str:
    """The base64 HMAC-SHA256 of ``{id}.{timestamp}.{payload}``, computed independently."""
    signed = f"{msg_id}.{ts}.".encode() + payload
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(
    payload: bytes = PAYLOAD, *, key: bytes = KEY, msg_id: str = "wh_1", ts: int = NOW
) -> dict[str, str]:
    """The three headers OpenAI sends with *payload*."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1," + signature(payload, key=key, msg_id=msg_id, ts=ts),
    }


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs at Unix time NOW, without a webhook secret in the environment."""
    monkeypatch.setattr(_webhooks, "_now", lambda: NOW + 0.75)
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)


@pytest.fixture
async def webhooks() -> AsyncIterator[Webhooks]:
    async with FakeOpenAI().client() as client:
        yield Webhooks(client)


def reject(
    webhooks: Webhooks, payload: str | bytes, headers: Any, secret: str | None = SECRET, **kw: Any
) -> InvalidWebhookSignatureError:
    with pytest.raises(InvalidWebhookSignatureError) as info:
        webhooks.verify_signature(payload, headers, secret, **kw)
    assert SECRET not in str(info.value)
    assert SECRET[6:] not in str(info.value)
    return info.value


async def test_a_genuine_delivery_passes_as_bytes_str_dict_or_httpx_headers(
    webhooks: Webhooks,
) -> None:
    """A genuine delivery verifies as bytes or str, with dict, httpx or title-case headers."""
    headers = signed_headers()
    webhooks.verify_signature(PAYLOAD, headers, SECRET)
    webhooks.verify_signature(PAYLOAD.decode(), headers, SECRET)
    webhooks.verify_signature(PAYLOAD, httpx2.Headers(headers), SECRET)
    capitalised = {name.title(): value for name, value in headers.items()}
    webhooks.verify_signature(PAYLOAD, capitalised, secret=SECRET)


async def test_a_non_ascii_body_is_signed_as_its_utf8_bytes(webhooks: Webhooks) -> None:
    """A non-ASCII body verifies as str or bytes: its UTF-8 bytes are what is signed."""
    payload = json.dumps({"type": "batch.completed", "note": "café ☕"}, ensure_ascii=False)
    headers = signed_headers(payload.encode())
    webhooks.verify_signature(payload, headers, SECRET)
    webhooks.verify_signature(payload.encode(), headers, SECRET)


async def test_a_wrong_secret_is_a_mismatch(webhooks: Webhooks) -> None:
    """A delivery checked with another secret is a signature mismatch that hints at the secret."""
    error = reject(webhooks, PAYLOAD, signed_headers(), OTHER_SECRET)
    assert error.check == "signature_mismatch"
    assert "wrong secret" in str(error)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.replace(b"resp_abc123", b"resp_abc124"),
        lambda p: p + b" ",
        lambda p: json.dumps(json.loads(p), indent=2).encode(),
    ],
    ids=["changed-field", "trailing-space", "re-serialised"],
)
async def test_a_tampered_payload_is_a_mismatch(webhooks: Webhooks, tamper: Any) -> None:
    """A changed field, a trailing space or a re-serialised body is a signature mismatch."""
    error = reject(webhooks, tamper(PAYLOAD), signed_headers())
    assert error.check == "signature_mismatch"


async def test_changed_id_or_timestamp_header_is_a_mismatch(webhooks: Webhooks) -> None:
    """Changing the webhook-id or webhook-timestamp header breaks the signature."""
    headers = signed_headers()
    assert reject(webhooks, PAYLOAD, {**headers, "webhook-id": "wh_2"}).check == (
        "signature_mismatch"
    )
    moved = {**headers, "webhook-timestamp": str(NOW - 1)}
    assert reject(webhooks, PAYLOAD, moved).check == "signature_mismatch"


async def test_any_one_of_several_signatures_may_match(webhooks: Webhooks) -> None:
    """One good v1 signature among several (or bare) passes; if none matches, all are counted."""
    good = signature(PAYLOAD)
    stale = signature(PAYLOAD, key=b"the rotated-out key")
    for value in (
        f"v1,{stale} v1,{good}",
        f"v1,{good} v1,{stale}",
        f"v1a,c29tZSBlZDI1NTE5IHNpZw== v1,{good}",
        f"  v1,{stale}   v1,{good}  ",
        good,  # a bare signature, as the official SDK accepts
    ):
        webhooks.verify_signature(PAYLOAD, {**signed_headers(), "webhook-signature": value}, SECRET)
    error = reject(
        webhooks, PAYLOAD, {**signed_headers(), "webhook-signature": f"v1,{stale} v1,AAAA"}
    )
    assert error.check == "signature_mismatch"
    assert "2 checked" in str(error)


async def test_a_signature_of_another_version_only_is_no_signature(webhooks: Webhooks) -> None:
    """A header holding only a signature of another version counts as no signature."""
    headers = {**signed_headers(), "webhook-signature": f"v2,{signature(PAYLOAD)}"}
    error = reject(webhooks, PAYLOAD, headers)
    assert error.check == "no_signature"


async def test_a_non_ascii_signature_is_a_mismatch_not_a_crash(webhooks: Webhooks) -> None:
    """A non-ASCII signature is a plain mismatch, not a decoding crash."""
    headers = {**signed_headers(), "webhook-signature": "v1,sïgnature"}
    assert reject(webhooks, PAYLOAD, headers).check == "signature_mismatch"


@pytest.mark.parametrize(
    ("age", "check"),
    [
        (301, "timestamp_too_old"),
        (10_000, "timestamp_too_old"),
        (-301, "timestamp_too_new"),
        (-10_000, "timestamp_too_new"),
    ],
)
async def test_a_timestamp_outside_the_tolerance_is_refused(
    webhooks: Webhooks, age: int, check: str
) -> None:
    """A timestamp over 300 s old or ahead is refused as too old or too new."""
    headers = signed_headers(ts=NOW - age)
    error = reject(webhooks, PAYLOAD, headers)
    assert error.check == check
    assert "300 s tolerance" in str(error)


@pytest.mark.parametrize("age", [300, 0, -300])
async def test_a_timestamp_at_the_edge_of_the_tolerance_passes(
    webhooks: Webhooks, age: int
) -> None:
    """A timestamp exactly 300 s old or ahead, or current, passes."""
    webhooks.verify_signature(PAYLOAD, signed_headers(ts=NOW - age), SECRET)


async def test_the_tolerance_is_configurable(webhooks: Webhooks) -> None:
    """`tolerance=` widens or narrows the window; a negative one is a ValueError."""
    headers = signed_headers(ts=NOW - 30)
    assert reject(webhooks, PAYLOAD, headers, tolerance=10).check == "timestamp_too_old"
    webhooks.verify_signature(PAYLOAD, headers, SECRET, tolerance=30)
    with pytest.raises(ValueError, match="tolerance"):
        webhooks.verify_signature(PAYLOAD, headers, SECRET, tolerance=-1)


async def test_the_clock_is_read_at_each_call(
    webhooks: Webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The current time is read at each call: a delivery that passed goes stale later."""
    headers = signed_headers()
    webhooks.verify_signature(PAYLOAD, headers, SECRET)
    monkeypatch.setattr(_webhooks, "_now", lambda: NOW + 301.0)
    assert reject(webhooks, PAYLOAD, headers).check == "timestamp_too_old"


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
async def test_a_missing_header_is_named(webhooks: Webhooks, name: str, how: str) -> None:
    """An absent or blank webhook header is refused as missing, naming it."""
    headers = signed_headers()
    if how == "absent":
        del headers[name]
    else:
        headers[name] = " "
    error = reject(webhooks, PAYLOAD, headers)
    assert error.check == "missing_header"
    assert name in str(error)


# The last one is in fullwidth digits, which int() would take.
@pytest.mark.parametrize("value", ["abc", "1.5e9", "-1750000000", "", "\uff11\uff17\uff15\uff10"])
async def test_a_malformed_timestamp_is_refused(webhooks: Webhooks, value: str) -> None:
    """A non-integer, negative or non-ASCII-digit timestamp is invalid; an empty one is missing."""
    headers = {**signed_headers(), "webhook-timestamp": value}
    expected = "missing_header" if not value else "invalid_timestamp"
    assert reject(webhooks, PAYLOAD, headers).check == expected


async def test_the_whsec_prefix_is_stripped_and_the_rest_base64_decoded(webhooks: Webhooks) -> None:
    """The key of `whsec_...` is its base64-decoded rest, not the text itself."""
    # The same key, written with the prefix, verifies; the prefixed text itself is not the key.
    webhooks.verify_signature(PAYLOAD, signed_headers(key=KEY), SECRET)
    assert (
        reject(webhooks, PAYLOAD, signed_headers(key=SECRET.encode()), SECRET).check
        == "signature_mismatch"
    )


async def test_a_secret_without_the_prefix_is_used_as_its_bytes(webhooks: Webhooks) -> None:
    """A secret without `whsec_` is used as its UTF-8 bytes."""
    raw = "a-plain-secret"
    webhooks.verify_signature(PAYLOAD, signed_headers(key=raw.encode()), raw)


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("whsec_abc", "not valid base64"),
        ("whsec_", "nothing after"),
        ("", "empty"),
    ],
)
async def test_a_malformed_secret_is_refused_without_showing_it(
    webhooks: Webhooks, secret: str, reason: str
) -> None:
    """A bad `whsec_` secret is `invalid_secret`, with no chained error that could quote it."""
    error = reject(webhooks, PAYLOAD, signed_headers(), secret)
    assert error.check == "invalid_secret"
    assert reason in str(error)
    # No chained decoder error that could quote the secret in a traceback.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


async def test_a_secret_object_is_accepted(webhooks: Webhooks) -> None:
    """A `Secret` works as the secret argument."""
    webhooks.verify_signature(PAYLOAD, signed_headers(), trio_openai.Secret(SECRET))


async def test_the_secret_comes_from_the_environment_when_not_passed(
    webhooks: Webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an argument OPENAI_WEBHOOK_SECRET is used; an argument overrides it."""
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    webhooks.verify_signature(PAYLOAD, signed_headers())
    # The argument wins over the environment.
    assert reject(webhooks, PAYLOAD, signed_headers(), OTHER_SECRET).check == "signature_mismatch"


def test_the_client_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's `webhook_secret` option is used before OPENAI_WEBHOOK_SECRET."""
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", OTHER_SECRET)
    client = SimpleNamespace(options=SimpleNamespace(webhook_secret=trio_openai.Secret(SECRET)))
    webhooks = Webhooks(client)  # type: ignore[arg-type]
    webhooks.verify_signature(PAYLOAD, signed_headers())


async def test_no_secret_anywhere_says_what_to_set(webhooks: Webhooks) -> None:
    """With no secret anywhere, the ConfigurationError names the three ways to give one."""
    with pytest.raises(trio_openai.ConfigurationError, match="OPENAI_WEBHOOK_SECRET") as info:
        webhooks.verify_signature(PAYLOAD, signed_headers())
    assert "secret=" in str(info.value)
    assert "webhook_secret=" in str(info.value)


async def test_the_error_is_an_openai_error(webhooks: Webhooks) -> None:
    """InvalidWebhookSignatureError is an OpenAIError."""
    error = reject(webhooks, PAYLOAD, {})
    assert isinstance(error, trio_openai.OpenAIError)


async def test_unwrap_returns_the_typed_event(webhooks: Webhooks) -> None:
    """`unwrap` verifies and returns the typed event with its id and data."""
    event = webhooks.unwrap(PAYLOAD, signed_headers(), SECRET)
    assert isinstance(event, WebhookResponseCompleted)
    assert event.type == "response.completed"
    assert event.id == EVENT["id"]
    assert event.data.id == "resp_abc123"


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("batch.failed", WebhookBatchFailed),
        ("fine_tuning.job.succeeded", WebhookFineTuningJobSucceeded),
        ("eval.run.canceled", WebhookEvalRunCanceled),
    ],
)
async def test_unwrap_picks_the_class_by_type(webhooks: Webhooks, kind: str, cls: type) -> None:
    """`unwrap` decodes each event into the generated class its `type` names."""
    payload = json.dumps({**EVENT, "type": kind, "data": {"id": "x_1"}}).encode()
    event = webhooks.unwrap(payload, signed_headers(payload), SECRET)
    assert type(event) is cls
    assert event.type == kind


async def test_unwrap_falls_back_to_a_generic_object_without_the_generated_types(
    webhooks: Webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the generated types, `unwrap` returns an UnknownObject holding the event."""
    # None in sys.modules makes the import fail as if the module did not exist.
    monkeypatch.setitem(sys.modules, "trio_openai.types.webhooks", None)
    event = webhooks.unwrap(PAYLOAD, signed_headers(), SECRET)
    assert isinstance(event, UnknownObject)
    assert event.type == "response.completed"
    assert event.data == EVENT


@attrs.frozen(kw_only=True)
class _Data(BaseModel):
    id: str


@attrs.frozen(kw_only=True)
class _Completed(BaseModel):
    id: str
    created_at: int
    data: _Data
    type: Literal["response.completed"]
    object: Literal["event"] | None = None


@attrs.frozen(kw_only=True)
class _Failed(BaseModel):
    id: str
    created_at: int
    data: _Data
    type: Literal["response.failed"]
    object: Literal["event"] | None = None


async def test_unwrap_structures_into_the_generated_union_when_it_exists(
    webhooks: Webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`unwrap` structures into the module's `UnwrapWebhookEvent` union, picking by type."""
    module = ModuleType("trio_openai.types.webhooks")
    module.UnwrapWebhookEvent = _Completed | _Failed | UnknownObject  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trio_openai.types.webhooks", module)
    event: object = webhooks.unwrap(PAYLOAD, signed_headers(), SECRET)
    assert isinstance(event, _Completed)
    assert event.data == _Data(id="resp_abc123")
    payload = json.dumps({**EVENT, "type": "response.failed"}).encode()
    failed: object = webhooks.unwrap(payload, signed_headers(payload), SECRET)
    assert isinstance(failed, _Failed)


async def test_unwrap_keeps_an_unknown_event_type(webhooks: Webhooks) -> None:
    """An event of an unknown type comes back as an UnknownObject with its data."""
    payload = json.dumps({**EVENT, "type": "brand.new.event", "data": {"x": 1}}).encode()
    event = webhooks.unwrap(payload, signed_headers(payload), SECRET)
    assert isinstance(event, UnknownObject)
    assert event.type == "brand.new.event"
    assert event.data["data"] == {"x": 1}


async def test_unwrap_verifies_before_decoding(webhooks: Webhooks) -> None:
    """`unwrap` of a body that is not JSON raises the signature error: it verifies first."""
    with pytest.raises(InvalidWebhookSignatureError):
        webhooks.unwrap(b"not json at all", signed_headers(), SECRET)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[1, 2]", "JSON object"),
        (b"{not json", "not valid JSON"),
        (b'{"type": "response.completed", "data": 5}', "schema"),
    ],
)
async def test_unwrap_of_a_signed_undecodable_payload_is_an_invalid_payload(
    webhooks: Webhooks, payload: bytes, reason: str
) -> None:
    """A verified payload that is no event raises the webhook error, not a bare ValueError."""
    with pytest.raises(InvalidWebhookSignatureError, match=reason) as info:
        webhooks.unwrap(payload, signed_headers(payload), SECRET)
    assert info.value.check == "invalid_payload"


# -- parity with the official SDK's check (when it is installed) ---------------------------------


def _parity_cases() -> Iterator[tuple[str, bytes, dict[str, str], str]]:
    good = signature(PAYLOAD)
    yield "genuine", PAYLOAD, signed_headers(), SECRET
    yield "wrong-secret", PAYLOAD, signed_headers(), OTHER_SECRET
    yield "tampered", PAYLOAD + b"x", signed_headers(), SECRET
    yield "raw-secret", PAYLOAD, signed_headers(key=b"plain"), "plain"
    yield (
        "two-sigs",
        PAYLOAD,
        {**signed_headers(), "webhook-signature": f"v1,AAAA v1,{good}"},
        SECRET,
    )
    yield "bare-sig", PAYLOAD, {**signed_headers(), "webhook-signature": good}, SECRET
    yield "v1a-only", PAYLOAD, {**signed_headers(), "webhook-signature": f"v1a,{good}"}, SECRET
    for age in (-301, -300, 0, 300, 301):
        yield f"age{age}", PAYLOAD, signed_headers(ts=NOW - age), SECRET


@pytest.mark.parametrize(
    ("payload", "headers", "secret"),
    [case[1:] for case in _parity_cases()],
    ids=[case[0] for case in _parity_cases()],
)
async def test_accepts_and_rejects_what_the_official_sdk_does(
    webhooks: Webhooks,
    monkeypatch: pytest.MonkeyPatch,
    payload: bytes,
    headers: dict[str, str],
    secret: str,
) -> None:
    """Each case is accepted or rejected exactly as the official SDK's check does."""
    official = pytest.importorskip("openai.lib._webhooks")
    from openai import InvalidWebhookSignatureError as OfficialError

    monkeypatch.setattr(time, "time", lambda: NOW + 0.75)
    try:
        theirs = official.webhook_signature_matches(payload, headers, secret=secret, tolerance=300)
    except OfficialError:
        theirs = False
    try:
        webhooks.verify_signature(payload, headers, secret)
    except InvalidWebhookSignatureError:
        ours = False
    else:
        ours = True
    assert ours == theirs


async def test_webhook_secret_option_is_used_and_redacted() -> None:
    """`open_client(webhook_secret=...)` reaches `client.webhooks` and stays out of reprs."""
    import base64
    import hashlib
    import hmac

    import trio_openai
    from trio_openai.testing import FakeOpenAI

    raw = b"option-secret-bytes"
    secret = "whsec_" + base64.b64encode(raw).decode()
    payload = '{"id": "evt_1", "type": "batch.completed", "created_at": 1, "data": {"id": "b"}}'
    stamp = str(int(NOW))
    mac = hmac.new(raw, f"msg_1.{stamp}.{payload}".encode(), hashlib.sha256).digest()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    async with FakeOpenAI().client(webhook_secret=secret) as client:
        client.webhooks.verify_signature(payload, headers)
        assert secret not in repr(client.options)
    assert issubclass(trio_openai.InvalidWebhookSignatureError, trio_openai.OpenAIError)
