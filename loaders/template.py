"""The Excel import template, generated from the ontology (nothing in it is listed by hand).

One sheet per node kind and per link kind, named by the kind. Row 1 holds the headers, the
Chinese label and the English name together (``名称 name``), which the importer reads back;
row 2 is a help row (type, required, allowed values as ``书记 (secretary)``) that the importer
skips; enumerated and yes/no columns get drop-down lists of the Chinese labels, which the
importer reads back as the codes. A README sheet explains the rest, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..graph.model import ID_EXPECTED
from ..graph.ontology import LINK_KINDS, NODE_KINDS, PropType, choice_label
from .cells import MAX_CELL_CHARS
from .rows import (
    HELP_PREFIX,
    KEY_COL,
    LISTS_SHEET,
    README_SHEET,
    SOURCE_COL,
    TARGET_COL,
    Column,
    columns,
)

TYPE_HELP = {
    PropType.STR: "文本 text",
    PropType.INT: "整数 whole number",
    PropType.FLOAT: "数字 number",
    PropType.BOOL: "是/否 yes/no",
    PropType.DATE: "日期 date YYYY-MM-DD",
}
#: what a yes/no drop-down offers (the importer also reads true/false)
BOOL_CHOICES = ("是", "否")
#: the last row drop-down lists reach (Excel's last row)
LAST_ROW = 1_048_576


def column_help(kind: str, col: Column) -> str:
    """The help-row text of one column: what goes in it, whether it is required, the choices."""
    if col.field == "id":
        return f"必填 required · 唯一编号 unique id: {ID_EXPECTED}"
    lk = LINK_KINDS.get(kind)
    if lk is not None and col.field in (SOURCE_COL.field, TARGET_COL.field):
        side = 0 if col.field == SOURCE_COL.field else 1
        kinds = sorted({pair[side] for pair in lk.endpoints})
        return f"必填 required · 节点编号 id of a {' / '.join(kinds)}"
    if col.field == KEY_COL.field:
        return (
            "可选 optional · 区分同一对节点之间的多条同类关系 tells apart repeated ties between"
            " the same two nodes (e.g. two terms: 2019, 2023)"
        )
    prop = col.prop
    assert prop is not None
    parts = [TYPE_HELP[prop.type], "必填 required" if prop.required else "可选 optional"]
    if prop.choices:
        named = " / ".join(f"{choice_label(c)} ({c})" for c in prop.choices)
        parts.append("可选值 one of: " + named)
    if prop.personal:
        parts.append("个人信息 personal data")
    if prop.doc:
        parts.append(prop.doc)
    return " · ".join(parts)


def kind_sheets() -> Iterator[tuple[str, str, tuple[Column, ...]]]:
    """(sheet name, Chinese label, columns) for every node kind, then every link kind."""
    for nk in NODE_KINDS.values():
        yield nk.name, nk.label_zh, columns(nk.name)
    for lk in LINK_KINDS.values():
        yield lk.name, lk.label_zh, columns(lk.name)


def drop_down(col: Column) -> tuple[str, ...]:
    """What a column's drop-down list offers: the Chinese labels of its choices, 是/否 for a
    yes/no column, nothing for a free column."""
    if col.prop is None:
        return ()
    if col.prop.type is PropType.BOOL:
        return BOOL_CHOICES
    return tuple(choice_label(c) for c in col.prop.choices)


def write_template(path: Path | str) -> Path:
    """Write an empty import workbook to ``path`` (``.xlsx``) and return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    out = Path(path)
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_refs: dict[tuple[str, ...], str] = {}

    def list_ref(choices: tuple[str, ...]) -> str:
        """A range on the hidden lists sheet (inline lists are capped at 255 characters)."""
        ref = list_refs.get(choices)
        if ref is None:
            letter = get_column_letter(len(list_refs) + 1)
            for i, choice in enumerate(choices, start=1):
                lists[f"{letter}{i}"] = choice
            ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(choices)}"
            list_refs[choices] = ref
        return ref

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    help_font = Font(italic=True, color="666666", size=9)
    wrap = Alignment(wrap_text=True, vertical="top")
    for name, _label, cols in kind_sheets():
        ws = wb.create_sheet(name)
        for i, col in enumerate(cols, start=1):
            letter = get_column_letter(i)
            head = ws.cell(row=1, column=i, value=col.header)
            head.font, head.fill = bold, header_fill
            text = column_help(name, col)
            help_cell = ws.cell(row=2, column=i, value=f"{HELP_PREFIX} {text}" if i == 1 else text)
            help_cell.font, help_cell.alignment = help_font, wrap
            ws.column_dimensions[letter].width = max(14, min(40, len(col.header) * 2))
            choices = drop_down(col)
            if choices:
                dv = DataValidation(
                    type="list",
                    formula1=f"={list_ref(choices)}",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=col.header,
                    error="请从下拉列表中选择 / one of: " + ", ".join(choices),
                )
                dv.add(f"{letter}3:{letter}{LAST_ROW}")
                ws.add_data_validation(dv)
        ws.row_dimensions[2].height = 60
        ws.freeze_panes = "A3"
    _fill_readme(readme, bold)
    wb.save(out)
    return out


