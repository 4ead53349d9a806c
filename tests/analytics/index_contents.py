"""What a columnar index holds, as plain values: two indexes are equal when these are."""

from __future__ import annotations

from typing import Any

import numpy as np

from govgraph.graph.analytics.columns import NODE_COLUMNS, Block, Codes, Columns


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
