"""Pages of links with a ``where``, an ``order`` and a cursor (``expand.PageKey``) on both
stores: hand-checked pages of the city graph (``builders.py``), the same pages from a
level-by-level reference whose neighbours' link conditions are asked of ``list_nodes``, every
cursor walked to the end, the role checks, and the round trips (none added by a ``where``)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import pytest
from builders import (
    BLD1,
    BLD2,
    CMP3,
    CMP4,
    COMM,
    COMM2,
    OC1,
    P1,
    P2,
    P3,
    PB1,
    YBY,
    D,
    Run,
    city_graph,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from related_filters import Reference, link_and_neighbours

from govgraph.graph.errors import ForbiddenError, ValidationError
from govgraph.graph.expand import (
    EdgeSort,
    Expansion,
    Hop,
    LinkMatch,
    LinkPage,
    PageKey,
    check_page,
    cursor_of,
    expand_by_level,
    matching_ids,
)
from govgraph.graph.model import Node, link_id
from govgraph.graph.ontology import LINK_KINDS, link_props
from govgraph.graph.port import GraphStore
from govgraph.graph.privacy import Role, RoleView
from govgraph.graph.query import (
    Cmp,
    Direction,
    Filter,
    OfKind,
    Op,
    Quantifier,
    Related,
)

IN, OUT = Direction.IN, Direction.OUT
SOME = Quantifier.SOME


@pytest.fixture
def city(store: GraphStore, run: Run[None]) -> GraphStore:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    return store


def listing(store: GraphStore):  # type: ignore[no-untyped-def]  # a NodeTest
    """A :class:`~govgraph.graph.expand.NodeTest` that asks ``list_nodes`` (the reference)."""

    async def test(
        kind: str, nodes: Sequence[Node], where: Filter, as_of: dt.date | None
    ) -> set[str]:
        page = await store.list_nodes(
            kind, where=matching_ids(where, [n.id for n in nodes]), first=len(nodes), as_of=as_of
        )
        return {n.id for n in page.items}

    return test


def pages(
    store: GraphStore, run: Run[Expansion], ids: list[str], hops: tuple[Hop, ...]
) -> Expansion:
    """``store.expand``, checked against the level-by-level reference."""
    found = run(store.expand(ids, hops))
    reference = run(expand_by_level(store, ids, hops, listing(store)))
    assert plain(found) == plain(reference)
    return found


def plain(found: Expansion) -> dict[tuple[PageKey, str], tuple[int, bool, list[tuple[str, str]]]]:
    return {k: shown(p) for k, p in found.items()}


def shown(page: LinkPage) -> tuple[int, bool, list[tuple[str, str]]]:
    return page.total, page.has_next, [(nb.link.id, nb.node.id) for nb in page.items]


def posts_of(role: str) -> LinkMatch:
    return LinkMatch(link=Cmp("role", Op.EQ, role))


def employed() -> Filter:
    return Related("EMPLOYED_BY", OUT, SOME, node=(OfKind("PropertyCompany"),))


P2_OLD = link_id(P2, "HOLDS_POST", PB1)
P2_NEW = link_id(P2, "HOLDS_POST", PB1, "2023")
P1_PB1 = link_id(P1, "HOLDS_POST", PB1)


def test_a_where_on_the_link_counts_and_pages_only_what_matches(
    city: GraphStore, run: Run[Expansion]
) -> None:
    key = PageKey(
        "HOLDS_POST",
        IN,
        None,
        10,
        where=LinkMatch(link=Cmp("role", Op.IN, ("secretary", "deputy_secretary"))),
    )
    found = pages(city, run, [PB1], (Hop(key),))
    assert shown(found[(key, PB1)]) == (2, False, sorted([(P1_PB1, P1), (P2_NEW, P2)]))


def test_a_where_on_the_neighbour_follows_its_links(city: GraphStore, run: Run[Expansion]) -> None:
    """The researcher's question as a link field: the compound's committees that have a member
    employed by a property company, and those members (three links below the compound)."""
    member = Related("HOLDS_POST", IN, SOME, node=(OfKind("Person", employed()),))
    committees = PageKey(
        "REPRESENTS", IN, None, 5, where=LinkMatch(node=(OfKind("OwnersCommittee", member),))
    )
    members = PageKey(
        "HOLDS_POST", IN, None, 5, where=LinkMatch(node=(OfKind("Person", employed()),))
    )
    found = pages(city, run, [YBY, CMP3], (Hop(committees, None, (Hop(members),)),))
    assert shown(found[(committees, YBY)]) == (1, False, [(link_id(OC1, "REPRESENTS", YBY), OC1)])
    assert shown(found[(committees, CMP3)]) == (0, False, [])
    assert shown(found[(members, OC1)]) == (1, False, [(link_id(P3, "HOLDS_POST", OC1), P3)])
    # a neighbour of another kind than the one named does not match
    assembly = PageKey("REPRESENTS", IN, None, 5, where=LinkMatch(node=(OfKind("OwnersAssembly"),)))
    assert shown(pages(city, run, [YBY], (Hop(assembly),))[(assembly, YBY)]) == (0, False, [])


def test_the_neighbours_links_are_those_of_the_pages_day(
    city: GraphStore, run: Run[Expansion]
) -> None:
    """P1 chairs OC1 from 2021-05-20: in April the secretary of PB1 was no chair yet."""
    chair = Related("HOLDS_POST", OUT, SOME, link=Cmp("role", Op.EQ, "chair"))
    for day, expected in ((D(2021, 4, 1), []), (D(2022, 6, 1), [(P1_PB1, P1)])):
        key = PageKey("HOLDS_POST", IN, day, 5, where=LinkMatch(node=(OfKind("Person", chair),)))
        assert shown(pages(city, run, [PB1], (Hop(key),))[(key, PB1)]) == (
            len(expected),
            False,
            expected,
        )


def test_sorted_by_a_link_property_then_by_link_id(city: GraphStore, run: Run[Expansion]) -> None:
    key = PageKey(
        "HOLDS_POST", IN, None, 10, order=(EdgeSort("since", on_link=True, descending=True),)
    )
    found = pages(city, run, [PB1], (Hop(key),))
    # 2023 first, then the two of 2021-03-01 by link id
    assert [lid for lid, _ in shown(found[(key, PB1)])[2]] == [P2_NEW, *sorted([P1_PB1, P2_OLD])]


@pytest.mark.parametrize("descending", [False, True])
def test_missing_values_sort_last_both_ways(
    city: GraphStore, run: Run[Expansion], descending: bool
) -> None:
    """CMP3 has no built_year; CMP4 was built in 1998."""
    key = PageKey("PART_OF", IN, None, 10, order=(EdgeSort("built_year", descending=descending),))
    assert [n for _, n in shown(pages(city, run, [COMM2], (Hop(key),))[(key, COMM2)])[2]] == [
        CMP4,
        CMP3,
    ]


@pytest.mark.parametrize(
    "order",
    [
        (EdgeSort("since", on_link=True, descending=True),),
        (EdgeSort("role", on_link=True), EdgeSort("name", descending=True)),
        (EdgeSort("birth_year"),),  # P3's is missing
        (),
    ],
)
def test_every_cursor_continues_where_the_page_ended(
    city: GraphStore, run: Run[Expansion], order: tuple[EdgeSort, ...]
) -> None:
    """Pages of one, each after the last one's cursor, give the whole sorted list, on OC1 and
    PB1 at once (the cursor of one node's page is for that node's pages)."""
    whole = PageKey("HOLDS_POST", IN, None, 10, order=order)
    everything = pages(city, run, [PB1, OC1], (Hop(whole),))
    for parent in (PB1, OC1):
        expected = everything[(whole, parent)].items
        walked, after = [], None
        for _ in range(len(expected) + 1):
            key = PageKey("HOLDS_POST", IN, None, 1, after=after, order=order)
            page = pages(city, run, [parent], (Hop(key),))[(key, parent)]
            assert page.total == len(expected)
            walked.extend(page.items)
            if not page.has_next:
                break
            after = cursor_of(key, page.items[-1])
        assert [nb.link.id for nb in walked] == [nb.link.id for nb in expected]


def test_where_order_and_cursor_below_another_page(city: GraphStore, run: Run[Expansion]) -> None:
    old = LinkMatch(node=(OfKind("Compound", Cmp("built_year", Op.LTE, 2000)),))
    parts = PageKey("PART_OF", IN, None, 5, where=old, order=(EdgeSort("name"),))
    buildings = PageKey("PART_OF", IN, None, 1, order=(EdgeSort("name", descending=True),))
    found = pages(city, run, [COMM, COMM2], (Hop(parts, None, (Hop(buildings),)),))
    assert shown(found[(parts, COMM)]) == (1, False, [(link_id(YBY, "PART_OF", COMM), YBY)])
    assert shown(found[(parts, COMM2)]) == (1, False, [(link_id(CMP4, "PART_OF", COMM2), CMP4)])
    assert shown(found[(buildings, YBY)]) == (2, True, [(link_id(BLD2, "PART_OF", YBY), BLD2)])
    after = cursor_of(buildings, found[(buildings, YBY)].items[0])
    rest = PageKey("PART_OF", IN, None, 1, after=after, order=buildings.order)
    found = pages(city, run, [COMM], (Hop(parts, None, (Hop(rest),)),))
    assert shown(found[(rest, YBY)]) == (2, False, [(link_id(BLD1, "PART_OF", YBY), BLD1)])


def test_a_where_costs_no_round_trip(city: GraphStore, run: Run[Expansion]) -> None:
    member = Related("HOLDS_POST", IN, SOME, node=(OfKind("Person", employed()),))
    where = LinkMatch(Cmp("since", Op.GTE, D(2000, 1, 1)), (OfKind("OwnersCommittee", member),))
    plain_hops = (
        Hop(PageKey("REPRESENTS", IN, None, 5), None, (Hop(PageKey("HOLDS_POST", IN, None, 5)),)),
    )
    filtered = (
        Hop(
            PageKey("REPRESENTS", IN, None, 5, where=where, order=(EdgeSort("name"),)),
            None,
            (Hop(PageKey("HOLDS_POST", IN, None, 5, order=(EdgeSort("role", on_link=True),))),),
        ),
    )
    counted = []
    for hops in (plain_hops, filtered):
        before = dict(city.stats.by_operation)
        run(city.expand([YBY], hops))
        counted.append(
            {
                k: v - before.get(k, 0)
                for k, v in city.stats.by_operation.items()
                if v != before.get(k, 0)
            }
        )
    assert counted[0] == counted[1]
    assert sum(counted[1].values()) in (1, 2)  # one statement, or a neighbours call per hop


def test_what_a_page_may_ask_is_checked(city: GraphStore, run: Run[Expansion]) -> None:
    with pytest.raises(ValidationError, match="birth_year"):
        PageKey("REPRESENTS", IN, None, 5, order=(EdgeSort("birth_year"),))
    with pytest.raises(ValidationError, match="mode"):
        PageKey("HOLDS_POST", IN, None, 5, order=(EdgeSort("mode", on_link=True),))
    # a kind that is never at the other end, a property the neighbour kind lacks, a bad value
    for where in (
        LinkMatch(node=(OfKind("Compound"),)),
        LinkMatch(node=(OfKind("Person", Cmp("households", Op.EQ, 1)),)),
        LinkMatch(link=Cmp("since", Op.EQ, "not a day")),
    ):
        with pytest.raises(ValidationError):
            check_page("PartyBranch", PageKey("HOLDS_POST", IN, None, 5, where=where))
    checked = check_page(
        "PartyBranch",
        PageKey("HOLDS_POST", IN, None, 5, where=LinkMatch(Cmp("since", Op.EQ, "2021-03-01"))),
    )
    assert checked.where == LinkMatch(Cmp("since", Op.EQ, D(2021, 3, 1)))
    sorted_key = PageKey(
        "HOLDS_POST", IN, None, 5, after="bm90IGEgY3Vyc29y", order=(EdgeSort("name"),)
    )
    with pytest.raises(ValidationError, match="cursor"):
        run(city.expand([PB1], (Hop(sorted_key),)))


def test_a_researcher_filters_and_sorts_only_on_what_it_reads(
    city: GraphStore, run: Run[Expansion]
) -> None:
    view = RoleView(city, Role.RESEARCHER, b"test secret")
    refused = [
        PageKey(
            "HOLDS_POST",
            IN,
            None,
            5,
            where=LinkMatch(node=(OfKind("Person", Cmp("name", Op.EQ, "x")),)),
        ),
        PageKey(
            "HOLDS_POST", IN, None, 5, where=LinkMatch(link=Cmp("since", Op.GTE, D(2021, 1, 1)))
        ),
        PageKey("HOLDS_POST", IN, None, 5, order=(EdgeSort("name"),)),
        PageKey("HOLDS_POST", IN, None, 5, order=(EdgeSort("since", on_link=True),)),
        PageKey("RESIDES_IN", IN, None, 5, where=LinkMatch()),
        PageKey("RESIDES_IN", IN, None, 5, order=(EdgeSort("gender"),)),
        # at any depth: a neighbour's link filter on what is hidden
        PageKey(
            "HOLDS_POST",
            IN,
            None,
            5,
            where=LinkMatch(
                node=(
                    OfKind(
                        "Person",
                        Related("EMPLOYED_BY", OUT, SOME, link=Cmp("since", Op.IS_NULL, True)),
                    ),
                )
            ),
        ),
    ]
    for key in refused:
        before = city.stats.queries
        with pytest.raises(ForbiddenError):
            run(view.expand([PB1], (Hop(PageKey("REPRESENTS", IN, None, 5), None, (Hop(key),)),)))
        with pytest.raises(ForbiddenError):
            run(view.lookup([OC1], (Hop(key),)))
        assert city.stats.queries == before  # refused before the store is read
    public = RoleView(city, Role.PUBLIC, b"test secret")
    with pytest.raises(ForbiddenError):
        run(public.expand([PB1], (Hop(PageKey("HOLDS_POST", IN, None, 5, where=LinkMatch())),)))


def test_a_researcher_gets_the_departments_page_pseudonymized(
    city: GraphStore, run: Run[Expansion]
) -> None:
    view = RoleView(city, Role.RESEARCHER, b"test secret")
    members = PageKey(
        "HOLDS_POST",
        IN,
        None,
        5,
        where=LinkMatch(Cmp("role", Op.NE, "chair"), (OfKind("Person", employed()),)),
        order=(EdgeSort("gender"), EdgeSort("role", on_link=True)),
    )
    mine = run(view.expand([OC1], (Hop(members),)))[(members, OC1)]
    theirs = run(city.expand([OC1], (Hop(members),)))[(members, OC1)]
    assert (
        [view.real_id(nb.node.id) for nb in mine.items]
        == [nb.node.id for nb in theirs.items]
        == [P3]
    )
    assert mine.items[0].node.id != P3
    assert (mine.total, mine.has_next) == (theirs.total, theirs.has_next) == (1, False)


# --- drawn pages against a plain reference ----------------------------------------------------
KINDS = frozenset(n.kind for n in city_graph()[0])
AS_OF = st.sampled_from([None, D(2021, 4, 1), D(2022, 6, 1), D(2024, 6, 1)])
SOURCES = ("Compound", "Person", "PartyBranch", "Community", "OwnersCommittee", "Township")


@st.composite
def drawn_pages(draw: st.DrawFn) -> tuple[str, PageKey]:
    """A node kind and a page of one of its link fields: a where on the link and on the
    neighbour (link filters inside, drawn as ``related_filters`` draws them), sort keys on both,
    a page size and a day."""
    kind = draw(st.sampled_from(SOURCES))
    through, link, node = draw(link_and_neighbours(kind, KINDS, 3))
    where = None if link is None and node is None and draw(st.booleans()) else LinkMatch(link, node)
    lk = LINK_KINDS[through.link_kind]
    keys = [EdgeSort(f) for f in ("id", "name")]
    keys += [EdgeSort(p.name, on_link=True) for p in link_props(lk)]
    order = draw(st.lists(st.sampled_from(keys), max_size=2, unique=True))
    order = [EdgeSort(s.field, s.on_link, draw(st.booleans())) for s in order]
    first = draw(st.integers(1, 3))
    return kind, PageKey(
        through.link_kind, through.direction, draw(AS_OF), first, None, where, tuple(order)
    )


def reference_page(reference: Reference, nid: str, key: PageKey) -> list[str]:
    """The link ids of ``nid``'s whole page of ``key`` (before cutting), by hand."""
    where = key.where or LinkMatch()
    match = Related(key.kind, key.direction, SOME, where.link, where.node)
    found = [
        lk
        for lk, other in reference._ends(nid, key.kind, key.direction, key.as_of)
        if reference._link_holds(lk, match.link)
        and reference._neighbour_holds(other, match, key.as_of)
    ]

    def value(lk: Any, s: EdgeSort) -> Any:
        if s.on_link:
            return lk.props.get(s.field)
        other = lk.source if key.direction is IN else lk.target
        return other if s.field == "id" else reference.nodes[other].props.get(s.field)

    def order(a: Any, b: Any) -> int:
        for s in key.order:
            x, y = value(a, s), value(b, s)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1  # missing last, either way
            return (-1 if x < y else 1) * (-1 if s.descending else 1)
        return -1 if a.id < b.id else 1

    return [lk.id for lk in sorted(found, key=functools.cmp_to_key(order))]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_drawn_pages_agree_with_the_reference(
    store: GraphStore, run: Run[Any], data: st.DataObject
) -> None:
    if not run(store.count_nodes("City")):  # the store lives for all examples: load it once
        run(store.upsert(*city_graph()))
    reference = Reference(*city_graph())
    kind, key = data.draw(drawn_pages(), label="page")
    ids = sorted(reference.matching(kind, None))
    found = run(store.expand(ids, (Hop(key),)))
    for nid in ids:
        expected = reference_page(reference, nid, key)
        page = found[(key, nid)]
        assert [nb.link.id for nb in page.items] == expected[: key.first]
        assert (page.total, page.has_next) == (len(expected), len(expected) > key.first)
        if page.has_next:  # the next page, after the cursor of this one's last link
            after = cursor_of(key, page.items[-1])
            rest = PageKey(
                key.kind, key.direction, key.as_of, key.first, after, key.where, key.order
            )
            then = run(store.expand([nid], (Hop(rest),)))[(rest, nid)]
            assert [nb.link.id for nb in then.items] == expected[key.first : 2 * key.first]
