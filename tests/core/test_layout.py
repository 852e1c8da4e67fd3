"""The package layout keeps its promises: no import cycles, wings import only downward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "trio_openai"


def _imports(path: Path) -> set[str]:
    """The trio_openai modules a file imports at module level or under TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = path.relative_to(REPO).with_suffix("").parts[: -node.level]
            found.add(".".join((*base, *(node.module.split(".") if node.module else ()))))
    return found


def test_no_import_cycle_among_hand_written_modules() -> None:
    """tools/import_graph.py (counting TYPE_CHECKING imports) finds no cycle."""
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "import_graph.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "no import cycle" in result.stdout


def test_generated_code_imports_the_runtime_only_through_api() -> None:
    """resources/ and types/ name no private runtime module but _api (and the mixin tables')."""
    allowed = {
        "trio_openai._api",
        "trio_openai._lib._mixins",
        "trio_openai._lib._polling",
        "trio_openai._lib._structured",
        "trio_openai._lib._uploads",
        "trio_openai._lib._webhooks",
        "trio_openai.realtime._connect",
    }
    for folder in ("resources", "types"):
        for path in (PACKAGE / folder).glob("*.py"):
            private = {
                m
                for m in _imports(path)
                if m.startswith("trio_openai._") and not m.startswith(f"trio_openai.{folder}")
            }
            assert private <= allowed, (path.name, private - allowed)


def test_the_api_wing_does_not_import_the_sync_wing_at_run_time() -> None:
    """_api's modules import nothing from _sync outside TYPE_CHECKING: the portal makes twins."""
    for path in (PACKAGE / "_api").glob("*.py"):
        tree = ast.parse(path.read_text())
        runtime = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and "_sync" in node.module
        ]
        type_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        assert [ast.unparse(n) for n in runtime if id(n) not in type_only] == [], path.name


def test_nothing_below_the_client_names_the_client_class() -> None:
    """Below _client.py, modules hold a Caller: none imports Client from _client.

    Above it: the sync client (it opens one), the CLI, the demos, the fake server.
    """
    above = {PACKAGE / "_client.py", PACKAGE / "_sync" / "_client.py"}
    for path in PACKAGE.rglob("*.py"):
        if path in above:
            continue
        if path.parts[-2] in ("_cli",) or path.name in ("demo.py", "_demo.py", "__init__.py"):
            continue
        if path.parent.name == "testing":
            continue
        text = path.read_text()
        assert "_client import Client" not in text, path.relative_to(REPO)
