"""Plain-data forms of nodes and links (for JSON, snapshots and the embedded store's file).

Dates travel as ISO strings and come back as dates because the ontology says which properties are
dates, so the JSON stays plain and the round trip is lossless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .model import Link, Node, Value
from .ontology import LINK_KINDS, NODE_KINDS, Prop, PropType, link_props, node_props


def _dump(props: Mapping[str, Value]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in props.items()}


def _load(declared: tuple[Prop, ...], props: Mapping[str, Any]) -> dict[str, Value]:
    types = {p.name: p.type for p in declared}
    out: dict[str, Value] = {}
    for k, v in props.items():
        if types.get(k) is PropType.DATE and isinstance(v, str):
            out[k] = dt.date.fromisoformat(v)
        elif types.get(k) is PropType.FLOAT and isinstance(v, int) and not isinstance(v, bool):
            out[k] = float(v)
        else:
            out[k] = v
    return out


def node_to_dict(n: Node) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "props": _dump(n.props)}


def node_from_dict(d: Mapping[str, Any]) -> Node:
    kind = NODE_KINDS.get(d["kind"])
    props = d.get("props") or {}
    return Node(d["id"], d["kind"], _load(node_props(kind), props) if kind else dict(props))


def link_to_dict(lk: Link) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": lk.kind,
        "source": lk.source,
        "target": lk.target,
        "props": _dump(lk.props),
    }
    if lk.key:
        out["key"] = lk.key
    return out


def link_from_dict(d: Mapping[str, Any]) -> Link:
    kind = LINK_KINDS.get(d["kind"])
    props = d.get("props") or {}
    loaded = _load(link_props(kind), props) if kind else dict(props)
    return Link(d["kind"], d["source"], d["target"], loaded, d.get("key", ""))
