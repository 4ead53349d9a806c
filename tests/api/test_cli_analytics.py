"""``govgraph gaps`` and ``govgraph ties`` through Typer's runner, on an embedded store file
loaded with the demo, against the analytics functions on the same projection."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from govgraph.api.settings import Settings
from govgraph.api.stores import open_store
from govgraph.cli import main as cli
from govgraph.cli.analytics import (
    COVERAGE_COLUMNS,
    FINDING_COLUMNS,
    HEADINGS_ZH,
    TABLE_COLUMNS,
    TIE_ANALYSES,
    UNCOVERED_COLUMNS,
    gap_rows,
    tie_columns,
    tie_rows,
)
from govgraph.graph.analytics import (
    at,
    conflicts_of_interest,
    count_by_severity,
    cross_appointments,
    project,
    run_rules,
)

runner = CliRunner()
AS_OF = dt.date(2021, 5, 31)
DAY = AS_OF.isoformat()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The govgraph CLI; cli/main.py registers the analytics commands on it."""
    assert any(c.name == "gaps" for c in cli.app.registered_commands)
    return cli.app


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory, app: typer.Typer) -> Iterator[Path]:
    """An embedded store file holding the demo, loaded once with ``govgraph demo``."""
    path = tmp_path_factory.mktemp("store") / "g.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGRAPH_STORE", "embedded")
        mp.setenv("GOVGRAPH_DATA_PATH", str(path))
        r = runner.invoke(app, ["demo"])
        assert r.exit_code == 0, r.output
    yield path


@pytest.fixture
def env(data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(data_file))
    monkeypatch.setenv("GOVGRAPH_NEO4J_HOME", str(tmp_path / "neo4j"))
    return tmp_path


@pytest.fixture(scope="module")
def history(data_file: Path) -> nx.MultiDiGraph:
    """The projection the commands read, built here from the same store file."""

    async def go() -> nx.MultiDiGraph:
        store = await open_store(Settings(store="embedded", data_path=data_file))
        try:
            g: nx.MultiDiGraph = await project(store)
            return g
        finally:
            await store.close()

    return asyncio.run(go())


def _counts(output: str) -> dict[str, int]:
    m = re.search(r"finding\(s\) as of [\d-]+: (.*)", output)
    assert m, output
    return {s: int(n) for s, n in (part.split(" ") for part in m.group(1).split(", "))}


def _csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV the commands wrote, by key (each header is ``中文 key``)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *body = list(csv.reader(fh))
    keys = [h.rsplit(" ", 1)[-1] for h in header]
    return [dict(zip(keys, row, strict=True)) for row in body]


def test_gaps_counts_match_run_rules(env: Path, app: typer.Typer, history: nx.MultiDiGraph) -> None:
    r = runner.invoke(app, ["gaps", "--as-of", DAY])
    assert r.exit_code == 0, r.output
    expected = count_by_severity(run_rules(history, as_of=AS_OF))
    assert _counts(r.output) == expected
    assert expected == {"error": 2, "conflict": 3, "gap": 119, "warning": 394, "advice": 45}
    assert "Findings as of 2021-05-31" in r.output


def test_gaps_csv_and_excel(env: Path, app: typer.Typer, history: nx.MultiDiGraph) -> None:
    from openpyxl import load_workbook

    out_csv, out_xlsx = env / "gaps.csv", env / "gaps.xlsx"
    r = runner.invoke(
        app, ["gaps", "--as-of", DAY, "--csv", str(out_csv), "--excel", str(out_xlsx)]
    )
    assert r.exit_code == 0, r.output
    findings = run_rules(history, as_of=AS_OF)
    rows = _csv(out_csv)
    assert [row["id"] for row in rows] == [f.id for f in findings]
    assert set(rows[0]) == set(findings[0].to_dict())
    assert [row["severity"] for row in rows] == [f.severity.value for f in findings]
    assert [row["explanation_zh"] for row in rows] == [f.explanation_zh for f in findings]

    wb = load_workbook(out_xlsx, read_only=True)
    (ws,) = wb.worksheets
    table = list(ws.iter_rows(values_only=True))
    wb.close()
    headings, keys, body = table[0], table[1], table[2:]
    assert keys == FINDING_COLUMNS  # the machine-readable row under the Chinese one
    assert headings[:4] == ("编号", "规则", "检查项", "严重程度")
    assert len(body) == len(findings)
    assert [row[0] for row in body] == [f.id for f in findings]


