"""The quasi-identifier policy (``graph/disclosure.py``) over GraphQL, on the demo and both stores:
as a researcher every decided property of a person, and of the links about them, reads as
decided (kept, generalized, or null), while the department reads the real values. And the
analytics tell a researcher (and the public's counts) nothing that follows from a person's
Party membership status or category (``graph/analytics/discreet.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from govgraph.api.settings import Settings
from govgraph.graph.disclosure import PERSON_LINK_PROPS, PERSON_PROPS, Treatment
from govgraph.graph.model import Link, Node, link, node
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


def test_a_researcher_reads_every_quasi_identifier_as_decided(demo: Gql) -> None:
    nodes, links = build_demo()
    real = {pseudonym(SECRET, n.id): n for n in nodes if n.kind == "Person"}
    compound_of = _compound_of(nodes, links)
    homes: dict[str, set[str]] = {}
    for lk in links:
        if lk.kind == "RESIDES_IN" and lk.target in compound_of:
            homes.setdefault(lk.source, set()).add("Compound:" + compound_of[lk.target])

    data = demo.data(PEOPLE, key=demo.keys["researcher"])
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
    dept = demo.data(PEOPLE)
    person = dept["partyBranches"]["edges"][0]["node"]["postHolders"]["edges"][0]["node"]
    assert person["name"] and person["id"].startswith("Person:person-")


def test_a_researcher_asking_as_of_a_day_gets_the_year_end(demo: Gql) -> None:
    """Dates are shown by year, so asOf is read as the last day of its year for a researcher:
    asking day by day cannot tell the day a post began."""
    q = """query ($day: Date) { partyBranches(first: 50) { edges { node {
      postHolders(first: 50, asOf: $day) { totalCount } } } } }"""
    for day in (dt.date(2020, 3, 1), dt.date(2020, 9, 1)):
        shown = demo.data(q, {"day": day.isoformat()}, key=demo.keys["researcher"])
        year_end = demo.data(q, {"day": "2020-12-31"})
        assert shown == year_end


def test_the_analyses_follow_the_same_policy_for_a_researcher(demo: Gql) -> None:
    """Ego networks, paths and multi-post holders show a researcher the same years as the link
    fields do, and follow no link to a person's household (RESIDES_IN, OWNS)."""
    q = """query ($day: Date) {
      egoNetwork(id: "cmp-yunbeiyuan", depth: 2, asOf: $day, first: 100) {
        links { kind since until } }
      multiPostHolders(asOf: $day, first: 50) { items { posts { since until } } }
    }"""
    day = {"day": "2021-05-31"}
    shown = demo.data(q, day, key=demo.keys["researcher"])
    ego = shown["egoNetwork"]["links"]
    assert {lk["kind"] for lk in ego} & {"RESIDES_IN", "OWNS"} == set()
    about_people = [lk for lk in ego if lk["kind"] in ("HOLDS_POST", "MEMBER_OF")]
    posts = [p for h in shown["multiPostHolders"]["items"] for p in h["posts"]]
    assert about_people and posts
    for item in about_people + posts:
        assert _year_start(item["since"]) and _year_end(item["until"]), item
    # the department sees the days and the homes
    dept = demo.data(q, day)
    assert {lk["kind"] for lk in dept["egoNetwork"]["links"]} & {"RESIDES_IN", "OWNS"}
    dept_posts = [p for h in dept["multiPostHolders"]["items"] for p in h["posts"]]
    assert not all(_year_start(p["since"]) for p in dept_posts)


