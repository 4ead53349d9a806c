"""What every analysis asks of a day (where a node rolls up to, who lives where, the members of a
branch, who holds which post), each one array or sorted list of pairs for the whole day, kept
on its :class:`~.columns.DayView`. Node numbers are :class:`~.columns.Columns` numbers; -1 is
"none".

Examples
--------
>>> cols = columns_of(tiny_city())
>>> day = cols.day(AS_OF)
>>> p1 = cols.number("p1")
>>> cols.ids_of(homes(day).of(p1)), cols.ids_of(place(day)[p1])
(['c1'], ['c1', 'comm', 'town', 'city'])
>>> cols.ids_of(members(day).of(cols.number("pg1")))
['p1', 'p2']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..errors import NotFoundError, Problem, ValidationError
from . import derived_patch
from .columns import (
    Bools,
    Columns,
    DayView,
    Delta,
    Int32s,
    Renumbering,
    distinct,
    group_starts,
    ranges,
    rows_holding,
)
from .kinds import ANCHORS, LEVEL_KINDS, LEVELS

#: the node kinds of the levels of :data:`~.kinds.LEVELS`, bottom up (a place's column)
_LEVEL_OF_KIND = {kind: i for i, kind in enumerate(LEVEL_KINDS[lv] for lv in LEVELS)}
#: the rank of a post when a person holds several: the heads first, then their deputies
_ROLE_RANK = {"secretary": 0, "chair": 0, "head": 0, "deputy_secretary": 1, "vice_chair": 1}
_BRANCH_KINDS = ("PartyBranch", "PartyGroup")

# What each answer kept on a day reads, through the answers it reads too: a write changing
# none of it leaves the answer as it was (:meth:`~.columns.DayView.memo`).
_PART_OF = frozenset({"PART_OF"})
#: the link kinds the anchors are found through: every answer about where a node sits
PLACE_READS = frozenset(link for ways in ANCHORS.values() for link in ways) | _PART_OF
_RESIDES_IN = frozenset({"RESIDES_IN"})
_HOMES = _PART_OF | _RESIDES_IN
_MEMBER_OF = frozenset({"MEMBER_OF"})


class Pairs(NamedTuple):
    """Distinct pairs of node numbers, sorted by (``a``, ``b``).

    >>> p = Pairs.distinct(np.array([2, 1, 2, 2]), np.array([5, 7, 3, 5]))
    >>> p.a.tolist(), p.b.tolist(), p.of(2).tolist(), p.of(4).tolist()
    ([1, 2, 2], [7, 3, 5], [3, 5], [])
    """

    a: Int32s
    b: Int32s

    @classmethod
    def distinct(cls, a: NDArray[np.integer[Any]], b: NDArray[np.integer[Any]]) -> Pairs:
        keys = distinct(_keys(a, b))  # a 1-d unique (of no keys: no pairs)
        return cls((keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.int32))

    def of(self, a: int) -> Int32s:
        """The ``b`` of every pair whose ``a`` is ``a``, sorted."""
        # bounds of the array's own type (a list would have numpy convert the whole array)
        lo, hi = np.searchsorted(self.a, np.array([a, a + 1], self.a.dtype))
        return self.b[lo:hi]

    def within(self, nodes: Int32s) -> Pairs:
        """The pairs whose ``a`` is one of ``nodes`` (sorted, distinct)."""
        rows = rows_holding(self.a, nodes)
        return Pairs(self.a[rows], self.b[rows])

    def keys(self) -> NDArray[np.int64]:
        """One int64 per pair, in the pairs' order (so sorted)."""
        return _keys(self.a, self.b)

    def match(self, keys: NDArray[np.integer[Any]]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Index pairs (i, j) with ``keys[i] == self.a[j]``, for every match: :func:`_join`
        without sorting, as the pairs are."""
        return _matches(keys, self.a)

    def counts(self, nodes: Int32s) -> NDArray[np.intp]:
        """How many pairs each of ``nodes`` is the ``a`` of (a search each: no pass over all)."""
        return np.searchsorted(self.a, nodes, "right") - np.searchsorted(self.a, nodes, "left")

    def swapped(self) -> Pairs:
        return Pairs.distinct(self.b, self.a)


def _keys(a: NDArray[np.integer[Any]], b: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """One int64 key per pair (node numbers are non-negative int32s), ordered as the pairs."""
    return (a.astype(np.int64) << 32) | b.astype(np.int64)


class Memberships(NamedTuple):
    """Per node, what its MEMBER_OF links say today (False for everything but members)."""

    #: a MEMBER_OF link to any Party organization
    member: Bools
    #: one whose status is ``full`` (正式党员)
    full: Bools
    #: one whose status is ``full`` or not given (no probationary member counted)
    full_or_unstated: Bools
    #: one of category ``in_service`` (在职党员)
    in_service: Bools
    #: one to a Party branch or group (what every member must belong to, rule P7)
    in_branch: Bools


class Posts(NamedTuple):
    """The posts held in every body: one row per (body, person), sorted so, with the senior
    role when a person holds several (a secretary, chair or head first, then a deputy, then any
    other role; between equals the first link in id order)."""

    body: Int32s
    person: Int32s
    #: the role, a code of ``roles`` (-1: no role given)
    role: NDArray[np.int16] | NDArray[np.int32]
    roles: tuple[str, ...]

    def of(self, body: int) -> dict[int, str]:
        """person → role in ``body`` ("" when not given), by person id."""
        lo, hi = np.searchsorted(self.body, np.array([body, body + 1], self.body.dtype))
        return {
            int(p): self.roles[r] if r >= 0 else ""
            for p, r in zip(self.person[lo:hi].tolist(), self.role[lo:hi].tolist(), strict=True)
        }

    def within(self, bodies: Int32s) -> Posts:
        """The posts in ``bodies`` (sorted, distinct)."""
        rows = rows_holding(self.body, bodies)
        return Posts(self.body[rows], self.person[rows], self.role[rows], self.roles)

    def holders(self, role: str, size: int) -> Int32s:
        """Per body, the first person (in id order) holding ``role`` there (-1: none), over
        ``size`` nodes."""
        out = np.full(size, -1, np.int32)
        if role not in self.roles:
            return out
        keep = self.role == self.roles.index(role)
        body, person = self.body[keep], self.person[keep]
        first = group_starts(body)
        out[body[first]] = person[first]
        return out


# -- places ---------------------------------------------------------------------------------------
def compound_of(day: DayView) -> Int32s:
    """Per node, its compound: a compound's own, a building's and a unit's (by PART_OF; of
    several, the first in id order that leads to one); -1 for the rest."""
    # a unit's compound is its building's (or a compound's; a unit part of another unit, which
    # the ontology does not allow, is not followed)
    return _up(day, "Compound", (("Building", None), ("Unit", None)))


def building_of(day: DayView) -> Int32s:
    """Per node, its building: a building's own, a unit's (the first building it is part of,
    in id order); -1 for the rest."""
    return _up(day, "Building", (("Unit", "Building"),))


def _up(day: DayView, kind: str, parts: Sequence[tuple[str, str | None]]) -> Int32s:
    """Per node: itself for a ``kind`` node, else the first (in id order) node with a value
    that it is PART_OF, for the (source, target) kinds of ``parts`` in turn; -1 for the rest."""

    def compute() -> Int32s:
        cols = day.columns
        out = np.full(cols.size, -1, np.int32)
        own = cols.of_kind(kind)
        out[own] = own
        for source_kind, target_kind in parts:
            src, dst = day.links("PART_OF", source_kind, target_kind)
            order = np.lexsort((dst, src))  # targets in number order, so id order
            src, dst = src[order], dst[order]
            value = out[dst]
            keep = (value >= 0) & (out[src] < 0)
            s, v = src[keep], value[keep]
            first = group_starts(s)
            out[s[first]] = v[first]
        return out

    return day.memo(("up", kind), compute, _PART_OF, renumber=_placed)


def homes(day: DayView) -> Pairs:
    """(person, compound) for every compound a person lives in (RESIDES_IN a unit, a building
    or the compound)."""
    return _homes(day, "homes", compound_of)


def residents(day: DayView) -> Pairs:
    """(compound, person): :func:`homes` by compound."""
    return _residents(day, "residents", homes)


def registered(day: DayView) -> Pairs:
    """(compound, person) for every person registered (报到) at a compound."""
    return day.memo(
        "registered",
        lambda: Pairs.distinct(*day.links("REGISTERED_AT", "Person", "Compound")[::-1]),
        frozenset({"REGISTERED_AT"}),
        renumber=renumbered_numbers,
    )


def building_residents(day: DayView) -> Pairs:
    """(building, person): :func:`home_buildings` by building."""
    return _residents(day, "building_residents", home_buildings)


def home_buildings(day: DayView) -> Pairs:
    """(person, building) for every building a person lives in (or in one of its units)."""
    return _homes(day, "home_buildings", building_of)


def _homes(day: DayView, key: str, up: Callable[[DayView], Int32s]) -> Pairs:
    """(person, up[place]) for every place a person RESIDES_IN; after a write that moved only
    people, their pairs alone are found again."""

    def patch(old: Pairs, delta: Delta) -> Pairs | None:
        people = people_touched(delta, _RESIDES_IN, _HOMES)
        if people is None:
            return None
        return _replaced_for(old, old.a, people, _via(day, "RESIDES_IN", up(day), people))

    def compute() -> Pairs:
        return _via(day, "RESIDES_IN", up(day))

    return day.memo(key, compute, _HOMES, patch, renumbered_numbers)


def _residents(day: DayView, key: str, homes_of: Callable[[DayView], Pairs]) -> Pairs:
    """(place, person): ``homes_of(day)`` by place, patched as it is."""

    def patch(old: Pairs, delta: Delta) -> Pairs | None:
        people = people_touched(delta, _RESIDES_IN, _HOMES)
        if people is None:
            return None
        return _replaced_for(old, old.b, people, homes_of(day).within(people).swapped())

    return day.memo(key, lambda: homes_of(day).swapped(), _HOMES, patch, renumbered_numbers)


def linked(day: DayView, kind: str, source_kind: str, target_kind: str | None = None) -> Pairs:
    """(source, target) of the ``kind`` links today from ``source_kind`` (to ``target_kind``),
    distinct and sorted: kept on the day until such a link is written."""
    return day.memo(
        ("linked", kind, source_kind, target_kind),
        lambda: Pairs.distinct(*day.links(kind, source_kind, target_kind)),
        frozenset({kind}),
        renumber=renumbered_numbers,
    )


def building_compounds(day: DayView) -> Pairs:
    """(building, compound) for every building part of a compound."""
    return linked(day, "PART_OF", "Building", "Compound")


def owned_compounds(day: DayView) -> Pairs:
    """(person, compound) for every compound a person owns a unit in."""
    return day.memo(
        "owned_compounds",
        lambda: _via(day, "OWNS", compound_of(day)),
        _PART_OF | {"OWNS"},
        renumber=renumbered_numbers,
    )


def place(day: DayView) -> Int32s:
    """Per node, its compound, community, township and city (-1: unknown): a place's own chain
    up PART_OF (the first parent in id order); another node's, the levels on which all the
    places its first :data:`~.kinds.ANCHORS` link kind reaching any agree, from the city down."""

    def roll_up(node: Int32s, anchor: Int32s, out: Int32s) -> None:
        _roll_up(place_chains(day), node, anchor, out)

    def compute() -> Int32s:
        out = np.full((day.columns.size, 4), -1, np.int32)
        roll_up(*anchors(day), out)
        return out

    def patch(old: Int32s, delta: Delta) -> Int32s | None:
        return _found_again(day, delta, old, -1, roll_up)

    return day.memo("place", compute, PLACE_READS, patch, _placed)


def _roll_up(chains: Int32s, node: Int32s, anchor: Int32s, out: Int32s) -> None:
    """Write into ``out`` the place of each node of ``node`` (sorted) from its anchors."""
    if not len(node):
        return
    rows = chains[anchor]
    starts = np.flatnonzero(group_starts(node))
    low = np.minimum.reduceat(rows, starts, axis=0)
    high = np.maximum.reduceat(rows, starts, axis=0)
    # a level is kept when every level above it (and itself) is the same for all anchors; a
    # column at a time (numpy's accumulate along a row of four is a loop per row)
    agree = low == high
    for level in range(agree.shape[1] - 2, -1, -1):
        agree[:, level] &= agree[:, level + 1]
    out[node[starts]] = np.where(agree, low, -1)


def _found_again(
    day: DayView,
    delta: Delta,
    old: NDArray[Any],
    blank: Any,
    write: Callable[[Int32s, Int32s, NDArray[Any]], None],
) -> NDArray[Any] | None:
    """``old`` (a per-node answer read from the anchors) with the rows of the nodes ``delta``
    may have moved written again by ``write(node, anchor, out)``; None: :func:`relocated`'s."""
    moved = relocated(day, delta)
    if moved is None:
        return None
    node, anchor = anchors(day)
    rows = rows_holding(node, moved)
    # the moved nodes' answers worked out apart (each as its row of ``moved``): a write that
    # changed none of them keeps ``old`` itself, not a copy of a province-sized array
    fresh = np.full((len(moved), *old.shape[1:]), blank, old.dtype)
    write(np.searchsorted(moved, node[rows]).astype(node.dtype), anchor[rows], fresh)
    return rewritten(old, moved, fresh)


