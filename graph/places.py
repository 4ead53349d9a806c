"""Where a node lies: the routes from any kind up to a place level, derived from the ontology.

Aggregates count nodes by place ("how many compounds without a Party branch in each
community"). A node lies under a place when a chain of *locating* links (``LinkKind.locates`` in
the ontology: ``PART_OF``, ``COVERS``, ``MANAGES``, ``HELD_BY``, ...) leads from it to that place,
every link of the chain valid on the day asked. A compound lies under its community; a Party
branch under the compounds it covers and the community of its Party committee; a meeting under
wherever its host lies. A node reached by several chains counts once per place, so a joint
branch covering compounds of two communities counts in both.

Nothing here lists routes by hand: :func:`route` walks the ontology's locating links, so a new
link kind marked ``locates`` changes the answers without touching a store.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .errors import Problem, ValidationError
from .model import node_kind
from .ontology import LINK_KINDS

#: the place levels aggregates group by, from the widest
PLACE_LEVELS = ("City", "Township", "Community", "Compound")


@dataclass(frozen=True, slots=True)
class Route:
    """How nodes of ``kind`` reach places of ``level``.

    ``link_kinds`` are the locating links on some chain from ``kind`` to ``level``; ``via`` the
    kinds those chains pass through (``kind`` included, ``level`` excluded); ``max_hops`` the
    longest chain. Any stored chain of those links ending at a ``level`` node follows the
    ontology, so it is one of these chains and at most ``max_hops`` long.
    """

    kind: str
    level: str
    link_kinds: tuple[str, ...]
    via: frozenset[str]
    max_hops: int


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """How many nodes lie under one place."""

    place_id: str
    name: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Counts of the nodes of ``kind`` under each place of ``group_by``.

    ``places`` lists every place of the level (zeros included), most first, then by id, cut at
    the page size (``has_more`` tells); ``unplaced`` counts the matching nodes under no place of
    the level (no chain of valid locating links reaches one).
    """

    kind: str
    group_by: str
    places: list[PlaceCount]
    unplaced: int
    has_more: bool


def _steps(kind: str) -> list[tuple[str, str]]:
    """(link kind, target kind) of every locating link a node of ``kind`` may have."""
    return [
        (lk.name, target)
        for lk in LINK_KINDS.values()
        if lk.locates
        for source, target in lk.endpoints
        if source == kind
    ]


_Reach = tuple[int, frozenset[str], frozenset[str]]
_AT_LEVEL: _Reach = (0, frozenset(), frozenset())


@functools.cache
def _reach(kind: str, level: str) -> _Reach | None:
    """(longest chain, link kinds, kinds passed) from ``kind`` to ``level``; None if none.

    The locating links form no cycle (each leads to something wider), which keeps this finite;
    ``tests/graph/test_places.py`` asserts it.
    """
    longest = 0
    links: set[str] = set()
    via: set[str] = set()
    for link, target in _steps(kind):
        found = _AT_LEVEL if target == level else _reach(target, level)
        if found is None:
            continue
        longest = max(longest, found[0] + 1)
        links |= {link, *found[1]}
        via |= {kind, *found[2]}
    return (longest, frozenset(links), frozenset(via)) if links else None


def levels_of(kind: str) -> list[str]:
    """The place levels nodes of ``kind`` can lie under."""
    return [level for level in PLACE_LEVELS if level != kind and _reach(kind, level)]


def route(kind: str, level: str) -> Route:
    """The route from ``kind`` up to ``level``; ValidationError when there is none."""
    node_kind(kind)
    if level not in PLACE_LEVELS:
        raise ValidationError(
            Problem(f"aggregate of {kind}", "groupBy", level, "one of " + ", ".join(PLACE_LEVELS))
        )
    found = _reach(kind, level) if kind != level else None
    if found is None:
        possible = levels_of(kind)
        expected = (
            f"one of {', '.join(possible)} (the levels a {kind} lies under)"
            if possible
            else f"a kind that lies under places (no locating link leads from a {kind} to one)"
        )
        raise ValidationError(Problem(f"aggregate of {kind}", "groupBy", level, expected))
    hops, links, via = found
    return Route(kind, level, tuple(sorted(links)), via, hops)
