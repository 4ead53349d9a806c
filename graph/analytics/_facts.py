"""An index over one projection: adjacency by link kind, the place hierarchy, the domain lookups
every analysis needs (who lives where, who sits on which body, which branch covers a compound).

Internal to :mod:`govgraph.graph.analytics`. Built once per projection (one pass over the links)
and shared by the rules, the coverage roll-ups and the tie analyses, so a fact such as "the
compound a person lives in" is computed in one place. It never filters by date: it reads the
projection it is given (see :func:`~govgraph.graph.analytics.projection.at`). After a write,
the new version's index is the old one's tables with layers of changes on top
(:meth:`Facts.patched`, :mod:`~._layers`), until a whole-graph pass flattens them.
"""

from __future__ import annotations

import bisect
import weakref
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeAlias

import networkx as nx

from ..errors import NotFoundError, Problem, ValidationError
from ..ontology import LINK_KINDS
from ._layers import Layered, Memo, Table, flat
from ._patch import Adjacency, rebuild, tables

#: the levels a finding or a row rolls up to, from the bottom
LEVELS = ("compound", "community", "township", "city")
LEVEL_KINDS = {
    "compound": "Compound",
    "community": "Community",
    "township": "Township",
    "city": "City",
}
_KIND_LEVEL = {k: lv for lv, k in LEVEL_KINDS.items()}
#: the posts that make up a branch committee (支委会)
BRANCH_COMMITTEE_ROLES = ("secretary", "deputy_secretary", "committee_member")
_ROLE_RANK = {"secretary": 0, "chair": 0, "head": 0, "deputy_secretary": 1, "vice_chair": 1}