def relocated(day: DayView, delta: Delta) -> Int32s | None:
    """The nodes whose place ``delta`` may have changed, sorted; None when it may have changed
    more (too many nodes moved, or a place's own chain)."""
    if not derived_patch.chains_kept(day, delta):
        return None
    return _moved(day, delta)


def _moved(day: DayView, delta: Delta) -> Int32s | None:
    return day.memo(("moved", delta), lambda: derived_patch.moved(day, delta))


def under(day: DayView, scope: int) -> Bools:
    """Which nodes sit (at least partly) under the place ``scope``: one of the places they
    anchor on lies under it (the nodes a scope restricts an analysis to).

    >>> cols = columns_of(tiny_city())
    >>> inside = under(cols.day(AS_OF), cols.number("c2"))
    >>> [n for n in ("c2", "b3", "c1", "comm", "ss1") if inside[cols.number(n)]]
    ['c2', 'b3']
    """

    def mark(node: Int32s, anchor: Int32s, out: Bools) -> None:
        out[node[_places_under(day, scope)[anchor]]] = True

    def compute() -> Bools:
        out = np.zeros(day.columns.size, np.bool_)
        mark(*anchors(day), out)
        return out

    def patch(old: Bools, delta: Delta) -> Bools | None:
        return _found_again(day, delta, old, False, mark)

    # keyed by the scope's id: a write adding or deleting nodes renumbers the scope too
    key = ("under", day.columns.id(scope))
    return day.memo(key, compute, PLACE_READS, patch, renumbered_masks)


