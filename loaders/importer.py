"""Import files into a store: check everything first, then write in batches.

The guarantees (also in ``docs/formats.md``):

* **Nothing is written unless everything is valid** (the default). Every mistake in every file
  is collected first, as a :class:`~.rows.RowError`, and :class:`DataImportError` carries them
  all. With ``skip_invalid=True`` the valid rows are written and the others are reported (and
  listed in a rejects file); a link to a node whose own row is left out is left out too.
* **Atomic when it fits one batch.** An import of at most ``batch_size`` records is one
  :meth:`GraphStore.apply_checked`, one transaction: all of it or none of it.
* **Idempotent when it does not.** A bigger import is written as several batches, nodes first
  and then links, each all-or-nothing. Every write is an upsert on a stable id, so if a batch
  fails (a lost connection) running the same import again completes it, with the same result
  as an uninterrupted run; importing the same files twice leaves the graph as it was.

Memory. Each row is parsed once: the first pass checks every row on its own and collects ids,
the store is asked for the kinds of the ids it already holds, a second pass checks link
endpoints, and a last pass writes. The parsed rows are kept between the passes up to
``keep_rows`` of them (about 650 bytes each, see ``bench/README.md``); tables past that budget
are read and parsed again in each pass instead, so memory stays bounded at any file size. Beyond
the kept rows, what is kept is one entry per id (about a hundred bytes), the rows found invalid
and the errors.

Writing. The records were checked against the ontology, each other and the store, so they go
through :meth:`GraphStore.apply_checked`, which skips validating them again and checks only
what may have changed in the store meanwhile (inside the write, without another round trip).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..graph.errors import GovGraphError
from ..graph.model import Link, Node
from ..graph.port import GraphStore, WriteBatch
from .readers import read_tables
from .rows import (
    MAX_CELL_CHARS,
    ImportIndex,
    Loc,
    ParsedRow,
    RowError,
    SourceError,
    Table,
    conflict_error,
    endpoint_errors,
    escape_formula,
    parse_table,
)

#: how many ids one ``get_nodes`` call asks the store about
LOOKUP_CHUNK = 1000
#: report progress every so many rows
PROGRESS_EVERY = 500
#: parsed rows kept between the passes (about 650 bytes each, measured: some 330 MB); past it
#: tables are parsed again in each pass
KEEP_ROWS = 500_000
ERROR_COLUMNS = ("file", "sheet", "row", "column", "value", "expected")


class DataImportError(GovGraphError):
    """An import refused because some rows are invalid; nothing was written.

    ``errors`` lists every mistake (file, sheet, row, column, value, expected). Named so as not
    to shadow Python's built-in ``ImportError``.
    """

    def __init__(self, errors: Sequence[RowError], *, note: str = "") -> None:
        self.errors = list(errors)
        shown = "\n  ".join(str(e) for e in self.errors[:20])
        more = f"\n  ... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        head = note or (
            f"{len(self.errors)} problem(s) found; nothing was imported"
            " (fix them, or import with skip_invalid to write the valid rows)"
        )
        super().__init__(f"{head}:\n  {shown}{more}" if self.errors else head)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where an import is: ``phase`` is ``check`` (reading and checking rows), ``links``
    (checking link endpoints) or ``write``; ``total`` is known once the rows are counted."""

    phase: str
    done: int
    total: int | None = None


ProgressFn = Callable[[Progress], None]


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    nodes_written: int = 0
    links_written: int = 0
    rows_rejected: int = 0
    batches: int = 0
    #: True when everything was written in one transaction
    atomic: bool = True
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        kept = f"{self.nodes_written} nodes and {self.links_written} links written"
        how = "in one transaction" if self.atomic else f"in {self.batches} batches"
        rejected = f"; {self.rows_rejected} rows left out" if self.rows_rejected else ""
        return f"{self.rows_read} rows read; {kept} {how}{rejected}"


