"""The analytics fields of the GraphQL API, on both stores.

* The same answers as ``govgraph gaps`` / ``govgraph ties`` (their pure functions in
  ``api/cli_analytics.py``) on the Huairen demo: findings, roll-ups, ranking and ties, page by page.
* Roles: the public sees aggregates only; a researcher sees people as the same pseudonyms the node
  fields give, never a real id or a name, and may pass those pseudonyms back; the department sees
  everything, people's names included.
* The projection is built once and rebuilt after a write (through GraphQL, on both stores; on Neo4j
  also after a write by another process, once the time to live runs out).
* ``scope`` and ``asOf`` change the answers as written out by hand on a small city
  (``tests/graph/builders.py``).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import pytest

from govgraph.api.settings import Settings
from govgraph.cli.analytics import gap_rows, severity_counts, summary_rows, tie_rows
from govgraph.graph.analytics import RuleSettings, Severity, project, rule_set, run_rules
from govgraph.graph.analytics.discreet import DISCREET, WITHHELD
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link
from govgraph.graph.privacy import Role, RoleView
from govgraph.schema.analytics import SeverityLevel, analytics_cache

if TYPE_CHECKING:
    from conftest import Gql, MakeGql, Seed

from conftest import DEPARTMENT_KEY, RESEARCHER_KEY, Gql, seed_graph


def _builders() -> Any:
    """tests/graph/builders.py (its folder is on sys.path only when tests/graph runs too)."""
    if "builders" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "builders", Path(__file__).parents[1] / "graph" / "builders.py"
        )
        assert spec is not None and spec.loader is not None
        sys.modules["builders"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["builders"])
    return sys.modules["builders"]


b = _builders()

AS_OF = dt.date(2021, 5, 31)
DAY = AS_OF.isoformat()
#: people in the demo data set (to tell whether a store still holds it)
SECRET = Settings().pseudonym_secret.get_secret_value().encode()
PSEUDONYM = re.compile(r"anon-[0-9a-f]{16}")

# --- selections ----------------------------------------------------------------------------------
FINDING = """id rule check severity subject subjectKind subjectName compound community township
  city explanationZh explanationEn source details"""
RATIO = "{ count total rate }"
COVERAGE_ROW = f"""level place name parent compounds branch {RATIO} ownersCommittee {RATIO}
  propertyService {RATIO} serviceStation {RATIO} partyGroups {RATIO} crossAppointment {RATIO}
  partyShare {RATIO} appealsReplied {RATIO} findings {{ severity count }}"""
COMMUNITY_GAPS = """rank community name township compounds compoundsWithGaps gaps findings
  reasons { rule check severity titleZh titleEn count subjects }"""
TIES = {
    "cross": (
        "crossAppointments",
        """compound name branches committees seats crossAppointed rate secretaries chairs
        secretaryChairs""",
    ),
    "people": (
        "multiPostHolders",
        "person personName bodies posts { body bodyKind bodyName role link since until }",
    ),
    "conflicts": (
        "conflictsOfInterest",
        """person personName committee committeeName compound compoundName company companyName
        seatRole jobRole""",
    ),
    "interlocks": ("interlocks", "a aKind aName b bKind bName shared people"),
    "brokers": ("brokers", "node kind name degree betweenness constraint"),
}
TIE_COMMUNITY = "index size organizations people"
GRAPH_NODE = "id kind name distance"
GRAPH_LINK = "id kind source target role since until"


# --- helpers -------------------------------------------------------------------------------------
def query(field: str, args: str, selection: str) -> str:
    return f"{{ {field}({args}) {{ {selection} }} }}"


def snake(value: Any) -> Any:
    """A GraphQL answer as the CLI's plain rows: snake_case keys, enum values in lower case,
    ``[{severity, count}]`` as ``{severity: count}``."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower()
            if key in ("severity", "level") and isinstance(v, str):
                out[key] = v.lower()
            elif key == "findings" and isinstance(v, list) and v and "count" in v[0]:
                out[key] = {x["severity"].lower(): x["count"] for x in v}
            else:
                out[key] = snake(v)
        return out
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def every(
    gql: Gql,
    field: str,
    args: str,
    selection: str,
    *,
    key: str | None = DEPARTMENT_KEY,
    items: str = "items",
    first: int = 40,
) -> list[dict[str, Any]]:
    """Every row of a paged analysis, following pageInfo.endCursor."""
    rows: list[dict[str, Any]] = []
    after: str | None = None
    q = f"""query ($after: String) {{ {field}({args} first: {first}, after: $after) {{
      totalCount pageInfo {{ hasNextPage endCursor }} {items} {{ {selection} }} }} }}"""
    while True:
        page = gql.data(q, {"after": after}, key=key)[field]
        rows += page[items]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(rows) == page["totalCount"]
    return rows


