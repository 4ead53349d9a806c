"""GraphQL object types, generated from the ontology (one type per node kind, one edge and
connection type per link kind), so the schema can never drift from the domain model.

This module deliberately does not use ``from __future__ import annotations``: Strawberry reads
the annotations of the generated classes and resolvers as real objects.
"""

import datetime as dt
import enum
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..graph.expand import LinkPage, PageKey
from ..graph.model import Link, Node
from ..graph.ontology import LINK_KINDS, NODE_KINDS, LinkKind, NodeKind, Prop, PropType, node_props
from ..graph.ontology import link_props as all_link_props
from ..graph.query import Direction
from .paging import page_size
from .prefetch import DEFAULT_FIRST

PY_TYPES: dict[PropType, type] = {
    PropType.STR: str,
    PropType.INT: int,
    PropType.FLOAT: float,
    PropType.BOOL: bool,
    PropType.DATE: dt.date,
}

#: ``strawberry.Private`` used as a value inside generated annotations
Private: Any = strawberry.Private


def make_enum(name: str, members: dict[str, str], description: str | None = None) -> Any:
    """A GraphQL enum generated from ontology names (typed ``Any``: it is built at runtime)."""
    cls: Any = enum.Enum(name, members)  # type: ignore[misc]  # a generated enum
    return strawberry.enum(cls, description=description)


NodeKindEnum = make_enum(
    "NodeKind", {k: k for k in NODE_KINDS}, "The kinds of node in the ontology."
)
LinkKindEnum = make_enum(
    "LinkKind", {k: k for k in LINK_KINDS}, "The kinds of link in the ontology."
)


