"""Rows in, records out: parse tabular rows into Nodes and Links, collecting every mistake.

This module does no I/O (see ``readers.py`` for the thin shells around files). A *row* is a
mapping of header → cell value, as a CSV line, a worksheet row or a flattened JSON record gives
it. Headers may be the English property names of the ontology, their Chinese labels
(``label_zh``), or both in one cell as the template writes them (``"名称 name"``), so a sheet
filled in by hand and a file exported by a program read the same way.

Every problem becomes a :class:`RowError` that names file, sheet, row, column, the value and
what was expected, and parsing goes on: a user fixes a whole file in one round instead of one
mistake per run. Parsing is a generator over the rows, so memory does not grow with the file;
what an import must remember across rows (ids, for duplicates and link endpoints) is kept by
the importer as digests in arrays (``loaders/importer.py``: about 12 bytes per link id and 50
per node id, exact on digest collisions) and nothing per cell; :class:`ImportIndex` words the
errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from ..graph.errors import GovGraphError
from ..graph.model import (
    ID_EXPECTED,
    ID_PATTERN,
    Link,
    Node,
    coerce,
    in_day_range,
    storable_text,
)
from ..graph.ontology import (
    LINK_KINDS,
    NODE_KINDS,
    Prop,
    PropType,
    link_props,
    node_props,
)
from .cells import (
    MAX_CELL_CHARS,
    BadCellError,
    clean_text,
    id_cell,
    norm,
    tokens,
    typed_value,
)

#: the first cell of the template's help row starts with this; readers skip such a row
HELP_PREFIX = "说明 help:"
#: sheets of a workbook that hold no data
README_SHEET = "README"
LISTS_SHEET = "_lists"


Row = Mapping[str, Any]
NumberedRow = tuple[int, Row]


# --- errors -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RowError:
    """One mistake in one cell (or one row, or one file): where it is and what was expected.

    ``row`` is the row or line number as a spreadsheet program or editor shows it (the header
    is row 1); 0 means the whole file or sheet. ``column`` is the header as written in the file.
    ``expected`` written Chinese first carries its own words in both languages
    (``应为以下之一 / expected one of: …``), so the message does not add "expected".
    """

    file: str
    sheet: str
    row: int
    column: str
    value: Any
    expected: str

    @property
    def where(self) -> str:
        parts = [self.file, self.sheet, str(self.row) if self.row else "", self.column]
        return ":".join(p for p in parts if p)

    def __str__(self) -> str:
        lead = "expected " if self.expected[:1].isascii() else ""
        return f"{self.where}: {show_value(self.value)} — {lead}{self.expected}"


def show_value(value: Any, limit: int = 60) -> str:
    """A short, unambiguous rendering of a cell for messages (strings quoted, long ones cut)."""
    if value is None:
        return "(empty)"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SourceError(GovGraphError):
    """A file or sheet that cannot be read at all (wrong encoding, truncated JSON, not a
    workbook). It carries one :class:`RowError` so it is reported like any other mistake."""

    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(str(error))


# --- tables -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Table:
    """The rows of one kind (or of a ``kind`` column) from one source: a CSV file, a worksheet,
    the ``nodes`` or ``links`` of a JSON file, a snapshot.

    ``open`` starts a fresh pass over the rows each time it is called, because an import reads
    its sources more than once instead of holding them in memory. It may raise
    :class:`SourceError` part-way (a decoding error on line 90 000).
    """

    file: str
    sheet: str
    kind: str | None
    open: Callable[[], Iterable[NumberedRow]]
    #: the row that holds the headers (1 for CSV and sheets), for errors about a header
    header_row: int | None = 1
    #: text came from a spreadsheet: check for formulas, unescape, read blank text as empty
    spreadsheet: bool = True

    @property
    def label(self) -> str:
        return f"{self.file}:{self.sheet}" if self.sheet else self.file


def numbered(rows: Iterable[Row], start: int = 2) -> Iterator[NumberedRow]:
    """Number plain rows as a spreadsheet would (the header is row 1, data starts at 2)."""
    return enumerate(rows, start)


def table(
    rows: Iterable[Row],
    kind: str | None,
    *,
    file: str = "<rows>",
    sheet: str = "",
    spreadsheet: bool = True,
) -> Table:
    """A one-pass :class:`Table` over in-memory rows (for tests and callers that hold rows)."""
    data = list(rows)
    return Table(file, sheet, kind, lambda: numbered(data), 1, spreadsheet)


# --- kinds and headers ------------------------------------------------------------------------
@cache
def _kind_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, label in [(k.name, k.label_zh) for k in NODE_KINDS.values()] + [
        (k.name, k.label_zh) for k in LINK_KINDS.values()
    ]:
        out[norm(name)] = name
        out[norm(label)] = name
    return out


def resolve_kind(text: str) -> str | None:
    """The node or link kind a file name, sheet name or cell names (English or Chinese), if any.

    >>> resolve_kind("Compound"), resolve_kind("小区"), resolve_kind("holds_post 任职")
    ('Compound', 'Compound', 'HOLDS_POST')
    """
    aliases = _kind_aliases()
    found = {aliases.get(tok) for tok in [norm(text), *tokens(text)]} - {None}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a kind's table: the field it fills, its Chinese label, its property."""

    field: str
    label_zh: str
    prop: Prop | None = None

    @property
    def header(self) -> str:
        """The combined header the template writes, e.g. ``名称 name``."""
        return f"{self.label_zh} {self.field}"


