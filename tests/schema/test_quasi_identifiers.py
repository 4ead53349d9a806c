"""The quasi-identifier policy (``graph/disclosure.py``) over GraphQL, on the demo and both stores:
as a researcher every decided property of a person, and of the links about them, reads as
decided (kept, generalized, or null), while the department reads the real values."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from govgraph.api.settings import Settings
from govgraph.graph.disclosure import PERSON_LINK_PROPS, PERSON_PROPS, Treatment
from govgraph.graph.model import Link, Node
from govgraph.graph.privacy import pseudonym
from govgraph.loaders.demo import build_demo

if TYPE_CHECKING:
    from conftest import Gql

SECRET = Settings().pseudonym_secret.get_secret_value().encode()

PEOPLE = """{
  partyBranches(first: 20) { edges { node { id
    postHolders(first: 20) { edges { role since until source node { id ... on Person {
      name phone address gender birthYear employer source
      memberOf(first: 5) { edges { status category since until source node { id } } }
      residesIn(first: 5) { edges { since until node { __typename id } } }
      owns(first: 5) { totalCount }
    } } } }
  } } }
}"""


def _compound_of(nodes: list[Node], links: list[Link]) -> dict[str, str]:
    kinds = {n.id: n.kind for n in nodes}
    up = {lk.source: lk.target for lk in links if lk.kind == "PART_OF"}
    out = {}
    for place in kinds:
        step = place
        while kinds[step] != "Compound" and step in up:
            step = up[step]
        if kinds[step] == "Compound":
            out[place] = step
    return out


def _year_start(value: str | None) -> bool:
    return value is None or value.endswith("-01-01")


def _year_end(value: str | None) -> bool:
    return value is None or value.endswith("-12-31")


def test_the_policy_decides_every_property_about_people() -> None:
    """A new property of Person or of a link about people must be decided before it shows."""
    from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS, link_props, node_props

    assert {p.name for p in node_props(NODE_KINDS["Person"])} == set(PERSON_PROPS)
    about_people = [k for k in LINK_KINDS.values() if any("Person" in e for e in k.endpoints)]
    assert {p.name for k in about_people for p in link_props(k)} <= set(PERSON_LINK_PROPS)


def test_a_researcher_reads_every_quasi_identifier_as_decided(gql: Gql) -> None:
    nodes, links = build_demo()
    gql.seed(nodes, links)
    real = {pseudonym(SECRET, n.id): n for n in nodes if n.kind == "Person"}
    compound_of = _compound_of(nodes, links)
    homes: dict[str, set[str]] = {}
    for lk in links:
        if lk.kind == "RESIDES_IN" and lk.target in compound_of:
            homes.setdefault(lk.source, set()).add("Compound:" + compound_of[lk.target])

    data = gql.data(PEOPLE, key=gql.keys["researcher"])
    seen = 0
    for branch in data["partyBranches"]["edges"]:
        for post in branch["node"]["postHolders"]["edges"]:
            assert _year_start(post["since"]) and _year_end(post["until"]), post
            assert post["source"] is None and post["role"]
            person: dict[str, Any] = post["node"]
            alias = person["id"].split(":", 1)[1]
            truth = real[alias]
            seen += 1
            for dropped in ("name", "phone", "address", "employer", "source"):
                assert person[dropped] is None, (dropped, person)
            assert PERSON_PROPS["gender"].treatment is Treatment.KEEP
            assert person["gender"] == truth.props.get("gender")
            born = truth.props.get("birth_year")
            assert person["birthYear"] == (None if born is None else born // 10 * 10)
            for m in person["memberOf"]["edges"]:
                assert m["status"] is None and m["category"] is None and m["source"] is None
                assert _year_start(m["since"]) and _year_end(m["until"]), m
            shown_homes = {e["node"]["id"] for e in person["residesIn"]["edges"]}
            assert {e["node"]["__typename"] for e in person["residesIn"]["edges"]} <= {"Compound"}
            assert shown_homes == homes.get(truth.id, set()), truth.id
            assert person["owns"]["totalCount"] == 0
    assert seen > 20

    # the department reads the real values
    dept = gql.data(PEOPLE)
    person = dept["partyBranches"]["edges"][0]["node"]["postHolders"]["edges"][0]["node"]
    assert person["name"] and person["id"].startswith("Person:person-")


def test_a_researcher_asking_as_of_a_day_gets_the_year_end(gql: Gql) -> None:
    """Dates are shown by year, so asOf is read as the last day of its year for a researcher:
    asking day by day cannot tell the day a post began."""
    nodes, links = build_demo()
    gql.seed(nodes, links)
    q = """query ($day: Date) { partyBranches(first: 50) { edges { node {
      postHolders(first: 50, asOf: $day) { totalCount } } } } }"""
    for day in (dt.date(2020, 3, 1), dt.date(2020, 9, 1)):
        shown = gql.data(q, {"day": day.isoformat()}, key=gql.keys["researcher"])
        year_end = gql.data(q, {"day": "2020-12-31"})
        assert shown == year_end


def test_the_analyses_follow_the_same_policy_for_a_researcher(gql: Gql) -> None:
    """Ego networks, paths and multi-post holders show a researcher the same years as the link
    fields do, and follow no link to a person's household (RESIDES_IN, OWNS)."""
    nodes, links = build_demo()
    gql.seed(nodes, links)
    q = """query ($day: Date) {
      egoNetwork(id: "cmp-yunbeiyuan", depth: 2, asOf: $day, first: 100) {
        links { kind since until } }
      multiPostHolders(asOf: $day, first: 50) { items { posts { since until } } }
    }"""
    day = {"day": "2021-05-31"}
    shown = gql.data(q, day, key=gql.keys["researcher"])
    ego = shown["egoNetwork"]["links"]
    assert {lk["kind"] for lk in ego} & {"RESIDES_IN", "OWNS"} == set()
    about_people = [lk for lk in ego if lk["kind"] in ("HOLDS_POST", "MEMBER_OF")]
    posts = [p for h in shown["multiPostHolders"]["items"] for p in h["posts"]]
    assert about_people and posts
    for item in about_people + posts:
        assert _year_start(item["since"]) and _year_end(item["until"]), item
    # the department sees the days and the homes
    dept = gql.data(q, day)
    assert {lk["kind"] for lk in dept["egoNetwork"]["links"]} & {"RESIDES_IN", "OWNS"}
    dept_posts = [p for h in dept["multiPostHolders"]["items"] for p in h["posts"]]
    assert not all(_year_start(p["since"]) for p in dept_posts)
