"""neo4j-admin's input files, written from the records the importer has checked.

A bulk first load (``govgraph import --bulk``) checks its input exactly as ``govgraph import``
does, because it *is* the importer: :func:`write_bulk_files` runs :func:`.importer.import_files`
against :class:`_FileSink`, a store that answers as an empty database (a bulk load only goes
into one, checked beforehand) and whose checked writes go to CSV files instead. A bad row raises
the importer's :class:`~.importer.DataImportError` before anything is written.

The files hold what :class:`~govgraph.graph.neo4j_store.Neo4jStore` writes (``graph/cypher.py``):
a node has the labels ``Entity`` and its kind, and the properties ``id``, ``kind`` and its own; a
link is a relationship of its kind with the property ``id`` (the derived link id) and its own.
Each kind gets a header file (typed columns: ``:long``, ``:double``, ``:boolean``, ``:date``, as
the ontology types them) and a data file. Strings are always quoted and an absent value is an
empty quoted cell, which neo4j-admin reads as no property with ``--ignore-empty-strings`` (the
importer never keeps an empty string: it reads one as absent), so whitespace-only text survives.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from ..graph.cypher import ENTITY
from ..graph.embedded import EmbeddedStore
from ..graph.ontology import LINK_KINDS, NODE_KINDS, Prop, PropType, link_props, node_props
from ..graph.port import WriteBatch, WriteResult, require_upserts_only
from .cells import MAX_CELL_CHARS
from .importer import ImportReport, ProgressFn, import_files

__all__ = ["BulkFiles", "BulkSource", "header", "write_bulk_files"]

#: neo4j-admin's type of each property type (a string column needs none)
ADMIN_TYPES: Final = {
    PropType.STR: "",
    PropType.INT: ":long",
    PropType.FLOAT: ":double",
    PropType.BOOL: ":boolean",
    PropType.DATE: ":date",
}
#: neo4j-admin options the files are written for (see the module's docstring)
ADMIN_OPTIONS: Final = ("--ignore-empty-strings=true",)
#: records the importer hands over at once; files take any size, so only the call count matters
WRITE_BATCH = 20_000


def header(kind: str) -> list[str]:
    """The header row of ``kind``'s file, node or link kind."""
    if kind in NODE_KINDS:
        return ["id:ID", "kind", *(_typed(p) for p in node_props(NODE_KINDS[kind]))]
    return ["id", ":START_ID", ":END_ID", *(_typed(p) for p in link_props(LINK_KINDS[kind]))]


def _typed(p: Prop) -> str:
    return p.name + ADMIN_TYPES[p.type]


@dataclass(frozen=True, slots=True)
class BulkSource:
    """One ``--nodes`` or ``--relationships`` argument of neo4j-admin: what the rows are (labels
    ``Entity:Compound`` or a relationship type) and the header file then the data file."""

    group: str  # "nodes" or "relationships"
    labels: str
    files: tuple[Path, Path]
    rows: int
    #: some value holds a line break (neo4j-admin parses such files more slowly, so only they
    #: are named in ``--multiline-fields``)
    multiline: bool


@dataclass(slots=True)
class BulkFiles:
    """What :func:`write_bulk_files` wrote: the sources in order (nodes first) and the
    importer's report (rows read, nodes and links written, rows left out, errors)."""

    folder: Path
    sources: list[BulkSource]
    report: ImportReport

    @property
    def records(self) -> int:
        return self.report.nodes_written + self.report.links_written

    @property
    def multiline(self) -> list[Path]:
        """The data files with a line break in some value."""
        return [s.files[1] for s in self.sources if s.multiline]

    @property
    def admin_sources(self) -> list[tuple[str, str, tuple[Path, Path]]]:
        """The sources as ``ops.neo4j_bulk.admin_arguments`` takes them."""
        return [(s.group, s.labels, s.files) for s in self.sources]


_Cell = Callable[[Any], Any]


def _date(v: dt.date) -> str:
    return v.isoformat()


def _bool(v: bool) -> str:
    return "true" if v else "false"


_CELLS: dict[PropType, _Cell] = {PropType.DATE: _date, PropType.BOOL: _bool}