ID_COL = Column("id", "编号")
KIND_COL = Column("kind", "种类")
SOURCE_COL = Column("source_id", "起点")
TARGET_COL = Column("target_id", "终点")
KEY_COL = Column("key", "键")
META_COLUMNS = (ID_COL, KIND_COL, SOURCE_COL, TARGET_COL, KEY_COL)


def columns(kind: str) -> tuple[Column, ...]:
    """The columns of a kind's table, in template order (no ``kind`` column: the sheet says it).

    Derived from the ontology: a node table is ``id`` then the properties, a link table is
    ``source_id``, ``target_id``, ``key`` then the properties.
    """
    nk = NODE_KINDS.get(kind)
    if nk is not None:
        return (ID_COL, *(Column(p.name, p.label_zh, p) for p in node_props(nk)))
    lk = LINK_KINDS[kind]
    return (
        SOURCE_COL,
        TARGET_COL,
        KEY_COL,
        *(Column(p.name, p.label_zh, p) for p in link_props(lk)),
    )


@cache
def _aliases(kind: str) -> dict[str, str]:
    """Normalized header → field, for one kind (English names and Chinese labels)."""
    out: dict[str, str] = {}
    for col in (*columns(kind), KIND_COL):
        out[norm(col.field)] = col.field
        out[norm(col.label_zh)] = col.field
    return out


@cache
def _all_aliases() -> frozenset[str]:
    return frozenset(a for k in (*NODE_KINDS, *LINK_KINDS) for a in _aliases(k))


def resolve_header(kind: str, header: str) -> str | None:
    """The field a header fills in a table of ``kind``, or None if it names none.

    Accepts the English name, the Chinese label, or both separated by spaces (as the template
    writes them); surrounding brackets on a part are ignored.

    >>> resolve_header("Compound", "名称 name"), resolve_header("Compound", "户数")
    ('name', 'households')
    >>> resolve_header("HOLDS_POST", "起点"), resolve_header("Compound", "nonsense") is None
    ('source_id', True)
    """
    aliases = _aliases(kind)
    whole = aliases.get(norm(header))
    if whole is not None:
        return whole
    found: set[str] = set()
    for tok in tokens(header):
        hit = aliases.get(tok) or aliases.get(tok.strip("()[]{}<>"))
        if hit is not None:
            found.add(hit)
    return found.pop() if len(found) == 1 else None


def _names_anywhere(header: str) -> bool:
    every = _all_aliases()
    toks = [norm(header), *(t.strip("()[]{}<>") for t in tokens(header))]
    return any(t in every for t in toks)


