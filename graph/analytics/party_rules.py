"""Party organization coverage: rules P1-P9 of ``shared/domain/RULES.md``.

Each function receives the projection as of the evaluation day and a
:class:`~govgraph.graph.analytics.engine.RuleContext`; run them through
:func:`~govgraph.graph.analytics.rules.run_rules` (or ``run_rule`` for one).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

import networkx as nx

from ._dates import add_years
from ._facts import employer_of
from ._layers import Table
from ._patch import Adjacency, tables
from .derived import place
from .engine import Check, Finding, Rule, RuleContext, Severity, rule

RULES: list[Rule] = []

_BRANCH_REGULATIONS = "Regulations on Party Branch Work (trial) 《中国共产党支部工作条例（试行）》"


@rule(
    RULES,
    "P1",
    "应建未建",
    "Party branch should be built",
    source=f"Party Constitution art. 30; {_BRANCH_REGULATIONS} art. 4",
    national=True,
    settings=("p1_min_full_members",),
    checks=(
        Check(
            "no_branch",
            Severity.GAP,
            "{name}有{full_members}名正式党员居住或报到，但没有党支部覆盖（应建未建）。",
            "{full_members} full Party members live in or are registered at {name}, and no "
            "Party branch covers it.",
        ),
        Check(
            "cluster",
            Severity.GAP,
            "几个一起服务的小区合计有3名以上正式党员，但没有党支部覆盖。",
            "A cluster of compounds served together has 3 or more full Party members and no "
            "branch covers it.",
            evaluable=False,
            reason="the ontology has no link that groups compounds served together into a "
            "cluster (only a joint branch's COVERS, which exists once the branch is built); "
            "each compound is checked on its own",
        ),
    ),
)
def p1_branch_should_be_built(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no Party branch COVERS, where at least ``p1_min_full_members`` full
    Party members (a MEMBER_OF link with status ``full`` to any Party organization) live
    (RESIDES_IN a unit, building or the compound itself) or are registered (REGISTERED_AT).
    In a discreet run (a reader who may not learn membership status) every member counts.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["full_members"]) for f in run_rule("P1", tiny_city(), AS_OF)]
    [('c2', 3)]
    """
    f = ctx.facts
    people: dict[str, set[str]] = defaultdict(set)
    for m in ctx.memberships():  # no full member without a membership
        if m.full or ctx.discreet:
            p = m.person
            registered = f.out(p, "REGISTERED_AT", "Compound")
            for c in {*f.homes(p), *registered} if registered else f.homes(p):
                people[c].add(p)
    for c in ctx.subjects("Compound"):
        living = people.get(c, ())
        if len(living) >= ctx.settings.p1_min_full_members and not f.branches_of(c):
            if ctx.discreet:  # a count: the reader's own links say who they are
                yield ctx.finding("no_branch", c, party_members=len(living))
                continue
            members = sorted(living)
            yield ctx.finding("no_branch", c, full_members=len(members), members=members)


