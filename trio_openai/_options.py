"""The per-client settings: what a `Client` (or a `with_options` view) sends with every call.

Also the environment variables read when a client opens, besides the key chain
(``_secrets.py``) and the base URL: ``OPENAI_CUSTOM_HEADERS`` (`env_headers`) and
``OPENAI_LOG`` (`setup_env_logging`), as the official SDK reads them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Final

import attrs

from ._http._auth import REDACTED, SecretHeaders, redacted_mapping_repr
from ._reliability._retry import RetryPolicy

if TYPE_CHECKING:
    import httpx2

    from ._secrets import KeyProvider, Secret

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "PUBLIC_QUERY",
    "AzureConfig",
    "ClientOptions",
    "env_headers",
    "setup_env_logging",
    "with_current_key",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"

DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024
"""The largest body read into memory by default (256 MiB, decoded).

Generous for real answers (a batch of 2,048 embeddings of 3,072 floats as JSON is
about 130 MB); a larger download goes through ``.with_streaming_response``.
"""

PUBLIC_QUERY = frozenset({"api-version"})
"""Default query parameters whose values are shown; any other may be a gateway's key."""


def _query_repr(query: Mapping[str, object]) -> str:
    return repr({k: v if k in PUBLIC_QUERY else REDACTED for k, v in query.items()})


@attrs.frozen(kw_only=True)
class AzureConfig:
    """How requests are addressed to Azure OpenAI (see `open_azure_client`).

    Attributes:
        api_version: The ``api-version`` query parameter, or ``None`` for Azure's
            version-less ``/openai/v1`` API (model names go in the body, as with OpenAI).
        deployment: A fixed deployment name; by default the ``model`` argument
            of each call names the deployment.
        bearer: The credential is a Microsoft Entra ID token, sent as
            ``Authorization: Bearer`` instead of the ``api-key`` header.
    """

    api_version: str | None
    deployment: str | None = None
    bearer: bool = False


@attrs.frozen(kw_only=True)
class ClientOptions:
    """Everything a call takes from its client. Immutable; `Client.with_options` makes a copy.

    Attributes:
        base_url: The API root, e.g. ``https://api.openai.com/v1`` (no trailing slash).
        api_key: The key, as a redacted `Secret`, or a `KeyProvider` called for
            each attempt (the builder adds its header then, see `_http._auth.authorize`).
        organization: Sent as ``OpenAI-Organization`` when set.
        project: Sent as ``OpenAI-Project`` when set.
        timeout: Per-phase network timeouts of each attempt.
        retry: The retry policy.
        headers: Headers sent with every call (values not on the allow-list of
            ``_auth.PUBLIC_HEADERS`` are hidden in the repr).
        query: Query parameters sent with every call (values hidden in the repr
            and in request URLs as printed, except ``api-version``).
        azure: Set for Azure OpenAI: ``api-key`` header (or an Entra ID bearer token),
            deployment URLs, ``api-version``.
        webhook_secret: The secret `Client.webhooks` verifies signatures with.
        max_response_size: The largest body read into memory, in bytes after
            decompression (JSON, text, error and binary bodies; not streams).
        admin_key: The organization admin key administration calls are sent with
            (``client.admin.*``, paths below ``/organization/`` and ``/projects/``),
            instead of *api_key*; ``None``: they take *api_key* too.
    """

    base_url: str
    api_key: Secret | KeyProvider = attrs.field(repr=False)
    organization: str | None = None
    project: str | None = None
    timeout: httpx2.Timeout
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=redacted_mapping_repr)
    query: Mapping[str, object] = attrs.field(factory=dict, repr=_query_repr)
    azure: AzureConfig | None = None
    webhook_secret: Secret | None = attrs.field(default=None, repr=False)
    max_response_size: int = attrs.field(
        default=DEFAULT_MAX_RESPONSE_SIZE, validator=attrs.validators.gt(0)
    )
    admin_key: Secret | None = attrs.field(default=None, repr=False)


async def with_current_key(options: ClientOptions) -> ClientOptions:
    """*options* with a provider's key fetched now (once per realtime connect); else unchanged.

    Raises:
        ConfigurationError: The provider failed (see `KeyProvider.get`).
    """
    from ._secrets import KeyProvider

    provider = options.api_key
    if not isinstance(provider, KeyProvider):
        return options
    return attrs.evolve(options, api_key=await provider.get())


def env_headers(env: Mapping[str, str]) -> SecretHeaders:
    """The headers of ``OPENAI_CUSTOM_HEADERS``: one ``Name: value`` per line, as the official SDK.

    Blank lines are skipped; names and values are stripped. They are default
    headers under any ``default_headers=`` of the same name, so their values
    are hidden in every repr as the value of any custom header is.

    Raises:
        ConfigurationError: A line without ``:``, or a header that cannot be sent
            (see `check_headers`); the message gives the line number or the name,
            never a value.
    """
    from ._errors import ConfigurationError, InvalidArgumentError
    from ._http._auth import check_headers

    parsed = _parse_headers(env.get("OPENAI_CUSTOM_HEADERS") or "")
    del env  # the environment holds keys: not in the frame that raises
    # Raised from this frame, which holds no header value (a traceback with locals).
    if isinstance(parsed, str):
        raise ConfigurationError(parsed)
    try:
        check_headers(parsed, "OPENAI_CUSTOM_HEADERS")
    except InvalidArgumentError as exc:
        raise ConfigurationError(str(exc)) from None
    return parsed


def _parse_headers(text: str) -> SecretHeaders | str:
    # The headers (redacted in any repr), or what is wrong (a line number, never a value).
    headers = SecretHeaders()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            return f"OPENAI_CUSTOM_HEADERS: line {number} is not `Name: value` (it has no colon)"
        headers[name.strip()] = value.strip()
    return headers


_LOG_LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each record (as logging's last resort does)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(
            logging.Formatter(
                "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s",
                "%Y-%m-%d %H:%M:%S",
            )
        )

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # always the current sys.stderr


def setup_env_logging(env: Mapping[str, str]) -> bool:
    """Honour ``OPENAI_LOG=debug|info``: log the ``trio_openai`` logger to stderr, once.

    As the official SDK: any other value (or none) changes nothing. The handler is
    added the first time only (later clients find it there); the logger's level
    is set to the variable's. Returns whether the variable asked for logging.
    """
    level = _LOG_LEVELS.get(env.get("OPENAI_LOG", "").strip().lower())
    if level is None:
        return False
    logger = logging.getLogger("trio_openai")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(level)
    return True
