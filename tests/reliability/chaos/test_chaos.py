"""Chaos in CI: 600 calls over 3 fault-injecting servers on real sockets, one killed and revived.

The same engine as ``bench/chaos.py`` (see ``bench/_chaos.py`` for the faults and
the invariants), with a fixed seed and a smaller load: it runs in a few seconds.
"""

from __future__ import annotations

import pytest
from _chaos import Plan, run_chaos

PLAN = Plan(requests=600, concurrency=100, rate=300.0, seed=1, storms=1)


@pytest.mark.parametrize("strategy", ["priority", "least_in_flight"])
async def test_every_call_succeeds_once_or_fails_clearly_and_nothing_leaks(strategy: str) -> None:
    """Under faults and a killed endpoint each call succeeds once or fails clearly; no leaks."""
    report = await run_chaos(Plan(**{**PLAN.__dict__, "strategy": strategy}))
    assert report.problems() == []
    assert report.succeeded + report.failures == PLAN.requests
    # The faults really happened, and the client really worked around them.
    assert report.killed_at is not None
    assert report.revived_at is not None
    assert report.executed_twice > 0
    assert report.duplicates_same_key == report.executed_twice
    assert report.events["FailoverSwitched"] > 0
    assert report.breaker_opened > 0
    assert report.events["HealthChanged"] >= 2  # ep0 went down, and came back
    # Only the faults no retry can fix (bad JSON, a stream cut after its first event) fail.
    assert set(report.failed) <= {
        "APIResponseValidationError",
        "StreamInterruptedError",
        "CircuitOpenError",
        "InternalServerError",
        "APIConnectionError",
        "APITimeoutError",
        "RateLimitError",
    }
    assert report.succeeded >= 0.85 * PLAN.requests
    assert report.served["ep0"] > 0
