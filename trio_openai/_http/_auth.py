"""Where credentials meet a request: the auth headers, and how every header is redacted.

A key reaches the wire as a header value (``Authorization: Bearer ...``,
Azure's ``api-key``, a gateway's ``x-api-key``, or any header the caller
configures). Between `Secret` and the socket it lives only in objects whose
repr hides it:

- `SecretHeaders`, the plain ``dict`` the builder merges headers in;
- `RedactedHeaders`, the ``httpx2.Headers`` of every request we build.

Both show a header's value only when its name is on `PUBLIC_HEADERS`, a short
allow-list of headers that never carry a credential; every other value,
including every custom header a caller passes, is shown as ``[secure]``.
That is the rule for headers the caller sets, because we cannot know which of
them a gateway treats as a key.

`scrub` removes known secret values from a text (an error message that echoes
the key), and `strip_credentials` takes the credential headers off a request
that is redirected to another origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final, Protocol, cast, final, overload

import httpx2

from .._errors import InvalidArgumentError
from .._secrets import Secret

if TYPE_CHECKING:
    from .._secrets import KeyProvider

__all__ = [
    "PUBLIC_HEADERS",
    "QuietURL",
    "REDACTED",
    "RedactedHeaders",
    "SecretHeaders",
    "auth_header",
    "authorize",
    "check_headers",
    "client_headers",
    "is_public_header",
    "redacted_items",
    "redacted_copy",
    "redacted_mapping_repr",
    "redacted_url",
    "scrub",
    "secret_values",
    "strip_credentials",
]

USER_AGENT: Final = "trio-openai/0.1"

REDACTED: Final = "[secure]"
"""What a hidden header value is shown as (httpx2's own marker for Authorization)."""

PUBLIC_HEADERS: Final = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "host",
        "idempotency-key",
        "openai-beta",
        "openai-organization",
        "openai-project",
        "transfer-encoding",
        "user-agent",
        "x-stainless-arch",
        "x-stainless-lang",
        "x-stainless-os",
        "x-stainless-package-version",
        "x-stainless-runtime",
        "x-stainless-runtime-version",
    }
)
"""Header names (lower case) whose values are shown in reprs: none of them carries a key."""


def is_public_header(name: str) -> bool:
    """Whether *name*'s value may be shown (it is on `PUBLIC_HEADERS`)."""
    return name.lower() in PUBLIC_HEADERS