def test_every_column_has_a_chinese_heading() -> None:
    every = {*FINDING_COLUMNS, *TABLE_COLUMNS, *COVERAGE_COLUMNS, *UNCOVERED_COLUMNS}
    every |= {c for what in TIE_ANALYSES for c in tie_columns(what)}
    assert every <= set(HEADINGS_ZH)
    assert all(h and not h.isascii() for h in HEADINGS_ZH.values())
    assert (HEADINGS_ZH["owners_committee"], HEADINGS_ZH["cross_appointment"]) == (
        "业委会覆盖",
        "交叉任职",
    )


def test_tables_and_csv_headers_are_in_chinese(env: Path, app: typer.Typer) -> None:
    out_csv = env / "cross.csv"
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--summary"])
    assert r.exit_code == 0, r.output
    heads = "\n".join(line for line in r.output.splitlines() if line.startswith("┃"))
    assert "业委会覆盖" in heads and "交叉任职" in heads
    assert "owners_committee" not in heads and "cross_appointment" not in heads
    r = runner.invoke(app, ["ties", "--as-of", DAY, "--csv", str(out_csv)])
    assert r.exit_code == 0, r.output
    heads = "\n".join(line for line in r.output.splitlines() if line.startswith("┃"))
    assert "交叉任职率" in heads and "cross_appointed" not in heads
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == ["小区 compound", "名称 name", "党支部 branches"]


def test_without_as_of_the_commands_read_the_data_as_of_its_latest_day(
    env: Path, app: typer.Typer, history: nx.MultiDiGraph
) -> None:
    """The demo is a snapshot of 2021-05-31: "as of today" would find every term overdue."""
    note = "as of 2021-05-31, the latest date in the data (默认取数据中的最近日期)"
    r = runner.invoke(app, ["gaps"])
    assert r.exit_code == 0, r.output
    assert note in r.stderr and note not in r.stdout
    assert _counts(r.stdout) == count_by_severity(run_rules(history, as_of=AS_OF))
    assert sum(_counts(r.stdout).values()) == 563  # as docs/analytics.md describes
    r = runner.invoke(app, ["ties", "--what", "conflicts"])
    assert r.exit_code == 0, r.output
    assert note in r.stderr and "conflicts as of 2021-05-31" in r.stdout
    assert "3 row(s)" in r.stdout


def test_gap_rows_are_to_dict(history: nx.MultiDiGraph) -> None:
    findings = run_rules(history, as_of=AS_OF, scope="town-2")
    assert gap_rows(history, AS_OF, "town-2") == [f.to_dict() for f in findings]
    conflicts = gap_rows(history, AS_OF, severities=["conflict"])
    assert [row["subject"] for row in conflicts] == [
        f.subject for f in run_rules(history, as_of=AS_OF) if f.rule == "O5"
    ]


def test_gaps_scope_restricts(env: Path, app: typer.Typer, history: nx.MultiDiGraph) -> None:
    view = at(history, AS_OF)
    community = "comm-03"
    under = {community} | {
        u for u, v, k in view.edges(data="kind") if k == "PART_OF" and v == community
    }
    out_csv = env / "scoped.csv"
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--scope", community, "--csv", str(out_csv)])
    assert r.exit_code == 0, r.output
    rows = _csv(out_csv)
    everything = run_rules(history, as_of=AS_OF)
    assert 0 < len(rows) < len(everything)
    assert [row["id"] for row in rows] == [
        f.id for f in run_rules(history, as_of=AS_OF, scope=community)
    ]
    for row in rows:
        if row["community"]:  # rolls up into the scope: its community and one of its compounds
            assert row["community"] == community and row["township"] == "town-1"
            assert not row["compound"] or row["compound"] in under
        else:  # a company serving compounds of several places rolls up to the city
            assert (row["rule"], row["subject_kind"]) == ("M2", "PropertyCompany")
            assert not row["compound"] and not row["township"] and row["city"]
    assert _counts(r.output) == count_by_severity(run_rules(history, as_of=AS_OF, scope=community))


def test_gaps_severity_filter(env: Path, app: typer.Typer) -> None:
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--severity", "conflict"])
    assert r.exit_code == 0, r.output
    assert _counts(r.output) == {"error": 0, "conflict": 3, "gap": 0, "warning": 0, "advice": 0}
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--severity", "bad"])
    assert r.exit_code != 0
    assert "severity" in r.output


