"""The analytics index read from a store in columns holds what the projection's index holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from index_contents import contents

from govgraph.graph.analytics.cache import AnalyticsCache
from govgraph.graph.analytics.columns import build_scanned, columns_of, index_spec
from govgraph.graph.analytics.examples import AS_OF, tiny_city_records
from govgraph.graph.analytics.projection import project
from govgraph.graph.analytics.rules import run_rules
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import ForbiddenError
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore
from govgraph.graph.privacy import Role, RoleView
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]


def _both(store: GraphStore, run: Run) -> tuple[Any, Any]:
    scanned = build_scanned(run(store.scan(index_spec())))
    projected = columns_of(run(project(store)))
    return scanned, projected


def test_the_scanned_index_equals_the_projections_on_each_store(
    store: GraphStore, run: Run
) -> None:
    nodes, links = tiny_city_records()
    run(store.upsert(nodes, links))
    # what a projection leaves out: a link to a kind the analytics do not read, a keyed link
    run(store.upsert([node("Dispute", "d1", topic="停车")], [link("ABOUT", "d1", "c1")]))
    run(store.upsert([], [link("HOLDS_POST", "p2", "pb1", key="2020", role="secretary")]))
    scanned, projected = _both(store, run)
    assert contents(scanned) == contents(projected)
    assert scanned.size == projected.size > 0


def test_the_scanned_index_of_the_demo_answers_as_the_projection(run: Run) -> None:
    store = EmbeddedStore()
    run(load_demo(store))
    scanned, projected = _both(store, run)
    assert contents(scanned) == contents(projected)


def test_the_cache_reads_its_index_in_columns_and_patches_it_for_own_writes(
    store: GraphStore, run: Run
) -> None:
    nodes, links = tiny_city_records()
    run(store.upsert(nodes, links))
    cache = AnalyticsCache(store)
    first = run(cache.index())
    assert store.stats.by_operation.get("projection", 0) == 0  # no NetworkX projection read
    assert run(cache.index()) is first and cache.stats.builds == 1
    assert contents(first) == contents(build_scanned(run(store.scan(index_spec()))))

    run(store.upsert([], [link("MEMBER_OF", "p9", "pg1", status="full")]))
    after = run(cache.index())
    assert after is not first and cache.stats.patches == 1 and cache.stats.builds == 1
    assert contents(after) == contents(build_scanned(run(store.scan(index_spec()))))
    assert run_rules(after, as_of=AS_OF) == run_rules(run(project(store)), as_of=AS_OF)


def test_only_the_department_reads_the_store_in_columns(run: Run) -> None:
    store = EmbeddedStore()
    nodes, links = tiny_city_records()
    run(store.upsert(nodes, links))
    spec = index_spec()
    for role in (Role.RESEARCHER, Role.PUBLIC):
        with pytest.raises(ForbiddenError, match="may not read the store in columns"):
            run(RoleView(store, role, b"secret").scan(spec))
    seen = run(RoleView(store, Role.DEPARTMENT, b"secret").scan(spec))
    assert contents(build_scanned(seen)) == contents(build_scanned(run(store.scan(spec))))
