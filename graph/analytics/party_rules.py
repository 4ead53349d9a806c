"""Party organization coverage: rules P1-P9 of ``shared/domain/RULES.md``.

Each function receives a :class:`~govgraph.graph.analytics.engine.RuleContext` (the index on
the evaluation day, and the settings); run them through
:func:`~govgraph.graph.analytics.rules.run_rules` (or ``run_rule`` for one).
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 (the examples use it)
from collections.abc import Iterator

import numpy as np

from ._dates import add_months_to_days
from .appointments import id_lists, per_node
from .columns import NO_DAY, Bools, DayView, Delta, Int32s, day_number, day_of, distinct, picked
from .derived import (
    Pairs,
    building_compounds,
    building_residents,
    employers,
    grouped_buildings,
    home_buildings,
    homes,
    linked,
    members,
    memberships,
    people_touched,
    place,
    posts,
    registered,
    renumbered_masks,
    residents,
    rewritten,
)
from .engine import Check, Finding, Registry, RuleContext, Severity
from .kinds import BRANCH_COMMITTEE_ROLES

RULES = Registry()

_BRANCH_REGULATIONS = "Regulations on Party Branch Work (trial) 《中国共产党支部工作条例（试行）》"


@RULES.rule(
    "P1",
    "应建未建",
    "Party branch should be built",
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
    source=f"Party Constitution art. 30; {_BRANCH_REGULATIONS} art. 4",
    settings=("p1_min_full_members",),
)
def p1_branch_should_be_built(ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no Party branch COVERS, where at least ``p1_min_full_members`` full
    Party members (a MEMBER_OF link with status ``full`` to any Party organization) live
    (RESIDES_IN a unit, building or the compound itself) or are registered (REGISTERED_AT).
    In a discreet run (a reader who may not learn membership status) every member counts.

    Examples
    --------
    >>> [(f.subject, f.details["full_members"]) for f in run_rule("P1", tiny_city(), AS_OF)]
    [('c2', 3)]
    """
    day, cols = ctx.day, ctx.columns
    compounds = cols.of_kind("Compound")
    compounds = compounds[ctx.wanted(compounds) & ~_branch_covered(day)[compounds]]
    ms = memberships(day)
    counted = ms.member if ctx.discreet else ms.full
    here, there = residents(day).within(compounds), registered(day).within(compounds)
    compound, person = np.r_[here.a, there.a], np.r_[here.b, there.b]
    keep = counted[person]
    where = Pairs.distinct(compound[keep], person[keep])
    living = where.counts(compounds)
    enough = living >= ctx.settings.p1_min_full_members
    lacking = compounds[enough]
    if ctx.discreet:  # a count: the reader's own links say who they are
        for c, n in picked(enough, compounds, living):
            yield ctx.finding("no_branch", c, party_members=n)
        return
    for c, ids in zip(lacking.tolist(), id_lists(cols, where, lacking), strict=True):
        yield ctx.finding("no_branch", c, full_members=len(ids), members=ids)


@RULES.rule(
    "P2",
    "联建支部覆盖过多",
    "Joint branch covers too many compounds",
    Check(
        "too_many_compounds",
        Severity.WARNING,
        "联合党支部{name}覆盖{compounds}个小区，超过{limit}个。",
        "The joint branch {name} covers {compounds} compounds, more than {limit}.",
    ),
    source=f"{_BRANCH_REGULATIONS} art. 5",
    settings=("p2_max_joint_compounds",),
)
def p2_joint_branch_too_wide(ctx: RuleContext) -> Iterator[Finding]:
    """A joint branch (``form`` joint, or no form and several compounds) that COVERS more
    than ``p2_max_joint_compounds`` compounds.
    """
    cols = ctx.columns
    limit = ctx.settings.p2_max_joint_compounds
    covers = linked(ctx.day, "COVERS", "PartyBranch", "Compound")
    branches = cols.of_kind("PartyBranch")
    count = np.bincount(covers.a, minlength=cols.size)[branches]
    form = cols.codes("PartyBranch", "form")
    joint = (form.codes == form.code("joint")) | ((form.codes < 0) & (count > 1))
    wide = ctx.kept(branches[joint & (count > limit)])
    for b, covered in zip(wide.tolist(), id_lists(cols, covers, wide), strict=True):
        yield ctx.finding(
            "too_many_compounds", b, compounds=len(covered), limit=limit, covered=covered
        )


