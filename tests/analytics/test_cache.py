"""The analytics cache keeps up with this process's own writes by patching the index it holds;
the patched index must equal a fresh one read from the store."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx
import pytest
from index_contents import contents
from test_ties import AS_OF, ties_city

from govgraph.graph import neo4j_store
from govgraph.graph.analytics import AnalyticsCache, project, run_rules
from govgraph.graph.analytics.columns import build_scanned, index_spec
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore, WriteBatch

Run = Callable[[Awaitable[Any]], Any]


def _plain(g: nx.MultiDiGraph) -> tuple[dict[str, Any], dict[str, Any]]:
    nodes = {n: dict(d) for n, d in g.nodes(data=True)}
    edges = {f"{u}>{v}>{k}": dict(d) for u, v, k, d in g.edges(keys=True, data=True)}
    return nodes, edges


def _fresh(store: GraphStore, run: Run) -> dict[str, Any]:
    """What an index read from the store now holds."""
    return contents(build_scanned(run(store.scan(index_spec()))))


def test_own_writes_are_patched_in_and_match_a_fresh_index(store: GraphStore, run: Run) -> None:
    run(ties_city().write(store))
    cache = AnalyticsCache(store)
    first = run(cache.index())
    held = contents(first)
    writes = [
        # a new person with a post, and a node kind the analytics do not read
        WriteBatch(
            nodes=[
                node("Person", "person-new", gender="female"),
                node("Dispute", "dispute-x"),
            ],
            links=[link("HOLDS_POST", "person-new", "pb1", role="committee_member")],
        ),
        # a property changed on a node (absent ones removed) and on a link (replaced)
        WriteBatch(
            nodes=[node("Compound", "c2", name="示例花园", households=321)],
            links=[link("HOLDS_POST", "person-new", "pb1", role="secretary", since="2023-01-01")],
        ),
        # a link deleted, a node deleted with its links
        WriteBatch(delete_links=[link("HOLDS_POST", "person-new", "pb1", role="secretary").id]),
        WriteBatch(delete_nodes=["oc2"]),
        WriteBatch(links=[link("MEMBER_OF", "s2", "pb1", status="full", since="2020-01-01")]),
    ]
    for w in writes:
        run(store.apply(w))
    patched = run(cache.index())
    assert (cache.stats.builds, cache.stats.patches) == (1, 1)
    assert patched is not first
    assert contents(patched) == _fresh(store, run)
    ids = patched.ids_of(range(patched.size))
    assert "person-new" in ids and "dispute-x" not in ids and "oc2" not in ids
    assert patched.name(patched.number("c2")) == "示例花园"
    # the first index is untouched: readers holding it keep a consistent graph
    assert contents(first) == held and "oc2" in first.ids_of(range(first.size))
    assert run(cache.index()) is patched and cache.stats.hits >= 1


def test_unseen_changes_and_bulk_writes_rebuild(store: GraphStore, run: Run) -> None:
    run(ties_city().write(store))
    cache = AnalyticsCache(store, max_patch=3)
    run(cache.index())
    run(store.clear())  # not a batch: the cache cannot patch it
    assert run(cache.index()).size == 0
    assert (cache.stats.builds, cache.stats.patches) == (2, 0)
    # more records than max_patch since the last build: read the store again
    run(store.upsert([node("Person", f"p{i}") for i in range(5)]))
    rebuilt = run(cache.index())
    assert (cache.stats.builds, cache.stats.patches) == (3, 0)
    assert rebuilt.size == 5
    run(store.upsert([node("Compound", "c1")], [link("RESIDES_IN", "p1", "c1")]))
    run(cache.index())
    assert (cache.stats.builds, cache.stats.patches) == (3, 1)
    assert contents(run(cache.index())) == _fresh(store, run)


def test_a_patched_index_keeps_no_older_version_alive(run: Run) -> None:
    """A patched index shares arrays with the one before it, never the object: once readers let
    an old version go, a collection frees it however many versions followed."""
    store = EmbeddedStore()
    run(ties_city().write(store))
    cache = AnalyticsCache(store)
    first = run(cache.index())
    run_rules(first, as_of=AS_OF)  # the day's answers kept, to be carried over the write
    old = weakref.ref(first)
    del first
    for i in range(3):
        run(store.upsert([node("Compound", f"c-new{i}")]))
        run_rules(run(cache.index()), as_of=AS_OF)
    assert cache.stats.patches == 3
    gc.collect()
    assert old() is None


def test_projection_read_in_small_pages_is_the_same(
    store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neo4j reads the projection in pages of node ids; page edges must lose nothing."""
    run(ties_city().write(store))
    whole = _plain(run(project(store)))
    monkeypatch.setattr(neo4j_store, "PROJECTION_PAGE", 3)
    assert _plain(run(project(store))) == whole
    assert len(whole[0]) > 3 * 4 and len(whole[1]) > 3
