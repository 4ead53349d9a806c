"""The roll-ups the organization department reads, per compound, community, township and city.

:func:`coverage_summary` gives, for every place, the coverage rates of RULES.md ("Roll-ups the
department reads"); :func:`uncovered_communities` ranks communities by their gaps, with the
reasons; :func:`registration_by_employer` is rule P8's roll-up by employer. Each takes a
``scope`` (a city, township, community or compound id) that restricts it to the places under
that one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from ._facts import LEVEL_KINDS, LEVELS, Facts, cross_appointment, employer_of, facts_of, in_service
from .engine import SEVERITIES, Finding, Severity
from .projection import at
from .rules import RULES, run_rules


@dataclass(frozen=True, slots=True)
class Ratio:
    """``count`` out of ``total``; ``rate`` is None when ``total`` is 0."""

    count: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.count + other.count, self.total + other.total)


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """The roll-up of one place (a compound, community, township or city).

    Compound rates are over the compounds under the place; ``party_groups`` is over their
    buildings; ``cross_appointment`` and ``party_share`` are over their owners' committees'
    seats; ``appeals_replied`` is over the appeals about them received by the day.
    """

    level: str
    place: str
    name: str | None
    #: the place one level up (None for a city)
    parent: str | None
    compounds: int
    #: compounds a Party branch covers (organizational coverage)
    branch: Ratio
    #: compounds an owners' committee represents
    owners_committee: Ratio
    #: compounds that something manages (property service by any of the four ways)
    property_service: Ratio
    #: compounds a service station or point serves
    service_station: Ratio
    #: buildings a Party group covers
    party_groups: Ratio
    #: committee seats held by people holding a post in the compound's branch
    cross_appointment: Ratio
    #: committee seats held by Party members: a MEMBER_OF link of any status (so it tells no
    #: status, and reads the same for every role)
    party_share: Ratio
    #: appeals replied by the day, of those received by it
    appeals_replied: Ratio
    #: findings rolled up to this place, by severity (every severity present)
    findings: dict[str, int] = field(default_factory=dict)


#: the ratios a place's roll-up adds up from its compounds
TALLIED = (
    "branch",
    "owners_committee",
    "property_service",
    "service_station",
    "party_groups",
    "cross_appointment",
    "party_share",
)
#: every ratio of a coverage row, in the order reports print them
RATIOS = (*TALLIED, "appeals_replied")
#: the levels whose ``party_share`` the public is told: a compound's is a count of Party
#: members among the few named people of one committee (the API and ``govgraph gaps --role
#: public`` leave it out below these)
PUBLIC_PARTY_SHARE_LEVELS = frozenset({"city", "township", "community"})


@dataclass(slots=True)
class _Tally:
    compounds: int = 0
    branch: Ratio = Ratio(0, 0)
    owners_committee: Ratio = Ratio(0, 0)
    property_service: Ratio = Ratio(0, 0)
    service_station: Ratio = Ratio(0, 0)
    party_groups: Ratio = Ratio(0, 0)
    cross_appointment: Ratio = Ratio(0, 0)
    party_share: Ratio = Ratio(0, 0)
    received: set[str] = field(default_factory=set)
    replied: set[str] = field(default_factory=set)

    def add(self, other: _Tally) -> None:
        self.compounds += other.compounds
        for name in TALLIED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.received |= other.received
        self.replied |= other.replied


def _one(flag: bool) -> Ratio:
    return Ratio(int(flag), 1)


def _compound_tally(f: Facts, c: str, as_of: dt.date, grouped: Callable[[str], bool]) -> _Tally:
    buildings = f.buildings(c)
    x = cross_appointment(f, c)
    received: set[str] = set()
    replied: set[str] = set()
    for a in f.into(c, "ABOUT", "Appeal"):
        got, answered = f.props(a).get("received"), f.props(a).get("replied")
        if isinstance(got, dt.date) and got <= as_of:
            received.add(a)
            if isinstance(answered, dt.date) and answered <= as_of:
                replied.add(a)
    return _Tally(
        compounds=1,
        branch=_one(bool(f.branches_of(c))),
        owners_committee=_one(bool(f.committees_of(c))),
        property_service=_one(bool(f.managers(c))),
        service_station=_one(bool(f.stations(c))),
        party_groups=Ratio(sum(1 for b in buildings if grouped(b)), len(buildings)),
        cross_appointment=Ratio(len(x.cross), len(x.seats)),
        party_share=Ratio(sum(1 for p in x.seats if f.is_member(p)), len(x.seats)),
        received=received,
        replied=replied,
    )


def coverage_summary(
    graph: nx.MultiDiGraph,
    as_of: dt.date,
    scope: str | None = None,
    *,
    findings: Sequence[Finding] | None = None,
    levels: Iterable[str] = LEVELS,
) -> list[CoverageRow]:
    """Coverage rates per place, from the city down to each compound.

    Parameters
    ----------
    graph
        A projection (links valid on ``as_of`` are used; see
        :func:`~govgraph.graph.analytics.projection.project`).
    as_of
        The day the rates describe.
    scope
        A city, township, community or compound id: only that place and the places under it.
    findings
        The open findings to count per place; when omitted, :func:`~.rules.run_rules` with the
        default settings is run on ``graph``.
    levels
        The levels to return rows for (compound, community, township, city).

    Returns
    -------
    list of CoverageRow
        Cities first, then townships, communities and compounds, each by id.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> rows = coverage_summary(tiny_city(), AS_OF, levels=["community"])
    >>> r = rows[0]
    >>> r.place, r.compounds, r.branch.rate, r.party_groups, r.cross_appointment.rate
    ('comm', 2, 0.5, Ratio(count=1, total=3), 0.6666666666666666)
    >>> r.appeals_replied, r.findings["gap"]
    (Ratio(count=1, total=3), 8)
    >>> [(r.place, r.service_station.rate) for r in coverage_summary(tiny_city(), AS_OF, "c2")]
    [('c2', 0.0)]
    """
    view = at(graph, as_of)
    f = facts_of(view)
    f.check_scope(scope)
    if findings is None:
        findings = run_rules(graph, as_of=as_of, scope=scope)
    wanted = [lv for lv in reversed(LEVELS) if lv in set(levels)]
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    grouped = f.group_covers(scope)
    for c in f.compounds(scope):
        t = _compound_tally(f, c, as_of, grouped)
        for place in dict.fromkeys(f.place(c).ids()):
            tallies[place].add(t)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for fd in findings:
        severity = Severity(fd.severity).value
        for at_level in (fd.compound, fd.community, fd.township, fd.city):
            if at_level:
                counts[at_level][severity] += 1
    rows: list[CoverageRow] = []
    for level in wanted:
        for place in f.ids(LEVEL_KINDS[level]):
            if not f.in_scope(place, scope):  # the scope itself and the places under it
                continue
            t = tallies.get(place, _Tally())
            chain = f.place(place)
            up = LEVELS[LEVELS.index(level) + 1] if level != "city" else None
            rows.append(
                CoverageRow(
                    level=level,
                    place=place,
                    name=f.name(place),
                    parent=chain.at(up) if up else None,
                    compounds=t.compounds,
                    branch=t.branch,
                    owners_committee=t.owners_committee,
                    property_service=t.property_service,
                    service_station=t.service_station,
                    party_groups=t.party_groups,
                    cross_appointment=t.cross_appointment,
                    party_share=t.party_share,
                    appeals_replied=Ratio(len(t.replied), len(t.received)),
                    findings={s.value: counts[place][s.value] for s in SEVERITIES},
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a community ranks where it does: one rule check and the subjects it found."""

    rule: str
    check: str
    severity: str
    title_zh: str
    title_en: str
    count: int
    subjects: list[str]


