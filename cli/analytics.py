"""The analytics commands of the CLI: ``gaps`` (the coverage and compliance rules) and ``ties``
(cross-appointment, multi-post holders, conflicts of interest, interlocks, brokers).

``gaps --role researcher|public`` writes what that role gets over GraphQL: a researcher the
findings of a discreet run (``graph/analytics/discreet.py``) with people as the API's pseudonyms,
the public counts only (no Party share of one compound's committee); both as of the last day of
the asked day's year (年末口径, as the API reads their ``asOf``). The department's full findings
on the day itself are the default.

Each command is thin: it opens the configured store, builds the projection, and hands it to a
pure function returning plain, JSON-ready dicts (:func:`gap_rows`, :func:`summary_rows`,
:func:`tie_rows`), which call the same :mod:`govgraph.graph.analytics` functions the GraphQL
layer calls. The command only prints the rows with rich and writes them as CSV or Excel, their
columns headed in Chinese (:data:`HEADINGS_ZH`). Without ``--as-of`` they evaluate the data as
of the latest day it records (:func:`~govgraph.graph.analytics.data_span`), not today: a ledger
is a snapshot of its own day. ``cli/main.py`` adds the commands to its app with :func:`register`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import networkx as nx
import pydantic
import typer

from ..graph.analytics import (
    RULE_SETS,
    Broker,
    Columns,
    CompoundTies,
    ConflictOfInterest,
    CoverageRow,
    DayView,
    Interlock,
    MultiPostHolder,
    Ratio,
    RuleSettings,
    Severity,
    brokers,
    conflicts_of_interest,
    coverage_summary,
    cross_appointments,
    data_span,
    interlocks,
    multi_post_holders,
    run_rules,
    uncovered_communities,
)
from ..graph.analytics.columns import build_scanned, columns_for, index_spec
from ..graph.analytics.coverage import PUBLIC_PARTY_SHARE_LEVELS, RATIOS
from ..graph.analytics.engine import FINDING_FIELDS
from ..graph.errors import ForbiddenError, GovGraphError, Problem, ValidationError
from ..graph.ontology import CHOICE_LABELS_ZH, NAME, NODE_KINDS
from ..graph.port import GraphStore
from ..graph.privacy import PERSON, Role, pseudonym, reading_day
from ..loaders.cells import escape_formula
from ..loaders.exporters import append_as_text
from .stores import StoreOpt, researcher_secret, settings_for, with_store

if TYPE_CHECKING:
    from rich.console import Console

Row = dict[str, Any]

#: the severities, most serious first (the order of every count)
SEVERITIES = tuple(s.value for s in Severity)
#: the columns of a finding in CSV and Excel (every field of ``Finding.to_dict``)
FINDING_COLUMNS = FINDING_FIELDS
#: the columns of the findings table
TABLE_COLUMNS = (
    "rule",
    "severity",
    "subject",
    "compound",
    "community",
    "township",
    "explanation_zh",
)
LEVELS = ("city", "township", "community", "compound")
#: the columns of a level's coverage table (``gaps --summary``)
COVERAGE_COLUMNS = ("place", "name", "compounds", *RATIOS, "gaps", "findings")
#: the columns of the uncovered-communities table (``gaps --summary``)
UNCOVERED_COLUMNS = (
    "rank",
    "community",
    "name",
    "township",
    "compounds",
    "compounds_with_gaps",
    "gaps",
    "findings",
    "reasons",
)
SEVERITY_STYLES = {
    "error": "bold red",
    "conflict": "magenta",
    "gap": "red",
    "warning": "yellow",
    "advice": "cyan",
}

#: the tie analyses: the function (projection, scope, top) and the dataclass of its results
TIE_ANALYSES: dict[str, tuple[Callable[[DayView, str | None, int | None], Sequence[Any]], type]] = {
    "cross": (lambda g, scope, top: cross_appointments(g, scope)[:top], CompoundTies),
    "people": (lambda g, scope, top: multi_post_holders(g, scope)[:top], MultiPostHolder),
    "conflicts": (lambda g, scope, top: conflicts_of_interest(g, scope)[:top], ConflictOfInterest),
    "interlocks": (lambda g, scope, top: interlocks(g, scope)[:top], Interlock),
    "brokers": (lambda g, scope, top: brokers(g, scope, top=top), Broker),
}


def _kind_zh(kind: str) -> str:
    return NODE_KINDS[kind].label_zh


#: the Chinese heading of every column ``gaps`` and ``ties`` print or write, by its key (the
#: field of the row); places, bodies and roles are named as the ontology names them. The
#: terminal shows the heading, CSV and Excel files show it beside the key (see :func:`write_csv`)
HEADINGS_ZH: dict[str, str] = {
    # a finding (Finding.to_dict)
    "id": "编号",
    "rule": "规则",
    "check": "检查项",
    "severity": "严重程度",
    "subject": "对象",
    "subject_kind": "对象种类",
    "subject_name": "对象名称",
    "compound": _kind_zh("Compound"),
    "community": _kind_zh("Community"),
    "township": _kind_zh("Township"),
    "city": _kind_zh("City"),
    "explanation_zh": "说明",
    "explanation_en": "说明(英文)",
    "source": "依据",
    "details": "详情",
    # a place's coverage (CoverageRow) and the uncovered communities (CommunityGaps)
    "level": "层级",
    "place": "地点",
    "name": NAME.label_zh,
    "parent": "上级",
    "compounds": "小区数",
    "branch": "党支部覆盖",
    "owners_committee": "业委会覆盖",
    "property_service": "物业服务覆盖",
    "service_station": "党群服务站点覆盖",
    "party_groups": "党小组覆盖楼栋",
    "cross_appointment": "交叉任职",
    "party_share": "业委会党员比例",
    "appeals_replied": "诉求回复",
    "gaps": "缺口",
    "findings": "问题",
    "rank": "排名",
    "compounds_with_gaps": "有缺口的小区",
    "reasons": "原因",
    # cross-appointment per compound (CompoundTies)
    "branches": _kind_zh("PartyBranch"),
    "committees": _kind_zh("OwnersCommittee"),
    "seats": "业委会席位",
    "cross_appointed": "交叉任职人员",
    "rate": "交叉任职率",
    "secretaries": CHOICE_LABELS_ZH["secretary"],
    "chairs": CHOICE_LABELS_ZH["chair"],
    "secretary_chairs": "书记兼任主任",
    # people with several posts (MultiPostHolder), conflicts of interest (ConflictOfInterest)
    "person": _kind_zh("Person"),
    "bodies": "组织数",
    "posts": "职务",
    "committee": _kind_zh("OwnersCommittee"),
    "committee_name": "业委会名称",
    "compound_name": "小区名称",
    "company": _kind_zh("PropertyCompany"),
    "company_name": "企业名称",
    "seat_role": "业委会职务",
    "job_role": "物业岗位",
    # interlocks (Interlock) and brokers (Broker)
    "a": "组织甲",
    "a_kind": "组织甲种类",
    "a_name": "组织甲名称",
    "b": "组织乙",
    "b_kind": "组织乙种类",
    "b_name": "组织乙名称",
    "shared": "共有人数",
    "people": "共有人员",
    "node": "节点",
    "kind": "种类",
    "degree": "连接数",
    "betweenness": "中介中心性",
    "constraint": "结构约束",
}


def heading(key: str) -> str:
    """The Chinese heading of a column (the key itself for a column without one)."""
    return HEADINGS_ZH.get(key, key)


AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="the evaluation day, YYYY-MM-DD (default: the latest date in the data)",
    ),
]
ScopeOpt = Annotated[
    str | None,
    typer.Option("--scope", help="a city, township, community or compound id: only under it"),
]


# --- the pure functions: a projection in, plain rows out ------------------------------------------
def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses as dicts, dates as ISO text, tuples as lists.

    Examples
    --------
    >>> plain({"on": dt.date(2021, 5, 31), "ids": ("a", "b"), "r": Ratio(1, 4)})
    {'on': '2021-05-31', 'ids': ['a', 'b'], 'r': {'count': 1, 'total': 4, 'rate': 0.25}}
    """
    if isinstance(value, Ratio):
        return {"count": value.count, "total": value.total, "rate": value.rate}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return items if isinstance(value, list | tuple) else sorted(items, key=str)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _severities(severities: Collection[str] | None) -> set[str] | None:
    if not severities:
        return None
    unknown = sorted(set(severities) - set(SEVERITIES))
    if unknown:
        raise ValidationError(
            [Problem("findings", "severity", s, "one of " + ", ".join(SEVERITIES)) for s in unknown]
        )
    return set(severities)