class _KindFile:
    """One kind's data file, open for appending rows; its header file is written at once."""

    def __init__(self, folder: Path, kind: str) -> None:
        is_node = kind in NODE_KINDS
        self.group = "nodes" if is_node else "relationships"
        self.labels = f"{ENTITY}:{kind}" if is_node else kind
        stem = f"{self.group}-{kind}"
        self.header_path = folder / f"{stem}.header.csv"
        self.path = folder / f"{stem}.csv"
        props = node_props(NODE_KINDS[kind]) if is_node else link_props(LINK_KINDS[kind])
        self.columns = [(p.name, _CELLS.get(p.type), p.type is PropType.STR) for p in props]
        self.rows = 0
        self.multiline = False
        with self.header_path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(header(kind)) + "\n")  # ontology names: nothing to quote
        self._fh: IO[str] = self.path.open("w", encoding="utf-8", newline="")
        self._out = _writer(self._fh)

    def write(self, lead: list[Any], props: Mapping[str, Any]) -> None:
        row = lead
        for name, cell, text in self.columns:
            v = props.get(name)
            if v is None:
                row.append(None)
            elif cell is not None:
                row.append(cell(v))
            else:
                if text and not self.multiline and ("\n" in v or "\r" in v):
                    self.multiline = True
                row.append(v)
        self._out.writerow(row)
        self.rows += 1

    def close(self) -> BulkSource:
        self._fh.close()
        return BulkSource(
            self.group, self.labels, (self.header_path, self.path), self.rows, self.multiline
        )


def _writer(fh: IO[str]) -> Any:
    # every string quoted, numbers bare; None becomes "" (read as absent, see ADMIN_OPTIONS)
    return csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")


class _FileSink(EmbeddedStore):
    """An empty store whose checked writes go to neo4j-admin's files.

    Every read answers as the empty database the bulk load goes into, so the importer checks
    the rows just as it would against that database; :meth:`apply_checked` (the importer's only
    write) appends each record to its kind's file.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._files: dict[str, _KindFile] = {}

    def _file(self, kind: str) -> _KindFile:
        f = self._files.get(kind)
        if f is None:
            f = self._files[kind] = _KindFile(self.folder, kind)
        return f

    async def apply(self, batch: WriteBatch) -> WriteResult:
        raise TypeError("a bulk load writes checked upserts only (apply_checked)")

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        require_upserts_only(batch)
        for n in batch.nodes:
            self._file(n.kind).write([n.id, n.kind], n.props)
        for lk in batch.links:
            self._file(lk.kind).write([lk.id, lk.source, lk.target], lk.props)
        return WriteResult(len(batch.nodes), len(batch.links))

    def sources(self) -> list[BulkSource]:
        """Close every file; the sources, node kinds first, each group in ontology order."""
        done = {kind: f.close() for kind, f in self._files.items()}
        self._files.clear()
        order = [*NODE_KINDS, *LINK_KINDS]
        return [done[k] for k in order if k in done]


async def write_bulk_files(
    paths: Iterable[Path | str],
    folder: Path | str,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | str | None = None,
    errors_path: Path | str | None = None,
    progress: ProgressFn | None = None,
    max_cell: int = MAX_CELL_CHARS,
) -> BulkFiles:
    """Check ``paths`` as :func:`.importer.import_files` does and write neo4j-admin's files of
    the valid records into ``folder`` (created if needed; files of the same names are replaced).

    The arguments mean what they mean to the importer; the progress phases are its phases
    (``write`` is writing the files). Raises :class:`~.importer.DataImportError` as it does:
    then no file is written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    sink = _FileSink(out)
    sources: Sequence[BulkSource] = ()
    try:
        report = await import_files(
            sink,
            paths,
            skip_invalid=skip_invalid,
            batch_size=WRITE_BATCH,
            rejects_path=rejects_path,
            errors_path=errors_path,
            progress=progress,
            max_cell=max_cell,
        )
    finally:
        sources = sink.sources()
        await sink.close()
    return BulkFiles(out, list(sources), report)
