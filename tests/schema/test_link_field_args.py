"""``where``, ``orderBy`` and ``first``/``after`` on link fields (``postHolders(where: ...,
orderBy: ...)``) on both stores: the researcher's question answered with link fields and checked
by hand on the demo, every sorted page walked by its cursors, no round trip added, what each role
may filter and sort on, and how the cost estimate and the caps count them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx
import pytest
from conftest import Gql

from govgraph.schema.limits import MAX_CONDITIONS

DAY = "2021-05-31"

#: the researcher's question with link fields: each compound's committees that have a member
#: employed by a property company, those members (by role) and their employers
TWO_HOP = """query($asOf: Date) {
  compounds(first: 100, asOf: $asOf, orderBy: [{field: ID}], where: {representedBy: {some: {node: {
      OwnersCommittee: {postHolders: {some: {node: {employedBy: {some: {}}}}}}}}}}) {
    edges { node { entityId
      representedBy(first: 3, where: {node: {OwnersCommittee: {postHolders: {some: {node: {
          employedBy: {some: {}}}}}}}}) {
        totalCount
        edges { node { entityId ... on OwnersCommittee {
          postHolders(first: 10, where: {node: {employedBy: {some: {}}}},
              orderBy: [{edge: ROLE}, {node: ID}]) {
            totalCount
            edges { role node { entityId ... on Person {
              employedBy(first: 3) { edges { node { entityId } } } } } }
          } } } }
      } } }
  }
}"""


def by_hand(gql: Gql, day: str | None) -> dict[str, dict[str, list[tuple[str, str, list[str]]]]]:
    """The answer of :data:`TWO_HOP` in plain Python over the store's projection on ``day``:
    compound → committee → [(role, person, employers)] sorted by role then person."""
    as_of = dt.date.fromisoformat(day) if day else None
    g: nx.MultiDiGraph = gql.call(lambda: gql.store.projection(as_of=as_of))
    kind = nx.get_node_attributes(g, "kind")

    def links(name: str, target: str) -> list[tuple[str, dict[str, Any]]]:
        return [(u, d) for u, _, d in g.in_edges(target, data=True) if d["kind"] == name]

    def employers(person: str) -> list[str]:
        return sorted(
            v
            for _, v, d in g.out_edges(person, data=True)
            if d["kind"] == "EMPLOYED_BY" and kind[v] == "PropertyCompany"
        )

    out: dict[str, dict[str, list[tuple[str, str, list[str]]]]] = {}
    for c in sorted(n for n, k in kind.items() if k == "Compound"):
        committees: dict[str, list[tuple[str, str, list[str]]]] = {}
        for oc, _ in links("REPRESENTS", c):
            if kind[oc] != "OwnersCommittee":
                continue
            posts = [
                (d.get("role"), p, employers(p))
                for p, d in links("HOLDS_POST", oc)
                if kind[p] == "Person" and employers(p)
            ]
            if posts:
                committees[oc] = sorted(posts, key=lambda r: (r[0] is None, r[0] or "", r[1]))
        if committees:
            out[c] = committees
    return out


def answered(data: dict[str, Any]) -> dict[str, dict[str, list[tuple[str, str, list[str]]]]]:
    out: dict[str, dict[str, list[tuple[str, str, list[str]]]]] = {}
    for e in data["compounds"]["edges"]:
        committees: dict[str, list[tuple[str, str, list[str]]]] = {}
        page = e["node"]["representedBy"]
        assert page["totalCount"] == len(page["edges"])
        for c in page["edges"]:
            posts = c["node"]["postHolders"]
            assert posts["totalCount"] == len(posts["edges"])
            committees[c["node"]["entityId"]] = [
                (
                    p["role"],
                    p["node"]["entityId"],
                    sorted(x["node"]["entityId"] for x in p["node"]["employedBy"]["edges"]),
                )
                for p in posts["edges"]
            ]
        out[e["node"]["entityId"]] = committees
    return out


@pytest.mark.parametrize("day", [DAY, None])
def test_the_researchers_question_with_link_fields(demo: Gql, day: str | None) -> None:
    expected = by_hand(demo, day)
    assert len(expected) >= 3
    assert answered(demo.data(TWO_HOP, {"asOf": day})) == expected


def ops(gql: Gql, query: str, variables: dict[str, Any] | None = None) -> dict[str, int]:
    before = dict(gql.stats.by_operation)
    gql.data(query, variables)
    after = gql.stats.by_operation
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


#: TWO_HOP without the link fields' where and orderBy (the same tree of pages)
PLAIN = TWO_HOP.replace(
    """representedBy(first: 3, where: {node: {OwnersCommittee: {postHolders: {some: {node: {
          employedBy: {some: {}}}}}}}})""",
    "representedBy(first: 3)",
).replace(
    """postHolders(first: 10, where: {node: {employedBy: {some: {}}}},
              orderBy: [{edge: ROLE}, {node: ID}])""",
    "postHolders(first: 10)",
)

#: the same below a node looked up by id (the lookup's one statement on Neo4j)
BY_ID = """query($w: CompoundRepresentedByMatch, $o: [RepresentedByOrder!]) {
  node(id: "Compound:cmp-yunbeiyuan") { ... on Compound {
    representedBy(where: $w, orderBy: $o, first: 5) { edges { node { entityId
      ... on OwnersCommittee { postHolders(first: 3, orderBy: [{node: GENDER}, {edge: SINCE,
          direction: DESC}], where: {edge: {role: {ne: "x"}}}) { edges { role } } } } } }
  } }
}"""


def test_where_and_order_on_link_fields_add_no_round_trip(demo: Gql) -> None:
    assert PLAIN != TWO_HOP
    for query, variables in ((PLAIN, {"asOf": DAY}), (TWO_HOP, {"asOf": DAY})):
        demo.data(query, variables)  # the first run may fill caches (the parse, the statement)
    assert ops(demo, TWO_HOP, {"asOf": DAY}) == ops(demo, PLAIN, {"asOf": DAY})
    assert ops(demo, TWO_HOP, {"asOf": DAY}) == demo.list_ops(3)
    where = {"node": {"OwnersCommittee": {"postHolders": {"some": {}}}}}
    order = [{"node": "NAME", "direction": "DESC"}]
    plain = ops(demo, BY_ID, {})
    assert ops(demo, BY_ID, {"w": where, "o": order}) == plain
    assert sum(plain.values()) == (1 if demo.store_kind == "neo4j" else 3)


PARTS = """query($after: String, $first: Int!) {
  node(id: "Community:comm-qixiangjie") { ... on Community {
    parts(first: $first, after: $after, orderBy: [{node: NAME, direction: DESC}],
          where: {node: {Compound: {isOld: {eq: true}}}}) {
      totalCount edges { cursor linkId node { entityId ... on Compound { name } } }
      pageInfo { hasNextPage endCursor }
    } } }
}"""


def test_sorted_pages_continue_after_their_cursor(demo: Gql) -> None:
    whole = demo.data(PARTS, {"first": 100, "after": None})["node"]["parts"]
    names = [e["node"]["name"] for e in whole["edges"]]
    assert len(names) == whole["totalCount"] >= 2
    assert names == sorted(names, reverse=True)
    assert all(e["cursor"] != e["linkId"] for e in whole["edges"])  # a sort value cursor
    walked: list[str] = []
    after = None
    while True:
        page = demo.data(PARTS, {"first": 1, "after": after})["node"]["parts"]
        assert page["totalCount"] == whole["totalCount"]
        walked.extend(e["node"]["entityId"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == [e["node"]["entityId"] for e in whole["edges"]]
    body = demo.query(PARTS, {"first": 1, "after": "not-a-cursor"})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["path"] == ["node", "parts"]


BRANCH = """query($where: PartyBranchPostHoldersMatch, $order: [PostHoldersOrder!]) {
  partyBranches(first: 5, orderBy: [{field: ID}]) { edges { node {
    postHolders(where: $where, orderBy: $order) { totalCount edges { role node { entityId } } }
  } } }
}"""

REFUSED = {
    "a person's name": ({"node": {"name": {"startsWith": "示例"}}}, None),
    "the day a post began": ({"edge": {"since": {"gte": "2021-01-01"}}}, None),
    "the day a job began, a link below": (
        {"node": {"employedBy": {"some": {"edge": {"since": {"lte": "2021-01-01"}}}}}},
        None,
    ),
    "sorted by name": (None, [{"node": "NAME"}]),
    "sorted by birth year": (None, [{"node": "BIRTH_YEAR"}]),
    "sorted by the day a post began": (None, [{"edge": "SINCE"}]),
}


@pytest.mark.parametrize("case", list(REFUSED.values()), ids=list(REFUSED))
def test_a_researcher_may_not_filter_or_sort_a_link_field_on_what_is_hidden(
    demo: Gql, case: tuple[Any, Any]
) -> None:
    where, order = case
    body = demo.as_role("researcher", BRANCH, {"where": where, "order": order})
    assert body["errors"], body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, body
    assert not demo.query(BRANCH, {"where": where, "order": order}).get("errors")


def test_a_researcher_filters_and_sorts_a_link_field_on_what_is_kept(demo: Gql) -> None:
    """The same pages as the department's, people pseudonymized; the role read as kept."""
    variables = {
        "where": {"edge": {"role": {"in": ["secretary", "committee_member"]}}},
        "order": [{"node": "GENDER"}, {"edge": "ROLE", "direction": "DESC"}],
    }
    mine = demo.as_role("researcher", BRANCH, variables)
    assert not mine.get("errors"), mine
    theirs = demo.data(BRANCH, variables)

    def shape(data: dict[str, Any]) -> list[tuple[int, list[str]]]:
        return [
            (
                e["node"]["postHolders"]["totalCount"],
                [p["role"] for p in e["node"]["postHolders"]["edges"]],
            )
            for e in data["partyBranches"]["edges"]
        ]

    assert shape(mine["data"]) == shape(theirs)
    assert any(total for total, _ in shape(theirs))