def _findings(
    graph: Columns | nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None,
    settings: RuleSettings | None,
    severities: Collection[str] | None,
    *,
    role: Role,
) -> list[Any]:
    wanted = _severities(severities)
    # anyone but the department is told only what follows from what they may read
    discreet = role is not Role.DEPARTMENT
    found = run_rules(graph, settings, as_of=as_of, scope=scope, discreet=discreet)
    return [f for f in found if wanted is None or Severity(f.severity).value in wanted]


def read_day(role: Role, day: dt.date, graph: Columns | nx.MultiDiGraph) -> dt.date:
    """The day ``role``'s findings and roll-ups are made on: the department's own day; anyone
    else's the end of its year, or the data's last day in the year the data ends (年末口径,
    :func:`~govgraph.graph.privacy.reading_day`, as the API reads their ``asOf``)."""
    last = None if role is Role.DEPARTMENT else data_span(graph).last
    end = reading_day(role, day, last)
    assert end is not None  # a day in, a day out
    return end


Reader = Callable[[str], str | None]


def _reader(graph: Columns | nx.MultiDiGraph, role: Role, secret: bytes) -> Reader | None:
    """How ``role`` reads an id of ``graph``: as it is (None: the department), a person's as
    the API's pseudonym for the same ``secret`` (researcher), a person's not at all (public)."""
    if role is Role.DEPARTMENT:
        return None
    if role is Role.RESEARCHER and not secret:
        raise ValueError("a researcher's rows need the pseudonym secret")
    cols = columns_for(graph)
    people = set(cols.ids_of(cols.of_kind(PERSON)))

    def read(node_id: str) -> str | None:
        if node_id not in people:
            return node_id
        return pseudonym(secret, node_id) if role is Role.RESEARCHER else None

    return read


