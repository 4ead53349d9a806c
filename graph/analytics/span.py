"""The days a data set covers: the evaluation day to default to (a ledger is a snapshot of its
own day, often months past: "as of today" would find every term overdue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import networkx as nx
import numpy as np

from .columns import NO_DAY, NO_UNTIL, NODE_COLUMNS, Columns, day_of


@dataclass(frozen=True, slots=True)
class DataSpan:
    """The first and the last day a graph records; both None when it records no day."""

    first: dt.date | None
    last: dt.date | None


def data_span(history: nx.MultiDiGraph | Columns) -> DataSpan:
    """The span of days ``history`` (a projection, best with the whole history) records.

    ``last`` is the latest day something is recorded as having happened: a node's dated
    property or a link's ``since``, not its ``until`` (as often a planned end or 9999-12-31 as
    a day past). ``first`` is the earliest of every day, ``until`` included.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("m1", kind="Meeting", date=dt.date(2021, 5, 20))
    >>> g.add_node("p1", kind="Person")
    >>> g.add_node("b1", kind="PartyBranch", elected_on=dt.date(2019, 3, 1))
    >>> _ = g.add_edge("p1", "b1", kind="HOLDS_POST", since=dt.date(2019, 3, 1),
    ...                until=dt.date(9999, 12, 31))
    >>> data_span(g)
    DataSpan(first=datetime.date(2019, 3, 1), last=datetime.date(2021, 5, 20))
    >>> data_span(nx.MultiDiGraph())
    DataSpan(first=None, last=None)
    """
    if isinstance(history, Columns):
        return _span_of_index(history)
    happened: list[dt.date] = [
        v for _, attrs in history.nodes(data=True) for v in attrs.values() if _is_day(v)
    ]
    links = [attrs for _, _, attrs in history.edges(data=True)]
    happened += [a["since"] for a in links if _is_day(a.get("since"))]
    ends: list[dt.date] = [a["until"] for a in links if _is_day(a.get("until"))]
    every = happened + ends
    return DataSpan(first=min(every) if every else None, last=max(happened) if happened else None)


def _is_day(value: object) -> bool:
    # a datetime is a date too but does not compare with one; the stores keep days only
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _span_of_index(cols: Columns) -> DataSpan:
    """:func:`data_span` of an index (its date columns are the dated properties)."""
    dated = [
        cols.array(kind, prop)
        for kind, props in NODE_COLUMNS.items()
        for prop, how in props.items()
        if how == "day"
    ]
    blocks = cols.all_blocks()
    days = np.concatenate([np.empty(0, np.int32), *dated, *(b.since for b in blocks)])
    days = days[days != NO_DAY]  # NO_DAY is NO_SINCE: no date, no start
    every = np.concatenate([days, *(b.until[b.until != NO_UNTIL] for b in blocks)])
    return DataSpan(
        first=day_of(int(every.min())) if len(every) else None,
        last=day_of(int(days.max())) if len(days) else None,
    )
