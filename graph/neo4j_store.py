"""The Neo4j store: the storage port over the official ``neo4j`` async driver.

The driver is passed in (it is created from settings by the application, never here), so the
same store works with ``bolt://`` and routing ``neo4j://`` URIs, a cluster or a single server.
Writes run in managed write transactions (retried by the driver on transient errors), reads in
auto-commit read sessions (one round trip each), so a cluster serves them from readers.
Every statement comes from :mod:`govgraph.graph.cypher`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import operator
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import networkx as nx
import numpy as np
from neo4j import (
    READ_ACCESS,
    AsyncDriver,
    AsyncManagedTransaction,
    AsyncSession,
    NotificationDisabledClassification,
    Query,
)
from neo4j.exceptions import (
    ClientError,
    ConstraintError,
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from numpy.typing import NDArray

from . import cypher
from .errors import (
    CommitOutcomeUnknownError,
    ConflictError,
    GovGraphError,
    StoreUnavailableError,
)
from .expand import EVERYTHING, Expansion, Hop, LinkPage, Wanted
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
from .ontology import LINK_KINDS, NODE_KINDS
from .places import Aggregate, PlaceCount, route
from .port import (
    GraphStore,
    StoreStats,
    WriteBatch,
    WriteResult,
    require_upserts_only,
)
from .query import (
    Counts,
    Cursors,
    Direction,
    Filter,
    LinkCount,
    Page,
    SortKey,
    check_filter,
    check_page_size,
    check_sort,
    decode_cursor,
)
from .scan import LinkColumns, NodeColumns, Rows, Scan, ScanSpec, is_date
from .search import lucene_query, rank_names

_NO_ROWS: Rows = np.empty(0, np.int64)
_QUIET = [NotificationDisabledClassification.DEPRECATION]


class _Ends:
    """The rows of link ends the server names by internal id: the internal ids of the nodes
    read, sorted, and the row of each."""

    def __init__(self, internal: NDArray[np.int64], rows: NDArray[np.intp]) -> None:
        self._internal = internal
        self._rows = rows

    def rows(self, internal: list[int]) -> Rows:
        """The rows of ``internal`` (a page's ends); -1 for a node not read."""
        wanted = np.array(internal, np.int64)
        if not len(self._internal):
            return np.full(len(wanted), -1, np.int64)
        at = np.minimum(np.searchsorted(self._internal, wanted), len(self._internal) - 1)
        return np.where(self._internal[at] == wanted, self._rows[at], -1).astype(np.int64)


#: event-loop turns a pipelined scan page is given to send its request (session, RUN, PULL)
_SEND_STEPS = 8
#: nodes per page when the analytics projection is read (see cypher.PROJECTION_NODES)
PROJECTION_PAGE = 5_000
#: nodes or links a page of the scan reads (a few MB of lists in the server's heap)
SCAN_PAGE = 50_000
#: the day numbers' day 0
_EPOCH = dt.date(1970, 1, 1)


#: idle read sessions kept for the next reads (more reads than this in flight open new ones)
IDLE_READ_SESSIONS = 32

#: seconds between sending a read again that the server refused for now (``TransientError``)
READ_RETRY_PAUSES = (0.05, 0.2, 0.5)


class Neo4jStore(GraphStore):
    """A :class:`GraphStore` backed by Neo4j 5 (Community or Enterprise)."""

    def __init__(
        self,
        driver: AsyncDriver,
        database: str | None = None,
        *,
        query_timeout: float | None = None,
        owns_driver: bool = False,
    ) -> None:
        self._driver = driver
        self._owns_driver = owns_driver
        self._db = database or None
        self._timeout = query_timeout
        self.stats = StoreStats()
        #: read sessions between two reads (see _run_read)
        self._idle_reads: list[AsyncSession] = []
        #: successful writes through this store object (the analytics cache reads it; writes by
        #: other processes are not counted, see the ``analytics_ttl`` setting)
        self.version = 0

    def _q(self, text: str) -> Query:
        # every statement text comes from cypher.py, built from ontology names only
        return Query(text, timeout=self._timeout)

    @asynccontextmanager
    async def _unavailable_as_error(self, *, writing: bool = True) -> AsyncIterator[None]:
        # a read changes nothing, so only a write's message says that nothing was changed (a
        # read that fails after a committed write must not sound like the write failed)
        unchanged = "; nothing was changed" if writing else ""
        try:
            yield
        except IncompleteCommit as exc:
            # the only case where the outcome is unknown: the commit was sent, its answer lost;
            # the analytics cache must read the store again rather than trust what it was told
            self.version += 1
            raise CommitOutcomeUnknownError(
                f"Neo4j went away while committing ({exc}); the write may or may not have been "
                "applied. Send the same write again: one applied twice leaves what one leaves."
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailableError(
                f"Neo4j is unavailable ({exc.__class__.__name__}: {exc}){unchanged}. "
                "Check that the server is running and GOVGRAPH_NEO4J_URI points at it."
            ) from exc
        except TransientError as exc:
            # still failing when the driver's retries ran out: the database is shutting down,
            # starting, or has no leader (cluster); a transaction was rolled back
            raise StoreUnavailableError(
                f"Neo4j cannot serve the request now ({exc.code}: {exc.message}){unchanged}. "
                "Try again shortly."
            ) from exc
        except DriverError as exc:
            raise StoreUnavailableError(f"Neo4j driver error: {exc}") from exc

    async def _read(self, operation: str, text: str, **params: Any) -> list[dict[str, Any]]:
        self.stats.count(operation)
        # An auto-commit query in a read session: RUN and PULL go out together, one round trip
        # (a managed transaction adds BEGIN and COMMIT: two). The session shares the driver's
        # bookmark manager with execute_query, so a read still sees this driver's last write on
        # a cluster; the store's reads are single statements, nothing to retry halfway.
        async with self._unavailable_as_error(writing=False):
            try:
                return await self._run_read(text, params)
            except (ServiceUnavailable, SessionExpired):
                # a pooled connection to a server that restarted fails once; the driver drops
                # the pool on that failure, and a read is safe to send again
                return await self._run_read(text, params)
            except TransientError:
                # the server refused it for now (NoThreadsAvailable when more statements are in
                # flight than it has Bolt threads, a leader switch): the driver retries only
                # managed transactions, so an auto-commit read is sent again here, a few times
                for pause in READ_RETRY_PAUSES:
                    await asyncio.sleep(pause)
                    try:
                        return await self._run_read(text, params)
                    except TransientError:
                        continue
                raise

    async def _run_read(self, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        # An idle read session is used again: a new one per read was ~25 objects in reference
        # cycles (its config's closures), so a young collection of ~50,000 of them every ~2,000
        # reads, a 20-50 ms pause. A session holds a connection only while a result is open.
        session = self._idle_reads.pop() if self._idle_reads else self._read_session()
        try:
            result = await session.run(self._q(text), params)
            keys = result.keys()
            # the statements return plain values, lists and maps (never graph entities), so
            # Record.data()'s recursive conversion has nothing to convert: skip its cost
            rows = [dict(zip(keys, r, strict=True)) async for r in result]
        except BaseException as exc:
            # as `async with session` would end it (a cancelled read's connection is dropped)
            await session.__aexit__(type(exc), exc, exc.__traceback__)  # type: ignore[no-untyped-call]
            raise
        if len(self._idle_reads) < IDLE_READ_SESSIONS:
            self._idle_reads.append(session)
        else:
            await session.close()
        return rows

    def _read_session(self) -> AsyncSession:
        return self._driver.session(
            database=self._db,
            default_access_mode=READ_ACCESS,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
            # the scan reads internal ids on purpose (cypher.scan_links): not a warning a page
            notifications_disabled_classifications=_QUIET,
        )

    # -- writes -----------------------------------------------------------------------------------
    async def apply(self, batch: WriteBatch) -> WriteResult:
        if not len(batch):
            return WriteResult()
        for lid in batch.delete_links:
            parse_link_id(lid)
        try:
            async with self._unavailable_as_error(), self._driver.session(database=self._db) as s:
                result = await s.execute_write(self._write, batch)
        except (ConstraintError, _RefusedError) as exc:
            # checked in the transaction, so another writer changed the graph meanwhile
            raise ConflictError(f"{exc}; nothing was written, try again") from exc
        self.version += 1
        self._written(batch)
        return result

    async def _run(
        self, tx: AsyncManagedTransaction, operation: str, text: str, **p: Any
    ) -> list[dict[str, Any]]:
        self.stats.count(operation)
        result = await tx.run(text, p)
        return [r.data() async for r in result]

    async def _write(self, tx: AsyncManagedTransaction, batch: WriteBatch) -> WriteResult:
        referenced = {n.id for n in batch.nodes}
        referenced.update(e for lk in batch.links for e in (lk.source, lk.target))
        kinds_of = {
            r["id"]: r["kind"]
            for r in await self._run(tx, "apply", cypher.KINDS_OF, ids=sorted(referenced))
        }
        nodes, links = validate_batch(batch.nodes, batch.links, kinds_of)
        await self._upsert(tx, "apply", nodes, links)
        deleted_links = 0
        dels: dict[str, list[dict[str, str]]] = defaultdict(list)
        for lid in dict.fromkeys(batch.delete_links):
            src, kind, _, _ = parse_link_id(lid)
            dels[kind].append({"id": lid, "source": src})
        for kind, del_rows in dels.items():
            res = await self._run(tx, "apply", cypher.delete_links(kind), rows=del_rows)
            deleted_links += res[0]["n"] if res else 0
        deleted_nodes = 0
        if batch.delete_nodes:
            res = await self._run(
                tx, "apply", cypher.DELETE_NODES, ids=list(dict.fromkeys(batch.delete_nodes))
            )
            deleted_nodes = res[0]["n"] if res else 0
        return WriteResult(len(nodes), len(links), deleted_links, deleted_nodes)

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        require_upserts_only(batch)
        if not len(batch):
            return WriteResult()
        try:
            async with self._unavailable_as_error(), self._driver.session(database=self._db) as s:
                result = await s.execute_write(self._write_checked, batch)
        except (ConstraintError, _RefusedError) as exc:
            # rolled back; say why the way apply would (this slow path runs on failure only)
            await self._explain_refusal(batch)
            raise ConflictError(f"{exc}; nothing was written") from exc
        self.version += 1
        self._written(batch)
        return result

    async def _write_checked(self, tx: AsyncManagedTransaction, batch: WriteBatch) -> WriteResult:
        await self._upsert(tx, "apply_checked", batch.nodes, batch.links)
        return WriteResult(len(batch.nodes), len(batch.links))

    async def _upsert(
        self,
        tx: AsyncManagedTransaction,
        operation: str,
        nodes: Sequence[Node],
        links: Sequence[Link],
    ) -> None:
        """Upsert valid records, one statement per kind (see :func:`.cypher.upsert_nodes`).

        A node id stored as another kind fails the transaction (ConstraintError); a link whose
        ends are missing or of kinds it does not join raises :class:`_RefusedError`.
        """
        node_rows: dict[str, list[list[Any]]] = defaultdict(list)
        for n in nodes:
            props = n.props
            cols = cypher.node_columns(n.kind)
            node_rows[n.kind].append([n.id, *[props.get(c) for c in cols]])
        for kind, rows in node_rows.items():
            await self._run(tx, operation, cypher.upsert_nodes(kind), rows=rows)
        link_rows: dict[str, dict[str, list[Any]]] = defaultdict(dict)
        for lk in links:  # the last write of a link id in a batch wins
            props = lk.props
            cols = cypher.link_columns(lk.kind)
            lid = lk.id
            link_rows[lk.kind][lid] = [lid, lk.source, lk.target, *[props.get(c) for c in cols]]
        for kind, by_id in link_rows.items():
            res = await self._run(
                tx,
                operation,
                cypher.upsert_links(kind),
                rows=list(by_id.values()),
                pairs=cypher.link_pairs(kind),
            )
            written = res[0]["n"] if res else 0
            if written != len(by_id):
                raise _RefusedError(
                    f"{len(by_id) - written} {kind} link(s) have an end that is not stored or"
                    " of a kind this link does not join"
                )

    async def _explain_refusal(self, batch: WriteBatch) -> None:
        """Raise what :func:`.model.validate_batch` says of ``batch`` against the graph now."""
        referenced = {n.id for n in batch.nodes}
        referenced.update(e for lk in batch.links for e in (lk.source, lk.target))
        rows = await self._read("apply_checked", cypher.KINDS_OF, ids=sorted(referenced))
        validate_batch(batch.nodes, batch.links, {r["id"]: r["kind"] for r in rows})

    # -- reads ------------------------------------------------------------------------------------
    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        if not ids:
            return {}
        rows = await self._read("get_nodes", cypher.GET_NODES, ids=list(dict.fromkeys(ids)))
        return {r["id"]: _node(r["id"], r["kind"], r["props"]) for r in rows}

    async def get_links(self, ids: Sequence[str]) -> dict[str, Link]:
        by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
        for lid in dict.fromkeys(ids):
            try:
                src, kind, _, _ = parse_link_id(lid)
            except ValueError:
                continue  # not a link id: such a link cannot exist
            by_kind[kind].append({"id": lid, "source": src})
        out: dict[str, Link] = {}
        for kind, rows in by_kind.items():
            for r in await self._read("get_links", cypher.get_links(kind), rows=rows):
                out[r["id"]] = _link(r)
        return out

    def _where(self, kind: str, where: Filter | None, params: cypher.Params) -> str:
        f = check_filter(kind, where)
        return "true" if f is None else cypher.compile_filter(kind, f, params)

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
        args = (where, order_by, first, after, as_of, with_total, wanted)
        page, _ = await self._list(kind, (), *args)
        return page

    async def list_expanded(
        self,
        kind: str,
        hops: Sequence[Hop],
        *,
        where: Filter | None = None,
        order_by: Sequence[SortKey] = (),
        first: int = 100,
        after: str | None = None,
        as_of: dt.date | None = None,
        with_total: bool = False,
        wanted: Wanted = EVERYTHING,
    ) -> tuple[Page[Node], Expansion]:
        """The page and the whole tree of ``hops`` below its nodes in one statement (one round
        trip; :class:`~.expand.ListsWithTree`)."""
        args = (where, order_by, first, after, as_of, with_total, wanted)
        return await self._list(kind, hops, *args)

    async def _list(  # noqa: PLR0917  # list_nodes' arguments and the tree
        self,
        kind: str,
        hops: Sequence[Hop],
        where: Filter | None,
        order_by: Sequence[SortKey],
        first: int,
        after: str | None,
        as_of: dt.date | None,
        with_total: bool,
        wanted: Wanted,
    ) -> tuple[Page[Node], Expansion]:
        node_kind(kind)
        check_page_size(first)
        keys = tuple(check_sort(kind, order_by))
        # checked first: the statement is kept by the filter's values as coerced to their
        # properties' types (1 and True are equal keys, but never both valid for one property)
        f = check_filter(kind, where)
        args = (kind, tuple(hops), f, keys, first, after, as_of, with_total, wanted)
        text, params, hops = _list_statement(*args)
        (row,) = await self._read("list_nodes", text, **params)
        rows = row["rows"]  # one record: the page's rows as maps (and the count if asked)
        total = int(row["total"]) if with_total else None
        items: list[Node] = []
        sort_values: list[list[Value | None]] = []
        pages: Expansion = {}
        for r in rows[:first]:
            n = _node(r["id"], kind, r["props"])
            counts = iter(r.get("counts") or ())
            items.append(n)
            sort_values.append(
                [
                    int(next(counts))
                    if isinstance(k.field, LinkCount)
                    else n.id
                    if k.field == "id"
                    else n.props.get(k.field)
                    for k in keys
                ]
            )
            for hop, raw in zip(hops, r.get("pages") or (), strict=False):
                if hop.applies_to(n.kind):
                    _take_page(pages, hop, n.id, raw)
        for n in items:  # as with expand: every node of the page has its pages
            for hop in hops:
                pages.setdefault((hop.page, n.id), LinkPage(0, [], False))
        cursors = Cursors(sort_values)
        page = Page(items, len(rows) > first, cursors.last(), cursors, total)
        return page, pages

    async def count_nodes(
        self, kind: str, *, where: Filter | None = None, as_of: dt.date | None = None
    ) -> int:
        node_kind(kind)
        params = cypher.Params({"as_of": as_of})
        predicate = self._where(kind, where, params)
        rows = await self._read("count_nodes", cypher.count_nodes(kind, predicate), **params.values)
        return int(rows[0]["n"])

    async def counts(self, *, as_of: dt.date | None = None) -> Counts:
        # one statement, one record, every undated count from the count store (cypher.counts)
        (row,) = await self._read("counts", cypher.counts(as_of is not None), as_of=as_of)
        out = Counts()
        out.nodes = {k: int(n) for k, n in sorted(zip(NODE_KINDS, row["nodes"], strict=True)) if n}
        out.links = {k: int(n) for k, n in sorted(zip(LINK_KINDS, row["links"], strict=True)) if n}
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
        way = route(kind, group_by)
        check_page_size(first)
        params = cypher.Params({"as_of": as_of, "limit": first})
        predicate = self._where(kind, where, params)
        text = cypher.aggregate(kind, predicate, way)
        (row,) = await self._read("aggregate", text, **params.values)
        places = [PlaceCount(p["id"], p["name"], int(p["c"])) for p in row["places"]]
        return Aggregate(kind, group_by, places, int(row["unplaced"]), bool(row["has_more"]))

    async def neighbours(
        self,
        ids: Sequence[str],
        *,
        link_kind: str | None = None,
        direction: Direction = Direction.OUT,
        neighbour_kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> dict[str, list[Neighbour]]:
        if neighbour_kind is not None:
            node_kind(neighbour_kind)
        text = cypher.neighbours(link_kind, Direction(direction))
        out: dict[str, list[Neighbour]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = await self._read(
            "neighbours", text, ids=list(dict.fromkeys(ids)), nk=neighbour_kind, as_of=as_of
        )
        for r in rows:
            lk = _link(
                {
                    "id": r["link_id"],
                    "kind": r["kind"],
                    "source": r["source"],
                    "target": r["target"],
                    "props": r["lprops"],
                }
            )
            out[r["id"]].append(Neighbour(lk, _node(r["nid"], r["nkind"], r["nprops"])))
        for found in out.values():
            found.sort(key=lambda nb: nb.link.id)
        return out

    async def expand(
        self, ids: Sequence[str], hops: Sequence[Hop], wanted: Wanted = EVERYTHING
    ) -> Expansion:
        """The whole tree in one statement (:func:`.cypher.expand`): one round trip."""
        if not ids or not hops:
            return {}
        _, out = await self._expand("expand", ids, hops, wanted)
        for i in ids:  # as with neighbours: every asked id has its pages, unknown ones empty
            for hop in hops:
                out.setdefault((hop.page, i), LinkPage(0, [], False))
        return out

    async def lookup(
        self, ids: Sequence[str], hops: Sequence[Hop] = (), wanted: Wanted = EVERYTHING
    ) -> tuple[dict[str, Node], Expansion]:
        """The nodes and the whole tree below them in one statement."""
        if not ids or not hops:
            return await self.get_nodes(ids), {}
        return await self._expand("lookup", ids, hops, wanted)

    async def _expand(
        self, operation: str, ids: Sequence[str], hops: Sequence[Hop], wanted: Wanted
    ) -> tuple[dict[str, Node], Expansion]:
        text, params = cypher.expand(hops, wanted)
        rows = await self._read(operation, text, ids=list(dict.fromkeys(ids)), **params)
        found: dict[str, Node] = {}
        pages: Expansion = {}
        for row in rows:
            found[row["id"]] = _node(row["id"], row["kind"], row["props"])
            for hop, page in zip(hops, row["pages"], strict=True):
                if hop.applies_to(row["kind"]):
                    _take_page(pages, hop, row["id"], page)
        return found, pages

    async def list_links(
        self, *, kind: str | None = None, as_of: dt.date | None = None
    ) -> list[Link]:
        if kind is not None:
            link_kind(kind)
        rows = await self._read("list_links", cypher.list_links(kind), as_of=as_of)
        return [_link(r) for r in rows]

    async def search(self, text: str, *, kinds: Sequence[str] = (), limit: int = 20) -> list[Node]:
        for k in kinds:
            node_kind(k)
        q = lucene_query(text)
        if not q or limit <= 0:
            return []
        # the full-text index finds candidates (cjk bigrams); the shared ranking orders them the
        # same way the embedded store does
        (row,) = await self._read(
            "search", cypher.SEARCH, q=q, kinds=list(kinds), limit=max(100, limit * 20)
        )
        return rank_names(text, (_node(i, k, p) for i, k, p in row["rows"]), limit)

    async def projection(
        self,
        *,
        node_kinds: Sequence[str] = (),
        link_kinds: Sequence[str] = (),
        as_of: dt.date | None = None,
    ) -> nx.MultiDiGraph:
        for k in node_kinds:
            node_kind(k)
        for k in link_kinds:
            link_kind(k)
        g = nx.MultiDiGraph()
        params = {"kinds": list(node_kinds), "link_kinds": list(link_kinds), "as_of": as_of}
        async for row in self._pages("projection", cypher.PROJECTION_NODES, params):
            nid, kind, props = row
            g.add_node(nid, kind=kind, **_props(props))
        async for row in self._pages("projection", cypher.PROJECTION_LINKS, params):
            lid, kind, source, target, props = row
            g.add_edge(source, target, key=lid, kind=kind, **_props(props, _LINK_DROP))
        return g

    async def scan(self, spec: ScanSpec) -> Scan:
        for k in spec.nodes:
            node_kind(k)
        for k in spec.links:
            link_kind(k)
        # one statement at a time: two at once were no faster at 3,000 compounds (the server's
        # work is most of it, and the machine's cores are shared)
        nodes, internal = await self._scan_nodes(spec.nodes)
        by_internal = np.argsort(internal)
        ends = _Ends(internal[by_internal], by_internal)
        same: dict[Any, Any] = {}
        links = {k: await self._scan_links(k, ps, ends, same) for k, ps in spec.links.items()}
        return Scan(nodes, links)

    async def _scan_nodes(
        self, spec: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, NodeColumns], NDArray[np.int64]]:
        """The nodes of ``spec``, and each one's internal id by row (see :class:`_Ends`)."""
        nodes = {k: NodeColumns([], {p: [] for p in props}) for k, props in spec.items()}
        internal: dict[str, list[NDArray[np.int64]]] = {k: [] for k in spec}
        # properties and dates apart: the statement turns dates into day numbers
        plain = {k: [p for p in ps if not is_date(k, p)] for k, ps in spec.items()}
        dates = {k: [p for p in ps if is_date(k, p)] for k, ps in spec.items()}
        params = {"kinds": list(spec), "props": plain, "dates": dates, "epoch": _EPOCH}
        if spec:
            async for page in self._scan_pages(cypher.SCAN_NODES, params):
                for kind, ids, values, days, inner in page["groups"]:
                    found = nodes[kind]
                    found.ids.extend(ids)
                    internal[kind].append(np.array(inner, np.int64))
                    for p, v in zip((*plain[kind], *dates[kind]), (*values, *days), strict=True):
                        found.props[p].extend(v)
        in_rows = [a for k in spec for a in internal[k]]  # rows: the kinds in spec's order
        return nodes, np.concatenate(in_rows) if in_rows else np.empty(0, np.int64)

    async def _scan_links(
        self, kind: str, props: Sequence[str], ends: _Ends, same: dict[Any, Any]
    ) -> LinkColumns:
        sources: list[Rows] = []
        targets: list[Rows] = []
        found = LinkColumns(_NO_ROWS, _NO_ROWS, [], {p: [] for p in props})
        plain = [p for p in props if not is_date(kind, p)]
        dates = [p for p in props if is_date(kind, p)]
        params = {"props": plain, "dates": dates, "epoch": _EPOCH}
        async for page in self._scan_pages(cypher.scan_links(kind), params):
            sources.append(ends.rows(page["src"]))
            targets.append(ends.rows(page["dst"]))
            found.keys.extend(page["keys"])
            for p, v in zip((*plain, *dates), (*page["props"], *page["days"]), strict=True):
                # one object per distinct value (a few thousand days, a few roles), not per link
                found.props[p].extend([same.setdefault(x, x) for x in v])
        if not sources:
            return found
        return found._replace(sources=np.concatenate(sources), targets=np.concatenate(targets))

    async def _scan_pages(
        self, text: str, params: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """The records of a paged scan statement, page after page, each in one read; the next
        page is asked for before this one is handed over, so the server reads it while the
        caller spends this one."""

        async def page(after: str) -> dict[str, Any]:
            (record,) = await self._read("scan", text, after=after, limit=SCAN_PAGE, **params)
            return record

        coming = asyncio.ensure_future(page(""))
        try:
            while True:
                record = await coming
                if record["scanned"] == SCAN_PAGE:
                    coming = asyncio.ensure_future(page(record["last"]))
                    for _ in range(_SEND_STEPS):  # let the request go out before the work
                        await asyncio.sleep(0)
                yield record
                if record["scanned"] < SCAN_PAGE:
                    return
        finally:
            if not coming.done():  # the caller stopped early (or failed): no read left behind
                coming.cancel()
                with suppress(asyncio.CancelledError):
                    await coming

    async def _pages(
        self, operation: str, text: str, params: Mapping[str, Any]
    ) -> AsyncIterator[list[Any]]:
        """The rows of a paged statement (``$after``/``$limit`` over node ids, returning
        ``rows``, ``last`` and ``scanned``), page after page, each in one read."""
        after, page = "", PROJECTION_PAGE
        while True:
            records = await self._read(operation, text, after=after, limit=page, **params)
            if not records:
                return
            for row in records[0]["rows"]:
                yield row
            if records[0]["scanned"] < page:
                return
            after = records[0]["last"]

    # -- lifecycle --------------------------------------------------------------------------------
    async def init_schema(self) -> None:
        async with self._unavailable_as_error(), self._driver.session(database=self._db) as s:
            statements = cypher.schema_statements(link_uniqueness=True)
            try:
                await (await s.run(self._q(statements[-1]))).consume()
            except ClientError:
                # relationship uniqueness constraints need Neo4j 5.7+; fall back to indexes
                statements = cypher.schema_statements(link_uniqueness=False)
            for stmt in statements:
                self.stats.count("init_schema")
                await (await s.run(self._q(stmt))).consume()
            await (await s.run(self._q(cypher.AWAIT_INDEXES))).consume()

    async def ping(self) -> None:
        self.stats.count("ping")
        async with self._unavailable_as_error(writing=False):
            try:
                await self._driver.verify_connectivity()
            except Neo4jError as exc:
                raise StoreUnavailableError(f"Neo4j is not ready: {exc}") from exc

    async def clear(self) -> None:
        async with self._unavailable_as_error(), self._driver.session(database=self._db) as s:
            self.stats.count("clear")
            await (await s.run(self._q(cypher.CLEAR))).consume()
        self.version += 1

    async def close(self) -> None:
        """Close the idle read sessions, and the driver only if the store owns it."""
        while self._idle_reads:
            await self._idle_reads.pop().close()
        if self._owns_driver:
            await self._driver.close()


def _take_page(out: Expansion, hop: Hop, parent: str, raw: list[Any]) -> None:
    """One ``[total, has_next, items]`` of :func:`.cypher.expand` into ``out``, recursively."""
    total, more, items = raw
    if not hop.page.order:  # else the statement's order is the page's; Python's order of ids
        items = sorted(items, key=_FIRST)  # (code points) may differ from Cypher's (UTF-16)
    below = hop.below
    found: list[Neighbour] = []
    for lid, kind, source, target, lprops, nid, nkind, nprops, pages in items:
        found.append(
            Neighbour(_link_of(lid, kind, source, target, lprops), _node(nid, nkind, nprops))
        )
        for child, page in zip(below, pages, strict=True):
            if child.applies_to(nkind):
                _take_page(out, child, nid, page)
    out[(hop.page, parent)] = LinkPage(total, found, more)


_FIRST = operator.itemgetter(0)


class _RefusedError(Exception):
    """A write statement wrote fewer rows than sent; raised inside the transaction function,
    so the driver rolls the transaction back."""


#: what a node's and a link's properties leave out of the maps the statements return
_NODE_DROP = frozenset({"id", "kind"})
_LINK_DROP = frozenset({"id"})


def _props(raw: Mapping[str, Any], drop: frozenset[str] = _NODE_DROP) -> dict[str, Value]:
    native, plain = cypher.native, cypher.PLAIN  # most values are plain: no call for them
    # Most maps are kept as the driver made them (a new dict per value it decodes): a projection
    # of the properties asked, every value plain. Checking that in C costs half what copying in
    # Python did (~1,000 maps a two_hop request at 2,000 compounds).
    if type(raw) is dict and plain.issuperset(map(type, raw.values())) and drop.isdisjoint(raw):
        return raw
    return {k: v if type(v) in plain else native(v) for k, v in raw.items() if k not in drop}


def _node(nid: str, kind: str, props: Mapping[str, Any]) -> Node:
    return Node(nid, kind, _props(props))


def _link(r: Mapping[str, Any]) -> Link:
    _, _, _, key = parse_link_id(r["id"])
    return Link(r["kind"], r["source"], r["target"], _props(r["props"], _LINK_DROP), key)


def _link_of(lid: str, kind: str, source: str, target: str, props: Mapping[str, Any]) -> Link:
    """:func:`_link` of a row whose ends and kind came with the id (``source|kind|target``,
    then ``|key`` if any: :func:`~.model.link_id`), so only the key is cut from the id."""
    head = len(source) + len(kind) + len(target) + 2
    return Link(kind, source, target, _props(props, _LINK_DROP), lid[head + 1 :])


#: list statements kept (a query text asks the same list on every request: building its
#: statement, the checks, the filter and the order compiled, was ~5% of a demo list's CPU)
LIST_STATEMENTS_KEPT = 256


@functools.lru_cache(maxsize=LIST_STATEMENTS_KEPT)
def _list_statement(  # noqa: PLR0917  # Neo4jStore._list's arguments
    kind: str,
    hops: tuple[Hop, ...],
    f: Filter | None,
    keys: tuple[SortKey, ...],
    first: int,
    after: str | None,
    as_of: dt.date | None,
    with_total: bool,
    wanted: Wanted,
) -> tuple[str, dict[str, Any], tuple[Hop, ...]]:
    """The statement of one list page (its filter and sort keys checked, so every value is
    hashable), its parameters (shared: callers pass them on, never change them) and the hops
    whose pages it reads."""
    params = cypher.Params({"as_of": as_of, "limit": first + 1})
    lifted = None if f is None else cypher.lifted_match(kind, f, params)
    predicate = "true" if f is None or lifted else cypher.compile_filter(kind, f, params)
    after_row = None
    if after is not None:
        start = decode_cursor(after, keys, kind)
        after_row = cypher.after_cursor(kind, keys, start, params)
    props = wanted.node
    if props is not None:  # the cursor reads the sort keys' values from the properties
        props = props | {k.field for k in keys if isinstance(k.field, str) and k.field != "id"}
    below = None
    if hops:
        try:
            below = cypher.tree(hops, params, wanted)
        except GovGraphError:
            hops = ()  # a page below refuses (its cursor): the page alone, as expand would
    text = cypher.list_nodes(
        kind,
        predicate,
        cypher.order_by(kind, keys),
        cypher.link_counts(keys),
        after_row,
        with_total=with_total,
        props=props,
        below=below,
        lifted=lifted,
        by_index=cypher.index_order(kind, keys),
    )
    return text, params.values, hops
