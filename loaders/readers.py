"""Thin shells that turn files into :class:`~.rows.Table` objects; all checking is in ``rows``.

Supported inputs (see ``docs/formats.md``):

* **CSV**, one file per kind: the kind comes from the file name (``Compound.csv``,
  ``HOLDS_POST.csv``, ``小区.csv``) or from a ``kind`` column. UTF-8 with or without a BOM; any
  other encoding is refused with a message that says how to save the file as UTF-8.
* **Excel** workbooks (``.xlsx``), one sheet per kind, read in openpyxl's streaming read-only
  mode. The template's help row (row 2) is skipped; formulas are read as their text, never
  evaluated, and refused by the parser.
* **JSON** in the codec's shape, ``{"nodes": [...], "links": [...]}``. It is read whole, so
  prefer CSV or the snapshot for very large graphs.
* the **JSON-lines snapshot** the embedded store writes (lossless), streamed line by line.

A file that cannot be read at all raises :class:`~.rows.SourceError`, which carries a
:class:`~.rows.RowError` so the importer reports it with the other mistakes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from .cells import MAX_CELL_CHARS
from .rows import (
    HELP_PREFIX,
    LISTS_SHEET,
    README_SHEET,
    NumberedRow,
    RowError,
    SourceError,
    Table,
    resolve_kind,
)

SNAPSHOT_FORMAT = "govgraph-snapshot"  # the embedded store's snapshot header
SNAPSHOT_VERSION = 1
CSV_SUFFIXES = (".csv",)
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
JSON_SUFFIXES = (".json",)
SNAPSHOT_SUFFIXES = (".jsonl", ".ndjson")
SUPPORTED = CSV_SUFFIXES + EXCEL_SUFFIXES + JSON_SUFFIXES + SNAPSHOT_SUFFIXES
_META_FIELDS = ("id", "kind", "source_id", "target_id", "key")


def _fail(path: Path | str, expected: str, *, row: int = 0, value: Any = None) -> SourceError:
    return SourceError(RowError(str(path), "", row, "", value, expected))


def read_tables(path: Path | str) -> list[Table]:
    """The tables of one file (or of every supported file in a folder), by file type."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in SUPPORTED and f.is_file())
        if not files:
            raise _fail(p, "a folder holding .csv, .xlsx, .json or .jsonl files")
        return [t for f in files for t in read_tables(f)]
    if not p.is_file():
        raise _fail(p, "an existing file (this one is not there)")
    suffix = p.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [csv_table(p)]
    if suffix in EXCEL_SUFFIXES:
        return excel_tables(p)
    if suffix in JSON_SUFFIXES + SNAPSHOT_SUFFIXES:
        if _is_snapshot(p):
            return [snapshot_table(p)]
        if suffix in SNAPSHOT_SUFFIXES:
            raise _fail(
                p,
                f'a govgraph snapshot: a first line {{"format": "{SNAPSHOT_FORMAT}", ...}}',
                row=1,
            )
        return json_tables(p)
    if suffix == ".xls":
        raise _fail(p, "an .xlsx workbook: open this old .xls file in Excel or WPS, save as .xlsx")
    raise _fail(p, "a .csv, .xlsx, .json or .jsonl (snapshot) file", value=p.suffix or "no suffix")


def _row_from_cells(headers: Sequence[str], cells: Sequence[Any]) -> dict[str, Any]:
    """Pair cells with headers; cells without a header go under ``""`` for the parser to flag."""
    if len(cells) == len(headers) and all(headers):  # most rows: a cell under every header
        return dict(zip(headers, cells))  # noqa: B905 (just compared; strict= costs 0.25 µs a row)
    row: dict[str, Any] = {}
    for h, c in zip_longest(headers, cells):
        if not h:
            if c is not None and not (isinstance(c, str) and not c.strip()) and "" not in row:
                row[""] = c
            continue
        row[h] = c
    return row


