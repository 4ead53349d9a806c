"""The root Query: node lookups, one connection per node kind, search and aggregates.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..graph.errors import Problem, ValidationError
from ..graph.ontology import NODE_KINDS
from ..graph.query import Filter, SortKey
from .aggregate import aggregate
from .analytics import analytics_fields
from .console import console_fields
from .filters import ORDER_INPUTS, WHERE_INPUTS, to_filter, to_sort
from .limits import TOO_MANY_IDS, too_many
from .paging import page_size
from .types import (
    NODE_TYPES,
    NodeInterface,
    NodeKindEnum,
    PageInfo,
    Private,
    entity_id,
    of_kind_named,
    plural,
    to_object,
)
from .viewer import viewer_fields
from .vocabulary import vocabulary_fields

#: names are short; longer search text is refused before it reaches a full-text index
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 20


@strawberry.type(description="How many of one kind.")
class KindCount:
    kind: str
    count: int


@strawberry.type(description="Counts of nodes and links by kind.")
class Counts:
    nodes: list[KindCount]
    links: list[KindCount]


CONNECTIONS: dict[str, type] = {}
EDGES: dict[str, type] = {}


class _PageCursor:
    """A list edge's ``cursor``, read from its page's cursors (``graph.query.Cursors``, each
    encoded when first read) only when asked: the edge is made with ``(cursors, index)``. A data
    descriptor, so the dataclass ``__init__``'s assignment lands here."""

    def __get__(self, edge: Any, owner: type | None = None) -> Any:
        if edge is None:
            return self
        cursors, i = edge.__dict__["_cursor_at"]
        return cursors[i]

    def __set__(self, edge: Any, at: tuple[Sequence[str], int]) -> None:
        edge.__dict__["_cursor_at"] = at


def _connection(kind: str) -> type:
    node_type = NODE_TYPES[kind]
    edge_ns: dict[str, Any] = {"__annotations__": {"cursor": str, "node": node_type}}
    edge = EDGES[kind] = strawberry.type(type(f"{kind}Edge", (), edge_ns))
    edge.cursor = _PageCursor()  # type: ignore[attr-defined]  # after Strawberry read the class

    def total_count(root: strawberry.Parent[Any], info: Info) -> Any:
        """Counted by the store without fetching the nodes: with the page when the list saw
        ``totalCount`` asked (one round trip), else on its own."""
        if root.total is not None:
            return root.total
        return info.context.store.count_nodes(kind, where=root.where, as_of=root.as_of)

    total_count.__annotations__["return"] = int

    ns: dict[str, Any] = {
        "__annotations__": {
            "edges": list[edge],  # type: ignore[valid-type]
            "page_info": PageInfo,
            "where": Private[Any],
            "as_of": Private[Optional[dt.date]],
            "total": Private[Optional[int]],
        },
        "total_count": strawberry.field(resolver=total_count),
    }
    return strawberry.type(type(f"{kind}Connection", (), ns))


#: a list's page size when ``first`` is not given
LIST_FIRST = 20


def list_arguments(
    kind: str, where: Any, order_by: Any
) -> tuple[Filter | None, tuple[SortKey, ...]]:
    """A list's ``where`` and ``orderBy`` inputs as the port's filter and sort keys."""
    return to_filter(kind, where), tuple(to_sort(order_by))


async def list_connection(  # noqa: PLR0917  # a list's arguments, converted
    info: Info,
    kind: str,
    where: Filter | None,
    order_by: tuple[SortKey, ...],
    first: int,
    after: str | None,
    as_of: dt.date | None,
) -> Any:
    """The connection a list field answers (its resolver's work once its arguments are
    converted: ``schema/execution.py`` calls it too, with arguments it keeps per query)."""
    size = page_size(info, first)
    page = await info.context.loaders.list_page(
        info, kind, where=where, order_by=order_by, first=size, after=after, as_of=as_of
    )
    edge, cursors = EDGES[kind], page.cursors
    if len(cursors) != len(page.items):
        raise ValueError(f"a page of {len(page.items)} items with {len(cursors)} cursors")
    edges = [edge(cursor=(cursors, i), node=to_object(n, as_of)) for i, n in enumerate(page.items)]
    return CONNECTIONS[kind](
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        where=where,
        as_of=as_of,
        total=page.total,
    )


