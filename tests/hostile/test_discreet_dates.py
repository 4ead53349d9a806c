"""Role-aware analytics (issue 17): what a researcher and the public are told is built from what
they may see, in every analytics field and in ``govgraph gaps --role``.

* Their ``asOf`` is read as the last day of its year (年末口径), as the node fields read it: two
  days of one year give the same answers, those the department gets on its 31 December (where
  the department's are comparable: rates, ties; findings through the discreet run itself).
* Their coverage trend has a point per year, at its 31 December, never within a year.
* O4 (a committee member who owns nothing in the compound) tells of ``OWNS`` links, which
  neither may read: it is left out as P8 is, refused by name, and not offered.
* The public is told no Party share of one compound's committee.

Everything goes through public interfaces: GraphQL over HTTP on the demo data set (embedded
store, demo keys, as ``govgraph serve --demo`` serves it) and the CLI.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.analytics import summary_rows
from govgraph.cli.main import app as cli
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.analytics import project, run_rules
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.privacy import Role
from govgraph.loaders.demo import load_demo

HEADERS = {
    "department": {"x-api-key": "demo-department"},
    "researcher": {"x-api-key": "demo-researcher"},
    "public": {},
}
DISCREET_ROLES = ("researcher", "public")
#: two days of the demo's last year, that year's end, and the day an analysis reads for any
#: day of that year: the data's last day (the demo's snapshot), not the months it has not reached
EARLY, LATE, YEAR_END, READ = "2021-02-03", "2021-11-20", "2021-12-31", "2021-05-31"
RATIOS = (
    "branch",
    "ownersCommittee",
    "propertyService",
    "serviceStation",
    "partyGroups",
    "crossAppointment",
    "partyShare",
    "appealsReplied",
)
RATIO = "{ count total rate }"
SUMMARY = (
    "query($d: Date) { coverageSummary(asOf: $d, first: 100) { totalCount items { level place "
    + " ".join(f"{r} {RATIO}" for r in RATIOS)
    + " findings { severity count } } } }"
)
COUNTS = "query($d: Date) { coverageGaps(asOf: $d) { totalCount bySeverity { severity count } } }"
RANKING = """query($d: Date) { uncoveredCommunities(asOf: $d, first: 100) { totalCount
  items { rank community gaps findings compoundsWithGaps reasons { rule check count subjects } }
} }"""
#: a researcher's people-level fields (the public is refused them)
RESEARCH = {
    "findings": """query($d: Date) { coverageGaps(asOf: $d, first: 100) { totalCount
      findings { id explanationZh details } } }""",
    "cross": """query($d: Date) { crossAppointments(asOf: $d, first: 100) { totalCount
      items { compound seats crossAppointed rate secretaries chairs } } }""",
    "people": """query($d: Date) { multiPostHolders(asOf: $d, first: 100) { totalCount
      items { person bodies posts { body role since until } } } }""",
    "ego": """query($d: Date) { egoNetwork(id: "comm-06", depth: 2, asOf: $d, first: 100) {
      totalCount nodes { id } links { id since until } } }""",
    "rectification": """query($d: Date) { rectificationList(scope: "town-1", asOf: $d) {
      filename rows base64 } }""",
}
TREND = """query($u: Date, $s: ID) { coverageTrend(months: 24, until: $u, scope: $s) {
  date compounds branch { count total } partyGroups { count total }
  crossAppointment { count total } appealsReplied { count total } } }"""


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    asyncio.run(load_demo(store))
    return store


@pytest.fixture(scope="module")
def demo(store: EmbeddedStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(api_keys=DEMO_KEYS), store=store)) as client:
        yield client


@pytest.fixture(scope="module")
def history(store: EmbeddedStore) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = asyncio.run(project(store))
    return graph


def answer(
    client: TestClient, role: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=HEADERS[role]
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def data(client: TestClient, role: str, query: str, **variables: Any) -> dict[str, Any]:
    body = answer(client, role, query, variables)
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]
    return found


def every_finding(client: TestClient, role: str, day: str | None) -> list[str]:
    """The ids of every finding coverageGaps gives ``role`` on ``day``, page by page."""
    query = """query($d: Date, $after: String) { coverageGaps(asOf: $d, first: 100, after: $after)
      { findings { id } pageInfo { hasNextPage endCursor } } }"""
    ids: list[str] = []
    after = None
    while True:
        page = data(client, role, query, d=day, after=after)["coverageGaps"]
        ids += [f["id"] for f in page["findings"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


def workbook(download: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a rectification list (the file's bytes carry the time it was made)."""
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["base64"]))).active
    return list(sheet.iter_rows(values_only=True))