def readme_lines() -> list[list[Any]]:
    """The README sheet's rows: how to fill the workbook, then every kind and its columns."""
    rows: list[list[Any]] = [
        ["governance-graph 导入模板 import template"],
        [],
        ["每个工作表对应一种节点或关系；工作表名即种类，请勿改名。"],
        ["One sheet per node kind and per link kind; the sheet name is the kind, keep it."],
        ["第1行是表头（中文名 + 英文名），第2行是说明（导入时跳过），从第3行起填写数据。"],
        ["Row 1: headers (Chinese label + English name). Row 2: help, skipped on import."],
        ["Data starts on row 3. Empty sheets and empty rows are ignored."],
        ["编号 id：稳定唯一，不含空格和 '|'。"],
        ["关系用 起点 source_id / 终点 target_id 指向节点编号。"],
        ["Ids are stable and unique, without spaces or '|'. Links name their ends by node id."],
        ["日期写作 YYYY-MM-DD（如 2021-03-01）；是/否 写 是/否（或 true/false）。"],
        ["下拉列表给出中文选项；导入时中文选项和英文代码（如 书记 或 secretary）都可以。"],
        ["Dates as YYYY-MM-DD; yes/no as 是/否 or true/false. Drop-down lists show the Chinese"],
        ["labels; the importer reads a label or its English code (书记 or secretary) alike."],
        ["单元格不能以 '=' 开头（公式不会被计算）；每格最多 " + str(MAX_CELL_CHARS) + " 个字符。"],
        [f"Cells must not start with '=' (formulas are never evaluated); at most {MAX_CELL_CHARS}"],
        ["characters per cell. A file with any invalid row imports nothing (one error per"],
        ["mistake, with sheet, row and column), unless imported with --skip-invalid."],
        ["导入命令 import: govgraph import 文件.xlsx [--skip-invalid] [--errors errors.csv]"],
        [],
        ["sheet", "中文", "columns 列"],
    ]
    for name, label, cols in kind_sheets():
        rows.append([name, label, ", ".join(c.header for c in cols)])
    rows.append([])
    rows.append(["link kind", "中文", "allowed ends 允许的起点->终点"])
    for lk in LINK_KINDS.values():
        rows.append([lk.name, lk.label_zh, ", ".join(f"{s}->{t}" for s, t in lk.endpoints)])
    return rows


def _fill_readme(ws: Any, bold: Any) -> None:
    for row in readme_lines():
        ws.append(row)
    ws["A1"].font = bold
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 120


def choices_markdown() -> str:
    """The allowed-values table of ``docs/formats.md``: every enumerated column, each value's
    Chinese label and code, generated like :func:`formats_markdown` (a test compares them)."""
    lines = ["| sheet / file | column | 中文 (code) |", "|---|---|---|"]
    for name, _label, cols in kind_sheets():
        for c in cols:
            if c.prop is not None and c.prop.choices:
                named = ", ".join(f"{choice_label(v)} (`{v}`)" for v in c.prop.choices)
                lines.append(f"| `{name}` | {c.header} | {named} |")
    return "\n".join(lines) + "\n"


def formats_markdown() -> str:
    """The column table of ``docs/formats.md``, generated so the document cannot fall behind
    the ontology (a test compares them)."""
    lines = ["| sheet / file | 中文 | columns (header: 中文 English) |", "|---|---|---|"]
    for name, label, cols in kind_sheets():
        cells = []
        for c in cols:
            required = c.field in ("id", "source_id", "target_id") or bool(
                c.prop and c.prop.required
            )
            mark = "**" if required else ""
            cells.append(f"{mark}{c.header}{mark}")
        lines.append(f"| `{name}` | {label} | {', '.join(cells)} |")
    return "\n".join(lines) + "\n"
