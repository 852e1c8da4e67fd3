"""`tools/coverage.py`: every operation of the spec is a method on the client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OPERATIONS_TSV = REPO.parent / "shared/openapi/operations.tsv"
needs_operations = pytest.mark.skipif(
    not OPERATIONS_TSV.is_file(),
    reason=f"the spec's operation list is not at {OPERATIONS_TSV} (../shared/openapi is absent)",
)


def _coverage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "tools/coverage.py", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


@needs_operations
def test_every_operation_is_covered() -> None:
    """The tool finds a working method for all 288 operations and exits 0."""
    result = _coverage("--list")
    assert result.returncode == 0, result.stderr
    rows = OPERATIONS_TSV.read_text(encoding="utf-8").splitlines()[1:]
    assert result.stdout.splitlines()[-1] == f"{len(rows)}/{len(rows)} operations covered"
    assert "createChatCompletion" in result.stdout
    assert "client.beta.threads.runs.submit_tool_outputs" in result.stdout


@needs_operations
def test_a_missing_operation_fails(tmp_path: Path) -> None:
    """An operation with no method (or the wrong route) is reported and exits 1."""
    rows = OPERATIONS_TSV.read_text(encoding="utf-8").splitlines()
    extra = "GET\t/nowhere\tgetNowhere\tNone\tno"
    wrong = rows[1].replace("GET\t/", "DELETE\t/", 1)
    listing = tmp_path / "operations.tsv"
    listing.write_text("\n".join([rows[0], extra, wrong]) + "\n", encoding="utf-8")
    result = _coverage("--operations", str(listing))
    assert result.returncode == 1
    assert "getNowhere (GET /nowhere): no method" in result.stderr
    assert "the spec says DELETE" in result.stderr
    assert "0/2 operations covered" in result.stdout
