"""A new version of a frozen projection with a few changes, sharing everything else with the old
one. Internal to :mod:`govgraph.graph.analytics`.

Why. After a write the analytics need the projection with that write applied, while requests
still reading the old version (in worker threads, with their results kept per version) must see
it unchanged. Copying the graph costs the whole city, and so does copying only the top-level
dicts of a NetworkX graph (node → attributes, node → successors, node → predecessors: each as
large as the graph, and as costly again to free). A new version is a :class:`Version`: those
three dicts as layers (:class:`~._layers.Layered`) holding only the nodes a change touches over
the old version's, and below them only the adjacency of those nodes is copied. Attribute dicts
are shared, never modified: a changed node or link gets a new one. The first whole-graph read
flattens a version into a plain :class:`networkx.MultiDiGraph`.

This module reaches into the adjacency dicts of NetworkX graphs (``_node``, ``_succ``,
``_pred``), which NetworkX documents as its data structure.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx

from ..errors import Problem
from ..model import check_link, check_node, parse_link_id, valid_on
from ..port import WriteBatch
from ._layers import Layered, Memo, Table, flat
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS

_NODE_KINDS = frozenset(ANALYTIC_NODE_KINDS)
_LINK_KINDS = frozenset(ANALYTIC_LINK_KINDS)

Attrs = dict[str, Any]
#: a node's neighbours: other node → link key → link attributes
Adjacency = dict[str, dict[str, Attrs]]
T = TypeVar("T")


@dataclass(slots=True)
class Changes:
    """One write as the projection sees it: kinds the analytics do not read left out, values
    coerced as the stores coerce them. Applied in this order: node upserts, link upserts, link
    deletes, node deletes (what the stores do)."""

    nodes: list[tuple[str, Attrs]] = field(default_factory=list)
    links: list[tuple[str, str, str, Attrs]] = field(default_factory=list)
    delete_links: list[tuple[str, str, str]] = field(default_factory=list)
    delete_nodes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, batch: WriteBatch) -> Changes:
        """The changes of one batch (batches are not merged: a later batch's upsert must not
        overtake an earlier batch's delete)."""
        out = cls()
        problems: list[Problem] = []
        for n in batch.nodes:
            clean = check_node(n, problems)  # the store checked it; this coerces raw values
            if clean is not None and clean.kind in _NODE_KINDS:
                out.nodes.append((clean.id, {"kind": clean.kind, **clean.props}))
        for lk in batch.links:
            c = check_link(lk, problems)
            if c is not None and c.kind in _LINK_KINDS:
                out.links.append((c.source, c.target, c.id, {"kind": c.kind, **c.props}))
        for lid in batch.delete_links:
            source, _, target, _ = parse_link_id(lid)
            out.delete_links.append((source, target, lid))
        out.delete_nodes.extend(batch.delete_nodes)
        return out


#: the tables of a :class:`Version`, each with the attributes NetworkX reads it by
_TABLES = (("_node",), ("_succ", "_adj"), ("_pred",))


class _Flat:
    """A data dict of a :class:`Version` (``_node``, ``_succ``, ...), made on first read."""

    def __init__(self, table: int) -> None:
        self.table = table

    def __get__(self, obj: Version | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._flatten(self.table)


class Version(nx.MultiDiGraph):  # type: ignore[misc]  # networkx is untyped
    """A frozen projection version kept as its changes over an older version's dicts
    (:class:`~._layers.Layered`) until something reads them.

    Why. A write makes a new version of the history graph and of each day view, and the
    analyses after a write read only the nodes near it (through :class:`~._facts.Facts`, which
    reads the layers with :func:`tables`). NetworkX, and any whole-graph pass, reads the
    graph's dicts directly: the first read of one flattens its layers into a plain dict, once
    per version (``graph.nodes`` needs only the nodes'), and
    once all three are flat the graph becomes a plain :class:`networkx.MultiDiGraph` (its class
    too). Constructing the class as NetworkX does to make an empty graph of the same kind
    (``G.__class__()``) makes a plain one."""

    _node = _Flat(0)
    _adj = _Flat(1)
    _succ = _Flat(1)
    _pred = _Flat(2)

    def __new__(cls, *args: Any, **kwargs: Any) -> nx.MultiDiGraph:
        return nx.MultiDiGraph(*args, **kwargs)

    @classmethod
    def of(
        cls,
        attrs: Attrs,
        node: Table[str, Attrs],
        succ: Table[str, Adjacency],
        pred: Table[str, Adjacency],
    ) -> nx.MultiDiGraph:
        """A frozen version with these tables (not copied: they must never change)."""
        g = object.__new__(cls)
        g.__dict__.update(graph=dict(attrs), __networkx_cache__={}, _layers=(node, succ, pred))
        return nx.freeze(g)

    def _flatten(self, table: int) -> Any:
        names = _TABLES[table]
        with _FLATTENING:
            data: dict[str, Any] = self.__dict__
            if names[0] not in data:
                layer = data["_layers"][table]
                same = flat(layer)
                for name in names:
                    data[name] = same
                # the older version's base goes, unless something else holds it: the layer
                # (which an index may still hold) now reads the flat dict
                if isinstance(layer, Layered):
                    layer.rebase(same)
                if all(t[0] in data for t in _TABLES):
                    del data["_layers"]
                    self.__class__ = nx.MultiDiGraph
            return data[names[0]]


_FLATTENING = threading.Lock()


def node_table(graph: nx.MultiDiGraph) -> Table[str, Attrs]:
    """The node attributes of ``graph`` by id, read without flattening a :class:`Version`
    (``graph.nodes`` copies its node layers into a dict, once per version)."""
    return tables(graph)[0]


def tables(
    graph: nx.MultiDiGraph,
) -> tuple[Table[str, Attrs], Table[str, Adjacency], Table[str, Adjacency]]:
    """The node, successor and predecessor tables of ``graph``: for a :class:`Version` not yet
    flattened its layers (read node by node without flattening it), else its dicts."""
    layers: tuple[Any, Any, Any] | None = vars(graph).get("_layers")
    if layers is not None:
        return layers
    return graph._node, graph._succ, graph._pred  # flattened meanwhile, or a plain graph


def rebuild(graph: nx.MultiDiGraph) -> Callable[[], nx.MultiDiGraph]:
    """A function making a frozen graph with the data of ``graph``, holding the data but not
    ``graph`` itself (for an index that must not keep its graph alive)."""
    attrs = graph.graph
    node, succ, pred = tables(graph)

    def again() -> nx.MultiDiGraph:
        if isinstance(node, Layered) or isinstance(succ, Layered) or isinstance(pred, Layered):
            return Version.of(attrs, node, succ, pred)
        g = nx.MultiDiGraph()
        g.graph, g._node, g._succ, g._pred = attrs, node, succ, pred
        g._adj = g._succ
        return nx.freeze(g)

    return again


def _copy(table: Table[str, T]) -> dict[str, T]:
    return table.flat() if isinstance(table, Layered) else dict(table)


class Derived:
    """A copy-on-write successor of ``base``: :meth:`build` makes it, equal to ``base`` with
    the changes applied, without touching ``base``. :attr:`touched` collects every node whose
    own links, attributes or existence changed (a deleted node's neighbours included).

    Its top-level tables are layers over ``base``'s (a :class:`Version`), or with ``flat=True``
    C-level copies of them (a plain graph): cheaper when the changes touch much of the graph,
    as cutting the history to a day does (:func:`~.projection.at`)."""

    def __init__(self, base: nx.MultiDiGraph, *, flat: bool = False) -> None:
        node, succ, pred = tables(base)
        self._attrs = base.graph
        self._flat = flat
        self._node: Memo[str, Attrs] = _copy(node) if flat else Layered.over(node)
        self._succ_of: Memo[str, Adjacency] = _copy(succ) if flat else Layered.over(succ)
        self._pred_of: Memo[str, Adjacency] = _copy(pred) if flat else Layered.over(pred)
        self.touched: set[str] = set()
        self._own_succ: set[str] = set()
        self._own_pred: set[str] = set()
        self._own_pair: set[tuple[str, str]] = set()

    def build(self) -> nx.MultiDiGraph:
        """The new version (frozen)."""
        if not self._flat:
            return Version.of(self._attrs, self._node, self._succ_of, self._pred_of)
        g = nx.MultiDiGraph()
        g.graph.update(self._attrs)
        g._node, g._succ, g._pred = self._node, self._succ_of, self._pred_of
        g._adj = g._succ
        return nx.freeze(g)

    # -- owning the dicts about to change ---------------------------------------------------------
    def _succ(self, u: str) -> Adjacency:
        if u not in self._own_succ:
            self._succ_of[u] = dict(self._succ_of[u])
            self._own_succ.add(u)
        out: Adjacency = self._succ_of[u]
        return out

    def _pred(self, v: str) -> Adjacency:
        if v not in self._own_pred:
            self._pred_of[v] = dict(self._pred_of[v])
            self._own_pred.add(v)
        out: Adjacency = self._pred_of[v]
        return out

    def _keys(self, u: str, v: str, create: bool) -> dict[str, Attrs] | None:
        """The key → attributes dict of the links u → v, owned (shared by both sides)."""
        succ, pred = self._succ(u), self._pred(v)
        keys = succ.get(v)
        if keys is None:
            if not create:
                return None
            keys = succ[v] = pred[u] = {}
            self._own_pair.add((u, v))
        elif (u, v) not in self._own_pair:
            keys = succ[v] = pred[u] = dict(keys)
            self._own_pair.add((u, v))
        return keys

    # -- changes ----------------------------------------------------------------------------------
    def set_node(self, n: str, attrs: Attrs) -> None:
        if n not in self._node:
            self._succ_of[n], self._pred_of[n] = {}, {}
            self._own_succ.add(n)
            self._own_pred.add(n)
        self._node[n] = attrs
        self.touched.add(n)

    def remove_node(self, n: str) -> None:
        if n not in self._node:
            return
        for v in list(self._succ_of[n]):
            del self._pred(v)[n]
            self.touched.add(v)
        for u in list(self._pred_of[n]):
            del self._succ(u)[n]
            self.touched.add(u)
        for table in (self._succ_of, self._pred_of, self._node):
            table.pop(n, None)
        self._own_succ.discard(n)
        self._own_pred.discard(n)
        self.touched.add(n)

    def has_edge(self, u: str, v: str, key: str) -> bool:
        return key in self._succ_of.get(u, {}).get(v, {})

    def add_edge(self, u: str, v: str, key: str, attrs: Attrs) -> None:
        keys = self._keys(u, v, create=True)
        assert keys is not None
        keys[key] = attrs
        self.touched.update((u, v))

    def remove_edge(self, u: str, v: str, key: str) -> None:
        if not self.has_edge(u, v, key):
            return
        keys = self._keys(u, v, create=False)
        assert keys is not None
        del keys[key]
        if not keys:
            del self._succ(u)[v], self._pred(v)[u]
            self._own_pair.discard((u, v))
        self.touched.update((u, v))

    def apply(self, changes: Changes, as_of: dt.date | None = None) -> None:
        """Apply ``changes`` as the stores do; with ``as_of``, a link not valid that day is
        removed instead of written (this graph is a day view, :func:`~.projection.at`)."""
        for n, attrs in changes.nodes:
            self.set_node(n, dict(attrs))
        for u, v, key, attrs in changes.links:
            if u not in self._node or v not in self._node:
                continue
            if as_of is None or valid_on(attrs.get("since"), attrs.get("until"), as_of):
                self.add_edge(u, v, key, dict(attrs))
            else:
                self.remove_edge(u, v, key)
        for u, v, key in changes.delete_links:
            self.remove_edge(u, v, key)
        for n in changes.delete_nodes:
            self.remove_node(n)


def derive(
    base: nx.MultiDiGraph, changes: Changes, as_of: dt.date | None = None
) -> tuple[nx.MultiDiGraph, set[str]]:
    """``base`` with ``changes`` applied (a new, frozen graph) and the nodes touched.

    Examples
    --------
    >>> from govgraph.graph.model import link, node
    >>> old = nx.freeze(nx.MultiDiGraph([("p1", "b1", "p1|MEMBER_OF|b1", {"kind": "MEMBER_OF"})]))
    >>> batch = WriteBatch(
    ...     nodes=[node("Person", "p2")], links=[link("MEMBER_OF", "p2", "b1", status="full")]
    ... )
    >>> new, touched = derive(old, Changes.of(batch))
    >>> sorted(new.predecessors("b1")), sorted(old.predecessors("b1")), sorted(touched)
    (['p1', 'p2'], ['p1'], ['b1', 'p2'])
    """
    d = Derived(base)
    d.apply(changes, as_of)
    return d.build(), d.touched
