"""Sorting by a count of links and counts by place, over GraphQL, on both stores.

The seed graph (conftest.py): 怀仁市 → 示例街道 → 气象街社区 → four compounds; 云北苑小区 has
two buildings, the one Party branch (covering it since 2021-03-01), the owners' committee and the
company; the company also manages 示例花园小区. Posts: person 1 holds two (branch since
2021-03-01, committee since 2022-05-01), person 2 one (branch, 2018-2020), person 3 one
(committee since 2022-05-01), person 4 none. Three meetings are held by the branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Gql, MakeGql, ScaledGraph, Seed

YBY, GARDEN, TEST_GARDEN, VILLAGE = (
    "cmp-yunbeiyuan",
    "cmp-demo-garden",
    "cmp-test-garden",
    "cmp-demo-village",
)
#: compounds with most buildings first (in queries, the word BY_BUILDINGS stands for it)
BY_BUILDINGS = (
    "{linkCount: {kind: PART_OF, direction: IN, neighbourKind: Building}, direction: DESC}"
)


def with_sort(query: str) -> str:
    return query.replace("BY_BUILDINGS", BY_BUILDINGS)


def compound_ids(data: dict[str, Any]) -> list[str]:
    return [e["node"]["entityId"] for e in data["compounds"]["edges"]]


def error_messages(body: dict[str, Any]) -> str:
    return " | ".join(e["message"] for e in body.get("errors") or [])


# --- sorting by a count of links -----------------------------------------------------------------
def test_compounds_by_buildings_page_by_page(seeded: Gql) -> None:
    q = with_sort("""query ($after: String) {
      compounds(first: 2, after: $after, orderBy: [BY_BUILDINGS]) {
        pageInfo { hasNextPage endCursor } edges { cursor node { entityId } }
      } }""")
    first = seeded.data(q, {"after": None})
    assert compound_ids(first) == [YBY, GARDEN]  # 2 buildings, then the zeros by id
    info = first["compounds"]["pageInfo"]
    assert info["hasNextPage"]
    assert info["endCursor"] == first["compounds"]["edges"][-1]["cursor"]
    second = seeded.data(q, {"after": info["endCursor"]})
    assert compound_ids(second) == [VILLAGE, TEST_GARDEN]
    assert not second["compounds"]["pageInfo"]["hasNextPage"]
    # every edge's cursor continues right after its own row
    after_first_edge = seeded.data(q, {"after": first["compounds"]["edges"][0]["cursor"]})
    assert compound_ids(after_first_edge) == [GARDEN, VILLAGE]


def test_count_then_property_then_id(seeded: Gql) -> None:
    q = """{ compounds(orderBy: [
        {linkCount: {kind: MANAGES, direction: IN}, direction: DESC},
        {field: HOUSEHOLDS}
      ]) { edges { node { entityId } } } }"""
    # managed: 云北苑 (420 households), 示例花园 (300); then 示例新村 (80), 测试家园 (120)
    assert compound_ids(seeded.data(q)) == [GARDEN, YBY, VILLAGE, TEST_GARDEN]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (None, [1, 2, 3, 4]),  # 2, 1, 1, 0 posts
        ("2019-01-01", [2, 1, 3, 4]),  # only person 2's post held then
        ("2022-01-01", [1, 2, 3, 4]),  # 1, 0, 0, 0
        ("2022-06-01", [1, 3, 2, 4]),  # 2, 0, 1, 0
    ],
)
def test_people_by_posts_as_of(seeded: Gql, as_of: str | None, expected: list[int]) -> None:
    q = """query ($asOf: Date) { people(asOf: $asOf,
        orderBy: [{linkCount: {kind: HOLDS_POST}, direction: DESC}]) {
      edges { node { entityId } } } }"""
    got = [e["node"]["entityId"] for e in seeded.data(q, {"asOf": as_of})["people"]["edges"]]
    assert got == [f"person-test-{i}" for i in expected]


def test_branches_by_members_ascending(seeded: Gql, seed: Seed) -> None:
    q = """{ partyBranches(orderBy: [{linkCount: {kind: MEMBER_OF, direction: IN}}]) {
      edges { cursor node { entityId } } } }"""
    (edge,) = seeded.data(q)["partyBranches"]["edges"]
    assert edge["node"]["entityId"] == seed.branch


@pytest.mark.parametrize(
    ("order", "says"),
    [
        ("{field: NAME, linkCount: {kind: PART_OF, direction: IN}}", "exactly one"),
        ("{direction: DESC}", "exactly one"),
        ("{linkCount: {kind: HOLDS_POST}}", "linkCount"),
        ("{linkCount: {kind: PART_OF, direction: IN, neighbourKind: Person}}", "PART_OF in"),
    ],
)
def test_bad_sort_keys_are_clear_errors(seeded: Gql, order: str, says: str) -> None:
    body = seeded.query(
        "{ compounds(orderBy: [ORDER]) { edges { node { id } } } }".replace("ORDER", order)
    )
    assert body.get("data") is None or body["data"]["compounds"] is None
    assert says in error_messages(body)


# --- roles ---------------------------------------------------------------------------------------
COMMUNITY_COUNTS = """{ aggregate(groupBy: COMMUNITY) {
  compounds { places { id entityId name count } unplaced hasMore }
  buildings { places { name count } }
} }"""


@pytest.mark.parametrize("role", ["public", "researcher", "department"])
def test_every_role_may_aggregate(seeded: Gql, role: str) -> None:
    body = seeded.as_role(role, COMMUNITY_COUNTS)
    assert not body.get("errors"), body
    assert body["data"]["aggregate"] == {
        "compounds": {
            "places": [
                {
                    "id": "Community:comm-qixiangjie",
                    "entityId": "comm-qixiangjie",
                    "name": "气象街社区",
                    "count": 4,
                }
            ],
            "unplaced": 0,
            "hasMore": False,
        },
        "buildings": {"places": [{"name": "气象街社区", "count": 2}]},
    }


@pytest.mark.parametrize(
    ("role", "allowed"), [("public", False), ("researcher", True), ("department", True)]
)
def test_who_may_sort_by_counts(seeded: Gql, role: str, allowed: bool) -> None:
    q = "{ compounds(first: 1, orderBy: [BY_BUILDINGS]) { edges { node { entityId name } } } }"
    body = seeded.as_role(role, with_sort(q))
    if not allowed:
        assert f"{role} role may" in error_messages(body)
        return
    assert not body.get("errors"), body
    assert body["data"]["compounds"]["edges"] == [{"node": {"entityId": YBY, "name": "云北苑小区"}}]


def test_a_researcher_still_may_not_list_people_sorted_by_count(seeded: Gql) -> None:
    q = "{ people(orderBy: [{linkCount: {kind: HOLDS_POST}}]) { edges { node { id } } } }"
    assert "researcher role may" in error_messages(seeded.as_role("researcher", q))


PEOPLE_BY_COMPOUND = (
    "{ aggregate(groupBy: COMPOUND) { people WHERE { places { count } unplaced } } }"
)


@pytest.mark.parametrize(
    ("role", "where", "refused"),
    [
        ("public", "", False),  # counts of people per place are aggregates
        ("public", '(where: {gender: {eq: "female"}})', True),  # no filtered people for public
        ("public", '(where: {name: {eq: "测试人员1"}})', True),
        ("researcher", '(where: {gender: {eq: "female"}})', False),
        ("researcher", '(where: {name: {eq: "测试人员1"}})', True),  # a personal field
        ("researcher", "(where: {birthYear: {lt: 1980}})", True),
        ("department", '(where: {name: {eq: "测试人员1"}})', False),
    ],
)
def test_people_counts_by_role(seeded: Gql, role: str, where: str, refused: bool) -> None:
    body = seeded.as_role(role, PEOPLE_BY_COMPOUND.replace("WHERE", where))
    if refused:
        assert f"{role} role may" in error_messages(body)
        return
    assert not body.get("errors"), body
    people = body["data"]["aggregate"]["people"]
    assert [p["count"] for p in people["places"]] == [0, 0, 0, 0]  # nobody's residence is known
    assert people["unplaced"] >= 1


# --- aggregates ----------------------------------------------------------------------------------
def places(data: dict[str, Any], kind: str) -> list[tuple[str, int]]:
    return [(p["entityId"], p["count"]) for p in data["aggregate"][kind]["places"]]


def test_aggregate_each_level(seeded: Gql, seed: Seed) -> None:
    q = """{
      city: aggregate(groupBy: CITY) { compounds { places { entityId count } } }
      township: aggregate(groupBy: TOWNSHIP) { compounds { places { entityId count } } }
      community: aggregate(groupBy: COMMUNITY) { compounds { places { entityId count } } }
      compound: aggregate(groupBy: COMPOUND) { buildings { places { entityId count } } }
    }"""
    d = seeded.data(q)
    assert [(p["entityId"], p["count"]) for p in d["city"]["compounds"]["places"]] == [
        (seed.city, 4)
    ]
    assert [(p["entityId"], p["count"]) for p in d["township"]["compounds"]["places"]] == [
        (seed.town, 4)
    ]
    assert [(p["entityId"], p["count"]) for p in d["community"]["compounds"]["places"]] == [
        (seed.community, 4)
    ]
    assert [(p["entityId"], p["count"]) for p in d["compound"]["buildings"]["places"]] == [
        (YBY, 2),
        (GARDEN, 0),
        (VILLAGE, 0),
        (TEST_GARDEN, 0),
    ]


def test_aggregate_with_a_filter_and_first(seeded: Gql) -> None:
    q = """{ aggregate(groupBy: COMPOUND) {
      partyBranches(first: 1) { places { entityId count } hasMore unplaced }
      meetings(where: {meetingType: {eq: "theme_party_day"}}) { places { entityId count } }
    } }"""
    d = seeded.data(q)
    assert d["aggregate"]["partyBranches"] == {
        "places": [{"entityId": YBY, "count": 1}],
        "hasMore": True,
        "unplaced": 0,
    }
    assert places(d, "meetings") == [(YBY, 1), (GARDEN, 0), (VILLAGE, 0), (TEST_GARDEN, 0)]
    uncovered = """{ aggregate(groupBy: %s) {
      compounds(where: {has: [{kind: COVERS, direction: IN, exists: false}]}) {
        places { entityId count } } } }"""
    assert places(seeded.data(uncovered % "COMMUNITY"), "compounds") == [("comm-qixiangjie", 3)]
    # a compound lies under no compound (itself is not a place above it): a clear error
    assert "groupBy" in error_messages(seeded.query(uncovered % "COMPOUND"))


@pytest.mark.parametrize(
    ("as_of", "count", "unplaced"), [(None, 3, 0), ("2021-03-01", 3, 0), ("2021-02-28", 0, 3)]
)
def test_aggregate_as_of(seeded: Gql, as_of: str | None, count: int, unplaced: int) -> None:
    """The meetings lie where their host, the branch, covers: 云北苑 since 2021-03-01."""
    q = """query ($asOf: Date) { aggregate(groupBy: COMPOUND, asOf: $asOf) {
      meetings(first: 1) { places { entityId count } unplaced } } }"""
    d = seeded.data(q, {"asOf": as_of})["aggregate"]["meetings"]
    first_place = (YBY, count) if count else (GARDEN, 0)
    assert [(p["entityId"], p["count"]) for p in d["places"]] == [first_place]
    assert d["unplaced"] == unplaced


def test_unplaceable_kinds(seeded: Gql) -> None:
    body = seeded.query("{ aggregate(groupBy: COMMUNITY) { townships { unplaced } } }")
    message = error_messages(body)
    assert "groupBy" in message and "Community" in message and "City" in message
    # a city lies under no place: it has no field at all
    body = seeded.query("{ aggregate(groupBy: CITY) { cities { unplaced } } }")
    assert "cities" in error_messages(body)


def test_aggregate_respects_the_cost_rule(make_gql: MakeGql) -> None:
    small = make_gql(max_cost=150)
    before = small.stats.queries
    body = small.query(
        "{ aggregate(groupBy: COMPOUND) { compounds { unplaced } buildings { unplaced } } }"
    )
    assert "cost" in error_messages(body)
    assert small.stats.queries == before  # refused before touching the store
    assert small.data("{ aggregate(groupBy: COMPOUND) { buildings(first: 5) { unplaced } } }")


# --- round trips ---------------------------------------------------------------------------------
def _delta(gql: Gql, q: str) -> tuple[dict[str, int], dict[str, Any]]:
    before = dict(gql.stats.by_operation)
    data = gql.data(q)
    after = gql.stats.by_operation
    return {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}, data


SORTED_NESTED = with_sort("""{ compounds(first: 100, orderBy: [
    {linkCount: {kind: COVERS, direction: IN}, direction: DESC}, BY_BUILDINGS]) {
  edges { node { entityId coveredBy(first: 5) { edges { node { ... on PartyBranch {
    postHolders(first: 5) { edges { node { id } } } } } } } } }
} }""")
AGGREGATE = """{ aggregate(groupBy: COMMUNITY) {
  compounds { places { name count } }
  buildings { places { count } }
  people(where: {has: [{kind: HOLDS_POST}]}) { places { count } unplaced }
} }"""


def test_sorted_lists_and_aggregates_are_one_query_each(
    gql: Gql, scaled: ScaledGraph, sizes: tuple[int, ...]
) -> None:
    by_size: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
    for n in sizes:
        gql.clear()
        gql.seed(*scaled(n))
        sorted_ops, sorted_data = _delta(gql, SORTED_NESTED)
        assert len(sorted_data["compounds"]["edges"]) == n
        aggregate_ops, aggregate_data = _delta(gql, AGGREGATE)
        counts = aggregate_data["aggregate"]
        assert counts["compounds"]["places"] == [{"name": "示例社区", "count": n}]
        assert counts["buildings"]["places"] == [{"count": n}]
        # a post places nobody (only a residence does): every post holder is unplaced
        assert counts["people"] == {"places": [{"count": 0}], "unplaced": 2 * n}
        by_size[n] = (sorted_ops, aggregate_ops)
    for sorted_ops, aggregate_ops in by_size.values():
        assert sorted_ops == gql.list_ops(2), sorted_ops
        assert aggregate_ops == {"aggregate": 3}, aggregate_ops
