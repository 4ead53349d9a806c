"""An index over one projection: adjacency by link kind, the place hierarchy, the domain lookups
every analysis needs (who lives where, who sits on which body, which branch covers a compound).

Internal to :mod:`govgraph.graph.analytics`. Built once per projection (one pass over the links)
and shared by the rules, the coverage roll-ups and the tie analyses, so a fact such as "the
compound a person lives in" is computed in one place. It never filters by date: it reads the
projection it is given (see :func:`~govgraph.graph.analytics.projection.at`).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import networkx as nx

from ..errors import NotFoundError, Problem, ValidationError

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


class Edge(NamedTuple):
    """A link seen from one end: the node at the other end, the link id and its attributes."""

    other: str
    id: str
    data: Mapping[str, Any]


_NO_EDGES: tuple[Edge, ...] = ()

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
        found = _FACTS[graph] = Facts(graph)
    return found


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
        self.graph = graph
        self._kind: dict[str, str] = {n: str(d.get("kind", "")) for n, d in graph.nodes(data=True)}
        by_kind: dict[str, list[str]] = defaultdict(list)
        for n, k in self._kind.items():
            by_kind[k].append(n)
        self._by_kind = {k: sorted(v) for k, v in by_kind.items()}
        out: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        into: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for u, v, key, d in graph.edges(keys=True, data=True):
            out[(u, d["kind"])].append(Edge(v, key, d))
            into[(v, d["kind"])].append(Edge(u, key, d))
        self._out = {k: tuple(sorted(v, key=lambda e: (e.other, e.id))) for k, v in out.items()}
        self._in = {k: tuple(sorted(v, key=lambda e: (e.other, e.id))) for k, v in into.items()}
        self._anchors: dict[str, tuple[Place, ...]] = {}
        self._place: dict[str, Place] = {}

    # -- nodes and links --------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._kind

    def ids(self, kind: str) -> list[str]:
        """The ids of every node of ``kind``, sorted."""
        return self._by_kind.get(kind, [])

    def kind(self, node_id: str) -> str:
        return self._kind.get(node_id, "")

    def props(self, node_id: str) -> Mapping[str, Any]:
        data: Mapping[str, Any] = self.graph.nodes[node_id]
        return data

    def name(self, node_id: str) -> str | None:
        """The display name; None for people (their names are personal data) and unnamed nodes."""
        if self.kind(node_id) == "Person":
            return None
        value = self.graph.nodes[node_id].get("name") if node_id in self._kind else None
        return value if isinstance(value, str) else None

    def label(self, node_id: str) -> str:
        return self.name(node_id) or node_id

    def out_edges(self, node_id: str, link: str, kind: str | None = None) -> tuple[Edge, ...]:
        edges = self._out.get((node_id, link), _NO_EDGES)
        return edges if kind is None else tuple(e for e in edges if self.kind(e.other) == kind)

    def in_edges(self, node_id: str, link: str, kind: str | None = None) -> tuple[Edge, ...]:
        edges = self._in.get((node_id, link), _NO_EDGES)
        return edges if kind is None else tuple(e for e in edges if self.kind(e.other) == kind)

    def out(self, node_id: str, link: str, kind: str | None = None) -> list[str]:
        """The distinct nodes ``node_id`` links to by ``link`` (of ``kind``), sorted."""
        return _unique(e.other for e in self.out_edges(node_id, link, kind))

    def into(self, node_id: str, link: str, kind: str | None = None) -> list[str]:
        """The distinct nodes linking to ``node_id`` by ``link`` (of ``kind``), sorted."""
        return _unique(e.other for e in self.in_edges(node_id, link, kind))

    # -- places -----------------------------------------------------------------------------------
    def compound_of(self, node_id: str) -> str | None:
        """The compound of a compound, building or unit."""
        kind = self.kind(node_id)
        if kind == "Compound":
            return node_id
        if kind in ("Building", "Unit"):
            for up in self.out(node_id, "PART_OF"):
                found = self.compound_of(up)
                if found:
                    return found
        return None

    def building_of(self, node_id: str) -> str | None:
        kind = self.kind(node_id)
        if kind == "Building":
            return node_id
        if kind == "Unit":
            return next(iter(self.out(node_id, "PART_OF", "Building")), None)
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
        return [c for c in self.ids("Compound") if self.in_scope(c, scope)]

    # -- people -----------------------------------------------------------------------------------
    def homes(self, person: str) -> list[str]:
        """The compounds ``person`` lives in (RESIDES_IN a unit, a building or a compound)."""
        return _unique(
            c for e in self.out_edges(person, "RESIDES_IN") if (c := self.compound_of(e.other))
        )

    def home_buildings(self, person: str) -> list[str]:
        return _unique(
            b for e in self.out_edges(person, "RESIDES_IN") if (b := self.building_of(e.other))
        )

    def owned_compounds(self, person: str) -> list[str]:
        return _unique(
            c for e in self.out_edges(person, "OWNS") if (c := self.compound_of(e.other))
        )

    def is_member(self, person: str, *, probationary: bool = True) -> bool:
        """A Party member: a MEMBER_OF link to any Party organization (one without a status, as
        in a pseudonymized view, counts too)."""
        return any(
            probationary or e.data.get("status", "full") == "full"
            for e in self.out_edges(person, "MEMBER_OF")
        )

    def is_full_member(self, person: str) -> bool:
        """A full (正式) Party member: a MEMBER_OF link whose status is ``full``."""
        return any(e.data.get("status") == "full" for e in self.out_edges(person, "MEMBER_OF"))

    def members(self, org: str) -> list[str]:
        """The members of a Party organization; for a branch, its groups' members too."""
        groups = self.into(org, "PART_OF", "PartyGroup") if self.kind(org) == "PartyBranch" else []
        return _unique(p for o in (org, *groups) for p in self.into(o, "MEMBER_OF", "Person"))

    # -- bodies -----------------------------------------------------------------------------------
    def posts(self, body: str) -> dict[str, str]:
        """person → role for the posts held in ``body`` (the senior role if several)."""
        out: dict[str, str] = {}
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
        """person → role on an owners' committee."""
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


def conflicts(f: Facts) -> list[Conflict]:
    """Every committee member employed by a company that manages the committee's compound."""
    out: list[Conflict] = []
    for oc in f.ids("OwnersCommittee"):
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
    return any(e.data.get("category") == "in_service" for e in f.out_edges(person, "MEMBER_OF"))


def employer_of(f: Facts, person: str) -> str:
    """The person's employer: the ``employer`` property, else the companies employing them."""
    named = f.props(person).get("employer")
    if isinstance(named, str) and named:
        return named
    return "、".join(f.label(c) for c in f.out(person, "EMPLOYED_BY")) or "?"
