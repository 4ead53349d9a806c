"""A write makes a new version of the projection and of its index as layers over the old ones
(``_layers``): the analysis after the write reads its scope through them without copying the
city, a whole-graph read flattens them once, and older versions never see a newer one's
changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx
from test_cache import _plain
from test_versions import _toggle

from govgraph.graph.analytics import (
    AnalyticsCache,
    at,
    conflicts_of_interest,
    cross_appointments,
    project,
    run_rules,
)
from govgraph.graph.analytics._facts import facts_of
from govgraph.graph.analytics._layers import Layered
from govgraph.graph.analytics._patch import Changes, Version, derive
from govgraph.graph.analytics.columns import known_columns
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]


def test_a_layer_reads_its_base_and_its_changes_and_never_writes_the_base() -> None:
    base = {f"k{i}": i for i in range(100)}
    kept = dict(base)
    first = Layered.over(base)
    first["new"] = -1
    first["k1"] = -2
    first.discard("k2")
    first.discard("absent")
    second = Layered.over(first)
    second.discard("new")
    second["k2"] = 2
    assert base == kept
    assert second.base is base  # shared, not copied
    assert (first.get("k2"), first.get("k2", "none"), "k2" in first, first["new"]) == (
        None,
        "none",
        False,
        -1,
    )
    assert ("new" in second, second.get("k1"), second["k2"]) == (False, -2, 2)
    expected = {**kept, "new": -1, "k1": -2}
    del expected["k2"]
    assert first.flat() == expected
    assert second.flat() == {**kept, "k1": -2}


def test_changes_outgrowing_the_base_are_folded_into_a_new_one() -> None:
    layer = Layered.over({i: i for i in range(10)})
    for i in range(10, 2000):
        layer[i] = i
    folded = Layered.over(layer)
    assert folded.changes == {} and folded.base == {i: i for i in range(2000)}
    small = Layered.over(Layered.over({i: i for i in range(10)}))
    assert small.changes == {}


def test_a_version_reads_like_a_plain_graph_and_flattens_on_a_whole_read() -> None:
    old = nx.freeze(
        nx.MultiDiGraph(
            [
                ("p1", "b1", "p1|MEMBER_OF|b1", {"kind": "MEMBER_OF"}),
                ("b1", "c1", "b1|COVERS|c1", {"kind": "COVERS"}),
            ]
        )
    )
    batch = WriteBatch(
        nodes=[node("Person", "p2")],
        links=[link("MEMBER_OF", "p2", "b1", status="full")],
        delete_links=["b1|COVERS|c1"],
    )
    new, _ = derive(old, Changes.of(batch))
    assert type(new) is Version and nx.is_frozen(new)
    # NetworkX makes an empty graph of the same kind with G.__class__(): a plain one
    assert type(new.__class__()) is nx.MultiDiGraph
    # reading the nodes flattens the nodes' table only
    assert dict(new.nodes(data="kind")) == {"p1": None, "b1": None, "c1": None, "p2": "Person"}
    assert type(new) is Version and "_succ" not in vars(new)
    expected = nx.MultiDiGraph(
        [
            ("p1", "b1", "p1|MEMBER_OF|b1", {"kind": "MEMBER_OF"}),
            ("p2", "b1", "p2|MEMBER_OF|b1", {"kind": "MEMBER_OF", "status": "full"}),
        ]
    )
    expected.add_node("c1")
    expected.nodes["p2"].update(kind="Person")
    assert _plain(new) == _plain(expected)  # nodes and successors read whole: flattened
    assert sorted(new.predecessors("b1")) == ["p1", "p2"]  # and now the predecessors
    assert type(new) is nx.MultiDiGraph and nx.is_frozen(new) and "_layers" not in vars(new)
    assert _plain(new.copy()) == _plain(expected)
    assert sorted(new.subgraph(["p1", "p2", "b1"]).edges) == sorted(
        [("p1", "b1", "p1|MEMBER_OF|b1"), ("p2", "b1", "p2|MEMBER_OF|b1")]
    )
    assert old.has_edge("b1", "c1") and "p2" not in old


def test_after_a_write_the_scoped_analysis_reads_layers_and_old_versions_stay(
    demo: EmbeddedStore, run: Run
) -> None:
    cache = AnalyticsCache(demo)
    run_rules(run(cache.history()), as_of=SNAPSHOT)  # the day view and its index, built
    lk = _toggle(run(cache.history()))
    compound = facts_of(at(run(cache.history()), SNAPSHOT)).place(lk.target).compound
    assert compound is not None
    held: list[tuple[nx.MultiDiGraph, Any, list[str]]] = []
    for i in range(4):  # a chain of versions, each layered over the one before
        batch = WriteBatch(links=[lk]) if i % 2 == 0 else WriteBatch(delete_links=[lk.id])
        run(demo.apply(batch))
        history = run(cache.history())
        day = run(cache.graph(SNAPSHOT))
        run_rules(history, as_of=SNAPSHOT, scope=compound)
        cross_appointments(day, scope=compound)
        conflicts_of_interest(day, scope=compound)
        # nothing above read the graphs or the index whole: no copy of the city was made
        assert type(history) is Version and type(day) is Version, f"write {i}"
        facts = facts_of(day)
        assert isinstance(facts._kind, Layered)
        assert all(isinstance(t, Layered) for t in (*facts._out.values(), *facts._in.values()))
        held.append((day, facts, facts.members(lk.target)))
    for i, (day, facts, members) in enumerate(held):  # each version kept its own state
        assert facts.members(lk.target) == members
        assert (lk.source in members) == (i % 2 == 0)
        assert day.has_edge(lk.source, lk.target) == (i % 2 == 0)
    # the rules read the columnar index, patched through every write (not rebuilt), and give
    # a fresh build's answer
    history = run(cache.history())
    assert known_columns(history) is not None
    assert run_rules(history, as_of=SNAPSHOT) == run_rules(run(project(demo)), as_of=SNAPSHOT)
    assert (cache.stats.builds, cache.stats.patches) == (1, 4)


def test_a_node_added_and_removed_through_versions(demo: EmbeddedStore, run: Run) -> None:
    cache = AnalyticsCache(demo)
    first = run(cache.history())
    branch = facts_of(at(first, SNAPSHOT)).ids("PartyBranch")[0]
    since = dt.date(2020, 1, 1)
    run(
        demo.apply(
            WriteBatch(
                nodes=[node("Person", "person-new")],
                links=[link("MEMBER_OF", "person-new", branch, status="full", since=since)],
            )
        )
    )
    added = run(cache.graph(SNAPSHOT))
    assert facts_of(added).kind("person-new") == "Person"
    assert "person-new" in facts_of(added).members(branch)
    run(demo.apply(WriteBatch(delete_nodes=["person-new"])))
    removed = run(cache.graph(SNAPSHOT))
    assert "person-new" not in facts_of(removed) and "person-new" in facts_of(added)
    assert "person-new" not in facts_of(removed).members(branch)
    assert _plain(run(cache.history())) == _plain(run(project(demo)))
