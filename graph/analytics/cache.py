"""Keep the analytics index between requests, until the store changes.

Reading the store reads the whole graph (for Neo4j, a transfer of every node and link), so a
service must not do it per request. :class:`AnalyticsCache` holds the columnar index of the
store's current version, with the whole history (a day is a view of it), and patches it for
the writes this process makes through the store (:func:`~.columns_patch.patched`) rather than
read the store again. An index never changes once built: callers share it; one lock
serializes rebuilds, so requests that miss together build once.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ..port import GraphStore, WriteBatch
from .columns import Columns, build_scanned, index_spec
from .columns_patch import Changes, patched


@dataclass(slots=True)
class CacheStats:
    """How often the cache answered from memory and how often it read the store."""

    hits: int = 0
    builds: int = 0
    #: how often this process's own writes were applied to the held index instead
    patches: int = 0


class AnalyticsCache:
    """The columnar index of ``store``, read again only when the store changed.

    Parameters
    ----------
    store
        The store to index.
    version
        A callable returning anything that changes when the data does; by default the store's
        ``version`` attribute, which every write bumps (the embedded store).
    ttl
        Seconds an index stays valid (a store written by other processes, such as a shared
        Neo4j); with a version too, either one expiring reads it again.
    max_patch
        Records written since the last build beyond which the store is read again rather than
        the index patched (a bulk import).
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
    ...     first = await cache.index()
    ...     again = await cache.index()
    ...     await store.upsert([node("Compound", "c1")])
    ...     after = await cache.index()
    ...     return first is again, after.size
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
                "returning the store's version) or ttl= (seconds an index stays valid)"
            )
        self.store = store
        self.stats = CacheStats()
        self._version = version
        self._ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._key: Hashable = None
        self._built_at = 0.0
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
        """Call ``listener()`` each time the cache comes to hold a new version of the index,
        before any caller gets it: a host may act on a long-lived version (freeze it out of
        the garbage collector's scans, which is process-wide, never the library's to do)."""
        self._listeners.append(listener)

    def _expired(self) -> bool:
        return self._ttl is not None and self._clock() - self._built_at >= self._ttl

    def _fresh(self) -> bool:
        if self._index is None or self._expired():
            return False
        return self._version is None or self._version() == self._key

    async def index(self) -> Columns:
        """The columnar index of the store's current version: patched for this process's own
        writes when it can be, else read from the store in columns."""
        if self._fresh() and self._index is not None:
            self.stats.hits += 1
            return self._index
        async with self._lock:
            if self._fresh():  # another request brought it up to date meanwhile
                self.stats.hits += 1
            elif (index := self._patched()) is not None:
                self._index, self._key = index
                self.stats.patches += 1
                self._held()
            else:
                self._pending, self._pending_records = [], 0
                key = self._version() if self._version is not None else None
                self._index = None  # let the old version go before the new one is read
                self._index = build_scanned(await self.store.scan(index_spec()))
                self._key, self._built_at = key, self._clock()
                self.stats.builds += 1
                self._held()
            assert self._index is not None
            return self._index

    def _held(self) -> None:
        for listener in self._listeners:
            listener()

    def invalidate(self) -> None:
        """Forget the index: the next call reads the store again."""
        self._index = None

    # -- keeping up with this process's own writes ------------------------------------------------
    def _on_write(self, batch: WriteBatch, version: Hashable) -> None:
        if self._pending is None:
            return
        self._pending_records += len(batch)
        if self._pending_records > self._max_patch:
            self._pending = None  # a bulk import: reading the store again is cheaper
        else:
            self._pending.append((version, batch))

    def _patched(self) -> tuple[Columns, Hashable] | None:
        """The held index with the writes made since applied, when every version since came
        through :meth:`_on_write` and the ttl has not run out; else None (also when a node
        changed kind: the patch leaves that to a rebuild)."""
        if self._pending is None or not self._patchable or self._index is None or self._expired():
            return None
        current = self._version() if self._version is not None else None
        if not isinstance(self._key, int) or not isinstance(current, int):
            return None
        if not set(range(self._key + 1, current + 1)) <= {v for v, _ in self._pending}:
            return None  # a write we did not see (clear(), or another code path)
        # replaying writes the index may already hold is harmless: upserts replace and deletes
        # are idempotent, so the suffix in order always ends at the current state
        changes = [Changes.of(b) for v, b in self._pending if isinstance(v, int) and v > self._key]
        self._pending, self._pending_records = [], 0
        index: Columns | None = self._index
        for c in changes:
            index = patched(index, c) if index is not None else None
        return None if index is None else (index, current)
