"""The rules of ``shared/domain/RULES.md``, each on a small hand-built graph, on both stores.

Every test builds its graph through the storage port (``node()``/``link()``, ``store.upsert``),
projects it with ``store.projection()`` and writes out by hand the findings it expects: the
cases that must be found and the near misses that must not. The same assertions run on the
embedded store and on Neo4j (the ``store`` fixture).

The last part runs every rule on the demo data set and checks the findings it deliberately
contains (``loaders/demo.py``), and that ``docs/analytics.md`` is current.
"""

from __future__ import annotations

import datetime as dt
import difflib
import doctest
import importlib
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from pydantic import ValidationError as PydanticValidationError

from govgraph.graph.analytics import (
    RULES,
    Cadence,
    Finding,
    RuleSettings,
    Severity,
    at,
    coverage_summary,
    not_evaluable,
    project,
    rule_set,
    run_rule,
    run_rules,
)
from govgraph.graph.analytics._dates import add_working_days
from govgraph.graph.analytics.columns import day_number, day_of
from govgraph.graph.analytics.engine import Check, Registry, RuleContext
from govgraph.graph.analytics.examples import doctest_names
from govgraph.graph.analytics.governance_rules import _add_working_days
from govgraph.graph.analytics.kinds import ANCHORS
from govgraph.graph.analytics.report import render_rules_doc
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import NotFoundError, ValidationError
from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS
from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import PUBLISHED, SNAPSHOT, load_demo

Run = Callable[[Awaitable[Any]], Any]
D = dt.date
AS_OF = D(2021, 5, 31)
DOC = Path(__file__).parents[2] / "docs" / "analytics.md"
UPDATE_DOC = "GOVGRAPH_UPDATE_DOCS=1 ./dev test tests/analytics/test_rules.py -k doc"

MODULES = (
    "_dates",
    "columns",
    "columns_patch",
    "derived",
    "derived_patch",
    "appointments",
    "engine",
    "examples",
    "projection",
    "party_rules",
    "owners_rules",
    "property_rules",
    "governance_rules",
    "rules",
    "coverage",
    "ties",
    "cache",
    "report",
)


# --- a hand-built city ---------------------------------------------------------------------------
@dataclass
class City:
    """Records of a small test city: 怀仁市 ← 示例街道 ← 示例社区 (``comm``), plus what a test adds.

    Compounds get one building (``<compound>-b1``) unless told otherwise; a resident gets a unit
    of their own in it (which they own, unless ``owns=False``).
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.add("City", "city", name="怀仁市")
        self.add("Township", "town", name="示例街道")
        self.add("Community", "comm", name="示例社区")
        self.rel("PART_OF", "town", "city")
        self.rel("PART_OF", "comm", "town")

    def add(self, kind: str, nid: str, **props: Any) -> str:
        if nid not in self.nodes:
            self.nodes[nid] = node(kind, nid, **props)
        return nid

    def rel(self, kind: str, source: str, target: str, *, key: str = "", **props: Any) -> None:
        self.links.append(link(kind, source, target, key=key, **props))

    def community(self, cid: str, township: str = "town") -> str:
        self.add("Community", cid, name=f"示例{cid}社区")
        self.rel("PART_OF", cid, township)
        return cid

    def compound(self, cid: str, community: str = "comm", **props: Any) -> str:
        self.add("Compound", cid, name=f"示例{cid}小区", **props)
        self.rel("PART_OF", cid, community)
        return cid

    def building(self, bid: str, compound: str) -> str:
        if bid not in self.nodes:
            self.add("Building", bid, name=f"{bid}号楼")
            self.rel("PART_OF", bid, compound)
        return bid

    def unit(self, uid: str, building: str) -> str:
        if uid not in self.nodes:
            self.add("Unit", uid, name=uid)
            self.rel("PART_OF", uid, building)
        return uid

    def resident(
        self, pid: str, compound: str, *, building: str = "", owns: bool = True, **props: Any
    ) -> str:
        b = self.building(building or f"{compound}-b1", compound)
        u = self.unit(f"u-{pid}", b)
        self.add("Person", pid, **props)
        self.rel("RESIDES_IN", pid, u)
        if owns:
            self.rel("OWNS", pid, u)
        return pid

    def owner(self, pid: str, compound: str) -> str:
        """A person who owns a unit in ``compound`` and lives elsewhere."""
        u = self.unit(f"u-{pid}-{compound}", self.building(f"{compound}-b1", compound))
        self.add("Person", pid)
        self.rel("OWNS", pid, u)
        return pid

    def member(
        self, pid: str, org: str, status: str = "full", category: str = "retired", **props: Any
    ) -> None:
        self.add("Person", pid)
        self.rel("MEMBER_OF", pid, org, status=status, category=category, **props)

    def post(self, pid: str, body: str, role: str, **props: Any) -> None:
        self.add("Person", pid)
        self.rel("HOLDS_POST", pid, body, role=role, **props)

    def branch(self, bid: str, *compounds: str, **props: Any) -> str:
        self.add("PartyBranch", bid, name=f"{bid}党支部", **props)
        for c in compounds:
            self.rel("COVERS", bid, c)
        return bid

    def committee(self, oc: str, compound: str, *seats: tuple[str, str], **props: Any) -> str:
        """An owners' committee of ``compound``; each seat (person, role) is an owner there."""
        self.add("OwnersCommittee", oc, name=f"{oc}业委会", **props)
        self.rel("REPRESENTS", oc, compound)
        for pid, role in seats:
            if pid not in self.nodes:
                self.owner(pid, compound)
            self.post(pid, oc, role)
        return oc

    async def write(self, store: GraphStore, as_of: dt.date | None = None) -> nx.MultiDiGraph:
        await store.upsert(self.nodes.values(), self.links)
        g: nx.MultiDiGraph = await store.projection(as_of=as_of)
        return g


def found(graph: nx.MultiDiGraph, rule_id: str, **thresholds: Any) -> list[str]:
    """The ids of ``rule_id``'s findings on ``graph`` as of AS_OF."""
    return [f.id for f in run_rule(rule_id, graph, AS_OF, **thresholds)]


def seats(*people: str, chair: str = "") -> list[tuple[str, str]]:
    out = [(chair, "chair")] if chair else []
    return out + [(p, "member") for p in people]


