"""The days a data set covers (graph/analytics/span.py): the default evaluation day."""

from __future__ import annotations

import datetime as dt
import doctest
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx

from govgraph.graph.analytics import DataSpan, data_span, project
from govgraph.graph.analytics import span as span_module
from govgraph.graph.analytics.examples import doctest_names, graph_of
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node

Run = Callable[[Awaitable[Any]], Any]
D = dt.date


def test_the_demo_is_a_snapshot_of_the_end_of_may_2021(demo: EmbeddedStore, run: Run) -> None:
    history: nx.MultiDiGraph = run(project(demo))
    span = data_span(history)
    assert span.last == D(2021, 5, 31)  # the article's "by the end of May"
    assert span.first is not None and span.first < D(2021, 1, 1)


def test_events_elections_and_starts_count_a_planned_end_does_not() -> None:
    g = graph_of(
        [
            node("PartyBranch", "b1", elected_on=D(2019, 3, 1)),
            node("Person", "p1"),
            node("Meeting", "m1", meeting_type="branch_committee", date=D(2021, 4, 20)),
            node("Appeal", "a1", channel="hotline", received=D(2021, 4, 2), replied=D(2021, 5, 6)),
        ],
        [
            link("HOLDS_POST", "p1", "b1", role="secretary", since=D(2019, 3, 1)),
            link("HOLDS_POST", "p1", "b1", key="t2", role="secretary", until=D(2024, 2, 29)),
            link("MEMBER_OF", "p1", "b1", status="full", since=D(2021, 5, 10)),
            link("HELD_BY", "m1", "b1"),
        ],
    )
    assert data_span(g) == DataSpan(first=D(2019, 3, 1), last=D(2021, 5, 10))


def test_an_end_before_every_start_is_the_first_day() -> None:
    g = graph_of(
        [node("PartyBranch", "b1"), node("Person", "p1")],
        [
            link("MEMBER_OF", "p1", "b1", status="full", until=D(2018, 12, 31)),
            link("MEMBER_OF", "p1", "b1", key="2", status="full", since=D(2020, 1, 1)),
        ],
    )
    assert data_span(g) == DataSpan(first=D(2018, 12, 31), last=D(2020, 1, 1))


def test_a_graph_without_days_has_no_span() -> None:
    g = graph_of([node("Compound", "c1", built_year=1998)], [])  # a year is not a day
    assert data_span(g) == DataSpan(first=None, last=None)


def test_docstring_examples() -> None:
    result = doctest.testmod(span_module, extraglobs=doctest_names())
    assert result.failed == 0 and result.attempted > 0
