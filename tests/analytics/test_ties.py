"""Cross-appointment and network analyses (``ties.py``), the projection helper and the cache,
on a hand-built pair of compounds (both stores) and on the demo data set."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import networkx as nx
import pytest
from test_rules import AS_OF, City

from govgraph.graph.analytics import (
    TIE_LINKS,
    AnalyticsCache,
    at,
    brokers,
    communities,
    conflicts_of_interest,
    cross_appointments,
    ego_network,
    interlocks,
    multi_post_holders,
    project,
    run_rules,
    shortest_path,
)
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import NotFoundError
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import SNAPSHOT, load_demo

Run = Callable[[Awaitable[Any]], Any]
D = dt.date


def ties_city() -> City:
    """Two compounds, each with a branch, an owners' committee and a company.

    c1 (示例社区): s1 is the secretary of pb1 and chairs oc1; m1 sits on both; o1 sits on oc1
    and works for co1, which manages c1 (a conflict). c2 (comm2): s2 is pb2's secretary and an
    ordinary member of oc2, which ch2 chairs. x owns in both compounds and sits on both
    committees: the bridge. e1 works for co2 and nothing else. f1 sat on oc1 until 2020.
    """
    city = City()
    city.community("comm2")
    city.compound("c1")
    city.compound("c2", community="comm2")
    city.branch("pb1", "c1")
    city.branch("pb2", "c2")
    city.post("s1", "pb1", "secretary", since=D(2021, 1, 5))
    city.post("m1", "pb1", "committee_member")
    city.post("s2", "pb2", "secretary")
    city.owner("x", "c2")
    city.committee(
        "oc1", "c1", ("s1", "chair"), ("m1", "member"), ("o1", "member"), ("x", "member")
    )
    city.committee("oc2", "c2", ("ch2", "chair"), ("s2", "member"), ("x", "member"))
    city.owner("f1", "c1")
    city.post("f1", "oc1", "member", until=D(2020, 12, 31))
    for co, compound in (("co1", "c1"), ("co2", "c2")):
        city.add("PropertyCompany", co, name=f"示例{co}物业")
        city.rel("MANAGES", co, compound)
    city.rel("EMPLOYED_BY", "o1", "co1", role="客服专员")
    city.add("Person", "e1")
    city.rel("EMPLOYED_BY", "e1", "co2", role="维修工")
    return city


def ties_graph(store: GraphStore, run: Run) -> nx.MultiDiGraph:
    run(ties_city().write(store))
    g: nx.MultiDiGraph = run(project(store, AS_OF))
    return g


def test_cross_appointments(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    rows = {r.compound: r for r in cross_appointments(g)}
    c1, c2 = rows["c1"], rows["c2"]
    assert (c1.seats, c1.cross_appointed, c1.rate, c1.secretary_chairs) == (
        4,
        ["m1", "s1"],
        0.5,
        True,
    )
    assert (c2.seats, c2.cross_appointed, c2.secretaries, c2.chairs, c2.secretary_chairs) == (
        3,
        ["s2"],
        ["s2"],
        ["ch2"],
        False,
    )
    assert (c1.branches, c1.committees, c1.name) == (["pb1"], ["oc1"], "示例c1小区")
    assert [r.compound for r in cross_appointments(g, "comm2")] == ["c2"]


def test_multi_post_holders(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    holders = multi_post_holders(g)
    assert [(h.person, h.bodies, [(p.body, p.role, p.link) for p in h.posts]) for h in holders] == [
        ("m1", 2, [("oc1", "member", "HOLDS_POST"), ("pb1", "committee_member", "HOLDS_POST")]),
        ("o1", 2, [("co1", "客服专员", "EMPLOYED_BY"), ("oc1", "member", "HOLDS_POST")]),
        ("s1", 2, [("oc1", "chair", "HOLDS_POST"), ("pb1", "secretary", "HOLDS_POST")]),
        ("s2", 2, [("oc2", "member", "HOLDS_POST"), ("pb2", "secretary", "HOLDS_POST")]),
        ("x", 2, [("oc1", "member", "HOLDS_POST"), ("oc2", "member", "HOLDS_POST")]),
    ]
    s1 = holders[2].posts[1]
    assert (s1.body_kind, s1.body_name, s1.since, s1.until) == (
        "PartyBranch",
        "pb1党支部",
        D(2021, 1, 5),
        None,
    )
    # within c2 only x's seat there counts, so x holds one post
    assert [h.person for h in multi_post_holders(g, "c2")] == ["s2"]
    assert [h.person for h in multi_post_holders(g, min_bodies=3)] == []
    assert [h.person for h in multi_post_holders(g, link_kinds=["HOLDS_POST"])] == [
        "m1",
        "s1",
        "s2",
        "x",
    ]


def test_conflicts_of_interest(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    (c,) = conflicts_of_interest(g)
    assert (c.person, c.committee, c.compound, c.company, c.seat_role, c.job_role) == (
        "o1",
        "oc1",
        "c1",
        "co1",
        "member",
        "客服专员",
    )
    assert (c.committee_name, c.company_name) == ("oc1业委会", "示例co1物业")
    assert conflicts_of_interest(g, "comm2") == []
    # the rule O5 reads the same list
    o5 = [f.subject for f in run_rules(g, as_of=AS_OF) if f.rule == "O5"]
    assert o5 == [c.person for c in conflicts_of_interest(g)]


def test_interlocks(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    assert [(i.a, i.b, i.shared, i.people) for i in interlocks(g)] == [
        ("oc1", "pb1", 2, ["m1", "s1"]),
        ("co1", "oc1", 1, ["o1"]),
        ("oc1", "oc2", 1, ["x"]),
        ("oc2", "pb2", 1, ["s2"]),
    ]
    (heavy,) = interlocks(g, min_shared=2)
    assert (heavy.a_kind, heavy.b_kind, heavy.b_name) == (
        "OwnersCommittee",
        "PartyBranch",
        "pb1党支部",
    )
    assert [(i.a, i.b) for i in interlocks(g, "c2")] == [("oc2", "pb2")]


def test_brokers(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    ranked = brokers(g)
    assert [b.node for b in ranked][:1] == ["x"]  # the only tie between the two compounds
    x = ranked[0]
    assert (x.kind, x.name, x.degree, x.constraint) == ("Person", None, 2, 0.5)
    e1 = next(b for b in ranked if b.node == "e1")
    assert (e1.degree, e1.betweenness, e1.constraint) == (1, 0.0, 1.0)
    # the pairs each lies between, of the 66 pairs of the 12 other nodes: x 24 (the six nodes on
    # c1's side by the four on c2's), o1 9 (co1 to the nine others of its component), s2 9 (pb2
    # likewise), m1 and s1 4 each (half of pb1's eight paths beyond oc1)
    assert [(b.node, round(66 * b.betweenness, 6)) for b in ranked] == [
        ("x", 24),
        ("o1", 9),
        ("s2", 9),
        ("m1", 4),
        ("s1", 4),
        ("ch2", 0),
        ("e1", 0),
    ]
    bodies = brokers(g, kinds=("OwnersCommittee",))
    assert [b.node for b in bodies] == ["oc1", "oc2"]
    sampled = brokers(g, k=4, seed=7, top=3)
    assert len(sampled) == 3 and sampled == brokers(g, k=4, seed=7, top=3)
    assert [b.node for b in brokers(g, "c2")] == ["s2", "ch2", "e1", "x"]


def nx_tie_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """The tie graph as ``brokers`` describes it, built with NetworkX alone: people and the
    bodies they hold a post in or work for, an edge weighted by the number of such links,
    inserted in id order."""
    weight = Counter(
        (u, v)
        for u, v, kind in g.edges(data="kind")
        if kind in TIE_LINKS
        if g.nodes[u]["kind"] == "Person"
    )
    tie = nx.Graph()
    tie.add_nodes_from(sorted({n for pair in weight for n in pair}))
    tie.add_weighted_edges_from((u, v, w) for (u, v), w in sorted(weight.items()))
    return tie


def assert_networkx_measures(g: nx.MultiDiGraph, k: int | None, seed: int) -> None:
    """``brokers`` (computed with igraph) answers what NetworkX's own functions answer on the
    same tie graph: betweenness with the same sample, Burt's constraint, the degree, and the
    ranking they give (every node kind ranked)."""
    tie = nx_tie_graph(g)
    # NetworkX refuses more sources than nodes; brokers computes it exactly then
    sample = k if k is not None and k < len(tie) else None
    between = nx.betweenness_centrality(tie, k=sample, seed=seed)
    constraint = nx.constraint(tie, weight="weight")
    kinds = {kind for _, kind in g.nodes(data="kind")}
    ranked = brokers(g, kinds=kinds, k=k, seed=seed)
    # the sums are added in another order: equal to the last bits, so ranked as NetworkX ranks
    assert [b.node for b in ranked] == sorted(tie, key=lambda n: (-between[n], n))
    for b in ranked:
        assert b.betweenness == pytest.approx(between[b.node], rel=1e-12, abs=1e-15)
        assert b.constraint == pytest.approx(constraint[b.node], rel=1e-12)
        assert (b.degree, b.kind) == (tie.degree(b.node), g.nodes[b.node]["kind"])


@pytest.mark.parametrize(("k", "seed"), [(None, 0), (4, 7), (12, 1), (50, 3)])
def test_brokers_are_networkx_measures(
    store: GraphStore, run: Run, k: int | None, seed: int
) -> None:
    # k=12 of 13 nodes samples all but one; k=50 is more than there are: exact
    assert_networkx_measures(ties_graph(store, run), k, seed)


def test_communities(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    found = communities(g, seed=1)
    groups = [set(c.organizations) | set(c.people) for c in found]
    assert sorted(len(s) for s in groups) == sorted(c.size for c in found)
    assert {"co2", "e1"} in groups  # a company tied to nothing else
    home = {n: i for i, s in enumerate(groups) for n in s}
    assert home["pb1"] == home["oc1"] == home["s1"] == home["m1"]
    assert home["pb2"] == home["oc2"] == home["s2"] == home["ch2"]
    assert home["pb1"] != home["pb2"]
    assert found == communities(g, seed=1)
    assert [c.index for c in found] == list(range(len(found)))
    assert [c.size for c in found] == sorted((c.size for c in found), reverse=True)
    within = communities(g, "c2", seed=1)
    assert {n for c in within for n in c.organizations + c.people} == {
        "oc2",
        "pb2",
        "co2",
        "s2",
        "ch2",
        "x",
        "e1",
    }


def test_ego_network(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    ego = ego_network(g, "x", 1, link_kinds=TIE_LINKS)
    assert [(n.id, n.kind, n.distance) for n in ego.nodes] == [
        ("x", "Person", 0),
        ("oc1", "OwnersCommittee", 1),
        ("oc2", "OwnersCommittee", 1),
    ]
    assert [(lk.source, lk.target, lk.role) for lk in ego.links] == [
        ("x", "oc1", "member"),
        ("x", "oc2", "member"),
    ]
    two = ego_network(g, "x", 2, link_kinds=TIE_LINKS)
    assert [n.id for n in two.nodes if n.distance == 2] == ["ch2", "m1", "o1", "s1", "s2"]
    assert len(two.links) == 7
    everything = ego_network(g, "c1", 1)
    assert {n.kind for n in everything.nodes} >= {"Compound", "PartyBranch", "OwnersCommittee"}
    assert "comm" in [n.id for n in everything.nodes]
    assert [n.id for n in ego_network(g, "x", 1, link_kinds=TIE_LINKS, scope="comm2").nodes] == [
        "x",
        "oc2",
    ]
    with pytest.raises(NotFoundError):
        ego_network(g, "nobody")


def test_shortest_path(store: GraphStore, run: Run) -> None:
    g = ties_graph(store, run)
    path = shortest_path(g, "pb1", "pb2", TIE_LINKS)
    assert path is not None
    assert [n.id for n in path.nodes] == ["pb1", "m1", "oc1", "x", "oc2", "s2", "pb2"]
    assert [n.distance for n in path.nodes] == list(range(7))
    assert [(lk.source, lk.target, lk.kind) for lk in path.links] == [
        ("m1", "pb1", "HOLDS_POST"),
        ("m1", "oc1", "HOLDS_POST"),
        ("x", "oc1", "HOLDS_POST"),
        ("x", "oc2", "HOLDS_POST"),
        ("s2", "oc2", "HOLDS_POST"),
        ("s2", "pb2", "HOLDS_POST"),
    ]
    assert shortest_path(g, "pb1", "co2", TIE_LINKS) is None  # co2 only employs e1
    short = shortest_path(g, "c1", "c2")  # any link: through the place hierarchy
    assert short is not None and len(short.links) == 4  # up to the township and down
    with pytest.raises(NotFoundError):
        shortest_path(g, "pb1", "nobody")


def test_project_selects_what_analytics_read(store: GraphStore, run: Run) -> None:
    city = ties_city()
    city.add("Dispute", "d1", topic="噪音")
    city.rel("ABOUT", "d1", "c1")
    city.rel("MEDIATED_BY", "d1", "oc1")
    run(city.write(store))
    history = run(project(store))
    today = run(project(store, AS_OF))
    assert "d1" not in history and history.has_edge("f1", "oc1")
    assert not today.has_edge("f1", "oc1")
    assert sorted(today.edges(keys=True)) == sorted(at(history, AS_OF).edges(keys=True))
    assert at(today, AS_OF) is today  # nothing to cut


# --- the cache -----------------------------------------------------------------------------------
def test_cache_follows_the_embedded_store_version(run: Run) -> None:
    store = EmbeddedStore()
    run(store.upsert(ties_city().nodes.values(), ties_city().links))
    cache = AnalyticsCache(store)
    first = run(cache.index())
    assert run(cache.index()) is first
    assert cache.stats.builds == 1
    run(store.upsert([node("Compound", "c9")], [link("PART_OF", "c9", "comm")]))
    after = run(cache.index())  # our own write: applied to the index, not re-read
    assert after.number("c9") >= 0 and (cache.stats.builds, cache.stats.patches) == (1, 1)
    cache.invalidate()
    run(cache.index())
    assert cache.stats.builds == 2


def test_cache_with_a_version_callable_or_a_ttl(store: GraphStore, run: Run) -> None:
    run(ties_city().write(store))
    version: list[Hashable] = [1]
    cache = AnalyticsCache(store, version=lambda: version[0])
    run(cache.index())
    run(cache.index())
    assert (cache.stats.builds, cache.stats.hits) == (1, 1)
    version[0] = 2
    run(cache.index())
    assert cache.stats.builds == 2
    now = [0.0]
    timed = AnalyticsCache(store, ttl=60, clock=lambda: now[0])
    run(timed.index())
    now[0] = 59.0
    run(timed.index())
    assert timed.stats.builds == 1
    now[0] = 61.0
    run(timed.index())
    assert timed.stats.builds == 2


def test_cache_needs_a_way_to_see_changes() -> None:
    class Opaque:  # a store with no version attribute (a Neo4j store, a role view, ...)
        pass

    with pytest.raises(TypeError, match="version"):
        AnalyticsCache(Opaque())  # type: ignore[arg-type]  # deliberately not a GraphStore


# --- the demo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_today(run: Run) -> nx.MultiDiGraph:
    store = EmbeddedStore()
    run(load_demo(store))
    g: nx.MultiDiGraph = run(project(store, SNAPSHOT))
    return g


@pytest.mark.parametrize(("k", "seed"), [(None, 0), (200, 1), (20, 5)])
def test_demo_brokers_are_networkx_measures(
    demo_today: nx.MultiDiGraph, k: int | None, seed: int
) -> None:
    assert_networkx_measures(demo_today, k, seed)


def test_demo_ties(demo_today: nx.MultiDiGraph) -> None:
    g = demo_today
    rows = cross_appointments(g)
    with_committee = [r for r in rows if r.committees and r.branches]
    chaired = [r for r in with_committee if r.secretary_chairs]
    assert len(with_committee) == 44 and len(chaired) == 24  # the secretary chairs in most
    conflicts = conflicts_of_interest(g)
    o5 = [f for f in run_rules(g, as_of=SNAPSHOT) if f.rule == "O5"]
    assert [c.person for c in conflicts] == [f.subject for f in o5] and len(conflicts) == 3
    holders = multi_post_holders(g)
    assert holders and all(h.bodies >= 2 for h in holders)
    assert {p.body_kind for h in holders for p in h.posts} >= {
        "PartyBranch",
        "OwnersCommittee",
        "PropertyCompany",
    }
    locks = interlocks(g)
    assert locks[0].shared >= locks[-1].shared >= 1
    top = brokers(g, k=200, seed=1, top=10)
    assert len(top) == 10 and top == brokers(g, k=200, seed=1, top=10)
    assert all(b.betweenness > 0 and b.constraint is not None for b in top)
    groups = communities(g, seed=1)
    tied = {n for u, v, k in g.edges(data="kind") if k in TIE_LINKS for n in (u, v)}
    assert sum(c.size for c in groups) == len(tied) and len(groups) > 1
    path = shortest_path(g, "pb-01", "co-01", TIE_LINKS)
    assert path is None or path.links[0].kind in TIE_LINKS
