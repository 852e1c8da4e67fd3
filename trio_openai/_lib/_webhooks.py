"""Webhooks: check that a delivery really comes from OpenAI, then decode its event.

OpenAI signs each webhook delivery with the `Standard Webhooks`_ scheme:

- three headers come with the body: ``webhook-id`` (the delivery's id, the same
  on every retry of one delivery), ``webhook-timestamp`` (Unix seconds) and
  ``webhook-signature``;
- the signed content is ``f"{webhook_id}.{webhook_timestamp}.{body}"``, signed
  with HMAC-SHA256 under the endpoint's secret. A secret looks like
  ``whsec_<base64>``: the key is the base64 text after the prefix, decoded. A
  secret without the prefix is used as its UTF-8 bytes, as the official SDK does;
- ``webhook-signature`` holds space-separated ``v1,<base64 signature>`` entries
  (several during a secret rotation); one match is enough. Signatures are
  compared in constant time;
- a timestamp more than *tolerance* seconds (default 300) away from now, in the
  past or in the future, is refused, so that a captured delivery cannot be
  replayed later.

The checks and their order follow the official SDK (``openai/lib/_webhooks.py``),
with these deliberate differences: a missing header, a bad timestamp and a bad
secret raise `InvalidWebhookSignatureError` (not ``ValueError``), each with a
message naming the check that failed; an empty secret is refused instead of
being used as an empty HMAC key; the timestamp must be plain ASCII digits; a
``bytes`` body is signed as is instead of being decoded as UTF-8 first (the same
for any UTF-8 body). A missing secret raises `ConfigurationError`, since it is a
set-up problem rather than a bad delivery.

The headers are the sender's, so nothing in them may raise anything but
`InvalidWebhookSignatureError`, nor cost more than a bounded amount of work
before the HMAC is compared: a header longer than 8 KiB, a timestamp of more
than 20 digits, more than 32 signatures, or a value with no UTF-8 form (a lone
surrogate, which some frameworks produce for undecodable bytes) is refused
without further parsing. `unwrap` reports a verified payload it cannot decode
(not JSON, nested past the parser's depth, not an object, not its event's
schema) with the same class (``check == "invalid_payload"``), so a handler that
answers that class with a 400 covers every delivery it cannot act on. A
tolerance that is negative or not finite (``nan`` would accept any age) is the
caller's mistake, refused with `InvalidArgumentError`.

Nothing here does I/O, so the methods are synchronous, and the module imports
neither trio nor httpx2 (``import trio_openai`` may import it eagerly).

.. _Standard Webhooks: https://www.standardwebhooks.com/
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import math
import os
import re
import time
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal

from .._api._resource import M, Resource
from .._errors import ConfigurationError, InvalidArgumentError, OpenAIError
from .._secrets import Secret

if TYPE_CHECKING:
    import httpx2

    from ..types.webhooks import UnwrapWebhookEvent

__all__ = [
    "DEFAULT_TOLERANCE",
    "WEBHOOK_SECRET_ENV",
    "InvalidWebhookSignatureError",
    "WebhookCheck",
    "Webhooks",
]

WEBHOOK_SECRET_ENV: Final = "OPENAI_WEBHOOK_SECRET"  # noqa: S105 -- a variable name, not a secret
"""The environment variable read for the webhook secret when no other is given."""

DEFAULT_TOLERANCE: Final = 300
"""How far (seconds) a delivery's timestamp may be from now, either way, as in the official SDK."""

_SECRET_PREFIX: Final = "whsec_"  # noqa: S105 -- the prefix every secret shares
_SIGNATURE_VERSION: Final = "v1"
_DIGITS: Final = re.compile(r"[0-9]+")
# Bounds on what a sender's headers may make us do before the HMAC is compared.
# Real headers are far below them: an id of ~40 characters, a 10-digit
# timestamp, one signature per secret in rotation (47 characters each).
_MAX_HEADER_LENGTH: Final = 8192
_MAX_TIMESTAMP_DIGITS: Final = 20
_MAX_SIGNATURES: Final = 32
# Where the generated webhook event types live, and the name of their union.
_EVENTS_MODULE: Final = "trio_openai.types.webhooks"
_EVENTS_UNION: Final = "UnwrapWebhookEvent"

WebhookCheck = Literal[
    "missing_header",
    "invalid_header",
    "invalid_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "invalid_secret",
    "no_signature",
    "signature_mismatch",
    "invalid_payload",
]
"""The check a webhook delivery failed (`InvalidWebhookSignatureError.check`)."""


