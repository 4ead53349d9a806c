"""Calendar arithmetic the rules share: terms, windows in months, deadlines in working days.

>>> import datetime as dt
>>> add_months(dt.date(2016, 2, 29), 12 * 5)
datetime.date(2021, 2, 28)
>>> add_working_days(dt.date(2021, 5, 28), 1)  # a Friday: the next working day is Monday
datetime.date(2021, 5, 31)
>>> [(a.isoformat(), b.isoformat()) for a, b in calendar_windows(dt.date(2021, 5, 31), 2)]
[('2021-01-01', '2021-02-28'), ('2021-03-01', '2021-04-30')]
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
from numpy.typing import NDArray

ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, the day clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_working_days(day: dt.date, n: int, holidays: Collection[dt.date] = ()) -> dt.date:
    """The ``n``-th working day after ``day`` (Monday to Friday, not a holiday); ``day`` for 0."""
    out = day
    while n > 0:
        out += ONE_DAY
        if out.weekday() < 5 and out not in holidays:
            n -= 1
    return out


def add_months_to_days(
    days: NDArray[np.integer[Any]], months: NDArray[np.integer[Any]] | int
) -> NDArray[np.int64]:
    """:func:`add_months` of day numbers (days since 1970-01-01).

    >>> d = np.array([dt.date(2016, 2, 29), dt.date(2021, 1, 31)], "datetime64[D]")
    >>> add_months_to_days(d.astype(np.int64), -11).astype("datetime64[D]").tolist()
    [datetime.date(2015, 3, 29), datetime.date(2020, 2, 29)]
    """
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = d - month.astype("datetime64[D]")  # the day of the month, from 0
    target = month + np.asarray(months, np.int64)
    length = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")
    out = target.astype("datetime64[D]") + np.minimum(offset, length - np.timedelta64(1, "D"))
    found: NDArray[np.int64] = out.astype(np.int64)
    return found


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def calendar_windows(as_of: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """The windows of ``months`` months that tile the year of ``as_of`` from 1 January and have
    ended by ``as_of`` (both ends inclusive): months, two-month periods, quarters."""
    out: list[tuple[dt.date, dt.date]] = []
    start = dt.date(as_of.year, 1, 1)
    while start.year == as_of.year:
        end = add_months(start, months) - ONE_DAY
        if end > as_of:
            break
        out.append((start, end))
        start = end + ONE_DAY
    return out