@rule(
    RULES,
    "P2",
    "联建支部覆盖过多",
    "Joint branch covers too many compounds",
    source=f"{_BRANCH_REGULATIONS} art. 5",
    national=True,
    settings=("p2_max_joint_compounds",),
    checks=(
        Check(
            "too_many_compounds",
            Severity.WARNING,
            "联合党支部{name}覆盖{compounds}个小区，超过{limit}个。",
            "The joint branch {name} covers {compounds} compounds, more than {limit}.",
        ),
    ),
)
def p2_joint_branch_too_wide(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A joint branch (``form`` joint, or no form and several compounds) that COVERS more
    than ``p2_max_joint_compounds`` compounds.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("P2", tiny_city(), AS_OF)
    []
    """
    f = ctx.facts
    limit = ctx.settings.p2_max_joint_compounds
    for b in ctx.subjects("PartyBranch"):
        covered = f.out(b, "COVERS", "Compound")
        form = f.props(b).get("form")
        joint = form == "joint" or (form is None and len(covered) > 1)
        if joint and len(covered) > limit:
            yield ctx.finding(
                "too_many_compounds", b, compounds=len(covered), limit=limit, covered=covered
            )


@rule(
    RULES,
    "P3",
    "支部党员过多",
    "Branch too large",
    source=f"{_BRANCH_REGULATIONS} art. 4",
    national=True,
    settings=("p3_max_branch_members",),
    checks=(
        Check(
            "too_many_members",
            Severity.ADVICE,
            "党支部{name}有{members}名党员，超过{limit}名，宜拆分或成立党总支。",
            "The branch {name} has {members} members, more than {limit}: split it or form a "
            "general branch.",
        ),
    ),
)
def p3_branch_too_large(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A branch with more than ``p3_max_branch_members`` members (people with a MEMBER_OF
    link to the branch or to one of its groups, full and probationary).

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [f.details["members"] for f in run_rule("P3", tiny_city(), AS_OF, p3_max_branch_members=5)]
    [7]
    """
    f = ctx.facts
    limit = ctx.settings.p3_max_branch_members
    for b in ctx.subjects("PartyBranch"):
        n = len(f.members(b))
        if n > limit:
            yield ctx.finding("too_many_members", b, members=n, limit=limit)


@rule(
    RULES,
    "P4",
    "支委会设置",
    "Branch committee",
    source=f"{_BRANCH_REGULATIONS} ch. 6 (verify)",
    national=True,
    settings=("p4_committee_required_from", "p4_committee_min", "p4_committee_max"),
    checks=(
        Check(
            "no_committee",
            Severity.GAP,
            "党支部{name}有{full_members}名正式党员，但未设支部委员会。",
            "The branch {name} has {full_members} full members and no branch committee.",
        ),
        Check(
            "committee_size",
            Severity.WARNING,
            "党支部{name}的支委会有{committee}人，应为{low}至{high}人。",
            "The committee of the branch {name} has {committee} members; it should have "
            "{low} to {high}.",
        ),
    ),
)
def p4_branch_committee(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A branch with at least ``p4_committee_required_from`` full members (in a discreet run,
    members of any status) and nobody holding a committee post (secretary, deputy secretary,
    committee member) → gap; a committee of fewer than ``p4_committee_min`` or more than
    ``p4_committee_max`` people → warning.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.details["committee"]) for f in run_rule("P4", tiny_city(), AS_OF)]
    [('committee_size', 2)]
    """
    f = ctx.facts
    s = ctx.settings
    for b in ctx.subjects("PartyBranch"):
        committee = f.branch_committee(b)
        if not committee:
            if ctx.discreet:
                members = len(f.members(b))
                if members >= s.p4_committee_required_from:
                    yield ctx.finding("no_committee", b, members=members)
                continue
            full = sum(1 for p in f.members(b) if f.is_full_member(p))
            if full >= s.p4_committee_required_from:
                yield ctx.finding("no_committee", b, full_members=full)
        elif not s.p4_committee_min <= len(committee) <= s.p4_committee_max:
            yield ctx.finding(
                "committee_size",
                b,
                committee=len(committee),
                low=s.p4_committee_min,
                high=s.p4_committee_max,
                holders=sorted(committee),
            )


@rule(
    RULES,
    "P5",
    "逾期未换届",
    "Overdue branch election",
    source="Opinions on the Term of Grassroots Party Organizations (2018)",
    national=True,
    settings=("p5_term_years",),
    checks=(
        Check(
            "overdue_election",
            Severity.GAP,
            "党支部{name}于{elected_on}选举，任期{term_years}年已于{term_end}届满，逾期未换届。",
            "The branch {name} was elected on {elected_on}; its {term_years}-year term ended "
            "on {term_end} with no re-election.",
        ),
    ),
)
def p5_overdue_election(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A branch whose term (its ``term_years``, else ``p5_term_years``) counted from its last
    election (``elected_on``) ended before the evaluation day. Branches without ``elected_on``
    cannot be judged and are skipped.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> run_rule("P5", tiny_city(), AS_OF)
    []
    >>> [str(f.details["term_end"]) for f in run_rule("P5", tiny_city(), dt.date(2026, 2, 1))]
    ['2026-01-05']
    """
    f = ctx.facts
    for b in ctx.subjects("PartyBranch"):
        elected = f.props(b).get("elected_on")
        if not isinstance(elected, dt.date):
            continue
        years = int(f.props(b).get("term_years") or ctx.settings.p5_term_years)
        end = add_years(elected, years)
        if ctx.as_of > end:
            yield ctx.finding(
                "overdue_election", b, elected_on=elected, term_years=years, term_end=end
            )