def person_names(history: nx.MultiDiGraph) -> dict[str, str]:
    return {n: d.get("name") for n, d in history.nodes(data=True) if d["kind"] == "Person"}


def drop_names(rows: list[dict[str, Any]], key: str, field: str, names: dict[str, str]) -> None:
    """Check each row's name ``field``: the department sees the name of the person in ``key``;
    then make the row as the CLI has it (no ``person_name``; a person's ``name`` or
    ``subject_name`` null: the engine never returns people's names)."""
    for r in rows:
        if r[key] in names:
            assert r[field] and r[field] == names[r[key]], r
            r[field] = None
        if field == "person_name":
            assert r.pop(field) is None, r


def forbidden(body: dict[str, Any], role: str) -> bool:
    errors = body.get("errors") or []
    return bool(errors) and all(f"the {role} role may" in e["message"] for e in errors)


@pytest.fixture(scope="module")
def projections() -> dict[tuple[str, int, int], nx.MultiDiGraph]:
    return {}


@pytest.fixture
def history(demo: Gql, projections: dict[tuple[int, int], nx.MultiDiGraph]) -> nx.MultiDiGraph:
    """The projection the CLI reads, built by the CLI's function from the app's store (once
    per store and version: both stores count the writes made through them)."""
    key = (demo.store_kind, id(demo.store), demo.store.version)  # type: ignore[attr-defined]
    if key not in projections:
        projections[key] = demo.call(project, demo.store)
    return projections[key]


# --- (a) the same answers as govgraph gaps and govgraph ties -------------------------------------
def test_coverage_gaps_are_govgraph_gaps(demo: Gql, history: nx.MultiDiGraph) -> None:
    names = person_names(history)
    rows = snake(every(demo, "coverageGaps", f'asOf: "{DAY}",', FINDING, items="findings"))
    drop_names(rows, "subject", "subject_name", names)
    expected = gap_rows(history, AS_OF)
    assert len(expected) > 500  # the demo holds findings of every rule family
    assert rows == expected
    assert any(r["subject_kind"] == "Person" for r in rows)

    counts = demo.data(
        f'{{ coverageGaps(asOf: "{DAY}") {{ totalCount bySeverity {{ severity count }} }} }}'
    )
    assert counts["coverageGaps"]["totalCount"] == len(expected)
    assert snake(counts["coverageGaps"]["bySeverity"]) == [
        {"severity": s, "count": n} for s, n in severity_counts(expected).items()
    ]


@pytest.mark.parametrize(
    ("args", "settings", "severities"),
    [
        (
            'scope: "town-1", ruleSet: NATIONAL, severities: [GAP, WARNING]',
            rule_set("national"),
            ["gap", "warning"],
        ),
        (
            'scope: "Community:comm-03", rules: ["P1", "O5", "G2"]',
            RuleSettings(enabled=frozenset({"P1", "O5", "G2"})),
            None,
        ),
        ("minSeverity: GAP, ruleSet: LOCAL", rule_set("local"), ["error", "conflict", "gap"]),
    ],
    ids=["township-national-severities", "community-rules", "min-severity-local"],
)
def test_filtered_coverage_gaps_are_govgraph_gaps(
    demo: Gql,
    history: nx.MultiDiGraph,
    args: str,
    settings: RuleSettings,
    severities: list[str] | None,
) -> None:
    rows = snake(every(demo, "coverageGaps", f'asOf: "{DAY}", {args},', FINDING, items="findings"))
    drop_names(rows, "subject", "subject_name", person_names(history))
    scope = re.search(r'scope: "(?:\w+:)?([\w-]+)"', args)
    expected = gap_rows(
        history, AS_OF, scope[1] if scope else None, settings, severities=severities
    )
    assert expected, "a filter that leaves nothing proves nothing"
    assert rows == expected


def test_coverage_summary_and_ranking_are_govgraph_gaps_summary(
    demo: Gql, history: nx.MultiDiGraph
) -> None:
    expected = summary_rows(history, AS_OF)
    coverage = snake(every(demo, "coverageSummary", f'asOf: "{DAY}",', COVERAGE_ROW))
    assert coverage == expected["coverage"]
    assert {r["level"] for r in coverage} == {"city", "township", "community", "compound"}
    ranking = snake(every(demo, "uncoveredCommunities", f'asOf: "{DAY}",', COMMUNITY_GAPS, first=5))
    assert ranking == expected["uncovered"]
    assert [c["rank"] for c in ranking] == list(range(1, len(ranking) + 1))
    gaps = [c["gaps"] for c in ranking]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0

    # one level, one scope: the same rows as the CLI's, filtered the same way
    towns = snake(every(demo, "coverageSummary", f'asOf: "{DAY}", level: TOWNSHIP,', COVERAGE_ROW))
    assert towns == [r for r in expected["coverage"] if r["level"] == "township"]
    scoped = summary_rows(history, AS_OF, "town-1")
    assert (
        snake(every(demo, "coverageSummary", f'asOf: "{DAY}", scope: "town-1",', COVERAGE_ROW))
        == scoped["coverage"]
    )
    assert (
        snake(
            every(demo, "uncoveredCommunities", f'asOf: "{DAY}", scope: "town-1",', COMMUNITY_GAPS)
        )
        == scoped["uncovered"]
    )