class InvalidWebhookSignatureError(OpenAIError):
    """A webhook delivery failed verification: it may not come from OpenAI.

    Do not act on such a delivery; answer it with a 400. The message says
    which check failed; it never contains the secret. `Webhooks.unwrap` also
    raises it, with ``check == "invalid_payload"``, for a verified payload it
    cannot decode into an event.

    Args:
        message: What failed, for people.
        check: Which check failed, for programs.

    Attributes:
        check: Which check failed: ``"missing_header"``, ``"invalid_header"``,
            ``"invalid_timestamp"``, ``"timestamp_too_old"``, ``"timestamp_too_new"``,
            ``"invalid_secret"``, ``"no_signature"``, ``"signature_mismatch"`` or
            (in `Webhooks.unwrap`) ``"invalid_payload"``.
    """

    check: WebhookCheck

    def __init__(self, message: str, *, check: WebhookCheck) -> None:
        super().__init__(message)
        self.check = check


def _now() -> float:
    """The current Unix time (tests replace this function to fix the clock)."""
    return time.time()


class Webhooks(Resource[M]):
    """Verify and decode the webhook deliveries OpenAI sends (``client.webhooks``).

    The secret is, in this order: the *secret* argument, the client's
    ``webhook_secret`` option, the ``OPENAI_WEBHOOK_SECRET`` environment variable.
    """

    __slots__ = ()

    def verify_signature(
        self,
        payload: str | bytes,
        headers: Mapping[str, str] | httpx2.Headers,
        secret: str | Secret | None = None,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        """Check that *payload* was signed by OpenAI with the endpoint's secret, recently.

        Pass the body exactly as received (the raw bytes, not re-serialised JSON)
        and the request's headers (any mapping; names are matched ignoring case).

        Args:
            payload: The request body as received.
            headers: The request headers (``webhook-id``, ``webhook-timestamp``,
                ``webhook-signature``).
            secret: The endpoint's secret (``whsec_...``); by default the client's
                ``webhook_secret`` option, else ``OPENAI_WEBHOOK_SECRET``.
            tolerance: How many seconds the timestamp may be from now, either way.

        Raises:
            InvalidWebhookSignatureError: A header is missing, malformed or over
                its bound, the timestamp is malformed or outside the tolerance, the
                secret is malformed, a ``str`` payload has no UTF-8 form, or no
                signature matches; ``.check`` says which.
            ConfigurationError: No secret was given and none is configured.
            InvalidArgumentError: *tolerance* is negative, not finite or not a
                number, *payload* is neither ``bytes`` nor ``str``, or *headers*
                is not a mapping.
        """
        _verify_signature(self._secret(secret), payload, headers, tolerance)

    def unwrap(
        self,
        payload: str | bytes,
        headers: Mapping[str, str] | httpx2.Headers,
        secret: str | Secret | None = None,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> UnwrapWebhookEvent:
        """Verify a delivery (see `verify_signature`), then decode its event.

        The event is one of the ``trio_openai.types.webhooks`` classes
        (``WebhookResponseCompleted``, ``WebhookBatchFailed``, ...), chosen by its
        ``type`` (``"response.completed"``, ``"batch.failed"``, ...); an event type
        this version does not know becomes an `UnknownObject` with ``type`` set and
        every field in ``data``.

        Args:
            payload: The request body as received.
            headers: The request headers.
            secret: The endpoint's secret; by default as in `verify_signature`.
            tolerance: How many seconds the timestamp may be from now, either way.

        Raises:
            InvalidWebhookSignatureError: The delivery failed verification, or
                (``check == "invalid_payload"``) the verified payload is not JSON,
                nests too deeply, is not a JSON object, or does not fit its event's
                schema (the message names the JSON path).
            ConfigurationError: No secret was given and none is configured.
            InvalidArgumentError: As for `verify_signature`.
        """
        body = _verify_signature(self._secret(secret), payload, headers, tolerance)
        event: UnwrapWebhookEvent = _decode_event(body)
        return event

    def _secret(self, secret: str | Secret | None) -> str | Secret:
        if secret is not None:
            return secret
        # `webhook_secret` is an option of newer clients: read it only when it exists.
        configured: str | Secret | None = getattr(self._client.options, "webhook_secret", None)
        if configured is not None:
            return configured
        from_env = os.environ.get(WEBHOOK_SECRET_ENV)
        if from_env is not None:
            return from_env
        msg = (
            "No webhook secret to verify with: pass secret=..., open the client with "
            f"webhook_secret=..., or set {WEBHOOK_SECRET_ENV} (the whsec_... value shown "
            "when the webhook endpoint was created)"
        )
        raise ConfigurationError(msg)


def _verify_signature(
    secret: str | Secret,
    payload: str | bytes,
    headers: Mapping[str, str] | httpx2.Headers,
    tolerance: float,
) -> bytes:
    """Check the caller's arguments, then the delivery; return the body's bytes."""
    _check_tolerance(tolerance)
    if not (callable(getattr(headers, "get", None)) and callable(getattr(headers, "items", None))):
        # An ASGI scope's list of byte pairs, say: AttributeError would name no argument.
        msg = (
            "headers must be a mapping of header names to values (a dict, httpx2.Headers, "
            f"a framework's header object), not {type(headers).__name__}"
        )
        raise InvalidArgumentError(msg)
    body = _body_bytes(payload)
    key = _secret_key(secret)
    _verify(body, headers, key, tolerance=tolerance, now=_now())
    return body


def _check_tolerance(tolerance: object) -> None:
    # A comparison with nan is always false: `nan` would accept a delivery of any age.
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not math.isfinite(tolerance)
        or tolerance < 0
    ):
        msg = f"tolerance must be a finite number of seconds, zero or more, not {tolerance!r}"
        raise InvalidArgumentError(msg)


def _body_bytes(payload: object) -> bytes:
    """The signed bytes of a body: ``bytes`` as they are, a ``str`` as its UTF-8."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if not isinstance(payload, str):
        # bytes(5) would be five zero bytes, bytes({...}) a TypeError naming nothing.
        msg = (
            "payload must be the request body as received (bytes or str), not "
            f"{type(payload).__name__}: a parsed and re-serialised body never verifies"
        )
        raise InvalidArgumentError(msg)
    try:
        return payload.encode()
    except UnicodeEncodeError as exc:
        msg = (
            f"The webhook payload has no UTF-8 form ({exc.reason} at character {exc.start}), "
            "so it cannot be what was signed; pass the body's raw bytes"
        )
        raise InvalidWebhookSignatureError(msg, check="invalid_payload") from None


def _secret_key(secret: str | Secret) -> bytes:
    """The HMAC key of a secret: the base64 after ``whsec_``, else the text's UTF-8 bytes."""
    # `object`: a careless caller's bytes must get our error, not a bare TypeError.
    text: object = secret.get_secret_value() if isinstance(secret, Secret) else secret
    if not isinstance(text, str):
        msg = f"The webhook secret must be a str or a Secret, not {type(text).__name__}"
        raise InvalidWebhookSignatureError(msg, check="invalid_secret")
    if not text:
        msg = f"The webhook secret is empty (check {WEBHOOK_SECRET_ENV} or the secret passed)"
        raise InvalidWebhookSignatureError(msg, check="invalid_secret")
    if not text.startswith(_SECRET_PREFIX):
        try:
            return text.encode()
        except UnicodeEncodeError:
            # `from None`: the codec's error would quote the secret.
            msg = "The webhook secret has no UTF-8 form (a lone surrogate in it)"
            raise InvalidWebhookSignatureError(msg, check="invalid_secret") from None
    try:
        # Not validating, as the official SDK: characters outside base64 are skipped.
        key = base64.b64decode(text[len(_SECRET_PREFIX) :])
    except (binascii.Error, ValueError):
        # `from None`: the decoder's own message is dropped, so nothing of the secret shows.
        msg = "The webhook secret starts with whsec_ but what follows is not valid base64"
        raise InvalidWebhookSignatureError(msg, check="invalid_secret") from None
    if not key:
        msg = "The webhook secret has nothing after its whsec_ prefix"
        raise InvalidWebhookSignatureError(msg, check="invalid_secret")
    return key


def _header(headers: Mapping[str, str] | httpx2.Headers, name: str) -> str:
    """One header's value, stripped, checked to be present, bounded and encodable."""
    # httpx2.Headers matches names ignoring case by itself; a plain mapping may
    # hold them as a framework spelt them ("Webhook-Id").
    value = headers.get(name)
    if value is None:
        value = next(
            (v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None
        )
    if isinstance(value, str) and len(value) > _MAX_HEADER_LENGTH:
        # Checked first: nothing below (strip, split, regex) runs on a huge value.
        msg = (
            f"The webhook request's {name} header is {len(value)} characters long, more "
            f"than the {_MAX_HEADER_LENGTH} a genuine delivery comes near"
        )
        raise InvalidWebhookSignatureError(msg, check="invalid_header")
    if not isinstance(value, str) or not value.strip():
        msg = f"The webhook request has no {name} header (or an empty one)"
        raise InvalidWebhookSignatureError(msg, check="missing_header")
    value = value.strip()
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        msg = (
            f"The webhook request's {name} header has no UTF-8 form ({exc.reason} at "
            f"character {exc.start}): it was not sent by a signer"
        )
        raise InvalidWebhookSignatureError(msg, check="invalid_header") from None
    return value


def _verify(
    body: bytes,
    headers: Mapping[str, str] | httpx2.Headers,
    key: bytes,
    *,
    tolerance: float,
    now: float,
) -> None:
    """The checks of `Webhooks.verify_signature`, with the key decoded and the clock read."""
    signature_header = _header(headers, "webhook-signature")
    timestamp = _header(headers, "webhook-timestamp")
    webhook_id = _header(headers, "webhook-id")

    # The length first: int() of thousands of digits is slow, and refused past 4,300.
    if len(timestamp) > _MAX_TIMESTAMP_DIGITS or not _DIGITS.fullmatch(timestamp):
        msg = (
            "The webhook-timestamp header is not a Unix time in seconds: "
            f"{timestamp[:40]!r}{'...' if len(timestamp) > 40 else ''}"
        )
        raise InvalidWebhookSignatureError(msg, check="invalid_timestamp")
    sent_at = int(timestamp)
    # Whole seconds, as the official SDK compares them.
    current = int(now)
    if current - sent_at > tolerance:
        msg = (
            f"The webhook timestamp is too old: {current - sent_at} s ago, more than the "
            f"{tolerance:g} s tolerance (a replay, or a clock that is wrong)"
        )
        raise InvalidWebhookSignatureError(msg, check="timestamp_too_old")
    if sent_at - current > tolerance:
        msg = (
            f"The webhook timestamp is too far in the future: {sent_at - current} s ahead, "
            f"more than the {tolerance:g} s tolerance (check this machine's clock)"
        )
        raise InvalidWebhookSignatureError(msg, check="timestamp_too_new")

    entries = signature_header.split()
    if len(entries) > _MAX_SIGNATURES:
        msg = (
            f"The webhook-signature header holds {len(entries)} signatures, more than the "
            f"{_MAX_SIGNATURES} checked (a genuine one holds one per secret in rotation)"
        )
        raise InvalidWebhookSignatureError(msg, check="invalid_header")
    candidates: list[bytes] = []
    for entry in entries:
        version, comma, signature = entry.partition(",")
        if not comma:
            # A bare signature, without a version: the official SDK accepts it too.
            candidates.append(entry.encode())
        elif version == _SIGNATURE_VERSION:
            candidates.append(signature.encode())
        # Other versions (v1a: asymmetric signatures) are not ours to check.
    if not candidates:
        msg = "The webhook-signature header holds no v1 signature"
        raise InvalidWebhookSignatureError(msg, check="no_signature")

    signed = b"%s.%s.%s" % (webhook_id.encode(), timestamp.encode(), body)
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    # Every candidate is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        msg = (
            f"No signature in the webhook-signature header ({len(candidates)} checked) matches "
            "the payload: wrong secret, or a body changed on the way (pass the raw body)"
        )
        raise InvalidWebhookSignatureError(msg, check="signature_mismatch")


def _event_union() -> Any:
    """The generated union of webhook events, or ``None`` when it is not generated yet."""
    try:
        module = importlib.import_module(_EVENTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != _EVENTS_MODULE:
            raise
        return None
    return getattr(module, _EVENTS_UNION, None)


def _decode_event(body: bytes) -> Any:
    """Decode a verified payload into its event type (see `Webhooks.unwrap`).

    Raises:
        InvalidWebhookSignatureError: ``check == "invalid_payload"``: the body is
            not JSON (or nests too deeply), not an object, or not its event's schema.
    """
    from .._convert._decode import lend_stack, loads

    try:
        data = loads(body)
    except ValueError as exc:
        # Lent stack: a JSONDepthError may come from a deep caller's stack.
        raise lend_stack(partial(_invalid_payload, "is not valid JSON", exc)) from exc
    if not isinstance(data, dict):
        raise _invalid_payload("is not a JSON object", type(data).__name__)
    union = _event_union()
    if union is not None:
        return _structure_event(data, union)
    from .._models import UnknownObject

    return UnknownObject.from_data(data)


def _structure_event(data: dict[str, Any], union: Any) -> Any:
    from .._convert._converter import ValidationError, structure
    from .._convert._decode import lend_stack

    try:
        return structure(data, union)
    except (RecursionError, ValidationError) as exc:
        failure = exc
    # The converter turns any failure into a ValidationError, a RecursionError too.
    if isinstance(failure, RecursionError) or isinstance(failure.__cause__, RecursionError):
        # `from None`: the RecursionError's traceback is a thousand frames of noise.
        too_deep = partial(_invalid_payload, "nests deeper than the decoder can follow")
        raise lend_stack(too_deep) from None
    mismatch = partial(_invalid_payload, "does not fit its event's schema", failure)
    raise lend_stack(mismatch) from failure


def _invalid_payload(problem: str, detail: object = None) -> InvalidWebhookSignatureError:
    """The error for a verified payload that cannot be decoded into an event."""
    because = "" if detail is None else f" ({detail})"
    msg = f"The verified webhook payload {problem}{because}: it cannot be decoded"
    return InvalidWebhookSignatureError(msg, check="invalid_payload")
