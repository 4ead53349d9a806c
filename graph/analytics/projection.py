"""The projection the analytics read, and its view on one day.

:func:`project` asks the store for the node and link kinds the analytics use (disputes,
volunteer activities and meeting attendance are left out: nothing here reads them).
:func:`at` keeps the links valid on a day, so one projection holding the whole history serves
every evaluation date (see :class:`~govgraph.graph.analytics.cache.AnalyticsCache`).
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

import networkx as nx

from ..model import valid_on
from ..port import GraphStore
from ._patch import Derived
from .columns import Columns, DayView, Indexed, columns_for, day_number
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS


async def project(store: GraphStore, as_of: dt.date | None = None) -> nx.MultiDiGraph:
    """The projection every analysis reads: the kinds it needs, links valid on ``as_of``.

    With ``as_of=None`` it holds the whole history (links that have ended too); the rules
    accept that (P7 needs it) and :func:`at` cuts it to any day.

    Examples
    --------
    >>> import asyncio
    >>> from govgraph.graph.embedded import EmbeddedStore
    >>> from govgraph.graph.analytics.examples import tiny_city_records
    >>> store = EmbeddedStore()
    >>> _ = asyncio.run(store.upsert(*tiny_city_records()))
    >>> g = asyncio.run(project(store, dt.date(2021, 5, 31)))
    >>> g.has_edge("p10", "pb1")  # p10 left the branch in February
    False
    """
    g: nx.MultiDiGraph = await store.projection(
        node_kinds=ANALYTIC_NODE_KINDS, link_kinds=ANALYTIC_LINK_KINDS, as_of=as_of
    )
    return slim(g)


def slim(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``graph`` itself, holding the same data in less memory: one dict for links with equal
    attributes (most links hold only their kind, their ``source`` and a day), and one object
    per equal text or date value in the attributes of nodes and links.

    Why. A store builds the projection record by record, so every link's attribute dict, and
    every ``source`` text and date, is its own object, though only a small fraction of the
    link attribute dicts are distinct: sharing them (and equal node values) takes a good part
    off the projection's memory for one pass over it. Nothing changes attribute dicts (a new
    version of the projection makes new dicts for what a write changed, see :mod:`~._patch`),
    so equal ones can be shared. Not done here, as it would cost more than it saves
    (rebuilding every adjacency dict): each link end's own copy of a node id string; a store
    could give the node's own id when building. Figures: ``bench/README.md``.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", kind="Person")
    >>> g.add_node("b", kind="PartyBranch")
    >>> for n in range(2):
    ...     _ = g.add_edge("a", "b", key=f"k{n}", kind="MEMBER_OF", source="x" * 30)
    >>> s = slim(g)
    >>> d = s["a"]["b"]
    >>> d["k0"] is d["k1"], d["k0"] == {"kind": "MEMBER_OF", "source": "x" * 30}
    (True, True)
    """
    values: dict[tuple[type, Any], Any] = {}

    def same(attrs: dict[str, Any]) -> None:
        # by type and value: 1 == 1.0 == True and a date equals no datetime, but keep each
        for k, v in attrs.items():
            if type(v) in _INTERNED:
                attrs[k] = values.setdefault((type(v), v), v)

    for attrs in graph._node.values():
        same(attrs)
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}
    for nbrs in graph._succ.values():
        for keys in nbrs.values():
            for key, attrs in keys.items():
                # equal items in the same order, of the same types
                sig = (*attrs.items(), *map(type, attrs.values()))
                try:
                    found = shared.get(sig)
                except TypeError:  # a list value: keep the dict as it is
                    continue
                if found is None:
                    same(attrs)
                    shared[sig] = attrs
                elif found is not attrs:
                    keys[key] = found
    return graph


#: value types kept once per equal value by :func:`slim`
_INTERNED = frozenset((str, dt.date))