@RULES.rule(
    "P3",
    "支部党员过多",
    "Branch too large",
    Check(
        "too_many_members",
        Severity.ADVICE,
        "党支部{name}有{members}名党员，超过{limit}名，宜拆分或成立党总支。",
        "The branch {name} has {members} members, more than {limit}: split it or form a "
        "general branch.",
    ),
    source=f"{_BRANCH_REGULATIONS} art. 4",
    settings=("p3_max_branch_members",),
)
def p3_branch_too_large(ctx: RuleContext) -> Iterator[Finding]:
    """A branch with more than ``p3_max_branch_members`` members (people with a MEMBER_OF
    link to the branch or to one of its groups, full and probationary).

    Examples
    --------
    >>> [f.details["members"] for f in run_rule("P3", tiny_city(), AS_OF, p3_max_branch_members=5)]
    [7]
    """
    limit = ctx.settings.p3_max_branch_members
    branches = ctx.kept(ctx.columns.of_kind("PartyBranch"))
    count = members(ctx.day).counts(branches)
    for b, n in picked(count > limit, branches, count):
        yield ctx.finding("too_many_members", b, members=n, limit=limit)


@RULES.rule(
    "P4",
    "支委会设置",
    "Branch committee",
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
    source=f"{_BRANCH_REGULATIONS} ch. 6 (verify)",
    settings=("p4_committee_required_from", "p4_committee_min", "p4_committee_max"),
)
def p4_branch_committee(ctx: RuleContext) -> Iterator[Finding]:
    """A branch with at least ``p4_committee_required_from`` full members (in a discreet run,
    members of any status) and nobody holding a committee post (secretary, deputy secretary,
    committee member) → gap; a committee of fewer than ``p4_committee_min`` or more than
    ``p4_committee_max`` people → warning.

    Examples
    --------
    >>> [(f.check, f.details["committee"]) for f in run_rule("P4", tiny_city(), AS_OF)]
    [('committee_size', 2)]
    """
    day, cols, s = ctx.day, ctx.columns, ctx.settings
    # the committee: the people whose senior post in the branch is a committee role
    branches = ctx.kept(cols.of_kind("PartyBranch"))
    held = posts(day).within(branches)
    roles = [held.roles.index(r) for r in BRANCH_COMMITTEE_ROLES if r in held.roles]
    on = np.isin(held.role, roles)
    committee = Pairs(held.body[on], held.person[on])  # sorted by (body, person)
    n = committee.counts(branches)
    org, person = members(day).within(branches)
    counted = np.ones(len(person), np.bool_) if ctx.discreet else memberships(day).full[person]
    count = Pairs(org[counted], person[counted]).counts(branches)
    none = (n == 0) & (count >= s.p4_committee_required_from)
    counted_as = "members" if ctx.discreet else "full_members"
    for b, m in picked(none, branches, count):
        yield ctx.finding("no_committee", b, **{counted_as: m})
    wrong = branches[(n > 0) & ((n < s.p4_committee_min) | (n > s.p4_committee_max))]
    for b, holders in zip(wrong.tolist(), per_node(committee, wrong), strict=True):
        yield ctx.finding(
            "committee_size",
            b,
            committee=len(holders),
            low=s.p4_committee_min,
            high=s.p4_committee_max,
            holders=cols.ids_of(holders),
        )


@RULES.rule(
    "P5",
    "逾期未换届",
    "Overdue branch election",
    Check(
        "overdue_election",
        Severity.GAP,
        "党支部{name}于{elected_on}选举，任期{term_years}年已于{term_end}届满，逾期未换届。",
        "The branch {name} was elected on {elected_on}; its {term_years}-year term ended "
        "on {term_end} with no re-election.",
    ),
    source="Opinions on the Term of Grassroots Party Organizations (2018)",
    settings=("p5_term_years",),
)
def p5_overdue_election(ctx: RuleContext) -> Iterator[Finding]:
    """A branch whose term (its ``term_years``, else ``p5_term_years``) counted from its last
    election (``elected_on``) ended before the evaluation day. Branches without ``elected_on``
    cannot be judged and are skipped.

    Examples
    --------
    >>> run_rule("P5", tiny_city(), AS_OF)
    []
    >>> [str(f.details["term_end"]) for f in run_rule("P5", tiny_city(), dt.date(2026, 2, 1))]
    ['2026-01-05']
    """
    cols = ctx.columns
    branches = cols.of_kind("PartyBranch")
    elected = cols.array("PartyBranch", "elected_on")
    term = cols.array("PartyBranch", "term_years")
    known = (elected != NO_DAY) & ctx.wanted(branches)
    # no term (-1) or a term of 0: the setting's
    years = np.where((term == 0) | (term == -1), ctx.settings.p5_term_years, term)[known]
    end = add_months_to_days(elected[known], 12 * years)
    late = end < day_number(ctx.as_of)
    for b, on, n, last in picked(late, branches[known], elected[known], years, end):
        yield ctx.finding(
            "overdue_election", b, elected_on=day_of(on), term_years=n, term_end=day_of(last)
        )