def codes(body: dict[str, Any]) -> list[str | None]:
    assert body.get("errors"), body
    return [(e.get("extensions") or {}).get("code") for e in body["errors"]]


def rates(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each place's ratios (not its findings: those of a discreet run differ by design)."""
    return {f"{r['level']}:{r['place']}": {k: r[k] for k in RATIOS} for r in rows}


# --- 1. a year's days give its 31 December's answers ---------------------------------------------
@pytest.mark.parametrize("role", DISCREET_ROLES)
@pytest.mark.parametrize("query", [SUMMARY, COUNTS, RANKING], ids=["summary", "counts", "ranking"])
def test_two_days_of_one_year_give_the_same_aggregates(
    demo: TestClient, role: str, query: str
) -> None:
    early = data(demo, role, query, d=EARLY)
    assert early == data(demo, role, query, d=LATE) == data(demo, role, query, d=YEAR_END)


def test_the_department_still_reads_the_day_itself(demo: TestClient) -> None:
    """What makes the test above worth having: on the demo, the days differ for the department."""
    totals = [
        data(demo, "department", COUNTS, d=d)["coverageGaps"]["totalCount"] for d in (EARLY, LATE)
    ]
    assert totals[0] != totals[1]
    early = rates(data(demo, "department", SUMMARY, d=EARLY)["coverageSummary"]["items"])
    late = rates(data(demo, "department", SUMMARY, d=YEAR_END)["coverageSummary"]["items"])
    assert early != late


@pytest.mark.parametrize("field", sorted(RESEARCH))
def test_two_days_of_one_year_give_a_researcher_the_same_people_level_answers(
    demo: TestClient, field: str
) -> None:
    query = RESEARCH[field]
    early = data(demo, "researcher", query, d=EARLY)
    late = data(demo, "researcher", query, d=LATE)
    if field == "rectification":  # the same rows; the day it names is the day used
        download = early["rectificationList"]
        rows = workbook(download)
        assert rows == workbook(late["rectificationList"]) and len(rows) > 2
        assert download["filename"].endswith(f"_{READ}.xlsx"), download["filename"]
        assert READ in str(rows[0][0]) and EARLY not in str(rows[0][0])
        early["rectificationList"].pop("base64"), late["rectificationList"].pop("base64")
    assert early == late


@pytest.mark.parametrize("role", DISCREET_ROLES)
def test_rates_are_the_departments_on_the_day_read(demo: TestClient, role: str) -> None:
    told = rates(data(demo, role, SUMMARY, d=EARLY)["coverageSummary"]["items"])
    department = rates(data(demo, "department", SUMMARY, d=READ)["coverageSummary"]["items"])
    assert told.keys() == department.keys() and len(told) > 50
    for place, row in told.items():
        expected = dict(department[place])
        if role == "public" and place.startswith("COMPOUND:"):
            expected["partyShare"] = None
        assert row == expected, place


def test_ties_are_the_departments_on_the_day_read(demo: TestClient) -> None:
    """People aside (pseudonyms), a researcher's ties of any day of the data's last year are the
    department's of the data's last day."""
    query = RESEARCH["cross"]
    told = data(demo, "researcher", query, d=EARLY)["crossAppointments"]["items"]
    department = data(demo, "department", query, d=READ)["crossAppointments"]["items"]
    assert told
    shape = [(t["compound"], t["seats"], t["rate"], len(t["crossAppointed"])) for t in told]
    assert shape == [
        (t["compound"], t["seats"], t["rate"], len(t["crossAppointed"])) for t in department
    ]


@pytest.mark.parametrize("role", DISCREET_ROLES)
def test_counts_are_the_discreet_run_on_the_day_read(
    demo: TestClient, history: nx.MultiDiGraph, role: str
) -> None:
    counts = data(demo, role, COUNTS, d=EARLY)["coverageGaps"]
    found = run_rules(history, as_of=dt.date.fromisoformat(READ), discreet=True)
    by_severity = Counter(f.severity.value.upper() for f in found)
    assert counts["totalCount"] == len(found)
    assert {s["severity"]: s["count"] for s in counts["bySeverity"]} == {
        s["severity"]: by_severity[s["severity"]] for s in counts["bySeverity"]
    }
    on_the_day = run_rules(history, as_of=dt.date.fromisoformat(EARLY), discreet=True)
    assert len(on_the_day) != len(found)  # the day itself would have answered otherwise


@pytest.mark.parametrize("role", DISCREET_ROLES)
def test_no_as_of_is_read_as_the_end_of_todays_year(demo: TestClient, role: str) -> None:
    before = dt.date.today()
    default = data(demo, role, COUNTS)
    after = dt.date.today()
    if before.year != after.year:
        pytest.skip("the year turned during the request")
    assert default == data(demo, role, COUNTS, d=f"{before.year}-12-31")
    assert default == data(demo, role, COUNTS, d=f"{before.year}-01-01")


# --- 2. the trend, year by year ------------------------------------------------------------------
@pytest.mark.parametrize("role", DISCREET_ROLES)
@pytest.mark.parametrize("scope", [None, "town-1"])
def test_the_trend_has_a_point_per_year(demo: TestClient, role: str, scope: str | None) -> None:
    points = data(demo, role, TREND, u=EARLY, s=scope)["coverageTrend"]
    assert [p["date"] for p in points] == ["2019-12-31", "2020-12-31", READ]
    assert data(demo, role, TREND, u=LATE, s=scope)["coverageTrend"] == points
    # until defaults to the data's last day (2021-05-31): the same reading
    assert data(demo, role, TREND, s=scope)["coverageTrend"] == points
    for p in points:  # each point is the department's on that day
        (same,) = data(
            demo, "department", TREND.replace("months: 24", "months: 1"), u=p["date"], s=scope
        )["coverageTrend"]
        assert same == p
    monthly = data(demo, "department", TREND, u=EARLY, s=scope)["coverageTrend"]
    assert len(monthly) == 24 and monthly[-1]["date"] == EARLY


def test_a_short_trend_is_its_years_reading_only(demo: TestClient) -> None:
    query = TREND.replace("months: 24", "months: 3")
    points = data(demo, "researcher", query, u="2021-03-31")["coverageTrend"]
    assert [p["date"] for p in points] == [READ]
    points = data(demo, "researcher", query, u="2020-03-31")["coverageTrend"]
    assert [p["date"] for p in points] == ["2020-12-31"]  # a year the data has passed: its end


# --- 3. O4 is withheld as P8 is ------------------------------------------------------------------
@pytest.mark.parametrize("role", DISCREET_ROLES)
@pytest.mark.parametrize("field", ["coverageGaps", "coverageSummary", "uncoveredCommunities"])
def test_o4_is_refused_by_name(demo: TestClient, role: str, field: str) -> None:
    body = answer(demo, role, f'{{ {field}(asOf: "{YEAR_END}", rules: ["O4"]) {{ totalCount }} }}')
    assert codes(body) == ["FORBIDDEN"]
    assert "OWNS" in body["errors"][0]["message"] and "O4" in body["errors"][0]["message"]
    assert (
        answer(demo, "department", f'{{ {field}(rules: ["O4"]) {{ totalCount }} }}').get("errors")
        is None
    )


@pytest.mark.parametrize("role", DISCREET_ROLES)
def test_o4_is_not_offered(demo: TestClient, role: str) -> None:
    query = "{ vocabulary { rules { id } } }"
    offered = {r["id"] for r in data(demo, role, query)["vocabulary"]["rules"]}
    everything = {r["id"] for r in data(demo, "department", query)["vocabulary"]["rules"]}
    assert "O4" in everything and "O4" not in offered and "P8" not in offered
    assert everything - offered == {"O4", "P8"}


def test_o4_is_in_no_answer_or_count_of_a_researcher_or_the_public(demo: TestClient) -> None:
    o4 = data(
        demo,
        "department",
        f'{{ coverageGaps(asOf: "{YEAR_END}", rules: ["O4"], first: 100) '
        "{ totalCount findings { id community severity } } }",
    )["coverageGaps"]
    assert o4["totalCount"] > 0  # the demo has some to hide
    assert {f["severity"] for f in o4["findings"]} == {"ERROR"}
    department = data(demo, "department", COUNTS, d=YEAR_END)["coverageGaps"]
    errors = {s["severity"]: s["count"] for s in department["bySeverity"]}["ERROR"]
    for role in DISCREET_ROLES:
        counts = data(demo, role, COUNTS, d=YEAR_END)["coverageGaps"]
        told = {s["severity"]: s["count"] for s in counts["bySeverity"]}
        assert told["ERROR"] == errors - o4["totalCount"], role
        ranking = data(demo, role, RANKING, d=YEAR_END)["uncoveredCommunities"]["items"]
        assert not [r for c in ranking for r in c["reasons"] if r["rule"] == "O4"], role
    told = every_finding(demo, "researcher", YEAR_END)
    assert told and not [i for i in told if i.startswith("O4:")]
    # the rectification list of the place of one has none either
    scope = o4["findings"][0]["community"]
    query = "query($s: ID!) { rectificationList(scope: $s) { base64 } }"
    for role, has_o4 in (("department", True), ("researcher", False)):
        download = data(demo, role, query, s=scope)["rectificationList"]
        cells = [str(c) for row in workbook(download) for c in row if c]
        assert any(c.startswith("O4:") for c in cells) is has_o4, role


# --- 4. the public's Party share no finer than the community -----------------------------------
def test_the_public_gets_no_party_share_of_a_compound(demo: TestClient) -> None:
    rows = {
        role: data(demo, role, SUMMARY, d=YEAR_END)["coverageSummary"]["items"]
        for role in ("public", "researcher")
    }
    public = {(r["level"], r["place"]): r["partyShare"] for r in rows["public"]}
    research = {(r["level"], r["place"]): r["partyShare"] for r in rows["researcher"]}
    compounds = [k for k in public if k[0] == "COMPOUND"]
    assert compounds and all(public[k] is None for k in compounds)
    assert any(research[k]["total"] for k in compounds)  # a researcher is told them
    above = [k for k in public if k[0] != "COMPOUND"]
    assert {k[0] for k in above} == {"CITY", "TOWNSHIP", "COMMUNITY"}
    assert all(public[k] == research[k] and public[k] is not None for k in above)


def test_party_share_counts_every_member_whatever_the_status(demo: TestClient) -> None:
    """A seat counts as a Party member's with a MEMBER_OF link of any status (probationary
    too), for every role: the share tells no status. Checked against the department's own
    reading of each committee's post holders and their memberships."""
    query = f"""{{ ownersCommittees(first: 100, asOf: "{YEAR_END}") {{ edges {{ node {{
      represents(asOf: "{YEAR_END}") {{ edges {{ node {{ entityId }} }} }}
      postHolders(first: 50, asOf: "{YEAR_END}") {{ edges {{ node {{ entityId
        ... on Person {{ memberOf(asOf: "{YEAR_END}") {{ edges {{ status }} }} }} }} }} }}
    }} }} }} }}"""
    seats: dict[str, dict[str, set[str]]] = {}
    for edge in data(demo, "department", query)["ownersCommittees"]["edges"]:
        node = edge["node"]
        for compound in node["represents"]["edges"]:
            held = seats.setdefault(compound["node"]["entityId"], {})
            for post in node["postHolders"]["edges"]:
                statuses = {m["status"] for m in post["node"]["memberOf"]["edges"]}
                held.setdefault(post["node"]["entityId"], set()).update(statuses)
    assert seats
    expected = {c: (sum(1 for s in held.values() if s), len(held)) for c, held in seats.items()}
    probationary_only = [
        c for c, held in seats.items() if any(s == {"probationary"} for s in held.values())
    ]
    assert probationary_only, "the demo has no probationary committee member to count"
    for role in ("department", "researcher"):
        rows = data(demo, role, SUMMARY, d=YEAR_END)["coverageSummary"]["items"]
        shares = {
            r["place"]: (r["partyShare"]["count"], r["partyShare"]["total"])
            for r in rows
            if r["level"] == "COMPOUND" and r["partyShare"]["total"]
        }
        assert shares == expected, role


# --- 5. the CLI reads the same day -------------------------------------------------------------
@pytest.fixture
def gaps(demo_file: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(demo_file))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["gaps", *args])

    return run


