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
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import networkx as nx

from ..port import GraphStore
from .projection import at, project


@dataclass(slots=True)
class CacheStats:
    """How often the cache answered from memory and how often it read the store."""

    hits: int = 0
    builds: int = 0


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
    max_days
        How many evaluation days' views to keep (least recently used dropped first).
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
    ((True, 1), CacheStats(hits=1, builds=2))
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        version: Callable[[], Hashable] | None = None,
        ttl: float | None = None,
        max_days: int = 16,
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
        self._max_days = max_days
        self._clock = clock
        self._lock = asyncio.Lock()
        self._key: Hashable = None
        self._built_at = 0.0
        self._history: nx.MultiDiGraph | None = None
        self._days: OrderedDict[dt.date, nx.MultiDiGraph] = OrderedDict()

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
            if not self._fresh():  # another request may have rebuilt it meanwhile
                key = self._version() if self._version is not None else None
                self._history = nx.freeze(await project(self.store))
                self._days.clear()
                self._key, self._built_at = key, self._clock()
                self.stats.builds += 1
            else:
                self.stats.hits += 1
        assert self._history is not None
        return self._history

    async def graph(self, as_of: dt.date) -> nx.MultiDiGraph:
        """The projection as of ``as_of`` (links valid that day), for the tie analyses."""
        history = await self.history()
        view = self._days.get(as_of)
        if view is None:
            view = at(history, as_of)
            if view is not history:
                view = nx.freeze(view)
            self._days[as_of] = view
            while len(self._days) > self._max_days:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(as_of)
        return view

    def invalidate(self) -> None:
        """Forget everything: the next call reads the store again."""
        self._history = None
        self._days.clear()
