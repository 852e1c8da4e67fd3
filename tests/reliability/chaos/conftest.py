"""The chaos test drives the engine of ``bench/chaos.py`` (``bench/_chaos.py``), smaller."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
