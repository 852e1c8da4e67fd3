"""Suite-wide pytest hooks: run ``async def`` tests under Trio, keep ``live`` tests opt-in.

pytest-trio's ``trio_mode`` stays off (it crashes on nbmake notebook items, see
../shared/NOTES.md), so this hook does its job: it adds ``pytest.mark.trio`` to each
collected test whose function is a coroutine function. pytest-trio then runs the test
with ``trio.run`` and its async fixtures inside the same run, and honours clock
fixtures such as ``autojump_clock``. Items without a Python function (notebooks, doctest
files) have no ``obj`` and are left alone.

Tests marked ``live`` talk to a real server; they are deselected unless the ``-m``
expression names them (``pytest -m live``, ``-m "live and not slow"``), so the default run,
and a run such as ``-m "not prism"``, never touches the network.
"""

from __future__ import annotations

import inspect
import re

import pytest

_LIVE_WORD = re.compile(r"\blive\b")


def _test_function(item: pytest.Item) -> object:
    func = getattr(item, "obj", None)
    # @hypothesis.given wraps an async test in a sync function; the test is inside.
    inner = getattr(getattr(func, "hypothesis", None), "inner_test", None)
    return func if inner is None else inner


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark async tests ``trio``; deselect ``live`` tests unless ``-m`` names ``live``."""
    for item in items:
        if item.get_closest_marker("trio") is None and inspect.iscoroutinefunction(
            _test_function(item)
        ):
            item.add_marker(pytest.mark.trio)

    if _LIVE_WORD.search(config.getoption("markexpr", default="") or ""):
        return
    live = [item for item in items if item.get_closest_marker("live") is not None]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item.get_closest_marker("live") is None]


_PROXY_VARIABLES = tuple(
    name
    for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for name in (base, base.upper())
)


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear proxy variables: the client honours them, and every test server is on 127.0.0.1.

    A machine (or CI runner) that reaches package registries through ``HTTPS_PROXY``
    would otherwise send the tests' local traffic to that proxy. Tests of proxy
    support set the variables themselves; subprocesses inherit the cleared environment.
    """
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