def test_gaps_summary(env: Path, app: typer.Typer) -> None:
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--summary"])
    assert r.exit_code == 0, r.output
    city = next(line for line in r.output.splitlines() if "city-huairen" in line)
    assert "765/889" in city and "57/72" in city
    assert "Uncovered communities" in r.output
    assert "Findings as of" not in r.output  # the roll-ups instead of the findings


def test_gaps_rule_set_and_settings(env: Path, app: typer.Typer) -> None:
    settings = env / "rules.json"
    settings.write_text('{"enabled": ["P1", "O5"]}', encoding="utf-8")
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--settings", str(settings)])
    assert r.exit_code == 0, r.output
    assert _counts(r.output)["gap"] == 6 and _counts(r.output)["conflict"] == 3
    r = runner.invoke(
        app, ["gaps", "--as-of", DAY, "--settings", str(settings), "--rules", "local"]
    )
    assert r.exit_code == 0, r.output
    # --rules narrows the file's rules: P1 rests on national texts, O5 on local practice
    assert _counts(r.output) == {"error": 0, "conflict": 3, "gap": 0, "warning": 0, "advice": 0}
    settings.write_text('{"p1_min_full_members": 0}', encoding="utf-8")
    r = runner.invoke(app, ["gaps", "--as-of", DAY, "--settings", str(settings)])
    assert r.exit_code != 0
    assert "p1_min_full_members" in r.output


def test_ties_conflicts(env: Path, app: typer.Typer, history: nx.MultiDiGraph) -> None:
    expected = conflicts_of_interest(at(history, AS_OF))
    assert len(expected) == 3
    out_csv = env / "conflicts.csv"
    r = runner.invoke(app, ["ties", "--as-of", DAY, "--what", "conflicts", "--csv", str(out_csv)])
    assert r.exit_code == 0, r.output
    assert "3 row(s)" in r.output
    for c in expected:
        assert c.person in r.output and c.company in r.output
    rows = _csv(out_csv)
    assert [(row["person"], row["committee"], row["company"]) for row in rows] == [
        (c.person, c.committee, c.company) for c in expected
    ]


def test_ties_cross_csv(env: Path, app: typer.Typer, history: nx.MultiDiGraph) -> None:
    expected = cross_appointments(at(history, AS_OF))
    out_csv = env / "cross.csv"
    r = runner.invoke(app, ["ties", "--as-of", DAY, "--what", "cross", "--csv", str(out_csv)])
    assert r.exit_code == 0, r.output
    rows = _csv(out_csv)
    assert [row["compound"] for row in rows] == [c.compound for c in expected]
    assert [int(row["seats"]) for row in rows] == [c.seats for c in expected]
    assert [row["cross_appointed"] for row in rows] == [
        "; ".join(c.cross_appointed) for c in expected
    ]
    assert [float(row["rate"]) if row["rate"] else None for row in rows] == [
        c.rate for c in expected
    ]


def test_tie_rows(history: nx.MultiDiGraph) -> None:
    top = tie_rows(history, AS_OF, what="people", top=5)
    assert len(top) == 5 and all(row["bodies"] >= 2 for row in top)
    assert all("name" not in row for row in top)  # people by id only
    locks = tie_rows(history, AS_OF, "town-1", "interlocks")
    assert locks and locks[0]["shared"] >= locks[-1]["shared"]
    assert [r["compound"] for r in tie_rows(history, AS_OF, what="cross")] == [
        c.compound for c in cross_appointments(at(history, AS_OF))
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gaps", "--as-of", "2021-13-01"], "--as-of '2021-13-01' is not a date"),
        (["gaps", "--as-of", DAY, "--scope", "nowhere"], "scope not found: nowhere"),
        (["ties", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
        (["ties", "--as-of", DAY, "--scope", "nowhere"], "scope not found: nowhere"),
        (["ties", "--as-of", DAY, "--what", "friends"], "--what 'friends'"),
        (["gaps", "--as-of", DAY, "--rules", "some"], "rule set"),
    ],
)
def test_bad_input_is_a_clear_error(
    env: Path, app: typer.Typer, args: list[str], message: str
) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code != 0
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error: ") and message in lines[0]
