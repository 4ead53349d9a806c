"""Keep the analytics index (and, when asked, the projection) between requests, until the store
changes.

Reading the store reads the whole graph (for Neo4j the transfer of every node and link), so a
service must not do it per request. :class:`AnalyticsCache` holds, per store version, the
columnar index *with the whole history* (:meth:`~AnalyticsCache.index`: the store read in
columns, what the service's analyses read; a day is a view of it) and, only for callers that
want NetworkX, the projection (:meth:`~AnalyticsCache.history`, with day views cut from it by
:func:`~govgraph.graph.analytics.projection.at`). How it knows the store changed:

* a store with a ``version`` attribute that every write bumps (the embedded store) is used as
  is;
* otherwise pass ``version=`` a callable returning anything comparable that changes when the
  data changes (a write counter, the last import's timestamp), or ``ttl=`` seconds after which
  a projection is rebuilt anyway (for a store written by other processes, such as a shared
  Neo4j). With both, either one expiring rebuilds.

The graphs it returns are frozen (``nx.freeze``): callers share them, so they must not (and
cannot) modify them. One lock serializes rebuilds, so concurrent requests that miss together
build once.

Writes made through ``store`` by this process are not read back: the index is patched
(:func:`~.columns_patch.patched`), and :func:`carry_over` applies them to a new version of the
projection that shares everything unchanged with the old one
(copy on write), and patches the day views and indexes already built for the old version for
the nodes the write touched, so the first analysis after a write costs the write's
neighbourhood, not the city: the new version's graphs and index tables are layers over the old
ones (see :mod:`~._patch` and :mod:`~._layers`), flattened on the first whole-graph read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import networkx as nx

from ..port import GraphStore, WriteBatch
from . import _heap
from ._facts import keep_facts, known_facts
from ._patch import Changes, Derived
from .columns import Columns, build_scanned, columns_for, index_spec, keep_columns, known_columns
from .columns_patch import patched
from .projection import at, day_views, keep_day_view, project


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
        self._index: Columns | None = None
        #: writes made through ``store`` since the last build, with the version after each;
        #: None once they outgrow ``max_patch`` (the next call rebuilds instead)
        self._pending: list[tuple[Hashable, WriteBatch]] | None = []
        self._pending_records = 0
        self._max_patch = max_patch
        self._patchable = version is None or (
            isinstance(version, functools.partial) and version.args == (store, "version")
        )
        self._listeners: list[Callable[[], None]] = []
        store.add_write_listener(self._on_write)

    def add_version_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` each time the cache comes to hold a new version of the
        projection (built from the store, or this process's writes applied to the one held),
        in the event loop, before any caller gets it.

        Why. A version is long-lived: it stays until the store changes, and readers share it.
        A host may want to act on that, e.g. freeze it out of the garbage collector's scans,
        which is process-wide and so never the library's to do.
        """
        self._listeners.append(listener)

    def _fresh(self) -> bool:
        if self._history is None and self._index is None:
            return False
        if self._ttl is not None and self._clock() - self._built_at >= self._ttl:
            return False
        return self._version is None or self._version() == self._key

    async def index(self) -> Columns:
        """The columnar index of the store's current version, what the analyses read. Read
        from the store in columns (:meth:`~govgraph.graph.port.GraphStore.scan`), with no
        NetworkX projection, unless the projection is held already (then its index)."""
        if self._fresh() and self._index is not None:
            self.stats.hits += 1
            return self._index
        async with self._lock:
            await self._refresh(history=False)
            if self._index is None:  # held as a projection, or a patch could not carry it
                self._index = (
                    columns_for(self._history)
                    if self._history is not None
                    else build_scanned(await self.store.scan(index_spec()))
                )
            return self._index

    async def history(self) -> nx.MultiDiGraph:
        """The projection with the whole history (for :func:`~.rules.run_rules`)."""
        if self._fresh() and self._history is not None:
            self.stats.hits += 1
            return self._history
        async with self._lock:
            await self._refresh(history=True)
            assert self._history is not None
            return self._history

    async def _refresh(self, *, history: bool) -> None:
        """Bring the held version up to date (under the lock): patched for this process's own
        writes when it can be, else read again (as a projection when ``history``, else in
        columns); then read the projection of the version held if ``history`` asks for it."""
        if self._fresh():  # another request brought it up to date meanwhile
            self.stats.hits += 1
        elif (patched := self._patched()) is not None:
            self._drop()
            self._history, self._index, self._key = patched
            self.stats.patches += 1
            self._held()
        else:
            self._pending, self._pending_records = [], 0
            key = self._version() if self._version is not None else None
            self._drop()
            if history:
                self._history = nx.freeze(await project(self.store))
            else:
                self._index = build_scanned(await self.store.scan(index_spec()))
            self._key, self._built_at = key, self._clock()
            self.stats.builds += 1
            self._held()
        if history and self._history is None:
            # the index was read in columns: the projection of the same version, sharing it
            # unless a write came in while the projection was read (then it builds its own)
            key = self._version() if self._version is not None else None
            self._history = nx.freeze(await project(self.store))
            same = self._version is not None and key == self._key == self._version()
            if same and self._index is not None:
                keep_columns(self._history, self._index)
            self._held()

    async def graph(self, as_of: dt.date) -> nx.MultiDiGraph:
        """The projection as of ``as_of`` (links valid that day), for the tie analyses."""
        # at() keeps the day views of a frozen graph (frozen themselves), a bounded few per graph
        return at(await self.history(), as_of)

    def _held(self) -> None:
        for listener in self._listeners:
            listener()

    def invalidate(self) -> None:
        """Forget everything: the next call reads the store again."""
        self._drop()

    def _drop(self) -> bool:
        """Let the held version go (True if there was one). Requests may still be reading it;
        it is freed by reference counting when they are done, once the views NetworkX cached
        on it (cycles, see :func:`~._heap.uncycle`) are dropped."""
        old, self._history = self._history, None
        self._index = None
        if old is None:
            return False
        for view in day_views(old).values():
            _heap.uncycle(view)
        _heap.uncycle(old)
        return True

    # -- keeping up with this process's own writes ------------------------------------------------
    def _on_write(self, batch: WriteBatch, version: Hashable) -> None:
        if self._pending is None:
            return
        self._pending_records += len(batch)
        if self._pending_records > self._max_patch:
            self._pending = None  # a bulk import: reading the store again is cheaper
        else:
            self._pending.append((version, batch))

    def _patched(self) -> tuple[nx.MultiDiGraph | None, Columns | None, Hashable] | None:
        """The held projection and index with the writes made since applied, when they are all
        known: every version between the held one and the store's current one came through
        :meth:`_on_write`, and the time-to-live (if any) has not run out. An index that cannot
        be patched (a node changed kind) comes back None, to be read again."""
        if self._pending is None or not self._patchable:
            return None
        if self._history is None and self._index is None:
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
        changes = [Changes.of(b) for v, b in self._pending if isinstance(v, int) and v > self._key]
        self._pending, self._pending_records = [], 0
        if self._history is not None:
            history = carry_over(self._history, changes)
            return history, known_columns(history), current
        return None, _patch_index(self._index, changes), current


