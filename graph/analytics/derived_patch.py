"""Where things roll up to, one write later: the anchors of :mod:`~.derived` found again for the
nodes a write can have moved (the ends of the anchor links it wrote and, going down, whatever
anchors on a node that moved), the rest kept; the whole graph's rounds take a fifth of a
second at 3,000 compounds. Each function answers None when it cannot patch exactly (too many
nodes moved, an anchor cycle) and the caller computes the answer again.

Examples
--------
>>> cols = columns_of(tiny_city())
>>> b1, c2 = cols.number("b1"), cols.number("c2")
>>> write = Delta(frozenset({"PART_OF"}), (("PART_OF", b1, c2),))  # b1 is part of c2 too
>>> cols.ids_of(moved(cols.day(AS_OF), write))  # its units, their residents, its group
['b1', 'p1', 'p10', 'p2', 'pg1', 'u1', 'u2']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .columns import Columns, DayView, Delta, Int32s, distinct, rows_holding
from .kinds import ANCHORS, LEVEL_KINDS

#: beyond this many nodes moved, the whole graph's rounds cost less than one node at a time
MAX_MOVED = 5_000
_PLACE_KINDS = frozenset(LEVEL_KINDS.values())


class _CycleError(Exception):
    """An anchor cycle among the nodes found again."""


def moved(day: DayView, delta: Delta) -> Int32s | None:
    """The nodes whose anchors ``delta`` may have changed, sorted (None: more than
    :data:`MAX_MOVED`): the ones a written anchor link leaves from, and every node anchored,
    through any number of links, on one of them."""
    cols = day.columns
    start = {
        source
        for link, source, _ in delta.links
        if source >= 0 and link in ANCHORS.get(cols.kind_of(source), ())
    }
    found = set(start)
    frontier = np.array(sorted(start), np.int32)
    while len(frontier):
        up = distinct(np.concatenate([*_anchored_on(cols, frontier), frontier[:0]]))
        fresh = [n for n in up.tolist() if n not in found]
        found.update(fresh)
        if len(found) > MAX_MOVED:
            return None
        frontier = np.array(fresh, np.int32)
    return np.array(sorted(found), np.int32)


def _anchored_on(cols: Columns, nodes: Int32s) -> Iterator[Int32s]:
    """The nodes with an anchor link (valid or not) to one of ``nodes`` (sorted), per block."""
    for code in np.unique(cols.kind[nodes]).tolist():
        mine, there = nodes[cols.kind[nodes] == code], cols.kinds[code]
        for kind, ways in ANCHORS.items():  # no place: a place is its own anchor
            for link in ways:
                for b in cols.blocks(link, kind, there):  # the rows to ``mine``, by target
                    yield b.src[b.by_dst[rows_holding(b.dst[b.by_dst], mine)]]


def anchors(
    day: DayView, node: Int32s, place: Int32s, changed: Int32s
) -> tuple[Int32s, Int32s] | None:
    """The (node, place) pairs of :func:`~.derived.anchors` after a write, from those before
    it (``node``, ``place``, sorted; every node settled) and the nodes it ``changed``
    (:func:`moved`); None on an anchor cycle among them."""
    if not len(changed):
        return node, place
    cols = day.columns
    inside = set(changed.tolist())
    known: dict[int, list[int]] = {}
    busy: set[int] = set()

    def of(x: int) -> list[int]:
        if x not in inside:
            # of the array's own type: a list would have numpy convert the whole array
            lo, hi = np.searchsorted(node, np.array([x, x + 1], node.dtype)).tolist()
            found: list[int] = place[lo:hi].tolist()
            return found
        if x in known:
            return known[x]
        if x in busy:
            raise _CycleError
        busy.add(x)
        result: list[int] = []
        for link in ANCHORS.get(cols.kind_of(x), ()):
            reached = [of(e) for e in _ends(day, x, link)]
            if any(reached):  # the first anchor link kind that reaches a place wins
                result = sorted({p for r in reached for p in r})
                break
        known[x] = result
        return result

    xs = np.unique(changed)
    try:
        found = [of(x) for x in xs.tolist()]
    except _CycleError:
        return None
    lo = np.searchsorted(node, xs, "left").tolist()
    hi = np.searchsorted(node, xs, "right").tolist()
    if all(place[a:b].tolist() == r for a, b, r in zip(lo, hi, found, strict=True)):
        return node, place  # nothing moved: no province-sized copy
    # each changed node's rows replaced where they were: one copy of each array, in slices
    nodes: list[Int32s] = []
    places: list[Int32s] = []
    start = 0
    for x, a, b, reached in zip(xs.tolist(), lo, hi, found, strict=True):
        nodes += [node[start:a], np.full(len(reached), x, np.int32)]
        places += [place[start:a], np.array(reached, np.int32)]
        start = b
    return np.concatenate([*nodes, node[start:]]), np.concatenate([*places, place[start:]])


def _ends(day: DayView, x: int, link: str) -> list[int]:
    """The nodes ``x`` reaches by its ``link`` links valid on the day."""
    cols = day.columns
    one = np.array([x], np.int32)
    out: list[int] = []
    for b in cols.blocks(link, source_kind=cols.kind_of(x)):
        rows = b.rows_from(one)
        out += b.dst[rows[day.valid(b)[rows]]].tolist()
    return out


def chains_kept(day: DayView, delta: Delta) -> bool:
    """True when ``delta`` wrote no PART_OF link from a place: the places' own chains
    (:func:`~.derived.place_chains`) are as they were."""
    kind = day.columns.kind_of
    return not any(
        link == "PART_OF" and source >= 0 and kind(source) in _PLACE_KINDS
        for link, source, _ in delta.links
    )


def without(kept: dict[int, Any], nodes: Int32s) -> dict[int, Any]:
    """``kept`` (answers per node number) less the entries of ``nodes``."""
    dropped = [k for k in nodes.tolist() if k in kept]
    if not dropped:
        return kept
    out = dict(kept)  # a copy in C; the few nodes dropped one by one
    for k in dropped:
        del out[k]
    return out