@pytest.mark.parametrize("what", list(TIES))
def test_ties_are_govgraph_ties(demo: Gql, history: nx.MultiDiGraph, what: str) -> None:
    field, selection = TIES[what]
    scope = "town-1" if what == "brokers" else None  # betweenness over the whole city is slow
    args = f'asOf: "{DAY}",' + (f' scope: "{scope}",' if scope else "")
    rows = snake(every(demo, field, args, selection, first=100))
    names = person_names(history)
    if what in ("people", "conflicts"):
        drop_names(rows, "person", "person_name", names)
    if what == "brokers":
        drop_names(rows, "node", "name", names)
    expected = tie_rows(history, AS_OF, scope, what)
    assert expected
    assert rows == expected


def test_tie_communities_and_a_researchers_view_of_the_demo(
    demo: Gql, history: nx.MultiDiGraph
) -> None:
    """A researcher's findings are ``govgraph gaps --role researcher``'s, on the whole demo: a
    discreet run (no P8 or O4; P1 and P4 counting every member) on the day its year is read as
    (the demo's last day, for any day of 2021), every person id replaced by the pseudonym the
    node fields give (in ids, subjects, details and explanations), no name. Every check a
    discreet run leaves as it is reads as the department's on that day, pseudonyms aside."""
    pseudonym = RoleView(demo.store, Role.RESEARCHER, SECRET).pseudonym
    people = {p: pseudonym(p) for p in person_names(history)}
    department = every(
        demo, "coverageGaps", f'asOf: "{DAY}",', FINDING, items="findings", first=100
    )
    researcher = every(
        demo,
        "coverageGaps",
        f'asOf: "{DAY}",',
        FINDING,
        items="findings",
        first=100,
        key=RESEARCHER_KEY,
    )
    assert snake(researcher) == gap_rows(history, AS_OF, role=Role.RESEARCHER, secret=SECRET)
    person_id = re.compile(r"person-\d{4}")

    def anonymized(value: Any) -> Any:
        if isinstance(value, str):
            return person_id.sub(lambda m: people[m[0]], value)
        if isinstance(value, list):
            return [anonymized(v) for v in value]
        if isinstance(value, dict):
            return {k: anonymized(v) for k, v in value.items()}
        return value

    def as_declared(row: dict[str, Any]) -> bool:
        return (row["rule"], row["check"]) not in DISCREET and row["rule"] not in WITHHELD

    expected = [anonymized(row) for row in department if as_declared(row)]
    for row in expected:
        if row["subjectKind"] == "Person":
            row["subjectName"] = None
    assert [row for row in researcher if as_declared(row)] == expected
    assert {r["rule"] for r in department} >= {"P1", "P4", "P6", "P8", "O4"}
    assert not [r for r in researcher if r["rule"] in WITHHELD]
    text = json.dumps(researcher, ensure_ascii=False)
    assert not person_id.search(text) and "示例居民" not in text and "示例工作人员" not in text
    assert PSEUDONYM.search(text)

    communities = demo.data(
        query(
            "tieCommunities",
            f'asOf: "{DAY}", scope: "comm-02", first: 100',
            f"totalCount items {{ {TIE_COMMUNITY} }}",
        ),
        key=RESEARCHER_KEY,
    )["tieCommunities"]
    assert communities["totalCount"] == len(communities["items"]) > 0
    members = [p for c in communities["items"] for p in c["people"]]
    assert members and all(PSEUDONYM.fullmatch(p) for p in members)
    assert len(members) == len(set(members))  # a partition


def test_a_renamed_finding_reads_as_the_engine_wrote_it(history: nx.MultiDiGraph) -> None:
    """Renaming a finding's ids (a researcher's pseudonyms) changes nothing else: with the
    identity it is the engine's own, texts included."""
    for f in run_rules(history, as_of=AS_OF):
        same = f.renamed(lambda i: i)
        assert (same.explanation_zh, same.explanation_en) == (f.explanation_zh, f.explanation_en)
        assert same.to_dict() == f.to_dict()
    assert [s.value for s in SeverityLevel] == [s.value for s in Severity]


