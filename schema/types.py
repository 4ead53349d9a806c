"""GraphQL object types, generated from the ontology (one type per node kind, one edge and
connection type per link kind), so the schema can never drift from the domain model.

This module deliberately does not use ``from __future__ import annotations``: Strawberry reads
the annotations of the generated classes and resolvers as real objects.
"""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Optional

import strawberry
from strawberry.types import Info

from ..graph.expand import EdgeSort, LinkMatch, LinkPage, PageKey, check_page, cursor_of
from ..graph.model import Link, Neighbour, Node
from ..graph.ontology import LINK_KINDS, NODE_KINDS, LinkKind, NodeKind, Prop, PropType, node_props
from ..graph.ontology import link_props as all_link_props
from ..graph.query import Direction

# re-exported (schema/analytics.py and others import them from here), hence the aliases
from .enums import LinkDirection as LinkDirection  # noqa: PLC0414
from .enums import LinkKindEnum as LinkKindEnum  # noqa: PLC0414
from .enums import NodeKindEnum as NodeKindEnum  # noqa: PLC0414
from .enums import make_enum as make_enum  # noqa: PLC0414
from .enums import pascal
from .filters import LINK_ORDER_INPUTS, MATCH_INPUTS
from .internals import core_info
from .paging import page_size
from .prefetch import DEFAULT_FIRST, page_args

PY_TYPES: dict[PropType, type] = {
    PropType.STR: str,
    PropType.INT: int,
    PropType.FLOAT: float,
    PropType.BOOL: bool,
    PropType.DATE: dt.date,
}

#: ``strawberry.Private`` used as a value inside generated annotations
Private: Any = strawberry.Private


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


def to_object(n: Node, as_of: dt.date | None = None) -> Any:
    """A stored node as an instance of its GraphQL type."""
    cls = NODE_TYPES[n.kind]
    # the dataclass's fields set directly: its __init__ with keywords costs several times more;
    # a property the node lacks reads as the class's default, None
    obj: Any = object.__new__(cls)
    values = obj.__dict__
    values.update(n.props)
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


def edge_object(
    lk: LinkKind, link: Link, other: Node, direction: Direction, as_of: dt.date | None
) -> Any:
    cls = EDGE_TYPES[lk.name]
    obj: Any = object.__new__(cls)  # as in to_object
    values = obj.__dict__
    values.update(link.props)
    values["cursor"] = values["link_id"] = link.id
    values["direction"] = _DIRECTIONS[direction]
    values["node"] = to_object(other, as_of)
    return obj


#: how each field of a link kind's edge type reads an item of a page, as :func:`edge_object`
#: sets it (schema/execution.py answers edges from the page with these, no edge object made;
#: tests/schema/test_execution.py checks them against edge_object for every link kind)
EdgeReader = Callable[[Neighbour, PageKey], Any]
EDGE_READERS: dict[str, dict[str, EdgeReader]] = {}


def _prop_reader(name: str) -> EdgeReader:
    return lambda nb, _key: nb.link.props.get(name)


def _edge_readers(lk: LinkKind) -> dict[str, EdgeReader]:
    readers: dict[str, EdgeReader] = {p.name: _prop_reader(p.name) for p in all_link_props(lk)}
    readers.update(
        cursor=lambda nb, key: cursor_of(key, nb),
        link_id=lambda nb, _key: nb.link.id,
        direction=lambda _nb, key: _DIRECTIONS[key.direction],
        node=lambda nb, key: to_object(nb.node, key.as_of),
    )
    return readers


def link_connection(lk: LinkKind, key: PageKey, page: LinkPage) -> Any:
    direction, day = key.direction, key.as_of
    edges = [edge_object(lk, nb.link, nb.node, direction, day) for nb in page.items]
    if key.order:  # a sorted page continues after its sort values, not after a link id
        for edge, nb in zip(edges, page.items, strict=True):
            edge.cursor = cursor_of(key, nb)
    return LINK_CONNECTIONS[lk.name](
        edges=edges,
        total_count=page.total,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )


def prefetched(loaders: Any, lk: LinkKind, key: PageKey, root: Any) -> Any:
    """The connection of the page ``key`` (:func:`page_key`) of a link field below ``root`` if
    it was fetched with the level above (``schema/prefetch.py``), else ``None``."""
    page = loaders.pages.get((key, root.entity_id))
    return link_connection(lk, key, page) if page is not None else None


def page_key(  # noqa: PLR0917  # a link field's arguments, as the resolver gets them
    lk: LinkKind,
    direction: Direction,
    root: Any,
    first: int,
    after: str | None,
    as_of: dt.date | None,
    *,
    where: LinkMatch | None = None,
    order: tuple[EdgeSort, ...] = (),
) -> PageKey:
    """The key of a link field's page below ``root`` (read on the field's day, else the
    root's). ``where`` and ``order`` are checked already (:func:`page_args`)."""
    day = as_of if as_of is not None else root.as_of
    return PageKey(lk.name, direction, day, first, after, where, order)


WHERE_DOC = (
    "only the links that match: their properties (edge) and the node at the other end (node), "
    "as a link filter's some/all/none/single take them; totalCount counts those"
)
ORDER_DOC = (
    "sort keys over the node's or the link's properties (missing values last, the link id "
    "breaks ties); the cursors then hold the sort values"
)


def _link_resolver(kind: str, name: str, lk: LinkKind, direction: Direction) -> Any:
    # A plain function that returns the connection at once when the page was fetched with the
    # level above (see schema/prefetch.py), else an awaitable: graphql-core awaits only what
    # is awaitable, so prefetched levels cost no coroutine and no event-loop turn.
    where_type = MATCH_INPUTS[(kind, name)]
    order_type = LINK_ORDER_INPUTS[name]

    def resolve(  # noqa: PLR0917  # the field's arguments
        root: strawberry.Parent[Any],
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        as_of: dt.date | None = None,
        where: Annotated[
            Optional[where_type],  # type: ignore[valid-type]  # generated
            strawberry.argument(description=WHERE_DOC),
        ] = None,
        order_by: Annotated[
            Optional[list[order_type]],  # type: ignore[valid-type]  # generated
            strawberry.argument(description=ORDER_DOC),
        ] = None,
    ) -> Any:
        size = page_size(info, first)
        match: LinkMatch | None = None
        order: tuple[EdgeSort, ...] = ()
        if where is not None or order_by:
            match, order = page_args_of(info, kind, name, where, order_by)
        key = page_key(lk, direction, root, size, after, as_of, where=match, order=order)
        found = prefetched(info.context.loaders, lk, key, root)
        if found is not None:
            return found
        if key.after is not None and key.order:
            check_page(kind, key)  # a cursor that is not one refuses here, not in the store
        return _fetch(info, key, root.entity_id, lk)

    resolve.__annotations__["return"] = LINK_CONNECTIONS[lk.name]
    return resolve


def page_args_of(
    info: Info, kind: str, name: str, where: Any, order_by: Any
) -> tuple[LinkMatch | None, tuple[EdgeSort, ...]]:
    """A link field's ``where`` and ``orderBy`` as a page's, checked (:func:`page_args`); once
    per field of the request and kind, whichever node asks first."""
    memo = (tuple(id(f) for f in core_info(info).field_nodes), kind)
    kept: dict[Any, tuple[LinkMatch | None, tuple[EdgeSort, ...]]] = info.context.loaders.page_args
    found = kept.get(memo)
    if found is None:
        found = kept[memo] = page_args(kind, name, where, order_by)
    return found


async def _fetch(info: Info, key: PageKey, node_id: str, lk: LinkKind) -> Any:
    """This field's page for every sibling node, and every page its selection follows below."""
    hop = info.context.loaders.plan(info, key)
    page = await info.context.loaders.expansion(hop).load(node_id)
    return link_connection(lk, key, page)


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
                    resolver=_link_resolver(kind, name, lk, direction), description=desc
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
    EDGE_READERS[_lk.name] = _edge_readers(_lk)
for _spec in NODE_KINDS.values():
    NODE_TYPES[_spec.name] = _node_type(_spec)
