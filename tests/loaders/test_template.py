"""The Excel template (loaders/template.py): derived from the ontology, read back on import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from govgraph.graph.model import Link, Node
from govgraph.graph.ontology import (
    CHOICE_LABELS_ZH,
    LINK_KINDS,
    NODE_KINDS,
    LinkKind,
    NodeKind,
    PropType,
)
from govgraph.loaders.readers import read_tables
from govgraph.loaders.rows import (
    HELP_PREFIX,
    LISTS_SHEET,
    README_SHEET,
    columns,
    layout,
    parse_table,
)
from govgraph.loaders.template import choices_markdown, formats_markdown, write_template

ALL_KINDS: list[NodeKind | LinkKind] = [*NODE_KINDS.values(), *LINK_KINDS.values()]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


@pytest.fixture(scope="module")
def book(template: Path) -> Any:
    return openpyxl.load_workbook(template)


def test_one_sheet_per_kind_plus_readme_and_lists(book: Any) -> None:
    assert book.sheetnames == [README_SHEET, LISTS_SHEET, *NODE_KINDS, *LINK_KINDS]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert all(len(name) <= 31 for name in book.sheetnames)  # Excel's limit


def test_headers_are_chinese_and_english_and_read_back_to_the_fields(book: Any) -> None:
    for kind in (*NODE_KINDS, *LINK_KINDS):
        headers = [c.value for c in book[kind][1]]
        assert headers == [c.header for c in columns(kind)]
        lay = layout(kind, headers)
        assert list(lay.fields.values()) == [c.field for c in columns(kind)]
        assert not (lay.unknown or lay.foreign or lay.duplicates)
    assert [c.value for c in book["Compound"][1]][:3] == ["编号 id", "名称 name", "老旧小区 is_old"]
    assert [c.value for c in book["HOLDS_POST"][1]][:4] == [
        "起点 source_id",
        "终点 target_id",
        "键 key",
        "职务 role",
    ]


def help_row(book: Any, kind: str) -> dict[str, str]:
    """Header -> help text of one sheet."""
    ws = book[kind]
    return {ws.cell(1, c.column).value: c.value for c in ws[2]}


def test_the_help_row_says_type_required_and_choices(book: Any) -> None:
    station = help_row(book, "ServiceStation")
    assert station["编号 id"].startswith(HELP_PREFIX)
    assert "必填 required" in station["类型 station_type"]
    assert "党群服务站 (station) / 服务点 (point)" in station["类型 station_type"]
    assert "可选 optional" in station["名称 name"]
    assert "YYYY-MM-DD" in help_row(book, "PartyBranch")["换届日期 elected_on"]
    assert "Person" in help_row(book, "HOLDS_POST")["起点 source_id"]
    assert help_row(book, "HOLDS_POST")["起点 source_id"].startswith(HELP_PREFIX)


def _validations(ws: Any) -> dict[str, str]:
    """Column letter -> the list a drop-down offers."""
    out: dict[str, str] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    return out


def _list_values(book: Any, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    ref = formula.split("!")[1].replace("$", "")
    return [c.value for row in book[LISTS_SHEET][ref] for c in row]


def test_enumerated_and_yes_no_columns_have_chinese_drop_down_lists(book: Any) -> None:
    for kind in (*NODE_KINDS, *LINK_KINDS):
        ws = book[kind]
        found = _validations(ws)
        for i, col in enumerate(columns(kind), start=1):
            letter = openpyxl.utils.get_column_letter(i)
            prop = col.prop
            if prop is not None and prop.choices:
                labels = [CHOICE_LABELS_ZH[c] for c in prop.choices]
                assert _list_values(book, found.pop(letter)) == labels, (kind, col)
            elif prop is not None and prop.type is PropType.BOOL:
                assert _list_values(book, found.pop(letter)) == ["是", "否"]
        assert found == {}, kind  # no drop-down on free columns
    assert _list_values(book, _validations(book["HOLDS_POST"])["D"])[:2] == ["书记", "副书记"]


def test_what_the_drop_downs_offer_imports_as_the_codes(template: Path, tmp_path: Path) -> None:
    """Every label a drop-down offers, picked in the template and imported, gives its code."""
    wb = openpyxl.load_workbook(template)
    ws = wb["HOLDS_POST"]
    roles = _list_values(wb, _validations(ws)["D"])
    for i, label in enumerate(roles):
        ws.append([f"p{i}", "br1", "", label])
    wb["PartyBranch"].append(["br1", "云北苑小区党支部", "单建", "2021-03-01"])
    wb["Compound"].append(["c1", "云北苑小区", "是"])
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    records = {
        t.sheet: [p.record for p in parse_table(t)]
        for t in read_tables(filled)
        if t.sheet in ("HOLDS_POST", "PartyBranch", "Compound")
    }
    assert [r.props["role"] for r in records["HOLDS_POST"] if isinstance(r, Link)] == list(
        LINK_KINDS["HOLDS_POST"].props[0].choices
    )
    [branch] = records["PartyBranch"]
    assert isinstance(branch, Node) and branch.props["form"] == "standalone"
    [compound] = records["Compound"]
    assert isinstance(compound, Node) and compound.props["is_old"] is True


def test_the_empty_template_imports_as_nothing(template: Path) -> None:
    tables = read_tables(template)
    assert [t.sheet for t in tables] == [*NODE_KINDS, *LINK_KINDS]
    assert all(t.kind == t.sheet for t in tables)
    assert [r for t in tables for r in parse_table(t)] == []  # the help row is skipped


def test_the_readme_names_every_kind(book: Any) -> None:
    text = "\n".join(str(c.value) for row in book[README_SHEET].iter_rows() for c in row)
    for kind in ALL_KINDS:
        assert kind.name in text and kind.label_zh in text


def test_docs_formats_table_is_current() -> None:
    """docs/formats.md embeds the generated column table; regenerate it when the ontology
    changes: ``python -c "from govgraph.loaders.template import formats_markdown as f;
    print(f())"``."""
    assert formats_markdown() in DOCS.read_text(encoding="utf-8")


def test_docs_allowed_values_table_is_current() -> None:
    """Likewise the table of enumerated values (``choices_markdown()``)."""
    assert choices_markdown() in DOCS.read_text(encoding="utf-8")