# --- what a finding's existence tells -------------------------------------------------------
def _membership_graph() -> tuple[list[Node], list[Link]]:
    """Two compounds no branch covers: in 示例甲苑 two full members and a probationary one
    live, in 示例乙苑 three full members (one of them in service, registered nowhere: P8). And
    a branch of six full members and a probationary one, without a committee."""
    since = dt.date(2020, 1, 1)
    places = [
        node("City", "city-m", name="示例市"),
        node("Township", "town-m", name="示例镇"),
        node("Community", "comm-m", name="示例社区"),
        node("Compound", "cmp-m-a", name="示例甲苑"),
        node("Compound", "cmp-m-b", name="示例乙苑"),
        node("PartyCommittee", "pc-m", name="示例社区党委"),
        node("PartyBranch", "pb-m", name="示例党支部", form="standalone"),
    ]
    links = [
        link("PART_OF", "town-m", "city-m"),
        link("PART_OF", "comm-m", "town-m"),
        link("PART_OF", "cmp-m-a", "comm-m"),
        link("PART_OF", "cmp-m-b", "comm-m"),
    ]
    people = []
    residents = {"cmp-m-a": ("full", "full", "probationary"), "cmp-m-b": ("full",) * 3}
    for compound, statuses in residents.items():
        for i, status in enumerate(statuses):
            pid = f"person-{compound}-{i}"
            category = "in_service" if (compound, i) == ("cmp-m-b", 0) else "retired"
            people.append(node("Person", pid, name=f"示例党员{len(people)}"))
            links.append(link("RESIDES_IN", pid, compound, since=since))
            links.append(link("MEMBER_OF", pid, "pc-m", status=status, category=category))
    for i, status in enumerate(["full"] * 6 + ["probationary"]):
        pid = f"person-pb-m-{i}"
        people.append(node("Person", pid, name=f"示例支部党员{i}"))
        links.append(link("MEMBER_OF", pid, "pb-m", status=status, category="retired"))
    return places + people, links


MEMBERSHIP_FINDINGS = """query ($rules: [String!]) {
  coverageGaps(asOf: "2024-06-01", rules: $rules, first: 100) {
    totalCount findings { rule check subject details explanationZh explanationEn } } }"""
MEMBERSHIP_COUNT = """query ($rules: [String!]) {
  coverageGaps(asOf: "2024-06-01", rules: $rules) { totalCount } }"""
P1_P4 = {"rules": ["P1", "P4"]}


def test_a_researchers_findings_follow_from_what_the_researcher_reads(gql: Gql) -> None:
    """P1 and P4 count every member a researcher sees (MEMBER_OF links), whatever their status,
    so a finding, or its absence, tells nobody's status; the department's count full members."""
    gql.seed(*_membership_graph())
    department = gql.data(MEMBERSHIP_FINDINGS, P1_P4)["coverageGaps"]["findings"]
    assert [(f["rule"], f["subject"]) for f in department] == [("P1", "cmp-m-b")]
    assert department[0]["details"]["full_members"] == 3

    seen = gql.data(MEMBERSHIP_FINDINGS, P1_P4, key=gql.keys["researcher"])["coverageGaps"]
    found = {(f["rule"], f["subject"]): f for f in seen["findings"]}
    assert set(found) == {("P1", "cmp-m-a"), ("P1", "cmp-m-b"), ("P4", "pb-m")}
    assert (
        found["P1", "cmp-m-a"]["details"]
        == found["P1", "cmp-m-b"]["details"]
        == {"party_members": 3}
    )
    assert found["P4", "pb-m"]["details"] == {"members": 7}
    for f in found.values():
        assert "按全部党员计" in f["explanationZh"] and "every member" in f["explanationEn"]
        assert "正式" not in f["explanationZh"] and "full" not in f["explanationEn"]

    # the public's counts are the researcher's, not the department's
    public = gql.data(MEMBERSHIP_COUNT, P1_P4, key=None)
    assert public["coverageGaps"]["totalCount"] == seen["totalCount"] == 3


def test_a_finding_about_a_person_picked_by_category_is_the_departments(gql: Gql) -> None:
    """P8's subject is an in-service member: a researcher and the public are neither told of
    it nor counted it, and asking for it by name is refused."""
    gql.seed(*_membership_graph())
    everything = {"rules": None}
    department = gql.data(MEMBERSHIP_FINDINGS, everything)["coverageGaps"]
    assert [f["subject"] for f in department["findings"] if f["rule"] == "P8"] == [
        "person-cmp-m-b-0"
    ]
    researcher = gql.data(MEMBERSHIP_FINDINGS, everything, key=gql.keys["researcher"])
    assert "P8" not in {f["rule"] for f in researcher["coverageGaps"]["findings"]}
    counts = """{ coverageSummary(asOf: "2024-06-01", level: CITY) { items {
      findings { severity count } } } }"""
    by_role = {
        role: gql.data(counts, key=gql.keys[role])["coverageSummary"]["items"][0]["findings"]
        for role in ("public", "researcher", "department")
    }
    assert by_role["public"] == by_role["researcher"] != by_role["department"]
    for role in ("researcher", "public"):
        refused = gql.query(MEMBERSHIP_FINDINGS, {"rules": ["P8"]}, key=gql.keys[role])
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN" and "category" in error["message"]
