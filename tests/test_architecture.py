"""The package's imports point one way: entry points (api, cli) → schema → graph ← loaders.

Every ``import`` in the installed sources counts, wherever it stands (inside a function, or under
``TYPE_CHECKING``): a lazy import that dodges a cycle at run time still ties two rooms together.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import networkx as nx
import pytest

ROOMS = ("graph", "schema", "loaders", "api", "cli", "ops")
#: the rooms each room may import from (besides itself)
MAY_IMPORT = {
    "graph": set(),
    "ops": set(),
    "loaders": {"graph"},
    "schema": {"graph", "loaders"},  # loaders.rectification writes the 整改清单 workbook
    "api": {"schema", "graph"},
    "cli": {"api", "schema", "graph", "loaders", "ops"},
}


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the installed package: dotted name → (file, is a package)."""
    found: dict[str, tuple[Path, bool]] = {}
    for room in ROOMS:
        folder = Path(importlib.import_module(f"govgraph.{room}").__file__ or "").parent
        for path in folder.rglob("*.py"):
            parts = [room, *path.relative_to(folder).with_suffix("").parts]
            is_package = parts[-1] == "__init__"
            found[".".join(["govgraph", *parts[: -1 if is_package else None]])] = (
                path,
                is_package,
            )
    return found


def import_graph() -> nx.DiGraph:
    mods = modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    g = nx.DiGraph()
    for name, (path, is_package) in mods.items():
        g.add_node(name)
        here = name.split(".") if is_package else name.split(".")[:-1]
        for stmt in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(stmt, ast.Import):
                targets = [a.name for a in stmt.names]
            elif isinstance(stmt, ast.ImportFrom):
                base = here[: len(here) - stmt.level + 1] if stmt.level else []
                module = ".".join([*base, *([stmt.module] if stmt.module else [])])
                # `from . import x` imports the module x, not its package's __init__
                subs = [f"{module}.{a.name}" for a in stmt.names if f"{module}.{a.name}" in mods]
                targets = subs if len(subs) == len(stmt.names) else [module, *subs]
            for target in targets:
                found = owner(target)
                if found and found != name and found.startswith("govgraph."):
                    g.add_edge(name, found)
    return g


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph:
    return import_graph()


def test_the_walk_sees_the_package(imports: nx.DiGraph) -> None:
    assert imports.number_of_nodes() > 80
    assert imports.has_edge("govgraph.schema.types", "govgraph.graph.ontology")
    assert imports.has_edge("govgraph.graph.analytics.rules", "govgraph.graph.analytics.derived")


def test_no_import_cycle(imports: nx.DiGraph) -> None:
    cycles = [" → ".join(c) for c in nx.simple_cycles(imports)]
    assert not cycles, "\n".join(cycles)


def test_each_room_imports_only_the_rooms_below_it(imports: nx.DiGraph) -> None:
    def room(module: str) -> str:
        return module.split(".")[1]

    wrong = [
        f"{a} → {b}"
        for a, b in imports.edges
        if room(a) != room(b) and room(b) not in MAY_IMPORT[room(a)]
    ]
    assert not wrong, "\n".join(sorted(wrong))
