"""A new version of a frozen projection with a few changes, sharing everything else with the old
one. Internal to :mod:`govgraph.graph.analytics`.

Why. After a write the analytics need the projection with that write applied, while requests
still reading the old version (in worker threads, with their results kept per version) must see
it unchanged. Copying the graph costs the whole city; this copies the three top-level dicts of a
NetworkX graph (node → attributes, node → successors, node → predecessors: one C-level copy
each) and, below them, only the adjacency of the nodes a change touches. Attribute dicts are
shared, never modified: a changed node or link gets a new one.

The graphs built here are plain :class:`networkx.MultiDiGraph` objects; this module reaches into
their adjacency dicts (``_node``, ``_succ``, ``_pred``), which NetworkX documents as its data
structure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..errors import Problem
from ..model import check_link, check_node, parse_link_id, valid_on
from ..port import WriteBatch
from .projection import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS

_NODE_KINDS = frozenset(ANALYTIC_NODE_KINDS)
_LINK_KINDS = frozenset(ANALYTIC_LINK_KINDS)

Attrs = dict[str, Any]


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


class Derived:
    """A copy-on-write successor of ``base``: :attr:`graph` starts equal to it and takes
    changes without touching ``base``. :attr:`touched` collects every node whose own links,
    attributes or existence changed (a deleted node's neighbours included)."""

    def __init__(self, base: nx.MultiDiGraph) -> None:
        g = base.__class__()
        g.graph.update(base.graph)
        g._node = dict(base._node)
        g._succ = g._adj = dict(base._succ)
        g._pred = dict(base._pred)
        self.graph = g
        self.touched: set[str] = set()
        self._own_succ: set[str] = set()
        self._own_pred: set[str] = set()
        self._own_pair: set[tuple[str, str]] = set()

    # -- owning the dicts about to change ---------------------------------------------------------
    def _succ(self, u: str) -> dict[str, dict[str, Attrs]]:
        g = self.graph
        if u not in self._own_succ:
            g._succ[u] = dict(g._succ[u])
            self._own_succ.add(u)
        out: dict[str, dict[str, Attrs]] = g._succ[u]
        return out

    def _pred(self, v: str) -> dict[str, dict[str, Attrs]]:
        g = self.graph
        if v not in self._own_pred:
            g._pred[v] = dict(g._pred[v])
            self._own_pred.add(v)
        out: dict[str, dict[str, Attrs]] = g._pred[v]
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
        g = self.graph
        if n not in g._node:
            g._succ[n], g._pred[n] = {}, {}
            self._own_succ.add(n)
            self._own_pred.add(n)
        g._node[n] = attrs
        self.touched.add(n)

    def remove_node(self, n: str) -> None:
        g = self.graph
        if n not in g._node:
            return
        for v in list(g._succ[n]):
            del self._pred(v)[n]
            self.touched.add(v)
        for u in list(g._pred[n]):
            del self._succ(u)[n]
            self.touched.add(u)
        del g._succ[n], g._pred[n], g._node[n]
        self._own_succ.discard(n)
        self._own_pred.discard(n)
        self.touched.add(n)

    def has_edge(self, u: str, v: str, key: str) -> bool:
        return key in self.graph._succ.get(u, {}).get(v, {})

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
        g = self.graph
        for n, attrs in changes.nodes:
            self.set_node(n, dict(attrs))
        for u, v, key, attrs in changes.links:
            if u not in g._node or v not in g._node:
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
    return nx.freeze(d.graph), d.touched
