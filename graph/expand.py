"""Nested link pages in one request: the tree of link fields a GraphQL selection follows.

A GraphQL query such as *community → its compounds → their Party branches → the post holders*
follows links three levels deep. Asking the store one level at a time costs one round trip per
level; :meth:`~.port.GraphStore.expand` takes the whole tree (a tuple of :class:`Hop`) at once, so
an adapter that can answer it in one statement (Neo4j: :func:`.cypher.expand`) does.

The answer is flat: one :class:`LinkPage` per (:class:`PageKey`, node id), for every node reached
at any level, so whoever walks the answer finds a node's page by what was asked, not by where
the node sits in the tree.

A page may hold only the links that match a ``where`` (:class:`LinkMatch`: the link's own
properties, the neighbour's, and the neighbour's links at any depth), sorted by properties of the
neighbour or the link (:class:`EdgeSort`), continuing after a cursor: all of it is part of the
page's key, so it travels in the same one call (Neo4j compiles it into the statement).

A caller that reads only some properties says which (:class:`Wanted`): an adapter may then send
only those (Neo4j projects them in the statement: a nested query that shows names and roles
moves a third of the bytes and costs the server a fifth less), or more, never fewer.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard, runtime_checkable

from .errors import Problem, ValidationError
from .matching import link_matches, node_matches, reads_links
from .model import Neighbour, Node, Value, coerce, link_kind, node_kind
from .ontology import LINK_KINDS, NODE_KINDS, Prop, node_props
from .query import (
    And,
    Cmp,
    Direction,
    Filter,
    OfKind,
    Op,
    Page,
    Quantifier,
    Related,
    SortKey,
    check_filter,
    encode_cursor,
    link_field_prop,
)


class Neighbours(Protocol):
    """What :func:`expand_by_level` asks of a store (:meth:`~.port.GraphStore.neighbours`)."""

    async def neighbours(
        self,
        ids: Sequence[str],
        *,
        link_kind: str | None = None,
        direction: Direction = Direction.OUT,
        neighbour_kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> dict[str, list[Neighbour]]: ...


@dataclass(frozen=True, slots=True)
class LinkMatch:
    """Which links a page holds: those whose own properties satisfy ``link`` (a filter on the
    link kind's properties) and whose neighbour is one of ``node`` (as in
    :class:`~.query.Related`: of one of the kinds given and matching its ``where``; any
    neighbour when ``None``). A neighbour's ``where`` may follow links again."""

    link: Filter | None = None
    node: tuple[OfKind, ...] | None = None


@dataclass(frozen=True, slots=True)
class EdgeSort:
    """Sort a page by a property of the neighbour (or its ``id``), or of the link itself
    (``on_link``: ``since``, ``role``, ...). Missing values sort last either way; the link id
    breaks ties."""

    field: str
    on_link: bool = False
    descending: bool = False


@dataclass(frozen=True, slots=True)
class PageKey:
    """What one page of links is: the links of ``kind`` in ``direction`` valid on ``as_of``
    (all of them when ``None``) that match ``where`` (every one when ``None``), sorted by
    ``order`` and then by link id, the ``first`` after the cursor ``after`` (without ``order``
    the cursor is a link id; with it, :func:`cursor_of` a link of the page)."""

    kind: str
    direction: Direction
    as_of: dt.date | None
    first: int
    after: str | None = None
    where: LinkMatch | None = None
    order: tuple[EdgeSort, ...] = ()

    def __post_init__(self) -> None:
        link_kind(self.kind)
        if self.direction is Direction.BOTH:
            raise ValueError("a page of links follows one direction (OUT or IN)")
        if self.first < 0:
            raise ValueError(f"first must not be negative: {self.first}")
        for s in self.order:
            sort_prop(self.kind, self.direction, s)


def other_kinds(kind: str, direction: Direction) -> tuple[str, ...]:
    """The node kinds at the other end of links of ``kind`` followed in ``direction``."""
    return _other_kinds(kind, Direction(direction))


@functools.cache
def _other_kinds(kind: str, direction: Direction) -> tuple[str, ...]:
    ends = (t if direction is Direction.OUT else s for s, t in LINK_KINDS[kind].endpoints)
    return tuple(dict.fromkeys(ends))


_ID = Prop("id")


def sort_prop(kind: str, direction: Direction, s: EdgeSort) -> Prop:
    """The property a sort key of a page of ``kind`` links reads: the link's, or one that some
    kind at the other end declares (a neighbour of a kind without it sorts as missing)."""
    if s.on_link:
        return link_field_prop(kind, s.field)
    if s.field == "id":
        return _ID
    others = other_kinds(kind, direction)
    for other in others:
        found = NODE_KINDS[other].prop(s.field)
        if found is not None:
            return found
    names = sorted({"id", *(p.name for k in others for p in node_props(NODE_KINDS[k]))})
    raise ValidationError(
        Problem(f"sort of {kind} links", "field", s.field, f"one of {', '.join(names)}")
    )


