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
from typing import Any

from ..graph.errors import GovGraphError, Problem
from ..graph.model import ID_EXPECTED, ID_PATTERN, Link, Node, check_link, check_node
from ..graph.ontology import (
    LINK_KINDS,
    NODE_KINDS,
    LinkKind,
    NodeKind,
    Prop,
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
@dataclass(frozen=True, slots=True)
class ParsedRow:
    """The outcome of one row: the clean record, or None and the reasons.

    ``ref`` keeps what the row says about identity (node id and kind; link kind, ends and key)
    whenever that much is readable, even if other cells are wrong, so an import can still check
    duplicates and link endpoints against it and report every mistake in one round.
    """

    file: str
    sheet: str
    row: int
    record: Node | Link | None
    ref: Node | Link | None
    errors: tuple[RowError, ...]
    headers: Mapping[str, str] = field(default_factory=dict)

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


class _Parser:
    """The state one table's parse keeps: header layouts per kind, headers already reported."""

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
        self._layouts: dict[tuple[str, tuple[str, ...]], Layout] = {}
        self._reported: set[str] = set()
        self._kind_headers: dict[tuple[str, ...], Any] = {}
        self._plain_keys: dict[tuple[Any, ...], bool] = {}
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

    def _layout(self, kind: str, headers: tuple[str, ...]) -> Layout:
        key = (kind, headers)
        found = self._layouts.get(key)
        if found is None:
            found = self._layouts[key] = layout(kind, headers)
        return found

    def parse(self, number: int, row: Row) -> ParsedRow:
        errors: list[RowError] = []
        keys = tuple(row)
        plain = self._plain_keys.get(keys)
        if plain is None:  # the same keys on every row of a table: look once
            plain = self._plain_keys[keys] = all(type(h) is str for h in keys)
        if plain:  # text headers, as CSV and most sheets give them: no copy
            headers, cells = keys, row
        else:
            headers = tuple(str(h) if h is not None else "" for h in row)
            cells = {(str(h) if h is not None else ""): v for h, v in row.items()}
        # cells beyond the last header, or under an empty one
        stray = _clean_or_none(cells.get(""))
        if stray is not None:
            errors.append(
                self._err(number, "(no header)", stray, "a header above every filled cell")
            )

        kind, kind_errors = self._row_kind(number, headers, cells)
        errors.extend(kind_errors)
        if kind is None:
            return ParsedRow(self.file, self.sheet, number, None, None, tuple(errors))

        lay = self._layout(kind, headers)
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
        for h, f in lay.fields.items():
            if f == "kind":
                continue  # read by _row_kind
            try:
                values[f] = clean_text(cells.get(h), self.spreadsheet, self.max_cell)
            except BadCellError as bad:
                errors.append(self._err(number, h, _preview(cells.get(h)), bad.expected))
                values[f] = _INVALID
        rec: Node | Link | None
        ref: Node | Link | None
        if kind in NODE_KINDS:
            rec, ref = self._node(number, NODE_KINDS[kind], values, lay, errors)
        else:
            rec, ref = self._link(number, LINK_KINDS[kind], values, lay, errors)
        if errors or self._broken:
            rec = None
        if len(errors) > 1:  # in the order of the columns, as the user reads the row
            order = {h: i for i, h in enumerate(headers)}
            errors.sort(key=lambda e: (e.row == number, order.get(e.column, len(order))))
        return ParsedRow(self.file, self.sheet, number, rec, ref, tuple(errors), lay.headers)

    def _row_kind(
        self, number: int, headers: tuple[str, ...], cells: Mapping[str, Any]
    ) -> tuple[str | None, list[RowError]]:
        """The row's kind: the table's, checked against a ``kind`` cell if there is one."""
        kind_header = self._kind_headers.get(headers, _UNSEEN)
        if kind_header is _UNSEEN:  # the same header tuple on every row of a table: look once
            kind_header = self._kind_headers[headers] = next(
                (h for h in headers if h and _is_kind_header(h)), None
            )
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
        text = id_cell(raw)
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
        self,
        number: int,
        declared: tuple[Prop, ...],
        values: Mapping[str, Any],
        lay: Layout,
        *,
        check: Callable[[dict[str, Any], list[Problem]], Node | Link | None],
        errors: list[RowError],
    ) -> Node | Link | None:
        props: dict[str, Any] = {}
        unusable: set[str] = set()
        for p in declared:
            v = values.get(p.name)
            if v is _INVALID:
                unusable.add(p.name)
            elif v is not None:
                try:
                    props[p.name] = typed_value(p, v, self.spreadsheet)
                except BadCellError as bad:
                    header = lay.headers.get(p.name, p.name)
                    errors.append(self._err(number, header, _preview(v), bad.expected))
                    unusable.add(p.name)
        problems: list[Problem] = []
        clean = check(props, problems)
        failed = {pr.field for pr in problems} | unusable
        for pr in problems:
            # a required property whose cell held something unusable was already reported
            if pr.value is None and pr.field in unusable:
                continue
            errors.append(
                self._err(number, lay.headers.get(pr.field, pr.field), pr.value, pr.expected)
            )
        return clean if not failed else None

    def _node(
        self,
        number: int,
        kind: NodeKind,
        values: Mapping[str, Any],
        lay: Layout,
        errors: list[RowError],
    ) -> tuple[Node | None, Node | None]:
        if "id" not in lay.fields.values():
            errors.extend(
                self._header_error(number, "noid", "", "an 'id' (编号) column in a table of nodes")
            )
        nid = self._ident(number, lay, values, "id", errors) if "id" in lay.headers else None
        ref = Node(nid, kind.name) if nid else None
        # validated with a stand-in id: ids are checked above, with the user's column names
        clean = self._props(
            number,
            node_props(kind),
            values,
            lay,
            check=lambda props, probs: check_node(Node("x", kind.name, props), probs),
            errors=errors,
        )
        if not isinstance(clean, Node) or nid is None:
            return None, ref
        return Node(nid, kind.name, clean.props), ref

    def _link(
        self,
        number: int,
        kind: LinkKind,
        values: Mapping[str, Any],
        lay: Layout,
        errors: list[RowError],
    ) -> tuple[Link | None, Link | None]:
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
        key = self._ident(number, lay, values, "key", errors) or ""
        bad_key = values.get("key") not in (None, "") and not key
        ref = Link(kind.name, src, dst, {}, key) if src and dst and not bad_key else None
        # validated with stand-in ends: the link's own ``source`` property (provenance) would
        # otherwise be confused with its source end in the model's problem list
        clean = self._props(
            number,
            link_props(kind),
            values,
            lay,
            check=lambda props, probs: check_link(Link(kind.name, "s", "t", props), probs),
            errors=errors,
        )
        if not isinstance(clean, Link) or ref is None:
            return None, ref
        return Link(kind.name, ref.source, ref.target, clean.props, key), ref


_UNSEEN: Any = object()


class _Invalid:
    """Marks a cell already reported as unusable, so it is not reported twice."""


_INVALID: Any = _Invalid()


def _is_kind_header(header: str) -> bool:
    return norm(header) in ("kind", "种类") or {"kind", "种类"} & set(tokens(header)) != set()


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