@rule(
    RULES,
    "P6",
    "党小组覆盖楼栋",
    "Party groups by building",
    source=f"{_BRANCH_REGULATIONS} art. 13; the article: groups are drawn by building or unit",
    national=True,
    settings=("p6_max_buildings_without_group",),
    checks=(
        Check(
            "branch_buildings_without_group",
            Severity.GAP,
            "党支部{name}的党员居住在{buildings}栋没有党小组的楼里，超过{limit}栋。",
            "Members of the branch {name} live in {buildings} buildings without a Party "
            "group, more than {limit}.",
        ),
        Check(
            "building_without_group",
            Severity.ADVICE,
            "{compound_name}{name}住有{members}名党员，没有党小组覆盖。",
            "Party members ({members}) live in {name} of {compound_name} and no Party group "
            "covers it.",
        ),
    ),
)
def p6_groups_by_building(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """Per branch, the buildings where its members live (RESIDES_IN a unit or building) that
    no Party group COVERS (the building or one of its units): more than
    ``p6_max_buildings_without_group`` → gap. Per building in a compound a branch covers, any
    Party member living there and no group → advice (a building in a compound no branch
    covers is P1's business: a group is part of a branch).

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.subject) for f in run_rule("P6", tiny_city(), AS_OF)]
    [('building_without_group', 'b2')]
    >>> limit = {"p6_max_buildings_without_group": 1}
    >>> [(f.check, f.subject) for f in run_rule("P6", tiny_city(), AS_OF, **limit)]
    [('building_without_group', 'b2'), ('branch_buildings_without_group', 'pb1')]
    """
    f = ctx.facts
    limit = ctx.settings.p6_max_buildings_without_group
    living: dict[str, set[str]] = defaultdict(set)
    home_buildings = f.home_buildings  # kept by the index
    covered = f.group_covers(ctx.scope)
    for m in ctx.memberships():
        for b in home_buildings(m.person):
            living[b].add(m.person)
    for branch in ctx.subjects("PartyBranch"):
        bare = sorted({b for p in f.members(branch) for b in home_buildings(p) if not covered(b)})
        if len(bare) > limit:
            yield ctx.finding(
                "branch_buildings_without_group",
                branch,
                buildings=len(bare),
                limit=limit,
                without_group=bare,
            )
    for c in ctx.subjects("Compound"):
        if not f.branches_of(c):
            continue
        for b in f.buildings(c):
            residents = living.get(b)
            if residents and not covered(b):
                members = sorted(residents)
                yield ctx.finding(
                    "building_without_group",
                    b,
                    members=len(members),
                    compound_name=f.label(c),
                    residents=members,
                )


@rule(
    RULES,
    "P7",
    "党员未编入支部",
    "Party member outside any branch",
    source="Party Constitution art. 8",
    national=True,
    checks=(
        Check(
            "no_branch",
            Severity.GAP,
            "党员{name}只隶属于{orgs_names}，未编入任何党支部或党小组。",
            "The Party member {name} belongs only to {orgs_names}, to no branch or group.",
        ),
        Check(
            "left_no_transfer",
            Severity.GAP,
            "党员{name}于{left_on}离开{last_org_name}后未编入任何党组织。",
            "The Party member {name} left {last_org_name} on {left_on} and has joined no Party "
            "organization since.",
        ),
    ),
)
def p7_member_outside_branch(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A person whose Party memberships on the day are all outside branches and groups (for
    example held by a community Party committee) → gap; and, read from the history, a person
    whose MEMBER_OF links had all ended before the day, with none since (transferred out and
    landed nowhere) → gap. The second check needs a projection holding the history
    (``project(store, as_of=None)``); on a projection cut to the day it finds nothing.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.subject) for f in run_rule("P7", tiny_city(), AS_OF)]
    [('left_no_transfer', 'p10'), ('no_branch', 'p8')]
    """
    f = ctx.facts
    for m in ctx.memberships():
        if m.in_branch:
            continue
        p = m.person
        orgs = f.out(p, "MEMBER_OF")
        if orgs:
            names = [f.label(o) for o in orgs]
            yield ctx.finding("no_branch", p, orgs=orgs, orgs_names=names)
    ended_of: Mapping[str, list[tuple[dt.date, str]]] | _EndedOf
    if ctx.scope is None:  # every membership of the history that has an end, once per version
        ended_of = _ended_memberships(ctx.history)
        people: Sequence[str] = sorted(p for p in ended_of if f.kind(p) == "Person")
    else:  # the people near the scope, each one's links read from the history
        people, ended_of = ctx.subjects("Person"), _EndedOf(tables(ctx.history)[1])
    for p in people:
        if f.out_edges(p, "MEMBER_OF") or p not in ended_of:
            continue
        # the membership that ended last (by day, then organization) before the day
        ended = max(((until, org) for until, org in ended_of[p] if until < ctx.as_of), default=None)
        if ended is not None:
            left_on, org = ended
            yield ctx.finding(
                "left_no_transfer", p, left_on=left_on, last_org=org, last_org_name=f.label(org)
            )


class _EndedOf:
    """person → [(until, organization)] of their MEMBER_OF links with an end day, read from
    a history's successor table one person at a time."""

    def __init__(self, succ: Table[str, Adjacency]) -> None:
        self._succ = succ

    def __contains__(self, person: str) -> bool:
        return person in self._succ

    def __getitem__(self, person: str) -> list[tuple[dt.date, str]]:
        return _ended(self._succ[person])


