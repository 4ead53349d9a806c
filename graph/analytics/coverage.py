"""The roll-ups the organization department reads (RULES.md): coverage rates per place, the
communities ranked by their gaps, and rule P8 by employer; each restricted to a ``scope``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .appointments import cross_appointment, represents
from .columns import NO_DAY, Bools, DayView, Indexed, Int32s, day_number, distinct
from .derived import (
    Pairs,
    building_compounds,
    employers,
    grouped_buildings,
    homes,
    memberships,
    place_chains,
    scope_number,
)
from .engine import SEVERITIES, Finding, Severity
from .kinds import LEVEL_KINDS, LEVELS
from .projection import indexed_day
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


#: per ratio of a coverage row (in the order reports print them), the two counts of
#: :data:`_COUNTS` it is made of (count, total)
_RATIO_COUNTS = {
    "branch": ("branch", "compounds"),
    "owners_committee": ("owners_committee", "compounds"),
    "property_service": ("property_service", "compounds"),
    "service_station": ("service_station", "compounds"),
    "party_groups": ("grouped", "buildings"),
    "cross_appointment": ("cross", "seats"),
    "party_share": ("party", "seats"),
    "appeals_replied": ("replied", "received"),
}
RATIOS = tuple(_RATIO_COUNTS)
#: the levels whose ``party_share`` the public is told: a compound's is a count of Party
#: members among the few named people of one committee (the API and ``govgraph gaps --role
#: public`` leave it out below these)
PUBLIC_PARTY_SHARE_LEVELS = frozenset({"city", "township", "community"})
#: per place, the counts its compounds add up to, in :func:`_tallies`' column order
_COUNTS = tuple(dict.fromkeys(["compounds", *(c for cs in _RATIO_COUNTS.values() for c in cs)]))


class _Tallies(NamedTuple):
    """The counts of :data:`_COUNTS` for every place (a row each, in number order) on a day."""

    places: Int32s
    counts: NDArray[np.int64]

    def ratios(self, *places: int) -> dict[str, Ratio]:
        """The ratios of ``places`` summed, by :data:`RATIOS` name."""
        row = self.counts[np.searchsorted(self.places, places)].sum(axis=0).tolist()
        count = dict(zip(_COUNTS, row, strict=True))
        return {name: Ratio(count[c], count[t]) for name, (c, t) in _RATIO_COUNTS.items()}

    def compounds(self, *places: int) -> int:
        return int(self.counts[np.searchsorted(self.places, places), 0].sum())


def _day(graph: Indexed, as_of: dt.date) -> DayView:
    """The index of ``at(graph, as_of)``, read from ``graph``'s own index."""
    day = indexed_day(graph)
    if day.day is None:  # ``graph`` indexed as it is: its links valid on the day
        return day.columns.day(as_of)
    return indexed_day(graph, as_of)  # a day's view answers for its own day only


def _inside(chains: Int32s, nodes: Int32s, scope: int | None) -> Bools:
    """Which places of ``nodes`` lie under ``scope`` (or are it): a place's chain holds the
    scope (a place anchors on itself alone)."""
    if scope is None:
        return np.ones(len(nodes), np.bool_)
    found: Bools = (chains[nodes] == scope).any(axis=1)
    return found


