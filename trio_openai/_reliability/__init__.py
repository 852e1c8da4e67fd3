"""The reliability wing: pure state and policy for the opt-in reliability features.

- ``_endpoints.py``: `Endpoint` and `Routing` (configuration), `ResolvedEndpoint`.
- ``_router.py``: the session's `Router`, which picks each attempt's endpoint and
  accounts for its outcome through the endpoint's guards.
- ``_guards.py``: the per-endpoint guard protocol that the breaker and the rate
  limiter implement, and any other admission policy of one endpoint would. A
  `Guard` answers ``refusal(now)`` (``None``, or why the endpoint takes no call
  now and until when: the router skips it) and ``ready(now)`` (preference);
  ``await admit(attempt)`` (wait, or take what the attempt needs) returns a
  ticket, which the router hands back once, to ``settle(ticket, result)`` if the
  attempt was sent or ``abandon(ticket)`` if not; ``health_checked`` and
  ``status(now)`` complete it. The router builds the built-in guards from each
  endpoint's configuration and takes extra ones from its ``extra_guards`` hook.
- ``_status.py``: `EndpointStatus`, the snapshot `Client.health` returns (every
  guard's snapshot; the breaker's and the limiter's also as fields).
- ``_retry.py``: `RetryPolicy` and the retry loop (stamina).
- ``_breaker.py``, ``_ratelimit.py``: the built-in guards (`BreakerGuard`,
  `LimiterGuard`) around their state (`Breaker`, `Limiter`).
- ``_observe.py``: reliability events and the observer that fans them out.
- ``_store.py``: `RedisStore`, where a fleet's budgets live (its Lua script);
  ``_redis.py`` its wire (RESP2 on a trio socket: the only I/O of this wing);
  ``_shared.py`` and ``_shared_breaker.py`` the guards that use it.

No request building and no httpx2 I/O here: the pipeline (``_pipeline.py``) drives
these objects. May import: ``_errors``, ``_types``, ``_secrets``, ``_options`` and
``_http._spec`` for types.
"""