@dataclass(frozen=True, slots=True)
class Layout:
    """How the headers of one table map to the fields of one kind."""

    fields: Mapping[str, str]  # header -> field
    headers: Mapping[str, str]  # field -> header (for messages)
    unknown: tuple[str, ...]  # headers that name nothing in any kind
    foreign: tuple[str, ...]  # headers of other kinds (allowed when empty, in a mixed table)
    duplicates: tuple[tuple[str, str], ...]  # (header, earlier header for the same field)


def layout(kind: str, headers: Sequence[str]) -> Layout:
    """Map a table's headers to the fields of ``kind``.

    In a link table ``source``/``target`` name the ends when there is no ``source_id``/``起点``
    column (the edge-list convention of NetworkX and Gephi); otherwise ``source`` is the
    provenance property, as for nodes.
    """
    fields: dict[str, str] = {}
    by_field: dict[str, str] = {}
    unknown: list[str] = []
    foreign: list[str] = []
    dups: list[tuple[str, str]] = []
    resolved = {h: resolve_header(kind, h) for h in headers if h}
    if kind in LINK_KINDS and "source_id" not in resolved.values():
        plain = {norm(h): h for h in resolved}
        if "source" in plain and "target" in plain:
            resolved[plain["source"]] = "source_id"
            resolved[plain["target"]] = "target_id"
    for h in headers:
        if not h:
            continue
        f = resolved[h]
        if f is None:
            (foreign if _names_anywhere(h) else unknown).append(h)
        elif f in by_field:
            dups.append((h, by_field[f]))
        else:
            fields[h] = f
            by_field[f] = h
    return Layout(fields, by_field, tuple(unknown), tuple(foreign), tuple(dups))


# --- parsing ----------------------------------------------------------------------------------
#: the headers of a row built by hand (the importer's probes), where no layout names them
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class ParsedRow(NamedTuple):
    """The outcome of one row: the clean record, or None and the reasons.

    ``ref`` keeps what the row says about identity (node id and kind; link kind, ends and key)
    whenever that much is readable, even if other cells are wrong, so an import can still check
    duplicates and link endpoints against it and report every mistake in one round. A valid
    row's ``ref`` is its record (one object fewer a row); a refused row's has no properties.

    A named tuple rather than a frozen dataclass: one is made for every row read, and in
    Python 3.11 a frozen dataclass of seven fields takes about ten times as long to make.
    """

    file: str
    sheet: str
    row: int
    record: Node | Link | None
    ref: Node | Link | None
    errors: tuple[RowError, ...]
    headers: Mapping[str, str] = _NO_HEADERS

    def column(self, field_name: str) -> str:
        """The header the user wrote for a field (for messages)."""
        return self.headers.get(field_name, field_name)

    def error(self, field_name: str, value: Any, expected: str) -> RowError:
        return RowError(self.file, self.sheet, self.row, self.column(field_name), value, expected)


def parse_table(t: Table, *, max_cell: int = MAX_CELL_CHARS) -> Iterator[ParsedRow]:
    """Parse every row of a table; see :func:`parse_rows`."""
    return parse_rows(
        t.open(),
        kind=t.kind,
        file=t.file,
        sheet=t.sheet,
        header_row=t.header_row,
        spreadsheet=t.spreadsheet,
        max_cell=max_cell,
    )


def parse_rows(
    rows: Iterable[NumberedRow],
    *,
    kind: str | None,
    file: str = "<rows>",
    sheet: str = "",
    header_row: int | None = 1,
    spreadsheet: bool = True,
    max_cell: int = MAX_CELL_CHARS,
) -> Iterator[ParsedRow]:
    """Turn numbered rows into :class:`ParsedRow` items, one per row, lazily.

    ``kind`` is the table's kind (from a file or sheet name); when None each row names its kind
    in a ``kind`` column, and columns of other kinds must then be empty in that row. A problem
    with a header (a column that names nothing, two columns for one field) is reported once and
    every row of the table is refused, because data under such a header would be lost.

    >>> rows = numbered([{"编号 id": "c1", "名称 name": "云北苑小区", "户数": "x"}])
    >>> [str(e) for r in parse_rows(rows, kind="Compound", file="c.csv") for e in r.errors]
    ["c.csv:2:户数: 'x' — expected a whole number"]
    """
    parser = _Parser(
        kind,
        file=file,
        sheet=sheet,
        header_row=header_row,
        spreadsheet=spreadsheet,
        max_cell=max_cell,
    )
    for number, row in rows:
        yield parser.parse(number, row)


