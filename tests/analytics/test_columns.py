"""The columnar index and the shared facts derived from it (``derived.py``): on the tiny city,
what its records say, worked out by hand; on the demo data set, what must hold of any data.
The findings built on them are held to the baselines by ``bench/findings_baseline.py
--compare``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgraph.graph.analytics import derived
from govgraph.graph.analytics.columns import (
    NO_UNTIL,
    Columns,
    DayView,
    Renumbering,
    build_columns,
    columns_of,
    day_number,
)
from govgraph.graph.analytics.examples import AS_OF, tiny_city
from govgraph.graph.analytics.kinds import LEVEL_KINDS
from govgraph.graph.analytics.projection import project
from govgraph.graph.analytics.span import data_span
from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]

_PARTY_ORGS = ("PartyBranch", "PartyGroup", "PartyCommittee")


@pytest.fixture(scope="module")
def demo_history(run: Run) -> Iterator[nx.MultiDiGraph]:
    store = EmbeddedStore()
    run(load_demo(store))
    g: nx.MultiDiGraph = run(project(store))
    yield nx.freeze(g)
    run(store.close())


def _days(history: nx.MultiDiGraph) -> list[dt.date | None]:
    """The data's last day, a year and three years before it, and the whole history."""
    last = data_span(history).last
    assert last is not None
    return [last, last - dt.timedelta(days=365), last - dt.timedelta(days=3 * 365), None]


def _ids(cols: Columns, numbers: Any) -> list[str]:
    return cols.ids_of(numbers)


def test_the_tiny_citys_shared_facts() -> None:
    """The derived answers on the tiny city, worked out by hand from its records, on the day it
    describes and on 1 February (before p10 left the branch)."""
    cols = columns_of(nx.freeze(tiny_city()))
    for as_of in (AS_OF, dt.date(2021, 2, 1)):
        day = cols.day(as_of)

        def name(i: int) -> str | None:
            return cols.id(i) if i >= 0 else None

        place = derived.place(day)
        upper = ["comm", "town", "city"]
        for n in ("p1", "p3", "p7", "p9", "p10", "pb1", "pg1", "oc1", "co1", "ss1", "a1", "ev2020"):
            assert [name(int(x)) for x in place[cols.number(n)]] == ["c1", *upper], n
        for n in ("p8", "pcom"):  # a member of the community's committee only; the committee
            assert [name(int(x)) for x in place[cols.number(n)]] == [None, *upper], n
        u4 = cols.number("u4")
        compound_of, building_of = derived.compound_of(day), derived.building_of(day)
        assert (name(int(compound_of[u4])), name(int(building_of[u4]))) == ("c2", "b3")
        assert name(int(compound_of[cols.number("p1")])) is None  # not a unit or a building
        c2 = _ids(cols, np.flatnonzero(derived.under(day, cols.number("c2"))))
        assert c2 == ["b3", "c2", "p4", "p5", "p6", "u4", "u5", "u6"]
        homes, buildings, owned = (
            derived.homes(day),
            derived.home_buildings(day),
            derived.owned_compounds(day),
        )
        m = derived.memberships(day)
        p10_in = as_of < dt.date(2021, 2, 28)
        # person: homes, home buildings, owned compounds, (member, full or unstated, full,
        # in service, in a branch or group)
        expected = {
            "p1": (["c1"], ["b1"], ["c1"], (True, True, True, True, True)),
            "p2": (["c1"], ["b1"], ["c1"], (True, True, True, False, True)),
            "p3": (["c1"], ["b2"], ["c1"], (False, False, False, False, False)),
            "p4": (["c2"], ["b3"], ["c2"], (True, True, True, False, True)),
            "p7": (["c1"], ["b2"], [], (True, False, False, True, True)),
            "p8": ([], [], [], (True, True, True, False, False)),
            "p9": ([], [], [], (True, True, True, True, True)),
            "p10": (["c1"], ["b1"], [], (p10_in, p10_in, p10_in, False, p10_in)),
        }
        for p, (home, building, owns, flags) in expected.items():
            i = cols.number(p)
            assert _ids(cols, homes.of(i)) == home, p
            assert _ids(cols, buildings.of(i)) == building, p
            assert _ids(cols, owned.of(i)) == owns, p
            got = (m.member[i], m.full_or_unstated[i], m.full[i], m.in_service[i], m.in_branch[i])
            assert tuple(map(bool, got)) == flags, p
        members = derived.members(day)
        pb1 = ["p1", *(["p10"] if p10_in else []), "p2", "p4", "p5", "p6", "p7", "p9"]
        assert _ids(cols, members.of(cols.number("pb1"))) == pb1
        assert _ids(cols, members.of(cols.number("pg1"))) == ["p1", "p2"]
        assert _ids(cols, members.of(cols.number("pcom"))) == ["p8"]
        posts = derived.posts(day)
        secretary = posts.holders("secretary", cols.size)
        chair = posts.holders("chair", cols.size)
        for body, held, head in (
            ("pb1", {"p1": "secretary", "p2": "committee_member"}, ("p1", None)),
            ("oc1", {"p1": "chair", "p2": "vice_chair", "p3": "member"}, (None, "p1")),
        ):
            i = cols.number(body)
            assert {cols.id(p): r for p, r in posts.of(i).items()} == held, body
            assert (name(int(secretary[i])), name(int(chair[i]))) == head, body
        assert _ids(cols, np.flatnonzero(derived.grouped_buildings(day))) == ["b1"]
        people = cols.of_kind("Person")
        working = {"p3": "示例物业公司", "p9": "示例物业公司"}
        employers = derived.employers(day, people)
        assert employers == [working.get(p, "?") for p in _ids(cols, people)]


