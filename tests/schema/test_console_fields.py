"""The console's fields on the Huairen demo, on both stores: ``dataSpan``, ``coverageTrend``,
``whatIf``, ``rectificationList``, and the responsible body and deadline of every finding.

* ``whatIf`` writes nothing (the store's export and counts are the same before and after), it
  refuses a draft with the error ``applyBatch`` gives, and saving the draft with ``applyBatch``
  leaves ``coverageGaps`` as ``whatIf`` predicted.
* ``rectificationList`` is ``coverageGaps``' findings, row for row, in an Excel workbook.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from conftest import Gql
from openpyxl import load_workbook

from govgraph.graph.analytics import RULES
from govgraph.graph.analytics.discreet import WITHHELD
from govgraph.loaders.exporters import export_json
from govgraph.loaders.rectification import HEADERS

AS_OF = dt.date(2021, 5, 31)
DAY = AS_OF.isoformat()
#: the day a researcher's (or the public's) analyses asked for DAY are made on (年末口径)
RATIO = "{ count total rate }"
RATES = ("branch", "partyGroups", "ownersCommittee", "propertyService", "serviceStation")
TREND = "date compounds " + " ".join(
    f"{r} {RATIO}" for r in (*RATES, "crossAppointment", "appealsReplied")
)
FINDING = """id rule check severity subject subjectName explanationZh source responsible
  responsibleEn deadlineDays"""
DRAFT_BRANCH = "draft-joint-branch"


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def findings(gql: Gql, args: str, key: str | None = None) -> list[dict[str, Any]]:
    """Every finding of coverageGaps with these arguments, page by page."""
    rows: list[dict[str, Any]] = []
    after: str | None = None
    q = f"""query ($after: String) {{ coverageGaps({args} first: 100, after: $after) {{
      totalCount findings {{ {FINDING} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
    while True:
        page = gql.data(q, {"after": after}, key=key or gql.keys["department"])["coverageGaps"]
        rows += page["findings"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def listing(gql: Gql, path: Path) -> tuple[Any, list[str]]:
    """The store's counts and every node and link it holds, as exported (order aside)."""
    gql.call(export_json, gql.store, path)
    lines = sorted(line.rstrip(",") for line in path.read_text().splitlines())
    return gql.call(gql.store.counts), lines


def p1_compound(gql: Gql) -> str:
    """A compound of the demo with a P1 finding (应建未建) on the day."""
    rows = findings(gql, f'asOf: "{DAY}", rules: ["P1"],')
    assert rows
    subject: str = rows[0]["subject"]
    return subject


def joint_branch_draft(compound: str) -> dict[str, Any]:
    """applyBatch's arguments for a joint branch (联合党支部) covering ``compound``."""
    return {
        "nodes": [
            {
                "kind": "PartyBranch",
                "id": DRAFT_BRANCH,
                "props": {"name": "示例草稿联合党支部", "form": "joint"},
            }
        ],
        "links": [
            {"kind": "COVERS", "source": DRAFT_BRANCH, "target": compound, "since": "2021-05-01"}
        ],
    }


WHAT_IF = f"""query ($changes: DraftInput!, $asOf: Date) {{
  whatIf(changes: $changes, asOf: $asOf) {{
    before after closed {{ {FINDING} }} opened {{ {FINDING} }} }} }}"""
APPLY = """mutation ($nodes: [NodeInput!], $links: [LinkInput!], $deleteNodeIds: [ID!]) {
  applyBatch(nodes: $nodes, links: $links, deleteNodeIds: $deleteNodeIds) {
    __typename
    ... on WritePayload { nodesWritten linksWritten nodesDeleted }
    ... on ValidationFailed { message problems { subject field value expected } }
  } }"""


# --- dataSpan ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["public", "researcher", "department"])
def test_data_span_is_the_demos_dates_for_every_role(demo: Gql, role: str) -> None:
    span = demo.as_role(role, "{ dataSpan { first last } }")["data"]["dataSpan"]
    assert span["last"] == "2021-05-31"
    assert span["first"] is not None and span["first"] < span["last"]


# --- vocabulary ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["public", "researcher", "department"])
def test_the_vocabulary_offers_the_rules_the_role_may_ask_for(demo: Gql, role: str) -> None:
    rules = demo.as_role(role, "{ vocabulary { rules { id } } }")["data"]["vocabulary"]["rules"]
    ids = {r["id"] for r in rules}
    withheld = set(WITHHELD)  # a discreet run leaves them out (graph/analytics/discreet.py)
    assert withheld >= {"P8", "O4"}
    assert ids == set(RULES) - (set() if role == "department" else withheld)
    for rule in ids:  # and each rule offered can be asked for
        body = demo.as_role(
            role, f'{{ coverageGaps(asOf: "2021-05-31", rules: ["{rule}"]) {{ totalCount }} }}'
        )
        assert "errors" not in body, (rule, body)


# --- coverageTrend -------------------------------------------------------------------------------
def test_coverage_trend_ends_with_the_summary_of_its_last_day(demo: Gql) -> None:
    q = f"""{{ coverageTrend(months: 6, until: "{DAY}") {{ {TREND} }}
      town: coverageTrend(scope: "town-1", months: 3, until: "{DAY}") {{ {TREND} }}
      summary: coverageSummary(asOf: "{DAY}", level: CITY) {{ items {{
        compounds {" ".join(f"{r} {RATIO}" for r in RATES)} }} }}
      townSummary: coverageSummary(asOf: "{DAY}", scope: "town-1", level: TOWNSHIP) {{
        items {{ compounds {" ".join(f"{r} {RATIO}" for r in RATES)} }} }} }}"""
    data = demo.data(q)  # the department's points are months (a researcher's, years)
    city = data["coverageTrend"]
    assert [p["date"] for p in city] == [
        "2020-12-31",
        "2021-01-31",
        "2021-02-28",
        "2021-03-31",
        "2021-04-30",
        "2021-05-31",
    ]
    (summary,) = data["summary"]["items"]
    assert {k: city[-1][k] for k in summary} == summary
    (town,) = data["townSummary"]["items"]
    assert {k: data["town"][-1][k] for k in town} == town
    assert data["town"][-1]["compounds"] < city[-1]["compounds"]

    # until defaults to the data's last date
    assert demo.as_role("department", f"{{ coverageTrend(months: 6) {{ {TREND} }} }}")["data"] == {
        "coverageTrend": city
    }


def test_coverage_trend_caps_its_months(demo: Gql) -> None:
    for months in (0, 61):
        body = demo.query(f"{{ coverageTrend(months: {months}) {{ date }} }}", key=None)
        assert error_codes(body) == ["VALIDATION_FAILED"], body
        assert "1 to 60" in body["errors"][0]["message"]


# --- responsible and deadline --------------------------------------------------------------------
def test_every_finding_names_who_fixes_it_and_by_when(demo: Gql) -> None:
    rows = findings(demo, f'asOf: "{DAY}", scope: "town-1",')
    assert rows
    for r in rows:
        rule = RULES[r["rule"]]
        assert r["responsible"] == rule.responsible.zh and r["responsible"]
        assert r["responsibleEn"] == rule.responsible.en
        assert r["deadlineDays"] == rule.deadline_days(r["severity"].lower())
    p1 = [r for r in rows if r["rule"] == "P1"]
    assert p1 and all(r["responsible"] == "社区党委" and r["deadlineDays"] == 90 for r in p1)


# --- whatIf --------------------------------------------------------------------------------------
def test_what_if_a_joint_branch_closes_p1_and_writes_nothing(demo: Gql, tmp_path: Path) -> None:
    compound = p1_compound(demo)
    before = listing(demo, tmp_path / "before.json")
    version = demo.store.version  # type: ignore[attr-defined]

    body = demo.data(WHAT_IF, {"changes": joint_branch_draft(compound), "asOf": DAY})
    w = body["whatIf"]
    closed = {f["id"] for f in w["closed"]}
    assert f"P1:no_branch:{compound}" in closed
    assert w["before"] - w["after"] == len(w["closed"]) - len(w["opened"])
    assert w["before"] == len(findings(demo, f'asOf: "{DAY}",'))

    assert demo.store.version == version  # type: ignore[attr-defined]
    assert listing(demo, tmp_path / "after.json") == before


def test_saving_the_draft_gives_what_what_if_predicted(demo: Gql) -> None:
    compound = p1_compound(demo)
    draft = joint_branch_draft(compound)
    now = {f["id"] for f in findings(demo, f'asOf: "{DAY}",')}
    w = demo.data(WHAT_IF, {"changes": draft, "asOf": DAY})["whatIf"]
    try:
        saved = demo.data(APPLY, draft)["applyBatch"]
        assert saved == {
            "__typename": "WritePayload",
            "nodesWritten": 1,
            "linksWritten": 1,
            "nodesDeleted": 0,
        }
        after = {f["id"] for f in findings(demo, f'asOf: "{DAY}",')}
        predicted = (now - {f["id"] for f in w["closed"]}) | {f["id"] for f in w["opened"]}
        assert after == predicted
        assert len(after) == w["after"]
    finally:
        demo.data(APPLY, {"deleteNodeIds": [DRAFT_BRANCH]})
    assert {f["id"] for f in findings(demo, f'asOf: "{DAY}",')} == now


@pytest.mark.parametrize(
    "draft",
    [
        # a new branch covering a compound that does not exist
        {
            "nodes": [{"kind": "PartyBranch", "id": DRAFT_BRANCH, "props": {"name": "示例支部"}}],
            "links": [{"kind": "COVERS", "source": DRAFT_BRANCH, "target": "Compound:none-such"}],
        },
        # an end that is neither stored nor in the draft
        {"links": [{"kind": "COVERS", "source": "no-such-branch", "target": "no-such-compound"}]},
    ],
    ids=["unknown-compound", "unknown-ends"],
)
def test_a_draft_save_would_refuse_is_refused_with_the_same_error(
    demo: Gql, draft: dict[str, Any], tmp_path: Path
) -> None:
    before = listing(demo, tmp_path / "before.json")
    body = demo.query(WHAT_IF, {"changes": draft, "asOf": DAY})
    assert body["data"] is None
    assert error_codes(body) == ["VALIDATION_FAILED"]
    saved = demo.data(APPLY, draft)["applyBatch"]
    assert saved["__typename"] == "ValidationFailed"  # the union member of VALIDATION_FAILED
    assert body["errors"][0]["message"] == saved["message"]
    assert listing(demo, tmp_path / "after.json") == before


def test_a_draft_linking_the_wrong_kinds_is_refused_as_apply_batch_refuses_it(demo: Gql) -> None:
    compound = p1_compound(demo)
    draft = {"links": [{"kind": "COVERS", "source": compound, "target": compound}]}
    body = demo.query(WHAT_IF, {"changes": draft, "asOf": DAY})
    saved = demo.data(APPLY, draft)["applyBatch"]
    assert error_codes(body) == ["VALIDATION_FAILED"] and saved["__typename"] == "ValidationFailed"
    assert body["errors"][0]["message"] == saved["message"]
    assert "endpoints" in saved["message"]


@pytest.mark.parametrize("role", ["public", "researcher"])
def test_what_if_is_for_the_department_only(demo: Gql, role: str) -> None:
    body = demo.as_role(role, WHAT_IF, {"changes": joint_branch_draft("cmp-01"), "asOf": DAY})
    assert error_codes(body) == ["FORBIDDEN"], body


# --- rectificationList ---------------------------------------------------------------------------
RECTIFY = f"""{{ rectificationList(scope: "town-1", asOf: "{DAY}") {{
  filename mediaType base64 rows }} }}"""


def workbook_rows(download: dict[str, Any]) -> tuple[str, list[tuple[Any, ...]]]:
    ws = load_workbook(io.BytesIO(base64.b64decode(download["base64"]))).active
    values = list(ws.iter_rows(values_only=True))
    title, headers, rows = values[0][0], values[1], values[2:]
    assert headers == HEADERS
    assert len(rows) == download["rows"]
    return title, list(rows)


@pytest.mark.parametrize("role", ["department", "researcher"])
def test_the_rectification_list_is_the_findings_of_the_place(demo: Gql, role: str) -> None:
    key = demo.keys[role]
    # the day it is made on: the demo's last day, the department's own and what a researcher's
    # asOf in 2021 is read as (年末口径 in the data's last year: test_discreet_dates.py)
    used = AS_OF
    download = demo.data(RECTIFY, key=key)["rectificationList"]
    assert download["filename"].endswith(f"_{used}.xlsx") and "整改清单" in download["filename"]
    assert download["mediaType"].endswith("spreadsheetml.sheet")
    title, rows = workbook_rows(download)
    expected = findings(demo, f'asOf: "{DAY}", scope: "town-1",', key=key)
    assert expected and used.isoformat() in title and "整改清单" in title
    labels = {
        "ERROR": "数据错误",
        "CONFLICT": "利益冲突",
        "GAP": "缺口",
        "WARNING": "预警",
        "ADVICE": "建议",
    }
    assert [r[1:] for r in rows] == [
        (
            f["id"],
            f["rule"],
            RULES[f["rule"]].title_zh,
            f["subjectName"] or f["subject"],
            f["explanationZh"],
            f["responsible"],
            dt.datetime.combine(used + dt.timedelta(days=f["deadlineDays"]), dt.time()),
            labels[f["severity"]],
            f["source"],
        )
        for f in expected
    ]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    if role == "researcher":  # pseudonyms, never a real person id
        assert not any("person-" in str(v) for r in rows for v in r)
        assert any(str(r[4]).startswith("anon-") for r in rows)


def test_the_public_may_not_have_the_rectification_list(demo: Gql) -> None:
    body = demo.query(RECTIFY, key=None)
    assert error_codes(body) == ["FORBIDDEN"]