def redacted_items(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """*items* with every value not on the allow-list replaced by ``[secure]``."""
    return [(name, value if is_public_header(name) else REDACTED) for name, value in items]


def _items_repr(items: Iterable[tuple[str, str]]) -> str:
    shown = redacted_items(items)
    as_dict = dict(shown)
    return repr(as_dict if len(as_dict) == len(shown) else shown)


@final
class SecretHeaders(dict[str, str]):
    """A ``dict`` of header names to values whose repr hides every non-public value.

    The builder keeps and merges headers in this type, so a traceback formatted
    with its frames' locals (Sentry, rich, loguru) shows ``[secure]``, not the key.
    Pickling gives a plain dict: it is not meant to leave the process.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretHeaders({_items_repr(self.items())})"

    def copy(self) -> SecretHeaders:
        """A shallow copy, still redacted."""
        return SecretHeaders(self)


@final
class RedactedHeaders(httpx2.Headers):
    """Request headers whose repr hides every value not on the allow-list.

    httpx2 hides only ``Authorization`` and ``Proxy-Authorization``; Azure's
    ``api-key``, a gateway's ``x-api-key`` and any custom header would show.
    """

    def __repr__(self) -> str:
        return f"Headers({_items_repr(self.multi_items())})"


class _AzureAuth(Protocol):
    @property
    def bearer(self) -> bool: ...  # an Entra ID token: Authorization, not api-key


class AuthOptions(Protocol):
    """What the auth headers are made of (a `ClientOptions` is one)."""

    @property
    def api_key(self) -> Secret | KeyProvider: ...
    @property
    def azure(self) -> _AzureAuth | None: ...  # set (an AzureConfig): Azure's api-key header
    @property
    def organization(self) -> str | None: ...
    @property
    def project(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def auth_header(options: AuthOptions) -> tuple[str, str]:
    """The name of the header the credential goes in, and the prefix of its value.

    Azure's key goes in ``api-key``; every other credential, an Entra ID token
    included, in ``Authorization: Bearer``.
    """
    azure = options.azure
    if azure is not None and not azure.bearer:
        return "api-key", ""
    return "authorization", "Bearer "


async def authorize(
    headers: httpx2.Headers, provider: KeyProvider, header: tuple[str, str]
) -> None:
    """Put *provider*'s current key in *headers* (a prepared request's, before each attempt).

    The value goes straight from the `Secret` into the headers (whose repr hides
    it): no local of this frame holds it.

    Raises:
        ConfigurationError: The provider failed (see `KeyProvider.get`).
    """
    name, prefix = header
    headers[name] = prefix + (await provider.get()).get_secret_value()


def client_headers(options: AuthOptions) -> SecretHeaders:
    """The headers every call of a client sends (HTTP and realtime): identity, auth, defaults.

    Names are lower-case, so that a caller's header replaces ours whatever its case.
    A `KeyProvider`'s header is not among them: `authorize` adds it to each attempt.
    """
    headers = SecretHeaders({"user-agent": USER_AGENT})
    key = options.api_key
    if isinstance(key, Secret):
        name, prefix = auth_header(options)
        headers[name] = prefix + key.get_secret_value()
    if options.organization:
        headers["openai-organization"] = options.organization
    if options.project:
        headers["openai-project"] = options.project
    headers.update({k.lower(): v for k, v in options.headers.items()})
    return headers


# RFC 9110 token characters, for header names.
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# What no header value may hold: a line break or NUL (they would split the header,
# or be refused by the HTTP library deep in the send as a "connection" error), or a
# character outside latin-1 (which HTTP/1.1 cannot carry).
_BAD_VALUE: Final = re.compile(r"[\r\n\x00\x0b\x0c]|[^\x00-\xff]")


def check_headers(headers: Mapping[str, str], where: str) -> None:
    """Refuse a header that cannot be sent, before anything is sent.

    The message names the header and what is wrong with its value, never the value;
    the frame that raises holds neither (a traceback printed with its locals).

    Args:
        headers: Header names to values.
        where: Where they come from (``"default_headers"``, ``"extra_headers"``).

    Raises:
        InvalidArgumentError: A name is not an HTTP token, or a value is not a
            `str`, holds CR, LF, NUL, a vertical tab or form feed, starts or ends
            with whitespace, or has a character outside latin-1.
    """
    problem = _header_problem(headers, where)
    del headers
    if problem is not None:
        raise InvalidArgumentError(problem)


def _header_problem(headers: Mapping[str, str], where: str) -> str | None:
    for name, value in headers.items():
        if not isinstance(cast("object", name), str) or _TOKEN.fullmatch(name) is None:
            return f"{where}: {name!r} is not a valid HTTP header name"
        if not isinstance(cast("object", value), str):
            return (
                f"{where}: the value of header {name!r} must be a str, got {type(value).__name__}"
            )
        problem = _value_problem(value)
        if problem is not None:
            return f"{where}: the value of header {name!r} {problem} (value not shown)"
    return None


def _value_problem(value: str) -> str | None:
    bad = _BAD_VALUE.search(value)
    if bad is not None:
        char = bad.group()
        if char in "\r\n":
            return "contains a line break (CR or LF), which would split the header"
        if char in "\x00\x0b\x0c":
            return f"contains a control character (U+{ord(char):04X})"
        return (
            f"contains a character outside latin-1 (U+{ord(char):04X}) at position "
            f"{bad.start() + 1}, which HTTP headers cannot carry; encode it first"
        )
    if value != value.strip(" \t"):
        return "starts or ends with whitespace, which HTTP strips or refuses"
    return None


def secret_values(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The values of *headers* that must not be shown, and the bare token of a bearer value.

    Values shorter than 8 characters are left out: replacing them in a text
    would mangle it without protecting anything worth the name.
    """
    found: list[str] = []
    for name, value in headers:
        if is_public_header(name):
            continue
        scheme, _, token = value.partition(" ")
        secret = token if token and scheme.lower() in ("bearer", "basic", "token") else value
        if len(secret) >= 8:
            found.append(secret)
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """*text* with every occurrence of each of *secrets* replaced by ``[secure]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def strip_credentials(headers: httpx2.Headers) -> None:
    """Remove from *headers* every value a key could hide in (before a cross-origin redirect)."""
    for name in list(headers.keys()):
        if not is_public_header(name):
            del headers[name]


@overload
def redacted_copy(message: httpx2.Request) -> httpx2.Request: ...
@overload
def redacted_copy(message: httpx2.Response) -> httpx2.Response: ...
def redacted_copy(message: httpx2.Request | httpx2.Response) -> httpx2.Request | httpx2.Response:
    """A copy of a request or response safe to pickle or send elsewhere.

    Header values not on the allow-list become ``[secure]``; a request loses its
    body (a multipart upload may be large) and its URL its query values; a response
    keeps its status, headers and body (with the request's secrets scrubbed from it).
    """
    if isinstance(message, httpx2.Request):
        return httpx2.Request(
            message.method,
            redacted_url(message.url),
            headers=redacted_items(message.headers.multi_items()),
        )
    try:
        request: httpx2.Request | None = message.request
    except RuntimeError:  # a response made by hand, with no request
        request = None
    try:
        content = message.content
    except httpx2.ResponseNotRead:
        content = b""
    if request is not None and content:
        secrets = secret_values(request.headers.multi_items())
        for secret in secrets:
            content = content.replace(secret.encode("latin-1"), REDACTED.encode())
    return httpx2.Response(
        message.status_code,
        headers=message.headers.multi_items(),
        content=content,
        request=None if request is None else redacted_copy(request),
    )


@final
class QuietURL(httpx2.URL):
    """A request URL that prints the values of the client's default query as ``[secure]``.

    Gateways take keys as query parameters (``?key=...``, ``?subscription-key=...``),
    and httpx2 logs every request's URL at INFO level. The wire is unaffected (the
    request line is built from the URL's raw parts); only printing changes, and
    equality, hashing and joining still use the real URL.

    Args:
        url: The real URL.
        hidden: The query parameter names whose values are hidden.
    """

    def __init__(self, url: httpx2.URL, hidden: frozenset[str]) -> None:
        super().__init__(url)
        self._hidden = hidden

    def __str__(self) -> str:
        params = [
            (name, REDACTED if name in self._hidden else value)
            for name, value in self.params.multi_items()
        ]
        return str(httpx2.URL(self).copy_with(params=params))

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return httpx2.URL(self) == other

    def __hash__(self) -> int:
        return hash(httpx2.URL(self))

    def join(self, url: httpx2.URL | str) -> httpx2.URL:
        """Resolve *url* against the real URL (a redirect's ``Location``)."""
        return httpx2.URL(self).join(url)


def redacted_url(url: httpx2.URL) -> httpx2.URL:
    """*url* without userinfo and with every query value replaced by ``[secure]``."""
    if not url.query and not url.userinfo:
        return url
    params = [(name, REDACTED) for name, _ in url.params.multi_items()]
    return url.copy_with(userinfo=b"", params=params or None)


def redacted_mapping_repr(headers: Mapping[str, str]) -> str:
    """The repr of a header mapping with non-public values hidden (for attrs ``repr=``)."""
    return _items_repr(headers.items())
