"""A list asked again answers for its own values (both stores): Neo4j keeps the statements of
the lists asked recently, by the filter as checked (values coerced to their properties' types),
so a kept statement is never the answer to another value, or to one the check refuses."""

from __future__ import annotations

import pytest
from builders import Run, city_graph, paging_compounds

from govgraph.graph.errors import ValidationError
from govgraph.graph.port import GraphStore
from govgraph.graph.query import Cmp, Op, SortKey


def test_the_same_list_with_other_values_answers_for_them(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.upsert([*nodes, *paging_compounds()], links))
    by_year = (SortKey("built_year"), SortKey("id"))
    answers = {}
    for year in (1998, 2005, 1998, 2005):
        where = Cmp("built_year", Op.GTE, year)
        page = run(store.list_nodes("Compound", where=where, order_by=by_year, first=50))
        ids = [n.id for n in page.items]
        assert all(n.props["built_year"] >= year for n in page.items)
        assert len(ids) == run(store.count_nodes("Compound", where=where))
        assert answers.setdefault(year, ids) == ids  # asked again: the same answer
    assert len(answers[1998]) > len(answers[2005]) > 0


def test_a_value_the_check_refuses_is_refused_after_an_equal_one_was_answered(
    store: GraphStore, run: Run
) -> None:
    nodes, links = city_graph()
    run(store.upsert([*nodes, *paging_compounds()], links))
    run(store.list_nodes("Compound", where=Cmp("built_year", Op.EQ, 1), first=5))
    # True == 1 in Python, but a year is no Boolean: refused, not answered as the year 1
    with pytest.raises(ValidationError, match="whole number"):
        run(store.list_nodes("Compound", where=Cmp("built_year", Op.EQ, True), first=5))
    run(store.list_nodes("Compound", where=Cmp("is_old", Op.EQ, True), first=5))
    with pytest.raises(ValidationError, match="true or false"):
        run(store.list_nodes("Compound", where=Cmp("is_old", Op.EQ, 1), first=5))


def test_a_list_of_values_is_answered_as_its_tuple(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.upsert([*nodes, *paging_compounds()], links))
    years = [1998, 2005, 2010]
    listed = run(store.list_nodes("Compound", where=Cmp("built_year", Op.IN, years), first=50))  # type: ignore[arg-type]
    as_tuple = run(store.list_nodes("Compound", where=Cmp("built_year", Op.IN, tuple(years))))
    assert [n.id for n in listed.items] == [n.id for n in as_tuple.items]
    assert {n.props["built_year"] for n in listed.items} <= set(years)
