"""The findings baseline (``bench/findings_baseline.py``), on the demo: the safety net of issue 15
(a new analytics index must give every finding of today's). It is only a net if it is the same
bytes for the same answers, whatever order the projection holds its nodes in (the embedded
store's kind index is a set: that order changes from one process to the next), and if no rule
of the registry escapes it."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from bench_scripts import bench_script  # tests/bench_scripts.py

from govgraph.graph.analytics import RULES, project
from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]


fb = bench_script("findings_baseline")
#: fewer sampled sources and trend points than the script's defaults: the same code, faster
PARAMS = fb.Params(broker_k=20, broker_top=20, trend_months=3)


@pytest.fixture(scope="module")
def history(run: Run) -> nx.MultiDiGraph:
    store = EmbeddedStore()
    run(load_demo(store))
    g: nx.MultiDiGraph = run(project(store))
    return nx.freeze(g)


@pytest.fixture(scope="module")
def doc(history: nx.MultiDiGraph) -> dict[str, Any]:
    found: dict[str, Any] = fb.baseline(history, PARAMS)
    return found


def _reversed(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The same graph, its nodes and links inserted in the opposite order."""
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    h.add_nodes_from(reversed(list(g.nodes(data=True))))
    h.add_edges_from(reversed(list(g.edges(keys=True, data=True))))
    return nx.freeze(h)


def test_the_dump_is_the_same_bytes_whatever_the_node_order(
    history: nx.MultiDiGraph, doc: dict[str, Any]
) -> None:
    again = fb.baseline(_reversed(history), PARAMS)
    assert fb.encode(again) == fb.encode(doc)


def test_every_rule_of_the_registry_has_a_section_on_every_day(doc: dict[str, Any]) -> None:
    sections = doc["sections"]
    assert [rid for rid, _ in sections["registry"]] == sorted(RULES)
    for label in doc["days"]:
        ran = {name.split("/")[1] for name in sections if name.startswith(f"rules@{label}/")}
        assert ran == {*RULES, "order"}, label
        # each finding in its rule's section, and every finding in one
        total = sum(len(sections[f"rules@{label}/{rid}"]) for rid in RULES)
        assert total == len(sections[f"rules@{label}/order"])
        for rid in RULES:
            assert all(key.startswith(f"{rid}:") for key, _ in sections[f"rules@{label}/{rid}"])
    assert {name.split("/")[1] for name in sections if name.startswith("rules-strict/")} == set(
        RULES
    )
    # and the net holds something of each: every evaluable rule finds something on the demo,
    # with the default thresholds or the lowered ones (a new rule the data never trips needs
    # its threshold in findings_baseline.STRICT)
    silent = [
        rid
        for rid, r in RULES.items()
        if r.evaluable
        and not any(
            sections[name]
            for name in sections
            if name.startswith("rules") and name.split("/")[1] == rid
        )
    ]
    assert silent == []


def test_compare_names_the_section_that_differs(
    doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.json.gz"
    path.write_bytes(fb.encode(doc))
    read = fb.read(path)
    assert fb.compare(read, doc) == []
    changed = copy.deepcopy(read)
    items = changed["sections"]["rules@default/P1"]
    items[0][1]["severity"] = "advice"
    del changed["sections"]["rules@mid/order"][-1]
    assert fb.compare(read, changed) == ["rules@default/P1", "rules@mid/order"]
    out = capsys.readouterr().out
    assert f"changed {items[0][0]}" in out
    assert "1 only in A" in out
