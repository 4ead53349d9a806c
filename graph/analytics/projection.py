"""A NetworkX projection of the store and its view on one day, for callers that want NetworkX
(the service reads the columnar index); every analysis accepts one (:func:`indexed_day`).
"""

from __future__ import annotations

import datetime as dt

import networkx as nx

from ..model import valid_on
from ..port import GraphStore
from .columns import DayView, Indexed, columns_for, day_number
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS


async def project(store: GraphStore, as_of: dt.date | None = None) -> nx.MultiDiGraph:
    """The node and link kinds the analytics read, the links valid on ``as_of`` (None: the
    whole history, which P7 needs and :func:`at` cuts to any day).

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
    return g


def at(graph: nx.MultiDiGraph, as_of: dt.date | None) -> nx.MultiDiGraph:
    """The graph with only the links valid on ``as_of`` (both ends inclusive): ``graph`` itself
    when every link is, a view for a frozen graph (nothing copied), else a copy.

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
    """The view of ``graph``'s index on ``as_of`` (None: its whole history); a day's view is
    its own (it holds no other day).

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
