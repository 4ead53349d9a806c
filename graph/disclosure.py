"""What the researcher role sees of people: the quasi-identifier policy, as one table.

Removing names and phones is not enough: gender, birth year, employer, home unit and the days
someone joined the Party or took a post, read together, single out most people of a compound.
So every property of a Person, every property of a link about a person and every kind of link
about a person has one :class:`Rule` here, saying whether a researcher gets it kept,
generalized (coarsened until it no longer points at one person) or dropped, and why.

Researchers study how people tie bodies together (a branch secretary who chairs the owners'
committee, a property manager on the committee that supervises the company), so every tie is
kept, with its post and its years; what only identifies is coarsened or dropped.

:class:`~.privacy.RoleView` (GraphQL) and the exporters both apply these functions, so an answer
and an export of the same data agree. The department sees everything; the public sees counts
only, so neither needs a rule. ``docs/graphql.md`` ("Who sees what") shows the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .model import Link, Node, Value
from .ontology import LINK_KINDS
from .port import GraphStore
from .query import Direction

PERSON = "Person"
#: the place a researcher sees as someone's home, instead of their unit or building
HOME_LEVEL = "Compound"


class Treatment(StrEnum):
    KEEP = "kept"
    GENERALIZE = "generalized"
    DROP = "dropped"


@dataclass(frozen=True, slots=True)
class Rule:
    """What a researcher gets of one property or link kind, and why."""

    treatment: Treatment
    why: str
    #: the coarser value (GENERALIZE only)
    generalize: Callable[[Value], Value | None] | None = None
    #: how the value is coarsened, for the docs
    how: str = ""


def birth_decade(year: Value) -> Value | None:
    """The first year of the decade: 1967 → 1960 (read "born in the 1960s").

    >>> birth_decade(1967), birth_decade(1960)
    (1960, 1960)
    """
    return year - year % 10 if isinstance(year, int) and not isinstance(year, bool) else None


def year_start(day: Value) -> Value | None:
    """A start date widened to its whole year: 2021-05-03 → 2021-01-01.

    >>> year_start(dt.date(2021, 5, 3))
    datetime.date(2021, 1, 1)
    """
    return dt.date(day.year, 1, 1) if isinstance(day, dt.date) else None


def year_end(day: Value) -> Value | None:
    """An end date widened to its whole year: 2023-08-01 → 2023-12-31, so the widened period
    always contains the real one.

    >>> year_end(dt.date(2023, 8, 1))
    datetime.date(2023, 12, 31)
    """
    return dt.date(day.year, 12, 31) if isinstance(day, dt.date) else None


def widened(since: dt.date | None, until: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """A link's period as the table shows it on links about people: whole years.

    >>> widened(dt.date(2021, 5, 3), None)
    (datetime.date(2021, 1, 1), None)
    """
    start, end = year_start(since) if since else None, year_end(until) if until else None
    assert start is None or isinstance(start, dt.date)
    assert end is None or isinstance(end, dt.date)
    return start, end


def year_of_day(day: dt.date | None, last: dt.date | None = None) -> dt.date | None:
    """The day a researcher's or the public's ``asOf`` is read as: the last day of its year, or
    the data's ``last`` recorded day when that comes earlier in the same year.

    Dates are shown by year, so asking day by day must not tell more: every day of a year gives
    one answer (年末口径). A ledger that ends mid-year records nothing after its last day, and
    reading it at 31 December would count the months it has not reached as passed without a
    meeting or a reply; so the answer of the ledger's last year is the one of its last day.

    >>> year_of_day(dt.date(2022, 3, 9))
    datetime.date(2022, 12, 31)
    >>> year_of_day(dt.date(2021, 2, 1), last=dt.date(2021, 5, 31))
    datetime.date(2021, 5, 31)
    >>> year_of_day(dt.date(2020, 2, 1), last=dt.date(2021, 5, 31))
    datetime.date(2020, 12, 31)
    """
    if day is None:
        return None
    end = dt.date(day.year, 12, 31)
    return last if last is not None and last.year == day.year else end


_KEEP, _GEN, _DROP = Treatment.KEEP, Treatment.GENERALIZE, Treatment.DROP
_FREE_TEXT = "free text about one person (may name them or their family)"

#: every property of a Person
PERSON_PROPS: dict[str, Rule] = {
    "name": Rule(_DROP, "identifies directly"),
    "phone": Rule(_DROP, "identifies directly"),
    "address": Rule(_DROP, "identifies directly; the home compound is kept as a RESIDES_IN tie"),
    "gender": Rule(
        _KEEP,
        "two values, shared by half of any body; needed for the gender make-up of committees",
    ),
    "birth_year": Rule(
        _GEN,
        "a year singles out one member of a small branch; the decade still shows a body's age "
        "structure",
        birth_decade,
        "its decade's first year (1967 → 1960)",
    ),
    "employer": Rule(
        _DROP,
        "free text naming a small workplace identifies; ties to property companies stay as "
        "EMPLOYED_BY, roll-ups by employer are the department's",
    ),
    "source": Rule(_DROP, _FREE_TEXT),
}

_DATES = "the day of joining or taking a post matches one ledger line; the year still orders ties"
#: every property of a link about a person (``None`` where the link kind has no such property)
PERSON_LINK_PROPS: dict[str, Rule] = {
    "since": Rule(_GEN, _DATES, year_start, "1 January of its year"),
    "until": Rule(_GEN, _DATES, year_end, "31 December of its year"),
    "role": Rule(
        _KEEP, "the post held (secretary, chair) or job is what cross-appointment research studies"
    ),
    "status": Rule(_DROP, "Party membership status (正式/预备) is personal data"),
    "category": Rule(_DROP, "Party membership category (在职/退休/流动) is personal data"),
    "source": Rule(_DROP, _FREE_TEXT),
}

#: every kind of link about a person
PERSON_LINKS: dict[str, Rule] = {
    "MEMBER_OF": Rule(_KEEP, "which Party bodies a person belongs to is a tie under study"),
    "HOLDS_POST": Rule(_KEEP, "the posts a person holds are the cross-appointments under study"),
    "EMPLOYED_BY": Rule(
        _KEEP, "a company's staff sitting on the bodies that supervise it is a tie under study"
    ),
    "REGISTERED_AT": Rule(_KEEP, "in-service members registering where they live is studied"),
    "VOLUNTEERS_IN": Rule(_KEEP, "a tie to a body"),
    "ATTENDED": Rule(_KEEP, "who meets with whom ties bodies together"),
    "RESIDES_IN": Rule(
        _GEN,
        "a unit is one household; the compound still tells whether people govern where they live",
        how="to the compound of the unit or building (residents of units and buildings are "
        "not listed)",
    ),
    "OWNS": Rule(
        _DROP,
        "an owned unit is one household in the property register; RESIDES_IN keeps the compound",
    ),
}

#: the links that tie a person to one household's unit: the department's alone in analyses
#: that follow links (ego networks, paths), where a unit cannot be moved to its compound
HOUSEHOLD_LINKS = frozenset({"RESIDES_IN", "OWNS"})

#: the link kinds with a Person at one end (the source, in the ontology)
PERSON_LINK_KINDS = frozenset(
    k for k, lk in LINK_KINDS.items() if any(PERSON in pair for pair in lk.endpoints)
)


# --- applying the rules -----------------------------------------------------------------------
def _apply(rules: Mapping[str, Rule], props: Mapping[str, Value]) -> dict[str, Value]:
    # a property without a rule is dropped: a new one must be decided before researchers see it
    out: dict[str, Value] = {}
    for name, value in props.items():
        rule = rules.get(name)
        if rule is None or rule.treatment is Treatment.DROP:
            continue
        if rule.generalize is not None:
            coarse = rule.generalize(value)
            if coarse is not None:
                out[name] = coarse
        else:
            out[name] = value
    return out


def person_props(props: Mapping[str, Value]) -> dict[str, Value]:
    """A Person's properties as a researcher sees them."""
    return _apply(PERSON_PROPS, props)


