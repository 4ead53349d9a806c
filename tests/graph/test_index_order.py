"""Lists sorted by an indexed property (``cypher.index_order``). By ``name``: Neo4j reads the
nodes having a name in the index's order and, only when they do not fill the page, those
without one; both stores give every node once, in the port's order (missing names last in
both directions), page after page, with a filter, a total, a tree. By ``id`` (the default
order): Neo4j reads the kind's id index in order, for a page and for a filtered total."""

from __future__ import annotations

from typing import Any

import pytest
from builders import Run, expected_order, plan_operators

from govgraph.graph.expand import Hop, PageKey
from govgraph.graph.model import Node, link, node
from govgraph.graph.port import GraphStore
from govgraph.graph.query import Cmp, Direction, Filter, Op, SortKey


def compounds(n: int = 17) -> list[Node]:
    """Every third without a name, some names twice (ties broken by id)."""
    out: list[Node] = []
    for i in range(n):
        props: dict[str, Any] = {"households": 100 + (i % 3) * 100}
        if i % 3:
            props["name"] = f"示例小区{i % 5}"
        out.append(node("Compound", f"cmp-{(i * 7) % n:02d}-{i}", **props))
    return out


SORTS = {
    "name": (SortKey("name"),),
    "name desc": (SortKey("name", True),),
    "name, households desc": (SortKey("name"), SortKey("households", True)),
}
FILTERS: dict[str, Filter | None] = {
    "none": None,
    "households": Cmp("households", Op.LTE, 200),  # named and nameless
    "named ones only": Cmp("households", Op.EQ, 200),  # i % 3 == 1: all named
    "nameless only": Cmp("households", Op.EQ, 100),
}


def walk(store: GraphStore, run: Run, first: int, **args: Any) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        page = run(store.list_nodes("Compound", first=first, after=after, **args))
        out += [n.id for n in page.items]
        if not page.has_next:
            return out
        assert len(page.items) == first
        after = page.end_cursor


@pytest.mark.parametrize("where", list(FILTERS))
@pytest.mark.parametrize("sort", list(SORTS))
def test_pages_by_name_give_every_node_once_in_order(
    store: GraphStore, run: Run, sort: str, where: str
) -> None:
    nodes = compounds()
    run(store.upsert(nodes))
    f = FILTERS[where]
    matching = [n for n in nodes if f is None or _passes(n, f)]
    expected = expected_order(matching, SORTS[sort])
    assert expected
    for first in (1, 2, 5, 100):
        assert walk(store, run, first, where=f, order_by=SORTS[sort]) == expected, first
    page = run(store.list_nodes("Compound", where=f, order_by=SORTS[sort], with_total=True))
    assert (page.total, [n.id for n in page.items]) == (len(expected), expected)


def _passes(n: Node, f: Filter) -> bool:
    assert isinstance(f, Cmp)
    value = n.props["households"]
    return bool(value <= f.value if f.op is Op.LTE else value == f.value)


@pytest.mark.neo4j
def test_neo4j_a_tree_below_a_page_by_name(neo4j_store: GraphStore, run: Run) -> None:
    """The page and its links in one statement (``list_expanded``: Neo4j's only)."""
    from govgraph.graph.neo4j_store import Neo4jStore

    assert isinstance(neo4j_store, Neo4jStore)
    run(neo4j_store.clear())
    nodes = compounds()
    branch = node("PartyBranch", "pb-1", name="示例党支部")
    covered = nodes[::2]
    run(neo4j_store.upsert([*nodes, branch], [link("COVERS", branch.id, n.id) for n in covered]))
    hop = Hop(PageKey("COVERS", Direction.IN, None, 2))
    keys = (SortKey("name", True),)
    page, pages = run(neo4j_store.list_expanded("Compound", (hop,), order_by=keys, first=8))
    assert [n.id for n in page.items] == expected_order(nodes, keys)[:8]
    for n in page.items:
        below = [nb.node.id for nb in pages[(hop.page, n.id)].items]
        assert below == (["pb-1"] if n in covered else [])


def sent(store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch, **args: Any) -> list[str]:
    """The plan's operators of the one statement ``list_nodes(**args)`` sends (Neo4j)."""
    from govgraph.graph.neo4j_store import Neo4jStore

    assert isinstance(store, Neo4jStore)
    statements: list[tuple[str, dict[str, Any]]] = []
    read = Neo4jStore._run_read

    async def kept(self: Neo4jStore, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        statements.append((text, params))
        return await read(self, text, params)

    with monkeypatch.context() as m:
        m.setattr(Neo4jStore, "_run_read", kept)
        run(store.list_nodes("Compound", **args))
    ((text, params),) = statements
    ops: list[str] = run(plan_operators(store, text, params))
    return ops


@pytest.mark.neo4j
def test_neo4j_reads_a_page_by_name_in_the_index_order(
    neo4j_store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/reference.py's ``filtered`` at 2,000 compounds: 6,464 db hits sorting every match,
    240 reading the name index in order; the nodes without a name only when the page is short."""
    run(neo4j_store.clear())
    run(neo4j_store.upsert(compounds(200)))
    where, keys = FILTERS["households"], SORTS["name"]
    ops = sent(neo4j_store, run, monkeypatch, where=where, order_by=keys, first=5)
    assert "NodeIndexScan" in ops and "PartialTop" in ops, ops


@pytest.mark.neo4j
@pytest.mark.parametrize("total", [False, True], ids=["page", "filtered total"])
def test_neo4j_reads_a_page_by_id_in_the_index_order(
    neo4j_store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch, total: bool
) -> None:
    """The first 100 people by id at 2,000 compounds: 443,454 db hits through every person,
    45 through the id index; a filtered total's nodes are collected in its order (no sort)."""
    run(neo4j_store.clear())
    run(neo4j_store.upsert(compounds(200)))
    where = FILTERS["households"]
    ops = sent(neo4j_store, run, monkeypatch, where=where, first=5, with_total=total)
    assert "NodeIndexScan" in ops and "NodeByLabelScan" not in ops, ops
    assert "Sort" not in ops, ops