def check_page(node_kind_: str, key: PageKey) -> PageKey:
    """``key`` with its ``where`` checked as a link filter of a node of ``node_kind_`` would be
    (:func:`~.query.check_filter`: kinds that can be at the other end, declared properties,
    values coerced to their types) and its cursor readable; a :class:`ValidationError` else."""
    where = key.where
    if where is not None:
        checked = check_filter(
            node_kind_, Related(key.kind, key.direction, Quantifier.SOME, where.link, where.node)
        )
        assert isinstance(checked, Related)
        where = LinkMatch(checked.link, checked.node)
    out = PageKey(key.kind, key.direction, key.as_of, key.first, key.after, where, key.order)
    after_values(out)
    return out


def sort_values(key: PageKey, nb: Neighbour) -> list[Value | None]:
    """The values ``key.order`` sorts ``nb`` by."""
    out: list[Value | None] = []
    for s in key.order:
        if s.on_link:
            out.append(nb.link.props.get(s.field))
        else:
            out.append(nb.node.id if s.field == "id" else nb.node.props.get(s.field))
    return out


def cursor_of(key: PageKey, nb: Neighbour) -> str:
    """Where a page of ``key`` continues after ``nb``: its link id, or with ``order`` its sort
    values and link id (opaque)."""
    if not key.order:
        return nb.link.id
    return encode_cursor([*sort_values(key, nb), nb.link.id])


