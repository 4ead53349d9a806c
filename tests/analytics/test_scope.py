"""Scoped analyses look only near their scope, and after a write the cache patches its index (and
the answers kept on its days) instead of rebuilding it. Both shortcuts must give exactly what a
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
import numpy as np

from govgraph.graph.analytics import (
    AnalyticsCache,
    Finding,
    at,
    conflicts_of_interest,
    cross_appointments,
    derived,
    project,
    run_rules,
)
from govgraph.graph.analytics.columns import columns_for
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]


def _restricted(findings: list[Finding], scope: str, g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The findings a scoped run must return: those placed under the scope or about a subject
    under it (what ``run_rules`` documents)."""
    cols = columns_for(g)
    day = cols.day(SNAPSHOT)
    inside = set(cols.ids_of(np.flatnonzero(derived.under(day, cols.number(scope)))))
    return [
        f.to_dict()
        for f in findings
        if scope in (f.compound, f.community, f.township, f.city) or f.subject in inside
    ]


def _ends(g: nx.MultiDiGraph, n: str, kind: str, out: bool = True) -> list[tuple[str, str]]:
    """(the other end, the link id) of the ``kind`` links leaving ``n`` (else entering it)."""
    edges = g.out_edges(n, keys=True, data="kind") if out else g.in_edges(n, keys=True, data="kind")
    return sorted((v if out else u, k) for u, v, k, d in edges if d == kind)


def _up(g: nx.MultiDiGraph, n: str, kind: str) -> str:
    (found,) = [p for p, _ in _ends(g, n, "PART_OF") if g.nodes[p]["kind"] == kind]
    return found


def _pick(history: nx.MultiDiGraph) -> dict[str, str]:
    """A compound with a branch, a committee with a chair and a resident who is no Party
    member, and the places above it."""
    g = at(history, SNAPSHOT)
    compounds = sorted(n for n, k in g.nodes(data="kind") if k == "Compound")

    def committees(c: str) -> list[str]:
        return [oc for oc, _ in _ends(g, c, "REPRESENTS", out=False)]

    for c in compounds:
        branches = [b for b, _ in _ends(g, c, "COVERS", out=False)]
        chairs = [
            (oc, k)
            for oc in committees(c)
            for p, k in _ends(g, oc, "HOLDS_POST", out=False)
            if g.edges[p, oc, k].get("role") == "chair"
        ]
        units = [
            (u, b)
            for b, _ in _ends(g, c, "PART_OF", out=False)
            if g.nodes[b]["kind"] == "Building"
            for u, _ in _ends(g, b, "PART_OF", out=False)
        ]
        outsiders = [
            p
            for u, _ in units
            for p, _ in _ends(g, u, "RESIDES_IN", out=False)
            if not _ends(g, p, "MEMBER_OF")
        ]
        if branches and chairs and units and outsiders:
            community = _up(g, c, "Community")
            township = _up(g, community, "Township")
            # a compound with a committee in another community
            other = next(
                o for o in compounds if _up(g, o, "Community") != community and committees(o)
            )
            unit, building = units[0]
            return {
                "compound": c,
                "community": community,
                "township": township,
                "city": _up(g, township, "City"),
                "branch": branches[0],
                "chair_link": chairs[0][1],
                "unit": unit,
                "building": building,
                "building_link": _ends(g, building, "PART_OF")[0][1],
                "outsider": outsiders[0],
                "other": other,
                "other_community": _up(g, other, "Community"),
                "other_committee": committees(other)[0],
            }
    raise AssertionError("the demo has no compound with a branch, a chaired committee, units")


def test_scoped_findings_equal_the_whole_graph_restricted_after_each_kind_of_write(
    demo: EmbeddedStore, run: Run
) -> None:
    cache = AnalyticsCache(demo)
    run_rules(run(cache.index()), as_of=SNAPSHOT)  # the day's answers, kept as a service keeps them
    x = _pick(run(project(demo)))
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
        index = run(cache.index())
        view = index.day(SNAPSHOT)
        fresh = nx.freeze(run(project(demo)))  # read from the store, indexed from scratch
        whole = run_rules(fresh, as_of=SNAPSHOT)
        for scope in scopes:
            scoped = [f.to_dict() for f in run_rules(index, as_of=SNAPSHOT, scope=scope)]
            assert scoped == _restricted(whole, scope, fresh), f"{step}, under {scope}"
            fresh_day = at(fresh, SNAPSHOT)
            assert cross_appointments(view, scope) == cross_appointments(fresh_day, scope)
            assert conflicts_of_interest(view, scope) == conflicts_of_interest(fresh_day, scope)
        seen.append(_restricted(whole, x["compound"], fresh))
    # every write was applied to the held index (none rebuilt it) and changed the findings
    assert (cache.stats.builds, cache.stats.patches) == (1, len(writes) - 1)
    assert all(a != b for a, b in itertools.pairwise(seen))


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
    """After each of several random writes through the store, a scoped run on the index the
    cache patched (its day's answers carried over the write) returns what the whole-graph run
    on a projection read fresh from the store returns under the scope."""
    rng = random.Random(15)
    cache = AnalyticsCache(demo)
    first = run(cache.index())
    fresh = nx.freeze(run(project(demo)))
    x = _pick(fresh)
    scopes = [x["compound"], x["community"], x["other"], x["city"]]
    run_rules(first, as_of=SNAPSHOT)  # the day's answers, kept as a service keeps them
    for scope in scopes:
        run_rules(first, as_of=SNAPSHOT, scope=scope)
    for step in range(8):
        batch = _random_write(rng, fresh)
        run(demo.apply(batch))
        index = run(cache.index())
        fresh = nx.freeze(run(project(demo)))
        whole = run_rules(fresh, as_of=SNAPSHOT)
        for scope in scopes:
            scoped = [f.to_dict() for f in run_rules(index, as_of=SNAPSHOT, scope=scope)]
            assert scoped == _restricted(whole, scope, fresh), f"write {step}: {batch}, {scope}"
    assert (cache.stats.builds, cache.stats.patches) == (1, 8)
