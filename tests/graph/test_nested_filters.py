"""Filters through links (:class:`~govgraph.graph.query.Related`) on both stores: hand-checked
cases on the city graph, the port's refusals, and a property-based test that draws nested filters
and compares both stores with the plain reference of ``related_filters.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

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
    OC1,
    P1,
    P2,
    P3,
    PB1,
    PB2,
    PB3,
    TOWN,
    YBY,
    D,
    Run,
    city_graph,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from related_filters import Reference, filters

from govgraph.graph.errors import ValidationError
from govgraph.graph.model import Link, Node, node
from govgraph.graph.port import GraphStore
from govgraph.graph.query import (
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    Not,
    OfKind,
    Op,
    Or,
    Quantifier,
    Related,
)

SOME, ALL, NONE, SINGLE = Quantifier.SOME, Quantifier.ALL, Quantifier.NONE, Quantifier.SINGLE
IN, OUT = Direction.IN, Direction.OUT


def employed() -> Filter:
    """A person employed by a property company."""
    return Related("EMPLOYED_BY", OUT, SOME, node=(OfKind("PropertyCompany"),))


def committee_with_employee() -> Filter:
    """The researcher's question: a compound whose owners' committee has a member employed by a
    property company (three links deep)."""
    member = Related("HOLDS_POST", IN, SOME, node=(OfKind("Person", employed()),))
    return Related("REPRESENTS", IN, SOME, node=(OfKind("OwnersCommittee", member),))


def by_committee(where: Filter) -> Filter:
    """A compound represented by an owners' committee that matches ``where``."""
    return Related("REPRESENTS", IN, SOME, node=(OfKind("OwnersCommittee", where),))


def employed_member(role: str) -> Filter:
    """A post holder in ``role`` who is employed by a property company."""
    employee = (OfKind("Person", employed()),)
    return Related("HOLDS_POST", IN, SOME, link=Cmp("role", Op.EQ, role), node=employee)


def old_yby() -> Filter:
    return Cmp("name", Op.EQ, "云北苑小区")


def standalone_branch(quantifier: Quantifier) -> Filter:
    form = Cmp("form", Op.EQ, "standalone")
    return Related("COVERS", IN, quantifier, node=(OfKind("PartyBranch", form),))


def posts(quantifier: Quantifier, link: Filter | None = None) -> Filter:
    return Related("HOLDS_POST", IN, quantifier, link=link)


