"""``list_nodes(..., with_total=True)``: the page is the same, and ``total`` is what
``count_nodes`` says for the filter, whatever the sort, the cursor, the page or the day (both
stores); on Neo4j a filtered page and its count are one pass over the nodes, and a has-a-link
condition with no day and no label to check reads the nodes' degrees (the plans, below)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from builders import Run, city_graph, paging_compounds, plan_operators

from govgraph.graph import cypher
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore
from govgraph.graph.query import (
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    Not,
    OfKind,
    Op,
    Or,
    Quantifier,
    Related,
    SortKey,
)

FILTERS: dict[str, Filter | None] = {
    "none": None,
    "year": Cmp("built_year", Op.GTE, 1998),
    "no branch": HasLink("COVERS", Direction.IN, exists=False),
    # the only kind that covers a compound: Neo4j leaves the label out (cypher.neighbour_kinds)
    "no party branch": HasLink("COVERS", Direction.IN, exists=False, neighbour_kind="PartyBranch"),
    # an owners' assembly represents a compound too: the label stays
    "a committee": HasLink("REPRESENTS", Direction.IN, neighbour_kind="OwnersCommittee"),
    "anything represents": HasLink("REPRESENTS", Direction.IN),
    "not old": Not(Cmp("is_old", Op.EQ, True)),
    # a some two links deep: on Neo4j one chain of MATCH clauses (cypher.lifted_match)
    "a committee with a member": Related(
        "REPRESENTS",
        Direction.IN,
        Quantifier.SOME,
        node=(OfKind("OwnersCommittee", Related("HOLDS_POST", Direction.IN)),),
    ),
    "nothing": Cmp("name", Op.EQ, "no such name"),
}
SORTS: dict[str, tuple[SortKey, ...]] = {
    "id": (),
    "year desc": (SortKey("built_year", descending=True),),
    "branches": (SortKey(LinkCount("COVERS", Direction.IN), descending=True),),
}


def assembly() -> tuple[list[Any], list[Any]]:
    """An owners' assembly representing a compound no committee represents."""
    compound = paging_compounds()[0].id
    return (
        [node("OwnersAssembly", "oa-1", name="业主大会一")],
        [link("REPRESENTS", "oa-1", compound, since=dt.date(2022, 1, 1))],
    )


#: COVERS PB2 -> CMP3 ended 2023-12-31: held on no day, not on 2024-01-01
DAYS = {"2024-01-01": dt.date(2024, 1, 1), "no day": None}


