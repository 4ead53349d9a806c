"""Filters through links in GraphQL (``where: {representedBy: {some: {node: ...}}}``) on both
stores: the researcher's question on the demo against hand-written checks, ``all`` without links,
what each role may filter on at any depth, and the caps on nested filters."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from conftest import Gql, Seed

from govgraph.schema.limits import MAX_CONDITIONS, MAX_IN, MAX_LINK_DEPTH

DAY = "2021-05-31"

#: "which compounds have an owners' committee with a member employed by a property company?"
QUESTION = """query($asOf: Date) {
  compounds(first: 100, asOf: $asOf, where: {representedBy: {some: {node: {OwnersCommittee: {
      postHolders: {some: {node: {employedBy: {some: {}}}}}}}}}}) {
    totalCount
    edges { node { entityId name } }
  }
}"""

#: the same question as one hand-written Cypher statement (every link valid on the day)
QUESTION_CYPHER = """
MATCH (c:Compound)<-[r:REPRESENTS]-(:OwnersCommittee)<-[h:HOLDS_POST]-(:Person)
      -[e:EMPLOYED_BY]->(:PropertyCompany)
WHERE all(x IN [r, h, e] WHERE $day IS NULL OR
          ((x.since IS NULL OR x.since <= $day) AND (x.until IS NULL OR x.until >= $day)))
RETURN DISTINCT c.id AS id ORDER BY id
"""


def by_hand(gql: Gql, day: str | None) -> list[str]:
    """The question answered in plain Python over the store's projection on ``day``."""
    import datetime as dt

    as_of = dt.date.fromisoformat(day) if day else None
    g: nx.MultiDiGraph = gql.call(lambda: gql.store.projection(as_of=as_of))
    kind = nx.get_node_attributes(g, "kind")

    def ends(link: str, source_kind: str, target_kind: str) -> set[tuple[str, str]]:
        return {
            (u, v)
            for u, v, d in g.edges(data=True)
            if d["kind"] == link and kind[u] == source_kind and kind[v] == target_kind
        }

    employed = {p for p, _ in ends("EMPLOYED_BY", "Person", "PropertyCompany")}
    committees = {c for p, c in ends("HOLDS_POST", "Person", "OwnersCommittee") if p in employed}
    return sorted(
        {c for oc, c in ends("REPRESENTS", "OwnersCommittee", "Compound") if oc in committees}
    )


def answer(gql: Gql, day: str | None, role: str = "department") -> list[str]:
    body = gql.as_role(role, QUESTION, {"asOf": day})
    assert not body.get("errors"), body
    found = body["data"]["compounds"]
    ids = [e["node"]["entityId"] for e in found["edges"]]
    assert found["totalCount"] == len(ids)
    return sorted(ids)


@pytest.mark.parametrize("day", [DAY, None, "2019-06-30"])
def test_the_researchers_question_is_one_filter(
    demo: Gql, day: str | None, request: pytest.FixtureRequest
) -> None:
    expected = by_hand(demo, day)
    assert answer(demo, day) == expected
    if day == DAY:
        assert len(expected) >= 3  # the three committee members employed by their manager, at least
    if demo.store_kind == "neo4j":
        driver, run = request.getfixturevalue("neo4j_driver"), request.getfixturevalue("run")
        import datetime as dt

        params = {"day": dt.date.fromisoformat(day) if day else None}
        records, _, _ = run(driver.execute_query(QUESTION_CYPHER, params))
        assert [r["id"] for r in records] == expected


def test_the_researcher_asks_it_too(demo: Gql) -> None:
    """A researcher's day is the end of its year (年末口径); no personal field is read."""
    assert answer(demo, DAY, "researcher") == by_hand(demo, "2021-12-31")


ALL_STANDALONE = """{ compounds(where: {coveredBy: {all: {node: {form: {eq: "standalone"}}}}}) {
  edges { node { entityId } } } }"""
ALL_STANDALONE_AND_ONE = """{ compounds(where: {coveredBy: {
  all: {node: {form: {eq: "standalone"}}}, some: {}}}) { edges { node { entityId } } } }"""


def entity_ids(data: dict[str, Any]) -> list[str]:
    (connection,) = data.values()
    return sorted(e["node"]["entityId"] for e in connection["edges"])


