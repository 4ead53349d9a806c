"""Work out, as the service starts, what the console's first page asks for.

Why. The first analysis after a start builds the projection, runs every rule and rolls the
coverage up month by month: at a couple of thousand compounds that is longer than a clerk
should wait, and longer than the request deadline. :func:`warm` asks the same questions
through the schema (the data's span, the coverage roll-up on its last day, the 24-month
trend), so the answers are kept with the projection (``schema/analytics.py``) by the very keys
a request uses. The service answers meanwhile; a request that needs the same work waits for
the same run rather than starting another. ``GOVGRAPH_WARM_ANALYTICS=false`` switches it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry import Schema

from ..graph.analytics import AnalyticsCache
from ..graph.port import GraphStore
from ..graph.privacy import Role
from ..schema.context import Context

log = logging.getLogger("govgraph.warm")

#: the console's overview: every city's row (the rules run on the way) and the trend
OVERVIEW = """query Warm($day: Date) {
  coverageSummary(level: CITY, asOf: $day, first: 1) { totalCount }
  coverageTrend(until: $day) { date }
}"""


@dataclass
class Warming:
    """Where the warm-up stands, for ``/readyz``: ``state`` is ``idle`` (switched off),
    ``running``, ``done`` or ``failed`` (the requests then do the work themselves)."""

    state: str = "idle"
    seconds: float | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"state": self.state}
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 1)
        if self.problem:
            out["problem"] = self.problem
        return out


@dataclass(frozen=True)
class Warm:
    """What a warm-up asks through: the app's schema, store and analytics cache."""

    schema: Schema
    store: GraphStore
    cache: AnalyticsCache
    max_page: int

    def context(self) -> Context:
        # the department, with no secret: nothing here is pseudonymized or returned
        return Context(self.store, Role.DEPARTMENT, b"", self.max_page, analytics=self.cache)


@contextlib.asynccontextmanager
async def warming(on: bool, app: Warm, status: Warming) -> AsyncIterator[None]:
    """:func:`warm` in the background while the block runs (when ``on``), cancelled after."""
    task = asyncio.create_task(warm(app, status)) if on else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def warm(app: Warm, status: Warming) -> None:
    """Run the console's first questions once, as the department (nothing leaves the
    process); record how it went in ``status`` and never raise (a failure is the requests'
    to meet again, with their own error)."""
    started = time.perf_counter()
    status.state = "running"
    try:
        span = await app.schema.execute("{ dataSpan { last } }", context_value=app.context())
        _check(span.errors)
        day = (span.data or {}).get("dataSpan", {}).get("last")
        if day is not None:
            result = await app.schema.execute(
                OVERVIEW, variable_values={"day": day}, context_value=app.context()
            )
            _check(result.errors)
    except asyncio.CancelledError:
        status.state = "cancelled"
        raise
    except Exception as exc:  # reported, and the requests meet it again
        status.state, status.problem = "failed", str(exc)
        log.warning("warming the analytics failed: %s", exc)
    else:
        status.state = "done"
    status.seconds = time.perf_counter() - started


def _check(errors: Sequence[GraphQLError] | None) -> None:
    if errors:
        raise RuntimeError("; ".join(e.message for e in errors))