@dataclass(frozen=True, slots=True)
class CommunityGaps:
    """A community's place in the "uncovered communities" ranking."""

    rank: int
    community: str
    name: str | None
    township: str | None
    compounds: int
    #: compounds with at least one gap
    compounds_with_gaps: list[str]
    #: findings of severity gap rolled up to the community
    gaps: int
    #: findings of every severity rolled up to it
    findings: int
    #: the reasons: gaps first, then by severity, then the most frequent, in rule order
    reasons: list[Reason]


_RANK = {s.value: i for i, s in enumerate(SEVERITIES)}
_ORDER = {
    (r.id, c.code): i for i, (r, c) in enumerate((r, c) for r in RULES.values() for c in r.checks)
}


def uncovered_communities(
    graph: nx.MultiDiGraph, findings: Sequence[Finding], scope: str | None = None
) -> list[CommunityGaps]:
    """Communities ranked by their gaps: most gap findings first, then most compounds with a
    gap, then most findings of any severity, then id.

    Parameters
    ----------
    graph
        A projection, for the communities and their names: the day's view the findings were
        made on (``at(history, as_of)``), whose index :func:`~.rules.run_rules` built; another
        graph has its own index built first.
    findings
        Findings from :func:`~.rules.run_rules`; each counts for the community it rolls up to.
    scope
        A city, township, community or compound id: only the communities under (or holding) it.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rules
    >>> g = tiny_city()
    >>> (top,) = uncovered_communities(g, run_rules(g, as_of=AS_OF))
    >>> top.community, top.gaps, top.compounds_with_gaps
    ('comm', 8, ['c1', 'c2'])
    >>> [(r.rule, r.check, r.subjects) for r in top.reasons[:3]]
    [('P1', 'no_branch', ['c2']), ('P7', 'no_branch', ['p8']), ('P7', 'left_no_transfer', ['p10'])]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    by_community: dict[str, list[Finding]] = defaultdict(list)
    for fd in findings:
        if fd.community:
            by_community[fd.community].append(fd)
    out: list[CommunityGaps] = []
    for comm in f.ids("Community"):
        if scope and not (f.in_scope(comm, scope) or comm in f.place(scope).ids()):
            continue
        found = by_community.get(comm, [])
        groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for fd in found:
            groups[(fd.rule, fd.check)].append(fd)
        reasons = [
            Reason(
                rule=rid,
                check=check,
                severity=Severity(fds[0].severity).value,
                title_zh=RULES[rid].title_zh,
                title_en=RULES[rid].title_en,
                count=len(fds),
                subjects=sorted({fd.subject for fd in fds}),
            )
            for (rid, check), fds in groups.items()
        ]
        reasons.sort(
            key=lambda r: (
                r.severity != Severity.GAP,
                _RANK[r.severity],
                -r.count,
                _ORDER[r.rule, r.check],
            )
        )
        gaps = [fd for fd in found if fd.severity == Severity.GAP]
        out.append(
            CommunityGaps(
                rank=0,
                community=comm,
                name=f.name(comm),
                township=f.place(comm).township,
                compounds=len(f.compounds(comm)),
                compounds_with_gaps=sorted({fd.compound for fd in gaps if fd.compound}),
                gaps=len(gaps),
                findings=len(found),
                reasons=reasons,
            )
        )
    out.sort(key=lambda c: (-c.gaps, -len(c.compounds_with_gaps), -c.findings, c.community))
    return [replace(c, rank=i) for i, c in enumerate(out, 1)]


@dataclass(frozen=True, slots=True)
class EmployerRegistration:
    """In-service Party members of one employer and how many registered where they live."""

    employer: str
    members: int
    registered: int

    @property
    def rate(self) -> float | None:
        return self.registered / self.members if self.members else None


def registration_by_employer(
    graph: nx.MultiDiGraph, as_of: dt.date, scope: str | None = None
) -> list[EmployerRegistration]:
    """Rule P8 rolled up by employer: in-service members with a known home, and those
    REGISTERED_AT a compound they live in; lowest rate first, then by employer.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> registration_by_employer(tiny_city(), AS_OF)
    [EmployerRegistration(employer='?', members=2, registered=1)]
    """
    f = facts_of(at(graph, as_of))
    f.check_scope(scope)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in f.ids("Person"):
        homes = [c for c in f.homes(p) if f.in_scope(c, scope)]
        if not homes or not in_service(f, p):
            continue
        row = tally[employer_of(f, p)]
        row[0] += 1
        row[1] += bool(set(homes) & set(f.out(p, "REGISTERED_AT")))
    rows = [EmployerRegistration(e, n, r) for e, (n, r) in tally.items()]
    return sorted(rows, key=lambda r: (r.rate if r.rate is not None else 1.0, r.employer))