@strawberry.enum(description="Which way to follow a link.")
class LinkDirection(enum.Enum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


def global_id(kind: str, entity_id: str) -> str:
    return f"{kind}:{entity_id}"


def entity_id(value: str) -> str:
    """The store id inside a global id (``Kind:id``); a plain store id passes unchanged."""
    kind, sep, rest = value.partition(":")
    return rest if sep and kind in NODE_KINDS else value


def id_kind(value: str) -> str | None:
    """The kind a global id (``Kind:id``) names; None for a plain store id."""
    kind, sep, _ = value.partition(":")
    return kind if sep and kind in NODE_KINDS else None


def of_kind_named(found: Node | None, value: str) -> Node | None:
    """``found`` unless ``value`` is a global id naming another kind (``Building:`` does not
    reach a Compound: a global id means that node of that kind)."""
    kind = id_kind(value)
    return None if found is None or (kind is not None and found.kind != kind) else found


@strawberry.interface(name="Node", description="Anything with a global id (Relay).")
class NodeInterface:
    id: strawberry.ID = strawberry.field(description="global id: Kind:entityId")
    entity_id: str = strawberry.field(description="the stable id in the store")


@strawberry.type(description="Where a page ends and whether more follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(w.title() for w in rest)


def pascal(name: str) -> str:
    return "".join(w.title() for w in name.lower().split("_"))


def plural(kind: str) -> str:
    """``Compound`` → ``compounds``, ``PropertyCompany`` → ``propertyCompanies``."""
    base = kind[0].lower() + kind[1:]
    if kind == "Person":
        return "people"
    if base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    if base.endswith(("s", "x", "ch", "sh")):
        return base + "es"
    return base + "s"


# -- node and link types, built once ------------------------------------------------------------
NODE_TYPES: dict[str, type] = {}
EDGE_TYPES: dict[str, type] = {}
LINK_CONNECTIONS: dict[str, type] = {}


#: per node kind: its GraphQL class and property names (read for every node answered)
_NODE_SHAPES: dict[str, tuple[type, tuple[str, ...]]] = {}


def to_object(n: Node, as_of: dt.date | None = None) -> Any:
    """A stored node as an instance of its GraphQL type."""
    cls, names = _NODE_SHAPES[n.kind]
    props = n.props
    # the dataclass's fields set directly: its __init__ with keywords costs several times more
    obj: Any = object.__new__(cls)
    values = obj.__dict__
    for name in names:
        values[name] = props.get(name)
    values["id"] = global_id(n.kind, n.id)
    values["entity_id"] = n.id
    values["as_of"] = as_of
    return obj


def _prop_field(p: Prop) -> Any:
    desc = " ".join(x for x in (p.label_zh, p.doc) if x) or None
    return strawberry.field(default=None, description=desc)


def _edge_type(lk: LinkKind) -> type:
    ann: dict[str, Any] = {
        "cursor": str,
        "link_id": strawberry.ID,
        "direction": LinkDirection,
        "node": NodeInterface,
    }
    ns: dict[str, Any] = {"__annotations__": ann}
    for p in all_link_props(lk):
        ann[p.name] = Optional[PY_TYPES[p.type]]
        ns[p.name] = _prop_field(p)
    cls = type(f"{pascal(lk.name)}Edge", (), ns)
    return strawberry.type(
        cls, description=f"A {lk.name} link ({lk.label_zh}) and the node at its other end."
    )


def _connection_type(lk: LinkKind, edge: type) -> type:
    ns: dict[str, Any] = {
        "__annotations__": {"edges": list[edge], "total_count": int, "page_info": PageInfo}  # type: ignore[valid-type]
    }
    cls = type(f"{pascal(lk.name)}Connection", (), ns)
    return strawberry.type(cls, description=f"{lk.name} links of one node, by link id.")


#: per link kind: its edge class and property names
_EDGE_SHAPES: dict[str, tuple[type, tuple[str, ...]]] = {}


def edge_object(
    lk: LinkKind, link: Link, other: Node, direction: Direction, as_of: dt.date | None
) -> Any:
    cls, names = _EDGE_SHAPES[lk.name]
    props = link.props
    obj: Any = object.__new__(cls)  # as in to_object
    values = obj.__dict__
    for name in names:
        values[name] = props.get(name)
    values["cursor"] = values["link_id"] = link.id
    values["direction"] = _DIRECTIONS[direction]
    values["node"] = to_object(other, as_of)
    return obj


def link_connection(lk: LinkKind, direction: Direction, day: dt.date | None, page: LinkPage) -> Any:
    edges = [edge_object(lk, nb.link, nb.node, direction, day) for nb in page.items]
    return LINK_CONNECTIONS[lk.name](
        edges=edges,
        total_count=page.total,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )


def prefetched(  # noqa: PLR0917  # a link field's arguments, as the resolver gets them
    loaders: Any,
    lk: LinkKind,
    direction: Direction,
    root: Any,
    first: int,
    after: str | None,
    as_of: dt.date | None,
) -> tuple[PageKey, Any]:
    """The key of a link field's page below ``root``, and its connection if the page was
    fetched with the level above (``schema/prefetch.py``), else ``None``."""
    day = as_of if as_of is not None else root.as_of
    key = PageKey(lk.name, direction, day, first, after)
    page = loaders.pages.get((key, root.entity_id))
    return key, link_connection(lk, direction, day, page) if page is not None else None


def _link_resolver(lk: LinkKind, direction: Direction) -> Any:
    # A plain function that returns the connection at once when the page was fetched with the
    # level above (see schema/prefetch.py), else an awaitable: graphql-core awaits only what
    # is awaitable, so prefetched levels cost no coroutine and no event-loop turn.
    def resolve(
        root: strawberry.Parent[Any],
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        as_of: dt.date | None = None,
    ) -> Any:
        size = page_size(info, first)
        key, found = prefetched(info.context.loaders, lk, direction, root, size, after, as_of)
        if found is not None:
            return found
        return _fetch(info, key, root.entity_id, lk, direction)

    resolve.__annotations__["return"] = LINK_CONNECTIONS[lk.name]
    return resolve


async def _fetch(info: Info, key: PageKey, node_id: str, lk: LinkKind, direction: Direction) -> Any:
    """This field's page for every sibling node, and every page its selection follows below."""
    hop = info.context.loaders.plan(info, key)
    page = await info.context.loaders.expansion(hop).load(node_id)
    return link_connection(lk, direction, key.as_of, page)


def _link_fields(kind: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for lk in LINK_KINDS.values():
        sources = {s for s, _ in lk.endpoints}
        targets = {t for _, t in lk.endpoints}
        for direction, ends, name in (
            (Direction.OUT, sources, lk.out_field),
            (Direction.IN, targets, lk.in_field),
        ):
            if kind in ends:
                way = "from" if direction is Direction.OUT else "to"
                desc = f"{lk.name} ({lk.label_zh}) links, {way} this node"
                fields[name] = strawberry.field(
                    resolver=_link_resolver(lk, direction), description=desc
                )
    return fields


def _node_type(spec: NodeKind) -> type:
    ann: dict[str, Any] = {"as_of": Private[Optional[dt.date]]}
    ns: dict[str, Any] = {"__annotations__": ann}
    for p in node_props(spec):
        ann[p.name] = Optional[PY_TYPES[p.type]]
        ns[p.name] = _prop_field(p)
    ns["as_of"] = None
    for name, f in _link_fields(spec.name).items():
        ns[name] = f
    cls = type(spec.name, (NodeInterface,), ns)
    return strawberry.type(cls, description=f"{spec.label_zh}. {spec.doc}".strip())


_DIRECTIONS = {d: LinkDirection(d.value) for d in Direction}
for _lk in LINK_KINDS.values():
    EDGE_TYPES[_lk.name] = _edge_type(_lk)
    LINK_CONNECTIONS[_lk.name] = _connection_type(_lk, EDGE_TYPES[_lk.name])
    _EDGE_SHAPES[_lk.name] = (EDGE_TYPES[_lk.name], tuple(p.name for p in all_link_props(_lk)))
for _spec in NODE_KINDS.values():
    NODE_TYPES[_spec.name] = _node_type(_spec)
    _NODE_SHAPES[_spec.name] = (NODE_TYPES[_spec.name], tuple(p.name for p in node_props(_spec)))