def _check(cols: Columns, as_of: dt.date | None) -> None:
    """What holds of the derived answers on any data: only people are members, live or own
    anywhere; only Party organizations have members; a place's chain is its place."""
    day = cols.day(as_of)
    homes, home_buildings, owned = (
        derived.homes(day),
        derived.home_buildings(day),
        derived.owned_compounds(day),
    )
    m = derived.memberships(day)
    people = np.zeros(cols.size, np.bool_)
    people[cols.of_kind("Person")] = True
    assert not (m.member & ~people).any()
    assert people[homes.a].all() and people[home_buildings.a].all() and people[owned.a].all()
    orgs = np.zeros(cols.size, np.bool_)
    for kind in _PARTY_ORGS:
        orgs[cols.of_kind(kind)] = True
    assert orgs[derived.members(day).a].all()
    chains, place = derived.place_chains(day), derived.place(day)
    places = np.concatenate([cols.of_kind(k) for k in LEVEL_KINDS.values()])
    assert (chains[places] == place[places]).all()
    others = np.ones(cols.size, np.bool_)
    others[places] = False
    assert (chains[others] == -1).all()


def test_demo_invariants(demo_history: nx.MultiDiGraph) -> None:
    cols = columns_of(demo_history)
    for as_of in _days(demo_history):
        _check(cols, as_of)


def test_blocks_hold_every_link(demo_history: nx.MultiDiGraph) -> None:
    """Every link of the projection is a row of one block, with its id, kind and dates."""
    cols = columns_of(demo_history)
    expected = {}
    for u, v, lid, d in demo_history.edges(keys=True, data=True):
        until = day_number(d.get("until"))
        expected[lid] = (
            u,
            v,
            d["kind"],
            day_number(d.get("since")),
            NO_UNTIL if until == day_number(None) else until,
        )
    found = {}
    for b in cols.all_blocks():
        src, dst = cols.ids_of(b.src), cols.ids_of(b.dst)
        assert {cols.kind_of(int(i)) for i in b.src} <= {b.source_kind}
        assert {cols.kind_of(int(i)) for i in b.dst} <= {b.target_kind}
        # sorted by (source, target); by_dst by (target, source)
        assert np.all(np.diff(b.src.astype(np.int64) * cols.size + b.dst) >= 0)
        rev = b.dst[b.by_dst].astype(np.int64) * cols.size + b.src[b.by_dst]
        assert np.all(np.diff(rev) >= 0)
        for row in range(len(b)):
            lid = cols.link_id(b, row)
            found[lid] = (src[row], dst[row], b.kind, int(b.since[row]), int(b.until[row]))
    assert found == expected