def _finding_rows(found: Sequence[Any], read: Reader | None) -> list[Row]:
    if read is None:
        return [f.to_dict() for f in found]
    return [f.renamed(lambda i: read(i) or i).to_dict() for f in found]


def _rollups(
    graph: Columns | nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None,
    found: Sequence[Any],
    read: Reader | None,
    *,
    role: Role,
) -> dict[str, list[Row]]:
    coverage: list[CoverageRow] = coverage_summary(graph, as_of, scope, findings=found)
    ranking = uncovered_communities(columns_for(graph).day(as_of), found, scope)
    if read is not None:
        ranking = [
            replace(
                c, reasons=[replace(r, subjects=_read_all(read, r.subjects)) for r in c.reasons]
            )
            for c in ranking
        ]
    rows = [plain(r) for r in coverage]
    if role is Role.PUBLIC:  # one compound's committee is a few named people
        for row in rows:
            if row["level"] not in PUBLIC_PARTY_SHARE_LEVELS:
                row["party_share"] = None
    return {"coverage": rows, "uncovered": [plain(c) for c in ranking]}


def _read_all(read: Reader, ids: Sequence[str]) -> list[str]:
    return sorted(shown for i in ids if (shown := read(i)) is not None)


def gap_rows(
    graph: Columns | nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None = None,
    settings: RuleSettings | None = None,
    *,
    severities: Collection[str] | None = None,
    role: Role = Role.DEPARTMENT,
    secret: bytes = b"",
) -> list[Row]:
    """The findings of :func:`~govgraph.graph.analytics.run_rules` on ``graph`` (a projection,
    best with the whole history) as of ``as_of``, as ``Finding.to_dict()`` rows in run_rules'
    order; only those of ``severities`` when given. For a researcher: a discreet run as of
    :func:`read_day`, people as the pseudonyms of ``secret`` (as ``coverageGaps`` gives them);
    the public has counts only (:class:`~govgraph.graph.errors.ForbiddenError`)."""
    if role is Role.PUBLIC:
        raise ForbiddenError("the public role has counts only: use gaps --summary, without a file")
    read = _reader(graph, role, secret)
    day = read_day(role, as_of, graph)
    return _finding_rows(_findings(graph, day, scope, settings, severities, role=role), read)