@pytest.mark.parametrize("day", list(DAYS))
@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("name", list(FILTERS))
def test_total_is_the_count_and_the_pages_are_unchanged(
    store: GraphStore, run: Run, name: str, sort: str, day: str
) -> None:
    nodes, links = city_graph()
    more_nodes, more_links = assembly()
    run(store.upsert([*nodes, *paging_compounds(), *more_nodes], [*links, *more_links]))
    where, keys, as_of = FILTERS[name], SORTS[sort], DAYS[day]
    expected = run(store.count_nodes("Compound", where=where, as_of=as_of))
    after = None
    seen = 0
    while True:
        plain = run(
            store.list_nodes(
                "Compound", where=where, order_by=keys, first=4, after=after, as_of=as_of
            )
        )
        counted = run(
            store.list_nodes(
                "Compound",
                where=where,
                order_by=keys,
                first=4,
                after=after,
                as_of=as_of,
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
    if name in COUNTED:
        assert expected == COUNTED[name][day]


#: what the filters about links count, worked out by hand (city_links, assembly): 4 city
#: compounds and 23 more; covered on 2024-01-01: YBY, CMP2 (CMP3's ended); on no day, CMP3 too;
#: represented: YBY by the committee, cmp-00-0 by the assembly
COUNTED = {
    "no branch": {"2024-01-01": 25, "no day": 24},
    "no party branch": {"2024-01-01": 25, "no day": 24},
    "a committee": {"2024-01-01": 1, "no day": 1},
    "anything represents": {"2024-01-01": 2, "no day": 2},
    "a committee with a member": {"2024-01-01": 1, "no day": 1},
}


def test_one_round_trip_for_page_and_total(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    before = store.stats.queries
    page = run(store.list_nodes("Compound", first=2, with_total=True))
    assert store.stats.queries - before == 1
    assert page.total == 4 and len(page.items) == 2 and page.has_next


# --- the statements (Neo4j) ----------------------------------------------------------------------
def test_a_filtered_total_and_its_page_read_the_filter_once() -> None:
    where = "(n.`built_year` IS NOT NULL AND n.`built_year` >= $p0)"
    for counts in ((), ("COUNT { (n)<-[x:`COVERS`]-(m) }",)):
        for after in (None, "n.`id` > $p1"):
            text = cypher.list_nodes(
                "Compound", where, "n.`id`", counts, after, with_total=True, props=None
            )
            assert text.count(where) == 1, text
            assert text.count("MATCH (n:`Compound`)") == 1, text
    # no filter: the count from the count store, the page from the label
    text = cypher.list_nodes("Compound", "true", "n.`id`", with_total=True)
    assert text.startswith("CALL () { MATCH (n:`Compound`) RETURN count(n) AS total }"), text


def test_a_some_two_links_deep_is_one_chain_of_match_clauses() -> None:
    """So that Neo4j may start from either end (bench/reference.py's two_hop at 2,000 compounds:
    39,082 db hits from the rarer end, 159,321 testing every compound); anything else stays a
    predicate, as one link deep does (a chain would then only add a DISTINCT)."""
    chain = FILTERS["a committee with a member"]
    assert isinstance(chain, Related)
    year = Cmp("built_year", Op.GTE, 1998)
    text = cypher.lifted_match("Compound", And((year, chain)), cypher.Params({"as_of": None}))
    assert text is not None and "EXISTS" not in text, text
    assert text.startswith("MATCH (n:`Compound`)<-[") and text.endswith(" WITH DISTINCT n"), text
    assert text.count("MATCH (") == 2 and "n.`built_year`" in text, text
    one_kind = chain.node
    assert one_kind is not None
    for f in (
        Related("REPRESENTS", Direction.IN, Quantifier.SOME, node=(OfKind("OwnersCommittee"),)),
        Related("REPRESENTS", Direction.IN, Quantifier.ALL, node=one_kind),
        Related("REPRESENTS", Direction.IN, node=(*one_kind, OfKind("OwnersAssembly"))),
        Or((chain, year)),
        Not(chain),
        year,
    ):
        assert cypher.lifted_match("Compound", f, cypher.Params({"as_of": None})) is None, f


def test_a_link_condition_drops_only_what_cannot_change_its_answer() -> None:
    def compiled(f: HasLink, as_of: dt.date | None) -> str:
        return cypher.compile_filter("Compound", f, cypher.Params({"as_of": as_of}))

    implied = HasLink("COVERS", Direction.IN, exists=False, neighbour_kind="PartyBranch")
    assert cypher.neighbour_kinds("Compound", "COVERS", Direction.IN) == {"PartyBranch"}
    assert "PartyBranch" not in compiled(implied, None)
    assert "since" not in compiled(implied, None)  # no day: every link holds
    assert "since" in compiled(implied, dt.date(2024, 1, 1))
    needed = HasLink("REPRESENTS", Direction.IN, neighbour_kind="OwnersCommittee")
    assert "`OwnersCommittee`" in compiled(needed, None)
    # a day given by a parameter the compiler does not know stays a test
    unknown = cypher.compile_filter("Compound", implied, cypher.Params())
    assert "$as_of IS NULL" in unknown


@pytest.mark.neo4j
@pytest.mark.parametrize("day", list(DAYS))
def test_neo4j_the_no_branch_page_and_count_scan_the_label_once(
    neo4j_store: GraphStore, run: Run, day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/reference.py's ``no_branch``: one scan for the page and its count (two before:
    143,258 db hits at 2,000 compounds, then 4,607), and with no day the degree of each
    compound is read instead of expanding its links."""
    from govgraph.graph.neo4j_store import Neo4jStore

    assert isinstance(neo4j_store, Neo4jStore)
    run(neo4j_store.clear())
    sent: list[tuple[str, dict[str, Any]]] = []
    read = Neo4jStore._run_read

    async def kept(self: Neo4jStore, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        sent.append((text, params))
        return await read(self, text, params)

    # on the class: undone on an instance, monkeypatch would leave the bound method there
    monkeypatch.setattr(Neo4jStore, "_run_read", kept)
    where = FILTERS["no party branch"]
    page = run(neo4j_store.list_nodes("Compound", where=where, with_total=True, as_of=DAYS[day]))
    assert page.total == 0
    ((text, params),) = sent

    ops = run(plan_operators(neo4j_store, text, params))
    # the compounds read once, in the order of the id index (cypher.index_order)
    assert ops.count("NodeIndexScan") == 1 and "NodeByLabelScan" not in ops, ops
    if DAYS[day] is None:
        assert not any(op.startswith("Expand") for op in ops), ops
    else:
        assert any(op.startswith("Expand") for op in ops), ops  # since and until are read
