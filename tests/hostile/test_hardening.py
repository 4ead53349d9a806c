"""The small safety fixes: dates out of range, a code on every expected error, one operation
per document unless named, global ids that name the wrong kind, secrets outside demo mode, and
what the analytics tell a researcher (and the public's counts) about a person's Party
membership, over GraphQL and in the files ``govgraph gaps --role`` writes.

Everything goes through public interfaces: GraphQL over HTTP (the demo data set on the embedded
store, as ``govgraph serve --demo`` serves it), the settings object and the CLI.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
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
X = '"x" '  # one value of an in list


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
        (
            "{ ...F0 } "
            + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(13))
            + " fragment F13 on Query { dataSpan { first } }",
            "QUERY_TOO_LARGE",
        ),
        (
            "{ "
            + " ".join(
                f"{alias}: compounds(where: {{id: {{in: [{X * n}]}}}}) {{ totalCount }}"
                for alias, n in (("a", 500), ("b", 500), ("c", 1))
            )
            + " }",
            "REQUEST_TOO_LARGE",
        ),
    ],
    ids=[
        "unknown-field",
        "bad-argument",
        "parse",
        "tokens",
        "aliases",
        "depth",
        "cost",
        "expanded",
        "request-budget",
    ],
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


@pytest.mark.parametrize("rule", ["P1", "P4", "P6", "P7"])
def test_a_researcher_never_learns_membership_status_or_category(
    demo: TestClient, rule: str
) -> None:
    query = f'{{ coverageGaps(rules: ["{rule}"], first: 100) {{ totalCount {FINDINGS} }} }}'
    seen = ask(demo, query.replace("{{", "{").replace("}}", "}"), headers=RESEARCHER)
    assert "errors" not in seen, seen
    findings = seen["data"]["coverageGaps"]["findings"]
    assert findings, f"the demo has no {rule} finding to check"
    for f in findings:
        assert not membership_words([f["explanationZh"], f["explanationEn"], f["details"]]), f
        assert "full_members" not in f["details"], f  # with the links, each one's status
        assert rule != "P1" or "members" not in f["details"], f  # a count is all it needs
        assert rule != "P6" or "residents" not in f["details"], f  # homes are compounds
        assert f["explanationZh"] and "{" not in f["explanationZh"] + f["explanationEn"], f


def test_the_department_still_reads_the_whole_finding(demo: TestClient) -> None:
    query = '{ coverageGaps(rules: ["P1", "P8"], first: 100) { findings { rule details '
    query += "explanationZh } } }"
    findings = ask(demo, query)["data"]["coverageGaps"]["findings"]
    p1 = [f for f in findings if f["rule"] == "P1"]
    p8 = [f for f in findings if f["rule"] == "P8"]
    assert p1 and all("正式党员" in f["explanationZh"] and f["details"]["members"] for f in p1)
    assert p8 and all(f["explanationZh"].startswith("在职党员") for f in p8)


@pytest.mark.parametrize("headers", [RESEARCHER, {}], ids=["researcher", "public"])
@pytest.mark.parametrize("field", ["coverageGaps", "uncoveredCommunities", "coverageSummary"])
def test_p8_is_refused_by_name_to_all_but_the_department(
    demo: TestClient, headers: dict[str, str], field: str
) -> None:
    answer = ask(demo, f'{{ {field}(rules: ["P8"]) {{ totalCount }} }}', headers=headers)
    assert codes(answer) == ["FORBIDDEN"]
    assert "in-service members (a category)" in answer["errors"][0]["message"]


def test_no_answer_to_a_researcher_counts_or_names_p8(demo: TestClient) -> None:
    """Left out of every analysis a researcher reads, not only of coverageGaps: the ranking's
    reasons and the roll-ups' counts."""
    ranking = ask(
        demo,
        "{ uncoveredCommunities(first: 100) { items { reasons { rule subjects } } } }",
        headers=RESEARCHER,
    )["data"]["uncoveredCommunities"]["items"]
    reasons = [r for c in ranking for r in c["reasons"]]
    assert reasons and not [r for r in reasons if r["rule"] == "P8"]
    department = ask(demo, "{ uncoveredCommunities(first: 100) { items { reasons { rule } } } }")
    items = department["data"]["uncoveredCommunities"]["items"]
    assert [r for c in items for r in c["reasons"] if r["rule"] == "P8"]

    # on the demo's last day, which the department reads as it is and a researcher for any
    # day of 2021 (年末口径 in the data's last year)
    counts = (
        '{ coverageGaps(asOf: "2021-05-31") { bySeverity { severity count } } '
        'coverageSummary(asOf: "2021-05-31", level: CITY) '
        "{ items { findings { severity count } } } }"
    )
    warnings = {}
    for role, headers in (("researcher", RESEARCHER), ("department", DEPARTMENT)):
        data = ask(demo, counts, headers=headers)["data"]
        (city,) = data["coverageSummary"]["items"]
        assert city["findings"] == data["coverageGaps"]["bySeverity"]  # the same findings
        warnings[role] = next(c["count"] for c in city["findings"] if c["severity"] == "WARNING")
    p8 = ask(demo, '{ coverageGaps(asOf: "2021-05-31", rules: ["P8"]) { totalCount } }')
    p8 = p8["data"]["coverageGaps"]
    assert warnings["department"] - warnings["researcher"] == p8["totalCount"] > 0


