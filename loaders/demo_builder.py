"""The Huairen demo's records under construction and the primitives every step adds them with.

:class:`DemoBuilder` holds the city as it grows (places, people, branches, bodies) and the one
``random.Random`` every choice is drawn from; each ``demo_*`` module adds one part of the city,
in the order :func:`.demo.build_demo` calls them. Nodes and links are kept in insertion-ordered
dicts, so the same seed gives the same records in the same order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..graph.model import Link, Node, link, node
from . import records
from .demo_figures import PERIOD_START, SECRETARY_CHANGE, SOURCE


# records are compared by identity (eq=False): two units with equal fields are still two units
@dataclass(slots=True, eq=False)
class UnitDraft:
    id: str
    building: str
    compound: str
    owner: str = ""
    bought: dt.date = PERIOD_START
    residents: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class BuildingDraft:
    id: str
    compound: str
    units: list[UnitDraft] = field(default_factory=list)

    def residents(self) -> list[str]:
        return [r for u in self.units for r in u.residents]


@dataclass(slots=True, eq=False)
class CompoundDraft:
    id: str
    name: str
    community: int
    is_old: bool
    built_year: int
    households: int
    buildings: list[BuildingDraft] = field(default_factory=list)
    branch: str = ""
    oc: str = ""
    manager: str = ""  # the body that MANAGES it now ("" for none)
    mode: str = ""  # for old compounds: one of MANAGE_MODES, or "" for no service

    def units(self) -> list[UnitDraft]:
        return [u for b in self.buildings for u in b.units]

    def residents(self) -> list[str]:
        return [r for b in self.buildings for r in b.residents()]


@dataclass(slots=True, eq=False)
class PersonDraft:
    id: str
    props: dict[str, Any]
    unit: UnitDraft | None = None  # where they live
    moved_in: dt.date = PERIOD_START
    owns: list[UnitDraft] = field(default_factory=list)
    branch: str = ""  # the branch they belong to now
    status: str = ""  # Party status; "" for people who are not Party members
    category: str = ""
    posts: list[str] = field(default_factory=list)  # bodies where they hold a post
    seats: list[str] = field(default_factory=list)  # owners' committees where they sit
    employer_company: str = ""

    @property
    def compound(self) -> str:
        return self.unit.compound if self.unit else ""

    @property
    def building(self) -> str:
        return self.unit.building if self.unit else ""

    @property
    def owner_occupier(self) -> bool:
        return self.unit is not None and self.unit in self.owns


@dataclass(slots=True, eq=False)
class BranchDraft:
    id: str
    form: str
    compounds: list[str]
    community: int
    founded: dt.date
    name: str = ""
    members: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    group_buildings: list[str] = field(default_factory=list)
    committee: list[str] = field(default_factory=list)  # current post holders, secretary first
    former_secretary: str = ""  # replaced on SECRETARY_CHANGE

    @property
    def secretary(self) -> str:
        return self.committee[0] if self.committee else ""

    def secretary_on(self, day: dt.date) -> str:
        if self.former_secretary and day < SECRETARY_CHANGE:
            return self.former_secretary
        return self.secretary


class DemoBuilder:
    """Accumulates the demo graph (a :class:`.records.Recorder`); see the module docstring."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.nodes: dict[str, tuple[str, dict[str, Any]]] = {}
        self.links: dict[str, tuple[str, str, str, dict[str, Any]]] = {}
        self.persons: dict[str, PersonDraft] = {}
        self.compounds: list[CompoundDraft] = []
        self.cmp: dict[str, CompoundDraft] = {}
        self.bld: dict[str, BuildingDraft] = {}
        self.branches: list[BranchDraft] = []
        self.br: dict[str, BranchDraft] = {}
        self.communities: list[str] = []
        self.townships: list[str] = []
        self.party_committees: list[str] = []
        self.companies: list[str] = []
        self.staff: dict[str, list[str]] = {}  # company → employees
        self.oc_seats: dict[str, list[tuple[str, str]]] = {}  # oc → (person, role), chair first
        self.oc_elected: dict[str, dt.date] = {}
        self.officials: dict[str, list[str]] = {}  # body → post holders, head first
        self.grades: dict[str, str] = {}  # company → 2021 grade
        self.replaced: list[CompoundDraft] = []  # compounds whose company was replaced in 2021
        self._person_seq = 0
        self._meeting_seq = 0

    # -- the Recorder --------------------------------------------------------------------------
    def node(self, kind: str, nid: str, /, **props: Any) -> str:
        assert nid not in self.nodes, nid
        self.nodes[nid] = (kind, {k: v for k, v in props.items() if v is not None})
        return nid

    def link(self, kind: str, source: str, target: str, /, **props: Any) -> None:
        lid = "|".join([source, kind, target])
        assert lid not in self.links, lid
        self.links[lid] = (kind, source, target, {k: v for k, v in props.items() if v is not None})

    def post(self, person: str, body: str, role: str, since: dt.date, /) -> None:
        """A post the person holds now (a post that ended is written with :meth:`link`)."""
        self.persons[person].posts.append(body)
        self.link("HOLDS_POST", person, body, role=role, since=since)

    # -- draws ---------------------------------------------------------------------------------
    def day(self, start: dt.date, end: dt.date) -> dt.date:
        """A random day between ``start`` and ``end``, both included."""
        return records.random_day(self.rng, start, end)

    def person(self, *, staff: bool = False, born: tuple[int, int] = (1940, 2003)) -> PersonDraft:
        """A new synthetic person: 示例居民NNNN or 示例工作人员NNNN, phone 000-0000-NNNN."""
        self._person_seq += 1
        n = self._person_seq
        assert n < 10_000
        label = records.person_label("示例", staff)
        props = records.person_props(self.rng, f"{label}{n:04d}", f"000-0000-{n:04d}", born)
        p = PersonDraft(f"person-{n:04d}", props)
        self.persons[p.id] = p
        return p

    def meeting(self, kind: str, host: str, day: dt.date, attendees: Sequence[str] = ()) -> str:
        self._meeting_seq += 1
        mid = f"mtg-{self._meeting_seq:04d}"
        return records.meeting(self, self.rng, mid, kind, host, day=day, who=attendees)

    # -- questions several parts ask -----------------------------------------------------------
    def name_of(self, nid: str) -> str:
        return str(self.nodes[nid][1]["name"])

    def lives_owning(self, pid: str, compound: str) -> bool:
        """Whether the person lives in ``compound`` in a unit they own."""
        p = self.persons[pid]
        return p.compound == compound and p.owner_occupier

    # -- output --------------------------------------------------------------------------------
    def result(self) -> tuple[list[Node], list[Link]]:
        """Validated records: every node and link carries the demo ``source``."""
        for p in self.persons.values():
            self.node("Person", p.id, **p.props)
        nodes = [
            node(kind, nid, **props, source=SOURCE) for nid, (kind, props) in self.nodes.items()
        ]
        links = [
            link(kind, s, t, **props, source=SOURCE) for kind, s, t, props in self.links.values()
        ]
        return nodes, links
