"""Property management: rules M1-M3 of ``shared/domain/RULES.md``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..ontology import GRADES
from .columns import picked
from .derived import Pairs, linked, memberships, place
from .engine import Check, Finding, Registry, RuleContext, Severity

RULES = Registry()


@RULES.rule(
    "M1",
    "物业服务未覆盖",
    "Not covered by property service",
    Check(
        "no_service",
        Severity.GAP,
        "{name}（{age}）没有任何物业服务（四种途径均未覆盖）。",
        "{name} ({age_en}) has no property service by any of the four ways.",
    ),
    source="the article: full coverage of old compounds",
    settings=("m1_old_only",),
)
def m1_no_property_service(ctx: RuleContext) -> Iterator[Finding]:
    """A compound that nothing MANAGES (a property company, a community property management
    committee or its owners' committee: the four ways the article names all end in one of
    these); with ``m1_old_only`` only old compounds (``is_old``) are checked. ``is_old`` is in
    the details, so a report can put old compounds first.

    Examples
    --------
    >>> [(f.subject, f.details["is_old"]) for f in run_rule("M1", tiny_city(), AS_OF)]
    [('c2', True)]
    """
    cols = ctx.columns
    compounds = cols.of_kind("Compound")
    compounds = ctx.kept(compounds[~cols.mask(ctx.day.links("MANAGES")[1])[compounds]])
    olds = cols.array("Compound", "is_old")[cols.local[compounds]]
    for c, old in picked(olds | (not ctx.settings.m1_old_only), compounds, olds):
        yield ctx.finding(
            "no_service",
            c,
            is_old=old,
            age="老旧小区" if old else "非老旧小区",
            age_en="old compound" if old else "not an old compound",
        )


@RULES.rule(
    "M2",
    "物业企业党建覆盖",
    "Party coverage of property companies",
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
    source="(local) Taiyuan, Zhenhai",
)
def m2_company_party_coverage(ctx: RuleContext) -> Iterator[Finding]:
    """A property company with employees (EMPLOYED_BY) who are Party members (MEMBER_OF) and no
    Party branch that is its Party organization (PARTY_ORG_OF: its own, or a compound branch
    acting as a joint one) → gap in organizational coverage. The work-coverage check (no
    members and no Party-building instructor) is declared but cannot be evaluated.

    Examples
    --------
    >>> [(f.subject, f.details["party_employees"]) for f in run_rule("M2", tiny_city(), AS_OF)]
    [('co1', ['p9'])]
    """
    day, cols = ctx.day, ctx.columns
    person, company = day.links("EMPLOYED_BY")
    party = memberships(day).member[person]
    employs = Pairs.distinct(company[party], person[party])
    companies = cols.of_kind("PropertyCompany")
    has_org = cols.mask(day.links("PARTY_ORG_OF")[1])
    lacking = companies[(cols.mask(employs.a) & ~has_org)[companies]]
    for co in ctx.kept(lacking).tolist():
        members = cols.ids_of(employs.of(co))
        yield ctx.finding("no_party_org", co, members=len(members), party_employees=members)


@RULES.rule(
    "M3",
    "红色物业考评",
    "Red-property grades",
    Check(
        "distribution",
        Severity.WARNING,
        "{name}{year}年红色物业考评甲乙丙为{counts}，不符合{ratio}的比例。",
        "The {year} red-property grades in {name} are {counts} (A:B:C), not in the ratio {ratio}.",
    ),
    Check(
        "exit_candidate",
        Severity.WARNING,
        "{name}连续{years}年被评为丙级（{since}年起），列为退出候选。",
        "{name} has been graded C (丙) {years} years in a row since {since}: a candidate for exit.",
    ),
    source="the article; the entry and exit mechanism",
    settings=("m3_grade_ratio", "m3_tolerance", "m3_exit_years"),
)
def m3_red_property_grades(ctx: RuleContext) -> Iterator[Finding]:
    """Per year up to the day's year and per city the evaluated companies roll up to, the
    grades (Evaluation ``grade`` A/B/C, EVALUATES a company) against ``m3_grade_ratio``: a grade
    whose count is a whole company or more (plus ``m3_tolerance``) away from its share of the
    total → warning, subject the city. A company whose latest ``m3_exit_years`` yearly grades,
    in consecutive years, are all C → warning "exit candidate".

    Examples
    --------
    >>> [(f.check, f.subject) for f in run_rule("M3", tiny_city(), AS_OF)]
    [('exit_candidate', 'co1')]
    """
    day, cols, s = ctx.day, ctx.columns, ctx.settings
    column, codes = cols.array("Evaluation", "year"), cols.codes("Evaluation", "grade")
    # (evaluation, company) rows, by evaluation then company (the order they are read in)
    graded = linked(day, "EVALUATES", "Evaluation")
    row = cols.local[graded.a]  # each evaluation's row in its kind's columns
    years = column[row].astype(np.int64)
    # a grade as its index in GRADES; -1: none, or not a grade
    index = [GRADES.index(v) if v in GRADES else -1 for v in codes.values]
    grades = np.array([*index, -1], np.int64)[codes.codes[row]]
    counted = (years != -1) & (years <= ctx.as_of.year) & (grades >= 0)
    ev, co = graded.a[counted], graded.b[counted]
    year, grade = years[counted], grades[counted]
    cities = cols.of_kind("City")
    city = place(day)[co, 3]
    city[city < 0] = cities[0] if len(cities) == 1 else -1  # -1: none ("")
    total_ratio = sum(s.m3_grade_ratio)
    # per (year, city), by year then city ("" first: -1 sorts first)
    group, of_row = np.unique((year << 32) | (city + 1), return_inverse=True)
    counts_of = np.zeros((len(group), len(GRADES)), np.int64)
    np.add.at(counts_of, (of_row, grade), 1)
    first_ev = np.full(len(group), cols.size, np.int64)
    np.minimum.at(first_ev, of_row, ev)
    for g, key in enumerate(group.tolist()):
        counts = counts_of[g].tolist()
        expected = [sum(counts) * r / total_ratio for r in s.m3_grade_ratio]
        if any(abs(c - e) >= 1 + s.m3_tolerance for c, e in zip(counts, expected, strict=True)):
            y, c = key >> 32, (key & 0xFFFFFFFF) - 1
            yield ctx.finding(
                "distribution",
                c if c >= 0 else int(first_ev[g]),  # no city known: the year's first evaluation
                part=str(y),
                year=y,
                counts=":".join(map(str, counts)),
                ratio=":".join(map(str, s.m3_grade_ratio)),
                expected=[round(e, 1) for e in expected],
            )
    # each company's grade per year: the last evaluation's (in id order) of the year
    key = (co.astype(np.int64) << 32) | year
    order = np.lexsort((ev, key))
    key, grade = key[order], grade[order]
    last = np.r_[key[1:] != key[:-1], True] if len(key) else np.zeros(0, np.bool_)
    key, grade = key[last], grade[last]
    # by company, the latest year first: the run of C (in consecutive years) from the top
    key, grade = key[::-1], grade[::-1]
    company, year = key >> 32, key & 0xFFFFFFFF
    start = np.r_[True, company[1:] != company[:-1]] if len(key) else np.zeros(0, np.bool_)
    head = np.flatnonzero(start)
    group_of = np.cumsum(start) - 1
    latest = year[head][group_of]
    step = np.arange(len(key)) - head[group_of]
    broken = (year != latest - step) | (grade != GRADES.index("C"))
    # rows before the group's first break
    before = (np.cumsum(broken) - np.cumsum(broken)[head][group_of] + broken[head][group_of]) == 0
    runs = np.bincount(group_of[before], minlength=len(head))
    exits = runs >= s.m3_exit_years
    exits[exits] = ctx.wanted(company[head][exits])
    for co_, run, top in picked(exits, company[head], runs, year[head]):
        yield ctx.finding("exit_candidate", co_, years=run, since=top - run + 1)
