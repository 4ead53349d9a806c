"""The embedded store: the whole graph in a NetworkX ``MultiDiGraph``, in process.

It needs no server, so it is the default for a first run, notebooks, tests and small deployments.

Durability. With a ``path`` the store keeps two files:

* ``<path>`` — a JSON-lines snapshot (a header line, then one line per node and per link), only
  ever replaced atomically: written to a temporary file, flushed, fsynced, renamed over the old
  one, and the folder fsynced. A crash leaves either the old or the new snapshot, never a mix.
* ``<path>.journal`` — every acknowledged write batch, one checksummed line each, appended and
  fsynced *before* the write is applied in memory and acknowledged. On open the store loads the
  snapshot and replays the journal lines that are newer than it; a torn last line (a crash during
  the append) fails its checksum and is dropped: that batch was never acknowledged.

The journal is folded into a new snapshot when it grows past ``compact_bytes`` and on close.

Size. Everything is held in memory (roughly 1-2 KB per node or link with NetworkX's dicts), and
list queries scan the nodes of one kind. It is meant for up to about a million nodes plus links
(a city or a prefecture); use the Neo4j store beyond that. One process owns the file at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import networkx as nx

from .codec import link_from_dict, link_to_dict, node_from_dict, node_to_dict
from .errors import CommitOutcomeUnknownError, CorruptStoreError, StoreUnavailableError
from .expand import EVERYTHING, Expansion, Hop, Wanted, expand_by_level
from .matching import compare, link_matches
from .model import (
    Link,
    Neighbour,
    Node,
    Value,
    link_kind,
    node_kind,
    parse_link_id,
    validate_batch,
)
from .ontology import LINK_KINDS
from .places import Aggregate, PlaceCount, Route, route
from .port import (
    GraphStore,
    StoreStats,
    WriteBatch,
    WriteResult,
    require_upserts_only,
)
from .query import (
    And,
    Counts,
    Cursors,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    Not,
    Or,
    Page,
    Quantifier,
    Related,
    SortKey,
    check_filter,
    check_page_size,
    check_sort,
    decode_cursor,
)
from .read_lane import ReadLane
from .scan import (
    LinkColumns,
    NodeColumns,
    Scan,
    ScanSpec,
    day_number,
    is_date,
    row_numbers,
    rows_of,
)
from .search import rank_names

log = logging.getLogger("govgraph.store")

SNAPSHOT_FORMAT = "govgraph-snapshot"
SNAPSHOT_VERSION = 1
#: how many days' counts are kept until the next write (see EmbeddedStore.counts)
COUNTS_KEPT = 8


class EmbeddedStore(GraphStore):
    """A :class:`GraphStore` in memory, persisted to ``path`` when one is given."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        compact_bytes: int = 16 << 20,
        lane: ReadLane | None = None,
    ) -> None:
        self.stats = StoreStats()
        #: heavy reads run in its threads, writes wait for them (graph/read_lane.py)
        self.lane = lane if lane is not None else ReadLane()
        self._g = nx.MultiDiGraph()
        self._by_kind: dict[str, set[str]] = defaultdict(set)
        self._links: dict[str, tuple[str, str]] = {}
        self._seq = 0
        self._compact_bytes = compact_bytes
        self._path = Path(path) if path is not None else None
        self._journal: Any = None
        #: bumped on every write; analytics caches key on it
        self.version = 0
        #: counts() answers for one version of the graph, by the day asked
        self._counts_kept: tuple[int, dict[dt.date | None, Counts]] = (0, {})
        if self._path is not None:
            self._load()

    # -- persistence ------------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def _journal_path(self) -> Path:
        assert self._path is not None
        return self._path.with_name(self._path.name + ".journal")

    def _load(self) -> None:
        assert self._path is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        snapshot_seq = 0
        if self._path.exists():
            snapshot_seq = self._read_snapshot(self._path)
        self._seq = snapshot_seq
        good_bytes = 0
        if self._journal_path.exists():
            with self._journal_path.open("rb") as fh:
                for raw in fh:
                    entry = _decode_journal_line(raw)
                    if entry is None:
                        break  # a torn append: that batch was never acknowledged
                    good_bytes += len(raw)
                    if entry["seq"] > snapshot_seq:
                        self._apply_memory(_batch_from_dict(entry["batch"]))
                        self._seq = entry["seq"]
            with self._journal_path.open("r+b") as fh:
                fh.truncate(good_bytes)
        self._journal = self._journal_path.open("ab")

    def _read_snapshot(self, path: Path) -> int:
        seq = 0
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    rec = json.loads(line)
                    if lineno == 1:
                        if rec.get("format") != SNAPSHOT_FORMAT:
                            raise ValueError("not a govgraph snapshot")
                        seq = int(rec.get("seq", 0))
                    elif "node" in rec:
                        self._put_node(node_from_dict(rec["node"]))
                    elif "link" in rec:
                        self._put_link(link_from_dict(rec["link"]))
                except (ValueError, KeyError, TypeError) as exc:
                    raise CorruptStoreError(
                        f"{path}, line {lineno}: cannot read ({exc}); expected a govgraph snapshot"
                        " line. Restore the file from a backup or remove it to start empty."
                    ) from exc
        return seq

    def snapshot_lines(self) -> Iterator[str]:
        """The graph as JSON-lines snapshot text (header, nodes, links), sorted by id."""
        header = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "seq": self._seq}
        yield json.dumps(header) + "\n"
        for nid in sorted(self._g.nodes):
            yield _dumps({"node": node_to_dict(self._g.nodes[nid]["node"])})
        for lid in sorted(self._links):
            yield _dumps({"link": link_to_dict(self._link(lid))})

    def compact(self) -> None:
        """Write a fresh snapshot atomically and empty the journal."""
        if self._path is None or self._journal is None:
            return
        tmp = self._path.with_name(self._path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(self.snapshot_lines())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._path)
        _fsync_dir(self._path.parent)
        # the journal's lines are all at or below the snapshot's seq now; empty it
        self._journal.close()
        self._journal = self._journal_path.open("wb")
        os.fsync(self._journal.fileno())

    def _append_journal(self, batch: WriteBatch) -> None:
        # The commit point: a write whose line is fsynced is stored, any other is not. Its
        # outcome is unknown only if a failed append cannot be taken back (_take_back).
        if self._journal is None:
            return
        if self._journal.closed:  # a failed append or compaction could not reopen it
            raise StoreUnavailableError(
                f"the journal {self._journal_path} cannot be written; nothing was changed. "
                "Restart the service (the store reopens its files) once the disk is fixed."
            )
        payload = json.dumps(
            {"seq": self._seq + 1, "batch": _batch_to_dict(batch)},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        start = self._journal.tell()
        try:
            self._journal.write(b"%08x " % zlib.crc32(payload) + payload + b"\n")
            self._journal.flush()
            os.fsync(self._journal.fileno())
        except OSError as exc:
            self._take_back(start, exc)

    def _take_back(self, start: int, exc: OSError) -> NoReturn:
        """Cut the journal back to ``start`` after a failed append: the line may have reached
        the disk anyway, and a whole one would be replayed when the store is next opened."""
        path = self._journal_path
        with contextlib.suppress(OSError):
            self._journal.close()  # its buffer may still hold the line: written now or never
        try:
            with path.open("r+b") as fh:
                fh.truncate(start)
                os.fsync(fh.fileno())
            self._journal = path.open("ab")
        except OSError as again:
            raise CommitOutcomeUnknownError(
                f"writing the journal {path} failed ({exc}) and the write could not be taken "
                f"back ({again}): it may or may not be there when the store is next opened"
            ) from exc
        raise StoreUnavailableError(
            f"could not write the journal {path} ({exc}); nothing was changed"
        ) from exc

    # -- in-memory primitives -------------------------------------------------------------------
    def _node(self, nid: str) -> Node:
        node: Node = self._g.nodes[nid]["node"]
        return node

    def _link(self, lid: str) -> Link:
        u, v = self._links[lid]
        lk: Link = self._g._succ[u][v][lid]["link"]
        return lk

    def _put_node(self, n: Node) -> None:
        if n.id in self._g:
            old = self._node(n.id)
            self._by_kind[old.kind].discard(n.id)
        self._g.add_node(n.id, node=n)
        self._by_kind[n.kind].add(n.id)

    def _put_link(self, lk: Link) -> None:
        self._g.add_edge(lk.source, lk.target, key=lk.id, link=lk)
        self._links[lk.id] = (lk.source, lk.target)

    def _drop_link(self, lid: str) -> bool:
        ends = self._links.pop(lid, None)
        if ends is None:
            return False
        self._g.remove_edge(ends[0], ends[1], key=lid)
        return True

    def _drop_node(self, nid: str) -> bool:
        if nid not in self._g:
            return False
        for _, _, lid in list(self._g.in_edges(nid, keys=True)) + list(
            self._g.out_edges(nid, keys=True)
        ):
            self._links.pop(lid, None)
        self._by_kind[self._node(nid).kind].discard(nid)
        self._g.remove_node(nid)
        return True

    def _apply_memory(self, batch: WriteBatch) -> WriteResult:
        for n in batch.nodes:
            self._put_node(n)
        for lk in batch.links:
            self._put_link(lk)
        links_deleted = sum(self._drop_link(lid) for lid in batch.delete_links)
        nodes_deleted = sum(self._drop_node(nid) for nid in batch.delete_nodes)
        self.version += 1
        self._written(batch)
        return WriteResult(len(batch.nodes), len(batch.links), links_deleted, nodes_deleted)

    # -- the port: writes -------------------------------------------------------------------------
    async def apply(self, batch: WriteBatch) -> WriteResult:
        self.stats.count("apply")
        # checked and applied at once, so no other write comes between
        return await self.lane.write(self._apply_now, batch)

    def _apply_now(self, batch: WriteBatch) -> WriteResult:
        referenced = {n.id for n in batch.nodes}
        referenced.update(e for lk in batch.links for e in (lk.source, lk.target))
        kinds_of = {i: self._node(i).kind for i in referenced if i in self._g}
        nodes, links = validate_batch(batch.nodes, batch.links, kinds_of)
        for lid in batch.delete_links:
            parse_link_id(lid)
        clean = WriteBatch(nodes, links, list(batch.delete_links), list(batch.delete_nodes))
        return self._commit(clean)

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        self.stats.count("apply_checked")
        require_upserts_only(batch)
        return await self.lane.write(self._apply_checked_now, batch)

    def _apply_checked_now(self, batch: WriteBatch) -> WriteResult:
        if not self._fits(batch):
            # name every problem the way apply does; this slow path runs on failure only
            referenced = {n.id for n in batch.nodes}
            referenced.update(e for lk in batch.links for e in (lk.source, lk.target))
            kinds_of = {i: self._node(i).kind for i in referenced if i in self._g}
            validate_batch(batch.nodes, batch.links, kinds_of)
        return self._commit(WriteBatch(list(batch.nodes), list(batch.links)))

    def _fits(self, batch: WriteBatch) -> bool:
        """No node id stored as another kind; every link's ends stored or in the batch, of
        kinds its kind joins (what :meth:`apply_checked` still checks: it depends on the graph)."""
        stored = self._g.nodes
        mine: dict[str, str] = {}
        for n in batch.nodes:
            old = stored.get(n.id)
            if old is not None and old["node"].kind != n.kind:
                return False
            mine[n.id] = n.kind
        for lk in batch.links:
            ends: list[str] = []
            for end in (lk.source, lk.target):
                kind = mine.get(end)
                if kind is None:
                    old = stored.get(end)
                    if old is None:
                        return False
                    kind = old["node"].kind
                ends.append(kind)
            if not LINK_KINDS[lk.kind].allows(ends[0], ends[1]):
                return False
        return True

    def _commit(self, clean: WriteBatch) -> WriteResult:
        if not len(clean):
            return WriteResult()
        self._append_journal(clean)  # durable before it is visible or acknowledged
        self._seq += 1
        result = self._apply_memory(clean)
        if self._journal is not None and self._journal.tell() > self._compact_bytes:
            try:
                self.compact()
            except OSError:
                # the write is stored (journaled) and applied: it must not be reported as
                # failed; the journal keeps it, and the next write tries the fold again
                log.warning(
                    "compacting %s failed; the journal keeps every write", self._path, exc_info=True
                )
        return result

    # -- the port: reads --------------------------------------------------------------------------
    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        self.stats.count("get_nodes")
        return {i: self._node(i) for i in ids if i in self._g}

    async def get_links(self, ids: Sequence[str]) -> dict[str, Link]:
        self.stats.count("get_links")
        return {i: self._link(i) for i in ids if i in self._links}

    def _matching(self, kind: str, where: Filter | None, as_of: dt.date | None) -> Iterator[Node]:
        node_kind(kind)
        f = check_filter(kind, where)
        for nid in self._by_kind.get(kind, ()):
            n = self._node(nid)
            if f is None or self._eval(n, f, as_of):
                yield n

    async def list_nodes(
        self,
        kind: str,
        *,
        where: Filter | None = None,
        order_by: Sequence[SortKey] = (),
        first: int = 100,
        after: str | None = None,
        as_of: dt.date | None = None,
        with_total: bool = False,
        wanted: Wanted = EVERYTHING,
    ) -> Page[Node]:
        self.stats.count("list_nodes")
        check_page_size(first)
        node_kind(kind)
        keys = check_sort(kind, order_by)
        page = functools.partial(self._page, kind, where, keys, first, after, as_of, with_total)
        return await self.lane.read(page)

    def _page(  # noqa: PLR0917  # list_nodes' arguments, run in a read thread
        self,
        kind: str,
        where: Filter | None,
        keys: list[SortKey],
        first: int,
        after: str | None,
        as_of: dt.date | None,
        with_total: bool,
    ) -> Page[Node]:
        # each row's sort values once (a count of links is worth computing only once)
        rows = [(self._sort_values(n, keys, as_of), n) for n in self._matching(kind, where, as_of)]
        total = len(rows) if with_total else None
        if after is not None:
            start = decode_cursor(after, keys, kind)
            rows = [row for row in rows if _compare_values(keys, row[0], start) > 0]
        _sort_rows(keys, rows)
        page = rows[:first]
        cursors = Cursors([values for values, _ in page])
        return Page([n for _, n in page], len(rows) > first, cursors.last(), cursors, total)

    def _sort_values(
        self, n: Node, keys: Sequence[SortKey], as_of: dt.date | None
    ) -> list[Value | None]:
        return [
            self._link_count(n.id, k.field, as_of)
            if isinstance(k.field, LinkCount)
            else n.id
            if k.field == "id"
            else n.props.get(k.field)
            for k in keys
        ]

    def _link_count(self, nid: str, c: LinkCount, as_of: dt.date | None) -> int:
        return sum(
            1
            for lk, other in self._incident(nid, Direction(c.direction))
            if lk.kind == c.kind
            and lk.valid_on(as_of)
            and (c.neighbour_kind is None or self._node(other).kind == c.neighbour_kind)
        )

    async def count_nodes(
        self, kind: str, *, where: Filter | None = None, as_of: dt.date | None = None
    ) -> int:
        self.stats.count("count_nodes")
        if where is None:
            node_kind(kind)
            return len(self._by_kind.get(kind, ()))
        return await self.lane.read(lambda: sum(1 for _ in self._matching(kind, where, as_of)))

    async def counts(self, *, as_of: dt.date | None = None) -> Counts:
        """Kept per day asked until the next write: counting the links reads every one of them
        (a cost that grows with the graph), and a dashboard asks the same counts again and
        again."""
        self.stats.count("counts")
        version, kept = self._counts_kept
        if version != self.version:
            kept = {}
            self._counts_kept = (self.version, kept)
        found = kept.get(as_of)
        if found is None:
            found = await self.lane.read(self._count, as_of)
            if self._counts_kept[1] is kept:  # no write since: still the counts of this version
                if len(kept) >= COUNTS_KEPT:  # the day asked first goes first
                    del kept[next(iter(kept))]
                kept[as_of] = found
        return Counts(dict(found.nodes), dict(found.links))

    def _count(self, as_of: dt.date | None) -> Counts:
        out = Counts()
        for kind, ids in sorted(self._by_kind.items()):
            if ids:
                out.nodes[kind] = len(ids)
        links: Counter[str] = Counter()
        if as_of is None:  # the kind is in the link's id: no link object to read
            links.update(parse_link_id(lid)[1] for lid in self._links)
        else:
            links.update(lk.kind for lid in self._links if (lk := self._link(lid)).valid_on(as_of))
        out.links = dict(sorted(links.items()))
        return out

    async def aggregate(
        self,
        kind: str,
        *,
        group_by: str,
        where: Filter | None = None,
        as_of: dt.date | None = None,
        first: int = 100,
    ) -> Aggregate:
        self.stats.count("aggregate")
        way = route(kind, group_by)
        check_page_size(first)
        return await self.lane.read(self._aggregate, kind, way, where, as_of, first)

    def _aggregate(
        self, kind: str, way: Route, where: Filter | None, as_of: dt.date | None, first: int
    ) -> Aggregate:
        group_by = way.level
        counts = dict.fromkeys(self._by_kind.get(group_by, ()), 0)
        unplaced = 0
        above: dict[str, frozenset[str]] = {}  # places above each node met so far
        for n in self._matching(kind, where, as_of):
            places = self._places(n.id, way, as_of, above)
            unplaced += not places
            for p in places:
                counts[p] += 1
        ranked = sorted(counts.items(), key=lambda pc: (-pc[1], pc[0]))
        groups = [
            PlaceCount(pid, _str_or_none(self._node(pid).props.get("name")), c)
            for pid, c in ranked[:first]
        ]
        return Aggregate(kind, group_by, groups, unplaced, len(ranked) > first)

    def _places(
        self, nid: str, way: Route, as_of: dt.date | None, memo: dict[str, frozenset[str]]
    ) -> frozenset[str]:
        """The places of ``way.level`` that valid locating links lead to from ``nid``."""
        found = memo.get(nid)
        if found is None:
            out: set[str] = set()
            for _, target, lid in self._g.out_edges(nid, keys=True):
                lk = self._link(lid)
                if lk.kind not in way.link_kinds or not lk.valid_on(as_of):
                    continue
                target_kind = self._node(target).kind
                if target_kind == way.level:
                    out.add(target)
                elif target_kind in way.via:
                    out |= self._places(target, way, as_of, memo)
            found = memo[nid] = frozenset(out)
        return found

    def _incident(self, nid: str, direction: Direction) -> Iterable[tuple[Link, str]]:
        """The links at ``nid`` with the node at their other end, read straight from the
        adjacency dicts (in the order ``out_edges``/``in_edges`` give): NetworkX's edge views
        add Python-level calls per link, and a link filter reads every link at every node of a
        kind (a compound has hundreds at prefecture scale)."""
        if direction in (Direction.OUT, Direction.BOTH):
            for v, keyed in self._g._succ.get(nid, {}).items():
                for attrs in keyed.values():
                    yield attrs["link"], v
        if direction in (Direction.IN, Direction.BOTH):
            for u, keyed in self._g._pred.get(nid, {}).items():
                for attrs in keyed.values():
                    yield attrs["link"], u

    async def neighbours(
        self,
        ids: Sequence[str],
        *,
        link_kind: str | None = None,
        direction: Direction = Direction.OUT,
        neighbour_kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> dict[str, list[Neighbour]]:
        self.stats.count("neighbours")
        _check_kinds(link_kind, neighbour_kind)
        out: dict[str, list[Neighbour]] = {}
        for nid in ids:
            found: list[Neighbour] = []
            if nid in self._g:
                for lk, other in self._incident(nid, Direction(direction)):
                    if link_kind is not None and lk.kind != link_kind:
                        continue
                    if not lk.valid_on(as_of):
                        continue
                    node = self._node(other)
                    if neighbour_kind is not None and node.kind != neighbour_kind:
                        continue
                    found.append(Neighbour(lk, node))
            found.sort(key=lambda nb: nb.link.id)
            out[nid] = found
        return out

    async def expand(
        self, ids: Sequence[str], hops: Sequence[Hop], wanted: Wanted = EVERYTHING
    ) -> Expansion:
        """Level by level (one :meth:`neighbours` call per hop, as the port's default); a
        page's ``where`` is tested in process, link conditions of its neighbours too."""
        return await expand_by_level(self, ids, hops, self._matching_nodes)

    async def _matching_nodes(
        self, kind: str, nodes: Sequence[Node], where: Filter, as_of: dt.date | None
    ) -> set[str]:
        # link conditions at depth read every link on the way: a heavy read, off the loop
        return await self.lane.read(self._matching_now, nodes, where, as_of)

    def _matching_now(
        self, nodes: Sequence[Node], where: Filter, as_of: dt.date | None
    ) -> set[str]:
        return {n.id for n in nodes if self._eval(n, where, as_of)}

    async def list_links(
        self, *, kind: str | None = None, as_of: dt.date | None = None
    ) -> list[Link]:
        self.stats.count("list_links")
        _check_kinds(kind, None)

        def matching() -> list[Link]:
            links = (self._link(lid) for lid in self._links)
            return sorted(
                (lk for lk in links if (kind is None or lk.kind == kind) and lk.valid_on(as_of)),
                key=lambda lk: lk.id,
            )

        return await self.lane.read(matching)

    async def search(self, text: str, *, kinds: Sequence[str] = (), limit: int = 20) -> list[Node]:
        self.stats.count("search")
        for k in kinds:
            node_kind(k)
        wanted = set(kinds)

        def ranked() -> list[Node]:
            candidates = (
                self._node(nid)
                for kind, ids in self._by_kind.items()
                if not wanted or kind in wanted
                for nid in ids
            )
            return rank_names(text, candidates, limit)

        return await self.lane.read(ranked)

    async def projection(
        self,
        *,
        node_kinds: Sequence[str] = (),
        link_kinds: Sequence[str] = (),
        as_of: dt.date | None = None,
    ) -> nx.MultiDiGraph:
        self.stats.count("projection")
        for k in node_kinds:
            node_kind(k)
        for k in link_kinds:
            link_kind(k)
        return await self.lane.read(self._project, node_kinds, link_kinds, as_of)

    def _project(
        self, node_kinds: Sequence[str], link_kinds: Sequence[str], as_of: dt.date | None
    ) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        keep_kinds = set(node_kinds)
        for kind, ids in self._by_kind.items():
            if keep_kinds and kind not in keep_kinds:
                continue
            for nid in ids:
                g.add_node(nid, kind=kind, **self._node(nid).props)
        keep_links = set(link_kinds)
        for lid, (u, v) in self._links.items():
            lk = self._link(lid)
            if (keep_links and lk.kind not in keep_links) or not lk.valid_on(as_of):
                continue
            if u in g and v in g:
                g.add_edge(u, v, key=lid, kind=lk.kind, **lk.props)
        return g

    async def scan(self, spec: ScanSpec) -> Scan:
        self.stats.count("scan")
        for k in spec.nodes:
            node_kind(k)
        for k in spec.links:
            link_kind(k)
        return await self.lane.read(self._scan, spec)

    def _scan(self, spec: ScanSpec) -> Scan:
        nodes: dict[str, NodeColumns] = {}
        for kind, wanted in spec.nodes.items():
            ids = list(self._by_kind.get(kind, ()))
            props = [self._node(n).props for n in ids]
            nodes[kind] = NodeColumns(ids, _columns(kind, wanted, props))
        links: dict[str, list[Link]] = {k: [] for k in spec.links}
        for lid in self._links:
            lk = self._link(lid)
            if lk.kind in links:
                links[lk.kind].append(lk)
        row = row_numbers(nodes)
        return Scan(
            nodes,
            {
                kind: LinkColumns(
                    rows_of([lk.source for lk in found], row),
                    rows_of([lk.target for lk in found], row),
                    [lk.key for lk in found],
                    _columns(kind, spec.links[kind], [lk.props for lk in found]),
                )
                for kind, found in links.items()
            },
        )

    # -- the port: lifecycle ----------------------------------------------------------------------
    async def init_schema(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def clear(self) -> None:
        await self.lane.write(self._clear_now)

    def _clear_now(self) -> None:
        self._g.clear()
        self._by_kind.clear()
        self._links.clear()
        self.version += 1
        self._seq += 1
        self.compact()

    async def close(self) -> None:
        if self._journal is not None:
            await self.lane.write(self.compact)
            self._journal.close()
            self._journal = None

    # -- filter evaluation ------------------------------------------------------------------------
    def _eval(self, n: Node, f: Filter, as_of: dt.date | None) -> bool:
        if isinstance(f, And):
            return all(self._eval(n, i, as_of) for i in f.items)
        if isinstance(f, Or):
            return any(self._eval(n, i, as_of) for i in f.items)
        if isinstance(f, Not):
            return not self._eval(n, f.item, as_of)
        if isinstance(f, HasLink):
            return self._has_link(n.id, f, as_of) == f.exists
        if isinstance(f, Related):
            return self._related(n.id, f, as_of)
        value: Value | None = n.id if f.field == "id" else n.props.get(f.field)
        return compare(value, f)

    def _related(self, nid: str, f: Related, as_of: dt.date | None) -> bool:
        """``f.quantifier`` of the links of ``f.kind`` at ``nid`` valid on ``as_of`` match;
        stops at the first link that decides it."""
        matched = 0
        for lk, other in self._incident(nid, Direction(f.direction)):
            if lk.kind != f.kind or not lk.valid_on(as_of):
                continue
            ok = (f.link is None or link_matches(lk, f.link)) and (
                f.node is None or self._neighbour_matches(other, f, as_of)
            )
            if f.quantifier is Quantifier.ALL:
                if not ok:
                    return False
            elif ok:
                matched += 1
                if f.quantifier is not Quantifier.SINGLE or matched > 1:
                    return f.quantifier is Quantifier.SOME
        if f.quantifier is Quantifier.SINGLE:
            return matched == 1
        return f.quantifier is not Quantifier.SOME  # ALL and NONE: no counterexample

    def _neighbour_matches(self, nid: str, f: Related, as_of: dt.date | None) -> bool:
        n = self._node(nid)
        return any(
            alt.kind == n.kind and (alt.where is None or self._eval(n, alt.where, as_of))
            for alt in f.node or ()
        )

    def _has_link(self, nid: str, f: HasLink, as_of: dt.date | None) -> bool:
        for lk, other in self._incident(nid, Direction(f.direction)):
            if lk.kind != f.kind or not lk.valid_on(as_of):
                continue
            if f.neighbour_kind is None or self._node(other).kind == f.neighbour_kind:
                return True
        return False


def _str_or_none(value: Value | None) -> str | None:
    return value if isinstance(value, str) else None


def _sort_rows(keys: Sequence[SortKey], rows: list[tuple[list[Value | None], Node]]) -> None:
    """Sort ``(sort values, node)`` rows in the order of :func:`_compare_values`: one stable
    sort per key, the last key first, each on a key function (one call per row, where a
    comparison function is a Python call for every pair of rows)."""
    for i in reversed(range(len(keys))):
        if keys[i].descending:  # nulls last here too: (False, None) after every (True, value)
            rows.sort(key=lambda row: (row[0][i] is not None, row[0][i]), reverse=True)
        else:
            rows.sort(key=lambda row: (row[0][i] is None, row[0][i]))


def _compare_values(
    keys: Sequence[SortKey], a: Sequence[Value | None], b: Sequence[Value | None]
) -> int:
    """Order rows by the sort keys; nulls sort last whatever the direction."""
    for key, x, y in zip(keys, a, b, strict=True):
        if x is None and y is None:
            continue
        if x is None:
            return 1
        if y is None:
            return -1
        sign = (x > y) - (x < y)  # type: ignore[operator]  # same property type by validation
        if sign:
            return -sign if key.descending else sign
    return 0


def _check_kinds(lk: str | None, nk: str | None) -> None:
    if lk is not None:
        link_kind(lk)
    if nk is not None:
        node_kind(nk)


def _dumps(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def _batch_to_dict(b: WriteBatch) -> dict[str, Any]:
    return {
        "nodes": [node_to_dict(n) for n in b.nodes],
        "links": [link_to_dict(lk) for lk in b.links],
        "delete_links": list(b.delete_links),
        "delete_nodes": list(b.delete_nodes),
    }


def _batch_from_dict(d: dict[str, Any]) -> WriteBatch:
    return WriteBatch(
        [node_from_dict(n) for n in d["nodes"]],
        [link_from_dict(lk) for lk in d["links"]],
        d["delete_links"],
        d["delete_nodes"],
    )


def _decode_journal_line(raw: bytes) -> dict[str, Any] | None:
    if not raw.endswith(b"\n") or len(raw) < 10 or raw[8:9] != b" ":
        return None
    payload = raw[9:-1]
    try:
        if int(raw[:8], 16) != zlib.crc32(payload):
            return None
        entry: dict[str, Any] = json.loads(payload)
    except ValueError:
        return None
    return entry


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _columns(
    kind: str, wanted: Sequence[str], props: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """Per property of ``wanted``, its value in each of ``props`` (dates as day numbers)."""
    return {
        p: [day_number(r.get(p)) for r in props] if is_date(kind, p) else [r.get(p) for r in props]
        for p in wanted
    }