# --- (b) roles -----------------------------------------------------------------------------------
def seed_with_person_findings(gql: Gql, seed: Seed) -> None:
    """The conftest seed graph plus a job that makes person 3 (the committee's chair) an
    employee of the company managing 云北苑 (a conflict of interest); persons 1 and 3 own
    nothing, so their committee seats are findings about people (O4) too."""
    nodes, links = seed_graph()
    p3 = seed.persons[2]
    gql.seed(nodes, [*links, link("EMPLOYED_BY", p3, seed.company, role="客服专员")])


SEED_DAY = "2024-06-01"
AT = f'asOf: "{SEED_DAY}"'
GRAPH = f"nodes {{ {GRAPH_NODE} }} links {{ {GRAPH_LINK} }}"
PUBLIC_OK = {
    "coverageSummary": query("coverageSummary", AT, f"totalCount items {{ {COVERAGE_ROW} }}"),
    "uncoveredCommunities": query("uncoveredCommunities", AT, f"items {{ {COMMUNITY_GAPS} }}"),
    "coverageGaps-counts": query("coverageGaps", AT, "totalCount bySeverity { severity count }"),
}
PEOPLE_LEVEL = {
    "coverageGaps-findings": query("coverageGaps", AT, f"totalCount findings {{ {FINDING} }}"),
    "coverageGaps-pageInfo": query("coverageGaps", AT, "pageInfo { endCursor }"),
    **{
        field: query(field, AT, f"totalCount items {{ {selection} }}")
        for field, selection in TIES.values()
    },
    "tieCommunities": query("tieCommunities", AT, f"items {{ {TIE_COMMUNITY} }}"),
    "egoNetwork": query(
        "egoNetwork", f'id: "oc-yby", depth: 2, {AT}', f"center totalCount {GRAPH}"
    ),
    "path": query("path", f'from: "branch-yby", to: "pc-test", {AT}', GRAPH),
}


def test_the_public_sees_aggregates_only(seeded_people: Gql, seed: Seed) -> None:
    gql = seeded_people
    for name, q in PEOPLE_LEVEL.items():
        body = gql.query(q, key=None)
        assert forbidden(body, "public"), (name, body)
        assert "aggregates only" in body["errors"][0]["message"]
        assert body["data"] is None or all(v is None for v in body["data"].values()), body
    for name, q in PUBLIC_OK.items():
        public = gql.data(q, key=None)
        # the researcher's discreet run, counted; below the community, no Party share
        researcher = gql.data(q, key=RESEARCHER_KEY)
        if name == "coverageSummary":
            for row in researcher["coverageSummary"]["items"]:
                if row["level"] == "COMPOUND":
                    row["partyShare"] = None
        assert public == researcher or name == "uncoveredCommunities", name
        text = json.dumps(public, ensure_ascii=False)
        assert not any(v in text for v in seed.personal_values()), (name, text)
        assert not PSEUDONYM.search(text), (name, text)
    # the ranking counts people's findings but names none of them to the public; O4 (who owns
    # nothing in the compound) is not counted at all: it tells of OWNS links
    q = PUBLIC_OK["uncoveredCommunities"]
    (public,) = gql.data(q, key=None)["uncoveredCommunities"]["items"]
    (researcher,) = gql.data(q, key=RESEARCHER_KEY)["uncoveredCommunities"]["items"]
    (department,) = gql.data(q)["uncoveredCommunities"]["items"]
    o4_department = next(r for r in department["reasons"] if r["rule"] == "O4")
    assert o4_department["count"] == 2
    assert o4_department["subjects"] == sorted([seed.persons[0], seed.persons[2]])
    assert not [r for r in public["reasons"] if r["rule"] == "O4"]
    # the researcher is told of people (O5's) ...
    assert any(PSEUDONYM.fullmatch(x) for r in researcher["reasons"] for x in r["subjects"])
    assert len(public["reasons"]) == len(researcher["reasons"])
    for reason, told in zip(public["reasons"], researcher["reasons"], strict=True):
        assert (reason["rule"], reason["check"], reason["count"]) == (
            told["rule"],
            told["check"],
            told["count"],
        )  # ... whom the public is not told of, but counts
        assert reason["subjects"] == [s for s in told["subjects"] if not PSEUDONYM.fullmatch(s)]
    assert {k: v for k, v in public.items() if k != "reasons"} == {
        k: v for k, v in researcher.items() if k != "reasons"
    }


@pytest.fixture
def seeded_people(gql: Gql, seed: Seed) -> Gql:
    seed_with_person_findings(gql, seed)
    return gql


