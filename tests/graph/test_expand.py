"""``GraphStore.expand``: nested pages of links, on both stores.

Each case is checked twice: against pages written out by hand from ``city_links`` (see
``builders.py``), and against :func:`expand_by_level` on the same store (one ``neighbours`` call per
hop: the reference the Neo4j store's single compiled statement must agree with).
"""

from __future__ import annotations

import datetime as dt

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
    TOWN,
    YBY,
    Run,
    city_graph,
    link_row,
    node_row,
)

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.expand import Expansion, Hop, PageKey, Wanted, expand_by_level
from govgraph.graph.model import Node, link_id
from govgraph.graph.port import GraphStore
from govgraph.graph.query import Direction, Page, SortKey

IN, OUT = Direction.IN, Direction.OUT


def _plain(found: Expansion) -> dict[tuple[PageKey, str], tuple[int, bool, list[tuple[str, str]]]]:
    """Pages as (total, has_next, [(link id, node id)])."""
    return {
        k: (p.total, p.has_next, [(nb.link.id, nb.node.id) for nb in p.items])
        for k, p in found.items()
    }


def _full(found: Expansion) -> dict[tuple[PageKey, str], list[tuple[object, object]]]:
    """Pages with every link and node property, to compare two answers exactly."""
    return {k: [(link_row(nb.link), node_row(nb.node)) for nb in p.items] for k, p in found.items()}


@pytest.fixture
def city(store: GraphStore, run: Run[None]) -> GraphStore:
    nodes, links = city_graph()
    run(store.upsert(nodes, links))
    return store


def _check(
    store: GraphStore, run: Run[Expansion], ids: list[str], hops: tuple[Hop, ...]
) -> Expansion:
    found = run(store.expand(ids, hops))
    reference = run(expand_by_level(store, ids, hops))
    assert _plain(found) == _plain(reference)
    assert _full(found) == _full(reference)
    return found


def test_three_levels_down_from_a_community(city: GraphStore, run: Run[Expansion]) -> None:
    posts = PageKey("HOLDS_POST", IN, None, 10)
    covered = PageKey("COVERS", IN, None, 10)
    parts = PageKey("PART_OF", IN, None, 10)
    hops = (Hop(parts, None, (Hop(covered, frozenset({"Compound"}), (Hop(posts, None, ()),)),)),)
    found = _check(city, run, [COMM, COMM2], hops)
    pages = _plain(found)
    assert pages[(parts, COMM)] == (
        2,
        False,
        [(link_id(CMP2, "PART_OF", COMM), CMP2), (link_id(YBY, "PART_OF", COMM), YBY)],
    )
    assert pages[(parts, COMM2)][0] == 2
    # the branches below every compound, the joint branch under both of its compounds
    assert pages[(covered, YBY)] == (1, False, [(link_id(PB1, "COVERS", YBY), PB1)])
    assert pages[(covered, CMP2)] == (1, False, [(link_id(PB2, "COVERS", CMP2), PB2)])
    assert pages[(covered, CMP3)] == (1, False, [(link_id(PB2, "COVERS", CMP3), PB2)])
    assert pages[(covered, CMP4)] == (0, False, [])
    # PB1's three posts (P2 holds two, told apart by the link key), ordered by link id
    total, more, items = pages[(posts, PB1)]
    assert (total, more) == (3, False)
    assert sorted(n for _, n in items) == [P1, P2, P2]
    assert [lid for lid, _ in items] == sorted(lid for lid, _ in items)
    assert pages[(posts, PB2)] == (0, False, [])
    # nothing else: no page for kinds the hop does not apply to
    assert {nid for (_, nid) in pages} == {COMM, COMM2, YBY, CMP2, CMP3, CMP4, PB1, PB2}