def summary_rows(
    graph: Columns | nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None = None,
    settings: RuleSettings | None = None,
    *,
    severities: Collection[str] | None = None,
    role: Role = Role.DEPARTMENT,
    secret: bytes = b"",
) -> dict[str, list[Row]]:
    """The department's roll-ups of the same findings: ``coverage`` (one row per place, from
    :func:`~govgraph.graph.analytics.coverage_summary`, every ratio as count, total and rate)
    and ``uncovered`` (the :func:`~govgraph.graph.analytics.uncovered_communities` ranking).
    For another role, those of its findings as of :func:`read_day`, a reason's people as it
    reads them (pseudonyms; left out for the public), and for the public no ``party_share``
    below :data:`~govgraph.graph.analytics.coverage.PUBLIC_PARTY_SHARE_LEVELS`."""
    read = _reader(graph, role, secret)
    day = read_day(role, as_of, graph)
    found = _findings(graph, day, scope, settings, severities, role=role)
    return _rollups(graph, day, scope, found, read, role=role)


def tie_rows(
    graph: Columns | nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None = None,
    what: str = "cross",
    top: int | None = None,
) -> list[Row]:
    """One tie analysis (``cross``, ``people``, ``conflicts``, ``interlocks``, ``brokers``) on
    ``graph`` cut to ``as_of``, as plain rows in the analysis' order, the first ``top`` only
    when given. People appear by id only (the analyses never return their names)."""
    if what not in TIE_ANALYSES:
        raise ValidationError(Problem("ties", "what", what, "one of " + ", ".join(TIE_ANALYSES)))
    analysis, _ = TIE_ANALYSES[what]
    return [plain(x) for x in analysis(columns_for(graph).day(as_of), scope, top)]


def tie_columns(what: str) -> list[str]:
    """The columns of ``what``'s rows (its result dataclass's fields)."""
    return [f.name for f in dataclasses.fields(TIE_ANALYSES[what][1])]


def severity_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per severity, every severity present, most serious first."""
    out = dict.fromkeys(SEVERITIES, 0)
    for r in rows:
        out[str(r["severity"])] += 1
    return out


def load_settings(rules: str = "all", path: Path | None = None) -> RuleSettings:
    """The rule settings of ``path`` (RuleSettings JSON; the defaults without one), narrowed
    to the rule set ``rules`` (``all``, ``national``, ``local``)."""
    if rules not in RULE_SETS:
        raise ValidationError(Problem("rule set", "name", rules, "one of " + ", ".join(RULE_SETS)))
    base = RuleSettings() if path is None else RuleSettings.model_validate_json(path.read_bytes())
    chosen = RULE_SETS[rules]
    if chosen is None:
        return base
    enabled = chosen if base.enabled is None else base.enabled & chosen
    return base.model_copy(update={"enabled": enabled})


# --- printing and writing -------------------------------------------------------------------------
def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
    return " ".join(str(exc).split())


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of {text!r} is not a date (expected YYYY-MM-DD)", code=2)


def _evaluation_day(as_of: dt.date | None, history: Columns | nx.MultiDiGraph) -> dt.date:
    """``as_of``, or the latest day the data records, said on stderr: a ledger is a snapshot of
    its own day, and "as of today" would find every term overdue since."""
    if as_of is not None:
        return as_of
    last = data_span(history).last
    if last is None:
        today = dt.date.today()
        typer.echo(
            f"as of {today.isoformat()}: the data holds no date (数据中没有日期，默认取今天)",
            err=True,
        )
        return today
    typer.echo(
        f"as of {last.isoformat()}, the latest date in the data (默认取数据中的最近日期)", err=True
    )
    return last


def _cell(value: Any) -> str | int | float | bool | None:
    """A value for a CSV or Excel cell: scalars as they are, lists of scalars joined with
    ``; ``, anything nested as JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(map(str, value))
    return json.dumps(value, ensure_ascii=False)