def pseudonyms_from_node_fields(gql: Gql) -> dict[str, str]:
    """Persons 1 (secretary) and 3 (the committee's chair), as a researcher's node fields give
    them (Person:anon-…), without the Person: prefix."""
    q = """{ partyBranches { edges { node { postHolders { edges { role node { id } } } } } }
      ownersCommittees { edges { node { postHolders { edges { role node { id } } } } } } }"""
    d = gql.data(q, key=RESEARCHER_KEY)
    branch = d["partyBranches"]["edges"][0]["node"]["postHolders"]["edges"]
    committee = d["ownersCommittees"]["edges"][0]["node"]["postHolders"]["edges"]
    p1 = next(e["node"]["id"] for e in branch if e["role"] == "secretary")
    p3 = next(e["node"]["id"] for e in committee if e["role"] == "chair")
    return {"p1": p1.split(":", 1)[1], "p3": p3.split(":", 1)[1]}


def test_a_researcher_sees_the_node_fields_pseudonyms_and_no_person_data(
    seeded_people: Gql, seed: Seed
) -> None:
    gql = seeded_people
    anon = pseudonyms_from_node_fields(gql)
    assert all(PSEUDONYM.fullmatch(v) for v in anon.values())
    answers = {}
    for name, q in {**PUBLIC_OK, **PEOPLE_LEVEL}.items():
        answers[name] = gql.data(q, key=RESEARCHER_KEY)
        text = json.dumps(answers[name], ensure_ascii=False)
        leaked = [v for v in seed.personal_values() if v in text]
        assert not leaked, (name, leaked)

    holders = answers["multiPostHolders"]["multiPostHolders"]["items"]
    assert {h["person"] for h in holders} == {anon["p1"], anon["p3"]}
    assert all(h["personName"] is None for h in holders)
    (conflict,) = answers["conflictsOfInterest"]["conflictsOfInterest"]["items"]
    assert (conflict["person"], conflict["personName"], conflict["company"]) == (
        anon["p3"],
        None,
        seed.company,
    )
    (ties,) = answers["crossAppointments"]["crossAppointments"]["items"]
    assert ties["crossAppointed"] == [anon["p1"]] and ties["secretaries"] == [anon["p1"]]
    findings = answers["coverageGaps-findings"]["coverageGaps"]["findings"]
    assert not [f for f in findings if f["rule"] == "O4"]  # it tells of OWNS links
    o5 = [f for f in findings if f["rule"] == "O5"]
    assert [f["subject"] for f in o5] == [anon["p3"]]
    assert all(f["subjectName"] is None and f["subject"] in f["explanationEn"] for f in o5)
    assert all(f["id"].startswith("O5:") and anon["p3"] in f["id"] for f in o5)
    ego = answers["egoNetwork"]["egoNetwork"]
    people = {n["id"] for n in ego["nodes"] if n["kind"] == "Person"}
    assert {anon["p1"], anon["p3"]} <= people
    assert all(n["name"] is None for n in ego["nodes"] if n["kind"] == "Person")
    # a link id is the linkId the node fields give: the pseudonym, the kind, the other end
    assert f"{anon['p3']}|HOLDS_POST|{seed.committee}" in {lk["id"] for lk in ego["links"]}


def test_a_researcher_passes_pseudonyms_back_and_real_ids_are_not_found(
    seeded_people: Gql, seed: Seed
) -> None:
    gql = seeded_people
    anon = pseudonyms_from_node_fields(gql)
    ego = gql.data(
        f'{{ egoNetwork(id: "Person:{anon["p1"]}", asOf: "{SEED_DAY}", linkKinds: [HOLDS_POST]) '
        f"{{ center nodes {{ id }} }} }}",
        key=RESEARCHER_KEY,
    )["egoNetwork"]
    assert ego["center"] == anon["p1"]
    assert sorted(n["id"] for n in ego["nodes"]) == sorted(
        [anon["p1"], seed.branch, seed.committee]
    )
    path = gql.data(
        f'{{ path(from: "{anon["p1"]}", to: "Person:{anon["p3"]}", asOf: "{SEED_DAY}") '
        "{ nodes { id } links { id } } }",
        key=RESEARCHER_KEY,
    )["path"]
    assert [n["id"] for n in path["nodes"]] == [anon["p1"], seed.committee, anon["p3"]]
    for q in (
        f'{{ egoNetwork(id: "{seed.persons[0]}") {{ center }} }}',
        f'{{ egoNetwork(id: "Person:{seed.persons[0]}") {{ center }} }}',
        f'{{ path(from: "{seed.persons[0]}", to: "{seed.committee}") {{ nodes {{ id }} }} }}',
        f'{{ multiPostHolders(scope: "{seed.persons[0]}") {{ totalCount }} }}',
    ):
        body = gql.query(q, key=RESEARCHER_KEY)
        (error,) = body["errors"]
        assert (
            error["message"] == f"node not found: {seed.persons[0]}"
            or "Person:" in error["message"]
        ), body
        assert anon["p1"] not in json.dumps(body)  # no answer ties the real id to its pseudonym
    # the department addresses people by their real ids, and sees their names
    dept = gql.data(
        query(
            "egoNetwork",
            f'id: "Person:{seed.persons[0]}", linkKinds: [HOLDS_POST]',
            "center nodes { id name }",
        )
    )["egoNetwork"]
    assert dept["center"] == seed.persons[0]
    assert {"id": seed.persons[0], "name": seed.names[0]} in dept["nodes"]