@RULES.rule(
    "P6",
    "党小组覆盖楼栋",
    "Party groups by building",
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
        "Party members ({members}) live in {name} of {compound_name} and no Party group covers it.",
    ),
    source=f"{_BRANCH_REGULATIONS} art. 13; the article: groups are drawn by building or unit",
    settings=("p6_max_buildings_without_group",),
)
def p6_groups_by_building(ctx: RuleContext) -> Iterator[Finding]:
    """Per branch, the buildings where its members live (RESIDES_IN a unit or building) that
    no Party group COVERS (the building or one of its units): more than
    ``p6_max_buildings_without_group`` → gap. Per building in a compound a branch covers, any
    Party member living there and no group → advice (a building in a compound no branch
    covers is P1's business: a group is part of a branch).

    Examples
    --------
    >>> [(f.check, f.subject) for f in run_rule("P6", tiny_city(), AS_OF)]
    [('building_without_group', 'b2')]
    >>> limit = {"p6_max_buildings_without_group": 1}
    >>> [(f.check, f.subject) for f in run_rule("P6", tiny_city(), AS_OF, **limit)]
    [('building_without_group', 'b2'), ('branch_buildings_without_group', 'pb1')]
    """
    day, cols = ctx.day, ctx.columns
    limit = ctx.settings.p6_max_buildings_without_group
    lived = home_buildings(day)  # (person, building)
    grouped = grouped_buildings(day)
    branches = ctx.kept(cols.of_kind("PartyBranch"))  # a branch's count is its members'
    org, person = members(day).within(branches)
    left, right = lived.match(person)
    keep = ~grouped[lived.b[right]]
    bare = Pairs.distinct(org[left[keep]], lived.b[right[keep]])  # (branch, building)
    over = branches[bare.counts(branches) > limit]
    for branch, without in zip(over.tolist(), id_lists(cols, bare, over), strict=True):
        yield ctx.finding(
            "branch_buildings_without_group",
            branch,
            buildings=len(without),
            limit=limit,
            without_group=without,
        )
    # one finding per (building, compound covered by a branch), as each compound lists its own
    within = building_compounds(day)
    hit = _branch_covered(day)[within.b] & ~grouped[within.a]
    hit[hit] = ctx.wanted(within.a[hit])
    here = building_residents(day).within(np.unique(within.a[hit]))
    keep = memberships(day).member[here.b]
    living = Pairs(here.a[keep], here.b[keep])  # (building, member)
    hit[hit] = living.counts(within.a[hit]) > 0
    buildings, compounds = within.a[hit], within.b[hit]
    residents = id_lists(cols, living, buildings)
    for b, c, names in zip(buildings.tolist(), compounds.tolist(), residents, strict=True):
        yield ctx.finding(
            "building_without_group",
            b,
            members=len(names),
            compound_name=cols.label(c),
            residents=names,
        )


@RULES.rule(
    "P7",
    "党员未编入支部",
    "Party member outside any branch",
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
    source="Party Constitution art. 8",
)
def p7_member_outside_branch(ctx: RuleContext) -> Iterator[Finding]:
    """A person whose Party memberships on the day are all outside branches and groups (for
    example held by a community Party committee) → gap; and, read from the history, a person
    whose MEMBER_OF links had all ended before the day, with none since (transferred out and
    landed nowhere) → gap. The second check needs a projection holding the history
    (``project(store, as_of=None)``); on a projection cut to the day it finds nothing.

    Examples
    --------
    >>> [(f.check, f.subject) for f in run_rule("P7", tiny_city(), AS_OF)]
    [('left_no_transfer', 'p10'), ('no_branch', 'p8')]
    """
    day, cols = ctx.day, ctx.columns
    ms = memberships(day)
    src, dst = day.links("MEMBER_OF", source_kind="Person")
    outside = ~ms.in_branch[src]  # every membership of such a person is outside branches
    orgs_of = Pairs.distinct(src[outside], dst[outside])
    label = cols.label
    people = ctx.kept(distinct(orgs_of.a))
    for p, orgs in zip(people.tolist(), per_node(orgs_of, people), strict=True):
        names = [label(o) for o in orgs]
        yield ctx.finding("no_branch", p, orgs=cols.ids_of(orgs), orgs_names=names)
    # the history: every MEMBER_OF link that ended before the day, of people with none today
    blocks = cols.blocks("MEMBER_OF", source_kind="Person")
    if not blocks:
        return
    person = np.concatenate([b.src for b in blocks])
    until = np.concatenate([b.until for b in blocks])
    org = np.concatenate([b.dst for b in blocks])
    ended = (until < day_number(ctx.as_of)) & ~ms.member[person]
    person, until, org = person[ended], until[ended], org[ended]
    # the membership that ended last (by day, then organization) per person
    order = np.lexsort((org, until, person))
    person, until, org = person[order], until[order], org[order]
    last = np.ones(len(person), np.bool_)
    last[:-1] = person[1:] != person[:-1]
    last[last] = ctx.wanted(person[last])
    for p, left_on, o in picked(last, person, until, org):
        yield ctx.finding(
            "left_no_transfer",
            p,
            left_on=day_of(left_on),
            last_org=cols.id(o),
            last_org_name=label(o),
        )


