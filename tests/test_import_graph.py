"""No import circle between files of db/, scrapers/ and monitor/ (issue #12).

The graph is read from the source with ``ast``, so it sees every import: at the top, under
``if TYPE_CHECKING:`` and inside functions (a lazy import still ties the two files together).
An edge A → B means file A names module B in an import:

- ``import x.y.z`` and ``from x.y.z import name`` → ``x.y.z``;
- ``from x.y import z`` → ``x.y.z`` when ``z`` is a module (Python imports the submodule even
  while ``x/y/__init__.py`` is still running), otherwise ``x.y`` (``z`` is read from its
  ``__init__``);
- the parent packages every such import initialises (``x``, ``x.y``) are not edges, or every
  package whose ``__init__`` re-exports a submodule would be a circle with it. That is also
  why ``db`` importing its own subpackage ``db.models`` is no circle.

Any strongly connected component of more than one file fails the test.

The same graph also keeps the folders' rules (docs/architecture.md#import-rules): ``db``
imports nothing else of ours, ``scrapers`` only ``db``, and the demo scaffolding
(``monitor.demo``) is imported by the demo command alone within the product.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("db", "scrapers", "monitor")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file under ``PACKAGES``."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """The modules (ours or not) one import statement names, per the rules in the docstring."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:  # relative: level 1 is the current package
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        yield f"{base}.{alias.name}" if alias.name != "*" else base


def import_graph(root: Path = ROOT) -> dict[str, list[Edge]]:
    """File-level import graph of ``PACKAGES``: module → its edges to other modules of ours."""
    modules = module_files(root)
    graph: dict[str, list[Edge]] = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, [])
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(node, module, is_package):
                target = name
                while target and target not in modules:  # ``pkg.attribute`` → ``pkg``
                    target = target.rpartition(".")[0]
                if target and target != module:
                    edges.append(Edge(module, target, node.lineno))
    return graph


def cycles(graph: dict[str, list[Edge]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted({e.target for e in graph[start]})))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted({e.target for e in graph[target]}))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def describe(component: frozenset[str], graph: dict[str, list[Edge]], root: Path = ROOT) -> str:
    """The circle's modules, then each import that closes it, as ``file:line``."""
    modules = module_files(root)
    lines = [" <-> ".join(sorted(component))]
    for module in sorted(component):
        for edge in sorted(set(graph[module]), key=lambda e: (e.line, e.target)):
            if edge.target in component:
                where = modules[module].relative_to(root)
                lines.append(f"    {where}:{edge.line}: {module} -> {edge.target}")
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import circles between files (break them; see this test's docstring):\n" + "\n".join(
        describe(c, graph) for c in found
    )


def _imports_of(graph: dict[str, list[Edge]], prefix: str) -> set[str]:
    return {e.target for m, es in graph.items() if m == prefix or m.startswith(prefix + ".") for e in es}


def test_the_folders_import_only_what_they_may() -> None:
    graph = import_graph()
    assert {t for t in _imports_of(graph, "db") if not t.startswith("db")} == set()
    assert {t for t in _imports_of(graph, "scrapers") if not t.startswith(("scrapers", "db"))} == set()
    demo_users = {
        m
        for m, es in graph.items()
        for e in es
        if e.target.startswith("monitor.demo") and not m.startswith("monitor.demo")
    }
    assert demo_users == {"monitor.cli.demo_cmd"}, (
        "only the demo command, tests and benchmarks use monitor.demo"
    )


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Top-level, TYPE_CHECKING, in-function and relative imports all make edges; a circle fails."""
    (tmp_path / "db").mkdir()
    (tmp_path / "scrapers").mkdir()
    (tmp_path / "monitor" / "sub").mkdir(parents=True)
    files = {
        "db/__init__.py": "from db import models\n",
        "db/models.py": "import typing\nif typing.TYPE_CHECKING:\n    from db.store import Store\n",
        "db/store.py": "def f():\n    from .models import Base\n",
        "scrapers/__init__.py": "",
        "scrapers/a.py": "import db.store\n",
        "monitor/__init__.py": "",
        "monitor/sub/__init__.py": "from monitor.sub.x import X\n",
        "monitor/sub/x.py": "from . import y\nfrom monitor.sub import attribute\n",
        "monitor/sub/y.py": "from .. import sub\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert {m: sorted({e.target for e in es}) for m, es in graph.items()} == {
        "db": ["db.models"],
        "db.models": ["db.store"],
        "db.store": ["db.models"],
        "scrapers": [],
        "scrapers.a": ["db.store"],
        "monitor": [],
        "monitor.sub": ["monitor.sub.x"],
        "monitor.sub.x": ["monitor.sub", "monitor.sub.y"],
        "monitor.sub.y": ["monitor.sub"],
    }
    assert sorted(map(sorted, cycles(graph))) == [
        ["db.models", "db.store"],
        ["monitor.sub", "monitor.sub.x", "monitor.sub.y"],
    ]