def _tallies(day: DayView, as_of: dt.date, scope: int | None) -> _Tallies:
    """Per place, the counts of its compounds under ``scope`` (each counting once for each
    place of its chain), its appeals once per place however many compounds they are about."""
    cols = day.columns
    n = cols.size
    chains = place_chains(day)
    compounds = cols.of_kind("Compound")
    compounds = compounds[_inside(chains, compounds, scope)]
    counted = cols.mask(compounds)

    def flag(into: Int32s) -> NDArray[np.int64]:  # per compound: 1 if any link comes into it
        return cols.mask(into)[compounds].astype(np.int64)

    def per_compound(of: Int32s) -> NDArray[np.int64]:
        return np.bincount(of, minlength=n)[compounds]

    within = building_compounds(day)
    x = cross_appointment(day)
    party = memberships(day).member[x.seats.b]
    by_compound = np.stack(
        [
            np.ones(len(compounds), np.int64),
            flag(day.links("COVERS", "PartyBranch", "Compound")[1]),
            flag(represents(day).b),
            flag(day.links("MANAGES", target_kind="Compound")[1]),
            flag(day.links("SERVES", "ServiceStation", "Compound")[1]),
            per_compound(within.b[grouped_buildings(day)[within.a]]),
            per_compound(within.b),
            per_compound(x.cross),
            per_compound(x.seats.a),
            per_compound(x.seats.a[party]),
        ],
        axis=1,
    )
    places = np.flatnonzero((chains >= 0).any(axis=1)).astype(np.int32)
    counts = np.zeros((len(places), len(_COUNTS)), np.int64)
    # each compound's counts added to each place of its chain
    up = chains[compounds].ravel()
    known = up >= 0
    rows = np.repeat(np.arange(len(compounds)), len(LEVELS))[known]
    tallied = counts[:, : by_compound.shape[1]]  # a view: the appeals' columns come after
    np.add.at(tallied, np.searchsorted(places, up[known]), by_compound[rows])
    # the appeals about the compounds, received (and replied) by the day: distinct per place
    appeal, compound = day.links("ABOUT", "Appeal", "Compound")
    keep = counted[compound]
    appeal, compound = appeal[keep], compound[keep]
    local = cols.local[appeal]
    today = day_number(as_of)
    received = _by(cols.array("Appeal", "received"), local, today)
    replied = received & _by(cols.array("Appeal", "replied"), local, today)
    for col, done in ((_COUNTS.index("received"), received), (_COUNTS.index("replied"), replied)):
        where = chains[compound[done]].ravel()
        known = where >= 0
        pairs = Pairs.distinct(where[known], np.repeat(appeal[done], len(LEVELS))[known])
        np.add.at(counts[:, col], np.searchsorted(places, pairs.a), 1)
    return _Tallies(places, counts)


def _by(column: Int32s, local: Int32s, today: int) -> Bools:
    """Whether the date ``column`` of the nodes at ``local`` is on or before ``today``."""
    days = column[local]
    found: Bools = (days != NO_DAY) & (days <= today)
    return found