def carry_over(history: nx.MultiDiGraph, changes: Sequence[Changes]) -> nx.MultiDiGraph:
    """A new frozen version of ``history`` with ``changes`` applied, and with it the day views
    (:func:`~.projection.at`) and indexes (:class:`~._facts.Facts`) already built for the old
    one, each patched for the nodes the changes touch rather than rebuilt. The old version and
    everything built on it stay as they were (requests may still be reading them).

    Examples
    --------
    >>> from govgraph.graph.analytics._facts import facts_of
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.model import link
    >>> old = nx.freeze(tiny_city())
    >>> before = facts_of(at(old, AS_OF))
    >>> batch = WriteBatch(links=[link("MEMBER_OF", "p9", "pg1", status="full")])
    >>> new = carry_over(old, [Changes.of(batch)])
    >>> known_facts(at(new, AS_OF)) is not None  # patched, not to be rebuilt
    True
    >>> "p9" in facts_of(at(new, AS_OF)).members("pg1"), "p9" in before.members("pg1")
    (True, False)
    """
    d = Derived(history)
    for c in changes:
        d.apply(c)
    new = d.build()
    _carry_facts(history, new, d.touched)
    _carry_columns(history, new, changes)
    for day, view in day_views(history).items():
        dv = Derived(view)
        for c in changes:
            dv.apply(c, as_of=day)
        new_view = dv.build()
        keep_day_view(new, day, new_view)
        _carry_facts(view, new_view, dv.touched)
    return new


def _carry_columns(old: nx.MultiDiGraph, new: nx.MultiDiGraph, changes: Sequence[Changes]) -> None:
    cols = _patch_index(known_columns(old), changes)
    if cols is not None:
        keep_columns(new, cols)


def _patch_index(cols: Columns | None, changes: Sequence[Changes]) -> Columns | None:
    """``cols`` with ``changes`` applied; None when a node changed kind (the next reader
    rebuilds) or there is no index."""
    for c in changes:
        if cols is None:
            return None
        cols = patched(cols, c)
    return cols


def _carry_facts(old: nx.MultiDiGraph, new: nx.MultiDiGraph, touched: set[str]) -> None:
    facts = known_facts(old)
    if facts is not None:
        keep_facts(new, facts.patched(new, touched))
