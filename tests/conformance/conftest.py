"""Conformance harness: every test here runs against one Prism mock of the OpenAI spec.

Prism (``tools/prism.py``) validates each request against the spec and answers with
the spec's example, so these tests prove that what the client sends is valid and that
what the spec says comes back decodes.

- Every test in this folder gets ``pytest.mark.prism``; ``-m "not prism"`` skips them.
- They run last, and Prism is launched as soon as collection has selected one of them,
  so its ~20-30 s start overlaps the rest of the suite. One Prism serves the whole
  session; it is stopped when pytest exits.
- ``prism_url`` is ``http://127.0.0.1:<port>``, with no ``/v1`` (Prism routes the
  spec's raw paths). Prism needs an ``Authorization`` header on every request.
- No Prism (no Node or npm, not installed, no ``../shared/openapi``): with ``CI=true``
  the tests fail and say what is missing; elsewhere they are skipped with the same
  message. ``python tools/prism.py install`` installs Prism into the cache folder.
  A Prism that is there but does not start (it exits, or is silent for 120 s) is a
  failure everywhere.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
_TOOL_PATH = _HERE.parent.parent / "tools" / "prism.py"


def _load_tool() -> ModuleType:
    # tools/ is a folder of scripts, not a package: load the module from its file.
    spec = importlib.util.spec_from_file_location("_trio_openai_tools_prism", _TOOL_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


prism_tool = _load_tool()

# The launched PrismServer, or the PrismUnavailableError that stopped it from launching
# (Any: the classes live in a module loaded from a file path, unknown to type checkers).
_SERVER = pytest.StashKey[Any]()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _is_conformance(item: pytest.Item) -> bool:
    return _HERE in Path(item.path).resolve().parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests in this folder ``prism`` and move them to the end of the run."""
    conformance = [item for item in items if _is_conformance(item)]
    if not conformance:
        return
    for item in conformance:
        item.add_marker(pytest.mark.prism)
    items[:] = [item for item in items if not _is_conformance(item)] + conformance


def _launch(config: pytest.Config) -> Any:
    try:
        server = prism_tool.start_prism()
    except prism_tool.PrismUnavailableError as exc:
        config.stash[_SERVER] = exc
        return exc
    config.stash[_SERVER] = server
    config.add_cleanup(server.stop)
    return server


def pytest_collection_finish(session: pytest.Session) -> None:
    """Launch Prism now, without waiting, if a selected test will need it."""
    if session.config.option.collectonly or _SERVER in session.config.stash:
        return
    if any(item.get_closest_marker("prism") is not None for item in session.items):
        _launch(session.config)


@pytest.fixture(scope="session")
def prism_url(pytestconfig: pytest.Config) -> str:
    """Return the base URL of the session's Prism, ``http://127.0.0.1:<port>`` (no ``/v1``)."""
    server = pytestconfig.stash.get(_SERVER, None)
    if server is None:
        server = _launch(pytestconfig)
    try:
        if isinstance(server, Exception):
            raise server
        try:
            server.wait_ready()
        except prism_tool.PrismUnavailableError:
            if not server.port_conflict():
                raise
            # Lost the free-port race: start again on another port.
            server.stop()
            server = prism_tool.start_prism_ready()
            pytestconfig.stash[_SERVER] = server
            pytestconfig.add_cleanup(server.stop)
    except prism_tool.PrismStartError as exc:
        pytest.fail(f"Prism mock server did not start: {exc}", pytrace=False)
    except prism_tool.PrismUnavailableError as exc:
        message = f"Prism mock server unavailable: {exc}"
        if _in_ci():
            pytest.fail(f"{message} (CI=true: conformance tests must run)", pytrace=False)
        pytest.skip(message)
    url: str = server.url
    return url
