"""The storage contract: every test runs against both adapters through the ``store`` fixture.

The tests follow the documented semantics of :class:`govgraph.graph.port.GraphStore` (upsert
replaces, batches are all-or-nothing, links are temporal with inclusive bounds, deleting a node
deletes its links) and of :mod:`govgraph.graph.query` (filters, sort keys with ``id`` as the final
tiebreaker, keyset pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pytest
from builders import (
    BLD1,
    BLD2,
    CITY,
    CMP2,
    CMP3,
    CMP4,
    COMM,
    COMM2,
    COMPOUNDS,
    OC1,
    P1,
    P2,
    P3,
    PB1,
    PB2,
    PB3,
    PC1,
    TOWN,
    YBY,
    D,
    Run,
    city_graph,
    expected_counts,
    expected_order,
    expected_projection,
    link_row,
    link_rows,
    many_nodes,
    node_row,
    node_rows,
    paging_compounds,
    plain_counts,
    plain_projection,
    plan_operators,
    snapshot,
)

from govgraph.graph import neo4j_store
from govgraph.graph.errors import ConflictError, ValidationError
from govgraph.graph.model import Link, Node, link, link_id, node
from govgraph.graph.port import GraphStore, Neighbour, WriteBatch
from govgraph.graph.query import (
    MAX_PAGE,
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    Not,
    Op,
    Or,
    SortKey,
    encode_cursor,
)
from govgraph.graph.scan import ScanSpec


def load_city(store: GraphStore, run: Run) -> tuple[list[Node], list[Link]]:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    return nodes, links


def by_id(nodes: Sequence[Node]) -> dict[str, Node]:
    return {n.id: n for n in nodes}


def ids(nodes: Sequence[Node]) -> list[str]:
    return [n.id for n in nodes]


# --- reference answers computed from plain lists -------------------------------------------------
def expected_neighbours(
    nodes: Sequence[Node],
    links: Sequence[Link],
    asked: str,
    *,
    link_kind: str | None = None,
    direction: Direction = Direction.OUT,
    neighbour_kind: str | None = None,
    as_of: dt.date | None = None,
) -> list[tuple[str, str]]:
    kinds = {n.id: n.kind for n in nodes}
    out: list[tuple[str, str]] = []
    for lk in links:
        if (link_kind and lk.kind != link_kind) or not lk.valid_on(as_of):
            continue
        if direction in (Direction.OUT, Direction.BOTH) and lk.source == asked:
            other = lk.target
        elif direction in (Direction.IN, Direction.BOTH) and lk.target == asked:
            other = lk.source
        else:
            continue
        if neighbour_kind is None or kinds[other] == neighbour_kind:
            out.append((lk.id, other))
    return sorted(out)


def walk_pages(
    store: GraphStore,
    run: Run,
    kind: str,
    *,
    first: int,
    where: Filter | None = None,
    order_by: Sequence[SortKey] = (),
    as_of: dt.date | None = None,
) -> list[Node]:
    """Every page from the start, following ``end_cursor``; checks each page's shape."""
    out: list[Node] = []
    after: str | None = None
    for _ in range(10_000):
        page = run(
            store.list_nodes(
                kind, where=where, order_by=order_by, first=first, after=after, as_of=as_of
            )
        )
        out.extend(page.items)
        if not page.has_next:
            assert len(page.items) <= first
            return out
        # has_next promises more rows: this page is full and continues after its last row
        assert len(page.items) == first
        assert page.end_cursor
        after = page.end_cursor
    raise AssertionError("pagination did not end")