def _check_headers(path: Path | str, sheet: str, headers: Sequence[str]) -> None:
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise SourceError(
                RowError(str(path), sheet, 1, h, h, "each header once (this one appears twice)")
            )
        seen.add(h)


# --- CSV --------------------------------------------------------------------------------------
def csv_table(path: Path) -> Table:
    """A CSV file as one table; its kind from the file name, else from a ``kind`` column."""
    return Table(str(path), "", resolve_kind(path.stem), functools.partial(_csv_rows, path))


def _csv_rows(path: Path) -> Iterator[NumberedRow]:
    with path.open("rb") as raw:
        head = raw.read(1 << 16)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(
            path,
            "UTF-8 text: this file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8'",
        )
    if head.startswith(b"PK\x03\x04"):
        raise _fail(path, "CSV text: this is a zip file, probably an .xlsx workbook; name it .xlsx")
    if b"\x00" in head:
        raise _fail(
            path,
            "CSV text: this file holds NUL bytes, so it is binary or UTF-16 without a BOM;"
            " save it as 'CSV UTF-8'",
        )
    if not head.strip(codecs.BOM_UTF8 + b" \t\r\n"):
        raise _fail(path, "a header row and data: this file is empty")
    reader: Any = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            # strict: a file cut off inside a quoted cell is an error, not a shorter last cell
            reader = csv.reader(fh, strict=True)
            first = next(reader, None)
            if first is None:
                return
            # a BOM saved twice (a UTF-8 file re-saved as UTF-8 with BOM) must not hide the header
            headers = [h.strip().lstrip("\ufeff").strip() for h in first]
            _check_headers(path, "", headers)
            if len(headers) == 1 and any(sep in headers[0] for sep in ";\t"):
                raise _fail(
                    path,
                    "comma-separated values: this header uses ';' or tabs; save as CSV (comma)",
                    row=1,
                    value=headers[0],
                )
            for cells in reader:
                # a filled first cell (an id, as a rule) spares looking at the others
                if not (cells and cells[0].strip()) and not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, _row_from_cells(headers, cells)
    except UnicodeDecodeError as exc:
        raise SourceError(_encoding_error(path, exc)) from exc
    except csv.Error as exc:
        line = reader.line_num if reader is not None else 0
        raise _fail(path, _csv_problem(exc), row=line or 1) from exc


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field limit" in text:
        return (
            f"cells of at most {MAX_CELL_CHARS} characters: from this line a cell runs on past"
            f" {csv.field_size_limit()} (an enormous cell, or a quote that is never closed)"
        )
    if "unexpected end of data" in text:
        return "complete CSV: the file ends inside a quoted cell (was it cut off?)"
    return f"well-formed CSV ({text})"


def _encoding_error(path: Path, exc: UnicodeDecodeError) -> RowError:
    hint = ""
    with path.open("rb") as fh:
        sample = fh.read(1 << 16)
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        hint = (
            " It looks like GBK/GB18030, the default of Chinese Excel and WPS on Windows:"
            " choose 'CSV UTF-8' when saving (WPS: encoding UTF-8)."
        )
    except UnicodeDecodeError:
        hint = " Save it as 'CSV UTF-8' and import it again."
    bad = exc.object[exc.start : exc.start + 1]
    return RowError(
        str(path),
        "",
        0,
        "",
        f"byte 0x{bad.hex()}" if bad else None,
        "UTF-8 text (with or without BOM); this file is in another encoding." + hint,
    )


# --- Excel ------------------------------------------------------------------------------------
def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only=False: a formula arrives as its text ("=A1"), never as a computed value
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ParseError) as exc:
        raise _fail(
            path,
            f"an Excel .xlsx workbook; this file cannot be opened as one ({exc}): was it cut off,"
            " or saved in another format?",
        ) from exc
    except ValueError as exc:  # openpyxl's "Unable to read workbook"; defusedxml's refusals
        raise _fail(
            path,
            "an Excel .xlsx workbook of plain, well-formed XML (no DTDs or entities, which can"
            " be XML bombs): open it in Excel or WPS and save it again",
        ) from exc


