"""The suite's own rule (STYLE.md, rule 7): every test says in one line what it proves.

Read with `ast`, not by importing: a module that fails to import is still checked, and
nothing is collected or run. A test is a ``def test_*`` or ``async def test_*`` at the
top of a ``tests/**/test_*.py`` module or in a class there (nested classes included),
as pytest collects them; helpers defined inside a test are not tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def _tests(body: list[ast.stmt]) -> Iterator[FunctionNode]:
    """The test functions in a module's or a class's *body*, classes searched recursively."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield from _tests(node.body)
        elif isinstance(node, FunctionNode) and node.name.startswith("test"):
            yield node


def _summary(node: ast.Module | FunctionNode) -> str:
    """The first line of *node*'s docstring, stripped ("" when there is none)."""
    doc = ast.get_docstring(node)
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""


def _parsed() -> Iterator[tuple[str, ast.Module]]:
    for path in _modules():
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_the_check_sees_the_whole_suite() -> None:
    """The walk finds every folder's modules and hundreds of tests, this file's own included."""
    found = {(name, test.name) for name, module in _parsed() for test in _tests(module.body)}
    folders = {name.split("/")[1] for name, _ in found}
    assert {"core", "http", "convert", "api", "sync", "lib", "realtime", "cli"} <= folders
    assert len(found) > 500
    assert ("tests/core/test_test_docstrings.py", "test_every_test_has_a_docstring") in found


def test_every_test_has_a_docstring() -> None:
    """Every test, at the top or in a class, opens with a docstring, its first line not blank."""
    missing = [
        f"{name}:{test.lineno} {test.name}"
        for name, module in _parsed()
        for test in _tests(module.body)
        if not _summary(test)
    ]
    if missing:
        pytest.fail(
            f"{len(missing)} tests without a docstring:\n" + "\n".join(missing), pytrace=False
        )


def test_every_test_module_has_a_docstring() -> None:
    """Every test module opens with a docstring saying what area it covers."""
    missing = [name for name, module in _parsed() if not _summary(module)]
    if missing:
        pytest.fail("test modules without a docstring:\n" + "\n".join(missing), pytrace=False)
