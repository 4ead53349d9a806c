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
duplicates are confirmed, the store is asked for the kinds of the import's node ids, a second
pass checks link endpoints (asking the store, a chunk of rows at a time, for ends the import
lacks), and a last pass writes. The parsed rows are kept between the passes up to ``keep_rows``
of them (about 650 bytes each, see ``bench/README.md``); tables past that budget are read and
parsed again in each pass instead, so memory stays bounded at any file size. Beyond the kept
rows, the ids are kept compactly: a link id as a 64-bit digest and its table number (12 bytes),
a node as its id in one UTF-8 buffer, its digest, kind, row and flags in arrays (about 50
bytes), where dicts of the ids cost about 250 bytes a link. Digests only *suggest*: a digest
seen twice is confirmed on the full ids (node ids are at hand; link tables holding a repeated
digest are read once more, keeping just those ids), and an endpoint found by digest is compared
in full, so a hash collision never changes an outcome. Also kept: the rows found invalid and
the errors.

Writing. The records were checked against the ontology, each other and the store, so they go
through :meth:`GraphStore.apply_checked`, which skips validating them again and checks only
what may have changed in the store meanwhile (inside the write, without another round trip).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..graph.errors import GovGraphError
from ..graph.model import Link, Node
from ..graph.ontology import LINK_KINDS
from ..graph.port import GraphStore, WriteBatch
from .cells import MAX_CELL_CHARS, escape_formula
from .readers import read_tables
from .rows import (
    ImportIndex,
    Loc,
    ParsedRow,
    RowError,
    SourceError,
    Table,
    conflict_error,
    endpoint_errors,
    parse_table,
)

#: how many ids one ``get_nodes`` call asks the store about
LOOKUP_CHUNK = 1000
#: report progress every so many rows
PROGRESS_EVERY = 500
#: parsed rows kept between the passes, so that memory stays bounded at any size (bytes a row:
#: bench/README.md); past it tables are parsed again in each pass
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
    digest: Digest | None = None,
) -> ImportReport:
    """Check every row of ``tables`` against the ontology, each other and the store, then write.

    Raises :class:`DataImportError` listing every problem when a row is invalid and
    ``skip_invalid`` is false; then nothing is written. ``rejects_path`` and ``errors_path``
    (CSV: file, sheet, row, column, value, expected) are written either way when given; they
    hold the same list, the first under the name a ``skip_invalid`` run expects.
    ``keep_rows`` bounds the parsed rows held between the passes (0: parse in every pass).
    ``digest`` (default :data:`id_digest`) digests ids for the duplicate and endpoint checks;
    the outcome never depends on it (tests pass a tiny one to force collisions).
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
        digest=digest or id_digest,
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


#: a 64-bit digest of an id; only its speed depends on its quality, never an outcome
Digest = Callable[[str], int]
#: digests are kept in this many buckets (by their low bits), so each is sorted in little room
DIGEST_BUCKETS = 1 << 12


#: the default digest: Python's own string hash (SipHash, 64 bits), cached on the string object
id_digest: Digest = hash


class _Digests:
    """Ids as fixed-size digests, each with a number (``tag``): 12 bytes an id in arrays, where a
    dict of the ids costs about 250. A digest seen twice is only a *suspect*: the caller confirms
    it on the full ids, so a hash collision can never make a false duplicate."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        self._keys = [array("q") for _ in range(DIGEST_BUCKETS)]
        self._tags = [array("I") for _ in range(DIGEST_BUCKETS)]

    def add(self, text: str, tag: int) -> None:
        d = self.digest(text)
        bucket = d & (DIGEST_BUCKETS - 1)
        self._keys[bucket].append(d)
        self._tags[bucket].append(tag)

    def repeated(self) -> tuple[set[int], set[int]]:
        """The digests added more than once, and the tags they came with."""
        digests: set[int] = set()
        tags: set[int] = set()
        for keys, bucket_tags in zip(self._keys, self._tags, strict=True):
            if len(set(keys)) == len(keys):
                continue
            twice = {d for d, n in Counter(keys).items() if n > 1}
            digests |= twice
            tags.update(tag for d, tag in zip(keys, bucket_tags, strict=True) if d in twice)
        return digests, tags

    def sort(self) -> list[list[int]]:
        """Sort every bucket for :meth:`tags_of`; return the tags of each repeated digest, each
        group in the order added."""
        groups: list[list[int]] = []
        for b, unsorted in enumerate(self._keys):
            # sorted() is stable: equal digests keep the order they were added in
            order = sorted(range(len(unsorted)), key=unsorted.__getitem__)
            keys = self._keys[b] = array("q", [unsorted[i] for i in order])
            tags = self._tags[b] = array("I", [self._tags[b][i] for i in order])
            if len(set(keys)) == len(keys):
                continue
            start = 0
            for i in range(1, len(keys) + 1):
                if i == len(keys) or keys[i] != keys[start]:
                    if i - start > 1:
                        groups.append(list(tags[start:i]))
                    start = i
        return groups

    def tags_of(self, text: str) -> Iterator[int]:
        """The tags added with ``text``'s digest (after :meth:`sort`): it, or a collision."""
        d = self.digest(text)
        bucket = d & (DIGEST_BUCKETS - 1)
        keys, tags = self._keys[bucket], self._tags[bucket]
        i = bisect.bisect_left(keys, d)
        while i < len(keys) and keys[i] == d:
            yield tags[i]
            i += 1


