"""Nested link pages in one request: the tree of link fields a GraphQL selection follows.

A GraphQL query such as *community → its compounds → their Party branches → the post holders*
follows links three levels deep. Asking the store one level at a time costs one round trip per
level; :meth:`~.port.GraphStore.expand` takes the whole tree (a tuple of :class:`Hop`) at once, so
an adapter that can answer it in one statement (Neo4j: :func:`.cypher.expand`) does.

The answer is flat: one :class:`LinkPage` per (:class:`PageKey`, node id), for every node reached
at any level, so whoever walks the answer finds a node's page by what was asked, not by where
the node sits in the tree.

A caller that reads only some properties says which (:class:`Wanted`): an adapter may then send
only those (Neo4j projects them in the statement: a nested query that shows names and roles
moves a third of the bytes and costs the server a fifth less), or more, never fewer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .model import Neighbour, link_kind, node_kind
from .query import Direction


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
class PageKey:
    """What one page of links is: the links of ``kind`` in ``direction`` valid on ``as_of``
    (all of them when ``None``), by link id, the ``first`` after the link id ``after``."""

    kind: str
    direction: Direction
    as_of: dt.date | None
    first: int
    after: str | None = None

    def __post_init__(self) -> None:
        link_kind(self.kind)
        if self.direction is Direction.BOTH:
            raise ValueError("a page of links follows one direction (OUT or IN)")
        if self.first < 0:
            raise ValueError(f"first must not be negative: {self.first}")


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
    """One node's page of links: ``items`` sorted by link id, ``total`` counts every link of
    the key (not only the page's), ``has_next`` says whether more follow the page."""

    total: int
    items: list[Neighbour]
    has_next: bool


#: every page reached, by what was asked and from which node
Expansion = dict[tuple[PageKey, str], LinkPage]


def cut(key: PageKey, found: Sequence[Neighbour]) -> LinkPage:
    """The page of ``key`` out of all of one node's links of that key, sorted by link id."""
    rest = [nb for nb in found if key.after is None or nb.link.id > key.after]
    return LinkPage(len(found), rest[: key.first], len(rest) > key.first)


async def expand_by_level(store: Neighbours, ids: Sequence[str], hops: Sequence[Hop]) -> Expansion:
    """:meth:`~.port.GraphStore.expand` with one ``neighbours`` call per hop: the round trips
    grow with the depth and the breadth of the tree, never with the number of nodes found
    (every property comes with them: more than any :class:`Wanted` asks)."""
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
            pages = [out.setdefault((key, p), cut(key, found.get(p, []))) for p in parents]
            for child in hop.below:
                reached = (nb.node for page in pages for nb in page.items)
                kids = [n.id for n in reached if child.applies_to(n.kind)]
                if kids:
                    below.append((child, list(dict.fromkeys(kids))))
        level = below
    return out
