"""The storage port: the one interface every part of the project uses to reach the graph.

Two adapters implement it: :class:`~govgraph.graph.embedded.EmbeddedStore` (NetworkX in process,
persisted to a file; the default) and :class:`~govgraph.graph.neo4j_store.Neo4jStore` (production).
The contract suite in ``tests/graph/test_contract.py`` runs the same tests against both.

Semantics every adapter keeps:

* **Upsert replaces.** Upserting a node or link sets exactly the given properties (absent ones are
  removed), so upserting the same batch twice changes nothing.
* **A batch is all-or-nothing.** :meth:`GraphStore.apply` validates everything first and writes in
  one transaction; on any error nothing is written.
* **Links are temporal.** ``since`` and ``until`` are inclusive; ``as_of=day`` keeps only links
  valid on that day (nodes are not dated).
* **Deleting a node deletes its links.**
* **Sorting** puts missing values last in both directions, with ``id`` as the final tiebreaker;
  a range filter never matches a missing value, ``ne`` does. A count of links is never missing
  (zero) and counts the links valid on ``as_of``.
* **Aggregates by place** follow the ontology's locating links (see :mod:`.places`).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from .expand import EVERYTHING, Expansion, Hop, Wanted, expand_by_level
from .model import Link, Neighbour, Node
from .places import Aggregate
from .query import Counts, Direction, Filter, Page, SortKey
from .scan import Scan, ScanSpec


@dataclass(frozen=True, slots=True)
class WriteBatch:
    """Everything one all-or-nothing write does: upserts first, then deletes."""

    nodes: Sequence[Node] = ()
    links: Sequence[Link] = ()
    delete_links: Sequence[str] = ()
    delete_nodes: Sequence[str] = ()

    def __len__(self) -> int:
        return len(self.nodes) + len(self.links) + len(self.delete_links) + len(self.delete_nodes)


@dataclass(frozen=True, slots=True)
class WriteResult:
    nodes_written: int = 0
    links_written: int = 0
    links_deleted: int = 0
    nodes_deleted: int = 0


@dataclass(slots=True)
class StoreStats:
    """Round trips to the backing database, for tests that bound the number of queries."""

    queries: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def count(self, operation: str) -> None:
        self.queries += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


def require_upserts_only(batch: WriteBatch) -> None:
    """Refuse deletes in a batch for :meth:`GraphStore.apply_checked` (a programming error)."""
    if batch.delete_links or batch.delete_nodes:
        raise ValueError("apply_checked writes upserts only; delete through apply")


#: called with a batch and the store's version after the store acknowledged that write
WriteListener = Callable[[WriteBatch, Hashable], None]


class GraphStore(abc.ABC):
    """The storage port. All methods are coroutines; none blocks the event loop for long."""

    stats: StoreStats

    # -- the change feed (writes made through this object only) ------------------------------
    def add_write_listener(self, listener: WriteListener) -> None:
        """Call ``listener(batch, version)`` after each write this object commits, in order.

        Only writes made through this object are seen (not another process's writes to a
        shared Neo4j); ``version`` is the store's ``version`` after the write (None for a store
        without one). A listener must be quick and must not raise: the write is already done.
        """
        self.__dict__.setdefault("_write_listeners", []).append(listener)

    def _written(self, batch: WriteBatch) -> None:
        for listener in self.__dict__.get("_write_listeners", ()):
            listener(batch, getattr(self, "version", None))

    # -- writes -----------------------------------------------------------------------------------
    @abc.abstractmethod
    async def apply(self, batch: WriteBatch) -> WriteResult:
        """Validate and write a batch in one transaction: all of it or none of it.

        Raises ValidationError listing every problem (bad kinds, properties or dates, wrong
        endpoint kinds, a link to a node that is neither in the batch nor stored) and
        ConflictError (an id already used by a node of another kind).
        """

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        """Write upserts a bulk loader has already validated, in one transaction: all or none.

        The fast path of the importer. The caller promises what :meth:`apply` would otherwise
        check record by record: every node and link is as :func:`~.model.check_node` /
        :func:`~.model.check_link` return them (a kind of the ontology, declared and typed
        properties), and no node id or link id appears twice in the batch. The store then skips
        that work but still guarantees, cheaply (inside the write, no extra round trip), what
        depends on the stored graph, which may have changed since the caller looked: a node id
        stored as another kind raises ConflictError; a link whose end is neither stored nor in
        the batch, or whose ends are of kinds its kind does not join, raises ValidationError;
        either way nothing is written. Deletes are not allowed here (ValueError).

        This default validates everything through :meth:`apply` (so wrappers that guard
        ``apply`` stay guarded); the adapters override it.
        """
        require_upserts_only(batch)
        return await self.apply(batch)

    async def upsert(self, nodes: Iterable[Node] = (), links: Iterable[Link] = ()) -> WriteResult:
        return await self.apply(WriteBatch(nodes=list(nodes), links=list(links)))

    async def delete(
        self, node_ids: Iterable[str] = (), link_ids: Iterable[str] = ()
    ) -> WriteResult:
        """Delete nodes (with their links) and links by id; unknown ids are ignored."""
        return await self.apply(
            WriteBatch(delete_nodes=list(node_ids), delete_links=list(link_ids))
        )

    # -- reads ------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        """The nodes with these ids (missing ids are absent from the result)."""

    @abc.abstractmethod
    async def get_links(self, ids: Sequence[str]) -> dict[str, Link]:
        """The links with these ids (missing ids are absent from the result)."""

    @abc.abstractmethod
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
        """One page of nodes of ``kind``, filtered and sorted, continuing after a cursor.

        With ``with_total`` the page's ``total`` is what :meth:`count_nodes` would say for the
        same filter, from the same round trip (a connection's ``totalCount`` beside its page).

        Pagination is by keyset: the cursor holds the sort values of the last row, so a page
        costs the same wherever it starts. ``as_of`` applies to link filters and link counts.
        A sort key may be a count of links (:class:`~.query.LinkCount`); the list stays one
        round trip. The nodes carry at least the properties ``wanted.node`` names (an adapter
        may send only those, as :meth:`expand` does).
        """

    @abc.abstractmethod
    async def count_nodes(
        self, kind: str, *, where: Filter | None = None, as_of: dt.date | None = None
    ) -> int:
        """How many nodes of ``kind`` match, without fetching them."""

    @abc.abstractmethod
    async def counts(self, *, as_of: dt.date | None = None) -> Counts:
        """Node counts by kind and link counts by kind (links valid on ``as_of`` if given)."""

    @abc.abstractmethod
    async def aggregate(
        self,
        kind: str,
        *,
        group_by: str,
        where: Filter | None = None,
        as_of: dt.date | None = None,
        first: int = 100,
    ) -> Aggregate:
        """How many nodes of ``kind`` (matching ``where``) lie under each place of ``group_by``
        (a level of :data:`~.places.PLACE_LEVELS`), in one round trip.

        A node lies under the places its chains of locating links reach, every link valid on
        ``as_of``; it counts once per place. Every place of the level is listed, zeros
        included, most first and then by id, at most ``first``. Raises ValidationError for a
        kind that cannot lie under that level (see :func:`~.places.route`).
        """

    @abc.abstractmethod
    async def neighbours(
        self,
        ids: Sequence[str],
        *,
        link_kind: str | None = None,
        direction: Direction = Direction.OUT,
        neighbour_kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> dict[str, list[Neighbour]]:
        """Neighbours of many nodes in one round trip, keyed by each asked id.

        Every asked id is a key (an empty list when it has none). Lists are sorted by link id.
        """

    async def expand(
        self, ids: Sequence[str], hops: Sequence[Hop], wanted: Wanted = EVERYTHING
    ) -> Expansion:
        """Pages of links below many nodes, several levels deep, for a nested selection.

        Follows every hop from every asked id (and its ``below`` hops from the neighbours
        found), and returns the page of each (page key, node id) reached. The round trips
        depend on the hops only, never on how many nodes they reach; an adapter that can
        answer the whole tree in one statement overrides this level-by-level default.
        The caller asks each hop only from ids it applies to (``on_kinds`` is for the levels
        below, where the kinds are found on the way; :meth:`lookup` checks it for the ids).
        The nodes and links found carry at least the properties ``wanted`` names (this
        default: all of them).
        """
        return await expand_by_level(self, ids, hops)

    async def lookup(
        self, ids: Sequence[str], hops: Sequence[Hop] = (), wanted: Wanted = EVERYTHING
    ) -> tuple[dict[str, Node], Expansion]:
        """:meth:`get_nodes` and :meth:`expand` together: the nodes with these ids, and the
        pages of every hop from those found whose kind it applies to, with at least the
        properties ``wanted`` names. An adapter that can answer both in one statement
        overrides this default (two calls or more, every property)."""
        found = await self.get_nodes(ids)
        pages: Expansion = {}
        for hop in hops:
            asked = [i for i, n in found.items() if hop.applies_to(n.kind)]
            if asked:
                pages.update(await self.expand(asked, (hop,)))
        return found, pages

    @abc.abstractmethod
    async def list_links(
        self,
        *,
        kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> list[Link]:
        """All links (of one kind), sorted by id; for exports and small analyses."""

    @abc.abstractmethod
    async def search(self, text: str, *, kinds: Sequence[str] = (), limit: int = 20) -> list[Node]:
        """Nodes whose name matches ``text`` (Chinese included), best first."""

    @abc.abstractmethod
    async def projection(
        self,
        *,
        node_kinds: Sequence[str] = (),
        link_kinds: Sequence[str] = (),
        as_of: dt.date | None = None,
    ) -> nx.MultiDiGraph:
        """A NetworkX view for analytics: nodes carry ``kind`` and their properties, edges are
        keyed by link id and carry ``kind`` and their properties. Empty selections mean all."""

    @abc.abstractmethod
    async def scan(self, spec: ScanSpec) -> Scan:
        """The nodes and links of the kinds ``spec`` names, in columns, with the properties it
        names (dates as day numbers: :mod:`.scan`); every link of a kind, whether or not its
        ends are of kinds asked for (an end not read is row -1), whatever its days. For the
        analytics index."""

    # -- lifecycle --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def init_schema(self) -> None:
        """Create constraints and indexes; idempotent."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return when the store is usable; raise StoreUnavailableError otherwise."""

    @abc.abstractmethod
    async def clear(self) -> None:
        """Delete everything (for tests and demo resets)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release resources; a closed store must not be used again."""
