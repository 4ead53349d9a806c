"""Coverage month by month (the roll-up of :func:`~.coverage.coverage_summary` at each month's
end), or year by year for a reader who reads dates by year (a researcher or the public: no
point within a year tells when a post began). Each point is a view of the history's index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import Problem, ValidationError
from ._dates import add_months, month_end
from .columns import DayView, Indexed, day_number
from .coverage import Ratio, _day, _tallies
from .derived import scope_number
from .projection import indexed_day

#: the longest trend asked at once: each point reads the projection on its own day
MAX_TREND_MONTHS = 60


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The coverage of one place (or the whole data) on one day."""

    day: dt.date
    compounds: int
    branch: Ratio
    party_groups: Ratio
    owners_committee: Ratio
    property_service: Ratio
    service_station: Ratio
    cross_appointment: Ratio
    appeals_replied: Ratio


def month_ends(until: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the ``months`` months ending with ``until``'s, oldest first;
    the last point is ``until`` itself (its month so far).

    Examples
    --------
    >>> [d.isoformat() for d in month_ends(dt.date(2021, 5, 31), 3)]
    ['2021-03-31', '2021-04-30', '2021-05-31']
    >>> [d.isoformat() for d in month_ends(dt.date(2021, 3, 15), 2)]
    ['2021-02-28', '2021-03-15']
    """
    first = until.replace(day=1)
    ends = [month_end(add_months(first, -i)) for i in range(months - 1, 0, -1)]
    return [*ends, until]


def year_ends(until: dt.date, months: int) -> list[dt.date]:
    """The last day of each year the ``months`` months ending with ``until`` reach into,
    oldest first, ``until`` standing for its own year.

    Examples
    --------
    >>> [d.isoformat() for d in year_ends(dt.date(2021, 5, 31), 24)]
    ['2019-12-31', '2020-12-31', '2021-05-31']
    >>> [d.isoformat() for d in year_ends(dt.date(2021, 12, 31), 3)]
    ['2021-12-31']
    """
    before = (dt.date(d.year, 12, 31) for d in month_ends(until, months) if d.year < until.year)
    return [*dict.fromkeys(before), until]


def coverage_trend(
    graph: Indexed,
    until: dt.date,
    months: int = 24,
    scope: str | None = None,
    *,
    by_year: bool = False,
) -> list[TrendPoint]:
    """The coverage rates of ``scope`` (or of every city together) at each of
    :func:`month_ends` (``by_year``: at each of :func:`year_ends`).

    ``months`` (1 to :data:`MAX_TREND_MONTHS`) counts back from ``until``; without a scope
    the whole data's cities are summed; ``by_year``'s ``until`` is the day a researcher or the
    public reads (:func:`~govgraph.graph.privacy.reading_day`).

    Examples
    --------
    >>> [(p.day.isoformat(), p.branch.count, p.compounds) for p in coverage_trend(
    ...     tiny_city(), AS_OF, 2)]
    [('2021-04-30', 1, 2), ('2021-05-31', 1, 2)]
    >>> [p.day.isoformat() for p in coverage_trend(tiny_city(), AS_OF, 14, by_year=True)]
    ['2020-12-31', '2021-05-31']
    """
    if not 1 <= months <= MAX_TREND_MONTHS:
        raise ValidationError(
            Problem("coverage trend", "months", months, f"1 to {MAX_TREND_MONTHS}")
        )
    base = indexed_day(graph)
    inside = scope_number(base.columns, scope)
    points: list[TrendPoint] = []
    for day in year_ends(until, months) if by_year else month_ends(until, months):
        # on the graph's own index, a day view not kept on it: the points go with their views
        # and leave the days the analyses keep in place
        view = DayView(base.columns, day_number(day)) if base.day is None else _day(graph, day)
        tallies = _tallies(view, day, inside)
        # the whole data is the sum of its cities
        places = view.columns.of_kind("City").tolist() if inside is None else [inside]
        ratios = tallies.ratios(*places)
        del ratios["party_share"]  # not one of the trend lines
        points.append(TrendPoint(day, tallies.compounds(*places), **ratios))
    return points