def at(graph: nx.MultiDiGraph, as_of: dt.date | None) -> nx.MultiDiGraph:
    """The graph with only the links valid on ``as_of`` (``since`` and ``until`` inclusive).

    Returns ``graph`` itself when every link is valid then (or ``as_of`` is None); otherwise a
    new graph: for a frozen ``graph`` a frozen view, kept per day and sharing its attribute
    dicts; for a mutable one a copy sharing nothing mutable with it. Nodes are not dated and
    are all kept.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import tiny_city
    >>> g = tiny_city()
    >>> g.has_edge("p10", "pb1"), at(g, dt.date(2021, 5, 31)).has_edge("p10", "pb1")
    (True, False)
    >>> at(g, dt.date(2021, 2, 1)).has_edge("p10", "pb1")
    True
    """
    if as_of is None:
        return graph
    if nx.is_frozen(graph):  # shared views of a frozen graph: one per day, made once
        views = _VIEWS.setdefault(graph, {})
        if as_of in views:
            kept = views[as_of]
            return graph if kept is None else kept
        view = _at(graph, as_of)
        # a value holding its own weak key would never go: "the same graph" is kept as None
        views[as_of] = None if view is graph else nx.freeze(view)
        _remember_origin(graph, as_of, view)
        while len(views) > _MAX_VIEWS:  # the oldest asked day goes first
            del views[next(iter(views))]
        return view
    return _at(graph, as_of)


#: the day views of each frozen projection (see :func:`at`)
_VIEWS: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[dt.date, nx.MultiDiGraph | None]] = (
    weakref.WeakKeyDictionary()
)
_MAX_VIEWS = 16


def day_views(graph: nx.MultiDiGraph) -> dict[dt.date, nx.MultiDiGraph]:
    """The day views :func:`at` keeps for a frozen ``graph`` (oldest asked first)."""
    return {day: graph if v is None else v for day, v in _VIEWS.get(graph, {}).items()}


def keep_day_view(graph: nx.MultiDiGraph, as_of: dt.date, view: nx.MultiDiGraph) -> None:
    """Make ``view`` (frozen) what :func:`at` answers for the frozen ``graph`` on ``as_of``:
    the cache hands over the day views it patched along with a write."""
    _VIEWS.setdefault(graph, {})[as_of] = None if view is graph else view
    _remember_origin(graph, as_of, view)


#: each day view made of a frozen projection: the projection (held weakly) and the day, so the
#: analytics read the projection's columnar index on that day rather than index the view again
_ORIGIN: weakref.WeakKeyDictionary[
    nx.MultiDiGraph, tuple[weakref.ref[nx.MultiDiGraph], dt.date]
] = weakref.WeakKeyDictionary()


def _remember_origin(graph: nx.MultiDiGraph, as_of: dt.date, view: nx.MultiDiGraph) -> None:
    if view is not graph:
        _ORIGIN[view] = (weakref.ref(graph), as_of)


def indexed_day(graph: Indexed, as_of: dt.date | None = None) -> DayView:
    """The columnar index of ``graph`` on ``as_of`` (None: the day ``graph`` was cut to, or
    its whole history): for a view :func:`at` made of a frozen projection, asked on its own
    day, that projection's index (built once for every day asked); for an index, its view of
    the day; a day's view is its own (it holds no other day); otherwise the index of
    ``graph`` itself.

    Examples
    --------
    >>> from govgraph.graph.analytics.columns import day_number
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> history = nx.freeze(tiny_city())
    >>> day = indexed_day(at(history, AS_OF))
    >>> day.columns is columns_for(history), day.day == day_number(AS_OF)
    (True, True)
    >>> indexed_day(at(tiny_city(), AS_OF)).day is None  # a mutable graph: indexed as it is
    True
    """
    if isinstance(graph, DayView):
        if as_of is not None and graph.day != day_number(as_of):
            raise ValueError(f"a view of day {graph.day} has no links of {as_of}")
        return graph
    if isinstance(graph, Columns):
        return graph.day(as_of)
    origin = _ORIGIN.get(graph)
    history = origin[0]() if origin is not None else None
    if origin is None or history is None or as_of not in (None, origin[1]):
        return columns_for(graph).day(as_of)
    return columns_for(history).day(origin[1])


def _at(graph: nx.MultiDiGraph, as_of: dt.date) -> nx.MultiDiGraph:
    stale = [
        (u, v, k)
        # the graph's own dict, not its view (each step through a view is a Python call)
        for u, nbrs in graph._succ.items()
        for v, keys in nbrs.items()
        for k, d in keys.items()
        if not valid_on(d.get("since"), d.get("until"), as_of)
    ]
    if not stale:
        return graph
    if nx.is_frozen(graph):
        # nothing in a frozen graph changes: the view shares its attribute dicts and the
        # adjacency of every node no stale link touches
        d = Derived(graph, flat=True)  # stale links touch a good share of the nodes
        for u, v, k in stale:
            d.remove_edge(u, v, k)
        return d.build()
    out = graph.copy()
    out.remove_edges_from(stale)
    return out
