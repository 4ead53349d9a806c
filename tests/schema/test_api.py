"""The GraphQL API over HTTP, on both stores: lookups, connections, filters, dates, search,
counts, mutations, limits, error masking and the HTTP edges (keys, GraphiQL).

Every test runs once per store (the ``gql``/``seeded`` fixtures are parametrized); the department
key is used unless a test says otherwise.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Gql, MakeGql, ScaledGraph, Seed


def entity_ids(connection: dict[str, Any]) -> list[str]:
    """The store ids of a connection's nodes, in order (``Kind:id`` → ``id``)."""
    return [e["node"]["id"].split(":", 1)[1] for e in connection["edges"]]


def typename(result: dict[str, Any]) -> str:
    name: str = result["__typename"]
    return name


def error_messages(body: dict[str, Any]) -> str:
    return "\n".join(e["message"] for e in body.get("errors") or [])


# --- node(id) and nodes(ids) ----------------------------------------------------------------------
NODE = """
query ($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Compound { entityId name isOld builtYear households }
    ... on Person { entityId name phone }
  }
}
"""


def test_node_by_global_id_and_by_plain_id(seeded: Gql, seed: Seed) -> None:
    expected = {
        "__typename": "Compound",
        "id": f"Compound:{seed.yby}",
        "entityId": seed.yby,
        "name": "云北苑小区",
        "isOld": True,
        "builtYear": 1998,
        "households": 420,
    }
    assert seeded.data(NODE, {"id": f"Compound:{seed.yby}"})["node"] == expected
    assert seeded.data(NODE, {"id": seed.yby})["node"] == expected
    person = seeded.data(NODE, {"id": f"Person:{seed.persons[0]}"})["node"]
    assert person == {
        "__typename": "Person",
        "id": f"Person:{seed.persons[0]}",
        "entityId": seed.persons[0],
        "name": seed.names[0],
        "phone": seed.phones[0],
    }


def test_node_that_does_not_exist_is_null(seeded: Gql) -> None:
    assert seeded.data(NODE, {"id": "Compound:no-such-compound"})["node"] is None
    assert seeded.data(NODE, {"id": "no-such-node"})["node"] is None


def test_nodes_keeps_the_order_and_nulls_for_missing_ids(seeded: Gql, seed: Seed) -> None:
    q = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    ids = [f"PartyBranch:{seed.branch}", "no-such-node", seed.yby, f"Person:{seed.persons[2]}"]
    assert seeded.data(q, {"ids": ids})["nodes"] == [
        {"__typename": "PartyBranch", "id": f"PartyBranch:{seed.branch}"},
        None,
        {"__typename": "Compound", "id": f"Compound:{seed.yby}"},
        {"__typename": "Person", "id": f"Person:{seed.persons[2]}"},
    ]


def test_nodes_lookup_is_one_store_query(seeded: Gql, seed: Seed) -> None:
    q = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    before = seeded.stats.queries
    found = seeded.data(q, {"ids": [f"Compound:{c}" for c in seed.compounds]})["nodes"]
    assert len(found) == 4
    assert seeded.stats.queries - before == 1


# --- connections: pagination, totalCount, ordering -----------------------------------------------
PAGE = """
query ($first: Int!, $after: String, $order: [CompoundOrder!], $where: CompoundWhere) {
  compounds(first: $first, after: $after, orderBy: $order, where: $where) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id households } }
  }
}
"""


def walk(
    gql: Gql, first: int, order: list[dict[str, str]] | None = None, where: Any = None
) -> tuple[list[str], list[int]]:
    """Every compound, page by page with after=endCursor; (ids in order, totalCount per page)."""
    seen: list[str] = []
    totals: list[int] = []
    after: str | None = None
    for _ in range(50):
        variables = {"first": first, "after": after, "order": order, "where": where}
        conn = gql.data(PAGE, variables)["compounds"]
        totals.append(conn["totalCount"])
        assert len(conn["edges"]) <= first
        seen += entity_ids(conn)
        if conn["edges"]:
            assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen, totals
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError(f"pagination does not end: {seen}")


