"""Property management: rules M1-M3 of ``shared/domain/RULES.md``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import networkx as nx

from ..ontology import GRADES
from .engine import Check, Finding, Rule, RuleContext, Severity, rule

RULES: list[Rule] = []


@rule(
    RULES,
    "M1",
    "物业服务未覆盖",
    "Not covered by property service",
    source="the article: full coverage of old compounds",
    national=False,
    settings=("m1_old_only",),
    checks=(
        Check(
            "no_service",
            Severity.GAP,
            "{name}（{age}）没有任何物业服务（四种途径均未覆盖）。",
            "{name} ({age_en}) has no property service by any of the four ways.",
        ),
    ),
)
def m1_no_property_service(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A compound that nothing MANAGES (a property company, a community property management
    committee or its owners' committee: the four ways the article names all end in one of
    these); with ``m1_old_only`` only old compounds (``is_old``) are checked. ``is_old`` is in
    the details, so a report can put old compounds first.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["is_old"]) for f in run_rule("M1", tiny_city(), AS_OF)]
    [('c2', True)]
    """
    f = ctx.facts
    for c in ctx.subjects("Compound"):
        old = f.props(c).get("is_old") is True
        if (old or not ctx.settings.m1_old_only) and not f.managers(c):
            yield ctx.finding(
                "no_service",
                c,
                is_old=old,
                age="老旧小区" if old else "非老旧小区",
                age_en="old compound" if old else "not an old compound",
            )


@rule(
    RULES,
    "M2",
    "物业企业党建覆盖",
    "Party coverage of property companies",
    source="(local) Taiyuan, Zhenhai",
    national=False,
    checks=(
        Check(
            "no_party_org",
            Severity.GAP,
            "{name}有{members}名党员员工，但没有单独或联合的党组织（组织覆盖）。",
            "{name} employs Party members ({members}) and has no Party organization of its "
            "own or joint (organizational coverage).",
        ),
        Check(
            "no_instructor",
            Severity.GAP,
            "物业企业没有党员也没有党建指导员（工作覆盖）。",
            "A property company with no Party members and no Party-building instructor (work "
            "coverage).",
            evaluable=False,
            reason="the ontology has no Party-building instructor (党建指导员): no post or link "
            "attaches one to a PropertyCompany",
        ),
    ),
)
def m2_company_party_coverage(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A property company with employees (EMPLOYED_BY) who are Party members (MEMBER_OF) and no
    Party branch that is its Party organization (PARTY_ORG_OF: its own, or a compound branch
    acting as a joint one) → gap in organizational coverage. The work-coverage check (no
    members and no Party-building instructor) is declared but cannot be evaluated.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["party_employees"]) for f in run_rule("M2", tiny_city(), AS_OF)]
    [('co1', ['p9'])]
    """
    f = ctx.facts
    for co in ctx.subjects("PropertyCompany"):
        members = [p for p in f.into(co, "EMPLOYED_BY", "Person") if f.is_member(p)]
        if members and not f.into(co, "PARTY_ORG_OF"):
            yield ctx.finding("no_party_org", co, members=len(members), party_employees=members)


@rule(
    RULES,
    "M3",
    "红色物业考评",
    "Red-property grades",
    source="the article; the entry and exit mechanism",
    national=False,
    settings=("m3_grade_ratio", "m3_tolerance", "m3_exit_years"),
    checks=(
        Check(
            "distribution",
            Severity.WARNING,
            "{name}{year}年红色物业考评甲乙丙为{counts}，不符合{ratio}的比例。",
            "The {year} red-property grades in {name} are {counts} (A:B:C), not in the ratio "
            "{ratio}.",
        ),
        Check(
            "exit_candidate",
            Severity.WARNING,
            "{name}连续{years}年被评为丙级（{since}年起），列为退出候选。",
            "{name} has been graded C (丙) {years} years in a row since {since}: a candidate "
            "for exit.",
        ),
    ),
)
def m3_red_property_grades(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Per year up to the day's year and per city the evaluated companies roll up to, the
    grades (Evaluation ``grade`` A/B/C, EVALUATES a company) against ``m3_grade_ratio``: a grade
    whose count is a whole company or more (plus ``m3_tolerance``) away from its share of the
    total → warning, subject the city. A company whose latest ``m3_exit_years`` yearly grades,
    in consecutive years, are all C → warning "exit candidate".

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.subject) for f in run_rule("M3", tiny_city(), AS_OF)]
    [('exit_candidate', 'co1')]
    """
    f = ctx.facts
    s = ctx.settings
    cities = f.ids("City")
    # with one city every distribution finding is about that city, so under any other scope
    # only the exit candidates can be kept: the evaluations of the companies near the scope
    # (all of each one's evaluations link to it) are all that is needed
    scope = ctx.scope
    local = scope is not None and len(cities) == 1 and scope != cities[0]
    evaluations = (
        [e for co in ctx.subjects("PropertyCompany") for e in f.into(co, "EVALUATES")]
        if local
        else f.ids("Evaluation")
    )
    graded: dict[str, dict[int, str]] = defaultdict(dict)
    #: (year, city or "") → [(evaluation, grade)]
    by_year: dict[tuple[int, str], list[tuple[str, str]]] = defaultdict(list)
    for ev in sorted(set(evaluations)) if local else evaluations:
        year, grade = f.props(ev).get("year"), f.props(ev).get("grade")
        if not isinstance(year, int) or year > ctx.as_of.year or grade not in GRADES:
            continue
        for co in f.out(ev, "EVALUATES", "PropertyCompany"):
            graded[co][year] = str(grade)
            city = f.place(co).city or (cities[0] if len(cities) == 1 else "")
            by_year[(year, city)].append((ev, str(grade)))
    total_ratio = sum(s.m3_grade_ratio)
    for (year, city), rows in [] if local else sorted(by_year.items()):
        grades = [g for _, g in rows]
        counts = [grades.count(g) for g in GRADES]
        expected = [len(grades) * r / total_ratio for r in s.m3_grade_ratio]
        if any(abs(c - e) >= 1 + s.m3_tolerance for c, e in zip(counts, expected, strict=True)):
            yield ctx.finding(
                "distribution",
                city or min(ev for ev, _ in rows),  # no city known: the year's first evaluation
                part=str(year),
                year=year,
                counts=":".join(map(str, counts)),
                ratio=":".join(map(str, s.m3_grade_ratio)),
                expected=[round(e, 1) for e in expected],
            )
    for co in sorted(graded):
        years = graded[co]
        latest = max(years)
        run = 0
        while years.get(latest - run) == "C":
            run += 1
        if run >= s.m3_exit_years:
            yield ctx.finding("exit_candidate", co, years=run, since=latest - run + 1)
