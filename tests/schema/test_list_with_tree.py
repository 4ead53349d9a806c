"""A page of a list and the tree of link pages below it in one call (``ListsWithTree``: one
statement on Neo4j) answers what ``list_nodes`` and then ``expand`` of the page's ids answer:
the same page, cursors and total, and the same link pages (order, totals, ``has_next``), with a
filter, a sort by a property or by a count of links, a cursor, a day, and hops that apply to
some kinds only. On the embedded store (no such call) the role view asks those two ways."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from govgraph.graph.expand import EdgeSort, Hop, LinkMatch, PageKey, Wanted, lists_with_tree
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.privacy import Role, RoleView
from govgraph.graph.query import Cmp, Direction, LinkCount, OfKind, Op, SortKey

if TYPE_CHECKING:
    from conftest import Gql

IN, OUT = Direction.IN, Direction.OUT
DAY = dt.date(2021, 5, 31)

#: compounds → Party branches → post holders (by role, descending) and their employers
BRANCHES = Hop(
    PageKey("COVERS", IN, None, 3),
    None,
    (
        Hop(
            PageKey("HOLDS_POST", IN, None, 2, order=(EdgeSort("role", True, True),)),
            frozenset({"PartyBranch"}),
            (Hop(PageKey("EMPLOYED_BY", OUT, None, 1)),),
        ),
    ),
)
#: a community's parts that are compounds with a building, and their buildings
PARTS = Hop(
    PageKey("PART_OF", IN, DAY, 5, where=LinkMatch(None, (OfKind("Compound"),))),
    None,
    (Hop(PageKey("PART_OF", IN, DAY, 2), frozenset({"Compound"})),),
)

CASES: list[tuple[str, dict[str, Any], tuple[Hop, ...]]] = [
    ("Compound", {"order_by": (SortKey("name"),), "first": 5}, (BRANCHES,)),
    (
        "Compound",
        {
            "order_by": (SortKey(LinkCount("PART_OF", IN, "Building"), descending=True),),
            "first": 4,
            "with_total": True,
        },
        (BRANCHES, PARTS),
    ),
    ("Community", {"first": 3, "as_of": DAY, "with_total": True}, (PARTS,)),
    (
        "PartyBranch",
        {"where": Cmp("form", Op.EQ, "standalone"), "first": 2},
        (BRANCHES.below[0],),
    ),
    ("Compound", {"where": Cmp("name", Op.EQ, "no such compound")}, (BRANCHES,)),
    # read through the name index on Neo4j, with the count store's total
    ("Compound", {"order_by": (SortKey("name", True),), "first": 3, "with_total": True}, (PARTS,)),
]


def _shown(page: Any, pages: dict[Any, Any]) -> tuple[Any, ...]:
    return (
        [n.id for n in page.items],
        page.cursors,
        page.has_next,
        page.total,
        {
            (key.kind, key.first, node): (
                p.total,
                p.has_next,
                [(nb.link.id, nb.node.id, nb.link.props.get("role")) for nb in p.items],
            )
            for (key, node), p in pages.items()
        },
    )


async def _both_ways(
    store: Any, kind: str, args: dict[str, Any], hops: tuple[Hop, ...]
) -> tuple[Any, Any]:
    wanted = Wanted(frozenset({"name"}), frozenset({"role"}))
    page, pages = await store.list_expanded(kind, hops, wanted=wanted, **args)
    one = _shown(page, pages)
    alone = await store.list_nodes(kind, wanted=wanted, **args)
    tree = await store.expand([n.id for n in alone.items], hops, wanted) if alone.items else {}
    return one, _shown(alone, tree)


@pytest.mark.parametrize(("kind", "args", "hops"), CASES, ids=range(len(CASES)))
def test_one_call_answers_as_the_list_and_then_the_tree(
    demo: Gql, kind: str, args: dict[str, Any], hops: tuple[Hop, ...]
) -> None:
    view = RoleView(demo.store, Role.DEPARTMENT, b"s")
    one, two = demo.call(_both_ways, view, kind, args, hops)
    assert one == two
    first = args.get("first", 100)
    if first > 2 and one[0]:
        # and the page after the first node, from its cursor
        after = {**args, "after": one[1][0]}
        one, two = demo.call(_both_ways, view, kind, after, hops)
        assert one == two


def test_only_the_neo4j_store_lists_with_its_tree(demo: Gql) -> None:
    assert lists_with_tree(demo.store) == isinstance(demo.store, Neo4jStore)
    assert lists_with_tree(RoleView(demo.store, Role.RESEARCHER, b"s"))


def test_one_round_trip_on_neo4j(demo: Gql) -> None:
    view = RoleView(demo.store, Role.DEPARTMENT, b"s")
    before = dict(demo.stats.by_operation)
    demo.call(lambda: view.list_expanded("Compound", (BRANCHES, PARTS), first=10))
    after = demo.stats.by_operation
    delta = {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}
    if demo.store_kind == "neo4j":
        assert delta == {"list_nodes": 1}, delta  # the page and both trees, one statement
    else:
        assert delta["list_nodes"] == 1, delta  # then the trees, one hop at a time