#: each list resolver, by its node kind (the fast executor recognizes list fields by these)
LIST_RESOLVERS: dict[str, Any] = {}


def _list_resolver(kind: str) -> Any:
    where_type = WHERE_INPUTS[kind]
    order_type = ORDER_INPUTS[kind]

    async def resolve(
        info: Info,
        *,
        where: where_type | None = None,  # type: ignore[valid-type]
        order_by: list[order_type] | None = None,  # type: ignore[valid-type]
        first: int = LIST_FIRST,
        after: str | None = None,
        as_of: dt.date | None = None,
    ) -> Any:
        size = page_size(info, first)
        f, keys = list_arguments(kind, where, order_by)
        return await list_connection(info, kind, f, keys, size, after, as_of)

    resolve.__annotations__["return"] = CONNECTIONS[kind]
    LIST_RESOLVERS[kind] = resolve
    return resolve


async def _node(info: Info, id: strawberry.ID) -> NodeInterface | None:
    loaders = info.context.loaders
    found = of_kind_named(await loaders.lookup(loaders.root_hops(info)).load(entity_id(id)), id)
    return to_object(found) if found is not None else None


async def _nodes(info: Info, ids: list[strawberry.ID]) -> list[NodeInterface | None]:
    # as many ids as a page holds
    too_many(TOO_MANY_IDS, len(ids), info.context.max_page, subject="nodes", field="ids", zh="id")
    loaders = info.context.loaders
    found = await loaders.lookup(loaders.root_hops(info)).load_many([entity_id(i) for i in ids])
    named = [of_kind_named(n, i) for n, i in zip(found, ids, strict=True)]
    return [to_object(n) if n is not None else None for n in named]


async def _search(
    info: Info,
    text: str,
    kinds: list[NodeKindEnum] | None = None,
    first: int = 20,
) -> list[NodeInterface]:
    size = page_size(info, first)
    if len(text) > MAX_SEARCH_CHARS or len(text.split()) > MAX_SEARCH_WORDS:
        shown = text if len(text) <= 40 else text[:39] + "…"
        expected = f"at most {MAX_SEARCH_CHARS} characters and {MAX_SEARCH_WORDS} words"
        raise ValidationError(Problem("search", "text", shown, expected))
    names = [k.value for k in kinds or []]
    return [to_object(n) for n in await info.context.store.search(text, kinds=names, limit=size)]


async def _counts(info: Info, as_of: dt.date | None = None) -> Counts:
    c = await info.context.store.counts(as_of=as_of)
    return Counts(
        nodes=[KindCount(kind=k, count=v) for k, v in c.nodes.items()],
        links=[KindCount(kind=k, count=v) for k, v in c.links.items()],
    )


#: the ``node`` field's resolver (the fast executor recognizes the field by it)
NODE_RESOLVER = _node


def _query_type() -> type:
    ns: dict[str, Any] = {
        "node": strawberry.field(resolver=_node, description="One node by global or store id."),
        "nodes": strawberry.field(resolver=_nodes, description="Many nodes at once, in order."),
        "search": strawberry.field(
            resolver=_search, description="Nodes whose name contains every word of the text."
        ),
        "counts": strawberry.field(
            resolver=_counts, description="Node and link counts by kind (links valid on asOf)."
        ),
        "aggregate": strawberry.field(
            resolver=aggregate, description="Counts by place: how many of each kind per place."
        ),
    }
    for kind, spec in NODE_KINDS.items():
        CONNECTIONS[kind] = _connection(kind)
        ns[plural(kind)] = strawberry.field(
            resolver=_list_resolver(kind),
            description=f"{spec.label_zh}: a page of {kind} nodes (keyset pagination).",
        )
    ns.update(analytics_fields())  # coverageGaps, coverageSummary, ... (schema/analytics.py)
    ns.update(console_fields())  # dataSpan, coverageTrend, whatIf, ... (schema/console.py)
    ns.update(vocabulary_fields())  # labels for frontends (schema/vocabulary.py)
    ns.update(viewer_fields())
    return strawberry.type(type("Query", (), ns))


Query = _query_type()