def test_the_page_size_cursor_and_day_are_kept_at_every_level(
    city: GraphStore, run: Run[Expansion]
) -> None:
    one_post = PageKey("HOLDS_POST", IN, dt.date(2022, 1, 1), 1)
    covered = PageKey("COVERS", IN, dt.date(2022, 1, 1), 5)
    parts = PageKey("PART_OF", IN, None, 1, after=link_id(BLD1, "PART_OF", YBY))
    hops = (
        Hop(covered, None, (Hop(one_post, None, ()),)),
        Hop(parts, None, ()),
    )
    pages = _plain(_check(city, run, [YBY, CMP3, CMP4], hops))
    # on 2022-01-01 PB2 does not cover CMP3 yet (since 2022-06-15)
    assert pages[(covered, CMP3)] == (0, False, [])
    # P2 held one post then (committee member until 2022-12-31), P1 one: a page of one, more
    assert pages[(one_post, PB1)][:2] == (2, True)
    assert len(pages[(one_post, PB1)][2]) == 1
    # after the first building's link: the second building, and the total counts both
    assert pages[(parts, YBY)] == (2, False, [(link_id(BLD2, "PART_OF", YBY), BLD2)])
    assert pages[(parts, CMP4)] == (0, False, [])


def test_several_hops_from_the_same_nodes_and_unknown_ids(
    city: GraphStore, run: Run[Expansion]
) -> None:
    part_of = PageKey("PART_OF", OUT, None, 5)
    posts = PageKey("HOLDS_POST", OUT, None, 5)
    employer = PageKey("EMPLOYED_BY", OUT, None, 5)
    up = Hop(part_of, None, (Hop(part_of, None, (Hop(part_of, None, ()),)),))
    hops = (Hop(posts, None, ()), Hop(employer, None, ()), up)
    pages = _plain(_check(city, run, [P1, P3, "no-such-node", YBY], hops))
    assert sorted(n for _, n in pages[(posts, P1)][2]) == sorted([OC1, PB1])
    assert pages[(employer, P3)][0] == 1
    # the chain of places above a compound, one level per hop
    assert [n for _, n in pages[(part_of, YBY)][2]] == [COMM]
    assert [n for _, n in pages[(part_of, COMM)][2]] == [TOWN]
    assert [n for _, n in pages[(part_of, TOWN)][2]] == [CITY]
    # an unknown id has its pages, empty (as ``neighbours`` lists every asked id)
    for hop in hops:
        assert pages[(hop.page, "no-such-node")] == (0, False, [])


def test_a_hop_only_for_some_kinds(city: GraphStore, run: Run[Expansion]) -> None:
    parts = PageKey("PART_OF", IN, None, 10)
    covered = PageKey("COVERS", IN, None, 10)
    # below a compound: its buildings and its branches; the branches only of compounds
    hops = (Hop(parts, None, (Hop(covered, frozenset({"Compound"}), ()),)),)
    pages = _plain(_check(city, run, [YBY, COMM], hops))
    assert {n for _, n in pages[(parts, YBY)][2]} == {BLD1, BLD2}
    assert (covered, BLD1) not in pages and (covered, BLD2) not in pages
    assert pages[(covered, YBY)][0] == 1
    assert pages[(covered, CMP2)][0] == 1
    assert (covered, P2) not in pages


def test_nothing_asked_nothing_read(city: GraphStore, run: Run[Expansion]) -> None:
    before = city.stats.queries
    assert run(city.expand([], (Hop(PageKey("COVERS", IN, None, 5)),))) == {}
    assert run(city.expand([YBY], ())) == {}
    assert city.stats.queries == before


def test_a_page_key_refuses_what_no_store_can_answer() -> None:
    with pytest.raises(ValueError):
        PageKey("COVERS", Direction.BOTH, None, 5)
    with pytest.raises(ValueError):
        PageKey("COVERS", IN, None, -1)
    with pytest.raises(Exception, match="NOT_A_LINK"):
        PageKey("NOT_A_LINK", IN, None, 5)