def write_errors(path: Path | str, errors: Iterable[RowError]) -> None:
    """Write errors as CSV (UTF-8 with BOM, so Excel shows the Chinese) for fixing by hand."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ERROR_COLUMNS)
        for e in errors:
            value = "" if e.value is None else _plain(e.value)
            # the errors name formula cells; never let a spreadsheet run them
            w.writerow(
                [
                    escape_formula(e.file),  # a sheet or file can be named "=HYPERLINK(…)"
                    escape_formula(e.sheet),
                    e.row or "",
                    escape_formula(e.column),
                    escape_formula(value),
                    e.expected,
                ]
            )


def _plain(value: object, limit: int = 200) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def import_files(
    store: GraphStore,
    paths: Iterable[Path | str],
    *,
    skip_invalid: bool = False,
    batch_size: int = 5000,
    rejects_path: Path | str | None = None,
    errors_path: Path | str | None = None,
    progress: ProgressFn | None = None,
    max_cell: int = MAX_CELL_CHARS,
    keep_rows: int = KEEP_ROWS,
) -> ImportReport:
    """Import CSV, Excel, JSON and snapshot files (see :func:`import_tables`)."""
    tables: list[Table] = []
    unreadable: list[RowError] = []
    files: list[str] = []
    for p in paths:
        files.append(str(p))
        try:
            tables.extend(read_tables(p))
        except SourceError as exc:
            unreadable.append(exc.error)
    report = await import_tables(
        store,
        tables,
        file_order=files,
        skip_invalid=skip_invalid,
        batch_size=batch_size,
        rejects_path=rejects_path,
        errors_path=errors_path,
        progress=progress,
        max_cell=max_cell,
        file_errors=unreadable,
        keep_rows=keep_rows,
    )
    report.files = files
    return report


async def import_tables(
    store: GraphStore,
    tables: Sequence[Table],
    *,
    skip_invalid: bool = False,
    batch_size: int = 5000,
    rejects_path: Path | str | None = None,
    errors_path: Path | str | None = None,
    progress: ProgressFn | None = None,
    max_cell: int = MAX_CELL_CHARS,
    file_errors: Sequence[RowError] = (),
    file_order: Sequence[str] = (),
    keep_rows: int = KEEP_ROWS,
) -> ImportReport:
    """Check every row of ``tables`` against the ontology, each other and the store, then write.

    Raises :class:`DataImportError` listing every problem when a row is invalid and
    ``skip_invalid`` is false; then nothing is written. ``rejects_path`` and ``errors_path``
    (CSV: file, sheet, row, column, value, expected) are written either way when given; they
    hold the same list, the first under the name a ``skip_invalid`` run expects.
    ``keep_rows`` bounds the parsed rows held between the passes (0: parse in every pass).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    run = _Run(
        store,
        list(tables),
        skip_invalid=skip_invalid,
        batch_size=batch_size,
        progress=progress,
        max_cell=max_cell,
        keep_rows=keep_rows,
    )
    run.errors.extend(file_errors)
    await run.check()
    report = run.report
    report.errors = _in_file_order(run.errors, file_order, run.tables)
    for path in (rejects_path, errors_path):
        if path is not None:
            write_errors(path, report.errors)
    if report.errors and not skip_invalid:
        raise DataImportError(report.errors)
    await run.write()
    return report


