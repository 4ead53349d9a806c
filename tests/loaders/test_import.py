"""Importing files into both stores: everything checked first, all or nothing, idempotent.

The test graph is small and hand-built: only 怀仁市, 气象街社区 and 云北苑小区 are real places;
every person and company is obviously synthetic (测试人员1, 测试物业…).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from govgraph.cli.data import register
from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.ontology import NODE_KINDS
from govgraph.graph.port import GraphStore, WriteBatch, WriteResult
from govgraph.loaders.importer import (
    ERROR_COLUMNS,
    DataImportError,
    ImportReport,
    Progress,
    import_files,
    import_tables,
)
from govgraph.loaders.readers import read_tables
from govgraph.loaders.rows import (
    NumberedRow,
    ParsedRow,
    Table,
    numbered,
    parse_table,
    resolve_header,
)
from govgraph.loaders.template import write_template

Run = Callable[[Awaitable[Any]], Any]
D = dt.date


# --- the test graph ---------------------------------------------------------------------------
def sample_nodes() -> list[Node]:
    return [
        node("City", "city-huairen", name="怀仁市"),
        node("Township", "town-test", name="示例街道"),
        node("Community", "comm-qxj", name="气象街社区"),
        node(
            "Compound",
            "cmp-yby",
            name="云北苑小区",
            is_old=True,
            built_year=1998,
            households=420,
            delivered_area_ratio=1.0,
            investment_yuan=1_850_000.5,
        ),
        node("Building", "bld-1", name="1号楼"),
        node("Building", "bld-2", name="2号楼"),
        node("Person", "p-1", name="测试人员1", gender="female", phone="+86 100 0000 0001"),
        node("Person", "p-2", name="测试人员2", birth_year=1965),
        node("Person", "p-3", name="测试人员3", employer="测试单位"),
        node(
            "PartyBranch",
            "br-yby",
            name="云北苑小区党支部",
            form="standalone",
            elected_on=D(2021, 3, 1),
            term_years=5,
        ),
        node("OwnersCommittee", "oc-yby", name="云北苑小区业主委员会", elected_on=D(2021, 5, 20)),
        node("PropertyCompany", "pc-test", name="测试物业服务有限公司", credit_code="TEST0001"),
    ]


def sample_links() -> list[Link]:
    return [
        link("PART_OF", "town-test", "city-huairen"),
        link("PART_OF", "comm-qxj", "town-test"),
        link("PART_OF", "cmp-yby", "comm-qxj"),
        link("PART_OF", "bld-1", "cmp-yby"),
        link("PART_OF", "bld-2", "cmp-yby"),
        link("COVERS", "br-yby", "cmp-yby", since=D(2021, 3, 1)),
        link("HOLDS_POST", "p-1", "br-yby", role="secretary", since=D(2021, 3, 1)),
        # built directly: link()'s ``source`` parameter shadows the provenance property
        Link(
            "HOLDS_POST",
            "p-1",
            "oc-yby",
            {"role": "chair", "since": D(2021, 5, 20), "source": "测试台账"},
        ),
        link(
            "HOLDS_POST",
            "p-2",
            "br-yby",
            role="committee_member",
            since=D(2021, 3, 1),
            until=D(2022, 12, 31),
        ),
        link(
            "HOLDS_POST", "p-2", "br-yby", key="2023", role="deputy_secretary", since=D(2023, 1, 1)
        ),
        link("MEMBER_OF", "p-1", "br-yby", status="full", category="retired"),
        link("EMPLOYED_BY", "p-3", "pc-test", role="经理"),
        link("MANAGES", "pc-test", "cmp-yby", mode="existing_company", since=D(2020, 1, 1)),
        link("REPRESENTS", "oc-yby", "cmp-yby", since=D(2021, 5, 20)),
        link("RESIDES_IN", "p-1", "bld-1"),
    ]


NodeRow = tuple[str, str, tuple[tuple[str, Any], ...]]
LinkRow = tuple[str, str, str, str, str, tuple[tuple[str, Any], ...]]


def node_rows(nodes: Iterable[Node]) -> set[NodeRow]:
    return {(n.id, n.kind, tuple(sorted(n.props.items()))) for n in nodes}


def link_rows(links: Iterable[Link]) -> set[LinkRow]:
    return {
        (lk.id, lk.kind, lk.source, lk.target, lk.key, tuple(sorted(lk.props.items())))
        for lk in links
    }


def graph_data(store: GraphStore, run: Run) -> tuple[set[NodeRow], set[LinkRow]]:
    """Everything a store holds, as plain comparable data."""
    nodes: list[Node] = []
    for kind in NODE_KINDS:
        page = run(store.list_nodes(kind, first=10_000))
        nodes.extend(page.items)
    return node_rows(nodes), link_rows(run(store.list_links()))


def expected_data() -> tuple[set[NodeRow], set[LinkRow]]:
    return node_rows(sample_nodes()), link_rows(sample_links())


# --- files ------------------------------------------------------------------------------------
def fill_sheet(ws: Any, rows: list[dict[str, Any]]) -> None:
    """Write rows (field -> value) under the template's headers, from row 3."""
    kind = ws.title
    col_of = {resolve_header(kind, c.value): c.column for c in ws[1]}
    for r, row in enumerate(rows, start=3):
        for f, value in row.items():
            ws.cell(row=r, column=col_of[f], value=value)