def test_all_holds_without_links(seeded: Gql, seed: Seed) -> None:
    """Only 云北苑 has a branch (standalone); the three others have none, so every branch covering
    them is standalone (vacuous truth). ``some: {}`` beside ``all`` asks for one at least."""
    assert entity_ids(seeded.data(ALL_STANDALONE)) == sorted(seed.compounds)
    assert entity_ids(seeded.data(ALL_STANDALONE_AND_ONE)) == [seed.yby]


QUANTIFIERS = {
    "some chair": ('{postHolders: {some: {edge: {role: {eq: "chair"}}}}}', ["committee"]),
    "none": ("{postHolders: {none: {}}}", []),
    "single member, female": (
        '{postHolders: {single: {edge: {role: {eq: "member"}}, node: {gender: {eq: "female"}}}}}',
        ["committee"],
    ),
    "all member or chair": (
        '{postHolders: {all: {edge: {role: {in: ["member", "chair"]}}}}}',
        ["committee"],
    ),
    "linked to a compound by name": (
        '{represents: {some: {node: {name: {eq: "云北苑小区"}}}}}',
        ["committee"],
    ),
    "OR of quantifiers": (
        "{OR: [{postHolders: {none: {}}}, "
        '{represents: {some: {edge: {since: {lt: "2022-06-01"}}}}}]}',
        ["committee"],
    ),
}


@pytest.mark.parametrize("case", list(QUANTIFIERS.values()), ids=list(QUANTIFIERS))
def test_quantifiers_and_link_properties(
    seeded: Gql, seed: Seed, case: tuple[str, list[str]]
) -> None:
    where, expected = case
    data = seeded.data(
        f"{{ ownersCommittees(where: {where}) {{ edges {{ node {{ entityId }} }} }} }}"
    )
    assert entity_ids(data) == [getattr(seed, name) for name in expected]


# --- who may filter on what, at any depth --------------------------------------------------------
def _through_committee(person: str) -> str:
    """A compound's committee's post holders, filtered on the person (two link levels deep)."""
    where = (
        "{representedBy: {some: {node: {OwnersCommittee: {postHolders: {some: {node: "
        + person
        + "}}}}}}}"
    )
    return f"{{ compounds(where: {where}) {{ edges {{ node {{ entityId }} }} }} }}"


REFUSED = {
    "a person's name, two links deep": _through_committee('{name: {eq: "测试人员3"}}'),
    "a person's birth year": _through_committee("{birthYear: {eq: 1982}}"),
    "a person's real id": _through_committee('{id: {eq: "person-test-3"}}'),
    "a person's name under NOT and OR": _through_committee(
        '{NOT: {OR: [{gender: {eq: "x"}}, {phone: {startsWith: "000"}}]}}'
    ),
    "the day a post began": (
        '{ ownersCommittees(where: {postHolders: {some: {edge: {since: {eq: "2022-05-01"}}}}}) '
        "{ edges { node { entityId } } } }"
    ),
    "the source of a post": (
        "{ ownersCommittees(where: {postHolders: {none: {edge: {source: {isNull: true}}}}}) "
        "{ edges { node { entityId } } } }"
    ),
    "membership status": (
        '{ partyBranches(where: {members: {some: {edge: {status: {eq: "full"}}}}}) '
        "{ edges { node { entityId } } } }"
    ),
    "membership category, nested": (
        "{ compounds(where: {coveredBy: {some: {node: {members: {some: {edge: {category: "
        '{eq: "retired"}}}}}}}}) { edges { node { entityId } } } }'
    ),
    "homes": ("{ buildings(where: {residents: {some: {}}}) { edges { node { entityId } } } }"),
    "owners": ("{ units(where: {owners: {none: {}}}) { edges { node { entityId } } } }"),
}


@pytest.mark.parametrize("query", list(REFUSED.values()), ids=list(REFUSED))
def test_a_researcher_may_not_filter_on_what_is_hidden(seeded: Gql, query: str) -> None:
    body = seeded.as_role("researcher", query)
    assert body["data"] is None or all(v is None for v in body["data"].values()), body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    # the department may ask the same
    assert not seeded.query(query).get("errors")


def test_a_researcher_filters_on_what_is_kept(seeded: Gql, seed: Seed) -> None:
    """Posts (role), gender and the structure, at any depth: the department's answer."""
    query = _through_committee(
        '{gender: {eq: "female"}, holdsPost: {some: {edge: {role: {eq: "secretary"}}}}}'
    )
    researcher = seeded.as_role("researcher", query)
    assert not researcher.get("errors"), researcher
    assert entity_ids(researcher["data"]) == [seed.yby] == entity_ids(seeded.data(query))