def person_link_props(props: Mapping[str, Value]) -> dict[str, Value]:
    """The properties of a link about a person as a researcher sees them."""
    return _apply(PERSON_LINK_PROPS, props)


def unfilterable(kind: str) -> frozenset[str]:
    """Fields of ``kind`` a researcher may not filter or sort on: all but the kept ones (a
    filter on an exact birth year would tell what the decade hides)."""
    if kind != PERSON:
        return frozenset()
    kept = {n for n, r in PERSON_PROPS.items() if r.treatment is Treatment.KEEP}
    return frozenset({"id", *PERSON_PROPS} - kept)


def shown_link(lk: Link, home: Mapping[str, str], rename: Callable[[str], str]) -> Link | None:
    """A link about a person as a researcher sees it (None when dropped), with its person
    renamed by ``rename`` and a home unit or building replaced by ``home[place]``, its
    compound (dropped when unknown). Other links are returned unchanged."""
    if lk.kind not in PERSON_LINK_KINDS:
        return lk
    rule = PERSON_LINKS.get(lk.kind)
    if rule is None or rule.treatment is Treatment.DROP:
        return None
    target = lk.target
    if rule.treatment is Treatment.GENERALIZE:
        target = home.get(lk.target, "")
        if not target:
            return None
    return Link(lk.kind, rename(lk.source), target, person_link_props(lk.props), lk.key)