@functools.cache
def template_bytes() -> bytes:
    """The template, written once per session (writing 45 sheets takes a moment)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_template(Path(tmp) / "template.xlsx").read_bytes()


def workbook(path: Path, sheets: dict[str, list[dict[str, Any]]]) -> Path:
    """The template with ``sheets`` filled in, as a user would fill it."""
    path.write_bytes(template_bytes())
    wb = openpyxl.load_workbook(path)
    for kind, rows in sheets.items():
        fill_sheet(wb[kind], rows)
    wb.save(path)
    return path


def write_csv(
    path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def good_sheets() -> dict[str, list[dict[str, Any]]]:
    return {
        "Compound": [
            {"id": "cmp-yby", "name": "云北苑小区", "is_old": True, "households": 420},
        ],
        "Building": [{"id": "bld-1", "name": "1号楼"}, {"id": "bld-2", "name": "2号楼"}],
        "PartyBranch": [
            {"id": "br-yby", "name": "云北苑小区党支部", "form": "standalone"}
            | {"elected_on": dt.datetime(2021, 3, 1)}  # a real Excel date cell
        ],
        "Person": [{"id": "p-1", "name": "测试人员1", "gender": "female"}],
        "ServiceStation": [{"id": "st-1", "name": "测试服务站", "station_type": "station"}],
        "PART_OF": [
            {"source_id": "bld-1", "target_id": "cmp-yby"},
            {"source_id": "bld-2", "target_id": "cmp-yby"},
        ],
        "HOLDS_POST": [
            {"source_id": "p-1", "target_id": "br-yby", "role": "secretary", "since": "2021-03-01"}
        ],
    }


def mistaken_sheets() -> dict[str, list[dict[str, Any]]]:
    """The good sheets with one mistake of each sort (six in all)."""
    sheets = good_sheets()
    sheets["Building"][1]["id"] = "bld-1"  # duplicate id
    sheets["PartyBranch"][0].update(form="independent", elected_on="2021-02-30")  # enum, date
    sheets["Person"][0]["name"] = '=HYPERLINK("http://example.invalid","测试")'  # formula
    del sheets["ServiceStation"][0]["station_type"]  # a required value missing
    sheets["PART_OF"][1]["source_id"] = "bld-9"  # unknown endpoint
    return sheets


# --- the workbook: rejected whole, then fixed, then idempotent --------------------------------
def test_a_workbook_with_mistakes_is_rejected_with_one_error_each_and_nothing_written(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    run(store.upsert([node("City", "city-huairen", name="怀仁市")]))
    before = graph_data(store, run)
    path = workbook(tmp_path / "mistakes.xlsx", mistaken_sheets())

    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [path]))

    got = [(e.sheet, e.row, e.column) for e in caught.value.errors]
    assert got == [
        ("Building", 4, "编号 id"),
        ("Person", 3, "姓名 name"),
        ("PartyBranch", 3, "组建方式 form"),
        ("PartyBranch", 3, "换届日期 elected_on"),
        ("ServiceStation", 3, "类型 station_type"),
        ("PART_OF", 4, "起点 source_id"),
    ]
    text = [str(e) for e in caught.value.errors]
    assert text[0].startswith(f"{path}:Building:4:编号 id: 'bld-1' — expected an id used once")
    assert "formula" in text[1]
    assert text[2].endswith(
        "'independent' — 应为以下之一 / expected one of: 单建 (standalone), 联建 (joint),"
        " 兼合式 (combined)"
    )
    assert text[3].endswith("'2021-02-30' — 没有这一天 / no such day: February 2021 has 28 days")
    assert "required" in text[4]
    assert text[5].endswith("'bld-9' — expected the id of a node in this import or already stored")
    assert graph_data(store, run) == before


def test_the_fixed_workbook_imports_and_importing_it_again_changes_nothing(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "good.xlsx", good_sheets())
    report = run(import_files(store, [path]))
    assert report.ok and report.atomic and report.batches == 1
    assert (report.rows_read, report.nodes_written, report.links_written) == (9, 6, 3)

    counts = run(store.counts())
    assert counts.nodes == {
        "Building": 2,
        "Compound": 1,
        "PartyBranch": 1,
        "Person": 1,
        "ServiceStation": 1,
    }
    got = run(store.get_nodes(["br-yby", "cmp-yby"]))
    assert got["br-yby"].props["elected_on"] == D(2021, 3, 1)
    assert got["cmp-yby"].props == {"name": "云北苑小区", "is_old": True, "households": 420}
    [post] = run(store.list_links(kind="HOLDS_POST"))
    assert post == Link(
        "HOLDS_POST", "p-1", "br-yby", {"role": "secretary", "since": D(2021, 3, 1)}
    )

    first = graph_data(store, run)
    again = run(import_files(store, [path]))
    assert again.ok
    assert graph_data(store, run) == first
    assert run(store.counts()) == counts


def test_an_import_may_link_to_nodes_already_stored(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    run(store.upsert([node("Compound", "cmp-yby", name="云北苑小区")]))
    path = write_csv(tmp_path / "Building.csv", ["id", "name"], [["bld-1", "1号楼"]])
    links = write_csv(tmp_path / "PART_OF.csv", ["起点", "终点"], [["bld-1", "cmp-yby"]])
    report = run(import_files(store, [links, path]))  # order of files does not matter
    assert (report.nodes_written, report.links_written) == (1, 1)


def test_an_id_of_another_stored_kind_is_a_row_error(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    run(store.upsert([node("Compound", "x-1", name="云北苑小区")]))
    path = write_csv(tmp_path / "Building.csv", ["id", "name"], [["x-1", "1号楼"]])
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [path]))
    [err] = caught.value.errors
    assert (err.row, err.column, err.value) == (2, "id", "x-1")
    assert "already a stored Compound" in err.expected


def test_a_link_whose_ends_are_of_the_wrong_kinds_is_a_row_error(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    nodes = write_csv(tmp_path / "Building.csv", ["id", "name"], [["b1", "1"], ["b2", "2"]])
    links = write_csv(tmp_path / "PART_OF.csv", ["source_id", "target_id"], [["b1", "b2"]])
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [nodes, links]))
    [err] = caught.value.errors
    assert err.value == "Building b1 -> Building b2"
    assert "Building->Compound" in err.expected


# --- CSV --------------------------------------------------------------------------------------
CSV_ROWS = [["cmp-yby", "云北苑小区", "是", "1998", "420"], ["cmp-2", "示例小区", "否", "", ""]]


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        (["编号", "名称", "老旧小区", "建成年份", "户数"], "utf-8"),
        (["id", "name", "is_old", "built_year", "households"], "utf-8"),
        (
            ["编号 id", "名称 name", "老旧小区 is_old", "建成年份 built_year", "户数 households"],
            "utf-8-sig",
        ),
    ],
    ids=["chinese", "english", "combined-with-bom"],
)
def test_csv_with_chinese_or_english_headers_and_bom(
    store: GraphStore, run: Run, tmp_path: Path, header: list[str], encoding: str
) -> None:
    path = write_csv(tmp_path / "小区.csv", header, CSV_ROWS, encoding)
    report = run(import_files(store, [path]))
    assert report.nodes_written == 2
    nodes = run(store.get_nodes(["cmp-yby", "cmp-2"]))
    assert nodes["cmp-yby"].props == {
        "name": "云北苑小区",
        "is_old": True,
        "built_year": 1998,
        "households": 420,
    }
    assert nodes["cmp-2"].props == {"name": "示例小区", "is_old": False}


def test_csv_rows_short_of_cells_or_past_the_headers(tmp_path: Path) -> None:
    """A short line leaves its last cells empty; a cell past the last header, or under an empty
    one, is a mistake (most lines have one cell a header, read the quick way)."""
    path = write_csv(
        tmp_path / "Building.csv",
        ["id", "name", ""],
        [["b1", "1号楼", ""], ["b2"], ["b3", "3号楼", "x"], ["b4", "4号楼", "", "y"]],
    )
    parsed = [(p.row, p.record, [(e.column, e.value) for e in p.errors]) for p in rows_of(path)]
    assert parsed == [
        (2, Node("b1", "Building", {"name": "1号楼"}), []),
        (3, Node("b2", "Building"), []),
        (4, None, [("(no header)", "x")]),
        (5, None, [("(no header)", "y")]),
    ]


def rows_of(path: Path) -> list[ParsedRow]:
    return [p for t in read_tables(path) for p in parse_table(t)]


def test_a_kind_column_lets_one_csv_hold_several_kinds(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "data.csv",
        ["kind", "id", "name", "source_id", "target_id"],
        [
            ["Compound", "cmp-yby", "云北苑小区", "", ""],
            ["PART_OF", "", "", "bld-1", "cmp-yby"],
            ["楼栋", "bld-1", "1号楼", "", ""],
        ],
    )
    report = run(import_files(store, [path]))
    assert (report.nodes_written, report.links_written) == (2, 1)


#: a branch and its secretary, the enumerated cells in Chinese, as a clerk types them
CHINESE_ENUMS: dict[str, list[dict[str, Any]]] = {
    "PartyBranch": [{"id": "br-yby", "name": "云北苑小区党支部", "form": "单建"}],
    "Person": [{"id": "p-1", "name": "测试人员1", "gender": "女"}],
    "HOLDS_POST": [{"source_id": "p-1", "target_id": "br-yby", "role": "书记"}],
    "MEMBER_OF": [
        {"source_id": "p-1", "target_id": "br-yby", "status": "正式", "category": "退休"}
    ],
}


def enum_files(tmp_path: Path, form: str, sheets: dict[str, list[dict[str, Any]]]) -> Path:
    """``sheets`` as one CSV file per kind (a folder) or as the filled-in template."""
    if form == "xlsx":
        return workbook(tmp_path / "ledger.xlsx", sheets)
    folder = tmp_path / "ledger"
    folder.mkdir()
    for kind, rows in sheets.items():
        header = list(rows[0])
        write_csv(folder / f"{kind}.csv", header, [[r.get(h) for h in header] for r in rows])
    return folder


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_chinese_labels_of_enum_values_import_as_the_codes(
    store: GraphStore, run: Run, tmp_path: Path, form: str
) -> None:
    run(import_files(store, [enum_files(tmp_path, form, CHINESE_ENUMS)]))
    nodes = run(store.get_nodes(["br-yby", "p-1"]))
    assert nodes["br-yby"].props["form"] == "standalone"
    assert nodes["p-1"].props["gender"] == "female"
    [post] = run(store.list_links(kind="HOLDS_POST"))
    [member] = run(store.list_links(kind="MEMBER_OF"))
    assert post.props == {"role": "secretary"}
    assert member.props == {"status": "full", "category": "retired"}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_bad_label_or_an_impossible_date_is_named_in_both_languages(
    store: GraphStore, run: Run, tmp_path: Path, form: str
) -> None:
    sheets = {kind: [dict(r) for r in rows] for kind, rows in CHINESE_ENUMS.items()}
    sheets["PartyBranch"][0].update(form="单独建", elected_on="2021-02-30")
    sheets["HOLDS_POST"][0].update(since="2021-3-1")  # a valid date, however written
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [enum_files(tmp_path, form, sheets)]))
    form_error, date_error = caught.value.errors
    where = "ledger.xlsx:PartyBranch:3" if form == "xlsx" else "PartyBranch.csv:2"
    column = "组建方式 form" if form == "xlsx" else "form"
    assert str(form_error).endswith(
        f"{where}:{column}: '单独建' — 应为以下之一 / expected one of: 单建 (standalone),"
        " 联建 (joint), 兼合式 (combined)"
    )
    assert (date_error.row, date_error.value) == (form_error.row, "2021-02-30")
    assert date_error.expected == "没有这一天 / no such day: February 2021 has 28 days"


def test_a_gbk_file_gets_a_clear_encoding_error(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "Compound.csv", ["编号", "名称"], [["c1", "云北苑小区"]], "gbk")
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [path]))
    [err] = caught.value.errors
    assert err.file == str(path)
    assert "UTF-8" in err.expected and "GBK" in err.expected and "CSV UTF-8" in err.expected
    assert run(store.counts()).nodes == {}


def test_a_truncated_json_file_gets_a_clear_error(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    text = json.dumps(
        {"nodes": [{"id": "c1", "kind": "Compound", "props": {"name": "云北苑小区"}}]}
    )
    path = tmp_path / "graph.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [path]))
    [err] = caught.value.errors
    assert "ends in the middle" in err.expected
    assert str(err).startswith(f"{path}:1:")


def test_missing_and_unsupported_files_are_reported_with_the_rest(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    bad = write_csv(tmp_path / "Building.csv", ["id", "name"], [["b 1", "x"]])
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(DataImportError) as caught:
        run(import_files(store, [tmp_path / "absent.csv", bad, other]))
    assert [e.file for e in caught.value.errors] == [
        str(tmp_path / "absent.csv"),
        str(bad),
        str(other),
    ]


# --- skip_invalid, rejects and errors files ---------------------------------------------------
def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_skip_invalid_writes_the_valid_rows_and_a_rejects_file(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "mistakes.xlsx", mistaken_sheets())
    rejects, errors = tmp_path / "rejects.csv", tmp_path / "errors.csv"
    report = run(
        import_files(store, [path], skip_invalid=True, rejects_path=rejects, errors_path=errors)
    )
    # left out: the duplicate building, the branch, the person, the station, the PART_OF row
    # to an unknown building, and HOLDS_POST (its ends' rows were left out)
    assert report.rows_rejected == 6
    assert run(store.counts()).nodes == {"Building": 1, "Compound": 1}
    assert run(store.counts()).links == {"PART_OF": 1}
    assert run(store.get_nodes(["bld-1"]))["bld-1"].props == {"name": "1号楼"}  # the first row

    rows = read_csv(rejects)
    assert rows[0] == list(ERROR_COLUMNS)
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("Building", "4", "编号 id"),
        ("Person", "3", "姓名 name"),
        ("PartyBranch", "3", "组建方式 form"),
        ("PartyBranch", "3", "换届日期 elected_on"),
        ("ServiceStation", "3", "类型 station_type"),
        ("PART_OF", "4", "起点 source_id"),
        ("HOLDS_POST", "3", "起点 source_id"),
        ("HOLDS_POST", "3", "终点 target_id"),
    ]
    assert rows[2][4].startswith("'=HYPERLINK")  # the formula is disarmed in the report too
    assert read_csv(errors) == rows
    assert report.errors and not report.ok


def test_an_errors_file_is_written_when_the_import_is_refused(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "Building.csv", ["id", "name"], [["b1", "x"], ["b1", "y"]])
    errors = tmp_path / "errors.csv"
    with pytest.raises(DataImportError):
        run(import_files(store, [path], errors_path=errors))
    assert read_csv(errors)[1][:4] == [str(path), "", "3", "id"]


# --- batches ----------------------------------------------------------------------------------
def test_big_imports_go_in_batches_with_the_same_result_and_are_idempotent(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "Building.csv", ["id", "name"], [[f"bld-{i:02d}", f"{i}号楼"] for i in range(10)]
    )
    cmp = write_csv(tmp_path / "Compound.csv", ["id", "name"], [["cmp-yby", "云北苑小区"]])
    links = write_csv(
        tmp_path / "PART_OF.csv",
        ["source_id", "target_id"],
        [[f"bld-{i:02d}", "cmp-yby"] for i in range(10)],
    )
    seen: list[Progress] = []
    report: ImportReport = run(
        import_files(store, [path, cmp, links], batch_size=4, progress=seen.append)
    )
    assert not report.atomic
    assert report.batches == 6  # 11 nodes in 3 batches, then 10 links in 3
    assert (report.nodes_written, report.links_written) == (11, 10)
    assert seen[-1] == Progress("write", 21, 21)
    assert {p.phase for p in seen} == {"check", "links", "write"}

    first = graph_data(store, run)
    run(import_files(store, [path, cmp, links], batch_size=4))
    assert graph_data(store, run) == first
    run(store.clear())
    run(import_files(store, [path, cmp, links]))  # one batch: the same graph
    assert graph_data(store, run) == first


def test_an_import_that_fits_one_batch_is_one_write(
    store: GraphStore, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[WriteBatch] = []
    apply = store.apply_checked

    async def counting(batch: WriteBatch) -> WriteResult:
        batches.append(batch)
        return await apply(batch)

    monkeypatch.setattr(store, "apply_checked", counting)
    path = workbook(tmp_path / "good.xlsx", good_sheets())
    run(import_files(store, [path], batch_size=9))
    assert [(len(b.nodes), len(b.links)) for b in batches] == [(6, 3)]


# --- parsing once, within a memory budget ----------------------------------------------------
def counted_tables(sheets: dict[str, list[dict[str, Any]]]) -> tuple[list[Table], Counter[str]]:
    """One table per sheet, counting how often each is opened (parsed from the start)."""
    opened: Counter[str] = Counter()

    def opener(kind: str, rows: list[dict[str, Any]]) -> Callable[[], Iterable[NumberedRow]]:
        def open_() -> Iterable[NumberedRow]:
            opened[kind] += 1
            return numbered(rows)

        return open_

    tables = [Table("book.xlsx", k, k, opener(k, rows)) for k, rows in sheets.items()]
    return tables, opened


@pytest.mark.parametrize(
    ("keep_rows", "opens"),
    [
        (1_000_000, {"Compound": 1, "Building": 1, "PART_OF": 1}),  # all kept: parsed once
        (3, {"Compound": 1, "Building": 1, "PART_OF": 3}),  # the links do not fit: re-read
        # nothing kept: every pass reads, and the node tables once more, to count whether the
        # import fits one transaction (at most a batch of rows)
        (0, {"Compound": 3, "Building": 3, "PART_OF": 3}),
    ],
)
def test_rows_are_parsed_once_when_they_fit_the_budget_and_read_again_when_not(
    store: GraphStore, run: Run, keep_rows: int, opens: dict[str, int]
) -> None:
    sheets = {k: good_sheets()[k] for k in ("Compound", "Building", "PART_OF")}
    tables, opened = counted_tables(sheets)
    # batch_size 2: three batches, so the write pass streams the tables again
    report = run(import_tables(store, tables, batch_size=2, keep_rows=keep_rows))
    assert dict(opened) == opens
    assert (report.nodes_written, report.links_written, report.batches) == (3, 2, 3)
    assert graph_data(store, run) == (
        node_rows([node("Compound", "cmp-yby", name="云北苑小区", is_old=True, households=420)])
        | node_rows(
            [node("Building", "bld-1", name="1号楼"), node("Building", "bld-2", name="2号楼")]
        ),
        link_rows([link("PART_OF", "bld-1", "cmp-yby"), link("PART_OF", "bld-2", "cmp-yby")]),
    )


@pytest.mark.parametrize("keep_rows", [0, 4])
def test_the_budget_changes_neither_the_errors_nor_what_is_written(
    store: GraphStore, run: Run, tmp_path: Path, keep_rows: int
) -> None:
    path = workbook(tmp_path / "mistakes.xlsx", mistaken_sheets())
    kept = run(import_files(store, [path], skip_invalid=True, batch_size=3))
    written = graph_data(store, run)
    run(store.clear())
    reread = run(import_files(store, [path], skip_invalid=True, batch_size=3, keep_rows=keep_rows))
    assert [str(e) for e in reread.errors] == [str(e) for e in kept.errors]
    assert len(kept.errors) == 8
    assert graph_data(store, run) == written
    assert (reread.rows_rejected, reread.batches) == (kept.rows_rejected, kept.batches)


# --- the command line -------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(tmp_path / "g.jsonl"))
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A bare app holding only the data commands."""

    register(app)
    return app


