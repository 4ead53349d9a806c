"""The routes aggregates take from a kind up to a place level, derived from the ontology."""

from __future__ import annotations

import pytest

from govgraph.graph.errors import ValidationError
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS
from govgraph.graph.places import PLACE_LEVELS, levels_of, route


def test_locating_links_form_no_cycle() -> None:
    """Each locating link leads to something wider, so no kind reaches itself (the routes are
    finite and every stored chain is at most ``max_hops`` long)."""
    steps: dict[str, set[str]] = {k: set() for k in NODE_KINDS}
    for lk in LINK_KINDS.values():
        if lk.locates:
            for source, target in lk.endpoints:
                steps[source].add(target)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(steps[start])
        while todo:
            k = todo.pop()
            if k not in seen:
                seen.add(k)
                todo.extend(steps[k])
        return seen

    assert all(kind not in reachable(kind) for kind in NODE_KINDS)


@pytest.mark.parametrize(
    ("kind", "levels"),
    [
        ("City", []),
        ("Township", ["City"]),
        ("Compound", ["City", "Township", "Community"]),
        ("Unit", list(PLACE_LEVELS)),
        ("Person", list(PLACE_LEVELS)),  # by residence
        ("Department", ["City", "Township"]),  # delegates to townships
        ("EnforcementTeam", ["City", "Township", "Community"]),
        ("Meeting", list(PLACE_LEVELS)),  # wherever its host lies
    ],
)
def test_levels_each_kind_lies_under(kind: str, levels: list[str]) -> None:
    assert levels_of(kind) == levels


def test_routes_follow_every_chain_of_locating_links() -> None:
    branch = route("PartyBranch", "Community")
    # through the compounds it covers, and through its Party committee
    assert branch.link_kinds == ("COVERS", "PART_OF")
    assert branch.via == {"PartyBranch", "Compound", "PartyCommittee"}
    assert branch.max_hops == 2
    person = route("Person", "Compound")
    assert person.link_kinds == ("PART_OF", "RESIDES_IN")  # posts and memberships place nobody
    assert person.max_hops == 3  # person → unit → building → compound
    meeting = route("Meeting", "Compound")
    assert "HELD_BY" in meeting.link_kinds
    assert "ATTENDED" not in meeting.link_kinds


@pytest.mark.parametrize(
    ("kind", "level", "says"),
    [
        ("Compound", "Compound", "one of City, Township, Community"),
        ("Township", "Community", "one of City"),
        ("City", "Township", "no locating link"),
        ("Compound", "Building", "one of City, Township, Community, Compound"),
        ("Estate", "City", "'Estate'"),
    ],
)
def test_unplaceable_requests_say_what_would_do(kind: str, level: str, says: str) -> None:
    with pytest.raises(ValidationError) as info:
        route(kind, level)
    assert says in str(info.value)
