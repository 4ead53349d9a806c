"""The small safety fixes: dates out of range, a code on every expected error, one operation
per document unless named, global ids that name the wrong kind, secrets outside demo mode, and
what the analytics tell a researcher about a person's Party membership.

Everything goes through public interfaces: GraphQL over HTTP (the demo data set on the embedded
store, as ``govgraph serve --demo`` serves it), the settings object and the CLI.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govgraph.api.app import create_app
from govgraph.api.settings import Settings, UnsafeSettingsError
from govgraph.cli.main import app as cli
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.ontology import CHOICE_LABELS_ZH, MEMBER_CATEGORY, MEMBER_STATUS
from govgraph.loaders.demo import load_demo

DEPARTMENT = {"x-api-key": "demo-department"}
RESEARCHER = {"x-api-key": "demo-researcher"}
GOOD_SECRET = "a-pseudonym-secret-of-forty-eight-bytes-or-so-xyz"


@pytest.fixture(scope="module")
def demo() -> Iterator[TestClient]:
    store = EmbeddedStore()
    asyncio.run(load_demo(store))
    with TestClient(create_app(Settings(api_keys=DEMO_KEYS), store=store)) as client:
        yield client


def ask(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] = DEPARTMENT,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query, **extra}
    if variables is not None:
        body["variables"] = variables
    r = client.post("/graphql", json=body, headers=headers)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def codes(answer: dict[str, Any]) -> list[str | None]:
    errors = answer.get("errors")
    assert errors, answer
    assert all("Unexpected error" not in e["message"] for e in errors), errors
    return [(e.get("extensions") or {}).get("code") for e in errors]


# --- 1. dates out of range ------------------------------------------------------------------
ANALYSES = [
    "coverageGaps(asOf: $d) { totalCount }",
    "coverageSummary(asOf: $d) { totalCount }",
    "uncoveredCommunities(asOf: $d) { totalCount }",
    "compounds(asOf: $d) { totalCount }",
]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
@pytest.mark.parametrize("field", ANALYSES, ids=lambda f: f.split("(")[0])
def test_a_day_out_of_range_is_a_validation_error(demo: TestClient, day: str, field: str) -> None:
    as_variable = ask(demo, f"query($d: Date) {{ {field} }}", {"d": day})
    as_literal = ask(demo, "{ " + field.replace("$d", json.dumps(day)) + " }")
    for answer in (as_variable, as_literal):
        assert codes(answer) == ["VALIDATION_FAILED"]
        message = answer["errors"][0]["message"]
        assert "1900-01-01" in message and "2200-12-31" in message
        assert "日期须在" in message


def test_the_days_at_the_ends_of_the_range_are_answered(demo: TestClient) -> None:
    for day in ("1900-01-01", "2200-12-31"):
        answer = ask(demo, "query($d: Date) { coverageGaps(asOf: $d) { totalCount } }", {"d": day})
        assert "errors" not in answer, answer


def test_a_stored_date_out_of_range_is_refused(demo: TestClient) -> None:
    answer = ask(
        demo,
        'mutation { createNode(input: {kind: PartyBranch, id: "pb-far", props: '
        '{name: "示例党支部", elected_on: "9999-01-01"}}) { __typename '
        "... on ValidationFailed { problems { field expected } } } }",
    )
    refused = answer["data"]["createNode"]
    assert refused["__typename"] == "ValidationFailed", answer
    assert [p["field"] for p in refused["problems"]] == ["elected_on"]
    assert "2200-12-31" in refused["problems"][0]["expected"]


# --- 2. a code on every expected error --------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ compounds(first: "x") { totalCount } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ compounds ", "GRAPHQL_PARSE_FAILED"),
        ("{ " + "__typename " * 2100 + "}", "TOO_MANY_TOKENS"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }", "TOO_MANY_ALIASES"),
        (
            "{ compounds(first: 1) { edges { node { parts(first: 1) { edges { node {"
            " ... on Building { partOf(first: 1) { edges { node { ... on Compound {"
            " parts(first: 1) { edges { node { ... on Building { parts(first: 1) {"
            " totalCount } } } } } } } } } } } } } } } } }",
            "QUERY_TOO_DEEP",
        ),
        (
            "{ compounds(first: 100) { edges { node { parts(first: 100) { edges { node {"
            " ... on Building { parts(first: 100) { totalCount } } } } } } } } }",
            "QUERY_TOO_COSTLY",
        ),
    ],
    ids=["unknown-field", "bad-argument", "parse", "tokens", "aliases", "depth", "cost"],
)
def test_every_refusal_has_a_code(demo: TestClient, query: str, code: str) -> None:
    assert code in codes(ask(demo, query))


def test_a_variable_of_the_wrong_type_has_a_code(demo: TestClient) -> None:
    answer = ask(demo, "query($f: Int) { compounds(first: $f) { totalCount } }", {"f": "x"})
    assert codes(answer) == ["GRAPHQL_VALIDATION_FAILED"]


# --- 3. several operations need a name ------------------------------------------------------
TWO_OPERATIONS = "query A { a: __typename } query B { b: __typename }"


@pytest.mark.parametrize("path", ["/graphql", "/graphql?the=normal-way"])
def test_two_operations_without_a_name_are_refused(demo: TestClient, path: str) -> None:
    r = demo.post(path, json={"query": TWO_OPERATIONS}, headers=DEPARTMENT)
    assert r.status_code == 200
    assert r.json()["data"] is None
    assert codes(r.json()) == ["OPERATION_NAME_REQUIRED"]
    named = demo.post(path, json={"query": TWO_OPERATIONS, "operationName": "A"})
    assert named.json() == {"data": {"a": "Query"}}


def test_a_mutation_second_in_the_document_never_runs_unnamed(demo: TestClient) -> None:
    query = (
        "query A { __typename } "
        "mutation B { createNode(input: "
        '{kind: Community, id: "comm-unnamed", props: {name: "示例"}}) { __typename } }'
    )
    assert codes(ask(demo, query)) == ["OPERATION_NAME_REQUIRED"]
    assert ask(demo, '{ node(id: "comm-unnamed") { id } }') == {"data": {"node": None}}


# --- 4. a global id names a kind ------------------------------------------------------------
def test_a_global_id_of_another_kind_finds_nothing(demo: TestClient) -> None:
    answer = ask(
        demo,
        '{ wrong: node(id: "Building:cmp-yunbeiyuan") { id } '
        'right: node(id: "Compound:cmp-yunbeiyuan") { id } '
        'plain: node(id: "cmp-yunbeiyuan") { id } '
        'many: nodes(ids: ["Building:cmp-yunbeiyuan", "Compound:cmp-yunbeiyuan"]) { id } }',
    )
    compound = {"id": "Compound:cmp-yunbeiyuan"}
    assert answer == {
        "data": {"wrong": None, "right": compound, "plain": compound, "many": [None, compound]}
    }


# --- 5. secrets outside demo mode ----------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "GOVGRAPH_PSEUDONYM_SECRET is not set"),
        ({"pseudonym_secret": "short"}, "GOVGRAPH_PSEUDONYM_SECRET is shorter than 32 bytes"),
        (
            {"pseudonym_secret": GOOD_SECRET, "jwt_secret": "short"},
            "GOVGRAPH_JWT_SECRET is shorter than 32 bytes",
        ),
    ],
    ids=["default-pseudonym", "short-pseudonym", "short-jwt"],
)
def test_the_app_refuses_weak_secrets_outside_demo_mode(
    tmp_path: Path, values: dict[str, Any], problem: str
) -> None:
    settings = Settings(demo=False, data_path=tmp_path / "g.jsonl", **values)
    assert problem in " ".join(settings.production_problems())
    with pytest.raises(UnsafeSettingsError, match=problem) as refused:
        create_app(settings)
    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_own_secrets_or_demo_mode_start(tmp_path: Path) -> None:
    own = Settings(demo=False, pseudonym_secret=GOOD_SECRET, jwt_secret=GOOD_SECRET)
    assert own.production_problems() == []
    for settings in (own, Settings(demo=True)):
        app = create_app(settings.model_copy(update={"data_path": tmp_path / "g.jsonl"}))
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200


def test_serve_refuses_the_default_secret_outside_demo_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVGRAPH_DEMO", "false")
    monkeypatch.delenv("GOVGRAPH_PSEUDONYM_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code != 0
    assert "GOVGRAPH_PSEUDONYM_SECRET" in result.output
    assert "secrets.token_urlsafe(48)" in result.output


# --- 6. what the analytics tell a researcher -------------------------------------------------
#: every word for a Party membership status or category, in Chinese and English
MEMBERSHIP_WORDS = [
    *(CHOICE_LABELS_ZH[v] for v in (*MEMBER_STATUS, *MEMBER_CATEGORY)),
    *(v.replace("_", "") for v in (*MEMBER_STATUS, *MEMBER_CATEGORY)),
    *(v.replace("_", " ") for v in (*MEMBER_STATUS, *MEMBER_CATEGORY)),
    *(v.replace("_", "-") for v in (*MEMBER_STATUS, *MEMBER_CATEGORY)),
]
FINDINGS = "findings {{ rule check subject explanationZh explanationEn details }}"


def membership_words(value: Any) -> list[str]:
    text = json.dumps(value, ensure_ascii=False).lower()
    return [w for w in MEMBERSHIP_WORDS if w.lower() in text]


@pytest.mark.parametrize("rule", ["P1", "P4", "P6", "P7", "P8"])
def test_a_researcher_never_learns_membership_status_or_category(
    demo: TestClient, rule: str
) -> None:
    query = f'{{ coverageGaps(rules: ["{rule}"], first: 100) {{ totalCount {FINDINGS} }} }}'
    seen = ask(demo, query.replace("{{", "{").replace("}}", "}"), headers=RESEARCHER)
    assert "errors" not in seen, seen
    findings = seen["data"]["coverageGaps"]["findings"]
    assert findings or rule == "P4", f"the demo has no {rule} finding to check"
    for f in findings:
        assert not membership_words([f["explanationZh"], f["explanationEn"], f["details"]]), f
        assert "full_members" not in f["details"], f  # with the links, each one's status
        assert rule != "P1" or "members" not in f["details"], f  # people picked by status
        assert f["explanationZh"] and "{" not in f["explanationZh"] + f["explanationEn"], f


def test_the_department_still_reads_the_whole_finding(demo: TestClient) -> None:
    query = '{ coverageGaps(rules: ["P1", "P8"], first: 100) { findings { rule details '
    query += "explanationZh } } }"
    findings = ask(demo, query)["data"]["coverageGaps"]["findings"]
    p1 = [f for f in findings if f["rule"] == "P1"]
    p8 = [f for f in findings if f["rule"] == "P8"]
    assert p1 and all("正式党员" in f["explanationZh"] and f["details"]["members"] for f in p1)
    assert p8 and all(f["explanationZh"].startswith("在职党员") for f in p8)


def test_uncovered_communities_name_no_person_picked_by_category(demo: TestClient) -> None:
    query = '{ uncoveredCommunities(rules: ["P8"], first: 100) { items { reasons { subjects } } } }'
    seen = ask(demo, query, headers=RESEARCHER)
    assert "errors" not in seen, seen
    reasons = [r for c in seen["data"]["uncoveredCommunities"]["items"] for r in c["reasons"]]
    assert reasons
    assert all(not s.startswith("anon-") for r in reasons for s in r["subjects"]), reasons