def test_cli_import_prints_one_line_per_error_and_a_summary(
    cli: typer.Typer, tmp_path: Path
) -> None:
    bad = workbook(tmp_path / "mistakes.xlsx", mistaken_sheets())
    r = CliRunner().invoke(cli, ["import", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:PartyBranch:3:组建方式 form: 'independent' — 应为以下之一" in r.output
    assert "6 problem(s) found; nothing was imported" in r.output

    good = workbook(tmp_path / "good.xlsx", good_sheets())
    errors = tmp_path / "errors.csv"
    r = CliRunner().invoke(cli, ["import", str(good), "--errors", str(errors), "--batch-size", "3"])
    assert r.exit_code == 0, r.output
    assert "9 rows read; 6 nodes and 3 links written in 3 batches" in r.output
    assert read_csv(errors) == [list(ERROR_COLUMNS)]

    rejects = tmp_path / "rejects.csv"
    r = CliRunner().invoke(cli, ["import", str(bad), "--skip-invalid", "--rejects", str(rejects)])
    assert r.exit_code == 0, r.output
    # the good workbook stored p-1 and br-yby, so HOLDS_POST to them is fine this time
    assert "5 row(s) left out" in r.output
    assert len(read_csv(rejects)) == 7


def test_cli_template_writes_a_workbook(cli: typer.Typer, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["template", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 0, r.output
    assert "Compound" in openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames
