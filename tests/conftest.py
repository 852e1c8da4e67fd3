"""Suite-wide pytest hooks: run ``async def`` tests under Trio, keep ``live`` tests opt-in.

pytest-trio's ``trio_mode`` stays off (it crashes on nbmake notebook items, see
../shared/NOTES.md), so this hook does its job: it adds ``pytest.mark.trio`` to each
collected test whose function is a coroutine function. pytest-trio then runs the test
with ``trio.run`` and its async fixtures inside the same run, and honours clock
fixtures such as ``autojump_clock``. Items without a Python function (notebooks, doctest
files) have no ``obj`` and are left alone.

Tests marked ``live`` talk to a real server; they are deselected unless the run selects
markers with ``-m`` (``pytest -m live``), so the default run never touches the network.
"""

from __future__ import annotations

import inspect

import pytest


def _test_function(item: pytest.Item) -> object:
    func = getattr(item, "obj", None)
    # @hypothesis.given wraps an async test in a sync function; the test is inside.
    inner = getattr(getattr(func, "hypothesis", None), "inner_test", None)
    return func if inner is None else inner


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark async tests ``trio``; deselect ``live`` tests unless ``-m`` was given."""
    for item in items:
        if item.get_closest_marker("trio") is None and inspect.iscoroutinefunction(
            _test_function(item)
        ):
            item.add_marker(pytest.mark.trio)

    if config.getoption("markexpr", default=""):
        return
    live = [item for item in items if item.get_closest_marker("live") is not None]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item.get_closest_marker("live") is None]
