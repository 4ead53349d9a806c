"""Owners' committees: rules O1-O8 of ``shared/domain/RULES.md``.

A committee is judged when it REPRESENTS a compound on the evaluation day (a committee node
with no such link is not yet, or no longer, in office). Its members are the people holding a
post in it (HOLDS_POST: chair, vice chair, member).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import networkx as nx

from ._dates import add_months, add_years
from ._facts import conflicts, cross_appointment
from .engine import Check, Finding, Rule, RuleContext, Severity, rule

RULES: list[Rule] = []

_GUIDING_RULES = (
    "Guiding Rules for Owners' Assemblies and Owners' Committees 《业主大会和业主委员会指导规则》"
)


def _committees(ctx: RuleContext) -> list[str]:
    """The committees in office: those representing a compound on the day."""
    f = ctx.facts
    return [oc for oc in ctx.subjects("OwnersCommittee") if f.out(oc, "REPRESENTS", "Compound")]


def _elected(ctx: RuleContext, oc: str) -> dt.date | None:
    value = ctx.facts.props(oc).get("elected_on")
    return value if isinstance(value, dt.date) else None


@rule(
    RULES,
    "O1",
    "应成立业委会",
    "Owners' committee should be established",
    source=f"{_GUIDING_RULES} (2009)",
    national=True,
    settings=("o1_delivered_ratio", "o1_unknown_ratio_is_delivered"),
    checks=(
        Check(
            "should_establish",
            Severity.GAP,
            "{name}已交付面积{delivered}，达到成立条件，但没有业主委员会。",
            "{name} has {delivered} of its floor area delivered, past the trigger, and no "
            "owners' committee.",
        ),
    ),
)
def o1_committee_should_exist(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no owners' committee REPRESENTS, whose ``delivered_area_ratio`` is over
    ``o1_delivered_ratio``. A compound without the ratio counts as delivered when
    ``o1_unknown_ratio_is_delivered`` (old compounds rarely record it), else it is skipped.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["delivered"]) for f in run_rule("O1", tiny_city(), AS_OF)]
    [('c2', '100%')]
    """
    f = ctx.facts
    s = ctx.settings
    for c in ctx.subjects("Compound"):
        if f.committees_of(c):
            continue
        ratio = f.props(c).get("delivered_area_ratio")
        if isinstance(ratio, int | float):
            if ratio > s.o1_delivered_ratio:
                yield ctx.finding("should_establish", c, delivered=f"{ratio:.0%}", ratio=ratio)
        elif s.o1_unknown_ratio_is_delivered:
            yield ctx.finding("should_establish", c, delivered="?", ratio=None)


@rule(
    RULES,
    "O2",
    "业委会人数",
    "Owners' committee size",
    source=f"{_GUIDING_RULES} art. 31",
    national=True,
    settings=("o2_min_members", "o2_max_members", "o2_odd"),
    checks=(
        Check(
            "size",
            Severity.WARNING,
            "{name}有{members}名委员，应为{low}至{high}人的单数。",
            "{name} has {members} members; it should have an odd number from {low} to {high}.",
        ),
    ),
)
def o2_committee_size(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A committee with fewer than ``o2_min_members`` or more than ``o2_max_members``
    members, or (with ``o2_odd``) an even number of them.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["members"]) for f in run_rule("O2", tiny_city(), AS_OF)]
    [('oc1', 3)]
    """
    s = ctx.settings
    for oc in _committees(ctx):
        n = len(ctx.facts.seats(oc))
        if n < s.o2_min_members or n > s.o2_max_members or (s.o2_odd and n % 2 == 0):
            yield ctx.finding("size", oc, members=n, low=s.o2_min_members, high=s.o2_max_members)


@rule(
    RULES,
    "O3",
    "业委会任期",
    "Owners' committee term",
    source=f"{_GUIDING_RULES} art. 31; (local) re-election timing",
    national=True,
    settings=("o3_max_term_years", "o3_default_term_years", "o3_warn_months"),
    checks=(
        Check(
            "term_too_long",
            Severity.GAP,
            "{name}的任期为{term_years}年，超过{limit}年。",
            "{name} has a {term_years}-year term, longer than {limit} years.",
        ),
        Check(
            "overdue",
            Severity.GAP,
            "{name}于{elected_on}选举，任期已于{term_end}届满，逾期未换届。",
            "{name} was elected on {elected_on}; its term ended on {term_end} with no election.",
        ),
        Check(
            "due_soon",
            Severity.WARNING,
            "{name}的任期将于{term_end}届满，尚未换届选举。",
            "The term of {name} ends on {term_end} and no election has been held.",
        ),
    ),
)
def o3_committee_term(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose ``term_years`` is over ``o3_max_term_years`` → gap; whose term
    (``term_years``, else ``o3_default_term_years``, from ``elected_on``) ended before the day
    → gap; that ends within ``o3_warn_months`` months after the day → warning. A committee
    without ``elected_on`` cannot be judged on its term's end.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("O3", tiny_city(), AS_OF)
    []
    >>> [f.check for f in run_rule("O3", tiny_city(), dt.date(2025, 12, 1))]
    ['due_soon']
    """
    s = ctx.settings
    for oc in _committees(ctx):
        term = int(ctx.facts.props(oc).get("term_years") or s.o3_default_term_years)
        if term > s.o3_max_term_years:
            yield ctx.finding("term_too_long", oc, term_years=term, limit=s.o3_max_term_years)
        elected = _elected(ctx, oc)
        if elected is None:
            continue
        end = add_years(elected, term)
        if ctx.as_of > end:
            yield ctx.finding("overdue", oc, elected_on=elected, term_end=end, term_years=term)
        elif ctx.as_of >= add_months(end, -s.o3_warn_months):
            yield ctx.finding("due_soon", oc, elected_on=elected, term_end=end, term_years=term)


