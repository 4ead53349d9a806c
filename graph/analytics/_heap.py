"""How the analytics' long-lived data is let go. Internal to :mod:`govgraph.graph.analytics`.

A version of the projection (and the day views and indexes built on it) is dropped when the
store changes, while requests may still be reading it. It must then be freed by reference
counting alone, as soon as its last reader is done: :func:`uncycle` removes the one kind of
reference cycle NetworkX makes (the views it caches on a graph point back at the graph), which
only Python's cyclic garbage collector could free otherwise.

The library never touches the garbage collector itself (it neither pauses it, nor freezes
objects out of its scans, nor runs it): that is process-wide state, the host's to set. A host
that wants a policy (each built version frozen out of the collector's scans, a larger young
generation) sets it in its entry point, and
:meth:`~govgraph.graph.analytics.cache.AnalyticsCache.add_version_listener` tells it when the
cache holds a new version. The service's policy is ``api/gc_policy.py``.
"""

from __future__ import annotations

import networkx as nx

#: attributes of a NetworkX graph that are its data, not views cached on it
_DATA = frozenset(("graph", "_node", "_adj", "_succ", "_pred", "__networkx_cache__"))


def uncycle(graph: nx.Graph) -> None:
    """Drop the views NetworkX cached on ``graph`` (``graph.edges``, ``graph.degree``, ...):
    they point back at the graph, a reference cycle that only the collector could free.
    Harmless for a reader still holding the graph: the next access makes the view again."""
    for name in [n for n in vars(graph) if n not in _DATA]:
        if type(vars(graph)[name]).__module__.startswith("networkx."):
            vars(graph).pop(name, None)