#: where a non-place node sits, tried in order: the first (link kind, direction) that reaches
#: anything wins ("out" follows the link from the node, "in" against it)
ANCHORS: dict[str, tuple[tuple[str, str], ...]] = {
    "Building": (("PART_OF", "out"),),
    "Unit": (("PART_OF", "out"),),
    "Person": (
        ("RESIDES_IN", "out"),
        ("REGISTERED_AT", "out"),
        ("OWNS", "out"),
        ("MEMBER_OF", "out"),
        ("HOLDS_POST", "out"),
        ("EMPLOYED_BY", "out"),
    ),
    "PartyBranch": (("COVERS", "out"), ("PART_OF", "out")),
    "PartyGroup": (("COVERS", "out"), ("PART_OF", "out")),
    "PartyCommittee": (("PART_OF", "out"),),
    "OwnersCommittee": (("REPRESENTS", "out"), ("PART_OF", "out")),
    "OwnersAssembly": (("REPRESENTS", "out"),),
    "PropertyCompany": (("MANAGES", "out"),),
    "PropertyManagementCommittee": (("PART_OF", "out"), ("MANAGES", "out")),
    "ServiceStation": (("SERVES", "out"),),
    "LeadershipGroup": (("PART_OF", "out"),),
    "ServiceCenter": (("PART_OF", "out"),),
    "EnforcementTeam": (("COVERS", "out"),),
    "Department": (("DELEGATES_TO", "out"),),
    "VolunteerTeam": (("PART_OF", "out"),),
    "Meeting": (("HELD_BY", "out"),),
    "Appeal": (("ABOUT", "out"),),
    "Dispute": (("ABOUT", "out"),),
    "VolunteerActivity": (("CONDUCTED_BY", "out"),),
    "Evaluation": (("EVALUATES", "out"),),
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where something rolls up to: its compound, community, township and city (any may be
    unknown). A body spanning several compounds rolls up to the lowest place holding them all."""

    compound: str | None = None
    community: str | None = None
    township: str | None = None
    city: str | None = None

    def ids(self) -> tuple[str, ...]:
        return tuple(v for v in (self.city, self.township, self.community, self.compound) if v)

    def at(self, level: str) -> str | None:
        value: str | None = getattr(self, level)
        return value


NOWHERE = Place()


def common_place(places: Sequence[Place]) -> Place:
    """The lowest place every one of ``places`` lies in (top-down, stopping at the first level
    where they differ)."""
    if not places:
        return NOWHERE
    if len(places) == 1:
        return places[0]
    kept: dict[str, str | None] = {}
    for level in reversed(LEVELS):
        values = {p.at(level) for p in places}
        if len(values) != 1:
            break
        kept[level] = values.pop()
    return Place(**kept)


class Membership(NamedTuple):
    """What the Party rules ask of every Party member, read from their MEMBER_OF links in one
    pass (see :meth:`Facts.memberships`)."""

    person: str
    #: a membership with status ``full`` (正式党员)
    full: bool
    #: a membership of category ``in_service`` (在职党员)
    in_service: bool
    #: a membership of a Party branch or group
    in_branch: bool


#: the organizations every member must belong to one of (rule P7)
_BRANCH_KINDS = frozenset(("PartyBranch", "PartyGroup"))


class Edge(NamedTuple):
    """A link seen from one end: the node at the other end, the link id and its attributes."""

    other: str
    id: str
    data: Mapping[str, Any]


_NO_EDGES: tuple[Edge, ...] = ()
_MISSING: Any = object()
#: what an index table holds per node: its one link as an :class:`Edge` (most nodes have one
#: link of a kind on a side: no tuple around it, ~56 bytes saved each), or a sorted tuple
Entry: TypeAlias = Edge | tuple[Edge, ...]
#: the table of a link kind no node has (never written)
_NONE: Mapping[str, Entry] = {}


def _edges(entry: Entry) -> tuple[Edge, ...]:
    """The links of an index entry as a tuple."""
    return (entry,) if isinstance(entry, Edge) else entry


#: the index of each frozen projection, built once however many analyses read it; a frozen graph
#: cannot change, and the entry goes when the graph does
_FACTS: weakref.WeakKeyDictionary[nx.MultiDiGraph, Facts] = weakref.WeakKeyDictionary()


def facts_of(graph: nx.MultiDiGraph) -> Facts:
    """The :class:`Facts` of ``graph``: shared for a frozen graph (what
    :class:`~govgraph.graph.analytics.cache.AnalyticsCache` hands out), fresh for a mutable one.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import tiny_city
    >>> g = nx.freeze(tiny_city())
    >>> facts_of(g) is facts_of(g), facts_of(tiny_city()) is facts_of(tiny_city())
    (True, False)
    """
    if not nx.is_frozen(graph):
        return Facts(graph)
    found = _FACTS.get(graph)
    if found is None:
        found = Facts(graph)
        keep_facts(graph, found)
    return found


def known_facts(graph: nx.MultiDiGraph) -> Facts | None:
    """The :class:`Facts` already built for the frozen ``graph``, if any."""
    return _FACTS.get(graph)


def keep_facts(graph: nx.MultiDiGraph, facts: Facts) -> None:
    """Make ``facts`` what :func:`facts_of` answers for the frozen ``graph`` (a patched index
    handed over with a write)."""
    facts._hold_weakly(graph)
    _FACTS[graph] = facts


class Facts:
    """An indexed, read-only view of a projection.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import tiny_city
    >>> f = Facts(tiny_city())
    >>> f.homes("p1"), f.place("p1").community, f.secretary("pb1"), f.chair("oc1")
    (['c1'], 'comm', 'p1', 'p1')
    >>> f.place("co1")  # a company rolls up to the compounds it manages
    Place(compound='c1', community='comm', township='town', city='city')
    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self._graph: nx.MultiDiGraph | None = graph
        self._weak: weakref.ref[nx.MultiDiGraph] | None = None
        # the graph's own dicts, not its views (each step through a view is a Python call)
        kinds = {n: str(d.get("kind", "")) for n, d in graph._node.items()}
        by_kind: dict[str, list[str]] = defaultdict(list)
        for n, k in kinds.items():
            by_kind[k].append(n)
        self._by_kind = {k: sorted(v) for k, v in by_kind.items()}
        # the tables below are layered over the previous version's in a patched index (see
        # patched() and _layers); the graph's own, read node by node, likewise (_patch.tables)
        self._nodes, self._succ, self._pred = tables(graph)
        self._kind: Table[str, str] = kinds
        #: link kind → node → its links of that kind (out of it / into it), one table per kind,
        #: both built in one pass over the graph's own successor dicts (its views add a Python
        #: call per item)
        out, into = _index_both(graph._succ)
        self._out: dict[str, Table[str, Entry]] = out
        self._in: dict[str, Table[str, Entry]] = into
        #: whole-graph answers computed once per index (see :meth:`memo`)
        self._memo: dict[Hashable, Any] = {}
        self._anchors: Memo[str, tuple[Place, ...]] = {}
        self._place: Memo[str, Place] = {}
        self._under: dict[str, frozenset[str]] = {}
        self._near: dict[str, frozenset[str]] = {}
        self._near_by_kind: dict[str, dict[str, list[str]]] = {}
        self._forget_kept()

    def _forget_kept(self) -> None:
        """Start without the answers kept per node (a new index, or a new version's)."""
        #: each person's home compounds and buildings, found once per index (P1, P6, P8 and
        #: the owners' rules all ask)
        self._homes: dict[str, list[str]] = {}
        self._home_buildings: dict[str, list[str]] = {}
        #: each body's posts (the Party rules, the owners' rules and the ties all ask)
        self._posts: dict[str, dict[str, str]] = {}
        self._members: dict[str, list[str]] = {}
        #: each unit's and building's compound (the people's homes and flats are read by
        #: P1, P6, P8, O4 and the coverage)
        self._compound: dict[str, str | None] = {}

    def patched(self, graph: nx.MultiDiGraph, touched: Collection[str]) -> Facts:
        """The index of ``graph``, a version of this one's graph in which only the nodes of
        ``touched`` changed (their attributes, existence or links; a deleted node's neighbours
        count as touched). Shares what did not change; this index is left as it was.

        Examples
        --------
        >>> from govgraph.graph.analytics.examples import tiny_city
        >>> g = tiny_city()
        >>> before = Facts(g)
        >>> g.add_node("px", kind="Person")
        >>> _ = g.add_edge("px", "pb1", key="px|MEMBER_OF|pb1", kind="MEMBER_OF", status="full")
        >>> after = before.patched(g, {"px", "pb1"})
        >>> "px" in after.members("pb1"), "px" in before.members("pb1"), after.ids("Person")[-1]
        (True, False, 'px')
        """
        new = object.__new__(Facts)
        new._graph, new._weak = graph, None
        nodes, succ, pred = tables(graph)
        new._nodes, new._succ, new._pred = nodes, succ, pred
        new._kind = Layered.over(self._kind)
        changed_kinds: set[str] = set()
        for n in touched:
            old_kind = self._kind.get(n)
            kind = str(nodes[n].get("kind", "")) if n in nodes else None
            if kind == old_kind:
                continue
            if old_kind is not None:
                changed_kinds.add(old_kind)
            if kind is None:
                new._kind.discard(n)
            else:
                new._kind[n] = kind
                changed_kinds.add(kind)
        new._by_kind = dict(self._by_kind)
        for k in changed_kinds:
            ids = list(self._by_kind.get(k, ()))
            for n in touched:
                i = bisect.bisect_left(ids, n)
                present = i < len(ids) and ids[i] == n
                if present and new._kind.get(n) != k:
                    del ids[i]
                elif not present and new._kind.get(n) == k:
                    ids.insert(i, n)
            new._by_kind[k] = ids
        new._out = _repatch(self._out, succ, touched)
        new._in = _repatch(self._in, pred, touched)
        new._memo = {}
        # a node's place follows its anchor links up to the places: whatever anchors through a
        # touched node, before or after the change, must find its place again
        stale = self._anchored_through(touched) | new._anchored_through(touched)
        new._anchors, new._place = Layered.over(self._anchors), Layered.over(self._place)
        for n in stale:
            new._anchors.discard(n)
            new._place.discard(n)
        new._under, new._near, new._near_by_kind = {}, {}, {}
        new._forget_kept()
        return new

    def _flatten(self) -> None:
        """Read plain tables from now on (a whole-graph pass: see :meth:`ids`), the graph's
        too (reading its dicts flattens a :class:`~._patch.Version`)."""
        graph = self.graph
        self._nodes, self._succ, self._pred = graph._node, graph._succ, graph._pred
        self._kind = flat(self._kind)
        self._out = {k: flat(t) for k, t in self._out.items()}
        self._in = {k: flat(t) for k, t in self._in.items()}
        self._anchors, self._place = flat(self._anchors), flat(self._place)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The projection this index was built for."""
        if self._graph is not None:
            return self._graph
        assert self._weak is not None
        found = self._weak()
        if found is None:  # dropped while this index was still in use
            found = self._shell
        return found

    def _hold_weakly(self, graph: nx.MultiDiGraph) -> None:
        """Keep ``graph`` by a weak reference (and its data dicts by strong ones).

        Why. The index of a frozen graph is kept in a weak-keyed map, as long as the graph
        lives; holding the graph strongly from there would keep every version alive forever
        (a value keeping its own key), and storing it on the graph would make a cycle that only
        the garbage collector frees (and never once frozen). A reader still using the index
        after the graph was dropped gets a frozen graph over the same data."""
        self._weak = weakref.ref(graph)
        self._rebuild = rebuild(graph)
        self._graph = None

    @property
    def _shell(self) -> nx.MultiDiGraph:
        return self._rebuild()

    def _anchored_through(self, nodes: Iterable[str]) -> set[str]:
        """``nodes`` and everything whose anchor links lead (at any depth) to one of them."""
        seen = set(nodes)
        todo = [n for n in seen if n in self._kind]
        while todo:
            n = todo.pop()
            for m in self._anchored_on(n):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    def _anchored_on(self, node_id: str) -> Iterator[str]:
        """The nodes that may anchor on ``node_id``: a link into it of a kind their own kind
        anchors by (:data:`ANCHORS`; PART_OF for the places)."""
        for link in _ANCHOR_LINKS:
            for e in _edges(self._in.get(link, _NONE).get(node_id, _NO_EDGES)):
                kind = self.kind(e.other)
                if (link == "PART_OF" and kind in _KIND_LEVEL) or link in _ANCHOR_OUT.get(kind, ()):
                    yield e.other

    # -- nodes and links --------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._kind

    def ids(self, kind: str) -> list[str]:
        """The ids of every node of ``kind``, sorted.

        Listing a kind holding more than ~1/64 of the nodes starts a whole-graph pass: a
        patched index flattens its layered tables first (a plain dict lookup is a C call, a
        layered one a Python call)."""
        found = self._by_kind.get(kind, [])
        kinds = self._kind
        if isinstance(kinds, Layered) and len(found) * 64 > len(kinds.base):
            self._flatten()
        return found

    def kind(self, node_id: str) -> str:
        return self._kind.get(node_id, "")

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per index and ``key``: a whole-graph answer several analyses
        share (an index is read-only, and a new version's index starts with none)."""
        found = self._memo.get(key, _MISSING)
        if found is _MISSING:
            found = self._memo[key] = compute()
        return found

    def having(self, kind: str, link: str) -> Sequence[str]:
        """The nodes of ``kind`` with at least one ``link`` out of them, sorted: what a
        whole-graph pass over ``kind`` that only looks at nodes with such a link needs (every
        person who is a Party member: ~15 % of the people), read from the link kind's table
        instead of by a lookup per node. Not to be modified (it is kept, see :meth:`memo`).

        Examples
        --------
        >>> from govgraph.graph.analytics.examples import tiny_city
        >>> f = Facts(tiny_city())
        >>> [p for p in f.ids("Person") if f.out_edges(p, "EMPLOYED_BY")] == f.having(
        ...     "Person", "EMPLOYED_BY")
        True
        """

        def compute() -> list[str]:
            if isinstance(self._out.get(link), Layered):
                self._flatten()  # a whole-graph pass, as in ids()
            kinds = self._kind
            return sorted(n for n in flat(self._out.get(link, _NONE)) if kinds.get(n) == kind)

        found: list[str] = self.memo(("having", kind, link), compute)
        return found

    def props(self, node_id: str) -> Mapping[str, Any]:
        data: Mapping[str, Any] = self._nodes[node_id]
        return data

    def name(self, node_id: str) -> str | None:
        """The display name; None for people (their names are personal data) and unnamed nodes."""
        if self.kind(node_id) == "Person":
            return None
        value = self._nodes[node_id].get("name") if node_id in self._kind else None
        return value if isinstance(value, str) else None

    def kind_and_name(self, node_id: str) -> tuple[str, str | None]:
        """:meth:`kind` and :meth:`name` in one lookup (every finding asks both)."""
        kind = self._kind.get(node_id)
        if kind is None:
            return "", None
        if kind == "Person":
            return kind, None
        value = self._nodes[node_id].get("name")
        return kind, value if isinstance(value, str) else None

    def label(self, node_id: str) -> str:
        return self.name(node_id) or node_id

    def out_edges(self, node_id: str, link: str, kind: str | None = None) -> tuple[Edge, ...]:
        edges = _edges(self._out.get(link, _NONE).get(node_id, _NO_EDGES))
        if kind is None or _ONLY_TARGET.get(link) == kind:
            return edges
        return tuple(e for e in edges if self.kind(e.other) == kind)

    def in_edges(self, node_id: str, link: str, kind: str | None = None) -> tuple[Edge, ...]:
        edges = _edges(self._in.get(link, _NONE).get(node_id, _NO_EDGES))
        if kind is None or _ONLY_SOURCE.get(link) == kind:
            return edges
        return tuple(e for e in edges if self.kind(e.other) == kind)

    def out(self, node_id: str, link: str, kind: str | None = None) -> list[str]:
        """The distinct nodes ``node_id`` links to by ``link`` (of ``kind``), sorted."""
        if kind is not None and _ONLY_TARGET.get(link) == kind:
            kind = None  # the ontology allows no other kind there (the stores check it)
        return self._ends(self._out.get(link, _NONE).get(node_id, _NO_EDGES), kind)

    def into(self, node_id: str, link: str, kind: str | None = None) -> list[str]:
        """The distinct nodes linking to ``node_id`` by ``link`` (of ``kind``), sorted."""
        if kind is not None and _ONLY_SOURCE.get(link) == kind:
            kind = None
        return self._ends(self._in.get(link, _NONE).get(node_id, _NO_EDGES), kind)

    def _ends(self, edges: Entry, kind: str | None) -> list[str]:
        # most (node, link) pairs hold one link or none: skip the set and the sort for them
        if isinstance(edges, Edge):
            other = edges.other
            return [other] if kind is None or self._kind.get(other, "") == kind else []
        if not edges:
            return []
        if kind is None:
            return _unique(e.other for e in edges)
        return _unique(e.other for e in edges if self._kind.get(e.other, "") == kind)

    # -- places -----------------------------------------------------------------------------------
    def compound_of(self, node_id: str) -> str | None:
        """The compound of a compound, building or unit (kept once found)."""
        found = self._compound.get(node_id, _MISSING)
        if found is _MISSING:
            found = self._compound[node_id] = self._find_compound(node_id)
        return found  # type: ignore[no-any-return]

    def _find_compound(self, node_id: str) -> str | None:
        kind = self._kind.get(node_id, "")
        if kind == "Compound":
            return node_id
        if kind in {"Building", "Unit"}:
            entry = self._out.get("PART_OF", _NONE).get(node_id, _NO_EDGES)
            if isinstance(entry, Edge):  # most buildings and units are part of one thing
                return self.compound_of(entry.other)
            for up in _unique(e.other for e in entry):
                found = self.compound_of(up)
                if found:
                    return found
        return None

    def building_of(self, node_id: str) -> str | None:
        kind = self._kind.get(node_id, "")
        if kind == "Building":
            return node_id
        if kind == "Unit":
            entry = self._out.get("PART_OF", _NONE).get(node_id, _NO_EDGES)
            if isinstance(entry, Edge):
                return entry.other if self._kind.get(entry.other) == "Building" else None
            return next(iter(self._ends(entry, "Building")), None)
        return None

    def buildings(self, compound: str) -> list[str]:
        return self.into(compound, "PART_OF", "Building")

    def units(self, building: str) -> list[str]:
        return self.into(building, "PART_OF", "Unit")

    def place(self, node_id: str) -> Place:
        """Where ``node_id`` rolls up to (computed once per node)."""
        found = self._place.get(node_id)
        if found is None:
            found = self._place[node_id] = common_place(self.anchors(node_id))
        return found

    def anchors(self, node_id: str) -> tuple[Place, ...]:
        """Every place ``node_id`` sits in (a joint branch: one per compound it covers)."""
        return self._anchors_of(node_id, frozenset())

    def _anchors_of(self, node_id: str, seen: frozenset[str]) -> tuple[Place, ...]:
        cached = self._anchors.get(node_id)
        if cached is not None:
            return cached
        kind = self.kind(node_id)
        level = _KIND_LEVEL.get(kind)
        result: tuple[Place, ...] = ()
        if level is not None:
            result = (self._chain(node_id),)
        elif node_id not in seen:
            for link, direction in ANCHORS.get(kind, ()):
                ends = self.out(node_id, link) if direction == "out" else self.into(node_id, link)
                found = [p for e in ends for p in self._anchors_of(e, seen | {node_id})]
                if found:
                    result = tuple(dict.fromkeys(found))
                    break
        # the ontology's endpoint kinds make the anchor links acyclic (they all point up, towards
        # places); ``seen`` only guards against malformed data, so every answer is kept
        self._anchors[node_id] = result
        return result

    def _chain(self, place_id: str) -> Place:
        values: dict[str, str] = {}
        current: str | None = place_id
        while current is not None and _KIND_LEVEL.get(self.kind(current)) not in values:
            level = _KIND_LEVEL.get(self.kind(current))
            if level is None:
                break
            values[level] = current
            parents = [p for p in self.out(current, "PART_OF") if self.kind(p) in _KIND_LEVEL]
            current = parents[0] if parents else None
        return Place(**values)

    def in_scope(self, node_id: str, scope: str | None) -> bool:
        """True when ``scope`` is None or ``node_id`` sits (at least partly) under it."""
        return scope is None or any(scope in p.ids() for p in self.anchors(node_id))

    def under(self, scope: str) -> frozenset[str]:
        """Every node under ``scope`` (``in_scope``), found from the scope down its anchor links
        rather than by testing every node: it costs the scope, not the city.

        Examples
        --------
        >>> from govgraph.graph.analytics.examples import tiny_city
        >>> f = Facts(tiny_city())
        >>> all(f.in_scope(n, "c2") == (n in f.under("c2")) for n in f.graph)
        True
        """
        found = self._under.get(scope)
        if found is None:
            # whatever sits under the scope anchors on something under it (or on the scope),
            # so walking the anchor links backwards from it through nodes under it finds all
            inside = {scope} if self.in_scope(scope, scope) else set()
            todo = list(inside)
            while todo:
                n = todo.pop()
                for m in self._anchored_on(n):
                    if m not in inside and self.in_scope(m, scope):
                        inside.add(m)
                        todo.append(m)
            found = self._under[scope] = frozenset(inside)
        return found

    def near(self, scope: str) -> frozenset[str]:
        """The nodes under ``scope`` and their neighbours (one link away, either direction): the
        subjects a rule must look at to find everything it would report under the scope."""
        found = self._near.get(scope)
        if found is None:
            inside = self.under(scope)
            out: set[str] = set(inside)
            succ, pred = self._succ, self._pred
            for n in inside:
                out.update(succ[n])
                out.update(pred[n])
            found = self._near[scope] = frozenset(out)
        return found

    def subjects(self, kind: str, scope: str | None = None) -> list[str]:
        """The ids of ``kind`` a rule evaluated under ``scope`` must look at (sorted): every one
        without a scope, else those :meth:`near` it."""
        if scope is None:
            return self.ids(kind)
        by_kind = self._near_by_kind.get(scope)
        if by_kind is None:  # one pass for every kind: each rule asks for several
            grouped: dict[str, list[str]] = defaultdict(list)
            kinds = self._kind
            for n in self.near(scope):
                grouped[kinds.get(n, "")].append(n)
            by_kind = self._near_by_kind[scope] = {k: sorted(v) for k, v in grouped.items()}
        return list(by_kind.get(kind, ()))

    def check_scope(self, scope: str | None) -> None:
        """Raise unless ``scope`` is None or the id of a city, township, community or compound."""
        if scope is None:
            return
        if scope not in self._kind:
            raise NotFoundError("scope", [scope])
        if self.kind(scope) not in _KIND_LEVEL:
            raise ValidationError(
                Problem(
                    "scope", "kind", self.kind(scope), "a City, Township, Community or Compound"
                )
            )

    def compounds(self, scope: str | None = None) -> list[str]:
        """The compounds under ``scope`` (all without one), sorted; found by walking the place
        hierarchy down from the scope, which visits places only."""
        if scope is None:
            return self.ids("Compound")
        inside = {scope} if self.in_scope(scope, scope) else set()
        todo = list(inside)
        while todo:
            for e in _edges(self._in.get("PART_OF", _NONE).get(todo.pop(), _NO_EDGES)):
                m = e.other
                if m not in inside and self.kind(m) in _KIND_LEVEL and self.in_scope(m, scope):
                    inside.add(m)
                    todo.append(m)
        return sorted(c for c in inside if self._kind.get(c) == "Compound")

    # -- people -----------------------------------------------------------------------------------
    def homes(self, person: str) -> list[str]:
        """The compounds ``person`` lives in (RESIDES_IN a unit, a building or a compound).
        Not to be modified (it is kept)."""
        found = self._homes.get(person)
        if found is None:
            found = self._homes[person] = self._ends_via(person, "RESIDES_IN", self.compound_of)
        return found

    def home_buildings(self, person: str) -> list[str]:
        """The buildings ``person`` lives in (or in one of their units). Not to be modified."""
        found = self._home_buildings.get(person)
        if found is None:
            found = self._home_buildings[person] = self._ends_via(
                person, "RESIDES_IN", self.building_of
            )
        return found

    def owned_compounds(self, person: str) -> list[str]:
        return self._ends_via(person, "OWNS", self.compound_of)

    def _ends_via(self, node_id: str, link: str, up: Callable[[str], str | None]) -> list[str]:
        """The distinct ``up(other)`` of the ``link`` links out of ``node_id`` (None left out),
        sorted; most people have one home: no set, no sort for them."""
        entry = self._out.get(link, _NONE).get(node_id, _NO_EDGES)
        if isinstance(entry, Edge):
            found = up(entry.other)
            return [found] if found else []
        return _unique(found for e in entry if (found := up(e.other)))

    def is_member(self, person: str, *, probationary: bool = True) -> bool:
        """A Party member: a MEMBER_OF link to any Party organization (one without a status, as
        in a pseudonymized view, counts too)."""
        entry = self._out.get("MEMBER_OF", _NONE).get(person, _NO_EDGES)
        if probationary:
            return bool(entry)  # an Edge is a non-empty tuple
        return any(e.data.get("status", "full") == "full" for e in _edges(entry))

    def is_full_member(self, person: str) -> bool:
        """A full (正式) Party member: a MEMBER_OF link whose status is ``full``."""
        return self.has_link_with(person, "MEMBER_OF", "status", "full")

    def memberships(self, people: Iterable[str]) -> list[Membership]:
        """A :class:`Membership` for each of ``people`` with a MEMBER_OF link, in order.

        Why. P1, P6, P7 and P8 each look at every Party member; reading each member's links
        once for all of them, instead of once per rule and question, saves repeating the same
        walk over the largest group of people the rules look at.

        Examples
        --------
        >>> from govgraph.graph.analytics.examples import tiny_city
        >>> f = Facts(tiny_city())
        >>> [tuple(m) for m in f.memberships(["p7", "p8", "c1"])]  # c1: no membership
        [('p7', False, True, True), ('p8', True, False, False)]
        """
        table = self._out.get("MEMBER_OF", _NONE)
        kind = self._kind.get
        out: list[Membership] = []
        for p in people:
            entry = table.get(p)
            if not entry:
                continue
            full = in_service = in_branch = False
            for e in _edges(entry):
                data = e.data
                full = full or data.get("status") == "full"
                in_service = in_service or data.get("category") == "in_service"
                in_branch = in_branch or kind(e.other) in _BRANCH_KINDS
            out.append(Membership(p, full, in_service, in_branch))
        return out

    def has_link_with(self, node_id: str, link: str, prop: str, value: Any) -> bool:
        """True when a ``link`` out of ``node_id`` has ``prop`` equal to ``value`` (asked of
        every Party member by several rules: one lookup, no tuple for the usual one link)."""
        entry = self._out.get(link, _NONE).get(node_id, _NO_EDGES)
        if isinstance(entry, Edge):
            return bool(entry.data.get(prop) == value)
        for e in entry:  # noqa: SIM110 (a loop, not any(): no generator made per person)
            if e.data.get(prop) == value:
                return True
        return False

    def members(self, org: str) -> list[str]:
        """The members of a Party organization; for a branch, its groups' members too. Not to
        be modified (it is kept: P3, P4 and P6 ask for every branch's)."""
        found = self._members.get(org)
        if found is None:
            kind = self._kind.get(org)
            groups = self.into(org, "PART_OF", "PartyGroup") if kind == "PartyBranch" else []
            found = self._members[org] = _unique(
                p for o in (org, *groups) for p in self.into(o, "MEMBER_OF", "Person")
            )
        return found

    # -- bodies -----------------------------------------------------------------------------------
    def posts(self, body: str) -> dict[str, str]:
        """person → role for the posts held in ``body`` (the senior role if several). Not to be
        modified (it is kept)."""
        out = self._posts.get(body)
        if out is not None:
            return out
        out = self._posts[body] = {}
        for e in self.in_edges(body, "HOLDS_POST", "Person"):
            role = str(e.data.get("role", ""))
            if e.other not in out or _rank(role) < _rank(out[e.other]):
                out[e.other] = role
        return out

    def branch_committee(self, branch: str) -> dict[str, str]:
        """person → role on the branch committee (secretary, deputy, committee members)."""
        return {p: r for p, r in self.posts(branch).items() if r in BRANCH_COMMITTEE_ROLES}

    def holder(self, body: str, role: str) -> str | None:
        return next((p for p, r in self.posts(body).items() if r == role), None)

    def secretary(self, branch: str) -> str | None:
        return self.holder(branch, "secretary")

    def chair(self, committee: str) -> str | None:
        return self.holder(committee, "chair")

    def seats(self, committee: str) -> dict[str, str]:
        """person → role on an owners' committee. Not to be modified."""
        return self.posts(committee)

    def branches_of(self, compound: str) -> list[str]:
        return self.into(compound, "COVERS", "PartyBranch")

    def committees_of(self, compound: str) -> list[str]:
        return self.into(compound, "REPRESENTS", "OwnersCommittee")

    def managers(self, compound: str) -> list[str]:
        return self.into(compound, "MANAGES")

    def stations(self, place: str) -> list[str]:
        return self.into(place, "SERVES", "ServiceStation")

    def groups_covering(self, building: str) -> list[str]:
        """The Party groups covering ``building`` or one of its units."""
        targets = [building, *self.units(building)]
        return _unique(g for t in targets for g in self.into(t, "COVERS", "PartyGroup"))

    def grouped_buildings(self) -> frozenset[str]:
        """Every node :meth:`groups_covering` finds a group for: read from the groups' own
        COVERS links (one group for ~10 buildings), kept with the index.

        Examples
        --------
        >>> from govgraph.graph.analytics.examples import tiny_city
        >>> f = Facts(tiny_city())
        >>> sorted(f.grouped_buildings()) == [b for b in f.ids("Building") if f.groups_covering(b)]
        True
        """

        def compute() -> frozenset[str]:
            kinds = self._kind
            out: set[str] = set()
            for g in self.ids("PartyGroup"):
                for e in self.out_edges(g, "COVERS"):
                    out.add(e.other)  # the building itself (or anything it covers)
                    if kinds.get(e.other) == "Unit":  # and the buildings a unit is part of
                        out.update(up.other for up in self.out_edges(e.other, "PART_OF"))
            return frozenset(out)

        found: frozenset[str] = self.memo("grouped_buildings", compute)
        return found

    def group_covers(self, scope: str | None) -> Callable[[str], bool]:
        """Whether a Party group covers a building (:meth:`groups_covering`): on the whole
        graph read from :meth:`grouped_buildings` (a tenth of the lookups), under a scope one
        building at a time (the scope's cost, not the city's)."""
        if scope is None:
            return self.grouped_buildings().__contains__
        return lambda building: bool(self.groups_covering(building))


#: link kind → the one node kind the ontology allows at its source / target, where it allows
#: one (every MEMBER_OF starts at a Person): a filter by that kind keeps everything
_ONLY_SOURCE = {
    k.name: next(iter(ends))
    for k in LINK_KINDS.values()
    if len(ends := {s for s, _ in k.endpoints}) == 1
}
_ONLY_TARGET = {
    k.name: next(iter(ends))
    for k in LINK_KINDS.values()
    if len(ends := {t for _, t in k.endpoints}) == 1
}

#: the link kinds anchors follow, and per node kind the ones it anchors by
_ANCHOR_OUT: dict[str, frozenset[str]] = {
    kind: frozenset(link for link, _ in ways) for kind, ways in ANCHORS.items()
}
_ANCHOR_LINKS = tuple(
    sorted({"PART_OF", *(link for ways in _ANCHOR_OUT.values() for link in ways)})
)


def _index(
    adjacency: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, Table[str, Entry]]:
    """link kind → node → the links of that kind on one side of the node, sorted by the node
    at the other end and the link id.

    One table per link kind rather than one keyed by (node, kind): no key tuple per entry
    (~56 bytes each, ~0.6 million entries at 1,000 compounds), and a whole-graph pass can
    read every node with a kind of link (:meth:`Facts.having`)."""
    grouped: dict[str, Any] = {}
    #: the entries holding more than one link: made lists, sorted into tuples at the end (most
    #: entries hold one link, stored as it is: see :data:`Entry`)
    several: list[tuple[dict[str, Any], str]] = []
    make = tuple.__new__  # Edge(...) goes through a Python-level __new__; this is one C call
    for n, nbrs in adjacency.items():
        for other, keys in nbrs.items():
            for key, d in keys.items():
                kind = d["kind"]
                table = grouped.get(kind)
                if table is None:
                    table = grouped[kind] = {}
                edges = table.get(n)
                if edges is None:
                    table[n] = make(Edge, (other, key, d))
                elif type(edges) is Edge:
                    table[n] = [edges, make(Edge, (other, key, d))]
                    several.append((table, n))
                else:
                    edges.append(make(Edge, (other, key, d)))
    # (other, id) is unique per side of a node, so tuple order never compares the data
    for table, n in several:
        table[n] = tuple(sorted(table[n]))
    return grouped


def _index_both(
    succ: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> tuple[dict[str, Table[str, Entry]], dict[str, Table[str, Entry]]]:
    """:func:`_index` of the successors and of the predecessors, in one pass over the links
    (the same tables as two passes: every entry is sorted)."""
    out: dict[str, Any] = {}
    into: dict[str, Any] = {}
    several: list[tuple[dict[str, Any], str]] = []
    make = tuple.__new__
    for n, nbrs in succ.items():
        for other, keys in nbrs.items():
            for key, d in keys.items():
                kind = d["kind"]
                table = out.get(kind)
                if table is None:
                    table = out[kind] = {}
                    into[kind] = {}
                edges = table.get(n)
                if edges is None:
                    table[n] = make(Edge, (other, key, d))
                elif type(edges) is Edge:
                    table[n] = [edges, make(Edge, (other, key, d))]
                    several.append((table, n))
                else:
                    edges.append(make(Edge, (other, key, d)))
                table = into[kind]
                edges = table.get(other)
                if edges is None:
                    table[other] = make(Edge, (n, key, d))
                elif type(edges) is Edge:
                    table[other] = [edges, make(Edge, (n, key, d))]
                    several.append((table, other))
                else:
                    edges.append(make(Edge, (n, key, d)))
    for table, n in several:
        table[n] = tuple(sorted(table[n]))
    return out, into


def _repatch(
    index: Mapping[str, Table[str, Entry]],
    adjacency: Table[str, Adjacency],
    touched: Collection[str],
) -> dict[str, Table[str, Entry]]:
    """``index`` (from :func:`_index`) with the entries of the ``touched`` nodes rebuilt from
    ``adjacency``: a layer over each kind's table, ``index`` is left as it was."""
    fresh = _index({n: adjacency[n] for n in touched if n in adjacency})
    out: dict[str, Table[str, Entry]] = {}
    for kind in {*index, *fresh}:
        table = Layered.over(index.get(kind, _NONE))
        for n in touched:
            table.discard(n)
        table.update(flat(fresh.get(kind, _NONE)))
        out[kind] = table
    return out


def _rank(role: str) -> int:
    return _ROLE_RANK.get(role, 2)


def _unique(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


class Conflict(NamedTuple):
    """A committee member employed by the company that manages the compound (rule O5)."""

    person: str
    committee: str
    compound: str
    company: str
    seat_role: str
    job_role: str


class CrossAppointment(NamedTuple):
    """Who sits on a compound's owners' committee and holds a post in its branch."""

    compound: str
    committees: list[str]
    branches: list[str]
    #: person → role on the committee(s)
    seats: dict[str, str]
    #: the seat holders who also hold a post in a branch covering the compound
    cross: list[str]
    secretaries: list[str]
    chairs: list[str]

    @property
    def rate(self) -> float | None:
        return len(self.cross) / len(self.seats) if self.seats else None

    @property
    def secretary_chairs(self) -> bool:
        return bool(set(self.secretaries) & set(self.chairs))


def conflicts(f: Facts, committees: Iterable[str] | None = None) -> list[Conflict]:
    """Every committee member employed by a company that manages the committee's compound
    (of ``committees``, default every owners' committee)."""
    out: list[Conflict] = []
    for oc in f.ids("OwnersCommittee") if committees is None else committees:
        seats = f.seats(oc)
        for compound in f.out(oc, "REPRESENTS", "Compound"):
            companies = set(f.into(compound, "MANAGES", "PropertyCompany"))
            for person, role in seats.items():
                for e in f.out_edges(person, "EMPLOYED_BY"):
                    if e.other in companies:
                        job = str(e.data.get("role", ""))
                        out.append(Conflict(person, oc, compound, e.other, role, job))
    return out


def cross_appointment(f: Facts, compound: str) -> CrossAppointment:
    """The cross-appointment of ``compound``: its committees' seats against its branches' posts."""
    committees = f.committees_of(compound)
    branches = f.branches_of(compound)
    seats: dict[str, str] = {}
    for oc in committees:
        for person, role in f.seats(oc).items():
            if person not in seats or _rank(role) < _rank(seats[person]):
                seats[person] = role
    holders = {p for b in branches for p in f.branch_committee(b)}
    return CrossAppointment(
        compound=compound,
        committees=committees,
        branches=branches,
        seats=seats,
        cross=sorted(set(seats) & holders),
        secretaries=_unique(s for b in branches if (s := f.secretary(b))),
        chairs=_unique(c for oc in committees if (c := f.chair(oc))),
    )


def in_service(f: Facts, person: str) -> bool:
    """True for an in-service (在职) Party member: a MEMBER_OF link of category in_service."""
    return f.has_link_with(person, "MEMBER_OF", "category", "in_service")


def employer_of(f: Facts, person: str) -> str:
    """The person's employer: the ``employer`` property, else the companies employing them."""
    named = f.props(person).get("employer")
    if isinstance(named, str) and named:
        return named
    return "、".join(f.label(c) for c in f.out(person, "EMPLOYED_BY")) or "?"
