"""The columnar index answers what Facts answers (issue 15): the parity gate for the index,
before any rule reads it.

On the tiny city and on the demo data set, for several days and the whole history, every
derived array of :mod:`govgraph.graph.analytics.derived` is compared, node by node, with the
answer of :class:`~govgraph.graph.analytics._facts.Facts` on the same day's projection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import networkx as nx
import numpy as np
import pytest

from govgraph.graph.analytics import derived
from govgraph.graph.analytics._facts import LEVEL_KINDS, LEVELS, Facts, employer_of
from govgraph.graph.analytics.columns import (
    NO_UNTIL,
    Columns,
    DayView,
    build_columns,
    columns_of,
    day_number,
)
from govgraph.graph.analytics.examples import AS_OF, tiny_city
from govgraph.graph.analytics.projection import at, project
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


def _check(history: nx.MultiDiGraph, as_of: dt.date | None, cols: Columns) -> None:
    f = Facts(at(history, as_of))
    day = cols.day(as_of)
    numbers = {n: cols.number(n) for n in f.graph}
    assert sorted(numbers) == cols.ids_of(range(cols.size))

    def name(i: int) -> str | None:
        return cols.id(i) if i >= 0 else None

    def names(a: np.ndarray) -> list[str]:
        return cols.ids_of(a)

    compound, building, place = (
        derived.compound_of(day),
        derived.building_of(day),
        derived.place(day),
    )
    for n, i in numbers.items():
        assert name(int(compound[i])) == f.compound_of(n), n
        assert name(int(building[i])) == f.building_of(n), n
        p = f.place(n)
        assert [name(int(x)) for x in place[i]] == [p.at(lv) for lv in LEVELS], n
    for scope in (n for kind in LEVEL_KINDS.values() for n in f.ids(kind)):
        inside = derived.under(day, numbers[scope])
        assert set(names(np.flatnonzero(inside))) == f.under(scope), scope

    homes, home_buildings, owned = (
        derived.homes(day),
        derived.home_buildings(day),
        derived.owned_compounds(day),
    )
    m = derived.memberships(day)
    by_membership = {x.person: x for x in f.memberships(f.ids("Person"))}
    for n in f.ids("Person"):
        i = numbers[n]
        assert names(homes.of(i)) == f.homes(n), n
        assert names(home_buildings.of(i)) == f.home_buildings(n), n
        assert names(owned.of(i)) == f.owned_compounds(n), n
        assert m.member[i] == f.is_member(n), n
        assert m.full_or_unstated[i] == f.is_member(n, probationary=False), n
        assert m.full[i] == f.is_full_member(n), n
        found = by_membership.get(n)
        assert m.in_service[i] == (found is not None and found.in_service), n
        assert m.in_branch[i] == (found is not None and found.in_branch), n
    # nothing but people is a member, lives or owns anywhere
    people = np.zeros(cols.size, np.bool_)
    people[cols.of_kind("Person")] = True
    assert not (m.member & ~people).any()
    assert people[homes.a].all() and people[home_buildings.a].all() and people[owned.a].all()

    members = derived.members(day)
    orgs = {int(o) for o in members.a}
    for kind in _PARTY_ORGS:
        for n in f.ids(kind):
            assert names(members.of(numbers[n])) == f.members(n), n
            orgs.discard(numbers[n])
    assert not orgs  # no pair for anything else

    posts = derived.posts(day)
    secretary = posts.holders("secretary", cols.size)
    chair = posts.holders("chair", cols.size)
    for n, i in numbers.items():
        expected = f.posts(n)
        got = posts.of(i)
        assert {cols.id(p): r for p, r in got.items()} == expected, n
        assert list(map(cols.id, got)) == list(expected), n  # the same order (by id)
        assert name(int(secretary[i])) == f.secretary(n), n
        assert name(int(chair[i])) == f.chair(n), n


def test_tiny_city_parity() -> None:
    history = nx.freeze(tiny_city())
    cols = columns_of(history)
    for as_of in (AS_OF, dt.date(2021, 2, 1), dt.date(2021, 2, 28), dt.date(2021, 3, 1), None):
        _check(history, as_of, cols)


def test_demo_parity(demo_history: nx.MultiDiGraph) -> None:
    cols = columns_of(demo_history)
    for as_of in _days(demo_history):
        _check(demo_history, as_of, cols)


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
    first), so the senior-role tie goes to it, as in Facts."""
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


def _check_coverage_facts(history: nx.MultiDiGraph, as_of: dt.date | None, cols: Columns) -> None:
    """The facts the coverage roll-ups add to :mod:`derived`: grouped buildings (every scope's
    ``group_covers`` too), the place chains and the employers."""
    f = Facts(at(history, as_of))
    day = cols.day(as_of)
    grouped = derived.grouped_buildings(day)
    assert set(cols.ids_of(np.flatnonzero(grouped))) == f.grouped_buildings()
    for b in f.ids("Building"):
        assert grouped[cols.number(b)] == bool(f.groups_covering(b)), b
    chains, place = derived.place_chains(day), derived.place(day)
    places = np.concatenate([cols.of_kind(k) for k in LEVEL_KINDS.values()])
    assert (chains[places] == place[places]).all()
    others = np.ones(cols.size, np.bool_)
    others[places] = False
    assert (chains[others] == -1).all()
    people = cols.of_kind("Person")
    assert derived.employers(day, people) == [employer_of(f, p) for p in cols.ids_of(people)]


def test_coverage_facts_parity(demo_history: nx.MultiDiGraph) -> None:
    for history in (nx.freeze(tiny_city()), demo_history):
        cols = columns_of(history)
        for as_of in (*_days(history), AS_OF):
            _check_coverage_facts(history, as_of, cols)