def _places_under(day: DayView, scope: int) -> Bools:
    """Per node: a place whose own chain runs through ``scope`` (the places alone read: a
    node's anchors are then one gather, not a chain each)."""

    def compute() -> Bools:
        cols = day.columns
        places = np.concatenate([cols.of_kind(kind) for kind in _LEVEL_OF_KIND])
        return cols.mask(places[(place_chains(day)[places] == scope).any(axis=1)])

    key = ("places_under", day.columns.id(scope))
    return day.memo(key, compute, _PART_OF, renumber=renumbered_masks)


def scope_number(columns: Columns, scope: str | None) -> int | None:
    """The number of the place ``scope`` (None for None); NotFoundError when there is no such
    node, ValidationError when it is no city, township, community or compound.

    >>> cols = columns_of(tiny_city())
    >>> scope_number(cols, "comm") == cols.number("comm")
    True
    >>> scope_number(cols, "pb1")
    Traceback (most recent call last):
    ...
    govgraph.graph.errors.ValidationError: invalid value:
      scope: field 'kind' = 'PartyBranch'; expected a City, Township, Community or Compound
    """
    if scope is None:
        return None
    try:
        number = columns.number(scope)
    except KeyError:
        raise NotFoundError("scope", [scope]) from None
    if columns.kind_of(number) not in _LEVEL_OF_KIND:
        raise ValidationError(
            Problem(
                "scope", "kind", columns.kind_of(number), "a City, Township, Community or Compound"
            )
        )
    return number


