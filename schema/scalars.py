"""GraphQL's ``Date``, held to the days the service accepts (``graph.model.in_day_range``).

Strawberry's own ``Date`` takes any ISO day, and a day like 9999-12-31 then overflows the
analytics' date arithmetic deep inside a rule (an unexpected error instead of a refusal). This
one has the same name and description, so the SDL does not change; it is put in place of
Strawberry's with the config's ``scalar_map`` (``schema/build.py``).
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.schema.types.base_scalars import wrap_parser

from ..graph.errors import Problem, ValidationError
from ..graph.model import in_day_range

_parse_iso = wrap_parser(dt.date.fromisoformat, "Date")


def parse_day(value: object) -> dt.date:
    """An ISO day within the accepted range; ``ValidationError`` (``VALIDATION_FAILED``)
    saying the range when it lies outside."""
    day = _parse_iso(value)
    assert isinstance(day, dt.date)
    try:
        return in_day_range(day)
    except ValueError as exc:
        raise ValidationError(Problem("Date", "value", str(day), str(exc))) from None


Date = strawberry.scalar(
    name="Date",
    description="Date (isoformat)",
    serialize=dt.date.isoformat,
    parse_value=parse_day,
)
