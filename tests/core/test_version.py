"""`trio_openai.__version__`: the installed distribution's version, read lazily."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

import trio_openai

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _pyproject_version() -> str:
    # The [project] table's `version = "..."` (tomllib is 3.11+; the file's layout is ours).
    text = PYPROJECT.read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
    assert match is not None, "no version in pyproject.toml's [project] table"
    return match.group(1)


def test_version_is_the_installed_distributions() -> None:
    """`__version__` is the version of the installed trio-openai distribution."""
    assert trio_openai.__version__ == importlib.metadata.version("trio-openai")


def test_version_matches_pyproject() -> None:
    """`__version__` equals the version in pyproject.toml's [project] table."""
    # Fails after a version bump until the package is reinstalled (tools/dev.sh does it).
    assert trio_openai.__version__ == _pyproject_version()


def test_version_can_be_imported_by_name() -> None:
    """`from trio_openai import __version__` works, and the name is in `dir()`."""
    from trio_openai import __version__

    assert __version__ == trio_openai.__version__
    assert "__version__" in dir(trio_openai)


def test_version_is_read_on_first_access_only() -> None:
    """Import sets no `__version__` and loads no importlib.metadata; first access caches it."""
    code = (
        "import sys, trio_openai\n"
        "before = '__version__' in vars(trio_openai), 'importlib.metadata' in sys.modules\n"
        "trio_openai.__version__\n"
        "print(before, '__version__' in vars(trio_openai))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(False, False) True"


def test_version_falls_back_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an installed distribution, `__version__` is "0+unknown"."""

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    assert trio_openai.__version__  # cached now, so that monkeypatch restores it afterwards
    monkeypatch.delitem(vars(trio_openai), "__version__")
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert trio_openai.__version__ == "0+unknown"
