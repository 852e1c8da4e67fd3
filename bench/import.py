"""Import time and memory: trio_openai vs the official SDK, each in a fresh interpreter.

    .venv/bin/python bench/import.py [--runs 7] [--detail]

Every measurement is a new ``python`` process that times its own import with
``time.perf_counter()`` and then reports its peak RSS (``VmHWM`` of
``/proc/self/status``: ``ru_maxrss`` is not used because Linux carries the
high-water mark of the forking parent across ``exec``, so every child would
report at least the parent's size). The cases take turns within each run; the
table shows the median of *runs* runs, after one discarded run per case.
"RSS added" subtracts the peak RSS of an interpreter that imports nothing.

Bytecode: installers normally compile ``.pyc`` files, but this sandbox sets
``PYTHONDONTWRITEBYTECODE=1`` and ``uv`` installs without compiling, so every
import would compile from source. The children therefore write and use
bytecode caches under a private ``PYTHONPYCACHEPREFIX`` (in the temp dir; the
work tree and the venv are not touched), filled by the discarded run.
``--no-bytecode`` measures the compile-every-time case instead.

``--detail`` also prints the slowest modules (cumulative) of ``import trio_openai``
and of the full client stack, from ``python -X importtime``.

Target: ``import trio_openai`` takes less than 1/3 of ``import openai``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import have_openai, machine, median, table, versions

TARGET = 1 / 3

OURS = {
    "import trio_openai": "import trio_openai",
    "+ trio_openai.open_client (client stack)": "import trio_openai\ntrio_openai.open_client",
    "+ types.chat.CreateChatCompletionResponse": (
        "import trio_openai\ntrio_openai.open_client\n"
        "from trio_openai.types.chat import CreateChatCompletionResponse"
    ),
}
PEER = {
    "import openai": "import openai",
    "from openai import AsyncOpenAI": "from openai import AsyncOpenAI",
    "+ openai.types.chat.ChatCompletion": (
        "from openai import AsyncOpenAI\nfrom openai.types.chat import ChatCompletion"
    ),
}
BASELINE = "(bare interpreter)"

_PROBE = """\
import time
_t0 = time.perf_counter()
{code}
_t1 = time.perf_counter()
with open("/proc/self/status") as _f:
    _hwm = next(int(l.split()[1]) for l in _f if l.startswith("VmHWM:"))
import sys
sys.stdout.write('{{"seconds": %r, "rss_kib": %d}}' % (_t1 - _t0, _hwm))
"""

_ENV = dict(os.environ)


def set_bytecode(enabled: bool) -> None:
    """Let the children cache bytecode in a private folder, or forbid it."""
    if enabled:
        _ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "trio_openai-bench-pyc")
    else:
        _ENV["PYTHONDONTWRITEBYTECODE"] = "1"
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.mkdtemp(prefix="bench-nopyc-")))


def measure(code: str) -> tuple[float, float]:
    """(seconds, peak RSS in KiB) of running *code* first thing in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    ).stdout
    result = json.loads(out)
    return result["seconds"], result["rss_kib"]


def importtime(code: str, top: int = 12) -> str:
    """The slowest imports of *code* (cumulative microseconds), from ``-X importtime``."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    ).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative), int(self_us), name.strip()))
    rows.sort(reverse=True)
    return table(
        ["module", "cumulative ms", "self ms"],
        [[name, f"{cum / 1e3:.1f}", f"{own / 1e3:.1f}"] for cum, own, name in rows[:top]],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--detail", action="store_true")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every import")
    args = parser.parse_args()
    set_bytecode(not args.no_bytecode)
    print(machine())
    print(versions())
    print()
    cases = {BASELINE: "pass", **OURS}
    if have_openai():
        cases.update(PEER)
    for code in cases.values():  # warm the bytecode caches; discarded
        measure(code)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for run in range(args.runs):
        for name, code in cases.items():
            samples[name].append(measure(code))
        print(f"  run {run + 1}/{args.runs} done", flush=True)

    seconds = {n: median([s for s, _ in v]) for n, v in samples.items()}
    rss = {n: median([r for _, r in v]) / 1024 for n, v in samples.items()}
    peer = "import openai" if "import openai" in cases else None
    rows = [
        [
            name,
            f"{seconds[name] * 1e3:.1f}" if name != BASELINE else "-",
            f"{rss[name]:.1f}",
            f"{rss[name] - rss[BASELINE]:.1f}" if name != BASELINE else "-",
            f"{seconds[name] / seconds[peer]:.2f}x" if peer and name != BASELINE else "n/a",
        ]
        for name in cases
    ]
    print()
    cache = "no bytecode cache" if args.no_bytecode else "bytecode cached"
    print(f"Import cost in a fresh interpreter ({cache}; median of {args.runs} runs)\n")
    print(
        table(["what", "import ms", "peak RSS MiB", "RSS added MiB", "time vs import openai"], rows)
    )
    print()
    if peer:
        ratio = seconds["import trio_openai"] / seconds[peer]
        print(
            f"target: import trio_openai < 1/3 of import openai: {ratio:.3f}x -> "
            f"{'MET' if ratio < TARGET else 'MISSED'}"
        )
    else:
        print("target vs official: not measured (peer missing)")
    if args.detail:
        for name in ("import trio_openai", "+ types.chat.CreateChatCompletionResponse"):
            print(f"\nSlowest imports of `{name}` (python -X importtime)\n")
            print(importtime(OURS[name]))


if __name__ == "__main__":
    main()
