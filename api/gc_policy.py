"""The service's garbage-collector policy, set by its entry point (the app's lifespan).

Why. The store's data and the analytics index with what is kept on it are millions of
long-lived objects with next to no reference cycles. Python's cyclic garbage collector finds
nothing to free in them, yet every full collection walks all of them, stalling whatever runs
meanwhile: ~150,000 objects after start-up took 115-150 ms a collection (the p95 under load).
Freezing (``gc.freeze()``) moves every object alive into a permanent generation that
collections skip; frozen objects are still freed by reference counting when dropped.

The collector is process-wide state, so the library (``graph/``) never touches it; it only
tells its host when the analytics cache holds a new version
(:meth:`~govgraph.graph.analytics.AnalyticsCache.add_version_listener`). This module is the
host's side; each part of the policy is a setting, and each can be switched off
(``docs/architecture.md``):

* ``GOVGRAPH_GC_FREEZE_AT_START`` (on): once the app is up, one full collection, then freeze
  what is left (once per process);
* ``GOVGRAPH_ANALYTICS_GC_FREEZE`` (on): freeze each time the analytics cache holds a new
  version (built, or patched with this process's writes). What was frozen and has since
  become cyclic garbage is only freed by a full collection of everything unfrozen again:
  every :data:`COLLECT_EVERY` versions, so it stays bounded however long the process runs;
* ``GOVGRAPH_GC_YOUNG_THRESHOLD`` (50,000): allocations between two collections of the
  youngest generation (Python's own: 700; 0: left as Python has it). A larger one lets a build's
  and an analysis's short-lived objects die before they are scanned and promoted, so fewer
  full collections follow. It goes with the freezing: what a version's first analyses build
  (its indexes, the whole graph's findings) stays unfrozen until the next version, and with
  Python's 700, objects an analysis keeps for a while (betweenness: lists per node, per
  source) are promoted fast enough to set off a full collection that rescans them every few
  sources (``bench/analytics_bench.py --freeze``, brokers at 2,000 compounds: 26-30 s of CPU
  without it, 4.8-5.3 s with it; 14-18 s with neither, 2.7-3.9 s when the library still
  paused the collector).
"""

from __future__ import annotations

import functools
import gc

from ..graph.analytics import AnalyticsCache
from .settings import Settings

#: versions frozen between two full collections (see :meth:`GcPolicy.version_held`)
COLLECT_EVERY = 8


@functools.cache  # once per process
def freeze_startup_heap() -> None:
    """One full collection, then move everything alive out of the collector's scans."""
    gc.collect()
    gc.freeze()


class GcPolicy:
    """What the service does with the garbage collector; off entirely with both switches off.

    Examples
    --------
    >>> GcPolicy(freeze_at_start=False, freeze_versions=False).applies
    False
    """

    def __init__(
        self, *, freeze_at_start: bool, freeze_versions: bool, young: int | None = None
    ) -> None:
        self.freeze_at_start = freeze_at_start
        self.freeze_versions = freeze_versions
        self.young = young
        #: versions frozen since the last full collection
        self._frozen = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> GcPolicy:
        return cls(
            freeze_at_start=settings.gc_freeze_at_start,
            freeze_versions=settings.analytics_gc_freeze,
            young=settings.gc_young_threshold or None,
        )

    @property
    def applies(self) -> bool:
        return self.freeze_at_start or self.freeze_versions or self.young is not None

    def started(self) -> None:
        """The app is up (its store open, its schema built)."""
        if self.young is not None:
            gc.set_threshold(self.young, *gc.get_threshold()[1:])
        if self.freeze_at_start:
            freeze_startup_heap()

    def watch(self, cache: AnalyticsCache) -> None:
        """Act on each version ``cache`` comes to hold."""
        if self.freeze_versions:
            cache.add_version_listener(self.version_held)

    def version_held(self) -> None:
        """A new analytics version is held: freeze it (with whatever else is alive: the
        previous version's indexes and kept answers, if still referenced, and the rest).
        Every :data:`COLLECT_EVERY` calls, unfreeze and collect everything first."""
        self._frozen += 1
        if self._frozen > COLLECT_EVERY:
            gc.unfreeze()
            gc.collect()
            self._frozen = 1
        gc.freeze()
