"""Keep the analytics projection between requests, until the store changes.

Building a projection reads the whole graph (one or two round trips, and for Neo4j the transfer
of every node and link), so a service must not rebuild it per request. :class:`AnalyticsCache`
holds one projection *with the whole history* per store version, and derives the view for each
evaluation day from it (:func:`~govgraph.graph.analytics.projection.at`, in memory), keeping the
most recent days. How it knows the store changed:

* a store with a ``version`` attribute that every write bumps (the embedded store) is used as
  is;
* otherwise pass ``version=`` a callable returning anything comparable that changes when the
  data changes (a write counter, the last import's timestamp), or ``ttl=`` seconds after which
  a projection is rebuilt anyway (for a store written by other processes, such as a shared
  Neo4j). With both, either one expiring rebuilds.

The graphs it returns are frozen (``nx.freeze``): callers share them, so they must not (and
cannot) modify them. One lock serializes rebuilds, so concurrent requests that miss together
build once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import networkx as nx

from ..errors import Problem
from ..model import check_link, check_node, parse_link_id
from ..port import GraphStore, WriteBatch
from .projection import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS, at, project


@dataclass(slots=True)
class CacheStats:
    """How often the cache answered from memory and how often it read the store."""

    hits: int = 0
    builds: int = 0
    #: how often this process's own writes were applied to the held projection instead
    patches: int = 0


class AnalyticsCache:
    """The projection of ``store`` per evaluation day, rebuilt only when the store changed.

    Parameters
    ----------
    store
        The store to project (any :class:`~govgraph.graph.port.GraphStore`).
    version
        A callable returning the store's current version; defaults to reading
        ``store.version`` when the store has one.
    ttl
        Seconds a projection stays valid (for stores without a version).
    clock
        Monotonic seconds (for tests).

    Examples
    --------
    >>> import asyncio
    >>> from govgraph.graph.embedded import EmbeddedStore
    >>> from govgraph.graph.model import node
    >>> store = EmbeddedStore()
    >>> cache = AnalyticsCache(store)
    >>> async def demo():
    ...     first = await cache.graph(dt.date(2021, 5, 31))
    ...     again = await cache.graph(dt.date(2021, 5, 31))
    ...     await store.upsert([node("Compound", "c1")])
    ...     after = await cache.graph(dt.date(2021, 5, 31))
    ...     return first is again, after.number_of_nodes()
    >>> asyncio.run(demo()), cache.stats
    ((True, 1), CacheStats(hits=1, builds=1, patches=1))
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        version: Callable[[], Hashable] | None = None,
        ttl: float | None = None,
        max_patch: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if version is None and hasattr(store, "version"):
            version = functools.partial(getattr, store, "version")  # read at every call
        if version is None and ttl is None:
            raise TypeError(
                f"{type(store).__name__} has no version attribute: pass version= (a callable "
                "returning the store's version) or ttl= (seconds a projection stays valid)"
            )
        self.store = store
        self.stats = CacheStats()
        self._version = version
        self._ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._key: Hashable = None
        self._built_at = 0.0
        self._history: nx.MultiDiGraph | None = None
        #: writes made through ``store`` since the last build, with the version after each;
        #: None once they outgrow ``max_patch`` (the next call rebuilds instead)
        self._pending: list[tuple[Hashable, WriteBatch]] | None = []
        self._pending_records = 0
        self._max_patch = max_patch
        self._patchable = version is None or (
            isinstance(version, functools.partial) and version.args == (store, "version")
        )
        store.add_write_listener(self._on_write)

    def _fresh(self) -> bool:
        if self._history is None:
            return False
        if self._ttl is not None and self._clock() - self._built_at >= self._ttl:
            return False
        return self._version is None or self._version() == self._key

    async def history(self) -> nx.MultiDiGraph:
        """The projection with the whole history (for :func:`~.rules.run_rules`)."""
        if self._fresh():
            self.stats.hits += 1
            assert self._history is not None
            return self._history
        async with self._lock:
            if self._fresh():  # another request brought it up to date meanwhile
                self.stats.hits += 1
            elif (patched := self._patched()) is not None:
                self._history, self._key = patched
                self.stats.patches += 1
            else:
                self._pending, self._pending_records = [], 0
                key = self._version() if self._version is not None else None
                self._history = nx.freeze(await project(self.store))
                self._key, self._built_at = key, self._clock()
                self.stats.builds += 1
        assert self._history is not None
        return self._history

    async def graph(self, as_of: dt.date) -> nx.MultiDiGraph:
        """The projection as of ``as_of`` (links valid that day), for the tie analyses."""
        # at() keeps the day views of a frozen graph (frozen themselves), a bounded few per graph
        return at(await self.history(), as_of)

    def invalidate(self) -> None:
        """Forget everything: the next call reads the store again."""
        self._history = None

    # -- keeping up with this process's own writes ------------------------------------------------
    def _on_write(self, batch: WriteBatch, version: Hashable) -> None:
        if self._pending is None:
            return
        self._pending_records += len(batch)
        if self._pending_records > self._max_patch:
            self._pending = None  # a bulk import: reading the store again is cheaper
        else:
            self._pending.append((version, batch))

    def _patched(self) -> tuple[nx.MultiDiGraph, Hashable] | None:
        """The held projection with the writes made since applied, when they are all known:
        every version between the held one and the store's current one came through
        :meth:`_on_write`, and the time-to-live (if any) has not run out."""
        if self._history is None or self._pending is None or not self._patchable:
            return None
        if self._ttl is not None and self._clock() - self._built_at >= self._ttl:
            return None
        current = self._version() if self._version is not None else None
        seen = [v for v, _ in self._pending]
        if not isinstance(self._key, int) or not isinstance(current, int):
            return None
        if not set(range(self._key + 1, current + 1)) <= set(seen):
            return None  # a write we did not see (clear(), or another code path)
        # replaying writes the projection may already hold is harmless: upserts replace and
        # deletes are idempotent, so the suffix in order always ends at the current state
        graph = nx.MultiDiGraph(self._history)
        for v, batch in self._pending:
            if isinstance(v, int) and v > self._key:
                apply_batch(graph, batch)
        self._pending, self._pending_records = [], 0
        return nx.freeze(graph), current