def test_the_department_sees_names(seeded_people: Gql, seed: Seed) -> None:
    gql = seeded_people
    d = gql.data(PEOPLE_LEVEL["conflictsOfInterest"])
    (conflict,) = d["conflictsOfInterest"]["items"]
    assert (conflict["person"], conflict["personName"]) == (seed.persons[2], seed.names[2])
    holders = gql.data(PEOPLE_LEVEL["multiPostHolders"])["multiPostHolders"]["items"]
    assert {(h["person"], h["personName"]) for h in holders} == {
        (seed.persons[0], seed.names[0]),
        (seed.persons[2], seed.names[2]),
    }
    findings = gql.data(PEOPLE_LEVEL["coverageGaps-findings"])["coverageGaps"]["findings"]
    o4 = {f["subject"]: f["subjectName"] for f in findings if f["rule"] == "O4"}
    assert o4 == {seed.persons[0]: seed.names[0], seed.persons[2]: seed.names[2]}


def test_bad_analytics_input_is_a_clear_error(seeded_people: Gql) -> None:
    gql = seeded_people
    cases = {
        '{ coverageGaps(rules: ["P1", "X9"]) { totalCount } }': "X9",
        '{ coverageSummary(scope: "branch-yby") { totalCount } }': "City, Township, Community",
        '{ coverageSummary(scope: "nowhere") { totalCount } }': "scope not found: nowhere",
        '{ egoNetwork(id: "oc-yby", depth: 4) { center } }': "1 to 3",
        "{ crossAppointments(first: 1000) { totalCount } }": "1 to 100",
        '{ interlocks(after: "bm90LWEtcm93") { totalCount } }': "start again without after",
    }
    for q, expected in cases.items():
        body = gql.query(q)
        assert body.get("errors"), (q, body)
        assert expected in body["errors"][0]["message"], (q, body["errors"])


def test_an_analysis_declares_its_cost(make_gql: MakeGql) -> None:
    gql = make_gql(max_cost=5_000)
    body = gql.query("{ brokers { totalCount } }")
    assert "cost" in body["errors"][0]["message"], body
    assert gql.app.state.analytics.stats.builds == 0  # refused before anything was computed
    assert gql.data("{ crossAppointments { totalCount } }") == {
        "crossAppointments": {"totalCount": 0}
    }


# --- (c) the cache -------------------------------------------------------------------------------
def refreshes(cache: Any) -> int:
    """How often the cache brought its projection up to date: read it from the store, or
    applied this process's own writes to it (``patches``, where the cache does that)."""
    return int(cache.stats.builds) + int(getattr(cache.stats, "patches", 0))


def test_the_projection_is_built_once_and_refreshed_after_a_mutation(
    seeded_people: Gql, seed: Seed
) -> None:
    gql = seeded_people
    cache = gql.app.state.analytics
    summary = query(
        "coverageSummary", f"{AT}, level: COMMUNITY", "items { compounds branch { count total } }"
    )
    before = gql.data(summary)["coverageSummary"]["items"]
    assert before == [{"compounds": 4, "branch": {"count": 1, "total": 4}}]
    gql.data(PEOPLE_LEVEL["crossAppointments"], key=RESEARCHER_KEY)
    gql.data(summary, key=None)
    assert cache.stats.builds == refreshes(cache) == 1

    # a new compound under the community, covered by the branch: two mutations, one refresh
    created = gql.data(
        """mutation { createNode(input: {kind: Compound, id: "cmp-new",
                                         props: {name: "示例新建小区"}}) { __typename } }"""
    )
    assert created["createNode"]["__typename"] == "NodePayload"
    linked = gql.data(
        f"""mutation {{ link(links: [
          {{kind: PART_OF, source: "cmp-new", target: "{seed.community}"}},
          {{kind: COVERS, source: "{seed.branch}", target: "cmp-new",
            props: {{since: "2024-01-01"}}}}
        ]) {{ __typename }} }}"""
    )
    assert linked["link"]["__typename"] == "WritePayload"
    after = gql.data(summary)["coverageSummary"]["items"]
    assert after == [{"compounds": 5, "branch": {"count": 2, "total": 5}}]
    assert refreshes(cache) == 2
    gql.data(summary)
    assert refreshes(cache) == 2

    # a person added by the department: the researcher's pseudonym for them works at once
    gql.data(
        f"""mutation {{ applyBatch(
          nodes: [{{kind: Person, id: "person-new", props: {{name: "测试新人"}}}}],
          links: [{{kind: HOLDS_POST, source: "person-new", target: "{seed.branch}",
                    props: {{role: "committee_member", since: "2024-01-01"}}}}]
        ) {{ __typename }} }}"""
    )
    q = f"""{{ node(id: "{seed.branch}") {{ ... on PartyBranch {{
      postHolders {{ edges {{ since node {{ id }} }} }} }} }} }}"""
    edges = gql.data(q, key=RESEARCHER_KEY)["node"]["postHolders"]["edges"]
    newcomer = next(e["node"]["id"] for e in edges if e["since"] == "2024-01-01")
    ego = gql.data(
        f'{{ egoNetwork(id: "{newcomer}", asOf: "{SEED_DAY}") {{ center nodes {{ id }} }} }}',
        key=RESEARCHER_KEY,
    )["egoNetwork"]
    assert ego == {
        "center": newcomer.split(":", 1)[1],
        "nodes": [{"id": newcomer.split(":", 1)[1]}, {"id": seed.branch}],
    }
    assert refreshes(cache) == 3


