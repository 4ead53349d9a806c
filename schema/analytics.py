"""The analytics in GraphQL: coverage gaps and roll-ups, cross-appointment ties, ego networks and
paths, each over a ``scope`` (a city, township, community or compound) and an ``asOf`` day.

How a field answers:

1. It reads the projection from the app's one :class:`~govgraph.graph.analytics.AnalyticsCache`
   (``info.context.analytics``), built from the store itself, not from the caller's role view,
   and rebuilt only when the store's version changes (or its time to live runs out).
2. It computes with the plain functions of :mod:`govgraph.graph.analytics`, the ones
   ``govgraph gaps`` and ``govgraph ties`` call, in a worker thread, and keeps the result with
   that projection (:func:`_memo`), so paging through it or asking again computes nothing.
3. It applies the caller's role to the result (:class:`~.analytics_types.Lens`, with the
   types in :mod:`.analytics_types`):

   * ``public``: aggregates only. ``coverageSummary`` (no ``partyShare`` of a compound),
     ``uncoveredCommunities`` (people left out of a reason's subjects) and ``coverageGaps {
     totalCount bySeverity }``; every field naming people raises ForbiddenError.
   * ``researcher``: every Person id becomes the pseudonym the node fields give the same person
     (:meth:`RoleView.pseudonym`), in ids, details, explanations and link ids; people's names
     never come back. Inputs accept those pseudonyms (and refuse real person ids, as the node
     fields do). Findings come from a discreet run (``graph/analytics/discreet.py``), as the
     public's counts do: none follows from a person's membership status or category, nor from
     what they own.
   * ``researcher`` and ``public``: every analysis runs on the last day of the ``asOf`` year
     (the default's too), as the node fields read it (:meth:`.Lens.day`, 年末口径).
   * ``department``: everything, people's names included.

Results use store ids (``entityId``: ``cmp-01``, ``anon-…``); inputs take store or global ids.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import asyncio
import base64
import datetime as dt
import inspect
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Optional, TypeVar

import strawberry
from strawberry.types import Info

from ..graph import analytics as an
from ..graph.analytics.discreet import WITHHELD, withheld
from ..graph.embedded import EmbeddedStore
from ..graph.errors import ForbiddenError, NotFoundError, Problem, ValidationError
from ..graph.port import GraphStore
from ..graph.privacy import PERSON, Role, RoleView
from .analytics_types import (
    SEVERITY_RANK,
    Broker,
    CommunityGaps,
    CompoundTies,
    ConflictOfInterest,
    CoverageGaps,
    CoverageRow,
    EgoNetwork,
    Finding,
    Interlock,
    Lens,
    MultiPostHolder,
    Page,
    Path,
    PlaceLevel,
    RuleSet,
    SeverityLevel,
    TieCommunity,
    need_people,
    severity_counts,
    to_broker,
    to_community_gaps,
    to_compound_ties,
    to_conflict,
    to_coverage_row,
    to_finding,
    to_graph_link,
    to_graph_node,
    to_holder,
    to_interlock,
    to_tie_community,
)
from .limits import COST
from .paging import page_size
from .types import LinkKindEnum, NodeKindEnum, PageInfo, entity_id

#: PlaceLevel and SeverityLevel are the schema's one place-level and severity enums (the
#: aggregate fields use them too)
__all__ = ["PlaceLevel", "SeverityLevel", "analytics_cache", "analytics_fields"]

T = TypeVar("T")

#: the fixed cost (schema/limits.py) of an analysis, whatever it returns: it reads the whole
#: projection; the network measures over the whole tie graph cost more
ANALYSIS_COST = 1_000
NETWORK_COST = 10_000
#: what is kept per store version (its index): results (each analysis with each set of
#: arguments is one) and pseudonym maps (one per secret); the index keeps its own day views
KEEP = {"results": 64, "pseudonyms": 2}
MAX_EGO_DEPTH = 3


def analytics_cache(store: GraphStore, ttl: float | None) -> an.AnalyticsCache:
    """The one projection cache of an app's store.

    The embedded store is written by this process only, and its ``version`` says when it
    changed. Any other store (Neo4j) counts the writes made through this process in its
    ``version`` too, but other processes may write it as well: its projection is also rebuilt
    ``ttl`` seconds after it was built (None: never).
    """
    ttl = None if isinstance(store, EmbeddedStore) else ttl
    return an.AnalyticsCache(store, ttl=ttl)


# --- computing once per projection version -------------------------------------------------------
Memo = dict[str, OrderedDict[Hashable, "asyncio.Future[Any]"]]

#: per store version (the cache's index): dropped with it when the store changes
_MEMOS: "weakref.WeakKeyDictionary[an.Columns, Memo]" = weakref.WeakKeyDictionary()


async def _memo(
    index: an.Columns, key: Hashable, compute: Callable[[], T], *, bucket: str = "results"
) -> T:
    """``compute()`` run once per store version and key, in a worker thread (an index never
    changes, so threads only read it; the event loop stays free); requests asking together
    share one run. ``bucket`` says how many of its kind are kept (:data:`KEEP`, least recently
    used dropped first)."""
    memo = _MEMOS.get(index)
    if memo is None:
        memo = _MEMOS[index] = {name: OrderedDict() for name in KEEP}
    kept = memo[bucket]
    future = kept.get(key)
    if future is None:
        future = kept[key] = asyncio.ensure_future(asyncio.to_thread(compute))
        while len(kept) > KEEP[bucket]:
            kept.popitem(last=False)
    else:
        kept.move_to_end(key)
    try:
        result: T = await asyncio.shield(future)
    except Exception:
        if kept.get(key) is future:
            del kept[key]  # errors are not kept: the next call tries again
        raise
    return result


class _Request:
    """One analysis request: the caller's role, the projection, and the caller's inputs
    turned into store ids."""

    def __init__(self, info: Info, index: an.Columns) -> None:
        self.view: RoleView = info.context.store
        self.role: Role = info.context.role
        self.index = index
        self.lens = Lens(self.role, index, self.view)

    async def node_id(self, value: str) -> str:
        """The store id behind an input id (global or store id; a researcher's pseudonym).

        Anyone but the department addressing a person by real id is told it does not exist,
        as the node fields tell them, so real ids cannot be tried against pseudonyms.
        """
        x = entity_id(value)
        if self.role is Role.DEPARTMENT:
            return x
        if self.lens.is_person(x):
            raise NotFoundError("node", [value])
        if x.startswith("anon-"):
            real = (await self._pseudonyms()).get(x)
            if real is not None:
                return real
        return x

    async def scope_id(self, value: strawberry.ID | None) -> str | None:
        return None if value is None else await self.node_id(value)

    async def _pseudonyms(self) -> dict[str, str]:
        """pseudonym → person id for every person of the projection (once per version)."""
        index, pseudonym = self.index, self.view.pseudonym

        def build() -> dict[str, str]:
            return {pseudonym(n): n for n in index.ids_of(index.of_kind(PERSON))}

        # the pseudonym of "" tells apart apps with different secrets
        return await _memo(index, pseudonym(""), build, bucket="pseudonyms")

    async def span(self) -> an.DataSpan:
        """The days the data records (once per version)."""
        index = self.index
        return await _memo(index, ("span",), lambda: an.data_span(index))

    async def when(self, as_of: dt.date | None) -> dt.date:
        """The day analysed for ``asOf`` (default today) as the caller's role reads it: a
        researcher's or the public's is the end of its year, or the data's last day in the year
        the data ends (:meth:`.Lens.day`)."""
        day = _day(as_of)
        return self.lens.day(day, (await self.span()).last) if self.lens.masks else day

    def day(self, as_of: dt.date) -> an.DayView:
        """The index on one day (the index keeps the views of the last days asked)."""
        return self.index.day(as_of)

    async def shown(self, key: Hashable, rows: Callable[[], Sequence[Any]], convert: Any) -> Any:
        """``convert(row, lens)`` of every row, kept per role (pseudonymizing is not free)."""
        lens = self.lens
        role_key = (self.role, self.view.pseudonym("")) if lens.masks else self.role
        return await _memo(
            self.index, ("shown", key, role_key), lambda: [convert(r, lens) for r in rows()]
        )


async def _request(info: Info) -> _Request:
    cache: an.AnalyticsCache = info.context.analytics
    return _Request(info, await cache.index())


# --- arguments -----------------------------------------------------------------------------------
ScopeArg = Annotated[
    Optional[strawberry.ID],
    strawberry.argument(
        description="a city, township, community or compound id: only what lies under it"
    ),
]
AsOfArg = Annotated[
    Optional[dt.date],
    strawberry.argument(
        description="the day analysed (links valid that day); default today. A researcher's "
        "or the public's is read as the last day of its year"
    ),
]
FirstArg = Annotated[int, strawberry.argument(description="rows per page (at most the page size)")]
AfterArg = Annotated[
    Optional[str], strawberry.argument(description="pageInfo.endCursor of the previous page")
]
RuleSetArg = Annotated[RuleSet, strawberry.argument(description="the rule set to run")]
RulesArg = Annotated[
    Optional[list[str]],
    strawberry.argument(description="only these rules of the rule set (ids such as P1, O5)"),
]
LinkKindsArg = Annotated[
    Optional[list[LinkKindEnum]],  # a generated enum
    strawberry.argument(description="follow only these kinds of link (default: every kind)"),
]


@dataclass(frozen=True, slots=True)
class Window:
    """What every paged analysis is asked: where (``scope``), on which day (``asOf``), and which
    page (``first``, ``after``)."""

    scope: Optional[strawberry.ID]
    as_of: Optional[dt.date]
    first: int
    after: Optional[str]


@dataclass(frozen=True, slots=True)
class RuleChoice:
    """Which rules an analysis of findings runs (``ruleSet``, ``rules``)."""

    rule_set: RuleSet
    rules: Optional[list[str]]


def _arguments(*declared: tuple[str, Any, Any]) -> list[inspect.Parameter]:
    kind = inspect.Parameter.KEYWORD_ONLY
    return [inspect.Parameter(n, kind, default=d, annotation=a) for n, a, d in declared]


#: the GraphQL arguments a Window or a RuleChoice parameter stands for: where it stands (scope,
#: asOf; ruleSet, rules) and last (first, after)
_SHARED: dict[Any, tuple[list[inspect.Parameter], list[inspect.Parameter]]] = {
    Window: (
        _arguments(("scope", ScopeArg, None), ("as_of", AsOfArg, None)),
        _arguments(("first", FirstArg, 20), ("after", AfterArg, None)),
    ),
    RuleChoice: (_arguments(("rule_set", RuleSetArg, RuleSet.ALL), ("rules", RulesArg, None)), []),
}


def shared_arguments(
    resolver: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    """``resolver`` with each parameter annotated :class:`Window` or :class:`RuleChoice` taken
    as the GraphQL arguments it stands for (:data:`_SHARED`), so they are declared once; the
    schema sees the arguments (Strawberry reads a resolver's ``inspect.signature``)."""
    own = inspect.signature(resolver)
    params: list[inspect.Parameter] = []
    last: list[inspect.Parameter] = []
    bundles: list[tuple[str, Any, list[inspect.Parameter]]] = []
    for p in own.parameters.values():
        here, after = _SHARED.get(p.annotation, ([p], []))
        params.extend(here)
        last.extend(after)
        if p.annotation in _SHARED:
            bundles.append((p.name, p.annotation, [*here, *after]))

    async def resolve(*args: Any, **kwargs: Any) -> T:
        for name, bundle, shared in bundles:
            kwargs[name] = bundle(*(kwargs.pop(q.name, q.default) for q in shared))
        return await resolver(*args, **kwargs)

    resolve.__signature__ = own.replace(parameters=[*params, *last])  # type: ignore[attr-defined]
    resolve.__name__, resolve.__qualname__ = resolver.__name__, resolver.__qualname__
    resolve.__doc__, resolve.__module__ = resolver.__doc__, resolver.__module__
    return resolve


def _day(as_of: dt.date | None) -> dt.date:
    return as_of if as_of is not None else dt.date.today()


def _size(info: Info, first: int) -> int:
    return page_size(info, first)


def _settings(rule_set: RuleSet, rules: list[str] | None) -> tuple[Hashable, an.RuleSettings]:
    settings = an.rule_set(rule_set.value)
    if rules is None:
        return (rule_set.value, None), settings
    unknown = [r for r in rules if r not in an.RULES]
    if unknown:
        raise ValidationError(
            [Problem("rules", "id", r, "one of " + ", ".join(an.RULES)) for r in unknown]
        )
    chosen = frozenset(rules)
    enabled = chosen if settings.enabled is None else settings.enabled & chosen
    return (rule_set.value, tuple(sorted(chosen))), settings.model_copy(update={"enabled": enabled})


def _kinds(link_kinds: list[Any] | None) -> tuple[str, ...] | None:
    return None if link_kinds is None else tuple(sorted({k.value for k in link_kinds}))


def _encode(identity: str) -> str:
    return base64.urlsafe_b64encode(identity.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError as exc:
        raise ValidationError(
            Problem("page", "after", cursor, "a pageInfo.endCursor of this analysis")
        ) from exc


def _pager(first: int, after: str | None, identity: Callable[[T], str]) -> Callable[..., Page[T]]:
    """Keyset paging over a computed result: a page starts after the row whose identity the
    cursor holds (so it stays right while the projection is the same)."""

    def page(rows: Sequence[T]) -> Page[T]:
        start = 0
        if after is not None:
            wanted = _decode(after)
            for i, row in enumerate(rows):
                if identity(row) == wanted:
                    start = i + 1
                    break
            else:
                raise ValidationError(
                    Problem(
                        "page",
                        "after",
                        after,
                        "a pageInfo.endCursor of the same analysis; the graph may have changed "
                        "since: start again without after",
                    )
                )
        items = list(rows[start : start + first])
        return Page(
            total_count=len(rows),
            items=items,
            page_info=PageInfo(
                has_next_page=start + len(items) < len(rows),
                end_cursor=_encode(identity(items[-1])) if items else None,
            ),
        )

    return page


async def _findings(
    req: _Request,
    scope: str | None,
    day: dt.date,
    rule_set: RuleSet,
    rules: list[str] | None,
) -> tuple[Hashable, list[an.Finding]]:
    """The findings the caller's role may be told of: anyone but the department gets a discreet
    run (``graph/analytics/discreet.py``: nothing in it follows from a person's membership
    status or category), and asking by name for a rule such a run leaves out is refused."""
    settings_key, settings = _settings(rule_set, rules)
    discreet = req.lens.masks
    if discreet:
        kept = [r for r in rules or () if withheld(r)]
        if kept:
            raise ForbiddenError(
                f"the {req.role.value} role may not ask for rule {', '.join(kept)}: "
                + "; ".join(WITHHELD[r] for r in kept)
            )
    key = ("rules", day, scope, settings_key, discreet)
    index = req.index
    found = await _memo(
        index,
        key,
        lambda: an.run_rules(index, settings, as_of=day, scope=scope, discreet=discreet),
    )
    return key, found


# --- the root fields -----------------------------------------------------------------------------
@shared_arguments
async def coverage_gaps(
    info: Info,
    *,
    window: Window,
    chosen: RuleChoice,
    severities: Annotated[
        Optional[list[SeverityLevel]], strawberry.argument(description="only these severities")
    ] = None,
    min_severity: Annotated[
        Optional[SeverityLevel],
        strawberry.argument(description="only this severity and the more serious ones"),
    ] = None,
) -> CoverageGaps:
    size = _size(info, window.first)
    req = await _request(info)
    place, day = await req.scope_id(window.scope), await req.when(window.as_of)
    key, found = await _findings(req, place, day, chosen.rule_set, chosen.rules)
    wanted = set(severities) if severities else set(SeverityLevel)
    if min_severity is not None:
        wanted = {s for s in wanted if SEVERITY_RANK[s] <= SEVERITY_RANK[min_severity]}
    counts = {s.value: 0 for s in SeverityLevel}
    for f in found:
        counts[f.severity.value] += 1

    async def rows() -> list[Finding]:  # the page's fields ask, after checking the role
        shown: list[Finding] = await req.shown(key, lambda: found, to_finding)
        return [f for f in shown if f.severity in wanted]

    return CoverageGaps(
        as_of=day,
        total_count=sum(n for s, n in counts.items() if SeverityLevel(s) in wanted),
        by_severity=severity_counts({s.value: counts[s.value] for s in wanted}),
        rows=rows,
        page=_pager(size, window.after, lambda f: f.id),
        role=req.role,
    )


@shared_arguments
async def coverage_summary(
    info: Info,
    *,
    level: Annotated[
        Optional[PlaceLevel], strawberry.argument(description="only this level (default: all)")
    ] = None,
    window: Window,
    chosen: RuleChoice,
) -> Page[CoverageRow]:
    size = _size(info, window.first)
    req = await _request(info)
    place, day = await req.scope_id(window.scope), await req.when(window.as_of)
    rules_key, found = await _findings(req, place, day, chosen.rule_set, chosen.rules)
    index = req.index
    key = ("summary", rules_key)
    summary = await _memo(
        index, key, lambda: an.coverage_summary(index, day, place, findings=found)
    )
    rows: list[CoverageRow] = await req.shown(key, lambda: summary, to_coverage_row)
    if level is not None:
        rows = [r for r in rows if r.level is level]
    return _pager(size, window.after, lambda r: f"{r.level.value}:{r.place}")(rows)


@shared_arguments
async def uncovered_communities(
    info: Info, *, window: Window, chosen: RuleChoice
) -> Page[CommunityGaps]:
    size = _size(info, window.first)
    req = await _request(info)
    place, day = await req.scope_id(window.scope), await req.when(window.as_of)
    rules_key, found = await _findings(req, place, day, chosen.rule_set, chosen.rules)
    view = req.day(day)
    key = ("uncovered", rules_key)
    ranking = await _memo(req.index, key, lambda: an.uncovered_communities(view, found, place))
    rows: list[CommunityGaps] = await req.shown(key, lambda: ranking, to_community_gaps)
    return _pager(size, window.after, lambda c: c.community)(rows)


async def _ties(
    info: Info,
    field: str,
    window: Window,
    *,
    compute: Callable[[an.DayView, str | None], Sequence[Any]],
    params: Hashable,
    convert: Callable[[Any, Lens], T],
    identity: Callable[[T], str],
) -> Page[T]:
    """A tie analysis on the projection as of the day: people-level, so not for the public."""
    need_people(info.context.role, field)
    size = _size(info, window.first)
    req = await _request(info)
    place, day = await req.scope_id(window.scope), await req.when(window.as_of)
    view = req.day(day)
    key = (field, day, place, params)
    found = await _memo(req.index, key, lambda: compute(view, place))
    rows: list[T] = await req.shown(key, lambda: found, convert)
    return _pager(size, window.after, identity)(rows)


@shared_arguments
async def cross_appointments(
    info: Info,
    *,
    window: Window,
) -> Page[CompoundTies]:
    return await _ties(
        info,
        "crossAppointments",
        window,
        compute=an.cross_appointments,
        params=None,
        convert=to_compound_ties,
        identity=lambda t: t.compound,
    )


@shared_arguments
async def multi_post_holders(
    info: Info,
    *,
    window: Window,
    min_bodies: Annotated[
        int, strawberry.argument(description="the fewest bodies a person is tied to")
    ] = 2,
) -> Page[MultiPostHolder]:
    if min_bodies < 1:
        raise ValidationError(Problem("multiPostHolders", "minBodies", min_bodies, "at least 1"))
    return await _ties(
        info,
        "multiPostHolders",
        window,
        compute=lambda g, place: an.multi_post_holders(g, place, min_bodies=min_bodies),
        params=min_bodies,
        convert=to_holder,
        identity=lambda h: h.person,
    )


@shared_arguments
async def conflicts_of_interest(
    info: Info,
    *,
    window: Window,
) -> Page[ConflictOfInterest]:
    return await _ties(
        info,
        "conflictsOfInterest",
        window,
        compute=an.conflicts_of_interest,
        params=None,
        convert=to_conflict,
        identity=lambda c: f"{c.person}|{c.committee}|{c.company}",
    )


@shared_arguments
async def interlocks(
    info: Info,
    *,
    window: Window,
    min_shared: Annotated[
        int, strawberry.argument(description="the fewest people two bodies share")
    ] = 1,
) -> Page[Interlock]:
    if min_shared < 1:
        raise ValidationError(Problem("interlocks", "minShared", min_shared, "at least 1"))
    return await _ties(
        info,
        "interlocks",
        window,
        compute=lambda g, place: an.interlocks(g, place, min_shared=min_shared),
        params=min_shared,
        convert=to_interlock,
        identity=lambda i: f"{i.a}|{i.b}",
    )


@shared_arguments
async def brokers(
    info: Info,
    *,
    window: Window,
    kinds: Annotated[
        Optional[list[NodeKindEnum]],  # a generated enum
        strawberry.argument(description="the kinds of node ranked (default: Person)"),
    ] = None,
    sample: Annotated[
        Optional[int],
        strawberry.argument(
            description="estimate betweenness from this many sources (faster, approximate)"
        ),
    ] = None,
) -> Page[Broker]:
    if sample is not None and sample < 1:
        raise ValidationError(Problem("brokers", "sample", sample, "at least 1"))
    names = {k.value for k in kinds or []}
    ranked = tuple(sorted(names)) if names else (PERSON,)
    return await _ties(
        info,
        "brokers",
        window,
        compute=lambda g, place: an.brokers(g, place, kinds=ranked, k=sample),
        params=(ranked, sample),
        convert=to_broker,
        identity=lambda b: b.node,
    )


@shared_arguments
async def tie_communities(
    info: Info,
    *,
    window: Window,
    resolution: Annotated[
        float, strawberry.argument(description="above 1: smaller communities")
    ] = 1.0,
) -> Page[TieCommunity]:
    if resolution <= 0:
        raise ValidationError(Problem("tieCommunities", "resolution", resolution, "above 0"))
    return await _ties(
        info,
        "tieCommunities",
        window,
        compute=lambda g, place: an.communities(g, place, resolution=resolution),
        params=resolution,
        convert=to_tie_community,
        identity=lambda c: str(c.index),
    )


async def ego_network(
    info: Info,
    *,
    id: Annotated[strawberry.ID, strawberry.argument(description="the center")],
    depth: Annotated[
        int, strawberry.argument(description=f"links from the center, 1 to {MAX_EGO_DEPTH}")
    ] = 1,
    link_kinds: LinkKindsArg = None,
    scope: ScopeArg = None,
    as_of: AsOfArg = None,
    first: FirstArg = 20,
) -> EgoNetwork:
    need_people(info.context.role, "egoNetwork")
    if not 1 <= depth <= MAX_EGO_DEPTH:
        raise ValidationError(Problem("egoNetwork", "depth", depth, f"1 to {MAX_EGO_DEPTH}"))
    size = _size(info, first)
    req = await _request(info)
    center, place, day = await req.node_id(id), await req.scope_id(scope), await req.when(as_of)
    kinds = req.lens.link_kinds(_kinds(link_kinds))
    view = req.day(day)
    ego = await _memo(
        req.index,
        ("ego", day, center, depth, kinds, place),
        lambda: an.ego_network(view, center, depth, link_kinds=kinds, scope=place),
    )
    nodes = ego.nodes[:size]
    kept = {n.id for n in nodes}
    lens = req.lens
    return EgoNetwork(
        center=lens.id(ego.center),
        depth=ego.depth,
        total_count=len(ego.nodes),
        nodes=[to_graph_node(n, lens) for n in nodes],
        links=[to_graph_link(lk, lens) for lk in ego.links if {lk.source, lk.target} <= kept],
    )


async def path(
    info: Info,
    *,
    from_: Annotated[strawberry.ID, strawberry.argument(name="from", description="one end")],
    to: Annotated[strawberry.ID, strawberry.argument(description="the other end")],
    link_kinds: LinkKindsArg = None,
    scope: ScopeArg = None,
    as_of: AsOfArg = None,
) -> Optional[Path]:
    need_people(info.context.role, "path")
    req = await _request(info)
    a, b = await req.node_id(from_), await req.node_id(to)
    place, day = await req.scope_id(scope), await req.when(as_of)
    kinds = req.lens.link_kinds(_kinds(link_kinds))
    view = req.day(day)
    found = await _memo(
        req.index,
        ("path", day, a, b, kinds, place),
        lambda: an.shortest_path(view, a, b, kinds, scope=place),
    )
    if found is None:
        return None
    lens = req.lens
    return Path(
        nodes=[to_graph_node(n, lens) for n in found.nodes],
        links=[to_graph_link(lk, lens) for lk in found.links],
    )


def analytics_fields() -> dict[str, Any]:
    """The analytics root fields of Query, by name."""

    def field(resolver: Any, description: str, cost: int = ANALYSIS_COST) -> Any:
        return strawberry.field(resolver=resolver, description=description, metadata={COST: cost})

    return {
        "coverage_gaps": field(
            coverage_gaps,
            "Findings of the coverage and compliance rules (P1-G3); the public role may ask "
            "for totalCount and bySeverity only.",
        ),
        "coverage_summary": field(
            coverage_summary,
            "Coverage rates per place, city down to compound, with open findings per severity.",
        ),
        "uncovered_communities": field(
            uncovered_communities, "Communities ranked by their gaps, with the reasons."
        ),
        "cross_appointments": field(
            cross_appointments,
            "Per compound: committee seats held by branch post holders, and whether the branch "
            "secretary chairs the committee.",
        ),
        "multi_post_holders": field(
            multi_post_holders, "People tied to two or more bodies, most bodies first."
        ),
        "conflicts_of_interest": field(
            conflicts_of_interest,
            "Owners' committee members employed by the company managing the same compound.",
        ),
        "interlocks": field(
            interlocks, "Bodies sharing people, weighted by how many; heaviest first."
        ),
        "brokers": field(
            brokers,
            "Brokers of the person-organization tie graph: highest betweenness first.",
            NETWORK_COST,
        ),
        "tie_communities": field(
            tie_communities,
            "Louvain communities of the person-organization tie graph, largest first.",
            NETWORK_COST,
        ),
        "ego_network": field(
            ego_network, "Everything within depth links of a node (links followed both ways)."
        ),
        "path": field(
            path, "A shortest path between two nodes (links followed both ways); null if none."
        ),
    }
