"""A checked filter evaluated in Python on what is at hand: a link's or a node's properties.

The embedded store evaluates every filter this way (with the graph for link conditions); a page of
links whose ``where`` is evaluated outside the database (:func:`.expand.expand_by_level`) too, on
the links and nodes its ``neighbours`` call returned. Both therefore answer alike: a missing
property fails every comparison but ``ne`` and ``isNull: true``, whatever encloses it.
"""

from __future__ import annotations

from .model import Link, Node, Value
from .query import And, Cmp, Filter, HasLink, Not, Op, Or, Related


def compare(value: Value | None, f: Cmp) -> bool:
    """One comparison of a stored value (``None``: the property is missing)."""
    op, target = f.op, f.value
    if op is Op.IS_NULL:
        return (value is None) == bool(target)
    if value is None:
        return op is Op.NE and target is not None
    if op is Op.EQ:
        return value == target
    if op is Op.NE:
        return value != target
    if op is Op.IN:
        return isinstance(target, tuple) and value in target
    if op is Op.CONTAINS:
        return isinstance(value, str) and isinstance(target, str) and target in value
    if op is Op.STARTS_WITH:
        return isinstance(value, str) and isinstance(target, str) and value.startswith(target)
    try:
        if op is Op.LT:
            return value < target  # type: ignore[operator]  # same property type by validation
        if op is Op.LTE:
            return value <= target  # type: ignore[operator]
        if op is Op.GT:
            return value > target  # type: ignore[operator]
        return value >= target  # type: ignore[operator]
    except TypeError:
        return False


def link_matches(lk: Link, f: Filter) -> bool:
    """A checked filter on a link's own properties (only Cmp, And, Or and Not)."""
    if isinstance(f, And):
        return all(link_matches(lk, i) for i in f.items)
    if isinstance(f, Or):
        return any(link_matches(lk, i) for i in f.items)
    if isinstance(f, Not):
        return not link_matches(lk, f.item)
    if isinstance(f, Cmp):
        return compare(lk.props.get(f.field), f)
    raise TypeError(f"not a link property filter: {f!r}")  # check_filter refuses it before


def reads_links(f: Filter | None) -> bool:
    """Whether a node filter has link conditions (``has`` or a link filter): those need the
    graph, not only the node's properties."""
    if f is None:
        return False
    if isinstance(f, And | Or):
        return any(reads_links(i) for i in f.items)
    if isinstance(f, Not):
        return reads_links(f.item)
    return isinstance(f, HasLink | Related)


def node_matches(n: Node, f: Filter) -> bool:
    """A checked node filter without link conditions (see :func:`reads_links`)."""
    if isinstance(f, And):
        return all(node_matches(n, i) for i in f.items)
    if isinstance(f, Or):
        return any(node_matches(n, i) for i in f.items)
    if isinstance(f, Not):
        return not node_matches(n, f.item)
    if isinstance(f, Cmp):
        return compare(n.id if f.field == "id" else n.props.get(f.field), f)
    raise TypeError(f"a link condition needs the graph: {f!r}")
