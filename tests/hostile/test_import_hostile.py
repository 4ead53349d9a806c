"""The hostile import corpus (``import_cases.py``) against both stores, and the exports that must
keep a clerk safe when a stored value looks like a spreadsheet formula.

Every error case must raise ``DataImportError`` with an error that names the file and says what
was expected, and leave the store exactly as it was.
"""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hostile_service import fingerprint
from import_cases import CASES, ImportCase, workbook

from govgraph.cli.analytics import write_csv, write_excel
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore, WriteBatch
from govgraph.loaders.exporters import export_csv
from govgraph.loaders.importer import DataImportError, import_files
from govgraph.loaders.template import write_template

Run = Callable[[Awaitable[Any]], Any]
HOSTILE_TEXT = [
    '=HYPERLINK("http://example.invalid","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "'=already escaped",
]


def base(store: GraphStore, run: Run) -> str:
    """A stored graph for the import to leave alone; its fingerprint."""
    nodes = [
        node("Community", "comm-base", name="气象街社区"),
        node("Compound", "cmp-base", name="基础小区", households=100),
    ]
    run(store.apply(WriteBatch(nodes=nodes, links=[link("PART_OF", "cmp-base", "comm-base")])))
    result: str = run(fingerprint(store))
    return result


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_import(store: GraphStore, run: Run, tmp_path: Path, case: ImportCase) -> None:
    before = base(store, run)
    folder = tmp_path / "in"
    folder.mkdir()
    paths = case.make(folder)
    if case.accepted is not None:
        run(import_files(store, paths))
        found = run(store.get_nodes(list(case.accepted)))
        assert {k: dict(n.props) for k, n in found.items()} == case.accepted
        if not case.accepted:
            assert run(fingerprint(store)) == before
        return
    with pytest.raises(DataImportError) as info:
        run(import_files(store, paths))
    errors = info.value.errors
    assert errors, str(info.value)
    for e in errors:  # every error says where and what was expected
        assert Path(e.file).name == paths[0].name, e
        assert e.expected, e
    matching = [e for e in errors if case.expect in e.expected]
    assert matching, "\n".join(str(e) for e in errors)
    if case.row is not None:
        assert any(e.row == case.row for e in matching), [str(e) for e in matching]
    if case.column is not None:
        assert any(e.column == case.column for e in matching), [str(e) for e in matching]
    assert paths[0].name in str(info.value)
    assert run(fingerprint(store)) == before, "a refused import changed the store"


# --- exports disarm what a spreadsheet would run -------------------------------------------------
def test_csv_export_disarms_formulas_and_round_trips(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    nodes = [node("Compound", f"cmp-{i}", name=t) for i, t in enumerate(HOSTILE_TEXT)]
    run(store.apply(WriteBatch(nodes=nodes)))
    run(export_csv(store, tmp_path / "out"))
    with (tmp_path / "out" / "Compound.csv").open(encoding="utf-8-sig", newline="") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]
    assert len(names) == len(HOSTILE_TEXT)
    for name in names:
        assert name.startswith("'"), name  # a spreadsheet shows it as text
    run(store.clear())
    run(import_files(store, [tmp_path / "out"]))
    back = run(store.get_nodes([n.id for n in nodes]))
    assert {k: n.props["name"] for k, n in back.items()} == {n.id: n.name for n in nodes}


def test_excel_export_keeps_formulas_as_text(tmp_path: Path) -> None:
    rows = [{"id": f"f{i}", "name": t} for i, t in enumerate(HOSTILE_TEXT)]
    path = tmp_path / "gaps.xlsx"
    write_excel(path, rows, ["id", "name"], "findings")
    ws = openpyxl.load_workbook(path)["findings"]
    cells = [ws.cell(row=i + 2, column=2) for i in range(len(HOSTILE_TEXT))]
    assert [c.value for c in cells] == HOSTILE_TEXT  # exactly the text
    for c in cells:
        assert c.data_type == "s", (c.value, c.data_type)  # never a formula
        if c.value[:1] in "=+-@\t":
            assert c.quotePrefix


def test_analytics_csv_export_disarms_formulas(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    write_csv(path, [{"name": t} for t in HOSTILE_TEXT], ["name"])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]
    assert all(n.startswith("'") for n in names), names


def test_the_template_holds_no_formula(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_error_report_disarms_hostile_names(store: GraphStore, run: Run, tmp_path: Path) -> None:
    """A sheet (or file) named like a formula is named in the errors file: disarmed there too."""
    bad = tmp_path / "in"
    bad.mkdir()
    (path,) = workbook([["id", "name"], ["=1+1", "x"]], sheet="=HYPERLINK(1)")(bad)
    errors = tmp_path / "errors.csv"
    with pytest.raises(DataImportError):
        run(import_files(store, [path], errors_path=errors))
    with errors.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", row
