"""The fields the department's web console reads beside the analytics: the span of the data,
coverage month by month, what a draft would change, and the rectification list as a workbook.

Each answers from the app's one analytics cache (as :mod:`.analytics` does: no store round
trip when the projection is current; ``whatIf`` adds one, to check the draft against the stored
kinds as a save would), and applies the caller's role:

* ``dataSpan`` and ``coverageTrend``: every role (dates and aggregates only); a researcher's
  or the public's trend has a point per year, at its last day, not per month (their ``asOf``
  is read as the last day of its year: :meth:`.Lens.day`);
* ``rectificationList``: department and researcher (a researcher's rows through the same
  :class:`~.analytics_types.Lens` as ``coverageGaps``: pseudonyms, never names); public refused;
* ``whatIf``: the department only. It answers with named findings about a draft only the
  department could save, and its input takes real ids; a researcher is refused like the
  public (FORBIDDEN), rather than shown a masked diff of a write they cannot make.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import asyncio
import base64
import datetime as dt
import re
from typing import Annotated, Any, Optional

import strawberry
from strawberry.types import Info

from ..graph import analytics as an
from ..graph.errors import ForbiddenError, Problem, ValidationError
from ..graph.model import parse_link_id, validate_batch
from ..graph.port import WriteBatch
from ..graph.privacy import Role
from ..loaders.rectification import XLSX, rectification_workbook
from .analytics import (
    ANALYSIS_COST,
    AsOfArg,
    RuleSetArg,
    ScopeArg,
    _findings,
    _memo,
    _request,
    _settings,
)
from .analytics_types import Finding, Ratio, RuleSet, need_people, to_finding
from .limits import COST
from .mutation import MAX_BATCH, LinkInput, NodeInput, batch_of

#: rows of one rectification list: a bigger one is a whole city's, to be split by township
MAX_RECTIFICATION_ROWS = 20_000


# --- types ---------------------------------------------------------------------------------------
@strawberry.type(description="The earliest and latest dates the data holds (null when none).")
class DataSpan:
    first: Optional[dt.date]
    last: Optional[dt.date]


@strawberry.type(description="The coverage rates of a place (or of all the data) on one day.")
class TrendPoint:
    date: dt.date = strawberry.field(
        description="a month's last day (the last point: until); for a researcher or the public "
        "a year's last day"
    )
    compounds: int = strawberry.field(description="compounds under the place that day")
    branch: Ratio = strawberry.field(description="compounds a Party branch covers")
    party_groups: Ratio = strawberry.field(description="buildings a Party group covers")
    owners_committee: Ratio = strawberry.field(description="compounds an owners' committee has")
    property_service: Ratio = strawberry.field(description="compounds under property service")
    service_station: Ratio = strawberry.field(description="compounds a service station serves")
    cross_appointment: Ratio = strawberry.field(
        description="committee seats held by branch post holders"
    )
    appeals_replied: Ratio = strawberry.field(description="appeals replied of those received")


@strawberry.type(description="What a draft would change in the findings; nothing is written.")
class WhatIf:
    closed: list[Finding] = strawberry.field(description="findings now that the draft removes")
    opened: list[Finding] = strawberry.field(description="findings the draft would add")
    before: int = strawberry.field(description="findings now")
    after: int = strawberry.field(description="findings with the draft")


@strawberry.type(description="A file, base64-encoded.")
class Download:
    filename: str
    media_type: str
    base64: str
    rows: int = strawberry.field(description="data rows (findings) in the file")


@strawberry.input(
    description="A draft write: the arguments of applyBatch, checked as applyBatch checks them."
)
class DraftInput:
    nodes: Optional[list[NodeInput]] = None
    links: Optional[list[LinkInput]] = None
    delete_link_ids: Optional[list[strawberry.ID]] = None
    delete_node_ids: Optional[list[strawberry.ID]] = None


def _ratio(r: an.Ratio) -> Ratio:
    return Ratio(count=r.count, total=r.total, rate=r.rate)


def _trend_point(p: an.TrendPoint) -> TrendPoint:
    return TrendPoint(
        date=p.day,
        compounds=p.compounds,
        branch=_ratio(p.branch),
        party_groups=_ratio(p.party_groups),
        owners_committee=_ratio(p.owners_committee),
        property_service=_ratio(p.property_service),
        service_station=_ratio(p.service_station),
        cross_appointment=_ratio(p.cross_appointment),
        appeals_replied=_ratio(p.appeals_replied),
    )


# --- resolvers -----------------------------------------------------------------------------------
async def data_span(info: Info) -> DataSpan:
    span = await (await _request(info)).span()
    return DataSpan(first=span.first, last=span.last)


async def coverage_trend(
    info: Info,
    *,
    scope: ScopeArg = None,
    months: Annotated[
        int,
        strawberry.argument(
            description=f"months back from until (1 to {an.MAX_TREND_MONTHS}), a point each; a "
            "researcher or the public gets a point for each year they reach into, at its end"
        ),
    ] = 24,
    until: Annotated[
        Optional[dt.date],
        strawberry.argument(
            description="the last point (default: the data's last date); a researcher's or "
            "the public's is read as the last day of its year"
        ),
    ] = None,
) -> list[TrendPoint]:
    if not 1 <= months <= an.MAX_TREND_MONTHS:
        raise ValidationError(
            Problem("coverageTrend", "months", months, f"1 to {an.MAX_TREND_MONTHS}")
        )
    req = await _request(info)
    place = await req.scope_id(scope)
    # a researcher's or the public's until is read as its year's end, and so is each point
    last = (await req.span()).last
    end = req.lens.day(until or last or dt.date.today(), last)
    by_year = req.lens.masks
    index = req.index
    points = await _memo(
        index,
        ("trend", end, months, place, by_year),
        lambda: an.coverage_trend(index, end, months, place, by_year=by_year),
    )
    return [_trend_point(p) for p in points]


async def _draft(info: Info, changes: DraftInput) -> WriteBatch:
    """The draft as the store would write it, refused with the errors applyBatch would give
    (the same checks, against the same stored kinds: one round trip)."""
    batch = batch_of(changes.nodes, changes.links, changes.delete_link_ids, changes.delete_node_ids)
    if len(batch) > MAX_BATCH:
        raise ValidationError(
            Problem(
                "batch",
                "size",
                str(len(batch)),
                f"at most {MAX_BATCH} records in one mutation (govgraph import takes more)",
            )
        )
    for lid in batch.delete_links:
        parse_link_id(lid)
    referenced = {n.id for n in batch.nodes}
    referenced.update(e for lk in batch.links for e in (lk.source, lk.target))
    stored = await info.context.store.get_nodes(sorted(referenced)) if referenced else {}
    nodes, links = validate_batch(batch.nodes, batch.links, {i: n.kind for i, n in stored.items()})
    return WriteBatch(nodes, links, list(batch.delete_links), list(batch.delete_nodes))


async def what_if(
    info: Info,
    *,
    changes: Annotated[
        DraftInput, strawberry.argument(description="the draft (applyBatch's arguments)")
    ],
    as_of: AsOfArg = None,
    scope: ScopeArg = None,
    rule_set: RuleSetArg = RuleSet.ALL,
) -> WhatIf:
    if info.context.role is not Role.DEPARTMENT:
        raise ForbiddenError(
            f"the {info.context.role.value} role may not ask whatIf: it shows named findings "
            "of a draft only the department can save"
        )
    batch = await _draft(info, changes)
    req = await _request(info)
    place, day = await req.scope_id(scope), await req.when(as_of)
    _, before = await _findings(req, place, day, rule_set, None)
    _, settings = _settings(rule_set, None)
    # not kept: a draft is asked once, and its version must not outlive the answer
    found = await asyncio.to_thread(
        an.what_if, req.index, batch, settings, as_of=day, scope=place, before=before
    )
    lens = req.lens
    return WhatIf(
        closed=[to_finding(f, lens) for f in found.closed],
        opened=[to_finding(f, lens) for f in found.opened],
        before=found.before,
        after=found.after,
    )


def _filename(name: str, day: dt.date) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_") or "place"
    return f"整改清单_{safe}_{day.isoformat()}.xlsx"


async def rectification_list(
    info: Info,
    *,
    scope: Annotated[
        strawberry.ID, strawberry.argument(description="a city, township, community or compound")
    ],
    as_of: AsOfArg = None,
) -> Download:
    need_people(info.context.role, "rectificationList")
    req = await _request(info)
    place, day = await req.scope_id(scope), await req.when(as_of)
    assert place is not None  # scope is required
    key, found = await _findings(req, place, day, RuleSet.ALL, None)
    if len(found) > MAX_RECTIFICATION_ROWS:
        raise ValidationError(
            Problem(
                "rectificationList",
                "scope",
                scope,
                f"a place with at most {MAX_RECTIFICATION_ROWS} findings (ask per township)",
            )
        )
    shown: list[Finding] = await req.shown(key, lambda: found, to_finding)
    try:
        name = req.index.name(req.index.number(place)) or place
    except KeyError:
        name = place
    data = await asyncio.to_thread(rectification_workbook, shown, name, day)
    return Download(
        filename=_filename(name, day),
        media_type=XLSX,
        base64=base64.b64encode(data).decode(),
        rows=len(shown),
    )


def console_fields() -> dict[str, Any]:
    """The console's root fields of Query, by name."""

    def field(resolver: Any, description: str, cost: int = ANALYSIS_COST) -> Any:
        return strawberry.field(resolver=resolver, description=description, metadata={COST: cost})

    return {
        "data_span": field(
            data_span, "The earliest and latest dates the data holds (any role).", cost=1
        ),
        "coverage_trend": field(
            coverage_trend,
            "Coverage rates month by month, each month's last day up to until (any role; a "
            "researcher or the public: year by year, each year's last day).",
        ),
        "what_if": field(
            what_if,
            "The findings a draft (applyBatch's arguments) would close and open, without "
            "writing it (department only).",
        ),
        "rectification_list": field(
            rectification_list,
            "The rectification list (整改清单) of a place as an Excel workbook, one row per "
            "finding (not for the public role).",
        ),
    }
