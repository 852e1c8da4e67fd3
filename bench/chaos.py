"""Chaos: 5,000 calls at 500 in flight over 3 fault-injecting endpoints, one killed and revived.

    .venv/bin/python bench/chaos.py [--requests 5000] [--concurrency 500] [--rate 500]
                                    [--strategy all|priority|round_robin|weighted|least_in_flight]

Everything runs in this process, on 127.0.0.1 with real sockets: three
`trio_openai.testing.FakeOpenAI` servers with seeded fault programs (5xx storms,
429 bursts with ``retry-after-ms`` or ``retry-after``, connections reset mid-body
or closed without an answer, slow answers, answers slower than the read timeout,
malformed JSON, truncated streams), one client with retries, failover, breakers, rate limiters
and health checks. Endpoint ``ep0`` is stopped after 30 % of the calls have
started and started again, on the same port, at 60 %. See ``_chaos.py`` for
the set-up and the invariants checked.

Prints one row per routing strategy, the errors the failed calls raised, and
whether every invariant held (the exit status is 1 if one did not).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trio
from _chaos import Plan, Report, run_chaos
from _common import machine, table, versions

STRATEGIES = ("priority", "round_robin", "weighted", "least_in_flight")


def row(report: Report) -> list[object]:
    plan = report.plan
    return [
        plan.strategy,
        plan.requests,
        report.succeeded,
        report.failures,
        len(report.unclear),
        f"{report.executed_twice} / {report.duplicates_other_key}",
        report.breaker_opened,
        report.events["FailoverSwitched"],
        f"{report.seconds:.1f}",
        f"{report.percentile(0.5) * 1e3:.0f} / {report.percentile(0.99) * 1e3:.0f}",
        f"{report.leaked_connections} / {report.leaked_tasks} / {report.live_objects}",
        f"{report.rss_before_mib:.0f} / {report.rss_peak_mib:.0f} / {report.rss_after_mib:.0f}",
    ]


HEADERS = [
    "strategy",
    "calls",
    "ok",
    "failed (clear error)",
    "unclear",
    "executed twice / with other key",
    "breaker opens",
    "failovers",
    "wall s",
    "p50 / p99 ms",
    "leaked conns / tasks / objects",
    "RSS MiB before / peak / after",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500.0, help="calls started per second")
    parser.add_argument("--strategy", default="all", choices=("all", *STRATEGIES))
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args()
    # The client logs every breaker change and failover; a table is what we want here.
    logging.getLogger("trio_openai").setLevel(logging.ERROR)
    logging.getLogger("stamina").setLevel(logging.ERROR)
    print(machine())
    print(versions())
    print()
    strategies = STRATEGIES if args.strategy == "all" else (args.strategy,)
    reports = []
    for strategy in strategies:
        plan = Plan(
            requests=args.requests,
            concurrency=args.concurrency,
            rate=args.rate,
            strategy=strategy,
            seed=args.seed,
        )
        print(f"{strategy}: {plan.requests} calls, {plan.rate:g}/s, {plan.concurrency} in flight")
        report = trio.run(lambda plan=plan: run_chaos(plan, progress=print))
        reports.append(report)
    print()
    print(table(HEADERS, [row(r) for r in reports]))
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.failed)
    print()
    print(
        "errors of the failed calls (all runs): "
        + ", ".join(f"{name} {count}" for name, count in errors.most_common())
    )
    served = ", ".join(f"{r.plan.strategy} {r.served}" for r in reports)
    print(f"attempts per endpoint: {served}")
    problems = [f"{r.plan.strategy}: {p}" for r in reports for p in r.problems()]
    print()
    if problems:
        print("INVARIANTS BROKEN:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(
        "invariants: every call succeeded once or failed with a clear error; every call "
        "executed twice kept its Idempotency-Key; no connection, task or response left "
        "after the session -> HELD"
    )


if __name__ == "__main__":
    main()