def excel_tables(path: Path) -> list[Table]:
    """One table per worksheet; the kind from the sheet name, else from a ``kind`` column."""
    book = _Workbook(path)
    skip = {README_SHEET.casefold(), LISTS_SHEET.casefold()}
    names = [n for n in book.sheetnames() if n.casefold() not in skip]
    book.last = names[-1] if names else ""
    return [
        Table(str(path), name, resolve_kind(name), functools.partial(book.rows, name))
        for name in names
    ]


class _Workbook:
    """A workbook opened once for all its sheets in a pass (opening costs far more than reading
    a small sheet), and closed when the pass has read its last sheet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last = ""
        self._wb: Any = None

    def _open(self) -> Any:
        if self._wb is None:
            self._wb = _open_workbook(self.path)
        return self._wb

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
            self._wb = None

    def sheetnames(self) -> list[str]:
        try:
            return list(self._open().sheetnames)
        finally:
            self.close()

    def rows(self, name: str) -> Iterator[NumberedRow]:
        try:
            yield from _sheet_rows(self.path, self._open()[name])
        except (zipfile.BadZipFile, KeyError, OSError, ParseError, ValueError) as exc:
            # ValueError: defusedxml refusing a DTD or an entity (an XML bomb) in the sheet
            self.close()
            raise SourceError(
                RowError(str(self.path), name, 0, "", None, f"a readable worksheet ({exc})")
            ) from exc
        if name == self.last:
            self.close()


def _cell(value: Any) -> Any:
    """A worksheet value as the parser expects it (array formulas carry their text)."""
    if value is None or isinstance(value, str | int | float | bool | dt.date | dt.time):
        return value
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def _header(value: Any) -> str:
    return "" if value is None else str(value).strip().lstrip("\ufeff").strip()


def _sheet_rows(path: Path, ws: Any) -> Iterator[NumberedRow]:
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        return
    headers = [_header(h) for h in first]
    _check_headers(path, ws.title, headers)
    for number, values in enumerate(rows, start=2):
        cells = [_cell(v) for v in values]
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if number == 2 and isinstance(cells[0], str) and cells[0].startswith(HELP_PREFIX):
            continue  # the template's help row
        yield number, _row_from_cells(headers, cells)


# --- JSON and the snapshot --------------------------------------------------------------------
def _flat_props(props: Any, where: tuple[Path, str, int]) -> dict[str, Any]:
    if props is None:
        return {}
    if not isinstance(props, Mapping):
        path, sheet, row = where
        raise SourceError(
            RowError(str(path), sheet, row, "props", props, "an object of properties")
        )
    # a property named like a meta field would overwrite it; rename it so it is reported
    return {(f"props.{k}" if k in _META_FIELDS else str(k)): v for k, v in props.items()}


def flatten_node(rec: Any, where: tuple[Path, str, int]) -> dict[str, Any]:
    """A codec node ``{"id", "kind", "props"}`` as one flat row."""
    if not isinstance(rec, Mapping):
        path, sheet, row = where
        raise SourceError(
            RowError(str(path), sheet, row, "", rec, 'a node object {"id", "kind", "props"}')
        )
    return {"id": rec.get("id"), "kind": rec.get("kind"), **_flat_props(rec.get("props"), where)}


def flatten_link(rec: Any, where: tuple[Path, str, int]) -> dict[str, Any]:
    """A codec link ``{"kind", "source", "target", "key", "props"}`` as one flat row."""
    if not isinstance(rec, Mapping):
        path, sheet, row = where
        raise SourceError(
            RowError(
                str(path),
                sheet,
                row,
                "",
                rec,
                'a link object {"kind", "source", "target", "props"}',
            )
        )
    return {
        "kind": rec.get("kind"),
        "source_id": rec.get("source"),
        "target_id": rec.get("target"),
        "key": rec.get("key"),
        **_flat_props(rec.get("props"), where),
    }


def _json_error(path: Path, text: str, exc: json.JSONDecodeError) -> SourceError:
    rest = text.rstrip()
    if not rest:
        return _fail(path, "a JSON document: this file is empty")
    # a whole document ends with its closing bracket; anything else was cut off
    truncated = exc.pos >= len(rest) or not rest.endswith(("}", "]"))
    expected = (
        "complete JSON: the file ends in the middle (was it cut off while copying or downloading?)"
        if truncated
        else f"valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    )
    return _fail(path, expected, row=exc.lineno, value=text[exc.pos : exc.pos + 30] or None)


def _json_limit(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "JSON of a sensible depth: this file nests arrays or objects too deeply"
    return f"JSON with numbers Python can read ({str(exc).split(';')[0]})"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(_encoding_error(path, exc)) from exc


def json_tables(path: Path) -> list[Table]:
    """The ``nodes`` and ``links`` of a JSON file as two tables (the file is parsed once, here)."""
    text = _read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, text, exc) from exc
    except (RecursionError, ValueError) as exc:  # absurd nesting; a number of 4300+ digits
        raise _fail(path, _json_limit(exc)) from exc
    shape = (
        'a JSON object {"nodes": [...], "links": [...]} as `govgraph export --format json` writes'
    )
    if not isinstance(doc, Mapping) or not ({"nodes", "links"} & set(doc)):
        raise _fail(path, shape, value=type(doc).__name__)
    tables: list[Table] = []
    for part, flatten in (("nodes", flatten_node), ("links", flatten_link)):
        items = doc.get(part) or []
        if not isinstance(items, list):
            raise _fail(path, shape + f' ("{part}" must be a list)')
        rows = functools.partial(_json_rows, path, part, items, flatten)
        tables.append(Table(str(path), part, None, rows, header_row=None, spreadsheet=False))
    return tables


def _json_rows(path: Path, part: str, items: list[Any], flatten: Any) -> Iterator[NumberedRow]:
    for i, rec in enumerate(items, start=1):
        yield i, flatten(rec, (path, part, i))


def _is_snapshot(path: Path) -> bool:
    with path.open("rb") as fh:
        first = fh.readline(4096)
    try:
        head = json.loads(first.decode("utf-8-sig"))
    except (RecursionError, ValueError):  # also UnicodeDecodeError and JSONDecodeError
        return False
    return isinstance(head, dict) and head.get("format") == SNAPSHOT_FORMAT


def snapshot_table(path: Path) -> Table:
    """A JSON-lines snapshot as one table of nodes and links, streamed line by line."""
    rows = functools.partial(_snapshot_rows, path)
    return Table(str(path), "", None, rows, header_row=None, spreadsheet=False)


def _snapshot_rows(path: Path) -> Iterator[NumberedRow]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except (RecursionError, ValueError) as exc:
                    if not isinstance(exc, json.JSONDecodeError):
                        raise _fail(path, _json_limit(exc), row=number) from exc
                    cut = not line.endswith("\n")
                    expected = (
                        "a complete JSON line: the file ends in the middle of this line (was it"
                        " cut off?)"
                        if cut
                        else f"one JSON object per line ({exc.msg})"
                    )
                    raise _fail(path, expected, row=number, value=line[:30]) from exc
                if number == 1:
                    if rec.get("version") != SNAPSHOT_VERSION:
                        raise _fail(
                            path,
                            f"snapshot version {SNAPSHOT_VERSION}",
                            row=1,
                            value=rec.get("version"),
                        )
                    continue
                where = (path, "", number)
                if isinstance(rec, dict) and "node" in rec:
                    yield number, flatten_node(rec["node"], where)
                elif isinstance(rec, dict) and "link" in rec:
                    yield number, flatten_link(rec["link"], where)
                else:
                    raise _fail(path, 'a line {"node": {...}} or {"link": {...}}', row=number)
    except UnicodeDecodeError as exc:
        raise SourceError(_encoding_error(path, exc)) from exc
