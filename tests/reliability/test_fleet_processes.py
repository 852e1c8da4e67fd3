"""Eight client processes share one budget in a real Redis/Valkey server, counted at the endpoint.

The fleet is ``bench/fleet.py`` (its ``--json`` mode): 8 processes x 25 callers,
every other one with its clocks skewed by +5 s or -5 s, against a fake endpoint
that records the arrival of every request on its own clock and answers 429 when
the last 60 s would hold more than the budget. The run is real time and short
(5 s), so the budget is scaled down (1,200 rpm: 20 per second) and the sliding
windows measured are a few seconds long: over a window of *W* seconds the
limiter admits at most its design bound (the burst, one call, and the steady
rate over *W*), which over a minute is the budget itself.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from _redis_server import RedisServer, redis_server

__all__ = ["redis_server"]  # the fixture this module uses

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fleet.py"
RPM = 1200.0
DURATION = 5.0


def fleet_module() -> ModuleType:
    """``bench/fleet.py``, imported for its window arithmetic."""
    spec = importlib.util.spec_from_file_location("bench_fleet", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet_run(redis_server: RedisServer) -> dict[str, object]:
    """One run of the fleet against the session's server (its raw figures)."""
    command = [
        sys.executable, str(BENCH), "--json", "--processes", "8", "--concurrency", "25",
        "--rpm", str(RPM), "--duration", str(DURATION), "--skew", "5,-5",
        "--cpu-rounds", "0", "--redis", redis_server.url,
        "--prefix", f"test-fleet-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, object] = json.loads(done.stdout)
    return figures


@pytest.mark.parametrize("window", [1.0, 2.0, DURATION / 2])
def test_no_sliding_window_at_the_endpoint_holds_more_than_the_budget_allows(
    fleet_run: dict[str, object], window: float
) -> None:
    """Over every sliding window, the arrivals at the endpoint stay within the limiter's bound."""
    fleet = fleet_module()
    arrivals = fleet_run["arrivals"]
    refused = fleet_run["refused"]
    assert isinstance(arrivals, list)
    assert isinstance(refused, list)
    arrivals += refused  # what the fleet sent (the endpoint's 429s cap what it takes)
    # The bound holds at the store; between the store and the endpoint a process
    # may be descheduled (8 processes on a small machine): a quarter of a second
    # of such jitter is allowed (5 requests; over a real minute it is 0.4 %).
    assert fleet.densest(arrivals, window) <= fleet.bound(RPM, window) + RPM / 60 / 4


def test_the_budget_is_used_while_demand_exceeds_it(fleet_run: dict[str, object]) -> None:
    """Every sliding window inside the run holds at least 95 % of the budget's share."""
    fleet = fleet_module()
    arrivals = fleet_run["arrivals"]
    assert isinstance(arrivals, list)
    window = DURATION / 2
    assert fleet.sparsest(arrivals, window) >= 0.95 * RPM * window / 60


def test_the_fleet_saw_no_429_no_error_and_one_round_trip_per_admission(
    fleet_run: dict[str, object],
) -> None:
    """The endpoint refused nothing; each process made at most one store round trip per admission.

    (Calls are served in the order their admissions reach the store: the
    processes that start first take the first 5 s of the queue, so a late one
    may send nothing in so short a run, skewed clock or not.)
    """
    assert fleet_run["refused"] == []
    workers = fleet_run["shared"]
    assert isinstance(workers, list)
    assert len(workers) == 8
    for worker in workers:
        assert worker["errors"] == 0
        assert worker["rate_limited"] == 0
        assert 0 < worker["round_trips"] <= worker["calls"] + worker["cancelled"]
