"""Who sees what: a role × field matrix over the GraphQL API, on both stores.

* public: aggregates only (``counts``); every other field is a Forbidden error and every mutation
  returns ``Forbidden``.
* researcher: the structure, with Person ids pseudonymized (``Person:anon-…``, stable across
  requests), the quasi-identifier policy of ``graph/disclosure.py`` applied (names, phones,
  addresses, Party membership status and category null; birth years as decades; dates about
  people as years); listing, filtering, sorting and searching people is forbidden; every
  mutation returns ``Forbidden``.
* department: everything.

Besides the matrix, a researcher's answers to many query shapes are scanned for any real person
id or personal value they did not send themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Gql, Seed

ROLES = ("public", "researcher", "department")
PSEUDONYM = re.compile(r"Person:anon-[0-9a-f]{16}")


class _Forbidden:
    """Expected: the field fails with a Forbidden error naming the role."""

    def __repr__(self) -> str:
        return "FORBIDDEN"


FORBIDDEN: Any = _Forbidden()


def pseudonymous(value: Any) -> bool:
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None


@dataclass(frozen=True)
class Case:
    """One query, how to pick the value under test from its data, and what each role gets:
    a value, FORBIDDEN, or a predicate on the value."""

    query: str
    pick: Callable[[dict[str, Any]], Any]
    expected: dict[str, Any]
    variables: dict[str, Any] | None = field(default=None)


# --- the queries ---------------------------------------------------------------------------------
BRANCH = """{
  partyBranches { edges { node {
    id name
    postHolders { edges { role linkId node {
      id ... on Person { entityId name phone address birthYear gender }
    } } }
    members { edges { status category since linkId node { id } } }
  } } }
}"""


def _branch(d: dict[str, Any]) -> dict[str, Any]:
    (edge,) = d["partyBranches"]["edges"]
    node: dict[str, Any] = edge["node"]
    return node


def _secretary(d: dict[str, Any]) -> dict[str, Any]:
    """Person 1, found by a non-personal property: the secretary's post."""
    (edge,) = [e for e in _branch(d)["postHolders"]["edges"] if e["role"] == "secretary"]
    person: dict[str, Any] = edge["node"]
    return person


def _member(d: dict[str, Any]) -> dict[str, Any]:
    """Person 1's membership, found by its start year (a researcher sees dates by year)."""
    (edge,) = [e for e in _branch(d)["members"]["edges"] if e["since"].startswith("2000-")]
    member: dict[str, Any] = edge
    return member


def _person_field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda d: _secretary(d)[name]


def _member_field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda d: _member(d)[name]


def _typename(root: str) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d[root]["__typename"]


def _ids(root: str) -> Callable[[dict[str, Any]], Any]:
    return lambda d: sorted(e["node"]["id"] for e in d[root]["edges"])


COUNTS = "{ counts { nodes { kind count } links { kind count } } }"
PERSON_NODE = '{ node(id: "Person:person-test-1") { id ... on Person { name } } }'
MUTATION_RESULT = "{ __typename }"