def _csv_ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *body = list(csv.reader(fh))
    column = [h.rsplit(" ", 1)[-1] for h in header].index("id")
    return [row[column] for row in body]


def test_gaps_for_a_researcher_is_as_of_the_day_read(
    demo: TestClient, gaps: Any, tmp_path: Path
) -> None:
    files = {}
    for day in (EARLY, LATE, None):  # no --as-of: the data's last day, read so too
        out = tmp_path / f"{day}.csv"
        args = ["--role", "researcher", "--csv", str(out)]
        result = gaps(*args, *(["--as-of", day] if day else []))
        assert result.exit_code == 0, result.output
        assert f"as of {READ}" in result.output
        files[day] = _csv_ids(out)
    assert files[EARLY] == files[LATE] == files[None]
    assert not [i for i in files[EARLY] if i.startswith(("O4:", "P8:"))]
    assert every_finding(demo, "researcher", LATE) == files[EARLY]


def test_gaps_for_the_public_counts_the_day_read(demo: TestClient, gaps: Any) -> None:
    result = gaps("--role", "public", "--as-of", EARLY)
    assert result.exit_code == 0, result.output
    counts = data(demo, "public", COUNTS, d=EARLY)["coverageGaps"]
    assert f"{counts['totalCount']} finding(s) as of {READ}" in result.output
    for s in counts["bySeverity"]:
        assert f"{s['severity'].lower()} {s['count']}" in result.output


def test_the_public_summary_rows_have_no_party_share_of_a_compound(
    history: nx.MultiDiGraph,
) -> None:
    day = dt.date.fromisoformat(EARLY)
    public = summary_rows(history, day, role=Role.PUBLIC)["coverage"]
    research = summary_rows(history, day, role=Role.RESEARCHER, secret=b"x" * 32)["coverage"]
    assert [r["place"] for r in public] == [r["place"] for r in research]
    for told, full in zip(public, research, strict=True):
        if told["level"] == "compound":
            assert told["party_share"] is None
        else:
            assert told["party_share"] == full["party_share"] is not None
    department = summary_rows(history, dt.date(2021, 12, 31))["coverage"]
    assert [r["party_share"] for r in research] == [r["party_share"] for r in department]