def _rectification_cells(demo: TestClient, scope: str, headers: dict[str, str]) -> list[str]:
    download = ask(
        demo,
        "query($s: ID!) { rectificationList(scope: $s) { base64 rows } }",
        {"s": scope},
        headers=headers,
    )["data"]["rectificationList"]
    assert download["rows"] > 0
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["base64"]))).active
    return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


def test_a_researchers_rectification_list_leaves_p8_out(demo: TestClient) -> None:
    query = '{ coverageGaps(rules: ["P8"], first: 1) { findings { community } } }'
    (p8,) = ask(demo, query)["data"]["coverageGaps"]["findings"]
    for headers, has_p8 in ((DEPARTMENT, True), (RESEARCHER, False)):
        cells = _rectification_cells(demo, p8["community"], headers)
        assert any(c.startswith("P8:") for c in cells) is has_p8


# --- 7. the same for the files `govgraph gaps` writes ----------------------------------------
DAY = "2021-05-31"


@pytest.fixture
def gaps(demo_file: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(demo_file))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["gaps", "--as-of", DAY, *args])

    return run


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *body = list(csv.reader(fh))
    keys = [h.rsplit(" ", 1)[-1] for h in header]
    return [dict(zip(keys, row, strict=True)) for row in body]


def _all_findings(demo: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    query = """query($after: String) { coverageGaps(asOf: "2021-05-31", first: 100,
      after: $after) { pageInfo { hasNextPage endCursor } findings { id explanationZh } } }"""
    while True:
        page = ask(demo, query, {"after": after}, headers=headers)["data"]["coverageGaps"]
        rows += page["findings"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def test_gaps_for_a_researcher_writes_what_coverage_gaps_tells_one(
    demo: TestClient, gaps: Any, tmp_path: Path
) -> None:
    out = tmp_path / "researcher.csv"
    result = gaps("--role", "researcher", "--csv", str(out))
    assert result.exit_code == 0, result.output
    rows = _csv_rows(out)
    told = _all_findings(demo, RESEARCHER)
    assert [(r["id"], r["explanation_zh"]) for r in rows] == [
        (f["id"], f["explanationZh"]) for f in told
    ]
    text = out.read_text(encoding="utf-8-sig")
    assert not re.search(r"person-\d{4}", text) and "anon-" in text
    assert not [r for r in rows if r["rule"] == "P8"]
    assert not membership_words([r["explanation_zh"] + r["explanation_en"] for r in rows])


def test_gaps_for_the_public_prints_its_counts_and_writes_no_file(
    demo: TestClient, gaps: Any, tmp_path: Path
) -> None:
    refused = gaps("--role", "public", "--excel", str(tmp_path / "public.xlsx"))
    assert refused.exit_code == 2 and "counts only" in refused.output
    assert not (tmp_path / "public.xlsx").exists()
    result = gaps("--role", "public")
    assert result.exit_code == 0, result.output
    counts = ask(demo, f'{{ coverageGaps(asOf: "{DAY}") {{ totalCount }} }}', headers={})
    assert f"{counts['data']['coverageGaps']['totalCount']} finding(s)" in result.output
    assert "anon-" not in result.output and "Findings as of" not in result.output


def test_gaps_for_a_researcher_needs_an_own_secret_outside_demo_mode(
    gaps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVGRAPH_DEMO", "false")
    monkeypatch.delenv("GOVGRAPH_PSEUDONYM_SECRET", raising=False)
    result = gaps("--role", "researcher")
    assert result.exit_code == 1
    assert "refusing a researcher's findings" in result.output
    assert "GOVGRAPH_PSEUDONYM_SECRET" in result.output