# what is known of a node row of the import (bits of ``_Nodes.flags``)
_INVALID = 1  # its row is invalid
_BROKEN = 2  # its file could not be read to the end
_CONFLICT = 4  # the store holds its id as another kind
_REPEAT = 8  # an earlier row gave the same id: this row is not the node
_REJECTED = _INVALID | _BROKEN | _CONFLICT


class _Nodes:
    """The import's node rows in arrays, numbered in the order read: the id (UTF-8 in one
    buffer), its kind and stored kind (as small codes), the row, and flags; found by digest, and
    then by comparing the full id. About 50 bytes a node (ids of 20 characters)."""

    def __init__(self, digest: Digest) -> None:
        self.digests = _Digests(digest)
        self._text = bytearray()
        self._ends = array("Q", [0])  # node n's id is _text[_ends[n] : _ends[n + 1]]
        self.kind = array("H")
        self.stored = array("H")  # 0: not in the store
        self.flags = array("B")
        self.table = array("I")
        self.row = array("I")
        self._kinds = [""]
        self._codes = {"": 0}

    def __len__(self) -> int:
        return len(self.kind)

    def code(self, kind: str) -> int:
        code = self._codes.get(kind)
        if code is None:
            code = self._codes[kind] = len(self._kinds)
            self._kinds.append(kind)
        return code

    def add(self, nid: str, kind: str, loc: Loc, *, invalid: bool) -> None:
        self.digests.add(nid, len(self.kind))
        self._text += nid.encode()
        self._ends.append(len(self._text))
        code = self._codes.get(kind)
        self.kind.append(self.code(kind) if code is None else code)
        self.stored.append(0)
        self.flags.append(_INVALID if invalid else 0)
        self.table.append(loc[0])
        self.row.append(loc[1])

    def id(self, n: int) -> str:
        return self._text[self._ends[n] : self._ends[n + 1]].decode()

    def kind_of(self, n: int) -> str:
        return self._kinds[self.kind[n]]

    def stored_kind(self, n: int) -> str | None:
        return self._kinds[self.stored[n]] if self.stored[n] else None

    def rejected(self, n: int) -> bool:
        return bool(self.flags[n] & _REJECTED)

    def find(self, nid: str) -> int | None:
        """The node that ``nid`` names (its first row), if the import has one."""
        raw: bytes | None = None
        for n in self.digests.tags_of(nid):
            if self.flags[n] & _REPEAT:
                continue
            raw = nid.encode() if raw is None else raw
            if self._text[self._ends[n] : self._ends[n + 1]] == raw:
                return n
        return None


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
        digest: Digest = id_digest,
    ) -> None:
        self.store = store
        self.tables = tables
        self.skip_invalid = skip_invalid
        self.batch_size = batch_size
        self.progress = progress
        self.max_cell = max_cell
        # only its table labels (``tables``, ``where``) and the duplicate messages are used: the
        # ids themselves are kept compactly, below
        self.index = ImportIndex()
        self.nodes = _Nodes(digest)
        self.links = _Digests(digest)  # link ids, tagged with their table
        self._id_headers: dict[Loc, str] = {}  # a node row's id header, where not its table's
        self.errors: list[RowError] = []
        self.bad: set[Loc] = set()  # rows that are not written
        self.broken: set[int] = set()  # tables that could not be read to the end
        self.broken_rows = 0  # valid-looking rows read from those tables before they broke
        self.link_tables: set[int] = set()
        self.node_tables: set[int] = set()
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

    def _reject_late(self, loc: Loc, errors: Sequence[RowError]) -> None:
        """Reject a row after the first pass (a duplicate found on the full ids)."""
        if errors and loc[0] in self.broken and loc not in self.bad:
            self.broken_rows -= 1  # counted as valid-looking when its table broke
        self._reject(loc, errors)

    # -- checking ------------------------------------------------------------------------------
    async def check(self) -> None:
        """Pass 1 (rows, ids), duplicates confirmed, the store lookup, pass 2 (link endpoints)."""
        done = 0
        for t in range(len(self.tables)):
            first_node = len(self.nodes)
            bad_before, rows_before = len(self.bad), done
            kept: list[ParsedRow] | None = [] if self._room > 0 else None
            try:
                for row in self._parse(t):
                    done += 1
                    self._tick("check", done, None)
                    if row.record is None:
                        self._reject((t, row.row), row.errors)
                        self.bad.add((t, row.row))
                    if row.ref is None:
                        continue
                    self._register(t, row)
                    if kept is not None:
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
                for n in range(first_node, len(self.nodes)):
                    self.nodes.flags[n] |= _BROKEN
                self.broken_rows += (done - rows_before) - (len(self.bad) - bad_before)
        self.report.rows_read = done
        self._tick("check", done, done, force=True)

        self._confirm_node_repeats()
        self._confirm_link_repeats()
        await self._lookup_stored()
        await self._check_links()
        self.report.rows_rejected = len(self.bad) + self.broken_rows

    def _register(self, t: int, row: ParsedRow) -> None:
        """Note a row's ids (duplicates are found once every id is in)."""
        ref = row.ref
        if ref is None:
            return
        tables = self.index.tables
        if t not in tables:
            tables[t] = (row.file, row.sheet, row.column("id"))
        id_header = tables[t][2]
        if isinstance(ref, Link):
            self.link_tables.add(t)
            self.links.add(ref.id, t)
        else:
            self.node_tables.add(t)
            if row.column("id") != id_header:  # rows of a JSON table may name it differently
                self._id_headers[t, row.row] = row.column("id")
            self.nodes.add(ref.id, ref.kind, (t, row.row), invalid=row.record is None)

    def _confirm_node_repeats(self) -> None:
        """Node rows whose id digest repeats: compare the full ids, report real duplicates."""
        exact = ImportIndex(tables=self.index.tables)  # gives the duplicate messages
        nodes = self.nodes
        for group in nodes.digests.sort():
            first: dict[str, int] = {}
            for n in group:
                nid, loc = nodes.id(n), (nodes.table[n], nodes.row[n])
                file, sheet, id_header = self.index.tables[loc[0]]
                probe = ParsedRow(
                    file,
                    sheet,
                    loc[1],
                    None,
                    Node(nid, nodes.kind_of(n)),
                    (),
                    {"id": self._id_headers.get(loc, id_header)},
                )
                errs = exact.register(loc[0], probe)
                if not errs:
                    first[nid] = n
                    continue
                nodes.flags[n] |= _REPEAT
                if nodes.flags[n] & _BROKEN:  # the id was read from a broken file: not written
                    nodes.flags[first[nid]] |= _BROKEN
                self._reject_late(loc, errs)

    def _confirm_link_repeats(self) -> None:
        """Link rows whose id digest repeats: read their tables again, keeping only those ids in
        full, and report real duplicates exactly as the first pass would have."""
        suspects, tables = self.links.repeated()
        if not suspects:
            return
        exact = ImportIndex(tables=self.index.tables)
        digest = self.links.digest
        for t in sorted(tables):
            try:
                for row in self._rows(t):
                    ref = row.ref
                    if isinstance(ref, Link) and digest(ref.id) in suspects:
                        self._reject_late((t, row.row), exact.register(t, row))
            except SourceError:
                pass  # reported by the first pass, which read the same rows up to there

    async def _lookup_stored(self) -> None:
        """Ask the store for the kinds of the import's node ids; an import may update a stored
        node but not turn it into another kind."""
        nodes = self.nodes
        entries = (n for n in range(len(nodes)) if not nodes.flags[n] & _REPEAT)
        while chunk := list(itertools.islice(entries, LOOKUP_CHUNK)):
            ids = [nodes.id(n) for n in chunk]
            found = await self.store.get_nodes(ids)
            for n, nid in zip(chunk, ids, strict=True):
                got = found.get(nid)
                if got is not None:
                    nodes.stored[n] = nodes.code(got.kind)
                    self._check_conflict(n, nid, got.kind)

    def _check_conflict(self, n: int, nid: str, stored: str) -> None:
        kind = self.nodes.kind_of(n)
        if stored == kind:
            return
        loc = (self.nodes.table[n], self.nodes.row[n])
        file, sheet, id_header = self.index.tables[loc[0]]
        row = ParsedRow(file, sheet, loc[1], None, Node(nid, kind), (), {"id": id_header})
        err = conflict_error(row, stored)
        if err is not None:
            self._reject(loc, [err])
            self.nodes.flags[n] |= _CONFLICT

    async def _check_links(self) -> None:
        done = 0
        chunk: list[tuple[int, ParsedRow]] = []
        for t in sorted(self.link_tables - self.broken):
            for row in self._rows(t):
                if isinstance(row.ref, Link):
                    chunk.append((t, row))
                if len(chunk) == LOOKUP_CHUNK:
                    done = await self._check_ends(chunk, done)
                    chunk = []
        done = await self._check_ends(chunk, done)
        self._tick("links", done, done, force=True)

    async def _check_ends(self, chunk: list[tuple[int, ParsedRow]], done: int) -> int:
        """Check the endpoints of some link rows; ends the import lacks are asked of the store."""
        nodes = self.nodes
        mine: dict[str, int | None] = {}
        for _, row in chunk:
            assert isinstance(row.ref, Link)
            for end in (row.ref.source, row.ref.target):
                if end not in mine:
                    mine[end] = nodes.find(end)
        elsewhere: dict[str, str] = {}  # id -> kind, of the store's nodes the import lacks
        outside = [end for end, n in mine.items() if n is None]
        for i in range(0, len(outside), LOOKUP_CHUNK):
            found = await self.store.get_nodes(outside[i : i + LOOKUP_CHUNK])
            elsewhere.update({nid: node.kind for nid, node in found.items()})

        def kind_of(nid: str) -> str | None:
            n = mine[nid]
            if n is None:
                return elsewhere.get(nid)
            if not self.skip_invalid or not nodes.rejected(n):
                return nodes.kind_of(n)
            return nodes.stored_kind(n)

        def withdrawn(nid: str) -> bool:
            """A node row left out (skip_invalid) that the store does not hold either."""
            n = mine[nid]
            return self.skip_invalid and n is not None and nodes.rejected(n) and not nodes.stored[n]

        # each end looked at once: (its kind, or None when unknown or withdrawn)
        usable = {end: None if withdrawn(end) else kind_of(end) for end in mine}
        for t, row in chunk:
            done += 1
            self._tick("links", done, None)
            ref = row.ref
            assert isinstance(ref, Link)
            src, dst = usable[ref.source], usable[ref.target]
            if src is not None and dst is not None and LINK_KINDS[ref.kind].allows(src, dst):
                continue  # both ends usable, a pair the kind allows: no error to word
            self._reject((t, row.row), endpoint_errors(row, kind_of, withdrawn))
        return done

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