def place_chains(day: DayView) -> Int32s:
    """:func:`place` of the places alone (a city, township, community or compound: its own
    chain up PART_OF; -1 rows for every other node): all the roll-ups by place read.

    >>> cols = columns_of(tiny_city())
    >>> chains = place_chains(cols.day(AS_OF))
    >>> cols.ids_of(chains[cols.number("c2")]), chains[cols.number("p1")].tolist()
    (['c2', 'comm', 'town', 'city'], [-1, -1, -1, -1])
    """

    def patch(old: Int32s, delta: Delta) -> Int32s | None:
        return old if derived_patch.chains_kept(day, delta) else None

    return day.memo("chains", lambda: _place_chains(day), _PART_OF, patch, _placed)


class _Anchors(NamedTuple):
    node: Int32s
    place: Int32s
    #: every node settled: no anchor cycle left one out (a patch needs that)
    complete: bool


def anchors(day: DayView) -> tuple[Int32s, Int32s]:
    """(node, place) for every place a node sits in (a place itself; anything else, the places
    its first anchor link kind that reaches any leads to), sorted by node and place."""

    def patch(old: _Anchors, delta: Delta) -> _Anchors | None:
        moved = _moved(day, delta)
        if moved is None or not old.complete:
            return None
        found = derived_patch.anchors(day, old.node, old.place, moved)
        return None if found is None else _Anchors(*found, complete=True)

    found = day.memo("anchors", lambda: _anchors(day), PLACE_READS, patch, renumbered_numbers)
    return found.node, found.place