#: the texts one column remembers having read (dates, numbers, choices repeat; free text is
#: never remembered), so that a column of all-different values cannot grow without bound
MAX_REMEMBERED = 1 << 16


class _RefusedError(Exception):
    """What the model's own check of a record (``check_node``, ``check_link``) says of a value."""

    def __init__(self, value: Any, expected: str) -> None:
        self.value = value
        self.expected = expected


class _Absent:
    """Marks a value that the model reads as absent."""


_ABSENT: Any = _Absent()


class _PropCell:
    """How the cells of one property become the value the model holds: first
    :func:`.cells.typed_value` undoes what a spreadsheet did, then the model's check of one value
    (as in ``graph.model.check_node``: coercion, storable text, the range of days, the choices).

    The model's check is done here, value by value, rather than by building a record for
    ``check_node`` to take apart again: that was a third of a row's time. The way is chosen
    once per column: free text needs only the check of its characters, and other text (dates,
    numbers, choices, yes/no) repeats from row to row, so each distinct text is read once.
    """

    __slots__ = ("_free_text", "_read_before", "name", "prop", "spreadsheet")

    def __init__(self, prop: Prop, spreadsheet: bool) -> None:
        self.prop = prop
        self.name = prop.name
        self.spreadsheet = spreadsheet
        self._free_text = prop.type is PropType.STR and not prop.choices
        self._read_before: dict[str, Any] = {}

    def read(self, value: Any) -> Any:
        """The value as the model holds it, or :data:`_ABSENT`; raises :class:`BadCellError`
        (the cell holds nothing the property can hold) or :class:`_RefusedError` (the model
        refuses it).
        """
        if type(value) is not str:
            return self._read(value)
        if self._free_text:
            return self._text(value)
        known = self._read_before.get(value)
        if known is not None:
            return known
        typed = self._read(value)
        if len(self._read_before) < MAX_REMEMBERED:
            self._read_before[value] = typed
        return typed

    def _text(self, value: str) -> Any:
        # what the general way below does with text for a property without choices
        if value == "":
            return _ABSENT
        try:
            return storable_text(value)
        except ValueError as exc:
            raise _RefusedError(value, str(exc)) from None

    def _read(self, value: Any) -> Any:
        prop = self.prop
        value = typed_value(prop, value, self.spreadsheet)
        if value is None or value == "":
            return _ABSENT
        try:
            typed = coerce(prop, value)
            if isinstance(typed, str):
                storable_text(typed)
            elif isinstance(typed, dt.date):
                in_day_range(typed)
        except ValueError as exc:
            raise _RefusedError(value, str(exc)) from None
        if prop.choices and typed not in prop.choices:
            raise _RefusedError(value, "one of " + ", ".join(prop.choices))
        return typed


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one table's headers mean for its rows of one kind, worked out at the first row."""

    kind: str
    layout: Layout
    #: (header, field) of every cell to read, in the order of the headers (``kind`` aside)
    cells: tuple[tuple[str, str], ...]
    #: the kind's properties that have a column, in the order the ontology declares them
    props: tuple[_PropCell, ...]
    #: the kind's required properties, with a column or not
    required: tuple[Prop, ...]
    is_node: bool
    #: a link table with both ``since`` and ``until`` columns, so one may come before the other
    dated: bool