def after_values(key: PageKey) -> list[Value | None] | None:
    """The sort values and the link id a sorted page's cursor holds (``None`` without a cursor
    or an order); a :class:`ValidationError` for text that is not such a cursor."""
    if key.after is None or not key.order:
        return None
    try:
        padded = key.after + "=" * (-len(key.after) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(raw, list) or len(raw) != len(key.order) + 1:
            raise ValueError
        out: list[Value | None] = []
        for s, sent in zip(key.order, raw, strict=False):
            v = sent["d"] if isinstance(sent, dict) and set(sent) == {"d"} else sent
            out.append(None if v is None else coerce(sort_prop(key.kind, key.direction, s), v))
        if not isinstance(raw[-1], str):
            raise ValueError
        return [*out, raw[-1]]
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(
            Problem("page", "after", key.after, "a cursor of this field with the same orderBy")
        ) from None


@dataclass(frozen=True, slots=True)
class Hop:
    """Follow ``page`` from every node of the level above whose kind is in ``on_kinds`` (every
    node when ``None``), then the hops ``below`` from the neighbours found."""

    page: PageKey
    on_kinds: frozenset[str] | None = None
    below: tuple[Hop, ...] = ()

    def __post_init__(self) -> None:
        for k in self.on_kinds or ():
            node_kind(k)

    def applies_to(self, kind: str) -> bool:
        return self.on_kinds is None or kind in self.on_kinds

    @property
    def depth(self) -> int:
        return 1 + max((h.depth for h in self.below), default=0)


@dataclass(frozen=True, slots=True)
class Wanted:
    """The properties a caller reads from the nodes and links an ``expand`` or ``lookup``
    returns: at least these are in the answer (``None``: every property)."""

    node: frozenset[str] | None = None
    link: frozenset[str] | None = None


#: every property of every node and link
EVERYTHING = Wanted()


@dataclass(frozen=True, slots=True)
class LinkPage:
    """One node's page of links: ``items`` in the key's order (by link id without one),
    ``total`` counts every link of the key that matches its ``where`` (not only the page's),
    ``has_next`` says whether more follow the page."""

    total: int
    items: list[Neighbour]
    has_next: bool


#: every page reached, by what was asked and from which node
Expansion = dict[tuple[PageKey, str], LinkPage]


def cut(key: PageKey, found: Sequence[Neighbour]) -> LinkPage:
    """The page of ``key`` out of all of one node's links that match it, sorted by link id."""
    rows = ordered(key, found)
    if key.after is not None:
        if key.order:
            cursor = after_values(key)
            assert cursor is not None
            rows = [nb for nb in rows if _follows(key, sort_values(key, nb), nb.link.id, cursor)]
        else:
            rows = [nb for nb in rows if nb.link.id > key.after]
    return LinkPage(len(found), rows[: key.first], len(rows) > key.first)


def ordered(key: PageKey, found: Sequence[Neighbour]) -> list[Neighbour]:
    """``found`` (sorted by link id) in the order of ``key.order``: one stable sort per key,
    the last first, missing values last in both directions."""
    rows = list(found)
    for i in reversed(range(len(key.order))):
        s = key.order[i]
        if s.descending:  # (False, None) after every (True, value), the sort being reversed
            rows.sort(key=lambda nb: (_value(s, nb) is not None, _value(s, nb)), reverse=True)
        else:
            rows.sort(key=lambda nb: (_value(s, nb) is None, _value(s, nb)))
    return rows


def _value(s: EdgeSort, nb: Neighbour) -> Value | None:
    if s.on_link:
        return nb.link.props.get(s.field)
    return nb.node.id if s.field == "id" else nb.node.props.get(s.field)


def _follows(
    key: PageKey, values: list[Value | None], link_id: str, cursor: list[Value | None]
) -> bool:
    """Whether a row sorts strictly after the cursor's row in :func:`ordered`'s order."""
    for s, x, y in zip(key.order, values, cursor, strict=False):
        if x is None and y is None:
            continue
        if x is None or y is None:
            return x is None  # a missing value sorts after any other
        if x != y:
            return bool(x < y) if s.descending else bool(x > y)  # type: ignore[operator]
    last = cursor[-1]
    return isinstance(last, str) and link_id > last


class NodeTest(Protocol):
    """Which of ``nodes`` (of ``kind``) match ``where``, a filter with link conditions,
    counting the links valid on ``as_of``: the ids of those that do."""

    async def __call__(
        self, kind: str, nodes: Sequence[Node], where: Filter, as_of: dt.date | None
    ) -> set[str]: ...


async def select(
    key: PageKey, found: dict[str, list[Neighbour]], test: NodeTest | None = None
) -> dict[str, list[Neighbour]]:
    """The links of ``found`` (by node) that match ``key.where``: a link's own properties and
    a neighbour's without link conditions are tested here; a neighbour's ``where`` with link
    conditions by ``test``, once for all the neighbours of a kind."""
    where = key.where
    if where is None:
        return found
    kept = {
        p: [nb for nb in nbs if where.link is None or link_matches(nb.link, where.link)]
        for p, nbs in found.items()
    }
    if where.node is None:
        return kept
    passed: set[str] = set()
    for alt in where.node:
        of_kind = {nb.node.id: nb.node for nbs in kept.values() for nb in nbs}
        nodes = [n for n in of_kind.values() if n.kind == alt.kind]
        if alt.where is None:
            passed.update(n.id for n in nodes)
        elif not reads_links(alt.where):
            passed.update(n.id for n in nodes if node_matches(n, alt.where))
        elif nodes:
            if test is None:
                raise TypeError("a neighbour's where with link conditions needs a NodeTest")
            passed |= await test(alt.kind, nodes, alt.where, key.as_of)
    return {p: [nb for nb in nbs if nb.node.id in passed] for p, nbs in kept.items()}


async def expand_by_level(
    store: Neighbours, ids: Sequence[str], hops: Sequence[Hop], test: NodeTest | None = None
) -> Expansion:
    """:meth:`~.port.GraphStore.expand` with one ``neighbours`` call per hop: the round trips
    grow with the depth and the breadth of the tree, never with the number of nodes found
    (every property comes with them: more than any :class:`Wanted` asks). A page's ``where``
    is tested on what the call returns (:func:`select`; ``test`` for a neighbour's link
    conditions), its ``order`` and cursor applied here (:func:`cut`)."""
    out: Expansion = {}
    asked = list(dict.fromkeys(ids))
    level: list[tuple[Hop, list[str]]] = [(h, asked) for h in hops] if asked else []
    while level:
        below: list[tuple[Hop, list[str]]] = []
        for hop, parents in level:
            key = hop.page
            found = await store.neighbours(
                parents, link_kind=key.kind, direction=key.direction, as_of=key.as_of
            )
            found = await select(key, found, test)
            pages = [out.setdefault((key, p), cut(key, found.get(p, []))) for p in parents]
            for child in hop.below:
                reached = (nb.node for page in pages for nb in page.items)
                kids = [n.id for n in reached if child.applies_to(n.kind)]
                if kids:
                    below.append((child, list(dict.fromkeys(kids))))
        level = below
    return out


@runtime_checkable
class ListsWithTree(Protocol):
    """A store that answers a page of a list and the tree of link pages below its nodes in
    one call (Neo4j: one statement, :func:`.cypher.list_nodes` with ``below``): what
    :meth:`~.port.GraphStore.list_nodes` and then :meth:`~.port.GraphStore.expand` of the
    page's ids answer, the same pages. A store without it is asked those two ways."""

    async def list_expanded(
        self,
        kind: str,
        hops: Sequence[Hop],
        *,
        where: Filter | None = None,
        order_by: Sequence[SortKey] = (),
        first: int = 100,
        after: str | None = None,
        as_of: dt.date | None = None,
        with_total: bool = False,
        wanted: Wanted = EVERYTHING,
    ) -> tuple[Page[Node], Expansion]: ...


def lists_with_tree(store: object) -> TypeGuard[ListsWithTree]:
    """Whether ``store`` is a :class:`ListsWithTree` (known per class: a protocol's
    ``isinstance`` looks its members up on every call)."""
    cls = type(store)
    found = _LISTS_WITH_TREE.get(cls)
    if found is None:
        found = _LISTS_WITH_TREE[cls] = issubclass(cls, ListsWithTree)
    return found


#: per store class: whether it is a :class:`ListsWithTree`
_LISTS_WITH_TREE: dict[type, bool] = {}


def matching_ids(where: Filter, ids: Sequence[str]) -> Filter:
    """``where`` for the nodes of ``ids`` only (a :class:`NodeTest` that asks a store's
    ``list_nodes``)."""
    return And((Cmp("id", Op.IN, tuple(ids)), where))