def _place_chains(day: DayView) -> Int32s:
    """Per place node, its own chain up PART_OF (see :func:`place`); -1 rows elsewhere."""
    cols = day.columns
    n = cols.size
    level = np.full(len(cols.kinds), -1, np.int8)
    for kind, i in _LEVEL_OF_KIND.items():
        if (code := cols.kind_code(kind)) >= 0:
            level[code] = i
    node_level = level[cols.kind]
    # each place's parent: the first (lowest numbered) place it is part of
    src, dst = day.links("PART_OF")
    up = (node_level[src] >= 0) & (node_level[dst] >= 0)
    parent = np.full(n, n, np.int32)
    np.minimum.at(parent, src[up], dst[up])
    parent[parent == n] = -1
    chains = np.full((n, 4), -1, np.int32)
    places = np.flatnonzero(node_level >= 0).astype(np.int32)
    current = places.copy()
    going = np.ones(len(places), np.bool_)
    for _ in range(len(LEVELS) + 1):  # each step fills a level or stops
        lv = node_level[current].astype(np.intp)
        going &= chains[places, lv] < 0
        chains[places[going], lv[going]] = current[going]
        nxt = parent[current]
        going &= nxt >= 0
        current = np.where(going, nxt, current)
    return chains


def _anchors(day: DayView) -> _Anchors:
    """:func:`anchors`, found in rounds: a node is settled once the ends of its anchor links
    are; a node on a cycle of them (malformed data: the ontology's all point up) gets none."""
    cols = day.columns
    n = cols.size
    settled = np.zeros(n, np.bool_)
    places = np.concatenate([cols.of_kind(k) for k in _LEVEL_OF_KIND]).astype(np.int32)
    settled[places] = True
    pending = [kind for kind in cols.kinds if kind in ANCHORS]  # no place is in ANCHORS
    for kind in cols.kinds:
        if kind not in ANCHORS and kind not in _LEVEL_OF_KIND:
            settled[cols.of_kind(kind)] = True  # it anchors nowhere
    ways = {kind: [day.links(link, source_kind=kind) for link in ANCHORS[kind]] for kind in pending}
    found_nodes = [places]
    found_places = [places]
    while True:
        node = np.concatenate(found_nodes)
        anchor = np.concatenate(found_places)
        order = np.argsort(node, kind="stable")
        node, anchor = node[order], anchor[order]
        has = np.zeros(n, np.bool_)
        has[node] = True
        progress = False
        # settled before this round: the anchors above are theirs (a node settled during the
        # round is an end to wait for until the next)
        ready = settled.copy()
        for kind in pending:
            open_ = np.zeros(n, np.bool_)
            open_[cols.of_kind(kind)] = True
            open_ &= ~settled
            if not open_.any():
                continue
            for src, end in ways[kind]:
                pick = open_[src]
                s, e = src[pick], end[pick]
                waiting = distinct(s[~ready[e]])
                reach = np.zeros(n, np.bool_)
                reach[s[has[e]]] = True
                reach[waiting] = False
                if reach.any():
                    take = reach[s]
                    left, right = _join(e[take], node)
                    found_nodes.append(s[take][left])
                    found_places.append(anchor[right])
                    settled |= reach
                    progress = True
                open_[waiting] = False  # to be seen again once its ends are settled
                open_ &= ~reach
            # nothing left to try: no anchor
            if open_.any():
                settled |= open_
                progress = True
        if not progress:
            break
    pairs = Pairs.distinct(np.concatenate(found_nodes), np.concatenate(found_places))
    return _Anchors(pairs.a, pairs.b, complete=bool(settled.all()))