@pytest.mark.parametrize("first", [1, 2, 3, 4, 100])
def test_keyset_pagination_gives_every_compound_once(seeded: Gql, seed: Seed, first: int) -> None:
    seen, totals = walk(seeded, first)
    assert seen == sorted(seed.compounds)  # default order: by id
    assert len(seen) == len(set(seen))
    assert set(totals) == {4}
    assert len(totals) == -(-4 // first)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_keyset_pagination_follows_the_sort(seeded: Gql, seed: Seed, direction: str) -> None:
    by_households = [seed.village, seed.test_garden, seed.garden, seed.yby]  # 80 < 120 < 300 < 420
    expected = by_households if direction == "ASC" else by_households[::-1]
    seen, _ = walk(seeded, 1, [{"field": "HOUSEHOLDS", "direction": direction}])
    assert seen == expected


def test_pagination_with_a_filter_and_many_rows(gql: Gql, scaled: ScaledGraph) -> None:
    nodes, links = scaled(45)
    gql.seed(nodes, links)
    where = {"households": {"gte": 110}}  # households are 100 + i
    seen, totals = walk(gql, 7, [{"field": "HOUSEHOLDS", "direction": "DESC"}], where)
    assert seen == [f"cmp-s{i:03d}" for i in range(44, 9, -1)]
    assert set(totals) == {35}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_keyset_pagination_over_a_sort_key_with_nulls(
    seeded: Gql, seed: Seed, direction: str
) -> None:
    """示例新村 has no built_year: wherever the store sorts nulls, every compound comes once."""
    seen, _ = walk(seeded, 1, [{"field": "BUILT_YEAR", "direction": direction}])
    assert sorted(seen) == sorted(seed.compounds)
    dated = [c for c in seen if c != seed.village]
    by_year = [seed.yby, seed.garden, seed.test_garden]  # 1998 < 2005 < 2012
    assert dated == (by_year if direction == "ASC" else by_year[::-1])
    single_page = seeded.data(
        PAGE, {"first": 10, "order": [{"field": "BUILT_YEAR", "direction": direction}]}
    )
    assert entity_ids(single_page["compounds"]) == seen


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_keyset_pagination_over_a_date(seeded: Gql, seed: Seed, direction: str) -> None:
    q = """query ($after: String, $dir: SortDirection!) {
      meetings(first: 1, after: $after, orderBy: [{field: DATE, direction: $dir}]) {
        pageInfo { hasNextPage endCursor } edges { node { id date } } } }"""
    seen: list[str] = []
    after: str | None = None
    for _ in range(10):
        conn = seeded.data(q, {"after": after, "dir": direction})["meetings"]
        seen += [e["node"]["date"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    dates = ["2023-01-10", "2023-06-15", "2024-02-01"]
    assert seen == (dates if direction == "ASC" else dates[::-1])


def test_every_edge_cursor_resumes_after_its_edge(seeded: Gql, seed: Seed) -> None:
    order = [{"field": "HOUSEHOLDS", "direction": "DESC"}]
    full = seeded.data(PAGE, {"first": 10, "order": order})["compounds"]
    ids = entity_ids(full)
    for i, edge in enumerate(full["edges"]):
        rest = seeded.data(PAGE, {"first": 10, "order": order, "after": edge["cursor"]})
        assert entity_ids(rest["compounds"]) == ids[i + 1 :], i


def test_a_foreign_cursor_is_refused(seeded: Gql) -> None:
    body = seeded.query(PAGE, {"first": 2, "after": "not-a-cursor"})
    assert body["data"] is None or body["data"]["compounds"] is None
    assert "cursor" in error_messages(body)


def test_total_count_counts_the_filter_not_the_page(seeded: Gql, seed: Seed) -> None:
    where = {"has": [{"kind": "COVERS", "direction": "IN", "exists": False}]}
    conn = seeded.data(PAGE, {"first": 1, "where": where})["compounds"]
    assert conn["totalCount"] == 3
    assert len(conn["edges"]) == 1
    assert conn["pageInfo"]["hasNextPage"] is True
    q = "{ partyBranches { totalCount } meetings { totalCount } people { totalCount } }"
    assert seeded.data(q) == {
        "partyBranches": {"totalCount": 1},
        "meetings": {"totalCount": 3},
        "people": {"totalCount": 4},
    }


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (
            [{"field": "HOUSEHOLDS", "direction": "ASC"}],
            ["village", "test_garden", "garden", "yby"],
        ),
        (
            [{"field": "HOUSEHOLDS", "direction": "DESC"}],
            ["yby", "garden", "test_garden", "village"],
        ),
        ([{"field": "ID", "direction": "DESC"}], ["yby", "test_garden", "village", "garden"]),
        (
            [{"field": "IS_OLD", "direction": "DESC"}, {"field": "HOUSEHOLDS", "direction": "ASC"}],
            ["village", "yby", "test_garden", "garden"],
        ),
    ],
    ids=["households-asc", "households-desc", "id-desc", "is-old-desc-then-households"],
)
def test_order_by(
    seeded: Gql, seed: Seed, order: list[dict[str, str]], expected: list[str]
) -> None:
    conn = seeded.data(PAGE, {"first": 10, "order": order})["compounds"]
    assert entity_ids(conn) == [getattr(seed, name) for name in expected]


# --- where filters -------------------------------------------------------------------------------
NO_BRANCH = "{kind: COVERS, direction: IN, exists: false, neighbourKind: PartyBranch}"
FILTERS: list[tuple[str, str, str, set[str]]] = [
    # (id, connection, where literal, expected seed attribute names or ids)
    ("eq", "compounds", '{name: {eq: "云北苑小区"}}', {"yby"}),
    ("ne", "compounds", '{name: {ne: "云北苑小区"}}', {"garden", "test_garden", "village"}),
    (
        "in",
        "compounds",
        '{name: {in: ["云北苑小区", "测试家园", "不存在"]}}',
        {"yby", "test_garden"},
    ),
    ("contains", "compounds", '{name: {contains: "小区"}}', {"yby", "garden"}),
    ("startsWith", "compounds", '{name: {startsWith: "示例"}}', {"garden", "village"}),
    ("id-eq", "compounds", '{id: {eq: "cmp-demo-garden"}}', {"garden"}),
    ("int-range", "compounds", "{builtYear: {gte: 2000, lt: 2010}}", {"garden"}),
    ("int-lte", "compounds", "{builtYear: {lte: 2005}}", {"yby", "garden"}),
    ("int-gt-lte", "compounds", "{households: {gt: 100, lte: 300}}", {"garden", "test_garden"}),
    ("int-in", "compounds", "{households: {in: [80, 420]}}", {"yby", "village"}),
    ("is-null", "compounds", "{builtYear: {isNull: true}}", {"village"}),
    ("not-null", "compounds", "{builtYear: {isNull: false}}", {"yby", "garden", "test_garden"}),
    ("bool", "compounds", "{isOld: {eq: true}}", {"yby", "village"}),
    (
        "OR",
        "compounds",
        '{OR: [{name: {eq: "云北苑小区"}}, {builtYear: {gte: 2010}}]}',
        {"yby", "test_garden"},
    ),
    ("AND", "compounds", "{AND: [{isOld: {eq: true}}, {households: {gte: 100}}]}", {"yby"}),
    ("NOT", "compounds", '{NOT: {name: {startsWith: "示例"}}}', {"yby", "test_garden"}),
    (
        "nested",
        "compounds",
        "{isOld: {eq: false}, NOT: {OR: [{households: {lt: 200}}, {builtYear: {gt: 2010}}]}}",
        {"garden"},
    ),
    (
        "no-party-branch",
        "compounds",
        f"{{has: [{NO_BRANCH}]}}",
        {"garden", "test_garden", "village"},
    ),
    (
        "has-party-branch",
        "compounds",
        "{has: [{kind: COVERS, direction: IN, neighbourKind: PartyBranch}]}",
        {"yby"},
    ),
    (
        "managed-by-a-company",
        "compounds",
        "{has: [{kind: MANAGES, direction: IN, neighbourKind: PropertyCompany}]}",
        {"yby", "garden"},
    ),
    (
        "NOT-has",
        "compounds",
        "{NOT: {has: [{kind: MANAGES, direction: IN}]}}",
        {"test_garden", "village"},
    ),
    (
        "has-and-field",
        "compounds",
        f"{{isOld: {{eq: false}}, has: [{NO_BRANCH}]}}",
        {"garden", "test_garden"},
    ),
    (
        "post-in-owners-committee",
        "people",
        "{has: [{kind: HOLDS_POST, direction: OUT, neighbourKind: OwnersCommittee}]}",
        {"person-test-1", "person-test-3"},
    ),
    (
        "post-in-party-branch",
        "people",
        "{has: [{kind: HOLDS_POST, neighbourKind: PartyBranch}]}",
        {"person-test-1", "person-test-2"},
    ),
    ("no-post", "people", "{has: [{kind: HOLDS_POST, exists: false}]}", {"person-test-4"}),
    (
        "personal-fields-for-department",
        "people",
        '{name: {startsWith: "测试人员"}, birthYear: {lt: 1980}}',
        {"person-test-1", "person-test-2"},
    ),
    (
        "date-range",
        "meetings",
        '{date: {gte: "2023-01-01", lt: "2024-01-01"}}',
        {"mtg-test-1", "mtg-test-2"},
    ),
    ("date-eq", "meetings", '{date: {eq: "2024-02-01"}}', {"mtg-test-3"}),
    (
        "date-in",
        "meetings",
        '{date: {in: ["2023-01-10", "2024-02-01"]}}',
        {"mtg-test-1", "mtg-test-3"},
    ),
    ("date-gt", "partyBranches", '{electedOn: {gt: "2021-03-01"}}', set()),
    ("date-lte", "partyBranches", '{electedOn: {lte: "2021-03-01"}}', {"branch-yby"}),
    ("enum-text", "meetings", '{meetingType: {eq: "theme_party_day"}}', {"mtg-test-3"}),
]


@pytest.mark.parametrize(
    ("connection", "where", "expected"),
    [f[1:] for f in FILTERS],
    ids=[f[0] for f in FILTERS],
)
def test_where(seeded: Gql, seed: Seed, connection: str, where: str, expected: set[str]) -> None:
    q = f"{{ {connection}(first: 100, where: {where}) {{ totalCount edges {{ node {{ id }} }} }} }}"
    conn = seeded.data(q)[connection]
    want = {getattr(seed, e, e) for e in expected}
    assert set(entity_ids(conn)) == want
    assert conn["totalCount"] == len(want)


def test_filter_on_an_unknown_value_type_is_a_graphql_error(seeded: Gql) -> None:
    body = seeded.query('{ compounds(where: {builtYear: {gte: "old"}}) { totalCount } }')
    assert body.get("data") is None
    assert body["errors"]


def test_contains_on_a_number_is_refused(seeded: Gql) -> None:
    # the generated IntFilter has no text operators at all
    body = seeded.query("{ compounds(where: {households: {contains: 1}}) { totalCount } }")
    assert body["errors"]


def test_root_as_of_applies_to_link_filters(seeded: Gql, seed: Seed) -> None:
    q = """query ($day: Date) {
      people(asOf: $day, where: {has: [{kind: HOLDS_POST, neighbourKind: PartyBranch}]}) {
        totalCount edges { node { id } } } }"""
    p1, p2, *_ = seed.persons
    assert set(entity_ids(seeded.data(q, {"day": None})["people"])) == {p1, p2}
    in_2019 = seeded.data(q, {"day": "2019-06-01"})["people"]
    assert (entity_ids(in_2019), in_2019["totalCount"]) == ([p2], 1)
    in_2022 = seeded.data(q, {"day": "2022-01-01"})["people"]
    assert (entity_ids(in_2022), in_2022["totalCount"]) == ([p1], 1)


# --- dates on nested link fields -----------------------------------------------------------------
BRANCH_POSTS = """
query ($root: Date, $nested: Date) {
  partyBranches(asOf: $root) { edges { node {
    postHolders(asOf: $nested) { totalCount edges { role since until node { id } } }
  } } }
}
"""


def holders(gql: Gql, root: str | None = None, nested: str | None = None) -> set[tuple[str, str]]:
    data = gql.data(BRANCH_POSTS, {"root": root, "nested": nested})
    (branch,) = data["partyBranches"]["edges"]
    conn = branch["node"]["postHolders"]
    assert conn["totalCount"] == len(conn["edges"])
    return {(e["node"]["id"].split(":", 1)[1], e["role"]) for e in conn["edges"]}


def test_as_of_on_a_link_field_drops_ended_posts(seeded: Gql, seed: Seed) -> None:
    p1, p2, *_ = seed.persons
    assert holders(seeded) == {(p1, "secretary"), (p2, "deputy_secretary")}
    # person 2's post ended 2020-12-31: gone afterwards
    assert holders(seeded, nested="2022-01-01") == {(p1, "secretary")}
    # both ends are inclusive: on 2020-12-31 person 2 still holds it, person 1 not yet
    assert holders(seeded, nested="2020-12-31") == {(p2, "deputy_secretary")}
    assert holders(seeded, nested="2021-03-01") == {(p1, "secretary")}
    assert holders(seeded, nested="2017-12-31") == set()


def test_root_as_of_propagates_to_nested_link_fields(seeded: Gql, seed: Seed) -> None:
    p1, p2, *_ = seed.persons
    assert holders(seeded, root="2022-01-01") == {(p1, "secretary")}
    assert holders(seeded, root="2019-06-01") == {(p2, "deputy_secretary")}
    # a date on the field itself wins over the root's
    assert holders(seeded, root="2019-06-01", nested="2022-01-01") == {(p1, "secretary")}


def test_root_as_of_reaches_every_level(seeded: Gql, seed: Seed) -> None:
    q = """query ($day: Date) {
      compounds(asOf: $day, where: {id: {eq: "cmp-yunbeiyuan"}}) { edges { node {
        coveredBy(first: 5) { edges { node { ... on PartyBranch {
          postHolders(first: 5) { edges { node { id ... on Person {
            holdsPost(first: 5) { edges { role node { id } } }
          } } } }
        } } } }
      } } }
    }"""

    def tree(day: str | None) -> dict[str, set[str]]:
        (c,) = seeded.data(q, {"day": day})["compounds"]["edges"]
        out: dict[str, set[str]] = {}
        for b in c["node"]["coveredBy"]["edges"]:
            for h in b["node"]["postHolders"]["edges"]:
                posts = {p["node"]["id"] for p in h["node"]["holdsPost"]["edges"]}
                out[h["node"]["id"]] = posts
        return out

    p1, p2, *_ = seed.persons
    branch, committee = f"PartyBranch:{seed.branch}", f"OwnersCommittee:{seed.committee}"
    assert tree(None) == {f"Person:{p1}": {branch, committee}, f"Person:{p2}": {branch}}
    # 2022-01-01: only person 1's secretaryship; the committee post starts 2022-05-01
    assert tree("2022-01-01") == {f"Person:{p1}": {branch}}
    assert tree("2022-06-01") == {f"Person:{p1}": {branch, committee}}
    # before the branch covered the compound (2021-03-01) there is nothing below it
    assert tree("2020-06-01") == {}


# --- search and counts ---------------------------------------------------------------------------
SEARCH = """
query ($text: String!, $kinds: [NodeKind!], $first: Int! = 20) {
  search(text: $text, kinds: $kinds, first: $first) { __typename id }
}
"""


def test_search_in_chinese(seeded: Gql, seed: Seed) -> None:
    found = seeded.data(SEARCH, {"text": "云北苑"})["search"]
    # every name containing 云北苑, shortest first (all start with it)
    assert [n["id"] for n in found] == [
        f"Compound:{seed.yby}",
        f"PartyBranch:{seed.branch}",
        f"OwnersCommittee:{seed.committee}",
    ]


def test_search_by_kind_words_and_page(seeded: Gql, seed: Seed) -> None:
    only = seeded.data(SEARCH, {"text": "云北苑", "kinds": ["Compound"]})["search"]
    assert only == [{"__typename": "Compound", "id": f"Compound:{seed.yby}"}]
    both_words = seeded.data(SEARCH, {"text": "云北苑 党支部"})["search"]
    assert [n["id"] for n in both_words] == [f"PartyBranch:{seed.branch}"]
    assert len(seeded.data(SEARCH, {"text": "云北苑", "first": 1})["search"]) == 1
    assert seeded.data(SEARCH, {"text": "不存在的名称"})["search"] == []
    exact = seeded.data(SEARCH, {"text": "气象街社区"})["search"]
    assert exact == [{"__typename": "Community", "id": f"Community:{seed.community}"}]


def test_search_page_size_is_limited(seeded: Gql) -> None:
    body = seeded.query(SEARCH, {"text": "云北苑", "first": 101})
    assert "first" in error_messages(body)


COUNTS = """query ($day: Date) { counts(asOf: $day) {
  nodes { kind count } links { kind count } } }"""


def as_dict(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["kind"]: r["count"] for r in rows if r["count"]}


def test_counts(seeded: Gql) -> None:
    c = seeded.data(COUNTS, {"day": None})["counts"]
    assert as_dict(c["nodes"]) == {
        "City": 1,
        "Township": 1,
        "Community": 1,
        "Compound": 4,
        "Building": 2,
        "PartyBranch": 1,
        "OwnersCommittee": 1,
        "PropertyCompany": 1,
        "Meeting": 3,
        "Person": 4,
    }
    assert as_dict(c["links"]) == {
        "PART_OF": 8,
        "COVERS": 1,
        "REPRESENTS": 1,
        "MANAGES": 2,
        "HOLDS_POST": 4,
        "MEMBER_OF": 2,
        "HELD_BY": 3,
        "ATTENDED": 1,
    }


def test_counts_as_of_keep_links_valid_that_day(seeded: Gql) -> None:
    links = as_dict(seeded.data(COUNTS, {"day": "2022-01-01"})["counts"]["links"])
    assert links["HOLDS_POST"] == 1  # person 1 in the branch only
    assert "REPRESENTS" not in links  # since 2022-05-01
    assert links["PART_OF"] == 8  # undated links hold every day
    assert links["HELD_BY"] == 3


def test_counts_on_an_empty_store(gql: Gql) -> None:
    c = gql.data(COUNTS, {"day": None})["counts"]
    assert as_dict(c["nodes"]) == {}
    assert as_dict(c["links"]) == {}


# --- mutations -----------------------------------------------------------------------------------
FAILURES = """
  ... on ValidationFailed { message problems { subject field value expected } }
  ... on NotFound { message ids }
  ... on Conflict { message }
  ... on Forbidden { message }
"""
NODE_RESULT = f"""
  __typename
  ... on NodePayload {{ node {{ id ... on Compound {{ name households isOld builtYear }} }} }}
  {FAILURES}
"""
WRITE_RESULT = f"""
  __typename
  ... on WritePayload {{ nodesWritten linksWritten linksDeleted nodesDeleted }}
  {FAILURES}
"""
CREATE = f"mutation ($input: NodeInput!) {{ createNode(input: $input) {{ {NODE_RESULT} }} }}"
UPDATE = f"""mutation ($id: ID!, $props: JSON!) {{
  updateNode(id: $id, props: $props) {{ {NODE_RESULT} }} }}"""
LINK = f"mutation ($links: [LinkInput!]!) {{ link(links: $links) {{ {WRITE_RESULT} }} }}"
UNLINK = f"mutation ($ids: [ID!]!) {{ unlink(linkIds: $ids) {{ {WRITE_RESULT} }} }}"
DELETE = f"mutation ($ids: [ID!]!) {{ deleteNodes(ids: $ids) {{ {WRITE_RESULT} }} }}"
BATCH = f"""
mutation ($nodes: [NodeInput!], $links: [LinkInput!], $dl: [ID!], $dn: [ID!]) {{
  applyBatch(nodes: $nodes, links: $links, deleteLinkIds: $dl, deleteNodeIds: $dn) {{
    {WRITE_RESULT}
  }}
}}
"""
COMPOUND = """query ($id: ID!) { node(id: $id) { id ... on Compound {
  name households isOld builtYear partOf { edges { linkId node { id } } } } } }"""


def problems(result: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    assert typename(result) == "ValidationFailed", result
    assert result["message"]
    return [(p["field"], p["value"], p["expected"]) for p in result["problems"]]


def compound(gql: Gql, cid: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql.data(COMPOUND, {"id": cid})["node"]
    return found


def test_create_node(seeded: Gql) -> None:
    new = {"kind": "Compound", "id": "cmp-new", "props": {"name": "新建示例小区", "households": 50}}
    r = seeded.data(CREATE, {"input": new})["createNode"]
    assert r == {
        "__typename": "NodePayload",
        "node": {
            "id": "Compound:cmp-new",
            "name": "新建示例小区",
            "households": 50,
            "isOld": None,
            "builtYear": None,
        },
    }
    stored = compound(seeded, "Compound:cmp-new")
    assert stored is not None
    assert (stored["name"], stored["households"]) == ("新建示例小区", 50)


def test_create_node_coerces_loose_values(gql: Gql) -> None:
    new = {"kind": "Compound", "id": "cmp-loose", "props": {"households": "75", "is_old": "是"}}
    r = gql.data(CREATE, {"input": new})["createNode"]
    assert r["node"]["households"] == 75
    assert r["node"]["isOld"] is True


@pytest.mark.parametrize("kind", ["Compound", "Building"])
def test_create_node_on_a_taken_id_is_a_conflict(seeded: Gql, seed: Seed, kind: str) -> None:
    taken = {"kind": kind, "id": seed.yby, "props": {"name": "覆盖测试"}}
    r = seeded.data(CREATE, {"input": taken})["createNode"]
    assert typename(r) == "Conflict"
    assert seed.yby in r["message"]
    stored = compound(seeded, seed.yby)
    assert stored is not None and stored["name"] == "云北苑小区"


def test_create_node_validation_lists_field_value_and_expected(gql: Gql) -> None:
    bad = {
        "kind": "Compound",
        "id": "cmp-bad",
        "props": {"name": "示例", "households": "many", "colour": "red"},
    }
    r = gql.data(CREATE, {"input": bad})["createNode"]
    found = problems(r)
    assert ("households", "many", "a whole number") in found
    colour = [p for p in found if p[0] == "colour"]
    assert colour and colour[0][1] == "red" and colour[0][2].startswith("one of the properties")
    assert "households" in colour[0][2]  # it names the allowed properties
    assert all(p["subject"] for p in r["problems"])
    assert compound(gql, "cmp-bad") is None


@pytest.mark.parametrize(
    ("node_input", "field", "expected_part"),
    [
        ({"kind": "Compound", "id": "bad id", "props": {}}, "id", "without spaces"),
        (
            {"kind": "Meeting", "id": "mtg-x", "props": {"meeting_type": "hearing"}},
            "date",
            "required",
        ),
        (
            {
                "kind": "Meeting",
                "id": "mtg-y",
                "props": {"date": "2023-13-45", "meeting_type": "hearing"},
            },
            "date",
            "YYYY-MM-DD",
        ),
        ({"kind": "PartyBranch", "id": "pb-x", "props": {"form": "other"}}, "form", "standalone"),
        ({"kind": "Compound", "id": "cmp-x", "props": ["not", "an", "object"]}, "props", "object"),
    ],
    ids=["id", "required", "date", "choices", "props-not-object"],
)
def test_create_node_validation_cases(
    gql: Gql, node_input: dict[str, Any], field: str, expected_part: str
) -> None:
    r = gql.data(CREATE, {"input": node_input})["createNode"]
    found = problems(r)
    assert any(f == field and expected_part in exp for f, _, exp in found), found


def test_update_node_merges_and_null_removes(seeded: Gql, seed: Seed) -> None:
    r = seeded.data(UPDATE, {"id": f"Compound:{seed.yby}", "props": {"households": 430}})
    assert r["updateNode"]["node"] == {
        "id": f"Compound:{seed.yby}",
        "name": "云北苑小区",
        "households": 430,
        "isOld": True,
        "builtYear": 1998,
    }
    r = seeded.data(UPDATE, {"id": seed.yby, "props": {"built_year": None, "is_old": False}})
    assert r["updateNode"]["node"]["builtYear"] is None
    assert r["updateNode"]["node"]["isOld"] is False
    stored = compound(seeded, seed.yby)
    assert stored is not None
    assert (stored["name"], stored["households"], stored["builtYear"]) == ("云北苑小区", 430, None)
    # the node's links are untouched by an update
    assert [e["node"]["id"] for e in stored["partOf"]["edges"]] == [f"Community:{seed.community}"]
    filtered = seeded.data("{ compounds(where: {builtYear: {isNull: true}}) { totalCount } }")
    assert filtered["compounds"]["totalCount"] == 2


def test_update_node_not_found(seeded: Gql) -> None:
    r = seeded.data(UPDATE, {"id": "Compound:no-such-compound", "props": {"name": "x"}})
    assert r["updateNode"] == {
        "__typename": "NotFound",
        "message": r["updateNode"]["message"],
        "ids": ["no-such-compound"],
    }


def test_update_node_validation_keeps_the_old_value(seeded: Gql, seed: Seed) -> None:
    r = seeded.data(UPDATE, {"id": seed.yby, "props": {"households": "lots"}})["updateNode"]
    assert ("households", "lots", "a whole number") in problems(r)
    stored = compound(seeded, seed.yby)
    assert stored is not None and stored["households"] == 420


HOLDERS = """query ($id: ID!, $day: Date) { node(id: $id) { ... on OwnersCommittee {
  postHolders(asOf: $day) { edges {
    linkId role since until source direction node { id }
  } } } } }"""


def committee_holders(gql: Gql, committee: str, day: str | None = None) -> dict[str, Any]:
    node = gql.data(HOLDERS, {"id": committee, "day": day})["node"]
    return {e["node"]["id"]: e for e in node["postHolders"]["edges"]}


def test_link_with_dates_and_source(seeded: Gql, seed: Seed) -> None:
    p4 = seed.persons[3]
    new = {
        "kind": "HOLDS_POST",
        "source": f"Person:{p4}",
        "target": f"OwnersCommittee:{seed.committee}",
        "since": "2023-01-01",
        "until": "2023-12-31",
        "sourceRef": "测试台账",
        "props": {"role": "member"},
    }
    r = seeded.data(LINK, {"links": [new]})["link"]
    assert r == {
        "__typename": "WritePayload",
        "nodesWritten": 0,
        "linksWritten": 1,
        "linksDeleted": 0,
        "nodesDeleted": 0,
    }
    edge = committee_holders(seeded, seed.committee)[f"Person:{p4}"]
    assert edge == {
        "linkId": f"{p4}|HOLDS_POST|{seed.committee}",
        "role": "member",
        "since": "2023-01-01",
        "until": "2023-12-31",
        "source": "测试台账",
        "direction": "IN",
        "node": {"id": f"Person:{p4}"},
    }
    assert f"Person:{p4}" in committee_holders(seeded, seed.committee, "2023-12-31")
    assert f"Person:{p4}" not in committee_holders(seeded, seed.committee, "2024-01-01")


def test_link_twice_replaces_and_keys_make_a_second_term(seeded: Gql, seed: Seed) -> None:
    p4 = seed.persons[3]
    base = {"kind": "HOLDS_POST", "source": p4, "target": seed.committee}
    first = {**base, "since": "2023-01-01", "props": {"role": "member"}}
    again = {**base, "since": "2023-02-01", "props": {"role": "vice_chair"}}
    second_term = {**base, "key": "t2", "since": "2025-01-01", "props": {"role": "chair"}}
    assert typename(seeded.data(LINK, {"links": [first]})["link"]) == "WritePayload"
    assert typename(seeded.data(LINK, {"links": [again, second_term]})["link"]) == "WritePayload"
    q = """query ($id: ID!) { node(id: $id) { ... on Person {
      holdsPost { totalCount edges { linkId role since } } } } }"""
    posts = seeded.data(q, {"id": f"Person:{p4}"})["node"]["holdsPost"]
    assert posts["totalCount"] == 2
    assert {(e["linkId"], e["role"], e["since"]) for e in posts["edges"]} == {
        (f"{p4}|HOLDS_POST|{seed.committee}", "vice_chair", "2023-02-01"),
        (f"{p4}|HOLDS_POST|{seed.committee}|t2", "chair", "2025-01-01"),
    }


@pytest.mark.parametrize(
    ("bad", "field", "expected_part"),
    [
        (
            {"kind": "COVERS", "source": "person-test-1", "target": "cmp-yunbeiyuan"},
            "endpoints",
            "PartyBranch->Compound",
        ),
        (
            {
                "kind": "HOLDS_POST",
                "source": "person-test-4",
                "target": "oc-yby",
                "since": "2023-06-01",
                "until": "2023-01-01",
                "props": {"role": "member"},
            },
            "until",
            "on or after since",
        ),
        (
            {
                "kind": "HOLDS_POST",
                "source": "nobody",
                "target": "oc-yby",
                "props": {"role": "chair"},
            },
            "endpoint",
            "already stored",
        ),
        ({"kind": "HOLDS_POST", "source": "person-test-4", "target": "oc-yby"}, "role", "required"),
        (
            {
                "kind": "HOLDS_POST",
                "source": "person-test-4",
                "target": "oc-yby",
                "props": {"role": "king"},
            },
            "role",
            "secretary",
        ),
    ],
    ids=["wrong-endpoints", "until-before-since", "missing-endpoint", "required-prop", "choices"],
)
def test_link_validation(seeded: Gql, bad: dict[str, Any], field: str, expected_part: str) -> None:
    before = as_dict(seeded.data(COUNTS, {"day": None})["counts"]["links"])
    r = seeded.data(LINK, {"links": [bad]})["link"]
    found = problems(r)
    assert any(f == field and expected_part in exp for f, _, exp in found), found
    assert as_dict(seeded.data(COUNTS, {"day": None})["counts"]["links"]) == before


def test_link_validation_lists_every_problem_and_writes_nothing(seeded: Gql, seed: Seed) -> None:
    good = {
        "kind": "HOLDS_POST",
        "source": seed.persons[3],
        "target": seed.committee,
        "props": {"role": "member"},
    }
    wrong_ends = {"kind": "COVERS", "source": seed.persons[0], "target": seed.yby}
    backwards = {**good, "target": seed.branch, "since": "2023-06-01", "until": "2023-01-01"}
    r = seeded.data(LINK, {"links": [good, wrong_ends, backwards]})["link"]
    fields = {f for f, _, _ in problems(r)}
    assert {"endpoints", "until"} <= fields
    assert f"Person:{seed.persons[3]}" not in committee_holders(seeded, seed.committee)


def test_unlink(seeded: Gql, seed: Seed) -> None:
    p3 = seed.persons[2]
    lid = f"{p3}|HOLDS_POST|{seed.committee}"
    assert f"Person:{p3}" in committee_holders(seeded, seed.committee)
    r = seeded.data(UNLINK, {"ids": [lid, f"nobody|HOLDS_POST|{seed.committee}"]})["unlink"]
    assert (typename(r), r["linksDeleted"], r["nodesDeleted"]) == ("WritePayload", 1, 0)
    assert f"Person:{p3}" not in committee_holders(seeded, seed.committee)
    assert seeded.data(NODE, {"id": f"Person:{p3}"})["node"] is not None  # the person stays
    again = seeded.data(UNLINK, {"ids": [lid]})["unlink"]
    assert again["linksDeleted"] == 0


def test_unlink_a_malformed_id_is_a_validation_failure(seeded: Gql) -> None:
    r = seeded.data(UNLINK, {"ids": ["not-a-link-id"]})["unlink"]
    assert ("id", "not-a-link-id", "source|KIND|target[|key]") in problems(r)


def test_delete_nodes_deletes_their_links(seeded: Gql, seed: Seed) -> None:
    r = seeded.data(DELETE, {"ids": [f"Compound:{seed.village}", "no-such-node"]})["deleteNodes"]
    assert (typename(r), r["nodesDeleted"]) == ("WritePayload", 1)
    assert compound(seeded, seed.village) is None
    q = """query ($id: ID!) { node(id: $id) { ... on Community { parts { totalCount } } } }"""
    assert seeded.data(q, {"id": seed.community})["node"]["parts"]["totalCount"] == 3


def test_apply_batch_writes_everything(seeded: Gql, seed: Seed) -> None:
    variables = {
        "nodes": [
            {"kind": "Compound", "id": "cmp-batch", "props": {"name": "批量示例小区"}},
            {"kind": "Building", "id": "bld-batch", "props": {"name": "批量楼"}},
        ],
        "links": [
            {"kind": "PART_OF", "source": "cmp-batch", "target": f"Community:{seed.community}"},
            {"kind": "PART_OF", "source": "Building:bld-batch", "target": "Compound:cmp-batch"},
        ],
        "dl": [f"{seed.persons[2]}|HOLDS_POST|{seed.committee}"],
        "dn": [seed.persons[3]],
    }
    r = seeded.data(BATCH, variables)["applyBatch"]
    assert r == {
        "__typename": "WritePayload",
        "nodesWritten": 2,
        "linksWritten": 2,
        "linksDeleted": 1,
        "nodesDeleted": 1,
    }
    stored = compound(seeded, "cmp-batch")
    assert stored is not None
    assert [e["node"]["id"] for e in stored["partOf"]["edges"]] == [f"Community:{seed.community}"]
    assert seeded.data(NODE, {"id": seed.persons[3]})["node"] is None


@pytest.mark.parametrize(
    "bad_item",
    ["node", "link", "delete-link-id"],
)
def test_apply_batch_is_all_or_nothing(seeded: Gql, seed: Seed, bad_item: str) -> None:
    good_nodes = [
        {"kind": "Compound", "id": "cmp-batch-ok", "props": {"name": "批量示例小区"}},
        {"kind": "Compound", "id": seed.yby, "props": {"name": "改名示例"}},
    ]
    good_links = [{"kind": "PART_OF", "source": "cmp-batch-ok", "target": seed.community}]
    variables: dict[str, Any] = {
        "nodes": good_nodes,
        "links": good_links,
        "dl": [f"{seed.persons[2]}|HOLDS_POST|{seed.committee}"],
        "dn": [seed.village],
    }
    if bad_item == "node":
        variables["nodes"] = [
            *good_nodes,
            {"kind": "Compound", "id": "cmp-batch-bad", "props": {"households": "x"}},
        ]
    elif bad_item == "link":
        variables["links"] = [
            *good_links,
            {"kind": "COVERS", "source": seed.persons[0], "target": seed.yby},
        ]
    else:
        variables["dl"] = ["not-a-link-id"]
    counts_before = seeded.data(COUNTS, {"day": None})
    r = seeded.data(BATCH, variables)["applyBatch"]
    assert typename(r) == "ValidationFailed"
    # nothing was written: no new node, no rename, no deletion
    assert compound(seeded, "cmp-batch-ok") is None
    assert compound(seeded, "cmp-batch-bad") is None
    stored = compound(seeded, seed.yby)
    assert stored is not None and stored["name"] == "云北苑小区"
    assert compound(seeded, seed.village) is not None
    assert f"Person:{seed.persons[2]}" in committee_holders(seeded, seed.committee)
    assert seeded.data(COUNTS, {"day": None}) == counts_before


def test_apply_batch_conflict_writes_nothing(seeded: Gql, seed: Seed) -> None:
    variables = {
        "nodes": [
            {"kind": "Compound", "id": "cmp-batch-ok", "props": {"name": "批量示例小区"}},
            {"kind": "Building", "id": seed.yby, "props": {"name": "冲突示例"}},
        ]
    }
    r = seeded.data(BATCH, variables)["applyBatch"]
    assert typename(r) == "Conflict"
    assert seed.yby in r["message"]
    assert compound(seeded, "cmp-batch-ok") is None


# --- limits --------------------------------------------------------------------------------------
def deep_query(levels: int) -> str:
    """compounds → partOf → parts → partOf → ...: 3 + 6 * levels + 1 fields deep."""
    inner = "id"
    for _ in range(levels):
        inner = (
            "partOf(first: 1) { edges { node { id ... on Community { parts(first: 1) "
            f"{{ edges {{ node {{ ... on Compound {{ {inner} }} }} }} }} }} }} }} }}"
        )
    return f"{{ compounds(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def test_depth_within_the_limit_runs(seeded: Gql) -> None:
    assert seeded.data(deep_query(1))["compounds"]["edges"]


def test_depth_over_the_limit_fails_before_any_store_query(seeded: Gql) -> None:
    before = seeded.stats.queries
    body = seeded.query(deep_query(2))  # 16 deep, limit 12
    assert body.get("data") is None
    assert "depth" in error_messages(body)
    assert seeded.stats.queries == before


def test_depth_limit_comes_from_settings(make_gql: MakeGql) -> None:
    shallow = make_gql(max_depth=3)
    before = shallow.stats.queries
    body = shallow.query("{ compounds { edges { node { partOf { totalCount } } } } }")
    assert "depth" in error_messages(body)
    assert shallow.stats.queries == before
    assert shallow.data("{ compounds { edges { node { id } } } }")


def test_alias_flood_is_refused(seeded: Gql) -> None:
    q = "{ " + " ".join(f"a{i}: counts {{ nodes {{ kind }} }}" for i in range(16)) + " }"
    before = seeded.stats.queries
    body = seeded.query(q)
    assert body.get("data") is None
    assert "aliases" in error_messages(body)
    assert seeded.stats.queries == before


def test_page_over_100_is_a_clear_error(seeded: Gql) -> None:
    before = seeded.stats.queries
    body = seeded.query("{ compounds(first: 101) { edges { node { id } } } }")
    message = error_messages(body)
    assert "first" in message and "101" in message and "1 to 100" in message
    assert body["errors"][0]["path"] == ["compounds"]
    assert seeded.stats.queries == before
    nested = seeded.query(
        "{ compounds(first: 1) { edges { node { partOf(first: 500) { totalCount } } } } }"
    )
    assert "1 to 100" in error_messages(nested)


def test_page_limit_comes_from_settings(make_gql: MakeGql) -> None:
    small = make_gql(max_page_size=10)
    message = error_messages(small.query("{ compounds(first: 11) { totalCount } }"))
    assert re.search(r"\b1 to 10\b", message), message
    assert small.data("{ compounds(first: 10) { totalCount } }")


COSTLY = """{ compounds(first: 100) { edges { node {
  coveredBy(first: 100) { edges { node { ... on PartyBranch {
    postHolders(first: 100) { edges { node { id } } } } } } } } } } }"""


def test_cost_over_budget_fails_before_any_store_query(seeded: Gql) -> None:
    before = seeded.stats.queries
    body = seeded.query(COSTLY)
    assert body.get("data") is None
    message = error_messages(body)
    assert "cost" in message and "250000" in message
    assert seeded.stats.queries == before


def test_cost_counts_a_variable_page_as_the_largest(seeded: Gql) -> None:
    q = COSTLY.replace("first: 100", "first: $n").replace(
        "{ compounds", "query ($n: Int!) { compounds", 1
    )
    body = seeded.query(q, {"n": 1})
    assert "cost" in error_messages(body)


def test_introspection_is_on_by_default(gql: Gql) -> None:
    assert gql.data("{ __schema { queryType { name } } }") == {
        "__schema": {"queryType": {"name": "Query"}}
    }


def test_introspection_can_be_disabled(make_gql: MakeGql) -> None:
    closed = make_gql(graphql_introspection=False)
    for q in ("{ __schema { queryType { name } } }", '{ __type(name: "Compound") { name } }'):
        body = closed.query(q)
        assert body.get("data") is None
        assert "introspection" in error_messages(body).lower()
    # __typename is not introspection: union results still need it
    r = closed.data(UNLINK, {"ids": ["not-a-link-id"]})["unlink"]
    assert typename(r) == "ValidationFailed"


def test_unexpected_error_is_masked_with_an_error_id(
    seeded: Gql, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_: Any) -> Any:
        raise RuntimeError("internal detail: /secret/path password=hunter2")

    monkeypatch.setattr(seeded.store, "counts", broken)
    with caplog.at_level(logging.ERROR, logger="govgraph.graphql"):
        body = seeded.query("{ counts { nodes { kind count } } }")
    (error,) = body["errors"]
    error_id = error["extensions"]["errorId"]
    assert re.fullmatch(r"[0-9a-f]{12}", error_id)
    assert error_id in error["message"]
    assert error["path"] == ["counts"]
    text = json.dumps(body)
    assert "hunter2" not in text and "secret" not in text and "RuntimeError" not in text
    # the server logged the real error under the same id
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


def test_a_masked_error_leaves_the_other_fields(
    seeded: Gql, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(seeded.store, "get_nodes", broken)
    body = seeded.query(
        f'{{ node(id: "{seed.yby}") {{ id }} compounds(first: 1) {{ totalCount }} }}'
    )
    assert body["data"] == {"node": None, "compounds": {"totalCount": 4}}
    (error,) = body["errors"]
    assert error["path"] == ["node"]
    assert "errorId" in error["extensions"]
    assert "internal detail" not in json.dumps(body)


def test_expected_errors_are_not_masked(seeded: Gql) -> None:
    body = seeded.query("{ compounds { totalCount } }", key=None)
    (error,) = body["errors"]
    assert "public" in error["message"]
    assert "errorId" not in (error.get("extensions") or {})


# --- HTTP ----------------------------------------------------------------------------------------
def test_unknown_api_key_is_401(gql: Gql) -> None:
    r = gql.post("{ counts { nodes { kind } } }", key="no-such-key")
    assert r.status_code == 401
    r = gql.post(
        "{ counts { nodes { kind } } }",
        key=None,
        headers={"Authorization": "Bearer no-such-key"},
    )
    assert r.status_code == 401


def test_bearer_token_selects_the_role(seeded: Gql) -> None:
    q = "{ people(first: 1) { totalCount } }"
    bearer = {"Authorization": f"Bearer {seeded.keys['department']}"}
    r = seeded.post(q, key=None, headers=bearer)
    assert r.status_code == 200
    assert r.json() == {"data": {"people": {"totalCount": 4}}}
    anonymous = seeded.post(q, key=None)
    assert anonymous.status_code == 200
    assert anonymous.json()["data"] is None


def test_graphiql_is_served_on_get(gql: Gql) -> None:
    r = gql.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "graphiql" in r.text.lower()