COMPOUND_NAMES = sorted(["云北苑小区", "示例花园小区", "测试家园", "示例新村"])
SEED_COUNTS = {
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


def _node_counts(d: dict[str, Any]) -> dict[str, int]:
    return {r["kind"]: r["count"] for r in d["counts"]["nodes"] if r["count"]}


def _expect(public: Any, researcher: Any, department: Any) -> dict[str, Any]:
    return {"public": public, "researcher": researcher, "department": department}


def _write_only(ok: str) -> dict[str, Any]:
    return _expect("Forbidden", "Forbidden", ok)


CASES: dict[str, Case] = {
    # -- personal fields of people --
    "person-name": Case(BRANCH, _person_field("name"), _expect(FORBIDDEN, None, "测试人员1")),
    "person-phone": Case(BRANCH, _person_field("phone"), _expect(FORBIDDEN, None, "000-0000-0001")),
    "person-address": Case(BRANCH, _person_field("address"), _expect(FORBIDDEN, None, "示例路1号")),
    "person-birth-year": Case(BRANCH, _person_field("birthYear"), _expect(FORBIDDEN, 1960, 1968)),
    # -- a non-personal field of people --
    "person-gender": Case(BRANCH, _person_field("gender"), _expect(FORBIDDEN, "female", "female")),
    # -- person ids --
    "person-id": Case(
        BRANCH, _person_field("id"), _expect(FORBIDDEN, pseudonymous, "Person:person-test-1")
    ),
    "person-entity-id": Case(
        BRANCH,
        _person_field("entityId"),
        _expect(FORBIDDEN, lambda v: pseudonymous(f"Person:{v}"), "person-test-1"),
    ),
    "post-link-id": Case(
        BRANCH,
        lambda d: [e["linkId"] for e in _branch(d)["postHolders"]["edges"]],
        _expect(
            FORBIDDEN,
            lambda v: all(re.fullmatch(r"anon-[0-9a-f]{16}\|HOLDS_POST\|branch-yby", x) for x in v),
            lambda v: (
                set(v)
                == {"person-test-1|HOLDS_POST|branch-yby", "person-test-2|HOLDS_POST|branch-yby"}
            ),
        ),
    ),
    "person-by-real-id": Case(
        PERSON_NODE,
        lambda d: d["node"],
        _expect(FORBIDDEN, None, {"id": "Person:person-test-1", "name": "测试人员1"}),
    ),
    # -- Party membership on MEMBER_OF edges (personal) and its dates (not) --
    "member-status": Case(BRANCH, _member_field("status"), _expect(FORBIDDEN, None, "full")),
    "member-category": Case(BRANCH, _member_field("category"), _expect(FORBIDDEN, None, "retired")),
    "member-since": Case(
        BRANCH, _member_field("since"), _expect(FORBIDDEN, "2000-01-01", "2000-07-01")
    ),
    "member-person-id": Case(
        BRANCH,
        lambda d: _member(d)["node"]["id"],
        _expect(FORBIDDEN, pseudonymous, "Person:person-test-1"),
    ),
    # -- structure --
    "branch-name": Case(
        BRANCH,
        lambda d: _branch(d)["name"],
        _expect(FORBIDDEN, "云北苑小区党支部", "云北苑小区党支部"),
    ),
    "compound-names": Case(
        "{ compounds { edges { node { name } } } }",
        lambda d: sorted(e["node"]["name"] for e in d["compounds"]["edges"]),
        _expect(FORBIDDEN, COMPOUND_NAMES, COMPOUND_NAMES),
    ),
    "compound-total-count": Case(
        "{ compounds { totalCount } }",
        lambda d: d["compounds"]["totalCount"],
        _expect(FORBIDDEN, 4, 4),
    ),
    "compound-by-id": Case(
        '{ node(id: "Compound:cmp-yunbeiyuan") { ... on Compound { name } } }',
        lambda d: d["node"],
        _expect(FORBIDDEN, {"name": "云北苑小区"}, {"name": "云北苑小区"}),
    ),
    "search-compound": Case(
        '{ search(text: "云北苑", kinds: [Compound]) { id } }',
        lambda d: [n["id"] for n in d["search"]],
        _expect(FORBIDDEN, ["Compound:cmp-yunbeiyuan"], ["Compound:cmp-yunbeiyuan"]),
    ),
    # -- aggregates --
    "counts": Case(COUNTS, _node_counts, _expect(SEED_COUNTS, SEED_COUNTS, SEED_COUNTS)),
    "counts-as-of": Case(
        '{ counts(asOf: "2022-01-01") { nodes { kind count } } }',
        _node_counts,
        _expect(SEED_COUNTS, SEED_COUNTS, SEED_COUNTS),
    ),
    # -- people as such --
    "search-person-by-name": Case(
        '{ search(text: "测试人员1") { id } }',
        lambda d: [n["id"] for n in d["search"]],
        _expect(FORBIDDEN, [], ["Person:person-test-1"]),
    ),
    "search-people-kind": Case(
        '{ search(text: "测试人员", kinds: [Person]) { id } }',
        lambda d: sorted(n["id"] for n in d["search"]),
        _expect(FORBIDDEN, FORBIDDEN, [f"Person:person-test-{i}" for i in range(1, 5)]),
    ),
    "list-people": Case(
        "{ people { edges { node { id } } } }",
        _ids("people"),
        _expect(FORBIDDEN, FORBIDDEN, [f"Person:person-test-{i}" for i in range(1, 5)]),
    ),
    "count-people": Case(
        "{ people { totalCount } }",
        lambda d: d["people"]["totalCount"],
        _expect(FORBIDDEN, FORBIDDEN, 4),
    ),
    "filter-people-on-name": Case(
        '{ people(where: {name: {eq: "测试人员1"}}) { totalCount edges { node { id } } } }',
        _ids("people"),
        _expect(FORBIDDEN, FORBIDDEN, ["Person:person-test-1"]),
    ),
    "filter-people-on-birth-year": Case(
        "{ people(where: {birthYear: {lt: 1970}}) { edges { node { id } } } }",
        _ids("people"),
        _expect(FORBIDDEN, FORBIDDEN, ["Person:person-test-1"]),
    ),
    "sort-people-on-name": Case(
        "{ people(orderBy: [{field: NAME}]) { edges { node { id } } } }",
        lambda d: [e["node"]["id"] for e in d["people"]["edges"]],
        _expect(FORBIDDEN, FORBIDDEN, [f"Person:person-test-{i}" for i in range(1, 5)]),
    ),
    # -- mutations: Forbidden is a result type, not an error --
    "create-node": Case(
        'mutation { createNode(input: {kind: Compound, id: "cmp-role", props: {name: "示例"}}) '
        f"{MUTATION_RESULT} }}",
        _typename("createNode"),
        _write_only("NodePayload"),
    ),
    "create-person": Case(
        'mutation { createNode(input: {kind: Person, id: "person-role", props: {name: "测试"}}) '
        f"{MUTATION_RESULT} }}",
        _typename("createNode"),
        _write_only("NodePayload"),
    ),
    "create-on-a-taken-id": Case(
        'mutation { createNode(input: {kind: Compound, id: "cmp-yunbeiyuan"}) '
        f"{MUTATION_RESULT} }}",
        _typename("createNode"),
        _expect("Forbidden", "Forbidden", "Conflict"),
    ),
    "update-compound": Case(
        'mutation { updateNode(id: "Compound:cmp-yunbeiyuan", props: {households: 1}) '
        f"{MUTATION_RESULT} }}",
        _typename("updateNode"),
        _write_only("NodePayload"),
    ),
    "update-person": Case(
        'mutation { updateNode(id: "Person:person-test-1", props: {phone: "000"}) '
        f"{MUTATION_RESULT} }}",
        _typename("updateNode"),
        _write_only("NodePayload"),
    ),
    "delete-nodes": Case(
        f'mutation {{ deleteNodes(ids: ["cmp-demo-village"]) {MUTATION_RESULT} }}',
        _typename("deleteNodes"),
        _write_only("WritePayload"),
    ),
    "link": Case(
        'mutation { link(links: [{kind: HOLDS_POST, source: "person-test-4", target: '
        f'"oc-yby", props: {{role: "member"}}}}]) {MUTATION_RESULT} }}',
        _typename("link"),
        _write_only("WritePayload"),
    ),
    "unlink": Case(
        f'mutation {{ unlink(linkIds: ["person-test-3|HOLDS_POST|oc-yby"]) {MUTATION_RESULT} }}',
        _typename("unlink"),
        _write_only("WritePayload"),
    ),
    "apply-batch": Case(
        'mutation { applyBatch(nodes: [{kind: Building, id: "bld-role", props: {name: "示例"}}], '
        f'deleteNodeIds: ["cmp-demo-village"]) {MUTATION_RESULT} }}',
        _typename("applyBatch"),
        _write_only("WritePayload"),
    ),
}


def assert_forbidden(body: dict[str, Any], role: str) -> None:
    errors = body.get("errors") or []
    assert errors, f"{role} expected a Forbidden error, got {body}"
    assert any(f"{role} role may" in e["message"] for e in errors), errors
    data = body.get("data")
    assert data is None or all(v is None for v in data.values()), data


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case_name", list(CASES))
def test_role_matrix(seeded: Gql, case_name: str, role: str) -> None:
    case = CASES[case_name]
    expected = case.expected[role]
    body = seeded.as_role(role, case.query, case.variables)
    if expected is FORBIDDEN:
        assert_forbidden(body, role)
        return
    assert not body.get("errors"), body
    got = case.pick(body["data"])
    if callable(expected):
        assert expected(got), f"{case_name} as {role}: unexpected {got!r}"
    else:
        assert got == expected, f"{case_name} as {role}"


def test_only_the_department_changes_anything(seeded: Gql) -> None:
    mutations = [c for name, c in CASES.items() if c.expected["public"] == "Forbidden"]
    assert len(mutations) >= 8
    snapshot = """{ counts { nodes { kind count } links { kind count } }
      compounds(orderBy: [{field: ID}]) { edges { node { id name households } } }
      people { edges { node { id ... on Person { name phone } } } } }"""
    before = seeded.data(snapshot)
    for role in ("public", "researcher"):
        for case in mutations:
            body = seeded.as_role(role, case.query)
            # which failure type each shape returns is the matrix's business; here: no success
            result = case.pick(body["data"])
            assert result not in {"NodePayload", "WritePayload"}, (role, case.query, body)
    assert seeded.data(snapshot) == before


# --- pseudonyms ----------------------------------------------------------------------------------
IDS = """{
  partyBranches { edges { node {
    postHolders { edges { role node { id } } }
    members { edges { since node { id } } }
  } } }
  ownersCommittees { edges { node { postHolders { edges { role node { id } } } } } }
  meetings { edges { node { attendees { edges { node { id } } } } } }
}"""


def person_ids(data: dict[str, Any]) -> dict[str, str]:
    """The id each query shape gives persons 1, 2 and 3 (found by their posts and dates)."""
    branch = data["partyBranches"]["edges"][0]["node"]
    posts = {e["role"]: e["node"]["id"] for e in branch["postHolders"]["edges"]}
    members = {e["since"][:4]: e["node"]["id"] for e in branch["members"]["edges"]}
    committee = data["ownersCommittees"]["edges"][0]["node"]
    oc_posts = {e["role"]: e["node"]["id"] for e in committee["postHolders"]["edges"]}
    attendees = [
        e["node"]["id"] for m in data["meetings"]["edges"] for e in m["node"]["attendees"]["edges"]
    ]
    return {
        "p1-secretary": posts["secretary"],
        "p1-member": members["2000"],
        "p1-committee": oc_posts["member"],
        "p1-attendee": attendees[0],
        "p2-deputy": posts["deputy_secretary"],
        "p2-member": members["2020"],
        "p3-chair": oc_posts["chair"],
    }


def test_pseudonyms_are_stable_and_distinct(seeded: Gql) -> None:
    first = person_ids(seeded.data(IDS, key=seeded.keys["researcher"]))
    second = person_ids(seeded.data(IDS, key=seeded.keys["researcher"]))
    assert first == second  # stable across requests
    assert all(pseudonymous(v) for v in first.values()), first
    # the same person has the same pseudonym whatever the path to them
    p1 = {v for k, v in first.items() if k.startswith("p1")}
    p2 = {v for k, v in first.items() if k.startswith("p2")}
    assert len(p1) == 1 and len(p2) == 1
    assert len(p1 | p2 | {first["p3-chair"]}) == 3  # different people, different pseudonyms
    real = person_ids(seeded.data(IDS))
    assert real["p1-secretary"] == "Person:person-test-1"
    assert set(first.values()).isdisjoint(real.values())


def test_a_researcher_can_follow_links_from_a_pseudonym(seeded: Gql, seed: Seed) -> None:
    q = """{ partyBranches { edges { node { postHolders { edges { role node {
      id ... on Person { holdsPost { totalCount edges { role linkId node { id } } }
                         memberOf { edges { since node { id } } } }
    } } } } } } }"""
    as_researcher = seeded.data(q, key=seeded.keys["researcher"])
    as_department = seeded.data(q)

    def structure(data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for e in data["partyBranches"]["edges"][0]["node"]["postHolders"]["edges"]:
            person = e["node"]
            out[e["role"]] = (
                sorted((p["role"], p["node"]["id"]) for p in person["holdsPost"]["edges"]),
                sorted((m["since"][:4], m["node"]["id"]) for m in person["memberOf"]["edges"]),
            )
        return out

    # the same structure for both roles: the pseudonym leads to the same links
    assert structure(as_researcher) == structure(as_department)
    secretary = next(
        e["node"]
        for e in as_researcher["partyBranches"]["edges"][0]["node"]["postHolders"]["edges"]
        if e["role"] == "secretary"
    )
    assert secretary["holdsPost"]["totalCount"] == 2
    pseudonym = secretary["id"].split(":", 1)[1]
    assert all(p["linkId"].startswith(pseudonym + "|") for p in secretary["holdsPost"]["edges"])


def test_a_pseudonym_does_not_open_a_node_lookup(seeded: Gql) -> None:
    ids = person_ids(seeded.data(IDS, key=seeded.keys["researcher"]))
    q = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    asked = [ids["p1-secretary"], "Person:person-test-1", "person-test-2"]
    assert seeded.data(q, {"ids": asked}, key=seeded.keys["researcher"]) == {
        "nodes": [None, None, None]
    }


# --- no query shape leaks a person to a researcher -----------------------------------------------
LEAK_PROBES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "branch": (BRANCH, None),
    "ids": (IDS, None),
    "edges-and-cursors": (
        """{ partyBranches { edges { cursor node {
          postHolders(first: 1) { pageInfo { endCursor hasNextPage } edges { cursor linkId
            source since until node { id ... on Person { entityId employer gender
              holdsPost { edges { cursor linkId node { id } } }
              memberOf { edges { cursor linkId status category node { id } } }
              attended { edges { linkId node { id } } } } } } }
          members { edges { cursor linkId status category node { id } } }
        } } } }""",
        None,
    ),
    "from-a-compound": (
        """{ compounds { edges { node { coveredBy { edges { node { ... on PartyBranch {
          postHolders { edges { node { id ... on Person { name phone address birthYear } } } }
        } } } } representedBy { edges { node { ... on OwnersCommittee {
          postHolders { edges { node { id ... on Person { name phone } } } }
        } } } } } } } }""",
        None,
    ),
    "meetings": (
        """{ meetings { edges { node { ... on Meeting { date attendees { edges {
          linkId node { id ... on Person { name phone entityId } } } } } } } } }""",
        None,
    ),
    "search-all": ('{ search(text: "测试") { __typename id } }', None),
    "search-name": ('{ search(text: "测试人员1") { id } }', None),
    "search-phone": ('{ search(text: "000-0000-0001") { id } }', None),
    "search-person-kind": ('{ search(text: "测试人员", kinds: [Person]) { id } }', None),
    "node-real-id": (PERSON_NODE, None),
    "nodes-real-ids": (
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Person { name } } }",
        {"ids": ["Person:person-test-1", "person-test-2", "Person:person-test-3"]},
    ),
    "people": ("{ people { edges { cursor node { id } } } }", None),
    "people-filter": ('{ people(where: {phone: {startsWith: "000"}}) { totalCount } }', None),
    "people-id-filter": ('{ people(where: {id: {eq: "person-test-1"}}) { totalCount } }', None),
    "counts": (COUNTS, None),
    "link-counts-as-of": ('{ counts(asOf: "2021-06-01") { links { kind count } } }', None),
}


