"""Bounded round trips: the number of store queries a GraphQL request makes depends on the depth
of the query, not on how many rows it returns (the per-request DataLoaders batch every level).

Each test seeds graphs of growing size on the same app, runs the same nested query of depth 3
on each, and compares ``store.stats.queries`` deltas: they must be the same for every size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Gql, ScaledGraph


@dataclass(frozen=True)
class Shape:
    """A nested query, its variables for a size, and how many rows it returns at each level."""

    query: str
    variables: Callable[[int], dict[str, Any] | None]
    rows: Callable[[dict[str, Any]], tuple[int, ...]]


def _no_variables(_: int) -> dict[str, Any] | None:
    return None


def _compound_rows(compounds: list[dict[str, Any]]) -> tuple[int, ...]:
    branches = [e["node"] for c in compounds for e in c["coveredBy"]["edges"]]
    holders = [e["node"] for b in branches for e in b["postHolders"]["edges"]]
    return len(compounds), len(branches), len(holders)


def _connection_rows(data: dict[str, Any]) -> tuple[int, ...]:
    return _compound_rows([e["node"] for e in data["compounds"]["edges"]])


def _nodes_rows(data: dict[str, Any]) -> tuple[int, ...]:
    return _compound_rows(data["nodes"])


def _branch_rows(data: dict[str, Any]) -> tuple[int, ...]:
    branches = [e["node"] for e in data["partyBranches"]["edges"]]
    compounds = [e["node"] for b in branches for e in b["covers"]["edges"]]
    places = [e["node"] for c in compounds for e in c["partOf"]["edges"]]
    members = [e["node"] for b in branches for e in b["members"]["edges"]]
    return len(branches), len(compounds), len(places), len(members)


#: compounds → coveredBy → postHolders → node, from the compounds connection
COMPOUNDS_BRANCHES_POSTS = Shape(
    """
    {
      compounds(first: 100) {
        totalCount
        edges { node { id name coveredBy(first: 5) { edges { node { id ... on PartyBranch {
          name postHolders(first: 5) { edges {
            role since node { id ... on Person { name phone } }
          } }
        } } } } } }
      }
    }
    """,
    _no_variables,
    _connection_rows,
)

#: the same depth from node lookups by id (the id list grows with the size)
NODES_BRANCHES_POSTS = Shape(
    """
    query ($ids: [ID!]!) {
      nodes(ids: $ids) { id ... on Compound {
        coveredBy(first: 5) { edges { node { ... on PartyBranch {
          postHolders(first: 5) { edges { node { id } } }
        } } } }
      } }
    }
    """,
    lambda n: {"ids": [f"Compound:cmp-s{i:03d}" for i in range(n)]},
    _nodes_rows,
)

#: partyBranches → covers → partOf, plus a sibling list (members) at the second level
BRANCHES_COMPOUNDS_PLACES = Shape(
    """
    {
      partyBranches(first: 100) {
        edges { node {
          covers(first: 5) { edges { node { id ... on Compound {
            partOf(first: 5) { edges { node { id } } }
          } } } }
          members(first: 5) { edges { status node { id } } }
        } }
      }
    }
    """,
    _no_variables,
    _branch_rows,
)

#: the same, sorted by a count of links: the counts are part of the one list query
COMPOUNDS_BY_COUNT = Shape(
    COMPOUNDS_BRANCHES_POSTS.query.replace(
        "compounds(first: 100)",
        "compounds(first: 100, orderBy: [{linkCount: {kind: COVERS, direction: IN}, "
        "direction: DESC}])",
    ),
    _no_variables,
    _connection_rows,
)

SHAPES = {
    "compounds-coveredBy-postHolders": COMPOUNDS_BRANCHES_POSTS,
    "compounds-by-count-coveredBy-postHolders": COMPOUNDS_BY_COUNT,
    "nodes-coveredBy-postHolders": NODES_BRANCHES_POSTS,
    "partyBranches-covers-partOf": BRANCHES_COMPOUNDS_PLACES,
}


def _queries_for(
    gql: Gql, scaled: ScaledGraph, shape: Shape, size: int, role: str
) -> tuple[int, tuple[int, ...]]:
    gql.clear()
    gql.seed(*scaled(size))
    before = gql.stats.queries
    data = gql.data(shape.query, shape.variables(size), key=gql.keys[role])
    return gql.stats.queries - before, shape.rows(data)


@pytest.mark.parametrize("role", ["department", "researcher"])
@pytest.mark.parametrize("shape_name", list(SHAPES))
def test_store_queries_do_not_grow_with_the_result(
    gql: Gql, scaled: ScaledGraph, sizes: tuple[int, ...], shape_name: str, role: str
) -> None:
    shape = SHAPES[shape_name]
    by_size = {n: _queries_for(gql, scaled, shape, n, role) for n in sizes}

    # the graphs really grow at every level (the test is not vacuous)
    for n, (_, rows) in by_size.items():
        assert rows[0] == n, (n, rows)
        assert all(r >= n for r in rows), (n, rows)
    queries = {n: q for n, (q, _) in by_size.items()}
    assert len(set(queries.values())) == 1, (
        f"{gql.store_kind}: store queries per size {queries} vary with the result size; "
        "they must depend on the query depth only (DataLoader batching)"
    )
    # one round trip per level, plus the root's count: a small constant
    assert 0 < queries[sizes[0]] <= 5, queries


def test_depth_adds_queries_but_size_does_not(
    gql: Gql, scaled: ScaledGraph, sizes: tuple[int, ...]
) -> None:
    """On the embedded store each level of nesting costs one more round trip; on Neo4j the
    levels below the first link field cost none; whatever the size."""
    levels = [
        "{ compounds(first: 100) { edges { node { id } } } }",
        """{ compounds(first: 100) { edges { node {
             coveredBy(first: 5) { edges { node { id } } } } } } }""",
        """{ compounds(first: 100) { edges { node { coveredBy(first: 5) { edges { node {
             ... on PartyBranch { postHolders(first: 5) { edges { node { id } } } }
           } } } } } } }""",
    ]
    per_size: dict[int, list[int]] = {}
    for n in sizes:
        gql.clear()
        gql.seed(*scaled(n))
        counts = []
        for q in levels:
            before = gql.stats.queries
            gql.data(q)
            counts.append(gql.stats.queries - before)
        per_size[n] = counts
    first = per_size[sizes[0]]
    assert all(c == first for c in per_size.values()), per_size
    if gql.store_kind == "neo4j":
        # the list and the link levels below it are one compiled statement, however deep
        assert first == [1, 1, 1], first
    else:
        assert first == sorted(first) and len(set(first)) == len(first), first


def test_each_level_is_one_round_trip_at_every_size(
    gql: Gql, scaled: ScaledGraph, graph_size: int
) -> None:
    """At each size on its own: the depth-3 query is one list, one count and one neighbour
    batch per nested level, exactly."""
    gql.seed(*scaled(graph_size))
    before = dict(gql.stats.by_operation)
    data = gql.data(COMPOUNDS_BRANCHES_POSTS.query)
    assert _connection_rows(data) == (graph_size, graph_size, 2 * graph_size)
    assert data["compounds"]["totalCount"] == graph_size
    after = gql.stats.by_operation
    delta = {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}
    # the page and its totalCount are one statement (on Neo4j with the tree below it)
    assert delta == gql.list_ops(2), delta