# --- P: Party organization coverage --------------------------------------------------------------
def test_p1_three_full_members_and_no_branch(store: GraphStore, run: Run) -> None:
    city = City()
    for c in ("three", "two", "covered", "registered", "probationary"):
        city.compound(c)
    for i in range(3):  # three full members live here, no branch: a gap
        city.member(city.resident(f"a{i}", "three"), "pcom-x")
    for i in range(2):  # two: not enough
        city.member(city.resident(f"b{i}", "two"), "pcom-x")
    for i in range(3):  # three, but a branch covers the compound
        city.member(city.resident(f"c{i}", "covered"), "pb-covered")
    for i in range(2):  # two live here and one is registered here (lives elsewhere): three
        city.member(city.resident(f"d{i}", "registered"), "pcom-x")
    city.member("d2", "pcom-x", category="in_service")
    city.rel("REGISTERED_AT", "d2", "registered")
    for i, status in enumerate(("full", "full", "probationary")):  # a probationary one
        city.member(city.resident(f"e{i}", "probationary"), "pcom-x", status=status)
    city.add("PartyCommittee", "pcom-x", name="示例社区党委")
    city.branch("pb-covered", "covered")
    g = run(city.write(store))
    fs = run_rule("P1", g, AS_OF)
    assert [f.id for f in fs] == ["P1:no_branch:registered", "P1:no_branch:three"]
    assert fs[1].details == {"full_members": 3, "members": ["a0", "a1", "a2"]}
    assert fs[1].severity is Severity.GAP and fs[1].subject_kind == "Compound"
    assert (fs[1].compound, fs[1].community, fs[1].township, fs[1].city) == (
        "three",
        "comm",
        "town",
        "city",
    )
    assert (
        fs[1].explanation_zh
        == "示例three小区有3名正式党员居住或报到，但没有党支部覆盖（应建未建）。"
    )
    assert found(g, "P1", p1_min_full_members=4) == []


def test_p2_joint_branch_over_five_compounds(store: GraphStore, run: Run) -> None:
    city = City()
    cs = [city.compound(f"c{i}") for i in range(20)]
    city.branch("joint6", *cs[0:6], form="joint")
    city.branch("joint5", *cs[6:11], form="joint")
    city.branch("combined6", *cs[11:17], form="combined")  # not a joint branch
    city.add("PartyBranch", "unformed", name="no form")  # no form, several compounds: joint
    for c in cs[14:20]:
        city.rel("COVERS", "unformed", c)
    g = run(city.write(store))
    assert found(g, "P2") == ["P2:too_many_compounds:joint6", "P2:too_many_compounds:unformed"]
    assert found(g, "P2", p2_max_joint_compounds=6) == []


def test_p3_branch_over_fifty_members(store: GraphStore, run: Run) -> None:
    city = City()
    city.branch("big")
    city.add("PartyGroup", "big-g", name="group")
    city.rel("PART_OF", "big-g", "big")
    city.branch("fifty")
    for i in range(49):
        city.member(f"m{i}", "big")
    city.member("m0", "big-g")  # counted once
    city.member("g1", "big-g", status="probationary")  # group members are branch members
    city.member("g2", "big-g")
    for i in range(50):
        city.member(f"n{i}", "fifty")
    g = run(city.write(store))
    (f,) = run_rule("P3", g, AS_OF)
    assert (f.id, f.severity, f.details) == (
        "P3:too_many_members:big",
        Severity.ADVICE,
        {"members": 51, "limit": 50},
    )


def test_p4_branch_committee(store: GraphStore, run: Run) -> None:
    city = City()
    for b, full, committee in (
        ("none7", 7, 0),  # seven full members, no committee: gap
        ("none6", 6, 0),  # six: no committee needed
        ("two", 5, 2),  # a committee of two: warning
        ("three", 5, 3),
        ("seven", 9, 7),
        ("eight", 9, 8),  # eight: warning
    ):
        city.branch(b)
        for i in range(full):
            city.member(f"{b}-{i}", b)
        city.member(f"{b}-p", b, status="probationary")
        for i in range(committee):
            city.post(f"{b}-{i}", b, "secretary" if i == 0 else "committee_member")
    city.post("none6-0", "none6", "group_leader")  # not a committee post
    g = run(city.write(store))
    assert found(g, "P4") == [
        "P4:committee_size:eight",
        "P4:no_committee:none7",
        "P4:committee_size:two",
    ]
    sev = {f.id: f.severity for f in run_rule("P4", g, AS_OF)}
    assert sev["P4:no_committee:none7"] is Severity.GAP
    assert sev["P4:committee_size:two"] is Severity.WARNING
    assert found(g, "P4", p4_committee_max=8, p4_committee_min=2) == ["P4:no_committee:none7"]


def test_p5_overdue_election(store: GraphStore, run: Run) -> None:
    city = City()
    city.branch("ended", elected_on=D(2016, 5, 30), term_years=5)  # ended 2021-05-30
    city.branch("today", elected_on=D(2016, 5, 31), term_years=5)  # ends on the day: not yet
    city.branch("short", elected_on=D(2018, 1, 1), term_years=3)  # ended 2021-01-01
    city.branch("default", elected_on=D(2019, 1, 1))  # no term_years: the setting
    city.branch("undated")
    g = run(city.write(store))
    assert found(g, "P5") == ["P5:overdue_election:ended", "P5:overdue_election:short"]
    assert found(g, "P5", p5_term_years=2) == [
        "P5:overdue_election:default",
        "P5:overdue_election:ended",
        "P5:overdue_election:short",
    ]
    f = run_rule("P5", g, AS_OF)[0]
    assert f.details == {"elected_on": D(2016, 5, 30), "term_years": 5, "term_end": D(2021, 5, 30)}