# -- people ---------------------------------------------------------------------------------------
def memberships(day: DayView) -> Memberships:
    """What every node's MEMBER_OF links say today, as masks over the nodes."""

    cols = day.columns

    def of(people: Int32s | None) -> Memberships:
        """The masks over ``people`` (sorted; None: every node)."""
        size = cols.size if people is None else len(people)

        def mask(found: Int32s) -> Bools:
            out = np.zeros(size, np.bool_)
            out[found if people is None else np.searchsorted(people, found)] = True
            return out

        def links(where: tuple[str, Sequence[str | None]] | None = None) -> Int32s:
            return day.links("MEMBER_OF", where=where, sources=people)[0]

        src, dst = day.links("MEMBER_OF", sources=people)
        branch = np.isin(cols.kind[dst], [cols.kind_code(k) for k in _BRANCH_KINDS])
        return Memberships(
            member=mask(src),
            full=mask(links(("status", ["full"]))),
            full_or_unstated=mask(links(("status", ["full", None]))),
            in_service=mask(links(("category", ["in_service"]))),
            in_branch=mask(src[branch]),
        )

    def patch(old: Memberships, delta: Delta) -> Memberships:
        # only the people whose MEMBER_OF links the write touched are worked out again
        people = _sources(delta, _MEMBER_OF)
        # a mask the write left alone stays the same array (no province-sized copy)
        fresh = of(people)
        return Memberships(*(rewritten(o, people, f) for f, o in zip(fresh, old, strict=True)))

    return day.memo("memberships", lambda: of(None), _MEMBER_OF, patch, renumbered_masks)


def rewritten(old: NDArray[Any], at: Int32s, values: NDArray[Any]) -> NDArray[Any]:
    """``old`` with ``values`` at ``at``: ``old`` itself when they are already there."""
    if np.array_equal(old[at], values):
        return old
    out = old.copy()
    out[at] = values
    return out


