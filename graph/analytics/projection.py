"""The projection the analytics read, and its view on one day.

:func:`project` asks the store for the node and link kinds the analytics use (disputes,
volunteer activities and meeting attendance are left out: nothing here reads them).
:func:`at` keeps the links valid on a day, so one projection holding the whole history serves
every evaluation date. The service reads no projection (it reads the columnar index,
:class:`~govgraph.graph.analytics.cache.AnalyticsCache`): it is for callers that want NetworkX,
and every analysis accepts one (:func:`indexed_day` indexes it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx

from ..model import valid_on
from ..port import GraphStore
from .columns import DayView, Indexed, columns_for, day_number
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
    off the projection's memory for one pass over it (the demo's: 7.8 MiB to 6.5). The service
    holds no projection, but a researcher's analyses read one (a researcher may not read the
    store in columns) and hold it whole. Nothing here changes attribute dicts, so equal ones
    can be shared. Not done here, as it would cost more than it saves (rebuilding every
    adjacency dict): each link end's own copy of a node id string.

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

    Returns ``graph`` itself when every link is valid then (or ``as_of`` is None); otherwise,
    for a frozen ``graph`` a frozen view of it (``nx.subgraph_view``: nothing copied), for a
    mutable one a copy. Nodes are not dated and are all kept.

    Examples
    --------
    >>> g = tiny_city()
    >>> g.has_edge("p10", "pb1"), at(g, dt.date(2021, 5, 31)).has_edge("p10", "pb1")
    (True, False)
    >>> at(nx.freeze(g), dt.date(2021, 2, 1)).has_edge("p10", "pb1")
    True
    """
    if as_of is None:
        return graph
    stale = {
        (u, v, k)
        for u, v, k, d in graph.edges(keys=True, data=True)
        if not valid_on(d.get("since"), d.get("until"), as_of)
    }
    if not stale:
        return graph
    if nx.is_frozen(graph):
        return nx.subgraph_view(graph, filter_edge=lambda u, v, k: (u, v, k) not in stale)
    out = graph.copy()
    out.remove_edges_from(stale)
    return out


def indexed_day(graph: Indexed, as_of: dt.date | None = None) -> DayView:
    """The columnar index of ``graph`` on ``as_of`` (None: its whole history, or the day a
    day's view holds): for an index, its view of the day; a day's view is its own (it holds no
    other day); for a graph, the view of the day of its index (:func:`~.columns.columns_for`).

    Examples
    --------
    >>> from govgraph.graph.analytics.columns import day_number
    >>> history = nx.freeze(tiny_city())
    >>> day = indexed_day(history, AS_OF)
    >>> day.columns is columns_for(history), day.day == day_number(AS_OF)
    (True, True)
    >>> indexed_day(at(tiny_city(), AS_OF)).day is None  # a graph cut to a day: indexed as it is
    True
    """
    if isinstance(graph, DayView):
        if as_of is not None and graph.day != day_number(as_of):
            raise ValueError(f"a view of day {graph.day} has no links of {as_of}")
        return graph
    return columns_for(graph).day(as_of)
