"""What a columnar index holds, as plain values: two indexes are equal when these are; and a
projection with a write applied, the reference a patched index is compared with."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from govgraph.graph.analytics.columns import NODE_COLUMNS, Block, Codes, Columns
from govgraph.graph.analytics.columns_patch import Changes


def contents(cols: Columns) -> dict[str, Any]:
    """What an index holds, in values rather than codes (a patched dictionary may keep a value
    no row holds any more)."""
    blocks = {
        (b.kind, b.source_kind, b.target_kind): _block(b) for b in cols.all_blocks() if len(b)
    }
    props = {}
    for kind, names in NODE_COLUMNS.items():
        for prop in names:
            col = cols.column(kind, prop)
            props[kind, prop] = _values(col)
    return {
        "ids": cols.ids_of(range(cols.size)),
        "kinds": [cols.kind_of(i) for i in range(cols.size)],
        "names": [cols.name(i) for i in range(cols.size)],
        "of_kind": {k: cols.of_kind(k).tolist() for k in cols.kinds if len(cols.of_kind(k))},
        "local": cols.local.tolist(),
        "props": props,
        "blocks": blocks,
    }


def _values(col: Any) -> list[Any]:
    if isinstance(col, Codes):
        return [col.value(int(c)) for c in col.codes]
    return ["nan" if isinstance(v, float) and np.isnan(v) else v for v in col.tolist()]


def _block(b: Block) -> dict[str, Any]:
    return {
        "src": b.src.tolist(),
        "dst": b.dst.tolist(),
        "since": b.since.tolist(),
        "until": b.until.tolist(),
        "props": {p: _values(c) for p, c in b.props.items()},
        "keyed": dict(b.keyed),
        "by_dst": b.by_dst.tolist(),
    }


def applied(graph: nx.MultiDiGraph, changes: Changes) -> nx.MultiDiGraph:
    """A copy of ``graph`` with ``changes`` applied as the stores apply them: an upserted node
    or link replaces its attributes, a link between nodes that do not exist is not written,
    deleting what does not exist does nothing, a deleted node takes its links with it."""
    g = nx.MultiDiGraph(graph)
    for n, attrs in changes.nodes:
        if n in g:
            g.nodes[n].clear()
        g.add_node(n, **attrs)
    for u, v, key, attrs in changes.links:
        if u in g and v in g:
            if g.has_edge(u, v, key):
                g.remove_edge(u, v, key)
            g.add_edge(u, v, key, **attrs)
    for u, v, key in changes.delete_links:
        if g.has_edge(u, v, key):
            g.remove_edge(u, v, key)
    g.remove_nodes_from(changes.delete_nodes)
    return g
