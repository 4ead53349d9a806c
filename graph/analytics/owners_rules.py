"""Owners' committees: rules O1-O8 of ``shared/domain/RULES.md``.

A committee is judged when it REPRESENTS a compound on the evaluation day (a committee node
with no such link is not yet, or no longer, in office). Its members are the people holding a
post in it (HOLDS_POST: chair, vice chair, member).
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 (the examples use it)
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._dates import add_months_to_days
from .appointments import conflicts, cross_appointment, id_lists, represents
from .columns import NO_DAY, Bools, Columns, DayView, Int32s, day_number, day_of, distinct, picked
from .derived import Posts, _join, memberships, owned_compounds, posts, renumbered_numbers
from .engine import Check, Finding, Registry, RuleContext, Severity

RULES = Registry()

_GUIDING_RULES = (
    "Guiding Rules for Owners' Assemblies and Owners' Committees 《业主大会和业主委员会指导规则》"
)


def _committees(day: DayView) -> Int32s:
    """The committees in office: those representing a compound on the day (sorted)."""
    return distinct(represents(day).a)


def _seats(day: DayView) -> NDArray[np.intp]:
    """Per node, how many people hold a post in it (its seats, for a committee)."""
    return day.memo(
        "owners_rules.seats",
        lambda: np.bincount(posts(day).body, minlength=day.columns.size),
        frozenset({"HOLDS_POST"}),
    )


def _ints(cols: Columns, kind: str, prop: str, nodes: Int32s) -> NDArray[np.int64]:
    """A day or int column of ``kind`` at ``nodes``, as int64 (no overflow in differences)."""
    return cols.array(kind, prop)[cols.local[nodes]].astype(np.int64)


def _role(p: Posts, row: int) -> str:
    """The role of a row of :func:`~.derived.posts` ("" when not given)."""
    code = int(p.role[row])
    return p.roles[code] if code >= 0 else ""


@RULES.rule(
    "O1",
    "应成立业委会",
    "Owners' committee should be established",
    Check(
        "should_establish",
        Severity.GAP,
        "{name}已交付面积{delivered}，达到成立条件，但没有业主委员会。",
        "{name} has {delivered} of its floor area delivered, past the trigger, and no "
        "owners' committee.",
    ),
    source=f"{_GUIDING_RULES} (2009)",
    settings=("o1_delivered_ratio", "o1_unknown_ratio_is_delivered"),
)
def o1_committee_should_exist(ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no owners' committee REPRESENTS, whose ``delivered_area_ratio`` is over
    ``o1_delivered_ratio``. A compound without the ratio counts as delivered when
    ``o1_unknown_ratio_is_delivered`` (old compounds rarely record it), else it is skipped.

    Examples
    --------
    >>> [(f.subject, f.details["delivered"]) for f in run_rule("O1", tiny_city(), AS_OF)]
    [('c2', '100%')]
    """
    cols, s = ctx.columns, ctx.settings
    compounds = cols.of_kind("Compound")
    compounds = ctx.kept(compounds[~cols.mask(represents(ctx.day).b)[compounds]])
    ratios = cols.array("Compound", "delivered_area_ratio")[cols.local[compounds]]
    known = ~np.isnan(ratios)  # NaN: no ratio
    hit = np.where(known, ratios > s.o1_delivered_ratio, s.o1_unknown_ratio_is_delivered)
    for c, ratio, has in picked(hit, compounds, ratios, known):
        if has:
            yield ctx.finding("should_establish", c, delivered=f"{ratio:.0%}", ratio=ratio)
        else:
            yield ctx.finding("should_establish", c, delivered="?", ratio=None)


@RULES.rule(
    "O2",
    "业委会人数",
    "Owners' committee size",
    Check(
        "size",
        Severity.WARNING,
        "{name}有{members}名委员，应为{low}至{high}人的单数。",
        "{name} has {members} members; it should have an odd number from {low} to {high}.",
    ),
    source=f"{_GUIDING_RULES} art. 31",
    settings=("o2_min_members", "o2_max_members", "o2_odd"),
)
def o2_committee_size(ctx: RuleContext) -> Iterator[Finding]:
    """A committee with fewer than ``o2_min_members`` or more than ``o2_max_members``
    members, or (with ``o2_odd``) an even number of them.

    Examples
    --------
    >>> [(f.subject, f.details["members"]) for f in run_rule("O2", tiny_city(), AS_OF)]
    [('oc1', 3)]
    """
    s = ctx.settings
    committees = ctx.kept(_committees(ctx.day))
    seats = _seats(ctx.day)[committees]
    hit = (seats < s.o2_min_members) | (seats > s.o2_max_members)
    if s.o2_odd:
        hit |= seats % 2 == 0
    for oc, n in zip(committees[hit].tolist(), seats[hit].tolist(), strict=True):
        yield ctx.finding("size", oc, members=n, low=s.o2_min_members, high=s.o2_max_members)