def _plan(kind: str, lay: Layout, spreadsheet: bool) -> _Plan:
    is_node = kind in NODE_KINDS
    declared = node_props(NODE_KINDS[kind]) if is_node else link_props(LINK_KINDS[kind])
    return _Plan(
        kind,
        lay,
        tuple((h, f) for h, f in lay.fields.items() if f != "kind"),
        tuple(_PropCell(p, spreadsheet) for p in declared if p.name in lay.headers),
        tuple(p for p in declared if p.required),
        is_node,
        not is_node and "since" in lay.headers and "until" in lay.headers,
    )


@dataclass(slots=True)
class _Shape:
    """What the keys of a row say, the same for every row of a CSV file or a sheet: the headers
    as text, the ``kind`` column if any, and a plan for each kind of row met under them."""

    plain: bool  # the keys are text already
    headers: tuple[str, ...]
    kind_header: str | None
    plans: dict[str, _Plan] = field(default_factory=dict)


class _Parser:
    """The state one table's parse keeps: what its headers mean, headers already reported."""

    def __init__(
        self,
        kind: str | None,
        *,
        file: str,
        sheet: str,
        header_row: int | None,
        spreadsheet: bool,
        max_cell: int,
    ) -> None:
        self.kind = kind
        self.file = file
        self.sheet = sheet
        self.header_row = header_row
        self.spreadsheet = spreadsheet
        self.max_cell = max_cell
        self._shapes: dict[tuple[Any, ...], _Shape] = {}
        self._last: tuple[tuple[Any, ...], _Shape] | None = None
        self._reported: set[str] = set()
        #: once a header is broken every row is refused (data under it would be lost)
        self._broken = False

    def _err(self, row: int, column: str, value: Any, expected: str) -> RowError:
        return RowError(self.file, self.sheet, row, column, value, expected)

    def _header_error(self, row: int, key: str, header: str, expected: str) -> list[RowError]:
        """Report a header problem once per table, at the header row, and refuse every row.

        Records without a shared header row (JSON) name their fields one by one, so there the
        problem belongs to the record alone: it is reported on that row and refuses only it.
        """
        if self.header_row is None:
            return [self._err(row, header, header or None, expected)]
        self._broken = True
        if key in self._reported:
            return []
        self._reported.add(key)
        return [self._err(self.header_row, header, header or None, expected)]

    def _shape(self, keys: tuple[Any, ...]) -> _Shape:
        # the previous row's keys are compared first: equal tuples of the very same strings
        # compare without hashing
        if self._last is not None and self._last[0] == keys:
            return self._last[1]
        shape = self._shapes.get(keys)
        if shape is None:
            plain = all(type(h) is str for h in keys)
            headers = keys if plain else tuple(str(h) if h is not None else "" for h in keys)
            kind_header = next((h for h in headers if h and _is_kind_header(h)), None)
            shape = self._shapes[keys] = _Shape(plain, headers, kind_header)
        self._last = (keys, shape)
        return shape

    def _plan(self, shape: _Shape, kind: str) -> _Plan:
        plan = shape.plans.get(kind)
        if plan is None:
            plan = shape.plans[kind] = _plan(kind, layout(kind, shape.headers), self.spreadsheet)
        return plan

    def parse(self, number: int, row: Row) -> ParsedRow:
        errors: list[RowError] = []
        shape = self._shape(tuple(row))
        headers = shape.headers
        cells: Row = (
            row
            if shape.plain  # text headers, as CSV and most sheets give them: no copy
            else {(str(h) if h is not None else ""): v for h, v in row.items()}
        )
        # cells beyond the last header, or under an empty one
        stray = _clean_or_none(cells.get(""))
        if stray is not None:
            errors.append(
                self._err(number, "(no header)", stray, "a header above every filled cell")
            )

        if self.kind is not None and shape.kind_header is None:
            kind: str | None = self.kind  # the table's, and no cell to check it against
        else:
            kind, kind_errors = self._row_kind(number, shape.kind_header, cells)
            errors.extend(kind_errors)
        if kind is None:
            return ParsedRow(self.file, self.sheet, number, None, None, tuple(errors))

        plan = self._plan(shape, kind)
        lay = plan.layout
        for h in lay.unknown:
            expected = "a column of " + kind + ": " + ", ".join(c.header for c in columns(kind))
            errors.extend(self._header_error(number, "unknown:" + h, h, expected))
        for h, earlier in lay.duplicates:
            errors.extend(
                self._header_error(
                    number, "dup:" + h, h, f"one column per field (column {earlier!r} fills it)"
                )
            )
        for h in lay.foreign:
            value = _clean_or_none(cells.get(h))
            if self.kind is not None:
                expected = f"a column of {kind} (this one belongs to another kind)"
                errors.extend(self._header_error(number, "foreign:" + h, h, expected))
            elif value is not None:
                errors.append(self._err(number, h, value, f"empty: not a column of {kind}"))

        values: dict[str, Any] = {}
        for h, f in plan.cells:
            try:
                values[f] = clean_text(cells.get(h), self.spreadsheet, self.max_cell)
            except BadCellError as bad:
                errors.append(self._err(number, h, _preview(cells.get(h)), bad.expected))
                values[f] = _INVALID
        rec: Node | Link | None
        ref: Node | Link | None
        if plan.is_node:
            rec, ref = self._node(number, plan, values, errors)
        else:
            rec, ref = self._link(number, plan, values, errors)
        if (errors or self._broken) and rec is not None:
            ref = _identity(rec)  # refused for a reason outside its cells
            rec = None
        if len(errors) > 1:  # in the order of the columns, as the user reads the row
            order = {h: i for i, h in enumerate(headers)}
            errors.sort(key=lambda e: (e.row == number, order.get(e.column, len(order))))
        return ParsedRow(self.file, self.sheet, number, rec, ref, tuple(errors), lay.headers)

    def _row_kind(
        self, number: int, kind_header: str | None, cells: Mapping[str, Any]
    ) -> tuple[str | None, list[RowError]]:
        """The row's kind: the table's, checked against a ``kind`` cell if there is one."""
        raw = _clean_or_none(cells.get(kind_header)) if kind_header else None
        if raw is not None and not isinstance(raw, str):
            raw = str(raw)
        named = resolve_kind(raw) if raw else None
        if self.kind is not None:
            if raw and named != self.kind:
                return self.kind, [
                    self._err(number, kind_header or "kind", raw, f"{self.kind} (or empty)")
                ]
            return self.kind, []
        if kind_header is None:
            expected = (
                "a 'kind' (种类) column, or a file or sheet named after a kind"
                " (Compound.csv, HOLDS_POST.csv)"
            )
            return None, self._header_error(number, "nokind", "", expected)
        if named is None:
            if raw and raw.lstrip().startswith("="):
                expected = "a kind, not a formula"
            else:
                expected = "a node kind (" + ", ".join(NODE_KINDS) + ")"
                expected += " or a link kind (" + ", ".join(LINK_KINDS) + ")"
            return None, [self._err(number, kind_header, raw, expected)]
        return named, []

    def _ident(
        self, number: int, lay: Layout, values: Mapping[str, Any], name: str, errors: list[RowError]
    ) -> str | None:
        """An id-like cell (id, ends, key): text without spaces or '|'; None when unusable."""
        raw = values.get(name)
        if raw is _INVALID:
            return None
        text = raw.strip() if type(raw) is str else id_cell(raw)  # text: as id_cell, sooner
        if not text:
            if name != "key":
                expected = f"a value (required): {ID_EXPECTED}"
                errors.append(self._err(number, lay.headers.get(name, name), None, expected))
            return None
        if not ID_PATTERN.match(text):
            errors.append(self._err(number, lay.headers.get(name, name), text, ID_EXPECTED))
            return None
        return text

    def _props(
        self, number: int, plan: _Plan, values: Mapping[str, Any], errors: list[RowError]
    ) -> dict[str, Any] | None:
        """The row's properties as the model holds them, or None when one is unusable.

        The errors come as ``check_node`` and ``check_link`` gave them when they checked a
        record built of these values, in the same order: first the cells a spreadsheet spoilt
        (:func:`.cells.typed_value`), then what the model refuses, then the required values
        that are missing, then (a link) an ``until`` before its ``since``.
        """
        props: dict[str, Any] = {}
        unusable: set[str] = set()
        problems: list[tuple[str, Any, str]] = []
        headers = plan.layout.headers
        for cell in plan.props:
            v = values.get(cell.name)
            if v is None:
                continue
            if v is _INVALID:  # already reported
                unusable.add(cell.name)
                continue
            try:
                typed = cell.read(v)
            except BadCellError as bad:
                header = headers.get(cell.name, cell.name)
                errors.append(self._err(number, header, _preview(v), bad.expected))
                unusable.add(cell.name)
            except _RefusedError as problem:
                problems.append((cell.name, problem.value, problem.expected))
            else:
                if typed is not _ABSENT:
                    props[cell.name] = typed
        for p in plan.required:
            # a required property whose cell held something unusable was already reported
            if p.name in props or p.name in unusable or any(f == p.name for f, _, _ in problems):
                continue
            problems.append((p.name, None, f"a value ({p.type.value}, required)"))
        if plan.dated:
            since, until = props.get("since"), props.get("until")
            if isinstance(since, dt.date) and isinstance(until, dt.date) and until < since:
                problems.append(("until", until, f"a date on or after since ({since})"))
        for name, value, expected in problems:
            errors.append(self._err(number, headers.get(name, name), value, expected))
        return props if not problems and not unusable else None

    def _node(
        self, number: int, plan: _Plan, values: Mapping[str, Any], errors: list[RowError]
    ) -> tuple[Node | None, Node | None]:
        lay = plan.layout
        has_id = "id" in lay.headers
        if not has_id:
            errors.extend(
                self._header_error(number, "noid", "", "an 'id' (编号) column in a table of nodes")
            )
        nid = self._ident(number, lay, values, "id", errors) if has_id else None
        props = self._props(number, plan, values, errors)
        if nid is None:
            return None, None
        if props is None:
            return None, Node(nid, plan.kind)
        node = Node(nid, plan.kind, props)
        return node, node

    def _link(
        self, number: int, plan: _Plan, values: Mapping[str, Any], errors: list[RowError]
    ) -> tuple[Link | None, Link | None]:
        lay = plan.layout
        for f, col in (("source_id", SOURCE_COL), ("target_id", TARGET_COL)):
            if f not in lay.headers:
                expected = f"a {col.field!r} ({col.label_zh}) column in a table of links"
                errors.extend(self._header_error(number, "no" + f, "", expected))
        src = (
            self._ident(number, lay, values, "source_id", errors)
            if "source_id" in lay.headers
            else None
        )
        dst = (
            self._ident(number, lay, values, "target_id", errors)
            if "target_id" in lay.headers
            else None
        )
        key = ""
        if values.get("key") is not None:  # most links have none, and an empty cell is no mistake
            key = self._ident(number, lay, values, "key", errors) or ""
        bad_key = values.get("key") not in (None, "") and not key
        props = self._props(number, plan, values, errors)
        if not (src and dst) or bad_key:
            return None, None
        if props is None:
            return None, Link(plan.kind, src, dst, {}, key)
        link = Link(plan.kind, src, dst, props, key)
        return link, link