@rule(
    RULES,
    "O4",
    "委员非业主",
    "Committee member who owns nothing in the compound",
    source=f"{_GUIDING_RULES} art. 31",
    national=True,
    checks=(
        Check(
            "not_owner",
            Severity.ERROR,
            "{committee_name}的委员{name}在{compound_names}没有房产。",
            "{name}, a member of {committee_name}, owns no unit in {compound_names}.",
        ),
    ),
)
def o4_member_not_owner(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A person holding a post in a committee who OWNS no unit in the compound(s) the
    committee REPRESENTS. The finding rolls up to the committee's compound.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("O4", tiny_city(), AS_OF)
    []
    """
    f = ctx.facts
    for oc in _committees(ctx):
        compounds = f.out(oc, "REPRESENTS", "Compound")
        for person, role in f.seats(oc).items():
            if not set(f.owned_compounds(person)) & set(compounds):
                yield ctx.finding(
                    "not_owner",
                    person,
                    part=oc,
                    place_of=oc,
                    committee=oc,
                    committee_name=f.label(oc),
                    role=role,
                    compounds=compounds,
                    compound_names=[f.label(c) for c in compounds],
                )


@rule(
    RULES,
    "O5",
    "利益冲突",
    "Conflict of interest",
    source="the article (the committee supervises the company); (local) rules barring "
    "property-company staff",
    national=False,
    checks=(
        Check(
            "employed_by_manager",
            Severity.CONFLICT,
            "{committee_name}的委员{name}受雇于管理该小区的{company_name}（{job_role}）。",
            "{name}, a member of {committee_name}, is employed ({job_role}) by {company_name}, "
            "the company that manages the compound and that the committee supervises.",
        ),
    ),
)
def o5_conflict_of_interest(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A person holding a post in a committee and EMPLOYED_BY a property company that MANAGES
    the compound the committee REPRESENTS (the same list as
    :func:`~govgraph.graph.analytics.ties.conflicts_of_interest`).

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["company"]) for f in run_rule("O5", tiny_city(), AS_OF)]
    [('p3', 'co1')]
    """
    f = ctx.facts
    for c in conflicts(f, ctx.subjects("OwnersCommittee")):
        yield ctx.finding(
            "employed_by_manager",
            c.person,
            part=f"{c.committee}:{c.company}",
            place_of=c.committee,
            committee=c.committee,
            committee_name=f.label(c.committee),
            compound=c.compound,
            company=c.company,
            company_name=f.label(c.company),
            seat_role=c.seat_role,
            job_role=c.job_role or "?",
        )


@rule(
    RULES,
    "O6",
    "党员比例",
    "Party share of the committee",
    source="(local) Chengdu 2024, Shenzhen 2022",
    national=False,
    settings=("o6_min_party_share", "o6_count_probationary"),
    checks=(
        Check(
            "party_share",
            Severity.WARNING,
            "{name}的{members}名委员中党员{party}名（{share:.0%}），低于{limit:.0%}。",
            "{party} of the {members} members of {name} are Party members ({share:.0%}), "
            "less than {limit:.0%}.",
        ),
    ),
)
def o6_party_share(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose members with a MEMBER_OF link (probationary members counted when
    ``o6_count_probationary``, and in a discreet run) make up less than ``o6_min_party_share``
    of its members.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("O6", tiny_city(), AS_OF)
    []
    >>> strict = run_rule("O6", tiny_city(), AS_OF, o6_min_party_share=0.7)
    >>> [(f.subject, f.details["party"], f.details["members"]) for f in strict]
    [('oc1', 2, 3)]
    """
    f = ctx.facts
    s = ctx.settings
    for oc in _committees(ctx):
        seats = f.seats(oc)
        if not seats:
            continue
        # a discreet run counts every member: leaving some out by status would tell it
        every = s.o6_count_probationary or ctx.discreet
        party = sorted(p for p in seats if f.is_member(p, probationary=every))
        share = len(party) / len(seats)
        if share < s.o6_min_party_share:
            yield ctx.finding(
                "party_share",
                oc,
                members=len(seats),
                party=len(party),
                share=share,
                limit=s.o6_min_party_share,
            )


@rule(
    RULES,
    "O7",
    "交叉任职",
    "Cross-appointment",
    source='the article: "two-way entry, cross-appointment"; the branch secretary is put '
    "forward as chair",
    national=False,
    checks=(
        Check(
            "no_cross_appointment",
            Severity.GAP,
            "{name}的业委会与党支部之间没有交叉任职。",
            "Nobody on the owners' committee of {name} holds a post in its Party branch.",
        ),
        Check(
            "secretary_not_chair",
            Severity.ADVICE,
            "{name}的党支部书记未担任业委会主任。",
            "The Party branch secretary of {name} does not chair its owners' committee.",
        ),
    ),
)
def o7_cross_appointment(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Per compound with both a committee (REPRESENTS) and a branch covering it (COVERS): no
    committee member holds a branch committee post → gap; otherwise, the branch secretary
    chairs none of the committees → advice. A joint branch's secretary can chair one committee
    only, so no advice is given for a compound whose branch secretary chairs the committee of
    another compound the branch covers.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("O7", tiny_city(), AS_OF)
    []
    """
    f = ctx.facts
    for c in ctx.subjects("Compound"):
        x = cross_appointment(f, c)
        if not x.committees or not x.branches:
            continue
        details: dict[str, Any] = {"committees": x.committees, "branches": x.branches}
        if not x.cross:
            yield ctx.finding("no_cross_appointment", c, seats=len(x.seats), **details)
            continue
        if not x.secretaries or x.secretary_chairs:
            continue
        chairs_elsewhere = any(
            cross_appointment(f, other).secretary_chairs
            for b in x.branches
            for other in f.out(b, "COVERS", "Compound")
            if other != c
        )
        if not chairs_elsewhere:
            yield ctx.finding(
                "secretary_not_chair", c, secretaries=x.secretaries, chairs=x.chairs, **details
            )


@rule(
    RULES,
    "O8",
    "业委会备案",
    "Committee filing",
    source="Property Management Regulations 《物业管理条例》 art. 16",
    national=True,
    settings=("o8_filing_days",),
    checks=(
        Check(
            "filed_late",
            Severity.WARNING,
            "{name}于{elected_on}选举，{filed_on}才备案，超过{limit}天。",
            "{name} was elected on {elected_on} and filed on {filed_on}, more than {limit} "
            "days later.",
        ),
        Check(
            "not_filed",
            Severity.WARNING,
            "{name}于{elected_on}选举，{days}天后仍未备案（应在{limit}天内）。",
            "{name} was elected on {elected_on} and is still not filed {days} days later "
            "(due within {limit}).",
        ),
    ),
)
def o8_filing(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose ``filed_on`` is more than ``o8_filing_days`` days after its
    ``elected_on`` → filed late; one with no ``filed_on`` by the day (or a later one) more than
    ``o8_filing_days`` days after its election → not filed.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.details["days"]) for f in run_rule("O8", tiny_city(), AS_OF)]
    [('not_filed', 141)]
    """
    limit = ctx.settings.o8_filing_days
    for oc in _committees(ctx):
        elected = _elected(ctx, oc)
        if elected is None or elected > ctx.as_of:
            continue
        filed = ctx.facts.props(oc).get("filed_on")
        if isinstance(filed, dt.date) and filed <= ctx.as_of:
            if (filed - elected).days > limit:
                days = (filed - elected).days
                yield ctx.finding(
                    "filed_late", oc, elected_on=elected, filed_on=filed, days=days, limit=limit
                )
        elif (ctx.as_of - elected).days > limit:
            days = (ctx.as_of - elected).days
            yield ctx.finding("not_filed", oc, elected_on=elected, days=days, limit=limit)
