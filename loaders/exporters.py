"""Exports from any store: for graph tools (GraphML, GEXF, Cytoscape JSON) and for round trips
(CSV per kind, JSON, the JSON-lines snapshot), which the importer reads back unchanged.

Graph-tool formats are written from :meth:`GraphStore.projection` with NetworkX. Three things
are adapted for them, by :func:`tool_graph`: dates become ISO text (none of the formats has a
date type), absent values are omitted (GraphML cannot store None), and the ``source``
(provenance, 来源) property is called ``provenance`` because ``source`` and ``target`` name the
ends of an edge in these formats. GEXF is written in dynamic mode: a link's ``since`` and
``until`` become the edge's ``start`` and ``end``, so Gephi's timeline shows the network as it
changes.

Every export is written to a temporary file and renamed into place, so an interrupted export
never leaves a half-written file where a good one is expected.

Exports are made for a role (:func:`export`'s ``role``), with the same rules as the GraphQL API:

* ``department`` (the default; the CLI runs on the department's own machine): everything.
* ``researcher``: :func:`researcher_records` (people pseudonymized with the API's pseudonym
  function and secret, and the quasi-identifier policy of ``graph/disclosure.py``), written in
  any format by the same writers.
* ``public``: counts only (:func:`public_counts`), as ``csv`` or ``json``; the other formats are
  graphs and refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

import networkx as nx

from ..graph import disclosure
from ..graph.codec import link_to_dict, node_to_dict
from ..graph.embedded import EmbeddedStore
from ..graph.errors import Problem, ValidationError
from ..graph.model import Link, Node, Value
from ..graph.ontology import LINK_KINDS, NODE_KINDS
from ..graph.places import levels_of
from ..graph.port import GraphStore
from ..graph.privacy import Role, RoleView, pseudonym
from ..graph.query import MAX_PAGE
from .cells import FORMULA_CHARS, escape_formula
from .readers import SNAPSHOT_FORMAT, SNAPSHOT_VERSION
from .rows import columns

JSON_FORMAT = "govgraph"
JSON_VERSION = 1
#: the name the provenance property takes in graph-tool formats (see the module docstring)
PROVENANCE = "provenance"
FORMATS = ("graphml", "gexf", "csv", "json", "cytoscape", "snapshot")
#: what the public role may have: counts, as tables
PUBLIC_FORMATS = ("csv", "json")
COUNTS_FORMAT = "govgraph-counts"
COUNTS_VERSION = 1
#: the most places one aggregate answers (the stores' limit), far more than a city has
_ALL_PLACES = 10_000


# --- reading the store ------------------------------------------------------------------------
async def iter_nodes(store: GraphStore, kinds: Iterable[str] = ()) -> AsyncIterator[Node]:
    """Every node (of ``kinds``, default all), page by page, so memory stays flat."""
    for kind in tuple(kinds) or tuple(NODE_KINDS):
        after: str | None = None
        while True:
            page = await store.list_nodes(kind, first=MAX_PAGE, after=after)
            for n in page.items:
                yield n
            if not page.has_next:
                break
            after = page.end_cursor


@dataclass(frozen=True, slots=True)
class Records:
    """A graph held as lists: what a role may have, which the writers read like a store (it
    need not be one: a researcher's MEMBER_OF has no status, which a store requires)."""

    nodes: list[Node]
    links: list[Link]


Source = GraphStore | Records


async def _nodes(src: Source, kinds: Iterable[str] = ()) -> AsyncIterator[Node]:
    if isinstance(src, GraphStore):
        async for n in iter_nodes(src, kinds):
            yield n
        return
    wanted = set(kinds)
    for n in src.nodes:
        if not wanted or n.kind in wanted:
            yield n


async def _links(src: Source, kind: str | None = None) -> list[Link]:
    if isinstance(src, GraphStore):
        return await src.list_links(kind=kind)
    return [lk for lk in src.links if kind is None or lk.kind == kind]


async def _projection(src: Source) -> nx.MultiDiGraph:
    """The store's projection, or the same shape built from records."""
    if isinstance(src, GraphStore):
        g: nx.MultiDiGraph = await src.projection()
        return g
    g = nx.MultiDiGraph()
    for n in src.nodes:
        g.add_node(n.id, kind=n.kind, **n.props)
    for lk in src.links:
        if lk.source in g and lk.target in g:
            g.add_edge(lk.source, lk.target, key=lk.id, kind=lk.kind, **lk.props)
    return g


# --- pure helpers -----------------------------------------------------------------------------
def plain_value(value: Any) -> Any:
    """A property value for a format without dates: dates (also a driver's) as ISO text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    iso = getattr(value, "iso_format", None)  # neo4j.time.Date and friends
    return iso() if callable(iso) else value


def _tool_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[PROVENANCE if k == "source" else k] = plain_value(v)
    return out


def tool_graph(g: nx.MultiDiGraph, *, dynamic: bool = False) -> nx.MultiDiGraph:
    """A copy of a projection ready for graph tools (see the module docstring).

    Nodes get a ``label`` (their name, else their id) and edges get their kind as ``label``;
    with ``dynamic`` a link's ``since``/``until`` become ``start``/``end`` (GEXF spells).

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("c1", kind="Compound", name="云北苑小区", source="ledger")
    >>> g.add_edge("b1", "c1", key="b1|PART_OF|c1", kind="PART_OF", since=dt.date(2021, 3, 1))
    'b1|PART_OF|c1'
    >>> out = tool_graph(g, dynamic=True)
    >>> out.nodes["c1"]["provenance"], out.edges["b1", "c1", "b1|PART_OF|c1"]["start"]
    ('ledger', '2021-03-01')
    """
    out = nx.MultiDiGraph()
    if dynamic:
        out.graph["mode"] = "dynamic"
    for nid, attrs in g.nodes(data=True):
        data = _tool_attrs(attrs)
        data.setdefault("label", str(attrs.get("name") or nid))
        out.add_node(nid, **data)
    for u, v, key, attrs in g.edges(keys=True, data=True):
        data = _tool_attrs(attrs)
        data["id"] = str(key)
        data.setdefault("label", str(attrs.get("kind", "")))
        if dynamic:
            for old, new in (("since", "start"), ("until", "end")):
                if old in data:
                    data[new] = data.pop(old)
        out.add_edge(u, v, key=key, **data)
    return out


def csv_cell(value: Value | None) -> str:
    """A value as CSV text the importer reads back to the same value (formulas escaped)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    if isinstance(value, int):
        return str(value)
    return escape_formula(value)


def append_as_text(ws: Any, values: Sequence[Any]) -> None:
    """Append a row to an openpyxl worksheet keeping every text a text.

    openpyxl stores a string that starts with ``=`` as a formula, which Excel and WPS run when
    the file is opened (``=HYPERLINK(...)`` typed into a name, say). Such text is stored as a
    string cell with Excel's quote prefix instead: it shows exactly as it is and stays text when
    edited.
    """
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value and cell.value[0] in FORMULA_CHARS:
            cell.data_type = "s"
            cell.quotePrefix = True


def node_csv_row(n: Node) -> list[str]:
    return [csv_cell(n.id if c.field == "id" else n.props.get(c.field)) for c in columns(n.kind)]


def link_csv_row(lk: Link) -> list[str]:
    ends = {"source_id": lk.source, "target_id": lk.target, "key": lk.key or None}
    return [
        csv_cell(ends[c.field] if c.prop is None else lk.props.get(c.field))
        for c in columns(lk.kind)
    ]


def _json_line(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


# --- writing ----------------------------------------------------------------------------------
@contextmanager
def _replacing(path: Path, mode: str = "w", **kw: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and rename it over ``path`` when done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open(mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


async def export_graphml(store: Source, path: Path | str) -> Path:
    """GraphML (yEd, Gephi, Cytoscape desktop); the edge id is the link id."""
    out = Path(path)
    g = tool_graph(await _projection(store))
    with _replacing(out, "wb") as fh:
        nx.write_graphml(g, fh)
    return out


async def export_gexf(store: Source, path: Path | str) -> Path:
    """GEXF 1.2 in dynamic mode: link dates as edge spells (``start``/``end``) for Gephi."""
    out = Path(path)
    g = tool_graph(await _projection(store), dynamic=True)
    with _replacing(out, "wb") as fh:
        nx.write_gexf(g, fh)
    return out


async def export_cytoscape(store: Source, path: Path | str) -> Path:
    """Cytoscape.js JSON (``{"elements": {"nodes": [...], "edges": [...]}}``) via NetworkX."""
    out = Path(path)
    data = nx.cytoscape_data(tool_graph(await _projection(store)))
    with _replacing(out, encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    return out


async def export_json(store: Source, path: Path | str) -> Path:
    """``{"format", "version", "nodes": [...], "links": [...]}`` in the codec's shape, streamed
    one record per line, so it is also pleasant to diff."""
    out = Path(path)
    with _replacing(out, encoding="utf-8") as fh:
        fh.write(f'{{"format":"{JSON_FORMAT}","version":{JSON_VERSION},\n"nodes":[')
        sep = "\n"
        async for n in _nodes(store):
            fh.write(sep + _json_line(node_to_dict(n)))
            sep = ",\n"
        fh.write('\n],\n"links":[')
        sep = "\n"
        for lk in await _links(store):
            fh.write(sep + _json_line(link_to_dict(lk)))
            sep = ",\n"
        fh.write("\n]}\n")
    return out


async def export_snapshot(store: Source, path: Path | str) -> Path:
    """The JSON-lines snapshot (lossless; the embedded store can open it as its file)."""
    out = Path(path)
    with _replacing(out, encoding="utf-8") as fh:
        if isinstance(store, EmbeddedStore):
            fh.writelines(store.snapshot_lines())
            return out
        header = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "seq": 0}
        fh.write(json.dumps(header) + "\n")
        async for n in _nodes(store):
            fh.write(_json_line({"node": node_to_dict(n)}) + "\n")
        for lk in await _links(store):
            fh.write(_json_line({"link": link_to_dict(lk)}) + "\n")
    return out


async def export_csv(store: Source, folder: Path | str) -> list[Path]:
    """One CSV per kind that has records (``Compound.csv``, ``HOLDS_POST.csv``) in ``folder``.

    Headers are the English names (the columns of the template), text is UTF-8 with a BOM so
    Excel shows the Chinese, and text a spreadsheet would run as a formula is escaped with an
    apostrophe that the importer removes. Files of kinds that are now empty are removed, so
    importing the folder gives back exactly the exported graph.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind in NODE_KINDS:
        rows = [node_csv_row(n) async for n in _nodes(store, [kind])]
        _write_kind_csv(out, kind, rows, written)
    for kind in LINK_KINDS:
        rows = [link_csv_row(lk) for lk in await _links(store, kind)]
        _write_kind_csv(out, kind, rows, written)
    return written


def _write_kind_csv(folder: Path, kind: str, rows: list[list[str]], written: list[Path]) -> None:
    path = folder / f"{kind}.csv"
    if not rows:
        path.unlink(missing_ok=True)  # a stale file from an earlier export
        return
    with _replacing(path, encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.field for c in columns(kind)])
        w.writerows(rows)
    written.append(path)


# --- what each role may have ------------------------------------------------------------------
async def researcher_records(store: GraphStore, secret: bytes) -> tuple[list[Node], list[Link]]:
    """The whole graph as a researcher sees it over GraphQL: people under the pseudonyms the API
    gives them with the same ``secret`` (GOVGRAPH_PSEUDONYM_SECRET), every rule of
    ``graph/disclosure.py`` applied (dates by year, birth years by decade, homes as compounds,
    names, phones and Party membership status dropped); organizations and every tie kept."""
    nodes = [n async for n in iter_nodes(store)]
    links = await store.list_links()
    home = disclosure.homes({n.id: n.kind for n in nodes}, links)
    return disclosure.researcher_records(nodes, links, home, lambda p: pseudonym(secret, p))


@dataclass(frozen=True, slots=True)
class PlaceRow:
    """How many nodes of ``kind`` lie under one place (``place_id`` empty: under none)."""

    kind: str
    level: str
    place_id: str
    place_name: str
    count: int


@dataclass(frozen=True, slots=True)
class PublicCounts:
    """All the public role may have: counts by kind and by place, no node and no link."""

    nodes: dict[str, int]
    links: dict[str, int]
    by_place: list[PlaceRow]


async def public_counts(store: GraphStore) -> PublicCounts:
    """Counts per kind and per place and kind, read through the public role's view, so they are
    exactly the aggregates the API answers anonymous callers."""
    view = RoleView(store, Role.PUBLIC, b"")
    counts = await view.counts()
    rows: list[PlaceRow] = []
    for kind in NODE_KINDS:
        if not counts.nodes.get(kind):
            continue
        for level in levels_of(kind):
            agg = await view.aggregate(kind, group_by=level, first=_ALL_PLACES)
            if agg.has_more:  # a partial table would read as complete
                raise ValidationError(
                    Problem("public export", level, kind, f"at most {_ALL_PLACES} places")
                )
            rows += [
                PlaceRow(kind, level, p.place_id, p.name or "", p.count)
                for p in agg.places
                if p.count
            ]
            if agg.unplaced:
                rows.append(PlaceRow(kind, level, "", "", agg.unplaced))
    return PublicCounts(dict(counts.nodes), dict(counts.links), rows)


def _write_public(counts: PublicCounts, fmt: str, out: Path) -> None:
    if fmt == "json":
        data = {
            "format": COUNTS_FORMAT,
            "version": COUNTS_VERSION,
            "nodes": counts.nodes,
            "links": counts.links,
            "by_place": [asdict(r) for r in counts.by_place],
        }
        with _replacing(out, encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        return
    out.mkdir(parents=True, exist_ok=True)
    with _replacing(out / "counts.csv", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["what", "kind", "count"])
        w.writerows(("node", k, c) for k, c in counts.nodes.items())
        w.writerows(("link", k, c) for k, c in counts.links.items())
    with _replacing(out / "counts_by_place.csv", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f.name for f in fields(PlaceRow)])
        w.writerows(
            [r.kind, r.level, r.place_id, escape_formula(r.place_name), r.count]
            for r in counts.by_place
        )


Exporter = Callable[[Source, Path], Awaitable[Any]]
EXPORTERS: dict[str, Exporter] = {
    "graphml": export_graphml,
    "gexf": export_gexf,
    "csv": export_csv,
    "json": export_json,
    "cytoscape": export_cytoscape,
    "snapshot": export_snapshot,
}


async def export(
    store: GraphStore,
    fmt: str,
    out: Path | str,
    *,
    role: Role = Role.DEPARTMENT,
    secret: bytes = b"",
) -> Path:
    """Export what ``role`` may see in format ``fmt`` (one of :data:`FORMATS`) to ``out`` (a
    folder for ``csv``). ``secret`` keys the researcher's pseudonyms; the caller checks it is
    not a known one (``Settings.production_problems``), as the API does."""
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise ValidationError(Problem("export", "format", fmt, "one of " + ", ".join(FORMATS)))
    if role is Role.PUBLIC:
        if fmt not in PUBLIC_FORMATS:
            raise ValidationError(
                Problem(
                    "public export",
                    "format",
                    fmt,
                    "csv or json: the public role has counts only, and a "
                    f"{fmt} file is a graph of nodes and links",
                )
            )
        _write_public(await public_counts(store), fmt, Path(out))
        return Path(out)
    if role is Role.RESEARCHER:
        if not secret:
            raise ValidationError(
                Problem("researcher export", "secret", "", "the pseudonym secret of the API")
            )
        await exporter(Records(*await researcher_records(store, secret)), Path(out))
        return Path(out)
    await exporter(store, Path(out))
    return Path(out)
