"""What an index keeps per node once asked (a person's homes, a body's posts, a branch's members,
the buildings Party groups cover) is never carried into the next version: after each kind of
write that changes one of them, the rules on the patched version give a fresh build's answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from govgraph.graph.analytics import AnalyticsCache, at, project, run_rules
from govgraph.graph.analytics._facts import Facts, facts_of
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]


def _kept(f: Facts, person: str, body: str, branch: str, building: str) -> tuple[Any, ...]:
    return (
        list(f.homes(person)),
        list(f.home_buildings(person)),
        dict(f.posts(body)),
        list(f.members(branch)),
        building in f.grouped_buildings(),
    )


def test_answers_kept_by_an_index_follow_every_write(demo: EmbeddedStore, run: Run) -> None:
    cache = AnalyticsCache(demo)
    history = run(cache.history())
    f = facts_of(at(history, SNAPSHOT))
    branch = next(b for b in f.ids("PartyBranch") if f.members(b) and f.posts(b))
    person = next(p for p in f.ids("Person") if f.home_buildings(p) and f.is_member(p))
    # a building in a compound the branch covers, no group covering it, another unit to move to
    compound = f.out(branch, "COVERS", "Compound")[0]
    building = next(b for b in f.buildings(compound) if b not in f.grouped_buildings())
    group = f.into(branch, "PART_OF", "PartyGroup")[0]
    home = f.out(person, "RESIDES_IN")[0]
    outsider = next(p for p in f.ids("Person") if p not in f.members(branch))
    writes = [
        # moves house: into the building no group covers
        WriteBatch(
            links=[link("RESIDES_IN", person, building, since="2021-01-01")],
            delete_links=[e.id for e in f.out_edges(person, "RESIDES_IN")],
        ),
        # takes a post in the branch (the posts of the branch change)
        WriteBatch(links=[link("HOLDS_POST", outsider, branch, role="committee_member")]),
        # joins the branch (its members change)
        WriteBatch(links=[link("MEMBER_OF", outsider, branch, status="full")]),
        # a group now covers the building
        WriteBatch(links=[link("COVERS", group, building, since="2021-01-01")]),
        # and moves back
        WriteBatch(
            links=[link("RESIDES_IN", person, home, since="2021-02-01")],
            delete_links=[link("RESIDES_IN", person, building).id],
        ),
    ]
    seen = [_kept(f, person, branch, branch, building)]
    run_rules(history, as_of=SNAPSHOT)  # every kept answer asked on the first version
    for i, batch in enumerate(writes):
        run(demo.apply(batch))
        history = run(cache.history())
        fresh = run(project(demo))
        assert run_rules(history, as_of=SNAPSHOT) == run_rules(fresh, as_of=SNAPSHOT), i
        now = _kept(facts_of(at(history, SNAPSHOT)), person, branch, branch, building)
        assert now == _kept(Facts(at(fresh, SNAPSHOT)), person, branch, branch, building), i
        seen.append(now)
    assert cache.stats.builds == 1 and cache.stats.patches == len(writes)
    # each write changed what it was meant to change
    assert seen[1][1] == [building] and seen[0][1] != [building]
    assert outsider in seen[2][2] and outsider not in seen[1][2]
    assert outsider in seen[3][3] and outsider not in seen[2][3]
    assert seen[4][4] and not seen[3][4]
    assert seen[5][:2] == seen[0][:2]