def _ended(links: Adjacency) -> list[tuple[dt.date, str]]:
    return [
        (until, org)
        for org, keys in links.items()
        for d in keys.values()
        if d.get("kind") == "MEMBER_OF" and isinstance(until := d.get("until"), dt.date)
    ]


#: per frozen history: :func:`_ended_memberships` (the entry goes with the graph)
_ENDED: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[str, list[tuple[dt.date, str]]]] = (
    weakref.WeakKeyDictionary()
)


def _ended_memberships(history: nx.MultiDiGraph) -> dict[str, list[tuple[dt.date, str]]]:
    """person → [(until, organization)] for every MEMBER_OF link of ``history`` with an end
    day, people without one left out: one pass over the history's links, once per frozen
    version (P7 reads it on every whole-graph run; they differ only in the day).

    Why. P7 looks for people with no membership on the day and one that ended before it;
    reading every person's links from the history on every run repeats a walk whose answer
    only changes with the version."""
    if nx.is_frozen(history):
        found = _ENDED.get(history)
        if found is not None:
            return found
    out: dict[str, list[tuple[dt.date, str]]] = {}
    # a whole-graph pass: the history's own dict (a new version flattens it, once)
    for p, links in history._succ.items():
        for keys in links.values():
            for d in keys.values():
                if d.get("kind") == "MEMBER_OF" and isinstance(d.get("until"), dt.date):
                    out[p] = _ended(links)
                    break
            else:
                continue
            break
    if nx.is_frozen(history):
        _ENDED[history] = out
    return out


@rule(
    RULES,
    "P8",
    "在职党员未报到",
    "In-service member not registered where they live",
    source="the article; (local) Foshan, Xingtai",
    national=False,
    checks=(
        Check(
            "not_registered",
            Severity.WARNING,
            "在职党员{name}（{employer}）未到居住的{homes_names}报到。",
            "The in-service Party member {name} ({employer}) has not registered with "
            "{homes_names}, where they live.",
        ),
    ),
)
def p8_not_registered(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """An in-service Party member (a MEMBER_OF link with category ``in_service``) who lives
    in a compound (RESIDES_IN) and is REGISTERED_AT none of the compounds they live in.
    Members whose home is unknown cannot be judged and are skipped. The rate by employer is
    :func:`~govgraph.graph.analytics.coverage.registration_by_employer`.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["homes"]) for f in run_rule("P8", tiny_city(), AS_OF)]
    [('p7', ['c1'])]
    """
    f = ctx.facts
    for m in ctx.memberships():  # no in-service member without a membership
        if not m.in_service:
            continue
        p = m.person
        homes = f.homes(p)
        registered = f.out(p, "REGISTERED_AT")
        if homes and (not registered or set(homes).isdisjoint(registered)):
            yield ctx.finding(
                "not_registered",
                p,
                homes=homes,
                homes_names=[f.label(c) for c in homes],
                employer=employer_of(f, p),
            )


@rule(
    RULES,
    "P9",
    "无党群服务站点",
    "No Party-masses service station",
    source="the article; (local) Ninghai, Langfang",
    national=False,
    settings=("p9_community_station_counts",),
    checks=(
        Check(
            "no_station",
            Severity.GAP,
            "{name}没有党群服务站或服务点。",
            "No Party-masses service station or service point serves {name}.",
        ),
    ),
)
def p9_no_station(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no ServiceStation (station or point) SERVES; with
    ``p9_community_station_counts`` a station serving the compound's community counts too.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [f.subject for f in run_rule("P9", tiny_city(), AS_OF)]
    ['c2']
    """
    day = ctx.day
    served = ctx.columns.mask(day.links("SERVES", "ServiceStation")[1])
    compounds = ctx.columns.of_kind("Compound")
    lacking = compounds[~served[compounds]]
    if ctx.settings.p9_community_station_counts:
        community = place(day)[lacking, 1]  # -1: none, and no station serves "none"
        lacking = lacking[~((community >= 0) & served[community])]
    for c in lacking.tolist():
        yield ctx.finding("no_station", c)