@RULES.rule(
    "O3",
    "业委会任期",
    "Owners' committee term",
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
    source=f"{_GUIDING_RULES} art. 31; (local) re-election timing",
    settings=("o3_max_term_years", "o3_default_term_years", "o3_warn_months"),
)
def o3_committee_term(ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose ``term_years`` is over ``o3_max_term_years`` → gap; whose term
    (``term_years``, else ``o3_default_term_years``, from ``elected_on``) ended before the day
    → gap; that ends within ``o3_warn_months`` months after the day → warning. A committee
    without ``elected_on`` cannot be judged on its term's end.

    Examples
    --------
    >>> run_rule("O3", tiny_city(), AS_OF)
    []
    >>> [f.check for f in run_rule("O3", tiny_city(), dt.date(2025, 12, 1))]
    ['due_soon']
    """
    cols, s = ctx.columns, ctx.settings
    committees = ctx.kept(_committees(ctx.day))
    given = _ints(cols, "OwnersCommittee", "term_years", committees)
    # -1: none given; 0 counts as none too (``term_years or default``)
    terms = np.where((given == -1) | (given == 0), s.o3_default_term_years, given)
    for oc, term in picked(terms > s.o3_max_term_years, committees, terms):
        yield ctx.finding("term_too_long", oc, term_years=term, limit=s.o3_max_term_years)
    elected = _ints(cols, "OwnersCommittee", "elected_on", committees)
    known = elected != NO_DAY
    committees, elected, terms = committees[known], elected[known], terms[known]
    ends = add_months_to_days(elected, 12 * terms)
    today = day_number(ctx.as_of)
    overdue = today > ends
    due = overdue | (today >= add_months_to_days(ends, -s.o3_warn_months))
    for oc, e, end, term, late in picked(due, committees, elected, ends, terms, overdue):
        check = "overdue" if late else "due_soon"
        yield ctx.finding(check, oc, elected_on=day_of(e), term_end=day_of(end), term_years=term)


@RULES.rule(
    "O4",
    "委员非业主",
    "Committee member who owns nothing in the compound",
    Check(
        "not_owner",
        Severity.ERROR,
        "{committee_name}的委员{name}在{compound_names}没有房产。",
        "{name}, a member of {committee_name}, owns no unit in {compound_names}.",
    ),
    source=f"{_GUIDING_RULES} art. 31",
)
def o4_member_not_owner(ctx: RuleContext) -> Iterator[Finding]:
    """A person holding a post in a committee who OWNS no unit in the compound(s) the
    committee REPRESENTS. The finding rolls up to the committee's compound.
    """
    day, cols = ctx.day, ctx.columns
    rep, seats = represents(day), posts(day)
    lacking = _not_owners(day).copy()
    lacking[lacking] = ctx.wanted(seats.person[lacking], place_of=seats.body[lacking])
    for i in np.flatnonzero(lacking).tolist():
        oc, person = int(seats.body[i]), int(seats.person[i])
        compounds = rep.of(oc)
        yield ctx.finding(
            "not_owner",
            person,
            part=cols.id(oc),
            place_of=oc,
            committee=cols.id(oc),
            committee_name=cols.label(oc),
            role=_role(seats, i),
            compounds=cols.ids_of(compounds),
            compound_names=[cols.label(c) for c in compounds.tolist()],
        )


def _not_owners(day: DayView) -> Bools:
    """Per seat of :func:`~.derived.posts`: a seat of a committee in office (one with a
    compound) whose holder owns a unit in none of its compounds (kept on the day)."""

    def compute() -> Bools:
        rep, seats = represents(day), posts(day)
        # every (seat, compound of its committee), and whether the seat holder owns a unit there
        seat, compound = _join(seats.body, rep.a)
        wanted = (seats.person[seat].astype(np.int64) << 32) | rep.b[compound]
        # the owned pairs' keys are sorted: a binary search each (np.isin would sort them again)
        keys = owned_compounds(day).keys()
        found = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        owns = keys[found] == wanted if len(keys) else np.zeros(len(wanted), np.bool_)
        out = np.zeros(len(seats.body), np.bool_)
        out[seat] = True
        out[seat[owns]] = False
        return out

    reads = frozenset({"REPRESENTS", "HOLDS_POST", "OWNS", "PART_OF"})
    return day.memo(("O4", "not owners"), compute, reads)


@RULES.rule(
    "O5",
    "利益冲突",
    "Conflict of interest",
    Check(
        "employed_by_manager",
        Severity.CONFLICT,
        "{committee_name}的委员{name}受雇于管理该小区的{company_name}（{job_role}）。",
        "{name}, a member of {committee_name}, is employed ({job_role}) by {company_name}, "
        "the company that manages the compound and that the committee supervises.",
    ),
    source="the article (the committee supervises the company); (local) rules barring "
    "property-company staff",
)
def o5_conflict_of_interest(ctx: RuleContext) -> Iterator[Finding]:
    """A person holding a post in a committee and EMPLOYED_BY a property company that MANAGES
    the compound the committee REPRESENTS (the same list as
    :func:`~govgraph.graph.analytics.ties.conflicts_of_interest`).

    Examples
    --------
    >>> [(f.subject, f.details["company"]) for f in run_rule("O5", tiny_city(), AS_OF)]
    [('p3', 'co1')]
    """
    cols = ctx.columns
    seats = posts(ctx.day)
    found, jobs = conflicts(ctx.day)
    found = found[ctx.wanted(found[:, 0], place_of=found[:, 1])]
    for person, oc, compound, company, seat, job in found.tolist():
        yield ctx.finding(
            "employed_by_manager",
            person,
            part=f"{cols.id(oc)}:{cols.id(company)}",
            place_of=oc,
            committee=cols.id(oc),
            committee_name=cols.label(oc),
            compound=cols.id(compound),
            company=cols.id(company),
            company_name=cols.label(company),
            seat_role=_role(seats, seat),
            job_role=jobs[job] if job >= 0 else "?",
        )


@RULES.rule(
    "O6",
    "党员比例",
    "Party share of the committee",
    Check(
        "party_share",
        Severity.WARNING,
        "{name}的{members}名委员中党员{party}名（{share:.0%}），低于{limit:.0%}。",
        "{party} of the {members} members of {name} are Party members ({share:.0%}), "
        "less than {limit:.0%}.",
    ),
    source="(local) Chengdu 2024, Shenzhen 2022",
    settings=("o6_min_party_share", "o6_count_probationary"),
)
def o6_party_share(ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose members with a MEMBER_OF link (probationary members counted when
    ``o6_count_probationary``, and in a discreet run) make up less than ``o6_min_party_share``
    of its members.

    Examples
    --------
    >>> run_rule("O6", tiny_city(), AS_OF)
    []
    >>> strict = run_rule("O6", tiny_city(), AS_OF, o6_min_party_share=0.7)
    >>> [(f.subject, f.details["party"], f.details["members"]) for f in strict]
    [('oc1', 2, 3)]
    """
    day, s = ctx.day, ctx.settings
    committees = ctx.kept(_committees(day))
    seats = _seats(day)[committees]
    committees, seats = committees[seats > 0], seats[seats > 0]
    # a discreet run counts every member: leaving some out by status would tell it
    every = s.o6_count_probationary or ctx.discreet
    m = memberships(day)
    counted = m.member if every else m.full_or_unstated
    p = posts(day)
    party = np.bincount(p.body[counted[p.person]], minlength=day.columns.size)[committees]
    shares = party / seats
    hit = shares < s.o6_min_party_share
    for oc, n, k, share in picked(hit, committees, seats, party, shares):
        yield ctx.finding(
            "party_share", oc, members=n, party=k, share=share, limit=s.o6_min_party_share
        )


@RULES.rule(
    "O7",
    "交叉任职",
    "Cross-appointment",
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
    source='the article: "two-way entry, cross-appointment"; the branch secretary is put '
    "forward as chair",
)
def o7cross_appointment(ctx: RuleContext) -> Iterator[Finding]:
    """Per compound with both a committee (REPRESENTS) and a branch covering it (COVERS): no
    committee member holds a branch committee post → gap; otherwise, the branch secretary
    chairs none of the committees → advice. A joint branch's secretary can chair one committee
    only, so no advice is given for a compound whose branch secretary chairs the committee of
    another compound the branch covers.
    """
    day, cols = ctx.day, ctx.columns
    x = cross_appointment(day)
    committees, branches = represents(day).swapped(), x.covers.swapped()

    def details(compounds: Int32s) -> list[dict[str, Any]]:
        of = id_lists(cols, committees, compounds), id_lists(cols, branches, compounds)
        return [{"committees": c, "branches": b} for c, b in zip(*of, strict=True)]

    lacking, advised = map(ctx.kept, _o7_compounds(day))
    seats = x.seats.counts(lacking).tolist()
    for c, k, more in zip(lacking.tolist(), seats, details(lacking), strict=True):
        yield ctx.finding("no_cross_appointment", c, seats=k, **more)
    for c, secretaries, chairs, more in zip(
        advised.tolist(),
        id_lists(cols, x.secretaries, advised),
        id_lists(cols, x.chairs, advised),
        details(advised),
        strict=True,
    ):
        yield ctx.finding("secretary_not_chair", c, secretaries=secretaries, chairs=chairs, **more)


def _o7_compounds(day: DayView) -> tuple[Int32s, Int32s]:
    """The compounds O7 finds without cross-appointment, and those it advises on (kept on the
    day: a write elsewhere, a membership say, leaves them)."""

    def compute() -> tuple[Int32s, Int32s]:
        cols = day.columns
        x = cross_appointment(day)
        compounds = cols.of_kind("Compound")
        crossed = cols.mask(x.cross)
        both = cols.mask(represents(day).b) & cols.mask(x.covers.b)
        lacking = compounds[both[compounds] & ~crossed[compounds]]
        # a secretary chairing no committee of the compound, nor (a joint branch's) of another
        # compound one of its branches covers
        has_secretary = cols.mask(x.secretaries.a)
        left, right = _join(x.covers.a, x.covers.a)  # (branch, compound) x (branch, other)
        here, there = x.covers.b[left], x.covers.b[right]
        elsewhere = cols.mask(here[(here != there) & x.secretary_chairs[there]])
        advise = both & crossed & has_secretary & ~x.secretary_chairs & ~elsewhere
        return lacking, compounds[advise[compounds]]

    reads = frozenset({"REPRESENTS", "HOLDS_POST", "COVERS"})
    return day.memo(("O7", "compounds"), compute, reads, renumber=renumbered_numbers)


@RULES.rule(
    "O8",
    "业委会备案",
    "Committee filing",
    Check(
        "filed_late",
        Severity.WARNING,
        "{name}于{elected_on}选举，{filed_on}才备案，超过{limit}天。",
        "{name} was elected on {elected_on} and filed on {filed_on}, more than {limit} days later.",
    ),
    Check(
        "not_filed",
        Severity.WARNING,
        "{name}于{elected_on}选举，{days}天后仍未备案（应在{limit}天内）。",
        "{name} was elected on {elected_on} and is still not filed {days} days later "
        "(due within {limit}).",
    ),
    source="Property Management Regulations 《物业管理条例》 art. 16",
    settings=("o8_filing_days",),
)
def o8_filing(ctx: RuleContext) -> Iterator[Finding]:
    """A committee whose ``filed_on`` is more than ``o8_filing_days`` days after its
    ``elected_on`` → filed late; one with no ``filed_on`` by the day (or a later one) more than
    ``o8_filing_days`` days after its election → not filed.

    Examples
    --------
    >>> [(f.check, f.details["days"]) for f in run_rule("O8", tiny_city(), AS_OF)]
    [('not_filed', 141)]
    """
    limit = ctx.settings.o8_filing_days
    cols = ctx.columns
    today = day_number(ctx.as_of)
    committees = ctx.kept(_committees(ctx.day))
    elected = _ints(cols, "OwnersCommittee", "elected_on", committees)
    filed = _ints(cols, "OwnersCommittee", "filed_on", committees)
    judged = (elected != NO_DAY) & (elected <= today)
    is_filed = (filed != NO_DAY) & (filed <= today)
    late = judged & is_filed & (filed - elected > limit)
    for oc, e, f in picked(late, committees, elected, filed):
        yield ctx.finding(
            "filed_late",
            oc,
            elected_on=day_of(e),
            filed_on=day_of(f),
            days=f - e,
            limit=limit,
        )
    unfiled = judged & ~is_filed & (today - elected > limit)
    for oc, e in picked(unfiled, committees, elected):
        yield ctx.finding("not_filed", oc, elected_on=day_of(e), days=today - e, limit=limit)
