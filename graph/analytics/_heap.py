"""How the analytics' long-lived data meets Python's cyclic garbage collector. Internal to
:mod:`govgraph.graph.analytics`.

Why. A projection at 3,000 compounds is ~700,000 nodes and ~1,000,000 links of dicts, and its
index as many tuples again. The collector finds nothing to free in them (they hold no reference
cycles), yet every full collection walks all of them, and building them sets off full
collections as the heap grows, a large share of each cold step. Two remedies, each measured by
``bench/analytics_bench.py`` (figures in ``bench/README.md``):

* :func:`collector_paused` around a build that allocates many long-lived objects and no cycles;
* :func:`settle` once a version is built: ``gc.freeze()`` moves every object the collector
  tracks into its permanent generation, which later collections skip.

Frozen objects are still freed by reference counting, so a dropped version goes as soon as its
last reference does, provided it holds no reference cycle: :func:`uncycle` removes the one kind
NetworkX makes (the views it caches on a graph point back at the graph). Whatever frozen cycles
are left (garbage from other code frozen along, or a view a late reader cached again) are
released by :func:`release` (``gc.unfreeze()`` and a full collection), which the cache runs
before each rebuild, and which :func:`settle` runs itself every :data:`COLLECT_EVERY` freezes,
so frozen garbage stays bounded however long the process runs.

Freezing is a choice for the whole process: it is off until an
:class:`~govgraph.graph.analytics.cache.AnalyticsCache` is made with ``freeze=True`` (see
:func:`enable`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import networkx as nx

P = ParamSpec("P")
R = TypeVar("R")

#: freezes between two full collections (see :func:`settle`)
COLLECT_EVERY = 8

#: attributes of a NetworkX graph that are its data, not views cached on it
_DATA = frozenset(("graph", "_node", "_adj", "_succ", "_pred", "__networkx_cache__"))


class _State:
    lock = threading.Lock()
    enabled = False
    #: freezes since the last full collection
    freezes = 0
    #: running :func:`collector_paused` blocks, and whether the collector ran before the first
    depth = 0
    was_enabled = False


def enable() -> None:
    """Let :func:`settle` freeze from now on (process-wide, never switched off again)."""
    _State.enabled = True


def enabled() -> bool:
    return _State.enabled


def settle() -> None:
    """Once a long-lived version is built: freeze every tracked object (when enabled), so later
    collections skip it. Every :data:`COLLECT_EVERY` calls, unfreeze and collect first."""
    if not _State.enabled:
        return
    with _State.lock:
        _State.freezes += 1
        if _State.freezes > COLLECT_EVERY:
            _collect()
        gc.freeze()


def keep() -> None:
    """After a whole-graph result meant to live as long as its version is made (every rule's
    findings: ~1 million objects at the province): freeze every tracked object (when
    enabled), as :func:`settle` does but without counting toward its full collections.

    Why. Made inside a :func:`collector_paused` block, such a result is not scanned while it
    is made, but it would be as soon as the block ends: once as young objects, once more as
    middle-aged ones, then with every unfrozen object in a full collection, none of which
    frees anything. Frozen, it is never scanned, and still freed by
    reference counting when dropped."""
    if not _State.enabled:
        return
    with _State.lock:
        gc.freeze()


def release() -> None:
    """Unfreeze everything and run a full collection (when enabled): frees what was frozen and
    has become cyclic garbage since. The cache calls it before a rebuild, once the old
    version is dropped."""
    if not _State.enabled:
        return
    with _State.lock:
        _collect()


def _collect() -> None:
    gc.unfreeze()
    gc.collect()  # runs even while a paused block has the collector disabled
    _State.freezes = 0


def uncycle(graph: nx.Graph) -> None:
    """Drop the views NetworkX cached on ``graph`` (``graph.edges``, ``graph.degree``, ...):
    they point back at the graph, a reference cycle that only the collector could free, and a
    frozen one never. Harmless for a reader still holding the graph: the next access makes the
    view again."""
    for name in [n for n in vars(graph) if n not in _DATA]:
        if type(vars(graph)[name]).__module__.startswith("networkx."):
            vars(graph).pop(name, None)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block with Python's cyclic garbage collector paused.

    Why. Building an index allocates one tuple per link end and no reference cycles, and all
    of them live on; with the collector running, the young objects are scanned over and over
    and the growth sets off full scans of the long-lived heap (the store, the projection), all
    for nothing to free. Evaluating the rules runs paused too (its findings pile up and set off
    full scans). Garbage is still freed by reference counting meanwhile; the collector runs
    again when the last paused block ends. Blocks may nest and run in several threads together.
    """
    with _State.lock:
        if _State.depth == 0:
            _State.was_enabled = gc.isenabled()
            gc.disable()
        _State.depth += 1
    try:
        yield
    finally:
        with _State.lock:
            _State.depth -= 1
            if _State.depth == 0 and _State.was_enabled:
                gc.enable()


def paused(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run with the collector paused (:func:`collector_paused`): for an analysis that
    builds many result objects and no reference cycles (the tie analyses spent ~40% of their
    time in the collector at 10,000 compounds)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return fn(*args, **kwargs)

    return run