#: (kind, filter, as_of, expected ids): see builders.city_links for the graph
CASES: dict[str, tuple[str, Filter, dt.date | None, set[str]]] = {
    "three links deep": ("Compound", committee_with_employee(), None, {YBY}),
    "three links deep, before the committee": (
        "Compound",
        committee_with_employee(),
        D(2021, 5, 1),
        set(),
    ),
    # the chain reads OC1's REPRESENTS link twice, down and back up: separate EXISTS allow
    # that, and so must the chain of MATCH clauses Neo4j gets (cypher.lifted_match)
    "one link on two levels": (
        "Compound",
        by_committee(Related("REPRESENTS", OUT, SOME, node=(OfKind("Compound", old_yby()),))),
        None,
        {YBY},
    ),
    "three links deep, and a condition on each level": (
        "Compound",
        And(
            (
                Cmp("is_old", Op.EQ, True),
                by_committee(
                    And((Cmp("name", Op.CONTAINS, "业主委员会"), employed_member("member")))
                ),
            )
        ),
        None,
        {YBY},
    ),
    "three links deep, the member not employed": (
        "Compound",
        by_committee(employed_member("chair")),
        None,
        set(),
    ),
    "some": ("Compound", standalone_branch(SOME), None, {YBY}),
    # CMP4 has no branch: "every branch covering it is standalone" holds (vacuous truth)
    "all, vacuous without links": ("Compound", standalone_branch(ALL), None, {YBY, CMP4}),
    # PB2's cover of CMP3 ended 2023-12-31: in 2024 CMP3 has no branch either
    "all, links ended by as_of": (
        "Compound",
        standalone_branch(ALL),
        D(2024, 6, 1),
        {YBY, CMP3, CMP4},
    ),
    "all and some: the anchor's all": (
        "Compound",
        And((standalone_branch(ALL), Related("COVERS", IN, SOME))),
        None,
        {YBY},
    ),
    "none": ("Compound", standalone_branch(NONE), None, {CMP2, CMP3, CMP4}),
    "none of any link is has-not": ("Compound", Related("COVERS", IN, NONE), None, {CMP4}),
    "not some is none": ("Compound", Not(standalone_branch(SOME)), None, {CMP2, CMP3, CMP4}),
    # single counts links: P2 held two posts in PB1 (two keys), P1 one
    "single, of links": (
        "PartyBranch",
        posts(SINGLE, Cmp("role", Op.IN, ("committee_member", "deputy_secretary"))),
        None,
        set(),
    ),
    "single, on as_of": (
        "PartyBranch",
        posts(SINGLE, Cmp("role", Op.IN, ("committee_member", "deputy_secretary"))),
        D(2022, 6, 1),
        {PB1},
    ),
    "single secretary": (
        "PartyBranch",
        posts(SINGLE, Cmp("role", Op.EQ, "secretary")),
        None,
        {PB1},
    ),
    "link properties": (
        "OwnersCommittee",
        posts(SOME, And((Cmp("role", Op.EQ, "chair"), Cmp("since", Op.GTE, D(2021, 5, 20))))),
        None,
        {OC1},
    ),
    "link property missing fails, but not under ne": (
        "Person",
        Or(
            (
                Related("HOLDS_POST", OUT, SOME, link=Cmp("source", Op.EQ, "test ledger")),
                Related("EMPLOYED_BY", OUT, SOME, link=Cmp("source", Op.NE, "x")),
            )
        ),
        None,
        {P1, P3},
    ),
    "not on a link property": (
        "Person",
        Related(
            "HOLDS_POST",
            OUT,
            SOME,
            link=Not(Cmp("role", Op.EQ, "secretary")),
            node=(OfKind("PartyBranch"),),
        ),
        None,
        {P2},
    ),
    "all posts are secretary or chair": (
        "Person",
        Related("HOLDS_POST", OUT, ALL, link=Cmp("role", Op.IN, ("secretary", "chair"))),
        None,
        {P1},
    ),
    "neighbour of one of two kinds": (
        "Person",
        Related(
            "HOLDS_POST",
            OUT,
            SOME,
            node=(
                OfKind("PartyBranch", Cmp("form", Op.EQ, "standalone")),
                OfKind("OwnersCommittee"),
            ),
        ),
        None,
        {P1, P2, P3},
    ),
    "all: a neighbour of another kind is a counterexample": (
        "Person",
        Related("HOLDS_POST", OUT, ALL, node=(OfKind("PartyBranch"),)),
        None,
        {P2},
    ),
    "missing property under not, nested": (
        "Community",
        Related(
            "PART_OF",
            IN,
            ALL,
            node=(OfKind("Compound", Not(Cmp("built_year", Op.LT, 1990))),),
        ),
        None,
        # COMM2 holds CMP3, which has no built_year: NOT (null < 1990) holds
        {COMM, COMM2},
    ),
    # on Neo4j, NOT of a comparison with a missing property was null (the row dropped) before
    # comparisons were made two-valued; the embedded store always kept it
    "not of a missing property": (
        "Compound",
        Not(Cmp("built_year", Op.EQ, 1998)),
        None,
        {CMP2, CMP3},
    ),
    "missing property fails in all": (
        "Community",
        Related("PART_OF", IN, ALL, node=(OfKind("Compound", Cmp("built_year", Op.GTE, 1990)),)),
        None,
        {COMM},
    ),
    "four links up and down": (
        "City",
        Related(
            "PART_OF",
            IN,
            SOME,
            node=(
                OfKind(
                    "Township",
                    Related(
                        "PART_OF",
                        IN,
                        SOME,
                        node=(
                            OfKind(
                                "Community",
                                Related(
                                    "PART_OF",
                                    IN,
                                    SOME,
                                    node=(OfKind("Compound", Related("COVERS", IN, NONE)),),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        None,
        {CITY},
    ),
    "a branch's compounds, up": (
        "PartyBranch",
        Related(
            "COVERS",
            OUT,
            SOME,
            node=(OfKind("Compound", Related("PART_OF", OUT, SOME, node=(OfKind("Community"),))),),
        ),
        D(2024, 6, 1),
        {PB1, PB2},
    ),
    "beside has and properties": (
        "Compound",
        And(
            (
                Cmp("is_old", Op.EQ, True),
                HasLink("PART_OF", IN),
                Related("MANAGES", IN, SOME, link=Cmp("mode", Op.EQ, "existing_company")),
            )
        ),
        None,
        {YBY},
    ),
    "building of a compound with a chair": (
        "Building",
        Related(
            "PART_OF",
            OUT,
            SOME,
            node=(
                OfKind(
                    "Compound",
                    Related(
                        "REPRESENTS",
                        IN,
                        SOME,
                        node=(OfKind("OwnersCommittee", posts(SOME, Cmp("role", Op.EQ, "chair"))),),
                    ),
                ),
            ),
        ),
        None,
        {BLD1, BLD2},
    ),
    "branch without posts": ("PartyBranch", posts(NONE), None, {PB2, PB3}),
    "town with a community of two compounds": (
        "Township",
        Related("PART_OF", IN, SOME, node=(OfKind("Community", Cmp("id", Op.EQ, COMM2)),)),
        None,
        {TOWN},
    ),
}


def load(store: GraphStore, run: Run) -> tuple[list[Node], list[Link]]:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    return nodes, links


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_filters_through_links(
    store: GraphStore, run: Run, case: tuple[str, Filter, dt.date | None, set[str]]
) -> None:
    kind, where, as_of, expected = case
    nodes, links = load(store, run)
    assert Reference(nodes, links).matching(kind, where, as_of) == expected  # the hand check
    page = run(store.list_nodes(kind, where=where, as_of=as_of))
    assert [n.id for n in page.items] == sorted(expected)
    assert run(store.count_nodes(kind, where=where, as_of=as_of)) == len(expected)


BAD: dict[str, Callable[[GraphStore], Any]] = {
    "a link the kind cannot have": lambda s: s.list_nodes(
        "Compound", where=Related("HOLDS_POST", OUT)
    ),
    "the wrong direction": lambda s: s.list_nodes("Compound", where=Related("COVERS", OUT)),
    "a neighbour kind not at the other end": lambda s: s.list_nodes(
        "Compound", where=Related("COVERS", IN, node=(OfKind("Person"),))
    ),
    "an unknown link kind": lambda s: s.list_nodes("Compound", where=Related("FRIEND_OF", IN)),
    "a property the link kind lacks": lambda s: s.list_nodes(
        "Compound", where=Related("COVERS", IN, link=Cmp("role", Op.EQ, "x"))
    ),
    "a link's id": lambda s: s.list_nodes(
        "Compound", where=Related("COVERS", IN, link=Cmp("id", Op.EQ, "x"))
    ),
    "a link filter on a link": lambda s: s.list_nodes(
        "Compound", where=Related("COVERS", IN, link=HasLink("COVERS"))
    ),
    "a nested unknown field": lambda s: s.list_nodes(
        "Compound",
        where=Related("COVERS", IN, node=(OfKind("PartyBranch", Cmp("colour", Op.EQ, "red")),)),
    ),
    "a mistyped link value": lambda s: s.list_nodes(
        "Compound", where=Related("COVERS", IN, link=Cmp("since", Op.LT, "soon"))
    ),
    "a mistyped nested value": lambda s: s.count_nodes(
        "Compound",
        where=Related("COVERS", IN, node=(OfKind("PartyBranch", Cmp("term_years", Op.GT, "x")),)),
    ),
}


@pytest.mark.parametrize("request_", list(BAD.values()), ids=list(BAD))
def test_bad_link_filters_raise_validation_error(
    store: GraphStore, run: Run, request_: Callable[[GraphStore], Any]
) -> None:
    load(store, run)
    with pytest.raises(ValidationError):
        run(request_(store))


def test_values_in_link_filters_are_parameters(store: GraphStore, run: Run) -> None:
    """Text that looks like Cypher is a value like any other."""
    load(store, run)
    evil = "x' }) MATCH (n) DETACH DELETE n //"
    where = Related(
        "HOLDS_POST",
        IN,
        SOME,
        link=Cmp("role", Op.NE, evil),
        node=(OfKind("Person", Cmp("name", Op.CONTAINS, evil)),),
    )
    assert run(store.list_nodes("PartyBranch", where=where)).items == []
    assert run(store.count_nodes("Compound")) == 4


# --- both stores and the reference, on drawn filters ----------------------------------------------
KINDS = frozenset(n.kind for n in city_graph()[0])
AS_OF = st.sampled_from([None, D(2021, 4, 1), D(2022, 6, 1), D(2024, 6, 1)])
DRAWN_KINDS = ("Compound", "Person", "PartyBranch", "Community", "OwnersCommittee", "Building")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_drawn_filters_agree_with_the_reference(
    store: GraphStore, run: Run, data: st.DataObject
) -> None:
    if not run(store.count_nodes("City")):  # the store lives for all examples: load it once
        load(store, run)
    nodes, links = city_graph()
    reference = Reference(nodes, links)
    kind = data.draw(st.sampled_from(DRAWN_KINDS), label="kind")
    where = data.draw(filters(kind, KINDS, depth=3), label="where")
    as_of = data.draw(AS_OF, label="as_of")
    expected = sorted(reference.matching(kind, where, as_of))
    got = run(store.list_nodes(kind, where=where, as_of=as_of, first=1000))
    assert [n.id for n in got.items] == expected


def test_an_extra_node_without_links_passes_all_and_none(store: GraphStore, run: Run) -> None:
    """Vacuous truth, stated once more: a compound with no link at all."""
    load(store, run)
    run(store.upsert([node("Compound", "cmp-alone", name="示例孤岛")]))
    for where in (
        Related("COVERS", IN, ALL, node=(OfKind("PartyBranch", Cmp("form", Op.EQ, "joint")),)),
        Related("COVERS", IN, NONE),
        Related("REPRESENTS", IN, ALL, link=Cmp("since", Op.IS_NULL, False)),
    ):
        assert "cmp-alone" in [n.id for n in run(store.list_nodes("Compound", where=where)).items]
    for where in (Related("COVERS", IN, SOME), Related("COVERS", IN, SINGLE)):
        assert "cmp-alone" not in [
            n.id for n in run(store.list_nodes("Compound", where=where)).items
        ]
