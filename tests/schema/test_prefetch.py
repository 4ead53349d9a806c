"""Nested link fields fetched with the level above (``schema/prefetch.py``): the answers are the
ones each field gives on its own, whatever the query does with aliases, fragments, directives,
variables and cursors; and the store is asked once per root link field on Neo4j."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Gql, Seed

TREE = """
query ($day: Date, $skipIt: Boolean!) {
  node(id: "Community:comm-qixiangjie") { ... on Community {
    two: parts(first: 2) { totalCount pageInfo { hasNextPage } edges { node { entityId } } }
    all: parts(first: 10) { edges { node { entityId ...Posts } } }
  } }
}
fragment Posts on Compound {
  coveredBy(first: 2) { edges { node { ... on PartyBranch {
    now: postHolders(first: 10) { totalCount edges { role node { entityId } } }
    then: postHolders(first: 10, asOf: $day) { totalCount edges { role node { entityId } } }
    skipped: postHolders @skip(if: $skipIt) { totalCount }
  } } } }
}
"""


def _ops(
    gql: Gql, query: str, variables: dict[str, Any], key: str | None
) -> tuple[Any, dict[str, int]]:
    before = dict(gql.stats.by_operation)
    data = gql.data(query, variables, key=key)
    after = gql.stats.by_operation
    return data, {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}


def _posts(conn: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    return conn["totalCount"], sorted((e["role"], e["node"]["entityId"]) for e in conn["edges"])


def test_aliases_fragments_directives_and_days_below_one_field(seeded: Gql, seed: Seed) -> None:
    variables = {"day": "2019-06-01", "skipIt": True}
    data, ops = _ops(seeded, TREE, variables, seeded.keys["department"])
    community = data["node"]
    assert community["two"]["totalCount"] == 4
    assert community["two"]["pageInfo"]["hasNextPage"] is True
    assert len(community["two"]["edges"]) == 2
    compounds = {e["node"]["entityId"]: e["node"] for e in community["all"]["edges"]}
    assert set(compounds) == set(seed.compounds)
    p1, p2 = seed.persons[:2]
    for cid, compound in compounds.items():
        branches = [e["node"] for e in compound["coveredBy"]["edges"]]
        if cid != seed.yby:
            assert branches == []
            continue
        (branch,) = branches
        assert "skipped" not in branch
        # undated: every post ever held; on 2019-06-01: the deputy secretary's only
        assert _posts(branch["now"]) == (2, [("deputy_secretary", p2), ("secretary", p1)])
        assert _posts(branch["then"]) == (1, [("deputy_secretary", p2)])
    # on Neo4j the node and every level below it are one statement; the embedded store looks
    # the node up, then walks hop by hop: parts twice, coveredBy, postHolders twice (the
    # skipped one not at all)
    expected = {"lookup": 1} if seeded.store_kind == "neo4j" else {"get_nodes": 1, "neighbours": 5}
    assert ops == expected, ops


def test_an_included_field_is_answered_too(seeded: Gql, seed: Seed) -> None:
    variables = {"day": "2019-06-01", "skipIt": False}
    data = seeded.data(TREE, variables, key=seeded.keys["department"])
    yby = next(e["node"] for e in data["node"]["all"]["edges"] if e["node"]["entityId"] == seed.yby)
    assert yby["coveredBy"]["edges"][0]["node"]["skipped"] == {"totalCount": 2}


PAGES = """
query ($after: String) {
  node(id: "Compound:cmp-yunbeiyuan") { ... on Compound {
    coveredBy { edges { node { ... on PartyBranch {
      postHolders(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { role node { entityId } }
      }
    } } } }
  } }
}
"""


def _walk_pages(gql: Gql, key: str | None) -> tuple[list[tuple[str, str]], list[int]]:
    seen: list[tuple[str, str]] = []
    totals: list[int] = []
    after = None
    for _ in range(10):
        data = gql.data(PAGES, {"after": after}, key=key)
        branch = data["node"]["coveredBy"]["edges"][0]["node"]
        conn = branch["postHolders"]
        totals.append(conn["totalCount"])
        seen += [(e["role"], e["node"]["entityId"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen, totals
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError(f"more pages than posts: {seen}")


def test_cursors_walk_every_post_once_for_each_role(seeded: Gql, seed: Seed) -> None:
    full, totals = _walk_pages(seeded, seeded.keys["department"])
    assert totals == [2, 2]
    assert sorted(full) == [("deputy_secretary", seed.persons[1]), ("secretary", seed.persons[0])]
    # a researcher walks the same posts under pseudonyms, each once, in pseudonym order
    anon, totals = _walk_pages(seeded, seeded.keys["researcher"])
    assert totals == [2, 2]
    assert sorted(role for role, _ in anon) == ["deputy_secretary", "secretary"]
    assert len({pid for _, pid in anon}) == 2
    assert not {pid for _, pid in anon} & set(seed.persons)


def test_a_bad_page_size_below_is_still_refused(seeded: Gql) -> None:
    query = """{ node(id: "Community:comm-qixiangjie") { ... on Community {
      parts(first: 5) { edges { node { ... on Compound {
        coveredBy(first: 1000) { totalCount } } } } }
    } } }"""
    errors = seeded.query(query, key=seeded.keys["department"]).get("errors")
    assert errors and all("first" in e["message"] for e in errors), errors