def members(day: DayView) -> Pairs:
    """(organization, person) for the members of every Party organization; a branch's are its
    own and its groups'."""

    def of(people: Int32s | None) -> Pairs:
        """The pairs of ``people`` (sorted; None: everyone)."""
        person, org = day.links("MEMBER_OF", source_kind="Person", sources=people)
        groups = linked(day, "PART_OF", "PartyGroup", "PartyBranch")
        left, right = _join(org, groups.a)
        return Pairs.distinct(np.r_[org, groups.b[right]], np.r_[person, person[left]])

    def patch(old: Pairs, delta: Delta) -> Pairs | None:
        # a group moved to another branch (PART_OF): every member of it may change
        people = people_touched(delta, _MEMBER_OF, _MEMBER_OF | _PART_OF)
        return None if people is None else _replaced_for(old, old.b, people, of(people))

    return day.memo("members", lambda: of(None), _MEMBER_OF | _PART_OF, patch, renumbered_numbers)


def people_touched(delta: Delta, kinds: frozenset[str], reads: frozenset[str]) -> Int32s | None:
    """The people whose ``kinds`` links ``delta`` touched (:func:`_sources`), or None when it
    touched a link of another kind in ``reads``: then more than their answers may change."""
    if any(k not in kinds and k in reads for k, _, _ in delta.links):
        return None
    return _sources(delta, kinds)


def _replaced_for(old: Pairs, held: Int32s, nodes: Int32s, fresh: Pairs) -> Pairs:
    """``old`` with its pairs whose ``held`` side (``old.a`` or ``old.b``) is one of ``nodes``
    replaced by ``fresh`` (their pairs found again; no kept pair is among them), sorted and
    distinct: ``old`` itself when nothing changed."""
    drop = np.isin(held, nodes)
    new = fresh.keys()
    if np.array_equal(_keys(old.a[drop], old.b[drop]), new):
        return old
    kept = _keys(old.a[~drop], old.b[~drop])
    keys = np.insert(kept, np.searchsorted(kept, new), new)
    return Pairs((keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.int32))


def _sources(delta: Delta, kinds: frozenset[str]) -> Int32s:
    """The sources of the ``kinds`` links a write touched, sorted (not those it deleted)."""
    return np.unique(np.array([s for k, s, _ in delta.links if k in kinds and s >= 0], np.int32))


def posts(day: DayView) -> Posts:
    """The posts held in every body today (HOLDS_POST from a person), with the senior role."""

    def compute() -> Posts:
        p, b, (r, roles) = day.links_with("HOLDS_POST", "role", "Person")
        # rank: the senior role first; then the first link in id order (rows are in that
        # order within a (person, body), and the sort is stable)
        rank_of = np.array([_ROLE_RANK.get(v, 2) for v in roles] + [2], np.int8)
        rank = rank_of[np.where(r >= 0, r, len(roles))]
        order = np.lexsort((rank, p, b))
        p, b, r = p[order], b[order], r[order]
        first = group_starts(p, b)
        return Posts(b[first], p[first], r[first], roles)

    return day.memo("posts", compute, frozenset({"HOLDS_POST"}), renumber=renumbered_numbers)


# -- helpers --------------------------------------------------------------------------------------
def _placed(value: Int32s, renumbering: Renumbering) -> Int32s:
    """A per-node answer of node numbers renumbered (:meth:`~.columns.DayView.carried`)."""
    return renumbering.numbers(renumbering.rows(value, -1), own=True)


def renumbered_masks(value: Any, renumbering: Renumbering) -> Any:
    """A node mask, or a tuple of them, renumbered: False for the nodes added."""
    if isinstance(value, tuple):
        return type(value)(*(renumbering.rows(m, False) for m in value))
    return renumbering.rows(value, False)


