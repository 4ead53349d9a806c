"""Parsing rows into records (loaders/rows.py): pure, no files and no store."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgraph.graph.errors import Problem
from govgraph.graph.model import Link, Node, check_link, check_node
from govgraph.graph.ontology import (
    CHOICE_LABELS_ZH,
    LINK_KINDS,
    NODE_KINDS,
    LinkKind,
    NodeKind,
    Prop,
    link_props,
    node_props,
)
from govgraph.loaders.cells import (
    MAX_CELL_CHARS,
    BadCellError,
    clean_text,
    escape_formula,
    norm,
    resolve_choice,
    typed_value,
    unescape_formula,
)
from govgraph.loaders.rows import (
    ImportIndex,
    ParsedRow,
    RowError,
    _aliases,
    columns,
    endpoint_errors,
    layout,
    numbered,
    parse_rows,
    resolve_header,
    resolve_kind,
)

ALL_KINDS: list[NodeKind | LinkKind] = [*NODE_KINDS.values(), *LINK_KINDS.values()]
D = dt.date


def parse(rows: list[dict[str, Any]], kind: str | None, **kw: Any) -> list[ParsedRow]:
    return list(parse_rows(numbered(rows), kind=kind, file="t.csv", **kw))


def where(parsed: list[ParsedRow]) -> list[tuple[int, str]]:
    """(row, column) of every error, in order."""
    return [(e.row, e.column) for p in parsed for e in p.errors]


# --- headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        ("id", "name", "households", "is_old"),  # English
        ("编号", "名称", "户数", "老旧小区"),  # Chinese labels
        ("编号 id", "名称 name", "户数 households", "老旧小区 is_old"),  # the template's headers
        ("ID", " Name ", "HOUSEHOLDS", "Is_Old"),  # case and spaces
    ],
)
def test_english_chinese_and_combined_headers_read_the_same(headers: tuple[str, ...]) -> None:
    row = dict(zip(headers, ("cmp-1", "云北苑小区", "420", "是"), strict=True))
    [p] = parse([row], "Compound")
    assert p.errors == ()
    assert p.record == Node(
        "cmp-1", "Compound", {"name": "云北苑小区", "households": 420, "is_old": True}
    )


def test_full_width_brackets_in_a_label_are_accepted() -> None:
    assert resolve_header("Compound", "治理投入（元）") == "investment_yuan"
    assert resolve_header("Compound", "治理投入(元) investment_yuan") == "investment_yuan"


def test_every_kind_has_unambiguous_headers() -> None:
    """No two columns of a kind share a header, so every header names one field."""
    for kind in (*NODE_KINDS, *LINK_KINDS):
        seen: dict[str, str] = {}
        for col in columns(kind):
            for alias in (norm(col.field), norm(col.label_zh)):
                assert seen.setdefault(alias, col.field) == col.field, (kind, alias)
            assert resolve_header(kind, col.header) == col.field
        assert set(_aliases(kind).values()) == {c.field for c in columns(kind)} | {"kind"}


def test_kinds_resolve_from_english_or_chinese_names() -> None:
    for kind in ALL_KINDS:
        assert resolve_kind(kind.name) == kind.name
        assert resolve_kind(kind.label_zh) == kind.name
        assert resolve_kind(f"{kind.label_zh} {kind.name}") == kind.name
    assert resolve_kind("nodes") is None


def test_link_source_means_provenance_unless_it_names_the_ends() -> None:
    with_ids = layout("HOLDS_POST", ["source_id", "target_id", "role", "source"])
    assert with_ids.fields["source"] == "source"  # provenance (来源)
    edge_list = layout("HOLDS_POST", ["Source", "Target", "role", "来源"])
    assert edge_list.fields == {
        "Source": "source_id",
        "Target": "target_id",
        "role": "role",
        "来源": "source",
    }


def test_an_unknown_column_is_reported_once_and_refuses_every_row() -> None:
    rows = [{"id": f"b{i}", "name": "1号楼", "colour": "red"} for i in range(3)]
    parsed = parse(rows, "Building")
    assert where(parsed) == [(1, "colour")]
    assert "名称 name" in parsed[0].errors[0].expected  # says which columns there are
    assert all(p.record is None for p in parsed)


def test_two_columns_for_one_field_are_a_header_error() -> None:
    parsed = parse([{"name": "a", "名称": "b", "id": "x"}], "Building")
    assert where(parsed) == [(1, "名称")]
    assert "one column per field" in parsed[0].errors[0].expected


def test_a_missing_id_column_is_reported_once() -> None:
    parsed = parse([{"name": "a"}, {"name": "b"}], "Building")
    assert [e.expected for p in parsed for e in p.errors] == [
        "an 'id' (编号) column in a table of nodes"
    ]
    assert all(p.record is None for p in parsed)


# --- cells ------------------------------------------------------------------------------------
def test_every_mistake_in_a_row_is_reported_in_column_order() -> None:
    row = {
        "编号": "br 1",
        "名称": "=HYPERLINK(1)",
        "组建方式": "independent",
        "换届日期": "2021-02-30",
        "任期(年)": "five",
    }
    [p] = parse([row], "PartyBranch")
    assert where([p]) == [
        (2, "编号"),
        (2, "名称"),
        (2, "组建方式"),
        (2, "换届日期"),
        (2, "任期(年)"),
    ]
    messages = [e.expected for e in p.errors]
    assert "without spaces" in messages[0]
    assert "formula" in messages[1]
    assert (
        messages[2]
        == "应为以下之一 / expected one of: 单建 (standalone), 联建 (joint), 兼合式 (combined)"
    )
    assert messages[3] == "没有这一天 / no such day: February 2021 has 28 days"
    assert messages[4] == "a whole number"
    assert p.record is None
    assert p.ref is None  # the id itself is unusable


def test_a_missing_required_value_names_the_column() -> None:
    [p] = parse(
        [{"编号 id": "st-1", "名称 name": "服务站", "类型 station_type": ""}], "ServiceStation"
    )
    [err] = p.errors
    assert (err.column, err.value) == ("类型 station_type", None)
    assert "required" in err.expected
    assert str(err) == "t.csv:2:类型 station_type: (empty) — expected a value (str, required)"
    assert p.ref == Node("st-1", "ServiceStation")  # identity kept for duplicate checks


def test_enormous_cells_are_refused_with_a_short_message() -> None:
    big = "字" * (MAX_CELL_CHARS + 1)
    [p] = parse([{"id": "b1", "name": big}], "Building")
    [err] = p.errors
    assert f"at most {MAX_CELL_CHARS} characters" in err.expected
    assert len(str(err)) < 300
    [small] = parse([{"id": "b1", "name": "x" * 20}], "Building", max_cell=10)
    assert small.record is None


def test_formulas_are_errors_but_escaped_text_and_signs_are_values() -> None:
    rows = [
        {"id": "p1", "name": "=1+1"},
        {"id": "p2", "name": "'=1+1", "phone": "+86 100 0000 0001"},
        {"id": "p3", "name": " =cmd|' /C calc'!A0"},
    ]
    p1, p2, p3 = parse(rows, "Person")
    assert [e.column for e in p1.errors] == ["name"]
    assert p2.record == Node("p2", "Person", {"name": "=1+1", "phone": "+86 100 0000 0001"})
    assert p3.record is None


def test_formulas_in_json_sources_are_plain_text() -> None:
    """Only spreadsheets evaluate formulas; JSON and snapshots keep text as it is."""
    [p] = parse([{"id": "p1", "kind": "Person", "name": "=1+1"}], None, spreadsheet=False)
    assert p.record == Node("p1", "Person", {"name": "=1+1"})


@pytest.mark.parametrize(
    "value",
    ["2021-03-01", "2021/3/1", "2021.03.01", "2021年3月1日", "2021-03-01 00:00:00", D(2021, 3, 1)],
)
def test_common_date_forms_are_read(value: Any) -> None:
    row = {"source_id": "p1", "target_id": "b1", "role": "secretary", "since": value}
    [p] = parse([row], "HOLDS_POST")
    assert isinstance(p.record, Link)
    assert p.record.since == D(2021, 3, 1)


def test_spreadsheet_numbers_become_text_and_ids() -> None:
    row = {"id": 1001, "name": "测试物业", "credit_code": 91140600.0}
    [p] = parse([row], "PropertyCompany")
    assert p.record == Node(
        "1001", "PropertyCompany", {"name": "测试物业", "credit_code": "91140600"}
    )


def test_enum_values_are_matched_without_regard_to_case() -> None:
    row = {"source_id": "p1", "target_id": "b1", "role": " Secretary "}
    [p] = parse([row], "HOLDS_POST")
    assert isinstance(p.record, Link)
    assert p.record.props["role"] == "secretary"


ENUM_PROPS: list[tuple[str, Prop]] = [
    (k.name, p)
    for k in ALL_KINDS
    for p in (node_props(k) if isinstance(k, NodeKind) else link_props(k))
    if p.choices
]


@pytest.mark.parametrize(("kind", "prop"), ENUM_PROPS, ids=lambda x: getattr(x, "name", x))
def test_every_enum_value_has_one_chinese_label_read_back_as_its_code(
    kind: str, prop: Prop
) -> None:
    labels = [CHOICE_LABELS_ZH[c] for c in prop.choices]  # a KeyError names a missing one
    assert len(set(labels)) == len(labels)  # each label names one code
    assert not set(labels) & set(prop.choices)  # and no label is another value's code
    for code, label in zip(prop.choices, labels, strict=True):
        assert resolve_choice(prop.choices, code) == code
        assert resolve_choice(prop.choices, label) == code
        assert resolve_choice(prop.choices, f"{label} ({code})") == code
    assert resolve_choice(prop.choices, "nonsense") is None


def test_a_row_of_chinese_labels_imports_as_the_codes() -> None:
    branch = {"编号": "br-1", "组建方式": "单建"}
    post = {"起点": "p1", "终点": "br-1", "职务": "书记"}
    member = {"起点": "p1", "终点": "br-1", "党员状态": "预备", "党员类别": "在职"}
    [b] = parse([branch], "PartyBranch")
    [p] = parse([post], "HOLDS_POST")
    [m] = parse([member], "MEMBER_OF")
    assert b.record == Node("br-1", "PartyBranch", {"form": "standalone"})
    assert p.record == Link("HOLDS_POST", "p1", "br-1", {"role": "secretary"})
    assert m.record == Link(
        "MEMBER_OF", "p1", "br-1", {"status": "probationary", "category": "in_service"}
    )


def test_a_bad_enum_value_is_named_with_labels_and_codes() -> None:
    [p] = parse([{"起点": "p1", "终点": "b1", "职务": "书计"}], "HOLDS_POST")
    [err] = p.errors
    assert err.expected.startswith(
        "应为以下之一 / expected one of: 书记 (secretary), 副书记 (deputy_secretary), "
    )
    assert str(err).startswith("t.csv:2:职务: '书计' — 应为以下之一 / expected one of: 书记")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30", "没有这一天 / no such day: February 2021 has 28 days"),
        ("2020年2月30日", "没有这一天 / no such day: February 2020 has 29 days"),
        ("2021/4/31", "没有这一天 / no such day: April 2021 has 30 days"),
        ("2021-13-01", "没有这个月 / no such month: 13 (months run from 1 to 12)"),
        ("2021-03-x", "a date YYYY-MM-DD"),  # not a date at all: the format is what is wrong
    ],
)
def test_an_impossible_date_says_what_is_wrong_with_it(value: str, message: str) -> None:
    [p] = parse([{"编号": "br-1", "换届日期": value}], "PartyBranch")
    assert [(e.column, e.value, e.expected) for e in p.errors] == [("换届日期", value, message)]


def test_a_link_row_keeps_its_identity_when_a_property_is_wrong() -> None:
    row = {"起点": "p1", "终点": "b1", "职务": "boss", "键": "2023"}
    [p] = parse([row], "HOLDS_POST")
    assert p.record is None
    assert p.ref == Link("HOLDS_POST", "p1", "b1", {}, "2023")
    assert where([p]) == [(2, "职务")]


def test_until_before_since_is_an_error() -> None:
    row = {"source_id": "p1", "target_id": "b1", "role": "member", "since": "2022-01-01"}
    row["until"] = "2021-01-01"
    [p] = parse([row], "HOLDS_POST")
    assert [(e.column, e.expected) for e in p.errors] == [
        ("until", "a date on or after since (2022-01-01)")
    ]


# --- tables with a kind column ----------------------------------------------------------------
def test_a_kind_column_mixes_kinds_and_other_kinds_columns_must_be_empty() -> None:
    rows = [
        {"kind": "小区", "id": "c1", "name": "云北苑小区", "role": "", "source_id": ""},
        {"kind": "HOLDS_POST", "id": "", "source_id": "p1", "target_id": "b1", "role": "chair"},
        {"kind": "Building", "id": "b1", "name": "1号楼", "role": "chair"},
        {"kind": "Nonsense", "id": "x"},
        {"kind": "", "id": "y"},
    ]
    parsed = parse(rows, None)
    assert parsed[0].record == Node("c1", "Compound", {"name": "云北苑小区"})
    assert parsed[1].record == Link("HOLDS_POST", "p1", "b1", {"role": "chair"})
    assert where(parsed[2:]) == [(4, "role"), (5, "kind"), (6, "kind")]
    assert parsed[2].errors[0].expected == "empty: not a column of Building"


def test_a_table_without_kind_says_how_to_name_one() -> None:
    parsed = parse([{"id": "x", "name": "y"}], None)
    [err] = [e for p in parsed for e in p.errors]
    assert "'kind'" in err.expected
    assert "Compound.csv" in err.expected


def test_a_kind_cell_that_contradicts_the_sheet_is_an_error() -> None:
    [p] = parse([{"kind": "Building", "id": "c1", "name": "x"}], "Compound")
    assert [(e.column, e.expected) for e in p.errors] == [("kind", "Compound (or empty)")]


def test_parsing_is_lazy() -> None:
    """Rows are parsed one at a time: an endless source yields its first record at once."""

    def endless() -> Iterator[tuple[int, dict[str, Any]]]:
        for i in itertools.count(2):
            yield i, {"id": f"b{i}", "name": "楼"}

    first = next(parse_rows(endless(), kind="Building"))
    assert first.record == Node("b2", "Building", {"name": "楼"})


# --- across rows ------------------------------------------------------------------------------
# --- the model's checks, value by value ------------------------------------------------------
#: cells of every sort a property may be given: good and bad text, numbers, dates, yes/no,
#: choices by code and label, and what spreadsheets and JSON put in cells
CELLS: list[Any] = [
    "云北苑", "x\x01y", "x\ud800", "  spaced  ", "'=escaped", "=A1", "", "12", " 12 ", "-3",
    "1_000", "12.5", "1e3", "nan", "inf", "9" * 25, "１２", "2021-03-01", "2021/3/1",
    "2021年3月1日", "2021-02-30", "1899-12-31", "2300-01-01", "2021-03-01 00:00", "20210301",
    "是", "否", "yes", "maybe", "secretary", "书记", "书记 (secretary)", "boss", 1, 0, 12.0, 12.5,
    True, float("nan"), 2**70, D(2021, 3, 1), D(1800, 1, 1), dt.datetime(2021, 3, 1, 5),
    "2019-05-05", "2022-12-31",
]  # fmt: skip


def _as_the_model_checks(
    kind: str, cells: dict[str, Any], spreadsheet: bool
) -> tuple[dict[str, Any] | None, list[tuple[str, Any, str]]]:
    """The record's properties and the property errors (field, value, expected) as the parser
    found them when it built a record of the typed values for ``check_node``/``check_link``."""
    declared = node_props(NODE_KINDS[kind]) if kind in NODE_KINDS else link_props(LINK_KINDS[kind])
    props: dict[str, Any] = {}
    unusable: set[str] = set()
    errors: list[tuple[str, Any, str]] = []
    for p in declared:
        try:
            v = clean_text(cells.get(p.name), spreadsheet, MAX_CELL_CHARS)
            if v is not None:
                props[p.name] = typed_value(p, v, spreadsheet)
        except BadCellError as bad:
            errors.append((p.name, "(spoilt)", bad.expected))
            unusable.add(p.name)
    problems: list[Problem] = []
    if kind in NODE_KINDS:
        clean: Node | Link | None = check_node(Node("x", kind, props), problems)
    else:
        clean = check_link(Link(kind, "s", "t", props), problems)
    for pr in problems:
        if not (pr.value is None and pr.field in unusable):
            errors.append((pr.field, pr.value, pr.expected))
    failed = unusable | {pr.field for pr in problems}
    return (dict(clean.props) if clean is not None and not failed else None), errors


@given(
    st.sampled_from([k.name for k in ALL_KINDS]),
    st.data(),
    st.booleans(),
)
def test_each_value_is_checked_as_check_node_and_check_link_check_a_record(
    kind: str, data: st.DataObject, spreadsheet: bool
) -> None:
    """The parser checks values one by one, not by building a record for ``check_node`` or
    ``check_link``: it must come to what they say, value for value."""
    declared = node_props(NODE_KINDS[kind]) if kind in NODE_KINDS else link_props(LINK_KINDS[kind])
    cells = {p.name: data.draw(st.sampled_from(CELLS)) for p in declared}
    ends = {"id": "x"} if kind in NODE_KINDS else {"source_id": "s", "target_id": "t"}
    [p] = parse([{**ends, **cells}], kind, spreadsheet=spreadsheet)
    props, errors = _as_the_model_checks(kind, cells, spreadsheet)
    # a spoilt cell is shown cut short in its error: compare where and why, not the value
    spoilt = {f for f, v, _ in errors if v == "(spoilt)"}
    got = [(e.column, "(spoilt)" if e.column in spoilt else e.value, e.expected) for e in p.errors]
    assert sorted(map(repr, got)) == sorted(map(repr, errors))
    assert (dict(p.record.props) if p.record is not None else None) == props


def test_a_text_met_again_is_read_the_same_and_a_mistake_again_is_reported_again() -> None:
    rows = [{"编号": f"br-{i}", "换届日期": "2021年3月1日", "任期(年)": "x"} for i in range(3)]
    parsed = parse(rows, "PartyBranch")
    assert [e.expected for p in parsed for e in p.errors] == ["a whole number"] * 3
    good = parse([{"编号": f"br-{i}", "换届日期": "2021年3月1日"} for i in range(3)], "PartyBranch")
    assert [p.record.props["elected_on"] for p in good if p.record] == [D(2021, 3, 1)] * 3


def test_a_valid_rows_ref_is_its_record_and_a_refused_rows_ref_only_names_it() -> None:
    [valid] = parse([{"id": "b1", "name": "1号楼"}], "Building")
    assert valid.ref is valid.record
    # refused for a cell outside its columns: the record is dropped, the identity kept
    [stray] = parse([{"id": "b1", "name": "1号楼", "": "x"}], "Building")
    assert stray.record is None
    assert stray.ref == Node("b1", "Building")
    [link] = parse([{"起点": "p1", "终点": "b1", "职务": "书记", "": "x"}], "HOLDS_POST")
    assert link.record is None
    assert link.ref == Link("HOLDS_POST", "p1", "b1")


def test_the_index_reports_duplicate_node_and_link_ids() -> None:
    rows_n = parse([{"id": "b1", "name": "a"}, {"id": "b1", "name": "b"}], "Building")
    rows_l = parse(
        [
            {"source_id": "p1", "target_id": "b1", "role": "member"},
            {"source_id": "p1", "target_id": "b1", "role": "chair"},
            {"source_id": "p1", "target_id": "b1", "role": "chair", "key": "2"},
        ],
        "HOLDS_POST",
    )
    index = ImportIndex()
    errors = [e for p in rows_n for e in index.register(0, p)]
    errors += [e for p in rows_l for e in index.register(1, p)]
    assert [(e.row, e.column) for e in errors] == [(3, "id"), (3, "target_id")]
    assert "t.csv:2" in errors[0].expected
    assert "own key" in errors[1].expected
    assert set(index.nodes) == {"b1"}
    assert index.endpoints == {"p1", "b1"}


def test_endpoints_must_exist_and_fit_the_link_kind() -> None:
    kinds = {"p1": "Person", "b1": "PartyBranch", "c1": "Compound"}
    rows = parse(
        [
            {"source_id": "p1", "target_id": "b1", "role": "member"},
            {"source_id": "p9", "target_id": "b1", "role": "member"},
            {"source_id": "p1", "target_id": "c1", "role": "member"},
        ],
        "HOLDS_POST",
    )
    assert [endpoint_errors(p, kinds.get) for p in rows[:1]] == [[]]
    [missing] = endpoint_errors(rows[1], kinds.get)
    assert (missing.column, missing.value) == ("source_id", "p9")
    [wrong] = endpoint_errors(rows[2], kinds.get)
    assert wrong.value == "Person p1 -> Compound c1"
    assert "Person->PartyBranch" in wrong.expected
    [gone] = endpoint_errors(rows[0], kinds.get, withdrawn=lambda i: i == "b1")
    assert gone.column == "target_id"
    assert "own row is invalid" in gone.expected


def test_row_errors_print_as_file_sheet_row_column() -> None:
    e = RowError("g.xlsx", "Compound", 4, "户数", "x", "a whole number")
    assert str(e) == "g.xlsx:Compound:4:户数: 'x' — expected a whole number"
    assert (
        str(RowError("a.csv", "", 0, "", None, "UTF-8 text"))
        == "a.csv: (empty) — expected UTF-8 text"
    )


@given(st.text())
def test_formula_escaping_round_trips_and_disarms(text: str) -> None:
    escaped = escape_formula(text)
    assert unescape_formula(escaped) == text
    assert escaped[:1] not in ("=", "+", "-", "@")


@pytest.mark.parametrize("name", ["govgraph.loaders.cells", "govgraph.loaders.rows"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