# --- writes --------------------------------------------------------------------------------------
def test_upsert_then_get_nodes_and_links(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    result = run(store.upsert(nodes, links))
    assert result.nodes_written == len(nodes)
    assert result.links_written == len(links)

    got = run(store.get_nodes(ids(nodes)))
    assert node_rows(got.values()) == node_rows(nodes)
    assert set(got) == set(ids(nodes))
    assert all(got[k].id == k for k in got)

    got_links = run(store.get_links([lk.id for lk in links]))
    assert link_rows(got_links.values()) == link_rows(links)
    assert all(got_links[k].id == k for k in got_links)


def test_links_can_join_nodes_stored_by_earlier_batches(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.upsert(nodes))
    run(store.upsert(links=links))
    assert link_rows(run(store.list_links())) == link_rows(links)


def test_values_keep_their_types(store: GraphStore, run: Run) -> None:
    nodes = [
        node("Community", COMM, name="气象街社区"),
        node(
            "Compound",
            "小区-云北苑",  # ids may be Chinese
            name="云北苑小区",
            is_old=True,
            built_year=1998,
            households=420,
            investment_yuan=1_850_000.5,
            delivered_area_ratio=0.85,
        ),
        node("PartyBranch", PB1, name="云北苑小区党支部", elected_on=D(2021, 3, 1), term_years=5),
    ]
    links = [
        link("PART_OF", "小区-云北苑", COMM, since=D(2020, 2, 29), source="测试台账"),
        link("COVERS", PB1, "小区-云北苑", since=D(2021, 3, 1), until=D(2026, 2, 28)),
    ]
    run(store.upsert(nodes, links))
    got = run(store.get_nodes(ids(nodes)))
    cmp = got["小区-云北苑"].props
    assert cmp == nodes[1].props
    assert type(cmp["is_old"]) is bool
    assert type(cmp["built_year"]) is int
    assert type(cmp["households"]) is int
    assert type(cmp["investment_yuan"]) is float
    assert type(cmp["delivered_area_ratio"]) is float
    assert type(got[PB1].props["elected_on"]) is dt.date
    got_links = run(store.get_links([lk.id for lk in links]))
    covers = got_links[links[1].id]
    assert type(covers.props["since"]) is dt.date
    assert type(covers.props["until"]) is dt.date
    assert covers.since == D(2021, 3, 1)
    assert covers.until == D(2026, 2, 28)
    assert got_links[links[0].id].props == {"since": D(2020, 2, 29), "source": "测试台账"}


def test_store_validates_and_coerces_records_built_directly(store: GraphStore, run: Run) -> None:
    """Records may be built without node()/link(); the store validates (and coerces) on write."""
    run(store.upsert([node("Community", COMM, name="气象街社区")]))
    raw_node = Node(YBY, "Compound", {"households": "12", "is_old": "yes", "built_year": 1998.0})
    raw_link = Link("PART_OF", YBY, COMM, {"since": "2021-03-01"})
    run(store.upsert([raw_node], [raw_link]))
    assert run(store.get_nodes([YBY]))[YBY].props == {
        "households": 12,
        "is_old": True,
        "built_year": 1998,
    }
    assert run(store.get_links([raw_link.id]))[raw_link.id].props == {"since": D(2021, 3, 1)}


def test_same_batch_twice_is_idempotent(store: GraphStore, run: Run) -> None:
    nodes, links = city_graph()
    run(store.apply(WriteBatch(nodes=nodes, links=links)))
    first = snapshot(store, run)
    first_projection = plain_projection(run(store.projection()))
    first_neighbours = run(store.neighbours(list(COMPOUNDS), direction=Direction.BOTH))

    run(store.apply(WriteBatch(nodes=nodes, links=links)))
    assert snapshot(store, run) == first
    assert plain_projection(run(store.projection())) == first_projection
    again = run(store.neighbours(list(COMPOUNDS), direction=Direction.BOTH))
    assert {k: [(nb.link.id, nb.node.id) for nb in v] for k, v in again.items()} == {
        k: [(nb.link.id, nb.node.id) for nb in v] for k, v in first_neighbours.items()
    }
    assert plain_counts(run(store.counts())) == expected_counts(nodes, links)
    assert run(store.count_nodes("Compound")) == len(COMPOUNDS)


def test_reupsert_node_replaces_its_props(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    run(store.upsert([node("Compound", YBY, name="云北苑小区", built_year=1999)]))
    got = run(store.get_nodes([YBY]))[YBY]
    assert got.props == {"name": "云北苑小区", "built_year": 1999}  # is_old, households... gone
    # a removed property no longer matches filters and shows in no view
    assert YBY not in ids(
        run(store.list_nodes("Compound", where=Cmp("households", Op.GT, 0))).items
    )
    assert YBY in ids(
        run(store.list_nodes("Compound", where=Cmp("households", Op.IS_NULL, True))).items
    )
    attrs = run(store.projection(node_kinds=["Compound"])).nodes[YBY]
    assert "households" not in attrs
    assert attrs["built_year"] == 1999


def test_reupsert_node_keeps_its_links(store: GraphStore, run: Run) -> None:
    _, links = load_city(store, run)
    run(store.upsert([node("Compound", YBY, name="云北苑小区")]))
    touching = {lk.id for lk in links if YBY in (lk.source, lk.target)}
    assert touching <= {lk.id for lk in run(store.list_links())}


def test_reupsert_link_replaces_its_props(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    new = link("HOLDS_POST", P1, OC1, role="vice_chair", until=D(2024, 5, 19))
    run(store.upsert(links=[new]))
    got = run(store.get_links([new.id]))[new.id]
    assert got.props == {"role": "vice_chair", "until": D(2024, 5, 19)}  # since, source gone
    assert got.since is None
    held = run(store.list_links(kind="HOLDS_POST", as_of=D(2010, 1, 1)))
    assert new.id in {lk.id for lk in held}  # without since it holds from the start


def test_links_with_keys_are_distinct(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    plain, keyed = link_id(P2, "HOLDS_POST", PB1), link_id(P2, "HOLDS_POST", PB1, "2023")
    got = run(store.get_links([plain, keyed]))
    assert set(got) == {plain, keyed}
    assert got[keyed].key == "2023"
    assert got[keyed].props["role"] == "deputy_secretary"
    assert got[plain].key == ""
    assert got[plain].props["role"] == "committee_member"


def test_delete_node_removes_its_links(store: GraphStore, run: Run) -> None:
    nodes, links = load_city(store, run)
    result = run(store.delete(node_ids=[YBY]))
    assert result.nodes_deleted == 1
    kept_nodes = [n for n in nodes if n.id != YBY]
    kept_links = [lk for lk in links if YBY not in (lk.source, lk.target)]
    assert run(store.get_nodes([YBY])) == {}
    assert link_rows(run(store.list_links())) == link_rows(kept_links)
    assert run(store.get_links([lk.id for lk in links if lk not in kept_links])) == {}
    assert node_rows(run(store.get_nodes(ids(nodes))).values()) == node_rows(kept_nodes)
    assert plain_counts(run(store.counts())) == expected_counts(kept_nodes, kept_links)
    # the buildings stay, without their PART_OF link
    nb = run(store.neighbours([BLD1], link_kind="PART_OF"))
    assert nb == {BLD1: []}


def test_delete_link_by_id(store: GraphStore, run: Run) -> None:
    nodes, links = load_city(store, run)
    gone = link_id(PB1, "COVERS", YBY)
    result = run(store.delete(link_ids=[gone]))
    assert result.links_deleted == 1
    assert run(store.get_links([gone])) == {}
    assert link_rows(run(store.list_links())) == link_rows(lk for lk in links if lk.id != gone)
    assert node_rows(run(store.get_nodes(ids(nodes))).values()) == node_rows(nodes)
    # the other link between the same kinds of nodes is untouched
    assert run(store.get_links([link_id(PB2, "COVERS", CMP2)]))


def test_delete_unknown_ids_is_ignored(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    before = snapshot(store, run)
    run(
        store.delete(
            node_ids=["cmp-ghost", "不存在"],
            link_ids=[link_id("cmp-ghost", "PART_OF", COMM), link_id(PB1, "COVERS", CMP4)],
        )
    )
    assert snapshot(store, run) == before


def test_batch_upserts_before_deletes(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    new_bld = node("Building", "bld-new", name="3号楼")
    new_link = link("PART_OF", "bld-new", YBY)
    covers = link("COVERS", PB3, CMP4, since=D(2024, 1, 1))
    run(
        store.apply(
            WriteBatch(
                nodes=[new_bld],
                links=[new_link, covers],
                delete_nodes=["bld-new"],
                delete_links=[covers.id],
            )
        )
    )
    assert run(store.get_nodes(["bld-new"])) == {}
    assert run(store.get_links([new_link.id, covers.id])) == {}


#: writes of every sort (what each mutation sends), for the test below
WRITES_SENT_AGAIN = {
    "upsert-nodes": WriteBatch(
        nodes=[
            node("Compound", YBY, name="云北苑小区", built_year=1999),
            node("Building", "bld-new", name="3号楼"),
        ]
    ),
    "upsert-links": WriteBatch(
        links=[
            link("HOLDS_POST", P1, OC1, role="vice_chair", since=D(2024, 1, 1)),
            link("PART_OF", BLD1, CMP2, key="2024", since=D(2024, 1, 1)),
        ]
    ),
    "delete-nodes": WriteBatch(delete_nodes=[YBY, "cmp-ghost"]),
    "delete-links": WriteBatch(delete_links=[link_id(PB1, "COVERS", YBY)]),
    "mixed": WriteBatch(
        nodes=[node("Building", "bld-new", name="3号楼")],
        links=[link("PART_OF", "bld-new", YBY)],
        delete_links=[link_id(PB1, "COVERS", YBY)],
        delete_nodes=[BLD2],
    ),
    "upsert-then-delete": WriteBatch(
        nodes=[node("Building", "bld-new", name="3号楼")],
        links=[link("PART_OF", "bld-new", YBY)],
        delete_nodes=["bld-new"],
    ),
}


@pytest.mark.parametrize("batch", WRITES_SENT_AGAIN.values(), ids=list(WRITES_SENT_AGAIN))
def test_a_write_applied_again_leaves_what_it_left_once(
    store: GraphStore, run: Run, batch: WriteBatch
) -> None:
    """What lets a client send a write again when it cannot know whether the first one was
    applied (``COMMIT_OUTCOME_UNKNOWN``): the second raises nothing and changes nothing."""
    load_city(store, run)
    first = run(store.apply(batch))
    once = snapshot(store, run)
    again = run(store.apply(batch))
    assert snapshot(store, run) == once
    assert (again.nodes_written, again.links_written) == (first.nodes_written, first.links_written)
    # deletions count what each application found to delete
    assert again.links_deleted <= first.links_deleted
    assert again.nodes_deleted <= first.nodes_deleted


def test_delete_everything_node_by_node(store: GraphStore, run: Run) -> None:
    nodes, _ = load_city(store, run)
    run(store.delete(node_ids=ids(nodes)))
    assert snapshot(store, run) == (set(), [], ({}, {}))


# --- bad input: the right typed error, a helpful message, nothing written ------------------------
@dataclass(frozen=True)
class BadCase:
    nodes: tuple[Node, ...] = ()
    links: tuple[Link, ...] = ()
    error: type[Exception] = ValidationError
    #: what the message must name: the field, the value and what was expected
    says: tuple[str, ...] = ()


BAD_CASES: dict[str, BadCase] = {
    "unknown node kind": BadCase(
        nodes=(Node("estate-1", "Estate", {"name": "示例"}),),
        says=("'kind'", "'Estate'", "Compound"),
    ),
    "unknown link kind": BadCase(
        links=(Link("FRIEND_OF", P1, P2),),
        says=("'kind'", "'FRIEND_OF'", "HOLDS_POST"),
    ),
    "wrong endpoint kinds": BadCase(
        links=(Link("HOLDS_POST", YBY, P1, {"role": "secretary"}),),
        says=("'endpoints'", "Compound->Person", "Person->PartyBranch"),
    ),
    "missing required prop": BadCase(
        nodes=(Node("mtg-1", "Meeting", {"meeting_type": "hearing"}),),
        says=("'date'", "required"),
    ),
    "mistyped prop": BadCase(
        nodes=(Node("cmp-new", "Compound", {"name": "示例", "households": "many"}),),
        says=("'households'", "'many'", "whole number"),
    ),
    "unknown prop": BadCase(
        nodes=(Node("cmp-new", "Compound", {"colour": "red"}),),
        says=("'colour'", "'red'", "households"),
    ),
    "value not among choices": BadCase(
        links=(Link("HOLDS_POST", P3, PB3, {"role": "boss"}),),
        says=("'role'", "'boss'", "secretary"),
    ),
    "until before since": BadCase(
        links=(Link("COVERS", PB3, CMP3, {"since": D(2022, 1, 1), "until": D(2021, 1, 1)}),),
        says=("'until'", "2021", "2022-01-01"),
    ),
    "id with a space": BadCase(
        nodes=(Node("bld 9", "Building", {"name": "9号楼"}),),
        says=("'id'", "'bld 9'", "without spaces"),
    ),
    "duplicate node id in one batch": BadCase(
        nodes=(Node("bld-dup", "Building", {"name": "A"}), Node("bld-dup", "Building", {})),
        says=("'id'", "'bld-dup'", "once"),
    ),
    "link to a node that exists nowhere": BadCase(
        links=(Link("COVERS", PB3, "cmp-ghost"),),
        says=("cmp-ghost", "'endpoint'", "in this batch or already stored"),
    ),
    "id reused for another kind": BadCase(
        nodes=(Node(YBY, "PartyBranch", {"name": "示例党支部"}),),
        error=ConflictError,
        says=(YBY, "Compound", "PartyBranch"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES.values()), ids=list(BAD_CASES))
def test_bad_batch_raises_and_writes_nothing(store: GraphStore, run: Run, case: BadCase) -> None:
    load_city(store, run)
    before = snapshot(store, run)
    good_nodes = many_nodes(50)
    good_links = [link("PART_OF", n.id, YBY) for n in good_nodes[:5]]
    good_links.append(link("COVERS", PB3, CMP4, since=D(2024, 1, 1)))  # good link, stored nodes
    batch = WriteBatch(
        nodes=[*good_nodes, *case.nodes],
        links=[*good_links, *case.links],
        delete_nodes=[CMP2],
        delete_links=[link_id(PB1, "COVERS", YBY)],
    )
    with pytest.raises(case.error) as info:
        run(store.apply(batch))
    message = str(info.value)
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert snapshot(store, run) == before


def test_fifty_good_nodes_and_one_bad_link_write_nothing(store: GraphStore, run: Run) -> None:
    good = many_nodes(50)
    with pytest.raises(ValidationError, match="cmp-nowhere"):
        run(store.upsert(good, [link("PART_OF", good[0].id, "cmp-nowhere")]))
    with pytest.raises(ValidationError):
        run(store.upsert(good, [Link("PART_OF", good[0].id, good[1].id)]))  # Building->Building
    assert snapshot(store, run) == (set(), [], ({}, {}))
    assert run(store.get_nodes(ids(good))) == {}


def test_validation_error_lists_every_problem(store: GraphStore, run: Run) -> None:
    bad = [
        Node("cmp-a", "Compound", {"households": "many"}),
        Node("cmp-b", "Compound", {"built_year": "long ago"}),
        Node("mtg-1", "Meeting", {"meeting_type": "hearing"}),
    ]
    with pytest.raises(ValidationError) as info:
        run(store.upsert(bad))
    found = {(p.field, p.value) for p in info.value.problems}
    assert {("households", "many"), ("built_year", "long ago"), ("date", None)} <= found
    message = str(info.value)
    assert "cmp-a" in message
    assert "cmp-b" in message
    assert "mtg-1" in message
    assert snapshot(store, run) == (set(), [], ({}, {}))


# --- get -----------------------------------------------------------------------------------------
def test_get_nodes_many_at_once_missing_absent(store: GraphStore, run: Run) -> None:
    nodes, _ = load_city(store, run)
    asked = [YBY, "cmp-ghost", P1, PB2, "不存在"]
    got = run(store.get_nodes(asked))
    assert set(got) == {YBY, P1, PB2}
    assert node_rows(got.values()) == node_rows(n for n in nodes if n.id in got)
    assert run(store.get_nodes([])) == {}


def test_get_links_many_at_once_missing_absent(store: GraphStore, run: Run) -> None:
    _, links = load_city(store, run)
    wanted = [lk.id for lk in links[:4]]
    asked = [*wanted, link_id(PB1, "COVERS", CMP4), link_id("x", "PART_OF", "y", "k")]
    got = run(store.get_links(asked))
    assert set(got) == set(wanted)
    assert link_rows(got.values()) == link_rows(links[:4])
    assert run(store.get_links([])) == {}


# --- list_nodes with filters ---------------------------------------------------------------------
NO_BRANCH = HasLink("COVERS", Direction.IN, exists=False, neighbour_kind="PartyBranch")

FILTER_CASES: dict[str, tuple[str, Filter | None, dt.date | None, set[str]]] = {
    "no filter": ("Compound", None, None, set(COMPOUNDS)),
    "eq str": ("Compound", Cmp("name", Op.EQ, "云北苑小区"), None, {YBY}),
    "eq bool": ("Compound", Cmp("is_old", Op.EQ, True), None, {YBY, CMP4}),
    "eq int given as text": ("Compound", Cmp("built_year", Op.EQ, "1998"), None, {YBY, CMP4}),
    "eq id": ("Compound", Cmp("id", Op.EQ, CMP2), None, {CMP2}),
    "ne": ("Compound", Cmp("households", Op.NE, 300), None, {YBY, CMP3, CMP4}),
    "in int": ("Compound", Cmp("built_year", Op.IN, (2005, 1990)), None, {CMP2}),
    "in id": ("Compound", Cmp("id", Op.IN, (YBY, CMP3, "cmp-ghost")), None, {YBY, CMP3}),
    "in str": ("PartyBranch", Cmp("form", Op.IN, ("joint", "combined")), None, {PB2, PB3}),
    "contains chinese": ("Compound", Cmp("name", Op.CONTAINS, "北苑"), None, {YBY}),
    "contains english": ("Compound", Cmp("name", Op.CONTAINS, "Garden"), None, {CMP3}),
    "starts_with": ("Compound", Cmp("name", Op.STARTS_WITH, "示例"), None, {CMP2, CMP4}),
    "starts_with english": ("Person", Cmp("name", Op.STARTS_WITH, "Test"), None, {P3}),
    "lt int": ("Compound", Cmp("built_year", Op.LT, 2005), None, {YBY, CMP4}),
    "lte int": ("Compound", Cmp("built_year", Op.LTE, 2005), None, {YBY, CMP2, CMP4}),
    "gt int": ("Compound", Cmp("built_year", Op.GT, 1998), None, {CMP2}),
    "gte int": ("Compound", Cmp("built_year", Op.GTE, 1998), None, {YBY, CMP2, CMP4}),
    "lt int households": ("Compound", Cmp("households", Op.LT, 120), None, {CMP4}),
    "lt int skips missing": ("Person", Cmp("birth_year", Op.LT, 1968), None, {P2}),
    "lt date": ("PartyBranch", Cmp("elected_on", Op.LT, D(2022, 1, 1)), None, {PB1}),
    "lte date": ("PartyBranch", Cmp("elected_on", Op.LTE, D(2022, 6, 15)), None, {PB1, PB2}),
    "gt date": ("PartyBranch", Cmp("elected_on", Op.GT, D(2021, 3, 1)), None, {PB2}),
    "gte date as text": ("PartyBranch", Cmp("elected_on", Op.GTE, "2022-01-01"), None, {PB2}),
    "eq date": ("PartyBranch", Cmp("elected_on", Op.EQ, "2021-03-01"), None, {PB1}),
    "is_null true": ("Compound", Cmp("built_year", Op.IS_NULL, True), None, {CMP3}),
    "is_null false": ("Compound", Cmp("built_year", Op.IS_NULL, False), None, {YBY, CMP2, CMP4}),
    "is_null date": ("PartyBranch", Cmp("elected_on", Op.IS_NULL, True), None, {PB3}),
    "and": (
        "Compound",
        And((Cmp("is_old", Op.EQ, True), Cmp("households", Op.GT, 100))),
        None,
        {YBY},
    ),
    "or": (
        "Compound",
        Or((Cmp("name", Op.EQ, "Test Garden"), Cmp("built_year", Op.GT, 2000))),
        None,
        {CMP2, CMP3},
    ),
    "not": ("Compound", Not(Cmp("is_old", Op.EQ, True)), None, {CMP2, CMP3}),
    "not or": (
        "Compound",
        Not(Or((Cmp("id", Op.EQ, YBY), Cmp("households", Op.LT, 100)))),
        None,
        {CMP2, CMP3},
    ),
    "nested": (
        "Compound",
        Or((And((Cmp("is_old", Op.EQ, True), Not(Cmp("id", Op.EQ, YBY)))), Cmp("id", Op.EQ, CMP3))),
        None,
        {CMP3, CMP4},
    ),
    "no branch covers": ("Compound", NO_BRANCH, None, {CMP4}),
    "no branch covers, as of 2024": ("Compound", NO_BRANCH, D(2024, 6, 1), {CMP3, CMP4}),
    "no branch covers, on until (inclusive)": ("Compound", NO_BRANCH, D(2023, 12, 31), {CMP4}),
    "no branch covers, on since (inclusive)": (
        "Compound",
        NO_BRANCH,
        D(2021, 3, 1),
        {CMP2, CMP3, CMP4},
    ),
    "no branch covers, before any": ("Compound", NO_BRANCH, D(2020, 1, 1), set(COMPOUNDS)),
    "covered": ("Compound", HasLink("COVERS", Direction.IN), None, {YBY, CMP2, CMP3}),
    "has buildings": ("Compound", HasLink("PART_OF", Direction.IN), None, {YBY}),
    "both directions, neighbour kind": (
        "Compound",
        HasLink("PART_OF", Direction.BOTH, neighbour_kind="Building"),
        None,
        {YBY},
    ),
    "out, neighbour kind": (
        "Compound",
        HasLink("PART_OF", Direction.OUT, neighbour_kind="Community"),
        None,
        set(COMPOUNDS),
    ),
    "neighbour kind matches nothing": (
        "Compound",
        HasLink("COVERS", Direction.IN, neighbour_kind="EnforcementTeam"),
        None,
        set(),
    ),
    "old compound without a branch": (
        "Compound",
        And((Cmp("is_old", Op.EQ, True), NO_BRANCH)),
        None,
        {CMP4},
    ),
    "managed and represented": (
        "Compound",
        And((HasLink("MANAGES", Direction.IN), HasLink("REPRESENTS", Direction.IN))),
        None,
        {YBY},
    ),
    "branch covering nothing": (
        "PartyBranch",
        HasLink("COVERS", Direction.OUT, exists=False),
        None,
        {PB3},
    ),
    "cross-appointed": (
        "Person",
        And(
            (
                HasLink("HOLDS_POST", neighbour_kind="PartyBranch"),
                HasLink("HOLDS_POST", neighbour_kind="OwnersCommittee"),
            )
        ),
        None,
        {P1},
    ),
    "branch post as of 2022": (
        "Person",
        HasLink("HOLDS_POST", neighbour_kind="PartyBranch"),
        D(2022, 6, 1),
        {P1, P2},
    ),
    "branch post as of 2020": (
        "Person",
        HasLink("HOLDS_POST", neighbour_kind="PartyBranch"),
        D(2020, 6, 1),
        set(),
    ),
}


@pytest.mark.parametrize("case", list(FILTER_CASES.values()), ids=list(FILTER_CASES))
def test_list_and_count_nodes_with_filters(
    store: GraphStore, run: Run, case: tuple[str, Filter | None, dt.date | None, set[str]]
) -> None:
    kind, where, as_of, expected = case
    nodes, _ = load_city(store, run)
    page = run(store.list_nodes(kind, where=where, as_of=as_of))
    assert set(ids(page.items)) == expected
    assert len(page.items) == len(expected)  # each once
    assert not page.has_next
    assert ids(page.items) == sorted(expected)  # default order: by id
    stored = by_id(nodes)
    assert node_rows(page.items) == {node_row(stored[i]) for i in expected}
    assert run(store.count_nodes(kind, where=where, as_of=as_of)) == len(expected)


def test_list_nodes_only_returns_the_asked_kind(store: GraphStore, run: Run) -> None:
    nodes, _ = load_city(store, run)
    for kind in ("City", "Community", "Building", "Person", "PropertyCompany", "Meeting"):
        page = run(store.list_nodes(kind))
        assert set(ids(page.items)) == {n.id for n in nodes if n.kind == kind}
        assert all(n.kind == kind for n in page.items)
        assert run(store.count_nodes(kind)) == len(page.items)


BAD_REQUESTS: dict[str, Callable[[GraphStore], Any]] = {
    "unknown kind": lambda s: s.list_nodes("Estate"),
    "unknown field": lambda s: s.list_nodes("Compound", where=Cmp("colour", Op.EQ, "red")),
    "field of another kind": lambda s: s.list_nodes("Compound", where=Cmp("form", Op.EQ, "joint")),
    "contains on int": lambda s: s.list_nodes("Compound", where=Cmp("households", Op.CONTAINS, 1)),
    "mistyped value": lambda s: s.list_nodes("Compound", where=Cmp("built_year", Op.GT, "old")),
    "unknown link kind": lambda s: s.list_nodes("Compound", where=HasLink("FRIEND_OF")),
    "unknown neighbour kind": lambda s: s.list_nodes(
        "Compound", where=HasLink("COVERS", Direction.IN, neighbour_kind="Estate")
    ),
    "nested unknown field": lambda s: s.list_nodes(
        "Compound", where=And((Cmp("id", Op.EQ, YBY), Not(Cmp("colour", Op.EQ, "red"))))
    ),
    "unknown sort field": lambda s: s.list_nodes("Compound", order_by=[SortKey("colour")]),
    "page size zero": lambda s: s.list_nodes("Compound", first=0),
    "page size too large": lambda s: s.list_nodes("Compound", first=MAX_PAGE + 1),
    "count with unknown field": lambda s: s.count_nodes("Compound", where=Cmp("x", Op.EQ, 1)),
    "count of unknown kind": lambda s: s.count_nodes("Estate"),
}


@pytest.mark.parametrize("request_", list(BAD_REQUESTS.values()), ids=list(BAD_REQUESTS))
def test_bad_requests_raise_validation_error(
    store: GraphStore, run: Run, request_: Callable[[GraphStore], Any]
) -> None:
    load_city(store, run)
    with pytest.raises(ValidationError):
        run(request_(store))


# --- sorting and keyset pagination ---------------------------------------------------------------
SORTS: dict[str, tuple[SortKey, ...]] = {
    "default (id)": (),
    "id desc": (SortKey("id", True),),
    "int asc with nulls": (SortKey("built_year"),),
    "int desc with nulls": (SortKey("built_year", True),),
    "chinese name desc": (SortKey("name", True),),
    "two keys": (SortKey("households"), SortKey("built_year", True)),
    "two keys, id desc first": (SortKey("id", True), SortKey("households")),
}


@pytest.mark.parametrize("order_by", list(SORTS.values()), ids=list(SORTS))
def test_sorting(store: GraphStore, run: Run, order_by: tuple[SortKey, ...]) -> None:
    nodes = paging_compounds()
    run(store.upsert(nodes))
    page = run(store.list_nodes("Compound", order_by=order_by, first=100))
    assert ids(page.items) == expected_order(nodes, order_by)


@pytest.mark.parametrize("order_by", list(SORTS.values()), ids=list(SORTS))
def test_pages_yield_every_node_once_in_order(
    store: GraphStore, run: Run, order_by: tuple[SortKey, ...]
) -> None:
    nodes = paging_compounds()
    run(store.upsert(nodes))
    expected = expected_order(nodes, order_by)
    for first in (1, 2, 5, 7, 23, 100):
        walked = walk_pages(store, run, "Compound", first=first, order_by=order_by)
        assert ids(walked) == expected, f"page size {first}"


def test_pages_with_a_filter_and_as_of(store: GraphStore, run: Run) -> None:
    nodes = paging_compounds()
    branch = node("PartyBranch", "branch-paging", name="示例党支部")
    # the branch covers every third compound, until the end of 2022
    covers = [
        link("COVERS", branch.id, n.id, since=D(2020, 1, 1), until=D(2022, 12, 31))
        for n in nodes[::3]
    ]
    run(store.upsert([*nodes, branch], covers))
    where = And((Cmp("households", Op.GTE, 150), NO_BRANCH))
    order_by = (SortKey("built_year", True),)
    covered = {lk.target for lk in covers}
    for as_of, excluded in ((None, covered), (D(2021, 1, 1), covered), (D(2023, 1, 1), set())):
        matching = [
            n for n in nodes if n.id not in excluded and n.props["households"] in (150, 200, 250)
        ]
        expected = expected_order(matching, order_by)
        assert len(expected) > 5
        for first in (1, 4):
            walked = walk_pages(
                store, run, "Compound", first=first, where=where, order_by=order_by, as_of=as_of
            )
            assert ids(walked) == expected
        assert run(store.count_nodes("Compound", where=where, as_of=as_of)) == len(expected)


@pytest.mark.parametrize(
    "order_by", [(SortKey("built_year"),), (SortKey("name", True),), ()], ids=str
)
def test_page_stays_correct_when_rows_before_the_cursor_change(
    store: GraphStore, run: Run, order_by: tuple[SortKey, ...]
) -> None:
    nodes = paging_compounds()
    run(store.upsert(nodes))
    expected = expected_order(nodes, order_by)
    first_page = run(store.list_nodes("Compound", order_by=order_by, first=5))
    assert ids(first_page.items) == expected[:5]
    assert first_page.has_next
    # delete a row inside the first page and the very row the cursor points at,
    # and insert a row that sorts before the cursor
    run(store.delete(node_ids=[expected[1], expected[4]]))
    early = node("Compound", "cmp-!early", name="龘", built_year=1900, households=100)
    run(store.upsert([early]))
    assert expected_order([*nodes, early], order_by)[0] == early.id  # it sorts first
    second = run(
        store.list_nodes("Compound", order_by=order_by, first=5, after=first_page.end_cursor)
    )
    assert ids(second.items) == expected[5:10]
    rest = walk_pages_after(store, run, order_by, second.end_cursor)
    assert ids(second.items) + ids(rest) == expected[5:]


def walk_pages_after(
    store: GraphStore, run: Run, order_by: Sequence[SortKey], after: str | None
) -> list[Node]:
    out: list[Node] = []
    while after is not None:
        page = run(store.list_nodes("Compound", order_by=order_by, first=4, after=after))
        out.extend(page.items)
        after = page.end_cursor if page.has_next else None
    return out


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        encode_cursor(["x"]),  # wrong length for (built_year, id)
        encode_cursor(["long ago", YBY]),  # not a whole number
        encode_cursor([1998, YBY, "extra"]),
        "eyJhIjoxfQ",  # base64 of a JSON object, not a list
    ],
)
def test_bad_cursor_raises_validation_error(store: GraphStore, run: Run, cursor: str) -> None:
    load_city(store, run)
    with pytest.raises(ValidationError):
        run(store.list_nodes("Compound", order_by=[SortKey("built_year")], after=cursor))


def test_cursor_is_tied_to_its_sort(store: GraphStore, run: Run) -> None:
    run(store.upsert(paging_compounds()))
    page = run(store.list_nodes("Compound", order_by=[SortKey("built_year")], first=3))
    assert page.end_cursor
    # the same cursor under another sort with fewer keys cannot be read
    with pytest.raises(ValidationError):
        run(store.list_nodes("Compound", first=3, after=page.end_cursor))


# --- sorting by a count of links -----------------------------------------------------------------
def counted_graph() -> tuple[list[Node], list[Link]]:
    """Six compounds with 0-3 buildings, some dated, and three branches covering some of them.

    Buildings (PART_OF in), by day:   a  b  c  d  e  f
      always (no as_of)               2  3  0  2  1  2
      on 2021-06-01                   2  1  0  2  1  2   (two of b's since 2022-01-01)
      on 2023-01-01                   2  3  0  1  1  2   (one of d's until 2021-12-31)
    Names tie-break the twos differently from ids: a 示例丙 < f 示例乙 < d 示例甲 (code points).
    Branches (COVERS out): x covers c and e, y covers e, z covers nothing; so compounds have
    COVERS in: c 1, e 2, the others 0.
    """
    names = {
        "a": "示例丙",
        "b": "示例丁",
        "c": "示例戊",
        "d": "示例甲",
        "e": "示例己",
        "f": "示例乙",
    }
    nodes = [node("Community", "comm-count", name="示例社区")]
    nodes += [node("Compound", f"cmp-{k}", name=v) for k, v in names.items()]
    nodes += [node("PartyBranch", f"branch-{k}", name=f"示例党支部{k}") for k in "xyz"]
    links = [link("PART_OF", f"cmp-{k}", "comm-count") for k in names]
    buildings = {
        "a": [{}, {}],
        "b": [{}, {"since": D(2022, 1, 1)}, {"since": D(2022, 1, 1)}],
        "d": [{}, {"until": D(2021, 12, 31)}],
        "e": [{}],
        "f": [{}, {}],
    }
    for k, dates in buildings.items():
        for i, when in enumerate(dates):
            nodes.append(node("Building", f"bld-{k}{i}", name=f"{i + 1}号楼"))
            links.append(link("PART_OF", f"bld-{k}{i}", f"cmp-{k}", **when))
    links += [
        link("COVERS", "branch-x", "cmp-c"),
        link("COVERS", "branch-x", "cmp-e"),
        link("COVERS", "branch-y", "cmp-e"),
    ]
    return nodes, links


BUILDINGS = LinkCount("PART_OF", Direction.IN)
BUILDINGS_ONLY = LinkCount("PART_OF", Direction.BOTH, neighbour_kind="Building")
COVERED_BY = LinkCount("COVERS", Direction.IN)
COVERING = LinkCount("COVERS", Direction.OUT)


def cmp(*letters: str) -> list[str]:
    return [f"cmp-{x}" for x in letters]


COUNT_SORTS: dict[str, tuple[str, tuple[SortKey, ...], dt.date | None, list[str]]] = {
    "buildings desc, ties by id": (
        "Compound",
        (SortKey(BUILDINGS, True),),
        None,
        cmp("b", "a", "d", "f", "e", "c"),
    ),
    "buildings asc, ties by id": (
        "Compound",
        (SortKey(BUILDINGS),),
        None,
        cmp("c", "e", "a", "d", "f", "b"),
    ),
    "buildings desc on 2021-06-01": (
        "Compound",
        (SortKey(BUILDINGS, True),),
        D(2021, 6, 1),
        cmp("a", "d", "f", "b", "e", "c"),
    ),
    "buildings desc on 2023-01-01": (
        "Compound",
        (SortKey(BUILDINGS, True),),
        D(2023, 1, 1),
        cmp("b", "a", "f", "d", "e", "c"),
    ),
    "buildings both ways, only to buildings": (
        "Compound",
        (SortKey(BUILDINGS_ONLY, True),),
        None,
        cmp("b", "a", "d", "f", "e", "c"),
    ),
    "buildings desc, then name": (
        "Compound",
        (SortKey(BUILDINGS, True), SortKey("name")),
        None,
        cmp("b", "a", "f", "d", "e", "c"),
    ),
    "buildings asc, then id desc": (
        "Compound",
        (SortKey(BUILDINGS), SortKey("id", True)),
        None,
        cmp("c", "e", "f", "d", "a", "b"),
    ),
    "covered by, then buildings": (
        "Compound",
        (SortKey(COVERED_BY, True), SortKey(BUILDINGS, True)),
        None,
        cmp("e", "c", "b", "a", "d", "f"),
    ),
    "branches by compounds covered (out)": (
        "PartyBranch",
        (SortKey(COVERING, True),),
        None,
        ["branch-x", "branch-y", "branch-z"],
    ),
    "branches by compounds covered, asc": (
        "PartyBranch",
        (SortKey(COVERING),),
        None,
        ["branch-z", "branch-y", "branch-x"],
    ),
}


@pytest.mark.parametrize("case", list(COUNT_SORTS.values()), ids=list(COUNT_SORTS))
def test_sort_by_a_count_of_links(
    store: GraphStore,
    run: Run,
    case: tuple[str, tuple[SortKey, ...], dt.date | None, list[str]],
) -> None:
    kind, order_by, as_of, expected = case
    run(store.upsert(*counted_graph()))
    before = store.stats.queries
    page = run(store.list_nodes(kind, order_by=order_by, as_of=as_of))
    assert store.stats.queries - before == 1  # counting and sorting is one round trip
    assert ids(page.items) == expected
    assert not page.has_next
    for first in (1, 2, 4):  # ties straddle page ends: nothing skipped, nothing repeated
        walked = walk_pages(store, run, kind, first=first, order_by=order_by, as_of=as_of)
        assert ids(walked) == expected, f"page size {first}"


def test_each_item_has_a_cursor_that_continues_after_it(store: GraphStore, run: Run) -> None:
    run(store.upsert(*counted_graph()))
    order_by = (SortKey(BUILDINGS, True),)
    expected = cmp("b", "a", "d", "f", "e", "c")
    page = run(store.list_nodes("Compound", order_by=order_by, first=3))
    assert len(page.cursors) == 3
    assert page.cursors[-1] == page.end_cursor
    for i, cursor in enumerate(page.cursors):
        rest = run(store.list_nodes("Compound", order_by=order_by, after=cursor))
        assert ids(rest.items) == expected[i + 1 :]


def test_count_sort_with_a_filter(store: GraphStore, run: Run) -> None:
    run(store.upsert(*counted_graph()))
    uncovered = HasLink("COVERS", Direction.IN, exists=False)
    walked = walk_pages(
        store, run, "Compound", first=2, where=uncovered, order_by=(SortKey(BUILDINGS, True),)
    )
    assert ids(walked) == cmp("b", "a", "d", "f")


def test_count_cursor_after_the_counts_change(store: GraphStore, run: Run) -> None:
    """The cursor holds (count, id): rows keep their place relative to it when other rows'
    counts change, and a row whose count moved past the cursor is not shown twice."""
    run(store.upsert(*counted_graph()))
    order_by = (SortKey(BUILDINGS, True),)
    first = run(store.list_nodes("Compound", order_by=order_by, first=2))
    assert ids(first.items) == cmp("b", "a")
    # c gains three buildings (now before the cursor (2, cmp-a)); b loses all of its
    run(store.delete(link_ids=[link_id(f"bld-b{i}", "PART_OF", "cmp-b") for i in range(3)]))
    run(
        store.upsert(
            [node("Building", f"bld-c{i}") for i in range(3)],
            [link("PART_OF", f"bld-c{i}", "cmp-c") for i in range(3)],
        )
    )
    rest = run(store.list_nodes("Compound", order_by=order_by, after=first.end_cursor))
    assert ids(rest.items) == cmp("d", "f", "e", "b")


BAD_COUNT_SORTS: dict[str, tuple[SortKey, ...]] = {
    "unknown link kind": (SortKey(LinkCount("FRIEND_OF")),),
    "a link the kind never has": (SortKey(LinkCount("HOLDS_POST", Direction.OUT)),),
    "the wrong direction": (SortKey(LinkCount("COVERS", Direction.OUT)),),
    "a neighbour kind never at the other end": (
        SortKey(LinkCount("PART_OF", Direction.IN, neighbour_kind="Person")),
    ),
    "unknown neighbour kind": (SortKey(LinkCount("PART_OF", Direction.IN, "Estate")),),
}


@pytest.mark.parametrize("order_by", list(BAD_COUNT_SORTS.values()), ids=list(BAD_COUNT_SORTS))
def test_bad_count_sorts_raise_validation_error(
    store: GraphStore, run: Run, order_by: tuple[SortKey, ...]
) -> None:
    run(store.upsert(*counted_graph()))
    with pytest.raises(ValidationError):
        run(store.list_nodes("Compound", order_by=order_by))


def test_bad_count_sort_names_the_links_the_kind_can_have(store: GraphStore, run: Run) -> None:
    with pytest.raises(ValidationError) as info:
        run(store.list_nodes("Compound", order_by=[SortKey(LinkCount("HOLDS_POST"))]))
    message = str(info.value)
    assert "'linkCount'" in message
    assert "HOLDS_POST out" in message
    assert "PART_OF in" in message


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(["示例丙", "cmp-a"]),  # a name where a count belongs
        encode_cursor([None, "cmp-a"]),  # a count is never null
        encode_cursor([-1, "cmp-a"]),
        encode_cursor([True, "cmp-a"]),
        encode_cursor([2.5, "cmp-a"]),
    ],
)
def test_count_cursor_must_hold_a_count(store: GraphStore, run: Run, cursor: str) -> None:
    run(store.upsert(*counted_graph()))
    with pytest.raises(ValidationError):
        run(store.list_nodes("Compound", order_by=[SortKey(BUILDINGS)], after=cursor))


# --- aggregates by place -------------------------------------------------------------------------
def placed_city() -> tuple[list[Node], list[Link]]:
    """The city graph plus residents, a meeting and an evaluation (see :func:`city_links`).

    P1 lives in building 1 of 云北苑 (since 2020); P2 lived in 示例新村 (a compound, directly)
    until 2021-12-31; P3 lives nowhere recorded. The meeting is held by PB2, which covers
    示例花园 (气象街社区) and, until 2023-12-31, Test Garden (示例社区). The evaluation is of
    PC1, which manages 云北苑.
    """
    nodes, links = city_graph()
    nodes += [
        node("Meeting", "mtg-1", meeting_type="branch_assembly", date=D(2023, 1, 10)),
        node("Evaluation", "eval-1", year=2023, grade="A"),
    ]
    links += [
        link("RESIDES_IN", P1, BLD1, since=D(2020, 1, 1)),
        link("RESIDES_IN", P2, CMP4, until=D(2021, 12, 31)),
        link("HELD_BY", "mtg-1", PB2),
        link("EVALUATES", "eval-1", PC1),
    ]
    return nodes, links


NAMES = {
    CITY: "怀仁市",
    TOWN: "示例街道",
    COMM: "气象街社区",
    COMM2: "示例社区",
    YBY: "云北苑小区",
    CMP2: "示例花园",
    CMP3: "Test Garden",
    CMP4: "示例新村",
}
#: (kind, group_by, where, as_of) -> (places as (id, count), most first then by id; unplaced)
AggregateCase = tuple[str, str, Filter | None, dt.date | None, list[tuple[str, int]], int]
AGGREGATES: dict[str, AggregateCase] = {
    "compounds by community": ("Compound", "Community", None, None, [(COMM2, 2), (COMM, 2)], 0),
    "compounds by township": ("Compound", "Township", None, None, [(TOWN, 4)], 0),
    "compounds by city": ("Compound", "City", None, None, [(CITY, 4)], 0),
    "communities by township": ("Community", "Township", None, None, [(TOWN, 2)], 0),
    "buildings by compound, zeros included": (
        "Building",
        "Compound",
        None,
        None,
        [(YBY, 2), (CMP2, 0), (CMP4, 0), (CMP3, 0)],
        0,
    ),
    "buildings by community": ("Building", "Community", None, None, [(COMM, 2), (COMM2, 0)], 0),
    "old compounds by community": (
        "Compound",
        "Community",
        Cmp("is_old", Op.EQ, True),
        None,
        [(COMM2, 1), (COMM, 1)],
        0,
    ),
    "compounds without a branch by community": (
        "Compound",
        "Community",
        NO_BRANCH,
        None,
        [(COMM2, 1), (COMM, 0)],
        0,
    ),
    "compounds without a branch by community, 2024": (
        "Compound",
        "Community",
        NO_BRANCH,
        D(2024, 6, 1),
        [(COMM2, 2), (COMM, 0)],
        0,
    ),
    # PB2 covers a compound in each community: it counts in both, once in the township
    "branches by community": ("PartyBranch", "Community", None, None, [(COMM, 2), (COMM2, 1)], 1),
    "branches by township, each once": ("PartyBranch", "Township", None, None, [(TOWN, 2)], 1),
    "branches by community, 2024": (
        "PartyBranch",
        "Community",
        None,
        D(2024, 6, 1),
        [(COMM, 2), (COMM2, 0)],
        1,
    ),
    "branches by community, 2021": (
        "PartyBranch",
        "Community",
        None,
        D(2021, 6, 1),
        [(COMM, 1), (COMM2, 0)],
        2,
    ),
    "branches by community, before any": (
        "PartyBranch",
        "Community",
        None,
        D(2020, 1, 1),
        [(COMM2, 0), (COMM, 0)],
        3,
    ),
    "people by compound": ("Person", "Compound", None, None, [(CMP4, 1), (YBY, 1)], 1),
    "people by compound, 2022": (
        "Person",
        "Compound",
        None,
        D(2022, 6, 1),
        [(YBY, 1), (CMP2, 0), (CMP4, 0)],
        2,
    ),
    "people by community": ("Person", "Community", None, None, [(COMM2, 1), (COMM, 1)], 1),
    "owners' committee members, by community": (
        "Person",
        "Community",
        HasLink("HOLDS_POST", neighbour_kind="OwnersCommittee"),
        None,
        [(COMM, 1), (COMM2, 0)],
        1,
    ),
    "meetings by community, through their host": (
        "Meeting",
        "Community",
        None,
        None,
        [(COMM2, 1), (COMM, 1)],
        0,
    ),
    "meetings by community, 2024": (
        "Meeting",
        "Community",
        None,
        D(2024, 6, 1),
        [(COMM, 1), (COMM2, 0)],
        0,
    ),
    "evaluations by compound, through the company": (
        "Evaluation",
        "Compound",
        None,
        None,
        [(YBY, 1), (CMP2, 0)],
        0,
    ),
    "nothing matches": (
        "Compound",
        "Township",
        Cmp("name", Op.EQ, "不存在"),
        None,
        [(TOWN, 0)],
        0,
    ),
}


@pytest.mark.parametrize("case", list(AGGREGATES.values()), ids=list(AGGREGATES))
def test_aggregate_by_place(store: GraphStore, run: Run, case: AggregateCase) -> None:
    kind, group_by, where, as_of, expected, unplaced = case
    run(store.upsert(*placed_city()))
    before = store.stats.queries
    got = run(store.aggregate(kind, group_by=group_by, where=where, as_of=as_of, first=2))
    assert store.stats.queries - before == 1  # one round trip
    assert [(p.place_id, p.count) for p in got.places] == expected[:2]
    assert (got.kind, got.group_by, got.unplaced) == (kind, group_by, unplaced)
    level = {n.id for n in placed_city()[0] if n.kind == group_by}
    assert got.has_more == (len(level) > 2)
    assert all(p.name == NAMES[p.place_id] for p in got.places)
    everything = run(store.aggregate(kind, group_by=group_by, where=where, as_of=as_of))
    full = [(p.place_id, p.count) for p in everything.places]
    # the full list: the expected head, then the remaining places of the level, all zero
    assert full[: len(expected)] == expected
    assert {pid for pid, _ in full} == level
    assert all(c == 0 for _, c in full[len(expected) :])
    assert not everything.has_more


def test_aggregate_of_an_empty_store(store: GraphStore, run: Run) -> None:
    got = run(store.aggregate("Compound", group_by="Community"))
    assert (got.places, got.unplaced, got.has_more) == ([], 0, False)


def test_aggregate_counts_nodes_under_no_place(store: GraphStore, run: Run) -> None:
    run(store.upsert(*placed_city()))
    run(store.upsert([node("Compound", "cmp-orphan", name="示例孤立小区")]))
    got = run(store.aggregate("Compound", group_by="Township"))
    assert [(p.place_id, p.count) for p in got.places] == [(TOWN, 4)]
    assert got.unplaced == 1


BAD_AGGREGATES: dict[str, tuple[str, str, Filter | None, tuple[str, ...]]] = {
    "unknown kind": ("Estate", "Community", None, ("'Estate'", "Compound")),
    "unknown level": ("Compound", "Province", None, ("'groupBy'", "'Province'", "Community")),
    "a level that is not grouped by": ("Compound", "Building", None, ("'Building'", "Township")),
    "the kind itself": ("Compound", "Compound", None, ("'Compound'", "Township, Community")),
    "a kind above the level": ("Township", "Community", None, ("'Community'", "City")),
    "a kind under no place": ("City", "Township", None, ("'Township'", "no locating link")),
    "a kind placed only higher up": (
        "Department",
        "Community",
        None,
        ("'Community'", "City, Township"),
    ),
    "bad filter": ("Compound", "Community", Cmp("colour", Op.EQ, "red"), ("'colour'",)),
}


@pytest.mark.parametrize("case", list(BAD_AGGREGATES.values()), ids=list(BAD_AGGREGATES))
def test_bad_aggregates_raise_validation_error(
    store: GraphStore, run: Run, case: tuple[str, str, Filter | None, tuple[str, ...]]
) -> None:
    kind, group_by, where, says = case
    load_city(store, run)
    with pytest.raises(ValidationError) as info:
        run(store.aggregate(kind, group_by=group_by, where=where))
    for fragment in says:
        assert fragment in str(info.value), (fragment, str(info.value))


# --- counts, neighbours, list_links --------------------------------------------------------------
@pytest.mark.parametrize(
    "as_of", [None, D(2020, 6, 1), D(2022, 6, 1), D(2022, 12, 31), D(2023, 1, 1), D(2024, 6, 1)]
)
def test_counts_by_kind(store: GraphStore, run: Run, as_of: dt.date | None) -> None:
    nodes, links = load_city(store, run)
    assert plain_counts(run(store.counts(as_of=as_of))) == expected_counts(nodes, links, as_of)


def test_counts_on_empty_store(store: GraphStore, run: Run) -> None:
    assert plain_counts(run(store.counts())) == ({}, {})


def test_counts_follow_every_write(store: GraphStore, run: Run) -> None:
    """Counts asked again after each kind of write see it (the embedded store keeps its counts
    until the next write), on every day asked, and changing an answer changes no later one."""
    days = [None, D(2022, 6, 1), D(2024, 6, 1)]
    nodes, links = load_city(store, run)

    def check() -> None:
        for day in days:
            got = run(store.counts(as_of=day))
            assert plain_counts(got) == expected_counts(nodes, links, day), day
            got.nodes.clear()
            got.links["COVERS"] = -1

    check()
    check()
    extra = node("Compound", "cmp-new", name="新小区")
    covers = link("COVERS", PB1, "cmp-new", since=D(2023, 1, 1))
    run(store.upsert([extra], [covers]))
    nodes, links = [*nodes, extra], [*links, covers]
    check()
    run(store.delete(link_ids=[covers.id]))
    links = [lk for lk in links if lk.id != covers.id]
    check()
    run(store.delete(node_ids=[YBY]))
    nodes = [n for n in nodes if n.id != YBY]
    links = [lk for lk in links if YBY not in (lk.source, lk.target)]
    check()


NEIGHBOUR_CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "out, by link kind, many ids": ([PB1, PB2, PB3, "cmp-ghost"], {"link_kind": "COVERS"}),
    "out, all kinds": ([P1, P2, P3], {}),
    "in": ([YBY, CMP3], {"direction": Direction.IN}),
    "in, by link kind": ([YBY, PB1], {"direction": Direction.IN, "link_kind": "HOLDS_POST"}),
    "both": ([YBY, COMM], {"direction": Direction.BOTH}),
    "both, neighbour kind": (
        [YBY, COMM, CITY],
        {"direction": Direction.BOTH, "neighbour_kind": "Community"},
    ),
    "in, neighbour kind": ([YBY], {"direction": Direction.IN, "neighbour_kind": "Building"}),
    "out, neighbour kind": ([P1, P3], {"neighbour_kind": "OwnersCommittee"}),
    "as of, before the second term": ([P2], {"as_of": D(2022, 12, 31)}),
    "as of, in the second term": ([P2], {"as_of": D(2023, 1, 1)}),
    "as of, before everything": ([P1, P2, YBY], {"as_of": D(2019, 1, 1)}),
    "in, as of, covers ended": (
        [CMP2, CMP3],
        {"direction": Direction.IN, "link_kind": "COVERS", "as_of": D(2024, 1, 1)},
    ),
    "no ids": ([], {}),
}


@pytest.mark.parametrize(
    ("asked", "options"), list(NEIGHBOUR_CASES.values()), ids=list(NEIGHBOUR_CASES)
)
def test_neighbours(store: GraphStore, run: Run, asked: list[str], options: dict[str, Any]) -> None:
    nodes, links = load_city(store, run)
    got: dict[str, list[Neighbour]] = run(store.neighbours(asked, **options))
    assert set(got) == set(asked)  # every asked id is a key, even unknown ones
    stored_nodes, stored_links = by_id(nodes), {lk.id: lk for lk in links}
    for asked_id in asked:
        seen = [(nb.link.id, nb.node.id) for nb in got[asked_id]]
        assert seen == expected_neighbours(nodes, links, asked_id, **options), asked_id
        for nb in got[asked_id]:  # whole records, not just ids
            assert node_row(nb.node) == node_row(stored_nodes[nb.node.id])
            assert link_row(nb.link) == link_row(stored_links[nb.link.id])


def test_neighbours_hand_checked(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    got = run(store.neighbours([PB2, YBY], link_kind="COVERS", direction=Direction.BOTH))
    assert [nb.node.id for nb in got[PB2]] == [CMP2, CMP3]
    assert [nb.node.id for nb in got[YBY]] == [PB1]
    assert got[YBY][0].node.name == "云北苑小区党支部"
    inbound = run(store.neighbours([YBY], direction=Direction.IN, neighbour_kind="Building"))
    assert [nb.node.id for nb in inbound[YBY]] == [BLD1, BLD2]
    posts = run(store.neighbours([P2], link_kind="HOLDS_POST", as_of=D(2023, 6, 1)))
    assert [nb.link.props["role"] for nb in posts[P2]] == ["deputy_secretary"]


@pytest.mark.parametrize(
    ("kind", "as_of"),
    [
        (None, None),
        ("HOLDS_POST", None),
        ("COVERS", None),
        ("HOLDS_POST", D(2022, 6, 1)),
        ("COVERS", D(2024, 1, 1)),
        (None, D(2021, 3, 1)),
        ("EVALUATES", None),
    ],
    ids=str,
)
def test_list_links(store: GraphStore, run: Run, kind: str | None, as_of: dt.date | None) -> None:
    _, links = load_city(store, run)
    got = run(store.list_links(kind=kind, as_of=as_of))
    expected = sorted(
        (lk for lk in links if (kind is None or lk.kind == kind) and lk.valid_on(as_of)),
        key=lambda lk: lk.id,
    )
    assert [link_row(lk) for lk in got] == [link_row(lk) for lk in expected]


# --- search --------------------------------------------------------------------------------------
def test_search_finds_chinese_names_by_part(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    found = run(store.search("云北苑"))
    assert YBY in ids(found)
    assert len(ids(found)) == len(set(ids(found)))
    assert found[ids(found).index(YBY)].props["name"] == "云北苑小区"
    assert YBY in ids(run(store.search("云北苑小区")))
    assert COMM in ids(run(store.search("气象街")))


def test_search_finds_english_names(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    assert PC1 in ids(run(store.search("Sunshine")))
    assert PC1 in ids(run(store.search("Property Services")))
    assert CMP3 in ids(run(store.search("Test Garden")))
    assert run(store.search("Zzyzx")) == []


def test_search_kinds_and_limit(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    # 云北苑 names a compound, its Party branch and its owners' committee
    compounds = run(store.search("云北苑", kinds=["Compound"]))
    assert ids(compounds) == [YBY]
    orgs = run(store.search("云北苑", kinds=["PartyBranch", "OwnersCommittee"]))
    assert set(ids(orgs)) == {PB1, OC1}
    assert run(store.search("云北苑", kinds=["Person"])) == []
    assert {YBY, PB1, OC1} <= set(ids(run(store.search("云北苑"))))
    assert len(run(store.search("云北苑", limit=2))) == 2
    assert len(run(store.search("云北苑", limit=1))) == 1


def test_search_sees_updates_and_deletes(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    run(store.upsert([node("Compound", CMP4, name="示例嘉园", households=80)]))
    assert CMP4 in ids(run(store.search("嘉园")))
    assert CMP4 not in ids(run(store.search("新村")))
    run(store.delete(node_ids=[YBY]))
    assert YBY not in ids(run(store.search("云北苑")))


# --- projection ----------------------------------------------------------------------------------
def test_projection_full(store: GraphStore, run: Run) -> None:
    nodes, links = load_city(store, run)
    g = run(store.projection())
    assert isinstance(g, nx.MultiDiGraph)
    assert plain_projection(g) == expected_projection(nodes, links)
    assert g.nodes[YBY]["kind"] == "Compound"
    assert g.nodes[YBY]["name"] == "云北苑小区"
    assert g.nodes[YBY]["households"] == 420
    keyed = link_id(P2, "HOLDS_POST", PB1, "2023")
    assert g.has_edge(P2, PB1, key=keyed)
    assert g.edges[P2, PB1, keyed]["kind"] == "HOLDS_POST"
    assert g.edges[P2, PB1, keyed]["role"] == "deputy_secretary"
    assert g.number_of_edges(P2, PB1) == 2
    assert g.edges[P1, OC1, link_id(P1, "HOLDS_POST", OC1)]["source"] == "test ledger"


@pytest.mark.parametrize(
    ("node_kinds", "link_kinds"),
    [
        (["Compound", "PartyBranch"], ["COVERS"]),
        (["Compound", "PartyBranch"], []),
        ([], ["HOLDS_POST"]),
        (["Person", "PartyBranch", "OwnersCommittee"], ["HOLDS_POST", "COVERS"]),
        (["City"], []),
    ],
    ids=str,
)
def test_projection_selection(
    store: GraphStore, run: Run, node_kinds: list[str], link_kinds: list[str]
) -> None:
    nodes, links = load_city(store, run)
    kept = [n for n in nodes if not node_kinds or n.kind in node_kinds]
    kept_ids = {n.id for n in kept}
    edges = [
        lk
        for lk in links
        if (not link_kinds or lk.kind in link_kinds)
        and lk.source in kept_ids
        and lk.target in kept_ids
    ]
    g = run(store.projection(node_kinds=node_kinds, link_kinds=link_kinds))
    assert plain_projection(g) == expected_projection(kept, edges)


@pytest.mark.parametrize("as_of", [D(2021, 3, 1), D(2022, 12, 31), D(2024, 1, 1)], ids=str)
def test_projection_as_of(store: GraphStore, run: Run, as_of: dt.date) -> None:
    nodes, links = load_city(store, run)
    g = run(store.projection(as_of=as_of))
    # nodes are not dated: all stay; only links valid on the day are edges
    valid = [lk for lk in links if lk.valid_on(as_of)]
    assert plain_projection(g) == expected_projection(nodes, valid)


def test_projection_of_empty_store(store: GraphStore, run: Run) -> None:
    g = run(store.projection())
    assert g.number_of_nodes() == 0
    assert g.number_of_edges() == 0


# --- scan: the store in columns -------------------------------------------------------------------
SCAN = ScanSpec(
    nodes={
        "Compound": ("name", "households", "built_year"),
        "PartyBranch": ("elected_on",),
        "Appeal": ("received",),
        "Person": (),
    },
    links={"HOLDS_POST": ("role", "since", "until"), "COVERS": ("until",), "ATTENDED": ()},
)


@pytest.mark.parametrize("page", [None, 2], ids=["one page", "pages of 2"])
def test_scan_reads_kinds_in_columns_with_dates_as_day_numbers(
    store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch, page: int | None
) -> None:
    if page is not None:
        monkeypatch.setattr(neo4j_store, "SCAN_PAGE", page)
    nodes, links = load_city(store, run)
    got = run(store.scan(SCAN))
    assert set(got.nodes) == set(SCAN.nodes) and set(got.links) == set(SCAN.links)

    def day(v: object) -> int | None:
        return (v - D(1970, 1, 1)).days if isinstance(v, dt.date) else None

    def node_rows(kind: str) -> set[tuple[Any, ...]]:
        cols = got.nodes[kind]
        return set(zip(cols.ids, *(cols.props[p] for p in SCAN.nodes[kind]), strict=True))

    assert node_rows("Compound") == {
        (n.id, n.props.get("name"), n.props.get("households"), n.props.get("built_year"))
        for n in nodes
        if n.kind == "Compound"
    }
    assert node_rows("PartyBranch") == {
        (n.id, day(n.props.get("elected_on"))) for n in nodes if n.kind == "PartyBranch"
    }
    assert (PB1, 18687) in node_rows("PartyBranch")  # 2021-03-01
    assert got.nodes["Appeal"].ids == [] and got.nodes["Appeal"].props == {"received": []}

    by_row = got.row_ids()  # a link end is the row of its node among those read

    def link_rows(kind: str) -> set[tuple[Any, ...]]:
        c = got.links[kind]
        values = (c.props[p] for p in SCAN.links[kind])
        ends = [[by_row[r] if r >= 0 else None for r in rows.tolist()] for rows in c[:2]]
        return set(zip(*ends, c.keys, *values, strict=True))

    def read(node: str) -> str | None:  # an end of a kind not read has no row
        return node if node in by_row else None

    assert link_rows("HOLDS_POST") == {
        (
            lk.source,
            read(lk.target),
            lk.key,
            lk.props.get("role"),
            day(lk.props.get("since")),
            day(lk.props.get("until")),
        )
        for lk in links
        if lk.kind == "HOLDS_POST"
    }
    assert (P2, PB1, "2023", "deputy_secretary", 19358, None) in link_rows("HOLDS_POST")
    assert any(end is None for _, end, *_ in link_rows("HOLDS_POST"))  # to a committee
    assert link_rows("COVERS") == {
        (lk.source, lk.target, "", day(lk.props.get("until")))
        for lk in links
        if lk.kind == "COVERS"
    }
    assert link_rows("ATTENDED") == set()


def test_scan_refuses_kinds_outside_the_ontology(store: GraphStore, run: Run) -> None:
    with pytest.raises(ValidationError):
        run(store.scan(ScanSpec(nodes={"Nope": ()}, links={})))
    with pytest.raises(ValidationError):
        run(store.scan(ScanSpec(nodes={}, links={"NOPE": ()})))


# --- apply_checked: the bulk path for records validated by the caller -----------------------------
def test_apply_checked_writes_what_apply_writes_and_is_idempotent(
    store: GraphStore, run: Run
) -> None:
    nodes, links = city_graph()
    result = run(store.apply_checked(WriteBatch(nodes, links)))
    assert (result.nodes_written, result.links_written) == (len(nodes), len(links))
    checked = snapshot(store, run)
    assert checked[2] == expected_counts(nodes, links)
    run(store.apply_checked(WriteBatch(nodes, links)))
    assert snapshot(store, run) == checked
    run(store.clear())
    run(store.apply(WriteBatch(nodes, links)))
    assert snapshot(store, run) == checked


def test_apply_checked_replaces_properties(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    cmp = node("Compound", YBY, name="云北苑小区", built_year=1999)
    post = link("HOLDS_POST", P1, OC1, role="vice_chair", until=D(2024, 5, 19))
    run(store.apply_checked(WriteBatch([cmp], [post])))
    assert run(store.get_nodes([YBY]))[YBY].props == {"name": "云北苑小区", "built_year": 1999}
    assert run(store.get_links([post.id]))[post.id].props == {
        "role": "vice_chair",
        "until": D(2024, 5, 19),
    }


def test_apply_checked_refuses_a_stored_id_of_another_kind(store: GraphStore, run: Run) -> None:
    """The caller looked the ids up, but the graph may have changed since: still checked."""
    load_city(store, run)
    before = snapshot(store, run)
    batch = WriteBatch(
        [node("Compound", "cmp-new", name="新小区"), node("PartyBranch", YBY, name="示例党支部")],
        [link("PART_OF", "cmp-new", COMM)],
    )
    with pytest.raises(ConflictError, match=YBY):
        run(store.apply_checked(batch))
    assert snapshot(store, run) == before


@pytest.mark.parametrize(
    "bad",
    [
        link("PART_OF", "cmp-new", "comm-nowhere"),  # an end neither stored nor in the batch
        link("PART_OF", P1, COMM),  # stored ends of kinds PART_OF does not join
    ],
    ids=["missing-end", "wrong-kinds"],
)
def test_apply_checked_refuses_links_the_graph_does_not_allow(
    store: GraphStore, run: Run, bad: Link
) -> None:
    load_city(store, run)
    before = snapshot(store, run)
    good = [node("Compound", "cmp-new", name="新小区")], [link("PART_OF", "cmp-new", COMM)]
    with pytest.raises(ValidationError):
        run(store.apply_checked(WriteBatch(good[0], [*good[1], bad])))
    assert snapshot(store, run) == before


def test_apply_checked_takes_no_deletes(store: GraphStore, run: Run) -> None:
    load_city(store, run)
    with pytest.raises(ValueError, match="upserts only"):
        run(store.apply_checked(WriteBatch(delete_nodes=[YBY])))
    assert run(store.get_nodes([YBY]))


@pytest.mark.neo4j
def test_neo4j_upserts_seek_the_id_indexes_without_an_eager(
    neo4j_store: GraphStore, run: Run
) -> None:
    """The bulk statements stream: MERGE seeks the unique id indexes, nothing materializes the
    batch (an Eager did, with ``SET n = row.props``), the link ends are index seeks too."""
    from govgraph.graph import cypher

    def plan(text: str) -> list[str]:
        ops: list[str] = run(plan_operators(neo4j_store, text, {"rows": [], "pairs": []}))
        return ops

    for text in (cypher.upsert_nodes("Compound"), cypher.upsert_nodes("Person")):
        ops = plan(text)
        assert "Eager" not in ops and "NodeUniqueIndexSeek(Locking)" in ops, ops
    for kind in ("HOLDS_POST", "PART_OF"):
        ops = plan(cypher.upsert_links(kind))
        assert "Eager" not in ops, ops
        assert ops.count("NodeUniqueIndexSeek(Locking)") == 2, ops
        assert "DirectedRelationshipUniqueIndexSeek(Locking)" in ops, ops


# --- lifecycle -----------------------------------------------------------------------------------
def test_ping(store: GraphStore, run: Run) -> None:
    assert run(store.ping()) is None


def test_init_schema_is_idempotent(store: GraphStore, run: Run) -> None:
    run(store.init_schema())
    run(store.init_schema())
    nodes, links = load_city(store, run)
    assert plain_counts(run(store.counts())) == expected_counts(nodes, links)


def test_clear(store: GraphStore, run: Run) -> None:
    nodes, _ = load_city(store, run)
    run(store.clear())
    assert snapshot(store, run) == (set(), [], ({}, {}))
    assert run(store.get_nodes(ids(nodes))) == {}
    assert run(store.search("云北苑")) == []
    assert run(store.projection()).number_of_nodes() == 0
    # the store stays usable, and old ids are free for any kind
    run(store.upsert([node("PartyBranch", YBY, name="示例党支部")]))
    assert run(store.get_nodes([YBY]))[YBY].kind == "PartyBranch"
