"""The rectification list (整改清单) of a place as an Excel workbook: one row per finding, with
who fixes it and by when, for the department to send down to the townships.

The rows are whatever findings the caller gives, as the caller's role sees them (the GraphQL
field passes a researcher's pseudonymized findings), so this module decides nothing about
who may see what; it only writes. Every text cell is formula-escaped
(:func:`~govgraph.loaders.cells.escape_formula`): names and explanations come from the data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any, Protocol

from ..graph.analytics.engine import SEVERITY_LABELS_ZH, Severity
from ..graph.analytics.rules import RULES
from .cells import escape_formula

#: the columns, in order (the title row above them names the place and the day)
HEADERS = (
    "序号",
    "问题编号",
    "规则",
    "规则名称",
    "问题对象",
    "问题说明",
    "责任主体",
    "整改期限",
    "严重程度",
    "依据",
)
WIDTHS = (6, 28, 6, 22, 24, 60, 20, 12, 10, 40)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Rectifiable(Protocol):
    """What a row needs of a finding (the engine's findings and the API's both have it)."""

    @property
    def id(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def subject_name(self) -> str | None: ...
    @property
    def explanation_zh(self) -> str: ...
    @property
    def severity(self) -> Any: ...
    @property
    def source(self) -> str: ...


def rectification_rows(findings: Iterable[Rectifiable], as_of: dt.date) -> list[list[Any]]:
    """The table's rows (without the title and headers): numbered from 1, the deadline as a
    date (``as_of`` plus the rule's :meth:`~govgraph.graph.analytics.engine.Rule.deadline_days`).

    Examples
    --------
    >>> from govgraph.graph.analytics import run_rule
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> row = rectification_rows(run_rule("P1", tiny_city(), AS_OF), AS_OF)[0]
    >>> row[2:5], row[6:9]
    (['P1', '应建未建', '示例乙小区'], ['社区党委', datetime.date(2021, 8, 29), '缺口'])
    """
    rows: list[list[Any]] = []
    for i, f in enumerate(findings, 1):
        rule = RULES[f.rule]
        severity = Severity(getattr(f.severity, "value", f.severity))
        rows.append(
            [
                i,
                f.id,
                f.rule,
                rule.title_zh,
                f.subject_name or f.subject,
                f.explanation_zh,
                rule.responsible.zh,
                as_of + dt.timedelta(days=rule.deadline_days(severity)),
                SEVERITY_LABELS_ZH[severity],
                f.source,
            ]
        )
    return rows


def rectification_workbook(
    findings: Iterable[Rectifiable], place_name: str, as_of: dt.date
) -> bytes:
    """The rectification list as ``.xlsx`` bytes: a title row naming ``place_name`` and
    ``as_of``, the Chinese headers, then :func:`rectification_rows`.

    Examples
    --------
    >>> from openpyxl import load_workbook
    >>> from govgraph.graph.analytics import run_rule
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> data = rectification_workbook(run_rule("P1", tiny_city(), AS_OF), "=示例社区", AS_OF)
    >>> ws = load_workbook(io.BytesIO(data)).active
    >>> ws["A1"].value, ws["C2"].value, ws["C3"].value, ws.max_row
    ("'=示例社区整改清单（截至2021-05-31）", '规则', 'P1', 3)
    """
    from openpyxl import Workbook  # a heavy import, needed only here
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    ws.append([escape_formula(f"{place_name}整改清单（截至{as_of.isoformat()}）")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rectification_rows(findings, as_of):
        ws.append([escape_formula(v) if isinstance(v, str) else v for v in row])
        ws.cell(ws.max_row, HEADERS.index("整改期限") + 1).number_format = "yyyy-mm-dd"
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
