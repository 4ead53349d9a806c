"""Versions of the analytics projection come and go with the writes: a dropped version (its graph,
its day views, their indexes) must be freed, by reference counting alone, even while the host
freezes versions out of the garbage collector's sight (as the service's policy does,
``api/gc_policy.py``). How much the heap grows over many versions is measured by
``bench/analytics_bench.py --versions-heap``."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import networkx as nx
import pytest

from govgraph.graph.analytics import (
    AnalyticsCache,
    _heap,
    at,
    brokers,
    conflicts_of_interest,
    cross_appointments,
    interlocks,
    run_rules,
)
from govgraph.graph.analytics._facts import facts_of
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import Link, link
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture(params=[False, True], ids=["plain", "frozen"])
def freeze(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Run once as a host without a policy would, once freezing each version (as the service
    does); put the process back."""
    yield bool(request.param)
    gc.unfreeze()


def _toggle(g: nx.MultiDiGraph) -> Link:
    """A membership the demo set lacks: a person not in some branch, and that branch."""
    f = facts_of(at(g, SNAPSHOT))
    branch = f.ids("PartyBranch")[0]
    person = next(p for p in f.ids("Person") if p not in f.members(branch))
    return link("MEMBER_OF", person, branch, status="full", since=dt.date(2020, 1, 1))


def _use(cache: AnalyticsCache, run: Run) -> None:
    """What a service does with a version: the rules, and the tie analyses on the day view."""
    g = run(cache.history())
    run_rules(g, as_of=SNAPSHOT)
    day = run(cache.graph(SNAPSHOT))
    cross_appointments(day)
    conflicts_of_interest(day)
    interlocks(day)
    brokers(day, k=5, top=3)


def _write(store: EmbeddedStore, lk: Link, i: int, run: Run) -> None:
    run(store.apply(WriteBatch(links=[lk]) if i % 2 == 0 else WriteBatch(delete_links=[lk.id])))


def test_dropped_versions_are_freed_by_reference_counting(
    demo: EmbeddedStore, run: Run, freeze: bool
) -> None:
    cache = AnalyticsCache(demo)
    if freeze:
        cache.add_version_listener(gc.freeze)
    lk = _toggle(run(cache.history()))
    kept: list[tuple[weakref.ref[nx.MultiDiGraph], weakref.ref[nx.MultiDiGraph]]] = []
    gc.collect()
    gc.disable()  # only reference counting may free anything from here on
    try:
        for i in range(6):
            _use(cache, run)
            g, day = run(cache.history()), run(cache.graph(SNAPSHOT))
            kept.append((weakref.ref(g), weakref.ref(day)))
            del g, day
            _write(demo, lk, i, run)
        _use(cache, run)
        cache.invalidate()  # a rebuild drops the patched version too
        _use(cache, run)
        alive = [(g() is not None, d() is not None) for g, d in kept]
    finally:
        gc.enable()
    assert (cache.stats.builds, cache.stats.patches) == (2, 6)
    assert alive == [(False, False)] * len(kept)


def test_an_index_outliving_its_graph_still_reads_the_same_data(run: Run) -> None:
    """The memo holds the graph weakly (a strong hold would keep every version alive); a reader
    that kept only the index still sees the same nodes and links."""
    from govgraph.graph.analytics.examples import tiny_city

    g = nx.freeze(tiny_city())
    facts = facts_of(g)
    nodes = dict(g.nodes(data=True))
    edges = sorted((u, v, k) for u, v, k in g.edges(keys=True))
    ref = weakref.ref(g)
    _heap.uncycle(g)  # what the cache does to a version it drops (g.edges points back at g)
    del g
    assert ref() is None  # the memo did not keep it, and reference counting freed it
    assert dict(facts.graph.nodes(data=True)) == nodes
    assert sorted((u, v, k) for u, v, k in facts.graph.edges(keys=True)) == edges
    assert nx.is_frozen(facts.graph)
    assert facts.secretary("pb1") == "p1"