def test_the_public_may_not_follow_links_at_all(demo: Gql) -> None:
    body = demo.as_role("public", BRANCH, {"where": {}, "order": None})
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


def test_one_key_names_the_node_or_the_edge(gql: Gql) -> None:
    query = """{ partyBranches { edges { node {
      postHolders(orderBy: [{node: GENDER, edge: ROLE}]) { totalCount } } } } }"""
    gql.seed(*_one_branch())
    body = gql.query(query)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"VALIDATION_FAILED"}


def _one_branch() -> tuple[list[Any], list[Any]]:
    from govgraph.graph.model import link, node

    return (
        [node("PartyBranch", "pb-1", name="示例党支部"), node("Person", "p-1", name="示例人员")],
        [link("HOLDS_POST", "p-1", "pb-1", role="secretary")],
    )


# --- the cost estimate and the caps --------------------------------------------------------------
NESTED = """query($w: CompoundCoveredByMatch) { communities(first: 100) { edges { node {
  parts(first: 100) { edges { node { ... on Compound { coveredBy(first: 10, where: %s) {
    totalCount } } } } } } } } }"""


def test_a_link_fields_where_counts_in_the_cost(gql: Gql) -> None:
    """Two pages of 100 above it: each value of its where is asked 10,000 times. Written out,
    three values pass; as a variable it counts as the cap (200 conditions) and is refused."""
    literal = NESTED.replace("query($w: CompoundCoveredByMatch) ", "") % (
        '{node: {form: {eq: "standalone"}}, edge: {source: {isNull: true}}}'
    )
    assert not gql.query(literal).get("errors")
    body = gql.query(NESTED % "$w", {"w": {}})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_a_link_fields_where_counts_against_the_caps_and_the_budget(gql: Gql) -> None:
    """200 conditions: 39 OR branches of 4, the OR's 39 and 5 on the id; one more is over the
    cap. Two aliases of 200 fill the request's budget (400), a third is over it."""
    branch = {"name": {"eq": "a", "ne": "b", "contains": "c", "startsWith": "d"}}
    ids = {"eq": "x", "ne": "y", "in": ["z"], "contains": "w", "startsWith": "v"}
    big = {"node": {"OR": [branch] * 39, "id": ids}}
    field = "compounds { edges { node { coveredBy(where: $w) { totalCount } } } }"
    two = f"query($w: CompoundCoveredByMatch) {{ a: {field} b: {field} }}"
    assert not gql.query(two, {"w": big}).get("errors")
    over = {"node": {"OR": [branch] * 39, "id": {**ids, "isNull": False}}}
    (error,) = gql.query(two, {"w": over})["errors"]
    assert error["extensions"]["code"] == "FILTER_TOO_LARGE"
    three = f"query($w: CompoundCoveredByMatch) {{ a: {field} b: {field} c: {field} }}"
    (error,) = gql.query(three, {"w": big})["errors"]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert MAX_CONDITIONS == 200


def test_a_refused_link_field_below_a_lookup_refuses_alone(demo: Gql) -> None:
    """The link field whose where the role may not use says FORBIDDEN at its own path, as below
    a list (its connection is non-null: the node it is on is null then, as GraphQL has it)."""
    first = demo.data("{ partyBranches(first: 1) { edges { node { id name } } } }")
    branch = first["partyBranches"]["edges"][0]["node"]
    query = """query($id: ID!) { node(id: $id) { ... on PartyBranch { name
      postHolders(where: {node: {name: {eq: "x"}}}) { totalCount } } } }"""
    body = demo.as_role("researcher", query, {"id": branch["id"]})
    assert body["data"] == {"node": None}
    (error,) = body["errors"]
    assert error["path"] == ["node", "postHolders"]
    assert error["extensions"]["code"] == "FORBIDDEN"