def _shown(value: Any) -> str:
    """A value for the terminal: short floats, posts and reasons in a few words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict) and {"count", "total", "rate"} <= set(value):
        rate = value["rate"]
        return "–" if rate is None else f"{value['count']}/{value['total']} ({rate:.1%})"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys = ("body", "role", "rule", "check", "count")
        return "; ".join(" ".join(str(v[k]) for k in keys if v.get(k)) for v in value)
    out = _cell(value)
    return "" if out is None else str(out)


def write_csv(
    path: Path,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    headings: Mapping[str, str] | None = None,
) -> None:
    """``rows`` as CSV with a header row (UTF-8 with a BOM, which Excel needs for Chinese).

    With ``headings`` each header is the heading and the key, as the import template writes
    them (``严重程度 severity``): a clerk reads Chinese, a program takes the last word.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{headings[c]} {c}" if headings and c in headings else c for c in columns])
        for r in rows:
            cells = ["" if (c := _cell(r.get(k))) is None else c for k in columns]
            # names come from the data: never let a spreadsheet run one as a formula
            w.writerow([escape_formula(c) if isinstance(c, str) else c for c in cells])


def write_excel(
    path: Path,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    sheet: str,
    headings: Mapping[str, str] | None = None,
) -> None:
    """``rows`` as one sheet with a bold, frozen, filterable header row.

    With ``headings`` the headings head the sheet and the keys follow in a second, grey header
    row, which is the one filtered on: clerks read the first, programs the second.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if headings:
        ws.append([headings.get(c, c) for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
    ws.append(list(columns))
    keys = ws.max_row
    key_font = Font(color="666666") if headings else Font(bold=True)
    for cell in ws[keys]:
        cell.font = key_font
    for r in rows:
        append_as_text(ws, [_cell(r.get(k)) for k in columns])  # formulas stay text
    ws.freeze_panes = f"A{keys + 1}"
    ws.auto_filter.ref = f"A{keys}:{get_column_letter(max(len(columns), 1))}{ws.max_row}"
    wb.save(path)


def _console() -> Console:
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 200))


def _table(
    console: Console,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    styles: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(heading(c), overflow="fold")
    styles = styles or {}
    for r in rows:
        table.add_row(
            *(
                Text(_shown(r.get(c)), style=styles.get(c, {}).get(str(r.get(c)), ""))
                for c in columns
            )
        )
    console.print(table)


def _counts_line(rows: Sequence[Mapping[str, Any]], as_of: dt.date) -> str:
    counts = severity_counts(rows)
    return f"{len(rows)} finding(s) as of {as_of.isoformat()}: " + ", ".join(
        f"{s} {n}" for s, n in counts.items()
    )


def _write(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    csv_path: Path | None,
    excel_path: Path | None = None,
    sheet: str = "rows",
) -> None:
    try:
        if csv_path is not None:
            write_csv(csv_path, rows, columns, HEADINGS_ZH)
            typer.echo(f"wrote {len(rows)} row(s) to {csv_path}")
        if excel_path is not None:
            write_excel(excel_path, rows, columns, sheet, HEADINGS_ZH)
            typer.echo(f"wrote {len(rows)} row(s) to {excel_path}")
    except OSError as exc:
        _fail(_one_line(exc))


def _index(store: str | None) -> Columns:
    """The analytics index of the configured store, with the whole history (read in columns)."""

    async def read(s: GraphStore) -> Columns:
        return build_scanned(await s.scan(index_spec()))

    index: Columns = with_store(settings_for(store), read)
    return index


# --- the commands ---------------------------------------------------------------------------------
def gaps_command(
    *,
    as_of: AsOfOpt = None,
    scope: ScopeOpt = None,
    rules: Annotated[
        str, typer.Option("--rules", help="the rule set: " + ", ".join(RULE_SETS))
    ] = "all",
    settings_file: Annotated[
        Path | None,
        typer.Option("--settings", help="a RuleSettings JSON file (thresholds, enabled rules)"),
    ] = None,
    severity: Annotated[
        list[str] | None,
        typer.Option(
            "--severity", help="only these severities (repeat it): " + ", ".join(SEVERITIES)
        ),
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write every finding to this CSV file")
    ] = None,
    excel_path: Annotated[
        Path | None, typer.Option("--excel", help="write every finding to this .xlsx file")
    ] = None,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary", help="print the roll-ups per place and the uncovered communities instead"
        ),
    ] = False,
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            help="who the output is for, as the GraphQL API shows that role: department "
            "everything (the default: this command runs on the department's own machine); "
            "researcher the findings of a discreet run (no rule picking people by Party "
            "membership category; P1 and P4 count every member) with people as the API's "
            "pseudonyms (needs GOVGRAPH_PSEUDONYM_SECRET outside demo mode); public the counts "
            "only (no --csv or --excel). Both as of the last day of the day's year (年末口径)",
            case_sensitive=False,
        ),
    ] = Role.DEPARTMENT,
    store: StoreOpt = None,
) -> None:
    """Run the coverage and compliance rules and list what they find (应建未建, overdue, ...)."""
    asked = _as_of(as_of)
    if role is Role.PUBLIC and (csv_path or excel_path):
        raise typer.BadParameter(
            "the public role has counts only: no file of findings", param_hint="--role"
        )
    try:
        settings = load_settings(rules, settings_file)
    except (GovGraphError, OSError, pydantic.ValidationError) as exc:
        where = f"--settings {settings_file}: " if settings_file else ""
        _fail(where + _one_line(exc), code=2)
    secret = b""
    if role is Role.RESEARCHER:
        secret = researcher_secret(settings_for(store), "a researcher's findings")
    graph = _index(store)
    day = _evaluation_day(asked, graph)
    if (used := read_day(role, day, graph)) != day:
        day = used
        typer.echo(
            f"as of {day.isoformat()} for the {role.value} role: the end of the year, or the "
            "data's last day in its last year (年末口径，按年末计)",
            err=True,
        )
    try:
        found = _findings(graph, day, scope, settings, severity, role=role)
        read = _reader(graph, role, secret)
        rows = [] if role is Role.PUBLIC else _finding_rows(found, read)
        rollups = _rollups(graph, day, scope, found, read, role=role) if summary else None
    except GovGraphError as exc:
        _fail(_one_line(exc))
    console = _console()
    if rollups is not None:
        for level in LEVELS:
            at_level = [r for r in rollups["coverage"] if r["level"] == level]
            if at_level:
                shown = [
                    {**r, "gaps": r["findings"]["gap"], "findings": sum(r["findings"].values())}
                    for r in at_level
                ]
                title = f"Coverage by {level} as of {day.isoformat()}"
                _table(console, title, shown, COVERAGE_COLUMNS)
        _table(
            console,
            "Uncovered communities",
            [
                {**c, "compounds_with_gaps": len(c["compounds_with_gaps"])}
                for c in rollups["uncovered"]
            ],
            UNCOVERED_COLUMNS,
        )
    elif role is not Role.PUBLIC:  # the public: the counts below only
        styles = {"severity": SEVERITY_STYLES}
        _table(console, f"Findings as of {day.isoformat()}", rows, TABLE_COLUMNS, styles)
    typer.echo(_counts_line([{"severity": f.severity} for f in found], day))
    _write(rows, FINDING_COLUMNS, csv_path, excel_path, sheet="findings")


def ties_command(
    *,
    as_of: AsOfOpt = None,
    scope: ScopeOpt = None,
    what: Annotated[
        str, typer.Option("--what", help="the analysis: " + ", ".join(TIE_ANALYSES))
    ] = "cross",
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write the rows to this CSV file")
    ] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="only the first N rows")] = None,
    store: StoreOpt = None,
) -> None:
    """Who links which bodies: cross-appointment, multi-post holders, conflicts of interest,
    interlocks, brokers (people by id only)."""
    asked = _as_of(as_of)
    if what not in TIE_ANALYSES:
        _fail(f"--what {what!r}: expected one of {', '.join(TIE_ANALYSES)}", code=2)
    graph = _index(store)
    day = _evaluation_day(asked, graph)
    try:
        rows = tie_rows(graph, day, scope, what, top)
    except GovGraphError as exc:
        _fail(_one_line(exc))
    columns = tie_columns(what)
    _table(_console(), f"{what} as of {day.isoformat()}", rows, columns)
    typer.echo(f"{len(rows)} row(s)")
    _write(rows, columns, csv_path)


def register(app: typer.Typer) -> None:
    """Add ``gaps`` and ``ties`` to the CLI app."""
    app.command("gaps")(gaps_command)
    app.command("ties")(ties_command)