def leaked(body: dict[str, Any], request_text: str, seed: Seed) -> list[str]:
    """Real person ids and personal values in an answer that the request did not contain."""
    strings = [v for v in seed.personal_values() if not v.isdigit() and v not in request_text]
    years = set(seed.birth_years)
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            found.extend(f"{s!r} in {value!r}" for s in strings if s in value)
        elif isinstance(value, int) and not isinstance(value, bool) and value in years:
            found.append(f"birth year {value}")

    walk(body)
    return found


@pytest.mark.parametrize("role", ["public", "researcher"])
@pytest.mark.parametrize("probe", list(LEAK_PROBES))
def test_no_query_shape_leaks_a_person(seeded: Gql, seed: Seed, probe: str, role: str) -> None:
    q, variables = LEAK_PROBES[probe]
    body = seeded.as_role(role, q, variables)
    request_text = q + json.dumps(variables or {}, ensure_ascii=False)
    assert not leaked(body, request_text, seed), body
    # and the department does see them, so the probe is not vacuous where it reaches people
    if probe in {"branch", "edges-and-cursors", "from-a-compound", "meetings", "nodes-real-ids"}:
        assert leaked(seeded.data(q, variables), request_text, seed)


def test_researcher_link_pages_continue_on_pseudonymous_cursors(seeded: Gql) -> None:
    q = """query ($after: String) { partyBranches { edges { node {
      postHolders(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        edges { role node { id } } } } } } }"""
    key = seeded.keys["researcher"]
    seen: list[str] = []
    after: str | None = None
    for _ in range(5):
        conn = seeded.data(q, {"after": after}, key=key)["partyBranches"]["edges"][0]["node"]
        page = conn["postHolders"]
        seen += [e["role"] for e in page["edges"]]
        assert page["totalCount"] == 2
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after is not None and "person-test" not in after
    assert sorted(seen) == ["deputy_secretary", "secretary"]