def test_lookup_is_get_nodes_and_expand_together(city: GraphStore, run: Run[Expansion]) -> None:
    parts = PageKey("PART_OF", IN, None, 10)
    covered = PageKey("COVERS", IN, None, 10)
    posts = PageKey("HOLDS_POST", IN, None, 10)
    # parts of anything; the branches only of compounds, then their post holders
    hops = (
        Hop(parts, None, ()),
        Hop(covered, frozenset({"Compound"}), (Hop(posts, None, ()),)),
    )
    ids = [COMM, YBY, CMP4, "no-such-node"]
    before = city.stats.queries
    found, pages = run(city.lookup(ids, hops))
    queries = city.stats.queries - before
    assert {i: node_row(n) for i, n in found.items()} == {
        i: node_row(n) for i, n in run(city.get_nodes(ids)).items()
    }
    assert set(found) == {COMM, YBY, CMP4}
    # each hop from the ids it applies to, as expand gives it
    assert _full(pages) == _full(
        {
            **run(city.expand([COMM, YBY, CMP4], hops[:1])),
            **run(city.expand([YBY, CMP4], hops[1:])),
        }
    )
    assert (covered, COMM) not in pages  # a community is not covered by a branch
    assert _plain(pages)[(covered, YBY)] == (1, False, [(link_id(PB1, "COVERS", YBY), PB1)])
    assert _plain(pages)[(posts, PB1)][0] == 3
    # Neo4j: one statement; the embedded store: get_nodes, then a neighbours call per hop
    assert queries == (4 if isinstance(city, EmbeddedStore) else 1)
    # without hops a lookup is get_nodes
    before = city.stats.queries
    alone, none = run(city.lookup([YBY]))
    assert none == {} and set(alone) == {YBY}
    assert city.stats.queries - before == 1


def test_wanted_properties_come_with_their_values_and_nothing_is_lost(
    city: GraphStore, run: Run[Expansion]
) -> None:
    """Asked for some properties, a store gives at least those, with the values a full answer
    has; Neo4j sends only those (so the statement moves less), the embedded store all."""
    hops = (
        Hop(PageKey("PART_OF", IN, None, 10), None, ()),
        Hop(
            PageKey("COVERS", IN, None, 10),
            frozenset({"Compound"}),
            (Hop(PageKey("HOLDS_POST", IN, None, 10), None, ()),),
        ),
    )
    ids = [COMM, YBY, CMP4]
    wanted = Wanted(frozenset({"name", "form"}), frozenset({"role"}))
    full_nodes, full = run(city.lookup(ids, hops))
    some_nodes, some = run(city.lookup(ids, hops, wanted))
    assert _plain(some) == _plain(full)
    exact = not isinstance(city, EmbeddedStore)

    def check(got: dict[str, object], every: dict[str, object], names: frozenset[str]) -> None:
        for name in names:
            assert got.get(name) == every.get(name)
        if exact:
            assert set(got) <= names
        else:
            assert got == every

    for i, node in some_nodes.items():
        check(node.props, full_nodes[i].props, wanted.node or frozenset())
    for key, page in some.items():
        for mine, theirs in zip(page.items, full[key].items, strict=True):
            check(mine.node.props, theirs.node.props, wanted.node or frozenset())
            check(mine.link.props, theirs.link.props, wanted.link or frozenset())
    assert any(nb.link.props.get("role") for p in some.values() for nb in p.items)
    assert any("since" in nb.link.props for p in full.values() for nb in p.items)
    # nothing asked: no property at all (the ids, kinds and pages still)
    none_nodes, none = run(city.lookup(ids, hops, Wanted(frozenset(), frozenset())))
    assert _plain(none) == _plain(full)
    if exact:
        assert all(not n.props for n in none_nodes.values())


def test_a_list_page_with_wanted_properties_pages_as_with_all(
    city: GraphStore, run: Run[Page[Node]]
) -> None:
    """``list_nodes`` asked for some properties gives the same nodes, cursors and pages as
    asked for all, sorted on a property not asked for (the cursor holds its values); Neo4j
    sends only what was asked."""
    order = [SortKey("built_year", descending=True), SortKey("name")]
    wanted = Wanted(frozenset({"name"}), None)
    exact = not isinstance(city, EmbeddedStore)
    after: str | None = None
    pages = 0
    while True:
        full = run(city.list_nodes("Compound", order_by=order, first=2, after=after))
        some = run(city.list_nodes("Compound", order_by=order, first=2, after=after, wanted=wanted))
        assert [n.id for n in some.items] == [n.id for n in full.items]
        assert (some.cursors, some.has_next, some.total) == (full.cursors, full.has_next, None)
        for mine, theirs in zip(some.items, full.items, strict=True):
            assert mine.props.get("name") == theirs.props.get("name")
            assert set(mine.props) <= {"name", "built_year"} if exact else mine == theirs
        pages += 1
        if not full.has_next:
            break
        after = full.end_cursor
    assert pages > 1
    nothing = run(city.list_nodes("Compound", first=3, with_total=True, wanted=Wanted(frozenset())))
    assert nothing.total == run(city.count_nodes("Compound"))
    if exact:
        assert all(not n.props for n in nothing.items)
