"""Scoped analyses look only near their scope, and after a write the cache patches the projection,
its day view and its index instead of rebuilding them. Both shortcuts must give exactly what a
whole-graph evaluation of a projection read fresh from the store gives, restricted to the scope:
checked here on the demo data set, for a compound, a community, a township and the city, after
each kind of write (a link added, a link removed, nodes added, a node deleted)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx

from govgraph.graph.analytics import (
    AnalyticsCache,
    Finding,
    at,
    conflicts_of_interest,
    cross_appointments,
    project,
    run_rules,
)
from govgraph.graph.analytics._facts import Facts, facts_of, known_facts
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]


def _restricted(findings: list[Finding], scope: str, facts: Facts) -> list[dict[str, Any]]:
    """The findings a scoped run must return: those placed under the scope or about a subject
    under it (what ``run_rules`` documents)."""
    return [
        f.to_dict()
        for f in findings
        if scope in (f.compound, f.community, f.township, f.city)
        or facts.in_scope(f.subject, scope)
    ]


def _pick(g: nx.MultiDiGraph) -> dict[str, str]:
    """A compound with a branch, a committee with a chair and a resident who is no Party
    member, and the places above it."""
    f = facts_of(at(g, SNAPSHOT))
    for c in f.ids("Compound"):
        branches, committees = f.branches_of(c), f.committees_of(c)
        chairs = [(oc, f.chair(oc)) for oc in committees if f.chair(oc)]
        units = [u for b in f.buildings(c) for u in f.units(b)]
        outsiders = [
            p for u in units for p in f.into(u, "RESIDES_IN", "Person") if not f.out(p, "MEMBER_OF")
        ]
        if branches and chairs and units and outsiders:
            place = f.place(c)
            assert place.community and place.township and place.city
            chair_link = next(
                e.id for e in f.in_edges(chairs[0][0], "HOLDS_POST") if e.other == chairs[0][1]
            )
            # a compound with a committee in another community
            other = next(
                o
                for o in f.ids("Compound")
                if f.place(o).community != place.community and f.committees_of(o)
            )
            building = f.building_of(units[0])
            assert building is not None
            return {
                "compound": c,
                "community": place.community,
                "township": place.township,
                "city": place.city,
                "branch": branches[0],
                "chair_link": chair_link,
                "unit": units[0],
                "building": building,
                "building_link": f.out_edges(building, "PART_OF")[0].id,
                "outsider": outsiders[0],
                "other": other,
                "other_community": str(f.place(other).community),
                "other_committee": f.committees_of(other)[0],
            }
    raise AssertionError("the demo has no compound with a branch, a chaired committee, units")


def test_scoped_findings_equal_the_whole_graph_restricted_after_each_kind_of_write(
    demo: EmbeddedStore, run: Run
) -> None:
    cache = AnalyticsCache(demo)
    first = run(cache.history())
    run_rules(first, as_of=SNAPSHOT)  # builds the day view and its index, as a service would
    x = _pick(first)
    scopes = [x[k] for k in ("compound", "community", "township", "city", "other")]
    scopes.append(x["other_community"])
    since = dt.date(2020, 1, 1)
    writes = {
        "initial": None,
        # a member joins the branch; the same resident takes a seat on a committee elsewhere,
        # a finding about someone under the scope that belongs to a body outside it
        "links added": WriteBatch(
            links=[
                link("MEMBER_OF", x["outsider"], x["branch"], status="full", since=since),
                link("HOLDS_POST", x["outsider"], x["other_committee"], role="member"),
            ]
        ),
        "link removed": WriteBatch(delete_links=[x["chair_link"]]),
        "nodes added": WriteBatch(
            nodes=[node("Person", "person-new"), node("Building", "building-new", name="新楼")],
            links=[
                link("RESIDES_IN", "person-new", x["unit"], since=since),
                link("MEMBER_OF", "person-new", x["branch"], status="full", since=since),
                link("PART_OF", "building-new", x["compound"], since=since),
            ],
        ),
        # a building moves to the other compound: its units and residents move with it
        "link moved": WriteBatch(
            links=[link("PART_OF", x["building"], x["other"], since=since)],
            delete_links=[x["building_link"]],
        ),
        "node deleted": WriteBatch(delete_nodes=[x["branch"]]),
    }
    seen: list[list[dict[str, Any]]] = []
    for step, batch in writes.items():
        if batch is not None:
            run(demo.apply(batch))
        history = run(cache.history())
        view = at(history, SNAPSHOT)
        if batch is not None:
            assert known_facts(view) is not None, f"{step}: the index was not carried over"
        fresh = run(project(demo))  # read from the store, indexed from scratch
        whole = run_rules(fresh, as_of=SNAPSHOT)
        fresh_facts = facts_of(at(fresh, SNAPSHOT))
        for scope in scopes:
            scoped = [f.to_dict() for f in run_rules(history, as_of=SNAPSHOT, scope=scope)]
            assert scoped == _restricted(whole, scope, fresh_facts), f"{step}, under {scope}"
            fresh_day = at(fresh, SNAPSHOT)
            assert cross_appointments(view, scope) == cross_appointments(fresh_day, scope)
            assert conflicts_of_interest(view, scope) == conflicts_of_interest(fresh_day, scope)
        seen.append(_restricted(whole, x["compound"], fresh_facts))
    # every write was applied to the held projection (none rebuilt it) and changed the findings
    assert (cache.stats.builds, cache.stats.patches) == (1, len(writes) - 1)
    assert all(a != b for a, b in itertools.pairwise(seen))


def test_a_scope_costs_its_own_nodes(demo: EmbeddedStore, run: Run) -> None:
    """``under`` walks down from the scope: it gives what testing every node gives."""
    g = run(project(demo))
    f = facts_of(nx.freeze(at(g, SNAPSHOT)))
    x = _pick(g)
    for scope in (x["compound"], x["community"], x["township"], x["city"]):
        expected = {n for n in g if f.in_scope(n, scope)}
        assert f.under(scope) == expected
        assert f.compounds(scope) == sorted(c for c in expected if f.kind(c) == "Compound")
    assert len(f.under(x["compound"])) < len(f.under(x["community"])) < len(g)


def _random_write(rng: random.Random, g: nx.MultiDiGraph) -> WriteBatch:
    """One to three edits of the kinds a department's screen makes, on random nodes of ``g``:
    a membership, a home, a post or a job added, a building or a branch's coverage moved, a
    link deleted, a person's properties rewritten or a person added with a home."""
    of: dict[str, list[str]] = {}
    for n, kind in g.nodes(data="kind"):
        of.setdefault(kind, []).append(n)
    for ids in of.values():
        ids.sort()
    pick = rng.choice
    since = dt.date(2020, rng.randint(1, 12), 1)
    nodes, links, deleted = [], [], []
    for _ in range(rng.randint(1, 3)):
        person, choice = pick(of["Person"]), rng.randrange(9)
        if choice == 0:
            body = pick(of["PartyBranch"] + of["PartyGroup"])
            status = pick(["full", "probationary"])
            links.append(link("MEMBER_OF", person, body, status=status, since=since))
        elif choice == 1:
            links.append(link("RESIDES_IN", person, pick(of["Unit"]), since=since))
        elif choice == 2:
            body = pick(of["OwnersCommittee"] + of["PartyBranch"])
            role = pick(["member", "chair", "secretary", "committee_member"])
            links.append(link("HOLDS_POST", person, body, role=role, since=since))
        elif choice == 3:
            links.append(link("EMPLOYED_BY", person, pick(of["PropertyCompany"]), role="管家"))
        elif choice == 4:
            links.append(link("PART_OF", pick(of["Building"]), pick(of["Compound"]), since=since))
        elif choice == 5:
            links.append(link("COVERS", pick(of["PartyBranch"]), pick(of["Compound"])))
        elif choice == 6:
            deleted.append(pick(sorted(k for _, _, k in g.edges(keys=True))))
        elif choice == 7:
            nodes.append(node("Person", person, employer=pick(["新公司", "示例物业"])))
        else:
            new = f"person-new-{rng.randrange(10**6)}"
            nodes.append(node("Person", new))
            links.append(link("RESIDES_IN", new, pick(of["Unit"]), since=since))
    return WriteBatch(nodes=nodes, links=links, delete_links=deleted)