@RULES.rule(
    "P8",
    "在职党员未报到",
    "In-service member not registered where they live",
    Check(
        "not_registered",
        Severity.WARNING,
        "在职党员{name}（{employer}）未到居住的{homes_names}报到。",
        "The in-service Party member {name} ({employer}) has not registered with "
        "{homes_names}, where they live.",
    ),
    source="the article; (local) Foshan, Xingtai",
)
def p8_not_registered(ctx: RuleContext) -> Iterator[Finding]:
    """An in-service Party member (a MEMBER_OF link with category ``in_service``) who lives
    in a compound (RESIDES_IN) and is REGISTERED_AT none of the compounds they live in.
    Members whose home is unknown cannot be judged and are skipped. The rate by employer is
    :func:`~govgraph.graph.analytics.coverage.registration_by_employer`.

    Examples
    --------
    >>> [(f.subject, f.details["homes"]) for f in run_rule("P8", tiny_city(), AS_OF)]
    [('p7', ['c1'])]
    """
    day, cols = ctx.day, ctx.columns
    home = homes(day)  # (person, compound)
    judged = _unregistered(day) & memberships(day).in_service
    people = ctx.kept(np.flatnonzero(judged).astype(np.int32))
    label = cols.label
    found = zip(people.tolist(), per_node(home, people), employers(day, people), strict=True)
    for p, compounds, employer in found:
        yield ctx.finding(
            "not_registered",
            p,
            homes=cols.ids_of(compounds),
            homes_names=[label(c) for c in compounds],
            employer=employer,
        )


def _unregistered(day: DayView) -> Bools:
    """Per node: a person living in a compound (:func:`~.derived.homes`) and REGISTERED_AT
    none of the compounds they live in (kept on the day: a membership leaves it)."""

    def of(people: Int32s | None) -> tuple[Int32s, Bools]:
        """The homes of ``people`` (sorted; None: everyone) as (person, registered there)."""
        home = homes(day) if people is None else homes(day).within(people)
        rp, rt = day.links("REGISTERED_AT", source_kind="Person", sources=people)
        return home.a, np.isin(home.keys(), Pairs(rp, rt).keys())

    def compute() -> Bools:
        person, registered = of(None)
        out = day.columns.mask(person)
        out[person[registered]] = False
        return out

    def patch(old: Bools, delta: Delta) -> Bools | None:
        people = people_touched(delta, _HOME_OR_REGISTERED, reads)
        if people is None:
            return None
        person, registered = of(people)
        at = np.searchsorted(people, person)
        fresh = np.zeros(len(people), np.bool_)
        fresh[at] = True
        fresh[at[registered]] = False
        return rewritten(old, people, fresh)

    reads = _HOME_OR_REGISTERED | {"PART_OF"}
    return day.memo(("P8", "unregistered"), compute, reads, patch, renumbered_masks)


_HOME_OR_REGISTERED = frozenset({"RESIDES_IN", "REGISTERED_AT"})


@RULES.rule(
    "P9",
    "无党群服务站点",
    "No Party-masses service station",
    Check(
        "no_station",
        Severity.GAP,
        "{name}没有党群服务站或服务点。",
        "No Party-masses service station or service point serves {name}.",
    ),
    source="the article; (local) Ninghai, Langfang",
    settings=("p9_community_station_counts",),
)
def p9_no_station(ctx: RuleContext) -> Iterator[Finding]:
    """A compound that no ServiceStation (station or point) SERVES; with
    ``p9_community_station_counts`` a station serving the compound's community counts too.

    Examples
    --------
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
    for c in ctx.kept(lacking).tolist():
        yield ctx.finding("no_station", c)


# -- helpers --------------------------------------------------------------------------------------
def _branch_covered(day: DayView) -> Bools:
    """Per node: some Party branch COVERS it."""
    return day.memo(
        "branch_covered",
        lambda: day.columns.mask(day.links("COVERS", "PartyBranch")[1]),
        frozenset({"COVERS"}),
        renumber=renumbered_masks,
    )
