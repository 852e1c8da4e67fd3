"""The public namespace: complete, sorted, lazily loaded, documented."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import trio_openai


def test_all_is_sorted_and_unique() -> None:
    """`__all__` is sorted and lists no name twice."""
    assert list(trio_openai.__all__) == sorted(set(trio_openai.__all__))


def test_every_exported_name_resolves_and_has_a_docstring() -> None:
    """Every name in `__all__` resolves, and each exported class or function has a docstring."""
    for name in trio_openai.__all__:
        value = getattr(trio_openai, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, f"{name} has no docstring"


def test_nothing_public_is_missing_from_all() -> None:
    """Every public non-module attribute of the package is listed in `__all__`."""
    public = {n for n in dir(trio_openai) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(trio_openai, n))}
    assert public - modules - set(trio_openai.__all__) == set()


def test_import_is_lazy() -> None:
    """`import trio_openai` loads none of trio, httpx2, cattrs, stamina, attrs or the types."""
    code = (
        "import sys, trio_openai\n"
        "heavy = {'trio', 'httpx2', 'cattrs', 'stamina', 'attrs', 'trio_openai.types'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    """An unknown name on the package raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="no_such_name"):
        trio_openai.no_such_name  # type: ignore[attr-defined]  # noqa: B018