class _Invalid:
    """Marks a cell already reported as unusable, so it is not reported twice."""


_INVALID: Any = _Invalid()


def _is_kind_header(header: str) -> bool:
    return norm(header) in ("kind", "种类") or {"kind", "种类"} & set(tokens(header)) != set()


def _identity(record: Node | Link) -> Node | Link:
    """A record without its properties: what a refused row says about who it is."""
    if isinstance(record, Node):
        return Node(record.id, record.kind)
    return Link(record.kind, record.source, record.target, {}, record.key)


def _clean_or_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _preview(value: Any) -> Any:
    """A cell as shown in an error: long text is cut, so one huge cell stays one short line."""
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "…"
    return value


# --- across rows: duplicates and endpoints ----------------------------------------------------
Loc = tuple[int, int]  # (table number in the import, row)


@dataclass(slots=True)
class ImportIndex:
    """What one import defines, gathered in a first pass: node ids with their kind and the row
    that gives them, link ids likewise, and the ids links refer to.

    The first row with an id decides; a later row with the same id is a mistake (which of two
    rows is right cannot be guessed). A node whose deciding row is invalid is *rejected*: links
    to it are still checked against its kind, so one mistake gives one error, not a cascade.
    """

    nodes: dict[str, tuple[str, Loc]] = field(default_factory=dict)
    links: dict[str, Loc] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)
    #: table number -> its label and the header of its id column (for messages)
    tables: dict[int, tuple[str, str, str]] = field(default_factory=dict)

    def where(self, loc: Loc) -> str:
        file, sheet, _ = self.tables.get(loc[0], ("?", "", "id"))
        return ":".join(p for p in (file, sheet, str(loc[1])) if p)

    def register(self, table_no: int, parsed: ParsedRow) -> list[RowError]:
        """Record a row's ids; return an error if an earlier row already gave the same id."""
        loc = (table_no, parsed.row)
        ref = parsed.ref
        if isinstance(ref, Node):
            self.tables.setdefault(table_no, (parsed.file, parsed.sheet, parsed.column("id")))
            first = self.nodes.get(ref.id)
            if first is not None:
                expected = f"an id used once per import (row {self.where(first[1])} has it)"
                return [parsed.error("id", ref.id, expected)]
            self.nodes[ref.id] = (ref.kind, loc)
            if parsed.record is None:
                self.rejected.add(ref.id)
        elif isinstance(ref, Link):
            self.tables.setdefault(table_no, (parsed.file, parsed.sheet, parsed.column("id")))
            self.endpoints.update((ref.source, ref.target))
            first_link = self.links.get(ref.id)
            if first_link is not None:
                expected = (
                    f"a link given once per import (row {self.where(first_link)} gives"
                    f" {ref.id!r}); to record the same tie twice, give each row its own key"
                )
                return [parsed.error("key" if ref.key else "target_id", ref.id, expected)]
            self.links[ref.id] = loc
        return []