@pytest.mark.parametrize("store_kind", ["neo4j"])
def test_neo4j_writes_by_another_process_show_once_the_ttl_runs_out(
    make_gql: MakeGql, neo4j_uri: str, seed: Seed
) -> None:
    """A Neo4j store counts only its own writes: an app whose projection lives an hour misses
    a write by another process, and an app whose projection lives 0 seconds sees it."""
    this = make_gql()
    fresh = make_gql(analytics_ttl=0.0)
    stale = make_gql(analytics_ttl=3600.0)
    seed_with_person_findings(this, seed)
    q = f'{{ coverageSummary(asOf: "{SEED_DAY}", level: CITY) {{ items {{ compounds }} }} }}'
    for gql in (this, fresh, stale):
        assert gql.data(q)["coverageSummary"]["items"] == [{"compounds": 4}]
    this.data(
        f"""mutation {{ applyBatch(nodes: [{{kind: Compound, id: "cmp-new"}}],
          links: [{{kind: PART_OF, source: "cmp-new", target: "{seed.community}"}}]
        ) {{ __typename }} }}"""
    )
    assert this.data(q)["coverageSummary"]["items"] == [{"compounds": 5}]  # its own write
    assert fresh.data(q)["coverageSummary"]["items"] == [{"compounds": 5}]  # ttl 0
    assert stale.data(q)["coverageSummary"]["items"] == [{"compounds": 4}]  # until the hour ends


