"""The department's roll-ups (``coverage.py``) on a hand-built city, on both stores, and on the
demo data set, whose city row must reproduce the article's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx
import pytest
from test_rules import AS_OF, City

from govgraph.graph.analytics import (
    CoverageRow,
    Ratio,
    RuleSettings,
    coverage_summary,
    project,
    registration_by_employer,
    run_rules,
    uncovered_communities,
)
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import NotFoundError
from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import PUBLISHED, SNAPSHOT, load_demo

Run = Callable[[Awaitable[Any]], Any]
D = dt.date


def coverage_city() -> City:
    """Three compounds in two communities of one township, and an empty third community.

    c1 (示例社区) has everything: a branch, a group for one of its two buildings, an owners'
    committee of three (the secretary, a Party member, an owner who is not), a company, a
    station. c2 (示例社区) has nothing. c3 (comm2) has a committee of five with one Party
    member and no branch, and a company.
    """
    city = City()
    city.community("comm2")
    city.community("comm3")
    city.compound("c1")
    city.compound("c2")
    city.compound("c3", community="comm2")
    city.building("c1-b1", "c1")
    city.building("c1-b2", "c1")
    city.building("c2-b1", "c2")
    city.building("c3-b1", "c3")
    city.branch("pb1", "c1")
    city.add("PartyGroup", "pg1", name="1号楼党小组")
    city.rel("PART_OF", "pg1", "pb1")
    city.rel("COVERS", "pg1", "c1-b1")
    city.resident("sec", "c1", building="c1-b1")
    city.resident("m1", "c1", building="c1-b2")
    city.member("sec", "pb1")
    city.member("m1", "pb1", status="probationary")
    city.post("sec", "pb1", "secretary")
    city.committee("oc1", "c1", ("sec", "chair"), ("m1", "member"), ("o1", "member"))
    city.committee("oc3", "c3", ("q0", "chair"), *((f"q{i}", "member") for i in range(1, 5)))
    city.member("q0", "pb1")
    city.add("PropertyCompany", "co", name="示例物业")
    city.rel("MANAGES", "co", "c1")
    city.rel("MANAGES", "co", "c3")
    city.add("ServiceStation", "ss", name="站", station_type="station")
    city.rel("SERVES", "ss", "c1")
    for aid, received, replied, compound in (
        ("a1", D(2021, 5, 1), D(2021, 5, 2), "c1"),
        ("a2", D(2021, 5, 3), None, "c1"),
        ("a3", D(2021, 6, 1), None, "c3"),  # received after the day: not counted
        ("a4", D(2021, 4, 1), D(2021, 6, 2), "c3"),  # replied after the day: not replied
    ):
        props = {"channel": "hotline", "received": received} | (
            {"replied": replied} if replied else {}
        )
        city.add("Appeal", aid, **props)
        city.rel("ABOUT", aid, compound)
    return city


#: the rules whose findings these tests count: P9 (c2, c3), M1 (c2), O1 (c2)
FEW_RULES = RuleSettings(enabled=frozenset({"P9", "M1", "O1"}))


def _rates(row: CoverageRow) -> tuple[object, ...]:
    return (
        row.compounds,
        row.branch,
        row.owners_committee,
        row.property_service,
        row.service_station,
        row.party_groups,
        row.cross_appointment,
        row.party_share,
        row.appeals_replied,
    )


def R(count: int, total: int) -> Ratio:  # noqa: N802 - reads like the figures it stands for
    return Ratio(count, total)


def test_coverage_rows_per_level(store: GraphStore, run: Run) -> None:
    g = run(coverage_city().write(store))
    findings = run_rules(g, FEW_RULES, as_of=AS_OF)
    rows = coverage_summary(g, AS_OF, findings=findings)
    assert [(r.level, r.place, r.parent) for r in rows] == [
        ("city", "city", None),
        ("township", "town", "city"),
        ("community", "comm", "town"),
        ("community", "comm2", "town"),
        ("community", "comm3", "town"),
        ("compound", "c1", "comm"),
        ("compound", "c2", "comm"),
        ("compound", "c3", "comm2"),
    ]
    by = {r.place: r for r in rows}
    #           compounds branch   committee property station  groups    cross     party     appeals
    assert _rates(by["city"]) == (
        3,
        R(1, 3),
        R(2, 3),
        R(2, 3),
        R(1, 3),
        R(1, 4),
        R(1, 8),
        R(3, 8),
        R(1, 3),
    )
    assert _rates(by["town"]) == _rates(by["city"])
    assert _rates(by["comm"]) == (
        2,
        R(1, 2),
        R(1, 2),
        R(1, 2),
        R(1, 2),
        R(1, 3),
        R(1, 3),
        R(2, 3),
        R(1, 2),
    )
    assert _rates(by["comm2"]) == (
        1,
        R(0, 1),
        R(1, 1),
        R(1, 1),
        R(0, 1),
        R(0, 1),
        R(0, 5),
        R(1, 5),
        R(0, 1),
    )
    assert _rates(by["comm3"]) == (
        0,
        R(0, 0),
        R(0, 0),
        R(0, 0),
        R(0, 0),
        R(0, 0),
        R(0, 0),
        R(0, 0),
        R(0, 0),
    )
    assert by["comm3"].branch.rate is None and by["c1"].branch.rate == 1.0
    assert _rates(by["c1"]) == (
        1,
        R(1, 1),
        R(1, 1),
        R(1, 1),
        R(1, 1),
        R(1, 2),
        R(1, 3),
        R(2, 3),
        R(1, 2),
    )
    assert by["c1"].name == "示例c1小区"
    gaps = {place: r.findings["gap"] for place, r in by.items()}
    assert gaps == {
        "city": 4,
        "town": 4,
        "comm": 3,
        "comm2": 1,
        "comm3": 0,
        "c1": 0,
        "c2": 3,
        "c3": 1,
    }
    assert set(by["c2"].findings) == {"error", "conflict", "gap", "warning", "advice"}


def test_coverage_scope(store: GraphStore, run: Run) -> None:
    g = run(coverage_city().write(store))
    findings = run_rules(g, FEW_RULES, as_of=AS_OF)
    assert [r.place for r in coverage_summary(g, AS_OF, "comm2", findings=findings)] == [
        "comm2",
        "c3",
    ]
    assert [r.place for r in coverage_summary(g, AS_OF, "c1", findings=findings)] == ["c1"]
    town = coverage_summary(g, AS_OF, "town", findings=findings, levels=["township", "compound"])
    assert [r.place for r in town] == ["town", "c1", "c2", "c3"]
    with pytest.raises(NotFoundError):
        coverage_summary(g, AS_OF, "nowhere", findings=findings)
    # without findings, the default rules run on the graph (and within the scope)
    (row,) = coverage_summary(g, AS_OF, "c2")
    assert row.findings["gap"] == len(
        [f for f in run_rules(g, as_of=AS_OF, scope="c2") if f.severity == "gap"]
    )


def test_uncovered_communities_ranking(store: GraphStore, run: Run) -> None:
    g = run(coverage_city().write(store))
    findings = run_rules(g, FEW_RULES, as_of=AS_OF)
    ranking = uncovered_communities(g, findings)
    assert [(c.rank, c.community, c.gaps, c.compounds_with_gaps) for c in ranking] == [
        (1, "comm", 3, ["c2"]),
        (2, "comm2", 1, ["c3"]),
        (3, "comm3", 0, []),
    ]
    top = ranking[0]
    assert (top.name, top.township, top.compounds, top.findings) == ("示例社区", "town", 2, 3)
    assert [(r.rule, r.check, r.severity, r.count, r.subjects) for r in top.reasons] == [
        ("P9", "no_station", "gap", 1, ["c2"]),
        ("O1", "should_establish", "gap", 1, ["c2"]),
        ("M1", "no_service", "gap", 1, ["c2"]),
    ]
    assert top.reasons[0].title_zh == "无党群服务站点"
    assert [c.community for c in uncovered_communities(g, findings, "comm2")] == ["comm2"]
    assert [c.community for c in uncovered_communities(g, findings, "c1")] == ["comm"]


def test_registration_by_employer(store: GraphStore, run: Run) -> None:
    city = City()
    city.community("comm2")
    city.compound("c1")
    city.compound("c2", community="comm2")
    for pid, employer, compound, registered in (
        ("e1", "示例单位A", "c1", True),
        ("e2", "示例单位A", "c1", False),
        ("e3", "示例单位B", "c2", False),
        ("e4", "示例单位B", "c2", True),
        ("e5", "示例单位B", "c2", False),
    ):
        city.resident(pid, compound, employer=employer)
        city.member(pid, "pb", category="in_service")
        if registered:
            city.rel("REGISTERED_AT", pid, compound)
    city.resident("retired", "c1")
    city.member("retired", "pb")
    city.branch("pb", "c1")
    g = run(city.write(store))
    rows = registration_by_employer(g, AS_OF)
    assert [(r.employer, r.members, r.registered) for r in rows] == [
        ("示例单位B", 3, 1),
        ("示例单位A", 2, 1),
    ]
    assert rows[1].rate == 0.5
    scoped = registration_by_employer(g, AS_OF, "c1")
    assert [(r.employer, r.members) for r in scoped] == [("示例单位A", 2)]


# --- the demo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_graph(run: Run) -> nx.MultiDiGraph:
    store = EmbeddedStore()
    run(load_demo(store))
    g: nx.MultiDiGraph = run(project(store))
    return g


def test_demo_city_row_reproduces_the_article(demo_graph: nx.MultiDiGraph) -> None:
    rows = coverage_summary(demo_graph, SNAPSHOT)
    (city,) = [r for r in rows if r.level == "city"]
    assert city.compounds == 72
    assert city.branch == R(57, 72)  # the 46 compound branches cover 57 compounds
    assert city.owners_committee == R(PUBLISHED.compounds_with_owners_committee, 72)
    assert city.party_groups == R(PUBLISHED.party_groups, 407)
    assert city.service_station == R(66, 72)  # six compounds no station serves (P9)
    assert city.property_service == R(67, 72)  # five old compounds without service (M1)
    assert city.appeals_replied == R(PUBLISHED.appeals_replied, PUBLISHED.appeals_received)
    assert round(100 * (city.appeals_replied.rate or 0), 1) == PUBLISHED.appeal_reply_rate_percent
    assert city.cross_appointment == R(58, 304) and city.party_share == R(113, 304)
    assert city.findings == {"error": 2, "conflict": 3, "gap": 119, "warning": 394, "advice": 45}
    # the levels add up
    for level, count in (("township", 4), ("community", 12), ("compound", 72)):
        level_rows = [r for r in rows if r.level == level]
        assert len(level_rows) == count
        assert sum(r.compounds for r in level_rows) == 72
        assert sum((r.branch for r in level_rows), R(0, 0)) == city.branch
        assert sum((r.appeals_replied for r in level_rows), R(0, 0)) == city.appeals_replied


def test_demo_uncovered_communities(demo_graph: nx.MultiDiGraph) -> None:
    findings = run_rules(demo_graph, as_of=SNAPSHOT)
    ranking = uncovered_communities(demo_graph, findings)
    assert len(ranking) == 12 and [c.rank for c in ranking] == list(range(1, 13))
    gaps = [c.gaps for c in ranking]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > gaps[-1]
    assert sum(gaps) == sum(1 for f in findings if f.severity == "gap" and f.community)
    for c in ranking:
        assert sum(r.count for r in c.reasons) == c.findings


def test_demo_registration_by_employer(demo_graph: nx.MultiDiGraph) -> None:
    rows = registration_by_employer(demo_graph, SNAPSHOT)
    unregistered = sum(r.members - r.registered for r in rows)
    p8 = run_rules(demo_graph, RuleSettings(enabled=frozenset({"P8"})), as_of=SNAPSHOT)
    assert unregistered == len(p8) == 88
    assert [r.rate for r in rows] == sorted(r.rate or 0 for r in rows)
