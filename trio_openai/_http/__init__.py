"""The HTTP wing: where a request is specified, authenticated, built and sent.

- ``_spec.py``: `RequestSpec`, `ListSpec`, `StreamSpec`, what a generated method returns
  (no I/O), and the helpers that quote path parameters and gather query and body.
- ``_auth.py``: the one place credentials meet a request (auth headers, the header
  allow-list, redacted header containers and URLs, scrubbing, the redirect rule).
- ``_build.py``: a spec plus a client view's options become an ``httpx2.Request``.
- ``_multipart.py``: file inputs and ``multipart/form-data`` bodies.
- ``_send.py``: the only module that performs httpx2 I/O; translates httpx2's
  exceptions into ours, bounds bodies, follows redirects by our rules.
- ``_proxy.py``: proxies, explicit or from the environment, and the CONNECT opener.
- ``_pool.py``: the session's connection pool (httpcore2's connections, our bookkeeping).
- ``_tls.py``: the one TLS policy (HTTP and realtime).

May import: ``_errors``, ``_types``, ``_secrets``, ``_convert`` (body encoding), and
``_options`` for types. Never ``_reliability``, ``_api``, ``_sync``, ``_lib`` or the client.
"""
