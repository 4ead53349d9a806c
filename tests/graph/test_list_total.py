"""``list_nodes(..., with_total=True)``: the page is the same, and ``total`` is what
``count_nodes`` says for the filter, whatever the sort, the cursor or the page (both stores)."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import Run, city_graph, paging_compounds

from govgraph.graph.port import GraphStore
from govgraph.graph.query import (
    Cmp,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    Not,
    Op,
    SortKey,
)

FILTERS: dict[str, Filter | None] = {
    "none": None,
    "year": Cmp("built_year", Op.GTE, 1998),
    "no branch": HasLink("COVERS", Direction.IN, exists=False),
    "not old": Not(Cmp("is_old", Op.EQ, True)),
    "nothing": Cmp("name", Op.EQ, "no such name"),
}
SORTS: dict[str, tuple[SortKey, ...]] = {
    "id": (),
    "year desc": (SortKey("built_year", descending=True),),
    "branches": (SortKey(LinkCount("COVERS", Direction.IN), descending=True),),
}


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("name", list(FILTERS))
def test_total_is_the_count_and_the_pages_are_unchanged(
    store: GraphStore, run: Run, name: str, sort: str
) -> None:
    nodes, links = city_graph()
    run(store.upsert([*nodes, *paging_compounds()], links))
    where, keys = FILTERS[name], SORTS[sort]
    day = dt.date(2024, 1, 1)
    expected = run(store.count_nodes("Compound", where=where, as_of=day))
    after = None
    seen = 0
    while True:
        plain = run(
            store.list_nodes(
                "Compound", where=where, order_by=keys, first=4, after=after, as_of=day
            )
        )
        counted = run(
            store.list_nodes(
                "Compound",
                where=where,
                order_by=keys,
                first=4,
                after=after,
                as_of=day,
                with_total=True,
            )
        )
        assert plain.total is None
        assert counted.total == expected  # every page: the count ignores the cursor
        assert [n.id for n in counted.items] == [n.id for n in plain.items]
        assert (counted.has_next, counted.cursors) == (plain.has_next, plain.cursors)
        seen += len(counted.items)
        if not counted.has_next:
            break
        after = counted.end_cursor
    assert seen == expected
    if name == "nothing":
        assert expected == 0
    else:
        assert expected > 0


def test_one_round_trip_for_page_and_total(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    before = store.stats.queries
    page = run(store.list_nodes("Compound", first=2, with_total=True))
    assert store.stats.queries - before == 1
    assert page.total == 4 and len(page.items) == 2 and page.has_next