_NODE_KINDS = frozenset(ANALYTIC_NODE_KINDS)
_LINK_KINDS = frozenset(ANALYTIC_LINK_KINDS)


def apply_batch(graph: nx.MultiDiGraph, batch: WriteBatch) -> None:
    """Apply one acknowledged write to a (mutable) projection as the stores would: upserts
    replace, then link and node deletes; kinds the analytics do not read are left out.

    Examples
    --------
    >>> from govgraph.graph.model import link, node
    >>> g = nx.MultiDiGraph()
    >>> apply_batch(g, WriteBatch(nodes=[node("Person", "p1"), node("PartyBranch", "b1")]))
    >>> apply_batch(g, WriteBatch(links=[link("MEMBER_OF", "p1", "b1", status="full")]))
    >>> sorted(g.edges(keys=True))
    [('p1', 'b1', 'p1|MEMBER_OF|b1')]
    >>> apply_batch(g, WriteBatch(delete_nodes=["b1"]))
    >>> g.number_of_nodes(), g.number_of_edges()
    (1, 0)
    """
    problems: list[Problem] = []
    for n in batch.nodes:
        clean = check_node(n, problems)  # the store checked it; this coerces raw values
        if clean is None or clean.kind not in _NODE_KINDS:
            continue
        if clean.id in graph:
            attrs = graph.nodes[clean.id]
            attrs.clear()
            attrs.update(kind=clean.kind, **clean.props)
        else:
            graph.add_node(clean.id, kind=clean.kind, **clean.props)
    for lk in batch.links:
        c = check_link(lk, problems)
        if c is None or c.kind not in _LINK_KINDS:
            continue
        if c.source not in graph or c.target not in graph:
            continue
        if graph.has_edge(c.source, c.target, key=c.id):
            graph.remove_edge(c.source, c.target, key=c.id)
        graph.add_edge(c.source, c.target, key=c.id, kind=c.kind, **c.props)
    for lid in batch.delete_links:
        source, _, target, _ = parse_link_id(lid)
        if graph.has_edge(source, target, key=lid):
            graph.remove_edge(source, target, key=lid)
    for nid in batch.delete_nodes:
        if nid in graph:
            graph.remove_node(nid)
