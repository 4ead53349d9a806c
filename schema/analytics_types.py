"""The GraphQL types of the analytics, and how each role sees a result (:class:`Lens`).

Each type mirrors a dataclass of :mod:`govgraph.graph.analytics` field for field (so a result
reads as the CLI's rows), and each ``to_…`` function converts one, through the caller's lens:

* ``public``: no person at all (a reason's subjects leave people out; the fields that name
  people refuse the role, see :func:`need_people`);
* ``researcher``: every Person id as the pseudonym :meth:`RoleView.pseudonym` gives the same
  person (ids, details, explanations, link ids), never a name;
* ``department``: everything, and people's names, which the analytics themselves never return.

A lens also says on which day a role's ``asOf`` is read (:meth:`Lens.day`): anyone but the
department gets the last day of its year, as the node fields give it (``graph/privacy.py``).

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, Optional, TypeVar

import strawberry
from strawberry.scalars import JSON

from ..graph import analytics as an
from ..graph.analytics.coverage import PUBLIC_PARTY_SHARE_LEVELS
from ..graph.analytics.engine import SEVERITIES
from ..graph.disclosure import HOUSEHOLD_LINKS, PERSON_LINK_KINDS, widened
from ..graph.errors import ForbiddenError
from ..graph.model import link_id, parse_link_id
from ..graph.ontology import LINK_KINDS
from ..graph.places import PLACE_LEVELS
from ..graph.privacy import PERSON, Role, RoleView, reading_day
from .types import PageInfo, make_enum

T = TypeVar("T")


# --- enums ---------------------------------------------------------------------------------------
#: the domain's severities (graph/analytics/engine.py), place levels (graph/places.py) and rule
#: sets (graph/analytics/rules.py), as GraphQL enums: one definition each, the domain's
SeverityLevel = make_enum(
    "Severity",
    {s.value.upper(): s.value for s in SEVERITIES},
    "How serious a finding is, most serious first.",
)
PlaceLevel = make_enum(
    "PlaceLevel",
    {level.upper(): level.lower() for level in PLACE_LEVELS},
    "A level of the place hierarchy.",
)
RuleSet = make_enum(
    "RuleSet",
    {name.upper(): name for name in an.RULE_SETS},
    "Which rules run: all, those resting on national rules, or local.",
)


SEVERITY_RANK = {s: i for i, s in enumerate(SeverityLevel)}


# --- output types --------------------------------------------------------------------------------
@strawberry.type(description="One page of an analysis' rows, in the analysis' order.")
class Page(Generic[T]):
    total_count: int = strawberry.field(description="rows in the whole result")
    items: list[T]
    page_info: PageInfo = strawberry.field(description="pass endCursor as after for the next page")


@strawberry.type(description="How many findings of one severity.")
class SeverityCount:
    severity: SeverityLevel  # type: ignore[valid-type]  # a generated enum
    count: int


@strawberry.type(
    description="What a rule found about one subject, rolled up to its compound, community, "
    "township and city (see docs/analytics.md)."
)
class Finding:
    id: str = strawberry.field(description="rule:check:subject[:part], unique within a run")
    rule: str
    check: str
    severity: SeverityLevel  # type: ignore[valid-type]  # a generated enum
    subject: str
    subject_kind: str
    subject_name: Optional[str] = strawberry.field(
        description="the subject's name (a person's: department only)"
    )
    compound: Optional[str]
    community: Optional[str]
    township: Optional[str]
    city: Optional[str]
    explanation_zh: str
    explanation_en: str
    source: str = strawberry.field(description="the rule's citation")
    details: JSON = strawberry.field(description="the numbers and ids behind the finding")
    responsible: str = strawberry.field(
        description="the body responsible for fixing it, in Chinese (e.g. 社区党委)"
    )
    responsible_en: str = strawberry.field(description="the same body in English")
    deadline_days: Optional[int] = strawberry.field(
        description="suggested days to fix it (the rule's setting, else its severity's default)"
    )


@strawberry.type(description="The findings of the coverage and compliance rules.")
class CoverageGaps:
    as_of: dt.date = strawberry.field(
        description="the day analysed: asOf as the caller's role reads it (a researcher's or the "
        "public's: the end of its year, or the data's last day in the year the data ends)"
    )
    total_count: int = strawberry.field(description="findings matching the filters")
    by_severity: list[SeverityCount] = strawberry.field(
        description="findings matching the filters, per severity (every severity, most serious "
        "first)"
    )
    #: the findings as the role reads them, made only when a page is asked (the counts alone
    #: need none: tens of thousands of findings at a province)
    rows: strawberry.Private[Callable[[], Awaitable[list[Finding]]]]
    page: strawberry.Private[Callable[[Sequence[Finding]], Page[Finding]]]
    role: strawberry.Private[Role]

    @strawberry.field(description="This page of findings (not for the public role).")
    async def findings(self) -> list[Finding]:
        need_people(self.role, "coverageGaps.findings")
        return self.page(await self.rows()).items

    @strawberry.field(description="Where this page ends (not for the public role).")
    async def page_info(self) -> PageInfo:
        need_people(self.role, "coverageGaps.pageInfo")
        return self.page(await self.rows()).page_info


@strawberry.type(description="count out of total; rate is null when total is 0.")
class Ratio:
    count: int
    total: int
    rate: Optional[float]


@strawberry.type(description="The coverage roll-up of one place.")
class CoverageRow:
    level: PlaceLevel  # type: ignore[valid-type]  # a generated enum
    place: str
    name: Optional[str]
    parent: Optional[str] = strawberry.field(description="the place one level up")
    compounds: int = strawberry.field(description="compounds under the place")
    branch: Ratio = strawberry.field(description="compounds a Party branch covers")
    owners_committee: Ratio = strawberry.field(description="compounds an owners' committee has")
    property_service: Ratio = strawberry.field(description="compounds under property service")
    service_station: Ratio = strawberry.field(description="compounds a service station serves")
    party_groups: Ratio = strawberry.field(description="buildings a Party group covers")
    cross_appointment: Ratio = strawberry.field(
        description="committee seats held by branch post holders"
    )
    party_share: Optional[Ratio] = strawberry.field(
        description="committee seats held by Party members (any status); null for the public "
        "below the community level (one compound's committee is a few named people)"
    )
    appeals_replied: Ratio = strawberry.field(description="appeals replied of those received")
    findings: list[SeverityCount] = strawberry.field(description="open findings, per severity")


@strawberry.type(description="One rule check behind a community's rank, and what it found.")
class Reason:
    rule: str
    check: str
    severity: SeverityLevel  # type: ignore[valid-type]  # a generated enum
    title_zh: str
    title_en: str
    count: int
    subjects: list[str] = strawberry.field(
        description="the subjects found (people: pseudonyms for researchers, left out for the "
        "public)"
    )


@strawberry.type(description="A community's place in the uncovered-communities ranking.")
class CommunityGaps:
    rank: int
    community: str
    name: Optional[str]
    township: Optional[str]
    compounds: int
    compounds_with_gaps: list[str]
    gaps: int = strawberry.field(description="findings of severity GAP")
    findings: int = strawberry.field(description="findings of every severity")
    reasons: list[Reason]


@strawberry.type(description="A compound's owners' committee seats against its branch's posts.")
class CompoundTies:
    compound: str
    name: Optional[str]
    branches: list[str]
    committees: list[str]
    seats: int
    cross_appointed: list[str] = strawberry.field(
        description="committee members holding a post on a covering branch's committee"
    )
    rate: Optional[float] = strawberry.field(description="crossAppointed / seats")
    secretaries: list[str]
    chairs: list[str]
    secretary_chairs: Optional[bool] = strawberry.field(
        description="whether a branch secretary chairs the committee"
    )


@strawberry.type(description="One tie of a person to a body: a post or a job.")
class Post:
    body: str
    body_kind: str
    body_name: Optional[str]
    role: str
    link: str = strawberry.field(description="HOLDS_POST or EMPLOYED_BY")
    since: Optional[dt.date]
    until: Optional[dt.date]


@strawberry.type(description="A person tied to two or more bodies, with every tie.")
class MultiPostHolder:
    person: str
    person_name: Optional[str] = strawberry.field(description="department only")
    bodies: int
    posts: list[Post]


@strawberry.type(
    description="An owners' committee member employed by the company managing the same compound."
)
class ConflictOfInterest:
    person: str
    person_name: Optional[str] = strawberry.field(description="department only")
    committee: str
    committee_name: Optional[str]
    compound: str
    compound_name: Optional[str]
    company: str
    company_name: Optional[str]
    seat_role: str
    job_role: str


@strawberry.type(description="Two bodies sharing people (organization-to-organization graph).")
class Interlock:
    a: str
    a_kind: str
    a_name: Optional[str]
    b: str
    b_kind: str
    b_name: Optional[str]
    shared: int
    people: list[str]


@strawberry.type(
    description="A node of the person-organization tie graph with its brokerage measures."
)
class Broker:
    node: str
    kind: str
    name: Optional[str] = strawberry.field(description="a person's: department only")
    degree: int
    betweenness: float = strawberry.field(description="normalized betweenness centrality")
    constraint: Optional[float] = strawberry.field(description="Burt's constraint")


@strawberry.type(description="A Louvain community of the tie graph.")
class TieCommunity:
    index: int
    size: int
    organizations: list[str]
    people: list[str]


@strawberry.type(description="A node of an ego network or a path.")
class GraphNode:
    id: str = strawberry.field(description="the store id (entityId)")
    kind: str
    name: Optional[str] = strawberry.field(description="a person's: department only")
    distance: int = strawberry.field(description="links from the center, or position on a path")


@strawberry.type(description="A link of an ego network or a path.")
class GraphLink:
    id: str
    kind: str
    source: str
    target: str
    role: Optional[str]
    since: Optional[dt.date]
    until: Optional[dt.date]


@strawberry.type(description="The nodes within depth links of the center and the links among them.")
class EgoNetwork:
    center: str
    depth: int
    total_count: int = strawberry.field(description="nodes within depth links")
    nodes: list[GraphNode] = strawberry.field(description="the nearest first nodes")
    links: list[GraphLink] = strawberry.field(description="the links among those nodes")


@strawberry.type(description="A shortest path: its nodes in order and the link between each two.")
class Path:
    nodes: list[GraphNode]
    links: list[GraphLink]


# --- roles ---------------------------------------------------------------------------------------
def need_people(role: Role, field: str) -> None:
    """Refuse the public role a field that names people (or bodies through their people)."""
    if role is Role.PUBLIC:
        raise ForbiddenError(
            f"the public role may see aggregates only: {field} names people or bodies; ask for "
            "coverageSummary, uncoveredCommunities or coverageGaps { totalCount bySeverity }"
        )


class Lens:
    """How one role sees analysis results: people's ids, their names, and whether they show.

    Built per request from the index the results came from (to tell people from the rest)
    and the request's :class:`RoleView` (for its pseudonyms).
    """

    def __init__(self, role: Role, index: an.Columns, view: RoleView) -> None:
        self.role = role
        self._index = index
        self._pseudonym = view.pseudonym

    @property
    def masks(self) -> bool:
        return self.role is not Role.DEPARTMENT

    def day(self, asked: dt.date, last: dt.date | None) -> dt.date:
        """The day an analysis asked for ``asked`` is run on for this role: the department's
        own; anyone else's the end of its year, or the data's ``last`` day in the year the data
        ends (年末口径, :func:`~govgraph.graph.privacy.reading_day`), since dates about people
        are shown by year and asking day by day must not tell the day a post began."""
        end = reading_day(self.role, asked, last)
        assert end is not None  # a day in, a day out
        return end

    def is_person(self, node_id: str) -> bool:
        try:
            return self._index.kind_of(self._index.number(node_id)) == PERSON
        except KeyError:
            return False

    def id(self, node_id: str) -> str:
        """A node id as this role sees it (a person's pseudonym unless department)."""
        return self._pseudonym(node_id) if self.masks and self.is_person(node_id) else node_id

    def ids(self, ids: Sequence[str]) -> list[str]:
        return [self.id(i) for i in ids]

    def subjects(self, ids: Sequence[str]) -> list[str]:
        """Subjects of a reason: people left out for the public, pseudonyms for researchers."""
        if self.role is Role.PUBLIC:
            return [i for i in ids if not self.is_person(i)]
        return sorted(self.ids(ids))

    def name(self, node_id: str, name: str | None) -> str | None:
        """A node's name: a person's for the department only (analytics never return them)."""
        if name is None and self.role is Role.DEPARTMENT and self.is_person(node_id):
            return self._index.name(self._index.number(node_id)) or None
        return name

    def dates(
        self, kind: str, since: dt.date | None, until: dt.date | None
    ) -> tuple[dt.date | None, dt.date | None]:
        """A link's period as this role sees it: widened to whole years on links about people
        unless department (the disclosure table, ``graph/disclosure.py``)."""
        if not self.masks or kind not in PERSON_LINK_KINDS:
            return since, until
        return widened(since, until)

    def link_kinds(self, kinds: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """The link kinds an ego network or path may follow for this role: a person's home unit
        is one household, so RESIDES_IN and OWNS are the department's alone."""
        if not self.masks:
            return kinds
        return tuple(k for k in kinds or LINK_KINDS if k not in HOUSEHOLD_LINKS)

    def link_id(self, value: str) -> str:
        """A link id with its ends as this role sees them (as the node fields give it)."""
        if not self.masks:
            return value
        source, kind, target, key = parse_link_id(value)
        return link_id(self.id(source), kind, self.id(target), key)


def to_finding(f: an.Finding, lens: Lens) -> Finding:
    """A finding as the lens's role sees it: person ids as pseudonyms wherever they appear (the
    explanations, written from the details, follow). What it says at all is settled where it
    is found: a role that masks gets a discreet run (``graph/analytics/discreet.py``)."""
    shown = f.renamed(lens.id) if lens.masks else f
    raw = shown.to_dict()
    rule = an.RULES[f.rule]
    return Finding(
        id=shown.id,
        rule=f.rule,
        check=f.check,
        severity=SeverityLevel(raw["severity"]),
        subject=shown.subject,
        subject_kind=f.subject_kind,
        subject_name=lens.name(f.subject, f.subject_name),
        compound=f.compound,
        community=f.community,
        township=f.township,
        city=f.city,
        explanation_zh=shown.explanation_zh,
        explanation_en=shown.explanation_en,
        source=f.source,
        details=raw["details"],
        responsible=rule.responsible.zh,
        responsible_en=rule.responsible.en,
        deadline_days=rule.deadline_days(f.severity),
    )


def severity_counts(counts: Mapping[str, int]) -> list[SeverityCount]:
    return [SeverityCount(severity=s, count=counts.get(s.value, 0)) for s in SeverityLevel]


def _ratio(r: an.Ratio) -> Ratio:
    return Ratio(count=r.count, total=r.total, rate=r.rate)


def to_coverage_row(r: an.CoverageRow, lens: Lens) -> CoverageRow:
    public_ok = lens.role is not Role.PUBLIC or r.level in PUBLIC_PARTY_SHARE_LEVELS
    return CoverageRow(
        level=PlaceLevel(r.level),
        place=r.place,
        name=r.name,
        parent=r.parent,
        compounds=r.compounds,
        branch=_ratio(r.branch),
        owners_committee=_ratio(r.owners_committee),
        property_service=_ratio(r.property_service),
        service_station=_ratio(r.service_station),
        party_groups=_ratio(r.party_groups),
        cross_appointment=_ratio(r.cross_appointment),
        party_share=_ratio(r.party_share) if public_ok else None,
        appeals_replied=_ratio(r.appeals_replied),
        findings=severity_counts(r.findings),
    )


def to_community_gaps(c: an.CommunityGaps, lens: Lens) -> CommunityGaps:
    return CommunityGaps(
        rank=c.rank,
        community=c.community,
        name=c.name,
        township=c.township,
        compounds=c.compounds,
        compounds_with_gaps=c.compounds_with_gaps,
        gaps=c.gaps,
        findings=c.findings,
        reasons=[
            Reason(
                rule=r.rule,
                check=r.check,
                severity=SeverityLevel(r.severity),
                title_zh=r.title_zh,
                title_en=r.title_en,
                count=r.count,
                subjects=lens.subjects(r.subjects),
            )
            for r in c.reasons
        ],
    )


def to_compound_ties(t: an.CompoundTies, lens: Lens) -> CompoundTies:
    return CompoundTies(
        compound=t.compound,
        name=t.name,
        branches=t.branches,
        committees=t.committees,
        seats=t.seats,
        cross_appointed=lens.ids(t.cross_appointed),
        rate=t.rate,
        secretaries=lens.ids(t.secretaries),
        chairs=lens.ids(t.chairs),
        secretary_chairs=t.secretary_chairs,
    )


def to_holder(h: an.MultiPostHolder, lens: Lens) -> MultiPostHolder:
    return MultiPostHolder(
        person=lens.id(h.person),
        person_name=lens.name(h.person, None),
        bodies=h.bodies,
        posts=[
            Post(
                body=p.body,
                body_kind=p.body_kind,
                body_name=p.body_name,
                role=p.role,
                link=p.link,
                since=period[0],
                until=period[1],
            )
            for p in h.posts
            for period in [lens.dates(p.link, p.since, p.until)]
        ],
    )


def to_conflict(c: an.ConflictOfInterest, lens: Lens) -> ConflictOfInterest:
    return ConflictOfInterest(
        person=lens.id(c.person),
        person_name=lens.name(c.person, None),
        committee=c.committee,
        committee_name=c.committee_name,
        compound=c.compound,
        compound_name=c.compound_name,
        company=c.company,
        company_name=c.company_name,
        seat_role=c.seat_role,
        job_role=c.job_role,
    )


def to_interlock(i: an.Interlock, lens: Lens) -> Interlock:
    return Interlock(
        a=i.a,
        a_kind=i.a_kind,
        a_name=i.a_name,
        b=i.b,
        b_kind=i.b_kind,
        b_name=i.b_name,
        shared=i.shared,
        people=lens.ids(i.people),
    )


def to_broker(b: an.Broker, lens: Lens) -> Broker:
    return Broker(
        node=lens.id(b.node),
        kind=b.kind,
        name=lens.name(b.node, b.name),
        degree=b.degree,
        betweenness=b.betweenness,
        constraint=b.constraint,
    )


def to_tie_community(c: an.TieCommunity, lens: Lens) -> TieCommunity:
    return TieCommunity(
        index=c.index,
        size=c.size,
        organizations=c.organizations,
        people=lens.ids(c.people),
    )


def to_graph_node(n: an.GraphNode, lens: Lens) -> GraphNode:
    return GraphNode(
        id=lens.id(n.id), kind=n.kind, name=lens.name(n.id, n.name), distance=n.distance
    )


def to_graph_link(lk: an.GraphLink, lens: Lens) -> GraphLink:
    since, until = lens.dates(lk.kind, lk.since, lk.until)
    return GraphLink(
        id=lens.link_id(lk.id),
        kind=lk.kind,
        source=lens.id(lk.source),
        target=lens.id(lk.target),
        role=lk.role,
        since=since,
        until=until,
    )
