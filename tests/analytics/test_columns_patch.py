"""A write patches the columnar index (issue 15): the patched index equals the index of the
changed projection, array by array, for random writes on the tiny city and a write on the demo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_contents import applied, contents

from govgraph.graph.analytics import derived
from govgraph.graph.analytics.columns import Columns, columns_of
from govgraph.graph.analytics.columns_patch import Changes, patched
from govgraph.graph.analytics.examples import tiny_city
from govgraph.graph.analytics.projection import project
from govgraph.graph.analytics.rules import run_rules
from govgraph.graph.analytics.span import data_span
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]

BASE = nx.freeze(tiny_city())
BASE_COLUMNS = columns_of(BASE)
_KIND = dict(BASE.nodes(data="kind"))
_OF_KIND = {k: sorted(n for n, kind in _KIND.items() if kind == k) for k in set(_KIND.values())}
_LINKS = sorted(k for _, _, k in BASE.edges(keys=True))
#: new ids sorting before, between and after the tiny city's
_NEW = ("a0", "c15", "p35", "zz")
_DAYS = st.none() | st.dates(dt.date(2019, 1, 1), dt.date(2023, 1, 1))


@st.composite
def writes(draw: st.DrawFn) -> WriteBatch:
    people = [*_OF_KIND["Person"], *_NEW]
    nodes = []
    for n in draw(st.lists(st.sampled_from([*_OF_KIND["Person"], *_NEW]), max_size=3)):
        nodes.append(node("Person", n, employer=draw(st.sampled_from([None, "甲物业", "新公司"]))))
    for c in draw(st.lists(st.sampled_from(_OF_KIND["Compound"]), max_size=2)):
        name = draw(st.sampled_from(["新名", "示例甲小区"]))
        nodes.append(node("Compound", c, name=name, is_old=draw(st.booleans())))
    if draw(st.integers(0, 5)) == 0:  # an id that is a Person elsewhere: left to a rebuild
        nodes.append(node("Compound", draw(st.sampled_from(_OF_KIND["Person"])), name="x"))
    links = []
    for _ in range(draw(st.integers(0, 4))):
        p = draw(st.sampled_from(people))
        since, until = draw(_DAYS), draw(_DAYS)
        dates = {
            "since": since,
            "until": until if since is None or until is None or until >= since else None,
        }
        choice = draw(st.integers(0, 2))
        if choice == 0:
            role = draw(st.sampled_from(["保安", "经理", "新岗位"]))
            links.append(link("EMPLOYED_BY", p, "co1", role=role, **dates))
        elif choice == 1:
            place = draw(st.sampled_from([*_OF_KIND["Unit"], *_OF_KIND["Compound"]]))
            links.append(
                link("RESIDES_IN", p, place, key=draw(st.sampled_from(["", "k2"])), **dates)
            )
        else:
            status = draw(st.sampled_from(["full", "probationary"]))
            links.append(
                link("MEMBER_OF", p, draw(st.sampled_from(["pb1", "pg1"])), status=status, **dates)
            )
    delete_links = draw(st.lists(st.sampled_from(_LINKS), max_size=3))
    delete_nodes = draw(st.lists(st.sampled_from([*sorted(_KIND), *_NEW]), max_size=2))
    return WriteBatch(
        nodes=nodes, links=links, delete_links=delete_links, delete_nodes=delete_nodes
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(writes())
def test_a_patched_index_equals_the_index_of_the_changed_projection(batch: WriteBatch) -> None:
    changes = Changes.of(batch)
    new = patched(BASE_COLUMNS, changes)
    if new is None:  # only a node changing kind is left to a rebuild
        assert any(n in _KIND and a["kind"] != _KIND[n] for n, a in changes.nodes)
        return
    expected = columns_of(applied(BASE, changes))
    assert contents(new) == contents(expected)
    assert contents(BASE_COLUMNS) == contents(columns_of(BASE))  # the old one untouched


@pytest.mark.parametrize("base", [BASE, nx.freeze(nx.MultiDiGraph())], ids=["tiny", "empty"])
def test_the_first_nodes_of_a_kind_patch_in(base: nx.MultiDiGraph) -> None:
    """Nodes of a kind the index has none of yet (every one of them in an empty index): their
    property columns are made from the write alone."""
    batch = WriteBatch(
        nodes=[
            node("LeadershipGroup", "lg1", level="city"),
            node("LeadershipGroup", "lg0", level="township"),
            node("Compound", "c0", name="新小区", is_old=True),
        ],
        links=[link("PART_OF", "lg0", "c0")],
    )
    changes = Changes.of(batch)
    new = patched(columns_of(base), changes)
    assert new is not None
    assert contents(new) == contents(columns_of(applied(base, changes)))


def _answers(cols: Columns, as_of: dt.date | None) -> dict[str, Any]:
    """Every answer :mod:`~govgraph.graph.analytics.derived` keeps on a day, as plain lists."""
    day = cols.day(as_of)
    held = derived.posts(day)
    out: dict[str, Any] = {
        "anchors": [a.tolist() for a in derived.anchors(day)],
        "place": derived.place(day).tolist(),
        "chains": derived.place_chains(day).tolist(),
        "memberships": [m.tolist() for m in derived.memberships(day)],
        # roles as text: a patched dictionary may keep a value no row holds any more
        "posts": [
            (b, p, held.roles[r] if r >= 0 else None)
            for b, p, r in zip(*(a.tolist() for a in held[:3]), strict=True)
        ],
        "grouped": derived.grouped_buildings(day).tolist(),
        "compound_of": derived.compound_of(day).tolist(),
    }
    for name in (
        "homes",
        "home_buildings",
        "owned_compounds",
        "members",
        "residents",
        "building_residents",
        "registered",
        "building_compounds",
    ):
        out[name] = [a.tolist() for a in getattr(derived, name)(day)]
    for scope in _PLACES:
        with contextlib.suppress(KeyError):  # a write may delete a place
            out[f"under {scope}"] = derived.under(day, cols.number(scope)).tolist()
            if as_of is not None:  # the rules read the answers kept, whole and scoped
                out[f"findings {scope}"] = _findings(cols, as_of, scope)
    if as_of is not None:
        out["findings"] = _findings(cols, as_of, None)
    return out


def _findings(cols: Columns, as_of: dt.date, scope: str | None) -> list[dict[str, Any]]:
    return [f.to_dict() for f in run_rules(cols, as_of=as_of, scope=scope)]


_PLACES = ("c1", "c2", "comm", "town", "city")


#: links that move things: a building, a unit, a branch, a group, a committee, a meeting, an
#: appeal to another place or body, a compound to another community (its chain)
_MOVES: tuple[tuple[str, ...], ...] = (
    ("PART_OF", "b1", "c2"),
    ("PART_OF", "u1", "b3"),
    ("PART_OF", "c2", "town"),
    ("PART_OF", "pg1", "pcom"),
    ("COVERS", "pb1", "c2"),
    ("COVERS", "pg1", "b2"),
    ("REPRESENTS", "oc1", "c2"),
    ("HELD_BY", "jm1", "oc1"),
    ("ABOUT", "a1", "c2"),
    ("HOLDS_POST", "p8", "oc1", "member"),
    ("OWNS", "p10", "u5"),
    ("REGISTERED_AT", "p4", "c2"),
)


@st.composite
def relinks(draw: st.DrawFn) -> WriteBatch:
    """A write that keeps the numbering (no node added or deleted), so the day views carry
    over: :func:`writes` without its new or deleted nodes, and links that move things."""
    batch = draw(writes())
    links = [lk for lk in batch.links if lk.target in _KIND and lk.source in _KIND]
    for kind, u, v, *role in draw(st.lists(st.sampled_from(_MOVES), max_size=3)):
        # a meeting or an appeal is an event: its links have no dates
        props = {} if kind in ("HELD_BY", "ABOUT") else {"since": draw(_DAYS)}
        links.append(link(kind, u, v, **props, **({"role": role[0]} if role else {})))
    return WriteBatch(
        nodes=[n for n in batch.nodes if _KIND.get(n.id) == n.kind],
        links=links,
        delete_links=batch.delete_links,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(relinks() | writes(), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_the_answers_kept_on_a_day_carry_over_a_write_as_a_rebuild_finds_them(
    batches: list[WriteBatch], read_between: list[bool]
) -> None:
    """The day views go with the patched index: what a write left alone is kept, the rest
    patched or found again; after one write or several (read in between or not), every answer
    is the one a fresh index gives."""
    _carried_as_found_again(batches, read_between)


#: a membership each way: a person who was no member joins a branch and one of its groups
#: (full, then probationary); members leave a group and a branch (their links deleted)
_MEMBERSHIPS = (
    WriteBatch(links=[link("MEMBER_OF", "p3", "pb1", status="full")]),
    WriteBatch(links=[link("MEMBER_OF", "p3", "pg1", status="probationary")]),
    WriteBatch(delete_links=["p1|MEMBER_OF|pg1", "p9|MEMBER_OF|pb1"]),
)


@pytest.mark.parametrize("batch", _MEMBERSHIPS)
def test_a_membership_written_patches_the_members_as_a_rebuild_finds_them(
    batch: WriteBatch,
) -> None:
    before, after = _carried_as_found_again([batch], [False])
    assert before["members"] != after["members"]  # the write is seen at all


#: a home each way and a registration: the homes, the residents and P8's unregistered people
#: patched for the people the write touched (an in-service member with no home moves in; the
#: one P8 finds registers; two people move out)
_HOME_WRITES = (
    WriteBatch(links=[link("RESIDES_IN", "p9", "u5")]),
    WriteBatch(links=[link("REGISTERED_AT", "p7", "c1")]),
    WriteBatch(delete_links=["p1|RESIDES_IN|u1", "p10|RESIDES_IN|u2"]),
)


@pytest.mark.parametrize("batch", _HOME_WRITES)
def test_a_home_written_patches_the_homes_as_a_rebuild_finds_them(batch: WriteBatch) -> None:
    before, after = _carried_as_found_again([batch], [False])
    assert before["homes"] != after["homes"] or before["findings"] != after["findings"]


#: writes adding nodes (so renumbering every node after them) of kinds placed through their
#: links: the day views are carried renumbered, then patched
_ADDITIONS = (
    # a branch for the compound P1 finds without one (the console's what-if draft)
    WriteBatch(
        nodes=[node("PartyBranch", "pb0", name="新支部")],
        links=[link("COVERS", "pb0", "c2"), link("MEMBER_OF", "p4", "pb0", status="full")],
    ),
    # a person who lives in a unit and is a full member of a branch
    WriteBatch(
        nodes=[node("Person", "a0")],
        links=[
            link("RESIDES_IN", "a0", "u1"),
            link("MEMBER_OF", "a0", "pb1", status="full", category="in_service"),
        ],
    ),
    # a meeting a branch held, and an appeal about a compound
    WriteBatch(
        nodes=[
            node("Meeting", "m0", meeting_type="branch_committee", date=dt.date(2021, 4, 9)),
            node(
                "Appeal",
                "a00",
                channel="hotline",
                appeal_type="complaint",
                topic="停车管理",
                received=dt.date(2021, 5, 20),
            ),
        ],
        links=[link("HELD_BY", "m0", "pb1"), link("ABOUT", "a00", "c1")],
    ),
)


@pytest.mark.parametrize("batch", _ADDITIONS)
def test_nodes_added_carry_the_day_views_renumbered_as_a_rebuild_finds_them(
    batch: WriteBatch,
) -> None:
    before, after = _carried_as_found_again([batch, *_MEMBERSHIPS[:1]], [True, False])
    assert before["findings"] != after["findings"]  # the write is seen at all


#: writes deleting nodes (so renumbering every node after them) of kinds placed through their
#: links, with the links that go with them: the day views are carried renumbered, the deleted
#: nodes' entries left out, then patched for the links cut
_DELETIONS = (
    "p1",  # the branch secretary: a home, a flat owned, memberships, a post, a registration
    "pb1",  # the branch: its members, posts, meetings, group and the compound it covers
    "pg1",  # the Party group of building 1
    "u1",  # a unit p1 lives in and owns
    "oc1",  # the owners' committee and its posts
    "jm1",  # a meeting the branch held
)


@pytest.mark.parametrize("deleted", _DELETIONS)
def test_nodes_deleted_carry_the_day_views_renumbered_as_a_rebuild_finds_them(
    deleted: str,
) -> None:
    joined = WriteBatch(links=[link("MEMBER_OF", "p3", "pcom", status="full")])
    batches = [WriteBatch(delete_nodes=[deleted]), joined]
    before, after = _carried_as_found_again(batches, [True, False])
    assert before != after  # the write is seen at all


def test_answers_kept_before_nodes_are_added_are_renumbered_as_a_rebuild_finds_them() -> None:
    """O7 finds the compound whose branch and committee share nobody; a person added before
    it in id order renumbers it, and the answer kept for O7 follows."""
    unposted = WriteBatch(delete_links=["p1|HOLDS_POST|oc1", "p2|HOLDS_POST|oc1"])
    added = WriteBatch(nodes=[node("Person", "a0")], links=[link("RESIDES_IN", "a0", "u1")])
    _, after = _carried_as_found_again([unposted, added], [True, False])
    assert any(f["rule"] == "O7" for f in after["findings"])


def _carried_as_found_again(
    batches: list[WriteBatch], read_between: list[bool]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers on a day before ``batches`` and, carried over them, after (checked equal
    to a fresh index's)."""
    graph, cols = BASE, columns_of(BASE)
    days = (dt.date(2021, 5, 31), None)
    before = [_answers(cols, as_of) for as_of in days]
    for batch, read in zip(batches, read_between, strict=False):
        changes = Changes.of(batch)
        new = patched(cols, changes)
        if new is None:
            break
        graph, cols = applied(graph, changes), new
        if read:  # the answers brought up to date now (carried again by the next write)
            _findings(cols, days[0], None)
    fresh = columns_of(graph)
    after = [_answers(cols, as_of) for as_of in days]
    assert after == [_answers(fresh, as_of) for as_of in days]
    return before[0], after[0]


def test_a_write_on_the_demo_patches_in_what_a_rebuild_finds(run: Run) -> None:
    store = EmbeddedStore()
    run(load_demo(store))
    history = nx.freeze(run(project(store)))
    run(store.close())
    old = columns_of(history)
    people = [n for n, k in history.nodes(data="kind") if k == "Person"]
    member = next(u for u, v, k in history.edges(data="kind") if k == "MEMBER_OF")
    batch = WriteBatch(
        nodes=[node("Person", "p-new", employer="新公司"), node("Person", people[3])],
        links=[
            link("MEMBER_OF", "p-new", "pb1", status="full", since=dt.date(2020, 1, 1)),
            link("EMPLOYED_BY", people[5], "co1", role="新岗位"),
        ],
        delete_nodes=[member],
    )
    changes = Changes.of(batch)
    new = patched(old, changes)
    assert new is not None
    changed = applied(history, changes)
    assert contents(new) == contents(columns_of(changed))
    # the rules read the patched index as they read one built from the changed projection
    day = data_span(history).last
    assert run_rules(new, as_of=day) == run_rules(changed, as_of=day)