def conflict_error(parsed: ParsedRow, stored_kind: str) -> RowError | None:
    """An error when a node row reuses the id of a stored node of another kind."""
    ref = parsed.ref
    if not isinstance(ref, Node) or ref.kind == stored_kind:
        return None
    return parsed.error(
        "id",
        ref.id,
        f"a new id, or the id of a stored {ref.kind} (id {ref.id!r} is already a stored"
        f" {stored_kind}; delete it first or use another id)",
    )


def endpoint_errors(
    parsed: ParsedRow,
    kind_of: Callable[[str], str | None],
    withdrawn: Callable[[str], bool] = lambda _id: False,
) -> list[RowError]:
    """Check a link row's ends: each names a node of this import or of the store, and the kinds
    of the two ends are a pair the link kind allows.

    ``kind_of`` gives the kind of a node id known to the import or the store. ``withdrawn``
    says an id belongs to a node row of this import that is left out (with ``skip_invalid``),
    so a link to it cannot be written either.
    """
    ref = parsed.ref
    if not isinstance(ref, Link):
        return []
    out: list[RowError] = []
    kinds: list[str | None] = []
    for f, end in (("source_id", ref.source), ("target_id", ref.target)):
        if withdrawn(end):
            out.append(
                parsed.error(
                    f, end, "a node that is written (this one's own row is invalid, see there)"
                )
            )
            kinds.append(None)
            continue
        k = kind_of(end)
        if k is None:
            out.append(parsed.error(f, end, "the id of a node in this import or already stored"))
        kinds.append(k)
    src_kind, dst_kind = kinds
    lk = LINK_KINDS[ref.kind]
    if src_kind is not None and dst_kind is not None and not lk.allows(src_kind, dst_kind):
        allowed = ", ".join(f"{s}->{t}" for s, t in lk.endpoints)
        out.append(
            parsed.error(
                "target_id",
                f"{src_kind} {ref.source} -> {dst_kind} {ref.target}",
                f"{ref.kind} to join one of {allowed}",
            )
        )
    return out