def test_p6_buildings_without_party_groups(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("bare")  # no branch covers it: P1's business, not P6's
    city.branch("pb", "c1")
    city.add("PartyGroup", "g1", name="1号楼党小组")
    city.add("PartyGroup", "g2", name="2号楼1单元党小组")
    city.rel("PART_OF", "g1", "pb")
    city.rel("PART_OF", "g2", "pb")
    city.rel("COVERS", "g1", city.building("b1", "c1"))
    city.resident("p1", "c1", building="b1")
    city.resident("p2", "c1", building="b2")
    city.rel("COVERS", "g2", "u-p2")  # a group covering a unit covers the building
    city.resident("p3", "c1", building="b3")  # a member, no group: advice
    city.resident("p4", "c1", building="b4")  # not a member
    city.resident("p5", "bare", building="bare-b")
    for p in ("p1", "p2", "p3", "p5"):
        city.member(p, "pb")
    g = run(city.write(store))
    assert found(g, "P6") == ["P6:building_without_group:b3"]
    # the branch's members live in two buildings without a group (b3, bare-b)
    assert found(g, "P6", p6_max_buildings_without_group=1) == [
        "P6:building_without_group:b3",
        "P6:branch_buildings_without_group:pb",
    ]
    (f,) = [
        f for f in run_rule("P6", g, AS_OF, p6_max_buildings_without_group=1) if f.subject == "pb"
    ]
    assert f.severity is Severity.GAP and f.details["without_group"] == ["b3", "bare-b"]


def test_p7_members_outside_any_branch(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.branch("pb", "c1")
    city.branch("pb2", "c1")
    city.add("PartyGroup", "g", name="group")
    city.rel("PART_OF", "g", "pb")
    city.add("PartyCommittee", "pcom", name="示例社区党委")
    city.rel("PART_OF", "pcom", "comm")
    city.member("floating", "pcom", category="floating")  # held by a committee only: gap
    city.member("in-group", "g")
    city.member("in-branch", "pb")
    city.member("left", "pb", since=D(2020, 1, 1), until=D(2021, 2, 28))  # gone nowhere: gap
    city.member("moved", "pb", since=D(2020, 1, 1), until=D(2021, 2, 28))
    city.member("moved", "pb2", since=D(2021, 3, 1))  # transferred: fine
    city.member("leaving", "pb", until=D(2021, 6, 30))  # still a member on the day
    city.resident("left", "c1")
    g = run(city.write(store))
    fs = run_rule("P7", g, AS_OF)
    assert [f.id for f in fs] == ["P7:no_branch:floating", "P7:left_no_transfer:left"]
    assert fs[0].community == "comm"  # a member with no home rolls up through the committee
    assert fs[1].details == {
        "left_on": D(2021, 2, 28),
        "last_org": "pb",
        "last_org_name": "pb党支部",
    }
    # a projection cut to the day has no history: only the first check can see anything
    cut = run(store.projection(as_of=AS_OF))
    assert found(cut, "P7") == ["P7:no_branch:floating"]


def test_p8_in_service_members_register_where_they_live(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("c2")
    city.add("PropertyCompany", "co", name="示例物业")
    for pid, category in (
        ("unregistered", "in_service"),
        ("registered", "in_service"),
        ("elsewhere", "in_service"),
        ("retired", "retired"),
    ):
        city.resident(pid, "c1", employer="示例单位01" if pid != "elsewhere" else None)
        city.member(pid, "pb", category=category)
    city.member("homeless", "pb", category="in_service")  # home unknown: skipped
    city.rel("REGISTERED_AT", "registered", "c1")
    city.rel("REGISTERED_AT", "elsewhere", "c2")
    city.rel("EMPLOYED_BY", "elsewhere", "co")
    city.branch("pb", "c1")
    g = run(city.write(store))
    fs = run_rule("P8", g, AS_OF)
    assert [f.id for f in fs] == ["P8:not_registered:elsewhere", "P8:not_registered:unregistered"]
    assert [f.details["employer"] for f in fs] == ["示例物业", "示例单位01"]
    assert all(f.severity is Severity.WARNING and f.compound == "c1" for f in fs)


def test_p9_service_stations(store: GraphStore, run: Run) -> None:
    city = City()
    for c in ("station", "point", "none"):
        city.compound(c)
    city.community("comm2")
    city.compound("community-served", community="comm2")
    city.add("ServiceStation", "ss", name="站", station_type="station")
    city.add("ServiceStation", "sp", name="点", station_type="point")
    city.add("ServiceStation", "ss2", name="社区站", station_type="station")
    city.rel("SERVES", "ss", "station")
    city.rel("SERVES", "sp", "point")
    city.rel("SERVES", "ss2", "comm2")
    g = run(city.write(store))
    assert found(g, "P9") == ["P9:no_station:community-served", "P9:no_station:none"]
    assert found(g, "P9", p9_community_station_counts=True) == ["P9:no_station:none"]


# --- O: owners' committees -----------------------------------------------------------------------
def test_o1_committee_should_be_established(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("delivered", delivered_area_ratio=0.8)
    city.compound("half", delivered_area_ratio=0.5)  # "over 50%": not yet
    city.compound("with-oc", delivered_area_ratio=1.0)
    city.compound("unknown")
    city.committee("oc", "with-oc")
    g = run(city.write(store))
    assert found(g, "O1") == ["O1:should_establish:delivered", "O1:should_establish:unknown"]
    assert found(g, "O1", o1_unknown_ratio_is_delivered=False) == ["O1:should_establish:delivered"]
    assert found(g, "O1", o1_delivered_ratio=0.9) == ["O1:should_establish:unknown"]


def test_o2_committee_size(store: GraphStore, run: Run) -> None:
    city = City()
    for size in (4, 5, 6, 11, 13):
        c = city.compound(f"c{size}")
        city.committee(f"oc{size}", c, *seats(*(f"s{size}-{i}" for i in range(size))))
    city.add("OwnersCommittee", "not-in-office", name="未就任")  # represents nothing
    for i in range(2):
        city.post(f"x{i}", "not-in-office", "member")
    g = run(city.write(store))
    assert found(g, "O2") == ["O2:size:oc13", "O2:size:oc4", "O2:size:oc6"]
    assert found(g, "O2", o2_odd=False) == ["O2:size:oc13", "O2:size:oc4"]


def test_o3_committee_term(store: GraphStore, run: Run) -> None:
    city = City()
    for oc, props in (
        ("long", {"elected_on": D(2021, 1, 1), "term_years": 6}),
        ("ended", {"elected_on": D(2016, 5, 1), "term_years": 5}),
        ("soon", {"elected_on": D(2016, 8, 31)}),  # ends 2021-08-31: three months away
        ("later", {"elected_on": D(2016, 9, 1)}),  # ends 2021-09-01
        ("undated", {}),
    ):
        city.committee(oc, city.compound(f"c-{oc}"), **props)
    g = run(city.write(store))
    fs = run_rule("O3", g, AS_OF)
    assert [f.id for f in fs] == [
        "O3:overdue:ended",
        "O3:term_too_long:long",
        "O3:due_soon:soon",
    ]
    assert [f.severity for f in fs] == [Severity.GAP, Severity.GAP, Severity.WARNING]
    assert fs[2].details["term_end"] == D(2021, 8, 31)
    assert found(g, "O3", o3_warn_months=4) == [
        "O3:overdue:ended",
        "O3:due_soon:later",
        "O3:term_too_long:long",
        "O3:due_soon:soon",
    ]


def test_o4_members_own_a_unit_in_the_compound(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("c2")
    city.resident("tenant", "c1", owns=False)
    city.owner("owns-c2", "c2")
    city.committee("oc", "c1", *seats("owner", "tenant", "owns-c2", chair="chair"))
    g = run(city.write(store))
    fs = run_rule("O4", g, AS_OF)
    assert [f.id for f in fs] == ["O4:not_owner:owns-c2:oc", "O4:not_owner:tenant:oc"]
    assert all(f.severity is Severity.ERROR and f.compound == "c1" for f in fs)


def test_o5_member_employed_by_the_managing_company(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("c2")
    for co in ("co1", "co2"):
        city.add("PropertyCompany", co, name=f"示例{co}物业")
    city.rel("MANAGES", "co1", "c1", mode="recruited_company")
    city.rel("MANAGES", "co2", "c2")
    city.committee("oc", "c1", *seats("staff", "other-staff", "former", chair="chair"))
    city.rel("EMPLOYED_BY", "staff", "co1", role="客服专员")  # conflict
    city.rel("EMPLOYED_BY", "other-staff", "co2")  # another compound's company
    city.rel("EMPLOYED_BY", "former", "co1", until=D(2020, 12, 31))  # no longer employed
    g = run(city.write(store))
    (f,) = run_rule("O5", g, AS_OF)
    assert (f.id, f.severity, f.compound) == (
        "O5:employed_by_manager:staff:oc:co1",
        Severity.CONFLICT,
        "c1",
    )
    assert f.details["job_role"] == "客服专员" and f.details["company"] == "co1"


def test_o6_party_share(store: GraphStore, run: Run) -> None:
    city = City()
    for oc, members in (
        ("low", ["full"] * 2),
        ("half", ["full"] * 3),
        ("prob", ["full", "full", "probationary"]),
    ):
        c = city.compound(f"c-{oc}")
        people = [f"{oc}{i}" for i in range(5)]
        city.committee(oc, c, *seats(*people))
        for pid, status in zip(people, members, strict=False):
            city.member(pid, "pb", status=status)
    city.branch("pb")
    g = run(city.write(store))
    fs = run_rule("O6", g, AS_OF)
    assert [f.id for f in fs] == ["O6:party_share:low"]
    assert fs[0].details == {"members": 5, "party": 2, "share": 0.4, "limit": 0.5}
    assert found(g, "O6", o6_count_probationary=False) == [
        "O6:party_share:low",
        "O6:party_share:prob",
    ]


def test_o7_cross_appointment(store: GraphStore, run: Run) -> None:
    city = City()
    for c in ("chaired", "partial", "none", "no-branch", "joint-a", "joint-b"):
        city.compound(c)
    # the secretary chairs: nothing to say
    city.branch("pb1", "chaired")
    city.post("sec1", "pb1", "secretary")
    city.committee("oc1", "chaired", *seats("o1", chair="sec1"))
    # a branch committee member sits, the secretary does not chair: advice
    city.branch("pb2", "partial")
    city.post("sec2", "pb2", "secretary")
    city.post("cm2", "pb2", "committee_member")
    city.committee("oc2", "partial", *seats("cm2", chair="o2"))
    # nobody from the branch: gap
    city.branch("pb3", "none")
    city.post("sec3", "pb3", "secretary")
    city.post("leader3", "pb3", "group_leader")  # not a branch committee post
    city.committee("oc3", "none", *seats("leader3", chair="o3"))
    # a committee and no branch: nothing to cross
    city.committee("oc4", "no-branch", *seats("o4", chair="o5"))
    # a joint branch's secretary chairs one of its compounds' committees: no advice for the other
    city.branch("pbj", "joint-a", "joint-b", form="joint")
    city.post("secj", "pbj", "secretary")
    city.post("cmj", "pbj", "committee_member")
    city.committee("oca", "joint-a", *seats(chair="secj"))
    city.committee("ocb", "joint-b", *seats("cmj", chair="ob"))
    g = run(city.write(store))
    fs = run_rule("O7", g, AS_OF)
    assert [(f.id, f.severity) for f in fs] == [
        ("O7:no_cross_appointment:none", Severity.GAP),
        ("O7:secretary_not_chair:partial", Severity.ADVICE),
    ]
    assert fs[1].details == {
        "secretaries": ["sec2"],
        "chairs": ["o2"],
        "committees": ["oc2"],
        "branches": ["pb2"],
    }


def test_o8_committee_filing(store: GraphStore, run: Run) -> None:
    city = City()
    for oc, elected, filed in (
        ("on-time", D(2021, 1, 1), D(2021, 1, 31)),  # 30 days
        ("late", D(2021, 1, 1), D(2021, 2, 1)),  # 31 days
        ("unfiled", D(2021, 4, 1), None),  # 60 days and counting
        ("recent", D(2021, 5, 10), None),  # 21 days: not due yet
        ("filed-later", D(2021, 4, 1), D(2021, 6, 15)),  # not filed by the day
    ):
        props = {"elected_on": elected} | ({"filed_on": filed} if filed else {})
        city.committee(oc, city.compound(f"c-{oc}"), **props)
    g = run(city.write(store))
    assert found(g, "O8") == [
        "O8:not_filed:filed-later",
        "O8:filed_late:late",
        "O8:not_filed:unfiled",
    ]
    assert found(g, "O8", o8_filing_days=60) == []


# --- M: property management ----------------------------------------------------------------------
def test_m1_property_service(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("managed", is_old=True)
    city.compound("old-bare", is_old=True)
    city.compound("new-bare", is_old=False)
    city.compound("self-managed", is_old=True)
    city.compound("dropped", is_old=True)
    city.add("PropertyCompany", "co", name="示例物业")
    city.rel("MANAGES", "co", "managed", mode="recruited_company")
    city.committee("oc", "self-managed")
    city.rel("MANAGES", "oc", "self-managed", mode="owners_self_managed")
    city.rel("MANAGES", "co", "dropped", until=D(2021, 2, 28))
    g = run(city.write(store))
    fs = run_rule("M1", g, AS_OF)
    assert [f.id for f in fs] == [
        "M1:no_service:dropped",
        "M1:no_service:new-bare",
        "M1:no_service:old-bare",
    ]
    assert [f.details["is_old"] for f in fs] == [True, False, True]
    assert found(g, "M1", m1_old_only=True) == ["M1:no_service:dropped", "M1:no_service:old-bare"]


def test_m2_party_organization_of_property_companies(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.branch("pb", "c1")
    for co in ("no-org", "joint-org", "no-members"):
        city.add("PropertyCompany", co, name=co)
    for pid, co in (("m1", "no-org"), ("m2", "joint-org"), ("x", "no-members")):
        city.add("Person", pid)
        city.rel("EMPLOYED_BY", pid, co)
    city.member("m1", "pb", category="in_service")
    city.member("m2", "pb", category="in_service")
    city.rel("PARTY_ORG_OF", "pb", "joint-org")
    g = run(city.write(store))
    fs = run_rule("M2", g, AS_OF)
    assert [f.id for f in fs] == ["M2:no_party_org:no-org"]
    assert fs[0].details == {"members": 1, "party_employees": ["m1"]}
    assert ("M2", "no_instructor") in [(rid, c.code) for rid, c in not_evaluable()]


def test_m3_red_property_grades(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    grades = {
        2020: "AAABBBBCCC",  # 3:4:3 — A one too many for 2:5:3
        2021: "AABBBBBCCC",  # 2:5:3
        2022: "AAAAAAAAAA",  # after the day: ignored
    }
    for i in range(10):
        city.add("PropertyCompany", f"co{i}", name=f"示例物业{i}")
        city.rel("MANAGES", f"co{i}", "c1")
    for year, row in grades.items():
        for i, grade in enumerate(row):
            co = f"co{i}"
            ev = city.add("Evaluation", f"ev{year}-{i}", year=year, grade=grade)
            city.rel("EVALUATES", ev, co)
    # co7..co9: C in 2020 and 2021: exit candidates; co0 was C in 2019 only
    city.add("Evaluation", "ev2019-0", year=2019, grade="C")
    city.rel("EVALUATES", "ev2019-0", "co0")
    g = run(city.write(store))
    fs = run_rule("M3", g, AS_OF)
    assert [f.id for f in fs] == [
        "M3:distribution:city:2020",
        "M3:exit_candidate:co7",
        "M3:exit_candidate:co8",
        "M3:exit_candidate:co9",
    ]
    assert fs[0].details["counts"] == "3:4:3" and fs[0].subject_kind == "City"
    assert found(g, "M3", m3_tolerance=0.5) == [
        "M3:exit_candidate:co7",
        "M3:exit_candidate:co8",
        "M3:exit_candidate:co9",
    ]
    assert found(g, "M3", m3_exit_years=3) == ["M3:distribution:city:2020"]


# --- G: governance work --------------------------------------------------------------------------
def _meeting(city: City, mid: str, kind: str, host: str, day: dt.date) -> None:
    city.add("Meeting", mid, meeting_type=kind, date=day)
    city.rel("HELD_BY", mid, host)


def test_g1_joint_meeting_cadence(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("c2")
    city.add("PartyBranch", "pb", name="pb")
    city.rel("COVERS", "pb", "c1", since=D(2021, 1, 4))
    for m in (1, 2, 4, 5):  # no joint meeting in March
        _meeting(city, f"pb-{m}", "compound_joint_meeting", "pb", D(2021, m, 15))
    city.add("PartyBranch", "young", name="young")
    city.rel("COVERS", "young", "c2", since=D(2021, 4, 10))  # founded in April
    for m in (4, 5):
        _meeting(city, f"young-{m}", "compound_joint_meeting", "young", D(2021, m, 20))
    city.add("PartyBranch", "enterprise", name="企业支部")  # covers no compound: not asked
    city.add("LeadershipGroup", "lg-town", name="乡镇领导小组")  # level from PART_OF Township
    city.rel("PART_OF", "lg-town", "town")
    _meeting(city, "t-5", "township_joint_meeting", "lg-town", D(2021, 5, 6))
    city.add("LeadershipGroup", "lg-city", name="市领导小组", level="city")
    city.rel("PART_OF", "lg-city", "city")
    _meeting(city, "q1", "city_leadership_meeting", "lg-city", D(2021, 3, 2))
    city.add("ServiceCenter", "sc", name="服务中心")
    city.rel("PART_OF", "sc", "comm", since=D(2021, 4, 1))
    _meeting(city, "sc-5", "service_center_meeting", "sc", D(2021, 5, 2))
    g = run(city.write(store))
    fs = run_rule("G1", g, AS_OF)
    assert [(f.id, f.details["missed"]) for f in fs] == [
        (
            "G1:missed:lg-town:township_joint_meeting",
            ["2021-01-01/2021-02-28", "2021-03-01/2021-04-30"],
        ),
        ("G1:missed:pb:compound_joint_meeting", ["2021-03-01/2021-03-31"]),
        ("G1:missed:sc:service_center_meeting", ["2021-04-01/2021-04-30"]),
    ]
    assert fs[0].township == "town" and fs[1].compound == "c1"
    # a grace period excuses the month a body was founded in
    assert found(g, "G1", cadence_grace_days=30) == [
        "G1:missed:lg-town:township_joint_meeting",
        "G1:missed:pb:compound_joint_meeting",
    ]
    # on 31 March the quarter has just ended: the city group met in it
    early = [
        f.id for f in run_rules(g, RuleSettings(enabled=frozenset({"G1"})), as_of=D(2021, 3, 31))
    ]
    assert early == [
        "G1:missed:lg-town:township_joint_meeting",
        "G1:missed:pb:compound_joint_meeting",
    ]


def test_g2_appeal_deadlines_and_repeats(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.compound("c2")
    for aid, kind, received, replied, topic, compound in (
        ("complaint", "complaint", D(2021, 5, 4), None, "停车", "c1"),  # due 05-25: overdue
        ("enquiry", "enquiry", D(2021, 5, 24), None, "停车", "c1"),  # due 05-31: due soon
        ("urgent-today", "urgent", D(2021, 5, 31), None, "漏水", "c2"),  # due today: due soon
        ("urgent-late", "urgent", D(2021, 5, 30), None, "漏水", "c2"),  # overdue
        ("answered", "complaint", D(2021, 4, 1), D(2021, 4, 5), "停车", "c1"),
        ("answered-later", "enquiry", D(2021, 5, 3), D(2021, 6, 2), "噪音", "c2"),  # open then
        ("untyped", None, D(2021, 5, 6), None, "停车", "c1"),  # complaint: due 05-27
        ("old", "enquiry", D(2021, 4, 20), D(2021, 4, 21), "噪音", "c2"),  # outside 30 days
        ("noise", "enquiry", D(2021, 5, 20), D(2021, 5, 21), "噪音", "c2"),
        ("future", "urgent", D(2021, 6, 1), None, "停车", "c1"),  # after the day
    ):
        props = {"channel": "hotline", "received": received, "topic": topic}
        props |= ({"appeal_type": kind} if kind else {}) | ({"replied": replied} if replied else {})
        city.add("Appeal", aid, **props)
        city.rel("ABOUT", aid, compound)
    g = run(city.write(store))
    fs = run_rule("G2", g, AS_OF)
    assert [(f.id, f.severity) for f in fs] == [
        ("G2:overdue:answered-later", Severity.GAP),
        ("G2:repeat:c1:停车", Severity.WARNING),
        ("G2:overdue:complaint", Severity.GAP),
        ("G2:due_soon:enquiry", Severity.ADVICE),
        ("G2:overdue:untyped", Severity.GAP),
        ("G2:overdue:urgent-late", Severity.GAP),
        ("G2:due_soon:urgent-today", Severity.ADVICE),
    ]
    by_id = {f.id: f for f in fs}
    assert by_id["G2:overdue:complaint"].details["deadline"] == D(2021, 5, 25)
    assert by_id["G2:overdue:complaint"].details["days_late"] == 6
    assert by_id["G2:repeat:c1:停车"].details["appeals"] == ["complaint", "enquiry", "untyped"]
    assert by_id["G2:overdue:complaint"].compound == "c1"
    # a holiday moves the deadline; untyped appeals can be left out
    holiday = found(g, "G2", holidays=frozenset({D(2021, 5, 25)}), g2_untyped_as=None)
    assert "G2:overdue:complaint" in holiday and "G2:overdue:untyped" not in holiday
    strict = found(g, "G2", g2_deadline_working_days={"urgent": 0, "enquiry": 1, "complaint": 30})
    assert "G2:overdue:enquiry" in strict and "G2:overdue:complaint" not in strict


def test_g3_party_meeting_cadence(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1")
    city.branch("pb", "c1")
    city.post("sec", "pb", "secretary")
    city.branch("no-committee", "c1")
    city.add("PartyGroup", "g", name="group")
    city.rel("PART_OF", "g", "pb")
    for m in range(1, 6):
        _meeting(city, f"bc{m}", "branch_committee", "pb", D(2021, m, 5))
        _meeting(city, f"gm{m}", "group_meeting", "g", D(2021, m, 6))
        if m != 4:  # no theme Party day in April
            _meeting(city, f"t{m}", "theme_party_day", "pb", D(2021, m, 7))
        _meeting(city, f"nt{m}", "theme_party_day", "no-committee", D(2021, m, 7))
    for host in ("pb", "no-committee"):
        _meeting(city, f"a-{host}", "branch_assembly", host, D(2021, 2, 20))
    g = run(city.write(store))
    fs = run_rule("G3", g, AS_OF)
    assert [(f.id, f.details["missed"]) for f in fs] == [
        ("G3:below_cadence:pb:theme_party_day", ["2021-04-01/2021-04-30"])
    ]
    assert fs[0].explanation_zh == (
        "pb党支部在2021-04-01/2021-04-30期间没有主题党日记录（应每1个月至少一次）。"
    )
    custom = (Cadence(meeting_type="party_lecture", host_kind="PartyBranch", months=3),)
    assert found(g, "G3", g3_cadences=custom) == [
        "G3:below_cadence:no-committee:party_lecture",
        "G3:below_cadence:pb:party_lecture",
    ]


# --- the engine ----------------------------------------------------------------------------------
def test_every_rule_of_rules_md_is_declared() -> None:
    expected = [f"P{i}" for i in range(1, 10)] + [f"O{i}" for i in range(1, 9)]
    expected += ["M1", "M2", "M3", "G1", "G2", "G3"]
    assert list(RULES) == expected
    for r in RULES.values():
        assert r.source and r.title_zh and r.title_en and r.checks, r.id
        assert r.how and "Examples" not in r.how, r.id
        for c in r.checks:
            assert c.zh and c.en and c.severity in Severity
            assert c.evaluable or c.reason
        assert len({c.code for c in r.checks}) == len(r.checks)
    assert [(rid, c.code) for rid, c in not_evaluable()] == [
        ("P1", "cluster"),
        ("M2", "no_instructor"),
    ]
    assert all(RULES[rid].evaluable for rid in RULES)  # each rule has an evaluable check
    # a source citing the article or local practice is local (RULES.md's markers)
    local = [rid for rid, r in RULES.items() if not r.national]
    assert local == ["P8", "P9", "O5", "O6", "O7", "M1", "M2", "M3", "G1", "G2"]


def test_a_registry_declares_a_rule() -> None:
    registry = Registry()

    @registry.rule(
        "X1",
        "示例规则",
        "Example rule",
        Check("big", Severity.ADVICE, "{name}很大。", "{name} is big."),
        source="none",
        settings=("p3_max_branch_members",),
    )
    def x1(ctx: RuleContext) -> list[Finding]:
        """Every compound, for the example."""
        return [ctx.finding("big", c) for c in ctx.columns.of_kind("Compound").tolist()]

    (r,) = registry
    assert (r.id, r.how, r.national) == ("X1", "Every compound, for the example.", True)
    assert r.values(RuleSettings()) == {"p3_max_branch_members": 50}
    with pytest.raises(ValueError, match="unknown settings"):
        registry.rule("X2", "", "", source="none", settings=("no_such_setting",))


def test_working_days_on_arrays_match_the_scalar_count() -> None:
    first, holidays = D(2021, 9, 17), {D(2021, 9, 20), D(2021, 9, 21)}
    days = [first + dt.timedelta(days=i) for i in range(10) for _ in (0, 1, 5)]
    n = np.array([0, 1, 5] * 10)
    got = _add_working_days(np.array([day_number(d) for d in days], np.int32), n, holidays)
    want = [add_working_days(d, k, holidays) for d, k in zip(days, n.tolist(), strict=True)]
    assert [day_of(x) for x in got.tolist()] == want


def test_every_node_kind_rolls_up_to_a_place() -> None:
    """Each kind of the ontology is a place or says which links lead to its place, along links
    the ontology allows from that kind (a new kind must be given its anchors)."""
    places = {"City", "Township", "Community", "Compound"}
    assert set(NODE_KINDS) == places | set(ANCHORS) and not places & set(ANCHORS)
    for kind, anchors in ANCHORS.items():
        for link_kind in anchors:
            ends = LINK_KINDS[link_kind].endpoints
            assert any(s == kind for s, _ in ends), (kind, link_kind)


def test_settings_switch_rule_sets(store: GraphStore, run: Run) -> None:
    city = City()
    city.compound("c1", delivered_area_ratio=1.0)
    g = run(city.write(store))
    everything = {f.rule for f in run_rules(g, as_of=AS_OF)}
    assert everything == {"P9", "O1", "M1"}
    assert {f.rule for f in run_rules(g, rule_set("national"), as_of=AS_OF)} == {"O1"}
    assert {f.rule for f in run_rules(g, rule_set("local"), as_of=AS_OF)} == {"P9", "M1"}
    no_o1 = RuleSettings(disabled=frozenset({"O1"}))
    assert {f.rule for f in run_rules(g, no_o1, as_of=AS_OF)} == {"P9", "M1"}
    loaded = RuleSettings.model_validate_json('{"enabled": ["M1"], "m1_old_only": true}')
    assert run_rules(g, loaded, as_of=AS_OF) == []  # c1 is not old
    with pytest.raises(ValidationError, match="X9"):
        run_rules(g, RuleSettings(enabled=frozenset({"X9"})), as_of=AS_OF)
    with pytest.raises(ValidationError, match="rule set"):
        rule_set("regional")
    with pytest.raises(PydanticValidationError):
        RuleSettings(p1_min_full_members=0)
    with pytest.raises(PydanticValidationError):
        Cadence(meeting_type="tea_party", host_kind="PartyBranch", months=1)
    with pytest.raises(PydanticValidationError):
        RuleSettings(g2_deadline_working_days={"gossip": 3})


def test_scope_and_order(store: GraphStore, run: Run) -> None:
    city = City()
    city.community("comm2")
    city.compound("a", delivered_area_ratio=1.0)
    city.compound("b", community="comm2", delivered_area_ratio=1.0)
    city.add("Department", "dept", name="示例部门")
    g = run(city.write(store))
    ids = [f.id for f in run_rules(g, as_of=AS_OF)]
    assert ids == [
        "P9:no_station:a",
        "P9:no_station:b",
        "O1:should_establish:a",
        "O1:should_establish:b",
        "M1:no_service:a",
        "M1:no_service:b",
    ]
    assert [f.id for f in run_rules(g, as_of=AS_OF, scope="comm2")] == [
        i for i in ids if i.endswith(":b")
    ]
    assert [f.id for f in run_rules(g, as_of=AS_OF, scope="a")] == [
        i for i in ids if i.endswith(":a")
    ]
    assert len(run_rules(g, as_of=AS_OF, scope="town")) == 6
    with pytest.raises(NotFoundError):
        run_rules(g, as_of=AS_OF, scope="nowhere")
    with pytest.raises(ValidationError, match="Compound"):
        run_rules(g, as_of=AS_OF, scope="dept")


def test_the_tiny_city_findings() -> None:
    """Everything the rules find in the docstrings' tiny city (``examples.py``), the rules
    without an example there (P2, O4, O7) included: nothing."""
    from govgraph.graph.analytics.examples import tiny_city

    assert [f.id for f in run_rules(tiny_city(), as_of=AS_OF)] == [
        "P1:no_branch:c2",
        "P4:committee_size:pb1",
        "P6:building_without_group:b2",
        "P7:left_no_transfer:p10",
        "P7:no_branch:p8",
        "P8:not_registered:p7",
        "P9:no_station:c2",
        "O1:should_establish:c2",
        "O2:size:oc1",
        "O5:employed_by_manager:p3:oc1:co1",
        "O8:not_filed:oc1",
        "M1:no_service:c2",
        "M2:no_party_org:co1",
        "M3:exit_candidate:co1",
        "G1:missed:pb1:compound_joint_meeting",
        "G2:overdue:a1",
        "G2:due_soon:a2",
        "G2:repeat:c1:停车管理",
        "G3:below_cadence:pb1:branch_committee",
        "G3:below_cadence:pb1:theme_party_day",
        "G3:below_cadence:pg1:group_meeting",
    ]


def test_findings_serialize() -> None:
    from govgraph.graph.analytics.examples import tiny_city

    fs = run_rules(tiny_city(), as_of=AS_OF)
    assert len({f.id for f in fs}) == len(fs)
    d = next(f for f in fs if f.rule == "O8").to_dict()
    assert d["severity"] == "warning" and d["details"]["elected_on"] == "2021-01-10"
    assert set(d) >= {"rule", "subject", "community", "explanation_zh", "explanation_en", "source"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """The examples in every analytics module's docstrings run and show what they print."""
    module = importlib.import_module(f"govgraph.graph.analytics.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, extraglobs=doctest_names())
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0, f"{name} has no docstring examples"


# --- the demo data set ---------------------------------------------------------------------------
#: the findings the demo holds (loaders/demo.py builds each on purpose; see the notes below)
DEMO_COUNTS = {
    ("P1", "no_branch"): 6,
    ("P3", "too_many_members"): 1,
    ("P4", "no_committee"): 1,
    ("P4", "committee_size"): 2,
    ("P5", "overdue_election"): 2,
    ("P6", "branch_buildings_without_group"): 5,
    ("P6", "building_without_group"): 31,
    ("P7", "no_branch"): 2,
    ("P7", "left_no_transfer"): 3,
    ("P8", "not_registered"): 88,
    ("P9", "no_station"): 6,
    ("O1", "should_establish"): 23,
    ("O2", "size"): 6,
    ("O3", "term_too_long"): 1,
    ("O3", "overdue"): 1,
    ("O3", "due_soon"): 2,
    ("O4", "not_owner"): 2,
    ("O5", "employed_by_manager"): 3,
    ("O6", "party_share"): 31,
    ("O7", "no_cross_appointment"): 8,
    ("O7", "secretary_not_chair"): 8,
    ("O8", "filed_late"): 3,
    ("O8", "not_filed"): 2,
    ("M1", "no_service"): 5,
    ("M2", "no_party_org"): 5,
    ("G1", "missed"): 5,
    ("G2", "overdue"): 51,
    ("G2", "due_soon"): 5,
    ("G2", "repeat"): 4,
    ("G3", "below_cadence"): 251,
}

#: what each rule's findings mean on the demo (written into docs/analytics.md)
DEMO_NOTES = {
    "P1": "The demo puts three to five full members in six of the 15 compounds no branch covers "
    "(they belong to a combined branch of their community): all six are found.",
    "P2": "The demo's joint branches cover two or three compounds each: nothing to find.",
    "P3": "One joint branch of three compounds is built with over 50 members (four to six in "
    "each building with a group); it has 70.",
    "P4": "One branch has seven or more full members and no committee (gap); one committee of "
    "eight and one of two (warnings).",
    "P5": "Two standalone branches were founded in 2015-2016 and never re-elected.",
    "P6": "Every branch leaves some member buildings without a group (241 groups for 407 "
    "buildings); the branches holding members of uncovered compounds pass the limit of three.",
    "P7": "Three members transferred out on 2021-02-28 and joined nothing (read from the "
    "history), two floating members are held by community Party committees only.",
    "P8": "About 30% of the in-service members are left unregistered on purpose.",
    "P9": "Six compounds (four uncovered, two covered) are served by no station or point.",
    "O1": "23 compounds have no committee and are fully delivered; the few recent compounds "
    "still under half delivered are not due.",
    "O2": "Six committees have sizes 3, 4, 4, 6, 6 and 8.",
    "O3": "One committee has a six-year term, one was elected in 2015 (overdue) and two in "
    "summer 2016 (their terms end within three months).",
    "O4": "Two committees seat a tenant who owns nothing in the compound.",
    "O5": "Three committee members work for the company managing their compound.",
    "O6": "31 of the 49 committees fall under 50%: 17 of the 20 whose branch secretary does not "
    "chair, the 5 of compounds without a branch, and 9 of the 24 the secretary chairs (the demo "
    "seats few Party members beyond the branch's own post holders).",
    "O7": "The demo plans twelve compounds without the branch secretary in the chair: nobody "
    "from the branch on the committee (gap) or another post holder (advice); compounds of joint "
    "branches whose secretary chairs none of their committees add to both.",
    "O8": "Three committees filed 40-70 days after their election; two have not filed.",
    "M1": "Five old compounds get no property service by any of the four ways.",
    "M2": "Five companies employ Party members (branch committee members and in-service members "
    "the demo hires as staff) and no branch is their Party organization.",
    "M3": "The 2021 grades are exactly 4:10:6 (2:5:3) and there is one year of evaluations: "
    "nothing to find.",
    "G1": "Five branches each skip one month's compound joint meeting; townships, the city "
    "group and the service centers keep their cadence.",
    "G2": "30 appeals received before May are left unreplied (overdue); of those received in "
    "the last two weeks, the enquiries and urgent ones past their deadline are overdue too.",
    "G3": "Ten branches skip one committee meeting, theme Party day or quarterly assembly. The "
    "demo records no Party group meetings at all, so each of its 241 groups is reported.",
}


@pytest.fixture(scope="module")
def demo_store(run: Run) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore()
    run(load_demo(store))
    yield store
    run(store.close())


@pytest.fixture(scope="module")
def demo_history(demo_store: EmbeddedStore, run: Run) -> nx.MultiDiGraph:
    g: nx.MultiDiGraph = run(project(demo_store))
    return g


@pytest.fixture(scope="module")
def demo_findings(demo_history: nx.MultiDiGraph) -> list[Finding]:
    fs: list[Finding] = run_rules(demo_history, as_of=SNAPSHOT)  # timed in bench/analytics_bench.py
    return fs


def _by(fs: list[Finding], rule: str, check: str | None = None) -> list[Finding]:
    return [f for f in fs if f.rule == rule and (check is None or f.check == check)]


def test_demo_counts(demo_findings: list[Finding]) -> None:
    counts = Counter((f.rule, f.check) for f in demo_findings)
    assert dict(counts) == DEMO_COUNTS
    assert len({f.id for f in demo_findings}) == len(demo_findings)
    assert all(f.city == "city-huairen" for f in demo_findings)


def test_demo_party_coverage(demo_findings: list[Finding], demo_history: nx.MultiDiGraph) -> None:
    g = demo_history
    p1 = _by(demo_findings, "P1")
    assert len(p1) == 6 and all(f.details["full_members"] >= 3 for f in p1)
    covered = {
        v for _, v, k in g.edges(data="kind") if k == "COVERS" and g.nodes[v]["kind"] == "Compound"
    }
    assert len(covered) == 57 and not {f.subject for f in p1} & covered
    (p3,) = _by(demo_findings, "P3")
    assert g.nodes[p3.subject]["form"] == "joint" and p3.details["members"] > 50
    (none,) = _by(demo_findings, "P4", "no_committee")
    assert none.details["full_members"] >= 7
    sizes = sorted(f.details["committee"] for f in _by(demo_findings, "P4", "committee_size"))
    assert sizes == [2, 8]
    assert all(f.details["elected_on"].year in (2015, 2016) for f in _by(demo_findings, "P5"))
    left = _by(demo_findings, "P7", "left_no_transfer")
    assert {f.details["left_on"] for f in left} == {D(2021, 2, 28)}
    floating = _by(demo_findings, "P7", "no_branch")
    assert all(o.startswith("pcom-") for f in floating for o in f.details["orgs"])
    unserved = {c for c, d in g.nodes(data=True) if d["kind"] == "Compound"} - {
        v for _, v, k in g.edges(data="kind") if k == "SERVES"
    }
    assert {f.subject for f in _by(demo_findings, "P9")} == unserved


def test_demo_owners_committees(demo_findings: list[Finding]) -> None:
    assert sorted(f.details["members"] for f in _by(demo_findings, "O2")) == [3, 4, 4, 6, 6, 8]
    o3 = {f.check for f in _by(demo_findings, "O3")}
    assert o3 == {"term_too_long", "overdue", "due_soon"}
    assert all(f.severity is Severity.CONFLICT for f in _by(demo_findings, "O5"))
    assert {f.details["job_role"] for f in _by(demo_findings, "O5")} == {"客服专员"}
    late = _by(demo_findings, "O8", "filed_late")
    assert all(40 <= f.details["days"] <= 70 for f in late)


def test_demo_property_and_governance(
    demo_findings: list[Finding], demo_history: nx.MultiDiGraph
) -> None:
    g = demo_history
    m1 = _by(demo_findings, "M1")
    assert len(m1) == 5 and all(f.details["is_old"] for f in m1)
    assert _by(demo_findings, "M3") == []  # 4:10:6 is 2:5:3, one year only
    assert PUBLISHED.grade_counts == (4, 10, 6)
    g1 = _by(demo_findings, "G1")
    assert all(f.subject_kind == "PartyBranch" and f.details["windows"] == 1 for f in g1)
    g3 = _by(demo_findings, "G3")
    assert Counter(f.subject_kind for f in g3) == {"PartyGroup": 241, "PartyBranch": 10}
    assert all(f.details["windows"] == 1 for f in g3 if f.subject_kind == "PartyBranch")
    # every appeal received before May and still unanswered is overdue
    early_open = {
        a
        for a, d in g.nodes(data=True)
        if d["kind"] == "Appeal" and "replied" not in d and d["received"] < D(2021, 5, 1)
    }
    overdue = {f.subject for f in _by(demo_findings, "G2", "overdue")}
    assert len(early_open) == 30 and early_open <= overdue


def test_demo_on_a_projection_cut_to_the_day(
    demo_store: EmbeddedStore, run: Run, demo_findings: list[Finding]
) -> None:
    """Cut to the day, the projection loses only P7's history-based findings."""
    cut = run(project(demo_store, SNAPSHOT))
    fs = run_rules(cut, as_of=SNAPSHOT)
    assert [f.id for f in fs] == [f.id for f in demo_findings if f.check != "left_no_transfer"]


def demo_doc(history: nx.MultiDiGraph, findings: list[Finding]) -> str:
    """docs/analytics.md: the rules and what they find on the demo data set."""
    rows = coverage_summary(history, SNAPSHOT, findings=findings, levels=("city", "township"))
    return render_rules_doc(
        history,
        findings,
        settings=RuleSettings(),
        as_of=SNAPSHOT,
        dataset="the Huairen demo data set (`loaders/demo.py`, seed 2021)",
        notes=DEMO_NOTES,
        rows=rows,
    )


def test_doc_is_current(demo_history: nx.MultiDiGraph, demo_findings: list[Finding]) -> None:
    generated = demo_doc(demo_history, demo_findings)
    if os.environ.get("GOVGRAPH_UPDATE_DOCS"):
        DOC.write_text(generated, encoding="utf-8")
    assert DOC.is_file(), f"{DOC} is missing; run `{UPDATE_DOC}`"
    committed = DOC.read_text(encoding="utf-8")
    if generated != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/analytics.md (committed)",
                "generated",
                n=1,
            )
        )
        raise AssertionError(f"docs/analytics.md is out of date; run `{UPDATE_DOC}`\n{diff[:4000]}")


def test_a_graph_cut_to_a_day_holds_no_history_however_it_was_cut() -> None:
    """P7's history check reads the graph it is given: a day view made of a frozen history (whose
    index is the history's) answers as a plain copy cut to the day does, without it."""
    from govgraph.graph.analytics.examples import tiny_city

    history = nx.freeze(tiny_city())
    frozen_view = run_rules(at(history, AS_OF), as_of=AS_OF)
    assert frozen_view == run_rules(at(tiny_city(), AS_OF), as_of=AS_OF)
    whole = run_rules(history, as_of=AS_OF)
    assert [f.id for f in whole if f not in frozen_view] == ["P7:left_no_transfer:p10"]