def test_the_department_filters_on_names_at_depth(seeded: Gql, seed: Seed) -> None:
    query = _through_committee('{name: {eq: "测试人员3"}}')
    assert entity_ids(seeded.data(query)) == [seed.yby]


def test_the_public_sees_no_links(seeded: Gql) -> None:
    """Counts only: ``has`` counts as before, a filter through links is refused."""
    linked = "{ aggregate(groupBy: COMMUNITY) { compounds(where: %s) { places { count } } } }"
    body = seeded.as_role("public", linked % "{coveredBy: {some: {}}}")
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    has = "{has: [{kind: COVERS, direction: IN}]}"
    assert not seeded.as_role("public", linked % has).get("errors")


# --- the caps count nested filters ----------------------------------------------------------------
def chain(levels: int, kind: str = "Compound") -> dict[str, Any]:
    """A where ``levels`` link filters deep: compound → community → compound → ..."""
    if levels == 0:
        return {"id": {"ne": "x"}}
    if kind == "Compound":
        return {"partOf": {"some": {"node": chain(levels - 1, "Community")}}}
    return {"parts": {"some": {"node": {"Compound": chain(levels - 1, "Compound")}}}}


COMPOUNDS = "query($w: CompoundWhere) { compounds(where: $w) { totalCount } }"


def code_of(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert body.get("data") is None, body
    code: str = error["extensions"]["code"]
    return code


@pytest.mark.parametrize("role", ["department", "researcher"])
def test_link_filters_nest_to_their_cap(gql: Gql, role: str) -> None:
    ok = gql.as_role(role, COMPOUNDS, {"w": chain(MAX_LINK_DEPTH)})
    assert not ok.get("errors"), ok
    deep = gql.as_role(role, COMPOUNDS, {"w": chain(MAX_LINK_DEPTH + 1)})
    assert code_of(deep) == "FILTER_TOO_DEEP"
    assert "link filter levels" in deep["errors"][0]["message"]


def test_an_over_deep_literal_is_refused_too(gql: Gql) -> None:
    import json

    literal = json.dumps(chain(MAX_LINK_DEPTH + 1))
    for key in ("partOf", "parts", "some", "node", "Compound", "id", "ne"):
        literal = literal.replace(f'"{key}"', key)
    body = gql.query(f"{{ compounds(where: {literal}) {{ totalCount }} }}")
    assert code_of(body) == "FILTER_TOO_DEEP"


def _nested_conditions(count: int) -> dict[str, Any]:
    """``count`` conditions, all inside a link filter's node (one more: the quantifier)."""
    branch = {"name": {"eq": "a", "ne": "b", "contains": "c", "startsWith": "d"}}
    branches, rest = divmod(count - 1, 5)
    ops = ["eq", "ne", "contains", "startsWith"][:rest]
    node = {"OR": [branch] * branches, "id": {op: "x" for op in ops}}
    return {"coveredBy": {"some": {"node": node}}}


def test_nested_conditions_count_against_the_cap(gql: Gql) -> None:
    assert not gql.query(COMPOUNDS, {"w": _nested_conditions(MAX_CONDITIONS)}).get("errors")
    body = gql.query(COMPOUNDS, {"w": _nested_conditions(MAX_CONDITIONS + 1)})
    assert code_of(body) == "FILTER_TOO_LARGE"


def test_nested_in_lists_and_link_properties_are_capped(gql: Gql) -> None:
    values = [f"x{i}" for i in range(MAX_IN + 1)]
    nested = {"coveredBy": {"some": {"node": {"name": {"in": values}}}}}
    assert code_of(gql.query(COMPOUNDS, {"w": nested})) == "TOO_MANY_VALUES"
    on_link = {"coveredBy": {"some": {"edge": {"source": {"in": values}}}}}
    assert code_of(gql.query(COMPOUNDS, {"w": on_link})) == "TOO_MANY_VALUES"


def test_nested_conditions_count_against_the_request_budget(gql: Gql) -> None:
    """Three aliases of 150 nested conditions: each under the cap, 450 over the 400 budget."""
    where = _nested_conditions(150)
    query = (
        "query($w: CompoundWhere) { a: compounds(where: $w) { totalCount } "
        "b: compounds(where: $w) { totalCount } c: compounds(where: $w) { totalCount } }"
    )
    assert code_of(gql.query(query, {"w": where})) == "REQUEST_TOO_LARGE"
