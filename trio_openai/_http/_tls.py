"""The one TLS policy, for HTTP and for realtime websockets.

Certificates are verified against the bundle httpx2 ships (certifi); the
environment (``SSL_CERT_FILE``, ``SSL_CERT_DIR``) is not read, so a variable
set by someone else cannot make the client trust an impostor. A caller who
wants another trust store passes their own context (``http_client=`` with
its ``verify=``, ``realtime.connect(ssl_context=...)``).
"""

from __future__ import annotations

import functools
import ssl

import httpx2

__all__ = ["default_ssl_context"]


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The verifying context every session uses unless given another (made once).

    Loading the CA bundle costs ~30 ms, so one context serves every session of
    the process; it is never modified after it is made.
    """
    return httpx2.create_ssl_context(trust_env=False)
