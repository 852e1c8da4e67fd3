"""The reliability wing: pure state and policy for the opt-in reliability features.

- ``_endpoints.py``: `Endpoint` and `Routing` (configuration), `ResolvedEndpoint`.
- ``_router.py``: the session's `Router`, which picks each attempt's endpoint and
  accounts for its outcome through the endpoint's guards.
- ``_guards.py``: the per-endpoint guard protocol (admit, settle, status) that the
  breaker and the rate limiter implement.
- ``_retry.py``: `RetryPolicy` and the retry loop (stamina).
- ``_breaker.py``, ``_ratelimit.py``: the built-in guards.
- ``_observe.py``: reliability events and the observer that fans them out.

No request building and no httpx2 I/O here: the pipeline (``_pipeline.py``) drives
these objects. May import: ``_errors``, ``_types``, ``_secrets``, ``_options`` and
``_http._spec`` for types.
"""