def renumbered_numbers(value: Any, renumbering: Renumbering) -> Any:
    """A named tuple of parallel arrays (or a plain tuple of node lists) renumbered, the
    entries of deleted nodes left out (the numbering is monotone: sorted stays sorted)."""
    if not hasattr(value, "_fields"):  # a plain tuple of lists of nodes
        return tuple(n[n >= 0] for n in (renumbering.numbers(v) for v in value))
    numbers = {"a", "b", "node", "place", "body", "person", "host"}
    fields = dict(zip(value._fields, value, strict=True))
    gone: Bools | None = None
    for f in numbers & fields.keys():
        old = fields[f]
        fields[f] = renumbering.numbers(old)
        if len(renumbering.deleted):
            lost = (fields[f] < 0) & (old >= 0)
            gone = lost if gone is None else gone | lost
    if gone is not None and gone.any():
        fields = {f: v[~gone] if isinstance(v, np.ndarray) else v for f, v in fields.items()}
    return type(value)(**fields)


def _via(day: DayView, link: str, up: Int32s, people: Int32s | None = None) -> Pairs:
    """(source, up[target]) of the ``link`` links from people (``people``, sorted: theirs),
    without the -1s."""
    src, dst = day.links(link, source_kind="Person", sources=people)
    found = up[dst]
    keep = found >= 0
    return Pairs.distinct(src[keep], found[keep])


def _join(a: Int32s, b: Int32s) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index pairs (i, j) with ``a[i] == b[j]``, for every match (an equi-join); ``b`` sorted
    or not."""
    order = np.argsort(b, kind="stable")
    left, right = _matches(a, b[order])
    return left, order[right]


def _matches(
    keys: NDArray[np.integer[Any]], ordered: Int32s
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index pairs (i, j) with ``keys[i] == ordered[j]``, ``ordered`` sorted."""
    lo = np.searchsorted(ordered, keys, "left")
    hi = np.searchsorted(ordered, keys, "right")
    return np.repeat(np.arange(len(keys)), hi - lo), ranges(lo, hi)


# -- coverage -------------------------------------------------------------------------------------
def grouped_buildings(day: DayView) -> Bools:
    """Per node: whether a Party group covers it, that is, the group COVERS it or a unit it
    covers is part of it (so a building a group covers, or one of whose units it covers).

    >>> cols = columns_of(tiny_city())
    >>> grouped = grouped_buildings(cols.day(AS_OF))
    >>> [b for b in cols.ids_of(cols.of_kind("Building")) if grouped[cols.number(b)]]
    ['b1']
    """

    def compute() -> Bools:
        cols = day.columns
        covered = day.links("COVERS", "PartyGroup")[1]
        out = cols.mask(covered)
        units = covered[cols.kind[covered] == cols.kind_code("Unit")]
        unit, up = day.links("PART_OF", "Unit")
        out[up[np.isin(unit, units)]] = True
        return out

    return day.memo("grouped_buildings", compute, _PART_OF | {"COVERS"}, renumber=renumbered_masks)


def employers(day: DayView, people: Int32s) -> list[str]:
    """The employer of each of ``people``: the ``employer`` property, else the
    names (ids when unnamed) of what employs them that day, joined with 、, else "?".

    >>> cols = columns_of(tiny_city())
    >>> employers(cols.day(AS_OF), cols.numbers(["p3", "p7"]))
    ['示例物业公司', '?']
    """
    cols = day.columns
    named = cols.codes("Person", "employer")
    src, dst = day.links("EMPLOYED_BY", source_kind="Person")
    keep = np.isin(src, people)
    employed = Pairs.distinct(src[keep], dst[keep])
    lo = np.searchsorted(employed.a, people, "left").tolist()
    hi = np.searchsorted(employed.a, people, "right").tolist()
    by: list[int] = employed.b.tolist()
    out: list[str] = []
    codes = named.codes[cols.local[people]].tolist()
    for code, a, b in zip(codes, lo, hi, strict=True):
        value = named.value(code)
        out.append(value if value else "、".join(cols.label(e) for e in by[a:b]) or "?")
    return out