def test_the_embedded_store_is_refreshed_by_its_version_only(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.jsonl")
    cache = analytics_cache(store, ttl=60.0)
    assert cache._ttl is None  # one process owns the file: every write bumps the version
    assert Settings().analytics_ttl == 60.0


# --- (d) scope and asOf on a small city, by hand ------------------------------------------------
@pytest.fixture
def city(gql: Gql) -> Gql:
    """tests/graph/builders.py's city: 怀仁市 → 示例街道 → 气象街社区 (云北苑, 示例花园) and
    示例社区 (Test Garden, 示例新村). Branch PB1 covers 云北苑 from 2021-03-01; the joint branch
    PB2 covers 示例花园 from 2022-06-15 and Test Garden from then until 2023-12-31; 示例新村
    never has one.
    P1 is PB1's secretary (2021-03-01) and chairs the committee OC1 (2021-05-20), which
    represents 云北苑 from 2021-05-20; P3 sits on OC1 (2021-05-20) and works for PC1, which
    manages 云北苑 only."""
    gql.seed(*b.city_graph())
    return gql


def _branch_rates(gql: Gql, args: str) -> dict[str, tuple[int, int]]:
    rows = every(gql, "coverageSummary", args, "place branch { count total }")
    return {r["place"]: (r["branch"]["count"], r["branch"]["total"]) for r in rows}


def test_as_of_moves_branch_coverage(city: Gql) -> None:
    places = (b.CITY, b.TOWN, b.COMM, b.COMM2)
    expected = {
        # only PB1 (云北苑) by 2022: PB2 starts 2022-06-15
        "2022-01-01": [(1, 4), (1, 4), (1, 2), (0, 2)],
        # PB2 adds 示例花园 and Test Garden
        "2023-06-01": [(3, 4), (3, 4), (2, 2), (1, 2)],
        # Test Garden's cover ended on 2023-12-31
        "2024-06-01": [(2, 4), (2, 4), (2, 2), (0, 2)],
    }
    for day, rates in expected.items():
        got = _branch_rates(city, f'asOf: "{day}",')
        assert [got[p] for p in places] == rates, day


def test_scope_keeps_the_place_and_what_lies_under_it(city: Gql) -> None:
    got = _branch_rates(city, f'asOf: "2023-06-01", scope: "{b.COMM2}",')
    assert got == {b.COMM2: (1, 2), b.CMP3: (1, 1), b.CMP4: (0, 1)}
    # M1: what nothing manages (PC1 manages 云北苑 only)
    for scope, subjects in (
        (None, sorted([b.CMP2, b.CMP3, b.CMP4])),
        (b.COMM2, sorted([b.CMP3, b.CMP4])),
        (b.YBY, []),
    ):
        args = 'rules: ["M1"],' + (f' scope: "{scope}",' if scope else "")
        rows = every(city, "coverageGaps", args, "subject", items="findings")
        assert sorted(r["subject"] for r in rows) == subjects, scope
    ranking = every(
        city, "uncoveredCommunities", f'asOf: "2023-06-01", scope: "{b.CMP4}",', "community"
    )
    assert ranking == [{"community": b.COMM2}]  # the community holding the compound


def test_as_of_and_scope_change_the_ties(city: Gql) -> None:
    def ties(args: str) -> list[dict[str, Any]]:
        return every(
            city,
            "crossAppointments",
            args,
            "compound committees seats crossAppointed rate secretaryChairs",
        )

    # before OC1 represents 云北苑 (2021-05-20): a branch and no seats
    assert ties('asOf: "2021-04-01",') == [
        {
            "compound": b.YBY,
            "committees": [],
            "seats": 0,
            "crossAppointed": [],
            "rate": None,
            "secretaryChairs": None,
        }
    ]
    # then P1 (branch secretary) chairs it and P3 sits on it: one seat of two, the secretary chairs
    yby = {
        "compound": b.YBY,
        "committees": [b.OC1],
        "seats": 2,
        "crossAppointed": [b.P1],
        "rate": 0.5,
        "secretaryChairs": True,
    }
    assert ties('asOf: "2022-01-01",') == [yby]
    assert ties(f'asOf: "2022-01-01", scope: "{b.COMM2}",') == []
    # 2023: PB2 covers 示例花园 and Test Garden (no committee in either)
    assert [t["compound"] for t in ties('asOf: "2023-06-01",')] == [b.CMP2, b.CMP3, b.YBY]
    assert [t["compound"] for t in ties(f'asOf: "2023-06-01", scope: "{b.COMM2}",')] == [b.CMP3]

    def people(field: str, args: str, pick: str) -> list[str]:
        return [r[pick] for r in every(city, field, args, pick)]

    # P3's seat and job make a conflict of interest once the seat starts
    assert people("conflictsOfInterest", 'asOf: "2021-04-01",', "person") == []
    assert people("conflictsOfInterest", 'asOf: "2022-01-01",', "person") == [b.P3]
    assert people("conflictsOfInterest", f'asOf: "2022-01-01", scope: "{b.COMM2}",', "person") == []
    assert people("multiPostHolders", 'asOf: "2021-04-01",', "person") == []
    assert people("multiPostHolders", 'asOf: "2022-01-01",', "person") == [b.P1, b.P3]

    path = (
        '{ path(from: "%s", to: "%s", linkKinds: [HOLDS_POST, EMPLOYED_BY], asOf: "%s"%s) '
        "{ nodes { id } } }"
    )
    assert city.data(path % (b.PB1, b.PC1, "2021-04-01", ""))["path"] is None
    assert [
        n["id"] for n in city.data(path % (b.PB1, b.PC1, "2022-01-01", ""))["path"]["nodes"]
    ] == [b.PB1, b.P1, b.OC1, b.P3, b.PC1]
    assert city.data(path % (b.PB1, b.PC1, "2022-01-01", f', scope: "{b.COMM2}"'))["path"] is None

    ego = (
        '{ egoNetwork(id: "%s", linkKinds: [HOLDS_POST], asOf: "%s") '
        "{ totalCount nodes { id distance } } }"
    )
    assert city.data(ego % (b.OC1, "2021-04-01"))["egoNetwork"] == {
        "totalCount": 1,
        "nodes": [{"id": b.OC1, "distance": 0}],
    }
    assert city.data(ego % (b.OC1, "2022-01-01"))["egoNetwork"]["nodes"] == [
        {"id": b.OC1, "distance": 0},
        {"id": b.P1, "distance": 1},
        {"id": b.P3, "distance": 1},
    ]


def test_as_of_defaults_to_today(city: Gql) -> None:
    today = dt.date.today().isoformat()
    q = "{ coverageSummary(first: 20%s) { items { place branch { count total } } } }"
    assert city.data(q % "") == city.data(q % f', asOf: "{today}"')
    assert city.data(q % "") != city.data(q % ', asOf: "2022-01-01"')