class _Run:
    """One import's passes and bookkeeping."""

    def __init__(
        self,
        store: GraphStore,
        tables: list[Table],
        *,
        skip_invalid: bool,
        batch_size: int,
        progress: ProgressFn | None,
        max_cell: int,
        keep_rows: int,
    ) -> None:
        self.store = store
        self.tables = tables
        self.skip_invalid = skip_invalid
        self.batch_size = batch_size
        self.progress = progress
        self.max_cell = max_cell
        self.index = ImportIndex()
        self.errors: list[RowError] = []
        self.bad: set[Loc] = set()  # rows that are not written
        self.broken: set[int] = set()  # tables that could not be read to the end
        self.broken_rows = 0  # valid-looking rows read from those tables before they broke
        self.link_tables: set[int] = set()
        self.node_tables: set[int] = set()
        self.stored: dict[str, str] = {}  # id -> kind, for the import's ids the store holds
        self.report = ImportReport()
        # table number -> its rows that say who they are (``ref``), parsed in the first pass;
        # tables absent here are parsed again when a later pass needs them
        self._kept: dict[int, list[ParsedRow]] = {}
        self._room = keep_rows

    # -- helpers -------------------------------------------------------------------------------
    def _tick(self, phase: str, done: int, total: int | None, *, force: bool = False) -> None:
        if self.progress is not None and (force or done % PROGRESS_EVERY == 0):
            self.progress(Progress(phase, done, total))

    def _parse(self, t: int) -> Iterator[ParsedRow]:
        return parse_table(self.tables[t], max_cell=self.max_cell)

    def _rows(self, t: int) -> Iterable[ParsedRow]:
        """The rows of table ``t`` that have a ``ref`` (the only ones the later passes use)."""
        kept = self._kept.get(t)
        return kept if kept is not None else (r for r in self._parse(t) if r.ref is not None)

    def _reject(self, loc: Loc, errors: Iterable[RowError]) -> None:
        errs = list(errors)
        if errs:
            self.errors.extend(errs)
            self.bad.add(loc)

    # -- checking ------------------------------------------------------------------------------
    async def check(self) -> None:
        """Pass 1 (rows and ids), the store lookup, pass 2 (link endpoints)."""
        done = 0
        for t in range(len(self.tables)):
            seen_ids: list[str] = []
            bad_before, rows_before = len(self.bad), done
            kept: list[ParsedRow] | None = [] if self._room > 0 else None
            try:
                for row in self._parse(t):
                    done += 1
                    self._tick("check", done, None)
                    loc = (t, row.row)
                    errs = [*row.errors, *self.index.register(t, row)]
                    self._reject(loc, errs)
                    if row.record is None:
                        self.bad.add(loc)
                    if isinstance(row.ref, Link):
                        self.link_tables.add(t)
                    elif isinstance(row.ref, Node):
                        self.node_tables.add(t)
                        seen_ids.append(row.ref.id)
                    if kept is not None and row.ref is not None:
                        if len(kept) < self._room:
                            kept.append(row)
                        else:  # over budget: this table and the ones after it are re-read
                            kept = None
                            self._room = 0
                if kept is not None:
                    self._kept[t] = kept
                    self._room -= len(kept)
            except SourceError as exc:
                self.errors.append(exc.error)
                self.broken.add(t)
                # nothing of a file that cannot be read to the end is written
                self.index.rejected.update(seen_ids)
                self.broken_rows += (done - rows_before) - (len(self.bad) - bad_before)
        self.report.rows_read = done
        self._tick("check", done, done, force=True)

        await self._lookup_stored()
        self._check_conflicts()
        await self._check_links()
        self.report.rows_rejected = len(self.bad) + self.broken_rows

    async def _lookup_stored(self) -> None:
        """Ask the store for the kinds of every id the import defines or links to."""
        wanted = sorted(set(self.index.nodes) | self.index.endpoints)
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            found = await self.store.get_nodes(wanted[i : i + LOOKUP_CHUNK])
            self.stored.update({nid: n.kind for nid, n in found.items()})

    def _check_conflicts(self) -> None:
        """An import may update a stored node but not turn it into another kind."""
        for nid, (kind, loc) in self.index.nodes.items():
            stored = self.stored.get(nid)
            if stored is None or stored == kind:
                continue
            file, sheet, id_header = self.index.tables[loc[0]]
            row = ParsedRow(file, sheet, loc[1], None, Node(nid, kind), (), {"id": id_header})
            err = conflict_error(row, stored)
            if err is not None:
                self._reject(loc, [err])
                self.index.rejected.add(nid)

    def _kind_of(self, nid: str) -> str | None:
        mine = self.index.nodes.get(nid)
        if mine is not None and (not self.skip_invalid or nid not in self.index.rejected):
            return mine[0]
        return self.stored.get(nid)

    def _withdrawn(self, nid: str) -> bool:
        """A node row left out (skip_invalid) that the store does not hold either."""
        return self.skip_invalid and nid in self.index.rejected and nid not in self.stored

    async def _check_links(self) -> None:
        done = 0
        for t in sorted(self.link_tables - self.broken):
            for row in self._rows(t):
                if not isinstance(row.ref, Link):
                    continue
                done += 1
                self._tick("links", done, None)
                self._reject((t, row.row), endpoint_errors(row, self._kind_of, self._withdrawn))
        self._tick("links", done, done, force=True)

    # -- writing -------------------------------------------------------------------------------
    def _valid(self, t: int, want: type[Node] | type[Link]) -> Iterator[Node | Link]:
        for row in self._rows(t):
            rec = row.record
            if isinstance(rec, want) and (t, row.row) not in self.bad:
                yield rec

    def _node_stream(self) -> Iterator[Node | Link]:
        for t in sorted(self.node_tables - self.broken):
            yield from self._valid(t, Node)

    def _link_stream(self) -> Iterator[Node | Link]:
        for t in sorted(self.link_tables - self.broken):
            yield from self._valid(t, Link)

    async def write(self) -> None:
        # an import of at most ``batch_size`` records is one transaction: all of it or none
        records = itertools.chain(self._node_stream(), self._link_stream())
        head = list(itertools.islice(records, self.batch_size + 1))
        if len(head) <= self.batch_size:
            if head:
                total = len(head)
                self._tick("write", 0, total, force=True)
                await self._apply(head, 0)
                self._tick("write", total, total, force=True)
            return
        del head, records  # counted only; the batches stream the records again
        self.report.atomic = False
        total = self.report.rows_read - len(self.bad) - self.broken_rows
        done = 0
        self._tick("write", 0, total, force=True)
        for stream in (self._node_stream(), self._link_stream()):
            for chunk in _chunks(stream, self.batch_size):
                await self._apply(chunk, done)
                done += len(chunk)
                self._tick("write", done, total, force=True)

    async def _apply(self, chunk: list[Node | Link], done: int) -> None:
        batch = WriteBatch(
            [r for r in chunk if isinstance(r, Node)],
            [r for r in chunk if isinstance(r, Link)],
        )
        try:
            result = await self.store.apply_checked(batch)
        except GovGraphError as exc:
            if self.report.atomic:
                raise
            raise DataImportError(
                [],
                note=(
                    f"batch {self.report.batches + 1} failed after {done} records were"
                    f" written ({exc}); every batch is all-or-nothing and the import is"
                    " idempotent: run the same import again to complete it"
                ),
            ) from exc
        self.report.batches += 1
        self.report.nodes_written += result.nodes_written
        self.report.links_written += result.links_written


def _in_file_order(
    errors: list[RowError], file_order: Sequence[str], tables: Sequence[Table]
) -> list[RowError]:
    """Errors as a reader goes through the files: file by file, sheet by sheet, row by row."""
    rank: dict[str, int] = {}
    sheets: dict[tuple[str, str], int] = {}
    for f in file_order:
        rank.setdefault(f, len(rank))
    for t in tables:
        rank.setdefault(t.file, len(rank))
        sheets.setdefault((t.file, t.sheet), len(sheets))
    return sorted(
        errors,
        key=lambda e: (
            rank.get(e.file, len(rank)),
            sheets.get((e.file, e.sheet), -1),
            e.row,
        ),
    )


def _chunks(items: Iterable[Node | Link], size: int) -> Iterator[list[Node | Link]]:
    chunk: list[Node | Link] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
