"""No import circles between restsync's modules.

Every ``import``/``from ... import`` statement in ``src/restsync`` counts, wherever it is
(module level, inside a function, under ``if TYPE_CHECKING:``): a circle hidden in a function
or a type-checking block is still two modules that cannot be understood one without the other.
``from package import name`` points at ``package.name`` when that is a module, else at the
package. A package's own ``__init__`` importing its submodules is not a circle; a submodule
importing its package's ``__init__`` back is.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "restsync"

KNOWN_CIRCLES: set[frozenset[str]] = {
    # issue 15 item 12: owned by the hardening work (normalize/), not fixed here
    frozenset({"restsync.normalize.columns", "restsync.normalize.normalizer"}),
}


def module_names() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    targets = {t for t in found if t in modules and t != name}
    if is_package:  # a package importing its own submodules is how packages work
        targets = {t for t in targets if not t.startswith(name + ".")}
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walker_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [frozenset({"a", "b", "c"})]


def test_the_walker_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from restsync.load import report\n"
                      "def f():\n    from restsync.engine import runner\n")
    modules = module_names()
    assert imports_of("restsync.x.m", module, modules) == {
        "restsync.load.report", "restsync.engine.runner"}


def test_no_import_circles() -> None:
    found = circles(import_graph())
    unexpected = [sorted(c) for c in found if c not in KNOWN_CIRCLES]
    assert not unexpected, "import circles: " + "; ".join(" <-> ".join(c) for c in unexpected)