def test_a_scoped_run_after_random_writes_equals_the_whole_graph_restricted(
    demo: EmbeddedStore, run: Run
) -> None:
    """After each of several random writes through the store, a scoped run on the version the
    cache patched (its day view's answers carried over the write) returns what the whole-graph
    run on a projection read fresh from the store returns under the scope."""
    rng = random.Random(15)
    cache = AnalyticsCache(demo)
    first = run(cache.history())
    x = _pick(first)
    scopes = [x["compound"], x["community"], x["other"], x["city"]]
    run_rules(first, as_of=SNAPSHOT)  # the day's answers, kept as a service keeps them
    for scope in scopes:
        run_rules(first, as_of=SNAPSHOT, scope=scope)
    for step in range(8):
        history = run(cache.history())
        batch = _random_write(rng, history)
        run(demo.apply(batch))
        history = run(cache.history())
        fresh = run(project(demo))
        whole = run_rules(fresh, as_of=SNAPSHOT)
        facts = facts_of(at(fresh, SNAPSHOT))
        for scope in scopes:
            scoped = [f.to_dict() for f in run_rules(history, as_of=SNAPSHOT, scope=scope)]
            assert scoped == _restricted(whole, scope, facts), f"write {step}: {batch}, {scope}"
    assert (cache.stats.builds, cache.stats.patches) == (1, 8)
