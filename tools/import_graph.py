"""Print the import cycles among trio_openai's hand-written modules.

    .venv/bin/python tools/import_graph.py [--lazy]

Edges are the ``from .x import y`` / ``import trio_openai.x`` statements of each
module: at module level, and under ``if TYPE_CHECKING:`` (a type-only import still
ties two modules together for a reader). Imports inside functions are deliberate
(lazy, to keep ``import trio_openai`` cheap or to break a cycle at run time) and are
left out unless ``--lazy`` is given. Generated packages (``types``, ``resources``)
are left out. Exits 1 if there is a cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "trio_openai"
GENERATED = ("trio_openai.types", "trio_openai.resources")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def edges(path: Path, lazy: bool) -> set[str]:
    module = module_name(path)
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    target = resolve(module, path.name == "__init__.py", node.level, node.module)
                else:
                    target = node.module or ""
                if target.startswith("trio_openai"):
                    # `from . import x` names a module; `from .m import x` names m.
                    names = [f"{target}.{a.name}" for a in node.names]
                    found.update(names if node.module is None else [target])
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("trio_openai"))
            elif isinstance(node, ast.If):
                visit(node.body, top)
                visit(node.orelse, top)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(node, ast.ClassDef) or lazy:
                    visit(node.body, top=False)
            elif isinstance(node, (ast.Try, ast.With)):
                visit(node.body, top)

    visit(tree.body, top=True)
    return found


def main() -> int:
    lazy = "--lazy" in sys.argv
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {
        name: {e for e in edges(path, lazy) if e in modules and e != name}
        for name, path in modules.items()
        if not name.startswith(GENERATED)
    }
    graph = {n: {e for e in es if not e.startswith(GENERATED)} for n, es in graph.items()}
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    for component in cycles:
        print(f"cycle of {len(component)}: {', '.join(component)}")
    if not cycles:
        print(f"no import cycle among {len(graph)} hand-written modules")
    return 1 if cycles else 0


if __name__ == "__main__":
    raise SystemExit(main())