def test_node_columns_and_names() -> None:
    g = tiny_city()
    cols = columns_of(g)
    for n, d in g.nodes(data=True):
        i = cols.number(n)
        assert cols.kind_of(i) == d["kind"]
        assert cols.name(i) == d.get("name")
    row = cols.local[cols.number("pb1")]
    assert cols.column("PartyBranch", "elected_on")[row] == day_number(dt.date(2021, 1, 5))
    form = cols.column("PartyBranch", "form")
    assert not isinstance(form, np.ndarray)
    assert form.value(int(form.codes[row])) == "standalone"
    ratio = cols.column("Compound", "delivered_area_ratio")
    assert isinstance(ratio, np.ndarray)
    assert ratio.tolist() == [1.0, 1.0]
    with pytest.raises(KeyError):
        cols.number("nowhere")


def test_keyed_links_sort_after_the_unkeyed() -> None:
    """Two posts of one person in one body: the link without a key comes first (its id sorts
    first), so the senior-role tie goes to it."""
    nodes = [("p", "Person", {}), ("b", "PartyBranch", {})]
    links = [
        ("p", "b", "HOLDS_POST", "z", {"role": "committee_member"}),
        ("p", "b", "HOLDS_POST", "", {"role": "member"}),
        ("p", "b", "HOLDS_POST", "a", {"role": "deputy_secretary"}),
    ]
    cols = build_columns(nodes, links)
    (b,) = cols.blocks("HOLDS_POST")
    assert [cols.link_id(b, r) for r in range(3)] == [
        "p|HOLDS_POST|b",
        "p|HOLDS_POST|b|a",
        "p|HOLDS_POST|b|z",
    ]
    assert derived.posts(cols.day(None)).of(cols.number("b")) == {
        cols.number("p"): "deputy_secretary"
    }
    links[2] = ("p", "b", "HOLDS_POST", "a", {"role": "committee_member"})
    tied = derived.posts(build_columns(nodes, links).day(None))
    assert tied.of(0) == {1: "member"}  # b is 0, p is 1; a tie goes to the first link


def test_day_views_are_kept_on_the_index() -> None:
    cols = columns_of(tiny_city())
    first: DayView = cols.day(AS_OF)
    assert cols.day(AS_OF) is first
    assert derived.place(first) is derived.place(cols.day(AS_OF))
    for k in range(20):
        cols.day(AS_OF + dt.timedelta(days=k + 1))
    assert cols.day(AS_OF) is not first  # the oldest asked went


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.sets(st.integers(0, n - 1), max_size=12),
            st.lists(st.integers(0, n), max_size=12),
        )
    )
)
def test_a_renumbering_moves_numbers_and_rows_as_node_by_node(
    case: tuple[int, set[int], list[int]],
) -> None:
    """Nodes deleted and added (more than a few of each too: a search per number then): each
    kept node's number and row go where counting node by node puts them."""
    size, deleted, places = case
    kept = [i for i in range(size) if i not in deleted]
    cuts = sorted(min(c, len(kept)) for c in places)  # kept nodes before each node added
    r = Renumbering(np.array(sorted(deleted), np.int64), np.array(cuts, np.int64))
    new = {old: rank + sum(c <= rank for c in cuts) for rank, old in enumerate(kept)}
    numbers = np.array([-1, *range(size)], np.int32)
    assert r.numbers(numbers).tolist() == [-1, *(new.get(i, -1) for i in range(size))]
    rows = r.rows(np.arange(size) * 10, -1).tolist()
    assert rows == [10 * old if old >= 0 else -1 for old in _old_of(new, len(kept) + len(cuts))]
    assert r.added.tolist() == [i for i, old in enumerate(_old_of(new, len(rows))) if old < 0]


def _old_of(new: dict[int, int], size: int) -> list[int]:
    by_new = {n: old for old, n in new.items()}
    return [by_new.get(i, -1) for i in range(size)]