def coverage_summary(
    graph: Indexed,
    as_of: dt.date,
    scope: str | None = None,
    *,
    findings: Sequence[Finding] | None = None,
    levels: Iterable[str] = LEVELS,
) -> list[CoverageRow]:
    """Coverage rates per place, from the city down to each compound.

    Cities first, then townships, communities and compounds (of ``levels``), each by id;
    ``findings`` are counted per place (by default :func:`~.rules.run_rules`' on ``graph``).

    Examples
    --------
    >>> rows = coverage_summary(tiny_city(), AS_OF, levels=["community"])
    >>> r = rows[0]
    >>> r.place, r.compounds, r.branch.rate, r.party_groups, r.cross_appointment.rate
    ('comm', 2, 0.5, Ratio(count=1, total=3), 0.6666666666666666)
    >>> r.appeals_replied, r.findings["gap"]
    (Ratio(count=1, total=3), 8)
    >>> [(r.place, r.service_station.rate) for r in coverage_summary(tiny_city(), AS_OF, "c2")]
    [('c2', 0.0)]
    """
    day = _day(graph, as_of)
    inside = scope_number(day.columns, scope)
    if findings is None:
        findings = run_rules(graph, as_of=as_of, scope=scope)
    wanted = [lv for lv in reversed(LEVELS) if lv in set(levels)]
    cols = day.columns
    tallies = _tallies(day, as_of, inside)
    chains = place_chains(day)
    counts: Counter[tuple[str, str]] = Counter()
    for fd in findings:
        severity = Severity(fd.severity).value  # once a finding, not once a level
        for at_level in (fd.compound, fd.community, fd.township, fd.city):
            if at_level:
                counts[at_level, severity] += 1
    rows: list[CoverageRow] = []
    for level in wanted:
        places = cols.of_kind(LEVEL_KINDS[level])
        places = places[_inside(chains, places, inside)]  # the scope itself and under it
        i = LEVELS.index(level)
        parents = chains[places, i + 1].tolist() if level != "city" else [-1] * len(places)
        for number, up in zip(places.tolist(), parents, strict=True):
            place = cols.id(number)
            rows.append(
                CoverageRow(
                    level=level,
                    place=place,
                    name=cols.name(number),
                    parent=cols.id(up) if up >= 0 else None,
                    compounds=tallies.compounds(number),
                    **tallies.ratios(number),
                    findings={s.value: counts[place, s.value] for s in SEVERITIES},
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


#: a reason's rank by its severity: gaps first, then the others from the most serious
_RANK = {s.value: i for i, s in enumerate(sorted(SEVERITIES, key=lambda s: s != Severity.GAP))}
_ORDER = {
    (r.id, c.code): i for i, (r, c) in enumerate((r, c) for r in RULES.values() for c in r.checks)
}


def uncovered_communities(
    graph: Indexed, findings: Sequence[Finding], scope: str | None = None
) -> list[CommunityGaps]:
    """Communities ranked by their gaps: most gap findings first, then most compounds with a
    gap, then most findings of any severity, then id.

    ``graph`` gives the communities and names (best the one the ``findings`` were made on);
    ``scope`` keeps the communities under (or holding) it.

    Examples
    --------
    >>> g = tiny_city()
    >>> (top,) = uncovered_communities(g, run_rules(g, as_of=AS_OF))
    >>> top.community, top.gaps, top.compounds_with_gaps
    ('comm', 8, ['c1', 'c2'])
    >>> [(r.rule, r.check, r.subjects) for r in top.reasons[:3]]
    [('P1', 'no_branch', ['c2']), ('P7', 'no_branch', ['p8']), ('P7', 'left_no_transfer', ['p10'])]
    """
    day = indexed_day(graph)
    inside = scope_number(day.columns, scope)
    cols = day.columns
    chains = place_chains(day)
    by_community: dict[str, list[Finding]] = defaultdict(list)
    for fd in findings:
        if fd.community:
            by_community[fd.community].append(fd)
    communities = cols.of_kind("Community")
    if inside is not None:  # under the scope, or holding it
        keep = _inside(chains, communities, inside) | np.isin(communities, chains[inside])
        communities = communities[keep]
    compounds = chains[cols.of_kind("Compound"), LEVELS.index("community")]
    sizes = np.bincount(compounds[compounds >= 0], minlength=cols.size)[communities].tolist()
    townships = chains[communities, LEVELS.index("township")].tolist()
    out: list[CommunityGaps] = []
    for number, size, township in zip(communities.tolist(), sizes, townships, strict=True):
        comm = cols.id(number)
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
        reasons.sort(key=lambda r: (_RANK[r.severity], -r.count, _ORDER[r.rule, r.check]))
        gaps = [fd for fd in found if fd.severity == Severity.GAP]
        out.append(
            CommunityGaps(
                rank=0,
                community=comm,
                name=cols.name(number),
                township=cols.id(township) if township >= 0 else None,
                compounds=size,
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
    graph: Indexed, as_of: dt.date, scope: str | None = None
) -> list[EmployerRegistration]:
    """Rule P8 rolled up by employer: in-service members with a known home, and those
    REGISTERED_AT a compound they live in; lowest rate first, then by employer.

    Examples
    --------
    >>> registration_by_employer(tiny_city(), AS_OF)
    [EmployerRegistration(employer='?', members=2, registered=1)]
    """
    day = _day(graph, as_of)
    inside = scope_number(day.columns, scope)
    home = homes(day)  # (person, compound)
    keep = memberships(day).in_service[home.a]
    if inside is not None:
        keep &= _inside(place_chains(day), home.b, inside)
    home = Pairs(home.a[keep], home.b[keep])
    registered = np.isin(home.keys(), Pairs(*day.links("REGISTERED_AT", "Person")).keys())
    people = distinct(home.a)  # in id order: the employers in the order first met
    of = employers(day, people)
    done = Counter(compress(of, np.isin(people, home.a[registered]).tolist()))
    rows = [EmployerRegistration(e, n, done[e]) for e, n in Counter(of).items()]
    return sorted(rows, key=lambda r: (r.rate if r.rate is not None else 1.0, r.employer))