def merge_links(links: Iterable[Link]) -> list[Link]:
    """One link per id: two homes in one compound become one RESIDES_IN, over both periods."""
    merged: dict[str, Link] = {}
    for lk in links:
        seen = merged.get(lk.id)
        if seen is None:
            merged[lk.id] = lk
            continue
        props: dict[str, Value | None] = dict(seen.props)
        starts = [_day(seen.props.get("since")), _day(lk.props.get("since"))]
        ends = [_day(seen.props.get("until")), _day(lk.props.get("until"))]
        # an open end on either side leaves the merged period open
        props["since"] = None if None in starts else min(d for d in starts if d is not None)
        props["until"] = None if None in ends else max(d for d in ends if d is not None)
        merged[lk.id] = Link(lk.kind, lk.source, lk.target, _present(props), lk.key)
    return list(merged.values())


def _day(value: Value | None) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _present(props: Mapping[str, Value | None]) -> dict[str, Value]:
    return {k: v for k, v in props.items() if v is not None}


async def compounds_of(store: GraphStore, places: Sequence[str]) -> dict[str, str]:
    """The compound each unit, building or compound of ``places`` lies in (absent: none).

    Two hops up ``PART_OF`` at most (unit → building → compound), batched per hop."""
    found: dict[str, str] = {}
    up = await store.neighbours(places, link_kind="PART_OF", direction=Direction.OUT)
    buildings: dict[str, str] = {}
    for place, nbs in up.items():
        for nb in nbs:
            if nb.node.kind == HOME_LEVEL:
                found[place] = nb.node.id
            elif nb.node.kind == "Building":
                buildings[place] = nb.node.id
    if buildings:
        higher = await store.neighbours(
            sorted(set(buildings.values())),
            link_kind="PART_OF",
            direction=Direction.OUT,
            neighbour_kind=HOME_LEVEL,
        )
        for place, building in buildings.items():
            for nb in higher.get(building, []):
                found.setdefault(place, nb.node.id)
    return found


def homes(kinds: Mapping[str, str], part_of: Iterable[Link]) -> dict[str, str]:
    """The compound of every unit, building and compound, from the ``PART_OF`` links of a whole
    graph (``kinds``: node id → kind)."""
    up = {lk.source: lk.target for lk in part_of if lk.kind == "PART_OF"}
    found = {n: n for n, k in kinds.items() if k == HOME_LEVEL}
    for place, k in kinds.items():
        if k in ("Unit", "Building"):
            parent = up.get(place, "")
            parent = parent if kinds.get(parent) == HOME_LEVEL else up.get(parent, "")
            if kinds.get(parent) == HOME_LEVEL:
                found[place] = parent
    return found


def researcher_records(
    nodes: Iterable[Node],
    links: Iterable[Link],
    home: Mapping[str, str],
    pseudonym: Callable[[str], str],
) -> tuple[list[Node], list[Link]]:
    """A whole graph as a researcher may have it (an export): people pseudonymized and every
    rule of this module applied. ``home`` maps each unit and building to its compound
    (compounds map to themselves)."""
    shown_nodes = [
        Node(pseudonym(n.id), n.kind, person_props(n.props)) if n.kind == PERSON else n
        for n in nodes
    ]
    kept = (shown_link(lk, home, pseudonym) for lk in links)
    return shown_nodes, merge_links(lk for lk in kept if lk is not None)
